//! Everything about one process, read on demand (a drill-down, `sonde snapshot`), not per
//! refresh: status, limits, cgroups, every thread with its state and wait channel, I/O,
//! run-queue delay and the number of open files.
//!
//! `stat` and `status` are required (without them the process is gone: `NotFound`). Every
//! other part can be missing for an expected reason (another user's process and not root, a
//! kernel without the file, the process exiting half-way) and says which, instead of failing
//! the whole detail. The command line is not read here (that read can block on a stuck
//! process; the scanner's row has it, read off-thread).

use serde::Serialize;

use super::{Unavailable, ser_avail};
use crate::collect::procfs::pid::cgroup::{self, CgroupEntry};
use crate::collect::procfs::pid::io::{self, PidIo};
use crate::collect::procfs::pid::limits::{self, Limits};
use crate::collect::procfs::pid::schedstat::{self, PidSchedstat};
use crate::collect::procfs::pid::stat::{self, PidStat};
use crate::collect::procfs::pid::status::{self, PidStatus};
use crate::collect::procfs::pid::wchan;
use crate::collect::procfs::uptime;
use crate::collect::users::Users;
use crate::collect::{CollectError, ParseError, read_parse};
use crate::env::Env;

/// One thread of a process.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThreadDetail {
    pub tid: i32,
    /// The thread's own name (`pthread_setname_np`), untrusted.
    pub comm: String,
    pub state: char,
    /// Kernel function the thread sleeps in (`None`: running, or not visible).
    pub wchan: Option<String>,
    pub utime_ticks: u64,
    pub stime_ticks: u64,
    /// CPU it last ran on.
    pub processor: Option<u32>,
    /// Its on-CPU time and run-queue wait (None without CONFIG_SCHED_INFO).
    pub schedstat: Option<PidSchedstat>,
}

/// One process in detail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcDetail {
    pub pid: i32,
    /// /proc/uptime when read, in hundredths of a second (with `stat.start_ticks`: the age).
    pub uptime_cs: u64,
    pub stat: PidStat,
    pub status: PidStatus,
    /// Name of the effective uid (the number when /etc/passwd does not know it).
    pub user: String,
    #[serde(serialize_with = "ser_avail")]
    pub limits: Result<Limits, Unavailable>,
    #[serde(serialize_with = "ser_avail")]
    pub cgroups: Result<Vec<CgroupEntry>, Unavailable>,
    /// Threads sorted by tid; a thread that exited while listed is left out.
    pub threads: Vec<ThreadDetail>,
    #[serde(serialize_with = "ser_avail")]
    pub io: Result<PidIo, Unavailable>,
    /// Process-wide on-CPU time, run-queue wait and timeslices.
    #[serde(serialize_with = "ser_avail")]
    pub schedstat: Result<PidSchedstat, Unavailable>,
    /// Entries of /proc/PID/fd (needs the right to ptrace the process).
    #[serde(serialize_with = "ser_avail")]
    pub open_files: Result<u64, Unavailable>,
}

/// Reads the detail of process `pid`. `Err(NotFound)`: it does not exist (or exited).
pub fn detail(env: &Env, pid: i32) -> Result<ProcDetail, CollectError> {
    detail_with(env, pid, &mut Users::new())
}

pub(super) fn detail_with(
    env: &Env,
    pid: i32,
    users: &mut Users,
) -> Result<ProcDetail, CollectError> {
    let dir = format!("/proc/{pid}");
    let uptime_cs = uptime::read(env)?;
    let stat = read_parse(env, &format!("{dir}/stat"), stat::parse)?;
    let status = read_parse(env, &format!("{dir}/status"), status::parse)?;
    let limits = part(env, &dir, "limits", limits::parse);
    let cgroups = part(env, &dir, "cgroup", cgroup::parse);
    let io = part(env, &dir, "io", io::parse);
    let schedstat = part(env, &dir, "schedstat", schedstat::parse);
    let open_files = env
        .list_dir(&format!("{dir}/fd"))
        .map(|names| names.len() as u64)
        .map_err(|e| Unavailable::from_error(env, &dir, &e));
    let threads = threads(env, pid);
    Ok(ProcDetail {
        pid,
        uptime_cs,
        user: users.name(env, status.uid.effective),
        stat,
        status,
        limits,
        cgroups,
        threads,
        io,
        schedstat,
        open_files,
    })
}

/// An optional file of the process: missing, forbidden or unparsable says why.
fn part<T>(
    env: &Env,
    dir: &str,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, ParseError>,
) -> Result<T, Unavailable> {
    read_parse(env, &format!("{dir}/{name}"), parse)
        .map_err(|e| Unavailable::from_error(env, dir, &e))
}

fn threads(env: &Env, pid: i32) -> Vec<ThreadDetail> {
    let Ok(names) = env.list_dir(&format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut tids: Vec<i32> = names.iter().filter_map(|n| n.parse().ok()).collect();
    tids.sort_unstable();
    tids.into_iter()
        .filter_map(|tid| {
            let dir = format!("/proc/{pid}/task/{tid}");
            let st = read_parse(env, &format!("{dir}/stat"), stat::parse).ok()?;
            let wchan = env
                .read(&format!("{dir}/wchan"))
                .ok()
                .and_then(|t| wchan::parse(&t));
            let schedstat = read_parse(env, &format!("{dir}/schedstat"), schedstat::parse).ok();
            Some(ThreadDetail {
                tid,
                comm: st.comm,
                state: st.state,
                wchan,
                utime_ticks: st.utime_ticks,
                stime_ticks: st.stime_ticks,
                processor: st.processor,
                schedstat,
            })
        })
        .collect()
}
