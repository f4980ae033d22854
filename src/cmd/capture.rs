//! `sonde capture DIR [INTERVAL COUNT]` (hidden): copies exactly the /proc and /sys files sonde
//! reads into a fixture tree that `--root DIR` replays.
//!
//! It samples through a recording [`Env`], so the tree holds every file, directory listing and
//! `statvfs` result one host sample used, and nothing else. Host facts from syscalls, the
//! wall-clock time, directory listings and bare existence checks go to `DIR/.sonde/` (git
//! does not keep empty directories, so listings cannot be directories). With COUNT, it writes `DIR/0` … `DIR/COUNT-1`, INTERVAL
//! seconds apart (scheduled against deadlines, like the reports).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::cli::Repeat;
use crate::collect::caps::Capabilities;
use crate::collect::host::{self, HostInfo};
use crate::env::{self, Env, META_DIR, Recording};

pub fn run(dir: &Path, processes: bool, repeat: Repeat) -> anyhow::Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{}: exists and is not empty", dir.display());
    }
    let count = match (repeat.interval, repeat.count) {
        (None, _) => None,
        (Some(_), Some(c)) => Some(c),
        (Some(_), None) => bail!("capture needs COUNT with INTERVAL"),
    };
    let interval = Duration::from_secs_f64(repeat.interval_secs());
    let start = Instant::now();
    for i in 0..count.unwrap_or(1) {
        if i > 0 {
            std::thread::sleep(
                (start + interval.mul_f64(i as f64)).saturating_duration_since(Instant::now()),
            );
        }
        let target = match count {
            None => dir.to_path_buf(),
            Some(_) => dir.join(i.to_string()),
        };
        let n = capture_one(&target, processes)?;
        eprintln!("sonde capture: {n} files -> {}", target.display());
    }
    Ok(())
}

/// Takes one recorded sample (and, with `processes`, every process as the live view reads it)
/// and writes it under `target`; returns the number of files.
pub fn capture_one(target: &Path, processes: bool) -> anyhow::Result<usize> {
    let env = Env::recording();
    let now = env.now_unix_secs();
    Capabilities::probe(&env);
    HostInfo::read(&env);
    host::sample(&env)?;
    if processes {
        crate::collect::process::capture_all(&env)?;
        // And what the detail view reads (limits, cgroup, open files, threads and their wait
        // channels), for every process.
        let pids = env.list_dir("/proc").unwrap_or_default();
        for pid in pids.iter().filter_map(|p| p.parse::<i32>().ok()) {
            let _ = crate::collect::process::detail(&env, pid);
        }
        // The user names the process table resolves.
        let _ = env.read("/etc/passwd");
    }
    let rec = env.take_recording().unwrap_or_default();
    write_tree(target, &rec, &env::facts_meta(env.facts(), now))
}

fn write_tree(target: &Path, rec: &Recording, facts: &str) -> anyhow::Result<usize> {
    let place = |abs: &str| target.join(abs.trim_start_matches('/'));
    for (abs, bytes) in &rec.files {
        let p = place(abs);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&p, bytes).with_context(|| format!("writing {}", p.display()))?;
    }
    let meta = target.join(META_DIR);
    std::fs::create_dir_all(&meta)?;
    std::fs::write(meta.join("facts"), facts)?;
    std::fs::write(meta.join("statvfs"), env::statvfs_meta(&rec.statvfs))?;
    let tree = env::TreeMeta {
        dirs: rec.dirs.clone(),
        exists: rec.exists.clone(),
    };
    std::fs::write(meta.join("tree.json"), serde_json::to_vec_pretty(&tree)?)?;
    Ok(rec.files.len())
}
