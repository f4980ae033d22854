//! Number, unit and name formatting shared by the text renderers.

use crate::analyze::use_method::{Metric, Unit};

/// A value with fixed decimals, right-aligned to `width`; "-" for no value.
pub fn fixed(v: Option<f64>, decimals: usize, width: usize) -> String {
    match v {
        Some(x) => format!("{x:>width$.decimals$}"),
        None => format!("{:>width$}", "-"),
    }
}

/// A threshold boundary without needless decimals (70, 0.5, 0.01).
pub fn threshold_number(v: f64) -> String {
    human_number(v, "")
}

/// A threshold boundary in the metric's own unit (bytes humanised).
pub fn threshold_in(unit: Unit, v: f64) -> String {
    match unit {
        Unit::BytesPerSec => bytes_per_sec(v),
        _ => threshold_number(v),
    }
}

/// Bytes per second in binary units.
pub fn bytes_per_sec(v: f64) -> String {
    const UNITS: [&str; 5] = ["B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"];
    let mut x = v;
    let mut i = 0;
    while x >= 1024.0 && i < UNITS.len() - 1 {
        x /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{x:.0}{}", UNITS[i])
    } else {
        format!("{x:.1}{}", UNITS[i])
    }
}

/// Compact decimal number: up to 2 decimals below 100, k/M suffixes above 10,000.
pub fn human_number(v: f64, suffix: &str) -> String {
    let a = v.abs();
    let s = if a >= 10_000_000.0 {
        format!("{:.1}M", v / 1_000_000.0)
    } else if a >= 10_000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if a >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    format!("{s}{suffix}")
}

/// A metric's value with its unit, for humans ("45.2%", "3.1/s", "12 ms", "4.0KiB/s").
pub fn metric_value(m: &Metric) -> String {
    let Some(v) = m.value else { return "-".into() };
    match m.unit {
        Unit::Pct => format!(
            "{}%",
            if v >= 99.95 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        ),
        Unit::BytesPerSec => bytes_per_sec(v),
        Unit::Ms => human_number(v, "ms"),
        Unit::PerSec => human_number(v, "/s"),
        Unit::Count => format!("{v:.0}"),
        Unit::Number => format!("{v:.2}"),
    }
}

/// Makes a host-supplied name safe for a terminal: control characters (escape sequences,
/// newlines, DEL, C1 controls) become visible `\xNN` / `\u{..}` escapes.
pub fn sanitize(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            let n = c as u32;
            if n < 0x100 {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Cuts `s` to at most `width` characters, marking the cut with `~`.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('~');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_escape_sequences() {
        assert_eq!(sanitize("evil\x1b[2Jname\n"), "evil\\x1b[2Jname\\x0a");
        assert_eq!(sanitize("plain-ünï"), "plain-ünï");
        assert_eq!(sanitize("c1\u{9b}x"), "c1\\x9bx");
    }

    #[test]
    fn numbers() {
        assert_eq!(fixed(Some(1.005), 2, 7), "   1.00");
        assert_eq!(fixed(None, 2, 4), "   -");
        assert_eq!(threshold_number(70.0), "70");
        assert_eq!(threshold_number(0.5), "0.50");
        assert_eq!(bytes_per_sec(4096.0), "4.0KiB/s");
        assert_eq!(human_number(12345.0, "/s"), "12.3k/s");
        assert_eq!(fit("abcdef", 4), "abc~");
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC from seconds since the epoch.
pub fn utc(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let secs = unix_secs % 86_400;
    // Civil-from-days (proleptic Gregorian), after H. Hinnant's public-domain algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(super::utc(1_795_317_655), "2026-11-22 03:20:55");
        assert_eq!(super::utc(1_795_406_455), "2026-11-23 04:00:55");
    }
}

/// Bytes in at most 5 characters, binary units: `0`, `512`, `12K`, `1.5M`, `30G`.
pub fn short_bytes(v: f64) -> String {
    const UNITS: [&str; 6] = ["", "K", "M", "G", "T", "P"];
    let mut x = v.max(0.0);
    let mut i = 0;
    while x >= 1024.0 && i < UNITS.len() - 1 {
        x /= 1024.0;
        i += 1;
    }
    if i == 0 || x >= 10.0 {
        format!("{x:.0}{}", UNITS[i])
    } else {
        format!("{x:.1}{}", UNITS[i])
    }
}

#[cfg(test)]
mod short_tests {
    #[test]
    fn short_bytes() {
        assert_eq!(super::short_bytes(0.0), "0");
        assert_eq!(super::short_bytes(512.0), "512");
        assert_eq!(super::short_bytes(1536.0), "1.5K");
        assert_eq!(super::short_bytes(30.0 * 1024.0 * 1024.0 * 1024.0), "30G");
    }
}
