//! From raw counters to rates: `Model = f(prev, curr, interval)`.
//!
//! The interval comes from the samples' /proc/uptime (hundredths of a second), exactly as
//! sysstat measures it, never from the wall clock. A counter that went backwards, or an item
//! that exists in only one of the two samples, yields `None` ("no value"), never a huge number.

pub mod cpu;
pub mod delays;
pub mod disk;
pub mod host;
pub mod mem;
pub mod net;
pub mod process;
pub mod rate;
