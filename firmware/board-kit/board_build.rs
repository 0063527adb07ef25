//! The build script of every board crate (each names it with
//! `build = "../board-kit/board_build.rs"`): puts the board's `memory.x`
//! where cortex-m-rt's `link.x` finds it (as cortex-m-quickstart's build
//! script does), and writes an empty `device.x`: cortex-m-rt's `device`
//! feature includes it for a PAC's weak interrupt handler names, and the
//! boards have no PAC (their interrupt vectors are `__INTERRUPTS`, written
//! by `cuatro_board_kit::wire!`).
#![allow(clippy::expect_used)] // a build script fails loudly
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let board = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let memory = board.join("memory.x");
    fs::copy(&memory, out.join("memory.x")).expect("copy the board's memory.x");
    fs::write(
        out.join("device.x"),
        "/* no PAC: __INTERRUPTS is written by cuatro_board_kit::wire! */\n",
    )
    .expect("write device.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={}", memory.display());
    println!("cargo:rerun-if-changed=../board-kit/board_build.rs");
}
