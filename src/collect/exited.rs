//! Processes and threads that exited during an interval, from taskstats exit records, so the
//! per-process views count work a scan can never see: a process that starts and ends between
//! two samples (a compiler job, a `sh -c` in a loop) or one that ends before the next sample.
//!
//! [`ExitWatch`] registers an [`ExitListener`] at start (root only: `CAP_NET_ADMIN`, initial
//! namespaces), drains it every step of the interval ([`ExitWatch::poll`], so the receive
//! buffers do not fill) and once more right after each scan ([`ExitWatch::take`]). The kernel
//! sends a task's record when it starts to exit, before it disappears from /proc, so after a
//! scan every task missing from it has its record queued. Which records belong to which
//! interval:
//!
//! ```text
//!            scan k-1                            scan k                      scan k+1
//! ---------------|------------------------------------|---------------------------|---> time
//!                | record drained (poll or take)      |
//!                |   task gone at scan k: interval k  |
//!                |   task still in scan k: carried ---+--> gone at k+1: interval k+1
//!                |                                    |    still there: dropped
//! ```
//!
//! A task can be in a scan after its record was sent: it is still tearing down (the record is
//! written before the exit releases memory and files), or it is a zombie nobody reaped yet
//! (callers count a zombie as gone). Carrying such a record one interval puts it where the
//! task disappears. A record still "alive" one interval later was not an exit of what the scan
//! shows (a thread of a process that lives on, in the process view; a reused PID): dropped,
//! since the process's own /proc counters include that thread. The known error: a thread that
//! exits shortly before its whole process does is counted in both the process's /proc counters
//! and the sum of its threads' records. Lost notifications (a full receive buffer) are
//! counted, never silent.

use serde::Serialize;

use crate::collect::netlink::{ExitListener, Record, Scope, online_cpus};
use crate::collect::procfs::uptime;
use crate::collect::users::Users;
use crate::env::Env;

/// One exit record and when it was drained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exited {
    pub record: Record,
    /// /proc/uptime (hundredths of a second) when it was drained: the exit happened at most
    /// one step earlier.
    pub seen_uptime_cs: Option<u64>,
    /// The name of the record's `ac_uid` (the number when /etc/passwd does not know it).
    pub user: String,
}

/// The exits of one interval.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExitBatch {
    /// An exit listener was registered: processes that came and went are in `records`.
    pub listening: bool,
    pub records: Vec<Exited>,
    /// Notifications the kernel dropped (receive buffer full) since the previous batch.
    pub lost: u64,
    /// Notifications that did not parse.
    pub malformed: u64,
}

/// Listens for exits and sorts them into intervals.
#[derive(Debug)]
pub struct ExitWatch {
    listener: Option<ExitListener>,
    /// Why there is no listener.
    why_not: Option<String>,
    /// Drained during the current interval.
    pending: Vec<Exited>,
    /// Of tasks that were still in the previous scan: counted if gone from the next one.
    carried: Vec<Exited>,
    lost: u64,
    malformed: u64,
    users: Users,
}

impl ExitWatch {
    /// Registers for the exits on every online CPU; on a replay, without root or in a
    /// container, a watch that receives nothing and says why.
    pub fn new(env: &Env) -> ExitWatch {
        let listener = if env.is_live() {
            online_cpus(env)
                .map_err(|e| e.to_string())
                .and_then(|cpus| ExitListener::new(&cpus).map_err(|e| reason(&e)))
        } else {
            Err("a replayed capture".into())
        };
        let (listener, why_not) = match listener {
            Ok(l) => (Some(l), None),
            Err(why) => (None, Some(why)),
        };
        ExitWatch {
            listener,
            why_not,
            pending: Vec::new(),
            carried: Vec::new(),
            lost: 0,
            malformed: 0,
            users: Users::new(),
        }
    }

    /// A watch without a listener (tests).
    pub fn off(why: &str) -> ExitWatch {
        ExitWatch {
            listener: None,
            why_not: Some(why.into()),
            pending: Vec::new(),
            carried: Vec::new(),
            lost: 0,
            malformed: 0,
            users: Users::new(),
        }
    }

    pub fn listening(&self) -> bool {
        self.listener.is_some()
    }

    /// Why no exits are received (`None` when listening).
    pub fn why_not(&self) -> Option<&str> {
        self.why_not.as_deref()
    }

    /// Moves what the kernel queued into the current interval. Errors stop the listener (and
    /// are reported by [`ExitWatch::why_not`]), never the command.
    pub fn poll(&mut self, env: &Env) {
        let drained = self.drain(env);
        self.pending.extend(drained);
    }

    /// Right after a scan: the exits of the interval that ends with it. `alive` says whether a
    /// record's task is in the scan.
    pub fn take(&mut self, env: &Env, alive: impl Fn(&Record) -> bool) -> ExitBatch {
        let after = self.drain(env);
        let mut records: Vec<Exited> = std::mem::take(&mut self.carried)
            .into_iter()
            .filter(|e| !alive(&e.record))
            .collect();
        for e in std::mem::take(&mut self.pending).into_iter().chain(after) {
            if alive(&e.record) {
                self.carried.push(e);
            } else {
                records.push(e);
            }
        }
        ExitBatch {
            listening: self.listener.is_some(),
            records,
            lost: std::mem::take(&mut self.lost),
            malformed: std::mem::take(&mut self.malformed),
        }
    }

    fn drain(&mut self, env: &Env) -> Vec<Exited> {
        let Some(l) = &mut self.listener else {
            return Vec::new();
        };
        match l.drain() {
            Ok(exits) => {
                self.lost += exits.lost;
                self.malformed += exits.malformed;
                let now = uptime::read(env).ok();
                let users = &mut self.users;
                exits
                    .records
                    .into_iter()
                    .map(|record| Exited {
                        user: users.name(env, record.stats.ac_uid),
                        record,
                        seen_uptime_cs: now,
                    })
                    .collect()
            }
            Err(e) => {
                self.why_not = Some(format!("the exit listener failed: {e}"));
                self.listener = None;
                Vec::new()
            }
        }
    }
}

/// The process (thread group) a record belongs to: `ac_tgid` (taskstats version 12, Linux
/// 5.x+), else the task's own id (a record from an older kernel is taken as a process leader).
pub fn tgid(r: &Record) -> i32 {
    match r.scope {
        Scope::Tgid => r.id as i32,
        Scope::Pid => r.stats.ac_tgid.map_or(r.id as i32, |t| t as i32),
    }
}

fn reason(e: &crate::collect::netlink::TaskstatsError) -> String {
    if e.is_permission() {
        "no CAP_NET_ADMIN; run as root".into()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::netlink::Taskstats;

    fn rec(id: u32) -> Exited {
        Exited {
            record: Record {
                scope: Scope::Pid,
                id,
                stats: Taskstats::default(),
            },
            seen_uptime_cs: Some(100),
            user: "root".into(),
        }
    }

    /// Interval k: 1 is gone at scan k and counts now; 2 is still in scan k (tearing down, or
    /// a thread of a live process) and is carried. Interval k+1: 2 is gone and counts then; 3,
    /// carried from k, is still there and is dropped.
    #[test]
    fn records_are_sorted_into_intervals() {
        let env = Env::live();
        let mut w = ExitWatch::off("test");
        w.pending = vec![rec(1), rec(2)];
        w.carried = Vec::new();
        let b = w.take(&env, |r| r.id == 2);
        let ids: Vec<u32> = b.records.iter().map(|e| e.record.id).collect();
        assert_eq!(ids, [1]);
        assert!(!b.listening);
        let carried: Vec<u32> = w.carried.iter().map(|e| e.record.id).collect();
        assert_eq!(carried, [2]);
        w.carried.push(rec(3));
        w.pending = vec![rec(5)];
        let b = w.take(&env, |r| r.id == 3);
        let ids: Vec<u32> = b.records.iter().map(|e| e.record.id).collect();
        assert_eq!(ids, [2, 5]);
        assert!(w.carried.is_empty(), "3 was carried once already");
    }
}
