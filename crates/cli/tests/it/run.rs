//! `insights run`, `list` and the catalog as a user drives them on the
//! bundled sample.

use std::path::Path;

use crate::util::{insights, read_parquet, repo, row_count};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn sample() -> String {
    repo().join("data/online_retail_sample.csv.gz").display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn run_on_the_sample_commits_every_insight_and_leaves_no_temporary_data() {
    let dir = tempfile::tempdir().unwrap();
    let temp = dir.path().join("tmp");
    std::fs::create_dir_all(&temp).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_insights"))
        .args(["run", "--input", &sample(), "--output", "out"])
        .current_dir(dir.path())
        .env("TMPDIR", &temp)
        .output()
        .unwrap();
    let run = crate::util::Run { output };
    let stdout = run.ok();
    assert!(stdout.contains("50,720 raw = "), "{stdout}");
    assert!(stdout.contains("manifest: out/manifest.json"), "{stdout}");
    let manifest = insights_engine::Manifest::load(&dir.path().join("out")).unwrap();
    assert_eq!(manifest.insights.len(), 18);
    assert_eq!(manifest.engine, "standalone");
    assert_eq!(manifest.ingested_on, "client");
    for record in &manifest.insights {
        assert!(stdout.contains(&record.name), "{stdout}");
        assert!(record.path.ends_with(&format!("tables/{}/v{}", record.name, record.version)));
        assert_eq!(record.sha256.len(), 64);
        let batches = read_parquet(&dir.path().join("out").join(&record.path)).await;
        assert_eq!(row_count(&batches) as u64, record.rows, "{}", record.name);
    }
    assert!(manifest.insight("top_products").unwrap().rows > 1000);
    assert_eq!(manifest.parameters["top_customers"]["limit"], 100);
    let leftovers: Vec<_> = std::fs::read_dir(&temp).unwrap().collect();
    assert!(leftovers.is_empty(), "temporary data left behind: {leftovers:?}");
    let staging = dir.path().join(format!("out/runs/{}/staging", manifest.run_id));
    assert!(!staging.exists(), "the materialized staging tables are a cache of the run, removed at its end");
    let shuffle = format!("/dev/shm/insights-{}-shuffle", manifest.run_id);
    assert!(!Path::new(&shuffle).exists(), "{shuffle} left behind");
    let runs: Vec<_> =
        std::fs::read_dir(dir.path().join("out/runs")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(runs, [std::ffi::OsString::from(&manifest.run_id)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_runs_the_insight_and_what_it_reads_and_params_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = insights(
        dir.path(),
        &["run", "--input", &sample(), "--output", "out", "--only", "top_customers", "--param", "limit=7"],
    )
    .ok();
    let manifest = insights_engine::Manifest::load(&dir.path().join("out")).unwrap();
    let names: Vec<&str> = manifest.insights.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["customer_rfm", "top_customers"], "{stdout}");
    assert_eq!(manifest.insight("top_customers").unwrap().rows, 7);

    let err = insights(dir.path(), &["run", "--input", &sample(), "--output", "out", "--param", "limt=7"]).err();
    assert!(err.contains("unknown parameter `limt`") && err.contains("limit (int)"), "{err}");
    let err = insights(dir.path(), &["run", "--input", &sample(), "--output", "out", "--param", "limit=many"]).err();
    assert!(err.contains("--param limit: expected an integer, got `many`"), "{err}");
    let err = insights(dir.path(), &["run", "--input", &sample(), "--output", "out", "--only", "top_customer"]).err();
    assert!(err.contains("unknown insight `top_customer`"), "{err}");
    // The failed runs left the committed one alone.
    assert_eq!(insights_engine::Manifest::load(&dir.path().join("out")).unwrap(), manifest);

    // Nothing to join (no product in the top 0) is an empty table, not a
    // stage that never ends.
    insights(
        dir.path(),
        &["run", "-i", &sample(), "-o", "out", "--only", "product_monthly_trend", "-p", "trend_top_n=0", "--no-report"],
    )
    .ok();
    let manifest = insights_engine::Manifest::load(&dir.path().join("out")).unwrap();
    assert_eq!(manifest.insight("product_monthly_trend").unwrap().rows, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_run_keeps_the_previous_results() {
    let dir = tempfile::tempdir().unwrap();
    insights(dir.path(), &["run", "--input", &sample(), "--output", "out", "--only", "country_sales"]).ok();
    let before = insights_engine::Manifest::load(&dir.path().join("out")).unwrap();
    let sql = dir.path().join("sql");
    copy_dir(&repo().join("sql"), &sql);
    std::fs::write(
        sql.join("broken.sql"),
        "-- name: broken\n-- version: 1\n-- description: fails at run time\nselect no_such_column from sales\n",
    )
    .unwrap();
    let err = insights(dir.path(), &["run", "--sql", "sql", "--input", &sample(), "--output", "out"]).err();
    assert!(err.contains("insight `broken`") && err.contains("broken.sql") && err.contains("no_such_column"), "{err}");
    assert!(err.contains("last committed results in out are unchanged"), "{err}");
    let after = insights_engine::Manifest::load(&dir.path().join("out")).unwrap();
    assert_eq!(before, after);
    let table = dir.path().join("out").join(&after.insights[0].path);
    assert!(row_count(&read_parquet(&table).await) > 0);
    let runs: Vec<_> = std::fs::read_dir(dir.path().join("out/runs")).unwrap().collect();
    assert_eq!(runs.len(), 1, "the failed run left a directory behind");
    // A staging model that fails is named as one.
    std::fs::remove_file(sql.join("broken.sql")).unwrap();
    std::fs::write(
        sql.join("staging/broken_lines.sql"),
        "-- name: broken_lines\n-- version: 1\n-- description: fails\nselect no_such_column from sales\n",
    )
    .unwrap();
    std::fs::write(
        sql.join("reads_broken.sql"),
        "-- name: reads_broken\n-- version: 1\n-- description: reads it\nselect * from broken_lines\n",
    )
    .unwrap();
    let err = insights(dir.path(), &["run", "--sql", "sql", "--input", &sample(), "--output", "out"]).err();
    assert!(err.contains("staging model `broken_lines`") && err.contains("broken_lines.sql"), "{err}");
    assert_eq!(insights_engine::Manifest::load(&dir.path().join("out")).unwrap(), before);
}

#[test]
fn an_interrupted_run_leaves_nothing_behind() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let temp = dir.path().join("tmp");
    std::fs::create_dir_all(&temp).unwrap();
    let input = crate::util::shared().join("datasets/online_retail.parquet");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_insights"))
        .args(["run", "--input", input.to_str().unwrap(), "--output", "out", "--no-report"])
        .current_dir(dir.path())
        .env("TMPDIR", &temp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Ctrl-C once the first insight is written, while others are running.
    let mut seen = String::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("done ") && !seen.contains("interrupting") {
            seen.push_str("interrupting\n");
            std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
        }
    }
    let pid = child.id();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen}");
    // Shuffle files in shared memory (`insights-RUN_ID-shuffle`, the run id
    // ending in the process id) are gone too.
    let shuffle = format!("-{:05}-shuffle", pid % 100_000);
    let shared_memory: Vec<_> = std::fs::read_dir("/dev/shm")
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    assert!(!shared_memory.iter().any(|name| name.ends_with(&shuffle)), "{shared_memory:?}");
    let runs: Vec<_> = std::fs::read_dir(dir.path().join("out/runs")).map(|d| d.collect()).unwrap_or_default();
    assert!(runs.is_empty(), "the interrupted run left {runs:?}");
    assert!(!dir.path().join("out/manifest.json").exists());
    let leftovers: Vec<_> = std::fs::read_dir(&temp).unwrap().collect();
    assert!(leftovers.is_empty(), "temporary data left behind: {leftovers:?}");
}

#[test]
fn runs_lists_the_runs_and_keep_prunes_the_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut ids = Vec::new();
    for _ in 0..3 {
        insights(dir.path(), &["run", "--input", &sample(), "--output", "out", "--only", "country_sales"]).ok();
        ids.push(insights_engine::Manifest::load(&dir.path().join("out")).unwrap().run_id);
    }
    // What a crashed run long ago and one running now leave: no manifest.
    let runs = dir.path().join("out/runs");
    for id in ["20200101T000000000Z-1", &chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ-2").to_string()] {
        std::fs::create_dir_all(runs.join(id).join("tables")).unwrap();
        std::fs::write(runs.join(id).join("tables/part.parquet"), b"partial").unwrap();
    }
    let listed = insights(dir.path(), &["runs", "--output", "out"]).ok();
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 6, "{listed}");
    assert!(lines[1].starts_with("20200101T000000000Z-1") && lines[1].contains("unfinished"), "{listed}");
    assert!(lines[2].starts_with(&ids[0]) && lines[2].contains(" committed "), "{listed}");
    assert!(lines[2].contains("online_retail_sample.csv.gz"), "{listed}");
    assert!(lines[4].starts_with(&ids[2]) && lines[4].contains(" latest "), "{listed}");
    assert!(lines[5].ends_with(" unfinished        -"), "{listed}");

    let pruned = insights(dir.path(), &["runs", "--output", "out", "--keep", "2"]).ok();
    let removed =
        format!("removed 20200101T000000000Z-1 (unfinished)\nremoved {} (committed)\nremoved 2 runs\n", ids[0]);
    assert!(pruned.starts_with(&removed), "{pruned}");
    let mut left: Vec<String> =
        std::fs::read_dir(&runs).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left.len(), 3, "{left:?}");
    assert_eq!(left[..2], ids[1..]);
    assert!(left[2].ends_with("-2"), "the young unfinished run may still be running: {left:?}");
    // The latest run still reads.
    insights(dir.path(), &["query", "--output", "out", "select count(*) from country_sales"]).ok();
    let err = insights(dir.path(), &["runs", "--output", "out", "--keep", "0"]).err();
    assert!(err.contains("invalid value '0' for '--keep <N>'"), "{err}");
    assert!(insights(dir.path(), &["runs", "--output", "nowhere"]).ok().contains("no runs in nowhere"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_sql_file_is_a_new_insight() {
    let dir = tempfile::tempdir().unwrap();
    let sql = dir.path().join("sql");
    copy_dir(&repo().join("sql"), &sql);
    std::fs::write(
        sql.join("weekend_share.sql"),
        "-- name: weekend_share\n\
         -- version: 1\n\
         -- description: What share of revenue comes in at weekends?\n\
         -- params:\n\
         --   weekend_from: {type: int, default: 6, description: first ISO weekday of the weekend}\n\
         \n\
         select\n    sum(case when weekday >= $weekend_from then revenue else 0 end) / sum(revenue) as weekend_share\n\
         from shopping_hours\n",
    )
    .unwrap();
    let listing = insights(dir.path(), &["list", "--sql", "sql"]).ok();
    assert!(listing.contains("weekend_share v1"), "{listing}");
    assert!(listing.contains("param weekend_from: int = 6"), "{listing}");
    assert!(listing.contains("reads: shopping_hours"), "{listing}");
    let stdout = insights(
        dir.path(),
        &[
            "run",
            "--sql",
            "sql",
            "--input",
            &sample(),
            "--output",
            "out",
            "--only",
            "weekend_share",
            "--param",
            "weekend_from=7",
        ],
    )
    .ok();
    assert!(stdout.contains("weekend_share"), "{stdout}");
    let manifest = insights_engine::Manifest::load(&dir.path().join("out")).unwrap();
    let record = manifest.insight("weekend_share").unwrap();
    assert_eq!(record.path, format!("runs/{}/tables/weekend_share/v1", manifest.run_id));
    assert_eq!(record.rows, 1);
}

#[test]
fn catalog_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let sql = dir.path().join("sql");
    copy_dir(&repo().join("sql"), &sql);
    let header = "-- name: sneaky\n-- version: 1\n-- description: tries to write\n";
    std::fs::write(sql.join("sneaky.sql"), format!("{header}drop table sales\n")).unwrap();
    let err = insights(dir.path(), &["list", "--sql", "sql"]).err();
    assert!(err.contains("sneaky.sql") && err.contains("not a read-only query"), "{err}");
    std::fs::write(sql.join("sneaky.sql"), format!("{header}select 1; select 2\n")).unwrap();
    let err = insights(dir.path(), &["list", "--sql", "sql"]).err();
    assert!(err.contains("sneaky.sql") && err.contains("2 statements"), "{err}");
    std::fs::write(sql.join("sneaky.sql"), format!("{header}select * from nowhere\n")).unwrap();
    let err = insights(dir.path(), &["list", "--sql", "sql"]).err();
    assert!(err.contains("sneaky.sql") && err.contains("unknown table `nowhere`"), "{err}");
    std::fs::write(sql.join("sneaky.sql"), format!("{header}select * from sales where quantity > $n\n")).unwrap();
    let err = insights(dir.path(), &["list", "--sql", "sql"]).err();
    assert!(err.contains("sneaky.sql") && err.contains("$n"), "{err}");
}

#[test]
fn list_shows_every_insight_with_version_description_and_parameters() {
    let stdout = insights(&repo(), &["list"]).ok();
    for name in [
        "top_products",
        "product_monthly_trend",
        "shopping_hours",
        "monthly_sales",
        "customer_rfm",
        "top_customers",
        "segment_summary",
        "order_value",
        "category_performance",
        "country_sales",
        "cohort_retention",
        "returns_analysis",
        "product_affinity",
    ] {
        let listed = stdout.lines().any(|line| {
            line.strip_prefix(&format!("{name} v")).is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        });
        assert!(listed, "{name} missing:\n{stdout}");
    }
    assert!(stdout.contains("param min_orders: int = 50"), "{stdout}");
    assert!(stdout.contains("param as_of: date = null"), "{stdout}");
}

#[test]
fn settings_come_from_defaults_then_the_config_file_then_the_environment_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("insights.yaml"), "input: from-config.csv\noutput: config-out\n").unwrap();
    let run = |env: Option<&str>, flag: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_insights"));
        command.args(["run", "--only", "country_sales"]).current_dir(dir.path()).env_remove("INSIGHTS_INPUT");
        if let Some(input) = env {
            command.env("INSIGHTS_INPUT", input);
        }
        if let Some(input) = flag {
            command.args(["--input", input]);
        }
        crate::util::Run { output: command.output().unwrap() }
    };
    assert!(run(None, None).err().contains("input not found: from-config.csv"));
    let sample = sample();
    let stdout = run(Some(&sample), None).ok();
    assert!(stdout.contains("manifest: config-out/manifest.json"), "{stdout}");
    assert!(run(Some(&sample), Some("from-flag.csv")).err().contains("input not found: from-flag.csv"));

    std::fs::write(dir.path().join("insights.yaml"), "outptu: x\n").unwrap();
    let err = run(None, None).err();
    assert!(err.contains("insights.yaml: unknown field `outptu`") && err.contains("did you mean `output`?"), "{err}");
}

#[test]
fn query_answers_sql_over_the_latest_run() {
    let dir = tempfile::tempdir().unwrap();
    insights(dir.path(), &["run", "--input", &sample(), "--output", "out", "--only", "segment_summary"]).ok();
    let table = insights(dir.path(), &["query", "-o", "out", "select count(*) as customers from customer_rfm"]).ok();
    assert!(table.contains("| customers |"), "{table}");
    let csv = insights(
        dir.path(),
        &["query", "-o", "out", "--format", "csv", "select sum(customers) as n from segment_summary"],
    )
    .ok();
    let rfm =
        insights(dir.path(), &["query", "-o", "out", "--format", "csv", "select count(*) as n from customer_rfm"]).ok();
    assert_eq!(csv, rfm, "every customer is in one segment");
    let json = insights(
        dir.path(),
        &["query", "-o", "out", "--format", "json", "select count(*) as lines from sales where year_month = '2011-11'"],
    )
    .ok();
    assert!(json.starts_with("{\"lines\":"), "{json}");
    let parquet =
        insights(dir.path(), &["query", "-o", "out", "--format", "parquet", "select * from transactions limit 3"])
            .output;
    assert!(parquet.stdout.starts_with(b"PAR1"));
    let err = insights(dir.path(), &["query", "-o", "out", "drop table sales"]).err();
    assert!(err.contains("DDL not supported"), "{err}");
    let err = insights(dir.path(), &["query", "-o", "nowhere", "select 1"]).err();
    assert!(err.contains("cannot read the latest committed run in nowhere"), "{err}");
}

#[test]
fn shell_runs_piped_statements_and_stops_at_the_first_error() {
    let dir = tempfile::tempdir().unwrap();
    insights(dir.path(), &["run", "--input", &sample(), "--output", "out", "--only", "segment_summary"]).ok();
    let shell = |script: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_insights"))
            .args(["shell", "-o", "out"])
            .current_dir(dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
        crate::util::Run { output: child.wait_with_output().unwrap() }
    };
    let script = "\\d\n\\d segment_summary\nselect sum(customers) as total\n  from segment_summary; -- a comment\n\
                  select count(*) as lines from sales where year_month = '2011-11';\nselect 'a;b' as text";
    let stdout = shell(script).ok();
    for expected in ["| segment_summary ", "| customer_share ", "| total ", "| lines ", "| a;b "] {
        assert!(stdout.contains(expected), "missing {expected:?} in\n{stdout}");
    }
    let err = shell("select 1;\nselect nope from sales;\nselect 2 as never;\n").err();
    assert!(err.contains("No field named nope"), "{err}");
    let err = shell("create table t as select 1;").err();
    assert!(err.contains("not supported"), "{err}");
    let err = shell("\\x").err();
    assert!(err.contains("unknown command `\\x`"), "{err}");
}

/// The prompt as a person uses it, on a pseudo-terminal made by `script`
/// (util-linux): tab completes a table name, a statement spans two lines,
/// and both land in the history file.
#[test]
fn shell_on_a_terminal_completes_table_names_and_keeps_history() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    insights(dir.path(), &["run", "--input", &sample(), "--output", "out", "--only", "segment_summary"]).ok();
    let command = format!("{} shell -o out", env!("CARGO_BIN_EXE_insights"));
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("`script` from util-linux runs");
    let mut keys = child.stdin.take().unwrap();
    for input in ["select count(*) as n from segment_su\t", ";\r", "select 40\r", " + 2 as answer;\r", "\\q\r"] {
        keys.write_all(input.as_bytes()).unwrap();
        keys.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(700));
    }
    let output = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{screen}");
    assert!(screen.contains("from segment_summary;"), "tab completion:\n{screen}");
    assert!(screen.contains("| answer |") && screen.contains("| 42 "), "multi-line statement:\n{screen}");
    let history = std::fs::read_to_string(dir.path().join(".insights_history")).unwrap();
    assert!(history.starts_with("select count(*) as n from segment_summary;\nselect 40\n + 2 as answer;"), "{history}");
}

#[test]
fn a_memory_limit_bounds_query_execution_and_too_little_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample();
    let only = ["--only", "customer_rfm", "order_value"];
    let mut args = vec!["run", "--input", &sample, "--output", "free"];
    args.extend(only);
    insights(dir.path(), &args).ok();
    let mut bounded = vec!["run", "--input", &sample, "--output", "bounded", "--memory-limit", "32MiB"];
    bounded.extend(only);
    insights(dir.path(), &bounded).ok();
    let rows = |out: &str| {
        let manifest = insights_engine::Manifest::load(&dir.path().join(out)).unwrap();
        manifest.insights.iter().map(|i| (i.name.clone(), i.rows)).collect::<Vec<_>>()
    };
    assert_eq!(rows("free"), rows("bounded"));
    // Under the limit `sales` is a Parquet table written by one task per
    // group of months (in memory without it): the same customers, to the cent.
    let customers = |out: &str| {
        let manifest = insights_engine::Manifest::load(&dir.path().join(out)).unwrap();
        let table = dir.path().join(out).join(&manifest.insight("customer_rfm").unwrap().path);
        let sql = "select * from t order by customer_id";
        let batches = tokio::runtime::Runtime::new().unwrap().block_on(crate::util::read_sql(&table, sql));
        datafusion::arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string()
    };
    assert_eq!(customers("free"), customers("bounded"));
    // A limit with room to spare for the input runs as without one (staging
    // tables in memory, insights side by side), still bounded.
    let mut roomy = vec!["-v", "run", "--input", &sample, "--output", "roomy", "--memory-limit", "1GiB"];
    roomy.extend(only);
    let roomy = insights(dir.path(), &roomy);
    let log = String::from_utf8_lossy(&roomy.output.stderr).to_string();
    roomy.ok();
    assert!(log.contains("kept sales in memory"), "{log}");
    assert!(log.contains("queries confined to 1073741824 bytes of memory, with room to spare"), "{log}");
    assert_eq!(rows("free"), rows("roomy"));
    let mut starved = vec!["run", "--input", &sample, "--output", "bounded", "--memory-limit", "64KiB"];
    starved.extend(only);
    let err = insights(dir.path(), &starved).err();
    let exhausted = err.contains("ResourcesExhausted") || err.contains("Resources exhausted");
    assert!(exhausted && err.contains("last committed results in bounded are unchanged"), "{err}");
}

#[test]
fn csv_copies_come_with_the_flag_or_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["run", "--input", &sample(), "--output", "out", "--only", "country_sales", "--no-report"];
    insights(dir.path(), &args).ok();
    let manifest = insights_engine::Manifest::load(&dir.path().join("out")).unwrap();
    assert_eq!(manifest.insights[0].csv, None, "no CSV unless asked");
    std::fs::write(dir.path().join("insights.yaml"), "csv: true\n").unwrap();
    insights(dir.path(), &args).ok();
    let manifest = insights_engine::Manifest::load(&dir.path().join("out")).unwrap();
    let csv = manifest.insights[0].csv.clone().expect("a CSV copy");
    let text = std::fs::read_to_string(dir.path().join("out").join(&csv)).unwrap();
    assert!(text.starts_with("country,revenue,orders,customers,units,aov,revenue_share,revenue_rank\n"), "{text}");
    assert_eq!(text.lines().count() as u64, manifest.insights[0].rows + 1);
}

/// Six orders of four products (A 10001, B 10002, C 10003, D 10004) whose
/// rules are worked out by hand: A is in 4 orders, B and C in 3, D in 2;
/// A+B in 3, A+C and B+C in 2, A+B+C in 2.
const HAND_MADE_BASKETS: &str = "\
InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
500001,10001,A,1,12/1/2010 8:00,1.00,13001,United Kingdom
500001,10002,B,1,12/1/2010 8:00,1.00,13001,United Kingdom
500001,10003,C,1,12/1/2010 8:00,1.00,13001,United Kingdom
500002,10001,A,1,12/2/2010 8:00,1.00,13002,United Kingdom
500002,10002,B,1,12/2/2010 8:00,1.00,13002,United Kingdom
500002,10003,C,1,12/2/2010 8:00,1.00,13002,United Kingdom
500003,10001,A,1,12/3/2010 8:00,1.00,13003,United Kingdom
500003,10002,B,1,12/3/2010 8:00,1.00,13003,United Kingdom
500004,10003,C,1,12/4/2010 8:00,1.00,13004,United Kingdom
500004,10004,D,1,12/4/2010 8:00,1.00,13004,United Kingdom
500005,10004,D,1,12/5/2010 8:00,1.00,13005,United Kingdom
500006,10001,A,1,12/6/2010 8:00,1.00,13006,United Kingdom
";

#[tokio::test(flavor = "multi_thread")]
async fn basket_rules_and_recommendations_follow_their_parameters() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baskets.csv"), HAND_MADE_BASKETS).unwrap();
    let run = |params: &[&str]| {
        let mut args = vec!["run", "--input", "baskets.csv", "--output", "out", "--no-report", "--only"];
        args.extend(["basket_rules", "product_recommendations"]);
        for param in params {
            args.extend(["--param", param]);
        }
        insights(dir.path(), &args).ok();
    };
    let query = |sql: &str| insights(dir.path(), &["query", "-o", "out", "--format", "csv", sql]).ok();
    let rules_sql = "select array_to_string(antecedent, '+') as antecedent, consequent, itemset_orders, \
                     round(support, 4) as support, round(confidence, 4) as confidence, round(lift, 4) as lift \
                     from basket_rules order by antecedent, consequent";
    let offers_sql = "select customer_id, rank, stock_code, round(confidence, 4) as confidence, round(lift, 4) as lift \
                      from product_recommendations order by customer_id, rank";

    run(&["min_orders=2", "min_confidence=0.6"]);
    assert_eq!(
        query(rules_sql),
        "antecedent,consequent,itemset_orders,support,confidence,lift\n\
         10001,10002,3,0.5,0.75,1.5\n\
         10001+10002,10003,2,0.3333,0.6667,1.3333\n\
         10001+10003,10002,2,0.3333,1.0,2.0\n\
         10002,10001,3,0.5,1.0,1.5\n\
         10002,10003,2,0.3333,0.6667,1.3333\n\
         10002+10003,10001,2,0.3333,1.0,1.5\n\
         10003,10001,2,0.3333,0.6667,1.0\n\
         10003,10002,2,0.3333,0.6667,1.3333\n"
    );
    // 13001 and 13002 bought all three; nothing leads from D alone (13005).
    assert_eq!(
        query(offers_sql),
        "customer_id,rank,stock_code,confidence,lift\n\
         13003,1,10003,0.6667,1.3333\n\
         13004,1,10002,0.6667,1.3333\n\
         13004,2,10001,0.6667,1.0\n\
         13006,1,10002,0.75,1.5\n"
    );

    // The default confidence (0.5) adds A -> C; top 1 keeps each customer's best.
    run(&["min_orders=2", "top=1"]);
    let rules = query(rules_sql);
    assert!(rules.contains("\n10001,10003,2,0.3333,0.5,1.0\n") && rules.lines().count() == 10, "{rules}");
    assert_eq!(
        query(offers_sql),
        "customer_id,rank,stock_code,confidence,lift\n\
         13003,1,10003,0.6667,1.3333\n\
         13004,1,10002,0.6667,1.3333\n\
         13006,1,10002,0.75,1.5\n"
    );

    // Three orders per itemset: only A+B is frequent, so no rule of three.
    run(&["min_orders=3", "min_confidence=0"]);
    assert_eq!(
        query(rules_sql),
        "antecedent,consequent,itemset_orders,support,confidence,lift\n\
         10001,10002,3,0.5,0.75,1.5\n\
         10002,10001,3,0.5,1.0,1.5\n"
    );

    // The rules read product_affinity's pairs: the threshold is one value.
    let err = insights(
        dir.path(),
        &["run", "--input", "baskets.csv", "--output", "out", "--param", "basket_rules.min_orders=2"],
    )
    .err();
    assert!(
        err.contains("basket_rules.min_orders is 2 but product_affinity.min_orders is 50")
            && err.contains("--param min_orders=VALUE"),
        "{err}"
    );
}
