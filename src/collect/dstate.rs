//! Which threads are in uninterruptible sleep (`D`) right now, and where in the kernel they
//! wait (`/proc/PID/task/TID/wchan`).
//!
//! A thread in `D` waits for something it cannot be interrupted from: usually block I/O, a
//! page being read in, a file-system lock, an NFS server. Sampled several times per interval,
//! the wait channels of the `D` threads say *what* they wait for, which the delay counters
//! cannot. One sample is a thread scan (kept-open stat files, one `pread` per thread through
//! [`ProcessScanner`]) plus one `wchan` read per `D` thread. The wait channel is `None` when
//! the kernel does not show it (a reader without the right to ptrace the thread, a kernel
//! without CONFIG_KALLSYMS) or when the thread woke up between the two reads.

use serde::Serialize;

use crate::collect::CollectError;
use crate::collect::process::ProcessScanner;
use crate::collect::procfs::pid::{stat, wchan};
use crate::env::Env;

/// One thread seen in `D`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DThread {
    pub pid: i32,
    pub tid: i32,
    /// The thread's name (untrusted).
    pub comm: String,
    /// The kernel function it waits in.
    pub wchan: Option<String>,
}

/// Takes `D`-state samples; owns its own scanner (and kept-open files).
#[derive(Debug)]
pub struct DStateSampler {
    scanner: ProcessScanner,
}

impl DStateSampler {
    pub fn new(env: &Env) -> DStateSampler {
        DStateSampler {
            scanner: ProcessScanner::new(env),
        }
    }

    /// The threads in `D` now, of the processes in `pids` (all when `None`: a scan of every
    /// thread; with `pids`, only their task directories are read).
    pub fn sample(
        &mut self,
        env: &Env,
        pids: Option<&[i32]>,
    ) -> Result<Vec<DThread>, CollectError> {
        if let Some(pids) = pids {
            return Ok(pids.iter().flat_map(|&pid| of_process(env, pid)).collect());
        }
        let snap = self.scanner.scan(env, true)?;
        Ok(snap
            .procs
            .iter()
            .filter(|s| s.stat.state == 'D' && pids.is_none_or(|p| p.contains(&s.pid)))
            .map(|s| DThread {
                pid: s.pid,
                tid: s.tid.unwrap_or(s.pid),
                comm: s.stat.comm.clone(),
                wchan: env
                    .read(&format!("{}/wchan", s.dir()))
                    .ok()
                    .and_then(|t| wchan::parse(&t)),
            })
            .collect())
    }
}

/// The threads of one process in `D` (none when it is gone).
fn of_process(env: &Env, pid: i32) -> Vec<DThread> {
    let task = format!("/proc/{pid}/task");
    let Ok(names) = env.list_dir(&task) else {
        return Vec::new();
    };
    names
        .iter()
        .filter_map(|n| n.parse::<i32>().ok())
        .filter_map(|tid| {
            let dir = format!("{task}/{tid}");
            let st = env
                .read(&format!("{dir}/stat"))
                .ok()
                .and_then(|t| stat::parse(&t).ok())?;
            (st.state == 'D').then(|| DThread {
                pid,
                tid,
                comm: st.comm,
                wchan: env
                    .read(&format!("{dir}/wchan"))
                    .ok()
                    .and_then(|t| wchan::parse(&t)),
            })
        })
        .collect()
}
