//! Per-process I/O over one interval: the rows of `sonde io` (iotop, `pidstat -d`).
//!
//! Each row joins the process's I/O rates (from /proc/PID/io, [`crate::model::process`]) with
//! its block-I/O and swap-in waits as shares of the interval ([`crate::model::delays`]; iotop's
//! IO> and SWAPIN). Rows are sorted by bytes read + written per second, then by those waits,
//! then by PID, so the busiest process comes first and equal rows keep a stable order.
//!
//! Waits are `None` ("off") while `kernel.task_delayacct` is 0, whatever the source reports;
//! the report says so once ([`IoReport::delayacct`]). In the process view a process's waits are
//! summed over its threads and can pass 100 %.

use std::cmp::Ordering;
use std::collections::HashSet;

use serde::Serialize;

use crate::analyze::exits::{ExitSummary, cpu_delta_us, groups, io_delta, start_ticks_after};
use crate::analyze::tasks::{self, Baseline};
use crate::collect::delays::{DelaySnapshot, DelaySource, TaskDelays};
use crate::collect::exited::ExitBatch;
use crate::collect::process::{ProcSnapshot, Unavailable};
use crate::collect::procfs::pid::io::PidIo;
use crate::env::HostFacts;
use crate::model::delays::DelayDeltas;
use crate::model::process::row;
use crate::model::rate::Interval;

/// What to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IoOptions {
    /// Hide processes with no block I/O and no wait in the interval.
    pub active: bool,
    /// Only these PIDs (all when empty).
    pub pids: Vec<i32>,
}

/// One process (or thread) over the interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IoRow {
    pub pid: i32,
    /// The thread, in the thread view.
    pub tid: Option<i32>,
    /// User name (the uid as a number when unknown, `?` when not read).
    pub user: String,
    /// State at the end of the interval (one letter, as in ps).
    pub state: char,
    /// Untrusted: render sanitises it.
    pub comm: String,
    /// User + system time as a share of one CPU.
    pub cpu_pct: Option<f64>,
    /// Bytes that reached the block layer (iotop's DISK READ / DISK WRITE).
    pub read_bytes_per_sec: Option<f64>,
    pub write_bytes_per_sec: Option<f64>,
    /// Bytes passed to read/write-like syscalls (logical I/O: cache hits, pipes, sockets).
    pub read_chars_per_sec: Option<f64>,
    pub write_chars_per_sec: Option<f64>,
    /// Dirty page cache dropped before writeback (truncated or deleted files).
    pub cancelled_write_bytes_per_sec: Option<f64>,
    /// Why the I/O rates are missing (another user's process without root, exited).
    pub io_unavailable: Option<String>,
    /// Share of the interval spent waiting for block I/O (iotop's IO>).
    pub blkio_delay_pct: Option<f64>,
    /// Share of the interval spent waiting for swap-in (iotop's SWAPIN).
    pub swapin_delay_pct: Option<f64>,
    /// The kernel measured this task's waits: accounting was on and, when sonde turned it on,
    /// the task started after that (the kernel gives a task its delay record at fork). False:
    /// the waits are null ("off").
    pub delayacct: bool,
    /// Why the waits are missing, other than accounting being off.
    pub delay_unavailable: Option<String>,
    /// Started during the interval (measured from zero).
    pub started: bool,
    /// Exited during the interval: the row comes from its taskstats exit record (state `X`).
    pub exited: bool,
}

impl IoRow {
    /// Bytes read + written per second, the first sort key.
    pub fn io_bytes_per_sec(&self) -> Option<f64> {
        match (self.read_bytes_per_sec, self.write_bytes_per_sec) {
            (None, None) => None,
            (r, w) => Some(r.unwrap_or(0.0) + w.unwrap_or(0.0)),
        }
    }

    /// Block-I/O + swap-in wait, the second sort key.
    pub fn delay_pct(&self) -> Option<f64> {
        match (self.blkio_delay_pct, self.swapin_delay_pct) {
            (None, None) => None,
            (b, s) => Some(b.unwrap_or(0.0) + s.unwrap_or(0.0)),
        }
    }

    /// Did block I/O or waited for it (or for swap-in) during the interval.
    pub fn is_active(&self) -> bool {
        let pos = |v: Option<f64>| v.is_some_and(|x| x > 0.0);
        pos(self.read_bytes_per_sec)
            || pos(self.write_bytes_per_sec)
            || pos(self.cancelled_write_bytes_per_sec)
            || pos(self.blkio_delay_pct)
            || pos(self.swapin_delay_pct)
    }
}

/// One interval of `sonde io`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IoReport {
    /// One row per thread (`-t`) instead of per process.
    pub threads: bool,
    /// Where the waits come from.
    pub delay_source: DelaySource,
    /// `kernel.task_delayacct` was on for the whole interval (or the kernel has no such
    /// switch). When false the wait columns are null: the kernel did not measure them.
    pub delayacct: bool,
    /// Keys that are approximations with this source.
    pub approximate: Vec<&'static str>,
    /// Seconds after boot (/proc/uptime) when sonde turned accounting on with
    /// `--enable-delayacct`: processes started before are not measured (their `delayacct` is
    /// false).
    pub accounting_since_uptime_sec: Option<f64>,
    /// Processes that exited during the interval (rows with `exited`), and what was lost.
    pub exits: ExitSummary,
    pub processes: Vec<IoRow>,
}

/// Keys approximated by the /proc source.
pub const PROCFS_APPROXIMATE: [&str; 1] = ["blkio_delay_pct"];

/// Builds the report of the interval between two snapshots and their delays.
pub fn report(
    prev: (&ProcSnapshot, &DelaySnapshot),
    curr: (&ProcSnapshot, &DelaySnapshot),
    exits: &ExitBatch,
    source: DelaySource,
    facts: &HostFacts,
    opts: &IoOptions,
) -> IoReport {
    let (prev, prev_d) = prev;
    let (curr, curr_d) = curr;
    let delayacct = prev_d.accounting_on() && curr_d.accounting_on();
    let hz = facts.clock_ticks_per_sec.max(1);
    let itv = Interval::between(prev.uptime_cs, curr.uptime_cs);
    let wall_ns = itv.map_or(0, |i| i.centisecs * 10_000_000);
    let index = tasks::index(prev);
    let mut rows = Vec::new();
    for c in &curr.procs {
        if !opts.pids.is_empty() && !opts.pids.contains(&c.pid) {
            continue;
        }
        let base = tasks::baseline(&index, prev.uptime_cs, c, hz);
        let zero;
        let before = match base {
            Baseline::Prev(p) => Some(p),
            Baseline::Zero => {
                zero = tasks::zero_sample(c);
                Some(&zero)
            }
            Baseline::None => None,
        };
        let r = row(before.zip(itv), c, curr.uptime_cs, facts);
        let key = (c.pid, c.tid);
        let prev_delays = match base {
            Baseline::Prev(_) => prev_d.get(c.pid, c.tid).cloned(),
            Baseline::Zero => Some(Ok(TaskDelays::ZERO)),
            Baseline::None => None,
        };
        let (deltas, delay_unavailable) = match (prev_delays.as_ref(), curr_d.tasks.get(&key)) {
            (Some(Ok(p)), Some(Ok(c))) => (Some(DelayDeltas::between(p, c)), None),
            (_, Some(Err(why))) | (Some(Err(why)), _) => (None, Some(why.to_string())),
            _ => (None, None),
        };
        let measured = curr_d.measures(c.stat.start_ticks, hz) && prev_d.accounting_on();
        let deltas = deltas.map(|d| if measured { d } else { d.without_accounting() });
        let shares = deltas.map(|d| d.shares(wall_ns)).unwrap_or_default();
        rows.push(IoRow {
            pid: r.pid,
            tid: r.tid,
            user: r.user,
            state: r.state,
            comm: r.comm,
            cpu_pct: r.cpu_pct,
            read_bytes_per_sec: r.read_bytes_per_sec,
            write_bytes_per_sec: r.write_bytes_per_sec,
            read_chars_per_sec: r.read_chars_per_sec,
            write_chars_per_sec: r.write_chars_per_sec,
            cancelled_write_bytes_per_sec: r.cancelled_write_bytes_per_sec,
            io_unavailable: r
                .io_unavailable
                .filter(|u| *u != Unavailable::NotRead)
                .map(|u| u.to_string()),
            blkio_delay_pct: shares.blkio_delay_pct,
            swapin_delay_pct: shares.swapin_delay_pct,
            delayacct: measured,
            delay_unavailable,
            started: base == Baseline::Zero,
            exited: false,
        });
    }
    let exited = exited_rows(
        (prev, prev_d),
        curr_d,
        exits,
        itv,
        facts,
        opts,
        curr.threads,
    );
    let summary = ExitSummary::of(exits, exited.len() as u64);
    // A zombie is still in /proc but its exit record says more: the record's row replaces it.
    let gone: HashSet<(i32, Option<i32>)> = exited.iter().map(|e| (e.pid, e.tid)).collect();
    rows.retain(|r| !gone.contains(&(r.pid, r.tid)));
    rows.extend(exited);
    if opts.active {
        rows.retain(IoRow::is_active);
    }
    sort(&mut rows);
    IoReport {
        threads: curr.threads,
        delay_source: source,
        delayacct,
        approximate: match source {
            DelaySource::Procfs => PROCFS_APPROXIMATE.to_vec(),
            DelaySource::Taskstats => Vec::new(),
        },
        accounting_since_uptime_sec: curr_d.accounting_since_cs.map(|cs| cs as f64 / 100.0),
        exits: summary,
        processes: rows,
    }
}

/// Rows of the processes (threads) that exited during the interval, from their exit records.
fn exited_rows(
    prev: (&ProcSnapshot, &DelaySnapshot),
    curr_d: &DelaySnapshot,
    exits: &ExitBatch,
    itv: Option<Interval>,
    facts: &HostFacts,
    opts: &IoOptions,
    threads: bool,
) -> Vec<IoRow> {
    let (prev, prev_d) = prev;
    let Some(itv) = itv else {
        return Vec::new();
    };
    let hz = facts.clock_ticks_per_sec.max(1);
    let wall_ns = itv.centisecs * 10_000_000;
    let index = tasks::index(prev);
    let mut rows = Vec::new();
    for g in groups(exits, threads) {
        if !opts.pids.is_empty() && !opts.pids.contains(&g.key.0) {
            continue;
        }
        let before = index.get(&g.key).copied();
        let io = g.io().and_then(|now| match before {
            Some(p) => p.io.as_ref().ok().and_then(|b| io_delta(b, &now)),
            None => Some(now),
        });
        let rate = |f: fn(&PidIo) -> u64| io.as_ref().map(|i| itv.rate(f(i)));
        let cpu_us = g
            .cpu_us()
            .filter(|_| g.complete())
            .and_then(|now| match before {
                Some(p) => cpu_delta_us(p.stat.cpu_ticks(), hz, now),
                None => Some(now),
            });
        let start_ticks = before.map_or(start_ticks_after(prev.uptime_cs, hz), |p| {
            p.stat.start_ticks
        });
        let measured = curr_d.measures(start_ticks, hz) && prev_d.accounting_on();
        let prev_delays = match before {
            Some(_) => prev_d
                .get(g.key.0, g.key.1)
                .and_then(|r| r.as_ref().ok().copied()),
            None => Some(TaskDelays::ZERO),
        };
        let deltas = g
            .whole()
            .filter(|_| g.complete())
            .zip(prev_delays)
            .map(|(w, p)| DelayDeltas::between(&p, &TaskDelays::from_taskstats(w)))
            .map(|d| if measured { d } else { d.without_accounting() });
        let shares = deltas.map(|d| d.shares(wall_ns)).unwrap_or_default();
        rows.push(IoRow {
            pid: g.key.0,
            tid: g.key.1,
            user: before
                .and_then(|p| p.user.clone())
                .or_else(|| g.user())
                .unwrap_or_else(|| "?".into()),
            state: 'X',
            comm: g.comm(),
            cpu_pct: cpu_us.map(|us| us as f64 / 1e6 / itv.secs() * 100.0),
            read_bytes_per_sec: rate(|i| i.read_bytes),
            write_bytes_per_sec: rate(|i| i.write_bytes),
            read_chars_per_sec: rate(|i| i.rchar_bytes),
            write_chars_per_sec: rate(|i| i.wchar_bytes),
            cancelled_write_bytes_per_sec: rate(|i| i.cancelled_write_bytes),
            io_unavailable: None,
            blkio_delay_pct: shares.blkio_delay_pct,
            swapin_delay_pct: shares.swapin_delay_pct,
            delayacct: measured,
            delay_unavailable: None,
            started: before.is_none(),
            exited: true,
        });
    }
    rows
}

/// Busiest first: bytes/s, then waits, then PID and TID ascending. Unknown sorts last.
pub fn sort(rows: &mut [IoRow]) {
    let desc = |a: Option<f64>, b: Option<f64>| {
        b.unwrap_or(-1.0)
            .partial_cmp(&a.unwrap_or(-1.0))
            .unwrap_or(Ordering::Equal)
    };
    rows.sort_by(|a, b| {
        desc(a.io_bytes_per_sec(), b.io_bytes_per_sec())
            .then_with(|| desc(a.delay_pct(), b.delay_pct()))
            .then_with(|| (a.pid, a.tid).cmp(&(b.pid, b.tid)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::process::ProcSample;
    use crate::collect::procfs::pid::stat::PidStat;

    const FACTS: HostFacts = HostFacts {
        clock_ticks_per_sec: 100,
        page_size_bytes: 4096,
    };
    const MS: u64 = 1_000_000;

    fn sample(pid: i32, start: u64, write: u64) -> ProcSample {
        let mut s = ProcSample::from_stat(PidStat {
            pid,
            comm: format!("p{pid}"),
            state: 'S',
            start_ticks: start,
            num_threads: 1,
            ..PidStat::default()
        });
        s.io = Ok(PidIo {
            write_bytes: write,
            ..PidIo::default()
        });
        s
    }

    fn snap(uptime_cs: u64, procs: Vec<ProcSample>) -> ProcSnapshot {
        ProcSnapshot {
            uptime_cs,
            procs,
            ..ProcSnapshot::default()
        }
    }

    fn delays(on: bool, tasks: &[(i32, u64)]) -> DelaySnapshot {
        DelaySnapshot {
            delayacct: Some(on),
            accounting_since_cs: None,
            tasks: tasks
                .iter()
                .map(|&(pid, blkio)| {
                    let d = TaskDelays {
                        blkio_delay_ns: Some(blkio),
                        ..TaskDelays::ZERO
                    };
                    ((pid, None), Ok(d))
                })
                .collect(),
        }
    }

    #[test]
    fn rates_waits_sorting_and_new_processes() {
        // 1: writes 2 MiB/s; 2: idle but blocked 50 %; 3: started in the interval, wrote 1 MiB.
        let prev = snap(1000, vec![sample(1, 5, 0), sample(2, 5, 0)]);
        let curr = snap(
            1200,
            vec![
                sample(1, 5, 4 << 20),
                sample(2, 5, 0),
                sample(3, 1100, 1 << 20),
            ],
        );
        let pd = delays(true, &[(1, 0), (2, 0)]);
        let cd = delays(true, &[(1, 0), (2, 1000 * MS), (3, 20 * MS)]);
        let r = report(
            (&prev, &pd),
            (&curr, &cd),
            &ExitBatch::default(),
            DelaySource::Taskstats,
            &FACTS,
            &IoOptions::default(),
        );
        let pids: Vec<i32> = r.processes.iter().map(|r| r.pid).collect();
        assert_eq!(pids, vec![1, 3, 2]);
        let p1 = &r.processes[0];
        assert_eq!(p1.write_bytes_per_sec, Some(2.0 * 1024.0 * 1024.0));
        assert_eq!(p1.blkio_delay_pct, Some(0.0));
        let p3 = &r.processes[1];
        assert!(p3.started);
        assert_eq!(p3.write_bytes_per_sec, Some(512.0 * 1024.0));
        assert_eq!(p3.blkio_delay_pct, Some(1.0));
        assert_eq!(r.processes[2].blkio_delay_pct, Some(50.0));
        assert!(r.delayacct);
        assert!(r.approximate.is_empty());

        // --active hides the idle process; -p keeps only the named one.
        let mut idle = curr.clone();
        idle.procs.push(sample(4, 5, 0));
        let mut prev4 = prev.clone();
        prev4.procs.push(sample(4, 5, 0));
        let mut cd4 = cd.clone();
        cd4.tasks.insert((4, None), Ok(TaskDelays::ZERO));
        let mut pd4 = pd.clone();
        pd4.tasks.insert((4, None), Ok(TaskDelays::ZERO));
        let opts = IoOptions {
            active: true,
            pids: Vec::new(),
        };
        let r = report(
            (&prev4, &pd4),
            (&idle, &cd4),
            &ExitBatch::default(),
            DelaySource::Taskstats,
            &FACTS,
            &opts,
        );
        assert!(r.processes.iter().all(|r| r.pid != 4), "{r:?}");
        assert_eq!(r.processes.len(), 3);
        let opts = IoOptions {
            active: false,
            pids: vec![2],
        };
        let r = report(
            (&prev, &pd),
            (&curr, &cd),
            &ExitBatch::default(),
            DelaySource::Procfs,
            &FACTS,
            &opts,
        );
        assert_eq!(r.processes.len(), 1);
        assert_eq!(r.approximate, vec!["blkio_delay_pct"]);
    }

    #[test]
    fn accounting_off_gives_no_wait_values_never_zero() {
        let prev = snap(1000, vec![sample(1, 5, 0)]);
        let curr = snap(1100, vec![sample(1, 5, 0)]);
        let r = report(
            (&prev, &delays(false, &[(1, 0)])),
            (&curr, &delays(false, &[(1, 0)])),
            &ExitBatch::default(),
            DelaySource::Taskstats,
            &FACTS,
            &IoOptions::default(),
        );
        assert!(!r.delayacct);
        assert_eq!(r.processes[0].blkio_delay_pct, None);
        assert_eq!(r.processes[0].swapin_delay_pct, None);
        assert_eq!(r.processes[0].write_bytes_per_sec, Some(0.0));
        // Turned on during the interval: still not a whole interval of accounting.
        let r = report(
            (&prev, &delays(false, &[(1, 0)])),
            (&curr, &delays(true, &[(1, 0)])),
            &ExitBatch::default(),
            DelaySource::Taskstats,
            &FACTS,
            &IoOptions::default(),
        );
        assert!(!r.delayacct);
    }

    #[test]
    fn tasks_started_before_sonde_turned_accounting_on_are_off() {
        // Turned on at 10.50 s: process 1 (started at 0.05 s) has no delay record, process 2
        // (started at 10.60 s) has one.
        let prev = snap(1100, vec![sample(1, 5, 0), sample(2, 1060, 0)]);
        let curr = snap(1200, vec![sample(1, 5, 0), sample(2, 1060, 0)]);
        let mut pd = delays(true, &[(1, 0), (2, 0)]);
        let mut cd = delays(true, &[(1, 0), (2, 30 * MS)]);
        pd.accounting_since_cs = Some(1050);
        cd.accounting_since_cs = Some(1050);
        let r = report(
            (&prev, &pd),
            (&curr, &cd),
            &ExitBatch::default(),
            DelaySource::Taskstats,
            &FACTS,
            &IoOptions::default(),
        );
        assert!(r.delayacct);
        let p = |pid| r.processes.iter().find(|r| r.pid == pid).unwrap();
        assert!(!p(1).delayacct);
        assert_eq!(p(1).blkio_delay_pct, None);
        assert!(p(2).delayacct);
        assert_eq!(p(2).blkio_delay_pct, Some(3.0));
    }
}
