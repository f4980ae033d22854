//! /proc/net/dev: per-interface byte, packet, error and drop counters.
//!
//! Old kernels glued large byte counts to the colon (`eth0:123456789`); the name is split at
//! the first colon (interface names cannot contain one).

use crate::collect::{ParseError, num};
use crate::env::Env;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NetDev {
    pub name: String,
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errs: u64,
    pub rx_drop: u64,
    pub rx_fifo: u64,
    pub rx_frame: u64,
    pub rx_compressed: u64,
    pub rx_multicast: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errs: u64,
    pub tx_drop: u64,
    pub tx_fifo: u64,
    pub tx_colls: u64,
    pub tx_carrier: u64,
    pub tx_compressed: u64,
}

pub fn parse(text: &str) -> Result<Vec<NetDev>, ParseError> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.contains('|') || name.is_empty() {
            continue;
        }
        let v: Vec<u64> = rest
            .split_whitespace()
            .map(|f| num(f, "net/dev counter"))
            .collect::<Result<_, _>>()?;
        if v.len() < 16 {
            return Err(ParseError::new(format!(
                "{name}: {} counters, need 16",
                v.len()
            )));
        }
        out.push(NetDev {
            name: name.to_string(),
            rx_bytes: v[0],
            rx_packets: v[1],
            rx_errs: v[2],
            rx_drop: v[3],
            rx_fifo: v[4],
            rx_frame: v[5],
            rx_compressed: v[6],
            rx_multicast: v[7],
            tx_bytes: v[8],
            tx_packets: v[9],
            tx_errs: v[10],
            tx_drop: v[11],
            tx_fifo: v[12],
            tx_colls: v[13],
            tx_carrier: v[14],
            tx_compressed: v[15],
        });
    }
    Ok(out)
}

pub fn read(env: &Env) -> Result<Vec<NetDev>, crate::collect::CollectError> {
    crate::collect::read_parse(env, "/proc/net/dev", parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_modern_and_glued_formats() {
        let text = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 1000 10 0 0 0 0 0 0 1000 10 0 0 0 0 0 0
  eth0:4294967296000 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
";
        let d = parse(text).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].name, "lo");
        assert_eq!(d[1].rx_bytes, 4_294_967_296_000);
        assert_eq!(d[1].tx_carrier, 15);
        assert_eq!(d[1].rx_multicast, 8);
        assert!(parse("eth0: 1 2 3\n").is_err());
        assert!(parse("eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n").is_err());
    }
}
