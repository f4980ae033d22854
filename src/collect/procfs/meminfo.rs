//! /proc/meminfo: memory sizes in KiB (the kernel writes "kB" but means 1024 bytes).
//!
//! Fields that appeared in later kernels are `Option`.

use crate::collect::{ParseError, num};
use crate::env::Env;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MemInfo {
    pub mem_total_kib: u64,
    pub mem_free_kib: u64,
    /// (since Linux 3.14)
    pub mem_available_kib: Option<u64>,
    pub buffers_kib: u64,
    pub cached_kib: u64,
    pub swap_cached_kib: u64,
    pub active_kib: u64,
    pub inactive_kib: u64,
    pub swap_total_kib: u64,
    pub swap_free_kib: u64,
    pub dirty_kib: u64,
    pub writeback_kib: u64,
    pub anon_pages_kib: u64,
    pub mapped_kib: u64,
    /// (since Linux 2.6.32)
    pub shmem_kib: Option<u64>,
    pub slab_kib: u64,
    /// (since Linux 2.6.19)
    pub s_reclaimable_kib: Option<u64>,
    pub committed_as_kib: u64,
    pub commit_limit_kib: Option<u64>,
    pub huge_pages_total: Option<u64>,
    pub huge_pages_free: Option<u64>,
    pub hugepage_size_kib: Option<u64>,
}

pub fn parse(text: &str) -> Result<MemInfo, ParseError> {
    let mut m = MemInfo::default();
    let mut seen_total = false;
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let Some(v) = rest.split_whitespace().next() else {
            continue;
        };
        let v = num(v, key)?;
        match key {
            "MemTotal" => {
                m.mem_total_kib = v;
                seen_total = true;
            }
            "MemFree" => m.mem_free_kib = v,
            "MemAvailable" => m.mem_available_kib = Some(v),
            "Buffers" => m.buffers_kib = v,
            "Cached" => m.cached_kib = v,
            "SwapCached" => m.swap_cached_kib = v,
            "Active" => m.active_kib = v,
            "Inactive" => m.inactive_kib = v,
            "SwapTotal" => m.swap_total_kib = v,
            "SwapFree" => m.swap_free_kib = v,
            "Dirty" => m.dirty_kib = v,
            "Writeback" => m.writeback_kib = v,
            "AnonPages" => m.anon_pages_kib = v,
            "Mapped" => m.mapped_kib = v,
            "Shmem" => m.shmem_kib = Some(v),
            "Slab" => m.slab_kib = v,
            "SReclaimable" => m.s_reclaimable_kib = Some(v),
            "Committed_AS" => m.committed_as_kib = v,
            "CommitLimit" => m.commit_limit_kib = Some(v),
            "HugePages_Total" => m.huge_pages_total = Some(v),
            "HugePages_Free" => m.huge_pages_free = Some(v),
            "Hugepagesize" => m.hugepage_size_kib = Some(v),
            _ => {}
        }
    }
    if !seen_total {
        return Err(ParseError::new("no MemTotal"));
    }
    Ok(m)
}

pub fn read(env: &Env) -> Result<MemInfo, crate::collect::CollectError> {
    crate::collect::read_parse(env, "/proc/meminfo", parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_keeps_old_kernel_gaps_as_none() {
        let m = parse(
            "MemTotal:       24634776 kB\nMemFree:        23000000 kB\nMemAvailable:   23500000 kB\n\
             Buffers:           10000 kB\nCached:           500000 kB\nSReclaimable:      30000 kB\n\
             HugePages_Total:       0\n",
        )
        .unwrap();
        assert_eq!(m.mem_total_kib, 24634776);
        assert_eq!(m.mem_available_kib, Some(23500000));
        assert_eq!(m.huge_pages_total, Some(0));
        // A 3.10 kernel has no MemAvailable.
        let old = parse("MemTotal: 100 kB\nMemFree: 50 kB\n").unwrap();
        assert_eq!(old.mem_available_kib, None);
        assert_eq!(old.shmem_kib, None);
        assert!(parse("MemFree: 1 kB\n").is_err());
        assert!(parse("MemTotal: x kB\n").is_err());
    }
}
