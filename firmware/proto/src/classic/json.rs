//! The JSON pieces the server side of the classic codec needs, by hand:
//! escaping a string, unescaping one, reading an integer.
//!
//! The server's reply is a fixed shape and its action has two members, so
//! a general serializer and deserializer are not needed on the board:
//! these three functions replace serde-json-core there (the client side,
//! [`super::decode_reply`], still uses it). They work on spans the
//! [`super::scan`] pre-scan has already checked, byte for byte what
//! serde-json-core produced and accepted (pinned by the tests in
//! `classic/tests.rs`).

use crate::write::Cursor;
use crate::Error;

/// Appends `s` (UTF-8 text) as a JSON string (with its quotes), escaped the way
/// serde-json-core escapes: `"` and `\` with a backslash, `\b \t \n \f \r`
/// by name, other control characters as `\u00XX` (uppercase hex),
/// everything else as it is.
pub(crate) fn emit_str(w: &mut Cursor<'_>, s: &[u8]) -> Result<(), Error> {
    w.bytes(b"\"")?;
    let mut plain = 0;
    for (i, &b) in s.iter().enumerate() {
        let named: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => b"",
            _ => continue,
        };
        w.bytes(s.get(plain..i).unwrap_or_default())?;
        plain = i + 1;
        if named.is_empty() {
            w.bytes(b"\\u00")?;
            w.bytes(&[hex_upper(b >> 4), hex_upper(b)])?;
        } else {
            w.bytes(named)?;
        }
    }
    w.bytes(s.get(plain..).unwrap_or_default())?;
    w.bytes(b"\"")
}

/// The low nibble of `n` as an uppercase hex digit.
fn hex_upper(n: u8) -> u8 {
    match n & 0xf {
        d @ 0..=9 => b'0' + d,
        d => b'A' + (d - 10),
    }
}

/// Why [`unescape`] gave no text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unescape {
    /// The span is not a string (a number, literal or container).
    NotAString,
    /// The unescaped text does not fit the scratch buffer.
    TooLong,
    /// A `\u` escape names a UTF-16 surrogate (half of a character beyond
    /// the BMP): none of the names we look for contain one.
    Surrogate,
}

/// The text of the JSON string `raw` (with its quotes, syntax already
/// checked by the pre-scan). A string without escapes is returned as it
/// is, whatever its length; one with escapes is unescaped into `scratch`.
pub(crate) fn unescape<'a>(raw: &'a [u8], scratch: &'a mut [u8]) -> Result<&'a [u8], Unescape> {
    let inner = match raw {
        [b'"', inner @ .., b'"'] => inner,
        _ => return Err(Unescape::NotAString),
    };
    if !inner.contains(&b'\\') {
        return Ok(inner);
    }
    let mut out = 0usize;
    let mut put = |bytes: &[u8], scratch: &mut [u8]| -> Result<(), Unescape> {
        let end = out + bytes.len();
        scratch
            .get_mut(out..end)
            .ok_or(Unescape::TooLong)?
            .copy_from_slice(bytes);
        out = end;
        Ok(())
    };
    let mut i = 0usize;
    while let Some(&b) = inner.get(i) {
        if b != b'\\' {
            put(&[b], scratch)?;
            i += 1;
            continue;
        }
        let simple = match inner.get(i + 1) {
            Some(b'"') => b'"',
            Some(b'\\') => b'\\',
            Some(b'/') => b'/',
            Some(b'b') => 0x08,
            Some(b'f') => 0x0c,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            // `\uXXXX` (the pre-scan checked the four hex digits).
            _ => {
                let hex = inner.get(i + 2..i + 6).ok_or(Unescape::NotAString)?;
                let code = hex.iter().fold(0u32, |code, &h| code << 4 | hex_value(h));
                let (bytes, len) = utf8(code)?;
                put(bytes.get(..len).unwrap_or_default(), scratch)?;
                i += 6;
                continue;
            }
        };
        put(&[simple], scratch)?;
        i += 2;
    }
    Ok(scratch.get(..out).unwrap_or_default())
}

/// The value of an ASCII hex digit (the pre-scan checked it is one).
fn hex_value(h: u8) -> u32 {
    u32::from(match h {
        b'0'..=b'9' => h - b'0',
        _ => (h | 0x20).wrapping_sub(b'a' - 10),
    })
}

/// Most UTF-8 bytes of a BMP code point (what one `\uXXXX` escape names).
const BMP_UTF8_MAX: usize = 3;

/// UTF-8 of a BMP code point (`\uXXXX` gives at most `0xFFFF`): the bytes
/// and how many of them are used.
fn utf8(code: u32) -> Result<([u8; BMP_UTF8_MAX], usize), Unescape> {
    if (0xd800..0xe000).contains(&code) {
        return Err(Unescape::Surrogate);
    }
    // Truncating casts take the bits each UTF-8 byte carries.
    let tail = |shift: u32| 0x80 | (code >> shift & 0x3f) as u8;
    Ok(if code < 0x80 {
        ([code as u8, 0, 0], 1)
    } else if code < 0x800 {
        ([0xc0 | (code >> 6) as u8, tail(0), 0], 2)
    } else {
        ([0xe0 | (code >> 12) as u8, tail(6), tail(0)], 3)
    })
}

/// The integer `raw` (a value span the pre-scan checked): a number with a
/// fraction or exponent, or any other JSON value, is [`Error::WrongType`];
/// an integer beyond `i64` is [`Error::NumberOutOfRange`].
pub(crate) fn integer(raw: &[u8]) -> Result<i64, Error> {
    let (negative, digits) = match raw {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, raw),
    };
    if digits.is_empty() {
        return Err(Error::WrongType);
    }
    // Accumulated negatively: i64::MIN has no positive counterpart.
    let mut value: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(Error::WrongType);
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_sub(i64::from(d - b'0')))
            .ok_or(Error::NumberOutOfRange)?;
    }
    if negative {
        Ok(value)
    } else {
        value.checked_neg().ok_or(Error::NumberOutOfRange)
    }
}
