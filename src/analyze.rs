//! Pure functions from the model to findings: the USE table (later per-process I/O, delays and
//! stack folding). No I/O, no formatting.

pub mod use_method;
