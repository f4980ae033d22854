//! The process table. CPU% is a share of one CPU, as top prints it (a process with four busy
//! threads shows 400 %). Names are untrusted and shown sanitized.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, Widget};

use crate::render::format::short_bytes;
use crate::render::tui::app::{App, Column, delay_value};

fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), short_bytes)
}

fn width(c: Column) -> Constraint {
    match c {
        Column::Pid => Constraint::Length(7),
        Column::User => Constraint::Length(8),
        Column::State => Constraint::Length(1),
        Column::Cpu => Constraint::Length(5),
        Column::Rss => Constraint::Length(5),
        Column::Read | Column::Write => Constraint::Length(7),
        Column::MajFlt => Constraint::Length(6),
        Column::IoDelay | Column::SwapDelay | Column::CpuDelay => Constraint::Length(5),
        Column::Threads => Constraint::Length(4),
        Column::Command => Constraint::Min(10),
    }
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    let t = &app.theme;
    let arrow = match (app.descending, t.unicode) {
        (true, true) => "▼",
        (false, true) => "▲",
        (true, false) => "v",
        (false, false) => "^",
    };
    let cols = app.columns();
    let header = Row::new(cols.iter().map(|c| {
        let title = if *c == app.sort {
            format!("{}{arrow}", c.title())
        } else {
            c.title().to_string()
        };
        let right = !matches!(c, Column::User | Column::State | Column::Command);
        Cell::from(if right {
            format!("{title:>w$}", w = title_width(*c))
        } else {
            title
        })
    }))
    .style(t.table_header());
    let rows_fit = area.height.saturating_sub(1) as usize;
    let procs = app.procs();
    let rows = app
        .lines
        .iter()
        .enumerate()
        .skip(app.offset)
        .take(rows_fit)
        .map(|(i, line)| {
            let p = &procs[line.proc];
            let command = match &p.cmdline {
                Some(c) if !c.is_empty() => app.theme.clean(c),
                _ => format!("[{}]", app.theme.clean(&p.comm)),
            };
            let num = |s: String, c: Column| Cell::from(format!("{s:>w$}", w = title_width(c)));
            let waits = app
                .frame
                .as_ref()
                .and_then(|f| f.delays.get(&p.tid.unwrap_or(p.pid)));
            let accounting = app.frame.as_ref().is_some_and(|f| f.delayacct_on);
            let row = Row::new(cols.iter().map(|&c| {
                match c {
                    Column::Pid => num(p.tid.unwrap_or(p.pid).to_string(), c),
                    Column::User => Cell::from(app.theme.clean(&p.user)),
                    Column::State => Cell::from(p.state.to_string()),
                    Column::Cpu => num(
                        p.cpu_pct.map_or_else(|| "-".into(), |v| format!("{v:.1}")),
                        c,
                    ),
                    Column::Rss => num(short_bytes(p.rss_bytes as f64), c),
                    Column::Read => num(rate(p.read_bytes_per_sec), c),
                    Column::Write => num(rate(p.write_bytes_per_sec), c),
                    Column::MajFlt => num(
                        p.major_faults_per_sec
                            .map_or_else(|| "-".into(), |v| format!("{v:.0}")),
                        c,
                    ),
                    // I/O and swap-in waits need kernel.task_delayacct: "off", never a false 0.
                    Column::IoDelay | Column::SwapDelay if !accounting => num("off".into(), c),
                    Column::IoDelay | Column::SwapDelay | Column::CpuDelay => num(
                        waits
                            .and_then(|d| delay_value(d, c))
                            .map_or_else(|| "-".into(), |v| format!("{v:.1}")),
                        c,
                    ),
                    Column::Threads => num(p.threads.to_string(), c),
                    Column::Command => Cell::from(Span::raw(format!("{}{command}", line.prefix))),
                }
            }));
            if i == app.selected {
                row.style(t.selected())
            } else if app.is_match(p) {
                row.style(t.search_match())
            } else {
                row
            }
        });
    let widths: Vec<Constraint> = cols.iter().map(|c| width(*c)).collect();
    Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .render(area, buf);
}

fn title_width(c: Column) -> usize {
    match width(c) {
        Constraint::Length(n) => n as usize,
        _ => 0,
    }
}
