//! Live taskstats tests: queries of children doing known work, exit notifications for short-lived
//! processes, loss accounting under overflow, and `kernel.task_delayacct`. They need root
//! (`CAP_NET_ADMIN`); without it they skip with a reason, or fail under
//! `SONDE_REQUIRE_PRIVILEGED=1`. Tests that load the machine hold [`crate::LIVE_LOCK`].

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

use sonde::collect::netlink::delayacct::{self, DelayAcctGuard};
use sonde::collect::netlink::{ExitListener, Exits, Scope, TaskstatsClient, online_cpus};
use sonde::env::Env;

use crate::support::skip_or_fail;

const MIB: u64 = 1 << 20;

fn privileged(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    skip_or_fail(test, "taskstats needs CAP_NET_ADMIN; run as root");
    false
}

fn live_lock() -> MutexGuard<'static, ()> {
    crate::LIVE_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn tmp_dir(name: &str) -> tempfile::TempDir {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).unwrap();
    tempfile::Builder::new()
        .prefix(name)
        .tempdir_in(base)
        .unwrap()
}

/// Kills and reaps a child when dropped, so a failing assertion leaves no process behind.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `dd` writing 20 MiB with O_DIRECT from a pipe, kept alive afterwards (it waits for a 21st
/// block), so it can be queried when done. Returns the child once `tgid()` sees the writes.
fn dd_writer(dir: &std::path::Path, client: &mut TaskstatsClient) -> (Reaper, u64) {
    let mut child = Reaper(
        Command::new("dd")
            .arg(format!("of={}", dir.join("out").display()))
            .args(["bs=1M", "count=21", "iflag=fullblock", "oflag=direct"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn dd"),
    );
    let pid = child.0.id() as i32;
    let block = vec![0u8; MIB as usize];
    let stdin = child.0.stdin.as_mut().unwrap();
    for _ in 0..20 {
        stdin.write_all(&block).unwrap();
    }
    stdin.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let t = client.tgid(pid).unwrap();
        if t.write_bytes >= 20 * MIB || Instant::now() > deadline {
            return (child, t.write_bytes);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn family_resolves_and_own_thread_answers() {
    let test = "taskstats::family_resolves_and_own_thread_answers";
    let mut client = TaskstatsClient::new().expect("resolving TASKSTATS needs no privilege");
    assert!(client.family().id >= 16);
    if !privileged(test) {
        return;
    }
    let tid = nix::unistd::gettid().as_raw();
    let pid = std::process::id() as i32;
    let me = client.pid(tid).unwrap();
    assert_eq!(me.ac_pid, tid as u32);
    assert_eq!(me.ac_tgid, Some(pid as u32));
    let comm = std::fs::read_to_string(format!("/proc/self/task/{tid}/comm")).unwrap();
    assert_eq!(me.ac_comm, comm.trim_end());
    assert!(me.version >= 7);
    let process = client.tgid(pid).unwrap();
    assert_eq!(process.ac_pid, pid as u32);
    assert!(process.ac_utime_us + process.ac_stime_us > 0);
}

#[test]
fn vanished_pid_is_gone() {
    if !privileged("taskstats::vanished_pid_is_gone") {
        return;
    }
    let mut client = TaskstatsClient::new().unwrap();
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id() as i32;
    child.wait().unwrap();
    let e = client.pid(pid).unwrap_err();
    assert!(e.is_gone(), "{e}");
    assert!(client.tgid(pid).unwrap_err().is_gone());
    assert!(client.pid(-1).unwrap_err().is_gone());
}

#[test]
fn dd_direct_writes_show_in_tgid_write_bytes() {
    if !privileged("taskstats::dd_direct_writes_show_in_tgid_write_bytes") {
        return;
    }
    let _lock = live_lock();
    let dir = tmp_dir("taskstats-dd");
    let mut client = TaskstatsClient::new().unwrap();
    let (child, write_bytes) = dd_writer(dir.path(), &mut client);
    let want = 20 * MIB;
    assert!(
        write_bytes.abs_diff(want) * 20 <= want,
        "dd wrote {write_bytes} bytes by taskstats, expected {want} ± 5 %"
    );
    let t = client.tgid(child.0.id() as i32).unwrap();
    assert_eq!(t.ac_comm, "dd");
    // wchar: the bytes dd passed to write(2), rounded down to KiB by the kernel.
    assert!(
        t.write_char_bytes.abs_diff(want) * 20 <= want,
        "write_char {} bytes",
        t.write_char_bytes
    );
}

#[test]
fn cpu_burner_times_match_its_run() {
    if !privileged("taskstats::cpu_burner_times_match_its_run") {
        return;
    }
    let _lock = live_lock();
    let mut client = TaskstatsClient::new().unwrap();
    // Busy for 0.5 s of wall time without forking, then idle (same PID) so it can be asked.
    let script = "end=$(( ${EPOCHREALTIME/./} + 500000 )); \
                  while (( ${EPOCHREALTIME/./} < end )); do :; done; echo done; exec sleep 30";
    let start = Instant::now();
    let mut child = Reaper(
        Command::new("bash")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let wall = start.elapsed();
    let pid = child.0.id() as i32;
    let t = client.tgid(pid).unwrap();
    let cpu_us = t.ac_utime_us + t.ac_stime_us;
    // The scheduler's own on-CPU time for the task (ns), from /proc/PID/schedstat.
    let schedstat = std::fs::read_to_string(format!("/proc/{pid}/schedstat")).unwrap();
    let on_cpu_us = schedstat
        .split_whitespace()
        .next()
        .unwrap()
        .parse::<u64>()
        .unwrap()
        / 1000;
    eprintln!(
        "burner: wall {} ms, taskstats utime+stime {} ms, schedstat {} ms",
        wall.as_millis(),
        cpu_us / 1000,
        on_cpu_us / 1000
    );
    assert!(on_cpu_us >= 100_000, "the burner ran only {on_cpu_us} µs");
    assert!(
        cpu_us.abs_diff(on_cpu_us) * 5 <= on_cpu_us,
        "utime+stime {cpu_us} µs vs on-CPU {on_cpu_us} µs"
    );
    assert!(
        cpu_us as u128 <= wall.as_micros() * 6 / 5,
        "more CPU than wall time"
    );
    // cpu_run_virtual_total is the same sum_exec_runtime schedstat shows; the task is asleep.
    assert!(
        (t.cpu_run_virtual_total_ns / 1000).abs_diff(on_cpu_us) <= 5_000,
        "cpu_run_virtual_total {} ns vs schedstat {on_cpu_us} µs",
        t.cpu_run_virtual_total_ns
    );
    assert!((t.cpu_run_real_total_ns / 1000).abs_diff(cpu_us) <= 1);
}

/// Drains until every pid in `want` has a PID record or `timeout` passes.
fn collect_exits(listener: &mut ExitListener, want: &HashSet<u32>, timeout: Duration) -> Exits {
    let deadline = Instant::now() + timeout;
    let mut all = Exits::default();
    loop {
        let got = listener.drain().unwrap();
        all.records.extend(got.records);
        all.lost += got.lost;
        all.malformed += got.malformed;
        let seen: HashSet<u32> = all
            .records
            .iter()
            .filter(|r| r.scope == Scope::Pid)
            .map(|r| r.id)
            .collect();
        if want.is_subset(&seen) || Instant::now() > deadline {
            return all;
        }
        listener.wait(Duration::from_millis(100)).unwrap();
    }
}

#[test]
fn exit_listener_sees_short_lived_children() {
    if !privileged("taskstats::exit_listener_sees_short_lived_children") {
        return;
    }
    let _lock = live_lock();
    let cpus = online_cpus(&Env::live()).unwrap();
    let mut listener = ExitListener::new(&cpus).unwrap();
    let mut pids = HashSet::new();
    for _ in 0..50 {
        let mut child = Command::new("/bin/true").spawn().unwrap();
        pids.insert(child.id());
        child.wait().unwrap();
    }
    let exits = collect_exits(&mut listener, &pids, Duration::from_secs(5));
    let ours: Vec<_> = exits
        .records
        .iter()
        .filter(|r| r.scope == Scope::Pid && pids.contains(&r.id))
        .collect();
    assert!(exits.records.len() >= 50, "{} records", exits.records.len());
    assert_eq!(
        ours.len(),
        50,
        "{} of 50 children seen, {} lost",
        ours.len(),
        exits.lost
    );
    assert_eq!((exits.lost, exits.malformed), (0, 0));
    for r in ours {
        assert_eq!(r.stats.ac_comm, "true");
        assert_eq!(r.stats.exit_code(), Some(0));
        assert_eq!(r.stats.ac_pid, r.id);
    }
}

#[test]
fn exit_listener_counts_what_an_overflow_drops() {
    if !privileged("taskstats::exit_listener_counts_what_an_overflow_drops") {
        return;
    }
    let _lock = live_lock();
    let cpus = online_cpus(&Env::live()).unwrap();
    // The smallest buffer the kernel allows: a notification or two per CPU.
    let mut listener = ExitListener::with_rcvbuf(&cpus, 1).unwrap();
    let n = 300;
    let children: Vec<Child> = (0..n)
        .map(|_| Command::new("/bin/true").spawn().unwrap())
        .collect();
    let pids: HashSet<u32> = children.iter().map(Child::id).collect();
    for mut c in children {
        c.wait().unwrap();
    }
    std::thread::sleep(Duration::from_millis(100));
    let mut exits = listener.drain().unwrap();
    // One exit per CPU after the queue has room again reveals each CPU's last gap.
    let mut sentinels = HashSet::new();
    for cpu in listener.cpus() {
        let mut s = Command::new("taskset")
            .args(["-c", &cpu.to_string(), "/bin/true"])
            .spawn()
            .unwrap();
        sentinels.insert(s.id());
        s.wait().unwrap();
        let more = collect_exits(&mut listener, &sentinels, Duration::from_secs(2));
        exits.records.extend(more.records);
        exits.lost += more.lost;
    }
    let ours = exits
        .records
        .iter()
        .filter(|r| r.scope == Scope::Pid && pids.contains(&r.id))
        .count() as u64;
    eprintln!(
        "overflow: rcvbuf {} bytes, {ours} of {n} children received, {} lost",
        listener.rcvbuf_bytes(),
        exits.lost
    );
    assert!(
        exits.lost > 0,
        "a {} byte buffer did not overflow",
        listener.rcvbuf_bytes()
    );
    assert!(
        ours + exits.lost >= n,
        "{ours} received + {} counted lost < {n} children: drops went uncounted",
        exits.lost
    );
}

#[test]
fn delayacct_counts_block_io_waits_and_is_restored() {
    let test = "taskstats::delayacct_counts_block_io_waits_and_is_restored";
    if !privileged(test) {
        return;
    }
    let env = Env::live();
    let Some(before) = delayacct::task_delayacct(&env).unwrap() else {
        skip_or_fail(
            test,
            "no kernel.task_delayacct (before Linux 5.14 it is always on)",
        );
        return;
    };
    let _lock = live_lock();
    const MARKER: &str = "unwinding on purpose, with the guard alive";
    // Restored even if this test panics: the guard's Drop runs during unwinding.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let guard = DelayAcctGuard::enable(&env).unwrap();
        assert_eq!(guard.previous(), before);
        assert_eq!(delayacct::task_delayacct(&env).unwrap(), Some(true));
        let dir = tmp_dir("taskstats-delay");
        let mut client = TaskstatsClient::new().unwrap();
        let (child, _) = dd_writer(dir.path(), &mut client);
        let t = client.tgid(child.0.id() as i32).unwrap();
        assert!(t.blkio_count > 0, "no block-I/O waits counted: {t:?}");
        assert!(t.blkio_delay_total_ns > 0);
        panic!("{MARKER}");
    }));
    let after = delayacct::task_delayacct(&env).unwrap();
    let payload = result.expect_err("the closure always panics");
    let ours = payload
        .downcast_ref::<String>()
        .is_some_and(|m| m == MARKER);
    assert_eq!(after, Some(before), "kernel.task_delayacct not restored");
    if !ours {
        std::panic::resume_unwind(payload);
    }
}
