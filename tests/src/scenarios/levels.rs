//! The CPU levels (SPEC.md, "CPU levels"): a game at each level through
//! both codecs, an unknown `nivel` refused with `bad_level` and the
//! connection kept, and a `\juego_nuevo` without `nivel` at the server's
//! default. The referee checks that each new game names its level and
//! that `facil` and `dificil` take a win and block an immediate one.

use super::Bystander;
use crate::{frame, Refereed, Rng, Target};
use cuatro_proto::{Action, Codec, Error, Estado, Level};

/// Plays full games at `level` on `codec` with random moves, then one in
/// which the player lines up three on the bottom row (a threat the
/// levels above `aleatorio` must block); every reply refereed.
pub fn levels_play(t: &Target, codec: Codec, level: Level) {
    let mut by = Bystander::start(t, codec);
    let mut p = Refereed::connect(t.addr(codec), codec, "player");
    let mut rng = Rng::new(16 + level as u64);
    let mut ends = Vec::new();
    for _ in 0..2 {
        p.act(Action::NewGameAt(level));
        assert_eq!(p.referee.level(), Some(level));
        ends.push(play_out(&mut p, &mut rng));
    }
    // Threats: 2, 3, 4 on the bottom (whatever the CPU does in between).
    p.act(Action::NewGameAt(level));
    for col in [3, 2, 4, 1, 5] {
        if !p.referee.in_game() {
            break;
        }
        if p.referee.legal_columns().contains(&col) {
            p.act(Action::Move(i64::from(col)));
        }
    }
    if p.referee.in_game() {
        ends.push(play_out(&mut p, &mut rng));
    }
    println!("    {level:?} over {codec:?}: {ends:?}");
    by.check();
    p.quit();
}

/// Plays random moves until the game ends.
fn play_out(p: &mut Refereed, rng: &mut Rng) -> Estado {
    for _ in 0..21 {
        let reply = p.step(rng);
        if reply.estado != Estado::Jugando {
            return reply.estado;
        }
    }
    panic!("{}: game still going after 21 player moves", p.label);
}

/// An unknown `nivel` (and a `nivel` that is no string) on the classic
/// port, an unknown level byte on the compact one: refused, the game in
/// progress untouched, the connection kept.
pub fn bad_level(t: &Target) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut rng = Rng::new(17);
    let mut v = Refereed::connect(t.addr(Codec::Classic), Codec::Classic, "classic victim");
    v.act(Action::NewGameAt(Level::Facil));
    v.step(&mut rng);
    for (payload, code) in [
        (
            &br#"{"tipo": "\\juego_nuevo", "nivel": "imposible"}"#[..],
            Error::BadLevel,
        ),
        (
            br#"{"tipo": "\\juego_nuevo", "nivel": "DIFICIL"}"#,
            Error::BadLevel,
        ),
        (
            br#"{"tipo": "\\juego_nuevo", "nivel": 2}"#,
            Error::WrongType,
        ),
    ] {
        v.client.send_raw(&frame(payload)).expect("send");
        let r = v.expect_error(code, true, &String::from_utf8_lossy(payload));
        if code == Error::BadLevel {
            let m = r.mensaje.unwrap_or_default();
            assert!(
                m.contains("nivel") && m.contains("dificil"),
                "mensaje does not say which levels exist: {m}"
            );
        }
    }
    // The game goes on, still at facil.
    v.step(&mut rng);
    assert_eq!(v.referee.level(), Some(Level::Facil));
    v.quit();

    let mut c = Refereed::connect(t.addr(Codec::Compact), Codec::Compact, "compact victim");
    c.act(Action::NewGame);
    c.step(&mut rng);
    for payload in [[0x03, 0x03], [0x03, 0x7f]] {
        c.client.send_raw(&frame(&payload)).expect("send");
        c.expect_error(Error::BadLevel, true, &format!("{payload:02x?}"));
    }
    c.step(&mut rng);
    by.check();
    c.quit();
}

/// A `\juego_nuevo` without `nivel` (all the lecture's client sends) gets
/// the server's default level, before and after games at other levels;
/// both codecs agree on it.
pub fn default_level(t: &Target) {
    let mut defaults = Vec::new();
    for codec in [Codec::Classic, Codec::Compact] {
        let mut p = Refereed::connect(t.addr(codec), codec, "player");
        p.act(Action::NewGame);
        let default = p.referee.level().expect("the new game names its level");
        for level in Level::ALL {
            p.act(Action::NewGameAt(level));
            p.act(Action::NewGame);
            assert_eq!(
                p.referee.level(),
                Some(default),
                "{codec:?}: a plain new game after one at {level:?}"
            );
        }
        defaults.push(default);
        p.quit();
    }
    assert_eq!(
        defaults.first(),
        defaults.last(),
        "the codecs disagree on the default level"
    );
}
