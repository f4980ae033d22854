//! The peer's private mount namespace: entered between fork and exec, with the stand-ins
//! bind-mounted over the files they replace.

use std::ffi::{CStr, CString};
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A bind mount to make in the peer's namespace, with the message to print if it fails.
#[derive(Debug)]
pub struct Mount {
    source: CString,
    target: CString,
    failure: CString,
}

/// Fills the stand-in for `/proc/self/net` with symlinks to the real entries not served, through
/// this process's own `/proc/PID/net` (same network namespace as the peer, never overmounted).
pub fn link_unserved_net_entries(net_dir: &Path, served: &[String]) -> Result<(), String> {
    let real = PathBuf::from(format!("/proc/{}/net", std::process::id()));
    let entries = fs::read_dir(&real).map_err(|e| format!("{}: {e}", real.display()))?;
    for entry in entries {
        let name = entry
            .map_err(|e| format!("{}: {e}", real.display()))?
            .file_name();
        if !served.iter().any(|s| s.as_str() == name) {
            std::os::unix::fs::symlink(real.join(&name), net_dir.join(&name))
                .map_err(|e| format!("symlink for {}: {e}", name.to_string_lossy()))?;
        }
    }
    Ok(())
}

pub fn bind_mount(source: &Path, target: &Path) -> Result<Mount, String> {
    let c_path = |p: &Path| {
        CString::new(p.as_os_str().as_bytes()).map_err(|_| format!("NUL in {}", p.display()))
    };
    let failure = format!(
        "peer harness: bind mount of {} on {} failed\n",
        source.display(),
        target.display()
    );
    Ok(Mount {
        source: c_path(source)?,
        target: c_path(target)?,
        failure: CString::new(failure).map_err(|_| "NUL in a path".to_owned())?,
    })
}

/// Makes `cmd` enter a private mount namespace and make `mounts` there before it execs.
#[allow(unsafe_code)]
pub fn enter_private_mounts(cmd: &mut Command, mounts: Vec<Mount>) {
    // SAFETY: the closure runs in the child between fork and exec, where only async-signal-safe
    // functions may be called. It makes raw syscalls (unshare, mount, write) on CStrings built
    // before the fork and does not allocate: `last_os_error` is a plain errno value.
    unsafe {
        cmd.pre_exec(move || {
            let fail = |message: &CStr| {
                let error = io::Error::last_os_error();
                let bytes = message.to_bytes();
                libc::write(2, bytes.as_ptr().cast(), bytes.len());
                Err(error)
            };
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                return fail(c"peer harness: unshare(CLONE_NEWNS) failed\n");
            }
            let null = std::ptr::null();
            let flags = libc::MS_REC | libc::MS_PRIVATE;
            if libc::mount(null, c"/".as_ptr(), null, flags, null.cast()) != 0 {
                return fail(c"peer harness: making / private failed\n");
            }
            for m in &mounts {
                let (source, target) = (m.source.as_ptr(), m.target.as_ptr());
                if libc::mount(source, target, null, libc::MS_BIND, null.cast()) != 0 {
                    return fail(&m.failure);
                }
            }
            Ok(())
        });
    }
}
