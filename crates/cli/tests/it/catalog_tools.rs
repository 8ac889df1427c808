//! The analyst's catalog tooling: new, show, check, lock and the version
//! rule, as a user drives them.

use std::path::Path;

use crate::util::{insights, repo};

/// The `-- version:` of a catalog file's header.
fn version_of(sql: &str) -> u32 {
    let line = sql.lines().find_map(|line| line.strip_prefix("-- version: ")).expect("a version line");
    line.trim().parse().unwrap()
}

fn copy_catalog(dir: &Path) {
    let status = std::process::Command::new("cp").arg("-r").arg(repo().join("sql")).arg(dir).status().unwrap();
    assert!(status.success());
}

#[test]
fn the_committed_catalog_checks_clean_and_its_lock_is_current() {
    let stdout = insights(&repo(), &["check"]).ok();
    assert!(stdout.contains("ok     top_products v3"), "{stdout}");
    assert!(stdout.contains("catalog ok: 25 files planned, catalog.lock in step"), "{stdout}");
}

#[test]
fn check_names_the_file_and_line_of_an_unknown_column_and_a_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_catalog(dir.path());
    let header = "-- name: broken\n-- version: 1\n-- description: d\n\n";
    std::fs::write(
        dir.path().join("sql/broken.sql"),
        format!("{header}select\n    revenue,\n    no_such_column\nfrom sales\n"),
    )
    .unwrap();
    let run = insights(dir.path(), &["check"]);
    let err = run.err();
    assert!(err.contains("sql/broken.sql:7:5: Schema error: No field named no_such_column"), "{err}");
    assert!(run.stdout().contains("error  broken v1"));
    std::fs::write(
        dir.path().join("sql/broken.sql"),
        format!("{header}select revenue\nfrom sales\nwhere quantity > > 1\n"),
    )
    .unwrap();
    let err = insights(dir.path(), &["check"]).err();
    assert!(err.contains("sql/broken.sql: SQL does not parse") && err.contains("Line: 7"), "{err}");
}

#[test]
fn changing_sql_without_a_version_bump_is_an_error_until_bumped_and_locked() {
    let dir = tempfile::tempdir().unwrap();
    copy_catalog(dir.path());
    let path = dir.path().join("sql/country_sales.sql");
    let original = std::fs::read_to_string(&path).unwrap();
    let version = version_of(&original);
    std::fs::write(
        &path,
        original
            .replace("row_number() over (order by revenue desc, country asc)", "rank() over (order by revenue desc)"),
    )
    .unwrap();
    let sample = repo().join("data/online_retail_sample.csv.gz");
    for args in [vec!["check"], vec!["run", "--input", sample.to_str().unwrap(), "--output", "out"]] {
        let err = insights(dir.path(), &args).err();
        assert!(
            err.contains(&format!(
                "sql/country_sales.sql: the SQL of `country_sales` changed but its version is still {version}"
            )) && err.contains(&format!("set `-- version: {}`", version + 1))
                && err.contains("insights lock"),
            "{args:?}: {err}"
        );
    }
    let bumped = std::fs::read_to_string(&path)
        .unwrap()
        .replace(&format!("-- version: {version}"), &format!("-- version: {}", version + 1));
    std::fs::write(&path, bumped).unwrap();
    let err = insights(dir.path(), &["check"]).err();
    assert!(err.contains(&format!("`country_sales` v{} is not in catalog.lock", version + 1)), "{err}");
    assert!(insights(dir.path(), &["lock"]).ok().contains("locked 26 files"));
    insights(dir.path(), &["check"]).ok();
    let stdout = insights(
        dir.path(),
        &["run", "--input", sample.to_str().unwrap(), "--output", "out", "--only", "country_sales"],
    )
    .ok();
    assert!(stdout.contains("/tables"), "{stdout}");
    let manifest = insights_engine::Manifest::load(&dir.path().join("out")).unwrap();
    assert!(
        manifest.insight("country_sales").unwrap().path.ends_with(&format!("tables/country_sales/v{}", version + 1))
    );
}

#[test]
fn new_scaffolds_an_insight_that_checks_and_lists() {
    let dir = tempfile::tempdir().unwrap();
    copy_catalog(dir.path());
    let stdout = insights(dir.path(), &["new", "weekly_orders"]).ok();
    assert!(stdout.contains("created sql/weekly_orders.sql"), "{stdout}");
    let text = std::fs::read_to_string(dir.path().join("sql/weekly_orders.sql")).unwrap();
    assert!(text.starts_with("-- name: weekly_orders\n-- version: 1\n") && text.contains("from sales"), "{text}");
    insights(dir.path(), &["new", "rfm_copy", "--from", "customer_rfm"]).ok();
    let copy = std::fs::read_to_string(dir.path().join("sql/rfm_copy.sql")).unwrap();
    assert!(copy.starts_with("-- name: rfm_copy\n-- version: 1\n") && copy.contains("ntile(5)"));
    let check = insights(dir.path(), &["check"]);
    assert!(
        check.stdout().contains("ok     weekly_orders v1") && check.stdout().contains("ok     rfm_copy v1"),
        "{}",
        check.stdout()
    );
    insights(dir.path(), &["lock"]).ok();
    insights(dir.path(), &["check"]).ok();
    assert!(insights(dir.path(), &["list"]).ok().contains("weekly_orders v1"));
    let err = insights(dir.path(), &["new", "weekly_orders"]).err();
    assert!(err.contains("`weekly_orders` already exists"), "{err}");
    let err = insights(dir.path(), &["new", "Weekly-Orders"]).err();
    assert!(err.contains("not a valid insight name"), "{err}");
    let err = insights(dir.path(), &["new", "x", "--from", "nope"]).err();
    assert!(err.contains("unknown insight `nope`"), "{err}");
}

#[test]
fn show_prints_the_sql_and_its_plan() {
    let stdout = insights(&repo(), &["show", "top_customers"]).ok();
    assert!(stdout.starts_with("-- name: top_customers"), "{stdout}");
    assert!(stdout.contains("-- plan") && stdout.contains("TableScan: customer_rfm"), "{stdout}");
    assert!(stdout.contains("Int64(100)"), "the limit parameter is bound as a value: {stdout}");
}

#[test]
fn diff_shows_which_tables_changed_between_two_runs() {
    let dir = tempfile::tempdir().unwrap();
    copy_catalog(dir.path());
    let sample = repo().join("data/online_retail_sample.csv.gz");
    let run = |dir: &Path| {
        insights(
            dir,
            &[
                "run",
                "--input",
                sample.to_str().unwrap(),
                "--output",
                "out",
                "--only",
                "country_sales",
                "monthly_sales",
                // a key of two columns
                "cohort_retention",
            ],
        )
        .ok();
        insights_engine::Manifest::load(&dir.join("out")).unwrap().run_id
    };
    let first = run(dir.path());
    let path = dir.path().join("sql/country_sales.sql");
    let text = std::fs::read_to_string(&path).unwrap();
    let version = version_of(&text);
    let edited = text.replace(&format!("-- version: {version}"), &format!("-- version: {}", version + 1)).replace(
        "cast(revenue as double) / cast(orders as double) as aov",
        "cast(revenue as double) / cast(orders + 1 as double) as aov",
    );
    std::fs::write(&path, edited).unwrap();
    insights(dir.path(), &["lock"]).ok();
    let second = run(dir.path());
    let stdout = insights(dir.path(), &["diff", &first, &second, "--output", "out"]).ok();
    let line = stdout.lines().find(|l| l.contains("country_sales")).unwrap();
    assert!(
        line.starts_with("changed")
            && line.contains(&format!("v{version} "))
            && line.contains(&format!("-> v{} ", version + 1))
            && line.contains("aov"),
        "{stdout}"
    );
    assert!(!line.contains("revenue "), "only aov changed: {line}");
    let monthly = stdout.lines().find(|l| l.contains("monthly_sales")).unwrap();
    assert!(monthly.starts_with("same"), "{stdout}");
    let cohorts = stdout.lines().find(|l| l.contains("cohort_retention")).unwrap();
    assert!(cohorts.starts_with("same"), "{stdout}");
    assert!(stdout.contains("1 of 3 tables changed"), "{stdout}");
    let same = insights(dir.path(), &["diff", "latest", &second, "--output", "out"]).ok();
    assert!(same.contains("0 of 3 tables changed"), "{same}");
    let err = insights(dir.path(), &["diff", "latest", "latest", "--output", "out", "--tolerance=-1"]).err();
    assert!(err.contains("--tolerance -1: expected a number of 0 or more"), "{err}");
    let err = insights(dir.path(), &["diff", "nope", "latest", "--output", "out"]).err();
    assert!(err.contains("no run `nope`"), "{err}");
}

#[test]
fn a_reader_that_stops_early_ends_the_listing_quietly() {
    // `insights list | head -1`: the pipe closes before the listing is
    // written; the command ends with success and without a panic.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_insights"))
        .arg("list")
        .current_dir(repo())
        .env_remove("INSIGHTS_SQL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && !stderr.contains("panicked"), "{:?}\n{stderr}", output.status);
}
