//! Golden text and JSON outputs of every interval command on every fixture tree.
//! `SONDE_BLESS=1 cargo test --test it golden` rewrites them after an intended change.

use crate::support::{fixture, golden, sonde_ok};

const FIXTURES: &[&str] = &[
    "idle-vm",
    "fio-randwrite",
    "stress-cpu",
    "counter-decreased",
    "cpu-offline",
    "disk-removed",
    "no-pressure",
    "long-device-name",
    "old-kernel",
    "hostile-names",
];

const COMMANDS: &[&[&str]] = &[
    &["use", "--explain"],
    &["cpu"],
    &["mem"],
    &["disk"],
    &["net"],
];

fn all_outputs(name: &str, json: bool) -> String {
    let root = fixture(name);
    let root = root.to_str().expect("utf-8 path");
    let mut out = String::new();
    for cmd in COMMANDS {
        let mut args = vec!["--root", root];
        if json {
            args.push("--json");
        }
        args.extend_from_slice(cmd);
        args.extend_from_slice(&["1", "1"]);
        out.push_str(&format!("$ sonde {}\n", cmd.join(" ")));
        out.push_str(&sonde_ok(&args));
    }
    out
}

#[test]
fn golden_text_outputs() {
    for f in FIXTURES {
        golden(&format!("{f}.txt"), &all_outputs(f, false));
    }
}

#[test]
fn golden_json_outputs() {
    for f in FIXTURES {
        golden(&format!("{f}.jsonl"), &all_outputs(f, true));
    }
}

#[test]
fn text_has_no_control_characters_from_hostile_names() {
    let out = all_outputs("hostile-names", false);
    assert!(
        !out.contains('\x1b'),
        "an escape sequence reached the terminal"
    );
    assert!(!out.contains('\x07'));
    assert!(out.contains("evil\\x1b[2J"), "the name is shown, escaped");
}

#[test]
fn bare_sequence_replays_without_interval_arguments() {
    // `sonde disk --root DIR` (no INTERVAL) takes the pair DIR/0 → DIR/1, like `1 1`.
    let root = fixture("fio-randwrite");
    let root = root.to_str().expect("utf-8 path");
    assert_eq!(
        sonde_ok(&["--root", root, "disk"]),
        sonde_ok(&["--root", root, "disk", "1", "1"])
    );
}

fn use_rows(name: &str) -> Vec<serde_json::Value> {
    let root = fixture(name);
    let out = sonde_ok(&["--root", root.to_str().expect("utf-8"), "--json", "use"]);
    let doc: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    doc["rows"].as_array().expect("rows").clone()
}

fn row<'a>(rows: &'a [serde_json::Value], resource: &str, instance: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| r["resource"] == resource && r["instance"] == instance)
        .unwrap_or_else(|| panic!("no {resource} {instance} row"))
}

#[test]
fn stress_ng_on_one_cpu_is_crit_for_that_cpu_and_first_in_the_table() {
    let rows = use_rows("stress-cpu");
    let cpu1 = row(&rows, "cpu", "cpu1");
    assert_eq!(cpu1["utilization"]["verdict"], "crit", "{cpu1}");
    assert_eq!(rows[0]["verdict"], "crit", "worst first");
    assert_eq!(row(&rows, "cpu", "cpu0")["utilization"]["verdict"], "ok");
    // Half the machine is idle: the all-CPU row is not above warn.
    assert_eq!(row(&rows, "cpu", "all")["utilization"]["verdict"], "ok");
}

#[test]
fn fio_load_shows_on_the_disk_and_only_there() {
    let rows = use_rows("fio-randwrite");
    let vda = row(&rows, "disk", "vda");
    let util = &vda["utilization"]["metrics"][0];
    assert!(util["value"].as_f64().unwrap() > 50.0, "{util}");
    assert!(
        util["threshold"].is_null(),
        "virtio: %util is informational"
    );
    assert_eq!(util["verdict"], "ok");
    let aqu = &vda["saturation"]["metrics"][0];
    assert_eq!(aqu["name"], "aqu-sz");
    assert!(aqu["value"].as_f64().unwrap() > 1.0, "{aqu}");
    assert_eq!(row(&rows, "memory", "ram")["verdict"], "ok");
}

#[test]
fn missing_sources_are_na_with_a_reason_never_zero() {
    let rows = use_rows("no-pressure");
    let disk_all = row(&rows, "disk", "all");
    let psi = &disk_all["saturation"];
    assert_eq!(psi["verdict"], "n/a");
    assert!(psi["reason"].as_str().unwrap().contains("PSI"), "{psi}");
    let old = use_rows("old-kernel");
    let mem = row(&old, "memory", "ram");
    let oom = mem["saturation"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "oom kill")
        .unwrap();
    assert!(oom["value"].is_null(), "no oom_kill counter on 3.10: {oom}");
    let reset = use_rows("counter-decreased");
    let vda = row(&reset, "disk", "vda");
    assert_eq!(vda["verdict"], "n/a", "a reset counter is no value: {vda}");
    let offline = use_rows("cpu-offline");
    assert_eq!(
        row(&offline, "cpu", "cpu1")["utilization"]["reason"],
        "offline"
    );
}
