//! What the driver counts.

/// Frame counters since start (wrapping).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames handed to smoltcp.
    pub rx_frames: u32,
    /// Frames dropped: shorter than an Ethernet header.
    pub rx_too_short: u32,
    /// Frames dropped: longer than [`MTU`](crate::MTU) (+ CRC), e.g. VLAN-tagged.
    pub rx_too_long: u32,
    /// Length fields no frame can have: the RX FIFO was out of step and
    /// was reset (whatever it held is lost).
    pub rx_bad_length: u32,
    /// RX FIFO overruns (FOV) seen when acknowledging interrupts; each lost
    /// one frame or more.
    pub rx_overruns: u32,
    /// Receive errors (RXER) seen when acknowledging interrupts.
    pub rx_errors: u32,
    /// TCP segments dropped for a bad checksum (the driver checks them:
    /// [`cuatro_driver_kit::tcp_checksum_ok`]).
    pub rx_bad_checksum: u32,
    /// Frames pushed into the TX FIFO.
    pub tx_frames: u32,
    /// Frames not sent: shorter than a header, longer than [`MTU`](crate::MTU), or the
    /// transmitter stayed busy.
    pub tx_dropped: u32,
    /// Transmit errors (TXER) seen when acknowledging interrupts.
    pub tx_errors: u32,
}

impl Stats {
    /// Every frame received and not handed up that the driver knows of.
    pub fn rx_dropped(&self) -> u32 {
        self.rx_too_short
            .wrapping_add(self.rx_too_long)
            .wrapping_add(self.rx_bad_length)
            .wrapping_add(self.rx_overruns)
            .wrapping_add(self.rx_errors)
            .wrapping_add(self.rx_bad_checksum)
    }
}

pub(crate) fn bump(counter: &mut u32) {
    *counter = counter.wrapping_add(1);
}
