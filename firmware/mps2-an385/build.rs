//! Puts memory.x where cortex-m-rt's link.x finds it (cortex-m-quickstart),
//! and an empty device.x: cortex-m-rt's `device` feature includes it for a
//! PAC's weak interrupt handler names, and this board has no PAC (its
//! interrupt vectors are `__INTERRUPTS` in main.rs).
#![allow(clippy::expect_used)] // a build script fails loudly
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
    fs::write(
        out.join("device.x"),
        "/* no PAC: __INTERRUPTS is written by cuatro_board_kit::wire! in src/main.rs */\n",
    )
    .expect("write device.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
}
