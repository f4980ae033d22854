//! sonde against the real sysstat tools on real workloads.
//!
//! Each test loads the machine (fio, stress-ng, loopback TCP), takes a capture with the real
//! `sonde capture DIR 1 2`, then compares in two ways:
//!
//! - **Same instant, exact.** The peer (`iostat -x`, `mpstat -P ALL`, `sar -n
//!   DEV,EDEV,TCP,ETCP`) runs on the very files sonde captured (served by the [`crate::peer`]
//!   harness), and `sonde --root DIR` replays them. Inputs are byte-identical, so every column
//!   must agree to the printed precision (2 decimals): no tolerance.
//! - **Live, side by side.** sonde and the peer sample the live host over the same 2-second
//!   interval, started together. They read their files a few milliseconds apart, so a tolerance
//!   is stated per column; the workloads are rate-limited to keep the rates steady.
//!
//! All of these hold [`crate::LIVE_LOCK`] so no two loads overlap.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::peer;
use crate::support::{bin, skip_or_fail, sonde_ok};

fn lock() -> MutexGuard<'static, ()> {
    crate::LIVE_LOCK
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// A background load that is killed when dropped, even if the test fails.
struct Load(Child);

impl Drop for Load {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(cmd: &[&str]) -> Load {
    let child = Command::new(cmd[0])
        .args(&cmd[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    Load(child)
}

/// `sonde capture DIR 1 2` with the real binary.
fn capture(dir: &Path) {
    let target = dir.join("cap");
    let out = Command::new(bin())
        .args(["capture", target.to_str().unwrap(), "1", "2"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sonde capture: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn usable(test: &str, peers: &[&str]) -> bool {
    match peer::environment_problem(peers) {
        None => true,
        Some(why) => {
            skip_or_fail(test, &why);
            false
        }
    }
}

/// sonde's value printed with 2 decimals equals the peer's printed value.
fn same_printed(what: &str, sonde: f64, peer: f64, bad: &mut Vec<String>) {
    let (s, p) = (format!("{sonde:.2}"), format!("{peer:.2}"));
    if s != p {
        bad.push(format!("{what}: sonde {s} vs peer {p}"));
    }
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(sonde_ok(args).lines().last().expect("a JSON line")).expect("JSON")
}

/// Runs sonde and a peer over the same live interval; returns (sonde JSON, peer stdout).
fn side_by_side(sonde_args: &[&str], peer_args: &[&str]) -> (Value, String) {
    let p = Command::new(peer_args[0])
        .args(&peer_args[1..])
        .envs(peer::PEER_ENV.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start peer");
    let s = json(sonde_args);
    let out = p.wait_with_output().expect("peer output");
    assert!(
        out.status.success(),
        "{peer_args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (s, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn within(what: &str, sonde: f64, peer: f64, rel: f64, abs: f64) {
    let ok = (sonde - peer).abs() <= abs.max(rel * peer.abs());
    assert!(
        ok,
        "{what}: sonde {sonde:.2} vs peer {peer:.2} (tolerance {rel} rel, {abs} abs)"
    );
}

const IOSTAT_DIR_COLS: [(&str, &str); 6] = [
    ("/s", "ios_per_sec"),
    ("kB/s", "kb_per_sec"),
    ("rqm/s", "merges_per_sec"),
    ("%rqm", "merges_pct"),
    ("_await", "await_ms"),
    ("areq-sz", "req_size_kb"),
];

fn iostat_name(dir: &str, col: &str) -> String {
    match col.strip_prefix('%') {
        Some(rest) => format!("%{dir}{rest}"),
        None => format!("{dir}{col}"),
    }
}

#[test]
fn disk_matches_iostat_under_fio() {
    let test = "disk_matches_iostat_under_fio";
    let _guard = lock();
    if !usable(test, &["iostat", "fio"]) {
        return;
    }
    let work = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let file = work.path().join("fio.dat");
    let fio = |secs: &str| {
        start(&[
            "fio",
            "--name=sonde-test",
            &format!("--filename={}", file.display()),
            "--size=64M",
            "--rw=randrw",
            "--rwmixread=30",
            "--bs=4k",
            "--direct=1",
            "--ioengine=psync",
            "--rate_iops=600,1400",
            "--time_based",
            &format!("--runtime={secs}"),
        ])
    };
    let load = fio("12");
    thread::sleep(Duration::from_secs(2)); // fio lays out its file first
    capture(work.path());

    // Same instant: iostat on the captured files, sonde replaying them.
    let cap = work.path().join("cap");
    let out = peer::run_iostat_x(&cap).expect("iostat on the capture");
    let io = peer::parse_iostat_x(&out).expect("parse iostat");
    let s = json(&["--root", cap.to_str().unwrap(), "--json", "disk", "1", "1"]);
    let disks = s["disks"].as_array().expect("disks");
    let busiest = disks
        .iter()
        .max_by(|a, b| {
            let w = |d: &Value| d["rates"]["write"]["ios_per_sec"].as_f64().unwrap_or(0.0);
            w(a).total_cmp(&w(b))
        })
        .expect("a disk");
    let dev = busiest["name"].as_str().unwrap();
    let r = &busiest["rates"];
    assert!(
        r["write"]["ios_per_sec"].as_f64().unwrap() > 200.0,
        "fio's writes are visible: {r}"
    );
    assert!(
        r["read"]["ios_per_sec"].as_f64().unwrap() > 100.0,
        "fio's reads are visible: {r}"
    );
    let mut bad = Vec::new();
    let mut compared = 0;
    for (d, key) in [("r", "read"), ("w", "write"), ("d", "discard")] {
        if r[key].is_null() {
            continue;
        }
        for (col, field) in IOSTAT_DIR_COLS {
            let name = iostat_name(d, col);
            let p = io.value(dev, &name).expect("peer column");
            same_printed(
                &format!("{dev} {name}"),
                r[key][field].as_f64().unwrap(),
                p,
                &mut bad,
            );
            compared += 1;
        }
    }
    if !r["flush"].is_null() {
        same_printed(
            "f/s",
            r["flush"]["ios_per_sec"].as_f64().unwrap(),
            io.value(dev, "f/s").unwrap(),
            &mut bad,
        );
        same_printed(
            "f_await",
            r["flush"]["await_ms"].as_f64().unwrap(),
            io.value(dev, "f_await").unwrap(),
            &mut bad,
        );
        compared += 2;
    }
    same_printed(
        "aqu-sz",
        r["aqu_sz"].as_f64().unwrap(),
        io.value(dev, "aqu-sz").unwrap(),
        &mut bad,
    );
    same_printed(
        "%util",
        r["util_pct"].as_f64().unwrap(),
        io.value(dev, "%util").unwrap(),
        &mut bad,
    );
    compared += 2;
    assert!(
        bad.is_empty(),
        "iostat -x disagrees on identical input:\n{}",
        bad.join("\n")
    );
    assert!(compared >= 16, "compared only {compared} columns");

    // Live, side by side over 2 s: fio's rate limiter keeps r/s and w/s steady; the two tools
    // read /proc a few ms apart, so allow 10 %.
    let (s, out) = side_by_side(
        &["--json", "disk", "2", "1"],
        &["iostat", "-x", "-d", "-y", "-p", "ALL", "2", "1"],
    );
    let io = peer::parse_iostat_x(&out).expect("parse live iostat");
    let d = s["disks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == dev)
        .expect("same disk");
    within(
        "live w/s",
        d["rates"]["write"]["ios_per_sec"].as_f64().unwrap(),
        io.value(dev, "w/s").unwrap(),
        0.10,
        20.0,
    );
    within(
        "live r/s",
        d["rates"]["read"]["ios_per_sec"].as_f64().unwrap(),
        io.value(dev, "r/s").unwrap(),
        0.10,
        20.0,
    );
    drop(load);
}

const MPSTAT_COLS: [(&str, &str); 10] = [
    ("%usr", "usr_pct"),
    ("%nice", "nice_pct"),
    ("%sys", "sys_pct"),
    ("%iowait", "iowait_pct"),
    ("%irq", "irq_pct"),
    ("%soft", "soft_pct"),
    ("%steal", "steal_pct"),
    ("%guest", "guest_pct"),
    ("%gnice", "gnice_pct"),
    ("%idle", "idle_pct"),
];

#[test]
fn cpu_matches_mpstat_under_stress_ng() {
    let test = "cpu_matches_mpstat_under_stress_ng";
    let _guard = lock();
    if !usable(test, &["mpstat", "stress-ng"]) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    // One CPU's worth of work, pinned to CPU 0 so the per-CPU split is known.
    let load = start(&[
        "stress-ng",
        "--cpu",
        "1",
        "--taskset",
        "0",
        "--timeout",
        "15",
    ]);
    thread::sleep(Duration::from_secs(1));
    capture(work.path());

    let cap = work.path().join("cap");
    let out = peer::run_mpstat(&cap).expect("mpstat on the capture");
    let mp = peer::parse_mpstat(&out).expect("parse mpstat");
    let s = json(&["--root", cap.to_str().unwrap(), "--json", "cpu", "1", "1"]);
    let mut bad = Vec::new();
    let mut rows = 0;
    for row in s["cpus"].as_array().unwrap() {
        let key = row["cpu"]
            .as_u64()
            .map_or("all".to_string(), |c| c.to_string());
        for (col, field) in MPSTAT_COLS {
            let p = mp.value(&key, col).expect("peer column");
            same_printed(
                &format!("cpu {key} {col}"),
                row["pct"][field].as_f64().unwrap(),
                p,
                &mut bad,
            );
        }
        rows += 1;
    }
    assert!(
        bad.is_empty(),
        "mpstat disagrees on identical input:\n{}",
        bad.join("\n")
    );
    assert!(rows >= 2, "all + at least one CPU");
    let cpu0 = &s["cpus"][1];
    assert!(
        cpu0["pct"]["usr_pct"].as_f64().unwrap() > 80.0,
        "stress-ng on cpu0: {cpu0}"
    );

    // Live: cpu0 is pinned busy; both tools see %idle of cpu0 near 0 and "all" near 50 %.
    // Other activity (the tools themselves) moves a few points: allow 5 points.
    let (s, out) = side_by_side(
        &["--json", "cpu", "2", "1"],
        &["mpstat", "-P", "ALL", "2", "1"],
    );
    let mp = peer::parse_mpstat(&out).expect("parse live mpstat");
    within(
        "live all %idle",
        s["cpus"][0]["pct"]["idle_pct"].as_f64().unwrap(),
        mp.value("all", "%idle").unwrap(),
        0.0,
        5.0,
    );
    within(
        "live cpu0 %usr",
        s["cpus"][1]["pct"]["usr_pct"].as_f64().unwrap(),
        mp.value("0", "%usr").unwrap(),
        0.0,
        5.0,
    );
    drop(load);
}

/// Sends `chunk`-byte messages over loopback TCP every 2 ms until stopped (~steady traffic).
fn loopback_traffic(stop: Arc<AtomicBool>) -> thread::JoinHandle<()> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = vec![0u8; 1 << 16];
            while s.read(&mut buf).is_ok_and(|n| n > 0) {}
        }
    });
    thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let chunk = vec![7u8; 16 * 1024];
        let deadline = Instant::now() + Duration::from_secs(30);
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            if s.write_all(&chunk).is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(2));
        }
        drop(s);
        let _ = reader.join();
    })
}

const SAR_DEV: [(&str, &str); 7] = [
    ("rxpck/s", "rx_packets_per_sec"),
    ("txpck/s", "tx_packets_per_sec"),
    ("rxkB/s", "rx_kb_per_sec"),
    ("txkB/s", "tx_kb_per_sec"),
    ("rxcmp/s", "rx_compressed_per_sec"),
    ("txcmp/s", "tx_compressed_per_sec"),
    ("rxmcst/s", "rx_multicast_per_sec"),
];
const SAR_EDEV: [(&str, &str); 9] = [
    ("rxerr/s", "rx_errors_per_sec"),
    ("txerr/s", "tx_errors_per_sec"),
    ("coll/s", "collisions_per_sec"),
    ("rxdrop/s", "rx_drops_per_sec"),
    ("txdrop/s", "tx_drops_per_sec"),
    ("txcarr/s", "tx_carrier_per_sec"),
    ("rxfram/s", "rx_frame_per_sec"),
    ("rxfifo/s", "rx_fifo_per_sec"),
    ("txfifo/s", "tx_fifo_per_sec"),
];
const SAR_TCP: [(&str, &str); 9] = [
    ("active/s", "active_opens_per_sec"),
    ("passive/s", "passive_opens_per_sec"),
    ("iseg/s", "in_segs_per_sec"),
    ("oseg/s", "out_segs_per_sec"),
    ("atmptf/s", "attempt_fails_per_sec"),
    ("estres/s", "estab_resets_per_sec"),
    ("retrans/s", "retrans_segs_per_sec"),
    ("isegerr/s", "in_errs_per_sec"),
    ("orsts/s", "out_rsts_per_sec"),
];

#[test]
fn net_matches_sar_with_loopback_traffic() {
    let test = "net_matches_sar_with_loopback_traffic";
    let _guard = lock();
    if !usable(test, &["sar", "sadc"]) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = loopback_traffic(stop.clone());
    thread::sleep(Duration::from_millis(500));
    capture(work.path());

    let cap = work.path().join("cap");
    let out = peer::run_sar_net(&cap).expect("sar on the capture");
    let sar = peer::parse_sar_net(&out).expect("parse sar");
    let s = json(&["--root", cap.to_str().unwrap(), "--json", "net", "1", "1"]);
    let mut bad = Vec::new();
    for nic in s["nics"].as_array().unwrap() {
        let name = nic["name"].as_str().unwrap();
        let r = &nic["rates"];
        for (col, field) in SAR_DEV {
            same_printed(
                &format!("{name} {col}"),
                r[field].as_f64().unwrap(),
                sar.dev.value(name, col).unwrap(),
                &mut bad,
            );
        }
        // sar prints 0.00 when the speed is unknown; sonde says "no value".
        match r["util_pct"].as_f64() {
            Some(u) => same_printed(
                &format!("{name} %ifutil"),
                u,
                sar.dev.value(name, "%ifutil").unwrap(),
                &mut bad,
            ),
            None => assert_eq!(
                sar.dev.value(name, "%ifutil").unwrap(),
                0.0,
                "{name}: unknown speed"
            ),
        }
        for (col, field) in SAR_EDEV {
            same_printed(
                &format!("{name} {col}"),
                r[field].as_f64().unwrap(),
                sar.edev.value(name, col).unwrap(),
                &mut bad,
            );
        }
    }
    for (col, field) in SAR_TCP {
        let section = if SAR_TCP[..4].iter().any(|(c, _)| *c == col) {
            &sar.tcp
        } else {
            &sar.etcp
        };
        same_printed(
            col,
            s["tcp"][field].as_f64().unwrap(),
            section.value(peer::NO_KEY, col).unwrap(),
            &mut bad,
        );
    }
    assert!(
        bad.is_empty(),
        "sar disagrees on identical input:\n{}",
        bad.join("\n")
    );
    let lo = s["nics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "lo")
        .expect("lo");
    assert!(
        lo["rates"]["rx_kb_per_sec"].as_f64().unwrap() > 1000.0,
        "loopback traffic visible: {lo}"
    );

    // Live over 2 s: the sender paces itself every 2 ms, so lo's rxkB/s is steady; allow 10 %.
    let (s, out) = side_by_side(
        &["--json", "net", "2", "1"],
        &["sar", "-n", "DEV,EDEV,TCP,ETCP", "2", "1"],
    );
    let sar = peer::parse_sar_net(&out).expect("parse live sar").dev;
    let lo = s["nics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "lo")
        .expect("lo");
    within(
        "live lo rxkB/s",
        lo["rates"]["rx_kb_per_sec"].as_f64().unwrap(),
        sar.value("lo", "rxkB/s").unwrap(),
        0.10,
        50.0,
    );
    stop.store(true, Ordering::Relaxed);
    traffic.join().unwrap();
}
