//! One module per subcommand: each turns flags into behaviour by wiring the layers.

pub mod capture;
pub mod interval;
pub mod io;
pub mod offcpu;
pub mod report;
pub mod top;
pub mod views;

use std::io::{IsTerminal, Write};

use anyhow::Context as _;

use crate::cli::{self, Cli, Command};
use crate::env::Env;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let env = match &cli.global.root {
        Some(dir) => Env::replay(dir).with_context(|| format!("--root {}", dir.display()))?,
        None => Env::live(),
    };
    let stdout = std::io::stdout();
    let color = !cli.global.json && color_tui(&cli) && stdout.is_terminal();
    let mut out = stdout.lock();
    let opts = report::Options {
        json: cli.global.json,
        color,
    };
    match cli.command {
        None => {
            drop(out);
            top_run(env, color_tui(&cli), cli.top)
        }
        Some(Command::Top { top }) => {
            drop(out);
            top_run(env, color_tui(&cli), top)
        }
        Some(Command::Use { repeat, explain }) => {
            report::run(&env, &opts, repeat, &views::Use { explain }, &mut out)
        }
        Some(Command::Cpu { repeat }) => report::run(&env, &opts, repeat, &views::Cpu, &mut out),
        Some(Command::Mem { repeat }) => report::run(&env, &opts, repeat, &views::Mem, &mut out),
        Some(Command::Disk { repeat }) => report::run(&env, &opts, repeat, &views::Disk, &mut out),
        Some(Command::Net { repeat }) => report::run(&env, &opts, repeat, &views::Net, &mut out),
        Some(Command::Io {
            repeat,
            procs,
            active,
            delayacct,
        }) => {
            let args = io::IoArgs {
                threads: procs.threads,
                active,
                pids: procs.pids,
                enable_delayacct: delayacct.enable_delayacct,
            };
            io::run(&env, &opts, repeat, &args, &mut out)
        }
        Some(Command::Offcpu {
            repeat,
            procs,
            all,
            delayacct,
        }) => {
            let args = offcpu::OffcpuArgs {
                threads: procs.threads,
                pids: procs.pids,
                all,
                enable_delayacct: delayacct.enable_delayacct,
            };
            offcpu::run(&env, &opts, repeat, &args, &mut out)
        }
        Some(Command::Capture {
            dir,
            processes,
            repeat,
        }) => capture::run(&dir, processes, repeat),
        Some(Command::Completions { shell }) => {
            let mut cmd = crate::cli::command();
            clap_complete::generate(shell, &mut cmd, "sonde", &mut out);
            Ok(out.flush()?)
        }
        Some(Command::Man) => {
            out.write_all(&crate::cli::man_page()?)?;
            Ok(out.flush()?)
        }
    }
}

/// The TUI colours whenever the user did not turn colour off (it always runs on a terminal).
fn color_tui(cli: &Cli) -> bool {
    !cli.global.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn top_run(env: Env, color: bool, a: cli::TopArgs) -> anyhow::Result<()> {
    top::run(
        env,
        top::Options {
            delay_secs: a.delay,
            read_only: a.read_only,
            ascii: a.ascii,
            color,
        },
    )
}
