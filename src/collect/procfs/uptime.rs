//! /proc/uptime: seconds since boot, the clock sysstat measures intervals with.
//!
//! The first field has two decimals; it is parsed exactly into hundredths of a second
//! (centiseconds), the unit sysstat's `itv` uses, so no float rounding enters an interval.

use crate::collect::{ParseError, num};
use crate::env::Env;

/// Time since boot in hundredths of a second.
pub fn parse(text: &str) -> Result<u64, ParseError> {
    let first = text
        .split_whitespace()
        .next()
        .ok_or_else(|| ParseError::new("empty"))?;
    let (secs, frac) = first.split_once('.').unwrap_or((first, "0"));
    let secs = num(secs, "uptime seconds")?;
    let mut cs = 0u64;
    let digits: Vec<u8> = frac.bytes().take(2).collect();
    for i in 0..2 {
        let d = digits.get(i).copied().unwrap_or(b'0');
        if !d.is_ascii_digit() {
            return Err(ParseError::new(format!("uptime fraction: {frac:?}")));
        }
        cs = cs * 10 + u64::from(d - b'0');
    }
    Ok(secs * 100 + cs)
}

pub fn read(env: &Env) -> Result<u64, crate::collect::CollectError> {
    crate::collect::read_parse(env, "/proc/uptime", parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centiseconds_exact() {
        assert_eq!(parse("350735.47 234388.90\n"), Ok(35_073_547));
        assert_eq!(parse("12.5 3.0"), Ok(1250));
        assert_eq!(parse("7 1"), Ok(700));
        assert!(parse("").is_err());
        assert!(parse("1.x2 0").is_err());
    }
}
