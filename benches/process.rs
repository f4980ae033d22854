//! One process-table refresh: scan every process's stat, fill status/io/cmdline for a
//! screenful of rows, and model the interval. Budget (DESIGN.md): ≤ 10 ms at 2,000 processes
//! (btop ≈ 38 ms, htop ≈ 119 ms on a 2-vCPU VM).
//!
//! `fixture` replays `tests/it/fixtures/procs-2000` (2,000 `sleep` plus the host's own, on a
//! 2-vCPU VM): sample 1 against sample 0. A replay reads every file by path (open, read,
//! close), so it measures parsing and modelling plus the plain file reads. `live` is the
//! steady state on this host: the scanner is warmed up, so every stat is one `pread` of a
//! kept-open file, as in the TUI, and a process that did not run since the last scan costs one
//! `pread` of its schedstat instead (its stat is reused; see `collect::process`).
//! `live_io_for_all` adds /proc/PID/io for every process (the table sorted by I/O).
//! `live_scan_only_read_every_stat` is `live_scan_only` with the reuse off: every stat read,
//! as before it existed. Run with 2,000 sleepers started (`bin/make-proc-fixture` shows how)
//! to compare with the fixture at the same scale.

#![allow(clippy::expect_used)] // a bench that cannot read its fixture should stop loudly

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use divan::{Bencher, black_box};
use sonde::collect::process::{Fields, ProcSnapshot, ProcessScanner};
use sonde::collect::procfs::pid::{stat, status};
use sonde::env::Env;
use sonde::model::process::rows;

fn main() {
    divan::main();
}

/// Rows a terminal shows at once.
const VISIBLE: usize = 50;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/procs-2000")
}

/// The PIDs of a screenful of rows from the middle of the table.
fn visible(snap: &ProcSnapshot) -> Vec<i32> {
    let pids = snap.pids();
    let from = pids.len().saturating_sub(VISIBLE) / 2;
    pids.into_iter().skip(from).take(VISIBLE).collect()
}

/// One refresh as the TUI does it: scan, fill the visible rows, model against `prev`.
fn refresh(
    env: &Env,
    sc: &mut ProcessScanner,
    prev: &ProcSnapshot,
    io_for_all: bool,
) -> ProcSnapshot {
    let mut curr = sc.scan(env, false).expect("scan");
    if io_for_all {
        let all = curr.pids();
        let io = Fields {
            io: true,
            ..Fields::default()
        };
        sc.fill(env, &mut curr, &all, io);
    }
    let vis = visible(&curr);
    sc.fill(env, &mut curr, &vis, Fields::ALL);
    black_box(rows(prev, &curr, env.facts()));
    curr
}

/// Scan + fill + model of the captured 2,000-process tree (sample 1 against sample 0).
#[divan::bench]
fn fixture_2000(bencher: Bencher) {
    let env = Env::replay(&fixture()).expect("fixture");
    let mut sc = ProcessScanner::new(&env);
    env.begin_sample().expect("sample 0");
    let mut prev = sc.scan(&env, false).expect("scan");
    let vis = visible(&prev);
    sc.fill(&env, &mut prev, &vis, Fields::ALL);
    env.begin_sample().expect("sample 1");
    let sc = RefCell::new(sc);
    bencher
        .counter(divan::counter::ItemsCount::new(prev.procs.len()))
        .bench_local(|| refresh(&env, &mut sc.borrow_mut(), &prev, false));
}

fn live_bench(bencher: Bencher, io_for_all: bool) {
    let env = Env::live();
    let mut sc = ProcessScanner::new(&env);
    // Warm up: open every stat file, read the visible rows' cmdlines once.
    let mut prev = sc.scan(&env, false).expect("scan");
    let vis = visible(&prev);
    sc.fill(&env, &mut prev, &vis, Fields::ALL);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let prev = refresh(&env, &mut sc, &prev, io_for_all);
    let sc = RefCell::new(sc);
    bencher
        .counter(divan::counter::ItemsCount::new(prev.procs.len()))
        .bench_local(|| refresh(&env, &mut sc.borrow_mut(), &prev, io_for_all));
}

/// Steady-state refresh on this host.
#[divan::bench]
fn live(bencher: Bencher) {
    live_bench(bencher, false);
}

/// Steady-state refresh with /proc/PID/io read for every process (sorted by I/O).
#[divan::bench]
fn live_io_for_all(bencher: Bencher) {
    live_bench(bencher, true);
}

/// Only the stat scan (no fill, no model): the part that grows with the process count.
#[divan::bench]
fn live_scan_only(bencher: Bencher) {
    let env = Env::live();
    let mut sc = ProcessScanner::new(&env);
    sc.scan(&env, false).expect("scan");
    let sc = RefCell::new(sc);
    bencher.bench_local(|| black_box(sc.borrow_mut().scan(&env, false).expect("scan")));
}

/// `live_scan_only` reading every stat (no reuse of the stat of processes that did not run).
#[divan::bench]
fn live_scan_only_read_every_stat(bencher: Bencher) {
    let env = Env::live();
    let mut sc = ProcessScanner::new(&env);
    sc.set_stat_reuse(false);
    sc.scan(&env, false).expect("scan");
    let sc = RefCell::new(sc);
    bencher.bench_local(|| black_box(sc.borrow_mut().scan(&env, false).expect("scan")));
}

/// The thread view on this host.
#[divan::bench]
fn live_threads(bencher: Bencher) {
    let env = Env::live();
    let mut sc = ProcessScanner::new(&env);
    let prev = sc.scan(&env, true).expect("scan");
    let sc = RefCell::new(sc);
    bencher
        .counter(divan::counter::ItemsCount::new(prev.procs.len()))
        .bench_local(|| {
            let curr = sc.borrow_mut().scan(&env, true).expect("scan");
            black_box(rows(&prev, &curr, env.facts()))
        });
}

fn text(rel: &str) -> String {
    std::fs::read_to_string(fixture().join(rel)).expect("fixture file")
}

#[divan::bench]
fn parse_pid_stat(bencher: Bencher) {
    let t = text("1/proc/1/stat");
    bencher
        .counter(divan::counter::BytesCount::new(t.len()))
        .bench(|| stat::parse(black_box(&t)));
}

#[divan::bench]
fn parse_pid_status(bencher: Bencher) {
    // The fixture keeps status for 100 sleepers only (not for the host's own processes).
    let t = text("1/proc/22824/status");
    bencher
        .counter(divan::counter::BytesCount::new(t.len()))
        .bench(|| status::parse(black_box(&t)));
}
