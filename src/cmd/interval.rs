//! What the per-process interval commands (`sonde io`, `sonde offcpu`) share beyond the report
//! loop of the host views: stopping cleanly on a signal, sleeping in short steps (so work can
//! be done during an interval and a signal is noticed quickly), and `--enable-delayacct`.
//!
//! A clean stop matters because these commands may change a system setting: SIGINT (Ctrl-C),
//! SIGTERM and SIGHUP (an ssh drop) only set a flag, the loop ends at its next step, and the
//! [`DelayAcctGuard`] restores `kernel.task_delayacct` when it is dropped on the way out.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

use crate::collect::CollectError;
use crate::collect::delays::{DelayReader, DelaySnapshot, Want};
use crate::collect::exited::{self, ExitBatch, ExitWatch};
use crate::collect::netlink::{DelayAcctGuard, Scope};
use crate::collect::process::{Fields, ProcSnapshot, ProcessScanner};
use crate::collect::procfs::uptime;
use crate::env::Env;

/// Set when SIGINT, SIGTERM or SIGHUP arrives.
#[derive(Debug, Clone)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// Installs the handlers. A second signal of the same kind after the first one still only
    /// sets the flag: the loop checks it every [`STEP`], so nothing is left to wait for.
    pub fn install() -> anyhow::Result<Stop> {
        let flag = Arc::new(AtomicBool::new(false));
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal_hook::flag::register(sig, flag.clone())
                .with_context(|| format!("installing the handler of signal {sig}"))?;
        }
        Ok(Stop(flag))
    }

    /// A flag no signal sets (tests).
    pub fn never() -> Stop {
        Stop(Arc::new(AtomicBool::new(false)))
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Sleeps until `deadline` in steps of at most `step`, calling `tick` after each step.
    /// Returns false when a stop was requested (at once, without waiting for the deadline).
    /// A replay does not sleep (it calls `tick` once).
    pub fn sleep_until(
        &self,
        env: &Env,
        deadline: Instant,
        step: Duration,
        mut tick: impl FnMut(),
    ) -> bool {
        if !env.is_live() {
            tick();
            return !self.requested();
        }
        loop {
            if self.requested() {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            std::thread::sleep((deadline - now).min(step));
            tick();
        }
    }
}

/// The deadline after `prev`: one period later, so reports do not drift by the time sampling
/// takes; but when sampling fell behind by more than that (a loaded host, thousands of
/// threads), one period from now: catching up would take samples back to back, intervals too
/// short to mean anything (or with no /proc/uptime tick between them at all).
pub fn next_deadline(prev: Instant, period: Duration) -> Instant {
    let next = prev + period;
    let now = Instant::now();
    if next <= now { now + period } else { next }
}

/// How often the loops look at the stop flag (and sample D states, drain exit records).
pub const STEP: Duration = Duration::from_millis(100);

/// `--enable-delayacct`: turns `kernel.task_delayacct` on for the run and says so on stderr;
/// the returned guard restores the old value when dropped (and says so). `None` when the flag
/// was not given.
pub fn enable_delayacct(env: &Env, enable: bool) -> anyhow::Result<Option<Announced>> {
    if !enable {
        return Ok(None);
    }
    let guard = DelayAcctGuard::enable(env).map_err(|e| match e {
        CollectError::Permission { .. } => anyhow::anyhow!(
            "--enable-delayacct: cannot write kernel.task_delayacct (needs root): {e}"
        ),
        CollectError::NotFound { .. } => anyhow::anyhow!(
            "--enable-delayacct: this kernel has no kernel.task_delayacct switch (before Linux \
             5.14 delay accounting is on unless booted with nodelayacct)"
        ),
        other => anyhow::anyhow!("--enable-delayacct: {other}"),
    })?;
    if guard.previous() {
        eprintln!("sonde: kernel.task_delayacct is already 1; left as it is");
        return Ok(Some(Announced {
            guard: Some(guard),
            since_cs: None,
        }));
    }
    // Read after the switch: a task that started in the same hundredth of a second is taken as
    // not measured (stat's start time has no finer resolution).
    let since_cs = uptime::read(env).ok();
    eprintln!(
        "sonde: set kernel.task_delayacct=1 (was 0) for this run; it is set back to 0 on exit. \
         The kernel measures the waits of processes started from now on only."
    );
    Ok(Some(Announced {
        guard: Some(guard),
        since_cs,
    }))
}

/// A [`DelayAcctGuard`] that says on stderr when it restores the old value.
#[derive(Debug)]
pub struct Announced {
    guard: Option<DelayAcctGuard>,
    /// /proc/uptime just after sonde turned accounting on (`None`: it was on already).
    pub since_cs: Option<u64>,
}

impl Drop for Announced {
    fn drop(&mut self) {
        let Some(guard) = self.guard.take() else {
            return;
        };
        if guard.previous() {
            return;
        }
        match guard.restore() {
            Ok(()) => eprintln!("sonde: kernel.task_delayacct set back to 0"),
            Err(e) => eprintln!(
                "sonde: could not set kernel.task_delayacct back to 0: {e} (run `sysctl \
                 kernel.task_delayacct=0`)"
            ),
        }
    }
}

/// One sample of the per-process commands: the scan, the delay counters, and the exits since
/// the previous sample.
#[derive(Debug)]
pub struct Sample {
    pub procs: ProcSnapshot,
    pub delays: DelaySnapshot,
    pub exits: ExitBatch,
}

/// Takes the per-process samples of `sonde io` and `sonde offcpu`: a process (or thread)
/// scan, /proc/PID/io when asked, status once per process (the user name), the delay
/// counters of the selected processes, and the exit records of processes that ended.
#[derive(Debug)]
pub struct ProcSampler {
    scanner: ProcessScanner,
    pub delays: DelayReader,
    pub exits: ExitWatch,
    threads: bool,
    pids: Vec<i32>,
    io: bool,
    want: Want,
}

impl ProcSampler {
    pub fn new(env: &Env, threads: bool, pids: &[i32], io: bool, want: Want) -> ProcSampler {
        ProcSampler {
            scanner: ProcessScanner::new(env),
            delays: DelayReader::new(env),
            exits: ExitWatch::new(env),
            threads,
            pids: pids.to_vec(),
            io,
            want,
        }
    }

    /// One sample; with a capture sequence, of the next capture.
    pub fn take(&mut self, env: &Env) -> anyhow::Result<Sample> {
        env.begin_sample()?;
        let mut snap = self.scanner.scan(env, self.threads)?;
        let selected: Vec<i32> = if self.pids.is_empty() {
            snap.pids()
        } else {
            snap.pids()
                .into_iter()
                .filter(|p| self.pids.contains(p))
                .collect()
        };
        if self.io {
            let io = Fields {
                io: true,
                ..Fields::default()
            };
            self.scanner.fill(env, &mut snap, &selected, io);
        }
        // The user name: status once per process (the scanner remembers it).
        let mut unnamed: Vec<i32> = snap
            .procs
            .iter()
            .filter(|s| s.uid.is_none() && selected.binary_search(&s.pid).is_ok())
            .map(|s| s.pid)
            .collect();
        unnamed.dedup();
        let status = Fields {
            status: true,
            ..Fields::default()
        };
        self.scanner.fill(env, &mut snap, &unnamed, status);
        let filter = (!self.pids.is_empty()).then_some(selected.as_slice());
        let delays = self.delays.read(env, &snap, filter, self.want);
        // A zombie has exited (its record is sent) but is not reaped yet: it counts as gone,
        // or its record would be dropped as "alive" and never counted. A process is a zombie
        // when its last thread is; a leader thread in Z with live threads is a live process.
        let threads = snap.threads;
        let dead = |s: &&crate::collect::process::ProcSample| {
            s.stat.state == 'Z' && (threads || s.stat.num_threads <= 1)
        };
        let pids: HashSet<i32> = snap
            .procs
            .iter()
            .filter(|s| !dead(s))
            .map(|s| s.pid)
            .collect();
        let tasks: HashSet<(i32, Option<i32>)> = snap
            .procs
            .iter()
            .filter(|s| !dead(s))
            .map(|s| (s.pid, s.tid))
            .collect();
        let exits = self.exits.take(env, |r| match r.scope {
            Scope::Tgid => pids.contains(&(r.id as i32)),
            Scope::Pid if threads => tasks.contains(&(exited::tgid(r), Some(r.id as i32))),
            Scope::Pid => pids.contains(&exited::tgid(r)),
        });
        Ok(Sample {
            procs: snap,
            delays,
            exits,
        })
    }
}

/// Text output's opening: the report header, then the command's notes on what it measures
/// here (delay source, accounting, exit records).
pub fn write_header(
    out: &mut dyn std::io::Write,
    kind: &str,
    ctx: &crate::render::text::Context,
    notes: &str,
) -> std::io::Result<()> {
    out.write_all(crate::render::text::header(kind, ctx).as_bytes())?;
    out.write_all(notes.as_bytes())?;
    out.flush()
}
