//! Tests of the classic (JSON) codec.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::message::{Cell, Event, Refusal};
use crate::test_util::{all_replies, mixed_board, ACTIONS};
use crate::MAX_FRAME;
use proptest::prelude::*;
use std::string::String;

fn dec(s: &str) -> Result<Action, Error> {
    decode_action(s.as_bytes())
}

fn enc_action(a: Action) -> String {
    let mut buf = [0u8; 64];
    let n = encode_action(&a, &mut buf).unwrap();
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

fn enc_reply(r: &Reply) -> String {
    let mut buf = [0u8; MAX_FRAME];
    let n = encode_reply(r, &mut buf).unwrap();
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

fn mensaje(r: &Reply) -> String {
    let mut buf = [0u8; MAX_MENSAJE];
    let n = render_mensaje(r, &mut buf).unwrap();
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

// ---- decode_action: what Python sends -------------------------------------

#[test]
fn python_json_dumps_default_separators() {
    // json.dumps({'tipo': '\\juego_nuevo'}) etc.
    assert_eq!(dec(r#"{"tipo": "\\juego_nuevo"}"#), Ok(Action::NewGame));
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": 3}"#),
        Ok(Action::Move(3))
    );
    assert_eq!(dec(r#"{"tipo": "\\salir"}"#), Ok(Action::Quit));
}

#[test]
fn python_json_dumps_compact_separators() {
    // json.dumps(..., separators=(",", ":"))
    assert_eq!(dec(r#"{"tipo":"\\juego_nuevo"}"#), Ok(Action::NewGame));
    assert_eq!(dec(r#"{"tipo":"\\jugada","data":6}"#), Ok(Action::Move(6)));
    assert_eq!(dec(r#"{"tipo":"\\salir"}"#), Ok(Action::Quit));
}

#[test]
fn key_order_whitespace_extra_keys() {
    assert_eq!(
        dec(r#"{"data": 2, "tipo": "\\jugada"}"#),
        Ok(Action::Move(2))
    );
    assert_eq!(
        dec(" \r\n\t{ \"tipo\" :\n\"\\\\jugada\" ,\t\"data\"\r:  4 }\n "),
        Ok(Action::Move(4))
    );
    assert_eq!(
        dec(
            r#"{"v": 1, "tipo": "\\jugada", "x": {"y": [1, 2.5e3, null, true, false, "s\"\u00e9"]}, "data": 0}"#
        ),
        Ok(Action::Move(0))
    );
    // `data` is ignored on other tipos, whatever it is.
    assert_eq!(dec(r#"{"tipo": "\\salir", "data": "x"}"#), Ok(Action::Quit));
    assert_eq!(
        dec(r#"{"tipo": "\\juego_nuevo", "data": [[[]]]}"#),
        Ok(Action::NewGame)
    );
    // Long extra strings are skipped without unescaping.
    let long = "\\n".repeat(300);
    assert_eq!(
        dec(&std::format!(r#"{{"tipo": "\\salir", "nota": "{long}"}}"#)),
        Ok(Action::Quit)
    );
}

#[test]
fn escaped_keys_and_tipo() {
    assert_eq!(
        dec(r#"{"ti\u0070o": "\u005cjugada", "d\u0061ta": 1}"#),
        Ok(Action::Move(1))
    );
    assert_eq!(
        dec(r#"{"tipo": "\u005c\u005cjugada", "data": 1}"#),
        Err(Error::UnknownTipo)
    );
    assert_eq!(
        dec(r#"{"tipo": "\\salir\ud83d\ude00"}"#),
        Err(Error::UnknownTipo)
    );
}

#[test]
fn duplicate_keys_last_wins() {
    assert_eq!(
        dec(r#"{"tipo": "\\salir", "tipo": "\\jugada", "data": 1, "data": 5}"#),
        Ok(Action::Move(5))
    );
}

#[test]
fn data_values() {
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": -1}"#),
        Ok(Action::Move(-1))
    );
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": -0}"#),
        Ok(Action::Move(0))
    );
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": 9}"#),
        Ok(Action::Move(9))
    );
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": 9223372036854775807}"#),
        Ok(Action::Move(i64::MAX))
    );
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": -9223372036854775808}"#),
        Ok(Action::Move(i64::MIN))
    );
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": 9223372036854775808}"#),
        Err(Error::NumberOutOfRange)
    );
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": 99999999999999999999999}"#),
        Err(Error::NumberOutOfRange)
    );
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": "3"}"#),
        Err(Error::WrongType)
    );
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": 3.0}"#),
        Err(Error::WrongType)
    );
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": 3e0}"#),
        Err(Error::WrongType)
    );
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": null}"#),
        Err(Error::WrongType)
    );
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": true}"#),
        Err(Error::WrongType)
    );
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": [3]}"#),
        Err(Error::WrongType)
    );
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": {"n": 3}}"#),
        Err(Error::WrongType)
    );
}

// ---- decode_action: every error ------------------------------------------

#[test]
fn invalid_utf8() {
    assert_eq!(
        decode_action(b"{\"tipo\": \"\\\\salir\xff\"}"),
        Err(Error::InvalidUtf8)
    );
    assert_eq!(decode_action(&[0xC3]), Err(Error::InvalidUtf8));
    // UTF-8 comes first, even before depth.
    let mut deep = std::vec![b'['; 500];
    deep.push(0xFF);
    assert_eq!(decode_action(&deep), Err(Error::InvalidUtf8));
}

#[test]
fn too_deep() {
    assert_eq!(dec(&"[".repeat(500)), Err(Error::TooDeep));
    assert_eq!(dec(&"{\"a\":".repeat(500)), Err(Error::TooDeep));
    let ok = std::format!(
        r#"{{"tipo": "\\salir", "x": {}{}}}"#,
        "[".repeat(MAX_DEPTH - 1),
        "]".repeat(MAX_DEPTH - 1)
    );
    assert_eq!(dec(&ok), Ok(Action::Quit));
    let deep = std::format!(
        r#"{{"tipo": "\\salir", "x": {}{}}}"#,
        "[".repeat(MAX_DEPTH),
        "]".repeat(MAX_DEPTH)
    );
    assert_eq!(dec(&deep), Err(Error::TooDeep));
}

#[test]
fn invalid_json() {
    for bad in [
        "",
        "   ",
        "{",
        "{\"tipo\": ",
        r#"{"tipo": "\\salir""#,
        r#"{"tipo": "\\salir",}"#,
        r#"{"tipo" "\\salir"}"#,
        r#"{tipo: "\\salir"}"#,
        r#"{'tipo': '\\salir'}"#,
        r#"{"tipo": "\salir"}"#,
        r#"{"tipo": "\\salir"} x"#,
        r#"{"tipo": "\\salir"}{}"#,
        r#"{"tipo": "\\jugada", "data": 03}"#,
        r#"{"tipo": "\\jugada", "data": +3}"#,
        r#"{"tipo": "\\jugada", "data": 3.}"#,
        r#"{"tipo": "\\jugada", "data": -}"#,
        r#"{"tipo": "\\jugada", "data": tru}"#,
        r#"{"tipo": "\\jugada", "data": NaN}"#,
        r#"{"tipo": "\u12"}"#,
        "{\"tipo\": \"\\\\sa\nlir\"}",
        "[1,]",
        "[1 2]",
        "]",
    ] {
        assert_eq!(dec(bad), Err(Error::InvalidJson), "{bad:?}");
    }
    // A syntax error before the nesting gets too deep.
    assert_eq!(
        dec(&std::format!("{{x{}", "[".repeat(50))),
        Err(Error::InvalidJson)
    );
}

#[test]
fn missing_fields() {
    assert_eq!(dec("{}"), Err(Error::MissingField));
    assert_eq!(dec(r#"{"data": 3}"#), Err(Error::MissingField));
    assert_eq!(dec(r#"{"Tipo": "\\salir"}"#), Err(Error::MissingField));
    assert_eq!(
        dec(r#"{"x": {"tipo": "\\salir"}}"#),
        Err(Error::MissingField),
        "nested tipo does not count"
    );
    assert_eq!(dec(r#"{"tipo": "\\jugada"}"#), Err(Error::MissingField));
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "datos": 3}"#),
        Err(Error::MissingField)
    );
}

#[test]
fn wrong_types() {
    assert_eq!(dec(r#"{"tipo": 3}"#), Err(Error::WrongType));
    assert_eq!(dec(r#"{"tipo": null}"#), Err(Error::WrongType));
    assert_eq!(dec(r#"{"tipo": ["\\salir"]}"#), Err(Error::WrongType));
    assert_eq!(dec(r#"["\\salir"]"#), Err(Error::WrongType));
    assert_eq!(dec(r#""\\salir""#), Err(Error::WrongType));
    assert_eq!(dec("3"), Err(Error::WrongType));
}

#[test]
fn unknown_tipo_and_long_strings() {
    assert_eq!(dec(r#"{"tipo": "\\bailar"}"#), Err(Error::UnknownTipo));
    assert_eq!(
        dec(r#"{"tipo": "jugada", "data": 3}"#),
        Err(Error::UnknownTipo)
    );
    assert_eq!(dec(r#"{"tipo": ""}"#), Err(Error::UnknownTipo));
    // Unescaped strings are borrowed, whatever their length.
    assert_eq!(
        dec(&std::format!(r#"{{"tipo": "{}"}}"#, "a".repeat(900))),
        Err(Error::UnknownTipo)
    );
    // Escaped ones must fit the scratch.
    let escaped = std::format!(r#"{{"tipo": "\\{}"}}"#, "a".repeat(UNESCAPE_CAP));
    assert_eq!(dec(&escaped), Err(Error::StringTooLong));
    let fits = std::format!(r#"{{"tipo": "\\{}"}}"#, "a".repeat(UNESCAPE_CAP - 1));
    assert_eq!(dec(&fits), Err(Error::UnknownTipo));
}

#[test]
fn nivel() {
    for level in Level::ALL {
        let text = std::format!(
            r#"{{"tipo": "\\juego_nuevo", "nivel": "{}"}}"#,
            level.name()
        );
        assert_eq!(dec(&text), Ok(Action::NewGameAt(level)), "{text}");
    }
    assert_eq!(dec(r#"{"tipo": "\\juego_nuevo"}"#), Ok(Action::NewGame));
    // Key order free, escaped key and value, last duplicate wins.
    assert_eq!(
        dec(r#"{"nivel": "facil", "tipo": "\\juego_nuevo"}"#),
        Ok(Action::NewGameAt(Level::Facil))
    );
    assert_eq!(
        dec(r#"{"tipo": "\\juego_nuevo", "niv\u0065l": "d\u0069ficil"}"#),
        Ok(Action::NewGameAt(Level::Dificil))
    );
    assert_eq!(
        dec(r#"{"tipo": "\\juego_nuevo", "nivel": "x", "nivel": "facil"}"#),
        Ok(Action::NewGameAt(Level::Facil))
    );
    for bad in [
        r#""imposible""#,
        r#""""#,
        r#""Dificil""#,
        r#""dificil ""#,
        r#""difícil""#,
        r#""\ud83d\ude00""#,
    ] {
        let text = std::format!(r#"{{"tipo": "\\juego_nuevo", "nivel": {bad}}}"#);
        assert_eq!(dec(&text), Err(Error::BadLevel), "{text}");
    }
    let long = std::format!(
        r#"{{"tipo": "\\juego_nuevo", "nivel": "{}\n"}}"#,
        "a".repeat(40)
    );
    assert_eq!(dec(&long), Err(Error::BadLevel));
    for bad in ["2", "null", "[\"facil\"]", "true"] {
        let text = std::format!(r#"{{"tipo": "\\juego_nuevo", "nivel": {bad}}}"#);
        assert_eq!(dec(&text), Err(Error::WrongType), "{text}");
    }
    // Ignored on the other actions, as `data` is.
    assert_eq!(
        dec(r#"{"tipo": "\\jugada", "data": 2, "nivel": "nada"}"#),
        Ok(Action::Move(2))
    );
    assert_eq!(dec(r#"{"tipo": "\\salir", "nivel": 7}"#), Ok(Action::Quit));
}

// ---- encode_action --------------------------------------------------------

#[test]
fn encode_action_matches_python() {
    assert_eq!(enc_action(Action::NewGame), r#"{"tipo": "\\juego_nuevo"}"#);
    assert_eq!(
        enc_action(Action::Move(3)),
        r#"{"tipo": "\\jugada", "data": 3}"#
    );
    assert_eq!(
        enc_action(Action::Move(-12)),
        r#"{"tipo": "\\jugada", "data": -12}"#
    );
    assert_eq!(enc_action(Action::Quit), r#"{"tipo": "\\salir"}"#);
    assert_eq!(
        enc_action(Action::NewGameAt(Level::Dificil)),
        r#"{"tipo": "\\juego_nuevo", "nivel": "dificil"}"#
    );
    assert_eq!(
        encode_action(&Action::Quit, &mut [0u8; 5]),
        Err(Error::BufferTooSmall)
    );
}

#[test]
fn action_round_trips() {
    for a in ACTIONS {
        assert_eq!(dec(&enc_action(a)), Ok(a));
    }
}

// ---- replies --------------------------------------------------------------

#[test]
fn reply_exact_shape() {
    let mut tablero = Board::default();
    tablero.cells[5][3] = Cell::Player;
    tablero.cells[5][5] = Cell::Cpu;
    let reply = Reply {
        continuar: true,
        estado: Estado::Jugando,
        tablero,
        event: Event::Played {
            player: 3,
            cpu: Some(5),
        },
        error: None,
    };
    let json = enc_reply(&reply);
    let text = mensaje(&reply);
    assert!(
        text.contains("Jugaste en la columna 3; la CPU jugó en la 5."),
        "{text}"
    );
    assert!(text.contains("| | | |X| |O| |"), "{text}");
    assert!(text.contains("\\jugada N"), "{text}");
    let escaped = text.replace('\\', "\\\\").replace('\n', "\\n");
    assert_eq!(
        json,
        std::format!(
            r#"{{"mensaje":"{escaped}","continuar":true,"estado":"jugando","tablero":["       ","       ","       ","       ","       ","   X O "]}}"#
        )
    );
}

#[test]
fn reply_error_field() {
    let reply = Reply {
        continuar: true,
        estado: Estado::SinJuego,
        tablero: Board::default(),
        event: Event::Failed,
        error: Some(Error::InvalidJson),
    };
    let json = enc_reply(&reply);
    assert!(json.ends_with(r#","estado":"sin_juego","tablero":["       ","       ","       ","       ","       ","       "],"error":"invalid_json"}"#), "{json}");
    let text = mensaje(&reply);
    assert!(
        text.contains("JSON") && text.contains("invalid_json"),
        "{text}"
    );
    assert!(!text.contains("0 1 2"), "no board without a game: {text}");
}

#[test]
fn mensaje_lines() {
    let base = Reply {
        continuar: true,
        estado: Estado::Jugando,
        tablero: Board::default(),
        event: Event::Welcome,
        error: None,
    };
    let cases: [(Reply, &str); 12] = [
        (
            Reply {
                event: Event::NewGame,
                ..base
            },
            "Juego nuevo contra la CPU nivel aleatorio: tú empiezas.",
        ),
        (
            Reply {
                event: Event::NewGameAt(Level::Dificil),
                ..base
            },
            "Juego nuevo contra la CPU nivel dificil: tú empiezas.",
        ),
        (
            Reply {
                event: Event::Failed,
                error: Some(Error::BadLevel),
                ..base
            },
            "nivel desconocido: usa aleatorio, facil o dificil [bad_level]",
        ),
        (
            Reply {
                event: Event::Refused(Refusal::NoGame),
                estado: Estado::SinJuego,
                ..base
            },
            "No hay juego en curso: usa \\juego_nuevo.",
        ),
        (
            Reply {
                event: Event::Refused(Refusal::OutOfRange(9)),
                ..base
            },
            "La columna 9 no existe: elige una de 0 a 6.",
        ),
        (
            Reply {
                event: Event::Refused(Refusal::OutOfRange(-1)),
                ..base
            },
            "La columna -1 no existe",
        ),
        (
            Reply {
                event: Event::Refused(Refusal::ColumnFull(2)),
                ..base
            },
            "La columna 2 está llena.",
        ),
        (
            Reply {
                event: Event::Played {
                    player: 1,
                    cpu: None,
                },
                estado: Estado::Ganaste,
                ..base
            },
            "¡Ganaste!",
        ),
        (
            Reply {
                event: Event::Played {
                    player: 1,
                    cpu: Some(2),
                },
                estado: Estado::Perdiste,
                ..base
            },
            "Perdiste: la CPU hizo cuatro en línea.",
        ),
        (
            Reply {
                event: Event::Played {
                    player: 1,
                    cpu: None,
                },
                estado: Estado::Empate,
                ..base
            },
            "Empate: el tablero está lleno.",
        ),
        (
            Reply {
                event: Event::Goodbye,
                continuar: false,
                estado: Estado::SinJuego,
                ..base
            },
            "¡Hasta luego!",
        ),
        (
            Reply {
                event: Event::Failed,
                continuar: false,
                estado: Estado::SinJuego,
                error: Some(Error::ServerFull),
                ..base
            },
            "Servidor lleno: intenta más tarde.",
        ),
    ];
    for (reply, want) in cases {
        let text = mensaje(&reply);
        assert!(text.contains(want), "{want:?} not in {text:?}");
        assert_eq!(
            text.contains("\\salir"),
            reply.continuar,
            "menu iff continuar: {text}"
        );
    }
    assert!(mensaje(&Reply {
        estado: Estado::SinJuego,
        ..base
    })
    .contains("Bienvenido"));
    assert!(mensaje(&base).contains(" 0 1 2 3 4 5 6\n| | | | | | | |\n"));
    // Every error is named with its code.
    for err in Error::ALL {
        let text = mensaje(&Reply {
            event: Event::Failed,
            error: Some(err),
            ..base
        });
        if err != Error::ServerFull {
            assert!(text.contains(err.code()), "{text}");
        }
    }
}

#[test]
fn every_reply_round_trips_within_bounds() {
    let mut worst_mensaje = 0;
    let mut worst_payload = 0;
    let mut buf = [0u8; MAX_FRAME];
    for reply in all_replies() {
        let mut text = [0u8; MAX_MENSAJE];
        let m = render_mensaje(&reply, &mut text).unwrap();
        worst_mensaje = worst_mensaje.max(m);
        let n = encode_reply(&reply, &mut buf).unwrap();
        worst_payload = worst_payload.max(n);
        let back = decode_reply(&buf[..n]).unwrap();
        assert_eq!(back.mensaje.as_bytes(), &text[..m]);
        assert_eq!(back.continuar, reply.continuar);
        assert_eq!(back.estado, reply.estado);
        assert_eq!(back.tablero, reply.tablero);
        assert_eq!(back.error, reply.error);
    }
    std::println!(
        "worst classic mensaje: {worst_mensaje} bytes, reply payload: {worst_payload} bytes"
    );
    assert!(worst_mensaje <= MAX_MENSAJE);
    assert!(worst_payload <= MAX_REPLY_PAYLOAD);
    // The bound is tight enough to be useful.
    assert!(MAX_REPLY_PAYLOAD - worst_payload < 128, "{worst_payload}");
}

#[test]
fn encode_reply_buffer_too_small() {
    let reply = all_replies()[0];
    assert_eq!(
        encode_reply(&reply, &mut [0u8; 40]),
        Err(Error::BufferTooSmall)
    );
    assert_eq!(
        render_mensaje(&reply, &mut [0u8; 4]),
        Err(Error::BufferTooSmall)
    );
}

#[test]
fn decode_reply_rejects_bad_shapes() {
    let rows = r#"["       ","       ","       ","       ","       ","       "]"#;
    let ok = std::format!(
        r#"{{"mensaje":"a\nb","continuar":false,"estado":"empate","tablero":{rows},"extra":[1]}}"#
    );
    let r = decode_reply(ok.as_bytes()).unwrap();
    assert_eq!(r.mensaje.as_str(), "a\nb");
    assert_eq!(
        (r.continuar, r.estado, r.error),
        (false, Estado::Empate, None)
    );

    let five = r#"["       ","       ","       ","       ","       "]"#;
    let seven = r#"["       ","       ","       ","       ","       ","       ","       "]"#;
    let bad_char = r#"["       ","       ","       ","       ","       ","   Z   "]"#;
    let short = r#"["       ","       ","       ","       ","       ","      "]"#;
    for tablero in [five, seven, bad_char, short] {
        let json = std::format!(
            r#"{{"mensaje":"","continuar":true,"estado":"jugando","tablero":{tablero}}}"#
        );
        assert!(decode_reply(json.as_bytes()).is_err(), "{tablero}");
    }
    let bad_code = std::format!(
        r#"{{"mensaje":"","continuar":true,"estado":"jugando","tablero":{rows},"error":"nope"}}"#
    );
    assert!(decode_reply(bad_code.as_bytes()).is_err());
    let missing = std::format!(r#"{{"continuar":true,"estado":"jugando","tablero":{rows}}}"#);
    assert!(decode_reply(missing.as_bytes()).is_err());
    let long = std::format!(
        r#"{{"mensaje":"{}","continuar":true,"estado":"jugando","tablero":{rows}}}"#,
        "\\n".repeat(MAX_MENSAJE + 1)
    );
    assert_eq!(decode_reply(long.as_bytes()), Err(Error::StringTooLong));
    assert_eq!(decode_reply(b"[[[[[[[[[[[[[[[[[[[[["), Err(Error::TooDeep));
}

#[test]
fn board_json_uses_row_strings() {
    let board = mixed_board();
    let mut buf = [0u8; 128];
    let n = serde_json_core::to_slice(&board, &mut buf).unwrap();
    let json = core::str::from_utf8(&buf[..n]).unwrap();
    assert!(json.starts_with(r#"[" XO XO ","#), "{json}");
    let mut scratch = [0u8; 16];
    let (back, _) = serde_json_core::from_slice_escaped::<Board>(&buf[..n], &mut scratch).unwrap();
    assert_eq!(back, board);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_action(&bytes);
        let _ = decode_reply(&bytes);
    }

    #[test]
    fn arbitrary_json_ish_never_panics(s in r#"[\[\]{}":,\\ a-z0-9.eE+\-]{0,80}"#) {
        let _ = decode_action(s.as_bytes());
        let _ = decode_reply(s.as_bytes());
        let wrapped = std::format!(r#"{{"tipo": "\\jugada", "data": {s}}}"#);
        let _ = decode_action(wrapped.as_bytes());
    }

    #[test]
    fn any_move_round_trips(n in any::<i64>()) {
        prop_assert_eq!(dec(&enc_action(Action::Move(n))), Ok(Action::Move(n)));
    }
}
