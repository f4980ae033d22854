//! Proof that the peers' output is a function of the captures: the same captures give the same
//! numbers twice, hand-made counter deltas give the exact expected rates, and rates computed by
//! hand from live captures match what the peer printed, to its printed precision.

use super::*;
use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{MutexGuard, PoisonError};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// Parsers (no privileges needed).

const IOSTAT_SAMPLE: &str = "\
Linux 6.18.44 (vm) \t2026-11-22 \t_x86_64_\t(2 CPU)

Device            r/s     rkB/s   rrqm/s  %rrqm r_await rareq-sz     w/s     wkB/s   %util
loop0            0.00      0.00     0.00   0.00    0.00     0.00    0.00      0.00   0.00
vda             66.14   2814.08    12.73  16.14    0.52    42.55    9.75   1216.97   1.37


Device            r/s     rkB/s   rrqm/s  %rrqm r_await rareq-sz     w/s     wkB/s   %util
loop0            0.00      0.00     0.00   0.00    0.00     0.00    0.00      0.00   0.00
vda              1.00      4.00     0.00   0.00    0.50     4.00  250.00  64000.00  97.20
";

const MPSTAT_SAMPLE: &str = "\
Linux 6.18.44 (vm) \t2026-11-22 \t_x86_64_\t(2 CPU)

03:12:35     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle
03:12:36     all    0.00    0.00    0.00    0.00    0.00    0.00    0.50    0.00    0.00   99.50
03:12:36       0    0.00    0.00    0.00    0.00    0.00    0.00    1.00    0.00    0.00   99.00
03:12:36       1    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00  100.00

03:12:36     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle
03:12:37     all   50.00    0.00    0.50    0.00    0.00    0.00    0.50    0.00    0.00   49.00
03:12:37       0  100.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00
03:12:37       1    0.00    0.00    0.98    0.00    0.00    0.00    0.98    0.00    0.00   98.04

Average:     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle
Average:     all   25.00    0.00    0.25    0.00    0.00    0.00    0.50    0.00    0.00   74.25
Average:       0   50.00    0.00    0.00    0.00    0.00    0.00    0.50    0.00    0.00   49.50
Average:       1    0.00    0.00    0.49    0.00    0.00    0.00    0.49    0.00    0.00   99.02
";

/// `sar -f` layout: every interval of an activity in one block, then its averages.
const SAR_SAMPLE: &str = "\
Linux 6.18.44 (vm) \t2026-11-22 \t_x86_64_\t(2 CPU)

03:16:42        IFACE   rxpck/s   txpck/s    rxkB/s    txkB/s   rxcmp/s   txcmp/s  rxmcst/s   %ifutil
03:16:43           lo     10.00     10.00      1.00      1.00      0.00      0.00      0.00      0.00
03:16:43         eth0      0.00      0.00      0.00      0.00      0.00      0.00      0.00      0.00
03:16:44           lo     20.00     20.00      2.00      2.00      0.00      0.00      0.00      0.00
03:16:44         eth0      1.00      0.00      0.00      0.00      0.00      0.00      0.00      0.00
Average:           lo     15.00     15.00      1.50      1.50      0.00      0.00      0.00      0.00
Average:         eth0      0.50      0.00      0.00      0.00      0.00      0.00      0.00      0.00

03:16:42        IFACE   rxerr/s   txerr/s    coll/s  rxdrop/s  txdrop/s  txcarr/s  rxfram/s  rxfifo/s  txfifo/s
03:16:43           lo      0.00      0.00      0.00      0.00      0.00      0.00      0.00      0.00      0.00
03:16:44           lo      0.00      0.00      0.00      3.00      0.00      0.00      0.00      0.00      0.00
Average:           lo      0.00      0.00      0.00      1.50      0.00      0.00      0.00      0.00      0.00

03:16:42     active/s passive/s    iseg/s    oseg/s
03:16:43         1.00      1.00      8.00      8.00
03:16:44         2.00      2.00     16.00     16.00
Average:         1.50      1.50     12.00     12.00

03:16:42     atmptf/s  estres/s retrans/s isegerr/s   orsts/s
03:16:43         0.00      0.00      0.00      0.00      0.00
03:16:44         0.00      0.00      1.00      0.00      0.00
Average:         0.00      0.00      0.50      0.00      0.00
";

#[test]
fn parses_iostat_x_reports() -> Result<(), String> {
    let reports = parse_iostat_x(IOSTAT_SAMPLE)?;
    assert_eq!(reports.intervals.len(), 2);
    assert_eq!(reports.columns.first().map(String::as_str), Some("r/s"));
    let since_boot: &Table = &reports.intervals[0];
    assert_eq!(since_boot["vda"]["rkB/s"], 2814.08);
    assert_eq!(reports.value("vda", "w/s")?, 250.0);
    assert_eq!(reports.value("vda", "%util")?, 97.2);
    assert_eq!(reports.value("loop0", "r/s")?, 0.0);
    assert!(reports.average.is_none());
    Ok(())
}

#[test]
fn parses_mpstat_reports_and_average() -> Result<(), String> {
    let reports = parse_mpstat(MPSTAT_SAMPLE)?;
    assert_eq!(reports.intervals.len(), 2);
    assert_eq!(reports.value("all", "%usr")?, 50.0);
    assert_eq!(reports.value("1", "%idle")?, 98.04);
    assert_eq!(reports.intervals[0]["0"]["%steal"], 1.0);
    let average = reports.average.as_ref().ok_or("no average")?;
    assert_eq!(average["all"]["%idle"], 74.25);
    Ok(())
}

#[test]
fn parses_sar_net_file_layout() -> Result<(), String> {
    let sar = parse_sar_net(SAR_SAMPLE)?;
    assert_eq!(sar.dev.intervals.len(), 2);
    assert_eq!(sar.dev.value("lo", "rxpck/s")?, 20.0);
    assert_eq!(sar.dev.value("eth0", "rxpck/s")?, 1.0);
    assert_eq!(sar.dev.intervals[0]["lo"]["txkB/s"], 1.0);
    assert_eq!(sar.edev.value("lo", "rxdrop/s")?, 3.0);
    assert_eq!(sar.tcp.intervals.len(), 2);
    assert_eq!(sar.tcp.value(NO_KEY, "oseg/s")?, 16.0);
    assert_eq!(sar.etcp.value(NO_KEY, "retrans/s")?, 1.0);
    let average = sar.tcp.average.as_ref().ok_or("no average")?;
    assert_eq!(average[NO_KEY]["iseg/s"], 12.0);
    Ok(())
}

#[test]
fn parser_rejects_a_row_before_any_header() {
    assert!(parse_iostat_x("vda 1.00 2.00\n").is_err());
}

// ---------------------------------------------------------------------------------------------
// Hand-made counter deltas: exact expected rates, no load and no timing involved.

/// `DIR/0` = live files with uptime 1000.00 s, `DIR/1` = the same with uptime 1002.00 s and
/// the counter deltas applied by `edit`.
fn synthetic(
    files: &[&str],
    edit: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<TempDir, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (first, second) = (tmp.path().join("0"), tmp.path().join("1"));
    capture_snapshot(&first, files)?;
    write_rel(&first, "proc/uptime", "1000.00 1900.00\n")?;
    for rel in all_files(&first) {
        let (from, to) = (first.join(&rel), second.join(&rel));
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        fs::copy(&from, &to).map_err(|e| format!("{rel}: {e}"))?;
    }
    write_rel(&second, "proc/uptime", "1002.00 1903.00\n")?;
    edit(&second)?;
    Ok(tmp)
}

#[test]
fn iostat_rates_from_synthetic_deltas() -> Result<(), String> {
    if !ready("iostat_rates_from_synthetic_deltas", &["iostat"]) {
        return Ok(());
    }
    let mut disk = String::new();
    let tmp = synthetic(IOSTAT_FILES, |second| {
        let text = read_rel(second, "proc/diskstats")?;
        disk = busiest_disk(&text)?;
        // Δwrites 100, Δsectors written 2000, Δwrite ms 300, Δio ms 1000 over 2 s.
        let edited = bump(
            &text,
            |t| t.get(2) == Some(&disk.as_str()),
            3,
            &[(4, 100), (6, 2000), (7, 300), (9, 1000)],
        )?;
        write_rel(second, "proc/diskstats", &edited)
    })?;
    let run = run_peer(
        &["iostat", "-x", "-p", "ALL", "-d", "-k", "1", "2"],
        tmp.path(),
        IOSTAT_FILES,
    )?;
    eprintln!("iostat opens for 2 snapshots: {:?}", run.opens);
    assert!(run.stderr.is_empty(), "iostat stderr: {}", run.stderr);
    assert!(
        run.opens.values().all(|&n| n == 2),
        "one open per report: {:?}",
        run.opens
    );
    let reports = parse_iostat_x(&run.stdout)?;
    assert_eq!(reports.intervals.len(), 2);
    assert_eq!(reports.value(&disk, "r/s")?, 0.0);
    assert_eq!(reports.value(&disk, "w/s")?, 50.0);
    assert_eq!(reports.value(&disk, "wkB/s")?, 500.0);
    assert_eq!(reports.value(&disk, "w_await")?, 3.0);
    assert_eq!(reports.value(&disk, "wareq-sz")?, 10.0);
    assert_eq!(reports.value(&disk, "%util")?, 50.0);
    Ok(())
}

#[test]
fn mpstat_percentages_from_synthetic_deltas() -> Result<(), String> {
    if !ready("mpstat_percentages_from_synthetic_deltas", &["mpstat"]) {
        return Ok(());
    }
    let tmp = synthetic(MPSTAT_FILES, |second| {
        let mut text = read_rel(second, "proc/stat")?;
        let cpu = |name: &'static str| move |t: &[&str]| t.first() == Some(&name);
        // cpu0: 100 user + 100 idle; cpu1: 40 iowait + 160 idle; cpu = their sum.
        text = bump(&text, cpu("cpu0"), 1, &[(0, 100), (3, 100)])?;
        text = bump(&text, cpu("cpu1"), 1, &[(4, 40), (3, 160)])?;
        text = bump(&text, cpu("cpu"), 1, &[(0, 100), (4, 40), (3, 260)])?;
        write_rel(second, "proc/stat", &text)
    })?;
    let run = run_peer(&["mpstat", "-P", "ALL", "1", "1"], tmp.path(), MPSTAT_FILES)?;
    eprintln!("mpstat opens for 2 snapshots: {:?}", run.opens);
    assert!(
        run.opens.values().all(|&n| n == 2),
        "one open per report: {:?}",
        run.opens
    );
    let reports = parse_mpstat(&run.stdout)?;
    assert_eq!(reports.value("all", "%usr")?, 25.0);
    assert_eq!(reports.value("all", "%iowait")?, 10.0);
    assert_eq!(reports.value("all", "%idle")?, 65.0);
    assert_eq!(reports.value("0", "%usr")?, 50.0);
    assert_eq!(reports.value("0", "%idle")?, 50.0);
    assert_eq!(reports.value("1", "%iowait")?, 20.0);
    assert_eq!(reports.value("1", "%idle")?, 80.0);
    Ok(())
}

#[test]
fn sar_net_rates_from_synthetic_deltas() -> Result<(), String> {
    if !ready("sar_net_rates_from_synthetic_deltas", &["sar", "sadc"]) {
        return Ok(());
    }
    let tmp = synthetic(SAR_NET_FILES, |second| {
        let text = read_rel(second, "proc/net/dev")?;
        // lo: rx 1024000 B / 1000 pkt / 6 err / 2 drop, tx 512000 B / 1000 pkt over 2 s.
        let lo = |t: &[&str]| t.first() == Some(&"lo:");
        let deltas = [
            (0, 1_024_000),
            (1, 1000),
            (2, 6),
            (3, 2),
            (8, 512_000),
            (9, 1000),
        ];
        write_rel(
            second,
            "proc/net/dev",
            &bump(&net_dev_spaced(&text), lo, 1, &deltas)?,
        )?;
        let mut snmp = read_rel(second, "proc/net/snmp")?;
        for (field, delta) in [
            ("ActiveOpens", 10),
            ("PassiveOpens", 4),
            ("InSegs", 300),
            ("OutSegs", 200),
            ("RetransSegs", 4),
            ("AttemptFails", 2),
        ] {
            snmp = bump_snmp(&snmp, "Tcp", field, delta)?;
        }
        write_rel(second, "proc/net/snmp", &snmp)
    })?;
    let sar = parse_sar_net(&run_sar_net(tmp.path())?)?;
    assert_eq!(sar.dev.intervals.len(), 1);
    assert_eq!(sar.dev.value("lo", "rxpck/s")?, 500.0);
    assert_eq!(sar.dev.value("lo", "txpck/s")?, 500.0);
    assert_eq!(sar.dev.value("lo", "rxkB/s")?, 500.0);
    assert_eq!(sar.dev.value("lo", "txkB/s")?, 250.0);
    assert_eq!(sar.edev.value("lo", "rxerr/s")?, 3.0);
    assert_eq!(sar.edev.value("lo", "rxdrop/s")?, 1.0);
    assert_eq!(sar.tcp.value(NO_KEY, "active/s")?, 5.0);
    assert_eq!(sar.tcp.value(NO_KEY, "passive/s")?, 2.0);
    assert_eq!(sar.tcp.value(NO_KEY, "iseg/s")?, 150.0);
    assert_eq!(sar.tcp.value(NO_KEY, "oseg/s")?, 100.0);
    assert_eq!(sar.etcp.value(NO_KEY, "retrans/s")?, 2.0);
    assert_eq!(sar.etcp.value(NO_KEY, "atmptf/s")?, 1.0);
    Ok(())
}

#[test]
fn pacing_file_read_too_often_is_an_error() -> Result<(), String> {
    if !ready("pacing_file_read_too_often_is_an_error", &["mpstat"]) {
        return Ok(());
    }
    let tmp = synthetic(MPSTAT_FILES, |_| Ok(()))?;
    // "1 2" needs three snapshots; there are two.
    let err = run_on_captures(&["mpstat", "-P", "ALL", "1", "2"], tmp.path(), MPSTAT_FILES)
        .err()
        .ok_or("mpstat on too few snapshots succeeded")?;
    assert!(
        err.contains("opened proc/uptime 3 times for 2 snapshots"),
        "{err}"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Live captures under load: deterministic output, and hand-computed rates match.

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

// ---------------------------------------------------------------------------------------------
// Helpers.

/// Whether the peers can run here; otherwise prints why, or fails when privileged tests are
/// required (see [`crate::support::skip_or_fail`]).
fn ready(test: &str, peers: &[&str]) -> bool {
    match environment_problem(peers) {
        None => true,
        Some(reason) => {
            crate::support::skip_or_fail(test, &reason);
            false
        }
    }
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

fn read_rel(snapshot: &Path, rel: &str) -> Result<String, String> {
    let path = snapshot.join(rel);
    fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_rel(snapshot: &Path, rel: &str, text: &str) -> Result<(), String> {
    let path = snapshot.join(rel);
    fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every file of a snapshot, relative.
fn all_files(snapshot: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut dirs = vec![String::new()];
    while let Some(rel) = dirs.pop() {
        let Ok(entries) = fs::read_dir(snapshot.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if entry.path().is_dir() {
                dirs.push(child)
            } else {
                files.push(child)
            }
        }
    }
    files
}

/// The numbers of the line selected by `key` (on its whitespace tokens), from token `first` on.
fn counters(text: &str, key: impl Fn(&[&str]) -> bool, first: usize) -> Result<Vec<u64>, String> {
    let line = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|t| key(t))
        .ok_or("line not found")?;
    line.get(first..)
        .unwrap_or_default()
        .iter()
        .map(|v| v.parse().map_err(|e| format!("{v:?}: {e}")))
        .collect()
}

/// `text` with the counters of the line selected by `key` increased: `(i, delta)` adds `delta`
/// to the number at token `first + i`. The line is rewritten with single spaces.
fn bump(
    text: &str,
    mut key: impl FnMut(&[&str]) -> bool,
    first: usize,
    deltas: &[(usize, u64)],
) -> Result<String, String> {
    let mut found = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let mut tokens: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
            let view: Vec<&str> = tokens.iter().map(String::as_str).collect();
            if found || !key(&view) {
                return Ok(line.to_owned());
            }
            found = true;
            for &(i, delta) in deltas {
                let token = tokens.get_mut(first + i).ok_or("line too short")?;
                let value: u64 = token.parse().map_err(|e| format!("{token:?}: {e}"))?;
                *token = (value + delta).to_string();
            }
            Ok(tokens.join(" "))
        })
        .collect::<Result<_, String>>()?;
    if !found {
        return Err("line to edit not found".into());
    }
    Ok(lines.join("\n") + "\n")
}

/// `/proc/net/dev` with a space after each `name:` (the kernel glues large counters to it).
fn net_dev_spaced(text: &str) -> String {
    text.lines()
        .map(|l| l.replacen(':', ": ", 1) + "\n")
        .collect()
}

/// `value` of `field` in `/proc/net/snmp`'s `proto:` header/value line pair.
fn snmp_value(text: &str, proto: &str, field: &str) -> Result<u64, String> {
    let prefix = format!("{proto}:");
    let mut pair = text.lines().filter(|l| l.starts_with(&prefix));
    let (names, values) = (
        pair.next().ok_or("no header")?,
        pair.next().ok_or("no values")?,
    );
    let i = names
        .split_whitespace()
        .position(|n| n == field)
        .ok_or(format!("no {field}"))?;
    let value = values.split_whitespace().nth(i).ok_or("short line")?;
    value.parse().map_err(|e| format!("{field} {value:?}: {e}"))
}

/// `/proc/net/snmp` with `field` of `proto` increased by `delta`.
fn bump_snmp(text: &str, proto: &str, field: &str, delta: u64) -> Result<String, String> {
    let prefix = format!("{proto}:");
    let header = text
        .lines()
        .find(|l| l.starts_with(&prefix))
        .ok_or("no header")?;
    let i = header
        .split_whitespace()
        .position(|n| n == field)
        .ok_or(format!("no {field}"))?;
    let mut seen = 0;
    bump(
        text,
        |t| {
            t.first() == Some(&prefix.as_str()) && {
                seen += 1;
                seen == 2
            }
        },
        0,
        &[(i, delta)],
    )
}

/// The whole disk (a `/sys/block` entry) with the most completed I/Os.
fn busiest_disk(diskstats: &str) -> Result<String, String> {
    disks(diskstats)
        .max_by_key(|t| {
            t.get(3).and_then(|r| r.parse::<u64>().ok()).unwrap_or(0)
                + t.get(7).and_then(|w| w.parse::<u64>().ok()).unwrap_or(0)
        })
        .and_then(|t| t.get(2).map(|n| (*n).to_owned()))
        .ok_or_else(|| "no disk in diskstats".to_owned())
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

fn disks(diskstats: &str) -> impl Iterator<Item = Vec<&str>> {
    diskstats
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|t| {
            t.get(2)
                .is_some_and(|n| Path::new("/sys/block").join(n).exists())
        })
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
