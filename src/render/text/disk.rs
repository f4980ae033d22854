//! `sonde disk`: the columns of `iostat -x` (discard and flush columns when the kernel has
//! them), same order and precision.

use crate::model::disk::{DirRates, DiskRow};
use crate::render::format::{fit, fixed, sanitize};

const DIR_COLS: [&str; 6] = ["/s", "kB/s", "rqm/s", "%rqm", "_await", "areq-sz"];

pub fn render(rows: &[DiskRow]) -> String {
    let has_dc = rows
        .iter()
        .any(|r| r.rates.is_some_and(|x| x.discard.is_some()));
    let has_fl = rows
        .iter()
        .any(|r| r.rates.is_some_and(|x| x.flush.is_some()));
    let mut out = format!("{:<16}", "Device");
    let mut dirs = vec!["r", "w"];
    if has_dc {
        dirs.push("d");
    }
    for d in &dirs {
        for c in DIR_COLS {
            let name = match c.strip_prefix('%') {
                Some(rest) => format!("%{d}{rest}"),
                None => format!("{d}{c}"),
            };
            out.push_str(&format!(" {name:>8}"));
        }
    }
    if has_fl {
        out.push_str(&format!(" {:>8} {:>8}", "f/s", "f_await"));
    }
    out.push_str(&format!(" {:>8} {:>8}\n", "aqu-sz", "%util"));
    for r in rows {
        out.push_str(&format!("{:<16}", fit(&sanitize(&r.name), 16)));
        let Some(x) = r.rates else {
            out.push_str("  new or reset during the interval, no values\n");
            continue;
        };
        let dir = |out: &mut String, d: Option<&DirRates>| {
            for v in [
                d.map(|d| d.ios_per_sec),
                d.map(|d| d.kb_per_sec),
                d.map(|d| d.merges_per_sec),
                d.map(|d| d.merges_pct),
                d.map(|d| d.await_ms),
                d.map(|d| d.req_size_kb),
            ] {
                out.push(' ');
                out.push_str(&fixed(v, 2, 8));
            }
        };
        dir(&mut out, Some(&x.read));
        dir(&mut out, Some(&x.write));
        if has_dc {
            dir(&mut out, x.discard.as_ref());
        }
        if has_fl {
            out.push_str(&format!(
                " {} {}",
                fixed(x.flush.map(|f| f.ios_per_sec), 2, 8),
                fixed(x.flush.map(|f| f.await_ms), 2, 8)
            ));
        }
        out.push_str(&format!(
            " {} {}\n",
            fixed(Some(x.aqu_sz), 2, 8),
            fixed(Some(x.util_pct), 2, 8)
        ));
    }
    out
}
