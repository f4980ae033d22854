//! Parsers for /proc files, one module per file.

pub mod diskstats;
pub mod kernel_tables;
pub mod loadavg;
pub mod meminfo;
pub mod mounts;
pub mod net_dev;
pub mod pid;
pub mod pressure;
pub mod schedstat;
pub mod snmp;
pub mod stat;
pub mod uptime;
pub mod vmstat;
