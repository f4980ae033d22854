//! Parsers and readers for /sys files: block queues, NIC link facts, EDAC and file-system
//! error counters.

pub mod block;
pub mod edac;
pub mod fs_errors;
pub mod net;

/// Parses a sysfs number that may be hex (`0x1f`), as SCSI `ioerr_cnt` is.
pub(crate) fn parse_int(text: &str) -> Option<u64> {
    let t = text.trim();
    match t.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => t.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_decimal_and_hex() {
        assert_eq!(super::parse_int("12\n"), Some(12));
        assert_eq!(super::parse_int("0x1f\n"), Some(31));
        assert_eq!(super::parse_int("-1\n"), None);
    }
}
