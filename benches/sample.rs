//! One full host-level sample: collect every host file, model the interval against the previous
//! sample and build the USE table. Budget (DESIGN.md): ≤ 2 ms.
//!
//! `fixture` reads the captured tree `tests/it/fixtures/fio-randwrite/1` (taken under fio on a
//! 2-vCPU VM); `live` reads this host. Parser benches run on the same captured text.

#![allow(clippy::expect_used)] // a bench that cannot read its fixture should stop loudly

use std::path::{Path, PathBuf};

use divan::{Bencher, black_box};
use sonde::analyze::use_method;
use sonde::collect::host::{self, HostSample};
use sonde::collect::procfs::{diskstats, meminfo, net_dev, stat};
use sonde::env::Env;
use sonde::model::host::model;

fn main() {
    divan::main();
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures/fio-randwrite")
        .join(rel)
}

fn sample_of(dir: &Path) -> HostSample {
    let env = Env::replay(dir).expect("fixture");
    host::sample(&env).expect("sample")
}

/// Collect + model + USE table on the captured tree.
#[divan::bench]
fn full_sample_fixture(bencher: Bencher) {
    let prev = sample_of(&fixture("0"));
    let page = 4096;
    bencher
        .with_inputs(|| Env::replay(&fixture("1")).expect("fixture"))
        .bench_local_values(|env| {
            let curr = host::sample(&env).expect("sample");
            let m = model(&prev, &curr, page).expect("interval");
            black_box(use_method::table(&curr, &m))
        });
}

/// Collect + model + USE table on the running host.
#[divan::bench]
fn full_sample_live(bencher: Bencher) {
    let env = Env::live();
    let prev = host::sample(&env).expect("sample");
    // Make sure /proc/uptime (10 ms resolution) has advanced past `prev`.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let page = env.facts().page_size_bytes;
    bencher.bench_local(|| {
        let curr = host::sample(&env).expect("sample");
        let m = model(&prev, &curr, page).expect("interval");
        black_box(use_method::table(&curr, &m))
    });
}

fn text(rel: &str) -> String {
    std::fs::read_to_string(fixture(rel)).expect("fixture file")
}

#[divan::bench]
fn parse_proc_stat(bencher: Bencher) {
    let t = text("1/proc/stat");
    bencher
        .counter(divan::counter::BytesCount::new(t.len()))
        .bench(|| stat::parse(black_box(&t)));
}

#[divan::bench]
fn parse_diskstats(bencher: Bencher) {
    let t = text("1/proc/diskstats");
    bencher
        .counter(divan::counter::BytesCount::new(t.len()))
        .bench(|| diskstats::parse(black_box(&t)));
}

#[divan::bench]
fn parse_meminfo(bencher: Bencher) {
    let t = text("1/proc/meminfo");
    bencher
        .counter(divan::counter::BytesCount::new(t.len()))
        .bench(|| meminfo::parse(black_box(&t)));
}

#[divan::bench]
fn parse_net_dev(bencher: Bencher) {
    let t = text("1/proc/net/dev");
    bencher
        .counter(divan::counter::BytesCount::new(t.len()))
        .bench(|| net_dev::parse(black_box(&t)));
}
