//! The host model: every rate and share between two host samples.

use serde::Serialize;

use crate::collect::host::HostSample;
use crate::collect::procfs::pressure::Psi;
use crate::model::rate::{Interval, delta};
use crate::model::{cpu, disk, mem, net};

/// PSI shares over sonde's own interval, from Δtotal.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct PsiShare {
    pub some_pct: Option<f64>,
    pub full_pct: Option<f64>,
    /// The kernel's own 10-second average at the end of the interval.
    pub some_avg10_pct: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct PressureShares {
    pub cpu: Option<PsiShare>,
    pub memory: Option<PsiShare>,
    pub io: Option<PsiShare>,
}

/// Per-CPU run-queue wait over the interval: the average number of tasks waiting for that CPU.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CpuWait {
    pub cpu: u32,
    pub waiting_tasks: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostModel {
    pub interval: Interval,
    pub online_cpus: usize,
    pub cpus: Vec<cpu::CpuRow>,
    pub cpu_wait: Option<Vec<CpuWait>>,
    pub mem: mem::MemUsage,
    pub paging: mem::Paging,
    pub pressure: PressureShares,
    pub disks: Vec<disk::DiskRow>,
    pub nics: Vec<net::NicRow>,
    pub tcp: net::TcpRates,
}

fn psi_share(itv: Interval, p: Option<Psi>, c: Option<Psi>) -> Option<PsiShare> {
    let (p, c) = (p?, c?);
    Some(PsiShare {
        some_pct: itv.share_of_us_pct(p.some.total_us, c.some.total_us),
        full_pct: match (p.full, c.full) {
            (Some(pf), Some(cf)) => itv.share_of_us_pct(pf.total_us, cf.total_us),
            _ => None,
        },
        some_avg10_pct: c.some.avg10_pct,
    })
}

/// The model between two samples; `None` when the samples are not an interval apart (the same
/// instant twice, or uptime went backwards: not the same boot).
pub fn model(prev: &HostSample, curr: &HostSample, page_size_bytes: u64) -> Option<HostModel> {
    let itv = Interval::between(prev.uptime_cs, curr.uptime_cs)?;
    let cpu_wait = match (&prev.schedstat, &curr.schedstat) {
        (Some(p), Some(c)) => Some(
            c.iter()
                .filter_map(|cc| {
                    let pc = p.iter().find(|x| x.cpu == cc.cpu)?;
                    let d = delta(pc.run_delay_ns, cc.run_delay_ns)?;
                    Some(CpuWait {
                        cpu: cc.cpu,
                        waiting_tasks: d as f64 / (itv.micros() * 1000.0),
                    })
                })
                .collect(),
        ),
        _ => None,
    };
    Some(HostModel {
        interval: itv,
        online_cpus: curr.stat.cpus.len().max(1),
        cpus: cpu::rows(&prev.stat, &curr.stat),
        cpu_wait,
        mem: mem::usage(&curr.meminfo),
        paging: mem::paging(itv, page_size_bytes, prev, curr),
        pressure: PressureShares {
            cpu: psi_share(itv, prev.pressure.cpu, curr.pressure.cpu),
            memory: psi_share(itv, prev.pressure.memory, curr.pressure.memory),
            io: psi_share(itv, prev.pressure.io, curr.pressure.io),
        },
        disks: disk::rows(itv, &prev.disks, &curr.disks),
        nics: net::rows(itv, &prev.nics, &curr.nics),
        tcp: net::tcp_rates(itv, &prev.tcp, &curr.tcp),
    })
}
