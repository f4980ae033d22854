//! The per-process collector: every process (or thread) at one instant, cheaply.
//!
//! It works in two phases, because a process table shows all processes but only a screenful
//! of them in detail:
//!
//! 1. [`ProcessScanner::scan`] lists /proc and reads `/proc/PID/stat` of every process (with
//!    `threads`, `/proc/PID/task/TID/stat` of every thread of multi-threaded processes). The
//!    files stay open between scans and are read again with one `pread` each, so a steady-state
//!    scan costs at most one syscall per process plus the few `getdents` of listing /proc
//!    (see `process/kept.rs`). /proc/uptime is read with each scan: it is the snapshot's clock.
//! 2. [`ProcessScanner::fill`] reads `status`, `io` and `cmdline` for the PIDs the caller names
//!    (the visible rows, or all of them when the sort key needs `io`). `status` and `io` are
//!    kept open like `stat`; `cmdline` is read on worker threads with a bounded wait
//!    (see `process/cmdline.rs`) because that read can block on a stuck process.
//!
//! ## Sleeping processes: schedstat instead of stat
//!
//! Most processes sleep, and generating the text of /proc/PID/stat is most of a scan's cost in
//! the kernel. /proc/PID/schedstat is three numbers and cheap to generate: time on the CPU
//! (ns), run-queue wait (ns) and the number of times the task was switched in. A task that was
//! not switched in and gained no CPU time did not run, so nothing it does itself changed: CPU
//! times, faults, thread count, name, state. For a process whose last stat showed one thread
//! sleeping (`S`, `I`, `T`, `t`, `Z`), the scan keeps its schedstat open too and reads it
//! first; when both numbers equal the ones read *before* the last stat, it reuses that stat
//! ([`ProcSample::stat_reused`]) instead of reading it (one `pread` either way for a sleeper;
//! two for a process that ran). Never for:
//!
//! - a multi-threaded process: schedstat describes the thread-group leader only;
//! - a running (`R`) task: its schedstat time is only brought up to date at a tick or a switch
//!   (and a `nohz_full` CPU has almost no ticks), while stat computes it on the spot;
//! - a task in `D`: waking it from I/O adds to `blkio_delay` before it runs;
//! - a kernel without schedstat (CONFIG_SCHED_INFO), or one printing `0 0 0`: today's one stat
//!   read per process (the missing file is asked for once per process);
//! - a capture ([`Env::is_recording`]): everything is read, schedstat first, so the capture
//!   holds both and replays the same way;
//! - a replay, unless [`ProcessScanner::set_stat_reuse`] turns it on (tests): a replay reads
//!   what was captured, at no cost that matters.
//!
//! A few stat fields change without the task running: RSS (reclaim, a `vfork` child sharing
//! the memory), the parent (reparenting), nice and policy (`renice`, `chrt`), the CPU last run
//! on (migration), the terminal's foreground group. So each process's stat is read at least
//! once every [`STAT_REFRESH_SCANS`] scans regardless, and [`ProcessScanner::fill`] with
//! `status` re-reads every reused stat among the PIDs it is given: the rows on screen are
//! always fresh. On the live host a reuse also needs the schedstat bytes from a file kept open
//! since the last scan: a kept /proc file reads the same process or fails, while one opened by
//! path may belong to a new process that reused the PID.
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
use crate::collect::procfs::pid::schedstat::{self, PidSchedstat};
use crate::collect::procfs::pid::stat::{self, PidStat};
use crate::collect::procfs::pid::status;
use crate::collect::procfs::uptime;
use crate::collect::users::Users;
use crate::env::Env;
use kept::{Kept, Kind, Origin};

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
    /// The last stat read of the process (by a scan or by `fill`): what a scan reuses.
    stat: Option<PidStat>,
    /// /proc/PID/schedstat as read at some moment *before* `stat` was read: if it still reads
    /// the same, the process has not run since, so `stat` still holds.
    schedstat: Option<PidSchedstat>,
    /// schedstat is missing, unreadable or all zero for this process: not asked again.
    schedstat_off: bool,
}

impl Memo {
    /// True when a schedstat unchanged since [`Memo::schedstat`] proves [`Memo::stat`] current:
    /// one thread (schedstat covers only the leader), asleep or stopped (see the module doc).
    fn stat_may_be_reused(&self) -> bool {
        !self.schedstat_off
            && self.stat.as_ref().is_some_and(|s| {
                s.num_threads == 1 && matches!(s.state, 'S' | 'I' | 'T' | 't' | 'Z')
            })
    }
}

/// Each process's stat is read at least once every this many scans, even while its schedstat
/// says it did not run (the fields that change without the task running: RSS, parent, nice,
/// the CPU last run on). Which scan depends on the PID, so every scan reads a tenth of the
/// sleepers instead of every tenth scan reading all of them: the budget is per refresh. At the
/// TUI's default 1 s refresh, such a field is at most 10 s old off screen, never on screen.
pub const STAT_REFRESH_SCANS: u64 = 10;

/// Whether a scan must list /proc (see [`ProcessScanner::pids_to_scan`]).
fn must_list(
    last_pid: Option<u64>,
    listed_last_pid: Option<u64>,
    generation: u64,
    none_yet: bool,
) -> bool {
    last_pid.is_none()
        || last_pid != listed_last_pid
        || generation.is_multiple_of(STAT_REFRESH_SCANS)
        || none_yet
}

/// The last field of /proc/loadavg: the most recently allocated PID (in this PID namespace).
fn parse_last_pid(loadavg: &str) -> Option<u64> {
    loadavg.split_whitespace().nth(4)?.parse().ok()
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
    /// Reuse the stat of a process that did not run (see the module doc).
    stat_reuse: bool,
    /// Scratch for a schedstat path (no allocation per process and scan).
    sched_abs: String,
    /// The PIDs of the last scan and /proc/loadavg's last-PID field when /proc was listed
    /// (see [`ProcessScanner::pids_to_scan`]).
    listed: Vec<i32>,
    listed_last_pid: Option<u64>,
}

/// How a scan got the stat of a process.
enum Got {
    /// Read now, with the schedstat read just before it (when it was).
    Read(PidStat, Option<PidSchedstat>),
    /// The process did not run since its last stat was read: that stat.
    Reused(PidStat),
    /// The process exited.
    Exited,
    /// Unreadable for another reason.
    Unreadable,
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
            listed: Vec::new(),
            listed_last_pid: None,
            stat_reuse: env.is_live() && !env.is_recording(),
            sched_abs: String::new(),
        }
    }

    /// Turns reusing the stat of processes that did not run on or off (see the module doc).
    /// On by default on the live host, off on a replay and a recording Env; a capture always
    /// reads everything whatever this says.
    pub fn set_stat_reuse(&mut self, on: bool) {
        self.stat_reuse = on;
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

    /// Reads /proc/uptime and the stat of every process (`threads`: of every thread), or, for
    /// a process that provably did not run since the last scan, reuses its last stat (see the
    /// module doc). The only error is a host without a readable /proc (or /proc/uptime).
    pub fn scan(&mut self, env: &Env, threads: bool) -> Result<ProcSnapshot, CollectError> {
        self.generation += 1;
        let generation = self.generation;
        if !env.is_live() {
            self.kept.clear();
        }
        let uptime_cs = uptime::read(env)?;
        let pids = self.pids_to_scan(env)?;
        let mut alive = Vec::with_capacity(pids.len());
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
            let (st, sched, reused) = match self.process_stat(env, pid, &abs, generation) {
                Got::Read(st, sched) => (st, sched, false),
                Got::Reused(st) => (st, None, true),
                Got::Exited => continue,
                Got::Unreadable => {
                    snap.skipped += 1;
                    alive.push(pid);
                    continue;
                }
            };
            alive.push(pid);
            self.kept.touch((pid, 0), generation, st.start_ticks);
            if st.num_threads != 1 {
                // Its schedstat no longer speaks for the process: free the descriptor.
                self.kept.close((pid, 0), Kind::Schedstat);
            }
            let memo = self.memo.entry(pid).or_default();
            if memo.start_ticks != st.start_ticks {
                // A new process, or a reused PID: forget the old one (and a schedstat read
                // before the stat may have been the old one's).
                *memo = Memo {
                    start_ticks: st.start_ticks,
                    ..Memo::default()
                };
            } else if sched.is_some() {
                memo.schedstat = sched;
            }
            memo.seen = generation;
            if !reused {
                memo.comm.clone_from(&st.comm);
                memo.stat = Some(st.clone());
            }
            if threads && st.num_threads > 1 {
                scan_threads(&mut self.kept, memo, env, generation, &st, &mut snap);
            } else {
                let mut s = ProcSample::from_stat(st);
                s.tid = threads.then_some(pid);
                s.stat_reused = reused;
                remembered(memo, &mut s);
                snap.procs.push(s);
            }
        }
        self.kept.sweep(generation);
        self.memo.retain(|_, m| m.seen == generation);
        self.listed = alive;
        Ok(snap)
    }

    /// The PIDs to scan. Listing /proc costs about a quarter of a scan at 2,000 processes, and
    /// it only finds something new when a process was created: every fork takes a new PID,
    /// and /proc/loadavg's last field is the PID allocated last. So when that field has not
    /// moved since the last listing, the last scan's PIDs are still complete (an exited one
    /// shows up as gone when its kept-open stat is read). /proc is listed anyway on a replay,
    /// when loadavg cannot be read, and every [`STAT_REFRESH_SCANS`] scans.
    fn pids_to_scan(&mut self, env: &Env) -> Result<Vec<i32>, CollectError> {
        let last_pid = if env.is_live() {
            env.read("/proc/loadavg")
                .ok()
                .and_then(|t| parse_last_pid(&t))
        } else {
            None
        };
        if !must_list(
            last_pid,
            self.listed_last_pid,
            self.generation,
            self.listed.is_empty(),
        ) {
            return Ok(self.listed.clone());
        }
        let mut pids: Vec<i32> = env
            .list_dir("/proc")?
            .iter()
            .filter_map(|n| n.parse().ok())
            .filter(|p| *p > 0)
            .collect();
        pids.sort_unstable();
        self.listed_last_pid = last_pid;
        Ok(pids)
    }

    /// The stat of process `pid` (host path `stat_abs`) for scan `generation`: read, or reused
    /// when its schedstat shows it did not run (see the module doc).
    fn process_stat(&mut self, env: &Env, pid: i32, stat_abs: &str, generation: u64) -> Got {
        let key = (pid, 0);
        let memo = self.memo.get(&pid);
        // Whether to read schedstat first, and whether it may stand for the stat this time.
        let (read_sched, may_reuse) = if env.is_recording() {
            (true, false)
        } else if let Some(m) = memo.filter(|m| self.stat_reuse && m.stat_may_be_reused()) {
            let due =
                (generation + u64::from(pid.unsigned_abs())).is_multiple_of(STAT_REFRESH_SCANS);
            // Reading a schedstat that cannot stay open costs more than the stat it saves.
            let room = !env.is_live()
                || self.kept.is_open(key, Kind::Schedstat)
                || self.kept.has_room(Kind::Schedstat);
            // When due, the stat is read anyway; an earlier schedstat still serves as the
            // baseline, so read it only when there is none.
            (room && !(due && m.schedstat.is_some()), !due)
        } else {
            (false, false)
        };
        let mut sched = None;
        let mut sched_off = false;
        if read_sched {
            let abs = &mut self.sched_abs;
            abs.clear();
            abs.push_str(stat_abs.strip_suffix("stat").unwrap_or(stat_abs));
            abs.push_str("schedstat");
            match self.kept.read_origin(env, key, Kind::Schedstat, abs) {
                Ok((b, origin)) => match schedstat::parse(&text(b)) {
                    // 0 switches: schedstat switched off (or a task that never ran).
                    Ok(now) if now.timeslices > 0 => {
                        // Opened just now: maybe another process with this PID.
                        if may_reuse
                            && origin != Origin::Opened
                            && let Some(m) = memo
                            && m.schedstat.is_some_and(|was| did_not_run(was, now))
                            && let Some(st) = &m.stat
                        {
                            return Got::Reused(st.clone());
                        }
                        sched = Some(now);
                    }
                    _ => sched_off = true,
                },
                Err(_) => sched_off = true,
            }
        }
        let got = match read_stat(&mut self.kept, env, key, stat_abs) {
            Ok(Some(st)) => Got::Read(st, sched),
            Ok(None) => Got::Exited,
            Err(()) => Got::Unreadable,
        };
        if sched_off && matches!(got, Got::Read(..)) {
            // The process is there and its schedstat is not (or says nothing).
            self.kept.close(key, Kind::Schedstat);
            if let Some(m) = self.memo.get_mut(&pid) {
                m.schedstat_off = true;
            }
        }
        got
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
            if want.status && s.stat_reused {
                // A row on screen shows a fresh stat, not one kept from a quiet interval.
                let abs = format!("{dir}/stat");
                if let Ok(Some(st)) = read_stat(&mut self.kept, env, s.key(), &abs)
                    && st.start_ticks == s.stat.start_ticks
                {
                    if let Some(m) = self.memo.get_mut(&s.pid) {
                        m.stat = Some(st.clone());
                    }
                    s.stat = st;
                    s.stat_reused = false;
                }
            }
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

/// True when the two schedstat readings show no switch-in and no CPU time in between.
fn did_not_run(was: PidSchedstat, now: PidSchedstat) -> bool {
    was.on_cpu_ns == now.on_cpu_ns && was.timeslices == now.timeslices
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

#[cfg(test)]
mod listing_tests {
    use super::*;

    #[test]
    fn lists_proc_only_when_a_pid_was_allocated() {
        assert_eq!(parse_last_pid("0.52 0.58 0.59 3/467 12345\n"), Some(12345));
        assert_eq!(parse_last_pid("0.52 0.58"), None);
        // Same last PID, mid-cycle, a list exists: reuse it.
        assert!(!must_list(Some(7), Some(7), 3, false));
        // A fork happened, or loadavg unreadable, or every tenth scan, or nothing listed yet.
        assert!(must_list(Some(8), Some(7), 3, false));
        assert!(must_list(None, None, 3, false));
        assert!(must_list(Some(7), Some(7), STAT_REFRESH_SCANS * 2, false));
        assert!(must_list(Some(7), Some(7), 3, true));
    }
}
