//! The five interval views: which model parts each shows, as text and as JSON.

use serde_json::{Value, json};

use super::report::View;
use crate::analyze::use_method;
use crate::collect::host::HostSample;
use crate::model::host::HostModel;
use crate::render::text;

/// `sonde use`.
#[derive(Debug)]
pub struct Use {
    pub explain: bool,
}

impl View for Use {
    fn kind(&self) -> &'static str {
        "use"
    }
    fn text(&self, curr: &HostSample, m: &HostModel, color: bool) -> String {
        text::use_table::render(&use_method::table(curr, m), self.explain, color)
    }
    fn json(&self, curr: &HostSample, m: &HostModel) -> Value {
        json!(use_method::table(curr, m))
    }
}

/// `sonde cpu`.
#[derive(Debug)]
pub struct Cpu;

impl View for Cpu {
    fn kind(&self) -> &'static str {
        "cpu"
    }
    fn text(&self, _: &HostSample, m: &HostModel, _: bool) -> String {
        text::cpu::render(&m.cpus)
    }
    fn json(&self, _: &HostSample, m: &HostModel) -> Value {
        json!({ "cpus": m.cpus })
    }
}

/// `sonde mem`.
#[derive(Debug)]
pub struct Mem;

impl View for Mem {
    fn kind(&self) -> &'static str {
        "mem"
    }
    fn text(&self, _: &HostSample, m: &HostModel, _: bool) -> String {
        text::mem::render(&m.mem, &m.paging, m.pressure.memory)
    }
    fn json(&self, _: &HostSample, m: &HostModel) -> Value {
        json!({ "memory": m.mem, "paging": m.paging, "pressure": m.pressure.memory })
    }
}

/// `sonde disk`.
#[derive(Debug)]
pub struct Disk;

impl View for Disk {
    fn kind(&self) -> &'static str {
        "disk"
    }
    fn text(&self, _: &HostSample, m: &HostModel, _: bool) -> String {
        text::disk::render(&m.disks)
    }
    fn json(&self, _: &HostSample, m: &HostModel) -> Value {
        json!({ "disks": m.disks })
    }
}

/// `sonde net`.
#[derive(Debug)]
pub struct Net;

impl View for Net {
    fn kind(&self) -> &'static str {
        "net"
    }
    fn text(&self, _: &HostSample, m: &HostModel, _: bool) -> String {
        text::net::render(&m.nics, &m.tcp)
    }
    fn json(&self, _: &HostSample, m: &HostModel) -> Value {
        json!({ "nics": m.nics, "tcp": m.tcp })
    }
}
