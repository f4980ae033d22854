//! Per-disk extended statistics, as `iostat -x` computes them.
//!
//! Rates use the uptime interval (`itv`, hundredths of a second); `*_await` and `*areq-sz` are
//! per-request averages over the interval (0 when there was no request, as iostat prints);
//! `%util` is Δio_ticks over the interval; `aqu-sz` is Δweighted-ticks over the interval.
//! A device present in only one sample, or whose counters went backwards, has no values.

use serde::Serialize;

use crate::collect::host::Disk;
use crate::collect::procfs::diskstats::DiskStat;
use crate::model::rate::{Interval, delta, ratio_or};

/// One direction (read, write or discard) of a disk.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DirRates {
    pub ios_per_sec: f64,
    pub kb_per_sec: f64,
    pub merges_per_sec: f64,
    pub merges_pct: f64,
    pub await_ms: f64,
    pub req_size_kb: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FlushRates {
    pub ios_per_sec: f64,
    pub await_ms: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DiskRates {
    pub read: DirRates,
    pub write: DirRates,
    /// (since Linux 4.18)
    pub discard: Option<DirRates>,
    /// (since Linux 5.5)
    pub flush: Option<FlushRates>,
    pub aqu_sz: f64,
    pub util_pct: f64,
    /// Average wait of all requests (reads, writes, discards).
    pub await_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiskRow {
    pub name: String,
    /// More than one hardware queue or non-rotational: %util 100 is not saturation.
    pub parallel: bool,
    /// Cumulative SCSI error count, when the kernel exposes one.
    pub io_errors: Option<u64>,
    /// `None`: device new or re-added since the previous sample, or counters went backwards.
    pub rates: Option<DiskRates>,
}

struct Dir {
    ios: u64,
    merges: u64,
    sectors: u64,
    ticks: u64,
}

fn dir_rates(itv: Interval, d: &Dir) -> DirRates {
    DirRates {
        ios_per_sec: itv.rate(d.ios),
        kb_per_sec: itv.rate(d.sectors) / 2.0,
        merges_per_sec: itv.rate(d.merges),
        merges_pct: ratio_or(d.merges as f64, d.merges + d.ios, 0.0) * 100.0,
        await_ms: ratio_or(d.ticks as f64, d.ios, 0.0),
        req_size_kb: ratio_or(d.sectors as f64, d.ios, 0.0) / 2.0,
    }
}

/// Rates of one disk between two readings; `None` if any counter went backwards.
pub fn rates(itv: Interval, p: &DiskStat, c: &DiskStat) -> Option<DiskRates> {
    let dir = |ios: (u64, u64), m: (u64, u64), s: (u64, u64), t: (u64, u64)| -> Option<Dir> {
        Some(Dir {
            ios: delta(ios.0, ios.1)?,
            merges: delta(m.0, m.1)?,
            sectors: delta(s.0, s.1)?,
            ticks: delta(t.0, t.1)?,
        })
    };
    let r = dir(
        (p.rd_ios, c.rd_ios),
        (p.rd_merges, c.rd_merges),
        (p.rd_sectors, c.rd_sectors),
        (p.rd_ticks_ms, c.rd_ticks_ms),
    )?;
    let w = dir(
        (p.wr_ios, c.wr_ios),
        (p.wr_merges, c.wr_merges),
        (p.wr_sectors, c.wr_sectors),
        (p.wr_ticks_ms, c.wr_ticks_ms),
    )?;
    let dc = match (p.discard, c.discard) {
        (Some(pd), Some(cd)) => Some(dir(
            (pd.dc_ios, cd.dc_ios),
            (pd.dc_merges, cd.dc_merges),
            (pd.dc_sectors, cd.dc_sectors),
            (pd.dc_ticks_ms, cd.dc_ticks_ms),
        )?),
        _ => None,
    };
    let fl = match (p.flush, c.flush) {
        (Some(pf), Some(cf)) => Some((
            delta(pf.fl_ios, cf.fl_ios)?,
            delta(pf.fl_ticks_ms, cf.fl_ticks_ms)?,
        )),
        _ => None,
    };
    let io_ticks = delta(p.io_ticks_ms, c.io_ticks_ms)?;
    let rq_ticks = delta(p.rq_ticks_ms, c.rq_ticks_ms)?;
    let (dc_ios, dc_ticks) = dc.as_ref().map(|d| (d.ios, d.ticks)).unwrap_or((0, 0));
    Some(DiskRates {
        read: dir_rates(itv, &r),
        write: dir_rates(itv, &w),
        discard: dc.as_ref().map(|d| dir_rates(itv, d)),
        flush: fl.map(|(ios, ticks)| FlushRates {
            ios_per_sec: itv.rate(ios),
            await_ms: ratio_or(ticks as f64, ios, 0.0),
        }),
        aqu_sz: itv.rate(rq_ticks) / 1000.0,
        util_pct: itv.rate(io_ticks) / 10.0,
        await_ms: ratio_or(
            (r.ticks + w.ticks + dc_ticks) as f64,
            r.ios + w.ios + dc_ios,
            0.0,
        ),
    })
}

/// One row per disk in the current sample, in /proc/diskstats order.
pub fn rows(itv: Interval, prev: &[Disk], curr: &[Disk]) -> Vec<DiskRow> {
    curr.iter()
        .map(|c| {
            let p = prev.iter().find(|p| p.stat.name == c.stat.name);
            // Same name but a different device number: removed and re-added in between.
            let same = p.filter(|p| (p.stat.major, p.stat.minor) == (c.stat.major, c.stat.minor));
            DiskRow {
                name: c.stat.name.clone(),
                parallel: c.queue.serves_in_parallel(&c.stat.name),
                io_errors: c.queue.io_errors,
                rates: same.and_then(|p| rates(itv, &p.stat, &c.stat)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::procfs::diskstats::parse;

    fn itv(cs: u64) -> Interval {
        Interval::between(0, cs).unwrap()
    }

    #[test]
    fn iostat_formulas() {
        let p = &parse("253 0 vda 100 10 800 50 200 20 1600 400 0 1000 2000\n").unwrap()[0];
        let c = &parse("253 0 vda 200 30 2400 150 400 20 5600 1400 2 1500 4000\n").unwrap()[0];
        let r = rates(itv(200), p, c).unwrap(); // 2 s
        assert_eq!(r.read.ios_per_sec, 50.0);
        assert_eq!(r.read.kb_per_sec, 400.0); // 1600 sectors / 2 s / 2
        assert_eq!(r.read.merges_pct, 20.0 / 120.0 * 100.0);
        assert_eq!(r.read.await_ms, 1.0); // 100 ms / 100 ios
        assert_eq!(r.read.req_size_kb, 8.0);
        assert_eq!(r.write.await_ms, 5.0);
        assert_eq!(r.util_pct, 25.0); // 500 ms of 2000 ms
        assert_eq!(r.aqu_sz, 1.0); // 2000 ms weighted / 2000 ms
        assert_eq!(r.await_ms, 1100.0 / 300.0);
        assert!(r.discard.is_none());
    }

    #[test]
    fn counter_decrease_and_readded_device_have_no_values() {
        let p = &parse("8 0 sda 100 0 800 50 0 0 0 0 0 100 100\n").unwrap()[0];
        let c = &parse("8 0 sda 50 0 900 50 0 0 0 0 0 100 100\n").unwrap()[0];
        assert_eq!(rates(itv(100), p, c), None);
    }

    #[test]
    fn idle_device_has_zero_await() {
        let p = &parse("8 0 sda 1 0 8 1 0 0 0 0 0 1 1\n").unwrap()[0];
        let r = rates(itv(100), p, p).unwrap();
        assert_eq!(
            (r.read.await_ms, r.read.req_size_kb, r.util_pct),
            (0.0, 0.0, 0.0)
        );
    }
}
