//! Helpers shared by the integration tests: running the real binary, fixtures, golden files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_sonde")
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures")
        .join(name)
}

/// Runs `sonde ARGS` with colour off and a fixed environment.
pub fn sonde(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("SONDE_BLESS")
        .output()
        .expect("run sonde")
}

/// Stdout of a successful run; panics with stderr otherwise.
pub fn sonde_ok(args: &[&str]) -> String {
    let out = sonde(args);
    assert!(
        out.status.success(),
        "sonde {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("sonde prints UTF-8")
}

/// Compares `actual` with the golden file `tests/it/golden/NAME`; `SONDE_BLESS=1` rewrites it.
pub fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/golden")
        .join(name);
    if std::env::var_os("SONDE_BLESS").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} missing: run SONDE_BLESS=1 cargo test --test it",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(5)
            .map(|(i, (e, a))| {
                // Show the neighbourhood of the first differing character (JSON lines are long).
                let at = e.chars().zip(a.chars()).take_while(|(x, y)| x == y).count();
                let cut = |s: &str| {
                    s.chars()
                        .skip(at.saturating_sub(60))
                        .take(160)
                        .collect::<String>()
                };
                format!(
                    "line {} (from char {at}):\n  golden: {}\n  actual: {}",
                    i + 1,
                    cut(e),
                    cut(a)
                )
            })
            .collect();
        panic!(
            "{} differs from the output ({} vs {} lines):\n{}\n(SONDE_BLESS=1 to accept)",
            path.display(),
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

/// True when the suite must not skip privileged tests (root in CI).
pub fn require_privileged() -> bool {
    std::env::var_os("SONDE_REQUIRE_PRIVILEGED").is_some_and(|v| v == "1")
}

/// Skips a test with a printed reason, or fails it when privileged tests are required.
pub fn skip_or_fail(test: &str, reason: &str) {
    if require_privileged() {
        panic!("{test}: cannot run ({reason}) and SONDE_REQUIRE_PRIVILEGED=1");
    }
    eprintln!("SKIP {test}: {reason}");
}
