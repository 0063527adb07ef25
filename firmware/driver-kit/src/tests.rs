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
