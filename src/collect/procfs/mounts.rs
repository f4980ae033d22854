//! /proc/self/mounts: which file systems to report capacity for.
//!
//! Kept: file systems that hold data an operator can fill (block-device backed, tmpfs, network
//! file systems). Dropped: kernel pseudo file systems, read-only images that are always full
//! (squashfs, iso9660, erofs), and repeated mounts of the same device (bind mounts), keeping
//! the first, as `df` does.

use crate::collect::{CollectError, ParseError};
use crate::env::Env;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    pub device: String,
    /// As escaped in the file (`\040` for a space); unescape for display.
    pub mount_point: String,
    pub fs_type: String,
}

const PSEUDO: &[&str] = &[
    "proc",
    "sysfs",
    "devtmpfs",
    "devpts",
    "cgroup",
    "cgroup2",
    "debugfs",
    "tracefs",
    "securityfs",
    "pstore",
    "bpf",
    "autofs",
    "mqueue",
    "hugetlbfs",
    "configfs",
    "fusectl",
    "binfmt_misc",
    "rpc_pipefs",
    "nsfs",
    "efivarfs",
    "selinuxfs",
    "ramfs",
    "squashfs",
    "iso9660",
    "erofs",
    "overlay_ro",
    "fuse.lxcfs",
    "fuse.portal",
    "fuse.gvfsd-fuse",
];

pub fn parse(text: &str) -> Result<Vec<Mount>, ParseError> {
    let mut out: Vec<Mount> = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 3 {
            if line.trim().is_empty() {
                continue;
            }
            return Err(ParseError::new(format!("short mounts line {line:?}")));
        }
        let (device, mount_point, fs_type) = (f[0], f[1], f[2]);
        if PSEUDO.contains(&fs_type) {
            continue;
        }
        // Bind mounts and repeated tmpfs mounts of one device: keep the first (as df does),
        // except tmpfs, whose "device" is just the word tmpfs.
        let dup = fs_type != "tmpfs" && out.iter().any(|m| m.device == device);
        let dup_mp = out.iter().any(|m| m.mount_point == mount_point);
        if dup || dup_mp {
            continue;
        }
        out.push(Mount {
            device: device.to_string(),
            mount_point: mount_point.to_string(),
            fs_type: fs_type.to_string(),
        });
    }
    Ok(out)
}

pub fn read(env: &Env) -> Result<Vec<Mount>, CollectError> {
    crate::collect::read_parse(env, "/proc/self/mounts", parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_real_file_systems_once() {
        let m = parse(
            "proc /proc proc rw 0 0\n/dev/vda / ext4 rw 0 0\ntmpfs /dev/shm tmpfs rw 0 0\n\
             /dev/vda /var/lib/docker ext4 rw 0 0\ntmpfs /run tmpfs rw 0 0\n\
             /dev/loop0 /snap/core squashfs ro 0 0\n/dev/sdb1 /mnt/my\\040disk xfs rw 0 0\n\
             tmpfs /dev/shm tmpfs rw 0 0\n",
        )
        .unwrap();
        let mps: Vec<&str> = m.iter().map(|m| m.mount_point.as_str()).collect();
        assert_eq!(mps, vec!["/", "/dev/shm", "/run", "/mnt/my\\040disk"]);
        assert!(parse("garbage\n").is_err());
    }
}
