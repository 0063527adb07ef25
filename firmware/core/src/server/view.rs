//! [`MemoryView`]: the server's memory as slices, the one form
//! [`Server`] runs on. Capacities are fixed where the memory is declared
//! (a board's `static` [`ServerMemory`], whose const generics are checked
//! at compile time) or chosen at run time by a host, which builds the
//! slices itself and has them checked by [`MemoryView::check`].

use super::*;

/// Borrowed memory for a [`Server`]. Every game socket gets
/// `rx.len() / slots.len()` bytes of receive buffer and
/// `tx.len() / slots.len()` of transmit buffer.
pub struct MemoryView<'a> {
    /// Socket-set slots: one per game socket, one for the upload socket
    /// (and one for DHCP with the `dhcp` feature).
    pub storage: &'a mut [SocketStorage<'a>],
    /// The game sockets' receive buffers, back to back.
    pub rx: &'a mut [u8],
    /// The game sockets' transmit buffers, back to back.
    pub tx: &'a mut [u8],
    /// One per game socket ([`Slot::EMPTY`]).
    pub slots: &'a mut [Slot],
    /// Game sessions (`None`).
    pub sessions: &'a mut [Option<Session>],
    /// Where a reply is built ([`REPLY_CAPACITY`] bytes at least).
    pub scratch: &'a mut [u8],
    /// The CPU's search scratch ([`crate::cpu::Search`]): one for every
    /// session (one search runs at a time).
    pub search: &'a mut crate::cpu::Search,
    /// Player vs player: the queue and the matches ([`crate::pvp`]).
    pub pvp: &'a mut crate::pvp::Matchmaker,
    /// The upload socket's receive buffer (its TCP window).
    pub upload_rx: &'a mut [u8],
    /// The upload socket's transmit buffer ([`UPLOAD_TX_BUFFER`] at least).
    pub upload_tx: &'a mut [u8],
    /// The middleware's state.
    pub guard: &'a mut Guard,
    /// The mDNS responder's UDP buffers (nothing without the `mdns`
    /// feature).
    pub mdns: &'a mut crate::mdns::MdnsMemory,
}

/// Why a [`MemoryView`] cannot carry the server; each names its minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryError {
    /// No game socket, or fewer sockets than sessions.
    Sockets {
        /// Game sockets offered.
        sockets: usize,
        /// Sessions offered (at least 1; at most one per socket).
        sessions: usize,
    },
    /// Not `sockets + 1` (+ 1 with DHCP) socket-set slots.
    Storage {
        /// Slots offered.
        have: usize,
        /// Slots needed.
        need: usize,
    },
    /// A game socket's transmit buffer cannot carry the largest reply
    /// frame in one piece.
    TxBuffer {
        /// Bytes per socket offered.
        have: usize,
        /// The largest reply frame ([`session::reply_bound`]).
        need: usize,
    },
    /// A game socket's receive buffer is empty.
    RxBuffer,
    /// The reply scratch is smaller than [`REPLY_CAPACITY`].
    Scratch {
        /// Bytes offered.
        have: usize,
    },
    /// The upload socket's buffers: an empty window, or no room for its
    /// reply ([`UPLOAD_TX_BUFFER`]).
    Upload,
}

impl core::fmt::Display for MemoryError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            MemoryError::Sockets { sockets, sessions } => write!(
                f,
                "{sessions} sessions over {sockets} sockets: need at least 1 session and a socket for each"
            ),
            MemoryError::Storage { have, need } => {
                write!(f, "{have} socket-set slots, need {need}")
            }
            MemoryError::TxBuffer { have, need } => write!(
                f,
                "a {have}-byte transmit buffer cannot carry the largest reply: at least {need} bytes"
            ),
            MemoryError::RxBuffer => f.write_str("the receive buffer must be at least 1 byte"),
            MemoryError::Scratch { have } => {
                write!(f, "a {have}-byte reply scratch, need {REPLY_CAPACITY}")
            }
            MemoryError::Upload => write!(
                f,
                "the upload buffers: at least 1 byte of window and {UPLOAD_TX_BUFFER} bytes to send"
            ),
        }
    }
}

impl MemoryView<'_> {
    /// Game sockets.
    pub fn sockets(&self) -> usize {
        self.slots.len()
    }

    /// Receive buffer per game socket.
    pub fn rx_per_socket(&self) -> usize {
        self.rx.len().checked_div(self.slots.len()).unwrap_or(0)
    }

    /// Transmit buffer per game socket.
    pub fn tx_per_socket(&self) -> usize {
        self.tx.len().checked_div(self.slots.len()).unwrap_or(0)
    }

    /// Checks that the server can run on this memory: every socket can
    /// carry the largest reply of either codec, every slot has a socket.
    #[inline]
    pub fn check(&self) -> Result<(), MemoryError> {
        let (sockets, sessions) = (self.slots.len(), self.sessions.len());
        if sockets == 0 || sessions == 0 || sessions > sockets {
            return Err(MemoryError::Sockets { sockets, sessions });
        }
        let need = sockets + UPLOAD_SOCKETS + DHCP_SOCKETS + MDNS_SOCKETS;
        if self.storage.len() != need {
            let have = self.storage.len();
            return Err(MemoryError::Storage { have, need });
        }
        let need = reply_bound(Codec::Classic).max(reply_bound(Codec::Compact));
        if self.tx_per_socket() < need {
            let have = self.tx_per_socket();
            return Err(MemoryError::TxBuffer { have, need });
        }
        if self.rx_per_socket() == 0 {
            return Err(MemoryError::RxBuffer);
        }
        if self.scratch.len() < REPLY_CAPACITY {
            let have = self.scratch.len();
            return Err(MemoryError::Scratch { have });
        }
        if self.upload_rx.is_empty() || self.upload_tx.len() < UPLOAD_TX_BUFFER {
            return Err(MemoryError::Upload);
        }
        Ok(())
    }
}

impl<
        'a,
        const SE: usize,
        const SO: usize,
        const RX: usize,
        const TX: usize,
        const ST: usize,
        const URX: usize,
    > From<&'a mut ServerMemory<'a, SE, SO, RX, TX, ST, URX>> for MemoryView<'a>
{
    fn from(m: &'a mut ServerMemory<'a, SE, SO, RX, TX, ST, URX>) -> Self {
        MemoryView {
            storage: &mut m.storage[..],
            rx: m.rx.as_flattened_mut(),
            tx: m.tx.as_flattened_mut(),
            slots: &mut m.slots[..],
            sessions: &mut m.sessions[..],
            scratch: &mut m.scratch[..],
            search: &mut m.search,
            pvp: &mut m.pvp,
            upload_rx: &mut m.upload_rx[..],
            upload_tx: &mut m.upload_tx[..],
            guard: &mut m.guard,
            mdns: &mut m.mdns,
        }
    }
}
