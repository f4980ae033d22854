//! /proc/PID/schedstat (and task/TID/schedstat): time on the CPU, time waiting in a run queue,
//! and the number of timeslices run.
//!
//! One line, `on_cpu_ns run_delay_ns timeslices`. Present with CONFIG_SCHED_INFO (older
//! kernels: CONFIG_SCHEDSTATS); absent otherwise. Since 4.6 a kernel whose scheduler statistics
//! are switched off prints `0 0 0`. The run-queue wait is the "CPU saturation" of one task: time
//! it was runnable but another task had the CPU.

use serde::Serialize;

use crate::collect::{ParseError, num};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PidSchedstat {
    pub on_cpu_ns: u64,
    pub run_delay_ns: u64,
    pub timeslices: u64,
}

pub fn parse(text: &str) -> Result<PidSchedstat, ParseError> {
    let mut it = text.split_ascii_whitespace();
    let mut next = |what: &str| num(it.next().unwrap_or(""), what);
    Ok(PidSchedstat {
        on_cpu_ns: next("on-CPU time")?,
        run_delay_ns: next("run-queue wait")?,
        timeslices: next("timeslices")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_linux_6_18() {
        let s = parse("156221 3791325 2\n").unwrap();
        assert_eq!(s.on_cpu_ns, 156221);
        assert_eq!(s.run_delay_ns, 3791325);
        assert_eq!(s.timeslices, 2);
        assert_eq!(parse("0 0 0\n").unwrap(), PidSchedstat::default());
        assert!(parse("1 2\n").is_err());
        assert!(parse("").is_err());
    }
}
