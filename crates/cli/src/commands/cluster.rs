//! `scheduler` and `executor`: the long-running processes of a cluster.

use std::path::Path;

use anyhow::Result;

use crate::cli::{ExecutorArgs, SchedulerArgs};
use crate::settings::Settings;

pub async fn scheduler(settings: &Settings, args: SchedulerArgs) -> Result<()> {
    let options = settings.scheduler_options(args)?;
    let (bind_host, external_host) = (options.bind_host.clone(), options.external_host.clone());
    let scheduler = insights_engine::bind_scheduler(options).await?;
    let port = scheduler.port();
    let tls = if scheduler.uses_tls() { ", mutual TLS" } else { "" };
    eprintln!("scheduler listening on {bind_host}:{port} (df://{external_host}:{port}{tls})");
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

pub fn certs(out: &Path, hosts: &[String], force: bool) -> Result<()> {
    let written = insights_engine::write_cluster_certs(out, hosts, force)?;
    for path in &written {
        outln!("wrote {}", path.display());
    }
    outln!(
        "give each process its HOST.crt and HOST.key with ca.crt ({}.crt for submit); keep ca.key off the cluster",
        insights_engine::CLIENT_NAME
    );
    Ok(())
}
