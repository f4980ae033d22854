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
