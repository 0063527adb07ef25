//! The smoltcp `phy::Device` implementation (tokens from
//! `cuatro-driver-kit`) and the board kit's `Nic`.

use crate::tx::{tx_frame, tx_idle};
use crate::{bump, Regs, Stats, Stellaris, LEN_FIELD, MTU};
use cuatro_driver_kit::{Nic, RxToken, Transmit, TxToken};
use smoltcp::phy::{self, Checksum, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// Where a frame smoltcp built goes: the MAC's TX FIFO, with the counters.
pub struct TxPort<'a, R: Regs> {
    regs: &'a mut R,
    stats: &'a mut Stats,
}

impl<R: Regs> Transmit for TxPort<'_, R> {
    fn send(self, frame: &[u8]) {
        // Refuses (and counts) what is over the MTU.
        tx_frame(self.regs, frame, self.stats);
    }

    fn drop_oversized(self) {
        bump(&mut self.stats.tx_dropped);
    }
}

impl<R: Regs> phy::Device for Stellaris<'_, R> {
    type RxToken<'a>
        = RxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a, TxPort<'a, R>>
    where
        Self: 'a;

    fn receive(&mut self, _timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let len = self.receive_frame()?;
        let frame = self.rx.get(LEN_FIELD..LEN_FIELD + len)?;
        let port = TxPort {
            regs: &mut self.regs,
            stats: &mut self.stats,
        };
        Some((
            RxToken::new(frame),
            TxToken::new(self.tx.as_mut_slice(), port),
        ))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Self::TxToken<'_>> {
        // The previous frame still going out: let smoltcp keep this one and
        // retry later.
        if !tx_idle(&self.regs) {
            return None;
        }
        let port = TxPort {
            regs: &mut self.regs,
            stats: &mut self.stats,
        };
        Some(TxToken::new(self.tx.as_mut_slice(), port))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MTU;
        caps.max_burst_size = Some(self.max_burst);
        // Received TCP checksums are checked in receive_frame; smoltcp
        // computes them on transmit.
        caps.checksum.tcp = Checksum::Tx;
        caps
    }
}

impl<R: Regs> Nic for Stellaris<'_, R> {
    fn rx_pending(&self) -> bool {
        Stellaris::rx_pending(self)
    }

    fn ack_interrupts(&mut self) {
        Stellaris::ack_interrupts(self);
    }

    fn enable_interrupts(&mut self) {
        Stellaris::enable_interrupts(self);
    }

    /// Nothing to program: the receiver runs with `MACRCTL` AMUL (every
    /// multicast frame passes; the MAC has no per-group filter), and
    /// smoltcp drops groups the interface did not join.
    fn accept_multicast(&mut self, group: [u8; 6]) -> bool {
        group[0] & 1 == 1
    }
}
