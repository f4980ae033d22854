//! Per-CPU utilization, as `mpstat -P ALL` computes it.
//!
//! For each CPU the denominator is that CPU's own Δtotal (user + nice + system + idle + iowait +
//! irq + softirq + steal; guest time is inside user/nice). Idle and iowait can restart from 0
//! when a CPU goes offline and back; a decrease there is read as "restarted", as sysstat does.
//! A CPU whose total did not move (tickless idle) is 100 % idle.
//!
//! The "all" row is the sum of the per-CPU lines over the CPUs online in both samples, as
//! mpstat computes it, not the kernel's `cpu` line: the kernel reads each idle CPU's idle time
//! twice while printing /proc/stat, so the two can differ by a tick, and an offline CPU would
//! otherwise count on one side only.

use serde::Serialize;

use crate::collect::procfs::stat::{CpuTicks, Stat};
use crate::model::rate::delta;

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct CpuPct {
    pub usr_pct: Option<f64>,
    pub nice_pct: Option<f64>,
    pub sys_pct: Option<f64>,
    pub iowait_pct: Option<f64>,
    pub irq_pct: Option<f64>,
    pub soft_pct: Option<f64>,
    pub steal_pct: Option<f64>,
    pub guest_pct: Option<f64>,
    pub gnice_pct: Option<f64>,
    pub idle_pct: Option<f64>,
}

impl CpuPct {
    /// 100 − idle: the share of time the CPU was busy (iowait counts as idle).
    pub fn busy_pct(&self) -> Option<f64> {
        let idle = self.idle_pct?;
        let iow = self.iowait_pct.unwrap_or(0.0);
        Some((100.0 - idle - iow).max(0.0))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpuRow {
    /// `None` for the "all" row.
    pub cpu: Option<u32>,
    /// False when the CPU is missing from the current sample (offline).
    pub online: bool,
    /// `None` when there is no previous value to compare with (came online, offline).
    pub pct: Option<CpuPct>,
}

/// Percentages of one CPU between two readings.
pub fn pct(prev: &CpuTicks, curr: &CpuTicks) -> CpuPct {
    // Idle and iowait restart from 0 after offline/online: use the current value as the delta.
    let restart = |p: u64, c: u64| if c < p { 0 } else { p };
    let mut p = *prev;
    p.idle = restart(prev.idle, curr.idle);
    p.iowait = restart(prev.iowait, curr.iowait);
    let total = delta(p.total(), curr.total());
    let Some(total) = total else {
        return CpuPct::default();
    };
    if total == 0 {
        let zero = Some(0.0);
        return CpuPct {
            usr_pct: zero,
            nice_pct: zero,
            sys_pct: zero,
            iowait_pct: zero,
            irq_pct: zero,
            soft_pct: zero,
            steal_pct: zero,
            guest_pct: zero,
            gnice_pct: zero,
            idle_pct: Some(100.0),
        };
    }
    let share = |a: u64, b: u64| delta(a, b).map(|d| d as f64 / total as f64 * 100.0);
    CpuPct {
        usr_pct: share(
            p.user.saturating_sub(p.guest),
            curr.user.saturating_sub(curr.guest),
        ),
        nice_pct: share(
            p.nice.saturating_sub(p.guest_nice),
            curr.nice.saturating_sub(curr.guest_nice),
        ),
        sys_pct: share(p.system, curr.system),
        iowait_pct: share(p.iowait, curr.iowait),
        irq_pct: share(p.irq, curr.irq),
        soft_pct: share(p.softirq, curr.softirq),
        steal_pct: share(p.steal, curr.steal),
        guest_pct: share(p.guest, curr.guest),
        gnice_pct: share(p.guest_nice, curr.guest_nice),
        idle_pct: share(p.idle, curr.idle),
    }
}

/// Sum of the per-CPU lines of the CPUs present in both samples; the `cpu` line when the
/// kernel prints no per-CPU lines.
fn all_ticks(prev: &Stat, curr: &Stat) -> (CpuTicks, CpuTicks) {
    let both: Vec<(CpuTicks, CpuTicks)> = curr
        .cpus
        .iter()
        .filter_map(|(id, c)| {
            prev.cpus
                .iter()
                .find(|(p, _)| p == id)
                .map(|(_, p)| (*p, *c))
        })
        .collect();
    if both.is_empty() {
        return (prev.all, curr.all);
    }
    let add = |a: CpuTicks, b: CpuTicks| CpuTicks {
        user: a.user + b.user,
        nice: a.nice + b.nice,
        system: a.system + b.system,
        idle: a.idle + b.idle,
        iowait: a.iowait + b.iowait,
        irq: a.irq + b.irq,
        softirq: a.softirq + b.softirq,
        steal: a.steal + b.steal,
        guest: a.guest + b.guest,
        guest_nice: a.guest_nice + b.guest_nice,
    };
    both.iter().fold(
        (CpuTicks::default(), CpuTicks::default()),
        |(sp, sc), (p, c)| {
            // An idle/iowait restart after offline/online counts from 0, per CPU (as in `pct`).
            let mut p = *p;
            if c.idle < p.idle {
                p.idle = 0;
            }
            if c.iowait < p.iowait {
                p.iowait = 0;
            }
            (add(sp, p), add(sc, *c))
        },
    )
}

/// The "all" row, then one row per CPU seen in either sample, by CPU number.
pub fn rows(prev: &Stat, curr: &Stat) -> Vec<CpuRow> {
    let (pa, ca) = all_ticks(prev, curr);
    let mut out = vec![CpuRow {
        cpu: None,
        online: true,
        pct: Some(pct(&pa, &ca)),
    }];
    let mut ids: Vec<u32> = prev.cpus.iter().chain(&curr.cpus).map(|c| c.0).collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let find = |s: &Stat| s.cpus.iter().find(|c| c.0 == id).map(|c| c.1);
        let (p, c) = (find(prev), find(curr));
        out.push(CpuRow {
            cpu: Some(id),
            online: c.is_some(),
            pct: match (p, c) {
                (Some(p), Some(c)) => Some(pct(&p, &c)),
                _ => None,
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(user: u64, system: u64, idle: u64, iowait: u64, guest: u64) -> CpuTicks {
        CpuTicks {
            user,
            system,
            idle,
            iowait,
            guest,
            ..CpuTicks::default()
        }
    }

    #[test]
    fn guest_is_taken_out_of_user() {
        let p = pct(&t(100, 0, 100, 0, 0), &t(150, 10, 130, 10, 20));
        // Δtotal = 50 + 10 + 30 + 10 = 100; usr = (150-20) - 100 = 30.
        assert_eq!(p.usr_pct, Some(30.0));
        assert_eq!(p.guest_pct, Some(20.0));
        assert_eq!(p.idle_pct, Some(30.0));
        assert_eq!(p.busy_pct(), Some(60.0));
    }

    #[test]
    fn tickless_cpu_is_idle() {
        let same = t(5, 5, 5, 5, 0);
        assert_eq!(pct(&same, &same).idle_pct, Some(100.0));
    }

    #[test]
    fn idle_restart_after_offline() {
        // The CPU went offline: idle restarted at 40 while user kept counting.
        let p = pct(&t(100, 0, 1000, 50, 0), &t(160, 0, 40, 0, 0));
        // Δuser 60, Δidle 40 (from 0), Δiowait 0 (from 0) → total 100.
        assert_eq!(p.idle_pct, Some(40.0));
        assert_eq!(p.usr_pct, Some(60.0));
    }

    #[test]
    fn decreased_user_is_no_value() {
        let p = pct(&t(100, 10, 10, 0, 0), &t(90, 30, 20, 0, 0));
        assert_eq!(p.usr_pct, None);
    }

    /// Regression: mpstat's "all" disagreed by a tick because the kernel's `cpu` line
    /// (total 200) and the sum of the cpuN lines (total 201) were read at different moments.
    #[test]
    fn all_is_the_sum_of_cpus_online_in_both_samples() {
        let prev = Stat {
            all: t(0, 0, 0, 0, 0),
            cpus: vec![
                (0, t(0, 0, 0, 0, 0)),
                (1, t(0, 0, 0, 0, 0)),
                (2, t(5, 0, 5, 0, 0)),
            ],
            ..Stat::default()
        };
        let curr = Stat {
            all: t(128, 0, 72, 0, 0),
            // cpu2 went offline; cpu0 + cpu1 give 201 ticks.
            cpus: vec![(0, t(100, 0, 0, 0, 0)), (1, t(28, 0, 73, 0, 0))],
            ..Stat::default()
        };
        let all = rows(&prev, &curr)[0].pct.unwrap();
        assert_eq!(format!("{:.2}", all.usr_pct.unwrap()), "63.68");
    }

    #[test]
    fn offline_and_new_cpus_have_no_values() {
        let s = |ids: &[u32]| Stat {
            cpus: ids.iter().map(|i| (*i, t(1, 1, 1, 0, 0))).collect(),
            ..Stat::default()
        };
        let r = rows(&s(&[0, 1]), &s(&[0, 2]));
        let summary: Vec<(Option<u32>, bool, bool)> = r
            .iter()
            .map(|r| (r.cpu, r.online, r.pct.is_some()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (None, true, true),
                (Some(0), true, true),
                (Some(1), false, false),
                (Some(2), true, false)
            ]
        );
    }
}
