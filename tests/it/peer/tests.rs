//! Proof that the peers' output is a function of the captures: the same captures give the same
//! numbers twice (`live`), hand-made counter deltas give the exact expected rates
//! (`synthetic`), and rates computed by hand from live captures under load match what the peer
//! printed, to its printed precision (`live`). `parsers` needs no privileges.
//!
//! Helpers shared by the three groups live here.

mod live;
mod parsers;
mod synthetic;

use std::fs;
use std::path::Path;

use super::environment_problem;

/// Whether the peers can run here; otherwise prints why, or fails when privileged tests are
/// required (see [`crate::support::skip_or_fail`]).
pub(super) fn ready(test: &str, peers: &[&str]) -> bool {
    match environment_problem(peers) {
        None => true,
        Some(reason) => {
            crate::support::skip_or_fail(test, &reason);
            false
        }
    }
}

pub(super) fn read_rel(snapshot: &Path, rel: &str) -> Result<String, String> {
    let path = snapshot.join(rel);
    fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

pub(super) fn write_rel(snapshot: &Path, rel: &str, text: &str) -> Result<(), String> {
    let path = snapshot.join(rel);
    fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The numbers of the line selected by `key` (on its whitespace tokens), from token `first` on.
pub(super) fn counters(
    text: &str,
    key: impl Fn(&[&str]) -> bool,
    first: usize,
) -> Result<Vec<u64>, String> {
    let line = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|t| key(t))
        .ok_or("line not found")?;
    line.get(first..)
        .unwrap_or_default()
        .iter()
        .map(|v| v.parse().map_err(|e| format!("{v:?}: {e}")))
        .collect()
}

/// `/proc/net/dev` with a space after each `name:` (the kernel glues large counters to it).
pub(super) fn net_dev_spaced(text: &str) -> String {
    text.lines()
        .map(|l| l.replacen(':', ": ", 1) + "\n")
        .collect()
}

/// `value` of `field` in `/proc/net/snmp`'s `proto:` header/value line pair.
pub(super) fn snmp_value(text: &str, proto: &str, field: &str) -> Result<u64, String> {
    let prefix = format!("{proto}:");
    let mut pair = text.lines().filter(|l| l.starts_with(&prefix));
    let (names, values) = (
        pair.next().ok_or("no header")?,
        pair.next().ok_or("no values")?,
    );
    let i = names
        .split_whitespace()
        .position(|n| n == field)
        .ok_or(format!("no {field}"))?;
    let value = values.split_whitespace().nth(i).ok_or("short line")?;
    value.parse().map_err(|e| format!("{field} {value:?}: {e}"))
}

pub(super) fn disks(diskstats: &str) -> impl Iterator<Item = Vec<&str>> {
    diskstats
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|t| {
            t.get(2)
                .is_some_and(|n| Path::new("/sys/block").join(n).exists())
        })
}
