//! The one place deltas and per-second rates are computed.

use serde::Serialize;

/// Δ of a cumulative counter; `None` when it went backwards (reset, device re-added, wrap).
pub fn delta(prev: u64, curr: u64) -> Option<u64> {
    curr.checked_sub(prev)
}

/// An interval between two samples, in hundredths of a second (sysstat's `itv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Interval {
    pub centisecs: u64,
}

impl Interval {
    /// `None` when the clock did not advance (same capture twice) or went backwards.
    pub fn between(prev_uptime_cs: u64, curr_uptime_cs: u64) -> Option<Interval> {
        delta(prev_uptime_cs, curr_uptime_cs)
            .filter(|d| *d > 0)
            .map(|centisecs| Interval { centisecs })
    }

    pub fn secs(&self) -> f64 {
        self.centisecs as f64 / 100.0
    }

    pub fn micros(&self) -> f64 {
        self.centisecs as f64 * 10_000.0
    }

    /// Per-second rate of a counter over this interval, computed as sysstat's `S_VALUE`
    /// (Δ / itv × 100) so results agree to the last printed digit.
    pub fn per_sec(&self, prev: u64, curr: u64) -> Option<f64> {
        delta(prev, curr).map(|d| self.rate(d))
    }

    /// Per-second rate of a known Δ.
    pub fn rate(&self, d: u64) -> f64 {
        d as f64 / self.centisecs as f64 * 100.0
    }

    /// Share of the interval, in percent, of a Δ measured in microseconds (PSI totals).
    pub fn share_of_us_pct(&self, prev_us: u64, curr_us: u64) -> Option<f64> {
        delta(prev_us, curr_us).map(|d| d as f64 / self.micros() * 100.0)
    }
}

/// Ratio `num / den`, or `zero` when `den` is 0 (sysstat prints 0.00 for "no I/O").
pub fn ratio_or(num: f64, den: u64, zero: f64) -> f64 {
    if den == 0 { zero } else { num / den as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backwards_counter_is_no_value() {
        let i = Interval::between(100, 200).unwrap();
        assert_eq!(i.per_sec(10, 5), None);
        assert_eq!(i.per_sec(10, 110), Some(100.0));
        assert_eq!(Interval::between(200, 200), None);
        assert_eq!(Interval::between(300, 200), None);
    }

    #[test]
    fn psi_share() {
        let i = Interval::between(0, 200).unwrap(); // 2 s
        assert_eq!(i.share_of_us_pct(0, 1_000_000), Some(50.0));
    }
}
