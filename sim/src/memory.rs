//! The board's memory, sized at run time: a [`Budget`] (sessions, sockets,
//! buffers) and the [`HostMemory`] that holds it, lent to the server as a
//! [`MemoryView`]. The firmware's sizes are the [`Budget::MCU`] preset.

use cuatro_core::cpu::Search;
use cuatro_core::guard::Guard;
use cuatro_core::mdns::MdnsMemory;
use cuatro_core::pvp::Matchmaker;
use cuatro_core::server::{
    MemoryError, MemoryView, Slot, DHCP_SOCKETS, MDNS_SOCKETS, RX_BUFFER, SESSIONS, SOCKETS,
    TX_BUFFER, UPLOAD_RX_BUFFER, UPLOAD_SOCKETS, UPLOAD_TX_BUFFER,
};
use cuatro_core::session::{Session, REPLY_CAPACITY};
use smoltcp::iface::SocketStorage;

/// How much memory the simulated board has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Game sessions.
    pub sessions: usize,
    /// Game sockets (sessions plus spare listeners).
    pub sockets: usize,
    /// Receive buffer per game socket, bytes.
    pub rx_buffer: usize,
    /// Transmit buffer per game socket, bytes.
    pub tx_buffer: usize,
    /// The upload socket's receive buffer (its window), bytes.
    pub upload_buffer: usize,
}

impl Budget {
    /// The firmware's sizes (`cuatro_core::server` constants): 4 sessions,
    /// 6 game sockets of 1 KiB + 1 KiB, a 4 KiB upload window.
    pub const MCU: Budget = Budget {
        sessions: SESSIONS,
        sockets: SOCKETS,
        rx_buffer: RX_BUFFER,
        tx_buffer: TX_BUFFER,
        upload_buffer: UPLOAD_RX_BUFFER,
    };

    /// Host-sized, for benchmarks against the kernel's stack: 64 sessions,
    /// 66 game sockets of 4 KiB + 4 KiB, a 256 KiB upload window.
    pub const HOST: Budget = Budget {
        sessions: 64,
        sockets: 66,
        rx_buffer: 4096,
        tx_buffer: 4096,
        upload_buffer: 256 * 1024,
    };

    /// Whether the server can run on this budget; the error names the
    /// minimum that is missing.
    pub fn check(&self) -> Result<(), MemoryError> {
        HostMemory::new(self).view().check()
    }

    /// Bytes the budget takes, as the board would hold them.
    pub fn bytes(&self) -> usize {
        let sockets = self.sockets + UPLOAD_SOCKETS + DHCP_SOCKETS + MDNS_SOCKETS;
        sockets * std::mem::size_of::<SocketStorage<'_>>()
            + self.sockets * (self.rx_buffer + self.tx_buffer + std::mem::size_of::<Slot>())
            + self.sessions * std::mem::size_of::<Option<Session>>()
            + REPLY_CAPACITY
            + self.upload_buffer
            + UPLOAD_TX_BUFFER
            + std::mem::size_of::<Guard>()
            + std::mem::size_of::<Search>()
            + std::mem::size_of::<Matchmaker>()
            + std::mem::size_of::<MdnsMemory>()
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::MCU
    }
}

/// Memory presets of `cuatro-sim --buffers`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Buffers {
    /// [`Budget::MCU`].
    #[default]
    Mcu,
    /// [`Budget::HOST`].
    Host,
}

impl Buffers {
    /// The preset's budget.
    pub const fn budget(self) -> Budget {
        match self {
            Buffers::Mcu => Budget::MCU,
            Buffers::Host => Budget::HOST,
        }
    }
}

/// The memory of a [`Budget`], on the heap.
pub struct HostMemory<'a> {
    storage: Vec<SocketStorage<'a>>,
    rx: Vec<u8>,
    tx: Vec<u8>,
    slots: Vec<Slot>,
    sessions: Vec<Option<Session>>,
    scratch: Vec<u8>,
    search: Box<Search>,
    pvp: Box<Matchmaker>,
    upload_rx: Vec<u8>,
    upload_tx: Vec<u8>,
    guard: Box<Guard>,
    mdns: Box<MdnsMemory>,
}

impl<'a> HostMemory<'a> {
    /// Zeroed memory for `budget`.
    pub fn new(budget: &Budget) -> HostMemory<'a> {
        let sockets = budget.sockets + UPLOAD_SOCKETS + DHCP_SOCKETS + MDNS_SOCKETS;
        HostMemory {
            storage: (0..sockets).map(|_| SocketStorage::EMPTY).collect(),
            rx: vec![0; budget.sockets * budget.rx_buffer],
            tx: vec![0; budget.sockets * budget.tx_buffer],
            slots: vec![Slot::EMPTY; budget.sockets],
            sessions: (0..budget.sessions).map(|_| None).collect(),
            scratch: vec![0; REPLY_CAPACITY],
            search: Box::new(Search::new()),
            pvp: Box::new(Matchmaker::new()),
            upload_rx: vec![0; budget.upload_buffer],
            upload_tx: vec![0; UPLOAD_TX_BUFFER],
            guard: Box::new(Guard::new()),
            mdns: Box::new(MdnsMemory::new()),
        }
    }

    /// The memory, lent to a server.
    pub fn view(&'a mut self) -> MemoryView<'a> {
        MemoryView {
            storage: &mut self.storage,
            rx: &mut self.rx,
            tx: &mut self.tx,
            slots: &mut self.slots,
            sessions: &mut self.sessions,
            scratch: &mut self.scratch,
            search: &mut self.search,
            pvp: &mut self.pvp,
            upload_rx: &mut self.upload_rx,
            upload_tx: &mut self.upload_tx,
            guard: &mut self.guard,
            mdns: &mut self.mdns,
        }
    }
}
