//! `Env`: the only door to the host.
//!
//! Every file sonde reads, every directory it lists, every `statvfs` it makes, the wall clock and
//! the sleep between two samples go through an [`Env`]. In production the root is `/` and the
//! clock is real. With the hidden `--root DIR` the root is a captured fixture tree (see
//! [`crate::cmd::capture`]) and time comes from the capture, so a whole run replays exactly.
//!
//! A capture is either one tree (`DIR/proc/...`) or a sequence `DIR/0`, `DIR/1`, … taken an
//! interval apart; with a sequence, each call to [`Env::begin_sample`] moves to the next tree, so
//! `sonde disk --root DIR 1 1` computes its rates from `DIR/0` → `DIR/1`.
//!
//! An `Env` can also *record*: every successful read is kept so that `sonde capture` writes
//! exactly the files sonde read, no more and no less.
//!
//! Host facts that parsers need (clock ticks, page size) live in [`HostFacts`]; parsers never call
//! `sysconf` themselves.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::collect::CollectError;

/// Name of the directory inside a capture tree that holds what is not a host file: host facts
/// that come from syscalls (`sysconf`, `statvfs`) and the capture's wall-clock time.
pub const META_DIR: &str = ".sonde";

/// Facts about the host that do not change while sonde runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    /// `sysconf(_SC_CLK_TCK)`: the unit of /proc/stat times (USER_HZ, 100 on every mainstream
    /// architecture).
    pub clock_ticks_per_sec: u64,
    /// `sysconf(_SC_PAGESIZE)` in bytes.
    pub page_size_bytes: u64,
}

/// One `statvfs(2)` result, the part sonde uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct FsStat {
    pub fragment_size_bytes: u64,
    pub blocks: u64,
    pub blocks_free: u64,
    pub blocks_avail: u64,
    pub inodes: u64,
    pub inodes_free: u64,
}

/// What a recording `Env` has seen, written out by `sonde capture`.
#[derive(Debug, Default)]
pub struct Recording {
    /// Absolute host path → contents, for every file read successfully.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Absolute host directory → entry names, for every directory listed.
    pub dirs: BTreeMap<String, Vec<String>>,
    /// Mount point (as escaped in /proc/self/mounts) → statvfs.
    pub statvfs: BTreeMap<String, FsStat>,
    /// Paths found to exist by [`Env::exists`] (files or directories whose contents were not
    /// read, e.g. `/.dockerenv`).
    pub exists: BTreeSet<String>,
}

/// What a capture knows about directories, kept in `.sonde/tree.json` because git (and tar)
/// do not keep empty directories: listings and bare existence.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct TreeMeta {
    pub dirs: BTreeMap<String, Vec<String>>,
    pub exists: BTreeSet<String>,
}

#[derive(Debug)]
enum Source {
    Live,
    /// A captured tree, or a sequence of them; `cursor` is the index of the one in use.
    Sequence {
        trees: Vec<PathBuf>,
        /// Each tree's `.sonde/tree.json`, loaded on first use.
        metas: Vec<std::sync::OnceLock<TreeMeta>>,
        cursor: AtomicUsize,
        started: AtomicUsize,
    },
}

/// The host, or a captured copy of it.
#[derive(Debug)]
pub struct Env {
    source: Source,
    facts: HostFacts,
    recording: Option<Mutex<Recording>>,
}

impl Env {
    /// The running host (root `/`, real clock).
    pub fn live() -> Env {
        Env {
            source: Source::Live,
            facts: live_facts(),
            recording: None,
        }
    }

    /// The running host, remembering every read for `sonde capture`.
    pub fn recording() -> Env {
        Env {
            recording: Some(Mutex::new(Recording::default())),
            ..Env::live()
        }
    }

    /// A captured tree or sequence of trees at `dir`.
    pub fn replay(dir: &Path) -> Result<Env, CollectError> {
        let trees = sequence_trees(dir);
        let trees = if trees.is_empty() {
            if !dir.join("proc").is_dir() {
                return Err(CollectError::Replay {
                    path: dir.to_path_buf(),
                    msg: "not a capture: expected DIR/proc or DIR/0/proc".into(),
                });
            }
            vec![dir.to_path_buf()]
        } else {
            trees
        };
        let source = Source::Sequence {
            metas: trees.iter().map(|_| std::sync::OnceLock::new()).collect(),
            trees,
            cursor: AtomicUsize::new(0),
            started: AtomicUsize::new(0),
        };
        let mut env = Env {
            source,
            facts: live_facts(),
            recording: None,
        };
        env.facts = env.read_facts()?;
        Ok(env)
    }

    /// True when reading the running host.
    pub fn is_live(&self) -> bool {
        matches!(self.source, Source::Live)
    }

    pub fn facts(&self) -> &HostFacts {
        &self.facts
    }

    /// Marks the start of one sample. With a capture sequence, the first call uses `DIR/0` and
    /// each later call moves to the next tree; past the end it is an error (the replay is over).
    pub fn begin_sample(&self) -> Result<(), CollectError> {
        if let Source::Sequence {
            trees,
            cursor,
            started,
            ..
        } = &self.source
            && started.swap(1, Ordering::Relaxed) == 1
        {
            let next = cursor.load(Ordering::Relaxed) + 1;
            if next >= trees.len() {
                return Err(CollectError::Replay {
                    path: trees[0].clone(),
                    msg: format!("the capture holds only {} sample(s)", trees.len()),
                });
            }
            cursor.store(next, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Number of samples a replay can still deliver (`None` when live: unbounded).
    pub fn samples_left(&self) -> Option<usize> {
        match &self.source {
            Source::Live => None,
            Source::Sequence {
                trees,
                cursor,
                started,
                ..
            } => {
                let used = cursor.load(Ordering::Relaxed) + started.load(Ordering::Relaxed);
                Some(trees.len().saturating_sub(used))
            }
        }
    }

    /// Where host path `abs` (absolute, e.g. `/proc/stat`) is for this Env.
    pub fn path(&self, abs: &str) -> PathBuf {
        let rel = abs.trim_start_matches('/');
        match &self.source {
            Source::Live => PathBuf::from(abs),
            Source::Sequence { trees, cursor, .. } => {
                trees[cursor.load(Ordering::Relaxed)].join(rel)
            }
        }
    }

    /// Reads a whole file as text (host files are ASCII; invalid UTF-8 is replaced).
    pub fn read(&self, abs: &str) -> Result<String, CollectError> {
        let bytes = self.read_bytes(abs)?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// Reads a whole file.
    pub fn read_bytes(&self, abs: &str) -> Result<Vec<u8>, CollectError> {
        let bytes = std::fs::read(self.path(abs)).map_err(|e| CollectError::io(abs, e))?;
        if let Some(rec) = &self.recording
            && let Ok(mut rec) = rec.lock()
        {
            rec.files.insert(abs.to_string(), bytes.clone());
        }
        Ok(bytes)
    }

    /// Reads a file, mapping "not there" to `None` (for files that exist only on some kernels
    /// or devices). Other errors stay errors.
    pub fn read_optional(&self, abs: &str) -> Result<Option<String>, CollectError> {
        match self.read(abs) {
            Ok(s) => Ok(Some(s)),
            Err(CollectError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// True when host path `abs` exists.
    pub fn exists(&self, abs: &str) -> bool {
        if let Some(meta) = self.tree_meta()
            && (meta.exists.contains(abs) || meta.dirs.contains_key(abs))
        {
            return true;
        }
        let found = self.path(abs).exists();
        if found
            && let Some(rec) = &self.recording
            && let Ok(mut rec) = rec.lock()
        {
            rec.exists.insert(abs.to_string());
        }
        found
    }

    /// The current capture tree's directory facts (`None` when live).
    fn tree_meta(&self) -> Option<&TreeMeta> {
        let Source::Sequence {
            trees,
            metas,
            cursor,
            ..
        } = &self.source
        else {
            return None;
        };
        let i = cursor.load(Ordering::Relaxed);
        Some(metas[i].get_or_init(|| {
            std::fs::read(trees[i].join(META_DIR).join("tree.json"))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default()
        }))
    }

    /// Entry names of a directory, sorted.
    pub fn list_dir(&self, abs: &str) -> Result<Vec<String>, CollectError> {
        if let Some(names) = self.tree_meta().and_then(|m| m.dirs.get(abs)) {
            return Ok(names.clone());
        }
        let rd = std::fs::read_dir(self.path(abs)).map_err(|e| CollectError::io(abs, e))?;
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n != META_DIR)
            .collect();
        names.sort();
        if let Some(rec) = &self.recording
            && let Ok(mut rec) = rec.lock()
        {
            rec.dirs.insert(abs.to_string(), names.clone());
        }
        Ok(names)
    }

    /// `statvfs(2)` of a mount point, given as escaped in /proc/self/mounts.
    pub fn statvfs(&self, mount_point_escaped: &str) -> Result<FsStat, CollectError> {
        let st = match &self.source {
            Source::Live => live_statvfs(mount_point_escaped)?,
            _ => {
                let text = self.read_meta("statvfs")?;
                parse_statvfs_meta(&text)
                    .remove(mount_point_escaped)
                    .ok_or_else(|| CollectError::NotFound {
                        path: mount_point_escaped.into(),
                    })?
            }
        };
        if let Some(rec) = &self.recording
            && let Ok(mut rec) = rec.lock()
        {
            rec.statvfs.insert(mount_point_escaped.to_string(), st);
        }
        Ok(st)
    }

    /// Seconds since the Unix epoch: the real clock, or the capture's time.
    pub fn now_unix_secs(&self) -> u64 {
        match &self.source {
            Source::Live => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            _ => self
                .read_meta("facts")
                .ok()
                .and_then(|t| meta_value(&t, "unix_time"))
                .unwrap_or(0),
        }
    }

    /// Waits between two samples; a replay does not wait.
    pub fn sleep(&self, d: Duration) {
        if self.is_live() {
            std::thread::sleep(d);
        }
    }

    /// Takes what a recording Env has seen.
    pub fn take_recording(&self) -> Option<Recording> {
        let rec = self.recording.as_ref()?;
        let mut guard = rec.lock().ok()?;
        Some(std::mem::take(&mut *guard))
    }

    /// True when this Env remembers what it reads (for `sonde capture`).
    pub fn is_recording(&self) -> bool {
        self.recording.is_some()
    }

    /// Opens host file `abs` for repeated positional reads (the process scanner keeps
    /// /proc/PID/stat open and `pread`s it each refresh). The open itself is not recorded: a
    /// caller reading through the returned file on a recording Env hands what it read to
    /// [`Env::record_file`]. On a replay the file belongs to the current tree; a caller must not
    /// keep it across [`Env::begin_sample`].
    pub fn open(&self, abs: &str) -> Result<std::fs::File, CollectError> {
        std::fs::File::open(self.path(abs)).map_err(|e| CollectError::io(abs, e))
    }

    /// When recording, remembers `bytes` as the contents of host file `abs`, read by other means
    /// than [`Env::read_bytes`] (a kept-open file, a worker thread). Otherwise does nothing.
    pub fn record_file(&self, abs: &str, bytes: &[u8]) {
        if let Some(rec) = &self.recording
            && let Ok(mut rec) = rec.lock()
        {
            rec.files.insert(abs.to_string(), bytes.to_vec());
        }
    }

    fn read_meta(&self, name: &str) -> Result<String, CollectError> {
        let p = self.path(&format!("/{META_DIR}/{name}"));
        std::fs::read_to_string(&p).map_err(|e| CollectError::io(&p.to_string_lossy(), e))
    }

    fn read_facts(&self) -> Result<HostFacts, CollectError> {
        let text = self.read_meta("facts")?;
        let get = |k: &str| {
            meta_value(&text, k).ok_or_else(|| CollectError::Replay {
                path: self.path(&format!("/{META_DIR}/facts")),
                msg: format!("missing key {k}"),
            })
        };
        Ok(HostFacts {
            clock_ticks_per_sec: get("clock_ticks_per_sec")?,
            page_size_bytes: get("page_size_bytes")?,
        })
    }
}

/// Text of the `.sonde/facts` file for a capture taken now on this host.
pub fn facts_meta(facts: &HostFacts, unix_time: u64) -> String {
    format!(
        "clock_ticks_per_sec {}\npage_size_bytes {}\nunix_time {}\n",
        facts.clock_ticks_per_sec, facts.page_size_bytes, unix_time
    )
}

/// Text of the `.sonde/statvfs` file: one line per mount point.
pub fn statvfs_meta(map: &BTreeMap<String, FsStat>) -> String {
    let mut out = String::new();
    for (mp, s) in map {
        out.push_str(&format!(
            "{mp} {} {} {} {} {} {}\n",
            s.fragment_size_bytes, s.blocks, s.blocks_free, s.blocks_avail, s.inodes, s.inodes_free
        ));
    }
    out
}

fn parse_statvfs_meta(text: &str) -> BTreeMap<String, FsStat> {
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 7 {
            continue;
        }
        let n: Vec<u64> = f[1..].iter().filter_map(|v| v.parse().ok()).collect();
        if n.len() == 6 {
            map.insert(
                f[0].to_string(),
                FsStat {
                    fragment_size_bytes: n[0],
                    blocks: n[1],
                    blocks_free: n[2],
                    blocks_avail: n[3],
                    inodes: n[4],
                    inodes_free: n[5],
                },
            );
        }
    }
    map
}

fn meta_value(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.trim().parse().ok())
}

/// `DIR/0`, `DIR/1`, … in numeric order, when DIR holds a sequence.
fn sequence_trees(dir: &Path) -> Vec<PathBuf> {
    let mut n = 0;
    let mut trees = Vec::new();
    while dir.join(n.to_string()).join("proc").is_dir() {
        trees.push(dir.join(n.to_string()));
        n += 1;
    }
    trees
}

fn live_facts() -> HostFacts {
    use nix::unistd::{SysconfVar, sysconf};
    let get = |v, default| {
        sysconf(v)
            .ok()
            .flatten()
            .map(|x| x as u64)
            .unwrap_or(default)
    };
    HostFacts {
        clock_ticks_per_sec: get(SysconfVar::CLK_TCK, 100),
        page_size_bytes: get(SysconfVar::PAGE_SIZE, 4096),
    }
}

fn live_statvfs(mount_point_escaped: &str) -> Result<FsStat, CollectError> {
    let path = unescape_mount_field(mount_point_escaped);
    let st = nix::sys::statvfs::statvfs(path.as_str())
        .map_err(|e| CollectError::io(&path, io::Error::from_raw_os_error(e as i32)))?;
    Ok(FsStat {
        fragment_size_bytes: st.fragment_size(),
        blocks: st.blocks(),
        blocks_free: st.blocks_free(),
        blocks_avail: st.blocks_available(),
        inodes: st.files(),
        inodes_free: st.files_free(),
    })
}

/// /proc/self/mounts escapes space, tab, newline and backslash as `\ooo` octal.
pub fn unescape_mount_field(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 4 <= b.len() {
            let oct = &b[i + 1..i + 4];
            if oct.iter().all(|c| (b'0'..=b'7').contains(c)) {
                let v = oct
                    .iter()
                    .fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'));
                if let Ok(v) = u8::try_from(v) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_octal_mount_fields() {
        assert_eq!(unescape_mount_field("/mnt/my\\040disk"), "/mnt/my disk");
        assert_eq!(unescape_mount_field("/a\\134b"), "/a\\b");
        assert_eq!(unescape_mount_field("/plain"), "/plain");
        assert_eq!(unescape_mount_field("/trailing\\"), "/trailing\\");
        assert_eq!(unescape_mount_field("/short\\04"), "/short\\04");
    }

    #[test]
    fn statvfs_meta_round_trips() {
        let mut m = BTreeMap::new();
        m.insert(
            "/mnt/a\\040b".to_string(),
            FsStat {
                fragment_size_bytes: 4096,
                blocks: 10,
                blocks_free: 5,
                blocks_avail: 4,
                inodes: 100,
                inodes_free: 50,
            },
        );
        assert_eq!(parse_statvfs_meta(&statvfs_meta(&m)), m);
    }
}
