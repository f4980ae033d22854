//! /proc/PID/cmdline: the argument vector, NUL-separated (usually NUL-terminated).
//!
//! Empty for kernel threads and zombies. A process may rewrite its arguments
//! (`setproctitle`), so the text can hold spaces instead of NULs, lose its final NUL, or carry
//! anything at all: escape sequences, newlines, invalid UTF-8. It is kept as given, with
//! invalid UTF-8 replaced; sanitising for a terminal happens in render.
//!
//! Reading this file takes the target's memory lock (`mmap_lock`), so a process stuck holding
//! it stalls the reader; [`crate::collect::process`] reads it off the caller's thread.

/// The arguments, for a detail view.
pub fn args(bytes: &[u8]) -> Vec<String> {
    let b = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    if b.is_empty() {
        return Vec::new();
    }
    b.split(|c| *c == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// The command line as one string, arguments separated by spaces (what `ps -o args` shows).
/// Empty for a kernel thread or zombie.
pub fn parse(bytes: &[u8]) -> String {
    let b = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    let joined: Vec<u8> = b.iter().map(|c| if *c == 0 { b' ' } else { *c }).collect();
    match String::from_utf8(joined) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_separated_arguments() {
        let raw = b"sleep\x00600\x00";
        assert_eq!(parse(raw), "sleep 600");
        assert_eq!(args(raw), vec!["sleep", "600"]);
        // An empty argument in the middle is kept.
        assert_eq!(args(b"a\x00\x00b\x00"), vec!["a", "", "b"]);
    }

    #[test]
    fn kernel_thread_is_empty() {
        assert_eq!(parse(b""), "");
        assert!(args(b"").is_empty());
    }

    #[test]
    fn rewritten_title_without_nul() {
        // What postgres and sshd do with setproctitle.
        let raw = b"sshd: admin [priv]";
        assert_eq!(parse(raw), "sshd: admin [priv]");
        assert_eq!(args(raw), vec!["sshd: admin [priv]"]);
    }

    #[test]
    fn hostile_bytes_kept_invalid_utf8_replaced() {
        let raw = b"evil\x1b]0;pwned\x07\x00\xff\xfe\x00";
        assert_eq!(parse(raw), "evil\x1b]0;pwned\x07 \u{fffd}\u{fffd}");
        assert_eq!(args(raw)[1], "\u{fffd}\u{fffd}");
    }
}
