//! `sonde io`: iotop's columns (and `pidstat -d`'s), one line per process or thread, busiest
//! first. Bytes per second in binary units; waits in percent of the interval, `off` when the
//! kernel did not measure them (delay accounting off), `-` when unknown.

use crate::analyze::exits::ExitSummary;
use crate::analyze::proc_io::{IoReport, IoRow};
use crate::collect::delays::DelaySource;
use crate::render::format::{bytes_per_sec, fixed, sanitize};

/// The lines printed once under the header: where the waits come from and what is missing.
pub fn notes(
    source: DelaySource,
    fallback_reason: Option<&str>,
    delayacct: bool,
    enabled_by_sonde: bool,
    no_exit_listener: Option<&str>,
) -> String {
    let mut out = String::new();
    match source {
        DelaySource::Taskstats => out.push_str(
            "waits from taskstats; a process's waits are summed over its threads, so IODELAY% \
             and SWAPIN% can pass 100\n",
        ),
        DelaySource::Procfs => out.push_str(&format!(
            "waits from /proc, not taskstats ({}): IODELAY% is approximate (/proc/PID/stat \
             delayacct_blkio_ticks, clock-tick resolution, summed over live threads); SWAPIN% \
             needs taskstats\n",
            fallback_reason.unwrap_or("no taskstats")
        )),
    }
    if enabled_by_sonde {
        out.push_str(
            "delay accounting was turned on just now: the kernel measures only processes \
             started from now on; older ones show \"off\"\n",
        );
    }
    if !delayacct {
        out.push_str(
            "delay accounting is off (kernel.task_delayacct=0): IODELAY% and SWAPIN% show \
             \"off\"; --enable-delayacct turns it on for the run\n",
        );
    }
    if let Some(why) = no_exit_listener {
        out.push_str(&format!(
            "processes that start and end between two samples are not counted (no exit \
             listener: {why})\n"
        ));
    }
    out
}

pub fn render(r: &IoReport) -> String {
    let mut out = String::new();
    if r.threads {
        out.push_str(&format!("{:>7} {:>7}", "PID", "TID"));
    } else {
        out.push_str(&format!("{:>7}", "PID"));
    }
    out.push_str(&format!(
        " {:<10} S {:>6} {:>11} {:>11} {:>11} {:>11} {:>11} {:>8} {:>8} COMMAND\n",
        "USER",
        "CPU%",
        "READ/s",
        "WRITE/s",
        "RCHAR/s",
        "WCHAR/s",
        "CANCEL/s",
        "IODELAY%",
        "SWAPIN%"
    ));
    for row in &r.processes {
        line(&mut out, r, row);
    }
    if r.processes.is_empty() {
        out.push_str("(no process matches)\n");
    }
    out.push_str(&exit_lines(&r.exits, r.threads));
    out
}

/// What the exit listener added to an interval, and what it lost.
pub fn exit_lines(e: &ExitSummary, threads: bool) -> String {
    let mut out = String::new();
    let (one, many) = if threads {
        ("thread", "threads")
    } else {
        ("process", "processes")
    };
    if e.exited > 0 {
        out.push_str(&format!(
            "X: {} {} exited during the interval, measured from the kernel's exit records\n",
            e.exited,
            if e.exited == 1 { one } else { many }
        ));
    }
    if e.lost > 0 {
        out.push_str(&format!(
            "{} exit notifications lost (receive buffer full): those {many} are missing\n",
            e.lost
        ));
    }
    out
}

fn line(out: &mut String, r: &IoReport, row: &IoRow) {
    match (r.threads, row.tid) {
        (true, Some(tid)) => out.push_str(&format!("{:>7} {:>7}", row.pid, tid)),
        (true, None) => out.push_str(&format!("{:>7} {:>7}", row.pid, "-")),
        (false, _) => out.push_str(&format!("{:>7}", row.pid)),
    }
    let user: String = sanitize(&row.user).chars().take(10).collect();
    let rate = |v: Option<f64>| format!(" {:>11}", v.map_or("-".into(), bytes_per_sec));
    let wait = |v: Option<f64>| match v {
        Some(_) => format!(" {}", fixed(v, 2, 8)),
        None if !row.delayacct && row.delay_unavailable.is_none() => format!(" {:>8}", "off"),
        None => format!(" {:>8}", "-"),
    };
    out.push_str(&format!(
        " {user:<10} {} {}",
        row.state,
        fixed(row.cpu_pct, 1, 6)
    ));
    for v in [
        row.read_bytes_per_sec,
        row.write_bytes_per_sec,
        row.read_chars_per_sec,
        row.write_chars_per_sec,
        row.cancelled_write_bytes_per_sec,
    ] {
        out.push_str(&rate(v));
    }
    out.push_str(&wait(row.blkio_delay_pct));
    out.push_str(&wait(row.swapin_delay_pct));
    out.push(' ');
    out.push_str(&sanitize(&row.comm));
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pid: i32) -> IoRow {
        IoRow {
            pid,
            tid: None,
            user: "root".into(),
            state: 'D',
            comm: "dd\x1b[2J".into(),
            cpu_pct: Some(3.0),
            read_bytes_per_sec: Some(0.0),
            write_bytes_per_sec: Some(40.0 * 1024.0 * 1024.0),
            read_chars_per_sec: Some(0.0),
            write_chars_per_sec: Some(40.0 * 1024.0 * 1024.0),
            cancelled_write_bytes_per_sec: Some(0.0),
            io_unavailable: None,
            blkio_delay_pct: None,
            swapin_delay_pct: None,
            delayacct: false,
            delay_unavailable: None,
            started: false,
            exited: false,
        }
    }

    #[test]
    fn off_is_not_zero_and_names_are_escaped() {
        let r = IoReport {
            threads: false,
            delay_source: DelaySource::Taskstats,
            delayacct: false,
            approximate: Vec::new(),
            accounting_since_uptime_sec: None,
            exits: ExitSummary::default(),
            processes: vec![row(42)],
        };
        let text = render(&r);
        let line = text.lines().nth(1).unwrap();
        assert!(line.contains("40.0MiB/s"), "{line}");
        assert!(line.ends_with("off      off dd\\x1b[2J"), "{line}");
        let mut on = r.clone();
        on.delayacct = true;
        on.processes[0].delayacct = true;
        on.processes[0].blkio_delay_pct = Some(12.5);
        let text = render(&on);
        assert!(text.contains("   12.50        - dd"), "{text}");
        assert!(
            notes(DelaySource::Taskstats, None, false, false, None).contains("--enable-delayacct")
        );
        assert!(
            notes(
                DelaySource::Procfs,
                Some("no CAP_NET_ADMIN"),
                true,
                false,
                None
            )
            .contains("approximate")
        );
    }
}
