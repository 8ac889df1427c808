//! notebooks/analysis.ipynb executed against a fresh run, so the notebook
//! an analyst opens never goes stale.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{insights, repo};

/// `jupyter` from `INSIGHTS_JUPYTER`; scripts/test installs it in a venv.
fn jupyter() -> PathBuf {
    std::env::var_os("INSIGHTS_JUPYTER")
        .map(PathBuf::from)
        .expect("the notebook test needs Jupyter: run it with scripts/test, which installs it, or set INSIGHTS_JUPYTER")
}

#[test]
fn the_analysis_notebook_runs_on_the_latest_results() {
    let dir = tempfile::tempdir().unwrap();
    let sample = repo().join("data/online_retail_sample.csv.gz");
    insights(dir.path(), &["run", "--input", sample.to_str().unwrap(), "--output", "out"]).ok();
    let executed = dir.path().join("executed.ipynb");
    let output = Command::new(jupyter())
        .args(["nbconvert", "--to", "notebook", "--execute", "--output"])
        .arg(&executed)
        .arg(repo().join("notebooks/analysis.ipynb"))
        .env("INSIGHTS_OUTPUT", dir.path().join("out"))
        .current_dir(repo().join("notebooks"))
        .output()
        .expect("jupyter runs");
    assert!(output.status.success(), "the notebook failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let notebook = std::fs::read_to_string(&executed).unwrap();
    assert!(notebook.contains("all checks passed"), "the consistency checks did not run");
    assert!(notebook.contains("The top 10 products make"), "headline findings missing");
    assert!(notebook.matches("image/png").count() >= 6, "every chart cell draws a chart");
}
