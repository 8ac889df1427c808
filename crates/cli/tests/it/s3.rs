//! Inputs and results on S3: a real S3 server (SeaweedFS) on loopback, the
//! UCI Parquet copy uploaded to it, the full catalog run from and to the
//! bucket, and every table compared with the golden tables.

use crate::util::s3::S3Server;
use crate::util::shared;

#[tokio::test(flavor = "multi_thread")]
async fn run_reads_and_writes_s3_and_matches_the_golden_tables() {
    let shared = shared();
    let server = S3Server::start(&["shop"]).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("insights.yaml"), server.config_yaml()).unwrap();
    let bucket = server.location("s3://shop/");
    let data = std::fs::read(shared.join("datasets/online_retail.parquet")).unwrap();
    bucket.write("exports/online_retail.parquet", data).await.unwrap();

    let run = server.insights(dir.path(), &["run", "--input", "s3://shop/exports/", "--output", "s3://shop/insights"]);
    let stdout = run.ok();
    assert!(stdout.contains("541,909 raw = 536,641 kept + 5,268 duplicates + 0 quarantined"), "{stdout}");
    assert!(stdout.contains("manifest: s3://shop/insights/manifest.json"), "{stdout}");
    assert!(!run.stderr().contains(crate::util::s3::SECRET_KEY) && !stdout.contains(crate::util::s3::SECRET_KEY));
    let output = server.location("s3://shop/insights");
    let manifest = insights_engine::Manifest::read(&output).await.unwrap();
    assert_eq!(manifest.input_files, ["s3://shop/exports/online_retail.parquet"]);
    crate::util::assert_matches_golden(&output).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_to_s3_and_clear_errors_for_bad_locations_and_credentials() {
    let server = S3Server::start(&["shop"]).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("insights.yaml"), server.config_yaml()).unwrap();
    let sample = crate::util::repo().join("data/online_retail_sample.csv.gz");
    let stdout = server.insights(dir.path(), &["ingest", sample.to_str().unwrap(), "--output", "s3://shop/layer"]).ok();
    assert!(stdout.contains("50,720 raw"), "{stdout}");
    let files = server.location("s3://shop/layer/curated").list().await.unwrap();
    assert!(files.contains(&"ingest_summary.json".to_string()), "{files:?}");
    assert!(files.iter().any(|f| f.starts_with("transactions/year_month=2011-11/")), "{files:?}");

    let err = server.insights(dir.path(), &["ingest", "s3://shop/nothing/here.csv", "--output", "out"]).err();
    assert!(err.contains("input not found: s3://shop/nothing/here.csv"), "{err}");
    let err =
        server.insights(dir.path(), &["ingest", sample.to_str().unwrap(), "--output", "s3://no-such-bucket/x"]).err();
    assert!(err.contains("s3://no-such-bucket/x/") && err.contains("the bucket does not exist"), "{err}");

    let wrong = std::process::Command::new(env!("CARGO_BIN_EXE_insights"))
        .args(["ingest", sample.to_str().unwrap(), "--output", "s3://shop/denied"])
        .current_dir(dir.path())
        .env("AWS_ACCESS_KEY_ID", crate::util::s3::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .output()
        .unwrap();
    let err = crate::util::Run { output: wrong }.err();
    assert!(err.contains("s3://shop/denied/") && err.contains("access denied"), "{err}");
    assert!(!err.contains("not-the-secret"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line with the cause: {err}");

    // Credentials from a shared credentials file and profile, not the environment.
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!("[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n[shop]\naws_access_key_id = {}\naws_secret_access_key = {}\n", crate::util::s3::ACCESS_KEY, crate::util::s3::SECRET_KEY),
    )
    .unwrap();
    let from_file = std::process::Command::new(env!("CARGO_BIN_EXE_insights"))
        .args(["ingest", sample.to_str().unwrap(), "--output", "s3://shop/profiled"])
        .current_dir(dir.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_PROFILE", "shop")
        .output()
        .unwrap();
    assert!(crate::util::Run { output: from_file }.ok().contains("50,720 raw"));

    // S3 down: nothing listens on the configured endpoint.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::write(
        dir.path().join("insights.yaml"),
        format!("storage:\n  endpoint: http://127.0.0.1:{closed}\n  allow_http: true\n  region: us-east-1\n"),
    )
    .unwrap();
    let err =
        server.insights(dir.path(), &["run", "--input", sample.to_str().unwrap(), "--output", "s3://shop/down"]).err();
    assert!(err.contains("cannot reach the S3 endpoint"), "{err}");
}
