//! /proc/PID/wchan (and task/TID/wchan): the kernel function a sleeping task waits in.
//!
//! The file holds a symbol name without a newline, or `0` when the task is running, when the
//! reader may not see kernel addresses, or on kernels built without CONFIG_KALLSYMS.

/// The wait channel, or `None` for "running / not shown".
pub fn parse(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && t != "0").then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_or_nothing() {
        assert_eq!(parse("do_epoll_wait").as_deref(), Some("do_epoll_wait"));
        assert_eq!(
            parse("hrtimer_nanosleep").as_deref(),
            Some("hrtimer_nanosleep")
        );
        assert_eq!(parse("0"), None);
        assert_eq!(parse(""), None);
    }
}
