//! One builder per resource kind, each appending its rows in a stable order.

use super::{Cell, Metric, Resource, Threshold, Unit, UseRow};
use crate::collect::host::HostSample;
use crate::model::host::{HostModel, PsiShare};

const fn th(warn: f64, crit: f64) -> Option<Threshold> {
    Some(Threshold { warn, crit })
}

const NO_PSI: &str = "PSI not available (kernel before 4.20, CONFIG_PSI off, or psi=0)";

/// PSI some/full shares over the interval as metrics.
fn psi_metrics(
    file: &str,
    share: Option<PsiShare>,
    some: Option<Threshold>,
    full: Option<Threshold>,
) -> Vec<Metric> {
    let src = |line: &str| format!("/proc/pressure/{file} {line} total (share of interval)");
    match share {
        None => vec![Metric::new("psi some", None, Unit::Pct, some, src("some")).with_note(NO_PSI)],
        Some(s) => {
            let mut v = vec![Metric::new(
                "psi some",
                s.some_pct,
                Unit::Pct,
                some,
                src("some"),
            )];
            if let Some(full_t) = full {
                v.push(Metric::new(
                    "psi full",
                    s.full_pct,
                    Unit::Pct,
                    Some(full_t),
                    src("full"),
                ));
            }
            v
        }
    }
}

pub(super) fn cpu(curr: &HostSample, m: &HostModel, rows: &mut Vec<UseRow>) {
    let ncpu = m.online_cpus as f64;
    let busy_all = m
        .cpus
        .first()
        .and_then(|r| r.pct)
        .and_then(|p| p.busy_pct());
    let runnable = m.paging.runnable.map(|r| r as f64 / ncpu);
    let mut sat = vec![
        Metric::new(
            "runq/cpu",
            runnable,
            Unit::Number,
            th(1.0, 2.0),
            "/proc/stat procs_running (minus sonde) / online CPUs",
        ),
        Metric::new(
            "load1/cpu",
            Some(curr.loadavg.load1 / ncpu),
            Unit::Number,
            None,
            "/proc/loadavg 1-min load / online CPUs",
        )
        .with_note("informational: includes tasks in D state"),
    ];
    sat.extend(psi_metrics("cpu", m.pressure.cpu, th(10.0, 40.0), None));
    let no_errors = "no CPU error counters in /proc or /sys (machine checks go to the kernel log)";
    rows.push(UseRow::new(
        Resource::Cpu,
        "all",
        Cell::of(vec![Metric::new(
            "busy",
            busy_all,
            Unit::Pct,
            th(70.0, 90.0),
            "/proc/stat cpu line: 100 - idle - iowait",
        )]),
        Cell::of(sat),
        Cell::na(no_errors),
    ));
    for row in m.cpus.iter().skip(1) {
        let Some(id) = row.cpu else { continue };
        let util = match (row.online, row.pct) {
            (false, _) => Cell::na("offline"),
            (true, None) => Cell::na("came online during the interval"),
            (true, Some(p)) => Cell::of(vec![Metric::new(
                "busy",
                p.busy_pct(),
                Unit::Pct,
                th(90.0, 99.0),
                format!("/proc/stat cpu{id}: 100 - idle - iowait"),
            )]),
        };
        let sat = match &m.cpu_wait {
            None => Cell::na("no /proc/schedstat (CONFIG_SCHEDSTATS off); see cpu all"),
            Some(w) => match w.iter().find(|w| w.cpu == id) {
                None => Cell::na("no schedstat line for this CPU"),
                Some(w) => Cell::of(vec![Metric::new(
                    "waiting",
                    Some(w.waiting_tasks),
                    Unit::Number,
                    th(0.5, 1.5),
                    format!("/proc/schedstat cpu{id} run-queue wait ns / interval"),
                )]),
            },
        };
        rows.push(UseRow::new(
            Resource::Cpu,
            format!("cpu{id}"),
            util,
            sat,
            Cell::na(no_errors),
        ));
    }
}

pub(super) fn memory(curr: &HostSample, m: &HostModel, rows: &mut Vec<UseRow>) {
    let p = &m.paging;
    let swap = match (p.swap_in_kib_per_sec, p.swap_out_kib_per_sec) {
        (Some(i), Some(o)) => Some(i + o),
        _ => None,
    };
    let mut sat = vec![
        Metric::new(
            "swap",
            swap.map(|k| k * 1024.0),
            Unit::BytesPerSec,
            th(4096.0, 10.0 * 1048576.0),
            "/proc/vmstat pswpin + pswpout (bytes/s)",
        ),
        Metric::new(
            "majflt",
            p.major_faults_per_sec,
            Unit::PerSec,
            th(100.0, 1000.0),
            "/proc/vmstat pgmajfault",
        ),
        Metric::new(
            "oom kill",
            p.oom_kills.map(|k| k as f64),
            Unit::Count,
            th(1.0, 1.0),
            "/proc/vmstat oom_kill (during interval)",
        )
        .when_na("oom_kill counter needs Linux 4.13"),
        Metric::new(
            "allocstl",
            p.allocstalls_per_sec,
            Unit::PerSec,
            th(1.0, 100.0),
            "/proc/vmstat allocstall* (direct reclaim)",
        ),
    ];
    sat.extend(psi_metrics(
        "memory",
        m.pressure.memory,
        th(5.0, 20.0),
        th(1.0, 10.0),
    ));
    let used_src = if curr.meminfo.mem_available_kib.is_some() {
        "/proc/meminfo (MemTotal - MemAvailable) / MemTotal"
    } else {
        "/proc/meminfo (MemTotal - MemFree - Buffers - Cached) / MemTotal (no MemAvailable)"
    };
    let errors = match curr.edac {
        None => Cell::na("no EDAC memory controller (/sys/devices/system/edac/mc), typical in VMs"),
        Some(e) => Cell::of(vec![
            Metric::new(
                "uncorrected",
                Some(e.uncorrected as f64),
                Unit::Count,
                th(1.0, 1.0),
                "/sys/devices/system/edac/mc/mc*/ue_count (since boot)",
            ),
            Metric::new(
                "corrected",
                Some(e.corrected as f64),
                Unit::Count,
                th(1.0, 1000.0),
                "/sys/devices/system/edac/mc/mc*/ce_count (since boot)",
            ),
        ]),
    };
    rows.push(UseRow::new(
        Resource::Memory,
        "ram",
        Cell::of(vec![Metric::new(
            "used",
            Some(m.mem.used_pct),
            Unit::Pct,
            th(85.0, 95.0),
            used_src,
        )]),
        Cell::of(sat),
        errors,
    ));
}

pub(super) fn disks(m: &HostModel, rows: &mut Vec<UseRow>) {
    let max_util = m
        .disks
        .iter()
        .filter_map(|d| d.rates.map(|r| r.util_pct))
        .fold(None, |acc: Option<f64>, u| {
            Some(acc.map_or(u, |a| a.max(u)))
        });
    let errs: Option<u64> = m
        .disks
        .iter()
        .filter_map(|d| d.io_errors)
        .reduce(|a, b| a + b);
    rows.push(UseRow::new(
        Resource::Disk,
        "all",
        Cell::of(vec![
            Metric::new(
                "max util",
                max_util,
                Unit::Pct,
                None,
                "/proc/diskstats io_ticks, busiest disk",
            )
            .with_note("informational: see each disk"),
        ]),
        Cell::of(psi_metrics(
            "io",
            m.pressure.io,
            th(10.0, 40.0),
            th(5.0, 20.0),
        )),
        match errs {
            Some(e) => Cell::of(vec![Metric::new(
                "ioerr",
                Some(e as f64),
                Unit::Count,
                th(1.0, 100.0),
                "/sys/block/*/device/ioerr_cnt (since boot)",
            )]),
            None => Cell::na("no disk exposes an error counter"),
        },
    ));
    for d in &m.disks {
        let Some(r) = d.rates else {
            rows.push(UseRow::new(
                Resource::Disk,
                &d.name,
                Cell::na("new or reset during the interval"),
                Cell::na("new or reset during the interval"),
                Cell::na("new or reset during the interval"),
            ));
            continue;
        };
        let src = format!("/proc/diskstats {} io_ticks", d.name);
        let util = if d.parallel {
            Metric::new("util", Some(r.util_pct), Unit::Pct, None, src).with_note(
                "informational: device serves requests in parallel, 100% is not saturation",
            )
        } else {
            Metric::new("util", Some(r.util_pct), Unit::Pct, th(60.0, 90.0), src)
        };
        let (aqu_t, await_t) = if d.parallel {
            (th(4.0, 16.0), th(20.0, 100.0))
        } else {
            (th(1.0, 4.0), th(50.0, 200.0))
        };
        let sat = vec![
            Metric::new(
                "aqu-sz",
                Some(r.aqu_sz),
                Unit::Number,
                aqu_t,
                format!("/proc/diskstats {} weighted ticks / interval", d.name),
            ),
            Metric::new(
                "await",
                Some(r.await_ms),
                Unit::Ms,
                await_t,
                format!("/proc/diskstats {} (rd+wr+dc ticks) / ios", d.name),
            ),
        ];
        let errors = match d.io_errors {
            Some(e) => Cell::of(vec![Metric::new(
                "ioerr",
                Some(e as f64),
                Unit::Count,
                th(1.0, 100.0),
                format!("/sys/block/{}/device/ioerr_cnt (since boot)", d.name),
            )]),
            None => Cell::na(format!("kernel exposes no error counter for {}", d.name)),
        };
        rows.push(UseRow::new(
            Resource::Disk,
            &d.name,
            Cell::of(vec![util]),
            Cell::of(sat),
            errors,
        ));
    }
}

pub(super) fn nics(m: &HostModel, rows: &mut Vec<UseRow>) {
    for n in &m.nics {
        let Some(r) = n.rates else {
            let why = "new or reset during the interval";
            rows.push(UseRow::new(
                Resource::Nic,
                &n.name,
                Cell::na(why),
                Cell::na(why),
                Cell::na(why),
            ));
            continue;
        };
        let src = |what: &str| format!("/proc/net/dev {} {what}", n.name);
        let util = match r.util_pct {
            Some(u) => Cell::of(vec![Metric::new(
                "util",
                Some(u),
                Unit::Pct,
                th(70.0, 90.0),
                format!("/proc/net/dev bytes vs /sys/class/net/{}/speed", n.name),
            )]),
            None => Cell::na("link speed unknown (loopback or virtual NIC)"),
        };
        let sat = Cell::of(vec![
            Metric::new(
                "drops",
                Some(r.rx_drops_per_sec + r.tx_drops_per_sec),
                Unit::PerSec,
                th(1.0, 100.0),
                src("rx+tx drop"),
            ),
            Metric::new(
                "overruns",
                Some(r.rx_fifo_per_sec + r.tx_fifo_per_sec),
                Unit::PerSec,
                th(1.0, 100.0),
                src("rx+tx fifo"),
            ),
        ]);
        let err = Cell::of(vec![Metric::new(
            "errors",
            Some(
                r.rx_errors_per_sec
                    + r.tx_errors_per_sec
                    + r.rx_frame_per_sec
                    + r.tx_carrier_per_sec,
            ),
            Unit::PerSec,
            th(0.01, 10.0),
            src("rx+tx errs, frame, carrier"),
        )]);
        rows.push(UseRow::new(Resource::Nic, &n.name, util, sat, err));
    }
}

pub(super) fn tcp(m: &HostModel, rows: &mut Vec<UseRow>) {
    let t = &m.tcp;
    let sat = Cell::of(vec![
        Metric::new(
            "retrans",
            t.retrans_pct,
            Unit::Pct,
            th(1.0, 5.0),
            "/proc/net/snmp RetransSegs / OutSegs",
        ),
        Metric::new(
            "retrans/s",
            t.retrans_segs_per_sec,
            Unit::PerSec,
            None,
            "/proc/net/snmp RetransSegs",
        ),
        Metric::new(
            "lstn ovf",
            t.listen_overflows_per_sec,
            Unit::PerSec,
            th(0.01, 10.0),
            "/proc/net/netstat TcpExt ListenOverflows",
        )
        .when_na("no /proc/net/netstat"),
        Metric::new(
            "lstn drop",
            t.listen_drops_per_sec,
            Unit::PerSec,
            th(0.01, 10.0),
            "/proc/net/netstat TcpExt ListenDrops",
        )
        .when_na("no /proc/net/netstat"),
    ]);
    let err = Cell::of(vec![
        Metric::new(
            "in errs",
            t.in_errs_per_sec,
            Unit::PerSec,
            th(0.01, 10.0),
            "/proc/net/snmp InErrs",
        ),
        Metric::new(
            "resets",
            t.estab_resets_per_sec,
            Unit::PerSec,
            None,
            "/proc/net/snmp EstabResets",
        ),
    ]);
    rows.push(UseRow::new(
        Resource::Tcp,
        "tcp",
        Cell::na("a protocol has no capacity to fill; see NICs"),
        sat,
        err,
    ));
}

pub(super) fn filesystems(curr: &HostSample, rows: &mut Vec<UseRow>) {
    for f in &curr.filesystems {
        let s = &f.stat;
        let used = s.blocks.saturating_sub(s.blocks_free);
        // As df: used / (used + available to unprivileged users).
        let cap = (used + s.blocks_avail > 0)
            .then(|| used as f64 / (used + s.blocks_avail) as f64 * 100.0);
        let inodes = (s.inodes > 0)
            .then(|| (s.inodes - s.inodes_free.min(s.inodes)) as f64 / s.inodes as f64 * 100.0);
        let mp = crate::env::unescape_mount_field(&f.mount.mount_point);
        let util = Cell::of(vec![
            Metric::new(
                "used",
                cap,
                Unit::Pct,
                th(85.0, 95.0),
                format!("statvfs({mp}) blocks"),
            ),
            Metric::new(
                "inodes",
                inodes,
                Unit::Pct,
                th(85.0, 95.0),
                format!("statvfs({mp}) files"),
            )
            .when_na("file system has no inode limit"),
        ]);
        let err = match f.errors {
            Some(e) => Cell::of(vec![Metric::new(
                "errors",
                Some(e as f64),
                Unit::Count,
                th(1.0, 1.0),
                format!(
                    "/sys/fs/ext4/{}/errors_count",
                    f.mount.device.trim_start_matches("/dev/")
                ),
            )]),
            None => Cell::na(format!("{} exposes no error counter", f.mount.fs_type)),
        };
        rows.push(UseRow::new(
            Resource::Fs,
            mp,
            util,
            Cell::na("see the disk below it"),
            err,
        ));
    }
}

pub(super) fn kernel_tables(curr: &HostSample, rows: &mut Vec<UseRow>) {
    let t = &curr.tables;
    let pct = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64 * 100.0);
    rows.push(UseRow::new(
        Resource::KernelTable,
        "files",
        Cell::of(vec![Metric::new(
            "open",
            pct(t.files_allocated, t.files_max),
            Unit::Pct,
            th(70.0, 90.0),
            "/proc/sys/fs/file-nr allocated / file-max",
        )]),
        Cell::na("allocation fails at the limit: see errors in applications (EMFILE/ENFILE)"),
        Cell::na("ENFILE failures are not counted by the kernel"),
    ));
    let limit = t.threads_max.map_or(t.pid_max, |m| m.min(t.pid_max));
    rows.push(UseRow::new(
        Resource::KernelTable,
        "pids",
        Cell::of(vec![Metric::new(
            "threads",
            pct(curr.loadavg.threads, limit),
            Unit::Pct,
            th(70.0, 90.0),
            "/proc/loadavg threads / min(pid_max, threads-max)",
        )]),
        Cell::na("fork fails at the limit: see EAGAIN in applications"),
        Cell::na("fork failures are not counted by the kernel"),
    ));
}
