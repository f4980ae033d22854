//! Output contracts: JSON schema keys and units, exit codes, broken pipes, replay errors,
//! the man page and completions generated from the CLI definition, and the layering rule.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{bin, fixture, golden, sonde, sonde_ok};

/// Numeric JSON keys must say their unit; these are unit-less by nature.
const UNITLESS: &[&str] = &[
    "cpu",
    "cpus",
    "unix_time",
    "crit",
    "warn",
    "ok",
    "not_available",
    "value",
    "perf_event_paranoid",
    "controllers",
    "runnable",
    "blocked",
    "curr_estab",
    "aqu_sz",
    "io_errors",
    "oom_kills",
    "centisecs",
    "pid",
    "tid",
    "threads",
    "samples",
    "d_state_samples",
    "idle_hidden",
    "exited",
    "lost",
];
const UNITS: &[&str] = &[
    "_pct", "_per_sec", "_kib", "_kb", "_ms", "_sec", "_us", "_ns", "_mbps", "_bytes",
];

pub(crate) fn check_units(v: &Value, key: &str, path: &str, bad: &mut Vec<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, v)| check_units(v, k, &format!("{path}.{k}"), bad)),
        Value::Array(a) => a.iter().for_each(|v| check_units(v, key, path, bad)),
        Value::Number(_) if !UNITLESS.contains(&key) && !UNITS.iter().any(|u| key.ends_with(u)) => {
            bad.push(path.to_string())
        }
        _ => {}
    }
}

#[test]
fn json_documents_are_versioned_and_keys_carry_units() {
    let root = fixture("fio-randwrite");
    let root = root.to_str().expect("utf-8 path");
    for kind in ["use", "cpu", "mem", "disk", "net"] {
        let out = sonde_ok(&["--root", root, "--json", kind, "1", "1"]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 1, "{kind}: one JSON line per report");
        let doc: Value = serde_json::from_str(lines[0]).expect("valid JSON");
        assert_eq!(doc["schema"], format!("sonde/{kind}/v1"));
        assert_eq!(doc["interval_sec"], 1.0);
        assert!(doc["capabilities"]["psi"].is_boolean());
        assert!(doc["missing"].is_array());
        let mut bad = Vec::new();
        check_units(&doc, "", kind, &mut bad);
        assert!(bad.is_empty(), "numeric keys without a unit: {bad:?}");
    }
}

#[test]
fn json_lines_when_repeating() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..3 {
        copy_tree(
            &fixture("idle-vm").join(if i == 0 { "0" } else { "1" }),
            &dir.path().join(i.to_string()),
        );
    }
    // Make the third sample later than the second by rewriting its uptime.
    let up = dir.path().join("2/proc/uptime");
    let text = std::fs::read_to_string(&up).expect("uptime");
    let secs: f64 = text
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .expect("secs");
    std::fs::write(&up, format!("{:.2} 0.00\n", secs + 5.0)).expect("write");
    let out = sonde_ok(&[
        "--root",
        dir.path().to_str().expect("utf-8"),
        "--json",
        "cpu",
        "1",
    ]);
    let docs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(
        docs.len(),
        2,
        "one line per interval, ending with the capture"
    );
    assert_eq!(docs[0]["interval_sec"], 1.0);
}

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(src).expect("read_dir") {
        let e = e.expect("entry");
        let to = dst.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_tree(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
}

#[test]
fn replay_errors_are_clear_and_exit_1() {
    let out = sonde(&["--root", "/nonexistent-capture", "use"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a capture"), "{err}");
    assert!(!err.contains("panicked"));

    let one = fixture("idle-vm").join("0");
    let out = sonde(&["--root", one.to_str().expect("utf-8"), "disk"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rates need two"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["disk", "0"][..],
        &["disk", "1", "0"],
        &["disk", "abc"],
        &["--bogus"],
    ] {
        let out = sonde(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn closed_pipe_is_a_clean_exit() {
    let root = fixture("idle-vm");
    let mut child = Command::new(bin())
        .args([
            "--root",
            root.to_str().expect("utf-8"),
            "use",
            "--explain",
            "1",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Read nothing and close our end: sonde's writes hit EPIPE.
    drop(child.stdout.take());
    let status = child.wait().expect("wait");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read");
    assert!(status.success(), "exit {status}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn man_page_is_current() {
    let out = sonde(&["man"]);
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).expect("utf-8");
    for cmd in [
        "SONDE USE",
        "SONDE CPU",
        "SONDE MEM",
        "SONDE DISK",
        "SONDE NET",
        "SONDE IO",
        "SONDE OFFCPU",
        "Exit status",
    ] {
        assert!(page.contains(cmd), "man page lacks {cmd}");
    }
    // man/sonde.1 is generated: `SONDE_BLESS=1 cargo test --test it man_page` regenerates it.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("man/sonde.1");
    if std::env::var_os("SONDE_BLESS").is_some() {
        std::fs::write(&path, &page).expect("write man page");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == page,
        "man/sonde.1 is stale: run SONDE_BLESS=1 cargo test --test it man_page"
    );
}

#[test]
fn completions_cover_every_visible_command() {
    for shell in ["bash", "zsh", "fish"] {
        let out = sonde_ok(&["completions", shell]);
        for cmd in [
            "use",
            "cpu",
            "mem",
            "disk",
            "net",
            "io",
            "offcpu",
            "explain",
            "json",
            "enable-delayacct",
        ] {
            assert!(out.contains(cmd), "{shell} completions lack {cmd}");
        }
    }
}

#[test]
fn help_lists_commands_and_exit_codes() {
    let help = sonde_ok(&["--help"]);
    for s in [
        "use",
        "cpu",
        "mem",
        "disk",
        "net",
        "io",
        "offcpu",
        "Exit status",
        "--json",
        "--no-color",
    ] {
        assert!(help.contains(s), "--help lacks {s}");
    }
    for hidden in ["  capture", "  completions", "  man ", "--root"] {
        assert!(!help.contains(hidden), "hidden {hidden:?} shows in --help");
    }
    golden("help.txt", &help);
}

/// collect/ and model/ never import render/, cmd/ or a TUI crate (DESIGN.md, Layers).
#[test]
fn dependencies_point_down_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rules: &[(&str, &[&str])] = &[
        (
            "collect",
            &[
                "crate::render",
                "crate::cmd",
                "crate::analyze",
                "crate::model",
                "ratatui",
                "crossterm",
            ],
        ),
        (
            "model",
            &[
                "crate::render",
                "crate::cmd",
                "crate::analyze",
                "ratatui",
                "crossterm",
            ],
        ),
        (
            "analyze",
            &["crate::render", "crate::cmd", "ratatui", "crossterm"],
        ),
        ("render", &["crate::cmd"]),
    ];
    let mut bad = Vec::new();
    for (layer, banned) in rules {
        let mut files = vec![src.join(format!("{layer}.rs"))];
        collect_rs(&src.join(layer), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            // Code only: a doc comment may point at a higher layer without depending on it.
            let code: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for b in *banned {
                if code.contains(b) {
                    bad.push(format!("{} uses {b}", f.display()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

fn collect_rs(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_rs(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn tui_without_a_terminal_says_what_to_use_instead() {
    let out = sonde(&["top"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sonde use"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
