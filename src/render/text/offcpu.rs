//! `sonde offcpu` (summary mode): per process or thread, how the interval's wall time split
//! between running, waiting for a CPU and the kinds of off-CPU wait, then the wait channels of
//! the threads seen in `D`. Percentages of one thread's wall time; `off` where the kernel did
//! not measure, `-` where unknown.

use crate::analyze::offcpu::{OffcpuReport, OffcpuRow};
use crate::collect::delays::DelaySource;
use crate::render::format::{fit, fixed, sanitize};

/// The lines printed once under the header.
pub fn notes(
    source: DelaySource,
    fallback_reason: Option<&str>,
    delayacct: bool,
    enabled_by_sonde: bool,
    threads: bool,
    no_exit_listener: Option<&str>,
) -> String {
    let mut out = String::new();
    match source {
        DelaySource::Taskstats => out.push_str("times from taskstats\n"),
        DelaySource::Procfs => out.push_str(&format!(
            "times from /proc, not taskstats ({}): RUN% and RUNQ% exact (schedstat), IO% \
             approximate (stat delayacct_blkio_ticks, clock-tick resolution), SWAP% RECL% \
             THRASH% COMPACT% need taskstats, so SLEEP% includes them\n",
            fallback_reason.unwrap_or("no taskstats")
        )),
    }
    if !threads {
        out.push_str(
            "a process is the sum of its threads (THR), in % of one thread's time: it can pass \
             100 %; -t shows the threads\n",
        );
    }
    if enabled_by_sonde {
        out.push_str(
            "delay accounting was turned on just now: the kernel measures only threads started \
             from now on; older ones show \"off\"\n",
        );
    }
    if !delayacct {
        out.push_str(
            "delay accounting is off (kernel.task_delayacct=0): IO% SWAP% RECL% THRASH% \
             COMPACT% and SLEEP% show \"off\" (OFFCPU% is all of them); --enable-delayacct \
             turns it on for the run\n",
        );
    }
    if let Some(why) = no_exit_listener {
        out.push_str(&format!(
            "threads that start and end between two samples are not counted (no exit listener: \
             {why})\n"
        ));
    }
    out
}

const WCHAN_WIDTH: usize = 22;

pub fn render(r: &OffcpuReport) -> String {
    let mut out = String::new();
    if r.threads {
        out.push_str(&format!("{:>7} {:>7}", "PID", "TID"));
    } else {
        out.push_str(&format!("{:>7} {:>4}", "PID", "THR"));
    }
    out.push_str(&format!(
        " {:<10} S {:>6} {:>6} {:>7} {:>6} {:>6} {:>6} {:>7} {:>8} {:>6} {:>6} {:<WCHAN_WIDTH$} \
         COMMAND\n",
        "USER",
        "RUN%",
        "RUNQ%",
        "OFFCPU%",
        "IO%",
        "SWAP%",
        "RECL%",
        "THRASH%",
        "COMPACT%",
        "SLEEP%",
        "D%",
        "WCHAN"
    ));
    for row in &r.processes {
        line(&mut out, r, row);
    }
    if r.processes.is_empty() {
        out.push_str("(no process ran or waited)\n");
    }
    if r.idle_hidden > 0 {
        let what = if r.threads { "threads" } else { "processes" };
        out.push_str(&format!(
            "{} {what} asleep the whole interval not shown (--all shows them)\n",
            r.idle_hidden
        ));
    }
    out.push_str(&super::io::exit_lines(&r.exits, true));
    wait_channels(&mut out, r);
    out
}

fn line(out: &mut String, r: &OffcpuReport, row: &OffcpuRow) {
    match row.tid {
        Some(tid) if r.threads => out.push_str(&format!("{:>7} {:>7}", row.pid, tid)),
        _ if r.threads => out.push_str(&format!("{:>7} {:>7}", row.pid, "-")),
        _ => out.push_str(&format!("{:>7} {:>4}", row.pid, row.threads)),
    }
    let user: String = sanitize(&row.user).chars().take(10).collect();
    out.push_str(&format!(" {user:<10} {}", row.state));
    let s = &row.shares;
    let pct = |v: Option<f64>, w: usize| format!(" {}", fixed(v, 1, w));
    // Needs delay accounting: "off" when the kernel did not measure it.
    let acct = |v: Option<f64>, w: usize| match v {
        None if !row.delayacct && row.threads > 0 => format!(" {:>w$}", "off"),
        v => pct(v, w),
    };
    out.push_str(&pct(s.running_pct, 6));
    out.push_str(&pct(s.runqueue_pct, 6));
    out.push_str(&pct(s.off_cpu_pct, 7));
    out.push_str(&acct(s.blkio_pct, 6));
    out.push_str(&acct(s.swapin_pct, 6));
    out.push_str(&acct(s.reclaim_pct, 6));
    out.push_str(&acct(s.thrashing_pct, 7));
    out.push_str(&acct(s.compaction_pct, 8));
    out.push_str(&acct(s.other_sleep_pct, 6));
    out.push_str(&pct(row.d_state_pct, 6));
    let wchan = row.top_wchan.as_deref().map_or("-".into(), sanitize);
    out.push_str(&format!(" {:<WCHAN_WIDTH$} ", fit(&wchan, WCHAN_WIDTH)));
    out.push_str(&sanitize(&row.comm));
    out.push('\n');
}

fn wait_channels(out: &mut String, r: &OffcpuReport) {
    let what = if r.d_state_samples == 1 {
        "sample".to_string()
    } else {
        "samples".to_string()
    };
    if r.wait_channels.is_empty() {
        out.push_str(&format!(
            "no thread in D state in {} {what}\n",
            r.d_state_samples
        ));
        return;
    }
    out.push_str(&format!(
        "\nthreads in D state (uninterruptible), {} {what}:\n",
        r.d_state_samples
    ));
    out.push_str(&format!(
        "{:<32} {:>7} {:>7} COMMANDS\n",
        "WCHAN", "SAMPLES", "THREADS"
    ));
    for w in &r.wait_channels {
        let name = w
            .wchan
            .as_deref()
            .map_or("(unknown: woke, or hidden)".into(), sanitize);
        let comms: Vec<String> = w.comms.iter().map(|c| sanitize(c)).collect();
        out.push_str(&format!(
            "{:<32} {:>7} {:>7} {}\n",
            fit(&name, 32),
            w.samples,
            w.threads,
            comms.join(" ")
        ));
    }
}
