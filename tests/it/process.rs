//! The process collector and model: on the hand-made odd-case tree, on the captured 2,000
//! process tree, and live against processes whose load is known (a CPU hog, a 20 MiB writer,
//! a storm of short-lived processes).
//!
//! `procs-odd` (made by `bin/make-proc-fixture procs-odd`), two samples one second apart:
//!
//! | PID | case |
//! |-----|------|
//! | 1   | ordinary init |
//! | 2   | kernel thread: PF_KTHREAD, no memory lines, empty cmdline |
//! | 100 | comm `x) (y` + ESC[2J, cmdline with an OSC sequence and invalid UTF-8; 50 ticks/s |
//! | 200 | vanishing: sample 1 has its stat but no status, io or cmdline |
//! | 300 | zombie |
//! | 400 | PID reused between the samples (different start time and comm) |
//! | 500 | old kernel: 41-field stat, no io, schedstat, VmSwap, ctxt lines; uid not in passwd |
//! | 600 | writer: 10 MiB/s to disk, 20 MiB/s logical, 4 KiB/s cancelled, 3 major faults/s |
//! | 700 | I/O counters that went backwards |
//! | 800 | two threads (epoll sleeper, 80 % worker named with an escape), limits, cgroups, fds |

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use sonde::collect::CollectError;
use sonde::collect::process::{
    self, Fields, ProcSnapshot, ProcessScanner, Unavailable, capture_all, detail,
};
use sonde::collect::procfs::pid::limits::LimitValue;
use sonde::env::Env;
use sonde::model::process::{ProcRow, rows};

use crate::support::{fixture, skip_or_fail};

fn lock() -> MutexGuard<'static, ()> {
    crate::LIVE_LOCK
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Scans (and fills every field for every process) both samples of a fixture sequence.
fn replay_both(name: &str, threads: bool) -> (Env, ProcSnapshot, ProcSnapshot) {
    let env = Env::replay(&fixture(name)).unwrap();
    let mut sc = ProcessScanner::new(&env);
    let mut take = || {
        env.begin_sample().unwrap();
        let mut s = sc.scan(&env, threads).unwrap();
        let pids = s.pids();
        sc.fill(&env, &mut s, &pids, Fields::ALL);
        s
    };
    let prev = take();
    let curr = take();
    (env, prev, curr)
}

fn row(rows: &[ProcRow], pid: i32) -> &ProcRow {
    rows.iter()
        .find(|r| r.pid == pid)
        .unwrap_or_else(|| panic!("no row for {pid}"))
}

#[test]
fn odd_fixture_rows() {
    let (env, prev, curr) = replay_both("procs-odd", false);
    let r = rows(&prev, &curr, env.facts());
    let pids: Vec<i32> = r.iter().map(|r| r.pid).collect();
    assert_eq!(pids, vec![1, 2, 100, 200, 300, 400, 500, 600, 700, 800]);

    let init = row(&r, 1);
    assert_eq!(init.cpu_pct, Some(0.0));
    assert_eq!(init.user, "root");
    assert_eq!(init.cmdline.as_deref(), Some("/sbin/init"));
    assert_eq!(init.rss_bytes, 256 * 4096);

    let k = row(&r, 2);
    assert!(k.kernel_thread);
    assert_eq!(k.cmdline.as_deref(), Some(""), "kernel thread: show [comm]");
    assert_eq!(k.rss_bytes, 0);
    assert_eq!(k.swap_bytes, None);

    let evil = row(&r, 100);
    assert_eq!(evil.comm, "x) (y\x1b[2J", "name to the last ')', raw");
    assert_eq!(evil.state, 'R');
    assert_eq!(evil.cpu_pct, Some(50.0), "50 ticks in 100");
    assert_eq!(evil.user_cpu_pct, Some(30.0));
    assert_eq!(
        evil.cmdline.as_deref(),
        Some("evil\x1b]0;pwned\x07 \u{fffd}\u{fffd}")
    );
    assert_eq!(evil.user, "alice");

    let gone = row(&r, 200);
    assert_eq!(gone.cpu_pct, Some(5.0), "stat still read");
    assert_eq!(gone.io_unavailable, Some(Unavailable::NotOnKernel));
    assert_eq!(gone.read_bytes_per_sec, None);

    let z = row(&r, 300);
    assert_eq!(z.state, 'Z');
    assert_eq!(z.cmdline.as_deref(), Some(""));
    assert_eq!(z.cpu_pct, Some(0.0));

    let reused = row(&r, 400);
    assert_eq!(reused.comm, "after");
    assert_eq!(reused.cpu_pct, None, "a reused PID is a new process");
    assert_eq!(reused.write_bytes_per_sec, None);
    assert_eq!(reused.major_faults_per_sec, None);
    assert_eq!(reused.cmdline.as_deref(), Some("after"));

    let old = row(&r, 500);
    assert_eq!(old.cpu_pct, Some(10.0));
    assert_eq!(old.io_unavailable, Some(Unavailable::NotOnKernel));
    assert_eq!(old.write_bytes_per_sec, None);
    assert_eq!(old.swap_bytes, None);
    assert_eq!(old.voluntary_ctxt_switches_per_sec, None);
    assert_eq!(old.blkio_delay_pct, None, "41 fields: no delay accounting");
    assert_eq!(old.user, "4242", "uid not in /etc/passwd");

    let w = row(&r, 600);
    let mib = 1024.0 * 1024.0;
    assert_eq!(w.write_bytes_per_sec, Some(10.0 * mib));
    assert_eq!(w.write_chars_per_sec, Some(20.0 * mib));
    assert_eq!(w.read_bytes_per_sec, Some(0.0));
    assert_eq!(w.cancelled_write_bytes_per_sec, Some(4096.0));
    assert_eq!(w.major_faults_per_sec, Some(3.0));
    assert_eq!(w.minor_faults_per_sec, Some(50.0));
    assert_eq!(w.voluntary_ctxt_switches_per_sec, Some(40.0));
    assert_eq!(w.nonvoluntary_ctxt_switches_per_sec, Some(1.0));
    assert_eq!(w.state, 'D');
    assert_eq!(w.cmdline.as_deref(), Some("dd if=/dev/zero of=/data/f"));

    let back = row(&r, 700);
    assert_eq!(back.write_bytes_per_sec, None, "counter went backwards");
    assert_eq!(back.read_bytes_per_sec, None);
    assert_eq!(back.io_unavailable, None, "readable, just no rate");

    let srv = row(&r, 800);
    assert_eq!(srv.threads, 2);
    assert_eq!(srv.cpu_pct, Some(82.0));
    assert_eq!(srv.swap_bytes, Some(512 * 1024));
}

#[test]
fn odd_fixture_thread_view() {
    let (env, prev, curr) = replay_both("procs-odd", true);
    let r = rows(&prev, &curr, env.facts());
    let srv: Vec<&ProcRow> = r.iter().filter(|r| r.pid == 800).collect();
    assert_eq!(srv.len(), 2);
    assert_eq!(srv[0].tid, Some(800));
    assert_eq!(srv[1].tid, Some(801));
    assert_eq!(srv[1].comm, "worker\x1b[1m");
    assert_eq!(srv[0].cpu_pct, Some(2.0));
    assert_eq!(srv[1].cpu_pct, Some(80.0));
    // Threads share the process's command line and user.
    assert_eq!(
        srv[1].cmdline.as_deref(),
        Some("/usr/bin/server --port 8080")
    );
    // Single-threaded processes are one row each, their tid their pid.
    assert_eq!(row(&r, 1).tid, Some(1));
}

#[test]
fn odd_fixture_detail() {
    let env = Env::replay(&fixture("procs-odd")).unwrap();
    let d = detail(&env, 800).unwrap();
    assert_eq!(d.user, "root");
    let limits = d.limits.as_ref().unwrap();
    let nofile = limits.open_files().unwrap();
    assert_eq!(
        (nofile.soft, nofile.hard),
        (LimitValue::Value(1024), LimitValue::Value(524288))
    );
    assert_eq!(limits.processes().unwrap().soft, LimitValue::Value(96365));
    assert_eq!(limits.address_space().unwrap().hard, LimitValue::Unlimited);
    let cg = d.cgroups.as_ref().unwrap();
    assert_eq!(cg.len(), 3);
    assert_eq!(cg[1].controllers, vec!["cpu", "cpuacct"]);
    assert!(cg[2].is_v2());
    assert_eq!(d.open_files, Ok(3));
    let s = d.schedstat.unwrap();
    assert_eq!(
        (s.on_cpu_ns, s.run_delay_ns, s.timeslices),
        (12_000_000_000, 345_000_000, 6789)
    );
    assert_eq!(d.io.unwrap().rchar_bytes, 1000);
    assert_eq!(d.status.vm_swap_bytes, Some(512 * 1024));
    assert_eq!(d.threads.len(), 2);
    assert_eq!(d.threads[0].wchan.as_deref(), Some("do_epoll_wait"));
    assert_eq!(d.threads[1].wchan, None);
    assert_eq!(d.threads[1].state, 'R');
    assert_eq!(d.threads[1].schedstat.unwrap().run_delay_ns, 300_000_000);

    // An old kernel: no io, no schedstat, no cgroup file, no fd dir: each says why.
    let old = detail(&env, 500).unwrap();
    assert_eq!(old.io, Err(Unavailable::NotOnKernel));
    assert_eq!(old.schedstat, Err(Unavailable::NotOnKernel));
    assert!(old.limits.is_ok());
    assert_eq!(old.threads.len(), 0);
    let json = serde_json::to_value(&old).unwrap();
    assert_eq!(json["io"]["unavailable"], "not on this kernel");
    assert_eq!(json["limits"]["all"][7]["soft"], 1024);
    assert_eq!(json["limits"]["all"][9]["soft"], "unlimited");

    // Gone: no such process, or exited half-way (sample 1 lost 200's status).
    assert!(matches!(
        detail(&env, 999),
        Err(CollectError::NotFound { .. })
    ));
    env.begin_sample().unwrap();
    env.begin_sample().unwrap();
    assert!(matches!(
        detail(&env, 200),
        Err(CollectError::NotFound { .. })
    ));
}

#[test]
fn two_thousand_process_fixture() {
    let (env, prev, curr) = replay_both("procs-2000", false);
    let r = rows(&prev, &curr, env.facts());
    let sleepers: Vec<&ProcRow> = r.iter().filter(|r| r.comm == "sleep").collect();
    assert!(sleepers.len() >= 2000, "{} sleepers", sleepers.len());
    assert!(sleepers.iter().all(|s| s.state == 'S'));
    assert!(sleepers.iter().all(|s| s.cpu_pct == Some(0.0)));
    let full: Vec<&&ProcRow> = sleepers.iter().filter(|s| s.cmdline.is_some()).collect();
    assert_eq!(
        full.len(),
        100,
        "status, io and cmdline kept for 100 sleepers"
    );
    assert!(
        full.iter()
            .all(|s| s.cmdline.as_deref() == Some("sleep 600"))
    );
    assert!(full.iter().all(|s| s.write_bytes_per_sec == Some(0.0)));
    assert!(
        r.iter()
            .all(|r| r.cpu_pct.is_some_and(|c| (0.0..=200.0).contains(&c)) || r.cpu_pct.is_none())
    );
}

/// A child process that is killed when dropped, even if the test fails.
struct Kid(Child);

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn live_cpu_hog_and_writer() {
    let test = "live_cpu_hog_and_writer";
    let _guard = lock();
    let me = std::process::id();
    if !Path::new(&format!("/proc/{me}/io")).exists() {
        skip_or_fail(
            test,
            "no /proc/PID/io (kernel without CONFIG_TASK_IO_ACCOUNTING)",
        );
        return;
    }
    if Command::new("dd").arg("--version").output().is_err() {
        skip_or_fail(test, "dd not installed");
        return;
    }
    let work = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let out = work.path().join("written");
    let hog = Kid(Command::new("sh")
        .args(["-c", "while :; do :; done"])
        .spawn()
        .unwrap());
    // dd writes what it reads from our pipe: 20 blocks of 1 MiB with O_DIRECT, then waits
    // for a 21st that never comes, so it is still there for the second scan.
    let mut writer = Kid(Command::new("dd")
        .args([
            &format!("of={}", out.display()),
            "bs=1M",
            "count=21",
            "iflag=fullblock",
            "oflag=direct",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap());
    thread::sleep(Duration::from_millis(300));
    let (hog_pid, writer_pid) = (hog.0.id() as i32, writer.0.id() as i32);
    let env = Env::live();
    let mut sc = ProcessScanner::new(&env);
    let want = Fields::ALL;
    let mut prev = sc.scan(&env, false).unwrap();
    sc.fill(&env, &mut prev, &[hog_pid, writer_pid], want);
    let t0 = Instant::now();
    {
        let stdin = writer.0.stdin.as_mut().unwrap();
        stdin.write_all(&vec![0xa5u8; 20 << 20]).unwrap();
        stdin.flush().unwrap();
    }
    thread::sleep(Duration::from_secs(2).saturating_sub(t0.elapsed()));
    let mut curr = sc.scan(&env, false).unwrap();
    sc.fill(&env, &mut curr, &[hog_pid, writer_pid], want);
    let r = rows(&prev, &curr, env.facts());
    let secs = (curr.uptime_cs - prev.uptime_cs) as f64 / 100.0;

    let h = row(&r, hog_pid);
    let cpu = h.cpu_pct.expect("hog's CPU %");
    assert!(
        (cpu - 100.0).abs() <= 15.0,
        "CPU hog at {cpu:.1} % (want 100 ± 15)"
    );
    assert_eq!(h.comm, "sh");

    let w = row(&r, writer_pid);
    let written = w.write_bytes_per_sec.expect("writer's write rate") * secs;
    let want_bytes = (20u64 << 20) as f64;
    assert!(
        (written - want_bytes).abs() <= 0.05 * want_bytes,
        "writer wrote {written:.0} bytes in {secs} s (want {want_bytes} ± 5 %)"
    );
    eprintln!("{test}: hog {cpu:.1} % of a CPU; writer {written:.0} bytes in {secs} s");
    let logical = w.write_chars_per_sec.unwrap() * secs;
    assert!(
        (logical - want_bytes).abs() <= 0.05 * want_bytes,
        "wchar {logical}"
    );
    assert_eq!(
        w.cmdline.as_deref().map(|c| c.starts_with("dd of=")),
        Some(true)
    );
    drop(writer.0.stdin.take());
}

#[test]
fn live_processes_vanishing_mid_scan() {
    // Short-lived processes start and exit while the scanner reads: never an error or a panic,
    // and the thread view copes too.
    let _guard = lock();
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                if let Ok(mut c) = Command::new("true").spawn() {
                    let _ = c.wait();
                    n += 1;
                }
            }
            n
        })
    };
    let env = Env::live();
    let mut sc = ProcessScanner::new(&env);
    let mut prev = sc.scan(&env, false).unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut scans = 0;
    while Instant::now() < deadline {
        let threads = scans % 2 == 1;
        let mut s = sc.scan(&env, threads).unwrap();
        let pids = s.pids();
        sc.fill(&env, &mut s, &pids, Fields::ALL);
        let _ = process::detail(&env, *pids.last().unwrap());
        // Another user's io is "permission denied" (when not root), an exited process's is
        // "exited": expected outcomes, never a failure.
        assert!(
            s.procs
                .iter()
                .all(|p| !matches!(p.io, Err(Unavailable::Failed(_)))),
            "{:?}",
            s.procs
                .iter()
                .find(|p| matches!(p.io, Err(Unavailable::Failed(_))))
        );
        if !nix::unistd::geteuid().is_root() {
            assert_eq!(s.get(1).map(|p| &p.io), Some(&Err(Unavailable::Permission)));
        }
        let r = rows(&prev, &s, env.facts());
        assert_eq!(r.len(), s.procs.len());
        prev = s;
        scans += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let started = churn.join().unwrap();
    assert!(started > 10, "the churn ran ({started} processes)");
    assert!(scans > 5);
    // Files of exited processes are closed, not hoarded: at most stat, schedstat, status and
    // io per sample, plus the process-level stat, status and io of each multi-threaded process
    // in the thread view (schedstat is closed once a process has threads).
    let (samples, pids) = (prev.procs.len(), prev.pids().len());
    assert!(
        sc.open_files() <= 4 * samples + 3 * pids,
        "{} files open for {samples} samples of {pids} processes",
        sc.open_files()
    );
}

#[test]
fn capture_all_records_what_the_table_reads() {
    let env = Env::recording();
    let n = capture_all(&env).unwrap();
    let rec = env.take_recording().unwrap();
    let stats = rec
        .files
        .keys()
        .filter(|k| k.starts_with("/proc/") && k.ends_with("/stat") && !k.contains("/task/"))
        .count();
    // Processes can exit between the listing and the read; nearly all are there.
    assert!(stats + 5 >= n, "{stats} stat files for {n} processes");
    if Path::new("/proc/self/schedstat").exists() {
        // Read before each stat, so the capture replays with stat reuse as the host would.
        let scheds = rec
            .files
            .keys()
            .filter(|k| k.ends_with("/schedstat") && !k.contains("/task/"))
            .count();
        assert!(
            scheds + 5 >= n,
            "{scheds} schedstat files for {n} processes"
        );
    }
    assert!(rec.files.contains_key("/proc/uptime"));
    assert!(rec.files.contains_key("/etc/passwd"));
    assert!(rec.files.keys().any(|k| k.ends_with("/cmdline")));
    assert!(
        rec.files
            .keys()
            .any(|k| k.contains("/task/") && k.ends_with("/stat"))
    );
}

/// Measurement helper, not a check: scans `SONDE_SCANS` times (default 2). Run under
/// `strace -c -f` with two counts and subtract to get the steady-state syscalls per process:
///
/// ```text
/// T=$(ls target/debug/deps/it-* | grep -v '\.d$')
/// F="--ignored --exact process::scan_loop_for_strace"
/// SONDE_SCANS=2  strace -c -f -o a.txt $T $F
/// SONDE_SCANS=12 strace -c -f -o b.txt $T $F
/// ```
#[test]
#[ignore = "run by hand under strace (see its doc comment)"]
fn scan_loop_for_strace() {
    let n: u32 = std::env::var("SONDE_SCANS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let env = Env::live();
    let mut sc = ProcessScanner::new(&env);
    let mut prev = sc.scan(&env, false).unwrap();
    let (mut procs, mut reused) = (0, 0);
    for _ in 1..n {
        thread::sleep(Duration::from_millis(20));
        let curr = sc.scan(&env, false).unwrap();
        procs = curr.procs.len();
        reused = curr.procs.iter().filter(|p| p.stat_reused).count();
        std::hint::black_box(rows(&prev, &curr, env.facts()));
        prev = curr;
    }
    eprintln!(
        "{n} scans, {procs} processes ({reused} stats reused in the last scan), {} files kept \
         open",
        sc.open_files()
    );
}

/// Regression for skipping the /proc listing: a process created between two scans must be in
/// the second scan, and one that exited must be gone.
#[test]
fn new_and_exited_processes_are_seen_without_relisting_every_scan() {
    let env = sonde::env::Env::live();
    let mut sc = sonde::collect::process::ProcessScanner::new(&env);
    sc.scan(&env, false).expect("scan");
    sc.scan(&env, false).expect("scan");
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn");
    let pid = i32::try_from(child.id()).expect("pid");
    let snap = sc.scan(&env, false).expect("scan");
    assert!(
        snap.get(pid).is_some(),
        "a new process appears in the next scan"
    );
    child.kill().expect("kill");
    child.wait().expect("wait");
    let snap = sc.scan(&env, false).expect("scan");
    assert!(
        snap.get(pid).is_none(),
        "an exited process is gone in the next scan"
    );
}
