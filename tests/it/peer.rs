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
//! named FIFO is bind-mounted over every served file. One writer thread per FIFO blocks in
//! `open(O_WRONLY)` until the peer opens the file, writes one snapshot's contents and closes,
//! so the peer reads exactly those bytes and then EOF. No sleeps, no timing assumptions.
//!
//! Which snapshot is served is decided by a *pacing file*, the first entry of `files`
//! (`proc/uptime` for all three peers): its n-th open serves `DIR/n` and makes `n` the current
//! snapshot; every open of any other served file serves the current snapshot (snapshot 0 before
//! the first pacing open). This copes with files a peer opens several times per report (`sadc`
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
//!
//! `/proc/net` is a symlink to `self/net`, and procfs forces a fresh lookup of every entry
//! under `/proc/PID/net`, which silently drops a mount placed on `/proc/net/dev`. What sticks
//! is a mount on the directory `/proc/PID/net` of the process that made it, which survives
//! `exec` but not `fork`. So `proc/net/*` files are served by mounting a directory (FIFOs for
//! served entries, symlinks to the real ones for the rest) on `/proc/self/net`, and `sar` is not
//! run directly (it forks `sadc`): `sadc` runs on the captures writing a data file, then
//! `sar -f` formats it. That is what `sar -n …` does itself, through a pipe.
//!
//! # Guards
//!
//! Every wait is bounded: the peer is killed (its whole process group) after a timeout, and
//! writer threads still blocked in `open` are released by opening their FIFO for reading.
//! A run fails unless the pacing file was opened exactly once per snapshot and every explicitly
//! listed file was opened at least once, so a peer that stops reading a served file (and would
//! silently show live data) fails the test instead. Files matched by a `*` pattern (e.g.
//! `sys/class/net/*/speed`) may go unread. What a peer reads that is not served comes from the
//! live host; the tables above list it, and none of it feeds the compared columns as long as the
//! captures come from a host with the same CPUs and interfaces.

mod capture;
mod parse;
#[cfg(test)]
mod tests;

pub use capture::{CAPTURE_FILES, capture_count, capture_sequence, capture_snapshot};
pub use parse::{NO_KEY, Reports, SarNet, Table, parse_iostat_x, parse_mpstat, parse_sar_net};

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

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
    let mut served = load_served(dir, snapshots, files)?;
    let mounts = prepare_mounts(work.path(), &mut served)?;
    let shared = Arc::new(Shared {
        files: served,
        snapshots,
        current: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        errors: Mutex::new(Vec::new()),
    });
    let watches = shared.files.iter().map(|f| CloseWatch::new(&f.fifo));
    let watches = watches.collect::<Result<Vec<_>, _>>()?;
    let writers = watches
        .into_iter()
        .enumerate()
        .map(|(i, closes)| {
            let shared = Arc::clone(&shared);
            thread::spawn(move || serve(&shared, i, closes))
        })
        .collect();

    let mut cmd = Command::new(prog);
    cmd.args(args);
    enter_private_mounts(&mut cmd, mounts);
    let timeout = Duration::from_secs(20 + snapshots as u64);
    let result = run_bounded(cmd, prog, timeout);
    let stopped = stop_writers(&shared, writers);

    let opens: BTreeMap<String, usize> = shared
        .files
        .iter()
        .map(|f| (f.rel.clone(), f.opens.load(SeqCst)))
        .collect();
    let errors = shared
        .errors
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let (status, stdout, stderr) = result.map_err(|e| format!("{e}; opens so far: {opens:?}"))?;
    stopped?;
    if !errors.is_empty() {
        return Err(format!("serving captures to {prog}: {}", errors.join("; ")));
    }
    if !status.success() {
        return Err(format!("{prog} failed ({status}): {stderr}"));
    }
    let pacing = &shared.files[0];
    let paced = pacing.opens.load(SeqCst);
    if paced != snapshots {
        return Err(format!(
            "{prog} opened {} {paced} times for {snapshots} snapshots; its count argument must \
             make it read each snapshot exactly once",
            pacing.rel
        ));
    }
    if let Some(unread) = shared
        .files
        .iter()
        .find(|f| f.explicit && f.opens.load(SeqCst) == 0)
    {
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
        return Some("not root (mount namespaces and bind mounts need CAP_SYS_ADMIN)".into());
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

/// One served file: its contents in every snapshot and the FIFO that serves them.
struct ServedFile {
    /// Path relative to a snapshot, e.g. `proc/net/dev`.
    rel: String,
    /// Listed by name (must be opened) rather than matched by a `*` pattern.
    explicit: bool,
    /// `contents[n]` is `DIR/n/rel`.
    contents: Vec<Vec<u8>>,
    fifo: PathBuf,
    opens: AtomicUsize,
}

/// State shared by the writer threads of one run.
struct Shared {
    /// `files[0]` paces.
    files: Vec<ServedFile>,
    snapshots: usize,
    /// Snapshot served to non-pacing files.
    current: AtomicUsize,
    stop: AtomicBool,
    errors: Mutex<Vec<String>>,
}

impl Shared {
    fn fail(&self, error: String) {
        self.errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(error);
    }
}

/// Expands `files` against snapshot 0 and reads every served file of every snapshot.
fn load_served(dir: &Path, snapshots: usize, files: &[&str]) -> Result<Vec<ServedFile>, String> {
    match files.first() {
        None => return Err("no files to serve".into()),
        Some(pacing) if pacing.contains('*') => {
            return Err(format!("the pacing file {pacing} must not be a pattern"));
        }
        Some(_) => {}
    }
    let mut served = Vec::new();
    for pattern in files {
        let explicit = !pattern.contains('*');
        let rels = if explicit {
            vec![(*pattern).to_owned()]
        } else {
            capture::expand(&dir.join("0"), pattern)
        };
        for rel in rels {
            let contents = (0..snapshots)
                .map(|n| {
                    let path = dir.join(n.to_string()).join(&rel);
                    fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
                })
                .collect::<Result<_, _>>()?;
            served.push(ServedFile {
                rel,
                explicit,
                contents,
                fifo: PathBuf::new(),
                opens: AtomicUsize::new(0),
            });
        }
    }
    Ok(served)
}

/// A bind mount to make in the peer's namespace, with the message to print if it fails.
struct Mount {
    source: CString,
    target: CString,
    failure: CString,
}

/// Creates the FIFOs (and the stand-in for `/proc/self/net`) under `work`, records each FIFO in
/// `served`, and returns the bind mounts that put them in place.
fn prepare_mounts(work: &Path, served: &mut [ServedFile]) -> Result<Vec<Mount>, String> {
    let net_dir = work.join("proc-net");
    let mut mounts = Vec::new();
    let mut net_served = Vec::new();
    for (i, file) in served.iter_mut().enumerate() {
        if let Some(name) = file.rel.strip_prefix("proc/net/") {
            if name.contains('/') {
                return Err(format!(
                    "cannot serve {}: only direct entries of proc/net",
                    file.rel
                ));
            }
            fs::create_dir_all(&net_dir).map_err(|e| format!("{}: {e}", net_dir.display()))?;
            file.fifo = net_dir.join(name);
            net_served.push(name.to_owned());
        } else {
            let target = Path::new("/").join(&file.rel);
            if !target.exists() {
                return Err(format!(
                    "cannot serve {}: {} does not exist on this host",
                    file.rel,
                    target.display()
                ));
            }
            file.fifo = work.join(format!("fifo{i}"));
            mounts.push(bind_mount(&file.fifo, &target)?);
        }
        nix::unistd::mkfifo(&file.fifo, nix::sys::stat::Mode::S_IRWXU)
            .map_err(|e| format!("mkfifo {}: {e}", file.fifo.display()))?;
    }
    if !net_served.is_empty() {
        link_unserved_net_entries(&net_dir, &net_served)?;
        mounts.push(bind_mount(&net_dir, Path::new("/proc/self/net"))?);
    }
    Ok(mounts)
}

/// Fills the stand-in for `/proc/self/net` with symlinks to the real entries not served, through
/// this process's own `/proc/PID/net` (same network namespace as the peer, never overmounted).
fn link_unserved_net_entries(net_dir: &Path, served: &[String]) -> Result<(), String> {
    let real = PathBuf::from(format!("/proc/{}/net", std::process::id()));
    let entries = fs::read_dir(&real).map_err(|e| format!("{}: {e}", real.display()))?;
    for entry in entries {
        let name = entry
            .map_err(|e| format!("{}: {e}", real.display()))?
            .file_name();
        if !served.iter().any(|s| s.as_str() == name) {
            std::os::unix::fs::symlink(real.join(&name), net_dir.join(&name))
                .map_err(|e| format!("symlink for {}: {e}", name.to_string_lossy()))?;
        }
    }
    Ok(())
}

fn bind_mount(source: &Path, target: &Path) -> Result<Mount, String> {
    let c_path = |p: &Path| {
        CString::new(p.as_os_str().as_bytes()).map_err(|_| format!("NUL in {}", p.display()))
    };
    let failure = format!(
        "peer harness: bind mount of {} on {} failed\n",
        source.display(),
        target.display()
    );
    Ok(Mount {
        source: c_path(source)?,
        target: c_path(target)?,
        failure: CString::new(failure).map_err(|_| "NUL in a path".to_owned())?,
    })
}

/// Makes `cmd` enter a private mount namespace and make `mounts` before it execs.
#[allow(unsafe_code)]
fn enter_private_mounts(cmd: &mut Command, mounts: Vec<Mount>) {
    // SAFETY: the closure runs in the child between fork and exec, where only async-signal-safe
    // functions may be called. It makes raw syscalls (unshare, mount, write) on CStrings built
    // before the fork and does not allocate: `last_os_error` is a plain errno value.
    unsafe {
        cmd.pre_exec(move || {
            let fail = |message: &CStr| {
                let error = io::Error::last_os_error();
                let bytes = message.to_bytes();
                libc::write(2, bytes.as_ptr().cast(), bytes.len());
                Err(error)
            };
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                return fail(c"peer harness: unshare(CLONE_NEWNS) failed\n");
            }
            let null = std::ptr::null();
            let flags = libc::MS_REC | libc::MS_PRIVATE;
            if libc::mount(null, c"/".as_ptr(), null, flags, null.cast()) != 0 {
                return fail(c"peer harness: making / private failed\n");
            }
            for m in &mounts {
                let (src, dst) = (m.source.as_ptr(), m.target.as_ptr());
                if libc::mount(src, dst, null, libc::MS_BIND, null.cast()) != 0 {
                    return fail(&m.failure);
                }
            }
            Ok(())
        });
    }
}

/// Writer thread for `shared.files[i]`: one snapshot per open of its FIFO, until stopped.
fn serve(shared: &Shared, i: usize, mut closes: CloseWatch) {
    let file = &shared.files[i];
    loop {
        // Blocks until the peer (or `stop_writers`) opens the FIFO for reading.
        let opened = OpenOptions::new().write(true).open(&file.fifo);
        if shared.stop.load(SeqCst) {
            return;
        }
        let mut pipe = match opened {
            Ok(pipe) => pipe,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return shared.fail(format!("open {}: {e}", file.fifo.display())),
        };
        let nth = file.opens.fetch_add(1, SeqCst);
        if std::env::var_os("PEER_TRACE").is_some() { eprintln!("TRACE {:?} {} open#{nth} {:?}", std::time::SystemTime::now(), file.rel, file.fifo); }
        let snapshot = if i == 0 {
            // Over-reads get the last snapshot so the peer finishes; `run_peer` reports them.
            let snapshot = nth.min(shared.snapshots - 1);
            shared.current.store(snapshot, SeqCst);
            snapshot
        } else {
            shared.current.load(SeqCst)
        };
        // The peer may close early (it read what it needed): a broken pipe is fine.
        match pipe.write_all(&file.contents[snapshot]) {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                shared.fail(format!("write {}: {e}", file.rel));
            }
            _ => {}
        }
        drop(pipe); // EOF for the peer
        // Until the peer closes its end, a new open(O_WRONLY) would succeed at once and feed
        // the same open again. Wait for its close (`stop_writers` also makes one).
        if std::env::var_os("PEER_TRACE").is_some() { eprintln!("TRACE {:?} {} wrote, waiting close", std::time::SystemTime::now(), file.rel); }
        let w = closes.wait();
        if std::env::var_os("PEER_TRACE").is_some() { eprintln!("TRACE {:?} {} closed", std::time::SystemTime::now(), file.rel); }
        if let Err(e) = w {
            return shared.fail(format!("inotify on {}: {e}", file.fifo.display()));
        }
    }
}

/// Counts closes of a FIFO's read end (inotify `IN_CLOSE_NOWRITE`), whichever mount namespace
/// or path the reader used: inotify watches the inode.
#[derive(Debug)]
struct CloseWatch {
    inotify: File,
    /// Closes seen and not yet waited for.
    pending: usize,
}

impl CloseWatch {
    #[allow(unsafe_code)]
    fn new(path: &Path) -> Result<Self, String> {
        let error =
            |what: &str| format!("{what} {}: {}", path.display(), io::Error::last_os_error());
        let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| error("NUL in"))?;
        // SAFETY: inotify_init1 takes no pointers; a non-negative result is a new descriptor
        // that nothing else owns, so the OwnedFd may take it.
        let inotify = unsafe {
            let fd = libc::inotify_init1(libc::IN_CLOEXEC);
            if fd < 0 {
                return Err(error("inotify_init1 for"));
            }
            OwnedFd::from_raw_fd(fd)
        };
        // SAFETY: valid descriptor and NUL-terminated path, both alive during the call.
        let watch = unsafe {
            libc::inotify_add_watch(inotify.as_raw_fd(), c_path.as_ptr(), libc::IN_CLOSE_NOWRITE)
        };
        if watch < 0 {
            return Err(error("inotify_add_watch"));
        }
        Ok(Self {
            inotify: File::from(inotify),
            pending: 0,
        })
    }

    /// Blocks until a reader has closed the FIFO (counting closes already seen).
    fn wait(&mut self) -> io::Result<()> {
        const HEADER: usize = 16; // wd, mask, cookie, len: no name for a watched file
        let mut events = [0_u8; 4096];
        while self.pending == 0 {
            let n = match self.inotify.read(&mut events) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => result?,
            };
            let mut at = 0;
            while at + HEADER <= n {
                let word = |k: usize| {
                    let bytes = [
                        events[at + k],
                        events[at + k + 1],
                        events[at + k + 2],
                        events[at + k + 3],
                    ];
                    u32::from_ne_bytes(bytes)
                };
                if word(4) & libc::IN_CLOSE_NOWRITE != 0 {
                    self.pending += 1;
                }
                at += HEADER + word(12) as usize;
            }
        }
        self.pending -= 1;
        Ok(())
    }
}

/// Stops the writer threads, releasing those blocked in `open` or waiting for a close by
/// opening and closing their FIFO for reading (non-blocking, so this never waits for them).
fn stop_writers(shared: &Shared, writers: Vec<JoinHandle<()>>) -> Result<(), String> {
    shared.stop.store(true, SeqCst);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let running: Vec<&ServedFile> = writers
            .iter()
            .zip(&shared.files)
            .filter(|(w, _)| !w.is_finished())
            .map(|(_, f)| f)
            .collect();
        if running.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            let names: Vec<&str> = running.iter().map(|f| f.rel.as_str()).collect();
            return Err(format!("writer threads did not stop: {}", names.join(", ")));
        }
        for file in running {
            let _ = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&file.fifo);
        }
        thread::sleep(Duration::from_millis(2));
    }
    for writer in writers {
        writer
            .join()
            .map_err(|_| "a writer thread panicked".to_owned())?;
    }
    Ok(())
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
