//! The golden test: the full catalog on the UCI data set, every table
//! compared with `../shared/expected/online_retail/`, made by an
//! independent implementation of the contract.

mod util;

use util::{insights, shared};

#[tokio::test(flavor = "multi_thread")]
async fn full_catalog_matches_the_expected_tables() {
    let shared = shared();
    let dir = tempfile::tempdir().unwrap();
    let input = shared.join("datasets/online_retail.csv.gz");
    let stdout = insights(dir.path(), &["run", "--input", input.to_str().unwrap(), "--output", "out"]).ok();
    assert!(stdout.contains("541,909 raw = 536,641 kept + 5,268 duplicates + 0 quarantined"), "{stdout}");
    let output =
        insights_storage::Location::parse(dir.path().join("out").to_str().unwrap(), &Default::default()).unwrap();
    util::assert_matches_golden(&output).await;
}
