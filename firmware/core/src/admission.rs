//! Who keeps a session when every session is taken: the admission policy.
//!
//! A board has a handful of sessions (4 by default). Without a policy, a
//! few connections that never act, or that trickle a frame one byte at a
//! time, hold them all and lock players out. The policy, with its default
//! figures for a 4-session board:
//!
//! - A session's clock runs from its **last completed action** (a whole
//!   frame), not from its last byte: trickled bytes buy nothing. The idle
//!   timeout (60 s, [`crate::server::IDLE_TIMEOUT`]) closes a session
//!   whose last action is that old, whoever is waiting.
//! - When a newcomer finds every session taken, one session may be
//!   **evicted** for it (the newcomer takes its place at once), if any is
//!   *evictable*:
//!   - it has not completed a first action within
//!     [`Admission::first_action`] (5 s) of connecting; or
//!   - its current frame has stayed incomplete for
//!     [`Admission::frame_deadline`] (5 s), however slowly its bytes
//!     arrive; or
//!   - its last action is at least [`Admission::player_grace`] (30 s) old.
//!
//!   Among the evictable, the one idle longest (oldest last action) goes.
//!   It is told so (error `evicted`, `continuar: false`) when its transmit
//!   buffer has room, else reset. A player whose actions arrive at least
//!   every 30 s is never evicted.
//! - Half-open connections (SYN received, handshake not completed) are
//!   dropped after [`Admission::half_open`] (3 s; 30 s once a SYN-ACK went
//!   out, [`Admission::half_open_answered`]) and, when a SYN finds no
//!   idle listener on its port, the oldest half-open (or, failing that, the
//!   oldest closing socket) is recycled into a listener for it at once (see
//!   [`crate::server`]).
//!
//! Every figure is a field of [`Admission`], part of the server's
//! [`crate::server::Config`].

use smoltcp::time::Duration;

/// Default [`Admission::first_action`].
pub const FIRST_ACTION_GRACE: Duration = Duration::from_secs(5);
/// Default [`Admission::frame_deadline`].
pub const FRAME_DEADLINE: Duration = Duration::from_secs(5);
/// Default [`Admission::player_grace`]: the SPEC's "an action at least every
/// 30 s is never evicted".
pub const PLAYER_GRACE: Duration = Duration::from_secs(30);
/// Default [`Admission::half_open`]: a handshake the board could not even
/// answer (the sender never answered ARP, so no SYN-ACK went out) is
/// dropped after this long.
pub const HALF_OPEN_TIMEOUT: Duration = Duration::from_secs(3);
/// A handshake whose SYN-ACK went out is left to smoltcp's retransmissions
/// (1, 3, 7, 15 s: a lossy link may need them) and dropped only after this
/// long. Neither deadline is what keeps players in: a newer SYN recycles
/// the oldest half-open connection at once (see [`crate::server`]); the
/// deadlines only free sockets nobody asks for.
pub const HALF_OPEN_ANSWERED_TIMEOUT: Duration = Duration::from_secs(30);

/// The admission policy's figures (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// A connection that has completed no action this long after connecting
    /// is evictable.
    pub first_action: Duration,
    /// A frame incomplete this long after its first byte makes its session
    /// evictable.
    pub frame_deadline: Duration,
    /// A session whose last action is younger than this is never evicted.
    pub player_grace: Duration,
    /// A connection still in SYN-RECEIVED this long, with no SYN-ACK sent
    /// (its sender never answered ARP), is dropped.
    pub half_open: Duration,
    /// A connection still in SYN-RECEIVED this long after its SYN-ACK went
    /// out is dropped (and reset).
    pub half_open_answered: Duration,
}

impl Admission {
    /// The default figures for a 4-session board.
    pub const DEFAULT: Admission = Admission {
        first_action: FIRST_ACTION_GRACE,
        frame_deadline: FRAME_DEADLINE,
        player_grace: PLAYER_GRACE,
        half_open: HALF_OPEN_TIMEOUT,
        half_open_answered: HALF_OPEN_ANSWERED_TIMEOUT,
    };
}

impl Default for Admission {
    fn default() -> Self {
        Admission::DEFAULT
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::cpu::Search;
    use crate::session::{Output, Session, REPLY_CAPACITY};
    use cuatro_proto::{frame, Codec};

    const P: Admission = Admission::DEFAULT;

    fn new_game_frame(codec: Codec) -> ([u8; 64], usize) {
        let mut buf = [0u8; 64];
        let n = frame::encode_frame_with(&mut buf, |p| {
            codec.encode_action(&cuatro_proto::Action::NewGame, p)
        })
        .unwrap();
        (buf, n)
    }

    fn session() -> Session {
        let codec = if cfg!(feature = "compact") {
            Codec::Compact
        } else {
            Codec::Classic
        };
        let mut s = Session::new(codec, 1, 1_000);
        let mut out = [0u8; REPLY_CAPACITY];
        s.greet(&mut out).unwrap();
        s
    }

    #[test]
    fn a_silent_newcomer_is_evictable_after_the_first_action_grace() {
        let s = session();
        assert!(!s.evictable(1_000 + 4_999, &P));
        assert!(s.evictable(1_000 + 5_000, &P));
    }

    #[test]
    fn trickled_bytes_buy_no_time() {
        let mut s = session();
        let (frame, n) = new_game_frame(s.codec());
        let mut out = [0u8; REPLY_CAPACITY];
        // One byte a second: the frame never completes in time.
        for (i, b) in frame[..n - 1].iter().enumerate() {
            let t = 1_000 + 1_000 * i as u64;
            let (used, o) = s.handle(core::slice::from_ref(b), t, &mut out, &mut Search::new());
            assert_eq!((used, o), (1, Output::Nothing));
        }
        assert_eq!(s.last_action_ms(), 1_000, "partial bytes are not actions");
        // Its frame began at 1 s: evictable from 6 s.
        assert!(s.evictable(6_000, &P));
        assert_eq!(s.poll_timeout(Duration::from_secs(60)), Some(61_000));
    }

    #[test]
    fn a_player_acting_every_30_s_is_never_evictable() {
        let mut s = session();
        let (frame, n) = new_game_frame(s.codec());
        let mut out = [0u8; REPLY_CAPACITY];
        // First action within the newcomer's grace, then one every 29.999 s.
        let mut t: u64 = 5_000;
        s.handle(&frame[..n], t, &mut out, &mut Search::new());
        for _ in 0..10 {
            t += 29_999;
            assert!(!s.evictable(t, &P), "evictable at {t}");
            let (used, o) = s.handle(&frame[..n], t, &mut out, &mut Search::new());
            assert_eq!(used, n);
            assert!(matches!(o, Output::Reply { close: false, .. }));
            assert_eq!(s.last_action_ms(), t);
        }
        assert!(s.evictable(t + 30_000, &P), "quiet for 30 s");
    }

    #[test]
    fn a_frame_stuck_half_way_makes_even_a_player_evictable() {
        let mut s = session();
        let (frame, n) = new_game_frame(s.codec());
        let mut out = [0u8; REPLY_CAPACITY];
        s.handle(&frame[..n], 2_000, &mut out, &mut Search::new());
        s.handle(&frame[..2], 3_000, &mut out, &mut Search::new());
        assert!(!s.evictable(7_999, &P));
        assert!(s.evictable(8_000, &P));
        // Completing it clears the frame clock.
        s.handle(&frame[2..n], 8_500, &mut out, &mut Search::new());
        assert!(!s.evictable(9_000, &P));
    }
}
