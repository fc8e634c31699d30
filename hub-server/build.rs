//! The hub embeds `ui/hq/dist` (the HQ console) and `ui/driver/dist` (the
//! driver page) with rust-embed: release builds carry the files, debug builds
//! read the folders at run time but learn at compile time whether they exist.
//! Either way, recompile the hub when a front end was (re)built; `cargo xtask
//! ui` rebuilds one only when its sources changed, so an unchanged front end
//! costs no hub recompilation.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for app in ["hq", "driver"] {
        println!("cargo:rerun-if-changed=../ui/{app}/dist/index.html");
        if std::env::var("PROFILE").as_deref() == Ok("release") {
            println!("cargo:rerun-if-changed=../ui/{app}/dist");
        }
    }
}
