//! /sys/class/net/IF: link speed, duplex and state.
//!
//! `speed` is Mb/s; it reads as -1 or fails with EINVAL on loopback and many virtual NICs,
//! which sonde keeps as unknown.

use crate::env::Env;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Duplex {
    Full,
    Half,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub speed_mbps: Option<u64>,
    pub duplex: Duplex,
    pub operstate: Option<String>,
}

pub fn parse_speed(text: &str) -> Option<u64> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .map(|v| v as u64)
}

pub fn parse_duplex(text: &str) -> Duplex {
    match text.trim() {
        "full" => Duplex::Full,
        "half" => Duplex::Half,
        _ => Duplex::Unknown,
    }
}

pub fn read_link(env: &Env, iface: &str) -> Link {
    let base = format!("/sys/class/net/{iface}");
    let get = |f: &str| env.read(&format!("{base}/{f}")).ok();
    Link {
        speed_mbps: get("speed").as_deref().and_then(parse_speed),
        duplex: get("duplex")
            .as_deref()
            .map(parse_duplex)
            .unwrap_or(Duplex::Unknown),
        operstate: get("operstate").map(|s| s.trim().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_speeds() {
        assert_eq!(parse_speed("1000\n"), Some(1000));
        assert_eq!(parse_speed("-1\n"), None);
        assert_eq!(parse_speed(""), None);
        assert_eq!(parse_duplex("full\n"), Duplex::Full);
        assert_eq!(parse_duplex("unknown\n"), Duplex::Unknown);
    }
}
