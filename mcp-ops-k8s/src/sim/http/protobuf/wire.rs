//! The protobuf wire format: a reader of (field number, value) pairs.

use super::error::ProtobufError;

/// One field value as it is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireValue<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1 (fixed64, sfixed64, double).
    Fixed64(u64),
    /// Wire type 2 (strings, bytes, messages, packed lists).
    Len(&'a [u8]),
    /// Wire type 5 (fixed32, sfixed32, float).
    Fixed32(u32),
}

impl WireValue<'_> {
    /// The wire type number.
    pub fn wire_type(&self) -> u8 {
        match self {
            Self::Varint(_) => 0,
            Self::Fixed64(_) => 1,
            Self::Len(_) => 2,
            Self::Fixed32(_) => 5,
        }
    }
}

/// Reads the fields of one message in order.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    /// A reader over the bytes of one message.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtobufError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or_else(|| ProtobufError::malformed(self.pos, "truncated"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn varint(&mut self) -> Result<u64, ProtobufError> {
        let start = self.pos;
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| ProtobufError::malformed(start, "truncated varint"))?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(ProtobufError::malformed(
            start,
            "varint longer than 10 bytes",
        ))
    }

    fn field(&mut self) -> Result<(u32, WireValue<'a>), ProtobufError> {
        let at = self.pos;
        let key = self.varint()?;
        let number = u32::try_from(key >> 3)
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ProtobufError::malformed(at, "invalid field number"))?;
        let value = match key & 7 {
            0 => WireValue::Varint(self.varint()?),
            1 => {
                let b = self.take(8)?;
                WireValue::Fixed64(u64::from_le_bytes(
                    b.try_into()
                        .map_err(|_| ProtobufError::malformed(at, "truncated"))?,
                ))
            }
            2 => {
                let len = usize::try_from(self.varint()?)
                    .map_err(|_| ProtobufError::malformed(at, "length too large"))?;
                WireValue::Len(self.take(len)?)
            }
            5 => {
                let b = self.take(4)?;
                WireValue::Fixed32(u32::from_le_bytes(
                    b.try_into()
                        .map_err(|_| ProtobufError::malformed(at, "truncated"))?,
                ))
            }
            _ => {
                return Err(ProtobufError::malformed(
                    at,
                    "unsupported wire type (group)",
                ));
            }
        };
        Ok((number, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, WireValue<'a>), ProtobufError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let item = self.field();
        if item.is_err() {
            self.pos = self.buf.len();
        }
        Some(item)
    }
}

/// Splits a packed repeated field into its varints.
pub fn packed_varints(buf: &[u8]) -> Result<Vec<u64>, ProtobufError> {
    let mut r = Fields::new(buf);
    let mut out = Vec::new();
    while r.pos < buf.len() {
        out.push(r.varint()?);
    }
    Ok(out)
}

/// Splits a packed repeated field of fixed-width values (4 or 8 bytes each).
pub fn packed_fixed(buf: &[u8], width: usize) -> Result<Vec<u64>, ProtobufError> {
    if width == 0 || !buf.len().is_multiple_of(width) {
        return Err(ProtobufError::malformed(
            0,
            "packed fixed-width list of odd length",
        ));
    }
    Ok(buf
        .chunks(width)
        .map(|c| {
            c.iter()
                .rev()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn reads_every_wire_type() {
        // 1: varint 300, 2: "hi", 3: fixed64 1, 4: fixed32 2, 5: varint -1 (10 bytes)
        let mut b = vec![
            0x08, 0xac, 0x02, 0x12, 2, b'h', b'i', 0x19, 1, 0, 0, 0, 0, 0, 0, 0,
        ];
        b.extend([0x25, 2, 0, 0, 0, 0x28]);
        b.extend([0xff; 9]);
        b.push(0x01);
        let got: Vec<_> = Fields::new(&b).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            got,
            vec![
                (1, WireValue::Varint(300)),
                (2, WireValue::Len(b"hi")),
                (3, WireValue::Fixed64(1)),
                (4, WireValue::Fixed32(2)),
                (5, WireValue::Varint(u64::MAX)),
            ]
        );
    }

    #[test]
    fn rejects_broken_input_without_panicking() {
        for bad in [
            &[0x12, 5, b'a'][..],
            &[0x08][..],
            &[0x0b][..],
            &[0x00, 0x01][..],
            &[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ][..],
            &[
                0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ][..],
            &[0x19, 1, 2][..],
        ] {
            let r: Result<Vec<_>, _> = Fields::new(bad).collect();
            assert!(r.is_err(), "{bad:?}");
        }
    }

    #[test]
    fn packed_lists() {
        assert_eq!(packed_varints(&[1, 0xac, 0x02]).unwrap(), vec![1, 300]);
        assert_eq!(
            packed_fixed(&[1, 0, 0, 0, 2, 0, 0, 0], 4).unwrap(),
            vec![1, 2]
        );
        assert!(packed_fixed(&[1, 0, 0], 4).is_err());
        assert!(packed_varints(&[0x80]).is_err());
    }
}
