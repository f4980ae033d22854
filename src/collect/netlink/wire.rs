//! A defensive walker over netlink datagrams: messages (`nlmsghdr`), the generic-netlink header
//! (`genlmsghdr`) and attributes (`nlattr`).
//!
//! Everything that arrives from a socket goes through here before a field is read, so the rules
//! are strict and every violation is a [`ParseError`] naming what and where, never a panic or an
//! out-of-bounds slice: a header shorter than its fixed size, a length field smaller than the
//! header it covers (a zero `nla_len` would make a naive walker spin forever) or larger than the
//! bytes that are left, and stray bytes after the last attribute. Padding to 4 bytes after the
//! last item may be missing (the kernel always sends it, hand-built buffers may not).
//!
//! Integers are in host byte order, as netlink defines them. This module knows nothing about
//! taskstats; [`super::reply`] and [`super::family`] give the attributes meaning.

use crate::collect::ParseError;

/// `sizeof(struct nlmsghdr)`.
pub const NLMSG_HDRLEN: usize = 16;
/// `sizeof(struct genlmsghdr)`.
pub const GENL_HDRLEN: usize = 4;
/// `sizeof(struct nlattr)`.
pub const NLA_HDRLEN: usize = 4;
/// Attribute type flags that are not part of the type.
const NLA_F_NESTED: u16 = 0x8000;
const NLA_F_NET_BYTEORDER: u16 = 0x4000;

pub const NLMSG_NOOP: u16 = 1;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLMSG_OVERRUN: u16 = 4;
/// Message types below this are netlink's own; family ids start here.
pub const NLMSG_MIN_TYPE: u16 = 16;

/// Rounds `len` up to netlink's 4-byte alignment.
pub fn align4(len: usize) -> usize {
    len.saturating_add(3) & !3
}

/// Reads a host-endian integer of `N` bytes at `off`, or says what was missing.
fn take<const N: usize>(buf: &[u8], off: usize, what: &str) -> Result<[u8; N], ParseError> {
    off.checked_add(N)
        .and_then(|end| buf.get(off..end))
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or_else(|| {
            ParseError::new(format!(
                "{what}: needs {N} bytes at offset {off}, only {} in the buffer",
                buf.len()
            ))
        })
}

pub fn u16_at(buf: &[u8], off: usize, what: &str) -> Result<u16, ParseError> {
    take::<2>(buf, off, what).map(u16::from_ne_bytes)
}

pub fn u32_at(buf: &[u8], off: usize, what: &str) -> Result<u32, ParseError> {
    take::<4>(buf, off, what).map(u32::from_ne_bytes)
}

pub fn i32_at(buf: &[u8], off: usize, what: &str) -> Result<i32, ParseError> {
    take::<4>(buf, off, what).map(i32::from_ne_bytes)
}

pub fn u64_at(buf: &[u8], off: usize, what: &str) -> Result<u64, ParseError> {
    take::<8>(buf, off, what).map(u64::from_ne_bytes)
}

/// One netlink message inside a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    pub port: u32,
    /// Everything after the header, up to `nlmsg_len`.
    pub payload: &'a [u8],
}

/// Iterates over the messages of one datagram; stops after the first error.
#[derive(Debug, Clone)]
pub struct Messages<'a> {
    rest: &'a [u8],
    offset: usize,
    failed: bool,
}

/// The messages of a datagram as `recv(2)` returned it.
pub fn messages(datagram: &[u8]) -> Messages<'_> {
    Messages {
        rest: datagram,
        offset: 0,
        failed: false,
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let r = self.next_message();
        self.failed = r.is_err();
        Some(r)
    }
}

impl<'a> Messages<'a> {
    fn next_message(&mut self) -> Result<Message<'a>, ParseError> {
        let buf = self.rest;
        let at = self.offset;
        if buf.len() < NLMSG_HDRLEN {
            return Err(ParseError::new(format!(
                "netlink message at byte {at}: short header ({} of {NLMSG_HDRLEN} bytes)",
                buf.len()
            )));
        }
        let len = u32_at(buf, 0, "nlmsg_len")? as usize;
        if len < NLMSG_HDRLEN {
            return Err(ParseError::new(format!(
                "netlink message at byte {at}: nlmsg_len {len} is shorter than its header"
            )));
        }
        let payload = buf.get(NLMSG_HDRLEN..len).ok_or_else(|| {
            ParseError::new(format!(
                "netlink message at byte {at}: nlmsg_len {len} runs past the end ({} bytes left)",
                buf.len()
            ))
        })?;
        let msg = Message {
            ty: u16_at(buf, 4, "nlmsg_type")?,
            flags: u16_at(buf, 6, "nlmsg_flags")?,
            seq: u32_at(buf, 8, "nlmsg_seq")?,
            port: u32_at(buf, 12, "nlmsg_pid")?,
            payload,
        };
        let step = align4(len).min(buf.len());
        self.rest = buf.get(step..).unwrap_or_default();
        self.offset = at + step;
        Ok(msg)
    }
}

/// The generic-netlink header of a message payload, and the attributes after it.
pub fn genl_header(payload: &[u8]) -> Result<(u8, u8, &[u8]), ParseError> {
    let attrs = payload.get(GENL_HDRLEN..).ok_or_else(|| {
        ParseError::new(format!(
            "generic-netlink header: {} of {GENL_HDRLEN} bytes",
            payload.len()
        ))
    })?;
    let cmd = payload.first().copied().unwrap_or_default();
    let version = payload.get(1).copied().unwrap_or_default();
    Ok((cmd, version, attrs))
}

/// One attribute: its type (flags masked off) and value (without padding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    pub kind: u16,
    pub nested: bool,
    /// Byte offset of the attribute header inside the block being walked.
    pub offset: usize,
    pub value: &'a [u8],
}

impl Attr<'_> {
    /// The value as a `u32`, requiring exactly 4 bytes.
    pub fn u32(&self, what: &str) -> Result<u32, ParseError> {
        if self.value.len() != 4 {
            return Err(ParseError::new(format!(
                "{what}: {} bytes, expected 4",
                self.value.len()
            )));
        }
        u32_at(self.value, 0, what)
    }

    /// The value as a `u16`, requiring exactly 2 bytes.
    pub fn u16(&self, what: &str) -> Result<u16, ParseError> {
        if self.value.len() != 2 {
            return Err(ParseError::new(format!(
                "{what}: {} bytes, expected 2",
                self.value.len()
            )));
        }
        u16_at(self.value, 0, what)
    }

    /// The value as a NUL-terminated string (the terminator and anything after it dropped).
    pub fn string(&self) -> String {
        let end = self
            .value
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.value.len());
        String::from_utf8_lossy(self.value.get(..end).unwrap_or_default()).into_owned()
    }
}

/// Iterates over the attributes of a block; stops after the first error.
#[derive(Debug, Clone)]
pub struct Attrs<'a> {
    block: &'a [u8],
    offset: usize,
    context: &'static str,
    failed: bool,
}

/// The attributes in `block`; `context` names the block in error messages.
pub fn attrs<'a>(block: &'a [u8], context: &'static str) -> Attrs<'a> {
    Attrs {
        block,
        offset: 0,
        context,
        failed: false,
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.offset >= self.block.len() {
            return None;
        }
        let r = self.next_attr();
        self.failed = r.is_err();
        Some(r)
    }
}

impl<'a> Attrs<'a> {
    fn next_attr(&mut self) -> Result<Attr<'a>, ParseError> {
        let at = self.offset;
        let ctx = self.context;
        let rest = self.block.get(at..).unwrap_or_default();
        if rest.len() < NLA_HDRLEN {
            return Err(ParseError::new(format!(
                "{ctx}: {} stray bytes at offset {at} (an attribute header needs {NLA_HDRLEN})",
                rest.len()
            )));
        }
        let len = usize::from(u16_at(rest, 0, "nla_len")?);
        let raw_kind = u16_at(rest, 2, "nla_type")?;
        if len < NLA_HDRLEN {
            return Err(ParseError::new(format!(
                "{ctx}: attribute type {} at offset {at} has nla_len {len}, shorter than its header",
                raw_kind & !(NLA_F_NESTED | NLA_F_NET_BYTEORDER)
            )));
        }
        let value = rest.get(NLA_HDRLEN..len).ok_or_else(|| {
            ParseError::new(format!(
                "{ctx}: attribute type {} at offset {at} has nla_len {len}, past the end ({} bytes left)",
                raw_kind & !(NLA_F_NESTED | NLA_F_NET_BYTEORDER),
                rest.len()
            ))
        })?;
        self.offset = at + align4(len).min(rest.len());
        Ok(Attr {
            kind: raw_kind & !(NLA_F_NESTED | NLA_F_NET_BYTEORDER),
            nested: raw_kind & NLA_F_NESTED != 0,
            offset: at,
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nla(kind: u16, value: &[u8]) -> Vec<u8> {
        let mut v = ((NLA_HDRLEN + value.len()) as u16).to_ne_bytes().to_vec();
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(value);
        v.resize(align4(v.len()), 0);
        v
    }

    #[test]
    fn walks_attributes_and_masks_flags() {
        let mut block = nla(1, &7u32.to_ne_bytes());
        block.extend(nla(0x8000 | 4, &[1, 2, 3]));
        let got: Vec<_> = attrs(&block, "test").collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].u32("x").unwrap(), 7);
        assert_eq!(
            (got[1].kind, got[1].nested, got[1].value),
            (4, true, &[1u8, 2, 3][..])
        );
        assert_eq!(got[1].offset, 8);
    }

    #[test]
    fn rejects_bad_attribute_lengths_without_looping() {
        // Zero nla_len: a naive walker would never advance.
        let zero = [0u8, 0, 1, 0, 0, 0, 0, 0];
        let errs: Vec<_> = attrs(&zero, "zero").collect();
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0]
                .as_ref()
                .unwrap_err()
                .0
                .contains("shorter than its header")
        );
        // nla_len past the end.
        let long = [200u8, 0, 1, 0, 0, 0, 0, 0];
        assert!(
            attrs(&long, "long")
                .next()
                .unwrap()
                .unwrap_err()
                .0
                .contains("past the end")
        );
        // Two stray bytes after a good attribute.
        let mut stray = nla(1, &[9, 9, 9, 9]);
        stray.extend([1, 2]);
        let r: Result<Vec<_>, _> = attrs(&stray, "stray").collect();
        assert!(r.unwrap_err().0.contains("stray bytes"));
        // Wrong value sizes for typed reads.
        let a = Attr {
            kind: 1,
            nested: false,
            offset: 0,
            value: &[1, 2, 3],
        };
        assert!(a.u32("pid").is_err());
        assert!(a.u16("id").is_err());
    }

    #[test]
    fn walks_messages_and_rejects_bad_headers() {
        let mut m = 20u32.to_ne_bytes().to_vec();
        m.extend(31u16.to_ne_bytes());
        m.extend(0u16.to_ne_bytes());
        m.extend(5u32.to_ne_bytes());
        m.extend(0u32.to_ne_bytes());
        m.extend([2, 1, 0, 0]);
        let two = [m.clone(), m.clone()].concat();
        let got: Vec<_> = messages(&two).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[1].ty, got[1].seq, got[1].payload.len()), (31, 5, 4));
        assert!(messages(&m[..10]).next().unwrap().is_err());
        let mut short_len = m.clone();
        short_len[0] = 8;
        assert!(messages(&short_len).next().unwrap().is_err());
        let mut long_len = m.clone();
        long_len[0] = 200;
        assert!(messages(&long_len).next().unwrap().is_err());
        assert!(genl_header(&[2, 1]).is_err());
        assert_eq!(genl_header(&[2, 1, 0, 0, 9]).unwrap(), (2, 1, &[9u8][..]));
    }
}
