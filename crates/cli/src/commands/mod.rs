//! One function per subcommand: ask `settings` for what to do, call the
//! libraries, print. Grouped by what the commands work on.

mod catalog;
mod cluster;
mod generate;
mod results;
mod run;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::settings::Settings;

pub async fn dispatch(cli: Cli) -> Result<()> {
    crate::logging::init(cli.global.verbose);
    let settings = Settings::load(&cli.global)?;
    match cli.command {
        Command::Run(args) => run::run(&settings, args).await,
        Command::Submit(args) => run::submit(&settings, args).await,
        Command::Ingest(args) => run::ingest(&settings, args).await,
        Command::List => catalog::list(&settings),
        Command::Show { name } => catalog::show(&settings, &name).await,
        Command::Check => catalog::check(&settings).await,
        Command::Lock => catalog::lock(&settings),
        Command::New { name, from } => catalog::new_insight(&settings, &name, from.as_deref()),
        Command::Query { statement, output, format } => results::query(&settings, &statement, &output, format).await,
        Command::Shell { output, format } => results::shell(&settings, &output, format).await,
        Command::Report { output } => results::report(&settings, &output).await,
        Command::Runs { output, keep } => results::runs(&settings, &output, keep).await,
        Command::Diff { run_a, run_b, output, tolerance } => {
            results::diff(&settings, (&run_a, &run_b), &output, tolerance).await
        }
        Command::Generate { lines, output, seed, format } => generate::generate(lines, &output, seed, format),
        Command::Scheduler(args) => cluster::scheduler(&settings, args).await,
        Command::Executor(args) => cluster::executor(&settings, args).await,
        Command::Certs { out, hosts, force } => cluster::certs(&out, &hosts, force),
    }
}

/// `out` + `curated` -> `out/curated`, as the user wrote the location.
fn display_location(base: &str, relative: &str) -> String {
    format!("{}/{relative}", base.trim_end_matches('/'))
}
