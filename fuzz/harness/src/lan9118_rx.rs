//! `lan9118_rx`: the LAN9118 driver's receive and transmit paths over a
//! register file that, once the chip is up, reads back whatever the
//! fuzzer says: FIFO levels, status words, data words, interrupt bits.
//!
//! Invariants: no panic and no hang (every loop of the driver is bounded
//! whatever the chip reads); a frame handed up has a length between the
//! Ethernet minimum and the MTU and fits the frame buffer.

use crate::words::Words;
use lan9118::{bits, reg, Buffers, Lan9118, Regs, FRAME_BUFFER, MIN_FRAME, MTU};
use smoltcp::phy::{Device, RxToken as _, TxToken as _};
use smoltcp::time::Instant;

/// Most driver calls made from one input.
const MAX_CALLS: usize = 64;

/// A register file: healthy during `Lan9118::new`, the fuzzer's afterwards.
struct Script<'d> {
    words: Words<'d>,
    up: bool,
}

/// Interior mutability: `Regs::read` takes `&self`.
struct Fuzzed<'d>(std::cell::RefCell<Script<'d>>);

impl Regs for Fuzzed<'_> {
    fn read(&self, off: u32) -> u32 {
        let mut s = self.0.borrow_mut();
        if !s.up {
            // What a healthy chip reads while the driver brings it up.
            return match off {
                reg::BYTE_TEST => bits::BYTE_TEST_VALUE,
                reg::PMT_CTRL => bits::PMT_CTRL_READY,
                reg::TX_FIFO_INF => 4608,
                _ => 0,
            };
        }
        s.words.next_word()
    }

    fn write(&mut self, _off: u32, _v: u32) {}
}

/// The target.
pub fn fuzz(data: &[u8]) {
    let Some((&plan, words)) = data.split_first() else {
        return;
    };
    let regs = Fuzzed(std::cell::RefCell::new(Script {
        words: Words::new(words),
        up: false,
    }));
    let mut buffers = Buffers::new();
    let Ok(mut nic) = Lan9118::new(regs, &mut buffers) else {
        panic!("a healthy chip did not come up");
    };
    nic.regs().0.borrow_mut().up = true;
    let now = Instant::ZERO;
    for call in 0..MAX_CALLS {
        match (plan.rotate_left(call as u32 % 8)) & 3 {
            0 | 1 => {
                if let Some(len) = nic.receive_frame() {
                    assert!(
                        (MIN_FRAME..=MTU).contains(&len),
                        "frame of {len} bytes handed up"
                    );
                    assert!(len <= FRAME_BUFFER);
                    assert_eq!(nic.rx_frame(len).map(<[u8]>::len), Some(len));
                }
            }
            2 => {
                if let Some((rx, _tx)) = nic.receive(now) {
                    rx.consume(|frame| {
                        assert!((MIN_FRAME..=MTU).contains(&frame.len()));
                    });
                }
            }
            _ => {
                let len = 14 + usize::from(plan) * 6;
                if let Some(tx) = nic.transmit(now) {
                    tx.consume(len, |buf| buf.fill(0x5a));
                }
                nic.drain_tx_status();
            }
        }
        let _ = nic.rx_pending();
        let _ = nic.ack_interrupts();
        if nic.regs().0.borrow().words.is_empty() && call > 8 {
            break;
        }
    }
}
