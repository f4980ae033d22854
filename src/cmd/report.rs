//! The sampling loop shared by `use`, `cpu`, `mem`, `disk` and `net`: take a baseline sample,
//! then every INTERVAL take another, model the pair and print one report.
//!
//! Samples are scheduled against deadlines (the previous one + INTERVAL, see
//! [`super::interval::next_deadline`]) so reports do not drift by
//! the time sampling takes. On a `--root` replay nothing sleeps and the loop ends when the
//! capture sequence does.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::bail;

use crate::cli::Repeat;
use crate::collect::caps::Capabilities;
use crate::collect::host::{self, HostInfo, HostSample};
use crate::env::Env;
use crate::model::host::{HostModel, model};
use crate::render::{json, text};

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub json: bool,
    pub color: bool,
}

/// A report kind: how one interval is shown as text and as JSON.
pub trait View {
    /// The command name, also the JSON schema kind (`sonde/<kind>/v1`).
    fn kind(&self) -> &'static str;
    fn text(&self, curr: &HostSample, m: &HostModel, color: bool) -> String;
    fn json(&self, curr: &HostSample, m: &HostModel) -> serde_json::Value;
}

pub fn run(
    env: &Env,
    opts: &Options,
    repeat: Repeat,
    view: &dyn View,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let caps = Capabilities::probe(env);
    let mut info = HostInfo::read(env);
    let mut prev = host::sample(env)?;
    if !opts.json {
        let ctx = text::Context {
            info: &info,
            caps: &caps,
            cpus: prev.stat.cpus.len(),
            color: opts.color,
        };
        out.write_all(text::header(view.kind(), &ctx).as_bytes())?;
        out.flush()?;
    }
    let interval = Duration::from_secs_f64(repeat.interval_secs());
    let mut deadline = Instant::now();
    let mut done = 0u64;
    while repeat.reports().is_none_or(|max| done < max) {
        if env.samples_left() == Some(0) {
            if done == 0 {
                bail!("the capture holds one sample; rates need two (capture with INTERVAL COUNT)");
            }
            break;
        }
        deadline = super::interval::next_deadline(deadline, interval);
        env.sleep(deadline.saturating_duration_since(Instant::now()));
        let curr = host::sample(env)?;
        let Some(m) = model(&prev, &curr, env.facts().page_size_bytes) else {
            bail!(
                "/proc/uptime did not advance between two samples (uptime {} cs)",
                curr.uptime_cs
            );
        };
        info.unix_time = env.now_unix_secs();
        let report = if opts.json {
            let doc = json::document(
                view.kind(),
                &info,
                curr.stat.cpus.len(),
                &caps,
                Some(&m.interval),
                view.json(&curr, &m),
            );
            json::line(&doc)
        } else {
            format!(
                "\n{}{}",
                text::interval_line(&m.interval),
                view.text(&curr, &m, opts.color)
            )
        };
        out.write_all(report.as_bytes())?;
        out.flush()?;
        prev = curr;
        done += 1;
    }
    Ok(())
}
