//! Colours and glyphs, with fallbacks: `--no-color`/`NO_COLOR` drop colour, `--ascii` and
//! `TERM=linux` drop Unicode (the Linux console font lacks block elements).

use ratatui::style::{Color, Modifier, Style};

use crate::analyze::use_method::Verdict;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub unicode: bool,
}

impl Theme {
    pub fn plain() -> Theme {
        Theme {
            color: false,
            unicode: false,
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn verdict(&self, v: Verdict) -> Style {
        match v {
            Verdict::Crit => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Verdict::Warn => self.fg(Color::Yellow),
            Verdict::Ok => self.fg(Color::Green),
            Verdict::NotAvailable => self.fg(Color::DarkGray),
        }
    }

    pub fn header(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    /// The selected row: reverse video works without colour too.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn table_header(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        }
    }

    pub fn search_match(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }

    /// Eight levels of a sparkline or bar, lowest first.
    pub fn levels(&self) -> [char; 8] {
        if self.unicode {
            ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█']
        } else {
            ['_', '.', ',', ':', '-', '=', '+', '#']
        }
    }

    pub fn bar_fill(&self) -> char {
        if self.unicode { '█' } else { '|' }
    }

    pub fn tree_branch(&self, last: bool) -> &'static str {
        match (self.unicode, last) {
            (true, false) => "├─ ",
            (true, true) => "└─ ",
            (false, false) => "|- ",
            (false, true) => "`- ",
        }
    }

    /// A host-supplied name made safe to draw: control characters escaped; in ASCII mode,
    /// anything outside ASCII (including U+FFFD from invalid UTF-8) shown as `?`.
    pub fn clean(&self, s: &str) -> String {
        let safe = crate::render::format::sanitize(s);
        if self.unicode {
            safe
        } else {
            safe.chars()
                .map(|c| if c.is_ascii() { c } else { '?' })
                .collect()
        }
    }

    pub fn tree_pipe(&self) -> &'static str {
        if self.unicode { "│  " } else { "|  " }
    }
}
