//! `insights`: customer purchase behaviour analytics for online shops.
//! The binary is glue: argument parsing and printing; the work lives in the
//! library crates.

/// `print!` to stdout that ends quietly on a closed pipe (see `output.rs`).
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::write(format_args!($($arg)*)) };
}

/// `println!` to stdout that ends quietly on a closed pipe (see `output.rs`).
macro_rules! outln {
    () => { $crate::output::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::write(format_args!("{}\n", format_args!($($arg)*))) };
}

mod cli;
mod commands;
mod config;
mod logging;
mod output;
mod settings;
mod shell;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc, as datafusion-cli uses: with the system allocator, the many
/// threads of a query fragment the heap, and a run under `--memory-limit`
/// held far more resident memory than its pool accounted for.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime starts");
    // Ctrl-C stops the command here: the in-process Ballista executor also
    // listens for it, and would otherwise stop alone and leave a run waiting.
    let interruptible = async {
        tokio::select! {
            result = commands::dispatch(cli) => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        }
    };
    let outcome = runtime.block_on(interruptible);
    // Tasks of an in-process executor may outlive an interrupted or failed
    // run; once they stopped, nothing of that run remains on disk.
    runtime.shutdown_timeout(std::time::Duration::from_secs(10));
    insights_engine::remove_unfinished_runs();
    match outcome {
        None => {
            eprintln!("interrupted");
            ExitCode::from(130)
        }
        Some(Ok(())) => ExitCode::SUCCESS,
        Some(Err(error)) if output::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Some(Err(error)) => {
            eprintln!("error: {error}");
            let mut previous = error.to_string();
            for cause in error.chain().skip(1) {
                let text = cause.to_string();
                // Libraries often repeat their cause in their own message.
                if !previous.contains(&text) {
                    eprintln!("  caused by: {text}");
                }
                previous = text;
            }
            ExitCode::from(2)
        }
    }
}
