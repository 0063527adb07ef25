//! Pins the server's static RAM: state + socket buffers. The README's
//! memory table quotes these numbers; change both together.
#![allow(clippy::unwrap_used)]

use core::mem::size_of;
use cuatro_core::server::{RX_BUFFER, SOCKETS, TX_BUFFER};
use cuatro_core::session::{Session, REPLY_CAPACITY};
use cuatro_core::{Server, ServerMemory};

/// The budget the README promises for the default configuration on the
/// host (64-bit); the board's 32-bit build is smaller.
const BUDGET: usize = 24 * 1024;

#[test]
fn static_ram_is_pinned() {
    let memory = size_of::<ServerMemory<'static>>();
    let server = size_of::<Server<'static>>();
    let session = size_of::<Session>();
    let buffers = SOCKETS * (RX_BUFFER + TX_BUFFER);
    println!(
        "ServerMemory {memory} B (socket buffers {buffers} B, {} sessions x {session} B, scratch {REPLY_CAPACITY} B), Server {server} B, total {} B",
        cuatro_core::server::SESSIONS,
        memory + server
    );
    // Socket buffers are exactly what the constants say.
    assert!(memory >= buffers + cuatro_core::server::SESSIONS * session + REPLY_CAPACITY);
    // A session is its frame buffer plus a small state.
    assert!(
        session <= cuatro_proto::MAX_FRAME + 160,
        "session grew: {session} B"
    );
    assert!(
        memory + server <= BUDGET,
        "static RAM {} B over budget {BUDGET} B",
        memory + server
    );
}
