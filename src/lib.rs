//! sonde: Linux host-performance observability.
//!
//! Layers, dependencies pointing down only:
//! [`env`] (root path, clock, host facts) → [`collect`] (read and parse /proc, /sys) →
//! [`model`] (raw counters at two instants → rates) → [`analyze`] (pure findings: the USE
//! table) → [`render`] (text, JSON). [`cmd`] has one module per subcommand wiring the layers.

pub mod analyze;
pub mod cli;
pub mod cmd;
pub mod collect;
pub mod env;
pub mod model;
pub mod render;

pub use cmd::run;
