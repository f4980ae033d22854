//! Per-CPU bars; when the CPUs do not fit, a summary: how many are above 90 % and the hottest.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::analyze::use_method::Verdict;
use crate::render::tui::app::App;
use crate::render::tui::widgets::bar;

fn verdict(busy: f64) -> Verdict {
    if busy >= 99.0 {
        Verdict::Crit
    } else if busy >= 90.0 {
        Verdict::Warn
    } else {
        Verdict::Ok
    }
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    if area.height == 0 || area.width < 12 {
        return;
    }
    let t = &app.theme;
    let cpus: Vec<(String, Option<f64>)> = app
        .frame
        .as_ref()
        .and_then(|f| f.model.as_ref())
        .map(|m| {
            m.cpus
                .iter()
                .map(|r| {
                    let name = r.cpu.map_or_else(|| "all".to_string(), |c| format!("{c}"));
                    (name, r.pct.and_then(|p| p.busy_pct()))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut lines = vec![Line::from(Span::styled(" CPU busy %", t.title()))];
    let room = area.height.saturating_sub(1) as usize;
    let bar_w = (area.width as usize).saturating_sub(12);
    let line = |name: &str, busy: Option<f64>| match busy {
        Some(b) => Line::from(vec![
            Span::raw(format!(" {name:>4} ")),
            Span::styled(bar(b, bar_w, t), t.verdict(verdict(b))),
            Span::raw(format!("{b:>4.0}%")),
        ]),
        None => Line::from(Span::styled(format!(" {name:>4} offline or new"), t.dim())),
    };
    if cpus.len() <= room {
        lines.extend(cpus.iter().map(|(n, b)| line(n, *b)));
    } else if let Some((all, per)) = cpus.split_first() {
        // Too many CPUs for one bar each: the total, then a count and the hottest ones.
        lines.push(line(&all.0, all.1));
        let hot = per
            .iter()
            .filter(|(_, b)| b.is_some_and(|b| b >= 90.0))
            .count();
        lines.push(Line::from(format!(" {} CPUs, {hot} at >= 90%", per.len())));
        let mut hottest: Vec<&(String, Option<f64>)> =
            per.iter().filter(|(_, b)| b.is_some()).collect();
        hottest.sort_by(|a, b| b.1.unwrap_or(0.0).total_cmp(&a.1.unwrap_or(0.0)));
        for (n, b) in hottest.into_iter().take(room.saturating_sub(2)) {
            lines.push(line(n, *b));
        }
    }
    Paragraph::new(lines).render(area, buf);
}
