//! [`TaskstatsClient`]: asks the kernel for one thread's or one process's taskstats.
//!
//! One socket, one family lookup at construction, then one request and one reply per query
//! (`TASKSTATS_CMD_GET` with `TASKSTATS_CMD_ATTR_PID` or `_TGID`). Every query needs
//! `CAP_NET_ADMIN` (the kernel marks the command `GENL_ADMIN_PERM`).
//!
//! The kernel's per-process answer is thinner than its per-thread one: for a TGID it sums only
//! the delays, elapsed/user/system time and context switches over the live threads (plus the
//! threads that already exited, once the group has had a second thread) and leaves identity,
//! memory and I/O fields zero. [`TaskstatsClient::tgid`] therefore also asks for the group
//! leader's own record and fills those fields from it; [`TaskstatsClient::tgid_aggregate`] is
//! the kernel's answer untouched.

use netlink_packet_core::DefaultNla;

use super::TaskstatsError;
use super::family::{self, Family};
use super::reply::{
    Incoming, Record, Scope, TASKSTATS_CMD_ATTR_PID, TASKSTATS_CMD_ATTR_TGID, classify,
};
use super::socket::{Event, GenlSocket};
use super::taskstats::Taskstats;

/// The generic-netlink name of the family.
pub const TASKSTATS_GENL_NAME: &str = "TASKSTATS";

/// A socket and the resolved TASKSTATS family.
#[derive(Debug)]
pub struct TaskstatsClient {
    sock: GenlSocket,
    family: Family,
}

impl TaskstatsClient {
    /// Opens a socket and resolves the family. Works without privileges; the queries need
    /// `CAP_NET_ADMIN`.
    pub fn new() -> Result<TaskstatsClient, TaskstatsError> {
        let mut sock = GenlSocket::open()?;
        let family = family::resolve(&mut sock, TASKSTATS_GENL_NAME)?;
        Ok(TaskstatsClient { sock, family })
    }

    /// The resolved family (id, version, multicast groups).
    pub fn family(&self) -> &Family {
        &self.family
    }

    /// One thread (task) by TID; a TGID gives the group leader thread alone.
    pub fn pid(&mut self, tid: i32) -> Result<Taskstats, TaskstatsError> {
        self.query(Scope::Pid, tid).map(|r| r.stats)
    }

    /// A whole process: the kernel's thread-group sums (all delays, `ac_utime_us`,
    /// `ac_stime_us`, `nvcsw`, `nivcsw`, over all threads including exited ones) on top of the
    /// group leader's own record for everything else (identity, start and elapsed time, faults,
    /// memory, I/O bytes and syscalls, scaled times). Those last fields are therefore the leader
    /// thread's, which for a single-threaded process is the whole process; for the I/O of a
    /// multi-threaded one read /proc/PID/io. Two requests.
    pub fn tgid(&mut self, tgid: i32) -> Result<Taskstats, TaskstatsError> {
        let group = self.tgid_aggregate(tgid)?;
        let leader = self.pid(tgid)?;
        Ok(merge_group(leader, &group))
    }

    /// The kernel's thread-group record as it is: only the summed fields listed at
    /// [`TaskstatsClient::tgid`] are filled, the rest are zero.
    pub fn tgid_aggregate(&mut self, tgid: i32) -> Result<Taskstats, TaskstatsError> {
        self.query(Scope::Tgid, tgid).map(|r| r.stats)
    }

    fn query(&mut self, scope: Scope, id: i32) -> Result<Record, TaskstatsError> {
        let op = "query";
        let Ok(raw) = u32::try_from(id) else {
            return Err(TaskstatsError::Gone { id });
        };
        if raw == 0 {
            return Err(TaskstatsError::Gone { id });
        }
        let kind = match scope {
            Scope::Pid => TASKSTATS_CMD_ATTR_PID,
            Scope::Tgid => TASKSTATS_CMD_ATTR_TGID,
        };
        let attr = DefaultNla::new(kind, raw.to_ne_bytes().to_vec());
        let seq = self.sock.send_taskstats(op, self.family.id, attr, false)?;
        let family_id = self.family.id;
        self.sock.await_reply(op, |ev| {
            let Event::Message(msg) = ev else {
                return Ok(None);
            };
            if msg.seq != seq {
                return Ok(None); // An answer to an earlier request that timed out.
            }
            match classify(&msg, Some(family_id)).map_err(|e| TaskstatsError::parse(op, e))? {
                Incoming::Reply(reply) => {
                    let rec = reply
                        .records
                        .into_iter()
                        .find(|r| r.scope == scope && r.id == raw)
                        .ok_or_else(|| {
                            TaskstatsError::parse(
                                op,
                                crate::collect::ParseError::new(format!(
                                    "reply without a {scope:?} record for {id}"
                                )),
                            )
                        })?;
                    Ok(Some(rec))
                }
                Incoming::Error { errno, .. } => {
                    Err(TaskstatsError::from_errno(op, errno, Some(id)))
                }
                Incoming::Ack { .. } | Incoming::Ignored => Ok(None),
            }
        })
    }
}

/// The leader's record with the fields the kernel sums over a thread group taken from `group`.
/// `ac_etime_us` stays the leader's (the process's age); the group record sums it over threads.
pub fn merge_group(leader: Taskstats, group: &Taskstats) -> Taskstats {
    Taskstats {
        cpu_count: group.cpu_count,
        cpu_delay_total_ns: group.cpu_delay_total_ns,
        blkio_count: group.blkio_count,
        blkio_delay_total_ns: group.blkio_delay_total_ns,
        swapin_count: group.swapin_count,
        swapin_delay_total_ns: group.swapin_delay_total_ns,
        cpu_run_real_total_ns: group.cpu_run_real_total_ns,
        cpu_run_virtual_total_ns: group.cpu_run_virtual_total_ns,
        ac_utime_us: group.ac_utime_us,
        ac_stime_us: group.ac_stime_us,
        nvcsw: group.nvcsw,
        nivcsw: group.nivcsw,
        freepages_count: group.freepages_count,
        freepages_delay_total_ns: group.freepages_delay_total_ns,
        thrashing_count: group.thrashing_count,
        thrashing_delay_total_ns: group.thrashing_delay_total_ns,
        compact_count: group.compact_count,
        compact_delay_total_ns: group.compact_delay_total_ns,
        wpcopy_count: group.wpcopy_count,
        wpcopy_delay_total_ns: group.wpcopy_delay_total_ns,
        irq_count: group.irq_count,
        irq_delay_total_ns: group.irq_delay_total_ns,
        delay_peaks: group.delay_peaks,
        ..leader
    }
}
