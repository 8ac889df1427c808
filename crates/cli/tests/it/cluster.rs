//! The cluster model: a scheduler and two executors as separate processes,
//! input and results on a real S3 server, the client only submitting.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use insights_local_cluster::LocalCluster;

use crate::util::cluster;
use crate::util::s3::{ACCESS_KEY, S3Server, SECRET_KEY};
use crate::util::shared;

/// The UCI data on a test S3 server and a two-executor cluster; executors
/// that `share_work_dir` read each other's shuffle files from disk instead
/// of over Arrow Flight; with `tls`, certificates from this directory.
async fn cluster_with_data(dir: &Path, share_work_dir: bool, tls: Option<PathBuf>) -> (S3Server, LocalCluster) {
    let server = S3Server::start(&["shop"]).await;
    std::fs::write(dir.join("insights.yaml"), server.config_yaml()).unwrap();
    let data = std::fs::read(shared().join("datasets/online_retail.parquet")).unwrap();
    server.location("s3://shop/").write("exports/online_retail.parquet", data).await.unwrap();
    let mut spec = cluster::spec(dir, 2);
    spec.shared_work_dir = share_work_dir.then(|| dir.join("executors"));
    spec.tls_dir = tls;
    (server, cluster::launch(&spec))
}

/// Every channel under mutual TLS: client, scheduler, executors fetching
/// each other's shuffle files over Arrow Flight.
#[tokio::test(flavor = "multi_thread")]
async fn a_tls_cluster_of_two_executors_matches_the_golden_tables() {
    let dir = tempfile::tempdir().unwrap();
    let certs = cluster::make_certs(dir.path(), "certs");
    let (server, cluster) = cluster_with_data(dir.path(), false, Some(certs.clone())).await;
    let mut args = vec!["submit", "--scheduler", &cluster.url, "--input", "s3://shop/exports/", "--output"];
    args.push("s3://shop/cluster");
    let tls = insights_local_cluster::tls_args(&certs, "client");
    args.extend(tls.iter().map(String::as_str));
    let stdout = server.insights(dir.path(), &args).ok();
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
    let (server, mut cluster) = cluster_with_data(dir.path(), true, None).await;
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
        &[
            "submit",
            "--scheduler",
            &scheduler,
            "--connect-timeout",
            "1",
            "--input",
            sample.to_str().unwrap(),
            "--output",
            "out",
        ],
    )
    .err();
    assert!(err.contains(&format!("cannot reach the scheduler at 127.0.0.1:{port} within 1 s")), "{err}");
    assert!(err.contains("Connection refused"), "{err}");
    assert!(!dir.path().join("out/manifest.json").exists());
    let err = crate::util::insights(
        dir.path(),
        &["submit", "--scheduler", "scheduler-host", "--input", sample.to_str().unwrap()],
    )
    .err();
    assert!(err.contains("scheduler `scheduler-host`: expected df://HOST:PORT"), "{err}");
    let err = crate::util::insights(dir.path(), &["submit", "--input", sample.to_str().unwrap()]).err();
    assert!(err.contains("submit needs --scheduler"), "{err}");
    // The config file's scheduler is used when no flag is given.
    std::fs::write(
        dir.path().join("insights.yaml"),
        format!("cluster:\n  scheduler: {scheduler}\n  connect_timeout: 1\n"),
    )
    .unwrap();
    let err =
        crate::util::insights(dir.path(), &["submit", "--input", sample.to_str().unwrap(), "--output", "out"]).err();
    assert!(err.contains(&format!("cannot reach the scheduler at 127.0.0.1:{port} within 1 s")), "{err}");
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

/// A TLS cluster refuses, each with one clear line and nothing committed:
/// plain text, a client certificate another CA signed, an executor without
/// a certificate; and a TLS client without a certificate of its own gets
/// nothing from the scheduler or an executor's Flight port. Secrets (the S3
/// secret, the key files) appear in no log, even at `-vv`.
#[tokio::test(flavor = "multi_thread")]
async fn a_tls_cluster_refuses_whoever_lacks_a_certificate_its_ca_signed() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let certs = cluster::make_certs(dir.path(), "certs");
    let other = cluster::make_certs(dir.path(), "other-ca");
    let mode = std::fs::metadata(certs.join("client.key")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "keys are readable by their owner only");
    let out = certs.display().to_string();
    let err = crate::util::insights(dir.path(), &["certs", "--out", &out, "--hosts", "scheduler"]).err();
    assert!(err.contains("pass --force"), "{err}");

    let server = S3Server::start(&["shop"]).await;
    std::fs::write(dir.path().join("insights.yaml"), server.config_yaml()).unwrap();
    let mut spec = cluster::spec(dir.path(), 1);
    spec.tls_dir = Some(certs.clone());
    spec.global_args = vec!["-vv".into()];
    let cluster = cluster::launch(&spec);
    let sample = crate::util::repo().join("data/online_retail_sample.csv.gz");
    let submit = |output: &str, tls: &[String]| {
        let mut args = vec!["-vv", "submit", "--scheduler", &cluster.url, "--connect-timeout", "5", "--input"];
        args.extend([sample.to_str().unwrap(), "--output", output]);
        args.extend(tls.iter().map(String::as_str));
        server.insights(dir.path(), &args)
    };

    let done = submit("s3://shop/tls", &insights_local_cluster::tls_args(&certs, "client"));
    assert!(done.success(), "{}", done.stderr());
    assert!(server.location("s3://shop/tls").read("manifest.json").await.is_ok());

    let plain = submit("s3://shop/plain", &[]).err();
    assert!(plain.contains("refused the connection"), "{plain}");
    let foreign = submit("s3://shop/foreign", &insights_local_cluster::tls_args(&other, "client")).err();
    assert!(foreign.contains("refused the connection"), "{foreign}");
    for output in ["plain", "foreign"] {
        let committed = server.location(&format!("s3://shop/{output}")).list().await.unwrap_or_default();
        assert!(committed.is_empty(), "nothing is written for a refused client: {committed:?}");
    }

    let port = cluster.url.rsplit(':').next().unwrap();
    let executor = crate::util::insights(
        dir.path(),
        &["executor", "--scheduler", &format!("127.0.0.1:{port}"), "--connect-timeout", "5", "--port", "0"],
    )
    .err();
    assert!(executor.contains("refused the connection"), "{executor}");
    assert_eq!(executor.lines().filter(|l| l.starts_with("error")).count(), 1, "{executor}");

    // A client that trusts the CA but has no certificate of its own is cut
    // off by both services; with the client certificate the same requests
    // reach them (and get the services' own answers).
    let ca = tonic::transport::Certificate::from_pem(std::fs::read(certs.join("ca.crt")).unwrap());
    let anonymous = tonic::transport::ClientTlsConfig::new().ca_certificate(ca.clone());
    let identity = tonic::transport::Identity::from_pem(
        std::fs::read(certs.join("client.crt")).unwrap(),
        std::fs::read(certs.join("client.key")).unwrap(),
    );
    let trusted = tonic::transport::ClientTlsConfig::new().ca_certificate(ca).identity(identity);
    let scheduler_port: u16 = port.parse().unwrap();
    let flight_port = cluster.flight_ports[0];
    for (tls, admitted) in [(anonymous, false), (trusted, true)] {
        let endpoint = |port: u16| {
            let endpoint = tonic::transport::Endpoint::from_shared(format!("https://localhost:{port}")).unwrap();
            endpoint.tls_config(tls.clone()).unwrap()
        };
        // A transport failure carries its cause; a service's answer does not.
        let reached = |status: &tonic::Status| std::error::Error::source(status).is_none();
        let job_status = match endpoint(scheduler_port).connect().await {
            Err(_) => false,
            Ok(channel) => {
                let mut client =
                    ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient::new(channel);
                let request = ballista_core::serde::protobuf::GetJobStatusParams { job_id: "x".into() };
                client.get_job_status(request).await.as_ref().map_or_else(reached, |_| true)
            }
        };
        assert_eq!(job_status, admitted, "the scheduler with a client certificate: {admitted}");
        let do_get = match endpoint(flight_port).connect().await {
            Err(_) => false,
            Ok(channel) => {
                let ticket = arrow_flight::Ticket::new("not a partition");
                match arrow_flight::FlightClient::new(channel).do_get(ticket).await {
                    Ok(_) => true,
                    Err(arrow_flight::error::FlightError::Tonic(status)) => reached(&status),
                    Err(other) => panic!("{other:?}"),
                }
            }
        };
        assert_eq!(do_get, admitted, "an executor's Flight service with a client certificate: {admitted}");
    }

    drop(cluster);
    let mut logs = done.stderr();
    for entry in std::fs::read_dir(dir.path().join("cluster-logs")).unwrap() {
        logs.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(logs.contains("debug"), "the logs are at -vv");
    assert!(!logs.contains(SECRET_KEY), "the S3 secret is in a log");
    for key in ["client.key", "scheduler.key", "executor-1.key", "ca.key"] {
        let text = std::fs::read_to_string(certs.join(key)).unwrap();
        let body = text.lines().find(|l| !l.starts_with("-----")).unwrap();
        assert!(!logs.contains(body), "{key} is in a log");
    }
}

/// Executors started before their scheduler wait for it and join; a
/// scheduler restarted between two runs gets its executors back.
#[test]
fn executors_join_a_scheduler_started_later_or_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let port = insights_local_cluster::ports::free_port();
    let binary = env!("CARGO_BIN_EXE_insights");
    let start = |args: &[String], log: &str| {
        let log = std::fs::File::create(dir.path().join(log)).unwrap();
        Command::new(binary).args(args).current_dir(dir.path()).stdout(Stdio::null()).stderr(log).spawn().unwrap()
    };
    let mut executors: Vec<_> = (0..2)
        .map(|n| {
            let (flight, grpc) = (insights_local_cluster::ports::free_port(), insights_local_cluster::ports::free_port());
            let args = format!(
                "executor --scheduler 127.0.0.1:{port} --port {flight} --grpc-port {grpc} --concurrent-tasks 1 --work-dir executors"
            );
            start(&args.split(' ').map(String::from).collect::<Vec<_>>(), &format!("executor-{n}.log"))
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_secs(6));
    let waiting = std::fs::read_to_string(dir.path().join("executor-0.log")).unwrap();
    assert!(waiting.contains(&format!("waiting for the scheduler at 127.0.0.1:{port}")), "{waiting}");
    let scheduler_args: Vec<String> = format!("scheduler --port {port}").split(' ').map(String::from).collect();
    let sample = crate::util::repo().join("data/online_retail_sample.csv.gz");
    let url = format!("df://127.0.0.1:{port}");
    let submit = |output: &str| {
        crate::util::insights(
            dir.path(),
            &["submit", "--scheduler", &url, "--input", sample.to_str().unwrap(), "--output", output, "--no-report"],
        )
    };
    let mut scheduler = start(&scheduler_args, "scheduler.log");
    let first = submit("first");
    let _ = scheduler.kill();
    let _ = scheduler.wait();
    let mut scheduler = start(&scheduler_args, "scheduler-again.log");
    let second = submit("second");
    let _ = scheduler.kill();
    let _ = scheduler.wait();
    for executor in &mut executors {
        assert!(executor.try_wait().unwrap().is_none(), "an executor stopped with its scheduler");
        let _ = executor.kill();
        let _ = executor.wait();
    }
    first.ok();
    second.ok();
    assert!(dir.path().join("second/manifest.json").exists());
}

/// Beyond loopback without TLS a service is open to anyone: it starts only
/// with `--insecure`.
#[test]
fn a_service_open_to_the_network_needs_certificates_or_insecure() {
    let dir = tempfile::tempdir().unwrap();
    for args in [["scheduler", "--bind", "0.0.0.0", "--port", "0"], ["executor", "--bind", "0.0.0.0", "--port", "0"]] {
        let err = crate::util::insights(dir.path(), &args).err();
        assert!(err.contains("without TLS") && err.contains("--insecure"), "{err}");
    }
    let certs = cluster::make_certs(dir.path(), "certs");
    let mut args: Vec<String> = ["scheduler", "--bind", "0.0.0.0", "--port", "0", "--tls-ca"].map(String::from).into();
    args.push(certs.join("ca.crt").display().to_string());
    let err = crate::util::insights(dir.path(), &args.iter().map(String::as_str).collect::<Vec<_>>()).err();
    assert!(err.contains("all three of --tls-ca, --tls-cert and --tls-key"), "{err}");
    let key = certs.join("scheduler.key").display().to_string();
    let cert = certs.join("scheduler.crt").display().to_string();
    let wrong = ["scheduler", "--tls-ca", &key, "--tls-cert", &cert, "--tls-key", &key];
    let err = crate::util::insights(dir.path(), &wrong).err();
    assert!(err.contains("expected the cluster CA's certificate in PEM form"), "{err}");
    assert!(!err.contains("PRIVATE KEY"), "key material in an error: {err}");
}
