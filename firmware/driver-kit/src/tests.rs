//! The tokens' contract: a built frame goes out whole and once; an
//! oversized request is built into the buffer and dropped.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

extern crate std;

use super::*;
use smoltcp::phy::{RxToken as _, TxToken as _};
use std::cell::RefCell;
use std::vec::Vec;

#[derive(Default)]
struct Wire {
    sent: Vec<Vec<u8>>,
    dropped: usize,
}

struct Port<'a>(&'a RefCell<Wire>);

impl Transmit for Port<'_> {
    fn send(self, frame: &[u8]) {
        self.0.borrow_mut().sent.push(frame.to_vec());
    }
    fn drop_oversized(self) {
        self.0.borrow_mut().dropped += 1;
    }
}

#[test]
fn a_built_frame_is_sent_once_with_its_length() {
    let wire = RefCell::new(Wire::default());
    let mut buf = [0u8; 64];
    let out = TxToken::new(&mut buf, Port(&wire)).consume(17, |f| {
        assert_eq!(f.len(), 17);
        f.fill(0xab);
        7
    });
    assert_eq!(out, 7);
    let w = wire.borrow();
    assert_eq!(w.sent, [std::vec![0xab; 17]]);
    assert_eq!(w.dropped, 0);
}

#[test]
fn an_oversized_frame_is_built_into_the_buffer_and_dropped() {
    let wire = RefCell::new(Wire::default());
    let mut buf = [0u8; 16];
    let seen = TxToken::new(&mut buf, Port(&wire)).consume(17, |f| f.len());
    assert_eq!(seen, 16);
    let w = wire.borrow();
    assert!(w.sent.is_empty());
    assert_eq!(w.dropped, 1);
}

#[test]
fn a_received_frame_is_lent_as_is() {
    let frame = [1u8, 2, 3];
    assert_eq!(RxToken::new(&frame).consume(|f| f.to_vec()), [1, 2, 3]);
}

#[test]
fn mmio_reads_and_writes_the_word_at_base_plus_offset() {
    let mut words = [0u32; 4];
    let base = words.as_mut_ptr() as usize;
    // SAFETY (test): the block is `words`, and only this value touches it.
    let mut regs = unsafe { Mmio::new(base) };
    regs.write(8, 0x1234_5678);
    assert_eq!(regs.read(8), 0x1234_5678);
    assert_eq!(regs.read(4), 0);
    assert_eq!(words[2], 0x1234_5678);
}

/// A FIFO port: every read pops the next word, every write pushes one,
/// whatever the offset (the aliasing the burst methods rely on).
struct FifoRegs {
    rx: RefCell<std::collections::VecDeque<u32>>,
    reads: RefCell<Vec<u32>>,
    tx: Vec<(u32, u32)>,
}

impl Regs for FifoRegs {
    fn read(&self, off: u32) -> u32 {
        self.reads.borrow_mut().push(off);
        self.rx.borrow_mut().pop_front().unwrap_or(0xdead_beef)
    }
    fn write(&mut self, off: u32, v: u32) {
        self.tx.push((off, v));
    }
}

#[test]
fn fifo_defaults_move_every_word_in_order_through_the_port() {
    for n in [0usize, 1, 7, 8, 9, 16, 17, 379] {
        let mut regs = FifoRegs {
            rx: RefCell::new((0..n as u32).map(|i| i * 3 + 1).collect()),
            reads: RefCell::new(Vec::new()),
            tx: Vec::new(),
        };
        let mut buf = std::vec![0u32; n + 1];
        regs.read_fifo(0x10, &mut buf[..n]);
        assert_eq!(
            &buf[..n],
            &(0..n as u32).map(|i| i * 3 + 1).collect::<Vec<_>>()[..]
        );
        assert_eq!(buf[n], 0, "nothing past the slice");
        assert!(regs.reads.borrow().iter().all(|&o| o == 0x10));
        regs.rx = RefCell::new((0..n as u32).collect());
        regs.read_port(0x04, &mut buf[..n]);
        assert_eq!(&buf[..n], &(0..n as u32).collect::<Vec<_>>()[..]);
        let words: Vec<u32> = (0..n as u32).map(|i| !i).collect();
        regs.write_fifo(0x20, &words);
        assert_eq!(
            regs.tx,
            words.iter().map(|&w| (0x20, w)).collect::<Vec<_>>()
        );
    }
}

#[test]
fn word_views_of_byte_buffers() {
    let mut b = Buffers::<16>::new();
    b.rx[4] = 0x78;
    b.rx[5] = 0x56;
    b.rx[6] = 0x34;
    b.rx[7] = 0x12;
    assert_eq!(words_mut(&mut b.rx).len(), 4);
    assert_eq!(
        words(&b.rx)[1],
        u32::from_le_bytes([0x78, 0x56, 0x34, 0x12])
    );
    // A slice that does not start on a word boundary has no word view.
    assert!(words(&b.rx[1..]).is_empty());
    assert!(words_mut(&mut b.tx[2..]).is_empty());
    // One that does: its whole words (the tail bytes are not a word).
    assert_eq!(words(&b.rx[4..15]).len(), 2);
}
