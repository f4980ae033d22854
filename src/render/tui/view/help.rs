//! The help overlay, generated from the key table.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::render::tui::app::App;
use crate::render::tui::keys::BINDINGS;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    // One column when it fits, else two side by side (80x24 has room for two).
    let notes = 6;
    let two = (BINDINGS.len() + notes + 2) as u16 > area.height && area.width >= 80;
    // Each entry fits its column: keys right-aligned in 13, then the help cut to the rest.
    let entry = |b: &crate::render::tui::keys::Binding, w: usize| {
        let help = if w > 0 {
            crate::render::format::fit(b.help, w)
        } else {
            b.help.to_string()
        };
        vec![
            Span::styled(format!("{:>13}  ", b.keys), t.title()),
            Span::raw(format!("{help:<w$}")),
        ]
    };
    let mut lines: Vec<Line> = if two {
        let half = BINDINGS.len().div_ceil(2);
        (0..half)
            .map(|i| {
                let mut spans = entry(&BINDINGS[i], 24);
                spans.push(Span::raw(" "));
                if let Some(b) = BINDINGS.get(i + half) {
                    spans.extend(entry(b, 0));
                }
                Line::from(spans)
            })
            .collect()
    } else {
        BINDINGS.iter().map(|b| Line::from(entry(b, 0))).collect()
    };
    lines.push(Line::from(""));
    lines.push(Line::from(
        "CPU% is the share of ONE CPU, as top shows it (4 busy threads = 400%).",
    ));
    lines.push(Line::from(
        "READ/s WRITE/s: bytes from storage (/proc/PID/io); '-' when not permitted.",
    ));
    lines.push(Line::from(
        "State X: exited during the last refresh (from exit records; root).",
    ));
    lines.push(Line::from(format!(
        "Refresh every {} s (-d). Any key closes this help.",
        app.delay_secs
    )));
    let w = area.width.min(84);
    let h = area.height.min(lines.len() as u16 + 2);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    Clear.render(r, buf);
    let block = Block::default().borders(Borders::ALL).title(" sonde keys ");
    let block = if t.unicode {
        block
    } else {
        block.border_set(ascii_border())
    };
    Paragraph::new(lines).block(block).render(r, buf);
}

fn ascii_border() -> ratatui::symbols::border::Set<'static> {
    ratatui::symbols::border::Set {
        top_left: "+",
        top_right: "+",
        bottom_left: "+",
        bottom_right: "+",
        vertical_left: "|",
        vertical_right: "|",
        horizontal_top: "-",
        horizontal_bottom: "-",
    }
}
