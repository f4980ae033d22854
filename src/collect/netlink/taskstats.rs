//! `struct taskstats` (include/uapi/linux/taskstats.h), decoded by version.
//!
//! The struct is versioned and grew at its end, with one exception: version 15 (Linux 6.14.0–
//! 6.14.8 and 6.15-rc) inserted `*_delay_max`/`*_delay_min` after each delay total, shifting
//! everything behind them; version 16 moved them to the end again (kernel commit 0bf2d838de1f,
//! backported to 6.14.9). So there are two layouts: [`APPENDED`] (every version but 15) and
//! [`V15_INLINE`]. Offsets are those of a 64-bit kernel, which equal the header's explicit
//! `__attribute__((aligned(8)))` placement on every architecture since the 2006 alignment fix.
//!
//! Fields of versions 7 and 8 (2008 to Linux 4.19; every kernel Rust programs run on has at
//! least version 7) are plain values; later ones are `Option` with "(taskstats version N)".
//! Version 7 is the oldest decoded: versions 1–3 (2006) had other layouts, 4–6 lack the reclaim
//! delay. A payload
//! shorter than its version's struct is an error; a longer one (a newer kernel) is decoded as the
//! newest known version, and its length is kept in [`Taskstats::payload_bytes`].
//!
//! What fills what: for one task (`TASKSTATS_TYPE_PID`) every field; for a thread group
//! (`TASKSTATS_TYPE_AGGR_TGID`, a TGID query or the exit of the last thread) the kernel fills only
//! the delays, `ac_etime_us`, `ac_utime_us`, `ac_stime_us`, `nvcsw` and `nivcsw` (summed over
//! threads) and leaves the rest zero; see [`super::TaskstatsClient::tgid`].

use serde::Serialize;

use super::wire::{u16_at, u32_at, u64_at};
use crate::collect::ParseError;

/// `TS_COMM_LEN`.
const COMM_LEN: usize = 32;
/// Oldest version decoded.
pub const MIN_VERSION: u16 = 7;
/// Newest version whose layout this module knows.
pub const MAX_KNOWN_VERSION: u16 = 16;

/// Bits of `ac_flag` (include/uapi/linux/acct.h).
pub mod ac_flag {
    /// Forked but did not exec.
    pub const AFORK: u8 = 0x01;
    /// Used superuser privileges.
    pub const ASU: u8 = 0x02;
    /// Used compatibility mode (never set on Linux).
    pub const ACOMPAT: u8 = 0x04;
    /// Dumped core.
    pub const ACORE: u8 = 0x08;
    /// Killed by a signal.
    pub const AXSIG: u8 = 0x10;
    /// The whole thread group exited (since taskstats version 11, says the header).
    pub const AGROUP: u8 = 0x20;
}

/// One `struct taskstats`. Delays are nanoseconds, `ac_*time` microseconds, as the kernel sends
/// them. Counters wrap (a zero total with a non-zero count means the total overflowed).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Taskstats {
    pub version: u16,
    /// Length of the struct the kernel sent (its `sizeof(struct taskstats)`).
    pub payload_bytes: usize,
    /// Exit status as `wait(2)` reports it; 0 while the task runs.
    pub ac_exitcode: u32,
    /// `AFORK`, `ASU`, `ACORE`, `AXSIG`, `AGROUP`: see [`ac_flag`].
    pub ac_flag: u8,
    pub ac_nice: i8,
    /// Times the task waited for a CPU while runnable (filled from sched_info even when
    /// `kernel.task_delayacct` is 0).
    pub cpu_count: u64,
    pub cpu_delay_total_ns: u64,
    /// Synchronous block I/O waits (0 unless `kernel.task_delayacct` was 1).
    pub blkio_count: u64,
    pub blkio_delay_total_ns: u64,
    /// Swap-in (page fault I/O) waits (0 unless `kernel.task_delayacct` was 1).
    pub swapin_count: u64,
    pub swapin_delay_total_ns: u64,
    /// User + system time (`task_cputime`), in ns: the "wall-clock" running time, which on
    /// some architectures includes time stolen by the hypervisor.
    pub cpu_run_real_total_ns: u64,
    /// The scheduler's on-CPU time (`se.sum_exec_runtime`, as in /proc/PID/schedstat).
    pub cpu_run_virtual_total_ns: u64,
    /// Command name (untrusted: escape before display).
    pub ac_comm: String,
    /// Scheduling policy (`SCHED_*`).
    pub ac_sched: u8,
    pub ac_uid: u32,
    pub ac_gid: u32,
    pub ac_pid: u32,
    pub ac_ppid: u32,
    /// Start time, seconds since the epoch (saturates in 2106; see `ac_btime64_s`).
    pub ac_btime_s: u32,
    /// Elapsed time since start (for a thread group: summed over its threads).
    pub ac_etime_us: u64,
    pub ac_utime_us: u64,
    pub ac_stime_us: u64,
    pub ac_minflt: u64,
    pub ac_majflt: u64,
    /// Accumulated RSS × time, in MB·µs (the kernel's `coremem`).
    pub coremem_mb_us: u64,
    /// Accumulated virtual size × time, in MB·µs (the kernel's `virtmem`).
    pub virtmem_mb_us: u64,
    pub hiwater_rss_kib: u64,
    pub hiwater_vm_kib: u64,
    /// Bytes passed to read-like syscalls (`rchar`; the kernel rounds down to KiB).
    pub read_char_bytes: u64,
    /// Bytes passed to write-like syscalls (`wchar`; rounded down to KiB).
    pub write_char_bytes: u64,
    /// Read-like syscalls, rounded down to a multiple of 1024 by the kernel (it applies the
    /// same KiB mask as to the byte counts), so 0 for most short-lived tasks.
    pub read_syscalls: u64,
    /// Write-like syscalls, rounded down to a multiple of 1024 like `read_syscalls`.
    pub write_syscalls: u64,
    /// Bytes this task caused to be read from storage (rounded down to KiB).
    pub read_bytes: u64,
    /// Bytes this task caused to be written to storage (rounded down to KiB).
    pub write_bytes: u64,
    pub cancelled_write_bytes: u64,
    /// Voluntary context switches.
    pub nvcsw: u64,
    /// Involuntary context switches.
    pub nivcsw: u64,
    pub ac_utimescaled_us: u64,
    pub ac_stimescaled_us: u64,
    pub cpu_scaled_run_real_total_ns: u64,
    /// Direct-reclaim waits ("freepages").
    pub freepages_count: u64,
    pub freepages_delay_total_ns: u64,
    /// Thrashing (refault) waits (taskstats version 9, Linux 4.20).
    pub thrashing_count: Option<u64>,
    pub thrashing_delay_total_ns: Option<u64>,
    /// Start time, seconds since the epoch, 64-bit (taskstats version 10).
    pub ac_btime64_s: Option<u64>,
    /// Memory-compaction waits (taskstats version 11).
    pub compact_count: Option<u64>,
    pub compact_delay_total_ns: Option<u64>,
    /// Thread group id (taskstats version 12).
    pub ac_tgid: Option<u32>,
    /// Thread-group elapsed time so far (taskstats version 12).
    pub ac_tgetime_us: Option<u64>,
    /// Device (`huge_encode_dev`) and inode of the executable (taskstats version 12).
    pub ac_exe_dev: Option<u64>,
    pub ac_exe_inode: Option<u64>,
    /// Write-protect-copy (copy-on-write fault) waits (taskstats version 13).
    pub wpcopy_count: Option<u64>,
    pub wpcopy_delay_total_ns: Option<u64>,
    /// Waits for IRQ/softirq work done in the task's context (taskstats version 14).
    pub irq_count: Option<u64>,
    pub irq_delay_total_ns: Option<u64>,
    /// Longest and shortest single delay of each kind (taskstats version 15).
    pub delay_peaks: Option<DelayPeaks>,
}

impl Taskstats {
    /// Exit code if the task exited normally (`WIFEXITED`).
    pub fn exit_code(&self) -> Option<i32> {
        (self.ac_exitcode & 0x7f == 0).then_some(((self.ac_exitcode >> 8) & 0xff) as i32)
    }

    /// Signal number if the task was killed by a signal (`WIFSIGNALED`).
    pub fn exit_signal(&self) -> Option<i32> {
        let sig = self.ac_exitcode & 0x7f;
        (sig != 0 && sig != 0x7f).then_some(sig as i32)
    }
}

/// `*_delay_max` / `*_delay_min` (taskstats version 15): the longest and shortest single wait
/// seen since the task started (0 when there was none). For a thread group the kernel copies one
/// thread's values (the last it visits) instead of taking the group's extremes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DelayPeaks {
    pub cpu_delay_max_ns: u64,
    pub cpu_delay_min_ns: u64,
    pub blkio_delay_max_ns: u64,
    pub blkio_delay_min_ns: u64,
    pub swapin_delay_max_ns: u64,
    pub swapin_delay_min_ns: u64,
    pub freepages_delay_max_ns: u64,
    pub freepages_delay_min_ns: u64,
    pub thrashing_delay_max_ns: u64,
    pub thrashing_delay_min_ns: u64,
    pub compact_delay_max_ns: u64,
    pub compact_delay_min_ns: u64,
    pub wpcopy_delay_max_ns: u64,
    pub wpcopy_delay_min_ns: u64,
    pub irq_delay_max_ns: u64,
    pub irq_delay_min_ns: u64,
}

/// Byte offsets of the field groups of one layout. Each delay kind is `count, total` (and, in
/// version 15, `max, min` right after them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub cpu: usize,
    pub blkio: usize,
    pub swapin: usize,
    /// `cpu_run_real_total`, then `cpu_run_virtual_total`.
    pub cpu_run: usize,
    pub comm: usize,
    pub sched: usize,
    /// `ac_uid`, `ac_gid`, `ac_pid`, `ac_ppid`, `ac_btime`: five u32.
    pub uid: usize,
    /// `ac_etime` … `cpu_scaled_run_real_total`: 21 u64.
    pub etime: usize,
    pub freepages: usize,
    pub thrashing: usize,
    pub btime64: usize,
    pub compact: usize,
    /// `ac_tgid` (u32), then `ac_tgetime`, `ac_exe_dev`, `ac_exe_inode` from `tgetime`.
    pub tgid: usize,
    pub tgetime: usize,
    pub wpcopy: usize,
    pub irq: usize,
    /// Where the 16 max/min values are: `None` = after each kind's total (version 15).
    pub peaks_appended: Option<usize>,
}

/// Every version but 15: fields only ever appended.
pub const APPENDED: Layout = Layout {
    cpu: 16,
    blkio: 32,
    swapin: 48,
    cpu_run: 64,
    comm: 80,
    sched: 112,
    uid: 120,
    etime: 144,
    freepages: 312,
    thrashing: 328,
    btime64: 344,
    compact: 352,
    tgid: 368,
    tgetime: 376,
    wpcopy: 400,
    irq: 416,
    peaks_appended: Some(432),
};

/// Version 15: max and min inserted after each delay total.
pub const V15_INLINE: Layout = Layout {
    cpu: 16,
    blkio: 48,
    swapin: 80,
    cpu_run: 112,
    comm: 128,
    sched: 160,
    uid: 168,
    etime: 192,
    freepages: 360,
    thrashing: 392,
    btime64: 424,
    compact: 432,
    tgid: 464,
    tgetime: 472,
    wpcopy: 496,
    irq: 528,
    peaks_appended: None,
};

/// `sizeof(struct taskstats)` of each version (64-bit), or `None` below [`MIN_VERSION`].
pub fn struct_size(version: u16) -> Option<usize> {
    Some(match version {
        0..MIN_VERSION => return None,
        7 | 8 => 328,
        9 => 344,
        10 => 352,
        11 => 368,
        12 => 400,
        13 => 416,
        14 => 432,
        _ => 560,
    })
}

/// Decodes the value of a `TASKSTATS_TYPE_STATS` attribute.
pub fn parse_taskstats(payload: &[u8]) -> Result<Taskstats, ParseError> {
    let version = u16_at(payload, 0, "taskstats version")?;
    let need = struct_size(version).ok_or_else(|| {
        ParseError::new(format!(
            "taskstats version {version} is older than {MIN_VERSION} (2008); its layout is not decoded"
        ))
    })?;
    if payload.len() < need {
        return Err(ParseError::new(format!(
            "taskstats version {version} needs {need} bytes, the payload has {}",
            payload.len()
        )));
    }
    let l = if version == 15 { V15_INLINE } else { APPENDED };
    let p = payload;
    let u64f = |off: usize, what: &str| u64_at(p, off, what);
    let u32f = |off: usize, what: &str| u32_at(p, off, what);
    // Fields of a later version than the payload's are None.
    let since = |v: u16, off: usize, what: &str| -> Result<Option<u64>, ParseError> {
        if version >= v {
            u64f(off, what).map(Some)
        } else {
            Ok(None)
        }
    };
    let comm = p.get(l.comm..l.comm + COMM_LEN).unwrap_or_default();
    let comm_end = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
    let e = |i: usize, what: &str| u64f(l.etime + 8 * i, what);
    let byte = |off: usize| p.get(off).copied().unwrap_or_default();

    let delay_peaks = if version >= 15 {
        // Order: cpu, blkio, swapin, freepages, thrashing, compact, wpcopy, irq.
        let kinds = [
            l.cpu,
            l.blkio,
            l.swapin,
            l.freepages,
            l.thrashing,
            l.compact,
            l.wpcopy,
            l.irq,
        ];
        let mut v = [0u64; 16];
        for (i, kind) in kinds.iter().enumerate() {
            let (max_off, min_off) = match l.peaks_appended {
                Some(base) => (base + 16 * i, base + 16 * i + 8),
                None => (kind + 16, kind + 24),
            };
            v[2 * i] = u64f(max_off, "delay max")?;
            v[2 * i + 1] = u64f(min_off, "delay min")?;
        }
        Some(DelayPeaks {
            cpu_delay_max_ns: v[0],
            cpu_delay_min_ns: v[1],
            blkio_delay_max_ns: v[2],
            blkio_delay_min_ns: v[3],
            swapin_delay_max_ns: v[4],
            swapin_delay_min_ns: v[5],
            freepages_delay_max_ns: v[6],
            freepages_delay_min_ns: v[7],
            thrashing_delay_max_ns: v[8],
            thrashing_delay_min_ns: v[9],
            compact_delay_max_ns: v[10],
            compact_delay_min_ns: v[11],
            wpcopy_delay_max_ns: v[12],
            wpcopy_delay_min_ns: v[13],
            irq_delay_max_ns: v[14],
            irq_delay_min_ns: v[15],
        })
    } else {
        None
    };

    Ok(Taskstats {
        version,
        payload_bytes: p.len(),
        ac_exitcode: u32f(4, "ac_exitcode")?,
        ac_flag: byte(8),
        ac_nice: byte(9) as i8,
        cpu_count: u64f(l.cpu, "cpu_count")?,
        cpu_delay_total_ns: u64f(l.cpu + 8, "cpu_delay_total")?,
        blkio_count: u64f(l.blkio, "blkio_count")?,
        blkio_delay_total_ns: u64f(l.blkio + 8, "blkio_delay_total")?,
        swapin_count: u64f(l.swapin, "swapin_count")?,
        swapin_delay_total_ns: u64f(l.swapin + 8, "swapin_delay_total")?,
        cpu_run_real_total_ns: u64f(l.cpu_run, "cpu_run_real_total")?,
        cpu_run_virtual_total_ns: u64f(l.cpu_run + 8, "cpu_run_virtual_total")?,
        ac_comm: String::from_utf8_lossy(comm.get(..comm_end).unwrap_or_default()).into_owned(),
        ac_sched: byte(l.sched),
        ac_uid: u32f(l.uid, "ac_uid")?,
        ac_gid: u32f(l.uid + 4, "ac_gid")?,
        ac_pid: u32f(l.uid + 8, "ac_pid")?,
        ac_ppid: u32f(l.uid + 12, "ac_ppid")?,
        ac_btime_s: u32f(l.uid + 16, "ac_btime")?,
        ac_etime_us: e(0, "ac_etime")?,
        ac_utime_us: e(1, "ac_utime")?,
        ac_stime_us: e(2, "ac_stime")?,
        ac_minflt: e(3, "ac_minflt")?,
        ac_majflt: e(4, "ac_majflt")?,
        coremem_mb_us: e(5, "coremem")?,
        virtmem_mb_us: e(6, "virtmem")?,
        hiwater_rss_kib: e(7, "hiwater_rss")?,
        hiwater_vm_kib: e(8, "hiwater_vm")?,
        read_char_bytes: e(9, "read_char")?,
        write_char_bytes: e(10, "write_char")?,
        read_syscalls: e(11, "read_syscalls")?,
        write_syscalls: e(12, "write_syscalls")?,
        read_bytes: e(13, "read_bytes")?,
        write_bytes: e(14, "write_bytes")?,
        cancelled_write_bytes: e(15, "cancelled_write_bytes")?,
        nvcsw: e(16, "nvcsw")?,
        nivcsw: e(17, "nivcsw")?,
        ac_utimescaled_us: e(18, "ac_utimescaled")?,
        ac_stimescaled_us: e(19, "ac_stimescaled")?,
        cpu_scaled_run_real_total_ns: e(20, "cpu_scaled_run_real_total")?,
        freepages_count: u64f(l.freepages, "freepages_count")?,
        freepages_delay_total_ns: u64f(l.freepages + 8, "freepages_delay_total")?,
        thrashing_count: since(9, l.thrashing, "thrashing_count")?,
        thrashing_delay_total_ns: since(9, l.thrashing + 8, "thrashing_delay_total")?,
        ac_btime64_s: since(10, l.btime64, "ac_btime64")?,
        compact_count: since(11, l.compact, "compact_count")?,
        compact_delay_total_ns: since(11, l.compact + 8, "compact_delay_total")?,
        ac_tgid: if version >= 12 {
            Some(u32f(l.tgid, "ac_tgid")?)
        } else {
            None
        },
        ac_tgetime_us: since(12, l.tgetime, "ac_tgetime")?,
        ac_exe_dev: since(12, l.tgetime + 8, "ac_exe_dev")?,
        ac_exe_inode: since(12, l.tgetime + 16, "ac_exe_inode")?,
        wpcopy_count: since(13, l.wpcopy, "wpcopy_count")?,
        wpcopy_delay_total_ns: since(13, l.wpcopy + 8, "wpcopy_delay_total")?,
        irq_count: since(14, l.irq, "irq_count")?,
        irq_delay_total_ns: since(14, l.irq + 8, "irq_delay_total")?,
        delay_peaks,
    })
}

#[cfg(test)]
#[path = "taskstats_layout_tests.rs"]
mod tests;
