//! Per-interface and TCP rates, as `sar -n DEV,EDEV,TCP,ETCP` computes them.
//!
//! %ifutil follows sar: full duplex max(rx, tx), otherwise rx + tx, in bits against the link
//! speed; unknown speed (loopback, most virtual NICs) gives no value.

use serde::Serialize;

use crate::collect::host::Nic;
use crate::collect::procfs::snmp::Tcp;
use crate::collect::sysfs::net::Duplex;
use crate::model::rate::{Interval, delta};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NicRates {
    pub rx_packets_per_sec: f64,
    pub tx_packets_per_sec: f64,
    pub rx_kb_per_sec: f64,
    pub tx_kb_per_sec: f64,
    pub rx_compressed_per_sec: f64,
    pub tx_compressed_per_sec: f64,
    pub rx_multicast_per_sec: f64,
    /// `None` when the link speed is unknown.
    pub util_pct: Option<f64>,
    pub rx_errors_per_sec: f64,
    pub tx_errors_per_sec: f64,
    pub collisions_per_sec: f64,
    pub rx_drops_per_sec: f64,
    pub tx_drops_per_sec: f64,
    pub tx_carrier_per_sec: f64,
    pub rx_frame_per_sec: f64,
    pub rx_fifo_per_sec: f64,
    pub tx_fifo_per_sec: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NicRow {
    pub name: String,
    pub speed_mbps: Option<u64>,
    pub rates: Option<NicRates>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TcpRates {
    pub active_opens_per_sec: Option<f64>,
    pub passive_opens_per_sec: Option<f64>,
    pub in_segs_per_sec: Option<f64>,
    pub out_segs_per_sec: Option<f64>,
    pub attempt_fails_per_sec: Option<f64>,
    pub estab_resets_per_sec: Option<f64>,
    pub retrans_segs_per_sec: Option<f64>,
    pub in_errs_per_sec: Option<f64>,
    pub out_rsts_per_sec: Option<f64>,
    /// Retransmitted segments as a share of segments sent.
    pub retrans_pct: Option<f64>,
    pub listen_overflows_per_sec: Option<f64>,
    pub listen_drops_per_sec: Option<f64>,
    pub curr_estab: u64,
}

pub fn nic_rates(itv: Interval, p: &Nic, c: &Nic) -> Option<NicRates> {
    let (p, c, link) = (&p.dev, &c.dev, &c.link);
    let r = |a: u64, b: u64| itv.per_sec(a, b);
    let rx_bytes = r(p.rx_bytes, c.rx_bytes)?;
    let tx_bytes = r(p.tx_bytes, c.tx_bytes)?;
    let util_pct = link.speed_mbps.map(|mbps| {
        let speed = (mbps * 1_000_000) as f64;
        let bytes = match link.duplex {
            Duplex::Full => rx_bytes.max(tx_bytes),
            _ => rx_bytes + tx_bytes,
        };
        bytes * 800.0 / speed
    });
    Some(NicRates {
        rx_packets_per_sec: r(p.rx_packets, c.rx_packets)?,
        tx_packets_per_sec: r(p.tx_packets, c.tx_packets)?,
        rx_kb_per_sec: rx_bytes / 1024.0,
        tx_kb_per_sec: tx_bytes / 1024.0,
        rx_compressed_per_sec: r(p.rx_compressed, c.rx_compressed)?,
        tx_compressed_per_sec: r(p.tx_compressed, c.tx_compressed)?,
        rx_multicast_per_sec: r(p.rx_multicast, c.rx_multicast)?,
        util_pct,
        rx_errors_per_sec: r(p.rx_errs, c.rx_errs)?,
        tx_errors_per_sec: r(p.tx_errs, c.tx_errs)?,
        collisions_per_sec: r(p.tx_colls, c.tx_colls)?,
        rx_drops_per_sec: r(p.rx_drop, c.rx_drop)?,
        tx_drops_per_sec: r(p.tx_drop, c.tx_drop)?,
        tx_carrier_per_sec: r(p.tx_carrier, c.tx_carrier)?,
        rx_frame_per_sec: r(p.rx_frame, c.rx_frame)?,
        rx_fifo_per_sec: r(p.rx_fifo, c.rx_fifo)?,
        tx_fifo_per_sec: r(p.tx_fifo, c.tx_fifo)?,
    })
}

/// One row per interface in the current sample, in /proc/net/dev order.
pub fn rows(itv: Interval, prev: &[Nic], curr: &[Nic]) -> Vec<NicRow> {
    curr.iter()
        .map(|c| NicRow {
            name: c.dev.name.clone(),
            speed_mbps: c.link.speed_mbps,
            rates: prev
                .iter()
                .find(|p| p.dev.name == c.dev.name)
                .and_then(|p| nic_rates(itv, p, c)),
        })
        .collect()
}

pub fn tcp_rates(itv: Interval, p: &Tcp, c: &Tcp) -> TcpRates {
    let r = |a: u64, b: u64| itv.per_sec(a, b);
    let opt = |a: Option<u64>, b: Option<u64>| itv.per_sec(a?, b?);
    let out = delta(p.out_segs, c.out_segs);
    let retrans = delta(p.retrans_segs, c.retrans_segs);
    TcpRates {
        active_opens_per_sec: r(p.active_opens, c.active_opens),
        passive_opens_per_sec: r(p.passive_opens, c.passive_opens),
        in_segs_per_sec: r(p.in_segs, c.in_segs),
        out_segs_per_sec: r(p.out_segs, c.out_segs),
        attempt_fails_per_sec: r(p.attempt_fails, c.attempt_fails),
        estab_resets_per_sec: r(p.estab_resets, c.estab_resets),
        retrans_segs_per_sec: r(p.retrans_segs, c.retrans_segs),
        in_errs_per_sec: r(p.in_errs, c.in_errs),
        out_rsts_per_sec: r(p.out_rsts, c.out_rsts),
        retrans_pct: match (retrans, out) {
            (Some(_), Some(0)) => Some(0.0),
            (Some(rt), Some(o)) => Some(rt as f64 / o as f64 * 100.0),
            _ => None,
        },
        listen_overflows_per_sec: opt(p.listen_overflows, c.listen_overflows),
        listen_drops_per_sec: opt(p.listen_drops, c.listen_drops),
        curr_estab: c.curr_estab,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::procfs::net_dev::NetDev;
    use crate::collect::sysfs::net::Link;

    fn nic(rx: u64, tx: u64, speed: Option<u64>, duplex: Duplex) -> Nic {
        Nic {
            dev: NetDev {
                name: "eth0".into(),
                rx_bytes: rx,
                tx_bytes: tx,
                ..NetDev::default()
            },
            link: Link {
                speed_mbps: speed,
                duplex,
                operstate: None,
            },
        }
    }

    #[test]
    fn ifutil_full_and_half_duplex() {
        let itv = Interval::between(0, 100).unwrap();
        // 12.5 MB/s rx on 1000 Mb/s full duplex = 10 %.
        let r = nic_rates(
            itv,
            &nic(0, 0, Some(1000), Duplex::Full),
            &nic(12_500_000, 1000, Some(1000), Duplex::Full),
        )
        .unwrap();
        assert_eq!(r.util_pct, Some(10.0));
        let h = nic_rates(
            itv,
            &nic(0, 0, Some(100), Duplex::Half),
            &nic(625_000, 625_000, Some(100), Duplex::Half),
        )
        .unwrap();
        assert_eq!(h.util_pct, Some(10.0));
        let lo = nic_rates(
            itv,
            &nic(0, 0, None, Duplex::Unknown),
            &nic(1024, 0, None, Duplex::Unknown),
        )
        .unwrap();
        assert_eq!((lo.util_pct, lo.rx_kb_per_sec), (None, 1.0));
        assert!(
            nic_rates(
                itv,
                &nic(10, 0, None, Duplex::Unknown),
                &nic(5, 0, None, Duplex::Unknown)
            )
            .is_none()
        );
    }
}
