//! The smoltcp `phy::Device` implementation (tokens from
//! `cuatro-driver-kit`) and the board kit's `Nic`.

use crate::chip::Chip;
use crate::{bump, Bus, MAX_BURST_FRAMES, MTU, W5500};
use cuatro_driver_kit::{Nic, RxToken, Transmit, TxToken};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// Where a frame smoltcp built goes: socket 0's TX buffer, with the
/// counters.
pub struct TxPort<'a, B: Bus> {
    chip: &'a mut Chip<B>,
}

impl<B: Bus> Transmit for TxPort<'_, B> {
    fn send(self, frame: &[u8]) {
        // Refuses (and counts) what is shorter than a header or over the MTU.
        self.chip.send(frame);
    }

    fn drop_oversized(self) {
        bump(&mut self.chip.stats.tx_dropped);
    }
}

impl<B: Bus> phy::Device for W5500<'_, B> {
    type RxToken<'a>
        = RxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a, TxPort<'a, B>>
    where
        Self: 'a;

    fn receive(&mut self, _timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let len = self.chip.receive(self.rx.as_mut_slice())?;
        let frame = self.rx.get(..len)?;
        let port = TxPort {
            chip: &mut self.chip,
        };
        Some((
            RxToken::new(frame),
            TxToken::new(self.tx.as_mut_slice(), port),
        ))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Self::TxToken<'_>> {
        // Always room: the previous frame's SEND_OK is waited for (bounded)
        // when this one is sent, after its SPI write.
        let port = TxPort {
            chip: &mut self.chip,
        };
        Some(TxToken::new(self.tx.as_mut_slice(), port))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MTU;
        caps.max_burst_size = Some(MAX_BURST_FRAMES);
        caps
    }
}

impl<B: Bus> Nic for W5500<'_, B> {
    fn rx_pending(&self) -> bool {
        W5500::rx_pending(self)
    }

    fn ack_interrupts(&mut self) {
        W5500::ack_interrupts(self);
    }

    fn enable_interrupts(&mut self) {
        W5500::enable_interrupts(self);
    }

    /// Socket 0's MAC filter (`Sn_MR` MFEN) passes only our unicast
    /// address and broadcast, and the chip has no multicast filter: the
    /// socket is opened again without it (every frame on the segment
    /// reaches the chip; the driver passes over other hosts' unicast after
    /// reading its 6-byte destination, [`Stats::rx_foreign`](crate::Stats)),
    /// and smoltcp drops the groups it has not joined.
    fn accept_multicast(&mut self, _group: [u8; 6]) -> bool {
        self.chip.receive_all()
    }
}
