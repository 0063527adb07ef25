//! Puts the board's `memory.x` (with the BOOT2 region and the `.boot2`
//! section) where cortex-m-rt's `link.x` finds it. Unlike the other boards'
//! shared `../board-kit/board_build.rs` it writes no `device.x`: rp2040-pac
//! (feature `rt`) provides the real one, with the RP2040's interrupt names.
#![allow(clippy::expect_used)] // a build script fails loudly
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let board = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let memory = board.join("memory.x");
    fs::copy(&memory, out.join("memory.x")).expect("copy the board's memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={}", memory.display());
    println!("cargo:rerun-if-changed=build.rs");
}
