//! Run the real sysstat tools (`iostat -x`, `mpstat -P ALL`, `sar -n DEV,EDEV,TCP,ETCP`) on
//! captured `/proc` and `/sys` contents, so a test can compare sonde with its peer on
//! byte-identical inputs.
//!
//! # Fixture layout
//!
//! A capture sequence is a directory `DIR` with snapshots `DIR/0`, `DIR/1`, … Each snapshot
//! mirrors absolute paths without the leading slash: `DIR/0/proc/diskstats`,
//! `DIR/0/sys/class/net/eth0/speed`, … ([`capture_sequence`] writes one from the live host;
//! `sonde capture` writes the same layout.)
//!
//! # Technique
//!
//! The peer runs as a child that first moves into a private mount namespace
//! (`unshare(CLONE_NEWNS)` + `MS_REC|MS_PRIVATE` on `/`, done between fork and exec, so the
//! test process and the host never see a mount; the namespace dies with the peer). There a
//! *stand-in*, a regular file in a temporary directory, is bind-mounted over every served
//! file. The stand-ins are watched by a fanotify group with `FAN_OPEN_PERM`: the kernel holds
//! each `open` of a stand-in until the gate thread has written the snapshot this open must
//! see into it and answered `FAN_ALLOW`. Opens are thus served one at a time, in the peer's
//! order, with exact synchronisation and no timing assumptions.
//!
//! Which snapshot an open sees is decided by a *pacing file*, the first entry of `files`
//! (`proc/uptime` for all three peers): its n-th open shows `DIR/n` and makes `n` the current
//! snapshot; every open of any other served file shows the current snapshot (snapshot 0 before
//! the first pacing open). This copes with files a peer opens several times per sample (`sadc`
//! opens `/proc/net/dev` once at start and twice per sample, `/proc/net/snmp` twice per sample).
//! It relies on the peer opening the pacing file first in each sample, which strace shows for
//! the sysstat 12.6 tools:
//!
//! | peer (args used here) | per sample, in order | once at start (live, not compared) |
//! |---|---|---|
//! | `iostat -x -p ALL -d -k 1 N` | `/proc/uptime`, `/proc/stat`, `/proc/diskstats` | `/sys/devices/system/cpu` (CPU count) |
//! | `mpstat -P ALL 1 N-1` | `/proc/uptime`, `/proc/stat` | `/sys/devices/system/cpu{,/cpuN}`, `/proc/interrupts`, `/proc/softirqs` |
//! | `sadc -S A_NULL,A_NET_DEV,A_NET_EDEV,A_NET_TCP,A_NET_ETCP 1 N` | `/proc/uptime`, `/proc/net/dev`, `/sys/class/net/IF/duplex` (+`speed` if duplex is full/half), `/proc/net/dev`, `/proc/net/snmp` ×2 | `/proc/net/dev` (interface count), `/sys/devices/system/cpu` |
//!
//! Without `-p`, `iostat` reads `/sys/block/DEV/stat` instead of `/proc/diskstats` (three opens
//! per device for two reports), so `-p ALL` is what makes it read the captured diskstats.
//! `mpstat`'s `all` row is the sum of the `cpuN` lines, not the kernel's `cpu` line.
//!
//! `/proc/net` is a symlink to `self/net`, and procfs forces a fresh lookup of every entry
//! under `/proc/PID/net`, which silently drops a mount placed on `/proc/net/dev`. What sticks
//! is a mount on the directory `/proc/PID/net` of the process that made it, which survives
//! `exec` but not `fork`. So `proc/net/*` files are served by mounting a directory (stand-ins
//! for served entries, symlinks to the real ones for the rest) on `/proc/self/net`, and `sar`
//! is not run directly (it forks `sadc`): `sadc` runs on the captures writing a data file, then
//! `sar -f` formats it. That is what `sar -n …` does itself, through a pipe.
//!
//! Named FIFOs with a writer thread per file were tried first and are unreliable in a test
//! binary: any concurrent `fork` (every `Command::spawn` of any test) copies the writer's end
//! until the child execs, and a peer that closes before EOF (`sadc` stops reading
//! `/proc/net/snmp` once it has the `Tcp:` lines) then re-opens against that stray copy and
//! reads nothing. Regular files have no such coupling.
//!
//! # Guards
//!
//! Every wait is bounded: the peer is killed (its whole process group) after a timeout, and the
//! gate thread polls its stop flag; closing the fanotify group lets any held open proceed.
//! A run fails unless the pacing file was opened exactly once per snapshot and every explicitly
//! listed file was opened at least once, so a peer that stops reading a served file (and would
//! silently show live data) fails the test instead. Files matched by a `*` pattern (e.g.
//! `sys/class/net/*/speed`) may go unread. What a peer reads that is not served comes from the
//! live host; the table above lists it, and none of it feeds the compared columns as long as
//! the captures come from a host with the same CPUs and interfaces.

mod capture;
mod namespace;
mod parse;
mod serve;
#[cfg(test)]
mod tests;

pub use capture::{CAPTURE_FILES, capture_count, capture_sequence, capture_snapshot};
pub use parse::{NO_KEY, Reports, SarNet, Table, parse_iostat_x, parse_mpstat, parse_sar_net};

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use namespace::enter_private_mounts;
use serve::Serving;

/// Files `iostat -x -p ALL` reads per report; `proc/uptime` paces.
pub const IOSTAT_FILES: &[&str] = &["proc/uptime", "proc/stat", "proc/diskstats"];
/// Files `mpstat -P ALL` reads per report; `proc/uptime` paces.
pub const MPSTAT_FILES: &[&str] = &["proc/uptime", "proc/stat"];
/// Files `sadc` reads per sample for DEV, EDEV, TCP, ETCP; `proc/uptime` paces.
pub const SAR_NET_FILES: &[&str] = &[
    "proc/uptime",
    "proc/net/dev",
    "proc/net/snmp",
    "sys/class/net/*/duplex",
    "sys/class/net/*/speed",
];
/// The activities `sar -n DEV,EDEV,TCP,ETCP` asks its `sadc` for (seen with strace).
const SADC_NET_ACTIVITIES: &str = "A_NULL,A_NET_DEV,A_NET_EDEV,A_NET_TCP,A_NET_ETCP";
/// Where distributions install `sadc`.
const SADC_PATHS: &[&str] = &[
    "/usr/lib/sysstat/sadc",
    "/usr/libexec/sysstat/sadc",
    "/usr/lib64/sa/sadc",
    "/usr/lib/sa/sadc",
];
/// Environment of every peer: C locale (dots, 24 h clock), no colours, fixed time zone.
pub const PEER_ENV: &[(&str, &str)] = &[
    ("LC_ALL", "C"),
    ("S_TIME_FORMAT", "ISO"),
    ("S_COLORS", "never"),
    ("TZ", "UTC"),
];

/// What a peer printed, and how often it opened each served file.
#[derive(Debug, Clone)]
pub struct PeerRun {
    pub stdout: String,
    pub stderr: String,
    /// Served file (relative path as in the fixture) → number of opens by the peer.
    pub opens: BTreeMap<String, usize>,
}

/// Runs `peer_args` (e.g. `["iostat", "-x", "-p", "ALL", "-d", "-k", "1", "2"]`) with `files`
/// served from the capture sequence `dir`, and returns the peer's stdout. `files[0]` paces (see
/// the module doc); the peer's count argument must make it read each snapshot once.
pub fn run_on_captures(peer_args: &[&str], dir: &Path, files: &[&str]) -> Result<String, String> {
    run_peer(peer_args, dir, files).map(|run| run.stdout)
}

/// [`run_on_captures`], also returning stderr and the open counts.
pub fn run_peer(peer_args: &[&str], dir: &Path, files: &[&str]) -> Result<PeerRun, String> {
    let (prog, args) = peer_args.split_first().ok_or("empty peer command")?;
    let snapshots = capture_count(dir);
    if snapshots == 0 {
        return Err(format!("{}: no snapshot directory 0/", dir.display()));
    }
    let work = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let (mounts, server) = Serving::prepare(dir, snapshots, files, work.path())?.start();
    let mut cmd = Command::new(prog);
    cmd.args(args);
    enter_private_mounts(&mut cmd, mounts);
    let timeout = Duration::from_secs(20 + snapshots as u64);
    let result = run_bounded(cmd, prog, timeout);
    let report = server.stop()?;

    let opens: BTreeMap<String, usize> = report
        .files
        .iter()
        .map(|f| (f.rel.clone(), f.opens))
        .collect();
    let (status, stdout, stderr) = result.map_err(|e| format!("{e}; opens so far: {opens:?}"))?;
    if !report.errors.is_empty() {
        return Err(format!(
            "serving captures to {prog}: {}",
            report.errors.join("; ")
        ));
    }
    if !status.success() {
        return Err(format!("{prog} failed ({status}): {stderr}"));
    }
    let pacing = report.files.first().ok_or("nothing served")?;
    if pacing.opens != snapshots {
        return Err(format!(
            "{prog} opened {} {} times for {snapshots} snapshots; its count argument must \
             make it read each snapshot exactly once",
            pacing.rel, pacing.opens
        ));
    }
    if let Some(unread) = report.files.iter().find(|f| f.explicit && f.opens == 0) {
        return Err(format!(
            "{prog} never opened {}: it must be reading something else (live data)",
            unread.rel
        ));
    }
    Ok(PeerRun {
        stdout,
        stderr,
        opens,
    })
}

/// `iostat -x -p ALL -d -k 1 N` on the N snapshots in `dir` (N reports, the first since boot).
pub fn run_iostat_x(dir: &Path) -> Result<String, String> {
    let count = capture_count(dir).to_string();
    let args = ["iostat", "-x", "-p", "ALL", "-d", "-k", "1", &count];
    run_on_captures(&args, dir, IOSTAT_FILES)
}

/// `mpstat -P ALL 1 N-1` on the N ≥ 2 snapshots in `dir`.
pub fn run_mpstat(dir: &Path) -> Result<String, String> {
    let reports = intervals(dir)?.to_string();
    run_on_captures(&["mpstat", "-P", "ALL", "1", &reports], dir, MPSTAT_FILES)
}

/// The output of `sar -n DEV,EDEV,TCP,ETCP 1 N-1` on the N ≥ 2 snapshots in `dir`: `sadc`
/// samples the captures into a data file, `sar -f` prints it (one block per activity, each
/// followed by its `Average:` rows).
pub fn run_sar_net(dir: &Path) -> Result<String, String> {
    intervals(dir)?;
    let sadc = sadc_path().ok_or("sadc not found")?;
    let sadc = sadc.to_str().ok_or("sadc path is not UTF-8")?;
    let work = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let data = work.path().join("sa.data");
    let data = data.to_str().ok_or("temporary path is not UTF-8")?;
    let count = capture_count(dir).to_string();
    let sadc_args = [sadc, "-S", SADC_NET_ACTIVITIES, "1", &count, data];
    run_on_captures(&sadc_args, dir, SAR_NET_FILES)?;
    let mut sar = Command::new("sar");
    sar.args(["-f", data, "-n", "DEV,EDEV,TCP,ETCP"]);
    let (status, stdout, stderr) = run_bounded(sar, "sar", Duration::from_secs(20))?;
    if !status.success() {
        return Err(format!("sar -f failed ({status}): {stderr}"));
    }
    Ok(stdout)
}

/// Why peers cannot run on captures here (not root, a peer missing, no mount namespace), or
/// `None` when they can.
pub fn environment_problem(peers: &[&str]) -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some(
            "not root: mount namespaces, bind mounts and fanotify need CAP_SYS_ADMIN".into(),
        );
    }
    let missing: Vec<&str> = peers
        .iter()
        .copied()
        .filter(|p| {
            if *p == "sadc" {
                sadc_path().is_none()
            } else {
                !in_path(p)
            }
        })
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "peer(s) not installed: {} (package sysstat)",
            missing.join(", ")
        ));
    }
    if let Err(e) = serve::probe_gate() {
        return Some(format!("no fanotify permission events: {e}"));
    }
    let mut probe = Command::new("true");
    enter_private_mounts(&mut probe, Vec::new());
    match run_bounded(probe, "true", Duration::from_secs(10)) {
        Ok((status, ..)) if status.success() => None,
        Ok((status, _, stderr)) => Some(format!(
            "probe in a mount namespace failed: {status} {stderr}"
        )),
        Err(e) => Some(format!("cannot create a private mount namespace: {e}")),
    }
}

/// The `sadc` binary, if installed.
pub fn sadc_path() -> Option<PathBuf> {
    SADC_PATHS.iter().map(PathBuf::from).find(|p| p.is_file())
}

fn in_path(prog: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(prog).is_file()))
}

/// Number of intervals (reports after the first snapshot), at least one.
fn intervals(dir: &Path) -> Result<usize, String> {
    match capture_count(dir) {
        n if n >= 2 => Ok(n - 1),
        n => Err(format!(
            "{}: {n} snapshot(s), need at least 2",
            dir.display()
        )),
    }
}

/// Runs `cmd` in its own process group with the peer environment, output to temporary files,
/// killing the group if it is still running after `timeout`.
fn run_bounded(
    mut cmd: Command,
    name: &str,
    timeout: Duration,
) -> Result<(ExitStatus, String, String), String> {
    let temp = || tempfile::tempfile().map_err(|e| format!("temporary file: {e}"));
    let (mut out, mut err) = (temp()?, temp()?);
    let clone = |f: &File| f.try_clone().map_err(|e| format!("temporary file: {e}"));
    cmd.envs(PEER_ENV.iter().copied())
        .stdin(Stdio::null())
        .stdout(clone(&out)?)
        .stderr(clone(&err)?)
        .process_group(0);
    let spawned = cmd.spawn();
    let read = |f: &mut File| -> String {
        let mut text = String::new();
        let _ = f.rewind().and_then(|()| f.read_to_string(&mut text));
        text
    };
    let mut child = spawned.map_err(|e| format!("cannot start {name}: {e} {}", read(&mut err)))?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let group = nix::unistd::Pid::from_raw(child.id() as i32);
                let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
                let _ = child.wait();
                return Err(format!(
                    "{name} still running after {timeout:?}, killed; stderr: {}",
                    read(&mut err)
                ));
            }
            Err(e) => return Err(format!("waiting for {name}: {e}")),
        }
    };
    Ok((status, read(&mut out), read(&mut err)))
}
