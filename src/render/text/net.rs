//! `sonde net`: the four reports of `sar -n DEV,EDEV,TCP,ETCP`.

use crate::model::net::{NicRow, TcpRates};
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

pub fn render(nics: &[NicRow], tcp: &TcpRates) -> String {
    let mut out = String::new();
    head(
        &mut out,
        "IFACE",
        &[
            "rxpck/s", "txpck/s", "rxkB/s", "txkB/s", "rxcmp/s", "txcmp/s", "rxmcst/s", "%ifutil",
        ],
    );
    for n in nics {
        let r = n.rates;
        row(
            &mut out,
            &n.name,
            &[
                r.map(|r| r.rx_packets_per_sec),
                r.map(|r| r.tx_packets_per_sec),
                r.map(|r| r.rx_kb_per_sec),
                r.map(|r| r.tx_kb_per_sec),
                r.map(|r| r.rx_compressed_per_sec),
                r.map(|r| r.tx_compressed_per_sec),
                r.map(|r| r.rx_multicast_per_sec),
                // sar prints 0.00 when the speed is unknown; sonde prints "-" (no value).
                r.and_then(|r| r.util_pct),
            ],
        );
    }
    out.push('\n');
    head(
        &mut out,
        "IFACE",
        &[
            "rxerr/s", "txerr/s", "coll/s", "rxdrop/s", "txdrop/s", "txcarr/s", "rxfram/s",
            "rxfifo/s", "txfifo/s",
        ],
    );
    for n in nics {
        let r = n.rates;
        row(
            &mut out,
            &n.name,
            &[
                r.map(|r| r.rx_errors_per_sec),
                r.map(|r| r.tx_errors_per_sec),
                r.map(|r| r.collisions_per_sec),
                r.map(|r| r.rx_drops_per_sec),
                r.map(|r| r.tx_drops_per_sec),
                r.map(|r| r.tx_carrier_per_sec),
                r.map(|r| r.rx_frame_per_sec),
                r.map(|r| r.rx_fifo_per_sec),
                r.map(|r| r.tx_fifo_per_sec),
            ],
        );
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
