//! The status line: the prompt when typing, otherwise key hints, sort, filter, sonde's own CPU
//! cost per refresh, and messages.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::render::tui::app::{Action, App, InputKind, Mode};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let line = match &app.mode {
        Mode::Input { kind, text } => {
            let label = match kind {
                InputKind::Search => "search: ".to_string(),
                InputKind::Filter => "filter (text, user:NAME, re:REGEX): ".to_string(),
                InputKind::Renice(pid) => format!("nice value for {pid} (-20..19): "),
            };
            Line::from(vec![
                Span::styled(label, t.title()),
                Span::raw(app.theme.clean(text)),
                Span::raw("_"),
            ])
        }
        Mode::Confirm(Action::Kill { pid, comm, .. }) => Line::from(Span::styled(
            format!(
                "Send SIGTERM to {pid} ({})?  y/Enter: TERM  9: KILL  other: cancel",
                app.theme.clean(comm)
            ),
            t.warning(),
        )),
        Mode::Confirm(Action::Renice { pid, comm, nice }) => Line::from(Span::styled(
            format!(
                "Renice {pid} ({}) to {nice}?  y/Enter: yes  other: cancel",
                app.theme.clean(comm)
            ),
            t.warning(),
        )),
        _ => {
            let mut spans = Vec::new();
            if app.paused {
                spans.push(Span::styled("PAUSED ", t.warning()));
            }
            if let Some(m) = &app.message {
                spans.push(Span::styled(
                    format!("{} ", app.theme.clean(m)),
                    t.warning(),
                ));
            }
            if let Some(e) = &app.collector_error {
                spans.push(Span::styled(
                    format!("collector stopped: {} ", app.theme.clean(e)),
                    t.warning(),
                ));
            }
            if let Some((text, _)) = &app.filter {
                spans.push(Span::raw(format!("filter:{} ", app.theme.clean(text))));
            }
            let cost = app
                .frame
                .as_ref()
                .and_then(|f| f.self_cpu_ms)
                .map_or_else(String::new, |ms| format!("sonde {ms:.1} ms CPU/refresh  "));
            spans.push(Span::styled(
                format!(
                    "{cost}{} procs  ? help  / search  \\ filter  P M O N sort  t tree  q quit",
                    app.lines.len()
                ),
                t.dim(),
            ));
            Line::from(spans)
        }
    };
    Paragraph::new(line).render(area, buf);
}
