//! Delay arithmetic: from two samples of a task's cumulative delay counters to the share of an
//! interval it spent running, waiting for a CPU, for block I/O, swap-in, reclaim, thrashing and
//! compaction. Pure; used by `sonde io` (iotop's IO> and SWAPIN columns), `sonde offcpu` (the
//! whole breakdown) and the live view.
//!
//! A share is Δ counter / wall time × 100. For one thread it is at most 100 % (up to clock
//! skew between two reads). For a process the counters are sums over its threads, so its shares
//! can pass 100 %: two threads blocked on I/O the whole second make 200 %, as in iotop and
//! pidstat. A counter that went backwards (a reused PID, a thread of a /proc sum that exited)
//! or that the source does not have gives `None`, never 0.
//!
//! The waits are measured by different hooks and overlap in places: since Linux 5.19 a swap-in
//! wait also counts the block I/O it did in the block-I/O wait, and a thrashing or reclaim wait
//! can include block I/O too. So the parts of a [`Breakdown`] can add up to more than the wall
//! time; "other sleep" (the wall time no counter explains) is then 0, never negative.

use serde::Serialize;

use crate::collect::delays::TaskDelays;
use crate::model::rate::delta;

/// Δ of each counter over an interval, in nanoseconds; `None` when the counter is missing in
/// either sample or went backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DelayDeltas {
    pub on_cpu_ns: Option<u64>,
    pub run_delay_ns: Option<u64>,
    pub blkio_delay_ns: Option<u64>,
    pub swapin_delay_ns: Option<u64>,
    pub freepages_delay_ns: Option<u64>,
    pub thrashing_delay_ns: Option<u64>,
    pub compact_delay_ns: Option<u64>,
}

fn d(prev: Option<u64>, curr: Option<u64>) -> Option<u64> {
    delta(prev?, curr?)
}

fn sum(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    Some(a?.saturating_add(b?))
}

impl DelayDeltas {
    pub fn between(prev: &TaskDelays, curr: &TaskDelays) -> DelayDeltas {
        DelayDeltas {
            on_cpu_ns: d(prev.on_cpu_ns, curr.on_cpu_ns),
            run_delay_ns: d(prev.run_delay_ns, curr.run_delay_ns),
            blkio_delay_ns: d(prev.blkio_delay_ns, curr.blkio_delay_ns),
            swapin_delay_ns: d(prev.swapin_delay_ns, curr.swapin_delay_ns),
            freepages_delay_ns: d(prev.freepages_delay_ns, curr.freepages_delay_ns),
            thrashing_delay_ns: d(prev.thrashing_delay_ns, curr.thrashing_delay_ns),
            compact_delay_ns: d(prev.compact_delay_ns, curr.compact_delay_ns),
        }
    }

    /// Field-wise sum (threads into their process); missing in either is missing.
    pub fn add(&self, o: &DelayDeltas) -> DelayDeltas {
        DelayDeltas {
            on_cpu_ns: sum(self.on_cpu_ns, o.on_cpu_ns),
            run_delay_ns: sum(self.run_delay_ns, o.run_delay_ns),
            blkio_delay_ns: sum(self.blkio_delay_ns, o.blkio_delay_ns),
            swapin_delay_ns: sum(self.swapin_delay_ns, o.swapin_delay_ns),
            freepages_delay_ns: sum(self.freepages_delay_ns, o.freepages_delay_ns),
            thrashing_delay_ns: sum(self.thrashing_delay_ns, o.thrashing_delay_ns),
            compact_delay_ns: sum(self.compact_delay_ns, o.compact_delay_ns),
        }
    }

    /// The same with the waits that need `kernel.task_delayacct` unknown: while it is 0 the
    /// kernel leaves them at 0, which must not read as "no waiting". Run time and run-queue wait
    /// come from the scheduler and stay.
    pub fn without_accounting(&self) -> DelayDeltas {
        DelayDeltas {
            on_cpu_ns: self.on_cpu_ns,
            run_delay_ns: self.run_delay_ns,
            ..DelayDeltas::default()
        }
    }

    /// Each Δ as a share of `wall_ns`.
    pub fn shares(&self, wall_ns: u64) -> DelayShares {
        let p = |x: Option<u64>| share_pct(x, wall_ns);
        DelayShares {
            on_cpu_pct: p(self.on_cpu_ns),
            run_delay_pct: p(self.run_delay_ns),
            blkio_delay_pct: p(self.blkio_delay_ns),
            swapin_delay_pct: p(self.swapin_delay_ns),
            freepages_delay_pct: p(self.freepages_delay_ns),
            thrashing_delay_pct: p(self.thrashing_delay_ns),
            compact_delay_pct: p(self.compact_delay_ns),
        }
    }
}

/// `delta_ns` as a percentage of `wall_ns`; `None` without a Δ or without wall time.
pub fn share_pct(delta_ns: Option<u64>, wall_ns: u64) -> Option<f64> {
    let d = delta_ns?;
    (wall_ns > 0).then(|| d as f64 / wall_ns as f64 * 100.0)
}

/// Each counter's Δ as a share of the interval, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct DelayShares {
    pub on_cpu_pct: Option<f64>,
    pub run_delay_pct: Option<f64>,
    pub blkio_delay_pct: Option<f64>,
    pub swapin_delay_pct: Option<f64>,
    pub freepages_delay_pct: Option<f64>,
    pub thrashing_delay_pct: Option<f64>,
    pub compact_delay_pct: Option<f64>,
}

/// How a thread's (or, summed, a process's threads') wall time split, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Breakdown {
    /// The wall time accounted: the interval, or the part of it the thread existed.
    pub wall_ns: u64,
    pub deltas: DelayDeltas,
    /// Wall time neither running nor waiting for a CPU: every kind of wait and sleep. `None`
    /// when the run time or the run-queue wait is unknown.
    pub off_cpu_ns: Option<u64>,
    /// Wall time none of the counters explains: sleeping on anything else (a lock, a timer, a
    /// socket, a pipe, a futex), and waits the source cannot see. `None` when the run time or
    /// the run-queue wait is unknown (then nothing can be said about the rest).
    pub other_sleep_ns: Option<u64>,
}

impl Breakdown {
    /// Splits `wall_ns` of one thread: what the counters explain, and the rest.
    pub fn of_thread(deltas: DelayDeltas, wall_ns: u64) -> Breakdown {
        let known = [
            deltas.blkio_delay_ns,
            deltas.swapin_delay_ns,
            deltas.freepages_delay_ns,
            deltas.thrashing_delay_ns,
            deltas.compact_delay_ns,
        ]
        .into_iter()
        .flatten()
        .fold(0u64, u64::saturating_add);
        let off_cpu_ns = match (deltas.on_cpu_ns, deltas.run_delay_ns) {
            (Some(run), Some(wait)) => Some(wall_ns.saturating_sub(run.saturating_add(wait))),
            _ => None,
        };
        Breakdown {
            wall_ns,
            deltas,
            off_cpu_ns,
            other_sleep_ns: off_cpu_ns.map(|off| off.saturating_sub(known)),
        }
    }

    /// Adds another thread's breakdown (a process is the sum of its threads).
    pub fn add(&self, o: &Breakdown) -> Breakdown {
        Breakdown {
            wall_ns: self.wall_ns.saturating_add(o.wall_ns),
            deltas: self.deltas.add(&o.deltas),
            off_cpu_ns: sum(self.off_cpu_ns, o.off_cpu_ns),
            other_sleep_ns: sum(self.other_sleep_ns, o.other_sleep_ns),
        }
    }

    /// Every part as a share of `interval_ns` (for a process: can pass 100 %).
    pub fn shares(&self, interval_ns: u64) -> BreakdownShares {
        let s = self.deltas.shares(interval_ns);
        BreakdownShares {
            running_pct: s.on_cpu_pct,
            runqueue_pct: s.run_delay_pct,
            off_cpu_pct: share_pct(self.off_cpu_ns, interval_ns),
            blkio_pct: s.blkio_delay_pct,
            swapin_pct: s.swapin_delay_pct,
            reclaim_pct: s.freepages_delay_pct,
            thrashing_pct: s.thrashing_delay_pct,
            compaction_pct: s.compact_delay_pct,
            other_sleep_pct: share_pct(self.other_sleep_ns, interval_ns),
        }
    }
}

/// A [`Breakdown`] in percent of the interval.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct BreakdownShares {
    /// On a CPU.
    pub running_pct: Option<f64>,
    /// Runnable, waiting for a CPU.
    pub runqueue_pct: Option<f64>,
    /// Neither running nor runnable: the sum of the parts below (which may overlap).
    pub off_cpu_pct: Option<f64>,
    /// Waiting for block I/O.
    pub blkio_pct: Option<f64>,
    /// Waiting for swap-in.
    pub swapin_pct: Option<f64>,
    /// In direct reclaim.
    pub reclaim_pct: Option<f64>,
    /// Waiting for refaulted pages.
    pub thrashing_pct: Option<f64>,
    /// In memory compaction.
    pub compaction_pct: Option<f64>,
    /// Everything else (never negative).
    pub other_sleep_pct: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn delays(on_cpu: u64, run: u64, blkio: u64, swapin: u64) -> TaskDelays {
        TaskDelays {
            on_cpu_ns: Some(on_cpu),
            run_delay_ns: Some(run),
            blkio_delay_ns: Some(blkio),
            swapin_delay_ns: Some(swapin),
            ..TaskDelays::ZERO
        }
    }

    #[test]
    fn io_delay_is_a_share_of_the_interval() {
        // 250 ms blocked on I/O in a 1 s interval: iotop's IO> 25 %.
        let dd = DelayDeltas::between(&delays(0, 0, 100 * MS, 0), &delays(0, 0, 350 * MS, 0));
        let s = dd.shares(1000 * MS);
        assert_eq!(s.blkio_delay_pct, Some(25.0));
        assert_eq!(s.swapin_delay_pct, Some(0.0));
        // Two threads blocked the whole second: a process at 200 %.
        let both = dd.add(&DelayDeltas::between(
            &delays(0, 0, 0, 0),
            &delays(0, 0, 1000 * MS, 0),
        ));
        assert_eq!(both.shares(1000 * MS).blkio_delay_pct, Some(125.0));
        assert_eq!(share_pct(Some(5), 0), None, "no wall time, no share");
    }

    #[test]
    fn backwards_missing_and_switched_off_are_none_not_zero() {
        let mut curr = delays(10, 10, 10, 10);
        curr.swapin_delay_ns = None; // /proc has no swap-in counter
        let dd = DelayDeltas::between(&delays(20, 0, 0, 0), &curr);
        assert_eq!(dd.on_cpu_ns, None, "went backwards");
        assert_eq!(dd.swapin_delay_ns, None);
        assert_eq!(dd.blkio_delay_ns, Some(10));
        let off = dd.without_accounting();
        assert_eq!(off.blkio_delay_ns, None);
        assert_eq!(off.run_delay_ns, Some(10));
    }

    /// One thread over a 1 s interval:
    ///
    /// ```text
    /// |--run 300--|-wait 100-|------ blkio 400 ------|-- other 200 --|
    /// 0          300        400                     800            1000 ms
    /// ```
    #[test]
    fn breakdown_other_sleep_is_the_rest_and_never_negative() {
        let dd = DelayDeltas::between(&TaskDelays::ZERO, &delays(300 * MS, 100 * MS, 400 * MS, 0));
        let b = Breakdown::of_thread(dd, 1000 * MS);
        assert_eq!(b.other_sleep_ns, Some(200 * MS));
        assert_eq!(b.off_cpu_ns, Some(600 * MS));
        let s = b.shares(1000 * MS);
        assert_eq!(
            (
                s.running_pct,
                s.runqueue_pct,
                s.blkio_pct,
                s.other_sleep_pct
            ),
            (Some(30.0), Some(10.0), Some(40.0), Some(20.0))
        );
        // A swap-in that also counted its block I/O: the parts overlap, the rest is 0.
        let dd = DelayDeltas::between(&TaskDelays::ZERO, &delays(100 * MS, 0, 800 * MS, 800 * MS));
        assert_eq!(Breakdown::of_thread(dd, 1000 * MS).other_sleep_ns, Some(0));
        // Without run time nothing can be said about the rest.
        let mut no_run = dd;
        no_run.on_cpu_ns = None;
        assert_eq!(Breakdown::of_thread(no_run, 1000 * MS).other_sleep_ns, None);
        // A process: two threads' breakdowns add up.
        let two = b.add(&b);
        assert_eq!(two.wall_ns, 2000 * MS);
        assert_eq!(two.shares(1000 * MS).running_pct, Some(60.0));
    }
}
