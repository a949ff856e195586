//! The app's wasm keeps its relocations, so `cargo xtask` can split it into modules that load
//! when a page is first visited (wasm-split-cli; see xtask/src/app_wasm.rs).

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32") {
        println!("cargo:rustc-link-arg-bins=--emit-relocs");
    }
}
