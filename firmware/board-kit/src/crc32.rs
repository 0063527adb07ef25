//! CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320; zlib's `crc32`),
//! the check a board logs for every upload, and [`Crc32::copy`]: the copy
//! into an in-RAM upload sink with the CRC computed in the same pass.
//!
//! A byte table (256 words): one lookup per byte. It is a constant (1 KiB
//! of flash), except with the `crc-table-ram` feature: then 1 KiB of .bss,
//! filled on first use, for a board whose flash is short or slow (the
//! RP2040's, executed in place over QSPI) and whose RAM is not. Until
//! issue 17 every board had it in RAM, when the QEMU boards' 48 KiB flash
//! had no room; now their 32 KiB of static RAM is the tighter (the mDNS
//! responder's buffers). On
//! Thumb-2 (Cortex-M3/M4/M7) the inner loop is assembly, 16 bytes per
//! iteration: four `LDR`s (and four `STR`s when copying), then three
//! instructions a byte — about 3.5 instructions a byte against ~10
//! for the nibble table this replaced (issue 15, docs/BENCHMARKS.md).
//! Elsewhere (thumbv6m, the host) the same table in Rust.

/// The reflected CRC-32 polynomial.
const POLY: u32 = 0xEDB8_8320;

/// Entry `i` of the byte table: the CRC register after shifting `i`'s
/// eight bits out.
const fn entry(i: u32) -> u32 {
    let mut c = i;
    let mut k = 0;
    while k < 8 {
        c = if c & 1 != 0 { POLY ^ (c >> 1) } else { c >> 1 };
        k += 1;
    }
    c
}

/// The byte table, 256 words.
type Table = [u32; 256];

/// Fills `table` (the RAM table; the reference in tests).
#[cfg(any(all(target_os = "none", feature = "crc-table-ram"), test))]
pub(crate) fn fill(table: &mut Table) {
    for (i, e) in (0u32..).zip(table.iter_mut()) {
        *e = entry(i);
    }
}

#[cfg(all(target_os = "none", feature = "crc-table-ram"))]
mod table {
    use super::Table;
    use core::cell::UnsafeCell;

    /// The board's table, in RAM (filled on first use: entry 1 is never 0).
    struct RamTable(UnsafeCell<Table>);
    // SAFETY: a board has one thread that uses the CRC (the main loop,
    // never an interrupt handler); the table is written once, before it is
    // read.
    unsafe impl Sync for RamTable {}
    static TABLE: RamTable = RamTable(UnsafeCell::new([0; 256]));

    /// The table, filled.
    #[inline(always)]
    pub(super) fn get() -> &'static Table {
        let p = TABLE.0.get();
        // SAFETY: see `Sync` above: no other reference is live while it is
        // filled, and after that it is only read.
        unsafe {
            if (*p)[1] == 0 {
                super::fill(&mut *p);
            }
            &*p
        }
    }
}

#[cfg(not(all(target_os = "none", feature = "crc-table-ram")))]
mod table {
    use super::{entry, Table};

    /// The table: a constant, in flash on a board.
    #[allow(clippy::indexing_slicing)] // const evaluation: out of range is a build error
    static TABLE: Table = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = entry(i as u32);
            i += 1;
        }
        t
    };

    pub(super) fn get() -> &'static Table {
        &TABLE
    }
}

/// A running CRC-32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crc32(u32);

impl Crc32 {
    /// The CRC of nothing so far.
    pub const fn new() -> Self {
        Crc32(!0)
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.0 = run(self.0, data, None);
    }

    /// Copies `src` into `dst` and adds it, in one pass. Copies (and adds)
    /// the shorter one's length; returns it.
    pub fn copy(&mut self, dst: &mut [u8], src: &[u8]) -> usize {
        let n = dst.len().min(src.len());
        self.0 = run(self.0, src, Some(dst));
        n
    }

    /// The CRC-32 of everything added.
    pub const fn value(&self) -> u32 {
        !self.0
    }
}

impl Default for Crc32 {
    fn default() -> Self {
        Self::new()
    }
}

/// One byte through the table.
#[inline(always)]
fn step(table: &Table, c: u32, b: u8) -> u32 {
    // `as u8`: the index is below 256, so `get` never misses.
    let i = (c as u8 ^ b) as usize;
    table.get(i).copied().unwrap_or(0) ^ (c >> 8)
}

/// The CRC register after `src` (copied to `dst` on the way, if given:
/// the shorter one's length).
#[inline(never)] // one copy, whoever calls
fn run(crc: u32, src: &[u8], dst: Option<&mut [u8]>) -> u32 {
    let table = table::get();
    let n = dst.as_deref().map_or(src.len(), |d| d.len().min(src.len()));
    let src = src.get(..n).unwrap_or_default();
    let bytes = |c: u32, s: &[u8], d: Option<&mut [u8]>| match d {
        Some(d) => s.iter().zip(d).fold(c, |c, (&b, o)| {
            *o = b;
            step(table, c, b)
        }),
        None => s.iter().fold(c, |c, &b| step(table, c, b)),
    };
    #[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
    {
        // 16-byte blocks in assembly (unaligned LDR and STR are allowed on
        // ARMv7-M: no head to align), then the rest.
        let blocks = n / 16;
        let (s_mid, s_tail) = src.split_at_checked(blocks * 16).unwrap_or_default();
        let (d_mid, d_tail) = match dst.and_then(|d| d.split_at_mut_checked(blocks * 16)) {
            Some((m, t)) => (Some(m), Some(t)),
            None => (None, None),
        };
        let mut c = crc;
        if blocks > 0 {
            let dst_ptr = d_mid.map_or(core::ptr::null_mut(), |d| d.as_mut_ptr());
            // SAFETY: `s_mid` is `blocks` × 16 readable bytes; `dst_ptr` is
            // null or `blocks` × 16 writable bytes (unaligned LDR and STR
            // are allowed on ARMv7-M); `table` is 256 words, indexed by a
            // byte.
            unsafe {
                core::arch::asm!(
                    "2:",
                    "ldr r4, [{src}], #4",
                    "ldr r5, [{src}], #4",
                    "ldr r8, [{src}], #4",
                    "ldr r10, [{src}], #4",
                    "cbz r2, 3f",
                    "str r4, [r2], #4",
                    "str r5, [r2], #4",
                    "str r8, [r2], #4",
                    "str r10, [r2], #4",
                    "3:",
                    "eors {c}, {c}, r4",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "eors {c}, {c}, r5",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "eor {c}, {c}, r8",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "eor {c}, {c}, r10",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "uxtb {t}, {c}",
                    "ldr {t}, [{tbl}, {t}, lsl #2]",
                    "eor {c}, {t}, {c}, lsr #8",
                    "subs {n}, {n}, #1",
                    "bne 2b",
                    c = inout(reg) c,
                    src = inout(reg) s_mid.as_ptr() => _,
                    inout("r2") dst_ptr => _,
                    n = inout(reg) blocks => _,
                    tbl = in(reg) table.as_ptr(),
                    t = out(reg) _,
                    out("r4") _,
                    out("r5") _,
                    out("r8") _,
                    out("r10") _,
                    options(nostack),
                );
            }
        }
        bytes(c, s_tail, d_tail)
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "thumb2")))]
    {
        bytes(crc, src, dst)
    }
}
