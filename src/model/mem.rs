//! Memory and paging, as `free` and `vmstat` report them.
//!
//! `used` is MemTotal − MemAvailable (procps-ng 4); on kernels without MemAvailable (before
//! 3.14) it falls back to MemTotal − MemFree − Buffers − Cached − SReclaimable.
//! Paging rates come from /proc/vmstat over the uptime interval.

use serde::Serialize;

use crate::collect::host::HostSample;
use crate::collect::procfs::meminfo::MemInfo;
use crate::model::rate::{Interval, delta};

/// `free -k`, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MemUsage {
    pub total_kib: u64,
    pub used_kib: u64,
    pub free_kib: u64,
    pub shared_kib: u64,
    pub buff_cache_kib: u64,
    /// `None` before Linux 3.14.
    pub available_kib: Option<u64>,
    pub used_pct: f64,
    pub swap_total_kib: u64,
    pub swap_used_kib: u64,
    pub swap_free_kib: u64,
    pub dirty_kib: u64,
    pub writeback_kib: u64,
}

pub fn usage(m: &MemInfo) -> MemUsage {
    let buff_cache = m.buffers_kib + m.cached_kib + m.s_reclaimable_kib.unwrap_or(0);
    let used = match m.mem_available_kib {
        Some(avail) => m.mem_total_kib.saturating_sub(avail),
        None => m.mem_total_kib.saturating_sub(m.mem_free_kib + buff_cache),
    };
    MemUsage {
        total_kib: m.mem_total_kib,
        used_kib: used,
        free_kib: m.mem_free_kib,
        shared_kib: m.shmem_kib.unwrap_or(0),
        buff_cache_kib: buff_cache,
        available_kib: m.mem_available_kib,
        used_pct: if m.mem_total_kib == 0 {
            0.0
        } else {
            used as f64 / m.mem_total_kib as f64 * 100.0
        },
        swap_total_kib: m.swap_total_kib,
        swap_used_kib: m.swap_total_kib.saturating_sub(m.swap_free_kib),
        swap_free_kib: m.swap_free_kib,
        dirty_kib: m.dirty_kib,
        writeback_kib: m.writeback_kib,
    }
}

/// `vmstat` over one interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Paging {
    /// Runnable tasks at the end of the interval, sonde itself excluded.
    pub runnable: Option<u64>,
    /// Tasks in uninterruptible sleep at the end of the interval.
    pub blocked: Option<u64>,
    pub swap_in_kib_per_sec: Option<f64>,
    pub swap_out_kib_per_sec: Option<f64>,
    pub page_in_kib_per_sec: Option<f64>,
    pub page_out_kib_per_sec: Option<f64>,
    pub interrupts_per_sec: Option<f64>,
    pub context_switches_per_sec: Option<f64>,
    pub forks_per_sec: Option<f64>,
    pub faults_per_sec: Option<f64>,
    pub major_faults_per_sec: Option<f64>,
    pub direct_scan_pages_per_sec: Option<f64>,
    pub allocstalls_per_sec: Option<f64>,
    /// OOM kills during the interval (None before Linux 4.13).
    pub oom_kills: Option<u64>,
    /// vmstat's CPU columns: us = user + nice, sy = system + irq + softirq.
    pub cpu_us_pct: Option<f64>,
    pub cpu_sy_pct: Option<f64>,
    pub cpu_id_pct: Option<f64>,
    pub cpu_wa_pct: Option<f64>,
    pub cpu_st_pct: Option<f64>,
}

pub fn paging(itv: Interval, page_size_bytes: u64, p: &HostSample, c: &HostSample) -> Paging {
    let (pv, cv) = (&p.vmstat, &c.vmstat);
    let r = |a: u64, b: u64| itv.per_sec(a, b);
    let pages_kib = |a: u64, b: u64| r(a, b).map(|x| x * page_size_bytes as f64 / 1024.0);
    let (pa, ca) = (&p.stat.all, &c.stat.all);
    let total = delta(pa.total(), ca.total()).filter(|t| *t > 0);
    let share = |a: u64, b: u64| Some(delta(a, b)? as f64 / total? as f64 * 100.0);
    Paging {
        runnable: c.stat.procs_running.map(|r| r.saturating_sub(1)),
        blocked: c.stat.procs_blocked,
        swap_in_kib_per_sec: pages_kib(pv.pswpin, cv.pswpin),
        swap_out_kib_per_sec: pages_kib(pv.pswpout, cv.pswpout),
        page_in_kib_per_sec: r(pv.pgpgin_kib, cv.pgpgin_kib),
        page_out_kib_per_sec: r(pv.pgpgout_kib, cv.pgpgout_kib),
        interrupts_per_sec: r(p.stat.interrupts, c.stat.interrupts),
        context_switches_per_sec: r(p.stat.context_switches, c.stat.context_switches),
        forks_per_sec: r(p.stat.forks, c.stat.forks),
        faults_per_sec: r(pv.pgfault, cv.pgfault),
        major_faults_per_sec: r(pv.pgmajfault, cv.pgmajfault),
        direct_scan_pages_per_sec: r(pv.pgscan_direct, cv.pgscan_direct),
        allocstalls_per_sec: r(pv.allocstall, cv.allocstall),
        oom_kills: match (pv.oom_kill, cv.oom_kill) {
            (Some(a), Some(b)) => delta(a, b),
            _ => None,
        },
        cpu_us_pct: share(pa.user + pa.nice, ca.user + ca.nice),
        cpu_sy_pct: share(
            pa.system + pa.irq + pa.softirq,
            ca.system + ca.irq + ca.softirq,
        ),
        cpu_id_pct: share(pa.idle, ca.idle),
        cpu_wa_pct: share(pa.iowait, ca.iowait),
        cpu_st_pct: share(pa.steal, ca.steal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::procfs::meminfo::parse;

    #[test]
    fn free_used_is_total_minus_available() {
        let m = parse(
            "MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 600 kB\nBuffers: 50 kB\n\
             Cached: 300 kB\nSReclaimable: 20 kB\nShmem: 7 kB\nSwapTotal: 100 kB\nSwapFree: 40 kB\n",
        )
        .unwrap();
        let u = usage(&m);
        assert_eq!((u.used_kib, u.buff_cache_kib, u.shared_kib), (400, 370, 7));
        assert_eq!(u.used_pct, 40.0);
        assert_eq!(u.swap_used_kib, 60);
        // Before 3.14: total − free − buff/cache.
        let old = usage(
            &parse("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 300 kB\n").unwrap(),
        );
        assert_eq!((old.used_kib, old.available_kib), (550, None));
    }
}
