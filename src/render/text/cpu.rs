//! `sonde cpu`: the columns of `mpstat -P ALL`.

use crate::model::cpu::CpuRow;
use crate::render::format::fixed;

const COLUMNS: [&str; 10] = [
    "%usr", "%nice", "%sys", "%iowait", "%irq", "%soft", "%steal", "%guest", "%gnice", "%idle",
];

pub fn render(rows: &[CpuRow]) -> String {
    let mut out = format!("{:<5}", "CPU");
    for c in COLUMNS {
        out.push_str(&format!(" {c:>7}"));
    }
    out.push('\n');
    for r in rows {
        let name = r.cpu.map_or_else(|| "all".to_string(), |c| c.to_string());
        out.push_str(&format!("{name:<5}"));
        match (r.online, r.pct) {
            (false, _) => out.push_str("  offline\n"),
            (true, None) => out.push_str("  online during the interval, no values yet\n"),
            (true, Some(p)) => {
                for v in [
                    p.usr_pct,
                    p.nice_pct,
                    p.sys_pct,
                    p.iowait_pct,
                    p.irq_pct,
                    p.soft_pct,
                    p.steal_pct,
                    p.guest_pct,
                    p.gnice_pct,
                    p.idle_pct,
                ] {
                    out.push(' ');
                    out.push_str(&fixed(v, 2, 7));
                }
                out.push('\n');
            }
        }
    }
    out
}
