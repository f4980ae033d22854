//! `sonde` / `sonde top`: the live TUI. Owns the terminal, the threads and the loop.
//!
//! Threads: the collector (host sample, USE table, process scan, every `--delay`), terminal
//! input, and a signal watcher; all three only send [`Msg`]s. The loop applies each message to
//! the [`App`], carries out the returned [`Action`], tells the collector what it should read
//! next (visible PIDs, detail), and redraws.
//!
//! The terminal is restored on every way out: normal quit, error (the guard's `Drop`), panic
//! (ratatui's hook), and SIGTERM, SIGHUP (an ssh drop), SIGINT and SIGQUIT (turned into a quit).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};

use crate::analyze::exits;
use crate::analyze::use_method;
use crate::collect::caps::Capabilities;
use crate::collect::delays::{DelayReader, DelaySnapshot, Want as DelayWant};
use crate::collect::exited::{self, ExitWatch};
use crate::collect::host::{self, HostInfo, HostSample};
use crate::collect::process::{self, Fields, ProcSnapshot, ProcessScanner};
use crate::env::Env;
use crate::model::delays::DelayDeltas;
use crate::model::host::model;
use crate::model::process::rows;
use crate::model::process::{ExitedTask, ProcRow};
use crate::render::tui::app::{Action, App, Wanted};
use crate::render::tui::event::{Frame, Msg, spawn_input};
use crate::render::tui::theme::Theme;

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub delay_secs: f64,
    pub read_only: bool,
    pub ascii: bool,
    pub color: bool,
}

/// Restores the terminal when dropped, whatever path leaves `run`.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
        // restore() leaves raw mode and the alternate screen; the cursor was hidden by drawing.
        let _ = ratatui::crossterm::execute!(std::io::stdout(), ratatui::crossterm::cursor::Show);
    }
}

pub fn run(env: Env, opts: Options) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!(
            "the live view needs a terminal on stdin and stdout; for text or JSON use \
             `sonde use` (the USE table) or `sonde cpu|mem|disk|net`"
        );
    }
    let caps = Capabilities::probe(&env);
    let term_linux = std::env::var("TERM").is_ok_and(|t| t == "linux");
    let theme = Theme {
        color: opts.color,
        unicode: !opts.ascii && !term_linux,
    };
    let (tx, rx) = mpsc::channel::<Msg>();
    let stop = Arc::new(AtomicBool::new(false));
    let wanted = Arc::new(Mutex::new(Wanted::default()));

    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT])
        .context("installing signal handlers")?;
    let sig_handle = signals.handle();
    {
        let tx = tx.clone();
        std::thread::Builder::new()
            .name("sonde-signals".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    let _ = tx.send(Msg::Signal(sig));
                }
            })?;
    }
    let collector = {
        let (tx, stop, wanted) = (tx.clone(), stop.clone(), wanted.clone());
        let delay = Duration::from_secs_f64(opts.delay_secs);
        std::thread::Builder::new()
            .name("sonde-collector".into())
            .spawn(move || collect_loop(&env, delay, &tx, &stop, &wanted))?
    };

    let mut terminal = ratatui::try_init().context("setting up the terminal")?;
    let _guard = TerminalGuard;
    spawn_input(tx.clone());
    drop(tx);
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    let mut app = App::new(theme, opts.read_only, caps.missing(), opts.delay_secs, size);
    terminal.draw(|f| f.render_widget(&app, f.area()))?;
    // Hidden test hook: prove that a panic restores the terminal (tests/it/tui.rs).
    let panic_test = std::env::var_os("SONDE_DEBUG_PANIC").is_some();
    while let Ok(msg) = rx.recv() {
        if panic_test && app.frame.is_some() {
            panic!("SONDE_DEBUG_PANIC is set: a deliberate panic to test terminal restoration");
        }
        match app.update(msg) {
            Action::None => {}
            Action::Quit => break,
            Action::Kill { pid, comm, signal } => {
                app.message = Some(send_signal(pid, &comm, signal))
            }
            Action::Renice { pid, comm, nice } => app.message = Some(renice(pid, &comm, nice)),
        }
        *wanted.lock().unwrap_or_else(PoisonError::into_inner) = app.wanted();
        terminal.draw(|f| f.render_widget(&app, f.area()))?;
    }
    stop.store(true, Ordering::Relaxed);
    sig_handle.close();
    drop(terminal);
    drop(_guard);
    // The collector notices `stop` within one short sleep; do not wait for a slow read.
    let _ = collector.is_finished();
    Ok(())
}

/// Builds frames: keeps the previous host sample and process snapshot for the rates, and the
/// process scanner with its kept-open files. Tests and benches drive it on a replay.
#[derive(Debug)]
pub struct Collector {
    scanner: ProcessScanner,
    prev_host: Option<HostSample>,
    prev_procs: Option<ProcSnapshot>,
    delays: DelayReader,
    prev_delays: Option<DelaySnapshot>,
    exits: ExitWatch,
}

impl Collector {
    pub fn new(env: &Env) -> Collector {
        Collector {
            scanner: ProcessScanner::new(env),
            prev_host: None,
            prev_procs: None,
            delays: DelayReader::new(env),
            prev_delays: None,
            exits: ExitWatch::new(env),
        }
    }

    /// One refresh: host sample, model, USE table, process scan (cheap for all, full for the
    /// PIDs `want` names), process model, and the detail view's process.
    pub fn frame(&mut self, env: &Env, want: &Wanted) -> anyhow::Result<Frame> {
        let host = host::sample(env)?;
        let m = self
            .prev_host
            .as_ref()
            .and_then(|p| model(p, &host, env.facts().page_size_bytes));
        let table = m.as_ref().map(|m| use_method::table(&host, m));
        let mut snap = self.scanner.scan(env, want.threads)?;
        if want.io_for_all || want.cmdline_for_all {
            let all: Vec<i32> = snap.pids();
            let f = Fields {
                status: false,
                io: want.io_for_all,
                cmdline: want.cmdline_for_all,
            };
            self.scanner.fill(env, &mut snap, &all, f);
        }
        self.scanner.fill(
            env,
            &mut snap,
            &want.visible,
            Fields {
                status: true,
                io: true,
                cmdline: true,
            },
        );
        let procs = rows(
            self.prev_procs.as_ref().unwrap_or(&snap),
            &snap,
            env.facts(),
        );
        let mut procs = procs;
        self.add_exited(env, &snap, want.threads, &mut procs);
        // Waits for the rows on screen (all rows when a wait is the sort key), the detail's too.
        let mut delay_pids = want.visible.clone();
        delay_pids.extend(want.detail);
        // The first refresh does not know the visible rows yet: read every process once.
        let all = (want.delays_for_all || self.prev_delays.is_none()).then(|| snap.pids());
        let pids = all.as_deref().unwrap_or(&delay_pids);
        let ds = self
            .delays
            .read(env, &snap, Some(pids), DelayWant { schedstat: true });
        let mut delays = std::collections::HashMap::new();
        if let (Some(prev), Some(prev_snap)) = (&self.prev_delays, &self.prev_procs) {
            let wall_ns = snap.uptime_cs.saturating_sub(prev_snap.uptime_cs) * 10_000_000;
            for ((pid, tid), curr) in &ds.tasks {
                if let (Ok(c), Some(Ok(p))) = (curr, prev.get(*pid, *tid)) {
                    let shares = DelayDeltas::between(p, c).shares(wall_ns);
                    delays.insert(tid.unwrap_or(*pid), shares);
                }
            }
        }
        let delayacct_on = ds.accounting_on();
        let detail = want
            .detail
            .map(|pid| (pid, process::detail(env, pid).map_err(|e| describe(&e))));
        let f = Frame {
            info: HostInfo::read(env),
            uptime_cs: host.uptime_cs,
            loadavg: host.loadavg.clone(),
            model: m,
            table,
            procs,
            detail,
            self_cpu_ms: None,
            clock_ticks_per_sec: env.facts().clock_ticks_per_sec,
            delays,
            delayacct_on,
        };
        self.prev_delays = Some(ds);
        self.prev_host = Some(host);
        self.prev_procs = Some(snap);
        Ok(f)
    }
}

impl Collector {
    /// Rows for the processes (threads with `threads`) that exited since the last refresh,
    /// from the kernel's exit notifications (root only): state `X`, CPU and I/O over the part
    /// of the interval they lived. Records of tasks still alive in `snap` wait for a later
    /// refresh.
    fn add_exited(
        &mut self,
        env: &Env,
        snap: &ProcSnapshot,
        threads: bool,
        procs: &mut Vec<ProcRow>,
    ) {
        let batch = self
            .exits
            .take(env, |r| snap.get(exited::tgid(r)).is_some());
        let Some(prev) = &self.prev_procs else { return };
        let secs = snap.uptime_cs.saturating_sub(prev.uptime_cs) as f64 / 100.0;
        if secs <= 0.0 {
            return;
        }
        let hz = env.facts().clock_ticks_per_sec;
        for g in exits::groups(&batch, threads) {
            if !g.complete() {
                continue;
            }
            let (pid, tid) = g.key;
            let before = prev.get(pid).filter(|_| tid.is_none());
            let cpu_us = g.cpu_us().map(|us| match before {
                Some(b) => exits::cpu_delta_us(b.stat.utime_ticks + b.stat.stime_ticks, hz, us)
                    .unwrap_or(0),
                None => us,
            });
            let io = g
                .io()
                .map(|io| match before.and_then(|b| b.io.as_ref().ok()) {
                    Some(p) => exits::io_delta(p, &io).unwrap_or_default(),
                    None => io,
                });
            let rate = |f: fn(&crate::collect::procfs::pid::io::PidIo) -> u64| {
                io.as_ref().map(|io| f(io) as f64 / secs)
            };
            procs.push(ProcRow::exited(ExitedTask {
                pid,
                tid,
                comm: g.comm(),
                user: g.user().unwrap_or_else(|| "?".into()),
                cpu_pct: cpu_us.map(|us| us as f64 / (secs * 1e6) * 100.0),
                read_bytes_per_sec: rate(|io| io.read_bytes),
                write_bytes_per_sec: rate(|io| io.write_bytes),
                read_chars_per_sec: rate(|io| io.rchar_bytes),
                write_chars_per_sec: rate(|io| io.wchar_bytes),
                cancelled_write_bytes_per_sec: rate(|io| io.cancelled_write_bytes),
            }));
        }
    }
}

/// Samples every `delay` until stopped or until a replay ends.
fn collect_loop(
    env: &Env,
    delay: Duration,
    tx: &Sender<Msg>,
    stop: &AtomicBool,
    wanted: &Mutex<Wanted>,
) {
    let mut collector = Collector::new(env);
    let mut last_cpu = self_cpu_ms();
    let mut deadline = Instant::now();
    let mut n: u32 = 0;
    loop {
        if env.samples_left() == Some(0) {
            let _ = tx.send(Msg::CollectorStopped("end of the capture".into()));
            return;
        }
        let want = wanted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let frame = match collector.frame(env, &want) {
            Ok(mut f) => {
                let now = self_cpu_ms();
                f.self_cpu_ms = match (last_cpu, now) {
                    (Some(a), Some(b)) if n > 0 => Some(b - a),
                    _ => None,
                };
                last_cpu = now;
                f
            }
            Err(e) => {
                let _ = tx.send(Msg::CollectorStopped(format!("{e:#}")));
                return;
            }
        };
        if tx.send(Msg::Sample(Box::new(frame))).is_err() {
            return;
        }
        n += 1;
        // Deadline-based, in short steps so a quit is noticed quickly.
        deadline = super::interval::next_deadline(deadline, delay);
        while Instant::now() < deadline {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep((deadline - Instant::now()).min(Duration::from_millis(50)));
        }
    }
}

fn describe(e: &crate::collect::CollectError) -> String {
    use crate::collect::CollectError;
    match e {
        CollectError::NotFound { .. } => "exited".into(),
        CollectError::Permission { .. } => {
            "permission denied (run as root or the process owner)".into()
        }
        other => other.to_string(),
    }
}

/// User + system CPU time of this process so far, in milliseconds.
fn self_cpu_ms() -> Option<f64> {
    use nix::sys::resource::{UsageWho, getrusage};
    let u = getrusage(UsageWho::RUSAGE_SELF).ok()?;
    let ms = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 * 1000.0 + t.tv_usec() as f64 / 1000.0;
    Some(ms(u.user_time()) + ms(u.system_time()))
}

fn send_signal(pid: i32, comm: &str, signal: i32) -> String {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let comm = crate::render::format::sanitize(comm);
    let Ok(sig) = Signal::try_from(signal) else {
        return format!("unknown signal {signal}");
    };
    match kill(Pid::from_raw(pid), sig) {
        Ok(()) => format!("sent {sig} to {pid} ({comm})"),
        Err(e) => format!("cannot signal {pid} ({comm}): {}", e.desc()),
    }
}

/// Renice through util-linux `renice` (setpriority(2) has no safe wrapper in our deps).
fn renice(pid: i32, comm: &str, nice: i32) -> String {
    let comm = crate::render::format::sanitize(comm);
    match std::process::Command::new("renice")
        .args(["-n", &nice.to_string(), "-p", &pid.to_string()])
        .output()
    {
        Ok(o) if o.status.success() => format!("reniced {pid} ({comm}) to {nice}"),
        Ok(o) => format!(
            "renice {pid} failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => format!("cannot run renice: {e}"),
    }
}
