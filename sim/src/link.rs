//! An in-memory Ethernet link: two [`Port`]s, each a `smoltcp::phy::Device`.
//!
//! Frames a port transmits are queued for the other port to receive, in
//! order, without loss. Both ends live in one thread (the simulator's loop).

use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Largest Ethernet frame the link carries (1500-byte MTU + 14-byte header).
pub const FRAME_MAX: usize = 1514;

type Queue = Rc<RefCell<VecDeque<Vec<u8>>>>;

/// One end of the link.
pub struct Port {
    rx: Queue,
    tx: Queue,
    mtu: usize,
}

/// A new link; frames sent on one port arrive at the other.
pub fn pair() -> (Port, Port) {
    let a: Queue = Rc::default();
    let b: Queue = Rc::default();
    (
        Port {
            rx: a.clone(),
            tx: b.clone(),
            mtu: FRAME_MAX,
        },
        Port {
            rx: b,
            tx: a,
            mtu: FRAME_MAX,
        },
    )
}

impl Port {
    /// Whether frames wait to be received on this port.
    pub fn has_pending(&self) -> bool {
        !self.rx.borrow().is_empty()
    }
}

/// Receive token: one frame taken off the queue.
pub struct RxToken(Vec<u8>);

/// Transmit token: appends one frame to the peer's queue.
pub struct TxToken(Queue);

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for TxToken {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0u8; len];
        let r = f(&mut frame);
        self.0.borrow_mut().push_back(frame);
        r
    }
}

impl Device for Port {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken;

    fn receive(&mut self, _timestamp: Instant) -> Option<(RxToken, TxToken)> {
        let frame = self.rx.borrow_mut().pop_front()?;
        Some((RxToken(frame), TxToken(self.tx.clone())))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<TxToken> {
        Some(TxToken(self.tx.clone()))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = self.mtu;
        caps
    }
}
