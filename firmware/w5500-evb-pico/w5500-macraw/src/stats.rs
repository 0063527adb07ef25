//! What the driver counts.

/// Counters since start (wrapping).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames handed to smoltcp.
    pub rx_frames: u32,
    /// Unicast frames to other MACs passed over unread, once socket 0 runs
    /// without the chip's MAC filter (multicast asked for through the `Nic` trait).
    pub rx_foreign: u32,
    /// Times the RX buffer was found out of step (a length no frame can
    /// have, `Sn_RX_RSR` over the buffer) and socket 0 was reopened; what
    /// the buffer held is lost.
    pub rx_resyncs: u32,
    /// Frames handed to the chip (`SEND` issued).
    pub tx_frames: u32,
    /// Frames not sent: shorter than a header, longer than
    /// [`MTU`](crate::MTU), or no room in the TX buffer.
    pub tx_dropped: u32,
    /// Times the previous frame's `SEND_OK` never came
    /// ([`SEND_POLLS`](crate::SEND_POLLS)) and socket 0 was reopened.
    pub tx_timeouts: u32,
    /// Commands the chip did not take ([`COMMAND_POLLS`](crate::COMMAND_POLLS));
    /// socket 0 was reopened.
    pub command_timeouts: u32,
    /// Size registers that did not read the same twice in a row
    /// ([`STABLE_READS`](crate::STABLE_READS)); the operation was retried later.
    pub unstable_reads: u32,
    /// Reopenings of socket 0 that failed (it did not reach `SOCK_MACRAW`).
    pub reopen_failures: u32,
    /// SPI transactions that reported an error.
    pub bus_errors: u32,
}

pub(crate) fn bump(counter: &mut u32) {
    *counter = counter.wrapping_add(1);
}
