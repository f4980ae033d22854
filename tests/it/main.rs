//! The integration test binary: one module per area.
//!
//! Tests that load the machine or compare with a live peer take [`LIVE_LOCK`], so they never
//! overlap each other.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod contract;
mod golden;
mod io;
mod live;
mod peer;
mod process;
mod support;
mod taskstats;
mod tui;
mod tui_screen;

/// Held by every test that loads the machine or measures it live, so they do not disturb
/// each other.
pub static LIVE_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
