//! One full TUI refresh: collect (host sample + process scan + fill of the visible rows),
//! model, USE table, `App::update`, and drawing the whole screen into a ratatui `Buffer`.
//! Budget (DESIGN.md): ≤ 10 ms of CPU per refresh at 2,000 processes.
//!
//! `fixture_2000` replays `tests/it/fixtures/tui-2000` (2,000 sleeping processes on a 2-vCPU
//! VM, captured with host data by `bin/make-tui-fixture 2000`): the previous refresh is set up
//! untimed, the timed part is the next one. A replay opens and reads files by path, while the
//! live scanner keeps /proc/PID/stat open and preads it, so `live` is the figure that matches
//! a real run (it measures whatever processes this host has).

#![allow(clippy::expect_used)] // a bench that cannot read its fixture should stop loudly

use std::path::Path;

use divan::{Bencher, black_box};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use sonde::cmd::top::Collector;
use sonde::env::Env;
use sonde::render::tui::app::App;
use sonde::render::tui::event::Msg;
use sonde::render::tui::theme::Theme;

fn main() {
    divan::main();
}

const SIZE: (u16, u16) = (200, 50);
const THEME: Theme = Theme {
    color: true,
    unicode: true,
};

fn draw(app: &App) -> Buffer {
    let area = Rect::new(0, 0, SIZE.0, SIZE.1);
    let mut buf = Buffer::empty(area);
    app.render(area, &mut buf);
    buf
}

#[divan::bench(sample_count = 30, sample_size = 1)]
fn fixture_2000(bencher: Bencher) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/tui-2000");
    bencher
        .with_inputs(|| {
            let env = Env::replay(&dir).expect("fixture");
            let mut c = Collector::new(&env);
            let mut app = App::new(THEME, false, Vec::new(), 1.0, SIZE);
            let f = c.frame(&env, &app.wanted()).expect("frame 0");
            app.update(Msg::Sample(Box::new(f)));
            (env, c, app)
        })
        .bench_local_values(|(env, mut c, mut app)| {
            let f = c.frame(&env, &app.wanted()).expect("frame 1");
            app.update(Msg::Sample(Box::new(f)));
            black_box(draw(&app))
        });
}

#[divan::bench(sample_count = 30, sample_size = 1)]
fn live(bencher: Bencher) {
    let env = Env::live();
    let mut c = Collector::new(&env);
    let mut app = App::new(THEME, false, Vec::new(), 1.0, SIZE);
    // Two refreshes first, so files are open and the visible rows are known.
    for _ in 0..2 {
        let f = c.frame(&env, &app.wanted()).expect("frame");
        app.update(Msg::Sample(Box::new(f)));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    bencher.bench_local(|| {
        let f = c.frame(&env, &app.wanted()).expect("frame");
        app.update(Msg::Sample(Box::new(f)));
        black_box(draw(&app))
    });
}
