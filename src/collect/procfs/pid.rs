//! Parsers for the per-process files under /proc/PID (and /proc/PID/task/TID), one module per
//! file.
//!
//! These are pure: text (or bytes, for `cmdline`) in, typed values out. Opening, keeping files
//! open and deciding what to read for which process is [`crate::collect::process`]'s job. Every
//! file here can vanish between listing /proc and reading it (the process exited); that is the
//! reader's `NotFound`, never a parse error. Names (comm, cmdline) are untrusted and kept as
//! the kernel gave them (invalid UTF-8 replaced); sanitising for a terminal happens in render.

pub mod cgroup;
pub mod cmdline;
pub mod io;
pub mod limits;
pub mod schedstat;
pub mod stat;
pub mod status;
pub mod wchan;

/// `/proc/PID` for a process, `/proc/PID/task/TID` for one of its threads.
pub fn dir(pid: i32, tid: Option<i32>) -> String {
    match tid {
        None => format!("/proc/{pid}"),
        Some(tid) => format!("/proc/{pid}/task/{tid}"),
    }
}
