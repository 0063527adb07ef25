//! `stellaris_rx`: the Stellaris (LM3S6965) Ethernet driver's receive and
//! transmit paths over a register file that, once the MAC is up, reads
//! back whatever the fuzzer says: MACNP, FIFO words (length fields
//! included), MACTR, MACRIS, the MII registers.
//!
//! Invariants: no panic and no hang (every loop of the driver is bounded
//! whatever the chip reads); the RX FIFO is popped only after MACNP said it
//! holds a frame, and at most one FIFO's worth of words per frame; a frame
//! handed up is between the Ethernet minimum and the MTU and is the bytes
//! the FIFO gave, without length field and FCS; after every call the
//! receiver is on with RSTFIFO clear, and every RSTFIFO write has the
//! receiver off; every frame pushed into the TX FIFO is well-formed (a
//! length word within MIN_FRAME..=MTU, exactly that many words, then
//! NEWTX).

use crate::words::Words;
use smoltcp::phy::{Device, RxToken as _, TxToken as _};
use smoltcp::time::Instant;
use std::cell::RefCell;
use stellaris_enet::{bits, reg, Buffers, Regs, Stellaris, MIN_FRAME, MTU, RX_FIFO_BYTES};

/// Most driver calls made from one input.
const MAX_CALLS: usize = 64;
/// `MACRCTL` while running: receiver on, multicast, bad-CRC rejection.
const RCTL_UP: u32 = bits::RCTL_RXEN | bits::RCTL_AMUL | bits::RCTL_BADCRC;

/// A register file: healthy during `Stellaris::new`, the fuzzer's
/// afterwards; it watches what the driver does.
struct Script<'d> {
    words: Words<'d>,
    up: bool,
    tctl: u32,
    /// The last MACNP value read, masked.
    np: u32,
    /// The FIFO words read since the last MACNP read, as bytes.
    image: Vec<u8>,
    /// The last MACRCTL write.
    rctl: u32,
    /// The TX frame being written: words expected, words written.
    tx: Option<(usize, usize)>,
}

/// Interior mutability: `Regs::read` takes `&self`.
struct Fuzzed<'d>(RefCell<Script<'d>>);

impl Regs for Fuzzed<'_> {
    fn read(&self, off: u32) -> u32 {
        let mut s = self.0.borrow_mut();
        if !s.up {
            // What a healthy MAC reads while the driver brings it up.
            return if off == reg::TCTL { s.tctl } else { 0 };
        }
        let v = s.words.next_word();
        match off {
            reg::NP => {
                s.np = v & bits::NP_MASK;
                s.image.clear();
            }
            reg::DATA => {
                assert!(s.np != 0, "RX FIFO popped while MACNP said empty");
                s.image.extend_from_slice(&v.to_le_bytes());
                assert!(
                    s.image.len() <= RX_FIFO_BYTES,
                    "more words popped for one frame than the FIFO holds"
                );
            }
            _ => {}
        }
        v
    }

    fn write(&mut self, off: u32, v: u32) {
        let mut s = self.0.borrow_mut();
        match off {
            reg::TCTL => s.tctl = v,
            reg::RCTL => {
                assert!(
                    v & bits::RCTL_RSTFIFO == 0 || v & bits::RCTL_RXEN == 0,
                    "RX FIFO reset with the receiver on"
                );
                s.rctl = v;
            }
            reg::DATA => match s.tx.as_mut() {
                None => {
                    let len = (v & bits::LEN_MASK) as usize + MIN_FRAME;
                    assert!(len <= MTU, "length word for a {len}-byte frame");
                    s.tx = Some(((len + 2).div_ceil(4), 1));
                }
                Some((expected, written)) => {
                    *written += 1;
                    assert!(
                        *written <= *expected,
                        "TX frame longer than its length word"
                    );
                }
            },
            reg::TR => {
                assert_eq!(v, bits::TR_NEWTX);
                let frame = s.tx.take();
                assert!(
                    matches!(frame, Some((e, w)) if e == w),
                    "NEWTX after {frame:?} (words expected, written)"
                );
            }
            _ => {}
        }
    }
}

/// The target.
pub fn fuzz(data: &[u8]) {
    let Some((&plan, words)) = data.split_first() else {
        return;
    };
    let regs = Fuzzed(RefCell::new(Script {
        words: Words::new(words),
        up: false,
        tctl: 0,
        np: 0,
        image: Vec::new(),
        rctl: 0,
        tx: None,
    }));
    let mut buffers = Buffers::new();
    let Ok(mut nic) = Stellaris::new(regs, &mut buffers) else {
        panic!("a healthy MAC did not come up");
    };
    assert_eq!(nic.regs().0.borrow().rctl, RCTL_UP);
    nic.regs().0.borrow_mut().up = true;
    let now = Instant::ZERO;
    for call in 0..MAX_CALLS {
        let op = plan.rotate_left(call as u32 % 8) & 7;
        match op {
            0..=2 => {
                if let Some(len) = nic.receive_frame() {
                    assert!(
                        (MIN_FRAME..=MTU).contains(&len),
                        "frame of {len} bytes handed up"
                    );
                    let s = nic.regs().0.borrow();
                    let fifo = s.image.get(2..2 + len).expect("the frame's words popped");
                    assert_eq!(nic.rx_frame(len), Some(fifo), "not the FIFO's bytes");
                }
            }
            3 => {
                if let Some((rx, tx)) = nic.receive(now) {
                    let len = rx.consume(|frame| {
                        assert!((MIN_FRAME..=MTU).contains(&frame.len()));
                        frame.len()
                    });
                    tx.consume(len, |buf| buf.fill(0xa5));
                }
            }
            4 => {
                let len = 14 + usize::from(plan) * 6;
                if let Some(tx) = nic.transmit(now) {
                    tx.consume(len, |buf| buf.fill(0x5a));
                }
            }
            5 => {
                let len = usize::from(plan.wrapping_mul(call as u8)) * 7;
                let frame = vec![0x3c; len];
                nic.send_frame(&frame);
            }
            6 => {
                let _ = nic.link_up();
            }
            _ => {
                let _ = nic.ack_interrupts();
                nic.enable_interrupts();
            }
        }
        let s = nic.regs().0.borrow();
        assert_eq!(s.rctl, RCTL_UP, "receiver left off or RSTFIFO left set");
        assert!(s.tx.is_none(), "a TX frame left half-written");
        let done = s.words.is_empty() && call > 8;
        drop(s);
        let _ = nic.rx_pending();
        if done {
            break;
        }
    }
}
