//! /sys/fs/ext4/DEV/errors_count: errors ext4 recorded in its superblock (since Linux 3.6).
//! Other file systems expose no such counter.

use crate::env::Env;

/// Error count for the ext4 file system on block device path `device` (e.g. `/dev/vda`).
pub fn ext4_errors(env: &Env, device: &str) -> Option<u64> {
    let dev = device.strip_prefix("/dev/")?;
    let dev = dev.replace('/', "!");
    env.read(&format!("/sys/fs/ext4/{dev}/errors_count"))
        .ok()
        .and_then(|t| super::parse_int(&t))
}
