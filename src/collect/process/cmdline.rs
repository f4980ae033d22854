//! /proc/PID/cmdline reads off the caller's thread, with a bounded wait.
//!
//! Reading a process's cmdline takes its memory lock (`mmap_lock`). A process stuck while
//! holding it (a hung page fault on a dead NFS mount, a huge `munmap`, a task frozen mid-`mmap`)
//! makes the read block for as long, and a TUI that read it inline would freeze. So the reads
//! happen on worker threads and the caller waits at most [`DEFAULT_WAIT`] for the batch it asked
//! for; whatever has not arrived is "not yet" (the table shows `[comm]`) and lands in the cache
//! when it does.
//!
//! Bounding the blocked threads: a PID whose read is still pending is never asked again, and
//! the pool grows to one worker per read in flight, up to [`MAX_WORKERS`]. So at most
//! `MAX_WORKERS` threads exist and can ever be blocked, however many refreshes go by:
//!
//! ```text
//! refresh 1: ask 7, 9      A reads 7 ✓   B reads 9 … blocks          7 shown, 9 "not yet"
//! refresh 2: ask 9, 12     9 still pending → not asked again
//!                          A reads 12 ✓                              12 shown, 9 "not yet"
//! later:                   B's read of 9 returns → cached, shown on the next refresh
//! ```
//!
//! On a replay (fixture files never block) the reads are done inline through the `Env`.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::collect::CollectError;
use crate::env::Env;

/// How long a refresh waits for the cmdline reads it asked for.
pub const DEFAULT_WAIT: Duration = Duration::from_millis(20);

/// Most worker threads; also the most that can be blocked at once.
pub const MAX_WORKERS: usize = 4;

#[derive(Debug)]
pub(super) struct Job {
    pub pid: i32,
    pub start_ticks: u64,
    pub abs: String,
    pub path: PathBuf,
}

/// One finished read.
#[derive(Debug)]
pub(super) struct Done {
    pub pid: i32,
    pub start_ticks: u64,
    pub abs: String,
    pub result: Result<Vec<u8>, CollectError>,
}

#[derive(Debug)]
pub(super) struct CmdlineReader {
    jobs: Sender<Job>,
    queue: Arc<Mutex<Receiver<Job>>>,
    done_tx: Sender<Done>,
    done: Receiver<Done>,
    /// PID → start time of the read in flight for it.
    pending: HashMap<i32, u64>,
    workers: usize,
    pub wait: Duration,
}

impl CmdlineReader {
    pub(super) fn new() -> CmdlineReader {
        let (jobs, queue) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        CmdlineReader {
            jobs,
            queue: Arc::new(Mutex::new(queue)),
            done_tx,
            done,
            pending: HashMap::new(),
            workers: 0,
            wait: DEFAULT_WAIT,
        }
    }

    /// Worker threads started so far (idle, busy or blocked).
    #[cfg(test)]
    pub(super) fn workers(&self) -> usize {
        self.workers
    }

    /// Reads still in flight (blocked or queued).
    pub(super) fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Asks for the cmdline of each `(pid, start_ticks)` and returns every read that finished
    /// within the wait, including late ones asked for by earlier calls.
    pub(super) fn read(&mut self, env: &Env, wanted: &[(i32, u64)]) -> Vec<Done> {
        if !env.is_live() {
            return wanted
                .iter()
                .map(|&(pid, start_ticks)| {
                    let abs = format!("/proc/{pid}/cmdline");
                    let result = env.read_bytes(&abs);
                    Done {
                        pid,
                        start_ticks,
                        abs,
                        result,
                    }
                })
                .collect();
        }
        let jobs = wanted
            .iter()
            .map(|&(pid, start_ticks)| {
                let abs = format!("/proc/{pid}/cmdline");
                let path = env.path(&abs);
                Job {
                    pid,
                    start_ticks,
                    abs,
                    path,
                }
            })
            .collect();
        self.run(jobs)
    }

    /// Queues `jobs` (except PIDs already pending) and waits for them; see [`Self::read`].
    pub(super) fn run(&mut self, jobs: Vec<Job>) -> Vec<Done> {
        let stuck = self.pending.len();
        let mut mine = HashSet::new();
        for job in jobs {
            if self.pending.contains_key(&job.pid) {
                continue;
            }
            let (pid, start_ticks) = (job.pid, job.start_ticks);
            if self.jobs.send(job).is_ok() {
                self.pending.insert(pid, start_ticks);
                mine.insert(pid);
            }
        }
        if !mine.is_empty() {
            // One worker per job up to the cap, beside those blocked: a read that blocks in
            // this batch does not hold up the others.
            self.grow((stuck + mine.len()).min(MAX_WORKERS));
        }
        let mut out = Vec::new();
        let deadline = Instant::now() + self.wait;
        // Late results of earlier calls first (no wait), then this call's, until all arrived
        // or the time is up.
        while let Ok(d) = self.done.try_recv() {
            mine.remove(&d.pid);
            self.finish(d, &mut out);
        }
        while !mine.is_empty() {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            match self.done.recv_timeout(deadline - now) {
                Ok(d) => {
                    mine.remove(&d.pid);
                    self.finish(d, &mut out);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        out
    }

    fn finish(&mut self, d: Done, out: &mut Vec<Done>) {
        if self.pending.get(&d.pid) == Some(&d.start_ticks) {
            self.pending.remove(&d.pid);
        }
        out.push(d);
    }

    /// Makes sure `n` workers exist.
    fn grow(&mut self, n: usize) {
        while self.workers < n {
            let queue = Arc::clone(&self.queue);
            let done = self.done_tx.clone();
            let spawned = std::thread::Builder::new()
                .name("sonde-cmdline".into())
                .stack_size(64 * 1024)
                .spawn(move || worker(&queue, &done));
            match spawned {
                Ok(_) => self.workers += 1,
                Err(_) => break,
            }
        }
        if self.workers == 0 {
            // No thread could be started: read inline rather than never.
            while let Ok(job) = self
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .try_recv()
            {
                let _ = self.done_tx.send(read_one(job));
            }
        }
    }
}

fn read_one(job: Job) -> Done {
    let result = std::fs::read(&job.path).map_err(|e: io::Error| CollectError::io(&job.abs, e));
    Done {
        pid: job.pid,
        start_ticks: job.start_ticks,
        abs: job.abs,
        result,
    }
}

/// Takes jobs until the scanner is dropped. The queue lock is held only while waiting for a
/// job, never during a read, so one blocked read does not stop the other workers.
fn worker(queue: &Mutex<Receiver<Job>>, done: &Sender<Done>) {
    loop {
        let job = {
            let rx = queue.lock().unwrap_or_else(PoisonError::into_inner);
            rx.recv()
        };
        let Ok(job) = job else { return };
        if done.send(read_one(job)).is_err() {
            return;
        }
    }
}
