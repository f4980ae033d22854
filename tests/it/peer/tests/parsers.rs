//! The parsers on sample outputs of the sysstat 12.6 tools (no privileges needed).

use crate::peer::{NO_KEY, Table, parse_iostat_x, parse_mpstat, parse_sar_net};

const IOSTAT_SAMPLE: &str = "\
Linux 6.18.44 (vm) \t2026-11-22 \t_x86_64_\t(2 CPU)

Device            r/s     rkB/s   rrqm/s  %rrqm r_await rareq-sz     w/s     wkB/s   %util
loop0            0.00      0.00     0.00   0.00    0.00     0.00    0.00      0.00   0.00
vda             66.14   2814.08    12.73  16.14    0.52    42.55    9.75   1216.97   1.37


Device            r/s     rkB/s   rrqm/s  %rrqm r_await rareq-sz     w/s     wkB/s   %util
loop0            0.00      0.00     0.00   0.00    0.00     0.00    0.00      0.00   0.00
vda              1.00      4.00     0.00   0.00    0.50     4.00  250.00  64000.00  97.20
";

const MPSTAT_SAMPLE: &str = "\
Linux 6.18.44 (vm) \t2026-11-22 \t_x86_64_\t(2 CPU)

03:12:35     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle
03:12:36     all    0.00    0.00    0.00    0.00    0.00    0.00    0.50    0.00    0.00   99.50
03:12:36       0    0.00    0.00    0.00    0.00    0.00    0.00    1.00    0.00    0.00   99.00
03:12:36       1    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00  100.00

03:12:36     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle
03:12:37     all   50.00    0.00    0.50    0.00    0.00    0.00    0.50    0.00    0.00   49.00
03:12:37       0  100.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00    0.00
03:12:37       1    0.00    0.00    0.98    0.00    0.00    0.00    0.98    0.00    0.00   98.04

Average:     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle
Average:     all   25.00    0.00    0.25    0.00    0.00    0.00    0.50    0.00    0.00   74.25
Average:       0   50.00    0.00    0.00    0.00    0.00    0.00    0.50    0.00    0.00   49.50
Average:       1    0.00    0.00    0.49    0.00    0.00    0.00    0.49    0.00    0.00   99.02
";

/// `sar -f` layout: every interval of an activity in one block, then its averages.
const SAR_SAMPLE: &str = "\
Linux 6.18.44 (vm) \t2026-11-22 \t_x86_64_\t(2 CPU)

03:16:42        IFACE   rxpck/s   txpck/s    rxkB/s    txkB/s   rxcmp/s   txcmp/s  rxmcst/s   %ifutil
03:16:43           lo     10.00     10.00      1.00      1.00      0.00      0.00      0.00      0.00
03:16:43         eth0      0.00      0.00      0.00      0.00      0.00      0.00      0.00      0.00
03:16:44           lo     20.00     20.00      2.00      2.00      0.00      0.00      0.00      0.00
03:16:44         eth0      1.00      0.00      0.00      0.00      0.00      0.00      0.00      0.00
Average:           lo     15.00     15.00      1.50      1.50      0.00      0.00      0.00      0.00
Average:         eth0      0.50      0.00      0.00      0.00      0.00      0.00      0.00      0.00

03:16:42        IFACE   rxerr/s   txerr/s    coll/s  rxdrop/s  txdrop/s  txcarr/s  rxfram/s  rxfifo/s  txfifo/s
03:16:43           lo      0.00      0.00      0.00      0.00      0.00      0.00      0.00      0.00      0.00
03:16:44           lo      0.00      0.00      0.00      3.00      0.00      0.00      0.00      0.00      0.00
Average:           lo      0.00      0.00      0.00      1.50      0.00      0.00      0.00      0.00      0.00

03:16:42     active/s passive/s    iseg/s    oseg/s
03:16:43         1.00      1.00      8.00      8.00
03:16:44         2.00      2.00     16.00     16.00
Average:         1.50      1.50     12.00     12.00

03:16:42     atmptf/s  estres/s retrans/s isegerr/s   orsts/s
03:16:43         0.00      0.00      0.00      0.00      0.00
03:16:44         0.00      0.00      1.00      0.00      0.00
Average:         0.00      0.00      0.50      0.00      0.00
";

#[test]
fn parses_iostat_x_reports() -> Result<(), String> {
    let reports = parse_iostat_x(IOSTAT_SAMPLE)?;
    assert_eq!(reports.intervals.len(), 2);
    assert_eq!(reports.columns.first().map(String::as_str), Some("r/s"));
    let since_boot: &Table = &reports.intervals[0];
    assert_eq!(since_boot["vda"]["rkB/s"], 2814.08);
    assert_eq!(reports.value("vda", "w/s")?, 250.0);
    assert_eq!(reports.value("vda", "%util")?, 97.2);
    assert_eq!(reports.value("loop0", "r/s")?, 0.0);
    assert!(reports.average.is_none());
    Ok(())
}

#[test]
fn parses_mpstat_reports_and_average() -> Result<(), String> {
    let reports = parse_mpstat(MPSTAT_SAMPLE)?;
    assert_eq!(reports.intervals.len(), 2);
    assert_eq!(reports.value("all", "%usr")?, 50.0);
    assert_eq!(reports.value("1", "%idle")?, 98.04);
    assert_eq!(reports.intervals[0]["0"]["%steal"], 1.0);
    let average = reports.average.as_ref().ok_or("no average")?;
    assert_eq!(average["all"]["%idle"], 74.25);
    Ok(())
}

#[test]
fn parses_sar_net_file_layout() -> Result<(), String> {
    let sar = parse_sar_net(SAR_SAMPLE)?;
    assert_eq!(sar.dev.intervals.len(), 2);
    assert_eq!(sar.dev.value("lo", "rxpck/s")?, 20.0);
    assert_eq!(sar.dev.value("eth0", "rxpck/s")?, 1.0);
    assert_eq!(sar.dev.intervals[0]["lo"]["txkB/s"], 1.0);
    assert_eq!(sar.edev.value("lo", "rxdrop/s")?, 3.0);
    assert_eq!(sar.tcp.intervals.len(), 2);
    assert_eq!(sar.tcp.value(NO_KEY, "oseg/s")?, 16.0);
    assert_eq!(sar.etcp.value(NO_KEY, "retrans/s")?, 1.0);
    let average = sar.tcp.average.as_ref().ok_or("no average")?;
    assert_eq!(average[NO_KEY]["iseg/s"], 12.0);
    Ok(())
}

#[test]
fn parser_rejects_a_row_before_any_header() {
    assert!(parse_iostat_x("vda 1.00 2.00\n").is_err());
}
