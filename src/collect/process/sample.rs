//! The data the process collector produces: one [`ProcSample`] per process (or thread), a
//! [`ProcSnapshot`] of all of them at one instant, and [`Unavailable`], the expected reasons a
//! per-process value is missing. Plain owned data, `Send`, so a collector thread can hand
//! snapshots over a channel; serialized with units in the field names.

use std::sync::Arc;

use serde::{Serialize, Serializer};

use super::kept;
use crate::collect::CollectError;
use crate::collect::procfs::pid as pidfs;
use crate::collect::procfs::pid::io::PidIo;
use crate::collect::procfs::pid::stat::PidStat;
use crate::collect::procfs::pid::status::PidStatus;
use crate::env::Env;

/// Which extra files [`super::ProcessScanner::fill`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fields {
    /// /proc/PID/status: user, swap, context switches. Also re-reads a stat the scan reused
    /// ([`ProcSample::stat_reused`]), so a row read in full is fresh in full.
    pub status: bool,
    /// /proc/PID/io: bytes read and written.
    pub io: bool,
    /// /proc/PID/cmdline (off-thread, bounded wait).
    pub cmdline: bool,
}

impl Fields {
    pub const ALL: Fields = Fields {
        status: true,
        io: true,
        cmdline: true,
    };
}

/// Why a per-process value is missing. Expected outcomes, each with its own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unavailable {
    /// Not asked for in this refresh.
    NotRead,
    /// Asked for; the read has not finished (see the cmdline worker).
    Pending,
    /// Another user's process and not root (/proc/PID/io needs ptrace rights).
    Permission,
    /// The kernel does not have this file (e.g. io without CONFIG_TASK_IO_ACCOUNTING).
    NotOnKernel,
    /// The process exited while it was being read.
    Exited,
    /// Anything else (an unparsable file, an I/O error), with the message.
    Failed(String),
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::NotRead => f.write_str("not read"),
            Unavailable::Pending => f.write_str("not yet read"),
            Unavailable::Permission => f.write_str("permission denied"),
            Unavailable::NotOnKernel => f.write_str("not on this kernel"),
            Unavailable::Exited => f.write_str("process exited"),
            Unavailable::Failed(m) => f.write_str(m),
        }
    }
}

impl Unavailable {
    /// Classifies the error of reading an optional file in process directory `dir`: "not
    /// found" is "exited" when the directory is gone too, else "not on this kernel".
    pub fn from_error(env: &Env, dir: &str, e: &CollectError) -> Unavailable {
        match e {
            CollectError::NotFound { .. } if env.exists(dir) => Unavailable::NotOnKernel,
            CollectError::NotFound { .. } => Unavailable::Exited,
            CollectError::Permission { .. } => Unavailable::Permission,
            other => Unavailable::Failed(other.to_string()),
        }
    }
}

/// Serializes `Ok(v)` as `v` and `Err(why)` as `{"unavailable": "why"}`.
pub(crate) fn ser_avail<T: Serialize, S: Serializer>(
    v: &Result<T, Unavailable>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    match v {
        Ok(t) => t.serialize(s),
        Err(why) => {
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry("unavailable", &why.to_string())?;
            m.end()
        }
    }
}

/// Serializes a shared string like a plain `Option<String>`.
pub(crate) fn ser_shared_str<S: Serializer>(v: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    v.as_deref().serialize(s)
}

/// One process (or, in the thread view, one thread) at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcSample {
    /// Thread-group id: the process.
    pub pid: i32,
    /// The thread, in the thread view (`Some(pid)` for a single-threaded process); `None` in
    /// the process view.
    pub tid: Option<i32>,
    /// True when `stat` (and what `fill` reads) came from /proc/PID/task/TID: this thread's
    /// own counters. False: the whole process's (the only thread of a single-threaded one).
    pub from_task_dir: bool,
    pub stat: PidStat,
    /// Effective uid, from `status` (this refresh or an earlier one for the same process).
    pub uid: Option<u32>,
    /// User name of `uid` (the number when /etc/passwd does not know it).
    pub user: Option<String>,
    /// The command line (arguments joined by spaces; empty for kernel threads and zombies);
    /// `None` when not read (yet). Shared by every thread of the process and across
    /// snapshots (a long Java command line is kept once, not once per thread and refresh).
    #[serde(serialize_with = "ser_shared_str")]
    pub cmdline: Option<Arc<str>>,
    /// /proc/PID/status when `fill` read it this refresh (boxed: most samples have none).
    pub status: Option<Box<PidStatus>>,
    #[serde(serialize_with = "ser_avail")]
    pub io: Result<PidIo, Unavailable>,
    /// True when the scan did not read `stat` but reused the previous one, because the process
    /// provably did not run since (its schedstat unchanged; see [`super::ProcessScanner`]):
    /// CPU times, faults, state and thread count are exact; RSS, parent, nice and CPU may be
    /// up to [`super::STAT_REFRESH_SCANS`] scans old. [`super::ProcessScanner::fill`] with
    /// `status` reads it afresh. Not serialized: how a value was obtained, not a value.
    #[serde(skip)]
    pub stat_reused: bool,
}

impl ProcSample {
    /// A sample with only `stat` known.
    pub fn from_stat(stat: PidStat) -> ProcSample {
        ProcSample {
            pid: stat.pid,
            tid: None,
            from_task_dir: false,
            stat,
            uid: None,
            user: None,
            cmdline: None,
            status: None,
            io: Err(Unavailable::NotRead),
            stat_reused: false,
        }
    }

    /// The directory the files of this sample come from.
    pub fn dir(&self) -> String {
        pidfs::dir(self.pid, self.tid.filter(|_| self.from_task_dir))
    }

    pub(super) fn key(&self) -> kept::TaskKey {
        (
            self.pid,
            self.tid.filter(|_| self.from_task_dir).unwrap_or(0),
        )
    }
}

/// Every process (or thread) at one instant, sorted by `(pid, tid)`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ProcSnapshot {
    /// /proc/uptime at the scan, in hundredths of a second: the snapshot's clock.
    pub uptime_cs: u64,
    /// True for the thread view (one sample per thread).
    pub threads: bool,
    pub procs: Vec<ProcSample>,
    /// PIDs listed but unreadable for a reason other than exiting (e.g. no file descriptors
    /// left, an unparsable stat).
    pub skipped: u32,
}

impl ProcSnapshot {
    /// The distinct PIDs, ascending.
    pub fn pids(&self) -> Vec<i32> {
        let mut v: Vec<i32> = self.procs.iter().map(|p| p.pid).collect();
        v.dedup();
        v
    }

    /// The sample of process `pid` (the first thread's in the thread view).
    pub fn get(&self, pid: i32) -> Option<&ProcSample> {
        let i = self.procs.partition_point(|p| p.pid < pid);
        self.procs.get(i).filter(|p| p.pid == pid)
    }
}
