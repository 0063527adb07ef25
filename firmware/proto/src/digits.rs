//! Numbers as text, without `core::fmt`.

/// Decimal digits of `u64::MAX` (18 446 744 073 709 551 615): the most
/// [`decimal`] ever writes.
pub const U64_DIGITS: usize = 20;

/// The decimal digits of `v`, written at the end of `digits`; returns them.
/// The one number-to-text routine of the firmware (no `core::fmt`): the
/// codecs, the upload replies and a board's log all use it.
pub fn decimal(mut v: u64, digits: &mut [u8; U64_DIGITS]) -> &[u8] {
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            // `v % 10 < 10`, so the cast cannot truncate.
            *d = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || start == 0 {
            break;
        }
    }
    digits.get(start..).unwrap_or(&[])
}
