//! /proc/PID/status: `Key:\tvalue` lines, the human-readable view of a task.
//!
//! sonde reads it for what /proc/PID/stat lacks: user and group ids, swap, context switches and
//! the allowed CPUs. Memory lines (`Vm*`, `Rss*`) are absent for kernel threads and zombies;
//! other lines arrived with kernel versions noted on each field. Sizes are printed in kB and
//! stored in bytes. `Name` is escaped by the kernel (a newline becomes `\n`, a backslash
//! `\\`); it is kept as printed.

use serde::Serialize;

use crate::collect::{ParseError, num};

/// The four ids of a `Uid:` or `Gid:` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Ids {
    pub real: u32,
    pub effective: u32,
    pub saved: u32,
    pub filesystem: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PidStatus {
    pub name: String,
    pub state: char,
    pub tgid: Option<i32>,
    pub pid: Option<i32>,
    pub ppid: i32,
    pub uid: Ids,
    pub gid: Ids,
    /// Threads in the process (since 2.6.0).
    pub threads: Option<u64>,
    pub vm_peak_bytes: Option<u64>,
    pub vm_size_bytes: Option<u64>,
    pub vm_hwm_bytes: Option<u64>,
    pub vm_rss_bytes: Option<u64>,
    /// Swapped-out anonymous memory (since 2.6.34).
    pub vm_swap_bytes: Option<u64>,
    /// Split of `VmRSS` (since 4.5).
    pub rss_anon_bytes: Option<u64>,
    pub rss_file_bytes: Option<u64>,
    pub rss_shmem_bytes: Option<u64>,
    /// Times the task gave up the CPU (to wait) and was forced off it (since 2.6.23).
    pub voluntary_ctxt_switches: Option<u64>,
    pub nonvoluntary_ctxt_switches: Option<u64>,
    /// CPUs the task may run on, as a list like `0-3,8` (since 2.6.26).
    pub cpus_allowed_list: Option<String>,
}

fn kb(v: &str, what: &str) -> Result<u64, ParseError> {
    let n = v.strip_suffix("kB").unwrap_or(v).trim();
    Ok(num(n, what)?.saturating_mul(1024))
}

fn ids(v: &str, what: &str) -> Result<Ids, ParseError> {
    let mut it = v.split_ascii_whitespace();
    let mut next = || -> Result<u32, ParseError> {
        let f = it
            .next()
            .ok_or_else(|| ParseError::new(format!("{what}: fewer than 4 ids")))?;
        f.parse()
            .map_err(|_| ParseError::new(format!("{what}: not an id: {f:?}")))
    };
    Ok(Ids {
        real: next()?,
        effective: next()?,
        saved: next()?,
        filesystem: next()?,
    })
}

fn int(v: &str, what: &str) -> Result<i32, ParseError> {
    v.trim()
        .parse()
        .map_err(|_| ParseError::new(format!("{what}: not a number: {v:?}")))
}

pub fn parse(text: &str) -> Result<PidStatus, ParseError> {
    let mut st = PidStatus::default();
    let (mut name, mut state, mut ppid, mut uid, mut gid) = (false, false, false, false, false);
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        // The value is tab-separated from the key; only Name keeps its inner spacing.
        let v = value.strip_prefix('\t').unwrap_or(value);
        match key {
            "Name" => {
                st.name = v.to_string();
                name = true;
            }
            "State" => {
                st.state = v
                    .trim_start()
                    .chars()
                    .next()
                    .ok_or_else(|| ParseError::new("State: empty"))?;
                state = true;
            }
            "Tgid" => st.tgid = Some(int(v, key)?),
            "Pid" => st.pid = Some(int(v, key)?),
            "PPid" => {
                st.ppid = int(v, key)?;
                ppid = true;
            }
            "Uid" => {
                st.uid = ids(v, key)?;
                uid = true;
            }
            "Gid" => {
                st.gid = ids(v, key)?;
                gid = true;
            }
            "Threads" => st.threads = Some(num(v.trim(), key)?),
            "VmPeak" => st.vm_peak_bytes = Some(kb(v, key)?),
            "VmSize" => st.vm_size_bytes = Some(kb(v, key)?),
            "VmHWM" => st.vm_hwm_bytes = Some(kb(v, key)?),
            "VmRSS" => st.vm_rss_bytes = Some(kb(v, key)?),
            "VmSwap" => st.vm_swap_bytes = Some(kb(v, key)?),
            "RssAnon" => st.rss_anon_bytes = Some(kb(v, key)?),
            "RssFile" => st.rss_file_bytes = Some(kb(v, key)?),
            "RssShmem" => st.rss_shmem_bytes = Some(kb(v, key)?),
            "voluntary_ctxt_switches" => st.voluntary_ctxt_switches = Some(num(v.trim(), key)?),
            "nonvoluntary_ctxt_switches" => {
                st.nonvoluntary_ctxt_switches = Some(num(v.trim(), key)?)
            }
            "Cpus_allowed_list" => st.cpus_allowed_list = Some(v.trim().to_string()),
            _ => {}
        }
    }
    for (seen, key) in [
        (name, "Name"),
        (state, "State"),
        (ppid, "PPid"),
        (uid, "Uid"),
        (gid, "Gid"),
    ] {
        if !seen {
            return Err(ParseError::new(format!("no {key} line")));
        }
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    // `cat /proc/self/status` on Linux 6.18 (Mems_allowed shortened).
    const CAT: &str = "Name:\tcat\nUmask:\t0022\nState:\tR (running)\nTgid:\t31666\nNgid:\t0\n\
Pid:\t31666\nPPid:\t31663\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t256\n\
Groups:\t \nNStgid:\t31666\nNSpid:\t31666\nNSpgid:\t31663\nNSsid:\t22564\nKthread:\t0\n\
VmPeak:\t    3060 kB\nVmSize:\t    3060 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\n\
VmHWM:\t    1672 kB\nVmRSS:\t    1672 kB\nRssAnon:\t     116 kB\nRssFile:\t    1556 kB\n\
RssShmem:\t       0 kB\nVmData:\t     360 kB\nVmStk:\t     132 kB\nVmExe:\t      20 kB\n\
VmLib:\t    1528 kB\nVmPTE:\t      44 kB\nVmSwap:\t       0 kB\nHugetlbPages:\t       0 kB\n\
CoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\nThreads:\t1\n\
SigQ:\t0/96365\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n\
SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n\
CapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\n\
CapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n\
Seccomp_filters:\t0\nSpeculation_Store_Bypass:\tvulnerable\n\
SpeculationIndirectBranch:\talways enabled\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n\
Mems_allowed:\t00000000,00000001\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t0\n\
nonvoluntary_ctxt_switches:\t2\n";

    #[test]
    fn parses_linux_6_18() {
        let s = parse(CAT).unwrap();
        assert_eq!(s.name, "cat");
        assert_eq!(s.state, 'R');
        assert_eq!((s.tgid, s.pid, s.ppid), (Some(31666), Some(31666), 31663));
        assert_eq!(s.uid, Ids::default());
        assert_eq!(s.threads, Some(1));
        assert_eq!(s.vm_size_bytes, Some(3060 * 1024));
        assert_eq!(s.vm_rss_bytes, Some(1672 * 1024));
        assert_eq!(s.vm_hwm_bytes, Some(1672 * 1024));
        assert_eq!(s.vm_swap_bytes, Some(0));
        assert_eq!(s.rss_anon_bytes, Some(116 * 1024));
        assert_eq!(s.voluntary_ctxt_switches, Some(0));
        assert_eq!(s.nonvoluntary_ctxt_switches, Some(2));
        assert_eq!(s.cpus_allowed_list.as_deref(), Some("0-1"));
    }

    #[test]
    fn ids_in_order_real_effective_saved_fs() {
        let t = CAT.replace("Uid:\t0\t0\t0\t0", "Uid:\t1000\t0\t1001\t1002");
        let s = parse(&t).unwrap();
        assert_eq!(
            s.uid,
            Ids {
                real: 1000,
                effective: 0,
                saved: 1001,
                filesystem: 1002
            }
        );
    }

    #[test]
    fn kernel_thread_has_no_memory_lines() {
        let k = "Name:\tkthreadd\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t2\nNgid:\t0\n\
Pid:\t2\nPPid:\t0\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\n\
Groups:\t \nKthread:\t1\nThreads:\t1\nCpus_allowed_list:\t0-1\n\
voluntary_ctxt_switches:\t2133\nnonvoluntary_ctxt_switches:\t5\n";
        let s = parse(k).unwrap();
        assert_eq!(s.vm_rss_bytes, None);
        assert_eq!(s.vm_swap_bytes, None);
        assert_eq!(s.voluntary_ctxt_switches, Some(2133));
    }

    #[test]
    fn old_kernel_without_swap_ctxt_and_cpu_list() {
        // Linux 2.6.18 (RHEL 5): no VmSwap, no ctxt switches, no Cpus_allowed_list, no Rss*.
        let old = "Name:\tsshd\nState:\tS (sleeping)\nSleepAVG:\t98%\nTgid:\t2831\nPid:\t2831\n\
PPid:\t1\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t\n\
VmPeak:\t   62424 kB\nVmSize:\t   62424 kB\nVmLck:\t       0 kB\nVmHWM:\t    1204 kB\n\
VmRSS:\t    1204 kB\nVmData:\t     588 kB\nVmStk:\t      84 kB\nVmExe:\t     372 kB\n\
VmLib:\t    5292 kB\nVmPTE:\t      68 kB\nStaBrk:\t2aaaab42e000 kB\nBrk:\t2aaaab44f000 kB\n\
StaStk:\t7fff1d0c8f60 kB\nThreads:\t1\nSigQ:\t0/16384\nCpus_allowed:\t00000003\n";
        let s = parse(old).unwrap();
        assert_eq!(s.vm_rss_bytes, Some(1204 * 1024));
        assert_eq!(s.vm_swap_bytes, None);
        assert_eq!(s.voluntary_ctxt_switches, None);
        assert_eq!(s.cpus_allowed_list, None);
    }

    #[test]
    fn escaped_name_is_kept_as_printed() {
        let t = CAT.replace("Name:\tcat", "Name:\ta b\\n\x1b[31m");
        assert_eq!(parse(&t).unwrap().name, "a b\\n\x1b[31m");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse("").is_err());
        assert!(parse(&CAT.replace("Uid:\t0\t0\t0\t0", "Uid:\t0\t0")).is_err());
        assert!(parse(&CAT.replace("VmRSS:\t    1672 kB", "VmRSS:\tlots kB")).is_err());
        assert!(parse(&CAT.replace("PPid:\t31663\n", "")).is_err());
    }
}
