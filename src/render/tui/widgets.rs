//! Small text widgets: bars and sparklines that degrade to ASCII.

use super::theme::Theme;

/// A horizontal bar of `width` cells filled to `pct` (0–100).
pub fn bar(pct: f64, width: usize, theme: &Theme) -> String {
    let pct = if pct.is_finite() {
        pct.clamp(0.0, 100.0)
    } else {
        0.0
    };
    let filled = ((pct / 100.0) * width as f64).round() as usize;
    let mut s: String = std::iter::repeat_n(theme.bar_fill(), filled.min(width)).collect();
    s.extend(std::iter::repeat_n(
        if theme.unicode { '░' } else { ' ' },
        width - filled.min(width),
    ));
    s
}

/// The last `width` values as a sparkline scaled to `max` (at least the largest value).
pub fn sparkline<'a>(
    values: impl DoubleEndedIterator<Item = &'a f64> + ExactSizeIterator,
    width: usize,
    max: f64,
    theme: &Theme,
) -> String {
    let levels = theme.levels();
    let vals: Vec<f64> = values.rev().take(width).copied().collect();
    let top = vals
        .iter()
        .copied()
        .fold(max, f64::max)
        .max(f64::MIN_POSITIVE);
    vals.iter()
        .rev()
        .map(|v| {
            let i = ((v.max(0.0) / top) * (levels.len() - 1) as f64).round() as usize;
            levels[i.min(levels.len() - 1)]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_sparklines() {
        let ascii = Theme {
            color: false,
            unicode: false,
        };
        assert_eq!(bar(50.0, 10, &ascii), "|||||     ");
        assert_eq!(bar(250.0, 4, &ascii), "||||");
        assert_eq!(bar(f64::NAN, 3, &ascii), "   ");
        let v = [0.0, 50.0, 100.0];
        assert_eq!(sparkline(v.iter(), 10, 100.0, &ascii), "_-#");
        assert_eq!(sparkline(v.iter(), 2, 100.0, &ascii), "-#");
        let uni = Theme {
            color: false,
            unicode: true,
        };
        assert_eq!(sparkline(v.iter(), 3, 100.0, &uni), "▁▅█");
    }
}
