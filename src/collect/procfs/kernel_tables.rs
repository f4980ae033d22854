//! Kernel table sizes: open file handles against `fs.file-max`, PID and thread limits.

use crate::collect::{CollectError, ParseError, num};
use crate::env::Env;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct KernelTables {
    /// Allocated file handles (first field of /proc/sys/fs/file-nr).
    pub files_allocated: u64,
    /// `fs.file-max`.
    pub files_max: u64,
    /// `kernel.pid_max`: every thread uses one PID.
    pub pid_max: u64,
    /// `kernel.threads-max`.
    pub threads_max: Option<u64>,
}

/// /proc/sys/fs/file-nr: `allocated unused max`.
pub fn parse_file_nr(text: &str) -> Result<(u64, u64), ParseError> {
    let f: Vec<&str> = text.split_whitespace().collect();
    if f.len() < 3 {
        return Err(ParseError::new("file-nr: need 3 fields"));
    }
    Ok((num(f[0], "allocated")?, num(f[2], "max")?))
}

pub fn parse_single(text: &str) -> Result<u64, ParseError> {
    num(text.trim(), "value")
}

pub fn read(env: &Env) -> Result<KernelTables, CollectError> {
    let (files_allocated, files_max) =
        crate::collect::read_parse(env, "/proc/sys/fs/file-nr", parse_file_nr)?;
    Ok(KernelTables {
        files_allocated,
        files_max,
        pid_max: crate::collect::read_parse(env, "/proc/sys/kernel/pid_max", parse_single)?,
        threads_max: crate::collect::read_parse_optional(
            env,
            "/proc/sys/kernel/threads-max",
            parse_single,
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_file_nr() {
        assert_eq!(
            parse_file_nr("1984\t0\t9223372036854775807\n"),
            Ok((1984, i64::MAX as u64))
        );
        assert!(parse_file_nr("1 2").is_err());
        assert_eq!(parse_single("4194304\n"), Ok(4194304));
    }
}
