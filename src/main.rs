//! The `sonde` binary: parse the command line, run, map the outcome to an exit code
//! (documented in `sonde --help`).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = sonde::cli::Cli::parse();
    match sonde::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sonde: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// A reader that went away (`sonde use 1 | head`) is a normal end, not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
