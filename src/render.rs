//! Presentation only: text, JSON, the TUI (later SVG). Renderers take finished models and
//! tables; they never collect and never mutate.

pub mod format;
pub mod json;
pub mod text;
pub mod tui;
