//! The real binary inside tmux, as a person sees it: keys in with `send-keys`, the screen out
//! with `capture-pane -p`, and the terminal state after exit (`#{alternate_on}`, `#{cursor_flag}`).
//!
//! Waits are bounded polls (the screen is re-read every 50 ms up to a generous timeout), never
//! fixed sleeps that assume a speed. Each test holds the live lock: sonde samples the host.

use std::process::{Command, Stdio};
use std::sync::{MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::support::{bin, skip_or_fail};

const WAIT: Duration = Duration::from_secs(20);

fn lock() -> MutexGuard<'static, ()> {
    crate::LIVE_LOCK
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// A detached tmux session running one command; killed on drop.
struct Tmux {
    name: String,
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .expect("run tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Tmux {
    fn start(test: &str, w: u16, h: u16, cmd: &str) -> Tmux {
        let name = format!("sonde-{test}-{}", std::process::id());
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &name])
            .stderr(Stdio::null())
            .status();
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .args(["-e", "TERM=xterm-256color", "-e", "NO_COLOR="])
            // A shell stays in the pane after sonde exits, as for a person at a prompt; it
            // prints sonde's exit status, and the terminal state is read after that.
            .arg(format!("{cmd}; echo SONDE-EXIT=$?; sleep 600"))
            .status()
            .expect("tmux new-session");
        assert!(status.success(), "tmux new-session failed");
        Tmux { name }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend_from_slice(keys);
        tmux(&args);
    }

    /// Sends literal text (no key-name lookup).
    fn text(&self, text: &str) {
        tmux(&["send-keys", "-t", &self.name, "-l", text]);
    }

    fn screen(&self) -> String {
        tmux(&["capture-pane", "-p", "-t", &self.name])
    }

    fn get(&self, fmt: &str) -> String {
        tmux(&["display-message", "-p", "-t", &self.name, fmt])
            .trim()
            .to_string()
    }

    /// Polls the screen until `pred` holds; panics with the last screen after [`WAIT`].
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > WAIT {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until sonde has exited (the shell printed its status) and returns the status.
    fn wait_exit(&self) -> i32 {
        let s = self.wait_for("sonde to exit", |s| s.contains("SONDE-EXIT="));
        s.split("SONDE-EXIT=")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(-1)
    }

    /// After exit: the alternate screen is off and the cursor is visible again. tmux may mark
    /// the pane dead before it has parsed the last bytes, so poll (bounded) for the state.
    fn assert_restored(&self) {
        let start = Instant::now();
        loop {
            let (alt, cursor) = (self.get("#{alternate_on}"), self.get("#{cursor_flag}"));
            if alt == "0" && cursor == "1" {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(3),
                "terminal not restored after exit: alternate_on={alt} cursor_flag={cursor}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// PID of sonde, the child of the pane's shell.
    fn sonde_pid(&self) -> i32 {
        let shell = self.get("#{pane_pid}");
        let out = Command::new("pgrep")
            .args(["-P", &shell])
            .output()
            .expect("pgrep");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .find(|pid: &i32| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.trim() == "sonde")
            })
            .expect("sonde running in the pane")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .stderr(Stdio::null())
            .status();
    }
}

fn have_tmux(test: &str) -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip_or_fail(test, "tmux is not installed");
    }
    ok
}

/// A process with a command line nobody else has, to search and filter for.
struct Marker(std::process::Child, String);

impl Marker {
    fn start() -> Marker {
        // `sleep` with an unusual duration, unique to this test process (fits 80 columns).
        let arg = format!("42.{}", std::process::id());
        let child = Command::new("sleep")
            .arg(&arg)
            .spawn()
            .expect("spawn sleep");
        Marker(child, arg)
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn drive_keys(test: &str, w: u16, h: u16) {
    if !have_tmux(test) {
        return;
    }
    let _guard = lock();
    let marker = Marker::start();
    let t = Tmux::start(test, w, h, &format!("{} -d 0.3", bin()));
    let host = hostname();
    // The host name is the first thing on the first line, at any width.
    t.wait_for("the first frame", |s| {
        s.lines().next().is_some_and(|l| l.starts_with(&host)) && s.contains("COMMAND")
    });
    t.wait_for("the USE rows", |s| {
        s.contains("memory") && s.contains("cpu")
    });

    // Help overlay from the key table, closed by any key.
    t.keys(&["?"]);
    t.wait_for("the help overlay", |s| {
        s.contains("sonde keys") && s.contains("this help")
    });
    t.keys(&["x"]);
    t.wait_for("help closed", |s| !s.contains("sonde keys"));

    // Sort by memory, then by PID.
    t.keys(&["M"]);
    t.wait_for("RSS sort marker", |s| s.contains("RSS▼"));
    t.keys(&["N"]);
    t.wait_for("PID sort marker", |s| s.contains("PID▲"));

    // Filter to the marker process: only it remains.
    t.keys(&["\\"]);
    t.text(&marker.1);
    t.keys(&["Enter"]);
    let shown = format!("sleep {}", marker.1);
    let s = t.wait_for("the filter applied", |s| {
        s.contains(&format!("filter:{}", marker.1)) && s.contains(&shown)
    });
    let rows: Vec<&str> = s.lines().filter(|l| l.contains("sleep")).collect();
    assert_eq!(rows.len(), 1, "one matching process:\n{s}");
    assert!(
        s.contains(&marker.0.id().to_string()),
        "the marker's PID shows:\n{s}"
    );

    // Detail view of the selected (only) process, then back.
    t.keys(&["Enter"]);
    t.wait_for("the detail view", |s| {
        s.contains("limits") && s.contains("threads")
    });
    t.keys(&["Escape"]);
    t.wait_for("back to the table", |s| s.contains("COMMAND"));

    // Pause freezes the screen.
    t.keys(&["p"]);
    t.wait_for("paused", |s| s.contains("PAUSED"));
    t.keys(&["p"]);
    t.wait_for("unpaused", |s| !s.contains("PAUSED"));

    // Search moves the selection and says so when nothing matches.
    t.keys(&["Escape", "/"]);
    t.text("no-such-process-xyz");
    t.keys(&["Enter"]);
    t.wait_for("no match message", |s| s.contains("no match"));

    // Ctrl-C quits like q.
    t.keys(&["C-c"]);
    assert_eq!(t.wait_exit(), 0, "exit status");
    t.assert_restored();
}

#[test]
fn tui_keys_at_80x24() {
    drive_keys("keys80", 80, 24);
}

#[test]
fn tui_keys_at_200x50() {
    drive_keys("keys200", 200, 50);
}

fn exits_restored_on_signal(test: &str, signal: &str) {
    if !have_tmux(test) {
        return;
    }
    let _guard = lock();
    let t = Tmux::start(test, 80, 24, &format!("{} -d 0.3", bin()));
    t.wait_for("the first frame", |s| s.contains("COMMAND"));
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &t.sonde_pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    t.wait_exit();
    t.assert_restored();
}

#[test]
fn sigterm_restores_the_terminal() {
    exits_restored_on_signal("term", "TERM");
}

#[test]
fn sighup_restores_the_terminal() {
    exits_restored_on_signal("hup", "HUP");
}

#[test]
fn resizing_at_any_moment_keeps_drawing() {
    let test = "resize";
    if !have_tmux(test) {
        return;
    }
    let _guard = lock();
    let t = Tmux::start(test, 80, 24, &format!("{} -d 0.2", bin()));
    t.wait_for("the first frame", |s| s.contains("COMMAND"));
    for (w, h) in [(20, 5), (3, 2), (120, 40), (60, 15), (80, 24)] {
        tmux(&[
            "resize-window",
            "-t",
            &t.name,
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
        ]);
        std::thread::sleep(Duration::from_millis(150));
        assert!(
            !t.screen().contains("SONDE-EXIT="),
            "sonde exited at {w}x{h}"
        );
    }
    t.wait_for("full frame again", |s| {
        s.contains("COMMAND") && s.contains("USE")
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(), 0);
    t.assert_restored();
}

#[test]
fn ascii_mode_draws_no_unicode() {
    let test = "ascii";
    if !have_tmux(test) {
        return;
    }
    let _guard = lock();
    let t = Tmux::start(test, 100, 30, &format!("{} -d 0.2 --ascii", bin()));
    let s = t.wait_for("bars", |s| s.contains("COMMAND") && s.contains("all "));
    t.keys(&["?"]);
    let help = t.wait_for("help", |s| s.contains("sonde keys"));
    for screen in [&s, &help] {
        assert!(screen.is_ascii(), "non-ASCII in --ascii mode:\n{screen}");
    }
    t.keys(&["q", "q"]);
    t.wait_exit();
    t.assert_restored();
}

#[test]
fn a_panic_restores_the_terminal_and_says_what_happened() {
    let test = "panic";
    if !have_tmux(test) {
        return;
    }
    let _guard = lock();
    let t = Tmux::start(
        test,
        80,
        24,
        &format!("SONDE_DEBUG_PANIC=1 {} -d 0.2", bin()),
    );
    let status = t.wait_exit();
    assert_eq!(status, 101, "a panic exits with Rust's panic status");
    t.assert_restored();
    let s = t.screen();
    assert!(
        s.contains("deliberate panic"),
        "the panic message is readable after restore:\n{s}"
    );
}

#[test]
fn a_selected_process_that_exits_closes_its_detail_view() {
    let test = "vanish";
    if !have_tmux(test) {
        return;
    }
    let _guard = lock();
    let mut marker = Marker::start();
    let t = Tmux::start(test, 100, 30, &format!("{} -d 0.3", bin()));
    t.wait_for("the first frame", |s| s.contains("COMMAND"));
    t.keys(&["\\"]);
    t.text(&marker.1);
    t.keys(&["Enter"]);
    let shown = format!("sleep {}", marker.1);
    t.wait_for("the marker alone", |s| s.contains(&shown));
    t.keys(&["Enter"]);
    t.wait_for("its detail view", |s| {
        s.contains("limits") && s.contains("hrtimer_nanosleep")
    });
    marker.0.kill().expect("kill the marker");
    marker.0.wait().expect("reap it");
    let pid = marker.0.id();
    let s = t.wait_for("the exit message", |s| {
        s.contains(&format!("process {pid}: exited"))
    });
    assert!(s.contains("COMMAND"), "back at the table:\n{s}");
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(), 0);
    t.assert_restored();
}

#[test]
fn kill_asks_first_then_signals_the_selected_process() {
    let test = "kill";
    if !have_tmux(test) {
        return;
    }
    let _guard = lock();
    let mut marker = Marker::start();
    let t = Tmux::start(test, 100, 30, &format!("{} -d 0.3", bin()));
    t.wait_for("the first frame", |s| s.contains("COMMAND"));
    t.keys(&["\\"]);
    t.text(&marker.1);
    t.keys(&["Enter"]);
    t.wait_for("the marker alone", |s| {
        s.contains(&format!("sleep {}", marker.1))
    });
    t.keys(&["K"]);
    t.wait_for("the confirmation", |s| s.contains("Send SIGTERM"));
    assert!(
        marker.0.try_wait().expect("try_wait").is_none(),
        "nothing sent before confirming"
    );
    t.keys(&["y"]);
    t.wait_for("the report", |s| s.contains("sent SIGTERM"));
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(st) = marker.0.try_wait().expect("try_wait") {
            break st;
        }
        assert!(start.elapsed() < WAIT, "the marker did not die");
        std::thread::sleep(Duration::from_millis(50));
    };
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGTERM));
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn short_lived_processes_show_as_exited_rows() {
    let test = "shortlived";
    if !have_tmux(test) {
        return;
    }
    if !nix::unistd::geteuid().is_root() {
        skip_or_fail(test, "exit notifications need root (CAP_NET_ADMIN)");
        return;
    }
    let _guard = lock();
    // A binary with a name nobody else has, started every 100 ms and living 50 ms.
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = dir.path().join("zz-shortlived");
    std::fs::copy("/bin/sleep", &exe).expect("copy sleep");
    let script = format!("while :; do {} 0.05 & sleep 0.1; done", exe.display());
    let mut spawner = Command::new("sh")
        .args(["-c", &script])
        .spawn()
        .expect("spawner");
    let t = Tmux::start(test, 100, 30, &format!("{} -d 0.5", bin()));
    t.wait_for("the first frame", |s| s.contains("COMMAND"));
    t.keys(&["\\"]);
    t.text("zz-shortlived");
    t.keys(&["Enter"]);
    let s = t.wait_for("an exited row", |s| {
        s.lines()
            .any(|l| l.contains("zz-shortlived") && l.split_whitespace().nth(2) == Some("X"))
    });
    let _ = spawner.kill();
    let _ = spawner.wait();
    assert!(s.contains("filter:zz-shortlived"), "{s}");
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(), 0);
}
