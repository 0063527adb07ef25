//! A linear, non-recursive JSON syntax check.
//!
//! It runs before any value is decoded, so that
//!
//! - nesting is bounded by [`MAX_DEPTH`] with an explicit fixed-size stack
//!   (no recursion, no stack overflow on a microcontroller),
//! - the error order is exact: the first problem in the text decides
//!   between [`Error::TooDeep`] and [`Error::InvalidJson`],
//! - and the members of the top-level object are located (raw key and value
//!   spans), so each value we care about is then decoded on its own.
//!
//! It accepts exactly RFC 8259 JSON (strict: no raw control characters in
//! strings, no leading zeros, no trailing commas).

use super::MAX_DEPTH;
use crate::Error;

/// What the scanner expects next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Any value (top level, after `:` or after `,` in an array).
    Value,
    /// A value or `]` (just after `[`).
    ValueOrClose,
    /// A key string (after `,` in an object).
    Key,
    /// A key string or `}` (just after `{`).
    KeyOrClose,
    /// `:` after a key.
    Colon,
    /// `,` or the closing bracket of the current container; at depth 0,
    /// only trailing whitespace.
    CommaOrClose,
}

/// A half-open byte range `start..end` into the scanned text.
pub(crate) type Span = (usize, usize);

/// Checks that `text` is one well-formed JSON value nested at most
/// [`MAX_DEPTH`] deep, calling `member(key, value)` for every member of a
/// top-level object (`key` includes its quotes, `value` is trimmed).
///
/// Returns the first byte of the top-level value (`b'{'` for an object).
pub(crate) fn scan(text: &[u8], mut member: impl FnMut(Span, Span)) -> Result<u8, Error> {
    let mut stack = [0u8; MAX_DEPTH];
    let mut depth = 0usize;
    let mut want = Want::Value;
    let mut i = 0usize;
    let mut first = None;
    let mut key: Span = (0, 0);
    let mut value_start = 0usize;

    loop {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = text.get(i) {
            i += 1;
        }
        let Some(&b) = text.get(i) else {
            return match (depth, want, first) {
                (0, Want::CommaOrClose, Some(first)) => Ok(first),
                _ => Err(Error::InvalidJson),
            };
        };
        let container = depth.checked_sub(1).and_then(|d| stack.get(d)).copied();
        let in_top_object = depth == 1 && stack.first() == Some(&b'{');

        match want {
            Want::Value | Want::ValueOrClose => {
                if want == Want::ValueOrClose && b == b']' {
                    depth -= 1;
                    i += 1;
                    want = Want::CommaOrClose;
                    if depth == 1 && stack.first() == Some(&b'{') {
                        member(key, (value_start, i));
                    }
                    continue;
                }
                if first.is_none() {
                    first = Some(b);
                }
                if in_top_object {
                    value_start = i;
                }
                match b {
                    b'{' | b'[' => {
                        *stack.get_mut(depth).ok_or(Error::TooDeep)? = b;
                        depth += 1;
                        i += 1;
                        want = if b == b'{' {
                            Want::KeyOrClose
                        } else {
                            Want::ValueOrClose
                        };
                        continue;
                    }
                    b'"' => i = string_end(text, i)?,
                    b'-' | b'0'..=b'9' => i = number_end(text, i)?,
                    b't' => i = literal_end(text, i, b"true")?,
                    b'f' => i = literal_end(text, i, b"false")?,
                    b'n' => i = literal_end(text, i, b"null")?,
                    _ => return Err(Error::InvalidJson),
                }
                want = Want::CommaOrClose;
                if in_top_object {
                    member(key, (value_start, i));
                }
            }
            Want::Key | Want::KeyOrClose => {
                if want == Want::KeyOrClose && b == b'}' {
                    depth -= 1;
                    i += 1;
                    want = Want::CommaOrClose;
                    if depth == 1 && stack.first() == Some(&b'{') {
                        member(key, (value_start, i));
                    }
                } else if b == b'"' {
                    let end = string_end(text, i)?;
                    if in_top_object {
                        key = (i, end);
                    }
                    i = end;
                    want = Want::Colon;
                } else {
                    return Err(Error::InvalidJson);
                }
            }
            Want::Colon => {
                if b != b':' {
                    return Err(Error::InvalidJson);
                }
                i += 1;
                want = Want::Value;
            }
            Want::CommaOrClose => match (b, container) {
                (b',', Some(b'{')) => {
                    i += 1;
                    want = Want::Key;
                }
                (b',', Some(_)) => {
                    i += 1;
                    want = Want::Value;
                }
                (b'}', Some(b'{')) | (b']', Some(b'[')) => {
                    depth -= 1;
                    i += 1;
                    if depth == 1 && stack.first() == Some(&b'{') {
                        member(key, (value_start, i));
                    }
                }
                _ => return Err(Error::InvalidJson),
            },
        }
    }
}

/// `text[start]` is `"`; returns the index just past the closing quote.
fn string_end(text: &[u8], start: usize) -> Result<usize, Error> {
    let mut i = start + 1;
    loop {
        match text.get(i).copied() {
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match text.get(i + 1).copied() {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                Some(b'u') => {
                    let hex = text.get(i + 2..i + 6).ok_or(Error::InvalidJson)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return Err(Error::InvalidJson);
                    }
                    i += 6;
                }
                _ => return Err(Error::InvalidJson),
            },
            Some(0x00..=0x1f) | None => return Err(Error::InvalidJson),
            Some(_) => i += 1,
        }
    }
}

/// Returns the index just past the digits starting at `i` (at least one).
fn digits_end(text: &[u8], mut i: usize) -> Result<usize, Error> {
    let start = i;
    while text.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == start {
        Err(Error::InvalidJson)
    } else {
        Ok(i)
    }
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` starting at `start`.
fn number_end(text: &[u8], start: usize) -> Result<usize, Error> {
    let mut i = start;
    if text.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match text.get(i) {
        Some(b'0') => i + 1,
        Some(b'1'..=b'9') => digits_end(text, i)?,
        _ => return Err(Error::InvalidJson),
    };
    if text.get(i) == Some(&b'.') {
        i = digits_end(text, i + 1)?;
    }
    if let Some(b'e' | b'E') = text.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = text.get(i) {
            i += 1;
        }
        i = digits_end(text, i)?;
    }
    Ok(i)
}

/// `text[start..]` must begin with `word`.
fn literal_end(text: &[u8], start: usize, word: &[u8]) -> Result<usize, Error> {
    let end = start + word.len();
    if text.get(start..end) == Some(word) {
        Ok(end)
    } else {
        Err(Error::InvalidJson)
    }
}
