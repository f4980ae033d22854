//! /sys/devices/system/edac/mc/mc*: corrected and uncorrected memory errors since boot.
//!
//! Absent in most VMs and on machines without an EDAC driver; then memory errors are not
//! measurable and the USE table says so.

use crate::env::Env;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Edac {
    pub controllers: u32,
    pub corrected: u64,
    pub uncorrected: u64,
}

pub fn read(env: &Env) -> Option<Edac> {
    let mcs = env.list_dir("/sys/devices/system/edac/mc").ok()?;
    let mut e = Edac::default();
    for mc in mcs.iter().filter(|n| n.starts_with("mc")) {
        let get = |f: &str| {
            env.read(&format!("/sys/devices/system/edac/mc/{mc}/{f}"))
                .ok()
                .and_then(|t| super::parse_int(&t))
        };
        let (Some(ce), Some(ue)) = (get("ce_count"), get("ue_count")) else {
            continue;
        };
        e.controllers += 1;
        e.corrected += ce;
        e.uncorrected += ue;
    }
    (e.controllers > 0).then_some(e)
}
