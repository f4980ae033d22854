//! `sonde net`: the four reports of `sar -n DEV,EDEV,TCP,ETCP`.

use crate::model::net::{NicRates, NicRow, TcpRates};
use crate::render::format::{fit, fixed, sanitize};

fn head(out: &mut String, first: &str, cols: &[&str]) {
    out.push_str(&format!("{first:<12}"));
    for c in cols {
        out.push_str(&format!(" {c:>9}"));
    }
    out.push('\n');
}

fn row(out: &mut String, name: &str, vals: &[Option<f64>]) {
    out.push_str(&format!("{:<12}", fit(&sanitize(name), 12)));
    for v in vals {
        out.push(' ');
        out.push_str(&fixed(*v, 2, 9));
    }
    out.push('\n');
}

type Column = (&'static str, fn(&NicRates) -> Option<f64>);

/// sar -n DEV. sar prints %ifutil 0.00 when the speed is unknown; sonde prints "-" (no value).
const DEV: &[Column] = &[
    ("rxpck/s", |r| Some(r.rx_packets_per_sec)),
    ("txpck/s", |r| Some(r.tx_packets_per_sec)),
    ("rxkB/s", |r| Some(r.rx_kb_per_sec)),
    ("txkB/s", |r| Some(r.tx_kb_per_sec)),
    ("rxcmp/s", |r| Some(r.rx_compressed_per_sec)),
    ("txcmp/s", |r| Some(r.tx_compressed_per_sec)),
    ("rxmcst/s", |r| Some(r.rx_multicast_per_sec)),
    ("%ifutil", |r| r.util_pct),
];

/// sar -n EDEV.
const EDEV: &[Column] = &[
    ("rxerr/s", |r| Some(r.rx_errors_per_sec)),
    ("txerr/s", |r| Some(r.tx_errors_per_sec)),
    ("coll/s", |r| Some(r.collisions_per_sec)),
    ("rxdrop/s", |r| Some(r.rx_drops_per_sec)),
    ("txdrop/s", |r| Some(r.tx_drops_per_sec)),
    ("txcarr/s", |r| Some(r.tx_carrier_per_sec)),
    ("rxfram/s", |r| Some(r.rx_frame_per_sec)),
    ("rxfifo/s", |r| Some(r.rx_fifo_per_sec)),
    ("txfifo/s", |r| Some(r.tx_fifo_per_sec)),
];

pub fn render(nics: &[NicRow], tcp: &TcpRates) -> String {
    let mut out = String::new();
    for (i, report) in [DEV, EDEV].iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let titles: Vec<&str> = report.iter().map(|(t, _)| *t).collect();
        head(&mut out, "IFACE", &titles);
        for n in nics {
            let vals: Vec<Option<f64>> = report
                .iter()
                .map(|(_, f)| n.rates.as_ref().and_then(f))
                .collect();
            row(&mut out, &n.name, &vals);
        }
    }
    out.push('\n');
    head(
        &mut out,
        "TCP",
        &["active/s", "passive/s", "iseg/s", "oseg/s"],
    );
    row(
        &mut out,
        "",
        &[
            tcp.active_opens_per_sec,
            tcp.passive_opens_per_sec,
            tcp.in_segs_per_sec,
            tcp.out_segs_per_sec,
        ],
    );
    out.push('\n');
    head(
        &mut out,
        "ETCP",
        &["atmptf/s", "estres/s", "retrans/s", "isegerr/s", "orsts/s"],
    );
    row(
        &mut out,
        "",
        &[
            tcp.attempt_fails_per_sec,
            tcp.estab_resets_per_sec,
            tcp.retrans_segs_per_sec,
            tcp.in_errs_per_sec,
            tcp.out_rsts_per_sec,
        ],
    );
    out
}
