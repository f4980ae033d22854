//! The process table. CPU% is a share of one CPU, as top prints it (a process with four busy
//! threads shows 400 %). Names are untrusted and shown sanitized.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, Widget};

use crate::render::format::short_bytes;
use crate::render::tui::app::{App, Column};

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
    let header = Row::new(Column::ALL.iter().map(|c| {
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
            let row = Row::new(vec![
                num(p.tid.unwrap_or(p.pid).to_string(), Column::Pid),
                Cell::from(app.theme.clean(&p.user)),
                Cell::from(p.state.to_string()),
                num(
                    p.cpu_pct.map_or_else(|| "-".into(), |c| format!("{c:.1}")),
                    Column::Cpu,
                ),
                num(short_bytes(p.rss_bytes as f64), Column::Rss),
                num(rate(p.read_bytes_per_sec), Column::Read),
                num(rate(p.write_bytes_per_sec), Column::Write),
                num(
                    p.major_faults_per_sec
                        .map_or_else(|| "-".into(), |v| format!("{v:.0}")),
                    Column::MajFlt,
                ),
                num(p.threads.to_string(), Column::Threads),
                Cell::from(Span::raw(format!("{}{command}", line.prefix))),
            ]);
            if i == app.selected {
                row.style(t.selected())
            } else if app.is_match(p) {
                row.style(t.search_match())
            } else {
                row
            }
        });
    let widths: Vec<Constraint> = Column::ALL.iter().map(|c| width(*c)).collect();
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
