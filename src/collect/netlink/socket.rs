//! The generic-netlink socket behind [`super::TaskstatsClient`] and [`super::ExitListener`].
//!
//! netlink-sys owns the socket (`AF_NETLINK`, `NETLINK_GENERIC`, bound to a kernel-assigned
//! port, non-blocking); netlink-packet-core and netlink-packet-generic frame the requests
//! (`nlmsghdr` + `genlmsghdr` + attributes). Replies are not parsed with those crates but with
//! [`super::wire`]: their controller parser rejects attribute types it does not know, which a
//! newer kernel would turn into "family not found", and their attribute accessors may panic on
//! malformed input.
//!
//! The kernel handles a generic-netlink request synchronously inside `sendmsg`, so its answer is
//! queued before [`GenlSocket::send`] returns; [`GenlSocket::await_reply`] still waits up to
//! [`REPLY_TIMEOUT`] before calling a missing answer [`TaskstatsError::NoReply`].

use std::fmt::Debug;
use std::io;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use netlink_packet_core::{
    DefaultNla, Emitable, NLM_F_ACK, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::{GenlFamily, GenlMessage};
use netlink_sys::{Socket, protocols::NETLINK_GENERIC};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{setsockopt, sockopt};

use super::TaskstatsError;
use super::reply::TASKSTATS_CMD_GET;
use super::wire::{self, Message};

/// Longest wait for the answer to a request.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(1);
/// Receive buffer for one datagram; taskstats messages are under 1.2 KiB.
const DATAGRAM_BYTES: usize = 64 * 1024;

/// What [`GenlSocket::await_reply`] hands to its callback.
#[derive(Debug)]
pub(crate) enum Event<'a> {
    Message(Message<'a>),
    /// The receive queue overflowed (ENOBUFS): notifications were dropped.
    Overrun,
}

/// A `TASKSTATS_CMD_GET` request payload: the attributes after the generic-netlink header.
#[derive(Debug)]
struct TaskstatsGet(Vec<DefaultNla>);

impl GenlFamily for TaskstatsGet {
    fn family_name() -> &'static str {
        "TASKSTATS"
    }
    fn command(&self) -> u8 {
        TASKSTATS_CMD_GET
    }
    /// `TASKSTATS_GENL_VERSION`.
    fn version(&self) -> u8 {
        1
    }
}

impl Emitable for TaskstatsGet {
    fn buffer_len(&self) -> usize {
        self.0.as_slice().buffer_len()
    }
    fn emit(&self, buffer: &mut [u8]) {
        self.0.as_slice().emit(buffer)
    }
}

/// A bound, non-blocking `NETLINK_GENERIC` socket with its request counter.
#[derive(Debug)]
pub(crate) struct GenlSocket {
    sock: Socket,
    seq: u32,
    buf: Vec<u8>,
}

fn io_err(op: &'static str) -> impl FnOnce(io::Error) -> TaskstatsError {
    move |source| match source.raw_os_error() {
        Some(libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT) => TaskstatsError::NotOnThisKernel,
        _ => TaskstatsError::Io { op, source },
    }
}

impl GenlSocket {
    pub fn open() -> Result<GenlSocket, TaskstatsError> {
        let op = "open socket";
        let mut sock = Socket::new(NETLINK_GENERIC).map_err(io_err(op))?;
        sock.bind_auto().map_err(io_err(op))?;
        sock.set_non_blocking(true).map_err(io_err(op))?;
        Ok(GenlSocket {
            sock,
            seq: 0,
            buf: Vec::with_capacity(DATAGRAM_BYTES),
        })
    }

    /// Asks for a receive buffer of `bytes`: `SO_RCVBUFFORCE` (needs `CAP_NET_ADMIN`, ignores
    /// `net.core.rmem_max`), else `SO_RCVBUF` (capped at `rmem_max`). Returns what the kernel
    /// granted, as `SO_RCVBUF` reads back (twice the request, for bookkeeping).
    pub fn set_rcvbuf(&self, bytes: usize) -> usize {
        if setsockopt(&self.sock, sockopt::RcvBufForce, &bytes).is_err() {
            // Best effort: the default buffer still works, only overflows sooner.
            let _ = setsockopt(&self.sock, sockopt::RcvBuf, &bytes);
        }
        self.rcvbuf()
    }

    /// The receive buffer size as `SO_RCVBUF` reads back.
    pub fn rcvbuf(&self) -> usize {
        self.sock.get_rx_buf_sz().unwrap_or(0)
    }

    fn send_genl<F>(
        &mut self,
        op: &'static str,
        msg: GenlMessage<F>,
        ack: bool,
    ) -> Result<u32, TaskstatsError>
    where
        F: GenlFamily + Emitable + Debug,
    {
        self.seq = self.seq.wrapping_add(1);
        let mut nl = NetlinkMessage::new(NetlinkHeader::default(), NetlinkPayload::from(msg));
        nl.header.flags = NLM_F_REQUEST | if ack { NLM_F_ACK } else { 0 };
        nl.header.sequence_number = self.seq;
        nl.finalize();
        let mut bytes = vec![0u8; nl.buffer_len()];
        nl.serialize(&mut bytes);
        loop {
            match self.sock.send(&bytes, 0) {
                Ok(_) => return Ok(self.seq),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err(op)(e)),
            }
        }
    }

    /// `CTRL_CMD_GETFAMILY` for `name`; returns the request's sequence number.
    pub fn send_get_family(&mut self, name: &str) -> Result<u32, TaskstatsError> {
        let ctrl = GenlCtrl {
            cmd: GenlCtrlCmd::GetFamily,
            nlas: vec![GenlCtrlAttrs::FamilyName(name.to_string())],
        };
        self.send_genl("resolve family", GenlMessage::from_payload(ctrl), false)
    }

    /// `TASKSTATS_CMD_GET` with one attribute; returns the request's sequence number.
    pub fn send_taskstats(
        &mut self,
        op: &'static str,
        family: u16,
        attr: DefaultNla,
        ack: bool,
    ) -> Result<u32, TaskstatsError> {
        let mut msg = GenlMessage::from_payload(TaskstatsGet(vec![attr]));
        msg.set_resolved_family_id(family);
        self.send_genl(op, msg, ack)
    }

    /// The next datagram, or `None` when nothing is queued. ENOBUFS (the queue overflowed) comes
    /// back as an error with that errno.
    pub fn recv(&mut self) -> io::Result<Option<&[u8]>> {
        loop {
            self.buf.clear();
            match self.sock.recv(&mut self.buf, libc::MSG_TRUNC) {
                Ok(n) if n > self.buf.len() => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("datagram of {n} bytes truncated to {}", self.buf.len()),
                    ));
                }
                Ok(_) => return Ok(Some(&self.buf)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }

    /// Waits until a datagram (or an error) is queued, at most `timeout`.
    pub fn wait(&self, timeout: Duration) -> io::Result<bool> {
        wait_any(&[self], timeout).map(|ready| !ready.is_empty())
    }

    /// Receives until `handle` returns `Some`, passing it every message and overrun. Waits at
    /// most [`REPLY_TIMEOUT`] for more data.
    pub fn await_reply<T>(
        &mut self,
        op: &'static str,
        mut handle: impl FnMut(Event<'_>) -> Result<Option<T>, TaskstatsError>,
    ) -> Result<T, TaskstatsError> {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            match self.recv() {
                Ok(Some(datagram)) => {
                    for msg in wire::messages(datagram) {
                        let msg = msg.map_err(|e| TaskstatsError::parse(op, e))?;
                        if let Some(t) = handle(Event::Message(msg))? {
                            return Ok(t);
                        }
                    }
                }
                Ok(None) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero()
                        || !self
                            .wait(left)
                            .map_err(|source| TaskstatsError::Io { op, source })?
                    {
                        return Err(TaskstatsError::NoReply { op });
                    }
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    if let Some(t) = handle(Event::Overrun)? {
                        return Ok(t);
                    }
                }
                Err(source) => return Err(TaskstatsError::Io { op, source }),
            }
        }
    }
}

/// Waits until any of `sockets` is readable, at most `timeout`; returns the indices ready.
pub(crate) fn wait_any(sockets: &[&GenlSocket], timeout: Duration) -> io::Result<Vec<usize>> {
    let mut fds: Vec<PollFd<'_>> = sockets
        .iter()
        .map(|s| PollFd::new(s.sock.as_fd(), PollFlags::POLLIN))
        .collect();
    let ms = PollTimeout::try_from(timeout).unwrap_or(PollTimeout::MAX);
    loop {
        match poll(&mut fds, ms) {
            Ok(_) => break,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(io::Error::from(e)),
        }
    }
    Ok(fds
        .iter()
        .enumerate()
        .filter(|(_, fd)| fd.any().unwrap_or(false))
        .map(|(i, _)| i)
        .collect())
}
