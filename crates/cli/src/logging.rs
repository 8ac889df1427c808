//! A minimal stderr logger for the `log` records of DataFusion, Ballista
//! and our crates. Deliberately tiny: a logging crate would switch on
//! `log`'s `std` feature and rebuild the whole DataFusion stack for nothing.

use log::{Level, LevelFilter, Log, Metadata, Record};

struct StderrLogger {
    level: LevelFilter,
    /// Only our crates log; the engine's crates are silent unless asked
    /// for (`-vv`, `INSIGHTS_LOG`): what they warn about is internal, and
    /// every failure reaches the user as an error anyway.
    ours_only: bool,
}

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        let ours = metadata.target().starts_with("insights");
        let level = if self.ours_only && !ours { LevelFilter::Off } else { self.level };
        metadata.level() <= level
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            let tag = match record.level() {
                Level::Error => "error",
                Level::Warn => "warning",
                Level::Info => "info",
                Level::Debug => "debug",
                Level::Trace => "trace",
            };
            eprintln!("{tag}: [{}] {}", record.target(), record.args());
        }
    }

    fn flush(&self) {}
}

/// `-v` shows our info messages, `-vv` everything at debug level;
/// `INSIGHTS_LOG=info|debug|trace` sets the level for every crate.
pub fn init(verbose: u8) {
    let from_env = std::env::var("INSIGHTS_LOG").ok().and_then(|v| v.parse::<LevelFilter>().ok());
    let logger = match (from_env, verbose) {
        (Some(level), _) => StderrLogger { level, ours_only: false },
        (None, 0) => StderrLogger { level: LevelFilter::Warn, ours_only: true },
        (None, 1) => StderrLogger { level: LevelFilter::Info, ours_only: true },
        (None, _) => StderrLogger { level: LevelFilter::Debug, ours_only: false },
    };
    let max = logger.level;
    if log::set_logger(Box::leak(Box::new(logger))).is_ok() {
        log::set_max_level(max);
    }
}
