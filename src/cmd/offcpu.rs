//! `sonde offcpu` (summary mode): where each process's (or thread's) time went during an
//! interval: running, waiting for a CPU, blocked on I/O, swap-in, reclaim, thrashing,
//! compaction, other sleep; and the wait channels of threads in `D`, sampled every
//! [`STEP`] during the interval. (Off-CPU time by stack is another mode, not this one.)
//!
//! Each interval boundary is a thread scan plus every thread's delay counters
//! ([`crate::collect::delays`]); between them a [`DStateSampler`] scans the threads again every
//! 100 ms and reads the wait channel of those in `D`.

use std::io::Write;
use std::time::Instant;

use anyhow::bail;

use super::interval::{self, ProcSampler, STEP, Stop};
use super::report::Options;
use crate::analyze::offcpu::{self, DTally, OffcpuOptions};
use crate::cli::Repeat;
use crate::collect::caps::Capabilities;
use crate::collect::delays::Want;
use crate::collect::dstate::DStateSampler;
use crate::collect::host::HostInfo;
use crate::collect::procfs;
use crate::env::Env;
use crate::model::rate::Interval;
use crate::render::{json, text};

/// The flags of `sonde offcpu`.
#[derive(Debug, Clone, Default)]
pub struct OffcpuArgs {
    pub threads: bool,
    pub pids: Vec<i32>,
    pub all: bool,
    pub enable_delayacct: bool,
}

pub fn run(
    env: &Env,
    opts: &Options,
    repeat: Repeat,
    args: &OffcpuArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let stop = Stop::install()?;
    let delayacct = interval::enable_delayacct(env, args.enable_delayacct)?;
    let since_cs = delayacct.as_ref().and_then(|d| d.since_cs);
    let caps = Capabilities::probe(env);
    let mut info = HostInfo::read(env);
    // Always per thread: a process is the sum of its threads.
    let want = Want { schedstat: true };
    let mut sampler = ProcSampler::new(env, true, &args.pids, false, want);
    if let Some(cs) = since_cs {
        sampler.delays.set_accounting_since(cs);
    }
    let mut dstate = DStateSampler::new(env);
    let view = OffcpuOptions {
        threads: args.threads,
        pids: args.pids.clone(),
        all: args.all,
    };
    let filter = (!args.pids.is_empty()).then_some(args.pids.as_slice());
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
        let notes = text::offcpu::notes(
            sampler.delays.source(),
            sampler.delays.fallback_reason(),
            prev.delays.accounting_on(),
            since_cs.is_some(),
            args.threads,
            sampler.exits.why_not(),
        );
        super::interval::write_header(out, "offcpu", &ctx, &notes)?;
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
        let mut tally = DTally::default();
        let mut sample_error = None;
        let exits = &mut sampler.exits;
        let go_on = stop.sleep_until(env, deadline, STEP, || {
            exits.poll(env);
            match dstate.sample(env, filter) {
                Ok(seen) => tally.record(&seen),
                Err(e) => sample_error = Some(e),
            }
        });
        if let Some(e) = sample_error {
            return Err(e.into());
        }
        if !go_on {
            break;
        }
        let curr = sampler.take(env)?;
        let Some(itv) = Interval::between(prev.procs.uptime_cs, curr.procs.uptime_cs) else {
            bail!(
                "/proc/uptime did not advance between two samples (uptime {} cs)",
                curr.procs.uptime_cs
            );
        };
        let r = offcpu::report(
            (&prev.procs, &prev.delays),
            (&curr.procs, &curr.delays),
            &curr.exits,
            &tally,
            sampler.delays.source(),
            env.facts(),
            &view,
        );
        info.unix_time = env.now_unix_secs();
        let report = if opts.json {
            json::line(&json::document(
                "offcpu",
                &info,
                cpus,
                &caps,
                Some(&itv),
                &r,
            ))
        } else {
            format!(
                "\n{}{}",
                text::interval_line(&itv),
                text::offcpu::render(&r)
            )
        };
        out.write_all(report.as_bytes())?;
        out.flush()?;
        prev = curr;
        done += 1;
    }
    Ok(())
}
