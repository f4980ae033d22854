//! /proc/loadavg: load averages, runnable and total scheduling entities, last PID.

use crate::collect::{ParseError, num};
use crate::env::Env;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadAvg {
    pub load1: f64,
    pub load5: f64,
    pub load15: f64,
    /// Runnable scheduling entities (threads) at the instant of reading, including the reader.
    pub runnable: u64,
    /// All scheduling entities (threads) on the host.
    pub threads: u64,
}

pub fn parse(text: &str) -> Result<LoadAvg, ParseError> {
    let f: Vec<&str> = text.split_whitespace().collect();
    if f.len() < 4 {
        return Err(ParseError::new(format!(
            "expected 5 fields, got {}",
            f.len()
        )));
    }
    let load = |s: &str| {
        s.parse::<f64>()
            .map_err(|_| ParseError::new(format!("load: {s:?}")))
    };
    let (run, all) = f[3]
        .split_once('/')
        .ok_or_else(|| ParseError::new("no runnable/total"))?;
    Ok(LoadAvg {
        load1: load(f[0])?,
        load5: load(f[1])?,
        load15: load(f[2])?,
        runnable: num(run, "runnable")?,
        threads: num(all, "threads")?,
    })
}

pub fn read(env: &Env) -> Result<LoadAvg, crate::collect::CollectError> {
    crate::collect::read_parse(env, "/proc/loadavg", parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_captured_line() {
        let l = parse("0.52 0.58 0.59 3/467 12345\n").unwrap();
        assert_eq!((l.load1, l.runnable, l.threads), (0.52, 3, 467));
        assert!(parse("0.52 0.58").is_err());
        assert!(parse("0.52 0.58 0.59 3 12").is_err());
    }
}
