//! The lecture client's command parser.

use cuatro_proto::Action;

/// Parses one input line as the lecture's client does: exactly
/// `\juego_nuevo` or `\salir`, or `\jugada N` with N made of digits.
/// Anything else is `None` (the client prints `Input invalido.`).
pub fn parse(line: &str) -> Option<Action> {
    let line = line.trim_end_matches(['\r', '\n']);
    match line {
        "\\juego_nuevo" => return Some(Action::NewGame),
        "\\salir" => return Some(Action::Quit),
        _ => {}
    }
    let mut parts = line.split(' ');
    let (cmd, n, rest) = (parts.next()?, parts.next()?, parts.next());
    if rest.is_some() || cmd != "\\jugada" || n.is_empty() || !n.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    // Like Python's int(): any size; beyond i64 the server refuses it anyway.
    Some(Action::Move(n.parse::<i64>().unwrap_or(i64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lecture_commands() {
        assert_eq!(parse("\\juego_nuevo"), Some(Action::NewGame));
        assert_eq!(parse("\\salir\n"), Some(Action::Quit));
        assert_eq!(parse("\\jugada 3"), Some(Action::Move(3)));
        assert_eq!(parse("\\jugada 12"), Some(Action::Move(12)));
        assert_eq!(
            parse("\\jugada 99999999999999999999999"),
            Some(Action::Move(i64::MAX))
        );
    }

    #[test]
    fn everything_else_is_invalid() {
        for bad in [
            "",
            "jugada 3",
            "\\jugada",
            "\\jugada -1",
            "\\jugada 3 4",
            "\\jugada  3",
            "\\jugada x",
            " \\salir",
            "\\juego_nuevo ",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
