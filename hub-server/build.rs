//! Release builds embed `ui/hq/dist` (the HQ console) in the binary: rebuild
//! the hub when the console was rebuilt. Debug builds read the folder at run
//! time, so they do not need this (and do not recompile for UI changes).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rerun-if-changed=../ui/hq/dist");
    }
}
