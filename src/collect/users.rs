//! User names for uids, from /etc/passwd read through [`Env`] (so a capture replays them).
//!
//! Only the local file is consulted: users that exist only in a directory service (LDAP, SSSD)
//! show as their number, as they do in a container without NSS. The table is read once and
//! re-read at most every [`RELOAD_SECS`] when a uid is not found (a user added since start),
//! so a process table of thousands of rows costs one file read, not one per row.

use std::collections::HashMap;

use crate::collect::ParseError;
use crate::env::Env;

/// Least time between two re-reads of /etc/passwd caused by an unknown uid.
pub const RELOAD_SECS: u64 = 30;

/// uid → name from passwd(5) text. Malformed lines (comments, NIS `+` entries) are skipped;
/// the first entry for a uid wins, as getpwuid(3) does.
pub fn parse(text: &str) -> Result<HashMap<u32, String>, ParseError> {
    let mut map = HashMap::new();
    for line in text.lines() {
        let mut f = line.split(':');
        let (Some(name), Some(_pw), Some(uid)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let Ok(uid) = uid.parse::<u32>() else {
            continue;
        };
        if !name.is_empty() {
            map.entry(uid).or_insert_with(|| name.to_string());
        }
    }
    Ok(map)
}

/// A cache of uid → name.
#[derive(Debug, Default)]
pub struct Users {
    names: HashMap<u32, String>,
    /// `Env::now_unix_secs` at the last read; `None` before the first.
    loaded_at: Option<u64>,
}

impl Users {
    pub fn new() -> Users {
        Users::default()
    }

    /// The name of `uid`, or the number as text when /etc/passwd does not know it.
    pub fn name(&mut self, env: &Env, uid: u32) -> String {
        if let Some(n) = self.names.get(&uid) {
            return n.clone();
        }
        let now = env.now_unix_secs();
        let stale = self
            .loaded_at
            .is_none_or(|t| now.saturating_sub(t) >= RELOAD_SECS);
        if stale {
            self.loaded_at = Some(now);
            if let Ok(text) = env.read("/etc/passwd")
                && let Ok(map) = parse(&text)
            {
                self.names = map;
            }
            if let Some(n) = self.names.get(&uid) {
                return n.clone();
            }
        }
        uid.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_passwd() {
        let t = "root:x:0:0:root:/root:/bin/bash\n\
                 daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
                 # a comment\n\
                 +@netgroup::::::\n\
                 toor:x:0:0:second root:/root:/bin/sh\n\
                 nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
                 broken:x:notanumber:0::/:\n";
        let m = parse(t).unwrap();
        assert_eq!(m.get(&0).map(String::as_str), Some("root"));
        assert_eq!(m.get(&1).map(String::as_str), Some("daemon"));
        assert_eq!(m.get(&65534).map(String::as_str), Some("nobody"));
        assert_eq!(m.len(), 3);
    }
}
