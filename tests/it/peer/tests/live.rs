//! Live captures under load: the peers' numbers are the same on every run over the same
//! captures, and match rates computed by hand from the captured files.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use tempfile::TempDir;

use super::{counters, disks, net_dev_spaced, read_rel, ready, snmp_value};
use crate::peer::{
    CAPTURE_FILES, NO_KEY, Reports, SarNet, capture_sequence, parse_iostat_x, parse_mpstat,
    parse_sar_net, run_iostat_x, run_mpstat, run_sar_net,
};

#[test]
fn iostat_on_live_captures_under_disk_load() -> Result<(), String> {
    if !ready("iostat_on_live_captures_under_disk_load", &["iostat"]) {
        return Ok(());
    }
    let _live = live_lock();
    let scratch = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).map_err(|e| e.to_string())?;
    let target = scratch.path().join("load");
    let tmp = capture_under(|stop| {
        let of = format!("of={}", target.display());
        let dd = Command::new("dd")
            .args([
                "if=/dev/zero",
                &of,
                "bs=1M",
                "count=100000",
                "oflag=direct",
                "status=none",
            ])
            .spawn();
        if let Ok(mut dd) = dd {
            while !stop.load(Relaxed) {
                thread::sleep(Duration::from_millis(20));
            }
            let _ = dd.kill();
            let _ = dd.wait();
        }
    })?;
    let reports: Reports = deterministic(|| parse_iostat_x(&run_iostat_x(tmp.path())?))?;

    let before = read_rel(&tmp.path().join("0"), "proc/diskstats")?;
    let after = read_rel(&tmp.path().join("1"), "proc/diskstats")?;
    let dt = interval_secs(tmp.path())?;
    let delta = |name: &str| -> Result<Vec<f64>, String> {
        let key = |t: &[&str]| t.get(2) == Some(&name);
        let (b, a) = (counters(&before, key, 3)?, counters(&after, key, 3)?);
        Ok(a.iter()
            .zip(&b)
            .map(|(a, b)| a.saturating_sub(*b) as f64)
            .collect())
    };
    let disk = busiest_writer(&before, &after)?;
    let d = delta(&disk)?;
    assert!(d[4] > 0.0, "no writes to {disk} under dd load");
    eprintln!("iostat {disk}: {} writes, {} sectors in {dt} s", d[4], d[6]);
    check(reports.value(&disk, "w/s")?, d[4] / dt, "w/s")?;
    check(reports.value(&disk, "wkB/s")?, d[6] / 2.0 / dt, "wkB/s")?;
    check(reports.value(&disk, "r/s")?, d[0] / dt, "r/s")?;
    check(
        reports.value(&disk, "%util")?,
        (d[9] / dt / 10.0).min(100.0),
        "%util",
    )?;
    Ok(())
}

#[test]
fn mpstat_on_live_captures_under_cpu_load() -> Result<(), String> {
    if !ready("mpstat_on_live_captures_under_cpu_load", &["mpstat"]) {
        return Ok(());
    }
    let _live = live_lock();
    let tmp = capture_under(|stop| {
        let mut x = 1_u64;
        while !stop.load(Relaxed) {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
    })?;
    let reports = deterministic(|| parse_mpstat(&run_mpstat(tmp.path())?))?;

    // mpstat's `all` row is the sum of the per-CPU lines, not the kernel's `cpu` line (the
    // two disagree by a tick or so).
    let before = read_rel(&tmp.path().join("0"), "proc/stat")?;
    let after = read_rel(&tmp.path().join("1"), "proc/stat")?;
    let mut all = vec![0.0; 10];
    for (line, key) in stat_cpu_names(&before)
        .into_iter()
        .filter(|(_, k)| k != "all")
    {
        let row = |t: &[&str]| t.first() == Some(&line.as_str());
        let (b, a) = (counters(&before, row, 1)?, counters(&after, row, 1)?);
        let d: Vec<f64> = a
            .iter()
            .zip(&b)
            .map(|(a, b)| a.saturating_sub(*b) as f64)
            .collect();
        all.iter_mut().zip(&d).for_each(|(sum, d)| *sum += d);
        check_cpu(&reports, &key, &d)?;
    }
    let busy = check_cpu(&reports, "all", &all)?;
    assert!(
        busy > 10.0,
        "the spinning thread did not show: all %usr = {busy}"
    );
    Ok(())
}

#[test]
fn sar_net_on_live_captures_under_loopback_traffic() -> Result<(), String> {
    if !ready(
        "sar_net_on_live_captures_under_loopback_traffic",
        &["sar", "sadc"],
    ) {
        return Ok(());
    }
    let _live = live_lock();
    let tmp = capture_under(loopback_traffic)?;
    let sar: SarNet = deterministic(|| parse_sar_net(&run_sar_net(tmp.path())?))?;

    let (first, second) = (tmp.path().join("0"), tmp.path().join("1"));
    let dt = interval_secs(tmp.path())?;
    let lo = |t: &[&str]| t.first() == Some(&"lo:");
    let dev = |dir: &Path| -> Result<Vec<u64>, String> {
        counters(&net_dev_spaced(&read_rel(dir, "proc/net/dev")?), lo, 1)
    };
    let (b, a) = (dev(&first)?, dev(&second)?);
    let d = |i: usize| a[i].saturating_sub(b[i]) as f64;
    assert!(d(1) > 0.0, "no loopback packets under traffic");
    check(sar.dev.value("lo", "rxpck/s")?, d(1) / dt, "lo rxpck/s")?;
    check(
        sar.dev.value("lo", "rxkB/s")?,
        d(0) / 1024.0 / dt,
        "lo rxkB/s",
    )?;
    check(sar.dev.value("lo", "txpck/s")?, d(9) / dt, "lo txpck/s")?;
    let tcp = |field: &str| -> Result<f64, String> {
        let get = |dir: &Path| snmp_value(&read_rel(dir, "proc/net/snmp")?, "Tcp", field);
        Ok(get(&second)?.saturating_sub(get(&first)?) as f64)
    };
    assert!(
        tcp("ActiveOpens")? > 0.0,
        "no TCP connections under traffic"
    );
    check(
        sar.tcp.value(NO_KEY, "active/s")?,
        tcp("ActiveOpens")? / dt,
        "active/s",
    )?;
    check(
        sar.tcp.value(NO_KEY, "oseg/s")?,
        tcp("OutSegs")? / dt,
        "oseg/s",
    )?;
    check(
        sar.etcp.value(NO_KEY, "retrans/s")?,
        tcp("RetransSegs")? / dt,
        "retrans/s",
    )?;
    Ok(())
}

fn live_lock() -> MutexGuard<'static, ()> {
    crate::LIVE_LOCK
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Two live snapshots of [`CAPTURE_FILES`] one second apart while `load` runs on a thread
/// (it must return once its flag is set).
fn capture_under(load: impl FnOnce(&AtomicBool) + Send) -> Result<TempDir, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        scope.spawn(|| load(&stop));
        thread::sleep(Duration::from_millis(200)); // let the load get going
        let captured = capture_sequence(tmp.path(), CAPTURE_FILES, 2, Duration::from_secs(1));
        stop.store(true, Relaxed);
        captured
    })?;
    Ok(tmp)
}

/// Runs `peer` twice: the parsed numbers must be identical.
fn deterministic<T: PartialEq + std::fmt::Debug>(
    peer: impl Fn() -> Result<T, String>,
) -> Result<T, String> {
    let (first, second) = (peer()?, peer()?);
    assert_eq!(first, second, "same captures, different numbers");
    Ok(first)
}

/// A peer's printed value (2 decimals) against the value computed by hand.
fn check(printed: f64, hand: f64, what: &str) -> Result<(), String> {
    if (printed - hand).abs() <= 0.005 + 1e-9 * hand.abs().max(1.0) {
        Ok(())
    } else {
        Err(format!(
            "{what}: peer printed {printed}, computed by hand {hand:.6}"
        ))
    }
}

/// mpstat's `%usr`, `%sys`, `%idle` for row `key` against the `/proc/stat` deltas `d`
/// (user … guest_nice); returns `%usr`.
fn check_cpu(reports: &Reports, key: &str, d: &[f64]) -> Result<f64, String> {
    // user..steal; guest and guest_nice are already inside user and nice.
    let total: f64 = d[..8].iter().sum();
    let pct = |v: f64| v / total * 100.0;
    check(
        reports.value(key, "%usr")?,
        pct(d[0] - d[8]),
        &format!("{key} %usr"),
    )?;
    check(
        reports.value(key, "%sys")?,
        pct(d[2]),
        &format!("{key} %sys"),
    )?;
    check(
        reports.value(key, "%idle")?,
        pct(d[3]),
        &format!("{key} %idle"),
    )?;
    Ok(pct(d[0] - d[8]))
}

/// Elapsed time between snapshot 0 and 1 according to their `proc/uptime` (centiseconds).
fn interval_secs(dir: &Path) -> Result<f64, String> {
    let cs = |n: &str| -> Result<u64, String> {
        let text = read_rel(&dir.join(n), "proc/uptime")?;
        let secs = text.split_whitespace().next().ok_or("empty uptime")?;
        secs.replace('.', "")
            .parse()
            .map_err(|e| format!("uptime {secs:?}: {e}"))
    };
    Ok((cs("1")? - cs("0")?) as f64 / 100.0)
}

/// The whole disk with the most writes completed between two diskstats.
fn busiest_writer(before: &str, after: &str) -> Result<String, String> {
    let writes = |text: &str, name: &str| -> u64 {
        counters(text, |t| t.get(2) == Some(&name), 3)
            .ok()
            .and_then(|c| c.get(4).copied())
            .unwrap_or(0)
    };
    disks(after)
        .filter_map(|t| t.get(2).map(|n| (*n).to_owned()))
        .max_by_key(|name| writes(after, name).saturating_sub(writes(before, name)))
        .ok_or_else(|| "no disk in diskstats".to_owned())
}

/// `/proc/stat` CPU line names with mpstat's row key: `cpu` → `all`, `cpuN` → `N`.
fn stat_cpu_names(stat: &str) -> Vec<(String, String)> {
    stat.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|name| {
            let n = name.strip_prefix("cpu")?;
            Some((
                name.to_owned(),
                if n.is_empty() {
                    "all".to_owned()
                } else {
                    n.to_owned()
                },
            ))
        })
        .collect()
}

/// Loopback TCP until `stop`: one connection streaming bulk data, and a new short connection
/// every 10 ms (few enough that repeated runs do not exhaust ephemeral ports in TIME_WAIT).
fn loopback_traffic(stop: &AtomicBool) {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0") else {
        return;
    };
    let Ok(address) = listener.local_addr() else {
        return;
    };
    thread::scope(|scope| {
        scope.spawn(|| {
            for stream in listener.incoming() {
                if stop.load(Relaxed) {
                    break;
                }
                if let Ok(mut stream) = stream {
                    scope.spawn(move || stream.read_to_end(&mut Vec::new()));
                }
            }
        });
        scope.spawn(|| {
            let Ok(mut bulk) = TcpStream::connect(address) else {
                return;
            };
            let chunk = vec![0_u8; 16 * 1024];
            while !stop.load(Relaxed) && bulk.write_all(&chunk).is_ok() {}
        });
        while !stop.load(Relaxed) {
            if let Ok(mut stream) = TcpStream::connect(address) {
                let _ = stream.write_all(b"hello");
            }
            thread::sleep(Duration::from_millis(10));
        }
        let _ = TcpStream::connect(address); // wake the acceptor so it sees `stop`
    });
}
