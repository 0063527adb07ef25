//! # cuatro-driver-kit — what cuatro's Ethernet drivers share
//!
//! The boards' MACs (the LAN9118, the Stellaris on-chip MAC) are alike
//! where a driver meets the rest: registers at offsets from a base, read
//! and written a 32-bit word at a time; one frame buffer each way between
//! the chip's FIFOs and smoltcp; an interrupt line the main loop
//! acknowledges. This crate holds those parts once:
//!
//! - [`Regs`] and [`Mmio`]: register access, volatile on a board, a fake
//!   register file in a driver's host tests and fuzz targets;
//! - [`Buffers`]: the frame buffers a board declares for its driver;
//! - [`RxToken`] and [`TxToken`]: smoltcp's tokens over a received frame
//!   and a transmit buffer; a driver says how a built frame leaves through
//!   [`Transmit`];
//! - [`Nic`]: what `cuatro-board-kit`'s main loop asks of a driver beyond
//!   `phy::Device`.
#![no_std]
#![deny(missing_docs)]

use smoltcp::phy::{self, Device};

/// Bytes per register and FIFO word.
pub const WORD: usize = 4;
/// Words one `LDM`/`STM` burst moves between a FIFO and memory
/// ([`Regs::read_fifo`], [`Regs::write_fifo`] on [`Mmio`]).
pub const FIFO_BURST: usize = 8;

/// Access to a register block. Offsets are bytes from the base; every
/// access is one 32-bit word. Reading a FIFO port pops it, so `read` has
/// side effects even though it takes `&self`.
///
/// The FIFO methods move many words at once. Their default bodies are a
/// word at a time through `read`/`write` (what a fake register file in a
/// test sees); [`Mmio`] on Thumb-2 moves [`FIFO_BURST`] words per
/// instruction pair.
pub trait Regs {
    /// Reads the 32-bit register at byte offset `off`.
    fn read(&self, off: u32) -> u32;
    /// Writes the 32-bit register at byte offset `off`.
    fn write(&mut self, off: u32, v: u32);

    /// Pops `buf.len()` words from a FIFO whose read port is aliased over
    /// [`FIFO_BURST`] consecutive words from `off` (the LAN9118's data
    /// FIFOs): a burst may read `off`, `off + 4`, ... `off + 28`.
    fn read_fifo(&self, off: u32, buf: &mut [u32]) {
        for w in buf {
            *w = self.read(off);
        }
    }

    /// Pushes `buf` into a FIFO whose write port is aliased like
    /// [`Regs::read_fifo`]'s.
    fn write_fifo(&mut self, off: u32, buf: &[u32]) {
        for &w in buf {
            self.write(off, w);
        }
    }

    /// Pops `buf.len()` words from a FIFO with one port address (every
    /// read at `off`: the Stellaris MAC's `MACDATA`).
    fn read_port(&self, off: u32, buf: &mut [u32]) {
        for w in buf {
            *w = self.read(off);
        }
    }
}

/// The whole words of `bytes` as `u32`s (native, little-endian on every
/// board), if it starts on a word boundary; else nothing (a driver's frame
/// buffers are word-aligned: [`Buffers`]).
pub fn words_mut(bytes: &mut [u8]) -> &mut [u32] {
    // SAFETY: every bit pattern is a valid `u32` and a valid `u8`.
    let (head, words, _) = unsafe { bytes.align_to_mut::<u32>() };
    if head.is_empty() {
        words
    } else {
        &mut []
    }
}

/// [`words_mut`] for reading.
pub fn words(bytes: &[u8]) -> &[u32] {
    // SAFETY: as in `words_mut`.
    let (head, words, _) = unsafe { bytes.align_to::<u32>() };
    if head.is_empty() {
        words
    } else {
        &[]
    }
}

/// A register block in memory-mapped I/O (volatile accesses).
#[derive(Debug)]
pub struct Mmio {
    base: usize,
}

impl Mmio {
    /// The registers at `base`.
    ///
    /// # Safety
    /// `base` must be the address of the (clocked) register block the
    /// driver expects, every offset it uses inside it, and nothing else may
    /// access the block while this value lives.
    pub const unsafe fn new(base: usize) -> Self {
        Mmio { base }
    }
}

impl Regs for Mmio {
    fn read(&self, off: u32) -> u32 {
        // SAFETY: `new`'s contract: base + off is a register of the block.
        unsafe { core::ptr::read_volatile((self.base + off as usize) as *const u32) }
    }

    fn write(&mut self, off: u32, v: u32) {
        // SAFETY: as in `read`.
        unsafe { core::ptr::write_volatile((self.base + off as usize) as *mut u32, v) }
    }

    #[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
    fn read_fifo(&self, off: u32, buf: &mut [u32]) {
        // SAFETY: `new`'s contract, and the trait's: the FIFO's read port
        // spans FIFO_BURST words from base + off; `buf` is writable.
        unsafe { burst::read(self.base + off as usize, buf.as_mut_ptr(), buf.len()) }
    }

    #[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
    fn write_fifo(&mut self, off: u32, buf: &[u32]) {
        // SAFETY: as in `read_fifo`, for the write port; `buf` is readable.
        unsafe { burst::write(self.base + off as usize, buf.as_ptr(), buf.len()) }
    }

    #[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
    fn read_port(&self, off: u32, buf: &mut [u32]) {
        // SAFETY: `new`'s contract: base + off is the port; `buf` is writable.
        unsafe { burst::read_port(self.base + off as usize, buf.as_mut_ptr(), buf.len()) }
    }
}

/// The FIFO loops of [`Mmio`] in Thumb-2 assembly: `LDM`/`STM` of
/// [`FIFO_BURST`] words (r3–r10) between the port and memory, then a word
/// at a time. Naked functions: r7 (Thumb's frame pointer) is one of the
/// eight, saved and restored here.
#[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
mod burst {
    const _: () = assert!(super::FIFO_BURST == 8);

    /// Pops `words` words from the port at `port` (aliased over 8 words)
    /// into `dst`.
    #[unsafe(naked)]
    pub(super) unsafe extern "C" fn read(port: usize, dst: *mut u32, words: usize) {
        core::arch::naked_asm!(
            "push {{r4-r10}}",
            "1:",
            "subs r2, r2, #8",
            "blo 2f",
            "ldm r0, {{r3-r10}}",
            "stmia r1!, {{r3-r10}}",
            "b 1b",
            "2:",
            "adds r2, r2, #8",
            "beq 4f",
            "3:",
            "ldr r3, [r0]",
            "str r3, [r1], #4",
            "subs r2, r2, #1",
            "bne 3b",
            "4:",
            "pop {{r4-r10}}",
            "bx lr",
        )
    }

    /// Pushes `words` words from `src` into the port at `port` (aliased
    /// over 8 words).
    #[unsafe(naked)]
    pub(super) unsafe extern "C" fn write(port: usize, src: *const u32, words: usize) {
        core::arch::naked_asm!(
            "push {{r4-r10}}",
            "1:",
            "subs r2, r2, #8",
            "blo 2f",
            "ldmia r1!, {{r3-r10}}",
            "stm r0, {{r3-r10}}",
            "b 1b",
            "2:",
            "adds r2, r2, #8",
            "beq 4f",
            "3:",
            "ldr r3, [r1], #4",
            "str r3, [r0]",
            "subs r2, r2, #1",
            "bne 3b",
            "4:",
            "pop {{r4-r10}}",
            "bx lr",
        )
    }

    /// The one's-complement sum of `words` words at `p`.
    #[unsafe(naked)]
    pub(super) unsafe extern "C" fn sum(p: *const u32, words: usize) -> u32 {
        core::arch::naked_asm!(
            "push {{r4, r5}}",
            "mov r2, r0",
            "movs r0, #0",
            "1:",
            "subs r1, r1, #4",
            "blo 2f",
            "ldmia r2!, {{r3, r4, r5, r12}}",
            "adds r0, r0, r3",
            "adcs r0, r0, r4",
            "adcs r0, r0, r5",
            "adcs r0, r0, r12",
            // The carry back in; twice: 0xffffffff + carry carries again.
            "adcs r0, r0, #0",
            "adc r0, r0, #0",
            "b 1b",
            "2:",
            "adds r1, r1, #4",
            "beq 4f",
            "3:",
            "ldr r3, [r2], #4",
            "adds r0, r0, r3",
            "adc r0, r0, #0",
            "subs r1, r1, #1",
            "bne 3b",
            "4:",
            "pop {{r4, r5}}",
            "bx lr",
        )
    }

    /// Pops `words` words from the single port at `port` into `dst`: eight
    /// loads of the same address, one `STM`.
    #[unsafe(naked)]
    pub(super) unsafe extern "C" fn read_port(port: usize, dst: *mut u32, words: usize) {
        core::arch::naked_asm!(
            "push {{r4-r10}}",
            "1:",
            "subs r2, r2, #8",
            "blo 2f",
            "ldr r3, [r0]",
            "ldr r4, [r0]",
            "ldr r5, [r0]",
            "ldr r6, [r0]",
            "ldr r7, [r0]",
            "ldr r8, [r0]",
            "ldr r9, [r0]",
            "ldr r10, [r0]",
            "stmia r1!, {{r3-r10}}",
            "b 1b",
            "2:",
            "adds r2, r2, #8",
            "beq 4f",
            "3:",
            "ldr r3, [r0]",
            "str r3, [r1], #4",
            "subs r2, r2, #1",
            "bne 3b",
            "4:",
            "pop {{r4-r10}}",
            "bx lr",
        )
    }
}

/// Where an IPv4 frame's fields are (Ethernet header, then IPv4).
mod ipv4 {
    /// EtherType field.
    pub const ETHERTYPE: usize = 12;
    /// First byte of the IPv4 header.
    pub const IP: usize = 14;
    /// IPv4's protocol number for TCP.
    pub const TCP: u8 = 6;
}

/// Whether `frame` (Ethernet, no FCS) is not an IPv4 TCP segment, or is
/// one whose TCP checksum is right: a driver's receive-side checksum
/// offload. A driver that checks every frame with this announces
/// `checksum.tcp = Checksum::Tx` (smoltcp then computes TCP checksums only
/// when sending) and drops the frames it refuses. What it cannot judge
/// (not IPv4, not TCP, a fragment, lengths that do not add up) it lets
/// through: smoltcp's own parsing rejects the malformed. The sum runs over
/// whole words ([`sum_words`]): fastest when the segment is word-aligned in
/// memory (a driver's `RX_ALIGN`).
pub fn tcp_checksum_ok(frame: &[u8]) -> bool {
    let Some(ip) = frame.get(ipv4::IP..) else {
        return true;
    };
    let (Some(&[0x08, 0x00]), Some(&[vihl, _, len_hi, len_lo, _, _, frag_hi, frag_lo, _, proto])) =
        (frame.get(ipv4::ETHERTYPE..ipv4::IP), ip.get(..10))
    else {
        return true;
    };
    let ihl = usize::from(vihl & 0xf) * WORD;
    let total = usize::from(u16::from_be_bytes([len_hi, len_lo]));
    // Not TCP, a fragment (more fragments, or an offset), or inconsistent.
    if proto != ipv4::TCP || vihl >> 4 != 4 || (frag_hi & 0x3f) | frag_lo != 0 || ihl < 20 {
        return true;
    }
    let (Some(addrs), Some(segment)) = (ip.get(12..20), ip.get(ihl..total)) else {
        return true;
    };
    // The pseudo header and the segment, summed as little-endian words:
    // the one's-complement sum is the byte-swapped big-endian one, and a
    // right checksum makes it 0xffff either way.
    let len = segment.len() as u16;
    let [lh, ll] = len.to_be_bytes();
    let mut sum = add(sum_bytes(addrs), u32::from_le_bytes([0, ipv4::TCP, lh, ll]));
    sum = add(sum, sum_bytes(segment));
    let folded = (sum >> 16) + (sum & 0xffff);
    (folded + (folded >> 16)) & 0xffff == 0xffff
}

/// `a + b` with the end-around carry (one's complement, 32 bits).
fn add(a: u32, b: u32) -> u32 {
    let (s, carry) = a.overflowing_add(b);
    s + u32::from(carry)
}

/// The one's-complement sum of `bytes` as little-endian words, the last
/// one zero-padded.
fn sum_bytes(bytes: &[u8]) -> u32 {
    let head = words(bytes);
    let mut sum = sum_words(head);
    for chunk in bytes
        .get(head.len() * WORD..)
        .unwrap_or_default()
        .chunks(WORD)
    {
        let mut w = [0u8; WORD];
        for (d, s) in w.iter_mut().zip(chunk) {
            *d = *s;
        }
        sum = add(sum, u32::from_le_bytes(w));
    }
    sum
}

/// The one's-complement sum of `words` (32 bits, end-around carry). On
/// Thumb-2: four words per `LDM` and an `ADCS` chain, half an instruction
/// a byte (smoltcp's own loop takes ~1.7 on a Cortex-M3).
pub fn sum_words(words: &[u32]) -> u32 {
    #[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
    {
        // SAFETY: `words` is `len` readable words.
        unsafe { burst::sum(words.as_ptr(), words.len()) }
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "thumb2")))]
    {
        words.iter().fold(0, |s, &w| add(s, w))
    }
}

/// A driver's frame buffers, `N` bytes each: one received frame, one frame
/// being built for transmission. Put it in a `static` on a board (each
/// driver names its `N`: `lan9118::Buffers`, `stellaris_enet::Buffers`).
/// Word-aligned: the FIFOs are read and written a word at a time.
#[repr(C, align(4))]
pub struct Buffers<const N: usize> {
    /// The received frame.
    pub rx: [u8; N],
    /// The frame being built.
    pub tx: [u8; N],
}

impl<const N: usize> Buffers<N> {
    /// Zeroed buffers (usable in a `static`).
    pub const fn new() -> Self {
        Buffers {
            rx: [0; N],
            tx: [0; N],
        }
    }
}

impl<const N: usize> Default for Buffers<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// A received frame, lent to smoltcp.
pub struct RxToken<'a> {
    frame: &'a [u8],
}

impl<'a> RxToken<'a> {
    /// Lends `frame` (header to payload, no FCS).
    pub fn new(frame: &'a [u8]) -> Self {
        RxToken { frame }
    }
}

impl phy::RxToken for RxToken<'_> {
    fn consume<T, F>(self, f: F) -> T
    where
        F: FnOnce(&[u8]) -> T,
    {
        f(self.frame)
    }
}

/// How a frame smoltcp has built leaves the chip: a driver's borrow of its
/// registers and counters.
pub trait Transmit {
    /// Sends `frame` (header to payload; the MAC adds the FCS). A frame the
    /// chip cannot take is the driver's to drop and count.
    fn send(self, frame: &[u8]);
    /// smoltcp asked for more than the buffer (more than the MTU the device
    /// announced): the frame is built into what fits and dropped; count it.
    fn drop_oversized(self);
}

/// Room to build one frame in the driver's transmit buffer; sent through
/// `T` when consumed.
pub struct TxToken<'a, T: Transmit> {
    buf: &'a mut [u8],
    port: T,
}

impl<'a, T: Transmit> TxToken<'a, T> {
    /// A token that builds into `buf` and sends through `port`.
    pub fn new(buf: &'a mut [u8], port: T) -> Self {
        TxToken { buf, port }
    }
}

impl<T: Transmit> phy::TxToken for TxToken<'_, T> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let TxToken { buf, port } = self;
        // One call of `f` whatever happens (smoltcp's closures are large:
        // a second call site is a second copy in flash).
        let fits = len <= buf.len();
        let frame = buf.get_mut(..len.min(buf.len())).unwrap_or_default();
        let result = f(frame);
        if fits {
            port.send(frame);
        } else {
            port.drop_oversized();
        }
        result
    }
}

/// What the board kit's main loop needs of an Ethernet driver beyond
/// `phy::Device`.
pub trait Nic: Device {
    /// Frames wait in the receive FIFO (one poll took fewer than arrived):
    /// poll again before sleeping.
    fn rx_pending(&self) -> bool;
    /// Acknowledges the controller's interrupt causes, before the main loop
    /// drains them (a frame arriving later raises the interrupt again).
    fn ack_interrupts(&mut self);
    /// Lets the controller raise its interrupt line when a frame arrives.
    fn enable_interrupts(&mut self);
    /// Lets frames to the multicast MAC address `group` through the
    /// controller's address filter (the server's groups: mDNS's
    /// 01:00:5e:00:00:fb). Returns whether they now arrive; `false` when
    /// the controller cannot say or cannot pass them without taking every
    /// frame on the segment (the caller logs it: the responder then hears
    /// no queries).
    fn accept_multicast(&mut self, group: [u8; 6]) -> bool;
}

#[cfg(test)]
mod tests;
