//! Reading and parsing host sources: procfs, sysfs (later netlink and perf).
//!
//! Each source has a pure parser (`parse(&str) -> Result<T, ParseError>`) next to a thin
//! `read(&Env)` shell, so parsers are tested on captured text and the file read stays trivial.
//! Nothing here formats output or knows about the terminal. "Not on this kernel", "process
//! vanished" and "no permission" are expected outcomes with their own error variants.

pub mod caps;
pub mod delays;
pub mod dstate;
pub mod exited;
pub mod host;
pub mod netlink;
pub mod process;
pub mod procfs;
pub mod sysfs;
pub mod users;

use std::io;
use std::path::PathBuf;

/// Why a source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The file does not exist: not on this kernel, device gone, or process exited.
    #[error("{path}: not found")]
    NotFound { path: String },
    /// The file exists but this user may not read it.
    #[error("{path}: permission denied")]
    Permission { path: String },
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}: cannot parse: {msg}")]
    Parse { path: String, msg: String },
    /// A `--root` capture is malformed or exhausted.
    #[error("capture {}: {msg}", path.display())]
    Replay { path: PathBuf, msg: String },
}

impl CollectError {
    pub fn io(path: &str, e: io::Error) -> CollectError {
        let path = path.to_string();
        match e.kind() {
            io::ErrorKind::NotFound => CollectError::NotFound { path },
            io::ErrorKind::PermissionDenied => CollectError::Permission { path },
            _ if e.raw_os_error() == Some(libc::ESRCH) => CollectError::NotFound { path },
            _ => CollectError::Io { path, source: e },
        }
    }

    pub fn parse(path: &str, e: ParseError) -> CollectError {
        CollectError::Parse {
            path: path.to_string(),
            msg: e.0,
        }
    }
}

/// A parser's complaint about its input, without the path (the caller adds it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub fn new(msg: impl Into<String>) -> ParseError {
        ParseError(msg.into())
    }
}

/// Parses one unsigned decimal field, naming it in the error.
pub(crate) fn num(field: &str, what: &str) -> Result<u64, ParseError> {
    field
        .parse()
        .map_err(|_| ParseError::new(format!("{what}: not a number: {field:?}")))
}

/// Reads `abs` from `env` and parses it with `parse`, adding the path to any error.
pub(crate) fn read_parse<T>(
    env: &crate::env::Env,
    abs: &str,
    parse: impl FnOnce(&str) -> Result<T, ParseError>,
) -> Result<T, CollectError> {
    let text = env.read(abs)?;
    parse(&text).map_err(|e| CollectError::parse(abs, e))
}

/// Like [`read_parse`], but a missing file is `Ok(None)`.
pub(crate) fn read_parse_optional<T>(
    env: &crate::env::Env,
    abs: &str,
    parse: impl FnOnce(&str) -> Result<T, ParseError>,
) -> Result<Option<T>, CollectError> {
    match env.read_optional(abs)? {
        None => Ok(None),
        Some(text) => parse(&text)
            .map(Some)
            .map_err(|e| CollectError::parse(abs, e)),
    }
}
