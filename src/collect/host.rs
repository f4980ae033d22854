//! One host-level sample: every system-wide counter sonde reads, at one instant.
//!
//! Processes are not part of it (they have their own, cheaper-per-item collector). Files that
//! every supported kernel has are required; the rest are `Option`, so an old kernel or a
//! stripped-down VM still gives a sample.

use serde::Serialize;

use crate::collect::CollectError;
use crate::collect::procfs::{
    diskstats, kernel_tables, loadavg, meminfo, mounts, net_dev, pressure, schedstat, snmp, stat,
    uptime, vmstat,
};
use crate::collect::sysfs::{block, edac, fs_errors, net};
use crate::env::{Env, FsStat};

/// A whole disk (not a partition) that has done I/O since boot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disk {
    pub stat: diskstats::DiskStat,
    pub queue: block::BlockQueue,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nic {
    pub dev: net_dev::NetDev,
    pub link: net::Link,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileSystem {
    pub mount: mounts::Mount,
    pub stat: FsStat,
    /// ext4's superblock error count (None: not ext4, or kernel before 3.6).
    pub errors: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostSample {
    /// /proc/uptime in hundredths of a second: the clock intervals are measured with.
    pub uptime_cs: u64,
    pub stat: stat::Stat,
    pub meminfo: meminfo::MemInfo,
    pub vmstat: vmstat::VmStat,
    pub loadavg: loadavg::LoadAvg,
    pub pressure: pressure::Pressure,
    pub schedstat: Option<Vec<schedstat::CpuSched>>,
    pub disks: Vec<Disk>,
    pub nics: Vec<Nic>,
    pub tcp: snmp::Tcp,
    pub filesystems: Vec<FileSystem>,
    pub tables: kernel_tables::KernelTables,
    pub edac: Option<edac::Edac>,
}

/// Reads one host sample. With a capture sequence, this moves to the next capture first.
pub fn sample(env: &Env) -> Result<HostSample, CollectError> {
    env.begin_sample()?;
    let uptime_cs = uptime::read(env)?;
    let stat = stat::read(env)?;
    let whole = block::whole_disks(env)?;
    let disks = diskstats::read(env)?
        .into_iter()
        // Whole disks only (partitions are not in /sys/block); iostat also hides unused ones.
        .filter(|d| (whole.is_empty() || whole.contains(&d.name)) && !d.is_unused())
        .map(|d| {
            let queue = block::read_queue(env, &d.name);
            Disk { stat: d, queue }
        })
        .collect();
    let nics = net_dev::read(env)?
        .into_iter()
        .map(|d| {
            let link = net::read_link(env, &d.name);
            Nic { dev: d, link }
        })
        .collect();
    let filesystems = mounts::read(env)?
        .into_iter()
        .filter_map(|m| {
            // A mount that vanished or hangs (stale NFS) is skipped, not fatal.
            let st = env.statvfs(&m.mount_point).ok()?;
            (st.blocks > 0).then(|| FileSystem {
                errors: (m.fs_type == "ext4")
                    .then(|| fs_errors::ext4_errors(env, &m.device))
                    .flatten(),
                mount: m,
                stat: st,
            })
        })
        .collect();
    Ok(HostSample {
        uptime_cs,
        stat,
        meminfo: meminfo::read(env)?,
        vmstat: vmstat::read(env)?,
        loadavg: loadavg::read(env)?,
        pressure: pressure::read(env)?,
        schedstat: schedstat::read(env)?,
        disks,
        nics,
        tcp: snmp::read_tcp(env)?,
        filesystems,
        tables: kernel_tables::read(env)?,
        edac: edac::read(env),
    })
}

/// Who the host is, for report headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostInfo {
    pub hostname: String,
    pub kernel: String,
    /// Seconds since the epoch when the report was made (the capture's time on replay).
    pub unix_time: u64,
}

impl HostInfo {
    pub fn read(env: &Env) -> HostInfo {
        let get = |p: &str| {
            env.read(p)
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "?".into())
        };
        HostInfo {
            hostname: get("/proc/sys/kernel/hostname"),
            kernel: get("/proc/sys/kernel/osrelease"),
            unix_time: env.now_unix_secs(),
        }
    }
}
