//! `kernel.task_delayacct`: whether the kernel measures block-I/O, swap-in, reclaim, thrashing,
//! compaction, write-protect-copy and IRQ delays per task.
//!
//! Since Linux 5.14 the sysctl exists and is 0 by default (delay accounting costs a clock read
//! per wait); before, accounting was on unless booted with `nodelayacct`, and the file is absent.
//! While it is 0, taskstats still reports `cpu_count`/`cpu_delay_total_ns` (from sched_info) but
//! every other delay stays 0, and turning it on only counts waits from then on.
//!
//! sonde never changes it silently: [`set_task_delayacct`] and [`DelayAcctGuard`] exist for an
//! explicit flag (`--enable-delayacct`), which prints what it does and restores the old value.

use crate::collect::{CollectError, ParseError};
use crate::env::Env;

/// The sysctl's file.
pub const TASK_DELAYACCT: &str = "/proc/sys/kernel/task_delayacct";

/// Parses the file's text: `0` or `1`.
pub fn parse_task_delayacct(text: &str) -> Result<bool, ParseError> {
    match text.trim() {
        "0" => Ok(false),
        "1" => Ok(true),
        other => Err(ParseError::new(format!(
            "kernel.task_delayacct: expected 0 or 1, got {other:?}"
        ))),
    }
}

/// The sysctl's value; `None` when the file does not exist (before Linux 5.14, where delay
/// accounting is on unless the kernel was booted with `nodelayacct`).
pub fn task_delayacct(env: &Env) -> Result<Option<bool>, CollectError> {
    crate::collect::read_parse_optional(env, TASK_DELAYACCT, parse_task_delayacct)
}

/// Sets the sysctl on the live host and returns the previous value. Needs root
/// (`CollectError::Permission` otherwise); a replayed `Env` is refused, since the host it
/// describes is not this one.
pub fn set_task_delayacct(env: &Env, on: bool) -> Result<bool, CollectError> {
    if !env.is_live() {
        return Err(CollectError::Replay {
            path: env.path(TASK_DELAYACCT),
            msg: "a capture is replayed: kernel.task_delayacct is not changed".into(),
        });
    }
    let previous = task_delayacct(env)?.ok_or_else(|| CollectError::NotFound {
        path: TASK_DELAYACCT.into(),
    })?;
    if previous != on {
        write_live(on)?;
    }
    Ok(previous)
}

/// Writes the live sysctl; only reached with a live `Env`.
fn write_live(on: bool) -> Result<(), CollectError> {
    std::fs::write(TASK_DELAYACCT, if on { "1\n" } else { "0\n" })
        .map_err(|e| CollectError::io(TASK_DELAYACCT, e))
}

/// Turns delay accounting on and puts the old value back when dropped (also on panic or early
/// return), so a flag that enables it cannot leave the host changed.
#[derive(Debug)]
pub struct DelayAcctGuard {
    previous: bool,
    restored: bool,
}

impl DelayAcctGuard {
    /// Sets `kernel.task_delayacct` to 1 on the live host, remembering the old value.
    pub fn enable(env: &Env) -> Result<DelayAcctGuard, CollectError> {
        let previous = set_task_delayacct(env, true)?;
        Ok(DelayAcctGuard {
            previous,
            restored: previous,
        })
    }

    /// The value before [`DelayAcctGuard::enable`].
    pub fn previous(&self) -> bool {
        self.previous
    }

    /// Restores the old value now, reporting failure (dropping restores silently).
    pub fn restore(mut self) -> Result<(), CollectError> {
        self.restore_once()
    }

    fn restore_once(&mut self) -> Result<(), CollectError> {
        if self.restored {
            return Ok(());
        }
        self.restored = true;
        write_live(self.previous)
    }
}

impl Drop for DelayAcctGuard {
    fn drop(&mut self) {
        let _ = self.restore_once();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_sysctl() {
        assert_eq!(parse_task_delayacct("0\n"), Ok(false));
        assert_eq!(parse_task_delayacct("1\n"), Ok(true));
        assert!(parse_task_delayacct("2\n").is_err());
        assert!(parse_task_delayacct("").is_err());
    }

    #[test]
    fn a_replay_is_read_but_never_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("proc/sys/kernel")).unwrap();
        std::fs::create_dir_all(dir.path().join(crate::env::META_DIR)).unwrap();
        std::fs::write(
            dir.path().join(crate::env::META_DIR).join("facts"),
            "clock_ticks_per_sec 100\npage_size_bytes 4096\nunix_time 0\n",
        )
        .unwrap();
        let env = Env::replay(dir.path()).unwrap();
        assert_eq!(task_delayacct(&env).unwrap(), None);
        let file = dir.path().join("proc/sys/kernel/task_delayacct");
        std::fs::write(&file, "0\n").unwrap();
        assert_eq!(task_delayacct(&env).unwrap(), Some(false));
        assert!(matches!(
            set_task_delayacct(&env, true),
            Err(CollectError::Replay { .. })
        ));
        assert!(DelayAcctGuard::enable(&env).is_err());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "0\n");
    }
}
