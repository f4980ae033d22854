//! `sonde use`: the USE table, worst first, with a one-line summary on top and, with
//! `--explain`, every metric's threshold and source.

use crate::analyze::use_method::{Cell, Metric, Summary, UseTable, Verdict};
use crate::render::format::{fit, metric_value, sanitize, threshold_in};

const CELL: usize = 25;
const INSTANCE: usize = 14;

fn paint(v: Verdict, text: &str, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match v {
        Verdict::Crit => "1;31",
        Verdict::Warn => "33",
        Verdict::Ok => "32",
        Verdict::NotAvailable => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// "< 70" when ok, ">= 70" when warn, ">= 90" when crit, "info" without threshold.
fn bound(m: &Metric) -> String {
    match (m.threshold, m.verdict) {
        (None, _) => "info".into(),
        (Some(t), Verdict::Crit) => format!(">={}", threshold_in(m.unit, t.crit)),
        (Some(t), Verdict::Warn) => format!(">={}", threshold_in(m.unit, t.warn)),
        (Some(t), _) => format!("<{}", threshold_in(m.unit, t.warn)),
    }
}

fn cell_text(c: &Cell, color: bool) -> String {
    let Some(m) = c.headline() else {
        return paint(Verdict::NotAvailable, &format!("{:<CELL$}", "n/a"), color);
    };
    let head = format!("{} {} ", m.name, metric_value(m));
    let tail = format!("{} {}", m.verdict.label(), bound(m));
    let pad = CELL.saturating_sub(head.chars().count() + tail.chars().count());
    format!(
        "{head}{}{}",
        paint(m.verdict, &tail, color),
        " ".repeat(pad)
    )
}

pub fn summary_line(s: &Summary) -> String {
    let mut out = format!(
        "summary: {} crit, {} warn, {} ok, {} n/a",
        s.crit, s.warn, s.ok, s.not_available
    );
    match &s.worst {
        Some(w) => {
            let m = &w.metric;
            let t = m
                .threshold
                .map(|t| {
                    if m.verdict == Verdict::Crit {
                        t.crit
                    } else {
                        t.warn
                    }
                })
                .map(|v| threshold_in(m.unit, v))
                .unwrap_or_default();
            out.push_str(&format!(
                " | worst: {} {} {}: {} {} ({} >= {t})",
                w.resource.label(),
                sanitize(&w.instance),
                w.cell,
                m.name,
                metric_value(m),
                m.verdict.label(),
            ));
        }
        None => out.push_str(" | no resource above its warn threshold"),
    }
    out.push('\n');
    out
}

pub fn render(t: &UseTable, explain: bool, color: bool) -> String {
    let mut out = summary_line(&t.summary);
    out.push('\n');
    out.push_str(&format!(
        "{:<6} {:<INSTANCE$} {:<CELL$} {:<CELL$} {}\n",
        "WHAT", "INSTANCE", "UTILIZATION", "SATURATION", "ERRORS"
    ));
    for r in &t.rows {
        out.push_str(&format!(
            "{:<6} {:<INSTANCE$} {} {} {}",
            r.resource.label(),
            fit(&sanitize(&r.instance), INSTANCE),
            cell_text(&r.utilization, color),
            cell_text(&r.saturation, color),
            cell_text(&r.errors, color),
        ));
        // No trailing blanks.
        while out.ends_with(' ') {
            out.pop();
        }
        out.push('\n');
    }
    if explain {
        out.push_str("\nexplain (every metric, its verdict, threshold and source):\n");
        for r in &t.rows {
            for (name, c) in r.cells() {
                let who = format!("{} {} {name}", r.resource.label(), sanitize(&r.instance));
                if c.metrics.is_empty() {
                    out.push_str(&format!(
                        "  {who}: n/a: {}\n",
                        c.reason.as_deref().unwrap_or("")
                    ));
                }
                for m in &c.metrics {
                    let thr = m.threshold.map_or_else(
                        || "no threshold".to_string(),
                        |t| {
                            format!(
                                "warn >= {}, crit >= {}",
                                threshold_in(m.unit, t.warn),
                                threshold_in(m.unit, t.crit)
                            )
                        },
                    );
                    out.push_str(&format!(
                        "  {who}: {} = {} {} ({thr}) <- {}",
                        m.name,
                        metric_value(m),
                        m.verdict.label(),
                        sanitize(&m.source)
                    ));
                    if let Some(n) = &m.note {
                        out.push_str(&format!(" [{n}]"));
                    }
                    out.push('\n');
                }
            }
        }
    }
    out
}
