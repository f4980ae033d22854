//! Plain-text reports: fixed column order, stable sorting, no wall-clock time except in the
//! header, so the same capture always gives the same bytes.

pub mod cpu;
pub mod disk;
pub mod io;
pub mod mem;
pub mod net;
pub mod offcpu;
pub mod use_table;

use crate::collect::caps::Capabilities;
use crate::collect::host::HostInfo;
use crate::model::rate::Interval;
use crate::render::format::{sanitize, utc};

/// What every text report needs besides its data.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub info: &'a HostInfo,
    pub caps: &'a Capabilities,
    pub cpus: usize,
    /// ANSI colour for verdicts.
    pub color: bool,
}

/// The header printed once at the top: command, host, kernel, CPUs, time; then one line naming
/// whatever cannot be measured here and what that costs.
pub fn header(cmd: &str, ctx: &Context) -> String {
    let mut out = format!(
        "sonde {cmd} | {} | Linux {} | {} CPUs | {} UTC\n",
        sanitize(&ctx.info.hostname),
        sanitize(&ctx.info.kernel),
        ctx.cpus,
        utc(ctx.info.unix_time),
    );
    let missing = ctx.caps.missing();
    if !missing.is_empty() {
        let items: Vec<String> = missing
            .iter()
            .map(|m| format!("{} ({})", m.what, m.cost))
            .collect();
        out.push_str(&format!("missing: {}\n", items.join(" | ")));
    }
    out
}

/// The line that opens each interval report.
pub fn interval_line(itv: &Interval) -> String {
    format!("interval {:.2} s\n", itv.secs())
}
