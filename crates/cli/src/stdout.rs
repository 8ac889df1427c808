//! Printing results that ends quietly when the reader goes away
//! (`insights list | head`): Rust ignores SIGPIPE, so `println!` would
//! panic with "failed printing to stdout: Broken pipe".

use std::io::{ErrorKind, Write};

/// Writes to stdout; a closed pipe ends the process with success, as it
/// does for other command-line tools, and any other failure is reported.
pub fn write(args: std::fmt::Arguments) {
    if let Err(error) = std::io::stdout().lock().write_fmt(args) {
        if error.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {error}");
        std::process::exit(2);
    }
}

/// Whether an error (a result written with `?`) is the reader going away.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == ErrorKind::BrokenPipe))
}
