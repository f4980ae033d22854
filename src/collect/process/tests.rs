//! Scanner tests on small trees built here, the live host (this test process) and FIFOs
//! standing in for a blocked cmdline read.

use std::path::Path;
use std::time::{Duration, Instant};

use super::cmdline::{CmdlineReader, Job, MAX_WORKERS};
use super::*;

const CAT_STAT: &str = "31665 (cat) R 31663 31663 22564 0 -1 4194304 101 0 0 0 0 0 0 0 20 0 1 \
    0 205102 3133440 389 18446744073709551615 94047482916864 94047482936745 140725051529968 \
    0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94047482952752 94047482954368 94048085606400 \
    140725051534049 140725051534069 140725051534069 140725051535339 0\n";

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// A one-tree capture: /proc/uptime, .sonde/facts and the given /proc/PID/stat lines.
fn tree(stats: &[(i32, String)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "proc/uptime", b"100.00 50.00\n");
    write(
        d.path(),
        ".sonde/facts",
        b"clock_ticks_per_sec 100\npage_size_bytes 4096\nunix_time 1700000000\n",
    );
    write(d.path(), "etc/passwd", b"root:x:0:0::/root:/bin/sh\n");
    write(d.path(), "proc/stat", b"cpu 1 2 3 4\n");
    for (pid, line) in stats {
        write(d.path(), &format!("proc/{pid}/stat"), line.as_bytes());
    }
    d
}

fn stat_line(pid: i32, comm: &str, start: u64) -> String {
    CAT_STAT
        .replacen("31665 (cat)", &format!("{pid} ({comm})"), 1)
        .replacen(" 205102 ", &format!(" {start} "), 1)
}

#[test]
fn scan_skips_vanished_and_unparsable_and_lists_only_pids() {
    let d = tree(&[
        (10, stat_line(10, "a", 1)),
        (2, stat_line(2, "b", 1)),
        (30, "garbage".into()),
    ]);
    // 40: listed (directory exists) but its stat is gone: exited mid-scan.
    std::fs::create_dir_all(d.path().join("proc/40")).unwrap();
    let env = Env::replay(d.path()).unwrap();
    let mut sc = ProcessScanner::new(&env);
    let snap = sc.scan(&env, false).unwrap();
    let pids: Vec<i32> = snap.procs.iter().map(|p| p.pid).collect();
    assert_eq!(pids, vec![2, 10], "sorted numerically, vanished left out");
    assert_eq!(snap.skipped, 1);
    assert_eq!(snap.uptime_cs, 10000);
    assert_eq!(snap.pids(), vec![2, 10]);
    assert_eq!(snap.get(10).unwrap().stat.comm, "a");
    assert!(snap.get(3).is_none());
}

#[test]
fn fill_reads_status_io_cmdline_and_says_why_io_is_missing() {
    let d = tree(&[(10, stat_line(10, "a", 1)), (11, stat_line(11, "b", 1))]);
    let status = "Name:\ta\nState:\tS (sleeping)\nPPid:\t1\nUid:\t1000\t0\t0\t0\n\
                  Gid:\t0\t0\t0\t0\nVmSwap:\t       8 kB\n";
    write(d.path(), "proc/10/status", status.as_bytes());
    write(d.path(), "proc/10/cmdline", b"a\x00--flag\x00");
    write(
        d.path(),
        "proc/10/io",
        b"rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 5\nwrite_bytes: 6\n\
          cancelled_write_bytes: 7\n",
    );
    // 11 has no io file (a kernel without CONFIG_TASK_IO_ACCOUNTING) and no status.
    let env = Env::replay(d.path()).unwrap();
    let mut sc = ProcessScanner::new(&env);
    let mut snap = sc.scan(&env, false).unwrap();
    sc.fill(&env, &mut snap, &[10, 11], Fields::ALL);
    let a = snap.get(10).unwrap();
    assert_eq!(a.uid, Some(0), "effective uid");
    assert_eq!(a.user.as_deref(), Some("root"));
    assert_eq!(a.cmdline.as_deref(), Some("a --flag"));
    assert_eq!(a.io.as_ref().unwrap().write_bytes, 6);
    assert_eq!(a.status.as_ref().unwrap().vm_swap_bytes, Some(8192));
    let b = snap.get(11).unwrap();
    assert_eq!(b.io, Err(Unavailable::NotOnKernel));
    assert_eq!(b.status, None);
    assert_eq!(b.cmdline, None);
    // The user and cmdline carry over into the next scan without reading again.
    let snap = sc.scan(&env, false).unwrap();
    assert_eq!(snap.get(10).unwrap().user.as_deref(), Some("root"));
    assert_eq!(snap.get(10).unwrap().cmdline.as_deref(), Some("a --flag"));
}

#[test]
fn reused_pid_forgets_what_was_remembered() {
    let d = tree(&[(10, stat_line(10, "a", 1))]);
    write(d.path(), "proc/10/cmdline", b"old\x00");
    let env = Env::replay(d.path()).unwrap();
    let mut sc = ProcessScanner::new(&env);
    let mut snap = sc.scan(&env, false).unwrap();
    sc.fill(&env, &mut snap, &[10], Fields::ALL);
    assert_eq!(snap.get(10).unwrap().cmdline.as_deref(), Some("old"));
    // Same PID, later start time: a different process.
    write(d.path(), "proc/10/stat", stat_line(10, "a", 999).as_bytes());
    let snap = sc.scan(&env, false).unwrap();
    assert_eq!(snap.get(10).unwrap().cmdline, None);
    assert_eq!(snap.get(10).unwrap().stat.start_ticks, 999);
}

#[test]
fn exec_invalidates_the_cached_cmdline() {
    let d = tree(&[(10, stat_line(10, "sh", 1))]);
    write(d.path(), "proc/10/cmdline", b"sh\x00-c\x00exec sleep 9\x00");
    let env = Env::replay(d.path()).unwrap();
    let mut sc = ProcessScanner::new(&env);
    let mut snap = sc.scan(&env, false).unwrap();
    sc.fill(&env, &mut snap, &[10], Fields::ALL);
    write(
        d.path(),
        "proc/10/stat",
        stat_line(10, "sleep", 1).as_bytes(),
    );
    write(d.path(), "proc/10/cmdline", b"sleep\x009\x00");
    let mut snap = sc.scan(&env, false).unwrap();
    assert_eq!(snap.get(10).unwrap().cmdline, None, "comm changed: stale");
    sc.fill(&env, &mut snap, &[10], Fields::ALL);
    assert_eq!(snap.get(10).unwrap().cmdline.as_deref(), Some("sleep 9"));
}

#[test]
fn thread_view_reads_task_stats() {
    let multi = stat_line(10, "app", 1).replacen(" 20 0 1 0 ", " 20 0 2 0 ", 1);
    let d = tree(&[(10, multi), (11, stat_line(11, "single", 1))]);
    write(
        d.path(),
        "proc/10/task/10/stat",
        stat_line(10, "app", 1).as_bytes(),
    );
    write(
        d.path(),
        "proc/10/task/12/stat",
        stat_line(12, "worker", 1).as_bytes(),
    );
    let env = Env::replay(d.path()).unwrap();
    let mut sc = ProcessScanner::new(&env);
    let snap = sc.scan(&env, true).unwrap();
    let ids: Vec<(i32, Option<i32>, bool)> = snap
        .procs
        .iter()
        .map(|p| (p.pid, p.tid, p.from_task_dir))
        .collect();
    assert_eq!(
        ids,
        vec![
            (10, Some(10), true),
            (10, Some(12), true),
            (11, Some(11), false)
        ]
    );
    assert_eq!(snap.procs[1].stat.comm, "worker");
    assert_eq!(snap.procs[1].dir(), "/proc/10/task/12");
    assert_eq!(snap.procs[2].dir(), "/proc/11");
    assert_eq!(snap.pids(), vec![10, 11]);
}

#[test]
fn live_scan_finds_this_process_and_keeps_its_stat_open() {
    let env = Env::live();
    let mut sc = ProcessScanner::new(&env);
    let me = std::process::id() as i32;
    let mut snap = sc.scan(&env, false).unwrap();
    assert!(sc.open_files() > 0);
    sc.fill(&env, &mut snap, &[me], Fields::ALL);
    let s = snap.get(me).unwrap();
    assert!(s.stat.num_threads >= 1);
    assert!(s.cmdline.as_deref().is_some_and(|c| !c.is_empty()));
    assert!(s.io.is_ok() || s.io == Err(Unavailable::NotOnKernel));
    assert!(s.user.is_some());
    // The thread view lists this (multi-threaded: the test harness) process's threads.
    let t = sc.scan(&env, true).unwrap();
    assert!(t.procs.iter().filter(|p| p.pid == me).count() >= 1);
    assert!(t.procs.iter().all(|p| p.tid.is_some()));
    let d = sc.detail(&env, me).unwrap();
    assert_eq!(d.pid, me);
    assert!(!d.threads.is_empty());
    assert!(d.open_files.as_ref().is_ok_and(|n| *n >= 3));
    assert!(d.limits.as_ref().unwrap().open_files().is_some());
    assert!(matches!(
        detail(&env, i32::MAX),
        Err(CollectError::NotFound { .. })
    ));
}

#[test]
fn recording_env_records_scanned_files() {
    let env = Env::recording();
    let n = capture_all(&env).unwrap();
    assert!(n > 0);
    let me = std::process::id();
    let rec = env.take_recording().unwrap();
    assert!(rec.files.contains_key("/proc/uptime"));
    assert!(rec.files.contains_key(&format!("/proc/{me}/stat")));
    assert!(rec.files.contains_key(&format!("/proc/{me}/status")));
    assert!(rec.files.contains_key(&format!("/proc/{me}/cmdline")));
    assert!(rec.dirs.contains_key("/proc"));
    assert!(rec.dirs.contains_key(&format!("/proc/{me}/task")));
}

fn fifo(dir: &Path, name: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    nix::unistd::mkfifo(&p, nix::sys::stat::Mode::S_IRWXU).unwrap();
    p
}

fn job(pid: i32, path: &Path) -> Job {
    Job {
        pid,
        start_ticks: 1,
        abs: format!("/proc/{pid}/cmdline"),
        path: path.to_path_buf(),
    }
}

/// Releases a worker blocked opening `p` for reading.
fn unblock(p: &Path) {
    use std::io::Write;
    let mut w = std::fs::OpenOptions::new().write(true).open(p).unwrap();
    let _ = w.write_all(b"late\x00");
}

#[test]
fn blocked_cmdline_read_is_not_yet_and_never_asked_twice() {
    //   call 1: 1 (blocks)  2 ✓        → 2 arrives, 1 pending
    //   call 2: 1 (pending) 3 ✓        → 1 not asked again, 3 arrives
    //   unblock 1                      → 1 arrives late, nothing pending
    let d = tempfile::tempdir().unwrap();
    let stuck = fifo(d.path(), "stuck");
    let ok = d.path().join("ok");
    std::fs::write(&ok, b"fine\x00").unwrap();
    let mut r = CmdlineReader::new();
    r.wait = Duration::from_millis(200);
    let t = Instant::now();
    let got = r.run(vec![job(1, &stuck), job(2, &ok)]);
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(got.iter().map(|d| d.pid).collect::<Vec<_>>(), vec![2]);
    assert_eq!(r.pending(), 1);
    let got = r.run(vec![job(1, &stuck), job(3, &ok)]);
    assert_eq!(got.iter().map(|d| d.pid).collect::<Vec<_>>(), vec![3]);
    assert_eq!(r.pending(), 1);
    unblock(&stuck);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut late = Vec::new();
    while late.is_empty() && Instant::now() < deadline {
        late = r.run(vec![]);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].pid, 1);
    assert_eq!(late[0].result.as_deref().unwrap(), b"late\x00");
    assert_eq!(r.pending(), 0);
}

#[test]
fn blocked_threads_stay_bounded() {
    let d = tempfile::tempdir().unwrap();
    let mut r = CmdlineReader::new();
    r.wait = Duration::from_millis(10);
    let fifos: Vec<_> = (0..10).map(|i| fifo(d.path(), &format!("f{i}"))).collect();
    for (i, f) in fifos.iter().enumerate() {
        r.run(vec![job(i as i32 + 1, f)]);
        assert!(r.workers() <= MAX_WORKERS);
    }
    assert_eq!(r.workers(), MAX_WORKERS);
    assert_eq!(r.pending(), 10);
    // Let them all go (the blocked workers finish, then drain the queue).
    for f in &fifos {
        unblock(f);
    }
}

#[test]
fn snapshot_is_send_and_unavailable_says_why() {
    fn send<T: Send + 'static>() {}
    send::<ProcSnapshot>();
    send::<ProcDetail>();
    let env = Env::live();
    let denied = CollectError::Permission {
        path: "/proc/1/io".into(),
    };
    assert_eq!(
        Unavailable::from_error(&env, "/proc/1", &denied),
        Unavailable::Permission
    );
    let gone = CollectError::NotFound {
        path: "/proc/2147483647/io".into(),
    };
    assert_eq!(
        Unavailable::from_error(&env, "/proc/2147483647", &gone),
        Unavailable::Exited
    );
    assert_eq!(Unavailable::Permission.to_string(), "permission denied");
    let mut s = ProcSample::from_stat(PidStat::default());
    s.io = Err(Unavailable::Permission);
    let j = serde_json::to_value(&s).unwrap();
    assert_eq!(j["io"]["unavailable"], "permission denied");
}
