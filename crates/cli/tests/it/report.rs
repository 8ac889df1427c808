//! The report as a person looks at it: rendered at the end of a run, opened
//! in headless Chromium (no console errors, no empty chart), and a custom
//! insight getting its own section without Rust changes.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{insights, repo};

fn sample() -> String {
    repo().join("data/online_retail_sample.csv.gz").display().to_string()
}

/// Chromium from `INSIGHTS_CHROMIUM` (scripts/test installs it) or the PATH.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("INSIGHTS_CHROMIUM") {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("chromium")).find(|p| p.is_file()))
        .expect("the report test needs Chromium: run it with scripts/test, which installs it, or set INSIGHTS_CHROMIUM")
}

/// Runs headless Chromium on a page with the flags this closed network
/// needs; returns (stdout, stderr).
fn headless(page: &Path, profile: &Path, extra: &[&str]) -> (String, String) {
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "chromium failed:\n{stderr}");
    (String::from_utf8_lossy(&output.stdout).into_owned(), stderr)
}

#[test]
fn the_report_of_a_run_opens_in_chromium_with_every_chart_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = insights(dir.path(), &["run", "--input", &sample(), "--output", "out"]).ok();
    let index = dir.path().join("out/report/index.html");
    assert!(stdout.contains("report:   out/report/index.html"), "{stdout}");
    let html = std::fs::read_to_string(&index).unwrap();
    assert!(!html.contains("<script"), "the page needs no JavaScript");
    for remote in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(remote), "the page loads nothing from the network ({remote})");
    }

    let screenshot = dir.path().join("report.png");
    let (_, stderr) = headless(
        &index,
        &dir.path().join("profile-shot"),
        &["--window-size=1280,4000", &format!("--screenshot={}", screenshot.display())],
    );
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console errors:\n{}", console.join("\n"));
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 50_000, "a screenshot with content");

    // The page as Chromium parsed it: every chart is an SVG with marks.
    let (dom, _) = headless(&index, &dir.path().join("profile-dom"), &["--dump-dom"]);
    let figures: Vec<&str> = dom.split("<figure").skip(1).collect();
    assert_eq!(
        figures.len(),
        20,
        "16 insights with a chart, the map with its bar chart, lifetime value by segment and p_alive, \
         the products offered most"
    );
    for figure in figures {
        let name = figure.split("data-chart=\"").nth(1).and_then(|s| s.split('"').next()).unwrap();
        let marks = ["<rect", "<polygon", "<polyline", "<circle", "<path"]
            .iter()
            .map(|m| figure.matches(m).count())
            .sum::<usize>();
        assert!(marks >= 10, "chart {name} looks empty ({marks} marks)");
        assert!(!figure.contains(">no rows<"), "chart {name} has no rows");
        for file in [format!("{name}.svg"), format!("{name}.png")] {
            assert!(dir.path().join("out/report/charts").join(&file).is_file(), "charts/{file}");
        }
    }
    let markdown = std::fs::read_to_string(dir.path().join("out/report/report.md")).unwrap();
    assert!(
        markdown.contains("## Revenue by country")
            && markdown.contains("![Revenue by country](charts/country_sales.png)")
    );
}

#[test]
fn a_new_insight_gets_a_section_and_no_report_skips_it() {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("cp").arg("-r").arg(repo().join("sql")).arg(dir.path()).status().unwrap();
    assert!(status.success());
    insights(dir.path(), &["new", "weekly_orders"]).ok();
    insights(dir.path(), &["lock"]).ok();
    let args = ["run", "--input", &sample(), "--output", "out", "--only", "weekly_orders", "--no-report"];
    let stdout = insights(dir.path(), &args).ok();
    assert!(!stdout.contains("report:") && !dir.path().join("out/report").exists(), "{stdout}");

    let stdout = insights(dir.path(), &["report", "-o", "out"]).ok();
    assert!(stdout.contains("1 sections, 1 charts"), "{stdout}");
    let html = std::fs::read_to_string(dir.path().join("out/report/index.html")).unwrap();
    assert!(html.contains("id=\"weekly_orders\"") && html.contains("data-chart=\"weekly_orders\""), "generic section");

    // A chart header naming a column the table lacks is an error naming it.
    let path = dir.path().join("sql/weekly_orders.sql");
    let text = std::fs::read_to_string(&path).unwrap();
    let chart = "-- chart: {kind: bar, x: nope, y: orders}\n";
    std::fs::write(&path, text.replacen("-- description:", &format!("{chart}-- description:"), 1)).unwrap();
    let err = insights(dir.path(), &["report", "-o", "out"]).err();
    assert!(err.contains("chart column `nope` is not in the table"), "{err}");
    let err = insights(dir.path(), &["report", "-o", "nowhere"]).err();
    assert!(err.contains("cannot write the report of the latest run in nowhere"), "{err}");
}
