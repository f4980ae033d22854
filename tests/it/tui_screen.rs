//! Whole-screen tests of the TUI on the replayed fixture `tui-small` (a dozen known processes,
//! including a busy loop, a direct-I/O writer and hostile names): the real collector builds
//! frames from the capture, the real `App` takes keys, and the screen is drawn into ratatui's
//! TestBackend and compared with insta snapshots (`cargo insta review` after a change).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use sonde::cmd::top::Collector;
use sonde::collect::caps::Capabilities;
use sonde::env::Env;
use sonde::render::tui::app::{App, Mode};
use sonde::render::tui::event::Msg;
use sonde::render::tui::theme::Theme;

use crate::support::fixture;

/// An app that has taken both samples of the capture, at `w`×`h`.
fn app(w: u16, h: u16, theme: Theme, keys_before_second: &[KeyCode]) -> App {
    let env = Env::replay(&fixture("tui-small")).expect("fixture");
    let caps = Capabilities::probe(&env);
    let mut app = App::new(theme, false, caps.missing(), 1.0, (w, h));
    let mut c = Collector::new(&env);
    let f0 = c.frame(&env, &app.wanted()).expect("frame 0");
    app.update(Msg::Sample(Box::new(f0)));
    for k in keys_before_second {
        app.update(Msg::Key(KeyEvent::new(*k, KeyModifiers::NONE)));
    }
    let f1 = c.frame(&env, &app.wanted()).expect("frame 1");
    app.update(Msg::Sample(Box::new(f1)));
    app
}

fn key(app: &mut App, k: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(k, KeyModifiers::NONE)));
}

fn text(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// The screen as text, trailing blanks trimmed.
fn screen(app: &App) -> String {
    let (w, h) = app.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| f.render_widget(app, f.area())).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

const UNICODE: Theme = Theme {
    color: false,
    unicode: true,
};

#[test]
fn main_screen_80x24() {
    let app = app(80, 24, UNICODE, &[]);
    let s = screen(&app);
    // The busy loop tops the CPU sort; the host name opens the first line.
    let first_proc = s.lines().find(|l| l.contains("root")).unwrap_or("");
    assert!(
        first_proc.contains("while"),
        "the busy loop sorts first:\n{s}"
    );
    insta::assert_snapshot!("main_80x24", s);
}

#[test]
fn main_screen_200x50() {
    let app = app(200, 50, UNICODE, &[]);
    insta::assert_snapshot!("main_200x50", screen(&app));
}

#[test]
fn help_overlay_80x24() {
    let mut app = app(80, 24, UNICODE, &[]);
    key(&mut app, KeyCode::Char('?'));
    let s = screen(&app);
    assert!(s.contains("this help") && s.contains("quit"), "{s}");
    // Every key and every note is on screen at 80x24, one entry per line (nothing wrapped).
    for b in sonde::render::tui::keys::BINDINGS {
        assert!(s.contains(b.keys), "{} missing:\n{s}", b.keys);
    }
    for note in [
        "share of ONE CPU",
        "READ/s WRITE/s",
        "State X",
        "Any key closes",
    ] {
        assert!(s.contains(note), "note {note:?} missing:\n{s}");
    }
    insta::assert_snapshot!("help_80x24", s);
}

#[test]
fn tree_view_nests_children_under_their_parent() {
    let mut app = app(120, 40, UNICODE, &[]);
    key(&mut app, KeyCode::Char('N'));
    key(&mut app, KeyCode::Char('t'));
    let s = screen(&app);
    let wait = s
        .lines()
        .position(|l| l.contains("wait"))
        .expect("the parent shell");
    let kid = s
        .lines()
        .position(|l| l.contains("└─ sleep 3607"))
        .expect("a child drawn as a branch");
    assert!(kid > wait, "children follow their parent:\n{s}");
    insta::assert_snapshot!("tree_120x40", s);
}

#[test]
fn filter_by_regex_and_user() {
    let mut app = app(120, 30, UNICODE, &[]);
    key(&mut app, KeyCode::Char('\\'));
    text(&mut app, "re:^sleep 36");
    key(&mut app, KeyCode::Enter);
    let shown: Vec<String> = app
        .lines
        .iter()
        .map(|l| app.procs()[l.proc].comm.clone())
        .collect();
    assert_eq!(shown.len(), 4, "sleep 3601, 3602, 3606, 3607: {shown:?}");
    assert!(shown.iter().all(|c| c == "sleep"));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.lines.len(), app.procs().len(), "Esc clears the filter");
    key(&mut app, KeyCode::Char('\\'));
    text(&mut app, "user:nobody-here");
    key(&mut app, KeyCode::Enter);
    assert!(app.lines.is_empty());
    // `\` starts from the current filter's text; Esc clears it first.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('\\'));
    text(&mut app, "re:(unclosed");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains("bad regex")),
        "{:?}",
        app.message
    );
}

#[test]
fn detail_view_of_a_process() {
    // Select `sleep 3601` by searching for it, then open its details: the collector reads
    // them on the next refresh (here: the capture's second sample).
    let env = Env::replay(&fixture("tui-small")).expect("fixture");
    let mut app = App::new(UNICODE, false, Vec::new(), 1.0, (120, 40));
    let mut c = Collector::new(&env);
    app.update(Msg::Sample(Box::new(
        c.frame(&env, &app.wanted()).expect("frame"),
    )));
    key(&mut app, KeyCode::Char('/'));
    text(&mut app, "3601");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.mode, Mode::Detail(_)), "{:?}", app.mode);
    app.update(Msg::Sample(Box::new(
        c.frame(&env, &app.wanted()).expect("frame"),
    )));
    let s = screen(&app);
    for part in [
        "PID",
        "memory",
        "limits",
        "cgroup",
        "threads (1)",
        "hrtimer_nanosleep",
    ] {
        assert!(s.contains(part), "detail lacks {part}:\n{s}");
    }
    insta::assert_snapshot!("detail_120x40", s);
}

#[test]
fn hostile_names_are_shown_escaped() {
    let mut app = app(200, 50, UNICODE, &[]);
    key(&mut app, KeyCode::Char('N'));
    let s = screen(&app);
    assert!(!s.contains('\x1b'), "an escape sequence reached the screen");
    assert!(s.contains("evil\\x1b[2Jname"), "shown escaped:\n{s}");
    assert!(
        s.contains("bad\u{fffd}\u{fffd}utf8"),
        "invalid UTF-8 replaced:\n{s}"
    );
}

#[test]
fn ascii_theme_draws_only_ascii() {
    let plain = Theme {
        color: false,
        unicode: false,
    };
    let mut app = app(100, 30, plain, &[]);
    let s = screen(&app);
    let odd: Vec<char> = s.chars().filter(|c| !c.is_ascii()).collect();
    assert!(odd.is_empty(), "non-ASCII {odd:?} in:\n{s}");
    key(&mut app, KeyCode::Char('?'));
    assert!(screen(&app).is_ascii());
}

#[test]
fn every_size_draws_without_panicking() {
    let mut app = app(80, 24, UNICODE, &[]);
    for (w, h) in [(1, 1), (10, 3), (40, 10), (79, 23), (300, 100), (0, 0)] {
        app.update(Msg::Resize(w, h));
        if w > 0 && h > 0 {
            screen(&app);
        }
    }
}

#[test]
fn a_process_that_exits_while_shown_leaves_the_detail_view() {
    let env = Env::replay(&fixture("tui-small")).expect("fixture");
    let mut app = App::new(UNICODE, false, Vec::new(), 1.0, (100, 30));
    let mut c = Collector::new(&env);
    let mut f0 = c.frame(&env, &app.wanted()).expect("frame");
    let pid = f0.procs[0].pid;
    app.update(Msg::Sample(Box::new(f0.clone())));
    app.mode = Mode::Detail(pid);
    // The next refresh says the process is gone.
    f0.detail = Some((pid, Err("exited".into())));
    app.update(Msg::Sample(Box::new(f0)));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(
        app.message.as_deref(),
        Some(format!("process {pid}: exited").as_str())
    );
}

#[test]
fn read_only_refuses_kill_and_renice() {
    let env = Env::replay(&fixture("tui-small")).expect("fixture");
    let mut app = App::new(UNICODE, true, Vec::new(), 1.0, (100, 30));
    let mut c = Collector::new(&env);
    app.update(Msg::Sample(Box::new(
        c.frame(&env, &app.wanted()).expect("frame"),
    )));
    for k in ['K', 'R'] {
        key(&mut app, KeyCode::Char(k));
        assert_eq!(app.mode, Mode::Normal);
        assert!(
            app.message
                .as_deref()
                .is_some_and(|m| m.contains("read-only"))
        );
    }
    // Without --read-only, K asks first and n cancels: no action escapes.
    app.read_only = false;
    key(&mut app, KeyCode::Char('K'));
    assert!(matches!(app.mode, Mode::Confirm(_)));
    let action = app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('n'),
        KeyModifiers::NONE,
    )));
    assert_eq!(action, sonde::render::tui::app::Action::None);
}

#[test]
fn many_cpus_get_a_summary_instead_of_a_bar_each() {
    use sonde::model::cpu::{CpuPct, CpuRow};
    let mut app = app(100, 24, UNICODE, &[]);
    // Replace the model's CPUs with 64: ten of them busy.
    let busy = |b: f64| CpuPct {
        idle_pct: Some(100.0 - b),
        iowait_pct: Some(0.0),
        ..CpuPct::default()
    };
    let mut frame = app.frame.clone().expect("a frame");
    let model = frame.model.as_mut().expect("a model");
    model.cpus = std::iter::once(CpuRow {
        cpu: None,
        online: true,
        pct: Some(busy(20.0)),
    })
    .chain((0..64).map(|i| CpuRow {
        cpu: Some(i),
        online: true,
        pct: Some(busy(if i % 6 == 0 {
            95.0 + f64::from(i % 5)
        } else {
            10.0
        })),
    }))
    .collect();
    app.update(Msg::Sample(frame));
    let s = screen(&app);
    assert!(
        s.contains("64 CPUs, 11 at >= 90%"),
        "a count instead of 64 bars:\n{s}"
    );
    assert!(
        s.lines()
            .filter(|l| l.contains('%') && l.contains('█'))
            .count()
            < 10,
        "{s}"
    );
    // The hottest CPU (i % 6 == 0 and i % 5 == 4: cpu 24, 54) is listed first.
    let hottest = s
        .lines()
        .position(|l| l.contains("  24 ") || l.contains("  54 "))
        .expect("hottest shown");
    let cool = s
        .lines()
        .position(|l| l.contains("   6 "))
        .unwrap_or(usize::MAX);
    assert!(hottest < cool, "{s}");
}

#[test]
fn thread_view_lists_threads_with_their_ids() {
    let env = Env::replay(&fixture("tui-small")).expect("fixture");
    let mut app = App::new(UNICODE, false, Vec::new(), 1.0, (120, 40));
    let mut c = Collector::new(&env);
    app.update(Msg::Sample(Box::new(
        c.frame(&env, &app.wanted()).expect("frame"),
    )));
    key(&mut app, KeyCode::Char('H'));
    assert!(app.wanted().threads, "H asks the collector for threads");
    app.update(Msg::Sample(Box::new(
        c.frame(&env, &app.wanted()).expect("frame"),
    )));
    assert!(!app.procs().is_empty());
    assert!(
        app.procs().iter().all(|p| p.tid.is_some()),
        "every row is a thread"
    );
}

#[test]
fn wait_columns_show_on_wide_terminals_and_say_off_without_accounting() {
    let wide = app(200, 50, UNICODE, &[]);
    let s = screen(&wide);
    let header = s
        .lines()
        .find(|l| l.contains("COMMAND"))
        .expect("table header");
    for col in ["IOD%", "SWD%", "CPUD%"] {
        assert!(header.contains(col), "{col} at 200 columns:\n{header}");
    }
    // The capture has kernel.task_delayacct=0: I/O and swap-in waits are "off", never 0;
    // the run-queue wait comes from schedstat and has values.
    assert!(!wide.frame.as_ref().expect("frame").delayacct_on);
    let busy = s
        .lines()
        .find(|l| l.contains("while :; do :"))
        .expect("the busy loop");
    assert!(busy.contains("off"), "{busy}");
    assert!(
        !wide.frame.as_ref().expect("frame").delays.is_empty(),
        "waits read for visible rows"
    );
    let narrow = app(80, 24, UNICODE, &[]);
    assert!(
        !screen(&narrow).contains("CPUD%"),
        "80 columns keep room for the command"
    );
    assert!(narrow.columns().iter().all(|c| !c.is_delay()));
    // Sorting by a wait asks the collector for every process's waits.
    let mut wide = wide;
    for _ in 0..8 {
        if wide.sort == sonde::render::tui::app::Column::CpuDelay {
            break;
        }
        key(&mut wide, KeyCode::Char('>'));
    }
    assert_eq!(wide.sort, sonde::render::tui::app::Column::CpuDelay);
    assert!(wide.wanted().delays_for_all);
}
