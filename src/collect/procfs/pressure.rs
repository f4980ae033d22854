//! /proc/pressure/{cpu,memory,io}: pressure stall information (since Linux 4.20).
//!
//! `some` is the share of wall time in which at least one task stalled on the resource, `full`
//! the share in which all non-idle tasks stalled (for cpu since 5.13). `total` is cumulative
//! microseconds, so sonde computes the exact share over its own interval from Δtotal.

use crate::collect::{CollectError, ParseError, num};
use crate::env::Env;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct PsiLine {
    pub avg10_pct: f64,
    pub avg60_pct: f64,
    pub avg300_pct: f64,
    pub total_us: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Psi {
    pub some: PsiLine,
    /// Absent for cpu before Linux 5.13.
    pub full: Option<PsiLine>,
}

/// PSI for the three resources; `None` per resource when the file is absent.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Pressure {
    pub cpu: Option<Psi>,
    pub memory: Option<Psi>,
    pub io: Option<Psi>,
}

fn parse_line(rest: &str) -> Result<PsiLine, ParseError> {
    let mut l = PsiLine::default();
    for kv in rest.split_whitespace() {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| ParseError::new(format!("{kv:?}")))?;
        let f = || {
            v.parse::<f64>()
                .map_err(|_| ParseError::new(format!("{k}={v:?}")))
        };
        match k {
            "avg10" => l.avg10_pct = f()?,
            "avg60" => l.avg60_pct = f()?,
            "avg300" => l.avg300_pct = f()?,
            "total" => l.total_us = num(v, "total")?,
            _ => {}
        }
    }
    Ok(l)
}

pub fn parse(text: &str) -> Result<Psi, ParseError> {
    let mut some = None;
    let mut full = None;
    for line in text.lines() {
        match line.split_once(' ') {
            Some(("some", rest)) => some = Some(parse_line(rest)?),
            Some(("full", rest)) => full = Some(parse_line(rest)?),
            _ => {}
        }
    }
    let some = some.ok_or_else(|| ParseError::new("no 'some' line"))?;
    Ok(Psi { some, full })
}

/// Reads all three files. PSI compiled out (or `psi=0` on the command line) reads as all `None`.
pub fn read(env: &Env) -> Result<Pressure, CollectError> {
    let one = |name: &str| -> Result<Option<Psi>, CollectError> {
        let path = format!("/proc/pressure/{name}");
        match crate::collect::read_parse_optional(env, &path, parse) {
            // psi=0 at boot: the files exist but reading them fails with EOPNOTSUPP.
            Err(CollectError::Io { .. }) => Ok(None),
            other => other,
        }
    };
    Ok(Pressure {
        cpu: one("cpu")?,
        memory: one("memory")?,
        io: one("io")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_some_and_full() {
        let p = parse(
            "some avg10=1.50 avg60=0.20 avg300=0.00 total=123456\n\
             full avg10=0.00 avg60=0.00 avg300=0.00 total=789\n",
        )
        .unwrap();
        assert_eq!(p.some.avg10_pct, 1.5);
        assert_eq!(p.some.total_us, 123456);
        assert_eq!(p.full.map(|f| f.total_us), Some(789));
        // cpu before 5.13: some only.
        let cpu = parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n").unwrap();
        assert!(cpu.full.is_none());
        assert!(parse("").is_err());
        assert!(parse("some avg10=x total=1\n").is_err());
    }
}
