//! Where the time of each thread went during an interval: the rows of `sonde offcpu` (summary
//! mode: getdelays and schedstat per thread, not stacks).
//!
//! Per thread, the wall time of the interval (or the part of it the thread existed) splits
//! into running, waiting for a CPU, and off the CPU; off-CPU time splits further into block
//! I/O, swap-in, reclaim, thrashing and compaction waits (taskstats, when delay accounting
//! measured the thread) and "other sleep", the rest ([`crate::model::delays::Breakdown`]).
//! A process row is the sum of its threads' rows, as percentages of *one* thread's wall
//! time: a process with four busy threads runs 400 %.
//!
//! The counters say how long, not what for. [`DTally`] adds what for: the wait channels of
//! threads seen in uninterruptible sleep (`D`) in samples taken during the interval.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::analyze::exits::{ExitSummary, groups, start_ticks_after};
use crate::analyze::tasks::{self, Baseline, TaskKey};
use crate::collect::delays::{DelaySnapshot, DelaySource, TaskDelays, ticks_to_ns};
use crate::collect::dstate::DThread;
use crate::collect::exited::ExitBatch;
use crate::collect::process::ProcSnapshot;
use crate::env::HostFacts;
use crate::model::delays::{Breakdown, BreakdownShares, DelayDeltas};
use crate::model::rate::Interval;

/// What to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffcpuOptions {
    /// One row per thread.
    pub threads: bool,
    /// Only these PIDs (all when empty).
    pub pids: Vec<i32>,
    /// Also rows that neither ran nor waited on anything measured (asleep the whole interval).
    pub all: bool,
}

/// The `D`-state samples of one interval.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DTally {
    /// Samples taken.
    pub rounds: u32,
    /// Per thread `(pid, tid)`: how often each wait channel was seen.
    threads: HashMap<(i32, i32), WchanCounts>,
}

/// How often each wait channel was seen (`None`: the kernel did not show it).
type WchanCounts = HashMap<Option<String>, u32>;

impl DTally {
    /// Adds one sample (the threads in `D` at that moment).
    pub fn record(&mut self, seen: &[DThread]) {
        self.rounds += 1;
        for t in seen {
            let e = self.threads.entry((t.pid, t.tid)).or_default();
            *e.entry(t.wchan.clone()).or_default() += 1;
        }
    }

    /// Samples in which thread `tid` of `pid` was in `D`, and its wait channels.
    fn of(&self, pid: i32, tid: i32) -> Option<&WchanCounts> {
        self.threads.get(&(pid, tid))
    }
}

/// One thread, or one process summed over its threads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffcpuRow {
    pub pid: i32,
    /// The thread, in the thread view.
    pub tid: Option<i32>,
    pub user: String,
    /// Untrusted: render sanitises it.
    pub comm: String,
    /// State at the end of the interval.
    pub state: char,
    /// Threads summed in this row (1 in the thread view).
    pub threads: u64,
    /// The wall time accounted: the interval times the threads (less for threads that started
    /// during it).
    pub wall_sec: f64,
    #[serde(flatten)]
    pub shares: BreakdownShares,
    /// The kernel measured the waits that need delay accounting (block I/O, swap-in, reclaim,
    /// thrashing, compaction) for every thread of the row; when false they are null, and so is
    /// `other_sleep_pct` (it would hide them).
    pub delayacct: bool,
    /// Share of the `D`-state samples in which the thread was in `D` (summed over threads).
    pub d_state_pct: Option<f64>,
    /// The wait channel seen most often in `D` (`null`: never in `D`, or not shown).
    pub top_wchan: Option<String>,
    /// Started during the interval.
    pub started: bool,
    /// Exited during the interval (every thread of the row): from taskstats exit records;
    /// state `X`.
    pub exited: bool,
}

impl OffcpuRow {
    /// Time spent waiting on something measured (a CPU, I/O, memory): the sort key.
    pub fn waiting_pct(&self) -> f64 {
        let s = &self.shares;
        [
            s.runqueue_pct,
            s.blkio_pct,
            s.swapin_pct,
            s.reclaim_pct,
            s.thrashing_pct,
            s.compaction_pct,
        ]
        .into_iter()
        .flatten()
        .sum()
    }

    /// Neither ran, waited nor was seen in `D` (to the printed precision, 0.1 %). A row
    /// without a known run time is not idle: it is shown, with its `-`.
    /// A row that exited during the interval is never idle (its exit is news).
    fn is_idle(&self) -> bool {
        !self.exited
            && self.shares.running_pct.is_some()
            && self.waiting_pct() < IDLE_BELOW_PCT
            && self.shares.running_pct.unwrap_or(0.0) < IDLE_BELOW_PCT
            && self.d_state_pct.unwrap_or(0.0) == 0.0
    }
}

/// Below this a share prints as 0.0 %: a row with nothing above it is idle.
const IDLE_BELOW_PCT: f64 = 0.05;

/// A wait channel of threads in `D`, over all selected threads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitChannel {
    /// The kernel function; `null` when the kernel did not show it.
    pub wchan: Option<String>,
    /// Thread samples in `D` in this function.
    pub samples: u64,
    /// Distinct threads seen there.
    pub threads: u64,
    /// Names of the processes of those threads (up to 3, most samples first).
    pub comms: Vec<String>,
}

/// One interval of `sonde offcpu`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffcpuReport {
    pub threads: bool,
    pub delay_source: DelaySource,
    /// `kernel.task_delayacct` was on for the whole interval (or the kernel has no switch).
    pub delayacct: bool,
    /// Keys that are approximations with this source.
    pub approximate: Vec<&'static str>,
    /// When `--enable-delayacct` turned accounting on, seconds after boot.
    pub accounting_since_uptime_sec: Option<f64>,
    /// `D`-state samples taken during the interval.
    pub d_state_samples: u32,
    /// Rows not shown because they neither ran nor waited, to 0.1 % (without `--all`).
    pub idle_hidden: u64,
    /// Threads that exited during the interval and what was lost.
    pub exits: ExitSummary,
    pub processes: Vec<OffcpuRow>,
    /// Most frequent first (at most 10).
    pub wait_channels: Vec<WaitChannel>,
}

/// Keys approximated by the /proc source.
pub const PROCFS_APPROXIMATE: [&str; 3] = ["blkio_pct", "off_cpu_pct", "other_sleep_pct"];

/// Per-thread results before grouping.
struct ThreadPart {
    key: TaskKey,
    user: String,
    comm: String,
    state: char,
    breakdown: Option<Breakdown>,
    measured: bool,
    started: bool,
    exited: bool,
    d_samples: WchanCounts,
}

/// Builds the report of the interval between two thread snapshots and their delays.
pub fn report(
    prev: (&ProcSnapshot, &DelaySnapshot),
    curr: (&ProcSnapshot, &DelaySnapshot),
    exits: &ExitBatch,
    tally: &DTally,
    source: DelaySource,
    facts: &HostFacts,
    opts: &OffcpuOptions,
) -> OffcpuReport {
    let (prev, prev_d) = prev;
    let (curr, curr_d) = curr;
    let delayacct = prev_d.accounting_on() && curr_d.accounting_on();
    let hz = facts.clock_ticks_per_sec.max(1);
    let itv = Interval::between(prev.uptime_cs, curr.uptime_cs);
    let interval_ns = itv.map_or(0, |i| i.centisecs * 10_000_000);
    let index = tasks::index(prev);
    let mut parts = Vec::new();
    for c in &curr.procs {
        if !opts.pids.is_empty() && !opts.pids.contains(&c.pid) {
            continue;
        }
        let tid = c.tid.unwrap_or(c.pid);
        let base = tasks::baseline(&index, prev.uptime_cs, c, hz);
        let (before, wall_ns) = match base {
            Baseline::Prev(_) => (prev_d.get(c.pid, c.tid).cloned(), interval_ns),
            Baseline::Zero => {
                // Alive for (now - start) of the interval.
                let start_cs = u128::from(c.stat.start_ticks) * 100 / u128::from(hz);
                let alive_cs = u128::from(curr.uptime_cs).saturating_sub(start_cs);
                let alive_ns = u64::try_from(alive_cs * 10_000_000).unwrap_or(u64::MAX);
                (Some(Ok(TaskDelays::ZERO)), alive_ns.min(interval_ns))
            }
            Baseline::None => (None, 0),
        };
        let measured = delayacct && curr_d.measures(c.stat.start_ticks, hz);
        let breakdown = match (before, curr_d.get(c.pid, c.tid)) {
            (Some(Ok(p)), Some(Ok(q))) => {
                let d = DelayDeltas::between(&p, q);
                let d = if measured { d } else { d.without_accounting() };
                let mut b = Breakdown::of_thread(d, wall_ns);
                if !measured {
                    b.other_sleep_ns = None;
                }
                Some(b)
            }
            _ => None,
        };
        parts.push(ThreadPart {
            key: (c.pid, c.tid),
            user: c.user.clone().unwrap_or_else(|| "?".into()),
            comm: c.stat.comm.clone(),
            state: c.stat.state,
            breakdown,
            measured,
            started: base == Baseline::Zero,
            exited: false,
            d_samples: tally.of(c.pid, tid).cloned().unwrap_or_default(),
        });
    }
    // Threads that exited during the interval, from their exit records.
    let mut exited = 0u64;
    for g in groups(exits, true) {
        if !opts.pids.is_empty() && !opts.pids.contains(&g.key.0) {
            continue;
        }
        let Some(stats) = g.whole() else { continue };
        let before = index.get(&g.key).copied();
        let (base_delays, wall_ns) = match before {
            Some(p) => {
                let left_cs = g.seen_uptime_cs().map(|s| s.saturating_sub(prev.uptime_cs));
                // A task that exited right after the previous scan may have been gone before
                // its counters were asked for: its run time then starts from that scan's stat.
                let base = prev_d
                    .get(g.key.0, g.key.1)
                    .and_then(|r| r.as_ref().ok().copied())
                    .unwrap_or(TaskDelays {
                        on_cpu_ns: Some(ticks_to_ns(p.stat.cpu_ticks(), hz)),
                        ..TaskDelays::default()
                    });
                (
                    Some(base),
                    left_cs.map_or(interval_ns, |cs| (cs * 10_000_000).min(interval_ns)),
                )
            }
            None => (
                Some(TaskDelays::ZERO),
                g.lifetime_ns().unwrap_or(interval_ns).min(interval_ns),
            ),
        };
        let start_ticks = before.map_or(start_ticks_after(prev.uptime_cs, hz), |p| {
            p.stat.start_ticks
        });
        let measured = delayacct && curr_d.measures(start_ticks, hz);
        let breakdown = base_delays.map(|p| {
            let d = DelayDeltas::between(&p, &TaskDelays::from_taskstats(stats));
            let d = if measured { d } else { d.without_accounting() };
            let mut b = Breakdown::of_thread(d, wall_ns);
            if !measured {
                b.other_sleep_ns = None;
            }
            b
        });
        exited += 1;
        parts.push(ThreadPart {
            key: g.key,
            user: before
                .and_then(|p| p.user.clone())
                .or_else(|| g.user())
                .unwrap_or_else(|| "?".into()),
            comm: g.comm(),
            state: 'X',
            breakdown,
            measured,
            started: before.is_none(),
            exited: true,
            d_samples: tally
                .of(g.key.0, g.key.1.unwrap_or(g.key.0))
                .cloned()
                .unwrap_or_default(),
        });
    }
    // A zombie is still in /proc but its exit record says more: the record replaces it.
    let exited_keys: HashSet<TaskKey> = parts.iter().filter(|p| p.exited).map(|p| p.key).collect();
    parts.retain(|p| p.exited || !exited_keys.contains(&p.key));
    parts.sort_by_key(|p| p.key);
    let rounds = tally.rounds;
    let mut rows: Vec<OffcpuRow> = if opts.threads {
        parts
            .iter()
            .map(|p| row(&[p], p, interval_ns, rounds, true))
            .collect()
    } else {
        let mut by_pid: Vec<(i32, Vec<&ThreadPart>)> = Vec::new();
        for p in &parts {
            match by_pid.last_mut() {
                Some((pid, v)) if *pid == p.key.0 => v.push(p),
                _ => by_pid.push((p.key.0, vec![p])),
            }
        }
        by_pid
            .into_iter()
            .map(|(pid, ts)| {
                let leader = ts
                    .iter()
                    .find(|t| t.key.1 == Some(pid))
                    .copied()
                    .unwrap_or(ts[0]);
                row(&ts, leader, interval_ns, rounds, false)
            })
            .collect()
    };
    let before = rows.len();
    if !opts.all {
        rows.retain(|r| !r.is_idle());
    }
    let idle_hidden = (before - rows.len()) as u64;
    sort(&mut rows);
    OffcpuReport {
        threads: opts.threads,
        delay_source: source,
        delayacct,
        approximate: match source {
            DelaySource::Procfs => PROCFS_APPROXIMATE.to_vec(),
            DelaySource::Taskstats => Vec::new(),
        },
        accounting_since_uptime_sec: curr_d.accounting_since_cs.map(|cs| cs as f64 / 100.0),
        d_state_samples: rounds,
        idle_hidden,
        exits: ExitSummary::of(exits, exited),
        processes: rows,
        wait_channels: wait_channels(&parts),
    }
}

/// One row from the parts of its threads; `leader` names it.
fn row(
    parts: &[&ThreadPart],
    leader: &ThreadPart,
    interval_ns: u64,
    rounds: u32,
    thread_view: bool,
) -> OffcpuRow {
    let with: Vec<&Breakdown> = parts.iter().filter_map(|p| p.breakdown.as_ref()).collect();
    let sum = with
        .split_first()
        .map(|(first, rest)| rest.iter().fold(**first, |a, b| a.add(b)));
    let mut wchans: HashMap<&Option<String>, u32> = HashMap::new();
    let mut d_total = 0u32;
    for p in parts {
        for (w, n) in &p.d_samples {
            *wchans.entry(w).or_default() += n;
            d_total += n;
        }
    }
    let top_wchan = wchans
        .iter()
        .filter(|(w, _)| w.is_some())
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .and_then(|(w, _)| (*w).clone());
    OffcpuRow {
        pid: leader.key.0,
        tid: if thread_view { leader.key.1 } else { None },
        user: leader.user.clone(),
        comm: leader.comm.clone(),
        state: leader.state,
        threads: with.len() as u64,
        wall_sec: sum.map_or(0.0, |b| b.wall_ns as f64 / 1e9),
        shares: sum.map(|b| b.shares(interval_ns)).unwrap_or_default(),
        delayacct: !with.is_empty() && parts.iter().all(|p| p.measured),
        d_state_pct: (rounds > 0).then(|| f64::from(d_total) / f64::from(rounds) * 100.0),
        top_wchan,
        started: parts.iter().all(|p| p.started),
        exited: parts.iter().all(|p| p.exited),
    }
}

/// The wait channels of all threads in the report, most samples first.
fn wait_channels(parts: &[ThreadPart]) -> Vec<WaitChannel> {
    let mut by: HashMap<Option<String>, (u64, u64, HashMap<String, u64>)> = HashMap::new();
    for p in parts {
        for (w, n) in &p.d_samples {
            let e = by.entry(w.clone()).or_default();
            e.0 += u64::from(*n);
            e.1 += 1;
            *e.2.entry(p.comm.clone()).or_default() += u64::from(*n);
        }
    }
    let mut out: Vec<WaitChannel> = by
        .into_iter()
        .map(|(wchan, (samples, threads, comms))| {
            let mut comms: Vec<(String, u64)> = comms.into_iter().collect();
            comms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            WaitChannel {
                wchan,
                samples,
                threads,
                comms: comms.into_iter().take(3).map(|c| c.0).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.samples
            .cmp(&a.samples)
            .then_with(|| a.wchan.cmp(&b.wchan))
    });
    out.truncate(10);
    out
}

/// Most waiting first, then most time in `D`, then most running, then PID and TID.
pub fn sort(rows: &mut [OffcpuRow]) {
    let desc = |a: f64, b: f64| b.partial_cmp(&a).unwrap_or(Ordering::Equal);
    rows.sort_by(|a, b| {
        desc(a.waiting_pct(), b.waiting_pct())
            .then_with(|| desc(a.d_state_pct.unwrap_or(0.0), b.d_state_pct.unwrap_or(0.0)))
            .then_with(|| {
                desc(
                    a.shares.running_pct.unwrap_or(0.0),
                    b.shares.running_pct.unwrap_or(0.0),
                )
            })
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

    fn thread(pid: i32, tid: i32, start: u64) -> ProcSample {
        let mut s = ProcSample::from_stat(PidStat {
            pid: tid,
            comm: format!("t{tid}"),
            state: 'S',
            start_ticks: start,
            num_threads: 2,
            ..PidStat::default()
        });
        s.pid = pid;
        s.tid = Some(tid);
        s.from_task_dir = true;
        s
    }

    fn snap(uptime_cs: u64, procs: Vec<ProcSample>) -> ProcSnapshot {
        ProcSnapshot {
            uptime_cs,
            threads: true,
            procs,
            ..ProcSnapshot::default()
        }
    }

    fn d(on_cpu: u64, run: u64, blkio: u64) -> TaskDelays {
        TaskDelays {
            on_cpu_ns: Some(on_cpu),
            run_delay_ns: Some(run),
            blkio_delay_ns: Some(blkio),
            ..TaskDelays::ZERO
        }
    }

    fn delays(on: bool, t: &[((i32, i32), TaskDelays)]) -> DelaySnapshot {
        DelaySnapshot {
            delayacct: Some(on),
            accounting_since_cs: None,
            tasks: t.iter().map(|&((p, t), d)| ((p, Some(t)), Ok(d))).collect(),
        }
    }

    /// Process 10 has two threads over a 1 s interval; thread 12 starts half-way:
    ///
    /// ```text
    /// t11 |run 600|runq 300|sleep 100|
    /// t12           (start)|blkio 400|run 100|
    /// 0 ms                500               1000
    /// ```
    #[test]
    fn threads_and_their_process() {
        let prev = snap(1000, vec![thread(10, 11, 5)]);
        let curr = snap(1100, vec![thread(10, 11, 5), thread(10, 12, 1050)]);
        let pd = delays(true, &[((10, 11), d(0, 0, 0))]);
        let cd = delays(
            true,
            &[
                ((10, 11), d(600 * MS, 300 * MS, 0)),
                ((10, 12), d(100 * MS, 0, 400 * MS)),
            ],
        );
        let mut tally = DTally::default();
        for i in 0..10 {
            let seen: Vec<DThread> = (i < 4)
                .then(|| DThread {
                    pid: 10,
                    tid: 12,
                    comm: "t12".into(),
                    wchan: Some("io_schedule".into()),
                })
                .into_iter()
                .collect();
            tally.record(&seen);
        }
        let opts = OffcpuOptions {
            threads: true,
            ..OffcpuOptions::default()
        };
        let r = report(
            (&prev, &pd),
            (&curr, &cd),
            &ExitBatch::default(),
            &tally,
            DelaySource::Taskstats,
            &FACTS,
            &opts,
        );
        assert_eq!(r.d_state_samples, 10);
        // Sorted by waiting: t12 (40 % blkio) before t11 (30 % runq).
        let t12 = &r.processes[0];
        assert_eq!(t12.tid, Some(12));
        assert!(t12.started);
        assert_eq!(t12.wall_sec, 0.5);
        assert_eq!(t12.shares.blkio_pct, Some(40.0));
        assert_eq!(t12.shares.other_sleep_pct, Some(0.0));
        assert_eq!(t12.d_state_pct, Some(40.0));
        assert_eq!(t12.top_wchan.as_deref(), Some("io_schedule"));
        let t11 = &r.processes[1];
        assert_eq!(t11.shares.runqueue_pct, Some(30.0));
        assert_eq!(t11.shares.other_sleep_pct, Some(10.0));
        assert_eq!(r.wait_channels.len(), 1);
        assert_eq!(r.wait_channels[0].samples, 4);
        assert_eq!(r.wait_channels[0].comms, ["t12"]);

        // The process: sums over its threads.
        let r = report(
            (&prev, &pd),
            (&curr, &cd),
            &ExitBatch::default(),
            &tally,
            DelaySource::Taskstats,
            &FACTS,
            &OffcpuOptions::default(),
        );
        assert_eq!(r.processes.len(), 1);
        let p = &r.processes[0];
        assert_eq!((p.pid, p.tid, p.threads), (10, None, 2));
        assert_eq!(p.wall_sec, 1.5);
        assert_eq!(p.shares.running_pct, Some(70.0));
        assert_eq!(p.shares.off_cpu_pct, Some(50.0));
        assert!(!p.started);
    }

    #[test]
    fn accounting_off_keeps_cpu_times_and_hides_the_rest() {
        let prev = snap(1000, vec![thread(10, 10, 5)]);
        let curr = snap(1100, vec![thread(10, 10, 5)]);
        let r = report(
            (&prev, &delays(false, &[((10, 10), d(0, 0, 0))])),
            (
                &curr,
                &delays(false, &[((10, 10), d(200 * MS, 100 * MS, 0))]),
            ),
            &ExitBatch::default(),
            &DTally::default(),
            DelaySource::Taskstats,
            &FACTS,
            &OffcpuOptions::default(),
        );
        let p = &r.processes[0];
        assert!(!r.delayacct && !p.delayacct);
        assert_eq!(p.shares.running_pct, Some(20.0));
        assert_eq!(p.shares.runqueue_pct, Some(10.0));
        assert_eq!(p.shares.off_cpu_pct, Some(70.0));
        assert_eq!(p.shares.blkio_pct, None);
        assert_eq!(p.shares.other_sleep_pct, None);
        assert_eq!(p.d_state_pct, None, "no samples taken");
    }

    #[test]
    fn idle_rows_are_hidden_unless_all() {
        let prev = snap(1000, vec![thread(10, 10, 5), thread(20, 20, 5)]);
        let curr = snap(1100, vec![thread(10, 10, 5), thread(20, 20, 5)]);
        let pd = delays(true, &[((10, 10), d(0, 0, 0)), ((20, 20), d(0, 0, 0))]);
        let cd = delays(true, &[((10, 10), d(MS, 0, 0)), ((20, 20), d(0, 0, 0))]);
        let go = |all| {
            report(
                (&prev, &pd),
                (&curr, &cd),
                &ExitBatch::default(),
                &DTally::default(),
                DelaySource::Taskstats,
                &FACTS,
                &OffcpuOptions {
                    all,
                    ..OffcpuOptions::default()
                },
            )
        };
        let r = go(false);
        assert_eq!((r.processes.len(), r.idle_hidden), (1, 1));
        assert_eq!(go(true).processes.len(), 2);
    }
}
