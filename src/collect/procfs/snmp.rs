//! /proc/net/snmp and /proc/net/netstat: protocol counters as header/value line pairs.
//!
//! Both files repeat each prefix twice: `Tcp: RtoAlgorithm RtoMin …` then `Tcp: 1 200 …`.
//! [`parse`] pairs them generically; [`Tcp`] picks the counters sonde uses.

use std::collections::BTreeMap;

use crate::collect::{CollectError, ParseError};
use crate::env::Env;
use serde::Serialize;

/// `(prefix, name) → value`, e.g. `("Tcp", "RetransSegs") → 42`. Values can be negative
/// (`Tcp: MaxConn -1`).
pub type Counters = BTreeMap<(String, String), i64>;

pub fn parse(text: &str) -> Result<Counters, ParseError> {
    let mut out = Counters::new();
    let mut lines = text.lines();
    while let Some(head) = lines.next() {
        let Some((prefix, names)) = head.split_once(':') else {
            continue;
        };
        let Some(values) = lines.next() else {
            return Err(ParseError::new(format!("{prefix}: header without values")));
        };
        let Some((vprefix, values)) = values.split_once(':') else {
            return Err(ParseError::new(format!(
                "{prefix}: value line has no prefix"
            )));
        };
        if vprefix != prefix {
            return Err(ParseError::new(format!("{prefix}: followed by {vprefix}")));
        }
        let names: Vec<&str> = names.split_whitespace().collect();
        let values: Vec<&str> = values.split_whitespace().collect();
        if names.len() != values.len() {
            return Err(ParseError::new(format!(
                "{prefix}: {} names, {} values",
                names.len(),
                values.len()
            )));
        }
        for (n, v) in names.iter().zip(values) {
            let v: i64 = match v.parse::<i64>() {
                Ok(x) => x,
                // Counters above i64::MAX do not occur in practice; clamp rather than fail.
                Err(_) => v
                    .parse::<u64>()
                    .map(|u| i64::try_from(u).unwrap_or(i64::MAX))
                    .map_err(|_| ParseError::new(format!("{prefix} {n}: {v:?}")))?,
            };
            out.insert((prefix.to_string(), (*n).to_string()), v);
        }
    }
    Ok(out)
}

/// The TCP counters sonde reports (cumulative since boot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Tcp {
    pub active_opens: u64,
    pub passive_opens: u64,
    pub attempt_fails: u64,
    pub estab_resets: u64,
    pub curr_estab: u64,
    pub in_segs: u64,
    pub out_segs: u64,
    pub retrans_segs: u64,
    pub in_errs: u64,
    pub out_rsts: u64,
    /// From /proc/net/netstat TcpExt (absent on very old kernels).
    pub listen_overflows: Option<u64>,
    pub listen_drops: Option<u64>,
    pub timeouts: Option<u64>,
}

impl Tcp {
    pub fn from_counters(snmp: &Counters, netstat: Option<&Counters>) -> Tcp {
        let get = |c: &Counters, p: &str, n: &str| {
            c.get(&(p.to_string(), n.to_string()))
                .map(|v| u64::try_from(*v).unwrap_or(0))
        };
        let tcp = |n: &str| get(snmp, "Tcp", n).unwrap_or(0);
        let ext = |n: &str| netstat.and_then(|c| get(c, "TcpExt", n));
        Tcp {
            active_opens: tcp("ActiveOpens"),
            passive_opens: tcp("PassiveOpens"),
            attempt_fails: tcp("AttemptFails"),
            estab_resets: tcp("EstabResets"),
            curr_estab: tcp("CurrEstab"),
            in_segs: tcp("InSegs"),
            out_segs: tcp("OutSegs"),
            retrans_segs: tcp("RetransSegs"),
            in_errs: tcp("InErrs"),
            out_rsts: tcp("OutRsts"),
            listen_overflows: ext("ListenOverflows"),
            listen_drops: ext("ListenDrops"),
            timeouts: ext("TCPTimeouts"),
        }
    }
}

pub fn read_tcp(env: &Env) -> Result<Tcp, CollectError> {
    let snmp = crate::collect::read_parse(env, "/proc/net/snmp", parse)?;
    let netstat = crate::collect::read_parse_optional(env, "/proc/net/netstat", parse)?;
    Ok(Tcp::from_counters(&snmp, netstat.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_header_and_values() {
        let snmp = parse(
            "Ip: Forwarding DefaultTTL\nIp: 1 64\n\
             Tcp: RtoAlgorithm MaxConn ActiveOpens RetransSegs InErrs\nTcp: 1 -1 10 3 2\n",
        )
        .unwrap();
        let netstat = parse("TcpExt: ListenOverflows ListenDrops\nTcpExt: 4 5\n").unwrap();
        let t = Tcp::from_counters(&snmp, Some(&netstat));
        assert_eq!((t.active_opens, t.retrans_segs, t.in_errs), (10, 3, 2));
        assert_eq!((t.listen_overflows, t.listen_drops), (Some(4), Some(5)));
        assert_eq!(snmp.get(&("Tcp".into(), "MaxConn".into())), Some(&-1));
        assert_eq!(Tcp::from_counters(&snmp, None).listen_drops, None);
    }

    #[test]
    fn malformed_pairs_are_errors() {
        assert!(parse("Tcp: A B\n").is_err());
        assert!(parse("Tcp: A B\nUdp: 1 2\n").is_err());
        assert!(parse("Tcp: A B\nTcp: 1\n").is_err());
        assert!(parse("Tcp: A\nTcp: x\n").is_err());
    }
}
