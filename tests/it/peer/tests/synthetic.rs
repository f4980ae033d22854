//! Hand-made counter deltas between two snapshots: the peers must print exactly the expected
//! rates. No load and no timing involved.

use std::fs;
use std::path::Path;

use tempfile::TempDir;

use super::{disks, net_dev_spaced, read_rel, ready, write_rel};
use crate::peer::{
    IOSTAT_FILES, MPSTAT_FILES, NO_KEY, SAR_NET_FILES, capture_snapshot, parse_iostat_x,
    parse_mpstat, parse_sar_net, run_on_captures, run_peer, run_sar_net,
};

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
