//! Per-process rates from two process snapshots: the rows of a process table.
//!
//! The interval is the snapshots' own /proc/uptime difference, never the wall clock. A process
//! is matched to its previous sample by PID (and TID in the thread view) *and* start time, so a
//! reused PID is a new process with no rates. Every rate is `None` when there is no previous
//! value: a new process, a reused PID, a counter that went backwards, I/O that could not be read
//! (another user's process), or the same snapshot passed twice.
//!
//! CPU % is user + system time over the interval as a share of ONE CPU, as `top` prints it: a
//! process keeping four CPUs busy shows 400 %. Sizes are bytes (RSS from stat's pages times the
//! page size). Names are passed through untouched; render sanitises them.

use std::sync::Arc;

use serde::Serialize;

use crate::collect::process::{ProcSample, ProcSnapshot, Unavailable};
use crate::env::HostFacts;
use crate::model::rate::{Interval, delta};

/// One line of the process table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcRow {
    pub pid: i32,
    /// The thread, in the thread view.
    pub tid: Option<i32>,
    pub ppid: i32,
    pub uid: Option<u32>,
    /// User name, the uid as a number when /etc/passwd lacks it, `?` when not read yet.
    pub user: String,
    /// One letter: R S D Z T t X I P (see `PidStat::state`).
    pub state: char,
    /// Untrusted: render sanitises it.
    pub comm: String,
    /// Untrusted; `None` when not read (yet), `Some("")` for kernel threads and zombies (show
    /// `[comm]` for both). Shared with the snapshot (`as_deref()` gives the `&str`).
    #[serde(serialize_with = "crate::collect::process::ser_shared_str")]
    pub cmdline: Option<Arc<str>>,
    pub kernel_thread: bool,
    pub threads: u64,
    pub nice: i64,
    pub priority: i64,
    /// Start time after boot, in clock ticks.
    pub start_ticks: u64,
    /// Seconds since the process started (at the current snapshot).
    pub age_secs: f64,
    /// Total user + system CPU time so far (top's TIME+).
    pub cpu_time_secs: f64,
    /// User + system time as a share of one CPU over the interval.
    pub cpu_pct: Option<f64>,
    pub user_cpu_pct: Option<f64>,
    pub system_cpu_pct: Option<f64>,
    /// CPU it last ran on.
    pub processor: Option<u32>,
    pub rss_bytes: u64,
    pub vsize_bytes: u64,
    /// Swapped-out memory, when status was read.
    pub swap_bytes: Option<u64>,
    /// Bytes read from / written to the block layer per second (iotop's DISK READ/WRITE).
    pub read_bytes_per_sec: Option<f64>,
    pub write_bytes_per_sec: Option<f64>,
    /// Bytes passed to read/write-like syscalls per second (cache hits, pipes, sockets too).
    pub read_chars_per_sec: Option<f64>,
    pub write_chars_per_sec: Option<f64>,
    /// Dirty page cache dropped before writeback (truncated files), per second.
    pub cancelled_write_bytes_per_sec: Option<f64>,
    /// Why the I/O rates are `None` when /proc/PID/io could not be read (`None` here when they
    /// are known, or only lack a previous value).
    pub io_unavailable: Option<Unavailable>,
    pub major_faults_per_sec: Option<f64>,
    pub minor_faults_per_sec: Option<f64>,
    /// Context switches per second, when status was read in both snapshots.
    pub voluntary_ctxt_switches_per_sec: Option<f64>,
    pub nonvoluntary_ctxt_switches_per_sec: Option<f64>,
    /// Share of the interval spent waiting for block I/O (iotop's IO>), from stat's
    /// `delayacct_blkio_ticks`. Stays 0 unless delay accounting is on (`kernel.task_delayacct`).
    pub blkio_delay_pct: Option<f64>,
}

/// The rows of `curr`, in its order, with rates against `prev`.
pub fn rows(prev: &ProcSnapshot, curr: &ProcSnapshot, facts: &HostFacts) -> Vec<ProcRow> {
    let itv = Interval::between(prev.uptime_cs, curr.uptime_cs);
    let mut out = Vec::with_capacity(curr.procs.len());
    // Both are sorted by (pid, tid): walk them together.
    let mut j = 0;
    for c in &curr.procs {
        let key = (c.pid, c.tid);
        while j < prev.procs.len() && (prev.procs[j].pid, prev.procs[j].tid) < key {
            j += 1;
        }
        let p = prev
            .procs
            .get(j)
            .filter(|p| (p.pid, p.tid) == key && p.stat.start_ticks == c.stat.start_ticks);
        out.push(row(p.zip(itv), c, curr.uptime_cs, facts));
    }
    out
}

/// One row: `before` is the previous sample of the same process and the interval, if any.
pub fn row(
    before: Option<(&ProcSample, Interval)>,
    c: &ProcSample,
    uptime_cs: u64,
    facts: &HostFacts,
) -> ProcRow {
    let hz = facts.clock_ticks_per_sec.max(1) as f64;
    let s = &c.stat;
    // Per-second rate of a counter, and CPU share (%) of a tick counter.
    let per_sec = |f: &dyn Fn(&ProcSample) -> Option<u64>| {
        let (p, itv) = before?;
        itv.per_sec(f(p)?, f(c)?)
    };
    let ticks_pct = |f: &dyn Fn(&ProcSample) -> Option<u64>| {
        let (p, itv) = before?;
        delta(f(p)?, f(c)?).map(|d| d as f64 / hz / itv.secs() * 100.0)
    };
    let io = |f: fn(&crate::collect::procfs::pid::io::PidIo) -> u64| {
        per_sec(&|x: &ProcSample| x.io.as_ref().ok().map(f))
    };
    let status = |f: fn(&crate::collect::procfs::pid::status::PidStatus) -> Option<u64>| {
        per_sec(&|x: &ProcSample| x.status.as_deref().and_then(f))
    };
    let io_unavailable = match &c.io {
        Err(Unavailable::NotRead) | Ok(_) => None,
        Err(why) => Some(why.clone()),
    };
    ProcRow {
        pid: c.pid,
        tid: c.tid,
        ppid: s.ppid,
        uid: c.uid,
        user: c.user.clone().unwrap_or_else(|| "?".into()),
        state: s.state,
        comm: s.comm.clone(),
        cmdline: c.cmdline.clone(),
        kernel_thread: s.is_kernel_thread(),
        threads: s.num_threads,
        nice: s.nice,
        priority: s.priority,
        start_ticks: s.start_ticks,
        age_secs: (uptime_cs as f64 / 100.0 - s.start_ticks as f64 / hz).max(0.0),
        cpu_time_secs: s.cpu_ticks() as f64 / hz,
        cpu_pct: ticks_pct(&|x| Some(x.stat.cpu_ticks())),
        user_cpu_pct: ticks_pct(&|x| Some(x.stat.utime_ticks)),
        system_cpu_pct: ticks_pct(&|x| Some(x.stat.stime_ticks)),
        processor: s.processor,
        rss_bytes: s.rss_pages.saturating_mul(facts.page_size_bytes),
        vsize_bytes: s.vsize_bytes,
        swap_bytes: c.status.as_ref().and_then(|st| st.vm_swap_bytes),
        read_bytes_per_sec: io(|i| i.read_bytes),
        write_bytes_per_sec: io(|i| i.write_bytes),
        read_chars_per_sec: io(|i| i.rchar_bytes),
        write_chars_per_sec: io(|i| i.wchar_bytes),
        cancelled_write_bytes_per_sec: io(|i| i.cancelled_write_bytes),
        io_unavailable,
        major_faults_per_sec: per_sec(&|x| Some(x.stat.major_faults)),
        minor_faults_per_sec: per_sec(&|x| Some(x.stat.minor_faults)),
        voluntary_ctxt_switches_per_sec: status(|st| st.voluntary_ctxt_switches),
        nonvoluntary_ctxt_switches_per_sec: status(|st| st.nonvoluntary_ctxt_switches),
        blkio_delay_pct: ticks_pct(&|x| x.stat.blkio_delay_ticks),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::procfs::pid::io::PidIo;
    use crate::collect::procfs::pid::stat::PidStat;

    const FACTS: HostFacts = HostFacts {
        clock_ticks_per_sec: 100,
        page_size_bytes: 4096,
    };

    fn sample(pid: i32, start: u64, utime: u64, stime: u64) -> ProcSample {
        ProcSample::from_stat(PidStat {
            pid,
            comm: format!("p{pid}"),
            state: 'R',
            utime_ticks: utime,
            stime_ticks: stime,
            start_ticks: start,
            num_threads: 1,
            rss_pages: 10,
            blkio_delay_ticks: Some(0),
            ..PidStat::default()
        })
    }

    fn snap(uptime_cs: u64, procs: Vec<ProcSample>) -> ProcSnapshot {
        ProcSnapshot {
            uptime_cs,
            threads: false,
            procs,
            skipped: 0,
        }
    }

    #[test]
    fn cpu_pct_is_a_share_of_one_cpu() {
        // 50 ticks of user+system in 1 s (100 ticks at USER_HZ 100) = 50 %.
        let prev = snap(1000, vec![sample(7, 5, 100, 100)]);
        let curr = snap(1100, vec![sample(7, 5, 130, 120)]);
        let r = &rows(&prev, &curr, &FACTS)[0];
        assert_eq!(r.cpu_pct, Some(50.0));
        assert_eq!(r.user_cpu_pct, Some(30.0));
        assert_eq!(r.system_cpu_pct, Some(20.0));
        assert_eq!(r.rss_bytes, 40960);
        assert_eq!(r.cpu_time_secs, 2.5);
        // Four busy threads for 2 s: 800 ticks = 400 % (top's convention).
        let prev = snap(1000, vec![sample(7, 5, 0, 0)]);
        let curr = snap(1200, vec![sample(7, 5, 800, 0)]);
        assert_eq!(rows(&prev, &curr, &FACTS)[0].cpu_pct, Some(400.0));
        // Clock ticks at 250 Hz: 125 ticks in 1 s = 50 %.
        let facts = HostFacts {
            clock_ticks_per_sec: 250,
            ..FACTS
        };
        let prev = snap(1000, vec![sample(7, 5, 0, 0)]);
        let curr = snap(1100, vec![sample(7, 5, 125, 0)]);
        assert_eq!(rows(&prev, &curr, &facts)[0].cpu_pct, Some(50.0));
    }

    #[test]
    fn pid_reuse_new_process_and_backwards_counter_have_no_rate() {
        //   prev: 7 (start 5)   8 (start 6)
        //   curr: 7 (start 90)  8 (start 6, counter lower)   9 (new)
        let prev = snap(1000, vec![sample(7, 5, 100, 0), sample(8, 6, 50, 0)]);
        let curr = snap(
            1100,
            vec![
                sample(7, 90, 1, 0),
                sample(8, 6, 40, 0),
                sample(9, 95, 3, 0),
            ],
        );
        let r = rows(&prev, &curr, &FACTS);
        assert_eq!(r.len(), 3);
        assert!(r.iter().all(|r| r.cpu_pct.is_none()), "{r:?}");
        // Reused and new: no previous value for any counter; 8's unchanged faults are 0/s.
        assert_eq!(r[0].minor_faults_per_sec, None);
        assert_eq!(r[1].minor_faults_per_sec, Some(0.0));
        assert_eq!(r[2].minor_faults_per_sec, None);
        // The same snapshot twice (the first frame): no interval, no rates.
        let r = rows(&curr, &curr, &FACTS);
        assert!(r.iter().all(|r| r.cpu_pct.is_none()));
    }

    #[test]
    fn io_rates_and_why_they_are_missing() {
        let io = |r, w| PidIo {
            rchar_bytes: r * 2,
            wchar_bytes: w * 2,
            read_bytes: r,
            write_bytes: w,
            cancelled_write_bytes: 0,
            ..PidIo::default()
        };
        let mut a = sample(7, 5, 0, 0);
        a.io = Ok(io(0, 0));
        let mut b = sample(7, 5, 0, 0);
        b.io = Ok(io(4096, 20 << 20));
        let mut other = sample(8, 5, 0, 0);
        other.io = Err(Unavailable::Permission);
        let prev = snap(1000, vec![a, other.clone()]);
        let curr = snap(1200, vec![b, other]);
        let r = rows(&prev, &curr, &FACTS);
        assert_eq!(r[0].read_bytes_per_sec, Some(2048.0));
        assert_eq!(r[0].write_bytes_per_sec, Some(10.0 * 1024.0 * 1024.0));
        assert_eq!(r[0].write_chars_per_sec, Some(20.0 * 1024.0 * 1024.0));
        assert_eq!(r[0].cancelled_write_bytes_per_sec, Some(0.0));
        assert_eq!(r[0].io_unavailable, None);
        assert_eq!(r[1].write_bytes_per_sec, None);
        assert_eq!(r[1].io_unavailable, Some(Unavailable::Permission));
    }

    #[test]
    fn threads_match_by_tid() {
        let t = |tid, u| {
            let mut s = sample(7, 5, u, 0);
            s.tid = Some(tid);
            s.from_task_dir = true;
            s
        };
        let mut prev = snap(1000, vec![t(7, 0), t(8, 0)]);
        prev.threads = true;
        let mut curr = snap(1100, vec![t(7, 10), t(8, 100), t(9, 5)]);
        curr.threads = true;
        let r = rows(&prev, &curr, &FACTS);
        let pct: Vec<Option<f64>> = r.iter().map(|r| r.cpu_pct).collect();
        assert_eq!(pct, vec![Some(10.0), Some(100.0), None]);
    }
}

/// What an exit record says about a process (or thread) that ended during a refresh: its CPU
/// and I/O over the part of the interval it lived (against the previous sample when there was
/// one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExitedTask {
    pub pid: i32,
    pub tid: Option<i32>,
    pub comm: String,
    pub user: String,
    pub cpu_pct: Option<f64>,
    pub read_bytes_per_sec: Option<f64>,
    pub write_bytes_per_sec: Option<f64>,
    pub read_chars_per_sec: Option<f64>,
    pub write_chars_per_sec: Option<f64>,
    pub cancelled_write_bytes_per_sec: Option<f64>,
}

impl ProcRow {
    /// A row for a task that exited during the refresh, in state `X` (as `sonde io` marks it).
    pub fn exited(t: ExitedTask) -> ProcRow {
        ProcRow {
            pid: t.pid,
            tid: t.tid,
            ppid: 0,
            uid: None,
            user: t.user,
            state: 'X',
            comm: t.comm,
            cmdline: None,
            kernel_thread: false,
            threads: 1,
            nice: 0,
            priority: 0,
            start_ticks: 0,
            age_secs: 0.0,
            cpu_time_secs: 0.0,
            cpu_pct: t.cpu_pct,
            user_cpu_pct: None,
            system_cpu_pct: None,
            processor: None,
            rss_bytes: 0,
            vsize_bytes: 0,
            swap_bytes: None,
            read_bytes_per_sec: t.read_bytes_per_sec,
            write_bytes_per_sec: t.write_bytes_per_sec,
            read_chars_per_sec: t.read_chars_per_sec,
            write_chars_per_sec: t.write_chars_per_sec,
            cancelled_write_bytes_per_sec: t.cancelled_write_bytes_per_sec,
            io_unavailable: None,
            major_faults_per_sec: None,
            minor_faults_per_sec: None,
            voluntary_ctxt_switches_per_sec: None,
            nonvoluntary_ctxt_switches_per_sec: None,
            blkio_delay_pct: None,
        }
    }
}
