//! The key table: one list drives both key handling and the help overlay, so the help can
//! never disagree with what the keys do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Detail,
    Back,
    Search,
    SearchNext,
    Filter,
    SortNext,
    SortPrev,
    SortCpu,
    SortMem,
    SortIo,
    SortPid,
    Invert,
    Tree,
    Threads,
    Pause,
    Kill,
    Renice,
    Help,
}

/// (keys as shown in help, description, command, matcher)
pub struct Binding {
    pub keys: &'static str,
    pub help: &'static str,
    pub command: Command,
    matches: fn(&KeyEvent) -> bool,
}

impl std::fmt::Debug for Binding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binding")
            .field("keys", &self.keys)
            .field("command", &self.command)
            .finish()
    }
}

fn ch(e: &KeyEvent, c: char) -> bool {
    e.code == KeyCode::Char(c) && !e.modifiers.contains(KeyModifiers::CONTROL)
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: "q  Ctrl-C",
        help: "quit",
        command: Command::Quit,
        matches: |e| {
            ch(e, 'q')
                || (e.code == KeyCode::Char('c') && e.modifiers.contains(KeyModifiers::CONTROL))
        },
    },
    Binding {
        keys: "Up  k",
        help: "move up",
        command: Command::Up,
        matches: |e| e.code == KeyCode::Up || ch(e, 'k'),
    },
    Binding {
        keys: "Down  j",
        help: "move down",
        command: Command::Down,
        matches: |e| e.code == KeyCode::Down || ch(e, 'j'),
    },
    Binding {
        keys: "PgUp  Ctrl-B",
        help: "page up",
        command: Command::PageUp,
        matches: |e| {
            e.code == KeyCode::PageUp
                || (e.code == KeyCode::Char('b') && e.modifiers.contains(KeyModifiers::CONTROL))
        },
    },
    Binding {
        keys: "PgDn  Ctrl-F",
        help: "page down",
        command: Command::PageDown,
        matches: |e| {
            e.code == KeyCode::PageDown
                || (e.code == KeyCode::Char('f') && e.modifiers.contains(KeyModifiers::CONTROL))
        },
    },
    Binding {
        keys: "Home  g",
        help: "first process",
        command: Command::Top,
        matches: |e| e.code == KeyCode::Home || ch(e, 'g'),
    },
    Binding {
        keys: "End  G",
        help: "last process",
        command: Command::Bottom,
        matches: |e| e.code == KeyCode::End || ch(e, 'G'),
    },
    Binding {
        keys: "Enter",
        help: "process details",
        command: Command::Detail,
        matches: |e| e.code == KeyCode::Enter,
    },
    Binding {
        keys: "Esc",
        help: "back; clear the filter",
        command: Command::Back,
        matches: |e| e.code == KeyCode::Esc,
    },
    Binding {
        keys: "/",
        help: "search (Enter accepts)",
        command: Command::Search,
        matches: |e| ch(e, '/'),
    },
    Binding {
        keys: "n",
        help: "next search match",
        command: Command::SearchNext,
        matches: |e| ch(e, 'n'),
    },
    Binding {
        keys: "\\",
        help: "filter: text/user:/re:",
        command: Command::Filter,
        matches: |e| ch(e, '\\'),
    },
    Binding {
        keys: "> .",
        help: "sort by the next column",
        command: Command::SortNext,
        matches: |e| ch(e, '>') || ch(e, '.'),
    },
    Binding {
        keys: "< ,",
        help: "sort by previous column",
        command: Command::SortPrev,
        matches: |e| ch(e, '<') || ch(e, ','),
    },
    Binding {
        keys: "P",
        help: "sort by CPU",
        command: Command::SortCpu,
        matches: |e| ch(e, 'P'),
    },
    Binding {
        keys: "M",
        help: "sort by memory (RSS)",
        command: Command::SortMem,
        matches: |e| ch(e, 'M'),
    },
    Binding {
        keys: "O",
        help: "sort by I/O (rd + wr)",
        command: Command::SortIo,
        matches: |e| ch(e, 'O'),
    },
    Binding {
        keys: "N",
        help: "sort by PID",
        command: Command::SortPid,
        matches: |e| ch(e, 'N'),
    },
    Binding {
        keys: "I",
        help: "invert the sort order",
        command: Command::Invert,
        matches: |e| ch(e, 'I'),
    },
    Binding {
        keys: "t",
        help: "tree view",
        command: Command::Tree,
        matches: |e| ch(e, 't'),
    },
    Binding {
        keys: "H",
        help: "show threads",
        command: Command::Threads,
        matches: |e| ch(e, 'H'),
    },
    Binding {
        keys: "p  Space",
        help: "pause (freeze screen)",
        command: Command::Pause,
        matches: |e| ch(e, 'p') || ch(e, ' '),
    },
    Binding {
        keys: "K",
        help: "signal (asks first)",
        command: Command::Kill,
        matches: |e| ch(e, 'K'),
    },
    Binding {
        keys: "R",
        help: "renice (asks first)",
        command: Command::Renice,
        matches: |e| ch(e, 'R'),
    },
    Binding {
        keys: "?  F1",
        help: "this help",
        command: Command::Help,
        matches: |e| ch(e, '?') || e.code == KeyCode::F(1),
    },
];

/// The command bound to a key, if any.
pub fn command(e: &KeyEvent) -> Option<Command> {
    BINDINGS.iter().find(|b| (b.matches)(e)).map(|b| b.command)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    #[test]
    fn every_key_maps_to_one_command() {
        assert_eq!(
            command(&key(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Command::Quit)
        );
        assert_eq!(
            command(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Command::Quit)
        );
        assert_eq!(
            command(&key(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Command::Down)
        );
        assert_eq!(
            command(&key(KeyCode::Char('P'), KeyModifiers::SHIFT)),
            Some(Command::SortCpu)
        );
        assert_eq!(command(&key(KeyCode::Char('x'), KeyModifiers::NONE)), None);
        // No two bindings share a command.
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                assert_ne!(a.command, b.command, "{} and {}", a.keys, b.keys);
            }
        }
    }
}
