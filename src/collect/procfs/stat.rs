//! /proc/stat: CPU time per CPU (in clock ticks), context switches, forks, boot time,
//! runnable and blocked tasks.
//!
//! Old kernels print fewer CPU columns (iowait, irq, softirq since 2.6; steal since 2.6.11;
//! guest since 2.6.24; guest_nice since 2.6.33); missing columns are 0, as sysstat reads them.
//! An offline CPU has no `cpuN` line at all.

use crate::collect::{ParseError, num};
use crate::env::Env;
use serde::Serialize;

/// Cumulative CPU time of one CPU (or all) in clock ticks (USER_HZ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CpuTicks {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
    /// Already included in `user`.
    pub guest: u64,
    /// Already included in `nice`.
    pub guest_nice: u64,
}

impl CpuTicks {
    /// Total time as sysstat counts it: guest and guest_nice are not added (user and nice
    /// already contain them).
    pub fn total(&self) -> u64 {
        self.user
            + self.nice
            + self.system
            + self.idle
            + self.iowait
            + self.irq
            + self.softirq
            + self.steal
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Stat {
    /// The `cpu` line: all CPUs together.
    pub all: CpuTicks,
    /// `cpuN` lines as (N, ticks), in file order. Offline CPUs are absent.
    pub cpus: Vec<(u32, CpuTicks)>,
    pub context_switches: u64,
    pub interrupts: u64,
    pub forks: u64,
    pub boot_time_unix_secs: u64,
    /// Runnable tasks at the instant of reading (since 2.5.45), including the reader.
    pub procs_running: Option<u64>,
    /// Tasks in uninterruptible sleep (since 2.5.45).
    pub procs_blocked: Option<u64>,
}

fn parse_ticks(fields: &[&str]) -> Result<CpuTicks, ParseError> {
    if fields.len() < 4 {
        return Err(ParseError::new(format!(
            "cpu line has {} values, need 4",
            fields.len()
        )));
    }
    let mut v = [0u64; 10];
    for (slot, f) in v.iter_mut().zip(fields) {
        *slot = num(f, "cpu ticks")?;
    }
    Ok(CpuTicks {
        user: v[0],
        nice: v[1],
        system: v[2],
        idle: v[3],
        iowait: v[4],
        irq: v[5],
        softirq: v[6],
        steal: v[7],
        guest: v[8],
        guest_nice: v[9],
    })
}

pub fn parse(text: &str) -> Result<Stat, ParseError> {
    let mut st = Stat::default();
    let mut seen_all = false;
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let Some(key) = it.next() else { continue };
        let rest: Vec<&str> = it.collect();
        match key {
            "cpu" => {
                st.all = parse_ticks(&rest)?;
                seen_all = true;
            }
            k if k.starts_with("cpu") => {
                let id: u32 = k[3..]
                    .parse()
                    .map_err(|_| ParseError::new(format!("bad cpu line key {k:?}")))?;
                st.cpus.push((id, parse_ticks(&rest)?));
            }
            "ctxt" => st.context_switches = first(&rest, key)?,
            "intr" => st.interrupts = first(&rest, key)?,
            "processes" => st.forks = first(&rest, key)?,
            "btime" => st.boot_time_unix_secs = first(&rest, key)?,
            "procs_running" => st.procs_running = Some(first(&rest, key)?),
            "procs_blocked" => st.procs_blocked = Some(first(&rest, key)?),
            _ => {}
        }
    }
    if !seen_all {
        return Err(ParseError::new("no aggregate cpu line"));
    }
    Ok(st)
}

fn first(rest: &[&str], key: &str) -> Result<u64, ParseError> {
    num(rest.first().copied().unwrap_or(""), key)
}

pub fn read(env: &Env) -> Result<Stat, crate::collect::CollectError> {
    crate::collect::read_parse(env, "/proc/stat", parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINUX_6: &str = "\
cpu  10132153 290696 3084719 46828483 16683 0 25195 0 175628 0
cpu0 1393280 32966 572056 13343292 6130 0 17875 0 23537 0
cpu1 1335398 26755 571893 13420108 4131 0 2183 0 24076 0
intr 199292311 39 0 0 0 0
ctxt 356802733
btime 1700000000
processes 1276421
procs_running 3
procs_blocked 1
softirq 1 2 3
";

    #[test]
    fn parses_linux_6() {
        let st = parse(LINUX_6).unwrap();
        assert_eq!(st.all.user, 10132153);
        assert_eq!(st.all.guest, 175628);
        assert_eq!(st.cpus.len(), 2);
        assert_eq!(st.cpus[1].0, 1);
        assert_eq!(st.cpus[1].1.softirq, 2183);
        assert_eq!(st.context_switches, 356802733);
        assert_eq!(st.interrupts, 199292311);
        assert_eq!(st.procs_running, Some(3));
        assert_eq!(st.procs_blocked, Some(1));
        assert_eq!(
            st.all.total(),
            10132153 + 290696 + 3084719 + 46828483 + 16683 + 25195
        );
    }

    #[test]
    fn old_kernel_with_four_columns_and_no_procs_lines() {
        // Linux 2.4 printed user nice system idle only.
        let st = parse("cpu 1 2 3 4\ncpu0 1 2 3 4\nctxt 5\nbtime 6\nprocesses 7\n").unwrap();
        assert_eq!(st.all.iowait, 0);
        assert_eq!(st.all.steal, 0);
        assert_eq!(st.procs_running, None);
        assert_eq!(st.all.total(), 10);
    }

    #[test]
    fn offline_cpu_is_absent_and_ids_are_kept() {
        // cpu1 offline: only cpu0 and cpu2 appear.
        let st = parse("cpu 2 0 0 2\ncpu0 1 0 0 1\ncpu2 1 0 0 1\n").unwrap();
        let ids: Vec<u32> = st.cpus.iter().map(|c| c.0).collect();
        assert_eq!(ids, vec![0, 2]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse("").is_err());
        assert!(parse("cpu a b c d\n").is_err());
        assert!(parse("cpu 1 2\n").is_err());
        assert!(parse("cpu 1 2 3 4\ncpuX 1 2 3 4\n").is_err());
    }
}
