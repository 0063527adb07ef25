//! Pins the server's static RAM: state + socket buffers. docs/MEMORY.md's
//! memory table quotes these numbers; change both together.
#![allow(clippy::unwrap_used)]

use core::mem::size_of;
use cuatro_core::cpu::Search;
use cuatro_core::guard::{Guard, TRACKED, TRACK_BYTES};
use cuatro_core::mdns::{MdnsMemory, MDNS_BUFFER, MDNS_PACKETS, MDNS_TX_BUFFER};
use cuatro_core::pvp::{Matchmaker, MATCHES};
use cuatro_core::server::{
    RX_BUFFER, SESSIONS, SOCKETS, SOCKET_STORAGE, TX_BUFFER, UPLOAD_RX_BUFFER, UPLOAD_TX_BUFFER,
};
use cuatro_core::session::{Session, REPLY_CAPACITY};
use cuatro_core::upload::Upload;
use cuatro_core::{Server, ServerMemory};
use smoltcp::socket::tcp;

/// The budget docs/MEMORY.md promises for the default configuration on the
/// host (64-bit); the board's 32-bit build is smaller. 28 KiB until player
/// vs player (its matchmaker: 392 B) and the mDNS responder (its UDP
/// buffers: 2 KiB).
const BUDGET: usize = 32 * 1024;

#[test]
fn static_ram_is_pinned() {
    let memory = size_of::<ServerMemory<'static>>();
    let server = size_of::<Server<'static>>();
    let session = size_of::<Session>();
    let game_buffers = SOCKETS * (RX_BUFFER + TX_BUFFER);
    let upload_buffers = UPLOAD_RX_BUFFER + UPLOAD_TX_BUFFER;
    let sessions = SESSIONS * session;
    let guard = size_of::<Guard>();
    let search = size_of::<Search>();
    let pvp = size_of::<Matchmaker>();
    let mdns = size_of::<MdnsMemory>();
    let state = memory
        - game_buffers
        - upload_buffers
        - sessions
        - REPLY_CAPACITY
        - guard
        - search
        - pvp
        - mdns;
    println!(
        "ServerMemory {memory} B = game socket buffers {game_buffers} B + upload buffers \
         {upload_buffers} B + {SESSIONS} sessions x {session} B + reply scratch {REPLY_CAPACITY} B \
         + guard {guard} B ({TRACKED} tracked connections x {TRACK_BYTES} B + held SYN) \
         + CPU search scratch {search} B + matchmaker {pvp} B ({MATCHES} matches) \
         + mDNS socket buffers {mdns} B \
         + socket state {state} B; Server {server} B; \
         total {} B",
        memory + server
    );
    // The availability middleware: connection tracking and one held SYN.
    assert!(guard <= 640, "guard grew: {guard} B");
    // The `dificil` search: one transposition table for every session.
    assert!(search <= 4096 + 16, "search scratch grew: {search} B");
    // Player vs player: a queue of one and MATCHES matches, each two
    // outboxes (a reply each) and a game.
    assert!(pvp <= MATCHES * 256 + 16, "matchmaker grew: {pvp} B");
    // mDNS: its UDP socket's datagram buffers and their metadata.
    assert!(
        mdns <= MDNS_BUFFER + MDNS_TX_BUFFER + 2 * MDNS_PACKETS * 64,
        "mDNS buffers grew: {mdns} B"
    );
    // What one more session costs: its socket (buffers + smoltcp state)
    // and its session state. An upload session is the upload socket and
    // the `Upload` state machine inside `Server`.
    let tcp_state = size_of::<tcp::Socket<'static>>();
    let per_game = RX_BUFFER + TX_BUFFER + tcp_state + session;
    let per_upload = UPLOAD_RX_BUFFER + UPLOAD_TX_BUFFER + tcp_state + size_of::<Upload>();
    println!(
        "per game session {per_game} B (buffers {} B + tcp::Socket {tcp_state} B + Session \
         {session} B); per upload session {per_upload} B (buffers {upload_buffers} B + \
         tcp::Socket {tcp_state} B + Upload {} B)",
        RX_BUFFER + TX_BUFFER,
        size_of::<Upload>()
    );
    assert!(
        per_game <= RX_BUFFER + TX_BUFFER + cuatro_proto::MAX_FRAME + 160 + 512,
        "a game session grew: {per_game} B"
    );
    assert!(
        per_upload <= upload_buffers + 512 + 64,
        "an upload session grew: {per_upload} B"
    );
    // A session is its frame buffer plus a small state.
    assert!(
        session <= cuatro_proto::MAX_FRAME + 160,
        "session grew: {session} B"
    );
    // smoltcp's per-socket state (7 TCP sockets and the mDNS UDP socket)
    // plus the slot table stays small.
    assert!(
        state <= SOCKET_STORAGE * 512,
        "socket state grew: {state} B"
    );
    assert!(
        memory + server <= BUDGET,
        "static RAM {} B over budget {BUDGET} B",
        memory + server
    );
}
