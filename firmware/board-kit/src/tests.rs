//! Host tests of what the kit computes: log lines byte for byte, CRC-32,
//! the upload sinks' contract, MAC choice. (The loop, the clock and the
//! handlers run on the QEMU boards: `tests/tests/board_qemu.rs`.)
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

extern crate std;

use crate::crc32::Crc32;
use crate::nic::{fallback_mac, usable_mac};
use crate::storage::UploadSink;
use crate::{log, run};
use cuatro_core::upload::{Storage, StorageError};
use smoltcp::wire::Ipv4Address;
use std::cell::RefCell;
use std::string::String;
use std::vec::Vec;

std::thread_local! {
    /// What this test thread's log wrote.
    static CONSOLE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The console of the host tests: each test thread's own buffer.
#[no_mangle]
fn cuatro_console_write(bytes: &[u8]) {
    CONSOLE.with(|c| c.borrow_mut().extend_from_slice(bytes));
}

/// Takes what the log wrote on this thread.
fn console() -> String {
    CONSOLE.with(|c| String::from_utf8(core::mem::take(&mut *c.borrow_mut())).unwrap())
}

#[test]
fn a_line_has_time_level_and_each_kind_of_field() {
    console();
    log::warn()
        .s("x=")
        .dec(0u32)
        .s(" y=")
        .dec(4_294_967_295u32)
        .s(" h=")
        .hex8(0x0012_abef)
        .s(" ip=")
        .ip(Ipv4Address::new(10, 0, 2, 15))
        .s(" mac=")
        .mac([0x02, 0x00, 0x63, 0x75, 0x34, 0xfe])
        .s(" n=")
        .size(1234)
        .end();
    assert_eq!(
        console(),
        "[   0.000] WARN  x=0 y=4294967295 h=0012abef ip=10.0.2.15 mac=02-00-63-75-34-fe n=1234\n"
    );
    log::info()
        .s("a")
        .link(Some(true))
        .link(Some(false))
        .link(None)
        .end();
    assert_eq!(console(), "[   0.000] INFO  a link=up link=down link=?\n");
    log::error().s("e").end();
    log::info().s("i").end();
    assert_eq!(console(), "[   0.000] ERROR e\n[   0.000] INFO  i\n");
}

#[test]
fn crc32_matches_zlib() {
    // zlib.crc32(b"123456789") and zlib.crc32(b"") — the standard check values.
    let mut c = Crc32::new();
    assert_eq!(c.value(), 0);
    c.update(b"1234");
    c.update(b"56789");
    assert_eq!(c.value(), 0xcbf4_3926);
    let mut d = Crc32::new();
    d.update(&[0u8; 32]);
    assert_eq!(d.value(), 0x190a_55ad);
}

fn leaked(len: usize) -> &'static mut [u8] {
    std::vec![0u8; len].leak()
}

#[test]
fn in_ram_keeps_the_bytes_and_logs_length_and_crc() {
    let region = leaked(16);
    let region_ptr = region.as_ptr();
    let mut s = UploadSink::in_ram(region);
    assert_eq!(s.capacity(), 16);
    console();
    s.begin(9).unwrap();
    s.write(b"1234").unwrap();
    s.write(b"56789").unwrap();
    s.commit().unwrap();
    assert_eq!(s.last, Some((9, 0xcbf4_3926)));
    assert_eq!(s.completed(), 1);
    // SAFETY (test): the region is leaked and only the sink wrote to it.
    let kept = unsafe { core::slice::from_raw_parts(region_ptr, 9) };
    assert_eq!(kept, b"123456789");
    let out = console();
    assert!(out.contains("upload started: 9 bytes\n"), "{out}");
    assert!(out.contains("upload n=1 bytes=9 crc32=cbf43926\n"), "{out}");
}

#[test]
fn streaming_checks_lengths_without_keeping_bytes() {
    let mut s = UploadSink::streaming(u32::MAX as usize);
    assert_eq!(s.capacity(), u64::from(u32::MAX));
    s.begin(3).unwrap();
    s.write(b"ab").unwrap();
    // More than announced: refused, nothing counted.
    assert_eq!(s.write(b"cd"), Err(StorageError::Io));
    // Short: no commit.
    assert_eq!(s.commit(), Err(StorageError::Io));
    s.abort();
    assert_eq!(s.completed(), 0);
    assert_eq!(s.last, None);
    s.begin(0).unwrap();
    s.commit().unwrap();
    assert_eq!(s.last, Some((0, 0)));
    assert_eq!(s.completed(), 1);
}

#[test]
fn larger_than_capacity_is_refused_before_any_data() {
    let mut s = UploadSink::streaming(100);
    console();
    assert_eq!(s.begin(101), Err(StorageError::TooLarge));
    assert!(console().contains("upload refused: 101 bytes > 100\n"));
    assert_eq!(s.write(b"x"), Err(StorageError::Io));
    s.begin(100).unwrap();
    s.write(&[7; 100]).unwrap();
    s.commit().unwrap();
    let mut want = Crc32::new();
    want.update(&[7; 100]);
    assert_eq!(s.last, Some((100, want.value())));
}

#[test]
fn in_ram_refuses_what_the_region_cannot_hold() {
    let mut s = UploadSink::in_ram(leaked(4));
    assert_eq!(s.begin(5), Err(StorageError::TooLarge));
    s.begin(4).unwrap();
    s.write(b"abcd").unwrap();
    s.commit().unwrap();
    // An abort drops a partial upload: the next starts from zero.
    s.begin(2).unwrap();
    s.write(b"z").unwrap();
    s.abort();
    s.begin(1).unwrap();
    s.write(b"q").unwrap();
    s.commit().unwrap();
    let mut want = Crc32::new();
    want.update(b"q");
    assert_eq!(s.last, Some((1, want.value())));
    assert_eq!(s.completed(), 2);
}

#[test]
fn macs() {
    assert!(usable_mac([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]));
    assert!(!usable_mac([0; 6]));
    assert!(!usable_mac([0xff; 6]));
    assert!(!usable_mac([0x01, 0, 0x5e, 0, 0, 1])); // multicast
    assert!(usable_mac(fallback_mac(1)));
    assert_ne!(fallback_mac(1), fallback_mac(2));
}

#[test]
fn boot_and_listening_lines() {
    let board = run::Board {
        name: "test-board (Cortex-M3",
        version: "9.9.9",
        core_clock_hz: 50_000_000,
        nic_irq: Some(crate::nic::Irq(42)),
        ip: Ipv4Address::new(10, 0, 2, 15),
        prefix_len: 24,
        gateway: Ipv4Address::new(10, 0, 2, 2),
        port_base: 8080,
        cpu_level: cuatro_core::cpu::Level::Aleatorio,
    };
    console();
    board.log_boot();
    board.log_listening(4096);
    let out = console();
    assert!(
        out.contains("INFO  cuatro 9.9.9 on test-board (Cortex-M3, 50 MHz)\n"),
        "{out}"
    );
    assert!(
        out.contains(":8082 (upload, 4096 bytes), gateway 10.0.2.2\n"),
        "{out}"
    );
    assert!(out.contains("listening on 10.0.2.15:8080 ("), "{out}");
    // cuatro-core's default features (this host test's) include `pvp`.
    assert!(
        out.contains("INFO  player vs player on :8083 (classic), :8084 (compact)\n"),
        "{out}"
    );
    let c = board.config([2, 0, 0, 0, 0, 1], 0);
    assert_eq!(c.port_base, 8080);
    assert_eq!(c.gateway, Some(Ipv4Address::new(10, 0, 2, 2)));
}

#[test]
fn meter_line_format() {
    console();
    crate::meter::line(1234, 4_194_308, 2_718_281);
    assert_eq!(
        console(),
        "[   0.000] INFO  meter: replies=1234 upload_bytes=4194308 busy_us=2718281\n"
    );
    crate::meter::line(0, u32::MAX, 0);
    assert_eq!(
        console(),
        "[   0.000] INFO  meter: replies=0 upload_bytes=4294967295 busy_us=0\n"
    );
}

/// CRC-32 one bit at a time: the definition the table code must match.
fn crc32_bitwise(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn crc32_table_is_the_bitwise_crc_at_every_length_offset_and_split() {
    let data: Vec<u8> = (0..200u32)
        .map(|i| (i.wrapping_mul(151) ^ (i >> 3)) as u8)
        .collect();
    let mut table = [0u32; 256];
    crate::crc32::fill(&mut table);
    assert_eq!(table[1], 0x7707_3096);
    assert_eq!(table[255], 0x2D02_EF8D);
    for offset in 0..8 {
        for len in 0..=64 {
            let src = &data[offset..offset + len];
            let want = crc32_bitwise(src);
            let mut c = Crc32::new();
            c.update(src);
            assert_eq!(c.value(), want, "update, offset {offset} len {len}");
            // The fused copy: same CRC, the bytes copied, at any split.
            for split in [0, len / 3, len / 2, len] {
                let mut dst = std::vec![0u8; len + 3];
                let mut c = Crc32::new();
                let (a, b) = src.split_at(split);
                assert_eq!(c.copy(&mut dst[1..1 + split], a), split);
                assert_eq!(c.copy(&mut dst[1 + split..1 + len], b), len - split);
                assert_eq!(
                    c.value(),
                    want,
                    "copy, offset {offset} len {len} split {split}"
                );
                assert_eq!(&dst[1..1 + len], src);
                assert_eq!((dst[0], dst[len + 1], dst[len + 2]), (0, 0, 0));
            }
        }
    }
    // A destination shorter than the source: only what fits is copied and added.
    let mut dst = [0u8; 5];
    let mut c = Crc32::new();
    assert_eq!(c.copy(&mut dst, &data[..9]), 5);
    assert_eq!(c.value(), crc32_bitwise(&data[..5]));
    assert_eq!(dst, data[..5]);
}
