//! Build script: lets `tauri-build` prepare the app (config, ACL, icons) and
//! says what to run when the screens it embeds (`ui/pos/dist`) are not built.

use std::path::Path;

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/pos/dist/index.html");
    println!("cargo:rerun-if-changed=../../ui/pos/dist");
    if !dist.exists() {
        // The binary's `generate_context!` then fails naming only the config
        // key; the library and its tests build without the screens.
        println!(
            "cargo:warning=ui/pos/dist/index.html is missing: the storelink-pos binary embeds \
             the built POS screens. Run `cargo xtask ui` (npm ci + vite build of ui/pos) first."
        );
    }
    tauri_build::build()
}
