//! Pure functions from the model to findings: the USE table, per-process I/O with its waits
//! (`sonde io`), where threads spend their time (`sonde offcpu`), and (later) stack folding.
//! No I/O, no formatting.

pub mod exits;
pub mod offcpu;
pub mod proc_io;
pub mod tasks;
pub mod use_method;
