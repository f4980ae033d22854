//! Parser tests on datagrams captured on the development VM (Linux 6.18, taskstats version 16)
//! by tests/it/fixtures/netlink/capture.py, and on malformed variants derived from them.

use super::family::{GENL_ID_CTRL, family_event, parse_family};
use super::reply::{Incoming, Scope, classify, parse_reply};
use super::taskstats::ac_flag;
use super::wire;
use super::{TaskstatsError, parse_taskstats};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/it/fixtures/netlink/",
            $name
        ))
    };
}

const FAMILY: &[u8] = fixture!("family_reply.bin");
const FAMILY_ENOENT: &[u8] = fixture!("family_enoent.bin");
const TGID: &[u8] = fixture!("get_tgid_reply.bin");
const LEADER: &[u8] = fixture!("get_pid_leader_reply.bin");
const THREAD: &[u8] = fixture!("get_pid_thread_reply.bin");
const ESRCH: &[u8] = fixture!("get_esrch.bin");
const EPERM: &[u8] = fixture!("get_eperm.bin");
const ACK: &[u8] = fixture!("register_ack.bin");
const EXIT: &[u8] = fixture!("exit_single.bin");
const EXIT_GROUP: &[u8] = fixture!("exit_thread_group.bin");

/// The TASKSTATS family id on the VM the fixtures come from.
const TASKSTATS_ID: u16 = 31;

/// Offsets inside a single-record reply: nlmsghdr 16 + genlmsghdr 4, then the AGGR nest.
const AGGR: usize = 20;
const ID_ATTR: usize = 24;
const STATS_ATTR: usize = 32;
const STATS: usize = 36;

fn only_message(datagram: &[u8]) -> wire::Message<'_> {
    let msgs: Vec<_> = wire::messages(datagram).collect::<Result<_, _>>().unwrap();
    assert_eq!(msgs.len(), 1);
    msgs[0]
}

#[test]
fn family_reply() {
    let f = parse_family(FAMILY).unwrap();
    assert_eq!((f.id, f.name.as_str()), (TASKSTATS_ID, "TASKSTATS"));
    // maxattr 0: the family's policies are per operation.
    assert_eq!((f.version, f.hdr_size, f.max_attr), (1, 0, 0));
    assert!(f.mcast_groups.is_empty());
    assert_eq!(only_message(FAMILY).ty, GENL_ID_CTRL);
}

#[test]
fn missing_family_means_not_on_this_kernel() {
    assert!(
        parse_family(FAMILY_ENOENT)
            .unwrap_err()
            .0
            .contains("No such file")
    );
    let msg = only_message(FAMILY_ENOENT);
    assert!(matches!(
        family_event(&msg, msg.seq),
        Err(TaskstatsError::NotOnThisKernel)
    ));
    // An answer to another request is not ours.
    assert!(matches!(family_event(&msg, msg.seq + 1), Ok(None)));
}

#[test]
fn tgid_reply_is_the_kernel_aggregate() {
    let r = parse_reply(TGID).unwrap();
    assert_eq!(r.records.len(), 1);
    let rec = &r.records[0];
    assert_eq!((rec.scope, rec.id), (Scope::Tgid, 7020));
    assert_eq!((rec.stats.version, rec.stats.payload_bytes), (16, 560));
    // The kernel fills no identity for a thread group.
    assert_eq!((rec.stats.ac_pid, rec.stats.ac_comm.as_str()), (0, ""));
}

#[test]
fn pid_replies_for_a_process_leader_and_a_thread() {
    let leader = parse_reply(LEADER).unwrap().records.remove(0);
    assert_eq!((leader.scope, leader.id), (Scope::Pid, 7020));
    let s = &leader.stats;
    assert_eq!(
        (s.ac_comm.as_str(), s.ac_pid, s.ac_tgid),
        ("sleep", 7020, Some(7020))
    );
    assert_eq!(s.ac_btime64_s, Some(u64::from(s.ac_btime_s)));
    assert!(s.ac_exe_inode.is_some_and(|i| i > 0));

    let thread = parse_reply(THREAD).unwrap().records.remove(0);
    assert_eq!((thread.scope, thread.id), (Scope::Pid, 7065));
    let t = &thread.stats;
    assert_eq!(
        (t.ac_pid, t.ac_tgid, t.ac_ppid, t.ac_uid),
        (7065, Some(6782), 6774, 0)
    );
    assert_eq!(t.ac_comm, "python3");
    assert_eq!(t.ac_tgetime_us, Some(406_465));
    assert_eq!((t.ac_exe_dev, t.ac_exe_inode), (Some(65024), Some(18504)));
    let peaks = t.delay_peaks.unwrap();
    assert_eq!(
        (peaks.cpu_delay_max_ns, peaks.cpu_delay_min_ns),
        (1_870_262, 1_870_262)
    );
    assert_eq!(t.irq_count, Some(0));
}

#[test]
fn error_replies_map_to_gone_and_no_permission() {
    for (bytes, want) in [(ESRCH, libc::ESRCH), (EPERM, libc::EPERM)] {
        let msg = only_message(bytes);
        let Ok(Incoming::Error { errno, .. }) = classify(&msg, Some(TASKSTATS_ID)) else {
            panic!("not an error message");
        };
        assert_eq!(errno, want);
        assert!(parse_reply(bytes).is_err());
    }
    assert!(TaskstatsError::from_errno("query", libc::ESRCH, Some(9)).is_gone());
    assert!(TaskstatsError::from_errno("query", libc::EINVAL, Some(9)).is_gone());
    assert!(TaskstatsError::from_errno("query", libc::EPERM, Some(9)).is_permission());
    assert!(matches!(
        classify(&only_message(ACK), None),
        Ok(Incoming::Ack { .. })
    ));
}

#[test]
fn exit_notifications() {
    let r = parse_reply(EXIT).unwrap();
    assert_eq!(r.records.len(), 1);
    let s = &r.records[0].stats;
    assert_eq!((r.records[0].id, s.ac_comm.as_str()), (7068, "true"));
    assert_eq!(
        (s.exit_code(), s.ac_flag & ac_flag::AGROUP),
        (Some(0), ac_flag::AGROUP)
    );

    // The last thread of a multi-threaded process: the thread, then the whole group.
    let g = parse_reply(EXIT_GROUP).unwrap();
    let kinds: Vec<_> = g.records.iter().map(|r| (r.scope, r.id)).collect();
    assert_eq!(kinds, vec![(Scope::Pid, 7069), (Scope::Tgid, 7069)]);
    assert_eq!(g.records[0].stats.ac_comm, "python3");
    let (thread, group) = (&g.records[0].stats, &g.records[1].stats);
    // The group record sums delays over every thread that exited; identity stays empty.
    assert!(group.cpu_count >= thread.cpu_count && group.cpu_count > 0);
    assert_eq!(group.ac_comm, "");
}

fn set_u16(buf: &mut [u8], off: usize, v: u16) {
    buf[off..off + 2].copy_from_slice(&v.to_ne_bytes());
}

fn set_u32(buf: &mut [u8], off: usize, v: u32) {
    buf[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

/// The leader reply with its struct cut to `keep` bytes and every enclosing length fixed up,
/// so only the struct itself is short.
fn with_stats_len(keep: usize) -> Vec<u8> {
    let mut b = LEADER[..STATS + keep].to_vec();
    let total = b.len();
    set_u32(&mut b, 0, total as u32);
    set_u16(&mut b, AGGR, (total - AGGR) as u16);
    set_u16(&mut b, STATS_ATTR, (4 + keep) as u16);
    b
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for data in [TGID, LEADER, THREAD, EXIT, EXIT_GROUP, FAMILY, ESRCH] {
        for cut in 0..data.len() {
            assert!(parse_reply(&data[..cut]).is_err(), "cut at {cut} parsed");
            let _ = parse_family(&data[..cut]);
        }
    }
}

#[test]
fn struct_shorter_than_its_version_claims() {
    assert!(parse_reply(&with_stats_len(560)).is_ok());
    for keep in [0, 1, 2, 100, 327, 328, 432, 559] {
        let e = parse_reply(&with_stats_len(keep)).unwrap_err();
        assert!(e.0.contains("TASKSTATS_TYPE_AGGR_PID nest"), "{e}");
        if keep >= 2 {
            assert!(e.0.contains("version 16 needs 560 bytes"), "{keep}: {e}");
        }
    }
}

#[test]
fn malformed_lengths_and_types() {
    type Mutation = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, Mutation, &str)> = vec![
        (
            "stats nla_len past the end",
            Box::new(|b| set_u16(b, STATS_ATTR, 0xffff)),
            "past the end",
        ),
        (
            "nest nla_len past the end",
            Box::new(|b| set_u16(b, AGGR, 0xfff0)),
            "past the end",
        ),
        (
            "zero-length id attribute",
            Box::new(|b| set_u16(b, ID_ATTR, 0)),
            "shorter than its header",
        ),
        (
            "nla_len 3",
            Box::new(|b| set_u16(b, STATS_ATTR, 3)),
            "shorter than its header",
        ),
        (
            "unknown top-level type",
            Box::new(|b| set_u16(b, AGGR + 2, 9)),
            "unknown attribute type 9",
        ),
        (
            "unknown nested type",
            Box::new(|b| set_u16(b, STATS_ATTR + 2, 12)),
            "unknown attribute type 12",
        ),
        (
            "id of the other kind",
            Box::new(|b| set_u16(b, ID_ATTR + 2, 2)),
            "other kind",
        ),
        (
            "nlmsg_len past the end",
            Box::new(|b| set_u32(b, 0, 4096)),
            "past the end",
        ),
        (
            "nlmsg_len below the header",
            Box::new(|b| set_u32(b, 0, 8)),
            "shorter than its header",
        ),
        (
            "wrong command",
            Box::new(|b| b[16] = 1),
            "expected TASKSTATS_CMD_NEW",
        ),
        (
            "reserved message type",
            Box::new(|b| set_u16(b, 4, 7)),
            "reserved",
        ),
        (
            "version 6",
            Box::new(|b| set_u16(b, STATS, 6)),
            "older than 7",
        ),
    ];
    for (what, mutate, want) in cases {
        let mut b = LEADER.to_vec();
        mutate(&mut b);
        let e = parse_reply(&b).expect_err(what);
        assert!(e.0.contains(want), "{what}: {e}");
    }
    // A nest with no struct, and a message with no nest.
    let mut no_stats = LEADER[..STATS_ATTR].to_vec();
    set_u32(&mut no_stats, 0, STATS_ATTR as u32);
    set_u16(&mut no_stats, AGGR, (STATS_ATTR - AGGR) as u16);
    assert!(
        parse_reply(&no_stats)
            .unwrap_err()
            .0
            .contains("no TASKSTATS_TYPE_STATS")
    );
    let mut empty = LEADER[..AGGR].to_vec();
    set_u32(&mut empty, 0, AGGR as u32);
    assert!(
        parse_reply(&empty)
            .unwrap_err()
            .0
            .contains("without a PID or TGID nest")
    );
    // The wrong family, for a live socket that knows its id.
    assert!(classify(&only_message(LEADER), Some(TASKSTATS_ID + 1)).is_err());
}

/// Architectures without efficient unaligned access get a `TASKSTATS_TYPE_NULL` attribute
/// before the struct so that it is 8-byte aligned; it must be skipped.
#[test]
fn null_padding_attribute_is_skipped() {
    let mut b = LEADER[..STATS_ATTR].to_vec();
    b.extend_from_slice(&4u16.to_ne_bytes());
    b.extend_from_slice(&6u16.to_ne_bytes());
    b.extend_from_slice(&LEADER[STATS_ATTR..]);
    let total = b.len();
    set_u32(&mut b, 0, total as u32);
    set_u16(&mut b, AGGR, (total - AGGR) as u16);
    let r = parse_reply(&b).unwrap();
    assert_eq!(
        r.records[0].stats,
        parse_reply(LEADER).unwrap().records[0].stats
    );
}

/// Random byte flips and truncations of every fixture: any result but a panic is fine.
#[test]
fn mutated_fixtures_never_panic() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for data in [
        TGID,
        LEADER,
        THREAD,
        EXIT,
        EXIT_GROUP,
        FAMILY,
        FAMILY_ENOENT,
        ESRCH,
        ACK,
    ] {
        for _ in 0..3000 {
            let mut b = data.to_vec();
            for _ in 0..1 + next() % 4 {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
            let cut = b.len() - (next() as usize) % 8.min(b.len());
            let b = &b[..cut];
            let _ = parse_reply(b);
            let _ = parse_family(b);
            if b.len() > STATS {
                let _ = parse_taskstats(&b[STATS..]);
            }
        }
    }
}
