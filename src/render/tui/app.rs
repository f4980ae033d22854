//! The TUI state and its one mutator, [`App::update`].
//!
//! Derived views (the filtered, sorted, tree-ordered process list and the scroll offset) are
//! recomputed inside `update`, so drawing stays a cheap read.

use std::collections::{HashMap, VecDeque};

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::event::{Frame, Msg};
use super::keys::{self, Command};
use super::theme::Theme;
use super::view::layout;
use crate::collect::caps::Missing;
use crate::model::process::ProcRow;

/// Points of history kept per USE row for its sparkline.
pub const HISTORY: usize = 60;
/// USE rows whose history is kept (bounded memory on hosts with many disks or NICs).
const MAX_HISTORIES: usize = 512;

/// Process table columns, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Pid,
    User,
    State,
    Cpu,
    Rss,
    Read,
    Write,
    MajFlt,
    IoDelay,
    SwapDelay,
    CpuDelay,
    Threads,
    Command,
}

impl Column {
    pub const ALL: [Column; 13] = [
        Column::Pid,
        Column::User,
        Column::State,
        Column::Cpu,
        Column::Rss,
        Column::Read,
        Column::Write,
        Column::MajFlt,
        Column::IoDelay,
        Column::SwapDelay,
        Column::CpuDelay,
        Column::Threads,
        Column::Command,
    ];

    /// Wait columns (% of the refresh a process waited on block I/O, swap-in, a CPU): shown
    /// when the terminal is at least [`Column::WIDE`] columns wide.
    pub fn is_delay(self) -> bool {
        matches!(self, Column::IoDelay | Column::SwapDelay | Column::CpuDelay)
    }

    /// Width from which the wait columns are shown (80 columns keep room for the command).
    pub const WIDE: u16 = 120;

    pub fn title(self) -> &'static str {
        match self {
            Column::Pid => "PID",
            Column::User => "USER",
            Column::State => "S",
            Column::Cpu => "CPU%",
            Column::Rss => "RSS",
            Column::Read => "READ/s",
            Column::Write => "WRITE/s",
            Column::MajFlt => "MAJF/s",
            Column::IoDelay => "IOD%",
            Column::SwapDelay => "SWD%",
            Column::CpuDelay => "CPUD%",
            Column::Threads => "THR",
            Column::Command => "COMMAND",
        }
    }

    /// Numbers sort largest first by default; names and PIDs smallest first.
    fn descending_by_default(self) -> bool {
        !matches!(
            self,
            Column::Pid | Column::User | Column::State | Column::Command
        )
    }

    /// The sort needs /proc/PID/io for every process.
    pub fn needs_io(self) -> bool {
        matches!(self, Column::Read | Column::Write)
    }
}

/// A parsed filter.
#[derive(Debug, Clone)]
pub enum Filter {
    Text(String),
    User(String),
    Regex(regex_lite::Regex),
}

impl Filter {
    pub fn parse(s: &str) -> Result<Filter, String> {
        if let Some(u) = s.strip_prefix("user:") {
            Ok(Filter::User(u.to_string()))
        } else if let Some(r) = s.strip_prefix("re:") {
            regex_lite::Regex::new(r)
                .map(Filter::Regex)
                .map_err(|e| format!("bad regex: {e}"))
        } else {
            Ok(Filter::Text(s.to_lowercase()))
        }
    }

    pub fn matches(&self, p: &ProcRow) -> bool {
        match self {
            Filter::Text(t) => {
                p.comm.to_lowercase().contains(t)
                    || p.cmdline
                        .as_deref()
                        .is_some_and(|c| c.to_lowercase().contains(t))
            }
            Filter::User(u) => &p.user == u,
            Filter::Regex(r) => {
                r.is_match(&p.comm) || p.cmdline.as_deref().is_some_and(|c| r.is_match(c))
            }
        }
    }
}

/// What the screen is doing besides showing the table.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    Help,
    Detail(i32),
    Input { kind: InputKind, text: String },
    Confirm(Action),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Search,
    Filter,
    Renice(i32),
}

/// Something the caller must do: `update` never touches the system itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    Quit,
    /// Send `signal` to `pid` (`comm` for messages).
    Kill {
        pid: i32,
        comm: String,
        signal: i32,
    },
    Renice {
        pid: i32,
        comm: String,
        nice: i32,
    },
}

/// One line of the process table: an index into `frame.procs` and its tree prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub proc: usize,
    pub prefix: String,
}

/// What the collector should read on the next refresh.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wanted {
    /// PIDs on screen: their cmdline, status and io are read.
    pub visible: Vec<i32>,
    /// The sort key needs /proc/PID/io for every process.
    pub io_for_all: bool,
    /// A filter or search looks at command lines: read them for every process.
    pub cmdline_for_all: bool,
    /// The sort key is a wait: read delays for every process.
    pub delays_for_all: bool,
    pub threads: bool,
    pub detail: Option<i32>,
}

#[derive(Debug)]
pub struct App {
    pub theme: Theme,
    pub read_only: bool,
    pub missing: Vec<Missing>,
    pub delay_secs: f64,
    pub size: (u16, u16),
    pub frame: Option<Box<Frame>>,
    /// A frame that arrived while paused.
    pending: Option<Box<Frame>>,
    pub paused: bool,
    pub mode: Mode,
    pub sort: Column,
    pub descending: bool,
    pub tree: bool,
    pub threads: bool,
    pub filter: Option<(String, Filter)>,
    pub search: Option<String>,
    /// The selected process, kept across re-sorting by PID.
    pub selected_pid: Option<i32>,
    pub selected: usize,
    pub offset: usize,
    pub lines: Vec<Line>,
    pub histories: HashMap<String, VecDeque<f64>>,
    pub message: Option<String>,
    pub collector_error: Option<String>,
}

impl App {
    pub fn new(
        theme: Theme,
        read_only: bool,
        missing: Vec<Missing>,
        delay_secs: f64,
        size: (u16, u16),
    ) -> App {
        App {
            theme,
            read_only,
            missing,
            delay_secs,
            size,
            frame: None,
            pending: None,
            paused: false,
            mode: Mode::Normal,
            sort: Column::Cpu,
            descending: true,
            tree: false,
            threads: false,
            filter: None,
            search: None,
            selected_pid: None,
            selected: 0,
            offset: 0,
            lines: Vec::new(),
            histories: HashMap::new(),
            message: None,
            collector_error: None,
        }
    }

    /// The table's columns at the current width: the wait columns need [`Column::WIDE`].
    pub fn columns(&self) -> Vec<Column> {
        Column::ALL
            .iter()
            .copied()
            .filter(|c| !c.is_delay() || self.size.0 >= Column::WIDE)
            .collect()
    }

    pub fn procs(&self) -> &[ProcRow] {
        self.frame.as_ref().map_or(&[], |f| f.procs.as_slice())
    }

    pub fn selected_proc(&self) -> Option<&ProcRow> {
        self.lines
            .get(self.selected)
            .and_then(|l| self.procs().get(l.proc))
    }

    /// What the collector should read next.
    pub fn wanted(&self) -> Wanted {
        let rows = layout::table_rows(self.size, !self.missing.is_empty());
        Wanted {
            visible: self
                .lines
                .iter()
                .skip(self.offset)
                .take(rows)
                .filter_map(|l| self.procs().get(l.proc).map(|p| p.pid))
                .collect(),
            io_for_all: self.sort.needs_io(),
            delays_for_all: self.sort.is_delay(),
            cmdline_for_all: self
                .filter
                .as_ref()
                .is_some_and(|(_, f)| !matches!(f, Filter::User(_)))
                || self.search.is_some()
                || matches!(
                    self.mode,
                    Mode::Input {
                        kind: InputKind::Search | InputKind::Filter,
                        ..
                    }
                ),
            threads: self.threads,
            detail: match self.mode {
                Mode::Detail(pid) => Some(pid),
                _ => None,
            },
        }
    }

    /// Applies one message; returns what the caller must do.
    pub fn update(&mut self, msg: Msg) -> Action {
        match msg {
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.relayout();
                Action::None
            }
            Msg::Sample(frame) => {
                if self.paused {
                    self.pending = Some(frame);
                } else {
                    self.apply(frame);
                }
                Action::None
            }
            Msg::CollectorStopped(why) => {
                self.collector_error = Some(why);
                Action::None
            }
            Msg::Signal(_) => Action::Quit,
            Msg::Key(k) => self.key(k),
        }
    }

    fn apply(&mut self, frame: Box<Frame>) {
        if let Some(t) = &frame.table {
            for r in &t.rows {
                let Some(v) = r.utilization.headline().and_then(|m| m.value) else {
                    continue;
                };
                let key = format!("{} {}", r.resource.label(), r.instance);
                if self.histories.len() >= MAX_HISTORIES && !self.histories.contains_key(&key) {
                    continue;
                }
                let h = self.histories.entry(key).or_default();
                if h.len() == HISTORY {
                    h.pop_front();
                }
                h.push_back(v);
            }
            // Forget rows that are gone (a removed disk), so memory stays flat over hours.
            let live: std::collections::HashSet<String> = t
                .rows
                .iter()
                .map(|r| format!("{} {}", r.resource.label(), r.instance))
                .collect();
            self.histories.retain(|k, _| live.contains(k));
        }
        if let (Mode::Detail(pid), Some((dpid, Err(why)))) = (&self.mode, &frame.detail)
            && pid == dpid
        {
            self.message = Some(format!("process {pid}: {why}"));
            self.mode = Mode::Normal;
        }
        self.frame = Some(frame);
        self.relayout();
    }

    /// Recomputes the process lines and keeps the selection on the same PID.
    fn relayout(&mut self) {
        let procs = self.procs();
        let mut idx: Vec<usize> = (0..procs.len())
            .filter(|&i| {
                self.filter
                    .as_ref()
                    .is_none_or(|(_, f)| f.matches(&procs[i]))
            })
            .collect();
        let empty = Delays::new();
        let delays = self.frame.as_ref().map_or(&empty, |f| &f.delays);
        let cmp = |a: &usize, b: &usize| {
            let o = compare(&procs[*a], &procs[*b], self.sort, delays);
            let o = if self.descending { o.reverse() } else { o };
            o.then(procs[*a].pid.cmp(&procs[*b].pid))
        };
        idx.sort_by(cmp);
        let lines = if self.tree {
            tree_lines(procs, &idx, &self.theme)
        } else {
            idx.into_iter()
                .map(|proc| Line {
                    proc,
                    prefix: String::new(),
                })
                .collect()
        };
        self.lines = lines;
        if let Some(pid) = self.selected_pid
            && let Some(i) = self
                .lines
                .iter()
                .position(|l| self.procs()[l.proc].pid == pid)
        {
            self.selected = i;
        }
        self.selected = self.selected.min(self.lines.len().saturating_sub(1));
        self.selected_pid = self.selected_proc().map(|p| p.pid);
        self.scroll_to_selection();
    }

    fn scroll_to_selection(&mut self) {
        let rows = layout::table_rows(self.size, !self.missing.is_empty()).max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + rows {
            self.offset = self.selected + 1 - rows;
        }
        self.offset = self.offset.min(self.lines.len().saturating_sub(rows));
    }

    fn select(&mut self, i: usize) {
        self.selected = i.min(self.lines.len().saturating_sub(1));
        self.selected_pid = self.selected_proc().map(|p| p.pid);
        self.scroll_to_selection();
    }

    fn set_sort(&mut self, c: Column) {
        if self.sort == c {
            self.descending = !self.descending;
        } else {
            self.sort = c;
            self.descending = c.descending_by_default();
        }
        self.relayout();
    }

    fn key(&mut self, k: KeyEvent) -> Action {
        self.message = None;
        match self.mode.clone() {
            Mode::Input { kind, text } => return self.input_key(kind, text, k),
            Mode::Confirm(action) => {
                self.mode = Mode::Normal;
                return match (k.code, action) {
                    (KeyCode::Char('y') | KeyCode::Enter, a) => a,
                    (KeyCode::Char('9'), Action::Kill { pid, comm, .. }) => Action::Kill {
                        pid,
                        comm,
                        signal: libc::SIGKILL,
                    },
                    _ => {
                        self.message = Some("cancelled".into());
                        Action::None
                    }
                };
            }
            Mode::Help => {
                // Any key closes the help, and quit still quits.
                self.mode = Mode::Normal;
                return if keys::command(&k) == Some(Command::Quit) {
                    Action::Quit
                } else {
                    Action::None
                };
            }
            Mode::Normal | Mode::Detail(_) => {}
        }
        let Some(cmd) = keys::command(&k) else {
            return Action::None;
        };
        let page = layout::table_rows(self.size, !self.missing.is_empty()).max(1);
        match cmd {
            Command::Quit => return Action::Quit,
            Command::Up => self.select(self.selected.saturating_sub(1)),
            Command::Down => self.select(self.selected + 1),
            Command::PageUp => self.select(self.selected.saturating_sub(page)),
            Command::PageDown => self.select(self.selected + page),
            Command::Top => self.select(0),
            Command::Bottom => self.select(usize::MAX),
            Command::Detail => {
                if let Some(p) = self.selected_proc() {
                    self.mode = Mode::Detail(p.pid);
                }
            }
            Command::Back => {
                if self.mode == Mode::Normal {
                    self.filter = None;
                    self.search = None;
                    self.relayout();
                }
                self.mode = Mode::Normal;
            }
            Command::Search => {
                self.mode = Mode::Input {
                    kind: InputKind::Search,
                    text: String::new(),
                }
            }
            Command::Filter => {
                let text = self
                    .filter
                    .as_ref()
                    .map(|(t, _)| t.clone())
                    .unwrap_or_default();
                self.mode = Mode::Input {
                    kind: InputKind::Filter,
                    text,
                };
            }
            Command::SearchNext => self.search_next(self.selected + 1),
            Command::SortNext | Command::SortPrev => {
                let i = Column::ALL
                    .iter()
                    .position(|c| *c == self.sort)
                    .unwrap_or(0);
                let n = Column::ALL.len();
                let next = if cmd == Command::SortNext {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.sort = Column::ALL[next];
                self.descending = self.sort.descending_by_default();
                self.relayout();
            }
            Command::SortCpu => self.set_sort(Column::Cpu),
            Command::SortMem => self.set_sort(Column::Rss),
            Command::SortIo => self.set_sort(Column::Write),
            Command::SortPid => self.set_sort(Column::Pid),
            Command::Invert => {
                self.descending = !self.descending;
                self.relayout();
            }
            Command::Tree => {
                self.tree = !self.tree;
                self.relayout();
            }
            Command::Threads => {
                self.threads = !self.threads;
                self.message = Some(
                    if self.threads {
                        "threads shown (from the next refresh)"
                    } else {
                        "threads hidden"
                    }
                    .into(),
                );
            }
            Command::Pause => {
                self.paused = !self.paused;
                if !self.paused
                    && let Some(f) = self.pending.take()
                {
                    self.apply(f);
                }
            }
            Command::Kill | Command::Renice if self.read_only => {
                self.message =
                    Some("read-only: signals and renice are disabled (--read-only)".into());
            }
            Command::Kill => {
                if let Some(p) = self.selected_proc() {
                    self.mode = Mode::Confirm(Action::Kill {
                        pid: p.pid,
                        comm: p.comm.clone(),
                        signal: libc::SIGTERM,
                    });
                }
            }
            Command::Renice => {
                if let Some(p) = self.selected_proc() {
                    self.mode = Mode::Input {
                        kind: InputKind::Renice(p.pid),
                        text: String::new(),
                    };
                }
            }
            Command::Help => self.mode = Mode::Help,
        }
        Action::None
    }

    fn input_key(&mut self, kind: InputKind, mut text: String, k: KeyEvent) -> Action {
        match k.code {
            KeyCode::Esc => self.mode = Mode::Normal,
            KeyCode::Backspace => {
                text.pop();
                self.mode = Mode::Input { kind, text };
            }
            KeyCode::Char(c) if !c.is_control() && text.chars().count() < 200 => {
                text.push(c);
                // Search moves as you type.
                if kind == InputKind::Search {
                    self.search = Some(text.clone());
                    self.search_next(self.selected);
                }
                self.mode = Mode::Input { kind, text };
            }
            KeyCode::Enter => {
                self.mode = Mode::Normal;
                match kind {
                    InputKind::Search => {
                        self.search = (!text.is_empty()).then_some(text);
                        self.search_next(self.selected);
                    }
                    InputKind::Filter if text.is_empty() => {
                        self.filter = None;
                        self.relayout();
                    }
                    InputKind::Filter => match Filter::parse(&text) {
                        Ok(f) => {
                            self.filter = Some((text, f));
                            self.relayout();
                        }
                        Err(e) => self.message = Some(e),
                    },
                    InputKind::Renice(pid) => match text.trim().parse::<i32>() {
                        Ok(n) if (-20..=19).contains(&n) => {
                            let comm = self
                                .procs()
                                .iter()
                                .find(|p| p.pid == pid)
                                .map(|p| p.comm.clone())
                                .unwrap_or_default();
                            self.mode = Mode::Confirm(Action::Renice { pid, comm, nice: n });
                        }
                        _ => {
                            self.message = Some(format!(
                                "nice must be a number from -20 to 19, not {text:?}"
                            ))
                        }
                    },
                }
            }
            _ => self.mode = Mode::Input { kind, text },
        }
        Action::None
    }

    /// Moves the selection to the first line at or after `from` that matches the search
    /// (wrapping around).
    fn search_next(&mut self, from: usize) {
        let Some(s) = self.search.as_ref().map(|s| s.to_lowercase()) else {
            return;
        };
        let n = self.lines.len();
        let hit = (0..n).map(|i| (from + i) % n).find(|&i| {
            let p = &self.procs()[self.lines[i].proc];
            p.comm.to_lowercase().contains(&s)
                || p.cmdline
                    .as_deref()
                    .is_some_and(|c| c.to_lowercase().contains(&s))
        });
        match hit {
            Some(i) => self.select(i),
            None => self.message = Some(format!("no match for {s:?}")),
        }
    }

    /// True when the process line matches the current search (for highlighting).
    pub fn is_match(&self, p: &ProcRow) -> bool {
        self.search.as_ref().is_some_and(|s| {
            let s = s.to_lowercase();
            p.comm.to_lowercase().contains(&s)
                || p.cmdline
                    .as_deref()
                    .is_some_and(|c| c.to_lowercase().contains(&s))
        })
    }
}

/// The share a wait column shows.
pub fn delay_value(d: &crate::model::delays::DelayShares, c: Column) -> Option<f64> {
    match c {
        Column::IoDelay => d.blkio_delay_pct,
        Column::SwapDelay => d.swapin_delay_pct,
        Column::CpuDelay => d.run_delay_pct,
        _ => None,
    }
}

type Delays = std::collections::HashMap<i32, crate::model::delays::DelayShares>;

fn compare(a: &ProcRow, b: &ProcRow, c: Column, delays: &Delays) -> std::cmp::Ordering {
    let f = |x: Option<f64>| x.unwrap_or(-1.0);
    match c {
        Column::Pid => a.pid.cmp(&b.pid),
        Column::User => a.user.cmp(&b.user),
        Column::State => a.state.cmp(&b.state),
        Column::Cpu => f(a.cpu_pct).total_cmp(&f(b.cpu_pct)),
        Column::Rss => a.rss_bytes.cmp(&b.rss_bytes),
        Column::Read => f(a.read_bytes_per_sec).total_cmp(&f(b.read_bytes_per_sec)),
        Column::Write => f(a.write_bytes_per_sec).total_cmp(&f(b.write_bytes_per_sec)),
        Column::MajFlt => f(a.major_faults_per_sec).total_cmp(&f(b.major_faults_per_sec)),
        Column::IoDelay | Column::SwapDelay | Column::CpuDelay => {
            let get = |p: &ProcRow| {
                f(delays
                    .get(&p.tid.unwrap_or(p.pid))
                    .and_then(|d| delay_value(d, c)))
            };
            get(a).total_cmp(&get(b))
        }
        Column::Threads => a.threads.cmp(&b.threads),
        Column::Command => a.comm.cmp(&b.comm),
    }
}

/// Orders `idx` (already sorted) as a forest by parent PID; siblings keep the sort order.
fn tree_lines(procs: &[ProcRow], idx: &[usize], theme: &Theme) -> Vec<Line> {
    let present: HashMap<i32, usize> = idx.iter().map(|&i| (procs[i].pid, i)).collect();
    let mut children: HashMap<i32, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for &i in idx {
        let pp = procs[i].ppid;
        if pp != procs[i].pid && present.contains_key(&pp) {
            children.entry(pp).or_default().push(i);
        } else {
            roots.push(i);
        }
    }
    let mut out = Vec::with_capacity(idx.len());
    // Iterative depth-first walk (no recursion limit on deep chains).
    let mut stack: Vec<(usize, String, bool, bool)> = roots
        .iter()
        .rev()
        .map(|&i| (i, String::new(), true, true))
        .collect();
    while let Some((i, indent, last, root)) = stack.pop() {
        let prefix = if root {
            String::new()
        } else {
            format!("{indent}{}", theme.tree_branch(last))
        };
        out.push(Line { proc: i, prefix });
        if out.len() > idx.len() {
            break; // a ppid cycle cannot happen in /proc, but never loop forever
        }
        if let Some(kids) = children.get(&procs[i].pid) {
            let child_indent = if root {
                String::new()
            } else {
                format!("{indent}{}", if last { "   " } else { theme.tree_pipe() })
            };
            for (n, &k) in kids.iter().enumerate().rev() {
                stack.push((k, child_indent.clone(), n + 1 == kids.len(), false));
            }
        }
    }
    out
}
