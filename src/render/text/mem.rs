//! `sonde mem`: `free -k` and one `vmstat` line, plus memory pressure and OOM kills.

use crate::model::host::PsiShare;
use crate::model::mem::{MemUsage, Paging};
use crate::render::format::fixed;

pub fn render(u: &MemUsage, p: &Paging, psi: Option<PsiShare>) -> String {
    let mut out = format!(
        "{:<6} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}\n",
        "KiB", "total", "used", "free", "shared", "buff/cache", "available"
    );
    out.push_str(&format!(
        "{:<6} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}\n",
        "Mem:",
        u.total_kib,
        u.used_kib,
        u.free_kib,
        u.shared_kib,
        u.buff_cache_kib,
        u.available_kib
            .map_or_else(|| "-".to_string(), |a| a.to_string()),
    ));
    out.push_str(&format!(
        "{:<6} {:>12} {:>12} {:>12}\n\n",
        "Swap:", u.swap_total_kib, u.swap_used_kib, u.swap_free_kib
    ));
    let int = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
    out.push_str(&format!(
        "{:>4} {:>4} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>4} {:>4} {:>4} {:>4} {:>4}\n",
        "r", "b", "si_kB/s", "so_kB/s", "bi_kB/s", "bo_kB/s", "in/s", "cs/s", "flt/s", "majflt/s",
        "us", "sy", "id", "wa", "st"
    ));
    out.push_str(&format!(
        "{:>4} {:>4} {} {} {} {} {} {} {} {} {} {} {} {} {}\n",
        int(p.runnable),
        int(p.blocked),
        fixed(p.swap_in_kib_per_sec, 2, 9),
        fixed(p.swap_out_kib_per_sec, 2, 9),
        fixed(p.page_in_kib_per_sec, 2, 9),
        fixed(p.page_out_kib_per_sec, 2, 9),
        fixed(p.interrupts_per_sec, 2, 9),
        fixed(p.context_switches_per_sec, 2, 9),
        fixed(p.faults_per_sec, 2, 9),
        fixed(p.major_faults_per_sec, 2, 9),
        fixed(p.cpu_us_pct, 0, 4),
        fixed(p.cpu_sy_pct, 0, 4),
        fixed(p.cpu_id_pct, 0, 4),
        fixed(p.cpu_wa_pct, 0, 4),
        fixed(p.cpu_st_pct, 0, 4),
    ));
    out.push('\n');
    let psi = match psi {
        Some(s) => format!(
            "some {}% full {}%",
            fixed(s.some_pct, 2, 0),
            fixed(s.full_pct, 2, 0)
        ),
        None => "n/a (no PSI)".to_string(),
    };
    out.push_str(&format!(
        "memory pressure: {psi} | direct reclaim: {} pages/s, {} allocstalls/s | dirty {} KiB, writeback {} KiB | oom kills: {}\n",
        fixed(p.direct_scan_pages_per_sec, 2, 0),
        fixed(p.allocstalls_per_sec, 2, 0),
        u.dirty_kib,
        u.writeback_kib,
        int(p.oom_kills),
    ));
    out
}
