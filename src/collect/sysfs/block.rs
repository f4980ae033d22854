//! /sys/block/DEV: whole-disk list, queue facts and the device error counter.
//!
//! `/sys/block` lists whole disks (partitions live below them), which is how sonde, like
//! iostat, tells disks from partitions. A device is "parallel" when it has more than one
//! hardware queue (`mq/` entries), is not rotational, or is virtual or stacked (virtio `vd*`,
//! Xen `xvd*`, NVMe, device-mapper, md RAID): on such devices %util = 100 does not mean
//! saturated. virtio-blk reports rotational=1 and one queue, yet the host behind it serves many
//! requests at once, so the name decides there.

use crate::collect::CollectError;
use crate::env::Env;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BlockQueue {
    pub rotational: Option<bool>,
    /// Number of hardware queues (`/sys/block/DEV/mq/*`), when the device is blk-mq.
    pub hw_queues: Option<u32>,
    /// I/O errors the SCSI layer counted (`device/ioerr_cnt`); absent for virtio, NVMe, …
    pub io_errors: Option<u64>,
}

impl BlockQueue {
    /// %util is meaningful as saturation only for single-queue rotational devices.
    pub fn serves_in_parallel(&self, name: &str) -> bool {
        const PARALLEL: [&str; 5] = ["nvme", "vd", "xvd", "dm-", "md"];
        self.hw_queues.is_some_and(|q| q > 1)
            || self.rotational == Some(false)
            || PARALLEL.iter().any(|p| name.starts_with(p))
    }
}

/// Whole disks: the names in /sys/block.
pub fn whole_disks(env: &Env) -> Result<Vec<String>, CollectError> {
    match env.list_dir("/sys/block") {
        Ok(v) => Ok(v),
        Err(CollectError::NotFound { .. }) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

pub fn read_queue(env: &Env, dev: &str) -> BlockQueue {
    let base = format!("/sys/block/{dev}");
    let rotational = env
        .read_optional(&format!("{base}/queue/rotational"))
        .ok()
        .flatten()
        .and_then(|t| super::parse_int(&t))
        .map(|v| v == 1);
    let hw_queues = env
        .list_dir(&format!("{base}/mq"))
        .ok()
        .map(|v| v.len() as u32);
    let io_errors = env
        .read_optional(&format!("{base}/device/ioerr_cnt"))
        .ok()
        .flatten()
        .and_then(|t| super::parse_int(&t));
    BlockQueue {
        rotational,
        hw_queues,
        io_errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_devices() {
        let hdd = BlockQueue {
            rotational: Some(true),
            hw_queues: Some(1),
            io_errors: None,
        };
        assert!(!hdd.serves_in_parallel("sda"));
        assert!(
            hdd.serves_in_parallel("vda"),
            "virtio-blk says rotational but is not a spindle"
        );
        assert!(
            BlockQueue {
                rotational: Some(false),
                ..hdd.clone()
            }
            .serves_in_parallel("sda")
        );
        assert!(
            BlockQueue {
                hw_queues: Some(4),
                ..hdd.clone()
            }
            .serves_in_parallel("sdb")
        );
        assert!(hdd.serves_in_parallel("nvme0n1"));
    }
}
