//! /proc/PID/cgroup: the control groups a process belongs to, one line per hierarchy.
//!
//! Each line is `hierarchy-ID:controller-list:path`. On cgroup v1 there is one line per
//! mounted hierarchy (`4:memory:/docker/abc`); on v2 a single `0::/system.slice/foo.service`;
//! a hybrid host has both. Named v1 hierarchies show as `name=systemd`. The path may itself
//! contain `:`, so a line is split at its first two colons only.

use serde::Serialize;

use crate::collect::{ParseError, num};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CgroupEntry {
    /// 0 for the v2 (unified) hierarchy.
    pub hierarchy_id: u32,
    /// v1 controllers of this hierarchy (`cpu`, `cpuacct`, `name=systemd`); empty for v2.
    pub controllers: Vec<String>,
    pub path: String,
}

impl CgroupEntry {
    pub fn is_v2(&self) -> bool {
        self.hierarchy_id == 0 && self.controllers.is_empty()
    }
}

pub fn parse(text: &str) -> Result<Vec<CgroupEntry>, ParseError> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(ctl), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ParseError::new(format!(
                "not id:controllers:path: {line:?}"
            )));
        };
        out.push(CgroupEntry {
            hierarchy_id: num(id, "hierarchy id")? as u32,
            controllers: ctl
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            path: path.to_string(),
        });
    }
    Ok(out)
}

/// The v2 path (the `0::` line), if the process is in a unified hierarchy.
pub fn unified_path(entries: &[CgroupEntry]) -> Option<&str> {
    entries.iter().find(|e| e.is_v2()).map(|e| e.path.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hybrid_v1_and_v2() {
        // This VM (Linux 6.18): v1 hierarchies plus the unified one.
        let t = "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n\
4:memory:/process_api/36dd7a3db7ba9f87bc9de5acd6c742af\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";
        let c = parse(t).unwrap();
        assert_eq!(c.len(), 10);
        assert_eq!(c[0].controllers, vec!["name=systemd"]);
        assert_eq!(c[5].controllers, vec!["memory"]);
        assert_eq!(c[5].path, "/process_api/36dd7a3db7ba9f87bc9de5acd6c742af");
        assert!(!c[5].is_v2());
        assert_eq!(unified_path(&c), Some("/"));
    }

    #[test]
    fn pure_v2() {
        let c = parse("0::/user.slice/user-1000.slice/session-3.scope\n").unwrap();
        assert!(c[0].is_v2());
        assert_eq!(
            unified_path(&c),
            Some("/user.slice/user-1000.slice/session-3.scope")
        );
    }

    #[test]
    fn v1_with_joined_controllers_and_colon_in_path() {
        let c = parse("4:cpu,cpuacct:/kubepods/pod:1\n").unwrap();
        assert_eq!(c[0].controllers, vec!["cpu", "cpuacct"]);
        assert_eq!(c[0].path, "/kubepods/pod:1");
        assert_eq!(unified_path(&c), None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse("nonsense\n").is_err());
        assert!(parse("x::/\n").is_err());
        assert_eq!(parse("").unwrap(), vec![]);
    }
}
