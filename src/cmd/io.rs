//! `sonde io`: per-process (or per-thread) I/O rates and I/O waits, iotop and `pidstat -d` in
//! one report.
//!
//! Each sample ([`ProcSampler`]) is a process scan, /proc/PID/io of every process (status once
//! per process, for the user name), the delay counters of every process (taskstats when
//! privileged, /proc otherwise) and, with root, the exit records of processes that ended since
//! the previous sample. The loop is deadline-based like the host views' and sleeps in short
//! steps, draining the exit listener, so Ctrl-C, SIGTERM and SIGHUP end it cleanly (restoring
//! `kernel.task_delayacct` after `--enable-delayacct`).

use std::io::Write;
use std::time::Instant;

use anyhow::bail;

use super::interval::{self, ProcSampler, STEP, Stop};
use super::report::Options;
use crate::analyze::proc_io::{self, IoOptions};
use crate::cli::Repeat;
use crate::collect::caps::Capabilities;
use crate::collect::delays::Want;
use crate::collect::host::HostInfo;
use crate::collect::procfs;
use crate::env::Env;
use crate::model::rate::Interval;
use crate::render::{json, text};

/// The flags of `sonde io`.
#[derive(Debug, Clone, Default)]
pub struct IoArgs {
    pub threads: bool,
    pub active: bool,
    pub pids: Vec<i32>,
    pub enable_delayacct: bool,
}

pub fn run(
    env: &Env,
    opts: &Options,
    repeat: Repeat,
    args: &IoArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let stop = Stop::install()?;
    let delayacct = interval::enable_delayacct(env, args.enable_delayacct)?;
    let since_cs = delayacct.as_ref().and_then(|d| d.since_cs);
    let caps = Capabilities::probe(env);
    let mut info = HostInfo::read(env);
    let mut sampler = ProcSampler::new(env, args.threads, &args.pids, true, Want::default());
    if let Some(cs) = since_cs {
        sampler.delays.set_accounting_since(cs);
    }
    let view = IoOptions {
        active: args.active,
        pids: args.pids.clone(),
    };
    let mut deadline = Instant::now();
    let mut prev = sampler.take(env)?;
    let cpus = procfs::stat::read(env)?.cpus.len();
    if !opts.json {
        let ctx = text::Context {
            info: &info,
            caps: &caps,
            cpus,
            color: opts.color,
        };
        let notes = text::io::notes(
            sampler.delays.source(),
            sampler.delays.fallback_reason(),
            prev.delays.accounting_on(),
            since_cs.is_some(),
            sampler.exits.why_not(),
        );
        super::interval::write_header(out, "io", &ctx, &notes)?;
    }
    let period = std::time::Duration::from_secs_f64(repeat.interval_secs());
    let mut done = 0u64;
    while repeat.reports().is_none_or(|max| done < max) {
        if env.samples_left() == Some(0) {
            if done == 0 {
                bail!("the capture holds one sample; rates need two (capture with INTERVAL COUNT)");
            }
            break;
        }
        deadline = interval::next_deadline(deadline, period);
        let exits = &mut sampler.exits;
        if !stop.sleep_until(env, deadline, STEP, || exits.poll(env)) {
            break;
        }
        let curr = sampler.take(env)?;
        let Some(itv) = Interval::between(prev.procs.uptime_cs, curr.procs.uptime_cs) else {
            bail!(
                "/proc/uptime did not advance between two samples (uptime {} cs)",
                curr.procs.uptime_cs
            );
        };
        let r = proc_io::report(
            (&prev.procs, &prev.delays),
            (&curr.procs, &curr.delays),
            &curr.exits,
            sampler.delays.source(),
            env.facts(),
            &view,
        );
        info.unix_time = env.now_unix_secs();
        let report = if opts.json {
            json::line(&json::document("io", &info, cpus, &caps, Some(&itv), &r))
        } else {
            format!("\n{}{}", text::interval_line(&itv), text::io::render(&r))
        };
        out.write_all(report.as_bytes())?;
        out.flush()?;
        prev = curr;
        done += 1;
    }
    Ok(())
}
