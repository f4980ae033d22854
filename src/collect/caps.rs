//! The capability probe: what this host and this user let sonde measure.
//!
//! Run once at start; the result goes into every JSON document and, when something is
//! missing, into one line of text output naming it and what it costs the operator.

use crate::env::Env;
use serde::Serialize;

/// Bits of CapEff (linux/capability.h).
const CAP_NET_ADMIN: u32 = 12;
const CAP_SYS_PTRACE: u32 = 19;
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cgroup {
    V1,
    V2,
    Hybrid,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// /proc/pressure/* readable (Linux 4.20+, CONFIG_PSI, not booted with psi=0).
    pub psi: bool,
    /// `kernel.task_delayacct` (None: sysctl absent, kernels before 5.14 always account).
    pub task_delayacct: Option<bool>,
    pub perf_event_paranoid: Option<i64>,
    /// Where tracefs is mounted, if it is.
    pub tracefs: Option<String>,
    pub cgroup: Cgroup,
    /// /proc/schedstat present (CONFIG_SCHEDSTATS): per-CPU run-queue wait.
    pub schedstat: bool,
    pub root: bool,
    pub cap_perfmon: bool,
    pub cap_net_admin: bool,
    pub cap_sys_admin: bool,
    pub cap_sys_ptrace: bool,
    /// "none", or the kind of virtualization detected (e.g. "vm", "vm (KVM)", "container").
    pub virtualization: String,
}

/// One thing sonde cannot measure here, and what that costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub what: String,
    pub cost: String,
}

impl Capabilities {
    pub fn probe(env: &Env) -> Capabilities {
        let status = env.read("/proc/self/status").unwrap_or_default();
        let cap_eff = status_field(&status, "CapEff")
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or(0);
        let has = |bit: u32| cap_eff & (1u64 << bit) != 0;
        let root = status_field(&status, "Uid")
            .and_then(|v| v.split_whitespace().nth(1).map(|e| e == "0"))
            .unwrap_or(false);
        let mounts = env.read("/proc/self/mounts").unwrap_or_default();
        Capabilities {
            psi: env.read("/proc/pressure/cpu").is_ok(),
            task_delayacct: env
                .read("/proc/sys/kernel/task_delayacct")
                .ok()
                .map(|t| t.trim() != "0"),
            perf_event_paranoid: env
                .read("/proc/sys/kernel/perf_event_paranoid")
                .ok()
                .and_then(|t| t.trim().parse().ok()),
            tracefs: tracefs_mount(&mounts),
            cgroup: cgroup_version(&mounts),
            schedstat: env.exists("/proc/schedstat"),
            root,
            cap_perfmon: has(CAP_PERFMON) || has(CAP_SYS_ADMIN),
            cap_net_admin: has(CAP_NET_ADMIN),
            cap_sys_admin: has(CAP_SYS_ADMIN),
            cap_sys_ptrace: has(CAP_SYS_PTRACE),
            virtualization: virtualization(env),
        }
    }

    /// What is missing, most important first.
    pub fn missing(&self) -> Vec<Missing> {
        let mut m = Vec::new();
        let mut add = |what: &str, cost: &str| {
            m.push(Missing {
                what: what.to_string(),
                cost: cost.to_string(),
            })
        };
        if !self.psi {
            add(
                "PSI",
                "no stall shares; saturation from run queue, paging and await only",
            );
        }
        if self.task_delayacct == Some(false) {
            add(
                "task_delayacct=0",
                "no per-process I/O and swap-in delays; sonde io --enable-delayacct turns it on",
            );
        }
        if !self.cap_net_admin {
            add(
                "CAP_NET_ADMIN",
                "no taskstats delays; approximations from /proc",
            );
        }
        let perf_ok = self.cap_perfmon || self.perf_event_paranoid.is_some_and(|p| p <= 1);
        if !perf_ok {
            add(
                "CAP_PERFMON",
                "flame graphs of own processes only, user space only",
            );
        }
        if self.tracefs.is_none() {
            add(
                "tracefs",
                "not mounted: off-CPU stack tracing will need it (mount -t tracefs nodev /sys/kernel/tracing)",
            );
        }
        if !self.root && !self.cap_sys_ptrace {
            add("root", "other users' process I/O is hidden");
        }
        if !self.schedstat {
            add(
                "schedstat",
                "no per-CPU run-queue wait; per-CPU saturation n/a",
            );
        }
        m
    }
}

fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
}

fn tracefs_mount(mounts: &str) -> Option<String> {
    mounts.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() > 2 && f[2] == "tracefs").then(|| crate::env::unescape_mount_field(f[1]))
    })
}

fn cgroup_version(mounts: &str) -> Cgroup {
    let types: Vec<&str> = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    match (types.contains(&"cgroup"), types.contains(&"cgroup2")) {
        (true, true) => Cgroup::Hybrid,
        (true, false) => Cgroup::V1,
        (false, true) => Cgroup::V2,
        (false, false) => Cgroup::Unknown,
    }
}

fn virtualization(env: &Env) -> String {
    if env.exists("/.dockerenv") || env.exists("/run/.containerenv") {
        return "container".into();
    }
    let vendor = env
        .read("/sys/class/dmi/id/sys_vendor")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let hv_type = env
        .read("/sys/hypervisor/type")
        .ok()
        .map(|s| s.trim().to_string());
    let cpu_flag = env
        .read("/proc/cpuinfo")
        .map(|c| {
            c.lines()
                .filter(|l| l.starts_with("flags"))
                .any(|l| l.split_whitespace().any(|f| f == "hypervisor"))
        })
        .unwrap_or(false);
    match (hv_type, vendor) {
        (Some(t), _) => format!("vm ({t})"),
        (None, Some(v)) if cpu_flag => format!("vm ({v})"),
        _ if cpu_flag => "vm".into(),
        _ => "none".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mount_facts() {
        let m =
            "tracefs /sys/kernel/tracing tracefs rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n";
        assert_eq!(tracefs_mount(m).as_deref(), Some("/sys/kernel/tracing"));
        assert_eq!(cgroup_version(m), Cgroup::V2);
        assert_eq!(
            cgroup_version("cgroup /a cgroup rw 0 0\ncgroup2 /b cgroup2 rw 0 0\n"),
            Cgroup::Hybrid
        );
        assert_eq!(tracefs_mount("proc /proc proc rw 0 0\n"), None);
    }

    #[test]
    fn status_fields() {
        let s = "Name:\tsonde\nUid:\t1000\t0\t0\t0\nCapEff:\t0000000000001000\n";
        assert_eq!(status_field(s, "Uid").map(str::trim), Some("1000\t0\t0\t0"));
        assert_eq!(
            status_field(s, "CapEff").map(str::trim),
            Some("0000000000001000")
        );
    }
}
