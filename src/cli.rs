//! The command-line definition: every flag and all help text. The man page (`man/sonde.1`) and
//! the shell completions are generated from it, and a test fails when `man/` is stale.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub const EXIT_CODES: &str = "\
Exit status:
  0  success (also when the output pipe closes early, e.g. `sonde use 1 | head`)
  1  runtime error: a required /proc or /sys file is unreadable, a capture is malformed
  2  usage error: unknown flag or bad argument";

const ABOUT: &str = "Linux host-performance observability: which resource is saturated (the USE \
method), the classic sysstat views with the same formulas, and more.";

const LONG_ABOUT: &str = "\
sonde answers, in this order: which resource is in trouble (the USE method: utilization, \
saturation and errors for every resource), who is causing it, and why.

Every view prints as plain text or, with --json, as versioned JSON (JSON Lines when repeating). \
Rates are computed from two samples with the same formulas as sysstat (iostat, mpstat, sar), the \
interval measured from /proc/uptime.

Without a command, sonde opens the live terminal view (`sonde top`).";

#[derive(Debug, Parser)]
#[command(
    name = "sonde",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_long_help = EXIT_CODES,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    /// Options of the live view when no command is given (`sonde -d 2` = `sonde top -d 2`).
    #[command(flatten)]
    pub top: TopArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Print JSON instead of text: one document per report (JSON Lines when repeating), with a
    /// "schema" key naming its version.
    #[arg(long, global = true)]
    pub json: bool,

    /// Never colour the output (the NO_COLOR environment variable does the same).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Read /proc and /sys from a capture made by `sonde capture` instead of the host.
    #[arg(long, global = true, value_name = "DIR", hide = true)]
    pub root: Option<PathBuf>,
}

/// `[INTERVAL [COUNT]]`, as sysstat takes them.
#[derive(Debug, Args, Clone, Copy, PartialEq)]
pub struct Repeat {
    /// Seconds between reports. Without it: one report over one second.
    #[arg(value_name = "INTERVAL", value_parser = parse_interval)]
    pub interval: Option<f64>,

    /// Number of reports. Without it (but with INTERVAL): until interrupted.
    #[arg(value_name = "COUNT", requires = "interval", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
}

impl Repeat {
    pub fn interval_secs(&self) -> f64 {
        self.interval.unwrap_or(1.0)
    }

    /// `None`: repeat until interrupted.
    pub fn reports(&self) -> Option<u64> {
        match (self.interval, self.count) {
            (None, _) => Some(1),
            (Some(_), c) => c,
        }
    }
}

fn parse_interval(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("not a number of seconds: {s:?}"))?;
    if !(v.is_finite() && v > 0.0 && v <= 86_400.0) {
        return Err("must be more than 0 and at most 86400 seconds".into());
    }
    Ok(v)
}

#[derive(Debug, Args, Clone, Copy, PartialEq)]
pub struct TopArgs {
    /// Seconds between refreshes.
    #[arg(short = 'd', long = "delay", value_name = "SECS", default_value_t = 1.0, value_parser = parse_interval)]
    pub delay: f64,

    /// Disable sending signals and renicing from the process table.
    #[arg(long)]
    pub read_only: bool,

    /// Draw with ASCII only (no Unicode bars, sparklines or borders); implied by TERM=linux.
    #[arg(long)]
    pub ascii: bool,
}

impl Default for TopArgs {
    fn default() -> TopArgs {
        TopArgs {
            delay: 1.0,
            read_only: false,
            ascii: false,
        }
    }
}

/// Which processes a per-process command shows, and how.
#[derive(Debug, Args, Clone, PartialEq, Default)]
pub struct ProcArgs {
    /// One line per thread instead of per process.
    #[arg(short = 't', long)]
    pub threads: bool,

    /// Only these processes (PIDs, comma-separated or the flag repeated).
    #[arg(
        short = 'p',
        long = "pid",
        value_name = "PID",
        value_delimiter = ',',
        value_parser = clap::value_parser!(i32).range(1..)
    )]
    pub pids: Vec<i32>,
}

/// `--enable-delayacct`, shared by the commands that show delays.
#[derive(Debug, Args, Clone, Copy, PartialEq, Default)]
pub struct DelayAcctArg {
    /// Turn delay accounting on (kernel.task_delayacct=1) for this run, print that it did,
    /// and set it back when sonde exits, also on Ctrl-C, SIGTERM and SIGHUP. Needs root. The
    /// kernel then measures only processes and threads started after that: older ones still
    /// show "off".
    #[arg(long)]
    pub enable_delayacct: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The live view (the default): host header, USE panel, per-CPU bars and the process table.
    ///
    /// Keys: arrows or j/k move, Enter shows a process's details, / searches, \\ filters (text,
    /// user:NAME or re:REGEX), P M O N sort by CPU, memory, I/O, PID, < > pick any sort column,
    /// t tree, H threads, p pauses, K signals and R renices (both ask first), ? shows all keys,
    /// q quits. CPU% is a share of one CPU, as top shows it. Needs a terminal; for text or JSON
    /// use `sonde use` or the classic views.
    Top {
        #[command(flatten)]
        top: TopArgs,
    },

    /// The USE table: utilization, saturation and errors of every resource, worst first.
    ///
    /// One row per resource instance (CPU, memory, each disk, each NIC, TCP, file systems,
    /// kernel tables). Each cell shows its headline metric, the verdict (ok, warn, crit or n/a)
    /// and the threshold that decided it. A one-line summary names the worst finding.
    #[command(name = "use")]
    Use {
        #[command(flatten)]
        repeat: Repeat,

        /// Also list every metric of every cell with its threshold and source (for example
        /// `/proc/pressure/cpu some total`), and why a cell is n/a.
        #[arg(long)]
        explain: bool,
    },

    /// Per-CPU utilization: the columns of `mpstat -P ALL`.
    Cpu {
        #[command(flatten)]
        repeat: Repeat,
    },

    /// Memory and paging: `free` and `vmstat`, with memory pressure and OOM kills.
    Mem {
        #[command(flatten)]
        repeat: Repeat,
    },

    /// Disk I/O: the columns of `iostat -x` (discard and flush where the kernel has them).
    Disk {
        #[command(flatten)]
        repeat: Repeat,
    },

    /// Network: the reports of `sar -n DEV,EDEV,TCP,ETCP`.
    Net {
        #[command(flatten)]
        repeat: Repeat,
    },

    /// Per-process I/O: bytes read and written per second and the share of time each process
    /// waited for block I/O and swap-in (iotop, `pidstat -d`).
    ///
    /// READ/s and WRITE/s are bytes that reached the block layer (/proc/PID/io read_bytes,
    /// write_bytes); RCHAR/s and WCHAR/s are bytes passed to read- and write-like system calls
    /// (logical I/O: page-cache hits, pipes and sockets too); CANCEL/s is dirty page cache
    /// dropped before writeback. IODELAY% and SWAPIN% are the share of the interval spent
    /// waiting for block I/O and for swap-in (iotop's IO> and SWAPIN), from taskstats (root) or
    /// approximated from /proc; a process's waits are summed over its threads and can pass 100.
    /// They show "off" where the kernel did not measure them: while kernel.task_delayacct is 0
    /// (see --enable-delayacct), and for tasks started while it was 0. Sorted by
    /// READ/s + WRITE/s, then by the waits. A process that started during the interval is
    /// measured from its start; with root, processes that ended during it (also those that
    /// started and ended between two samples) are counted from the kernel's exit records and
    /// shown in state X. Other users' processes need root for their I/O.
    Io {
        #[command(flatten)]
        repeat: Repeat,

        #[command(flatten)]
        procs: ProcArgs,

        /// Only processes that did block I/O, or waited for it or for swap-in, during the
        /// interval.
        #[arg(long)]
        active: bool,

        #[command(flatten)]
        delayacct: DelayAcctArg,
    },

    /// Where the time went: per process (or thread), the share of the interval spent running,
    /// waiting for a CPU, and off the CPU by cause; and what threads in D state wait on.
    ///
    /// RUN% is time on a CPU, RUNQ% time runnable but waiting for one (CPU saturation), OFFCPU%
    /// the rest, split into IO% (block I/O), SWAP% (swap-in), RECL% (direct reclaim), THRASH%
    /// (refaulting pages), COMPACT% (memory compaction) and SLEEP% (everything else: locks,
    /// timers, sockets, pipes). The parts can overlap (a swap-in also counts its block I/O), so
    /// SLEEP% is what is left, never negative. Percentages are of one thread's time: a process
    /// is the sum of its threads and can pass 100. D% is the share of samples (every 100 ms) in
    /// which a thread was in uninterruptible sleep, WCHAN the kernel function it waited in most
    /// often; a table of those wait channels follows. Times come from taskstats (root) or from
    /// /proc/PID/schedstat and stat; IO% to SLEEP% need kernel.task_delayacct=1 (see
    /// --enable-delayacct) and show "off" otherwise. Processes that neither ran nor waited are
    /// not shown unless --all.
    Offcpu {
        #[command(flatten)]
        repeat: Repeat,

        #[command(flatten)]
        procs: ProcArgs,

        /// Also show processes (threads) that were asleep the whole interval.
        #[arg(long)]
        all: bool,

        #[command(flatten)]
        delayacct: DelayAcctArg,
    },

    /// Copy every /proc and /sys file sonde reads into a fixture tree (for tests and bug
    /// reports); with COUNT, a sequence DIR/0, DIR/1, … taken INTERVAL seconds apart.
    #[command(hide = true)]
    Capture {
        /// Directory to write (created; must be empty or absent).
        dir: PathBuf,
        /// Also capture every process's stat, status, io, cmdline and threads (what the live
        /// view reads).
        #[arg(long)]
        processes: bool,
        #[command(flatten)]
        repeat: Repeat,
    },

    /// Print shell completions to stdout.
    #[command(hide = true)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the man page (roff) to stdout.
    #[command(hide = true)]
    Man,
}

/// The clap command, for generators.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Renders the man page: the main page, then one section per visible subcommand.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let cmd = command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("sonde {}", sub.get_name());
        buf.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        let sub = sub.clone().name(name.clone()).bin_name(name);
        let man = clap_mangen::Man::new(sub);
        man.render_synopsis_section(&mut buf)?;
        man.render_description_section(&mut buf)?;
        man.render_options_section(&mut buf)?;
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn repeat_semantics() {
        let one = |args: &[&str]| match Cli::try_parse_from(args).map(|c| c.command) {
            Ok(Some(Command::Disk { repeat })) => Ok(repeat),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.kind()),
        };
        assert_eq!(one(&["sonde", "disk"]).map(|r| r.reports()), Ok(Some(1)));
        assert_eq!(one(&["sonde", "disk", "2"]).map(|r| r.reports()), Ok(None));
        assert_eq!(
            one(&["sonde", "disk", "0.5", "3"]).map(|r| (r.interval_secs(), r.reports())),
            Ok((0.5, Some(3)))
        );
        assert!(one(&["sonde", "disk", "0"]).is_err());
        assert!(one(&["sonde", "disk", "1", "0"]).is_err());
        assert!(one(&["sonde", "disk", "x"]).is_err());
    }
}
