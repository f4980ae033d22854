//! [`ExitListener`]: one taskstats record for every task that exits, so processes that start and
//! end between two samples are still counted (atop's method).
//!
//! Registration (`TASKSTATS_CMD_ATTR_REGISTER_CPUMASK`, needs `CAP_NET_ADMIN`, only from the
//! initial user and PID namespaces) is per CPU: the kernel sends each exit to the listeners of
//! the CPU the task exited on, stamped with that CPU's own counter in `nlmsg_seq`. This listener
//! opens one socket per CPU, so each socket sees one counter and a gap in it is an exact count
//! of notifications dropped when the socket's receive queue overflowed (ENOBUFS). Drops are
//! never silent: [`Exits::lost`] reports them (see [`super::loss`]).
//!
//! Each socket asks for a large receive buffer ([`DEFAULT_RCVBUF_BYTES`], with
//! `SO_RCVBUFFORCE` when privileged); a notification costs about 1–2 KiB of it, so with the
//! default 4 MiB a CPU can queue a couple of thousand exits between two [`ExitListener::drain`]
//! calls (the buffer is a limit, not an allocation). Dropping the listener deregisters it.
//! CPUs that come online later are not covered; pass /sys/devices/system/cpu/possible instead
//! of `online` to include them from the start (the kernel accepts any possible CPU).

use std::time::Duration;

use netlink_packet_core::DefaultNla;
use serde::Serialize;

use super::family;
use super::loss::LossTracker;
use super::reply::{
    Incoming, Record, TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK,
    classify,
};
use super::socket::{Event, GenlSocket, wait_any};
use super::wire::{self, Message};
use super::{TaskstatsError, client::TASKSTATS_GENL_NAME};
use crate::collect::{CollectError, ParseError};
use crate::env::Env;

/// Receive buffer asked for on each per-CPU socket.
pub const DEFAULT_RCVBUF_BYTES: usize = 4 << 20;
/// At most this many datagrams per socket and [`ExitListener::drain`], so a fork storm cannot
/// keep one call busy forever; the rest stays queued for the next call.
const MAX_DATAGRAMS_PER_DRAIN: usize = 100_000;

/// The exits received since the previous [`ExitListener::drain`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Exits {
    /// One [`super::Scope::Pid`] record per exited task; when the last thread of a
    /// multi-threaded process exits, also a [`super::Scope::Tgid`] record for the process.
    pub records: Vec<Record>,
    /// Notifications the kernel could not queue (receive buffer full).
    pub lost: u64,
    /// Notifications that arrived but did not parse (a bug, or a kernel this parser does not
    /// know); not in `records`.
    pub malformed: u64,
}

/// Parses a CPU list as in /sys/devices/system/cpu/online: `0-3,8,10-11`.
pub fn parse_cpu_list(text: &str) -> Result<Vec<u32>, ParseError> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let num = |s: &str| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| ParseError::new(format!("CPU list {text:?}: bad number {s:?}")))
        };
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (num(a)?, num(b)?),
            None => (num(part)?, num(part)?),
        };
        if hi < lo || hi - lo > 65_535 {
            return Err(ParseError::new(format!(
                "CPU list {text:?}: bad range {part:?}"
            )));
        }
        cpus.extend(lo..=hi);
    }
    cpus.sort_unstable();
    cpus.dedup();
    if cpus.is_empty() {
        return Err(ParseError::new(format!("CPU list {text:?} is empty")));
    }
    Ok(cpus)
}

/// The online CPUs as the kernel lists them (`0-1`), for [`ExitListener::new`].
pub fn online_cpus(env: &Env) -> Result<String, CollectError> {
    Ok(env
        .read("/sys/devices/system/cpu/online")?
        .trim()
        .to_string())
}

/// One CPU's registration.
#[derive(Debug)]
struct CpuListener {
    cpu: u32,
    sock: GenlSocket,
    tracker: LossTracker,
}

/// Receives exit records for the CPUs it was created with; deregisters on drop.
#[derive(Debug)]
pub struct ExitListener {
    family_id: u16,
    listeners: Vec<CpuListener>,
    pending: Vec<Record>,
    malformed: u64,
    rcvbuf_bytes: usize,
}

/// Files a message from a listener socket: notifications into `out`, the rest ignored.
fn take_notification(
    msg: &Message<'_>,
    family_id: u16,
    tracker: &mut LossTracker,
    out: &mut Vec<Record>,
    malformed: &mut u64,
) {
    if msg.ty != family_id {
        return; // Acks and errors of our own requests.
    }
    tracker.observe(msg.seq);
    match classify(msg, Some(family_id)) {
        Ok(Incoming::Reply(reply)) => out.extend(reply.records),
        Ok(_) => {}
        Err(_) => *malformed += 1,
    }
}

fn cpumask_attr(kind: u16, cpu: u32) -> DefaultNla {
    let mut mask = cpu.to_string().into_bytes();
    mask.push(0);
    DefaultNla::new(kind, mask)
}

impl ExitListener {
    /// Registers for the exits on `cpus` (a list such as `0-1`; see [`online_cpus`]).
    pub fn new(cpus: &str) -> Result<ExitListener, TaskstatsError> {
        ExitListener::with_rcvbuf(cpus, DEFAULT_RCVBUF_BYTES)
    }

    /// Like [`ExitListener::new`] with another receive-buffer size per CPU.
    pub fn with_rcvbuf(cpus: &str, rcvbuf_bytes: usize) -> Result<ExitListener, TaskstatsError> {
        let op = "register listener";
        let cpu_list = parse_cpu_list(cpus).map_err(|e| TaskstatsError::parse(op, e))?;
        let mut probe = GenlSocket::open()?;
        let family_id = family::resolve(&mut probe, TASKSTATS_GENL_NAME)?.id;
        let mut this = ExitListener {
            family_id,
            listeners: Vec::with_capacity(cpu_list.len()),
            pending: Vec::new(),
            malformed: 0,
            rcvbuf_bytes: 0,
        };
        for cpu in cpu_list {
            let mut sock = GenlSocket::open()?;
            this.rcvbuf_bytes = sock.set_rcvbuf(rcvbuf_bytes);
            let mut tracker = LossTracker::default();
            let seq = sock.send_taskstats(
                op,
                family_id,
                cpumask_attr(TASKSTATS_CMD_ATTR_REGISTER_CPUMASK, cpu),
                true,
            )?;
            let (pending, malformed) = (&mut this.pending, &mut this.malformed);
            // Exits may arrive before the acknowledgement: keep them.
            sock.await_reply(op, |ev| match ev {
                Event::Overrun => {
                    tracker.overrun();
                    Ok(None)
                }
                Event::Message(msg) if msg.ty == wire::NLMSG_ERROR && msg.seq == seq => {
                    match classify(&msg, None).map_err(|e| TaskstatsError::parse(op, e))? {
                        Incoming::Error {
                            errno: libc::EINVAL,
                            ..
                        } => Err(TaskstatsError::Refused {
                            op,
                            cpus: cpus.to_string(),
                        }),
                        Incoming::Error { errno, .. } => {
                            Err(TaskstatsError::from_errno(op, errno, None))
                        }
                        _ => Ok(Some(())),
                    }
                }
                Event::Message(msg) => {
                    take_notification(&msg, family_id, &mut tracker, pending, malformed);
                    Ok(None)
                }
            })?;
            this.listeners.push(CpuListener { cpu, sock, tracker });
        }
        Ok(this)
    }

    /// The CPUs registered for.
    pub fn cpus(&self) -> Vec<u32> {
        self.listeners.iter().map(|l| l.cpu).collect()
    }

    /// The receive buffer each socket got, as `SO_RCVBUF` reads back.
    pub fn rcvbuf_bytes(&self) -> usize {
        self.rcvbuf_bytes
    }

    /// Waits until a notification is queued on any CPU, at most `timeout`.
    pub fn wait(&self, timeout: Duration) -> Result<bool, TaskstatsError> {
        let socks: Vec<&GenlSocket> = self.listeners.iter().map(|l| &l.sock).collect();
        wait_any(&socks, timeout)
            .map(|ready| !ready.is_empty())
            .map_err(|source| TaskstatsError::Io { op: "wait", source })
    }

    /// Everything received since the previous call, without blocking.
    pub fn drain(&mut self) -> Result<Exits, TaskstatsError> {
        let family_id = self.family_id;
        let mut lost = 0;
        for l in &mut self.listeners {
            for _ in 0..MAX_DATAGRAMS_PER_DRAIN {
                match l.sock.recv() {
                    Ok(Some(datagram)) => {
                        for msg in wire::messages(datagram) {
                            match msg {
                                Ok(msg) => take_notification(
                                    &msg,
                                    family_id,
                                    &mut l.tracker,
                                    &mut self.pending,
                                    &mut self.malformed,
                                ),
                                Err(_) => self.malformed += 1,
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => l.tracker.overrun(),
                    Err(source) => {
                        return Err(TaskstatsError::Io {
                            op: "drain",
                            source,
                        });
                    }
                }
            }
            lost += l.tracker.take_lost();
        }
        Ok(Exits {
            records: std::mem::take(&mut self.pending),
            lost,
            malformed: std::mem::take(&mut self.malformed),
        })
    }
}

impl Drop for ExitListener {
    fn drop(&mut self) {
        for l in &mut self.listeners {
            let attr = cpumask_attr(TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK, l.cpu);
            // Best effort: a closed socket is dropped from the kernel's list at the next exit.
            let _ = l
                .sock
                .send_taskstats("deregister listener", self.family_id, attr, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0-1\n").unwrap(), vec![0, 1]);
        assert_eq!(
            parse_cpu_list("0-3,8,10-11").unwrap(),
            vec![0, 1, 2, 3, 8, 10, 11]
        );
        assert_eq!(parse_cpu_list("5").unwrap(), vec![5]);
        assert!(parse_cpu_list("").is_err());
        assert!(parse_cpu_list("3-1").is_err());
        assert!(parse_cpu_list("a-b").is_err());
        assert!(parse_cpu_list("0-99999999").is_err());
    }
}
