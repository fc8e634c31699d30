//! The hub embeds `ui/hq/dist` (the HQ console) with rust-embed: release
//! builds carry the files, debug builds read the folder at run time but learn
//! at compile time whether it exists. Either way, recompile the hub when the
//! console was (re)built; `cargo xtask ui` rebuilds it only when its sources
//! changed, so an unchanged console costs no hub recompilation.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../ui/hq/dist/index.html");
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rerun-if-changed=../ui/hq/dist");
    }
}
