//! Kept-open /proc files, read again with `pread` on every refresh.
//!
//! Opening /proc/PID/stat costs `openat` + `read` + `close`; keeping it open and reading it at
//! offset 0 costs one `pread64`, and the kernel regenerates the text on every read. A file kept
//! open belongs to *that* process: once it is reaped the read fails with `ESRCH` even if the PID
//! has been reused, so a failed read is followed by one fresh open of the path (the new process
//! or nothing). Files are kept only on the live host (a replay moves between capture trees) and
//! only while the file-descriptor budget allows; past it, a file is opened, read and closed.
//!
//! One [`Slot`] per task (`(pid, 0)` for a process, `(pid, tid)` for a thread read from its task
//! directory) holds up to four files; slots not seen in a scan are dropped, which closes them.
//!
//! The budget is shared in order of need: `stat` (one per task, read every scan unless the
//! task slept) may take all of it; `status` and `io` (the visible rows) stop where the `stat`
//! of every task still needs room; `schedstat` (a second file per single-threaded process,
//! only a saving) stops [`SCHEDSTAT_HEADROOM`] earlier still, so near the cap a process keeps
//! its stat only.

use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::os::unix::fs::FileExt;

use crate::collect::CollectError;
use crate::env::Env;

/// Which file of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Stat = 0,
    Status = 1,
    Io = 2,
    Schedstat = 3,
}

/// Where the bytes of [`Kept::read`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// A `pread` of a file kept open since an earlier scan: the same process as then (a kept
    /// /proc file never reads another process, even when the PID has been reused).
    Kept,
    /// Opened by path just now (first read, reopened after a failed read, or past the budget):
    /// the process now holding the PID, which may not be the one read before.
    Opened,
    /// A replay: every file read by path from the current capture tree.
    Replay,
}

/// Files left for `status` and `io` when deciding whether to keep a `schedstat` open.
const SCHEDSTAT_HEADROOM: usize = 256;

/// `(pid, 0)` for a process, `(pid, tid)` for one thread's task directory.
pub(super) type TaskKey = (i32, i32);

#[derive(Debug, Default)]
struct Slot {
    /// Start time of the process the files belong to (PID reuse check).
    start_ticks: Option<u64>,
    /// The scan generation that last saw this task.
    seen: u64,
    files: [Option<File>; 4],
}

/// A hasher for small integer keys (PIDs): a multiply-rotate per word instead of SipHash,
/// which showed in profiles at thousands of lookups per refresh. PIDs are not attacker-chosen
/// in a way that matters here (a process cannot pick its PID), so no DoS resistance is needed.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PidHasher(u64);

impl Hasher for PidHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_i32(&mut self, n: i32) {
        self.write_u64(u64::from(n as u32));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` keyed by PIDs with [`PidHasher`].
pub(super) type PidMap<K, V> = HashMap<K, V, BuildHasherDefault<PidHasher>>;

#[derive(Debug)]
pub(super) struct Kept {
    slots: PidMap<TaskKey, Slot>,
    /// Files currently kept open.
    open: usize,
    /// Of which `stat` files.
    open_stat: usize,
    /// Most files to keep open.
    budget: usize,
    buf: Vec<u8>,
    len: usize,
}

impl Kept {
    pub(super) fn new(budget: usize) -> Kept {
        Kept {
            slots: PidMap::default(),
            open: 0,
            open_stat: 0,
            budget,
            buf: vec![0; 4096],
            len: 0,
        }
    }

    /// Files kept open right now.
    pub(super) fn open_files(&self) -> usize {
        self.open
    }

    /// Closes everything (a replay, where trees change under a kept file).
    pub(super) fn clear(&mut self) {
        self.slots.clear();
        self.open = 0;
        self.open_stat = 0;
    }

    /// True when file `kind` of task `key` is kept open right now.
    pub(super) fn is_open(&self, key: TaskKey, kind: Kind) -> bool {
        self.slots
            .get(&key)
            .is_some_and(|s| s.files[kind as usize].is_some())
    }

    /// True when a file of `kind` opened now would be kept (see the module doc for the order).
    pub(super) fn has_room(&self, kind: Kind) -> bool {
        // Tasks of the last scan (and new ones of this scan) whose stat is not kept.
        let stat_missing = self.slots.len().saturating_sub(self.open_stat);
        let reserve = match kind {
            Kind::Stat => 0,
            Kind::Status | Kind::Io => stat_missing,
            Kind::Schedstat => stat_missing + SCHEDSTAT_HEADROOM,
        };
        self.open + reserve < self.budget
    }

    /// Closes file `kind` of task `key` if it is kept.
    pub(super) fn close(&mut self, key: TaskKey, kind: Kind) {
        if let Some(slot) = self.slots.get_mut(&key)
            && slot.files[kind as usize].take().is_some()
        {
            self.closed(kind);
        }
    }

    fn closed(&mut self, kind: Kind) {
        self.open -= 1;
        if kind == Kind::Stat {
            self.open_stat -= 1;
        }
    }

    /// Reads file `kind` of task `key`, at host path `abs`; returns its bytes.
    pub(super) fn read(
        &mut self,
        env: &Env,
        key: TaskKey,
        kind: Kind,
        abs: &str,
    ) -> Result<&[u8], CollectError> {
        self.read_origin(env, key, kind, abs).map(|(b, _)| b)
    }

    /// [`Kept::read`], saying where the bytes came from.
    pub(super) fn read_origin(
        &mut self,
        env: &Env,
        key: TaskKey,
        kind: Kind,
        abs: &str,
    ) -> Result<(&[u8], Origin), CollectError> {
        if !env.is_live() {
            let bytes = env.read_bytes(abs)?;
            self.buf.clear();
            self.buf.extend_from_slice(&bytes);
            self.len = bytes.len();
            return Ok((&self.buf[..self.len], Origin::Replay));
        }
        let slot = self.slots.entry(key).or_default();
        let mut stale = false;
        if let Some(f) = &slot.files[kind as usize] {
            match pread_all(f, &mut self.buf) {
                Ok(n) => {
                    self.len = n;
                    env.record_file(abs, &self.buf[..n]);
                    return Ok((&self.buf[..n], Origin::Kept));
                }
                Err(_) => {
                    // Reaped (ESRCH), or the file went bad: try the path once more below.
                    slot.files[kind as usize] = None;
                    stale = true;
                }
            }
        }
        if stale {
            self.closed(kind);
        }
        let f = env.open(abs)?;
        let n = pread_all(&f, &mut self.buf).map_err(|e| CollectError::io(abs, e))?;
        self.len = n;
        if self.has_room(kind)
            && let Some(slot) = self.slots.get_mut(&key)
        {
            slot.files[kind as usize] = Some(f);
            self.open += 1;
            if kind == Kind::Stat {
                self.open_stat += 1;
            }
        }
        env.record_file(abs, &self.buf[..n]);
        Ok((&self.buf[..n], Origin::Opened))
    }

    /// Marks task `key` as seen in scan `generation`, belonging to the process that started at
    /// `start_ticks`. When the start differs from what the slot held (the PID was reused), its
    /// other files are closed: they belong to the old process.
    pub(super) fn touch(&mut self, key: TaskKey, generation: u64, start_ticks: u64) {
        let slot = self.slots.entry(key).or_default();
        slot.seen = generation;
        if slot.start_ticks.is_some_and(|s| s != start_ticks) {
            for kind in [Kind::Status, Kind::Io, Kind::Schedstat] {
                if slot.files[kind as usize].take().is_some() {
                    self.open -= 1;
                }
            }
        }
        slot.start_ticks = Some(start_ticks);
    }

    /// Closes the files of every task not seen in scan `generation` (exited processes).
    pub(super) fn sweep(&mut self, generation: u64) {
        let (mut closed, mut closed_stat) = (0, 0);
        self.slots.retain(|_, s| {
            let keep = s.seen == generation;
            if !keep {
                closed += s.files.iter().filter(|f| f.is_some()).count();
                closed_stat += usize::from(s.files[Kind::Stat as usize].is_some());
            }
            keep
        });
        self.open -= closed;
        self.open_stat -= closed_stat;
    }
}

/// Reads a whole /proc file from offset 0 with as few `pread`s as possible: a seq_file read
/// that returns less than asked for has returned the whole text, so a buffer larger than the
/// file means exactly one syscall.
fn pread_all(f: &File, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut n = 0;
    loop {
        if n == buf.len() {
            buf.resize((n * 2).max(4096), 0);
        }
        let r = match f.read_at(&mut buf[n..], n as u64) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        n += r;
        if r == 0 || n < buf.len() {
            return Ok(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn pread_reads_fresh_text_each_time_and_grows_the_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, vec![b'x'; 10_000]).unwrap();
        let f = File::open(&p).unwrap();
        let mut buf = vec![0; 16];
        assert_eq!(pread_all(&f, &mut buf).unwrap(), 10_000);
        std::fs::write(&p, b"short").unwrap();
        assert_eq!(pread_all(&f, &mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"short");
    }

    #[test]
    fn kept_stat_survives_and_exited_task_is_closed() {
        let env = Env::live();
        let mut k = Kept::new(10);
        let me = std::process::id() as i32;
        let abs = format!("/proc/{me}/stat");
        let a = k.read(&env, (me, 0), Kind::Stat, &abs).unwrap().to_vec();
        assert!(a.starts_with(format!("{me} (").as_bytes()));
        k.touch((me, 0), 1, 1);
        assert_eq!(k.open_files(), 1);
        k.read(&env, (me, 0), Kind::Stat, &abs).unwrap();
        assert_eq!(k.open_files(), 1);
        k.sweep(2);
        assert_eq!(k.open_files(), 0);
    }

    #[test]
    fn near_the_cap_stat_is_kept_and_schedstat_is_not() {
        let env = Env::live();
        let me = std::process::id() as i32;
        let stat = format!("/proc/{me}/stat");
        let sched = format!("/proc/{me}/schedstat");
        if !Path::new(&sched).exists() {
            return; // a kernel without CONFIG_SCHED_INFO: nothing to keep
        }
        // Room for both, with the headroom left for status and io.
        let mut k = Kept::new(SCHEDSTAT_HEADROOM + 2);
        k.read(&env, (me, 0), Kind::Stat, &stat).unwrap();
        assert!(k.has_room(Kind::Schedstat));
        let (_, origin) = k
            .read_origin(&env, (me, 0), Kind::Schedstat, &sched)
            .unwrap();
        assert_eq!(origin, Origin::Opened);
        let (_, origin) = k
            .read_origin(&env, (me, 0), Kind::Schedstat, &sched)
            .unwrap();
        assert_eq!(origin, Origin::Kept);
        assert_eq!(k.open_files(), 2);
        k.close((me, 0), Kind::Schedstat);
        assert_eq!(k.open_files(), 1);
        // One file short: the stat stays, the schedstat is read and closed.
        let mut k = Kept::new(SCHEDSTAT_HEADROOM + 1);
        k.read(&env, (me, 0), Kind::Stat, &stat).unwrap();
        assert!(!k.has_room(Kind::Schedstat));
        assert!(k.has_room(Kind::Status));
        k.read(&env, (me, 0), Kind::Schedstat, &sched).unwrap();
        assert!(k.is_open((me, 0), Kind::Stat) && !k.is_open((me, 0), Kind::Schedstat));
        // A task's stat gets its room before any status or io.
        let mut k = Kept::new(1);
        k.read(&env, (me, 0), Kind::Status, &format!("/proc/{me}/status"))
            .unwrap();
        assert_eq!(k.open_files(), 0, "the one file is for the stat of (me, 0)");
        k.read(&env, (me, 0), Kind::Stat, &stat).unwrap();
        assert!(k.is_open((me, 0), Kind::Stat));
        k.sweep(1);
        assert_eq!((k.open, k.open_stat), (0, 0));
    }

    #[test]
    fn budget_limits_kept_files() {
        let env = Env::live();
        let mut k = Kept::new(0);
        let me = std::process::id() as i32;
        k.read(&env, (me, 0), Kind::Stat, &format!("/proc/{me}/stat"))
            .unwrap();
        assert_eq!(k.open_files(), 0);
    }
}
