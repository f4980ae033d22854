//! The header: host (always first, so it survives any width), kernel, uptime, UTC time; load and
//! PSI; then a warning line naming what cannot be measured here.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::render::format::utc;
use crate::render::tui::app::App;

fn uptime(cs: u64) -> String {
    let s = cs / 100;
    let (d, h, m) = (s / 86_400, s / 3600 % 24, s / 60 % 60);
    if d > 0 {
        format!("up {d}d {h:02}:{m:02}")
    } else {
        format!("up {h:02}:{m:02}")
    }
}

fn psi(share: Option<crate::model::host::PsiShare>) -> String {
    match share {
        None => "-".into(),
        Some(s) => {
            let f = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.1}"));
            format!("{}/{}", f(s.some_pct), f(s.full_pct))
        }
    }
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let mut lines = Vec::new();
    match &app.frame {
        None => lines.push(Line::from(Span::styled(
            "sonde: taking the first sample...",
            t.header(),
        ))),
        Some(f) => {
            lines.push(Line::from(vec![
                Span::styled(app.theme.clean(&f.info.hostname), t.header()),
                Span::raw(format!(
                    "  Linux {}  {}  {} UTC",
                    app.theme.clean(&f.info.kernel),
                    uptime(f.uptime_cs),
                    utc(f.info.unix_time)
                )),
            ]));
            let p = f.model.as_ref().map(|m| m.pressure).unwrap_or_default();
            let psi_text =
                if f.model.is_some() && p.cpu.is_none() && p.memory.is_none() && p.io.is_none() {
                    "PSI n/a".to_string()
                } else {
                    format!(
                        "PSI% cpu {} mem {} io {}",
                        psi(p.cpu),
                        psi(p.memory),
                        psi(p.io)
                    )
                };
            lines.push(Line::from(format!(
                "load {:.2} {:.2} {:.2}  tasks {}  {psi_text}",
                f.loadavg.load1, f.loadavg.load5, f.loadavg.load15, f.loadavg.threads
            )));
        }
    }
    if !app.missing.is_empty() {
        let what: Vec<&str> = app.missing.iter().map(|m| m.what.as_str()).collect();
        lines.push(Line::from(Span::styled(
            format!("missing: {} (see sonde use)", what.join(", ")),
            t.warning(),
        )));
    }
    Paragraph::new(lines).render(area, buf);
}
