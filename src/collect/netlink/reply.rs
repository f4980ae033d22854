//! Taskstats messages: `TASKSTATS_CMD_NEW` replies and exit notifications → [`Record`]s.
//!
//! A message carries one or two nests: `TASKSTATS_TYPE_AGGR_PID` (one task) and, when the last
//! thread of a multi-threaded process exits, `TASKSTATS_TYPE_AGGR_TGID` (the whole group). Each
//! nest holds the id (`TASKSTATS_TYPE_PID` / `_TGID`) and the struct (`TASKSTATS_TYPE_STATS`).
//! `TASKSTATS_TYPE_NULL` is padding the kernel inserts on architectures that need 64-bit
//! alignment, and is skipped. Any other type is an error: this family has not grown an attribute
//! since 2016, so an unknown one means the message is not what we think it is.

use serde::Serialize;

use super::taskstats::{Taskstats, parse_taskstats};
use super::wire::{self, Message};
use crate::collect::ParseError;

/// `TASKSTATS_CMD_*`.
pub const TASKSTATS_CMD_GET: u8 = 1;
pub const TASKSTATS_CMD_NEW: u8 = 2;
/// `TASKSTATS_TYPE_*`.
pub const TASKSTATS_TYPE_PID: u16 = 1;
pub const TASKSTATS_TYPE_TGID: u16 = 2;
pub const TASKSTATS_TYPE_STATS: u16 = 3;
pub const TASKSTATS_TYPE_AGGR_PID: u16 = 4;
pub const TASKSTATS_TYPE_AGGR_TGID: u16 = 5;
pub const TASKSTATS_TYPE_NULL: u16 = 6;
/// `TASKSTATS_CMD_ATTR_*`.
pub const TASKSTATS_CMD_ATTR_PID: u16 = 1;
pub const TASKSTATS_CMD_ATTR_TGID: u16 = 2;
pub const TASKSTATS_CMD_ATTR_REGISTER_CPUMASK: u16 = 3;
pub const TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK: u16 = 4;

/// What a record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// One task (thread); the id is its TID.
    Pid,
    /// A thread group (process); the id is its TGID.
    Tgid,
}

/// One nest of a taskstats message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub scope: Scope,
    /// The TID or TGID the kernel named, in the receiver's PID namespace.
    pub id: u32,
    pub stats: Taskstats,
}

/// A taskstats message: a query's answer or an exit notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    /// The request's sequence number, or for exit notifications the per-CPU counter of the CPU
    /// the task exited on.
    pub seq: u32,
    pub records: Vec<Record>,
}

/// What one netlink message is, as far as a taskstats socket cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Incoming {
    Reply(Reply),
    /// `NLMSG_ERROR` with a non-zero error: the positive errno.
    Error {
        seq: u32,
        errno: i32,
    },
    /// `NLMSG_ERROR` with error 0: an acknowledgement.
    Ack {
        seq: u32,
    },
    /// `NLMSG_NOOP`, `NLMSG_DONE`, `NLMSG_OVERRUN`.
    Ignored,
}

/// Classifies one message. `family` is the TASKSTATS family id, or `None` to accept any
/// generic-netlink type (for parsing captured bytes without a live socket).
pub(crate) fn classify(msg: &Message<'_>, family: Option<u16>) -> Result<Incoming, ParseError> {
    match msg.ty {
        wire::NLMSG_ERROR => {
            let error = wire::i32_at(msg.payload, 0, "nlmsgerr.error")?;
            Ok(if error == 0 {
                Incoming::Ack { seq: msg.seq }
            } else {
                Incoming::Error {
                    seq: msg.seq,
                    errno: error.saturating_neg(),
                }
            })
        }
        wire::NLMSG_NOOP | wire::NLMSG_DONE | wire::NLMSG_OVERRUN => Ok(Incoming::Ignored),
        ty if ty < wire::NLMSG_MIN_TYPE => Err(ParseError::new(format!(
            "reserved netlink message type {ty}"
        ))),
        ty => {
            if let Some(id) = family
                && ty != id
            {
                return Err(ParseError::new(format!(
                    "message type {ty} is not the TASKSTATS family ({id})"
                )));
            }
            let records = parse_records(msg.payload)?;
            Ok(Incoming::Reply(Reply {
                seq: msg.seq,
                records,
            }))
        }
    }
}

/// Parses a whole datagram holding one taskstats message (a captured GET reply or exit
/// notification). An `NLMSG_ERROR` in it is reported as an error naming the errno.
pub fn parse_reply(datagram: &[u8]) -> Result<Reply, ParseError> {
    let mut found: Option<Reply> = None;
    for msg in wire::messages(datagram) {
        match classify(&msg?, None)? {
            Incoming::Reply(r) => match &mut found {
                None => found = Some(r),
                Some(f) => f.records.extend(r.records),
            },
            Incoming::Error { errno, .. } => {
                return Err(ParseError::new(format!(
                    "netlink error reply: {}",
                    std::io::Error::from_raw_os_error(errno)
                )));
            }
            Incoming::Ack { .. } | Incoming::Ignored => {}
        }
    }
    found.ok_or_else(|| ParseError::new("no taskstats message in the datagram"))
}

/// The records of a generic-netlink payload (header included).
fn parse_records(payload: &[u8]) -> Result<Vec<Record>, ParseError> {
    let (cmd, _version, attrs) = wire::genl_header(payload)?;
    if cmd != TASKSTATS_CMD_NEW {
        return Err(ParseError::new(format!(
            "taskstats command {cmd}, expected TASKSTATS_CMD_NEW ({TASKSTATS_CMD_NEW})"
        )));
    }
    let mut records = Vec::new();
    for attr in wire::attrs(attrs, "taskstats message") {
        let attr = attr?;
        match attr.kind {
            TASKSTATS_TYPE_AGGR_PID => records.push(parse_nest(attr.value, Scope::Pid)?),
            TASKSTATS_TYPE_AGGR_TGID => records.push(parse_nest(attr.value, Scope::Tgid)?),
            TASKSTATS_TYPE_NULL => {}
            other => {
                return Err(ParseError::new(format!(
                    "taskstats message: unknown attribute type {other} at offset {}",
                    attr.offset
                )));
            }
        }
    }
    if records.is_empty() {
        return Err(ParseError::new(
            "taskstats message without a PID or TGID nest",
        ));
    }
    Ok(records)
}

/// One `TASKSTATS_TYPE_AGGR_*` nest: exactly one id of the matching kind and one struct.
fn parse_nest(nest: &[u8], scope: Scope) -> Result<Record, ParseError> {
    let (ctx, want_id) = match scope {
        Scope::Pid => ("TASKSTATS_TYPE_AGGR_PID nest", TASKSTATS_TYPE_PID),
        Scope::Tgid => ("TASKSTATS_TYPE_AGGR_TGID nest", TASKSTATS_TYPE_TGID),
    };
    let mut id = None;
    let mut stats = None;
    for attr in wire::attrs(nest, ctx) {
        let attr = attr?;
        match attr.kind {
            k if k == want_id => {
                if id.replace(attr.u32("task id")?).is_some() {
                    return Err(ParseError::new(format!("{ctx}: two ids")));
                }
            }
            TASKSTATS_TYPE_PID | TASKSTATS_TYPE_TGID => {
                return Err(ParseError::new(format!(
                    "{ctx}: id attribute of the other kind ({})",
                    attr.kind
                )));
            }
            TASKSTATS_TYPE_STATS => {
                let s = parse_taskstats(attr.value)
                    .map_err(|e| ParseError::new(format!("{ctx}: {e}")))?;
                if stats.replace(s).is_some() {
                    return Err(ParseError::new(format!("{ctx}: two structs")));
                }
            }
            TASKSTATS_TYPE_NULL => {}
            other => {
                return Err(ParseError::new(format!(
                    "{ctx}: unknown attribute type {other} at offset {}",
                    attr.offset
                )));
            }
        }
    }
    match (id, stats) {
        (Some(id), Some(stats)) => Ok(Record { scope, id, stats }),
        (None, _) => Err(ParseError::new(format!("{ctx}: no id"))),
        (_, None) => Err(ParseError::new(format!("{ctx}: no TASKSTATS_TYPE_STATS"))),
    }
}
