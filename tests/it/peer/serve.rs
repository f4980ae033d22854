//! Serving captured files to a peer: stand-in files (bind-mounted by [`super::namespace`]) and a
//! fanotify permission gate that puts the right snapshot into a stand-in while the kernel holds
//! the peer's `open` of it. See the parent module for why.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::capture;
use super::namespace::{Mount, bind_mount, link_unserved_net_entries};

/// How often the gate thread looks at its stop flag.
const POLL: Duration = Duration::from_millis(20);

/// One served file: its contents in every snapshot and the stand-in that serves them.
#[derive(Debug)]
struct ServedFile {
    /// Path relative to a snapshot, e.g. `proc/net/dev`.
    rel: String,
    /// Listed by name (must be opened) rather than matched by a `*` pattern.
    explicit: bool,
    /// `contents[n]` is `DIR/n/rel`.
    contents: Vec<Vec<u8>>,
    /// The stand-in, open for rewriting (opened before the gate watches it, so rewrites
    /// through it are not opens).
    stand_in: File,
    /// Device and inode of the stand-in, to recognise it in fanotify events.
    id: (u64, u64),
    opens: usize,
}

impl ServedFile {
    fn put(&self, snapshot: usize) -> io::Result<()> {
        let contents = &self.contents[snapshot];
        self.stand_in.write_all_at(contents, 0)?;
        self.stand_in.set_len(contents.len() as u64)
    }
}

/// A file served to the peer and how often the peer opened it.
#[derive(Debug)]
pub struct FileOpens {
    pub rel: String,
    pub explicit: bool,
    pub opens: usize,
}

/// What happened while serving.
#[derive(Debug)]
pub struct Report {
    /// In the order of `files` (after `*` expansion); the first one paced.
    pub files: Vec<FileOpens>,
    pub errors: Vec<String>,
}

/// Captures ready to be served: stand-ins created and watched, mounts planned.
#[derive(Debug)]
pub struct Serving {
    files: Vec<ServedFile>,
    snapshots: usize,
    gate: OpenGate,
    mounts: Vec<Mount>,
}

impl Serving {
    /// Reads `files` (expanded against snapshot 0) from every snapshot of `dir` and creates
    /// their stand-ins under `work`.
    pub fn prepare(
        dir: &Path,
        snapshots: usize,
        files: &[&str],
        work: &Path,
    ) -> Result<Self, String> {
        match files.first() {
            None => return Err("no files to serve".into()),
            Some(pacing) if pacing.contains('*') => {
                return Err(format!("the pacing file {pacing} must not be a pattern"));
            }
            Some(_) => {}
        }
        let gate = OpenGate::new()?;
        let net_dir = work.join("proc-net");
        let mut served = Vec::new();
        let mut mounts = Vec::new();
        let mut net_served = Vec::new();
        for pattern in files {
            let explicit = !pattern.contains('*');
            let rels = if explicit {
                vec![(*pattern).to_owned()]
            } else {
                capture::expand(&dir.join("0"), pattern)
            };
            for rel in rels {
                let contents: Vec<Vec<u8>> = (0..snapshots)
                    .map(|n| {
                        let path = dir.join(n.to_string()).join(&rel);
                        fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
                    })
                    .collect::<Result<_, _>>()?;
                let stand_in = if let Some(name) = rel.strip_prefix("proc/net/") {
                    if name.contains('/') {
                        return Err(format!(
                            "cannot serve {rel}: only direct entries of proc/net"
                        ));
                    }
                    fs::create_dir_all(&net_dir)
                        .map_err(|e| format!("{}: {e}", net_dir.display()))?;
                    net_served.push(name.to_owned());
                    net_dir.join(name)
                } else {
                    let target = Path::new("/").join(&rel);
                    if !target.exists() {
                        let live = target.display();
                        return Err(format!(
                            "cannot serve {rel}: {live} does not exist on this host"
                        ));
                    }
                    let stand_in = work.join(format!("file{}", served.len()));
                    mounts.push(bind_mount(&stand_in, &target)?);
                    stand_in
                };
                served.push(create_stand_in(&gate, &stand_in, rel, explicit, contents)?);
            }
        }
        if !net_served.is_empty() {
            link_unserved_net_entries(&net_dir, &net_served)?;
            mounts.push(bind_mount(&net_dir, Path::new("/proc/self/net"))?);
        }
        Ok(Self {
            files: served,
            snapshots,
            gate,
            mounts,
        })
    }

    /// Starts answering the peer's opens on a thread; returns the mounts for
    /// [`super::namespace::enter_private_mounts`] and the handle that stops the thread.
    pub fn start(self) -> (Vec<Mount>, Server) {
        let Self {
            files,
            snapshots,
            gate,
            mounts,
        } = self;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = thread::spawn(move || answer_opens(gate, files, snapshots, &flag));
        (mounts, Server { stop, thread })
    }
}

/// The running gate thread.
#[derive(Debug)]
pub struct Server {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Report>,
}

impl Server {
    /// Stops the gate (call once the peer has exited) and reports the opens.
    pub fn stop(self) -> Result<Report, String> {
        self.stop.store(true, SeqCst);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.thread.is_finished() {
            if Instant::now() > deadline {
                return Err("the fanotify gate thread did not stop".into());
            }
            thread::sleep(POLL / 4);
        }
        self.thread
            .join()
            .map_err(|_| "the fanotify gate thread panicked".to_owned())
    }
}

fn create_stand_in(
    gate: &OpenGate,
    path: &Path,
    rel: String,
    explicit: bool,
    contents: Vec<Vec<u8>>,
) -> Result<ServedFile, String> {
    let error = |e: io::Error| format!("stand-in {}: {e}", path.display());
    let stand_in = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path);
    let stand_in = stand_in.map_err(error)?;
    let meta = stand_in.metadata().map_err(error)?;
    let file = ServedFile {
        rel,
        explicit,
        contents,
        stand_in,
        id: (meta.dev(), meta.ino()),
        opens: 0,
    };
    file.put(0).map_err(error)?;
    gate.watch(path)?;
    Ok(file)
}

/// The gate thread: for each open of a stand-in, puts the snapshot it must show, then lets
/// the open proceed. The first file paces (see the parent module).
fn answer_opens(
    mut gate: OpenGate,
    mut files: Vec<ServedFile>,
    snapshots: usize,
    stop: &AtomicBool,
) -> Report {
    let mut errors = Vec::new();
    let mut current = 0;
    while !stop.load(SeqCst) {
        let held = match gate.wait(POLL) {
            Ok(held) => held,
            Err(e) => {
                errors.push(format!("reading fanotify events: {e}"));
                break; // dropping the gate allows whatever is pending
            }
        };
        for open in held {
            let id = open.file.metadata().map(|m| (m.dev(), m.ino()));
            match id.ok().and_then(|id| files.iter().position(|f| f.id == id)) {
                Some(i) => {
                    let file = &mut files[i];
                    if i == 0 {
                        // Over-reads get the last snapshot so the peer finishes; reported later.
                        current = file.opens.min(snapshots - 1);
                    }
                    file.opens += 1;
                    if let Err(e) = file.put(current) {
                        errors.push(format!("rewriting the stand-in of {}: {e}", file.rel));
                    }
                }
                None => errors.push("fanotify event for a file not served".into()),
            }
            if let Err(e) = gate.allow(open) {
                errors.push(format!("answering fanotify: {e}"));
            }
        }
    }
    let files = files
        .into_iter()
        .map(|f| FileOpens {
            rel: f.rel,
            explicit: f.explicit,
            opens: f.opens,
        })
        .collect();
    Report { files, errors }
}

/// A fanotify group that holds every open of the watched files (`FAN_OPEN_PERM`) until it is
/// answered. Inode marks: whichever path or mount namespace the opener used.
#[derive(Debug)]
struct OpenGate {
    fanotify: File,
}

/// An open held by the kernel until [`OpenGate::allow`].
#[derive(Debug)]
struct HeldOpen {
    /// The file being opened, as the kernel opened it for us.
    file: File,
}

impl OpenGate {
    #[allow(unsafe_code)]
    fn new() -> Result<Self, String> {
        let flags = libc::FAN_CLASS_CONTENT | libc::FAN_CLOEXEC;
        let event_flags = (libc::O_RDONLY | libc::O_CLOEXEC | libc::O_LARGEFILE) as libc::c_uint;
        // SAFETY: no pointers involved; a non-negative result is a new descriptor that nothing
        // else owns, so the OwnedFd may take it.
        let fanotify = unsafe {
            let fd = libc::fanotify_init(flags, event_flags);
            if fd < 0 {
                let e = io::Error::last_os_error();
                return Err(format!(
                    "fanotify_init (permission events need CAP_SYS_ADMIN): {e}"
                ));
            }
            OwnedFd::from_raw_fd(fd)
        };
        Ok(Self {
            fanotify: File::from(fanotify),
        })
    }

    #[allow(unsafe_code)]
    fn watch(&self, path: &Path) -> Result<(), String> {
        let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| "NUL in a path")?;
        let fd = self.fanotify.as_raw_fd();
        let (flags, mask) = (libc::FAN_MARK_ADD, libc::FAN_OPEN_PERM);
        // SAFETY: a valid descriptor and a NUL-terminated path, both alive during the call.
        let marked =
            unsafe { libc::fanotify_mark(fd, flags, mask, libc::AT_FDCWD, c_path.as_ptr()) };
        if marked != 0 {
            let e = io::Error::last_os_error();
            return Err(format!("fanotify_mark {}: {e}", path.display()));
        }
        Ok(())
    }

    /// The opens waiting for an answer, after waiting at most `timeout` for one.
    #[allow(unsafe_code)]
    fn wait(&mut self, timeout: Duration) -> io::Result<Vec<HeldOpen>> {
        let mut poll = libc::pollfd {
            fd: self.fanotify.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd, alive during the call.
        match unsafe { libc::poll(&mut poll, 1, millis) } {
            0 => return Ok(Vec::new()),
            n if n < 0 => {
                let e = io::Error::last_os_error();
                return if e.kind() == io::ErrorKind::Interrupted {
                    Ok(Vec::new())
                } else {
                    Err(e)
                };
            }
            _ => {}
        }
        // struct fanotify_event_metadata: event_len u32, vers u8, reserved u8,
        // metadata_len u16, mask u64, fd i32, pid i32.
        const METADATA: usize = 24;
        let mut events = [0_u8; 4096];
        let n = self.fanotify.read(&mut events)?;
        let mut held = Vec::new();
        let mut at = 0;
        while at + METADATA <= n {
            let field = |offset: usize| -> [u8; 4] {
                let mut bytes = [0; 4];
                bytes.copy_from_slice(&events[at + offset..at + offset + 4]);
                bytes
            };
            let event_len = u32::from_ne_bytes(field(0)) as usize;
            if events[at + 4] != libc::FANOTIFY_METADATA_VERSION || event_len < METADATA {
                return Err(io::Error::other("unexpected fanotify event format"));
            }
            let fd = i32::from_ne_bytes(field(16));
            if fd >= 0 {
                // SAFETY: the kernel opened this descriptor for us with the event; we own it.
                held.push(HeldOpen {
                    file: File::from(unsafe { OwnedFd::from_raw_fd(fd) }),
                });
            }
            at += event_len;
        }
        Ok(held)
    }

    /// Lets a held open proceed.
    fn allow(&self, open: HeldOpen) -> io::Result<()> {
        // struct fanotify_response: fd i32, response u32. Answer before `open` closes the fd.
        let mut response = [0_u8; 8];
        response[..4].copy_from_slice(&open.file.as_raw_fd().to_ne_bytes());
        response[4..].copy_from_slice(&libc::FAN_ALLOW.to_ne_bytes());
        (&self.fanotify).write_all(&response)
    }
}

/// Checks that fanotify permission events can be used here.
pub fn probe_gate() -> Result<(), String> {
    OpenGate::new().map(drop)
}
