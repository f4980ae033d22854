//! /proc/diskstats: cumulative I/O counters per block device.
//!
//! Layout: `major minor name` then 11 fields (Linux 2.6+), 15 (discard, since 4.18) or 17
//! (flush, since 5.5). Kernels before 2.6.25 printed partitions with only 4 fields (reads,
//! read sectors, writes, write sectors). Sectors are 512 bytes; `*_ticks` are milliseconds.

use crate::collect::{ParseError, num};
use crate::env::Env;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DiskStat {
    pub major: u32,
    pub minor: u32,
    pub name: String,
    pub rd_ios: u64,
    pub rd_merges: u64,
    pub rd_sectors: u64,
    pub rd_ticks_ms: u64,
    pub wr_ios: u64,
    pub wr_merges: u64,
    pub wr_sectors: u64,
    pub wr_ticks_ms: u64,
    pub in_flight: u64,
    pub io_ticks_ms: u64,
    /// Weighted time (`time_in_queue`).
    pub rq_ticks_ms: u64,
    /// Discard counters (since Linux 4.18).
    pub discard: Option<DiscardStat>,
    /// Flush counters (since Linux 5.5).
    pub flush: Option<FlushStat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DiscardStat {
    pub dc_ios: u64,
    pub dc_merges: u64,
    pub dc_sectors: u64,
    pub dc_ticks_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct FlushStat {
    pub fl_ios: u64,
    pub fl_ticks_ms: u64,
}

impl DiskStat {
    /// Never did any I/O since boot (iostat hides such devices).
    pub fn is_unused(&self) -> bool {
        self.rd_ios == 0
            && self.wr_ios == 0
            && self.discard.is_none_or(|d| d.dc_ios == 0)
            && self.flush.is_none_or(|f| f.fl_ios == 0)
    }
}

fn parse_line(line: &str) -> Result<Option<DiskStat>, ParseError> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.is_empty() {
        return Ok(None);
    }
    if f.len() < 3 {
        return Err(ParseError::new(format!("short line {line:?}")));
    }
    let n = |i: usize| num(f[i], "diskstats field");
    let mut d = DiskStat {
        major: num(f[0], "major")? as u32,
        minor: num(f[1], "minor")? as u32,
        name: f[2].to_string(),
        ..DiskStat::default()
    };
    match f.len() {
        7 => {
            // Pre-2.6.25 partition line: reads, read sectors, writes, write sectors.
            d.rd_ios = n(3)?;
            d.rd_sectors = n(4)?;
            d.wr_ios = n(5)?;
            d.wr_sectors = n(6)?;
        }
        len if len >= 14 => {
            d.rd_ios = n(3)?;
            d.rd_merges = n(4)?;
            d.rd_sectors = n(5)?;
            d.rd_ticks_ms = n(6)?;
            d.wr_ios = n(7)?;
            d.wr_merges = n(8)?;
            d.wr_sectors = n(9)?;
            d.wr_ticks_ms = n(10)?;
            d.in_flight = n(11)?;
            d.io_ticks_ms = n(12)?;
            d.rq_ticks_ms = n(13)?;
            if len >= 18 {
                d.discard = Some(DiscardStat {
                    dc_ios: n(14)?,
                    dc_merges: n(15)?,
                    dc_sectors: n(16)?,
                    dc_ticks_ms: n(17)?,
                });
            }
            if len >= 20 {
                d.flush = Some(FlushStat {
                    fl_ios: n(18)?,
                    fl_ticks_ms: n(19)?,
                });
            }
        }
        len => return Err(ParseError::new(format!("{len} fields in {line:?}"))),
    }
    Ok(Some(d))
}

pub fn parse(text: &str) -> Result<Vec<DiskStat>, ParseError> {
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(d) = parse_line(line)? {
            out.push(d);
        }
    }
    Ok(out)
}

pub fn read(env: &Env) -> Result<Vec<DiskStat>, crate::collect::CollectError> {
    crate::collect::read_parse(env, "/proc/diskstats", parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kernel_generation() {
        let text = "\
 253       0 vda 13567 4425 1166814 5384 96418 58745 4410552 61533 0 99516 68634 0 0 0 0 12345 1716
 259       0 nvme0n1 100 0 800 10 200 0 1600 20 1 30 40 5 0 80 2
   8       0 sda 1 2 3 4 5 6 7 8 9 10 11
   8       1 sda1 10 20 30 40
";
        let d = parse(text).unwrap();
        assert_eq!(d.len(), 4);
        assert_eq!(d[0].name, "vda");
        assert_eq!(d[0].wr_sectors, 4410552);
        assert_eq!(
            d[0].flush,
            Some(FlushStat {
                fl_ios: 12345,
                fl_ticks_ms: 1716
            })
        );
        assert_eq!(d[1].discard.map(|x| x.dc_sectors), Some(80));
        assert!(d[1].flush.is_none());
        assert!(d[2].discard.is_none());
        assert_eq!(d[2].rq_ticks_ms, 11);
        assert_eq!(
            (d[3].rd_ios, d[3].rd_sectors, d[3].wr_ios, d[3].wr_sectors),
            (10, 20, 30, 40)
        );
    }

    #[test]
    fn very_long_device_name() {
        let name = "dm-".to_string() + &"x".repeat(200);
        let d = parse(&format!("252 0 {name} 1 0 8 1 0 0 0 0 0 1 1\n")).unwrap();
        assert_eq!(d[0].name, name);
    }

    #[test]
    fn unused_devices_and_bad_lines() {
        let d = parse("7 0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n").unwrap();
        assert!(d[0].is_unused());
        assert!(parse("8 0 sda 1 2 3\n").is_err());
        assert!(parse("8 0 sda 1 2 x 4 5 6 7 8 9 10 11\n").is_err());
        assert!(parse("8 0\n").is_err());
    }
}
