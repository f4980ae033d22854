//! Where each region goes. `App` uses the same function to know how many process rows fit,
//! so scrolling in `update` and drawing agree.

use ratatui::layout::Rect;

#[derive(Debug, Clone, Copy)]
pub struct Areas {
    pub header: Rect,
    pub use_panel: Rect,
    pub cpu_panel: Rect,
    pub table: Rect,
    pub status: Rect,
}

/// Header lines: host line, load/PSI line, and a capability warning when something is missing.
pub fn header_height(warning: bool) -> u16 {
    if warning { 3 } else { 2 }
}

pub fn areas(area: Rect, warning: bool) -> Areas {
    let h = area.height;
    let head = header_height(warning).min(h);
    let status = u16::from(h > head);
    let rest = h - head - status;
    // Panels get a third of what is left, at least 4 lines when possible, at most 12.
    let mid = (rest / 3).clamp(4.min(rest), 12.min(rest));
    let table = rest - mid;
    let y = area.y;
    let use_w = if area.width >= 100 {
        area.width * 11 / 20
    } else {
        area.width * 3 / 5
    };
    Areas {
        header: Rect::new(area.x, y, area.width, head),
        use_panel: Rect::new(area.x, y + head, use_w, mid),
        cpu_panel: Rect::new(area.x + use_w, y + head, area.width - use_w, mid),
        table: Rect::new(area.x, y + head + mid, area.width, table),
        status: Rect::new(area.x, y + h - status, area.width, status),
    }
}

/// Process rows that fit in the table (its first line is the column header).
pub fn table_rows(size: (u16, u16), warning: bool) -> usize {
    let a = areas(Rect::new(0, 0, size.0, size.1), warning);
    a.table.height.saturating_sub(1) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_tile_the_screen_at_any_size() {
        for (w, h) in [(80, 24), (200, 50), (20, 5), (1, 1), (0, 0), (300, 120)] {
            let a = areas(Rect::new(0, 0, w, h), true);
            let total = a.header.height + a.use_panel.height + a.table.height + a.status.height;
            assert_eq!(total, h, "{w}x{h}");
            assert!(a.cpu_panel.right() <= w.max(a.cpu_panel.x), "{w}x{h}");
        }
        assert_eq!(table_rows((80, 24), true), 13);
    }
}
