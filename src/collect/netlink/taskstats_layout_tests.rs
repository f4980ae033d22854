//! Double-entry checks of the `struct taskstats` offsets: the tables in [`super`] against the C
//! layout rules applied to the header's field list, and a hand-placed version-15 payload.

use super::*;

/// `(name, size, alignment)` as in include/uapi/linux/taskstats.h on a 64-bit kernel; the
/// explicit `__attribute__((aligned(8)))` fields have alignment 8.
type Field = (&'static str, usize, usize);

const COMMON_HEAD: &[Field] = &[
    ("version", 2, 2),
    ("ac_exitcode", 4, 4),
    ("ac_flag", 1, 1),
    ("ac_nice", 1, 1),
];

fn delay(kind: &'static str, inline_peaks: bool) -> Vec<Field> {
    let names: &[&'static str] = match kind {
        "cpu" => &[
            "cpu_count",
            "cpu_delay_total",
            "cpu_delay_max",
            "cpu_delay_min",
        ],
        "blkio" => &[
            "blkio_count",
            "blkio_delay_total",
            "blkio_delay_max",
            "blkio_delay_min",
        ],
        "swapin" => &[
            "swapin_count",
            "swapin_delay_total",
            "swapin_delay_max",
            "swapin_delay_min",
        ],
        "freepages" => &[
            "freepages_count",
            "freepages_delay_total",
            "freepages_delay_max",
            "freepages_delay_min",
        ],
        "thrashing" => &[
            "thrashing_count",
            "thrashing_delay_total",
            "thrashing_delay_max",
            "thrashing_delay_min",
        ],
        "compact" => &[
            "compact_count",
            "compact_delay_total",
            "compact_delay_max",
            "compact_delay_min",
        ],
        "wpcopy" => &[
            "wpcopy_count",
            "wpcopy_delay_total",
            "wpcopy_delay_max",
            "wpcopy_delay_min",
        ],
        _ => &[
            "irq_count",
            "irq_delay_total",
            "irq_delay_max",
            "irq_delay_min",
        ],
    };
    let n = if inline_peaks { 4 } else { 2 };
    names[..n].iter().map(|&name| (name, 8, 8)).collect()
}

/// The field list of `version` (7–16), in declaration order.
fn fields(version: u16) -> Vec<Field> {
    let inline = version == 15;
    let mut f: Vec<Field> = COMMON_HEAD.to_vec();
    f.extend(delay("cpu", inline));
    f.extend(delay("blkio", inline));
    f.extend(delay("swapin", inline));
    f.extend([
        ("cpu_run_real_total", 8, 8),
        ("cpu_run_virtual_total", 8, 8),
    ]);
    f.push(("ac_comm", 32, 1));
    f.extend([("ac_sched", 1, 8), ("ac_pad", 3, 1)]);
    f.extend([
        ("ac_uid", 4, 8),
        ("ac_gid", 4, 4),
        ("ac_pid", 4, 4),
        ("ac_ppid", 4, 4),
        ("ac_btime", 4, 4),
    ]);
    for name in [
        "ac_etime",
        "ac_utime",
        "ac_stime",
        "ac_minflt",
        "ac_majflt",
        "coremem",
        "virtmem",
        "hiwater_rss",
        "hiwater_vm",
        "read_char",
        "write_char",
        "read_syscalls",
        "write_syscalls",
        "read_bytes",
        "write_bytes",
        "cancelled_write_bytes",
        "nvcsw",
        "nivcsw",
        "ac_utimescaled",
        "ac_stimescaled",
        "cpu_scaled_run_real_total",
    ] {
        f.push((name, 8, 8));
    }
    f.extend(delay("freepages", inline));
    if version >= 9 {
        f.extend(delay("thrashing", inline));
    }
    if version >= 10 {
        f.push(("ac_btime64", 8, 8));
    }
    if version >= 11 {
        f.extend(delay("compact", inline));
    }
    if version >= 12 {
        f.extend([
            ("ac_tgid", 4, 4),
            ("ac_tgetime", 8, 8),
            ("ac_exe_dev", 8, 8),
            ("ac_exe_inode", 8, 8),
        ]);
    }
    if version >= 13 {
        f.extend(delay("wpcopy", inline));
    }
    if version >= 14 {
        f.extend(delay("irq", inline));
    }
    if version >= 16 {
        for kind in [
            "cpu",
            "blkio",
            "swapin",
            "freepages",
            "thrashing",
            "compact",
            "wpcopy",
            "irq",
        ] {
            f.extend(delay(kind, true).into_iter().skip(2));
        }
    }
    f
}

/// Offsets by the C rules, and the padded size.
fn c_layout(fields: &[Field]) -> (Vec<(&'static str, usize)>, usize) {
    let mut off: usize = 0;
    let mut out = Vec::new();
    let mut max_align: usize = 1;
    for &(name, size, align) in fields {
        off = off.div_ceil(align) * align;
        out.push((name, off));
        off += size;
        max_align = max_align.max(align);
    }
    (out, off.div_ceil(max_align) * max_align)
}

fn offset_of(layout: &[(&'static str, usize)], name: &str) -> usize {
    layout
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, o)| *o)
        .unwrap()
}

fn check(table: Layout, version: u16) {
    let (c, _) = c_layout(&fields(version));
    let o = |n| offset_of(&c, n);
    assert_eq!(table.cpu, o("cpu_count"), "v{version} cpu");
    assert_eq!(table.blkio, o("blkio_count"), "v{version} blkio");
    assert_eq!(table.swapin, o("swapin_count"), "v{version} swapin");
    assert_eq!(table.cpu_run, o("cpu_run_real_total"));
    assert_eq!(table.comm, o("ac_comm"));
    assert_eq!(table.sched, o("ac_sched"));
    assert_eq!(table.uid, o("ac_uid"));
    assert_eq!(table.etime, o("ac_etime"));
    assert_eq!(o("cpu_scaled_run_real_total"), table.etime + 8 * 20);
    assert_eq!(table.freepages, o("freepages_count"));
    assert_eq!(table.thrashing, o("thrashing_count"));
    assert_eq!(table.btime64, o("ac_btime64"));
    assert_eq!(table.compact, o("compact_count"));
    assert_eq!(table.tgid, o("ac_tgid"));
    assert_eq!(table.tgetime, o("ac_tgetime"));
    assert_eq!(table.wpcopy, o("wpcopy_count"));
    assert_eq!(table.irq, o("irq_count"));
    match table.peaks_appended {
        Some(base) => {
            assert_eq!(base, o("cpu_delay_max"));
            assert_eq!(base + 15 * 8, o("irq_delay_min"));
        }
        None => {
            assert_eq!(table.cpu + 16, o("cpu_delay_max"));
            assert_eq!(table.irq + 24, o("irq_delay_min"));
        }
    }
}

#[test]
fn offset_tables_follow_the_c_layout_rules() {
    check(APPENDED, 16);
    check(V15_INLINE, 15);
    for v in MIN_VERSION..=MAX_KNOWN_VERSION {
        assert_eq!(Some(c_layout(&fields(v)).1), struct_size(v), "sizeof v{v}");
    }
    // Platform notes: this kernel reports version 16 with a 560-byte payload.
    assert_eq!(struct_size(16), Some(560));
    assert_eq!(struct_size(6), None);
}

/// A payload where field `i` of the C layout holds `1000 + i` (u64) or `i` (narrower).
fn synthetic(version: u16) -> Vec<u8> {
    let f = fields(version);
    let (c, size) = c_layout(&f);
    let mut buf = vec![0u8; size];
    for (i, ((name, off), (_, fsize, _))) in c.iter().zip(f.iter()).enumerate() {
        let v = 1000 + i as u64;
        match (*name, *fsize) {
            ("version", _) => buf[*off..off + 2].copy_from_slice(&version.to_ne_bytes()),
            ("ac_comm", _) => buf[*off..off + 4].copy_from_slice(b"comm"),
            (_, 8) => buf[*off..off + 8].copy_from_slice(&v.to_ne_bytes()),
            (_, 4) => buf[*off..off + 4].copy_from_slice(&(v as u32).to_ne_bytes()),
            (_, 1) => buf[*off] = i as u8,
            _ => {}
        }
    }
    buf
}

fn value_of(version: u16, name: &str) -> u64 {
    let f = fields(version);
    1000 + f.iter().position(|(n, _, _)| *n == name).unwrap() as u64
}

#[test]
fn every_version_decodes_its_own_fields() {
    for v in MIN_VERSION..=MAX_KNOWN_VERSION {
        let t = parse_taskstats(&synthetic(v)).unwrap();
        let want = |n| value_of(v, n);
        assert_eq!(t.version, v);
        assert_eq!(t.ac_comm, "comm");
        assert_eq!(t.cpu_delay_total_ns, want("cpu_delay_total"), "v{v}");
        assert_eq!(t.swapin_delay_total_ns, want("swapin_delay_total"), "v{v}");
        assert_eq!(u64::from(t.ac_pid), want("ac_pid"), "v{v}");
        assert_eq!(t.write_bytes, want("write_bytes"), "v{v}");
        assert_eq!(
            t.freepages_delay_total_ns,
            want("freepages_delay_total"),
            "v{v}"
        );
        assert_eq!(t.thrashing_delay_total_ns.is_some(), v >= 9);
        assert_eq!(t.ac_btime64_s.is_some(), v >= 10);
        assert_eq!(t.compact_count.is_some(), v >= 11);
        assert_eq!(t.ac_exe_inode.is_some(), v >= 12);
        assert_eq!(t.wpcopy_count.is_some(), v >= 13);
        assert_eq!(t.irq_delay_total_ns.is_some(), v >= 14);
        assert_eq!(t.delay_peaks.is_some(), v >= 15);
        if v >= 12 {
            assert_eq!(t.ac_tgid.map(u64::from), Some(want("ac_tgid")));
            assert_eq!(t.ac_exe_inode, Some(want("ac_exe_inode")));
        }
        if v >= 14 {
            assert_eq!(t.irq_delay_total_ns, Some(want("irq_delay_total")));
        }
        if let Some(p) = t.delay_peaks {
            assert_eq!(p.cpu_delay_max_ns, want("cpu_delay_max"), "v{v}");
            assert_eq!(p.swapin_delay_min_ns, want("swapin_delay_min"), "v{v}");
            assert_eq!(p.irq_delay_min_ns, want("irq_delay_min"), "v{v}");
        }
    }
}

/// Version 15 placed by hand, offsets worked out from the Linux 6.14.0 header rather than
/// taken from [`V15_INLINE`].
#[test]
fn version_15_inline_peaks_by_hand() {
    let mut buf = vec![0u8; 560];
    let put =
        |buf: &mut Vec<u8>, off: usize, v: u64| buf[off..off + 8].copy_from_slice(&v.to_ne_bytes());
    buf[0..2].copy_from_slice(&15u16.to_ne_bytes());
    put(&mut buf, 24, 111); // cpu_delay_total
    put(&mut buf, 32, 112); // cpu_delay_max
    put(&mut buf, 40, 113); // cpu_delay_min
    put(&mut buf, 56, 222); // blkio_delay_total
    buf[128..132].copy_from_slice(b"v15\0");
    buf[176..180].copy_from_slice(&4242u32.to_ne_bytes()); // ac_pid
    put(&mut buf, 304, 20 << 20); // write_bytes
    put(&mut buf, 536, 999); // irq_delay_total
    put(&mut buf, 552, 7); // irq_delay_min
    let t = parse_taskstats(&buf).unwrap();
    assert_eq!((t.cpu_delay_total_ns, t.blkio_delay_total_ns), (111, 222));
    assert_eq!(
        (t.ac_comm.as_str(), t.ac_pid, t.write_bytes),
        ("v15", 4242, 20 << 20)
    );
    assert_eq!(t.irq_delay_total_ns, Some(999));
    let p = t.delay_peaks.unwrap();
    assert_eq!(
        (p.cpu_delay_max_ns, p.cpu_delay_min_ns, p.irq_delay_min_ns),
        (112, 113, 7)
    );
}

#[test]
fn short_or_ancient_payloads_are_errors() {
    let v16 = synthetic(16);
    let e = parse_taskstats(&v16[..400]).unwrap_err();
    assert!(e.0.contains("version 16 needs 560 bytes"), "{e}");
    assert!(parse_taskstats(&v16[..1]).is_err());
    assert!(parse_taskstats(&[]).is_err());
    let mut old = v16.clone();
    old[0..2].copy_from_slice(&3u16.to_ne_bytes());
    assert!(
        parse_taskstats(&old)
            .unwrap_err()
            .0
            .contains("older than 7")
    );
    // A newer kernel (version 17 adds 128 bytes of timestamps): decoded as version 16.
    let mut v17 = v16.clone();
    v17[0..2].copy_from_slice(&17u16.to_ne_bytes());
    v17.resize(688, 0xAA);
    let t = parse_taskstats(&v17).unwrap();
    assert_eq!((t.version, t.payload_bytes), (17, 688));
    assert_eq!(t.write_bytes, value_of(16, "write_bytes"));
    // Version 9 cut to its own size.
    let t9 = parse_taskstats(&synthetic(9)).unwrap();
    assert_eq!(t9.payload_bytes, 344);
    assert_eq!(t9.thrashing_count, Some(value_of(9, "thrashing_count")));
}

#[test]
fn exit_status_decoding() {
    let t = |code| Taskstats {
        ac_exitcode: code,
        ..Taskstats::default()
    };
    assert_eq!(t(0).exit_code(), Some(0));
    assert_eq!(t(3 << 8).exit_code(), Some(3));
    assert_eq!(t(9).exit_signal(), Some(9));
    assert_eq!(t(9).exit_code(), None);
    assert_eq!(t(3 << 8).exit_signal(), None);
}
