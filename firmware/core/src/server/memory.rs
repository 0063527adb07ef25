//! [`ServerMemory`]: every byte the server needs beyond its own struct.

use super::*;

/// Every byte the server needs beyond its own struct, with capacities as
/// const generics. Put it in a `static` on a board.
///
/// - `SESSIONS_N` game sessions (default [`SESSIONS`]);
/// - `SOCKETS_N` game sockets (default [`SOCKETS`]), each with `RX` and `TX`
///   bytes of buffers (defaults [`RX_BUFFER`], [`TX_BUFFER`]);
/// - `STORAGE_N` socket-set slots: must be `SOCKETS_N + 1` (the upload
///   socket; default [`SOCKET_STORAGE`]);
/// - `UPLOAD_RX` bytes of upload receive buffer (default [`UPLOAD_RX_BUFFER`]).
pub struct ServerMemory<
    'a,
    const SESSIONS_N: usize = SESSIONS,
    const SOCKETS_N: usize = SOCKETS,
    const RX: usize = RX_BUFFER,
    const TX: usize = TX_BUFFER,
    const STORAGE_N: usize = SOCKET_STORAGE,
    const UPLOAD_RX: usize = UPLOAD_RX_BUFFER,
> {
    pub(super) storage: [SocketStorage<'a>; STORAGE_N],
    pub(super) rx: [[u8; RX]; SOCKETS_N],
    pub(super) tx: [[u8; TX]; SOCKETS_N],
    pub(super) slots: [Slot; SOCKETS_N],
    pub(super) sessions: [Option<Session>; SESSIONS_N],
    pub(super) scratch: [u8; REPLY_CAPACITY],
    /// The CPU's search scratch: one for every session.
    pub(super) search: Search,
    /// Player vs player: the queue and the matches ([`crate::pvp`]).
    pub(super) pvp: Matchmaker,
    pub(super) upload_rx: [u8; UPLOAD_RX],
    pub(super) upload_tx: [u8; UPLOAD_TX_BUFFER],
    pub(super) guard: Guard,
    /// The mDNS responder's UDP buffers (`mdns` feature).
    pub(super) mdns: crate::mdns::MdnsMemory,
}

impl<
        'a,
        const SE: usize,
        const SO: usize,
        const RX: usize,
        const TX: usize,
        const ST: usize,
        const URX: usize,
    > Default for ServerMemory<'a, SE, SO, RX, TX, ST, URX>
{
    fn default() -> Self {
        Self::new()
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
    > ServerMemory<'a, SE, SO, RX, TX, ST, URX>
{
    /// Initializes the memory in place and returns it, ready for
    /// [`Server::new`].
    ///
    /// For a board: a `static` built by [`ServerMemory::new`] carries its
    /// whole initial image in flash (`.data`), because a few of its bytes
    /// (empty-socket and no-session markers) are not zero. A
    /// `static mut M: MaybeUninit<ServerMemory> = MaybeUninit::uninit()`
    /// lives in `.bss` instead, costing no flash, and this fills it at boot
    /// without building the value on the stack.
    pub fn init(slot: &'a mut MaybeUninit<Self>) -> &'a mut Self {
        let p = slot.as_mut_ptr();
        // SAFETY: `p` comes from a `&mut MaybeUninit<Self>`, so it is valid
        // and aligned for writes of one `Self`. After `write_bytes`, every
        // byte array (buffers, scratch) holds zeros, a valid value (so does
        // the search scratch: an empty table, the default budget); every
        // other field (socket storage, slots, sessions, guard, matchmaker) is then written with
        // a valid value through raw pointers to its elements, which stay
        // inside their arrays (`i` < the array's length). So `slot` is fully
        // initialised before `assume_init_mut`.
        unsafe {
            core::ptr::write_bytes(p, 0, 1);
            let storage = core::ptr::addr_of_mut!((*p).storage).cast::<SocketStorage<'a>>();
            for i in 0..ST {
                storage.add(i).write(SocketStorage::EMPTY);
            }
            let slots = core::ptr::addr_of_mut!((*p).slots).cast::<Slot>();
            for i in 0..SO {
                slots.add(i).write(Slot::EMPTY);
            }
            let sessions = core::ptr::addr_of_mut!((*p).sessions).cast::<Option<Session>>();
            for i in 0..SE {
                sessions.add(i).write(None);
            }
            core::ptr::addr_of_mut!((*p).guard).write(Guard::new());
            core::ptr::addr_of_mut!((*p).pvp).write(Matchmaker::new());
            core::ptr::addr_of_mut!((*p).mdns).write(crate::mdns::MdnsMemory::new());
            slot.assume_init_mut()
        }
    }

    /// Zeroed memory (usable in a `static`, but see [`ServerMemory::init`]).
    pub const fn new() -> Self {
        const NO_SESSION: Option<Session> = None;
        const {
            assert!(
                ST == SO + UPLOAD_SOCKETS + DHCP_SOCKETS + MDNS_SOCKETS,
                "STORAGE_N must be SOCKETS_N + 1 (+ 1 with the dhcp feature, + 1 with mdns)"
            )
        };
        const {
            assert!(
                TX >= reply_bound(Codec::Classic) && TX >= reply_bound(Codec::Compact),
                "TX must hold the largest reply frame (session::reply_bound)"
            )
        };
        ServerMemory {
            storage: [SocketStorage::EMPTY; ST],
            rx: [[0; RX]; SO],
            tx: [[0; TX]; SO],
            slots: [Slot::EMPTY; SO],
            sessions: [NO_SESSION; SE],
            scratch: [0; REPLY_CAPACITY],
            search: Search::new(),
            pvp: Matchmaker::new(),
            upload_rx: [0; URX],
            upload_tx: [0; UPLOAD_TX_BUFFER],
            guard: Guard::new(),
            mdns: crate::mdns::MdnsMemory::new(),
        }
    }
}
