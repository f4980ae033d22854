//! Drawing: `impl Widget for &App`, one module per screen region.

pub mod cpu_panel;
pub mod detail;
pub mod header;
pub mod help;
pub mod layout;
pub mod procs;
pub mod status;
pub mod use_panel;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::app::{App, Mode};

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let a = layout::areas(area, !self.missing.is_empty());
        header::render(self, a.header, buf);
        use_panel::render(self, a.use_panel, buf);
        cpu_panel::render(self, a.cpu_panel, buf);
        match &self.mode {
            Mode::Detail(pid) => detail::render(self, *pid, a.table, buf),
            _ => procs::render(self, a.table, buf),
        }
        status::render(self, a.status, buf);
        if self.mode == Mode::Help {
            help::render(self, area, buf);
        }
    }
}
