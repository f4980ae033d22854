//! The live terminal UI: state, keys, and drawing. No I/O happens here.
//!
//! [`app::App`] holds everything the screen shows and changes only in [`app::App::update`],
//! which takes one [`event::Msg`] (a key, a resize, a finished sample from the collector
//! thread) and returns an [`app::Action`] for the caller to carry out (quit, kill, renice).
//! Drawing is `impl Widget for &App` ([`view`]): it reads the state and never mutates it.
//! `cmd::top` owns the terminal, the threads and the loop.

pub mod app;
pub mod event;
pub mod keys;
pub mod theme;
pub mod view;
pub mod widgets;
