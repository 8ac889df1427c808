//! The cluster model: a scheduler and two executors as separate processes,
//! input and results on a real S3 server, the client only submitting.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use insights_local_cluster::LocalCluster;

use crate::util::cluster;
use crate::util::s3::{ACCESS_KEY, S3Server, SECRET_KEY};
use crate::util::shared;

/// The UCI data on a test S3 server and a two-executor cluster; executors
/// that `share_work_dir` read each other's shuffle files from disk instead
/// of over Arrow Flight.
async fn cluster_with_data(dir: &std::path::Path, share_work_dir: bool) -> (S3Server, LocalCluster) {
    let server = S3Server::start(&["shop"]).await;
    std::fs::write(dir.join("insights.yaml"), server.config_yaml()).unwrap();
    let data = std::fs::read(shared().join("datasets/online_retail.parquet")).unwrap();
    server.location("s3://shop/").write("exports/online_retail.parquet", data).await.unwrap();
    let cluster = cluster::start(dir, 2, share_work_dir);
    (server, cluster)
}

#[tokio::test(flavor = "multi_thread")]
async fn submit_to_a_two_executor_cluster_matches_the_golden_tables() {
    let dir = tempfile::tempdir().unwrap();
    let (server, cluster) = cluster_with_data(dir.path(), false).await;
    let stdout = server
        .insights(
            dir.path(),
            &["submit", "--scheduler", &cluster.url, "--input", "s3://shop/exports/", "--output", "s3://shop/cluster"],
        )
        .ok();
    assert!(stdout.contains("541,909 raw = 536,641 kept"), "{stdout}");
    let output = server.location("s3://shop/cluster");
    let manifest = insights_engine::Manifest::read(&output).await.unwrap();
    assert_eq!(manifest.engine, cluster.url);
    assert_eq!(manifest.ingested_on, "cluster", "Parquet on S3 is read by the executors, not the client");
    let curated = server.location(&format!("s3://shop/cluster/{}", manifest.curated)).list().await.unwrap();
    assert!(curated.iter().any(|f| f.starts_with("transactions/year_month=2011-12/")), "{curated:?}");
    assert!(
        curated.iter().any(|f| f.starts_with("quarantine/")) && curated.contains(&"ingest_summary.json".to_string())
    );
    crate::util::assert_matches_golden(&output).await;

    // In-process on the same input: the same tables, bit for bit.
    server.insights(dir.path(), &["run", "--input", "s3://shop/exports/", "--output", "s3://shop/standalone"]).ok();
    let diff = server
        .insights(
            dir.path(),
            &["diff", "latest", "s3://shop/standalone", "--output", "s3://shop/cluster", "--tolerance", "0"],
        )
        .ok();
    assert!(diff.contains(&format!("0 of {} tables changed", manifest.insights.len())), "{diff}");
}

#[tokio::test(flavor = "multi_thread")]
async fn losing_an_executor_mid_run_never_leaves_a_half_written_result() {
    let dir = tempfile::tempdir().unwrap();
    // Executors on one machine sharing their work dir, as the benchmark (`insights-bench`)
    // runs them: the golden tables come out the same either way.
    let (server, mut cluster) = cluster_with_data(dir.path(), true).await;
    let args = ["submit", "--scheduler", &cluster.url, "--input", "s3://shop/exports/", "--output", "s3://shop/faults"];
    // A first committed run, which the faulty one must leave readable.
    server.insights(dir.path(), &args).ok();
    let output = server.location("s3://shop/faults");
    let before = insights_engine::Manifest::read(&output).await.unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_insights"))
        .args(args)
        .current_dir(dir.path())
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = String::new();
    // Kill an executor (SIGKILL) as soon as the first insight is done.
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("done ") {
            let executor = &mut cluster.executors[0];
            executor.kill().unwrap();
            executor.wait().unwrap();
            break;
        }
    }
    for line in lines {
        seen.push_str(&line.unwrap());
        seen.push('\n');
    }
    let status = child.wait().unwrap();
    let after = insights_engine::Manifest::read(&output).await.unwrap();
    if status.success() {
        println!("the run survived the lost executor");
        assert_ne!(after.run_id, before.run_id);
        crate::util::assert_matches_golden(&output).await;
    } else {
        println!("the run failed cleanly:\n{seen}");
        assert!(
            seen.contains("error: run failed; the last committed results in s3://shop/faults are unchanged"),
            "{seen}"
        );
        assert_eq!(after, before, "a failed run must not touch the committed manifest");
        crate::util::assert_matches_golden(&output).await;
    }
}

#[test]
fn an_unreachable_scheduler_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let sample = crate::util::repo().join("data/online_retail_sample.csv.gz");
    let scheduler = format!("df://127.0.0.1:{port}");
    let err = crate::util::insights(
        dir.path(),
        &["submit", "--scheduler", &scheduler, "--input", sample.to_str().unwrap(), "--output", "out"],
    )
    .err();
    assert!(err.contains(&format!("cannot reach the scheduler at {scheduler}: Connection refused")), "{err}");
    assert!(!dir.path().join("out/manifest.json").exists());
    let err = crate::util::insights(
        dir.path(),
        &["submit", "--scheduler", "scheduler-host", "--input", sample.to_str().unwrap()],
    )
    .err();
    assert!(err.contains("cannot reach the scheduler at scheduler-host: expected df://HOST:PORT"), "{err}");
    let err = crate::util::insights(dir.path(), &["submit", "--input", sample.to_str().unwrap()]).err();
    assert!(err.contains("submit needs --scheduler"), "{err}");
    // The config file's scheduler is used when no flag is given.
    std::fs::write(dir.path().join("insights.yaml"), format!("cluster:\n  scheduler: {scheduler}\n")).unwrap();
    let err =
        crate::util::insights(dir.path(), &["submit", "--input", sample.to_str().unwrap(), "--output", "out"]).err();
    assert!(err.contains(&format!("cannot reach the scheduler at {scheduler}")), "{err}");
}

#[test]
fn a_cluster_without_executors_says_so_while_it_waits() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = cluster::start(dir.path(), 0, false);
    let sample = crate::util::repo().join("data/online_retail_sample.csv.gz");
    let mut child = Command::new(env!("CARGO_BIN_EXE_insights"))
        .args(["submit", "--scheduler", &cluster.url, "--input", sample.to_str().unwrap(), "--output", "out"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || BufReader::new(stderr).lines().map_while(Result::ok).try_for_each(|l| lines.send(l)));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut seen = String::new();
    while let Ok(line) = received.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("no executor has run a task") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen.contains(&format!(
            "is an executor (`insights executor --scheduler …`) running and registered with {}?",
            cluster.url
        )),
        "{seen}"
    );
    assert!(!dir.path().join("out/manifest.json").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cluster_quarantines_unreadable_parquet_rows_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(&["shop"]).await;
    std::fs::write(dir.path().join("insights.yaml"), server.config_yaml()).unwrap();
    let local = dir.path().join("export.parquet");
    let ctx = datafusion::prelude::SessionContext::new();
    ctx.sql(
        "select column1 as \"Invoice\", column2 as \"StockCode\", column3 as \"Description\", column4 as \"Quantity\", \
         to_timestamp(column5) as \"InvoiceDate\", column6 as \"Price\", column7 as \"Customer ID\", column8 as \"Country\" \
         from (values \
           ('536365', '85123A', 'HEART', 6.0, '2010-12-01T08:26:00', 2.55, 17850.0, 'United Kingdom'), \
           ('536365', '85123A', 'HEART', 6.0, '2010-12-01T08:26:00', 2.55, 17850.0, 'United Kingdom'), \
           (null, '71053', 'LANTERN', 6.0, '2010-12-01T08:26:00', 3.39, 17850.0, 'United Kingdom'), \
           ('536366', '22633', 'WARMER', 1.5, '2010-12-01T08:28:00', 1.85, null, 'France'))",
    )
    .await
    .unwrap()
    .write_parquet(local.to_str().unwrap(), Default::default(), None)
    .await
    .unwrap();
    let file = std::fs::read_dir(&local).map(|mut d| d.next().unwrap().unwrap().path()).unwrap_or(local.clone());
    server.location("s3://shop/").write("bad/export.parquet", std::fs::read(file).unwrap()).await.unwrap();
    let cluster = cluster::start(dir.path(), 2, false);
    let stdout = server
        .insights(
            dir.path(),
            &[
                "submit",
                "--scheduler",
                &cluster.url,
                "--input",
                "s3://shop/bad/",
                "--output",
                "s3://shop/out",
                "--only",
                "country_sales",
            ],
        )
        .ok();
    assert!(stdout.contains("4 raw = 1 kept + 1 duplicates + 2 quarantined"), "{stdout}");
    let output = server.location("s3://shop/out");
    let manifest = insights_engine::Manifest::read(&output).await.unwrap();
    assert_eq!(manifest.ingested_on, "cluster");
    let quarantine = format!("{}/quarantine/", output.url_of(&manifest.curated));
    ctx.runtime_env().register_object_store(&output.store_url(), output.store.clone());
    ctx.register_parquet("quarantine", &quarantine, Default::default()).await.unwrap();
    let rows =
        ctx.sql("select reason, source_file from quarantine order by reason").await.unwrap().collect().await.unwrap();
    assert_eq!(
        crate::util::cells(&rows, "reason"),
        [
            crate::util::Cell::Text("invoice_no is empty".into()),
            crate::util::Cell::Text("quantity is not an integer".into())
        ]
    );
    assert_eq!(
        crate::util::cells(&rows, "source_file")[0],
        crate::util::Cell::Text("s3://shop/bad/export.parquet".into())
    );
}

#[test]
fn out_of_range_timeouts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = crate::util::insights(dir.path(), &["scheduler", "--executor-timeout", "2"]).err();
    assert!(err.contains("invalid value '2' for '--executor-timeout <SECONDS>'") && err.contains("5.."), "{err}");
}
