//! `scheduler` and `executor`: the long-running processes of a cluster.

use anyhow::Result;

use crate::cli::{ExecutorArgs, SchedulerArgs};
use crate::settings::Settings;

pub async fn scheduler(settings: &Settings, args: SchedulerArgs) -> Result<()> {
    let options = settings.scheduler_options(args);
    let (bind_host, external_host) = (options.bind_host.clone(), options.external_host.clone());
    let scheduler = insights_engine::bind_scheduler(options).await?;
    let port = scheduler.port();
    eprintln!("scheduler listening on {bind_host}:{port} (df://{external_host}:{port})");
    Ok(scheduler.serve().await?)
}

pub async fn executor(settings: &Settings, args: ExecutorArgs) -> Result<()> {
    let options = settings.executor_options(args)?;
    eprintln!(
        "executor on {}:{} with {} task slots, registering with {}:{}",
        options.bind_host, options.port, options.concurrent_tasks, options.scheduler_host, options.scheduler_port
    );
    Ok(insights_engine::serve_executor(options).await?)
}
