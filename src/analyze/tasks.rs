//! Which earlier sample a task's counters are measured against, for the per-process views.
//!
//! A task in both snapshots (same PID, same TID in the thread view, same start time) is
//! measured against its previous sample. A task that *started after* the previous snapshot
//! was taken did all its work inside the interval, so its counters are measured from zero:
//! this is what makes a process that lived for half a second show its I/O and CPU, where a
//! plain "no previous sample, no rate" would hide it. Anything else (a reused PID, a task the
//! previous scan could not read) has no baseline and no values.

use std::collections::HashMap;

use crate::collect::process::{ProcSample, ProcSnapshot};
use crate::collect::procfs::pid::io::PidIo;
use crate::collect::procfs::pid::stat::PidStat;

/// `(pid, tid)`: a process in the process view, a thread in the thread view.
pub type TaskKey = (i32, Option<i32>);

/// What a sample is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Baseline<'a> {
    /// The same task in the previous snapshot.
    Prev(&'a ProcSample),
    /// Started after the previous snapshot: every counter from 0.
    Zero,
    /// Unknown: no values.
    None,
}

/// True when a task that started `start_ticks` clock ticks after boot started after
/// `uptime_cs` (hundredths of a second since boot). Both clocks count from boot; ties are
/// "not after" (the task may have been running when the previous snapshot was taken).
pub fn started_after(start_ticks: u64, uptime_cs: u64, clock_ticks_per_sec: u64) -> bool {
    u128::from(start_ticks) * 100 > u128::from(uptime_cs) * u128::from(clock_ticks_per_sec)
}

/// The samples of `prev` by key.
pub fn index(prev: &ProcSnapshot) -> HashMap<TaskKey, &ProcSample> {
    prev.procs.iter().map(|p| ((p.pid, p.tid), p)).collect()
}

/// The baseline of `c` given the previous snapshot's index and clock.
pub fn baseline<'a>(
    prev: &HashMap<TaskKey, &'a ProcSample>,
    prev_uptime_cs: u64,
    c: &ProcSample,
    clock_ticks_per_sec: u64,
) -> Baseline<'a> {
    match prev.get(&(c.pid, c.tid)) {
        Some(p) if p.stat.start_ticks == c.stat.start_ticks => Baseline::Prev(p),
        _ if started_after(c.stat.start_ticks, prev_uptime_cs, clock_ticks_per_sec) => {
            Baseline::Zero
        }
        _ => Baseline::None,
    }
}

/// A sample of `c`'s task with every counter at 0 (I/O counters start at 0 at fork).
pub fn zero_sample(c: &ProcSample) -> ProcSample {
    let mut z = ProcSample::from_stat(PidStat {
        pid: c.stat.pid,
        comm: c.stat.comm.clone(),
        state: c.stat.state,
        start_ticks: c.stat.start_ticks,
        num_threads: 1,
        blkio_delay_ticks: Some(0),
        ..PidStat::default()
    });
    z.pid = c.pid;
    z.tid = c.tid;
    z.from_task_dir = c.from_task_dir;
    z.io = Ok(PidIo::default());
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn started_after_compares_ticks_with_centiseconds() {
        // USER_HZ 100: ticks and centiseconds are the same unit.
        assert!(started_after(1001, 1000, 100));
        assert!(!started_after(1000, 1000, 100), "a tie is not after");
        // 250 Hz: 2501 ticks = 10.004 s, after 10.00 s.
        assert!(started_after(2501, 1000, 250));
        assert!(!started_after(2500, 1000, 250));
    }

    #[test]
    fn baselines() {
        let s = |pid, start| {
            ProcSample::from_stat(PidStat {
                pid,
                start_ticks: start,
                ..PidStat::default()
            })
        };
        let prev = ProcSnapshot {
            uptime_cs: 1000,
            procs: vec![s(1, 5), s(2, 5)],
            ..ProcSnapshot::default()
        };
        let idx = index(&prev);
        assert!(matches!(
            baseline(&idx, 1000, &s(1, 5), 100),
            Baseline::Prev(_)
        ));
        // PID 2 reused by a process that started after the previous snapshot.
        assert_eq!(baseline(&idx, 1000, &s(2, 1050), 100), Baseline::Zero);
        // PID 3, started before the previous snapshot but not in it.
        assert_eq!(baseline(&idx, 1000, &s(3, 900), 100), Baseline::None);
        let z = zero_sample(&s(3, 1050));
        assert_eq!((z.stat.cpu_ticks(), z.io), (0, Ok(PidIo::default())));
    }
}
