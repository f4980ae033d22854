//! JSON output: one document per report (JSON Lines when a command repeats).
//!
//! # Contract (`sonde/<kind>/v1`)
//!
//! Every document is an object with these keys:
//!
//! - `schema`: `"sonde/use/v1"`, `"sonde/cpu/v1"`, `"sonde/mem/v1"`, `"sonde/disk/v1"`,
//!   `"sonde/net/v1"`, `"sonde/io/v1"` or `"sonde/offcpu/v1"`. Renaming or removing a key, or changing its unit, bumps the version;
//!   adding a key does not.
//! - `host`: `{hostname, kernel, unix_time, cpus}`.
//! - `capabilities`: the probe (`psi`, `task_delayacct`, `perf_event_paranoid`, `tracefs`,
//!   `cgroup`, `schedstat`, `root`, `cap_perfmon`, `cap_net_admin`, `cap_sys_admin`,
//!   `cap_sys_ptrace`, `virtualization`), and `missing`: `[{what, cost}]`.
//! - `interval_sec`: the measured interval (from /proc/uptime).
//!
//! Then, per kind:
//!
//! - use: `summary {crit, warn, ok, not_available, worst}` and `rows`: `[{resource, instance,
//!   verdict, utilization, saturation, errors}]`, each cell `{verdict, reason, metrics: [{name,
//!   value, unit, threshold {warn, crit}, verdict, source, note}]}`. Verdicts are `"ok"`,
//!   `"warn"`, `"crit"`, `"n/a"`; units `"%"`, `"/s"`, `"B/s"`, `"ms"`, `"count"`, `""`.
//! - cpu: `cpus`: `[{cpu (null for all), online, pct}]`, `pct` being `{usr_pct, nice_pct,
//!   sys_pct, iowait_pct, irq_pct, soft_pct, steal_pct, guest_pct, gnice_pct, idle_pct}` or
//!   null (offline, or came online during the interval).
//! - mem: `memory` (`free` in KiB), `paging` (vmstat rates), `pressure` (PSI memory shares).
//! - disk: `disks`: `[{name, parallel, io_errors, rates}]`, `rates` being `{read, write,
//!   discard, flush, aqu_sz, util_pct, await_ms}` or null (device new or reset during the
//!   interval); `read`/`write`/`discard` are `{ios_per_sec, kb_per_sec, merges_per_sec,
//!   merges_pct, await_ms, req_size_kb}` (kB = 1024 bytes, as iostat), `flush` is
//!   `{ios_per_sec, await_ms}`; `discard`/`flush` are null on kernels without them.
//! - net: `nics`: `[{name, speed_mbps, rates}]`, `rates` being `{rx_packets_per_sec,
//!   tx_packets_per_sec, rx_kb_per_sec, …, util_pct}` or null; `tcp`: `{active_opens_per_sec,
//!   …, retrans_pct, listen_overflows_per_sec, listen_drops_per_sec, curr_estab}`.
//! - io: `threads` (true with `-t`), `delay_source` (`"taskstats"` or `"procfs"`), `delayacct`
//!   (false when `kernel.task_delayacct` was 0 during the interval: every `*_delay_pct` is then
//!   null, because the kernel did not measure it), `approximate` (keys that are approximations
//!   with this source: `["blkio_delay_pct"]` from /proc), `accounting_since_uptime_sec` (when
//!   `--enable-delayacct` turned accounting on, seconds after boot; else null), and
//!   `processes`: `[{pid, tid (null unless -t), user, state, comm, cpu_pct,
//!   read_bytes_per_sec, write_bytes_per_sec, read_chars_per_sec, write_chars_per_sec,
//!   cancelled_write_bytes_per_sec, io_unavailable (why the byte rates are null, or null),
//!   blkio_delay_pct, swapin_delay_pct, delayacct (false: the kernel did not measure this
//!   task's waits, because accounting was off or the task started before it was turned on;
//!   the waits are then null), delay_unavailable (why the waits are null otherwise, or null),
//!   started (began during the interval and is measured from its start), exited (ended during
//!   the interval: measured from its taskstats exit record, `state` `"X"`)}]`, busiest first
//!   (read + write bytes, then waits, then PID), and `exits`: `{listening (an exit listener
//!   was registered: root), exited (rows from exit records), lost (exit notifications the
//!   kernel dropped: those processes are missing)}`. `*_bytes_per_sec` are bytes (not kB);
//!   `*_delay_pct` are shares of the interval, summed over a process's threads (can pass 100).
//! - offcpu: `threads`, `delay_source`, `delayacct`, `approximate` (from /proc:
//!   `["blkio_pct", "off_cpu_pct", "other_sleep_pct"]`), `accounting_since_uptime_sec` and
//!   `exits` as for io; `d_state_samples` (how many times the threads' states were sampled
//!   during the interval, every 100 ms), `idle_hidden` (rows not shown: neither ran nor waited,
//!   without `--all`), `processes`: `[{pid, tid, user, comm, state, threads (threads summed in
//!   the row), wall_sec (their wall time in the interval), running_pct, runqueue_pct,
//!   off_cpu_pct, blkio_pct, swapin_pct, reclaim_pct, thrashing_pct, compaction_pct,
//!   other_sleep_pct, delayacct, d_state_pct (share of samples in D, summed over threads),
//!   top_wchan, started, exited}]`, most waiting first, and `wait_channels`: `[{wchan (null:
//!   not shown by the kernel), samples, threads, comms}]`, most samples first (at most 10).
//!   Every `*_pct` is a share of the interval (one thread's wall time), so a process can pass
//!   100; the waits can overlap and `other_sleep_pct` is the rest, never negative. The waits
//!   that need delay accounting and `other_sleep_pct` are null when `delayacct` is false.
//!
//! A value that could not be computed (counter went backwards, item new in the interval, not
//! on this kernel) is `null`, never 0. Keys carry their unit (`_pct`, `_per_sec`, `_kib`,
//! `_ms`, `_sec`); human units appear only in text output.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::collect::caps::Capabilities;
use crate::collect::host::HostInfo;
use crate::model::rate::Interval;

/// Builds one document: the common keys, then `body`'s keys.
pub fn document(
    kind: &str,
    info: &HostInfo,
    cpus: usize,
    caps: &Capabilities,
    interval: Option<&Interval>,
    body: impl Serialize,
) -> Value {
    let mut doc = Map::new();
    doc.insert("schema".into(), json!(format!("sonde/{kind}/v1")));
    doc.insert(
        "host".into(),
        json!({
            "hostname": info.hostname,
            "kernel": info.kernel,
            "unix_time": info.unix_time,
            "cpus": cpus,
        }),
    );
    doc.insert("capabilities".into(), json!(caps));
    doc.insert("missing".into(), json!(caps.missing()));
    doc.insert("interval_sec".into(), json!(interval.map(Interval::secs)));
    if let Value::Object(body) = json!(body) {
        doc.extend(body);
    }
    Value::Object(doc)
}

/// One JSON Lines record.
pub fn line(doc: &Value) -> String {
    let mut s = doc.to_string();
    s.push('\n');
    s
}
