//! The USE panel: one row per resource, worst first, U / S / E coloured by verdict, with a
//! sparkline of the utilization history.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::analyze::use_method::{Cell, Verdict};
use crate::render::format::{fit, metric_value};
use crate::render::tui::app::App;
use crate::render::tui::widgets::sparkline;

fn cell<'a>(label: &'a str, c: &Cell, width: usize, app: &App) -> Span<'a> {
    let text = match c.headline() {
        Some(m) => metric_value(m),
        None if c.verdict == Verdict::NotAvailable => "n/a".into(),
        None => "-".into(),
    };
    Span::styled(
        format!("{label} {:<width$}", fit(&text, width)),
        app.theme.verdict(c.verdict),
    )
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    let t = &app.theme;
    let mut lines = vec![Line::from(Span::styled(
        "USE  worst first   U=util S=saturation E=errors",
        t.title(),
    ))];
    let Some(table) = app.frame.as_ref().and_then(|f| f.table.as_ref()) else {
        lines.push(Line::from(Span::styled(
            "waiting for the second sample",
            t.dim(),
        )));
        Paragraph::new(lines).render(area, buf);
        return;
    };
    let fixed = 6 + 1 + 10 + 1 + 9 + 1 + 9 + 1 + 7;
    let spark_w = (area.width as usize).saturating_sub(fixed + 1);
    for r in table
        .rows
        .iter()
        .take(area.height.saturating_sub(1) as usize)
    {
        let key = format!("{} {}", r.resource.label(), r.instance);
        let spark = app
            .histories
            .get(&key)
            .map(|h| sparkline(h.iter(), spark_w, 100.0, t))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{:<6} {:<10} ",
                    r.resource.label(),
                    fit(&app.theme.clean(&r.instance), 10)
                ),
                t.verdict(r.verdict),
            ),
            cell("U", &r.utilization, 7, app),
            Span::raw(" "),
            cell("S", &r.saturation, 7, app),
            Span::raw(" "),
            cell("E", &r.errors, 5, app),
            Span::raw(" "),
            Span::styled(spark, t.dim()),
        ]));
    }
    Paragraph::new(lines).render(area, buf);
}
