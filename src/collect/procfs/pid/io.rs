//! /proc/PID/io: I/O counters of a process (or, under task/, of one thread), since boot of the
//! task.
//!
//! Present only with CONFIG_TASK_IO_ACCOUNTING (since 2.6.20); reading another user's file
//! needs the right to ptrace it (root, or CAP_SYS_PTRACE), so "permission denied" is expected
//! when not root. `rchar`/`wchar` count bytes passed to read/write-like syscalls (logical I/O,
//! page-cache hits and pipes included); `read_bytes`/`write_bytes` count what reached the block
//! layer; `cancelled_write_bytes` is dirty page cache that was truncated before writeback.

use serde::Serialize;

use crate::collect::{ParseError, num};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PidIo {
    pub rchar_bytes: u64,
    pub wchar_bytes: u64,
    pub read_syscalls: u64,
    pub write_syscalls: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub cancelled_write_bytes: u64,
}

pub fn parse(text: &str) -> Result<PidIo, ParseError> {
    let mut v = [None::<u64>; 7];
    const KEYS: [&str; 7] = [
        "rchar",
        "wchar",
        "syscr",
        "syscw",
        "read_bytes",
        "write_bytes",
        "cancelled_write_bytes",
    ];
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if let Some(i) = KEYS.iter().position(|k| *k == key) {
            v[i] = Some(num(value.trim(), key)?);
        }
    }
    let get = |i: usize| v[i].ok_or_else(|| ParseError::new(format!("no {} line", KEYS[i])));
    Ok(PidIo {
        rchar_bytes: get(0)?,
        wchar_bytes: get(1)?,
        read_syscalls: get(2)?,
        write_syscalls: get(3)?,
        read_bytes: get(4)?,
        write_bytes: get(5)?,
        cancelled_write_bytes: get(6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_linux_6_18() {
        // `dd if=/dev/zero of=f bs=1M count=20 oflag=direct` after it finished.
        let io = parse(
            "rchar: 20975616\nwchar: 20971520\nsyscr: 24\nsyscw: 20\nread_bytes: 0\n\
             write_bytes: 20971520\ncancelled_write_bytes: 4096\n",
        )
        .unwrap();
        assert_eq!(io.rchar_bytes, 20975616);
        assert_eq!(io.wchar_bytes, 20971520);
        assert_eq!((io.read_syscalls, io.write_syscalls), (24, 20));
        assert_eq!(io.read_bytes, 0);
        assert_eq!(io.write_bytes, 20971520);
        assert_eq!(io.cancelled_write_bytes, 4096);
    }

    #[test]
    fn missing_or_bad_line_is_an_error() {
        assert!(parse("").is_err());
        assert!(parse("rchar: 1\nwchar: 2\n").is_err());
        assert!(
            parse(
                "rchar: x\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 5\nwrite_bytes: 6\n\
                 cancelled_write_bytes: 7\n"
            )
            .is_err()
        );
    }
}
