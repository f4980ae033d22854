//! The USE method as a table: for every resource, Utilization, Saturation and Errors.
//!
//! Each cell holds one or more [`Metric`]s (value, unit, threshold, verdict and the exact
//! source it came from); the cell's verdict is its worst metric's, and the row's is its worst
//! cell's. Rows are sorted worst first, so the answer to "which resource is in trouble" is the
//! first line. A metric that cannot be measured here is `n/a` with the reason, never 0.
//!
//! Thresholds are rules of thumb an operator can argue with; they are printed next to every
//! value so nobody has to guess what "warn" meant.

mod resources;

use serde::Serialize;

use crate::collect::host::HostSample;
use crate::model::host::HostModel;

/// Ordered from harmless to worst, so `max` is the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    #[serde(rename = "n/a")]
    NotAvailable,
    Ok,
    Warn,
    Crit,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::NotAvailable => "n/a",
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Crit => "crit",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Unit {
    #[serde(rename = "%")]
    Pct,
    #[serde(rename = "/s")]
    PerSec,
    #[serde(rename = "B/s")]
    BytesPerSec,
    #[serde(rename = "ms")]
    Ms,
    #[serde(rename = "count")]
    Count,
    /// A plain number (run-queue length per CPU, queue depth).
    #[serde(rename = "")]
    Number,
}

impl Unit {
    pub fn suffix(self) -> &'static str {
        match self {
            Unit::Pct => "%",
            Unit::PerSec => "/s",
            Unit::BytesPerSec => "B/s",
            Unit::Ms => "ms",
            Unit::Count | Unit::Number => "",
        }
    }
}

/// `value >= warn` is warn, `value >= crit` is crit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Threshold {
    pub warn: f64,
    pub crit: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    pub name: &'static str,
    pub value: Option<f64>,
    pub unit: Unit,
    /// `None`: informational, never above ok.
    pub threshold: Option<Threshold>,
    pub verdict: Verdict,
    /// Where the value came from, e.g. `/proc/pressure/cpu some total`.
    pub source: String,
    /// Why it is n/a, or why it is informational.
    pub note: Option<String>,
}

impl Metric {
    pub fn new(
        name: &'static str,
        value: Option<f64>,
        unit: Unit,
        threshold: Option<Threshold>,
        source: impl Into<String>,
    ) -> Metric {
        let verdict = match (value, threshold) {
            (None, _) => Verdict::NotAvailable,
            (Some(_), None) => Verdict::Ok,
            (Some(v), Some(t)) if v >= t.crit => Verdict::Crit,
            (Some(v), Some(t)) if v >= t.warn => Verdict::Warn,
            (Some(_), Some(_)) => Verdict::Ok,
        };
        Metric {
            name,
            value,
            unit,
            threshold,
            verdict,
            source: source.into(),
            note: None,
        }
    }

    /// Adds a note shown with the value (for informational metrics).
    pub fn with_note(mut self, note: impl Into<String>) -> Metric {
        self.note = Some(note.into());
        self
    }

    /// Adds the reason the value is missing, if it is.
    pub fn when_na(self, reason: impl Into<String>) -> Metric {
        if self.value.is_none() {
            self.with_note(reason)
        } else {
            self
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub verdict: Verdict,
    pub metrics: Vec<Metric>,
    /// Why the whole cell is n/a.
    pub reason: Option<String>,
}

impl Cell {
    pub fn of(metrics: Vec<Metric>) -> Cell {
        let verdict = metrics
            .iter()
            .map(|m| m.verdict)
            .max()
            .unwrap_or(Verdict::NotAvailable);
        let reason = (verdict == Verdict::NotAvailable)
            .then(|| metrics.iter().find_map(|m| m.note.clone()))
            .flatten();
        Cell {
            verdict,
            metrics,
            reason,
        }
    }

    pub fn na(reason: impl Into<String>) -> Cell {
        Cell {
            verdict: Verdict::NotAvailable,
            metrics: Vec::new(),
            reason: Some(reason.into()),
        }
    }

    /// The metric that decided the verdict (the first of the worst).
    pub fn headline(&self) -> Option<&Metric> {
        self.metrics
            .iter()
            .filter(|m| m.verdict == self.verdict)
            .find(|m| m.value.is_some())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    Cpu,
    Memory,
    Disk,
    Nic,
    Tcp,
    Fs,
    #[serde(rename = "kernel")]
    KernelTable,
}

impl Resource {
    pub fn label(self) -> &'static str {
        match self {
            Resource::Cpu => "cpu",
            Resource::Memory => "memory",
            Resource::Disk => "disk",
            Resource::Nic => "nic",
            Resource::Tcp => "tcp",
            Resource::Fs => "fs",
            Resource::KernelTable => "kernel",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UseRow {
    pub resource: Resource,
    pub instance: String,
    pub verdict: Verdict,
    pub utilization: Cell,
    pub saturation: Cell,
    pub errors: Cell,
}

impl UseRow {
    pub fn new(
        resource: Resource,
        instance: impl Into<String>,
        u: Cell,
        s: Cell,
        e: Cell,
    ) -> UseRow {
        let verdict = [u.verdict, s.verdict, e.verdict]
            .into_iter()
            .max()
            .unwrap_or(Verdict::NotAvailable);
        UseRow {
            resource,
            instance: instance.into(),
            verdict,
            utilization: u,
            saturation: s,
            errors: e,
        }
    }

    pub fn cells(&self) -> [(&'static str, &Cell); 3] {
        [
            ("utilization", &self.utilization),
            ("saturation", &self.saturation),
            ("errors", &self.errors),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub crit: usize,
    pub warn: usize,
    pub ok: usize,
    pub not_available: usize,
    /// The finding behind the worst verdict, when something is warn or crit.
    pub worst: Option<Worst>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Worst {
    pub resource: Resource,
    pub instance: String,
    /// "utilization", "saturation" or "errors".
    pub cell: &'static str,
    pub metric: Metric,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UseTable {
    pub summary: Summary,
    pub rows: Vec<UseRow>,
}

/// Builds the table from the current sample and the model over the last interval.
pub fn table(curr: &HostSample, m: &HostModel) -> UseTable {
    let mut rows = Vec::new();
    resources::cpu(curr, m, &mut rows);
    resources::memory(curr, m, &mut rows);
    resources::disks(m, &mut rows);
    resources::nics(m, &mut rows);
    resources::tcp(m, &mut rows);
    resources::filesystems(curr, &mut rows);
    resources::kernel_tables(curr, &mut rows);
    // Worst first; the builders' order (resource kind, then instance) breaks ties stably.
    rows.sort_by_key(|r| std::cmp::Reverse(r.verdict));
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
    let worst = rows
        .first()
        .filter(|r| r.verdict >= Verdict::Warn)
        .and_then(|r| {
            let (cell, c) = r
                .cells()
                .into_iter()
                .find(|(_, c)| c.verdict == r.verdict)?;
            Some(Worst {
                resource: r.resource,
                instance: r.instance.clone(),
                cell,
                metric: c.headline()?.clone(),
            })
        });
    UseTable {
        summary: Summary {
            crit: count(Verdict::Crit),
            warn: count(Verdict::Warn),
            ok: count(Verdict::Ok),
            not_available: count(Verdict::NotAvailable),
            worst,
        },
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_from_thresholds() {
        let t = Some(Threshold {
            warn: 70.0,
            crit: 90.0,
        });
        assert_eq!(
            Metric::new("u", Some(69.9), Unit::Pct, t, "x").verdict,
            Verdict::Ok
        );
        assert_eq!(
            Metric::new("u", Some(70.0), Unit::Pct, t, "x").verdict,
            Verdict::Warn
        );
        assert_eq!(
            Metric::new("u", Some(95.0), Unit::Pct, t, "x").verdict,
            Verdict::Crit
        );
        assert_eq!(
            Metric::new("u", None, Unit::Pct, t, "x").verdict,
            Verdict::NotAvailable
        );
        assert_eq!(
            Metric::new("u", Some(100.0), Unit::Pct, None, "x").verdict,
            Verdict::Ok
        );
    }

    #[test]
    fn cell_takes_worst_metric_and_row_worst_cell() {
        let t = Some(Threshold {
            warn: 1.0,
            crit: 2.0,
        });
        let c = Cell::of(vec![
            Metric::new("a", Some(0.5), Unit::Number, t, "x"),
            Metric::new("b", Some(1.5), Unit::Number, t, "y"),
            Metric::new("c", None, Unit::Number, t, "z"),
        ]);
        assert_eq!(c.verdict, Verdict::Warn);
        assert_eq!(c.headline().map(|m| m.name), Some("b"));
        let r = UseRow::new(Resource::Cpu, "all", Cell::na("n"), c, Cell::na("n"));
        assert_eq!(r.verdict, Verdict::Warn);
    }
}
