//! Generic-netlink sources: per-task delay accounting and exit records from *taskstats*.
//!
//! Taskstats is the kernel's per-task accounting interface (`CONFIG_TASKSTATS`): ask it about one
//! thread ([`TaskstatsClient::pid`]) or a whole process ([`TaskstatsClient::tgid`]), or register a
//! listener that receives one record for every task that exits ([`ExitListener`]), which is how
//! atop counts processes that start and end between two samples. It is the only place the kernel
//! reports block-I/O, swap-in, reclaim, thrashing, compaction, write-protect-copy and IRQ delays
//! per task. Queries and listeners need `CAP_NET_ADMIN` (resolving the family does not), and the
//! delays other than CPU stay zero until `kernel.task_delayacct` is 1 (see [`delayacct`]).
//!
//! Layout of this module, parsers next to thin I/O shells as everywhere in `collect`:
//! - [`wire`]: a defensive walker over netlink messages and attributes (pure, never panics);
//! - [`taskstats`]: `struct taskstats` decoded by version (pure);
//! - [`reply`]: taskstats messages → [`Record`]s, error and ack messages (pure);
//! - [`family`]: resolving the "TASKSTATS" family through the generic-netlink controller;
//! - `socket`: the socket and request framing (netlink-sys + netlink-packet-{core,generic});
//! - [`client`]: [`TaskstatsClient`], request/reply queries;
//! - [`exits`]: [`ExitListener`], exit notifications;
//! - [`loss`]: counting the notifications a full receive queue dropped;
//! - [`delayacct`]: reading and (behind an explicit flag) setting `kernel.task_delayacct`.
//!
//! No `unsafe` here: the crates own the raw socket calls.

pub mod client;
pub mod delayacct;
pub mod exits;
pub mod family;
pub mod loss;
pub mod reply;
pub(crate) mod socket;
pub mod taskstats;
pub mod wire;

#[cfg(test)]
mod fixture_tests;

use std::io;

use crate::collect::{CollectError, ParseError};

pub use client::TaskstatsClient;
pub use delayacct::{DelayAcctGuard, set_task_delayacct, task_delayacct};
pub use exits::{ExitListener, Exits, online_cpus};
pub use family::Family;
pub use reply::{Record, Reply, Scope, parse_reply};
pub use taskstats::{DelayPeaks, Taskstats, parse_taskstats};

/// Why a taskstats request failed. "No permission", "gone" and "not on this kernel" are
/// expected outcomes a caller explains to the operator; the rest are failures.
#[derive(Debug, thiserror::Error)]
pub enum TaskstatsError {
    /// The kernel has no "TASKSTATS" generic-netlink family (built without `CONFIG_TASKSTATS`).
    #[error(
        "taskstats: not on this kernel (no TASKSTATS generic-netlink family; CONFIG_TASKSTATS off)"
    )]
    NotOnThisKernel,
    /// `TASKSTATS_CMD_GET` (queries and listener registration) needs `CAP_NET_ADMIN`.
    #[error("taskstats {op}: permission denied (needs CAP_NET_ADMIN)")]
    NoPermission { op: &'static str },
    /// The thread or process does not exist (any more): ESRCH or EINVAL from the kernel.
    #[error("taskstats: task {id} is gone")]
    Gone { id: i32 },
    /// Listener registration refused with EINVAL: the caller is not in the initial user and PID
    /// namespaces (a container), or the CPU list names CPUs that do not exist.
    #[error(
        "taskstats {op}: refused by the kernel (EINVAL: CPU list {cpus:?} invalid, or not in the initial user/PID namespace)"
    )]
    Refused { op: &'static str, cpus: String },
    /// Any other error the kernel answered with.
    #[error("taskstats {op}: kernel answered {source}")]
    Kernel { op: &'static str, source: io::Error },
    /// The socket itself failed.
    #[error("taskstats {op}: {source}")]
    Io { op: &'static str, source: io::Error },
    /// The kernel sent nothing back for a request (it answers synchronously, so this is a bug or
    /// a receive buffer that overflowed).
    #[error("taskstats {op}: no reply from the kernel")]
    NoReply { op: &'static str },
    /// A message that does not parse.
    #[error("taskstats {op}: cannot parse: {source}")]
    Parse {
        op: &'static str,
        source: ParseError,
    },
}

impl TaskstatsError {
    /// The thread or process vanished: show "—", not an error.
    pub fn is_gone(&self) -> bool {
        matches!(self, TaskstatsError::Gone { .. })
    }

    /// Needs `CAP_NET_ADMIN`: explain, do not fail.
    pub fn is_permission(&self) -> bool {
        matches!(self, TaskstatsError::NoPermission { .. })
    }

    /// Built without `CONFIG_TASKSTATS`: explain, do not fail.
    pub fn is_not_on_this_kernel(&self) -> bool {
        matches!(self, TaskstatsError::NotOnThisKernel)
    }

    pub(crate) fn parse(op: &'static str, source: ParseError) -> TaskstatsError {
        TaskstatsError::Parse { op, source }
    }

    /// Maps an errno from an NLMSG_ERROR reply to a request `op` about task `id` (if any).
    pub(crate) fn from_errno(op: &'static str, errno: i32, id: Option<i32>) -> TaskstatsError {
        match (errno, id) {
            (libc::EPERM | libc::EACCES, _) => TaskstatsError::NoPermission { op },
            (libc::ESRCH | libc::EINVAL, Some(id)) => TaskstatsError::Gone { id },
            _ => TaskstatsError::Kernel {
                op,
                source: io::Error::from_raw_os_error(errno),
            },
        }
    }
}

/// Into the crate-wide error, for callers that do not need the distinction: "gone" and "not on
/// this kernel" become [`CollectError::NotFound`], "no permission" [`CollectError::Permission`].
impl From<TaskstatsError> for CollectError {
    fn from(e: TaskstatsError) -> CollectError {
        match e {
            TaskstatsError::NotOnThisKernel => CollectError::NotFound {
                path: "generic-netlink family TASKSTATS".into(),
            },
            TaskstatsError::NoPermission { op } => CollectError::Permission {
                path: format!("taskstats {op} (needs CAP_NET_ADMIN)"),
            },
            TaskstatsError::Gone { id } => CollectError::NotFound {
                path: format!("taskstats task {id}"),
            },
            TaskstatsError::Parse { op, source } => {
                CollectError::parse(&format!("taskstats {op}"), source)
            }
            TaskstatsError::Kernel { op, source } | TaskstatsError::Io { op, source } => {
                CollectError::Io {
                    path: format!("taskstats {op}"),
                    source,
                }
            }
            e @ (TaskstatsError::Refused { .. } | TaskstatsError::NoReply { .. }) => {
                CollectError::Io {
                    path: "taskstats".into(),
                    source: io::Error::other(e.to_string()),
                }
            }
        }
    }
}
