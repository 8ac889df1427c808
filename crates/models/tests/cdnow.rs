//! The CDNOW sample summary published with the BG/NBD paper: the fits
//! reproduce the paper's (and `lifetimes`') estimates.

use insights_models::bgnbd::{self, BgNbd, Pattern};
use insights_models::gamma_gamma::{self, SpendPattern};

fn cdnow() -> Vec<[f64; 4]> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/cdnow/cdnow_customers.csv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (the tests need ../shared beside the checkout)", path.display()));
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<f64> = line.split(',').skip(1).map(|f| f.parse().unwrap()).collect();
            [fields[0], fields[1], fields[2], fields[3]]
        })
        .collect()
}

fn assert_close(name: &str, actual: f64, expected: f64) {
    assert!((actual - expected).abs() <= 1e-3 * expected.abs(), "{name}: {actual}, expected {expected}");
}

#[test]
fn bgnbd_reproduces_the_papers_estimates() {
    let rows = cdnow();
    assert_eq!(rows.len(), 2357);
    let patterns: Vec<Pattern> = rows.iter().map(|r| Pattern::new(r[0], r[1], r[2], 1).unwrap()).collect();
    let fit = bgnbd::fit(&patterns);
    assert_eq!((fit.customers, fit.note.as_deref()), (2357, None));
    let BgNbd { r, alpha, a, b } = fit.params.unwrap();
    assert_close("r", r, 0.2426);
    assert_close("alpha", alpha, 4.4135);
    assert_close("a", a, 0.7929);
    assert_close("b", b, 2.4258);
    let customer1 = Pattern::new(2.0, 30.43, 38.86, 1).unwrap();
    assert_close("customer 1, 39 weeks", fit.params.unwrap().expected_purchases(&customer1, 39.0).unwrap(), 1.2259);
}

#[test]
fn gamma_gamma_reproduces_the_papers_estimates() {
    let patterns: Vec<SpendPattern> = cdnow().iter().map(|r| SpendPattern::new(r[0], r[3], 1).unwrap()).collect();
    let fit = gamma_gamma::fit(&patterns);
    assert_eq!((fit.customers, fit.note.as_deref()), (946, None));
    let params = fit.params.unwrap();
    assert_close("p", params.p, 6.2488);
    assert_close("q", params.q, 3.7446);
    assert_close("v", params.v, 15.4477);
}
