//! JSON output: one document per report (JSON Lines when a command repeats).
//!
//! # Contract (`sonde/<kind>/v1`)
//!
//! Every document is an object with these keys:
//!
//! - `schema`: `"sonde/use/v1"`, `"sonde/cpu/v1"`, `"sonde/mem/v1"`, `"sonde/disk/v1"` or
//!   `"sonde/net/v1"`. Renaming or removing a key, or changing its unit, bumps the version;
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
