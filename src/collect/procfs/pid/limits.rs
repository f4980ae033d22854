//! /proc/PID/limits: the resource limits (`ulimit`) of a process, soft and hard.
//!
//! A header line, then one line per limit in fixed columns: the name padded to 25 characters,
//! the soft and hard values (a number or `unlimited`), and the unit (absent for the two
//! priority limits). Readable by anyone since 2.6.24 (the file appeared in 2.6.24).

use serde::{Serialize, Serializer};

use crate::collect::{ParseError, num};

/// A limit value: a number (in the limit's unit) or `unlimited`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitValue {
    Unlimited,
    Value(u64),
}

impl Serialize for LimitValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            LimitValue::Unlimited => s.serialize_str("unlimited"),
            LimitValue::Value(v) => s.serialize_u64(*v),
        }
    }
}

impl std::fmt::Display for LimitValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LimitValue::Unlimited => f.write_str("unlimited"),
            LimitValue::Value(v) => write!(f, "{v}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Limit {
    /// As the kernel names it: `Max open files`, `Max processes`, …
    pub name: String,
    pub soft: LimitValue,
    pub hard: LimitValue,
    /// `files`, `bytes`, `seconds`, …; `None` for the priority limits.
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Limits {
    /// Every line, in file order.
    pub all: Vec<Limit>,
}

impl Limits {
    pub fn get(&self, name: &str) -> Option<&Limit> {
        self.all.iter().find(|l| l.name == name)
    }

    /// `RLIMIT_NOFILE`.
    pub fn open_files(&self) -> Option<&Limit> {
        self.get("Max open files")
    }

    /// `RLIMIT_NPROC` (counted per user, not per process).
    pub fn processes(&self) -> Option<&Limit> {
        self.get("Max processes")
    }

    /// `RLIMIT_AS`, in bytes.
    pub fn address_space(&self) -> Option<&Limit> {
        self.get("Max address space")
    }
}

fn value(v: &str, what: &str) -> Result<LimitValue, ParseError> {
    if v == "unlimited" {
        Ok(LimitValue::Unlimited)
    } else {
        num(v, what).map(LimitValue::Value)
    }
}

/// Width of the name column: `%-25s ` in fs/proc/base.c.
const NAME_WIDTH: usize = 26;

pub fn parse(text: &str) -> Result<Limits, ParseError> {
    let mut all = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if line.starts_with("Limit ") {
            continue;
        }
        let (name, rest) = if line.len() > NAME_WIDTH && line.is_char_boundary(NAME_WIDTH) {
            line.split_at(NAME_WIDTH)
        } else {
            return Err(ParseError::new(format!("short limits line: {line:?}")));
        };
        let name = name.trim().to_string();
        let mut f = rest.split_ascii_whitespace();
        let soft = value(f.next().unwrap_or(""), &name)?;
        let hard = value(f.next().unwrap_or(""), &name)?;
        let unit = f.next().map(str::to_string);
        all.push(Limit {
            name,
            soft,
            hard,
            unit,
        });
    }
    if all.is_empty() {
        return Err(ParseError::new("no limits"));
    }
    Ok(Limits { all })
}

#[cfg(test)]
mod tests {
    use super::*;

    // `cat /proc/self/limits` on Linux 6.18 (trailing spaces as printed).
    const LIMITS: &str = "\
Limit                     Soft Limit           Hard Limit           Units     \n\
Max cpu time              unlimited            unlimited            seconds   \n\
Max file size             unlimited            unlimited            bytes     \n\
Max data size             unlimited            unlimited            bytes     \n\
Max stack size            8388608              unlimited            bytes     \n\
Max core file size        0                    unlimited            bytes     \n\
Max resident set          unlimited            unlimited            bytes     \n\
Max processes             96365                96365                processes \n\
Max open files            20000                20000                files     \n\
Max locked memory         8388608              8388608              bytes     \n\
Max address space         unlimited            unlimited            bytes     \n\
Max file locks            unlimited            unlimited            locks     \n\
Max pending signals       96365                96365                signals   \n\
Max msgqueue size         819200               819200               bytes     \n\
Max nice priority         0                    0                    \n\
Max realtime priority     0                    0                    \n\
Max realtime timeout      unlimited            unlimited            us        \n";

    #[test]
    fn parses_linux_6_18() {
        let l = parse(LIMITS).unwrap();
        assert_eq!(l.all.len(), 16);
        let nofile = l.open_files().unwrap();
        assert_eq!(nofile.soft, LimitValue::Value(20000));
        assert_eq!(nofile.hard, LimitValue::Value(20000));
        assert_eq!(nofile.unit.as_deref(), Some("files"));
        assert_eq!(l.processes().unwrap().soft, LimitValue::Value(96365));
        let aspace = l.address_space().unwrap();
        assert_eq!(
            (aspace.soft, aspace.hard),
            (LimitValue::Unlimited, LimitValue::Unlimited)
        );
        let stack = l.get("Max stack size").unwrap();
        assert_eq!(stack.soft, LimitValue::Value(8388608));
        assert_eq!(stack.hard, LimitValue::Unlimited);
        let nice = l.get("Max nice priority").unwrap();
        assert_eq!(nice.unit, None);
        assert_eq!(
            l.get("Max realtime timeout").unwrap().unit.as_deref(),
            Some("us")
        );
        assert_eq!(
            serde_json::to_string(&aspace.soft).unwrap(),
            "\"unlimited\"".to_string()
        );
        assert_eq!(serde_json::to_string(&nofile.soft).unwrap(), "20000");
    }

    #[test]
    fn largest_value_fills_its_column() {
        // RLIM_INFINITY is printed as "unlimited"; the largest finite value is 20 digits.
        let t = "Max open files            18446744073709551614 18446744073709551614 files     \n";
        let l = parse(t).unwrap();
        assert_eq!(
            l.open_files().unwrap().soft,
            LimitValue::Value(u64::MAX - 1)
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse("").is_err());
        assert!(parse("Max open files            lots                 1 files\n").is_err());
        assert!(parse("Max open files\n").is_err());
        assert!(parse("Max open files — é é é é é é é 1 2\n").is_err());
    }
}
