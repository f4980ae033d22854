//! /proc/vmstat: paging, swapping, reclaim and OOM counters (cumulative since boot).
//!
//! Reclaim counter names changed over time (`allocstall` split per zone in 4.8, then per
//! node); sonde sums whatever family is present.

use crate::collect::{ParseError, num};
use crate::env::Env;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct VmStat {
    /// Pages swapped in / out.
    pub pswpin: u64,
    pub pswpout: u64,
    /// KiB paged in / out from block devices (vmstat's bi/bo).
    pub pgpgin_kib: u64,
    pub pgpgout_kib: u64,
    pub pgfault: u64,
    pub pgmajfault: u64,
    /// Sum of pgscan_direct* (pages scanned by direct reclaim).
    pub pgscan_direct: u64,
    /// Sum of pgscan_kswapd*.
    pub pgscan_kswapd: u64,
    /// Sum of allocstall* (direct reclaim entries).
    pub allocstall: u64,
    /// OOM kills (since Linux 4.13).
    pub oom_kill: Option<u64>,
}

pub fn parse(text: &str) -> Result<VmStat, ParseError> {
    let mut v = VmStat::default();
    let mut fields = 0;
    for line in text.lines() {
        let Some((key, val)) = line.split_once(' ') else {
            continue;
        };
        let n = num(val.trim(), key)?;
        fields += 1;
        match key {
            "pswpin" => v.pswpin = n,
            "pswpout" => v.pswpout = n,
            "pgpgin" => v.pgpgin_kib = n,
            "pgpgout" => v.pgpgout_kib = n,
            "pgfault" => v.pgfault = n,
            "pgmajfault" => v.pgmajfault = n,
            "oom_kill" => v.oom_kill = Some(n),
            k if k.starts_with("pgscan_direct") && !k.ends_with("_throttle") => {
                v.pgscan_direct += n
            }
            k if k.starts_with("pgscan_kswapd") => v.pgscan_kswapd += n,
            k if k.starts_with("allocstall") => v.allocstall += n,
            _ => {}
        }
    }
    if fields == 0 {
        return Err(ParseError::new("empty"));
    }
    Ok(v)
}

pub fn read(env: &Env) -> Result<VmStat, crate::collect::CollectError> {
    crate::collect::read_parse(env, "/proc/vmstat", parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_per_zone_families() {
        let v = parse(
            "pswpin 5\npswpout 6\npgmajfault 7\noom_kill 1\nallocstall_dma 1\nallocstall_normal 2\n\
             pgscan_direct_normal 10\npgscan_direct_movable 5\npgscan_direct_throttle 99\n",
        )
        .unwrap();
        assert_eq!((v.pswpin, v.pswpout, v.pgmajfault), (5, 6, 7));
        assert_eq!(v.allocstall, 3);
        assert_eq!(v.pgscan_direct, 15);
        assert_eq!(v.oom_kill, Some(1));
        // 4.9 kernels have no oom_kill line.
        assert_eq!(parse("pswpin 1\n").unwrap().oom_kill, None);
        assert!(parse("").is_err());
        assert!(parse("pswpin lots\n").is_err());
    }
}
