//! The per-process collector: every process (or thread) at one instant, cheaply.
//!
//! It works in two phases, because a process table shows all processes but only a screenful
//! of them in detail:
//!
//! 1. [`ProcessScanner::scan`] lists /proc and reads `/proc/PID/stat` of every process (with
//!    `threads`, `/proc/PID/task/TID/stat` of every thread of multi-threaded processes). The
//!    files stay open between scans and are read again with one `pread` each, so a steady-state
//!    scan costs one syscall per process plus the few `getdents` of listing /proc
//!    (see `process/kept.rs`). /proc/uptime is read with each scan: it is the snapshot's clock.
//! 2. [`ProcessScanner::fill`] reads `status`, `io` and `cmdline` for the PIDs the caller names
//!    (the visible rows, or all of them when the sort key needs `io`). `status` and `io` are
//!    kept open like `stat`; `cmdline` is read on worker threads with a bounded wait
//!    (see `process/cmdline.rs`) because that read can block on a stuck process.
//!
//! [`detail`] reads everything about one process on demand (limits, cgroups, threads with wait
//! channels, I/O, run-queue delay, open files). Rates are not computed here: that is
//! [`crate::model::process`], from two snapshots.
//!
//! Processes come and go while they are read. A file that vanishes (`ENOENT`, `ESRCH`) means
//! the process exited: it is left out of the snapshot, never an error for the scan. A PID is
//! identified together with its start time, so a reused PID is a new process. Names (comm,
//! cmdline) are kept as the kernel gives them (invalid UTF-8 replaced): sanitising for a
//! terminal is render's job.
//!
//! The scanner is not tied to one thread: it can live on a collector thread, and
//! [`ProcSnapshot`] is plain data (`Send`) to send over a channel. The caller owns the sampling
//! cadence: with a capture sequence, call [`Env::begin_sample`] (or `host::sample`, which does)
//! before each scan.

mod cmdline;
mod detail;
mod kept;
mod sample;

pub use cmdline::{DEFAULT_WAIT as CMDLINE_WAIT, MAX_WORKERS as CMDLINE_MAX_WORKERS};
pub use detail::{ProcDetail, ThreadDetail, detail};
pub use sample::{Fields, ProcSample, ProcSnapshot, Unavailable};
pub(crate) use sample::{ser_avail, ser_shared_str};

use std::sync::Arc;
use std::time::Duration;

use crate::collect::CollectError;
use crate::collect::procfs::pid::cmdline as cmdline_file;
use crate::collect::procfs::pid::io;
use crate::collect::procfs::pid::stat::{self, PidStat};
use crate::collect::procfs::pid::status;
use crate::collect::procfs::uptime;
use crate::collect::users::Users;
use crate::env::Env;
use kept::{Kept, Kind};

/// What the scanner remembers about a process between scans.
#[derive(Debug, Default)]
struct Memo {
    start_ticks: u64,
    seen: u64,
    comm: String,
    uid: Option<u32>,
    user: Option<String>,
    cmdline: Option<Arc<str>>,
    /// Scan generation of the cmdline read, and the comm at that time (an `exec` changes it).
    cmdline_gen: u64,
    cmdline_comm: String,
    /// The thread ids last listed, and the thread count they were listed at.
    tids: Option<(u64, Vec<i32>)>,
    /// /proc/PID/io was refused (another user's process; not asked again for this process).
    io_denied: bool,
}

/// Re-read a cached cmdline after this many scans (a process may rewrite its title).
const CMDLINE_REFRESH_SCANS: u64 = 10;

/// File descriptors left for everything else when keeping /proc files open.
const FD_RESERVE: u64 = 256;

/// Owns the kept-open /proc files, the cmdline workers and the user-name cache.
#[derive(Debug)]
pub struct ProcessScanner {
    kept: Kept,
    cmdline: cmdline::CmdlineReader,
    users: Users,
    memo: kept::PidMap<i32, Memo>,
    generation: u64,
}

impl ProcessScanner {
    /// On the live host this raises the soft `RLIMIT_NOFILE` of sonde itself to its hard
    /// limit, so the stat files of thousands of processes can stay open; the files kept open
    /// stay 256 below it (past that, files are opened and closed per read).
    pub fn new(env: &Env) -> ProcessScanner {
        let budget = if env.is_live() { fd_budget() } else { 0 };
        ProcessScanner {
            kept: Kept::new(budget),
            cmdline: cmdline::CmdlineReader::new(),
            users: Users::new(),
            memo: kept::PidMap::default(),
            generation: 0,
        }
    }

    /// Sets how long [`ProcessScanner::fill`] waits for cmdline reads (default
    /// [`CMDLINE_WAIT`]).
    pub fn set_cmdline_wait(&mut self, wait: Duration) {
        self.cmdline.wait = wait;
    }

    /// /proc files kept open right now.
    pub fn open_files(&self) -> usize {
        self.kept.open_files()
    }

    /// cmdline reads still in flight (a blocked process shows here).
    pub fn cmdline_pending(&self) -> usize {
        self.cmdline.pending()
    }

    /// Reads /proc/uptime and the stat of every process (`threads`: of every thread).
    /// The only error is a host without a readable /proc (or /proc/uptime).
    pub fn scan(&mut self, env: &Env, threads: bool) -> Result<ProcSnapshot, CollectError> {
        self.generation += 1;
        let generation = self.generation;
        if !env.is_live() {
            self.kept.clear();
        }
        let uptime_cs = uptime::read(env)?;
        let mut pids: Vec<i32> = env
            .list_dir("/proc")?
            .iter()
            .filter_map(|n| n.parse().ok())
            .filter(|p| *p > 0)
            .collect();
        pids.sort_unstable();
        let mut snap = ProcSnapshot {
            uptime_cs,
            threads,
            procs: Vec::with_capacity(pids.len()),
            skipped: 0,
        };
        let mut abs = String::new();
        for pid in pids {
            abs.clear();
            use std::fmt::Write;
            let _ = write!(abs, "/proc/{pid}/stat");
            let st = match read_stat(&mut self.kept, env, (pid, 0), &abs) {
                Ok(Some(st)) => st,
                Ok(None) => continue,
                Err(()) => {
                    snap.skipped += 1;
                    continue;
                }
            };
            self.kept.touch((pid, 0), generation, st.start_ticks);
            let memo = self.memo.entry(pid).or_default();
            if memo.start_ticks != st.start_ticks {
                // A new process, or a reused PID: forget the old one.
                *memo = Memo {
                    start_ticks: st.start_ticks,
                    ..Memo::default()
                };
            }
            memo.seen = generation;
            memo.comm.clone_from(&st.comm);
            if threads && st.num_threads > 1 {
                scan_threads(&mut self.kept, memo, env, generation, &st, &mut snap);
            } else {
                let mut s = ProcSample::from_stat(st);
                s.tid = threads.then_some(pid);
                remembered(memo, &mut s);
                snap.procs.push(s);
            }
        }
        self.kept.sweep(generation);
        self.memo.retain(|_, m| m.seen == generation);
        Ok(snap)
    }

    /// Reads `want` for every sample of the processes in `pids`. A process that exited since
    /// the scan keeps its stat and gets no extra fields; io that may not be read says why.
    pub fn fill(&mut self, env: &Env, snap: &mut ProcSnapshot, pids: &[i32], want: Fields) {
        let mut set = pids.to_vec();
        set.sort_unstable();
        set.dedup();
        let mut cmd_wanted: Vec<(i32, u64)> = Vec::new();
        for s in snap.procs.iter_mut() {
            if set.binary_search(&s.pid).is_err() {
                continue;
            }
            let dir = s.dir();
            if want.status {
                let abs = format!("{dir}/status");
                let st = self
                    .kept
                    .read(env, s.key(), Kind::Status, &abs)
                    .ok()
                    .and_then(|b| status::parse(&text(b)).ok());
                if let Some(st) = st {
                    let uid = st.uid.effective;
                    let user = self.users.name(env, uid);
                    if let Some(m) = self.memo.get_mut(&s.pid) {
                        m.uid = Some(uid);
                        m.user = Some(user.clone());
                    }
                    s.uid = Some(uid);
                    s.user = Some(user);
                    s.status = Some(Box::new(st));
                }
            }
            if want.io {
                let memo = self.memo.get_mut(&s.pid);
                if memo.as_ref().is_some_and(|m| m.io_denied) {
                    // Another user's process: asking again every refresh would only cost an
                    // `openat` that fails the same way (sorting by I/O as non-root).
                    s.io = Err(Unavailable::Permission);
                } else {
                    let abs = format!("{dir}/io");
                    s.io = match self.kept.read(env, s.key(), Kind::Io, &abs) {
                        Ok(b) => io::parse(&text(b)).map_err(|e| {
                            Unavailable::Failed(CollectError::parse(&abs, e).to_string())
                        }),
                        Err(e) => Err(Unavailable::from_error(env, &dir, &e)),
                    };
                    if let Some(m) = memo {
                        m.io_denied = s.io == Err(Unavailable::Permission);
                    }
                }
            }
            if want.cmdline {
                let Some(m) = self.memo.get(&s.pid) else {
                    continue;
                };
                let fresh = m.cmdline.is_some()
                    && m.cmdline_comm == m.comm
                    && self.generation.saturating_sub(m.cmdline_gen) < CMDLINE_REFRESH_SCANS;
                if fresh {
                    s.cmdline.clone_from(&m.cmdline);
                } else if cmd_wanted.last().is_none_or(|w| w.0 != s.pid) {
                    cmd_wanted.push((s.pid, s.stat.start_ticks));
                }
            }
        }
        if !want.cmdline {
            return;
        }
        let mut arrived = Vec::new();
        for d in self.cmdline.read(env, &cmd_wanted) {
            let Ok(bytes) = d.result else { continue };
            env.record_file(&d.abs, &bytes);
            if let Some(m) = self.memo.get_mut(&d.pid)
                && m.start_ticks == d.start_ticks
            {
                m.cmdline = Some(Arc::from(cmdline_file::parse(&bytes)));
                m.cmdline_gen = self.generation;
                m.cmdline_comm.clone_from(&m.comm);
                arrived.push(d.pid);
            }
        }
        arrived.sort_unstable();
        for s in snap.procs.iter_mut() {
            if arrived.binary_search(&s.pid).is_ok()
                && let Some(m) = self.memo.get(&s.pid)
            {
                s.cmdline.clone_from(&m.cmdline);
            }
        }
    }

    /// [`detail`] with this scanner's user-name cache.
    pub fn detail(&mut self, env: &Env, pid: i32) -> Result<ProcDetail, CollectError> {
        detail::detail_with(env, pid, &mut self.users)
    }
}

/// Bytes of a /proc file as text: borrowed when valid UTF-8 (the fast, usual case), invalid
/// sequences replaced otherwise (a hostile comm).
fn text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// Reads and parses one stat file. `Ok(None)`: the task exited; `Err`: unreadable otherwise.
fn read_stat(
    kept: &mut Kept,
    env: &Env,
    key: kept::TaskKey,
    abs: &str,
) -> Result<Option<PidStat>, ()> {
    match kept.read(env, key, Kind::Stat, abs) {
        // An empty read is a task reaped between open and read.
        Ok([]) => Ok(None),
        Ok(b) => stat::parse(&text(b)).map(Some).map_err(|_| ()),
        Err(CollectError::NotFound { .. }) => Ok(None),
        Err(_) => Err(()),
    }
}

/// Copies what the scanner remembers about the process into a fresh sample.
fn remembered(memo: &Memo, s: &mut ProcSample) {
    s.uid = memo.uid;
    s.user.clone_from(&memo.user);
    if memo.cmdline_comm == memo.comm {
        s.cmdline.clone_from(&memo.cmdline);
    }
}

/// The thread samples of multi-threaded process `st`. The thread list is reused while the
/// thread count is unchanged and every kept thread file still reads (a thread that exited
/// fails its read, and one that started raises the count); otherwise /proc/PID/task is listed
/// again. On a replay or a recording Env it is always listed.
fn scan_threads(
    kept: &mut Kept,
    memo: &mut Memo,
    env: &Env,
    generation: u64,
    st: &PidStat,
    snap: &mut ProcSnapshot,
) {
    let pid = st.pid;
    let reuse = env.is_live() && !env.is_recording();
    let cached = memo
        .tids
        .take()
        .filter(|(n, _)| reuse && *n == st.num_threads)
        .map(|(_, t)| t);
    let mut tries = if cached.is_some() { 2 } else { 1 };
    let mut tids = cached;
    let start = snap.procs.len();
    while tries > 0 {
        tries -= 1;
        let list = match tids.take() {
            Some(t) => t,
            None => match env.list_dir(&format!("/proc/{pid}/task")) {
                Ok(names) => {
                    let mut t: Vec<i32> = names.iter().filter_map(|n| n.parse().ok()).collect();
                    t.sort_unstable();
                    t
                }
                Err(_) => return, // the process exited
            },
        };
        let mut vanished = false;
        for &tid in &list {
            let abs = format!("/proc/{pid}/task/{tid}/stat");
            match read_stat(kept, env, (pid, tid), &abs) {
                Ok(Some(ts)) => {
                    kept.touch((pid, tid), generation, st.start_ticks);
                    let mut s = ProcSample::from_stat(ts);
                    s.pid = pid;
                    s.tid = Some(tid);
                    s.from_task_dir = true;
                    remembered(memo, &mut s);
                    snap.procs.push(s);
                }
                Ok(None) => vanished = true,
                Err(()) => snap.skipped += 1,
            }
        }
        if vanished && tries > 0 {
            snap.procs.truncate(start);
            continue;
        }
        memo.tids = Some((st.num_threads, list));
        break;
    }
}

/// How many /proc files may stay open: raises the soft RLIMIT_NOFILE to the hard one first.
fn fd_budget() -> usize {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return 0;
    };
    // Stay below FD_SETSIZE-era limits nobody needs: 1 Mi files is plenty.
    let want = hard.min(1 << 20);
    let soft = if want > soft && setrlimit(Resource::RLIMIT_NOFILE, want, hard).is_ok() {
        want
    } else {
        soft
    };
    usize::try_from(soft.saturating_sub(FD_RESERVE)).unwrap_or(0)
}

/// Reads every file the process table needs, for all processes and threads, through `env`:
/// with a recording Env this puts them all in the capture (`sonde capture` with processes).
/// Returns the number of processes.
pub fn capture_all(env: &Env) -> Result<usize, CollectError> {
    let mut sc = ProcessScanner::new(env);
    // A capture can afford to wait for slow cmdline reads (a stuck one is still skipped).
    sc.set_cmdline_wait(Duration::from_secs(2));
    let mut procs = sc.scan(env, false)?;
    let pids = procs.pids();
    sc.fill(env, &mut procs, &pids, Fields::ALL);
    let mut threads = sc.scan(env, true)?;
    sc.fill(
        env,
        &mut threads,
        &pids,
        Fields {
            status: true,
            io: true,
            cmdline: false,
        },
    );
    Ok(pids.len())
}

#[cfg(test)]
mod tests;
