//! A minimal capture of live `/proc` and `/sys` files into the fixture layout (`DIR/N/proc/…`),
//! for tests that need fresh captures. `sonde capture` will write the same layout.

use std::fs;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

/// Everything the three peers are served (see [`super::IOSTAT_FILES`] and friends).
pub const CAPTURE_FILES: &[&str] = &[
    "proc/uptime",
    "proc/stat",
    "proc/diskstats",
    "proc/net/dev",
    "proc/net/snmp",
    "sys/class/net/*/duplex",
    "sys/class/net/*/speed",
];

/// Number of snapshots `dir/0`, `dir/1`, … present (counting stops at the first gap).
pub fn capture_count(dir: &Path) -> usize {
    (0..)
        .take_while(|n: &usize| dir.join(n.to_string()).is_dir())
        .count()
}

/// Copies the live `files` into `dst` (`dst/proc/stat`, …). A path segment `*` matches every
/// entry of that directory; matched files that cannot be read (e.g. `speed` of a virtual
/// interface: `EINVAL`) are left out, named files must be readable. All files are read before
/// any is written, to keep the snapshot's reads close together.
pub fn capture_snapshot(dst: &Path, files: &[&str]) -> Result<(), String> {
    let mut read = Vec::new();
    for pattern in files {
        if pattern.contains('*') {
            for rel in expand(Path::new("/"), pattern) {
                if let Ok(bytes) = fs::read(Path::new("/").join(&rel)) {
                    read.push((rel, bytes));
                }
            }
        } else {
            let live = Path::new("/").join(pattern);
            let bytes = fs::read(&live).map_err(|e| format!("{}: {e}", live.display()))?;
            read.push(((*pattern).to_owned(), bytes));
        }
    }
    for (rel, bytes) in read {
        let path = dst.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Captures `count` snapshots of `files` into `dir/0` … `dir/{count-1}`, starting one every
/// `interval`.
pub fn capture_sequence(
    dir: &Path,
    files: &[&str],
    count: usize,
    interval: Duration,
) -> Result<(), String> {
    let start = Instant::now();
    for n in 0..count {
        if n > 0 {
            let due = start + interval * n as u32;
            thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        capture_snapshot(&dir.join(n.to_string()), files)?;
    }
    Ok(())
}

/// The files under `root` matching `pattern` (relative, `/`-separated, `*` = any one entry),
/// as relative paths in sorted order.
pub fn expand(root: &Path, pattern: &str) -> Vec<String> {
    let mut matches = vec![String::new()];
    for segment in pattern.split('/') {
        let mut next = Vec::new();
        for prefix in matches {
            let join = |name: &str| {
                if prefix.is_empty() {
                    name.to_owned()
                } else {
                    format!("{prefix}/{name}")
                }
            };
            if segment == "*" {
                let Ok(entries) = fs::read_dir(root.join(&prefix)) else {
                    continue;
                };
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect();
                names.sort();
                next.extend(names.iter().map(|n| join(n)));
            } else {
                next.push(join(segment));
            }
        }
        matches = next;
    }
    matches.retain(|rel| root.join(rel).is_file());
    matches
}
