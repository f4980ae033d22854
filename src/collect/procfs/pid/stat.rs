//! /proc/PID/stat and /proc/PID/task/TID/stat: one line of space-separated fields per task.
//!
//! The second field is the command name in parentheses, and it is untrusted: a process can
//! name itself `a) R 1 (b` or put spaces, newlines and escape sequences in it. The kernel does
//! not escape it, so the name ends at the *last* `)` in the line and the numbered fields are
//! counted from there. Times are in clock ticks (USER_HZ, [`crate::env::HostFacts`]), sizes in
//! pages except `vsize` (bytes).
//!
//! Old kernels print fewer fields; everything up to `rss` (field 24) is required, later fields
//! are `Option` with the version that added them. This file is the one the process scanner reads
//! for every process on every refresh, so the parser does not allocate beyond the name.

use serde::Serialize;

use crate::collect::ParseError;

/// `PF_KTHREAD` in the `flags` field: a kernel thread (no user memory, empty cmdline).
pub const PF_KTHREAD: u32 = 0x0020_0000;

/// The fields of /proc/PID/stat that sonde uses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PidStat {
    pub pid: i32,
    /// The command name (at most 15 bytes for user tasks, longer for some kernel workers).
    /// Untrusted; invalid UTF-8 replaced.
    pub comm: String,
    /// R running, S sleeping, D uninterruptible (usually I/O), Z zombie, T stopped, t traced,
    /// X dead, I idle kernel thread (since 4.14), P parked.
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    pub tty_nr: i32,
    pub tpgid: i32,
    /// `PF_*` flags; see [`PF_KTHREAD`].
    pub flags: u32,
    pub minor_faults: u64,
    pub major_faults: u64,
    pub utime_ticks: u64,
    pub stime_ticks: u64,
    /// CPU time of waited-for children (user), in ticks.
    pub cutime_ticks: i64,
    pub cstime_ticks: i64,
    /// Kernel priority as `top` prints it: 20 + nice for normal tasks, negative for real-time.
    pub priority: i64,
    pub nice: i64,
    /// Threads in the process (the whole group's count also in a task's own file). 0 before 2.6.
    pub num_threads: u64,
    /// Start time after boot in clock ticks: together with the PID it identifies a process
    /// (a reused PID has a later start time).
    pub start_ticks: u64,
    pub vsize_bytes: u64,
    /// Resident set in pages (what `VmRSS` shows in kB).
    pub rss_pages: u64,
    /// CPU the task last ran on (since 2.2.8).
    pub processor: Option<u32>,
    /// Real-time priority, 0 for normal tasks (since 2.5.19).
    pub rt_priority: Option<u32>,
    /// Scheduling policy, `SCHED_*` (since 2.5.19).
    pub policy: Option<u32>,
    /// Time blocked on block I/O, in ticks (since 2.6.18); only counts while delay accounting
    /// is on (`kernel.task_delayacct`), otherwise stays 0.
    pub blkio_delay_ticks: Option<u64>,
    /// Time spent running a guest vCPU, in ticks (since 2.6.24).
    pub guest_ticks: Option<u64>,
}

impl PidStat {
    pub fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }

    /// User + system CPU time in ticks.
    pub fn cpu_ticks(&self) -> u64 {
        self.utime_ticks.saturating_add(self.stime_ticks)
    }
}

/// Numbered field `n` (1-based, as in proc(5)) of the part after the name; `rest[0]` is field 3.
fn field<'a>(rest: &[&'a str], n: usize) -> Option<&'a str> {
    rest.get(n - 3).copied()
}

fn req<T: std::str::FromStr>(rest: &[&str], n: usize, what: &str) -> Result<T, ParseError> {
    let f = field(rest, n).ok_or_else(|| ParseError::new(format!("no field {n} ({what})")))?;
    f.parse()
        .map_err(|_| ParseError::new(format!("field {n} ({what}): not a number: {f:?}")))
}

fn opt<T: std::str::FromStr>(rest: &[&str], n: usize, what: &str) -> Result<Option<T>, ParseError> {
    match field(rest, n) {
        None => Ok(None),
        Some(_) => req(rest, n, what).map(Some),
    }
}

pub fn parse(text: &str) -> Result<PidStat, ParseError> {
    let open = text
        .find('(')
        .ok_or_else(|| ParseError::new("no '(' before the name"))?;
    let close = text
        .rfind(')')
        .filter(|c| *c > open)
        .ok_or_else(|| ParseError::new("no ')' after the name"))?;
    let pid = text[..open].trim();
    let pid: i32 = pid
        .parse()
        .map_err(|_| ParseError::new(format!("pid: not a number: {pid:?}")))?;
    let comm = text[open + 1..close].to_string();
    // Fields 3..=44 at most; a fixed array keeps this allocation-free.
    let mut buf = [""; 48];
    let mut n = 0;
    for f in text[close + 1..].split_ascii_whitespace() {
        if n == buf.len() {
            break;
        }
        buf[n] = f;
        n += 1;
    }
    let rest = &buf[..n];
    if rest.len() < 22 {
        return Err(ParseError::new(format!(
            "{} fields after the name, need 22 (up to rss)",
            rest.len()
        )));
    }
    let state = rest[0]
        .chars()
        .next()
        .filter(|_| rest[0].len() == 1)
        .ok_or_else(|| ParseError::new(format!("state: {:?}", rest[0])))?;
    let rss: i64 = req(rest, 24, "rss")?;
    Ok(PidStat {
        pid,
        comm,
        state,
        ppid: req(rest, 4, "ppid")?,
        pgrp: req(rest, 5, "pgrp")?,
        session: req(rest, 6, "session")?,
        tty_nr: req(rest, 7, "tty_nr")?,
        tpgid: req(rest, 8, "tpgid")?,
        flags: req(rest, 9, "flags")?,
        minor_faults: req(rest, 10, "minflt")?,
        major_faults: req(rest, 12, "majflt")?,
        utime_ticks: req(rest, 14, "utime")?,
        stime_ticks: req(rest, 15, "stime")?,
        cutime_ticks: req(rest, 16, "cutime")?,
        cstime_ticks: req(rest, 17, "cstime")?,
        priority: req(rest, 18, "priority")?,
        nice: req(rest, 19, "nice")?,
        num_threads: req(rest, 20, "num_threads")?,
        start_ticks: req(rest, 22, "starttime")?,
        vsize_bytes: req(rest, 23, "vsize")?,
        rss_pages: rss.max(0) as u64,
        processor: opt(rest, 39, "processor")?,
        rt_priority: opt(rest, 40, "rt_priority")?,
        policy: opt(rest, 41, "policy")?,
        blkio_delay_ticks: opt(rest, 42, "delayacct_blkio_ticks")?,
        guest_ticks: opt(rest, 43, "guest_time")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on Linux 6.18 (52 fields).
    const CAT: &str = "31665 (cat) R 31663 31663 22564 0 -1 4194304 101 0 0 0 0 0 0 0 20 0 1 0 \
        205102 3133440 389 18446744073709551615 94047482916864 94047482936745 140725051529968 \
        0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94047482952752 94047482954368 94048085606400 \
        140725051534049 140725051534069 140725051534069 140725051535339 0\n";
    const KTHREADD: &str = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 24 0 0 \
        18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    const INIT: &str = "1 (process_api) S 0 0 0 0 -1 4194560 42211 3442808 0 1379 143 603 11436 \
        3158 20 0 13 0 24 43352064 3231 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 \
        0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    #[test]
    fn parses_linux_6_18() {
        let s = parse(CAT).unwrap();
        assert_eq!(s.pid, 31665);
        assert_eq!(s.comm, "cat");
        assert_eq!(s.state, 'R');
        assert_eq!(s.ppid, 31663);
        assert_eq!(s.minor_faults, 101);
        assert_eq!(s.priority, 20);
        assert_eq!(s.nice, 0);
        assert_eq!(s.num_threads, 1);
        assert_eq!(s.start_ticks, 205102);
        assert_eq!(s.vsize_bytes, 3133440);
        assert_eq!(s.rss_pages, 389);
        assert_eq!(s.processor, Some(1));
        assert_eq!(s.policy, Some(0));
        assert_eq!(s.blkio_delay_ticks, Some(0));
        assert!(!s.is_kernel_thread());

        let i = parse(INIT).unwrap();
        assert_eq!((i.minor_faults, i.major_faults), (42211, 0));
        assert_eq!((i.utime_ticks, i.stime_ticks), (143, 603));
        assert_eq!((i.cutime_ticks, i.cstime_ticks), (11436, 3158));
        assert_eq!(i.num_threads, 13);
        assert_eq!(i.cpu_ticks(), 746);
    }

    #[test]
    fn kernel_thread_flag() {
        let k = parse(KTHREADD).unwrap();
        assert!(k.is_kernel_thread());
        assert_eq!(k.vsize_bytes, 0);
        assert_eq!(k.rss_pages, 0);
    }

    #[test]
    fn name_ends_at_the_last_paren() {
        // A process renamed itself to "x) (y z" — spaces and both parens in the name.
        let line = CAT.replacen("(cat)", "(x) (y z)", 1);
        let s = parse(&line).unwrap();
        assert_eq!(s.comm, "x) (y z");
        assert_eq!(s.state, 'R');
        assert_eq!(s.ppid, 31663);
        // A name that imitates the following fields.
        let line = CAT.replacen("(cat)", "(a) Z 1 1 1 ()", 1);
        let s = parse(&line).unwrap();
        assert_eq!(s.comm, "a) Z 1 1 1 (");
        assert_eq!((s.state, s.ppid), ('R', 31663));
        // Escape sequences and newlines are kept raw (render sanitises).
        let line = CAT.replacen("(cat)", "(\x1b[2J\nevil)", 1);
        assert_eq!(parse(&line).unwrap().comm, "\x1b[2J\nevil");
        // An empty name.
        assert_eq!(parse(&CAT.replacen("(cat)", "()", 1)).unwrap().comm, "");
    }

    #[test]
    fn old_kernel_with_fewer_fields() {
        // Linux 2.6.9 (RHEL 4): 41 fields, no delayacct_blkio_ticks or guest time.
        let old = "1 (init) S 0 0 0 0 -1 256 1062 1427 19 30 2 9 3 19 16 0 1 0 5 2019328 134 \
                   4294967295 134512640 134544280 3221224864 3221223548 4294960144 0 0 \
                   1475401980 671819267 0 0 0 17 0 0 0\n";
        let s = parse(old).unwrap();
        assert_eq!(s.rss_pages, 134);
        assert_eq!(s.processor, Some(0));
        assert_eq!(s.policy, Some(0));
        assert_eq!(s.blkio_delay_ticks, None);
        assert_eq!(s.guest_ticks, None);
        // Cut right after rss (field 24): still a process, later fields absent.
        let short: Vec<&str> = CAT.split(' ').take(24).collect();
        let s = parse(&short.join(" ")).unwrap();
        assert_eq!(s.rss_pages, 389);
        assert_eq!(s.processor, None);
    }

    #[test]
    fn zombie() {
        // A zombie keeps its stat (times, ppid) but has no memory.
        let z = "4242 (defunct-kid) Z 4240 4240 22564 0 -1 4227084 62 0 0 0 0 0 0 0 20 0 1 0 \
                 210000 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 \
                 0 0 0 0 9\n";
        let s = parse(z).unwrap();
        assert_eq!((s.state, s.rss_pages, s.vsize_bytes), ('Z', 0, 0));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse("").is_err());
        assert!(parse("12 (x").is_err());
        assert!(parse("12 x) R 1").is_err());
        assert!(parse("ab (x) R 1 2 3").is_err());
        assert!(parse("12 (x) R 1 2 3").is_err());
        assert!(parse(&CAT.replacen(" R ", " RR ", 1)).is_err());
        assert!(parse(&CAT.replacen(" 31663 ", " x ", 1)).is_err());
        // Truncated in the middle of the name (a short read).
        assert!(parse("31665 (ca").is_err());
    }
}
