//! The DNS message format (RFC 1035 §4) as mDNS uses it (RFC 6762 §18):
//! reading names (labels and compression pointers, bounded), and a
//! writer for the records the responder sends. Names are written whole
//! (no compression): every reply fits [`super::MAX_PACKET`] anyway.

/// Record type A (an IPv4 address).
pub const TYPE_A: u16 = 1;
/// Record type PTR (a name: a service type's instance).
pub const TYPE_PTR: u16 = 12;
/// Record type TXT (key=value strings).
pub const TYPE_TXT: u16 = 16;
/// Record type SRV (priority, weight, port, target).
pub const TYPE_SRV: u16 = 33;
/// Query type ANY.
pub const TYPE_ANY: u16 = 255;
/// Class IN.
pub const CLASS_IN: u16 = 1;
/// Query class ANY.
pub const CLASS_ANY: u16 = 255;
/// The top bit of a question's class: "unicast response wanted" (QU); of
/// a record's class: "cache flush" (a unique record).
pub const CLASS_TOP: u16 = 0x8000;
/// Header flags: a response, authoritative.
pub const FLAGS_RESPONSE: u16 = 0x8400;
/// The response bit of the header flags.
pub const FLAG_QR: u16 = 0x8000;
/// Bytes of the header.
pub const HEADER: usize = 12;

/// Compression pointers followed, at most, while reading one name (a
/// loop of pointers ends here).
const MAX_HOPS: usize = 16;
/// Labels in one name, at most.
const MAX_LABELS: usize = 16;

/// A name as labels (lowercase ASCII compared case-insensitively).
pub type Labels<'a> = &'a [&'a [u8]];

/// Big-endian `u16` at `at`.
pub fn u16_at(packet: &[u8], at: usize) -> Option<u16> {
    let b = packet.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
}

/// Reads the name at `at`: whether it equals `want` (case-insensitive),
/// and the offset just past it in the message (past the first pointer if
/// it is compressed). `None`: malformed (runs off the end, a pointer loop,
/// a label type that is not one).
pub fn name_at(packet: &[u8], at: usize, want: Labels<'_>) -> Option<(bool, usize)> {
    let mut pos = at;
    let mut end = None;
    let mut equal = true;
    let mut index = 0;
    for _ in 0..MAX_HOPS + MAX_LABELS + 1 {
        let len = *packet.get(pos)?;
        match len {
            0 => {
                let next = end.unwrap_or(pos + 1);
                return Some((equal && index == want.len(), next));
            }
            0xc0..=0xff => {
                let low = *packet.get(pos + 1)?;
                if end.is_none() {
                    end = Some(pos + 2);
                }
                let target = usize::from(len & 0x3f) << 8 | usize::from(low);
                // Only backwards: a pointer forward or to itself is malformed.
                if target >= pos {
                    return None;
                }
                pos = target;
            }
            1..=63 => {
                let label = packet.get(pos + 1..pos + 1 + usize::from(len))?;
                match want.get(index) {
                    Some(w) if w.eq_ignore_ascii_case(label) => {}
                    _ => equal = false,
                }
                index += 1;
                if index > MAX_LABELS {
                    return None;
                }
                pos += 1 + usize::from(len);
            }
            // 0x40 and 0x80: extended and reserved label types.
            _ => return None,
        }
    }
    None
}

/// Writes a message into a buffer; every write checks for room, and a
/// message that does not fit is dropped (`None`), never truncated.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    /// An empty message in `buf`.
    pub fn new(buf: &'a mut [u8]) -> Writer<'a> {
        Writer { buf, len: 0 }
    }

    /// Bytes written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `bytes`.
    pub fn bytes(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.len.checked_add(bytes.len())?;
        self.buf.get_mut(self.len..end)?.copy_from_slice(bytes);
        self.len = end;
        Some(())
    }

    /// Appends a big-endian `u16`.
    pub fn u16(&mut self, v: u16) -> Option<()> {
        self.bytes(&v.to_be_bytes())
    }

    /// Overwrites the big-endian `u16` at `at` (already written).
    pub fn set_u16(&mut self, at: usize, v: u16) -> Option<()> {
        self.buf
            .get_mut(at..at.checked_add(2)?)?
            .copy_from_slice(&v.to_be_bytes());
        Some(())
    }

    /// Appends a name, uncompressed.
    pub fn name(&mut self, labels: Labels<'_>) -> Option<()> {
        for label in labels {
            let len = u8::try_from(label.len()).ok().filter(|&l| l <= 63)?;
            self.bytes(&[len])?;
            self.bytes(label)?;
        }
        self.bytes(&[0])
    }

    /// Appends a resource record's name, type, class, TTL and a length
    /// to be filled in by [`Writer::end_rdata`]; returns where the data
    /// starts.
    pub fn record(&mut self, name: Labels<'_>, rtype: u16, class: u16, ttl: u32) -> Option<usize> {
        self.name(name)?;
        self.u16(rtype)?;
        self.u16(class)?;
        self.bytes(&ttl.to_be_bytes())?;
        self.u16(0)?;
        Some(self.len)
    }

    /// Fills in the data length of the record whose data began at `start`.
    pub fn end_rdata(&mut self, start: usize) -> Option<()> {
        let len = u16::try_from(self.len.checked_sub(start)?).ok()?;
        self.set_u16(start.checked_sub(2)?, len)
    }
}
