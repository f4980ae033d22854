//! Resolving a generic-netlink family (here "TASKSTATS") with `CTRL_CMD_GETFAMILY`.
//!
//! Family ids are assigned when a family registers, so they differ between boots and kernels;
//! the controller (`nlctrl`, id 16) answers with a `CTRL_CMD_NEWFAMILY` message holding the id,
//! the family's version, header size, highest attribute, operations and multicast groups (the
//! taskstats family has none: exit records are unicast to registered listeners). `ENOENT` means
//! the family does not exist: for taskstats, a kernel built without `CONFIG_TASKSTATS`.
//!
//! The controller adds attributes now and then (policies in 5.10, for instance), so attributes
//! not needed here are skipped, unlike in [`super::reply`].

use serde::Serialize;

use super::TaskstatsError;
use super::reply::{Incoming, classify};
use super::socket::{Event, GenlSocket};
use super::wire::{self, Message};
use crate::collect::ParseError;

/// `GENL_ID_CTRL`.
pub const GENL_ID_CTRL: u16 = 16;
/// `CTRL_CMD_NEWFAMILY`.
const CTRL_CMD_NEWFAMILY: u8 = 1;
/// `CTRL_ATTR_*`.
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const CTRL_ATTR_VERSION: u16 = 3;
const CTRL_ATTR_HDRSIZE: u16 = 4;
const CTRL_ATTR_MAXATTR: u16 = 5;
const CTRL_ATTR_MCAST_GROUPS: u16 = 7;
/// `CTRL_ATTR_MCAST_GRP_*`.
const CTRL_ATTR_MCAST_GRP_NAME: u16 = 1;
const CTRL_ATTR_MCAST_GRP_ID: u16 = 2;

/// A resolved generic-netlink family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Family {
    pub id: u16,
    pub name: String,
    /// The family's protocol version (`TASKSTATS_GENL_VERSION`, 1), not the struct's.
    pub version: u32,
    /// Size of the family-specific header after `genlmsghdr` (0 for taskstats).
    pub hdr_size: u32,
    /// Highest request attribute of the family-wide policy (0 when every operation has its own
    /// policy, as taskstats has on recent kernels).
    pub max_attr: u32,
    pub mcast_groups: Vec<McastGroup>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct McastGroup {
    pub name: String,
    pub id: u32,
}

/// Parses a captured `CTRL_CMD_GETFAMILY` answer (one datagram).
pub fn parse_family(datagram: &[u8]) -> Result<Family, ParseError> {
    for msg in wire::messages(datagram) {
        let msg = msg?;
        if msg.ty == GENL_ID_CTRL {
            return parse_family_message(&msg);
        }
        if let Incoming::Error { errno, .. } = classify(&msg, None)? {
            return Err(ParseError::new(format!(
                "controller answered {}",
                std::io::Error::from_raw_os_error(errno)
            )));
        }
    }
    Err(ParseError::new("no controller message in the datagram"))
}

fn parse_family_message(msg: &Message<'_>) -> Result<Family, ParseError> {
    let (cmd, _, attrs) = wire::genl_header(msg.payload)?;
    if cmd != CTRL_CMD_NEWFAMILY {
        return Err(ParseError::new(format!(
            "controller command {cmd}, expected CTRL_CMD_NEWFAMILY"
        )));
    }
    let mut id = None;
    let mut f = Family {
        id: 0,
        name: String::new(),
        version: 0,
        hdr_size: 0,
        max_attr: 0,
        mcast_groups: Vec::new(),
    };
    for attr in wire::attrs(attrs, "controller message") {
        let attr = attr?;
        match attr.kind {
            CTRL_ATTR_FAMILY_ID => id = Some(attr.u16("CTRL_ATTR_FAMILY_ID")?),
            CTRL_ATTR_FAMILY_NAME => f.name = attr.string(),
            CTRL_ATTR_VERSION => f.version = attr.u32("CTRL_ATTR_VERSION")?,
            CTRL_ATTR_HDRSIZE => f.hdr_size = attr.u32("CTRL_ATTR_HDRSIZE")?,
            CTRL_ATTR_MAXATTR => f.max_attr = attr.u32("CTRL_ATTR_MAXATTR")?,
            CTRL_ATTR_MCAST_GROUPS => {
                for group in wire::attrs(attr.value, "CTRL_ATTR_MCAST_GROUPS") {
                    let mut g = McastGroup {
                        name: String::new(),
                        id: 0,
                    };
                    for a in wire::attrs(group?.value, "multicast group") {
                        let a = a?;
                        match a.kind {
                            CTRL_ATTR_MCAST_GRP_NAME => g.name = a.string(),
                            CTRL_ATTR_MCAST_GRP_ID => g.id = a.u32("CTRL_ATTR_MCAST_GRP_ID")?,
                            _ => {}
                        }
                    }
                    f.mcast_groups.push(g);
                }
            }
            _ => {}
        }
    }
    f.id = id.ok_or_else(|| ParseError::new("controller message without CTRL_ATTR_FAMILY_ID"))?;
    Ok(f)
}

/// What one message means for a pending `CTRL_CMD_GETFAMILY` with sequence number `seq`.
pub(crate) fn family_event(msg: &Message<'_>, seq: u32) -> Result<Option<Family>, TaskstatsError> {
    let op = "resolve family";
    if msg.seq != seq {
        return Ok(None);
    }
    if msg.ty == GENL_ID_CTRL {
        return parse_family_message(msg)
            .map(Some)
            .map_err(|e| TaskstatsError::parse(op, e));
    }
    match classify(msg, None).map_err(|e| TaskstatsError::parse(op, e))? {
        Incoming::Error {
            errno: libc::ENOENT,
            ..
        } => Err(TaskstatsError::NotOnThisKernel),
        Incoming::Error { errno, .. } => Err(TaskstatsError::from_errno(op, errno, None)),
        _ => Ok(None),
    }
}

/// Resolves family `name` on `sock`.
pub(crate) fn resolve(sock: &mut GenlSocket, name: &str) -> Result<Family, TaskstatsError> {
    let seq = sock.send_get_family(name)?;
    sock.await_reply("resolve family", |ev| match ev {
        Event::Message(msg) => family_event(&msg, seq),
        Event::Overrun => Ok(None),
    })
}
