//! /proc/schedstat: per-CPU time running and time tasks waited in the run queue.
//!
//! Only present with CONFIG_SCHEDSTATS; many distribution kernels and VMs lack it, in which case
//! per-CPU saturation is not measurable and the USE table says so.
//! `cpuN` lines carry 9 numbers in versions 15+; the 8th is the cumulative run-queue wait (ns).

use crate::collect::{CollectError, ParseError, num};
use crate::env::Env;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CpuSched {
    pub cpu: u32,
    pub running_ns: u64,
    pub run_delay_ns: u64,
}

pub fn parse(text: &str) -> Result<Vec<CpuSched>, ParseError> {
    let mut out = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let Some(key) = f.first() else { continue };
        let Some(id) = key.strip_prefix("cpu") else {
            continue;
        };
        if f.len() < 10 {
            return Err(ParseError::new(format!(
                "{key}: {} fields, need 10",
                f.len()
            )));
        }
        out.push(CpuSched {
            cpu: num(id, "cpu id")? as u32,
            running_ns: num(f[7], "running")?,
            run_delay_ns: num(f[8], "run delay")?,
        });
    }
    Ok(out)
}

pub fn read(env: &Env) -> Result<Option<Vec<CpuSched>>, CollectError> {
    crate::collect::read_parse_optional(env, "/proc/schedstat", parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_version_15() {
        let s = parse(
            "version 15\ntimestamp 4295\ncpu0 0 0 0 0 0 0 1000 2000 30\ndomain0 3 1 2 3\n\
             cpu1 0 0 0 0 0 0 5 6 7\n",
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].running_ns, s[0].run_delay_ns), (1000, 2000));
        assert_eq!(s[1].cpu, 1);
        assert!(parse("cpu0 1 2\n").is_err());
    }
}
