//! /sys/block/DEV: whole-disk list, queue facts and the device error counter.
//!
//! `/sys/block` lists whole disks (partitions live below them), which is how sonde, like
//! iostat, tells disks from partitions. A device is "parallel" when it has more than one
//! hardware queue (`mq/` entries) or is not rotational: on such devices %util = 100 does not
//! mean saturated.

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
    pub fn serves_in_parallel(&self) -> bool {
        self.hw_queues.is_some_and(|q| q > 1) || self.rotational == Some(false)
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
