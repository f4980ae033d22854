//! Exit records as the last sample of tasks that ended during an interval, for `sonde io` and
//! `sonde offcpu` (see [`crate::collect::exited`] for which records belong to an interval).
//!
//! The kernel sends one record per exiting thread (its own counters) and, when the last thread
//! of a multi-threaded process exits, one for the whole process (delays, CPU times and context
//! switches summed over all its threads, I/O bytes left at zero). So an exited process is:
//! I/O bytes = the sum of its threads' records; CPU time and delays = the process record, or
//! the leader's own record for a single-threaded process. The record's I/O counts are rounded
//! down to KiB by the kernel; the previous /proc sample they are compared with is rounded the
//! same way, so a Δ is at most 1 KiB too high and never goes negative from rounding.

use serde::Serialize;

use crate::analyze::tasks::TaskKey;
use crate::collect::exited::{self, ExitBatch, Exited};
use crate::collect::netlink::{Scope, Taskstats};
use crate::collect::procfs::pid::io::PidIo;

/// What the exit listener contributed to an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ExitSummary {
    /// An exit listener was registered (root): processes that came and went are counted.
    pub listening: bool,
    /// Rows that come from exit records (processes, or threads with `-t`).
    pub exited: u64,
    /// Notifications the kernel dropped; those exits are missing from the rows.
    pub lost: u64,
}

impl ExitSummary {
    pub fn of(batch: &ExitBatch, exited: u64) -> ExitSummary {
        ExitSummary {
            listening: batch.listening,
            exited,
            lost: batch.lost,
        }
    }
}

/// The records of one exited process (process view) or thread (thread view).
#[derive(Debug, Clone, PartialEq)]
pub struct ExitGroup<'a> {
    pub key: TaskKey,
    /// Per-thread records.
    pub tasks: Vec<&'a Exited>,
    /// The whole-process record (multi-threaded processes, process view only).
    pub group: Option<&'a Exited>,
}

/// Groups a batch: by process, or one group per thread record (`threads`; process records
/// are then ignored). Sorted by key.
pub fn groups(batch: &ExitBatch, threads: bool) -> Vec<ExitGroup<'_>> {
    let mut out: Vec<ExitGroup<'_>> = Vec::new();
    for e in &batch.records {
        let tgid = exited::tgid(&e.record);
        let key = match (e.record.scope, threads) {
            (Scope::Pid, true) => (tgid, Some(e.record.id as i32)),
            (Scope::Tgid, true) => continue,
            (_, false) => (tgid, None),
        };
        let i = match out.iter().position(|g| g.key == key) {
            Some(i) => i,
            None => {
                out.push(ExitGroup {
                    key,
                    tasks: Vec::new(),
                    group: None,
                });
                out.len() - 1
            }
        };
        match e.record.scope {
            Scope::Pid => out[i].tasks.push(e),
            Scope::Tgid => out[i].group = Some(e),
        }
    }
    out.sort_by_key(|g| g.key);
    out
}

impl ExitGroup<'_> {
    /// The leader thread's record (or the only one).
    pub fn leader(&self) -> Option<&Exited> {
        self.tasks
            .iter()
            .find(|e| e.record.id as i32 == self.key.1.unwrap_or(self.key.0))
            .or(self.tasks.first())
            .copied()
    }

    /// The record that covers the whole group: the process record, else the leader's. For a
    /// multi-threaded process whose process record is missing (lost) the leader's covers the
    /// leader only: [`ExitGroup::complete`] is false then.
    pub fn whole(&self) -> Option<&Taskstats> {
        self.group
            .or_else(|| self.leader())
            .map(|e| &e.record.stats)
    }

    /// True when [`ExitGroup::whole`] covers every thread: a thread view, a process record,
    /// or one single-threaded record.
    pub fn complete(&self) -> bool {
        self.key.1.is_some() || self.group.is_some() || self.tasks.len() == 1
    }

    /// The name: the leader's.
    pub fn comm(&self) -> String {
        self.leader()
            .or(self.group)
            .map(|e| e.record.stats.ac_comm.clone())
            .unwrap_or_default()
    }

    /// The user name of the leader's record.
    pub fn user(&self) -> Option<String> {
        self.leader().or(self.group).map(|e| e.user.clone())
    }

    /// I/O counters summed over the thread records; `None` without any.
    pub fn io(&self) -> Option<PidIo> {
        if self.tasks.is_empty() {
            return None;
        }
        let mut io = PidIo::default();
        for e in &self.tasks {
            let t = &e.record.stats;
            io.rchar_bytes += t.read_char_bytes;
            io.wchar_bytes += t.write_char_bytes;
            io.read_syscalls += t.read_syscalls;
            io.write_syscalls += t.write_syscalls;
            io.read_bytes += t.read_bytes;
            io.write_bytes += t.write_bytes;
            io.cancelled_write_bytes += t.cancelled_write_bytes;
        }
        Some(io)
    }

    /// CPU time in microseconds: the scheduler's run time (`cpu_run_virtual_total`, what
    /// /proc/PID/stat's user + system time add up to), not `ac_utime + ac_stime`, which are
    /// tick samples and say 0 or 10 ms for a process that ran 5 ms.
    pub fn cpu_us(&self) -> Option<u64> {
        Some(self.whole()?.cpu_run_virtual_total_ns / 1000)
    }

    /// When the last record was drained (the exit is at most one step earlier).
    pub fn seen_uptime_cs(&self) -> Option<u64> {
        self.tasks
            .iter()
            .chain(self.group.iter())
            .filter_map(|e| e.seen_uptime_cs)
            .max()
    }

    /// Elapsed time from the start of the (leader) task to its exit, in nanoseconds.
    pub fn lifetime_ns(&self) -> Option<u64> {
        let l = self.leader()?;
        Some(l.record.stats.ac_etime_us.saturating_mul(1000))
    }
}

/// Rounds each byte count down to KiB, as the kernel does in exit records.
fn kib_floor(v: u64) -> u64 {
    v & !1023
}

/// Δ of I/O counters from a /proc sample to an exit record (see the module doc).
pub fn io_delta(prev: &PidIo, exit: &PidIo) -> Option<PidIo> {
    let d = |a: u64, b: u64| b.checked_sub(kib_floor(a));
    Some(PidIo {
        rchar_bytes: d(prev.rchar_bytes, exit.rchar_bytes)?,
        wchar_bytes: d(prev.wchar_bytes, exit.wchar_bytes)?,
        // Syscall counts are rounded to multiples of 1024 too; no rate is made of them.
        read_syscalls: 0,
        write_syscalls: 0,
        read_bytes: d(prev.read_bytes, exit.read_bytes)?,
        write_bytes: d(prev.write_bytes, exit.write_bytes)?,
        cancelled_write_bytes: d(prev.cancelled_write_bytes, exit.cancelled_write_bytes)?,
    })
}

/// Δ of CPU time from a /proc sample (`ticks`) to an exit record (`exit_us`), in µs. The two
/// are measured differently (stat scales ticks, taskstats reports the scheduler's µs), so a
/// deficit of up to one tick is taken as 0; more is "went backwards".
pub fn cpu_delta_us(prev_ticks: u64, clock_ticks_per_sec: u64, exit_us: u64) -> Option<u64> {
    let hz = clock_ticks_per_sec.max(1);
    let prev_us = u64::try_from(u128::from(prev_ticks) * 1_000_000 / u128::from(hz)).ok()?;
    let tick_us = 1_000_000 / hz;
    match exit_us.checked_sub(prev_us) {
        Some(d) => Some(d),
        None if prev_us - exit_us <= tick_us => Some(0),
        None => None,
    }
}

/// A start time (clock ticks after boot) just after `uptime_cs`: for a task that was not in
/// the previous sample, so started after it.
pub fn start_ticks_after(uptime_cs: u64, clock_ticks_per_sec: u64) -> u64 {
    u64::try_from(u128::from(uptime_cs) * u128::from(clock_ticks_per_sec.max(1)) / 100)
        .unwrap_or(u64::MAX)
        .saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::netlink::Record;

    fn exited(scope: Scope, id: u32, tgid: u32, write: u64, utime_us: u64) -> Exited {
        Exited {
            record: Record {
                scope,
                id,
                stats: Taskstats {
                    ac_tgid: Some(tgid),
                    ac_pid: id,
                    ac_comm: format!("c{id}"),
                    write_bytes: write,
                    cpu_run_virtual_total_ns: utime_us * 1000,
                    ..Taskstats::default()
                },
            },
            seen_uptime_cs: Some(500),
            user: "root".into(),
        }
    }

    #[test]
    fn a_multi_threaded_process_sums_io_and_takes_cpu_from_its_process_record() {
        let batch = ExitBatch {
            listening: true,
            records: vec![
                exited(Scope::Pid, 11, 10, 4096, 100),
                exited(Scope::Pid, 10, 10, 8192, 200),
                exited(Scope::Tgid, 10, 10, 0, 300),
                exited(Scope::Pid, 20, 20, 1024, 50),
            ],
            lost: 0,
            malformed: 0,
        };
        let g = groups(&batch, false);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].key, (10, None));
        assert!(g[0].complete());
        assert_eq!(g[0].io().unwrap().write_bytes, 12288);
        assert_eq!(
            g[0].cpu_us(),
            Some(300),
            "the process record sums the threads"
        );
        assert_eq!(g[0].comm(), "c10");
        assert_eq!(g[1].cpu_us(), Some(50));
        // Thread view: one group per thread record, the process record ignored.
        let t = groups(&batch, true);
        let keys: Vec<TaskKey> = t.iter().map(|g| g.key).collect();
        assert_eq!(keys, [(10, Some(10)), (10, Some(11)), (20, Some(20))]);
        assert_eq!(t[1].cpu_us(), Some(100));
    }

    #[test]
    fn deltas_from_proc_to_an_exit_record() {
        let prev = PidIo {
            write_bytes: 5000,
            ..PidIo::default()
        };
        let exit = PidIo {
            write_bytes: 4096 + 8192,
            ..PidIo::default()
        };
        // 5000 rounds down to 4096, like the record: Δ 8192, not a negative number.
        assert_eq!(io_delta(&prev, &exit).unwrap().write_bytes, 8192);
        assert_eq!(io_delta(&exit, &prev), None);
        // 12 ticks = 120 000 µs at 100 Hz; a record 5 ms short is within one tick.
        assert_eq!(cpu_delta_us(12, 100, 130_000), Some(10_000));
        assert_eq!(cpu_delta_us(12, 100, 115_000), Some(0));
        assert_eq!(cpu_delta_us(12, 100, 100_000), None);
        assert_eq!(start_ticks_after(1000, 100), 1001);
    }
}
