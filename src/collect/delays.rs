//! Per-task delay counters: how long each process (or thread) ran, waited for a CPU, for block
//! I/O, swap-in, direct reclaim, thrashing and compaction, as cumulative nanoseconds at one
//! instant. `sonde io` and `sonde offcpu` take two of these and the model turns them into
//! shares of the interval (`crate::model::delays`).
//!
//! Two sources, chosen once by [`DelayReader::new`]:
//!
//! - **taskstats** (needs `CAP_NET_ADMIN`): every counter, exact to the nanosecond. A process
//!   is one thread-group query (the kernel sums over the live threads and keeps the ones that
//!   exited); a thread is one task query.
//! - **/proc** (without `CAP_NET_ADMIN`, and on a `--root` replay): run time and run-queue wait
//!   from `schedstat` (exact: the same scheduler counters taskstats reports), block-I/O wait
//!   from field 42 of `stat`, `delayacct_blkio_ticks` (clock-tick resolution, 10 ms at the
//!   usual USER_HZ: *approximate*), and nothing for swap-in, reclaim, thrashing and compaction
//!   (no file has them). Both files describe one thread, so a multi-threaded process is the sum
//!   over its live threads; what threads that already exited waited is lost, and a process
//!   whose sum goes down between two samples gets no value for that interval.
//!
//! Everything but the CPU counters stays 0 while `kernel.task_delayacct` is 0 (the default
//! since Linux 5.14): [`DelaySnapshot::delayacct`] records the setting so the model shows
//! "off" instead of a misleading 0. Worse, the kernel gives a task its delay record at fork,
//! and only while the switch is on: a task started while it was 0 is never measured, even
//! after it is turned on (seen on Linux 6.18; `delayacct_tsk_init`). When sonde turned it on
//! itself it knows since when ([`DelayReader::set_accounting_since`]) and tasks that started
//! earlier are "off" too. This module never changes the setting.

use std::collections::HashMap;

use serde::Serialize;

use crate::collect::netlink::{Taskstats, TaskstatsClient, TaskstatsError, task_delayacct};
use crate::collect::process::{ProcSample, ProcSnapshot, Unavailable};
use crate::collect::procfs::pid::schedstat::{self, PidSchedstat};
use crate::collect::procfs::pid::stat;
use crate::collect::read_parse;
use crate::env::Env;

/// Cumulative counters of one task or process, in nanoseconds; `None` when the source does not
/// have the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct TaskDelays {
    /// Time on a CPU (`se.sum_exec_runtime`: schedstat's first field, taskstats'
    /// `cpu_run_virtual_total`).
    pub on_cpu_ns: Option<u64>,
    /// Time runnable but waiting for a CPU (schedstat's `run_delay`, taskstats'
    /// `cpu_delay_total`).
    pub run_delay_ns: Option<u64>,
    /// Time waiting for synchronous block I/O.
    pub blkio_delay_ns: Option<u64>,
    /// Time waiting for pages to be swapped in.
    pub swapin_delay_ns: Option<u64>,
    /// Time in direct reclaim ("freepages").
    pub freepages_delay_ns: Option<u64>,
    /// Time waiting for refaulted (thrashing) pages (taskstats version 9, Linux 4.20).
    pub thrashing_delay_ns: Option<u64>,
    /// Time in memory compaction (taskstats version 11, Linux 5.0).
    pub compact_delay_ns: Option<u64>,
}

impl TaskDelays {
    /// Every counter at 0: the baseline of a task that started after the previous sample.
    pub const ZERO: TaskDelays = TaskDelays {
        on_cpu_ns: Some(0),
        run_delay_ns: Some(0),
        blkio_delay_ns: Some(0),
        swapin_delay_ns: Some(0),
        freepages_delay_ns: Some(0),
        thrashing_delay_ns: Some(0),
        compact_delay_ns: Some(0),
    };

    /// The counters of a taskstats record (a query's answer or an exit record).
    pub fn from_taskstats(t: &Taskstats) -> TaskDelays {
        TaskDelays {
            on_cpu_ns: Some(t.cpu_run_virtual_total_ns),
            run_delay_ns: Some(t.cpu_delay_total_ns),
            blkio_delay_ns: Some(t.blkio_delay_total_ns),
            swapin_delay_ns: Some(t.swapin_delay_total_ns),
            freepages_delay_ns: Some(t.freepages_delay_total_ns),
            thrashing_delay_ns: t.thrashing_delay_total_ns,
            compact_delay_ns: t.compact_delay_total_ns,
        }
    }

    /// Field-wise sum; a counter missing in either is missing.
    pub fn add(&self, o: &TaskDelays) -> TaskDelays {
        let s = |a: Option<u64>, b: Option<u64>| Some(a?.saturating_add(b?));
        TaskDelays {
            on_cpu_ns: s(self.on_cpu_ns, o.on_cpu_ns),
            run_delay_ns: s(self.run_delay_ns, o.run_delay_ns),
            blkio_delay_ns: s(self.blkio_delay_ns, o.blkio_delay_ns),
            swapin_delay_ns: s(self.swapin_delay_ns, o.swapin_delay_ns),
            freepages_delay_ns: s(self.freepages_delay_ns, o.freepages_delay_ns),
            thrashing_delay_ns: s(self.thrashing_delay_ns, o.thrashing_delay_ns),
            compact_delay_ns: s(self.compact_delay_ns, o.compact_delay_ns),
        }
    }
}

/// Where the counters come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DelaySource {
    Taskstats,
    Procfs,
}

/// The delays of every sample of a [`ProcSnapshot`] that was asked for, by `(pid, tid)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DelaySnapshot {
    /// `kernel.task_delayacct` when the sample was taken; `None` when the sysctl does not exist
    /// (before Linux 5.14: accounting is on unless booted with `nodelayacct`).
    pub delayacct: Option<bool>,
    /// /proc/uptime (hundredths of a second) just after sonde turned accounting on, if it did:
    /// tasks that started before were not given a delay record by the kernel and are not
    /// measured. A task that started in the same hundredth of a second counts as not measured
    /// (stat's start time has no finer resolution; "off" is better than a false 0).
    pub accounting_since_cs: Option<u64>,
    pub tasks: HashMap<(i32, Option<i32>), Result<TaskDelays, Unavailable>>,
}

impl DelaySnapshot {
    /// The counters of process `pid` (thread `tid` in the thread view).
    pub fn get(&self, pid: i32, tid: Option<i32>) -> Option<&Result<TaskDelays, Unavailable>> {
        self.tasks.get(&(pid, tid))
    }

    /// True when the delays that need accounting (all but run time and run-queue wait) are
    /// being counted.
    pub fn accounting_on(&self) -> bool {
        self.delayacct != Some(false)
    }

    /// True when the waits of a task that started `start_ticks` after boot were measured:
    /// accounting is on and, if sonde turned it on, the task started after that.
    pub fn measures(&self, start_ticks: u64, clock_ticks_per_sec: u64) -> bool {
        self.accounting_on()
            && self.accounting_since_cs.is_none_or(|since| {
                u128::from(start_ticks) * 100 > u128::from(since) * u128::from(clock_ticks_per_sec)
            })
    }
}

/// What to read besides block-I/O and swap-in waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Want {
    /// Run time and run-queue wait: from /proc, one more file per task (taskstats has them
    /// anyway).
    pub schedstat: bool,
}

/// Reads [`TaskDelays`] from taskstats when it may, from /proc otherwise.
#[derive(Debug)]
pub struct DelayReader {
    client: Option<TaskstatsClient>,
    /// Why taskstats is not used, when it is not.
    fallback_reason: Option<String>,
    accounting_since_cs: Option<u64>,
}

impl DelayReader {
    /// Probes taskstats with a query about sonde itself: `EPERM` (no `CAP_NET_ADMIN`), a kernel
    /// without taskstats or a replayed capture choose the /proc source.
    pub fn new(env: &Env) -> DelayReader {
        if !env.is_live() {
            return DelayReader::procfs("a replayed capture");
        }
        let mut client = match TaskstatsClient::new() {
            Ok(c) => c,
            Err(e) => return DelayReader::procfs(&reason(&e)),
        };
        match client.pid(std::process::id() as i32) {
            Ok(_) => DelayReader {
                client: Some(client),
                fallback_reason: None,
                accounting_since_cs: None,
            },
            Err(e) => DelayReader::procfs(&reason(&e)),
        }
    }

    /// A reader that never asks taskstats (tests, and the fallback).
    pub fn procfs(why: &str) -> DelayReader {
        DelayReader {
            client: None,
            fallback_reason: Some(why.to_string()),
            accounting_since_cs: None,
        }
    }

    /// Records that sonde turned `kernel.task_delayacct` on at `uptime_cs`: tasks started
    /// earlier have no delay record (see the module doc).
    pub fn set_accounting_since(&mut self, uptime_cs: u64) {
        self.accounting_since_cs = Some(uptime_cs);
    }

    pub fn source(&self) -> DelaySource {
        if self.client.is_some() {
            DelaySource::Taskstats
        } else {
            DelaySource::Procfs
        }
    }

    /// Why the /proc source is used (`None` with taskstats).
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback_reason.as_deref()
    }

    /// The delays of the samples of `snap` whose PID is in `pids` (all when `None`), read now.
    pub fn read(
        &mut self,
        env: &Env,
        snap: &ProcSnapshot,
        pids: Option<&[i32]>,
        want: Want,
    ) -> DelaySnapshot {
        let delayacct = task_delayacct(env).unwrap_or(Some(false));
        let mut tasks = HashMap::with_capacity(snap.procs.len());
        for s in &snap.procs {
            if pids.is_some_and(|p| !p.contains(&s.pid)) {
                continue;
            }
            tasks.insert((s.pid, s.tid), self.task(env, s, want));
        }
        DelaySnapshot {
            delayacct,
            accounting_since_cs: self.accounting_since_cs,
            tasks,
        }
    }

    /// One sample: a process (`tid` `None`) or a thread.
    pub fn task(
        &mut self,
        env: &Env,
        s: &ProcSample,
        want: Want,
    ) -> Result<TaskDelays, Unavailable> {
        if let Some(client) = &mut self.client {
            let answer = match s.tid {
                None => client.tgid_aggregate(s.pid),
                Some(tid) => client.pid(tid),
            };
            return answer
                .map(|t| TaskDelays::from_taskstats(&t))
                .map_err(|e| unavailable(&e));
        }
        let hz = env.facts().clock_ticks_per_sec.max(1);
        let single = s.tid.is_some() || s.stat.num_threads <= 1;
        if single {
            let dir = s.dir();
            let sched = want
                .schedstat
                .then(|| read_schedstat(env, &dir))
                .transpose()?;
            return Ok(procfs_delays(s.stat.blkio_delay_ticks, sched, hz));
        }
        // A multi-threaded process: /proc/PID/stat and schedstat are the leader thread's, so
        // sum the live threads.
        let task_dir = format!("/proc/{}/task", s.pid);
        let names = env
            .list_dir(&task_dir)
            .map_err(|e| Unavailable::from_error(env, &format!("/proc/{}", s.pid), &e))?;
        let mut sum: Option<TaskDelays> = None;
        for tid in names.iter().filter_map(|n| n.parse::<i32>().ok()) {
            let dir = format!("{task_dir}/{tid}");
            let Ok(st) = read_parse(env, &format!("{dir}/stat"), stat::parse) else {
                continue; // The thread exited.
            };
            let sched = match want.schedstat.then(|| read_schedstat(env, &dir)) {
                None => None,
                Some(Ok(x)) => Some(x),
                Some(Err(Unavailable::Exited)) => continue,
                Some(Err(e)) => return Err(e),
            };
            let d = procfs_delays(st.blkio_delay_ticks, sched, hz);
            sum = Some(sum.map_or(d, |a| a.add(&d)));
        }
        sum.ok_or(Unavailable::Exited)
    }
}

/// Words for an operator: why taskstats is not used.
fn reason(e: &TaskstatsError) -> String {
    if e.is_permission() {
        "no CAP_NET_ADMIN; run as root".into()
    } else {
        e.to_string()
    }
}

fn unavailable(e: &TaskstatsError) -> Unavailable {
    if e.is_gone() {
        Unavailable::Exited
    } else if e.is_permission() {
        Unavailable::Permission
    } else if e.is_not_on_this_kernel() {
        Unavailable::NotOnKernel
    } else {
        Unavailable::Failed(e.to_string())
    }
}

fn read_schedstat(env: &Env, dir: &str) -> Result<PidSchedstat, Unavailable> {
    read_parse(env, &format!("{dir}/schedstat"), schedstat::parse)
        .map_err(|e| Unavailable::from_error(env, dir, &e))
}

/// The /proc counters: block-I/O wait from stat's ticks, run time and wait from schedstat.
fn procfs_delays(blkio_ticks: Option<u64>, sched: Option<PidSchedstat>, hz: u64) -> TaskDelays {
    TaskDelays {
        on_cpu_ns: sched.map(|s| s.on_cpu_ns),
        run_delay_ns: sched.map(|s| s.run_delay_ns),
        blkio_delay_ns: blkio_ticks.map(|t| ticks_to_ns(t, hz)),
        swapin_delay_ns: None,
        freepages_delay_ns: None,
        thrashing_delay_ns: None,
        compact_delay_ns: None,
    }
}

/// Clock ticks to nanoseconds.
pub fn ticks_to_ns(ticks: u64, hz: u64) -> u64 {
    let ns = u128::from(ticks) * 1_000_000_000 / u128::from(hz.max(1));
    u64::try_from(ns).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_and_conversions() {
        assert_eq!(ticks_to_ns(3, 100), 30_000_000);
        assert_eq!(ticks_to_ns(1, 250), 4_000_000);
        let a = procfs_delays(
            Some(2),
            Some(PidSchedstat {
                on_cpu_ns: 5,
                run_delay_ns: 7,
                timeslices: 1,
            }),
            100,
        );
        assert_eq!(a.blkio_delay_ns, Some(20_000_000));
        assert_eq!(a.swapin_delay_ns, None, "no /proc file has swap-in waits");
        let b = a.add(&a);
        assert_eq!((b.on_cpu_ns, b.run_delay_ns), (Some(10), Some(14)));
        assert_eq!(b.swapin_delay_ns, None);
        assert_eq!(TaskDelays::ZERO.add(&TaskDelays::ZERO), TaskDelays::ZERO);
    }

    #[test]
    fn taskstats_record_maps_every_delay() {
        let t = Taskstats {
            cpu_delay_total_ns: 1,
            blkio_delay_total_ns: 2,
            swapin_delay_total_ns: 3,
            cpu_run_virtual_total_ns: 4,
            freepages_delay_total_ns: 5,
            thrashing_delay_total_ns: Some(6),
            compact_delay_total_ns: None,
            ..Taskstats::default()
        };
        let d = TaskDelays::from_taskstats(&t);
        assert_eq!(
            d,
            TaskDelays {
                on_cpu_ns: Some(4),
                run_delay_ns: Some(1),
                blkio_delay_ns: Some(2),
                swapin_delay_ns: Some(3),
                freepages_delay_ns: Some(5),
                thrashing_delay_ns: Some(6),
                compact_delay_ns: None,
            }
        );
    }
}
