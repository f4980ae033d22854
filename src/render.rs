//! Presentation only: text, JSON (later SVG and the TUI). Renderers take finished models and
//! tables; they never collect and never mutate.

pub mod format;
pub mod json;
pub mod text;
