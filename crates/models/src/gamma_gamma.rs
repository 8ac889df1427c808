//! Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value
//! curves for customer base analysis"): a customer's spend per purchase
//! varies around their own mean ζ, Gamma(p, ν) with ν ~ Gamma(q, v) across
//! customers. Fitted on customers with repeat purchases: x = frequency
//! (repeat purchases), m = monetary_value (their mean spend).

use crate::distinct::Distinct;
use crate::optimize::minimize;
use crate::special::ln_gamma;
use crate::{ModelError, count, non_negative, positive};

/// Customers with the same (frequency, monetary_value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpendPattern {
    pub frequency: f64,
    pub monetary_value: f64,
    pub customers: u64,
}

impl SpendPattern {
    /// A pattern, checked: a whole frequency ≥ 0, a monetary value ≥ 0.
    pub fn new(frequency: f64, monetary_value: f64, customers: u64) -> Result<Self, ModelError> {
        Ok(Self {
            frequency: count("frequency", frequency)?,
            monetary_value: non_negative("monetary_value", monetary_value)?,
            customers,
        })
    }

    /// Whether the fit uses it: a repeat purchase with a positive spend.
    fn is_fitted(&self) -> bool {
        self.frequency > 0.0 && self.monetary_value > 0.0 && self.customers > 0
    }
}

/// The model's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub v: f64,
}

/// The outcome of a fit, as for BG/NBD: parameters unless the data cannot
/// identify them, the customers fitted (repeat customers with a positive
/// spend) and a note when something is off.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub params: Option<GammaGamma>,
    pub customers: u64,
    pub note: Option<String>,
}

/// Parameters beyond this (or below its inverse) are a boundary maximum.
const BOUNDARY: f64 = 1e8;

/// `lifetimes`' start (0.1 in log space) and two more.
const STARTS: [[f64; 3]; 3] = [[0.1, 0.1, 0.1], [1.0, 1.0, 3.0], [-1.0, 2.0, 5.0]];

/// Maximum-likelihood parameters over the patterns with frequency > 0 and
/// monetary_value > 0 (the others carry no information on spend).
pub fn fit(patterns: &[SpendPattern]) -> Fit {
    let fitted: Vec<SpendPattern> = patterns.iter().copied().filter(SpendPattern::is_fitted).collect();
    let customers: u64 = fitted.iter().map(|p| p.customers).sum();
    if customers == 0 {
        return Fit {
            params: None,
            customers,
            note: Some(
                "Gamma-Gamma: nobody purchased more than once, so spend per purchase cannot be estimated".into(),
            ),
        };
    }
    let likelihood = Likelihood::new(&fitted, customers as f64);
    let objective = |log: &[f64]| {
        let params = GammaGamma { p: log[0].exp(), q: log[1].exp(), v: log[2].exp() };
        -likelihood.mean(&params)
    };
    let starts: Vec<Vec<f64>> = STARTS.iter().map(|s| s.to_vec()).collect();
    let minimum = minimize(&objective, &starts);
    let [p, q, v] = [0, 1, 2].map(|i| minimum.point[i].exp());
    if [p, q, v].iter().any(|x| !x.is_finite() || *x > BOUNDARY || *x < 1.0 / BOUNDARY) {
        return Fit {
            params: None,
            customers,
            note: Some(format!(
                "Gamma-Gamma: the likelihood has no interior maximum (p {p:.3e}, q {q:.3e}, v {v:.3e}): spend per purchase is not modelled"
            )),
        };
    }
    let note = (q <= 1.0).then(|| {
        format!("Gamma-Gamma: q = {q:.4} <= 1, so the mean spend is not finite for customers without repeat purchases")
    });
    Fit { params: Some(GammaGamma { p, q, v }), customers, note }
}

/// The patterns as the likelihood reads them: each frequency's terms are
/// computed once per evaluation (see `Distinct`), the logarithms of the
/// data once per fit.
struct Likelihood {
    frequencies: Distinct,
    ln_frequency: Vec<f64>,
    spends: Vec<f64>,
    ln_spend: Vec<f64>,
    customers: Vec<u64>,
    total_customers: f64,
}

impl Likelihood {
    fn new(patterns: &[SpendPattern], total_customers: f64) -> Self {
        let frequencies = Distinct::new(patterns.iter().map(|p| p.frequency));
        Self {
            ln_frequency: frequencies.map(f64::ln),
            frequencies,
            spends: patterns.iter().map(|p| p.monetary_value).collect(),
            ln_spend: patterns.iter().map(|p| p.monetary_value.ln()).collect(),
            customers: patterns.iter().map(|p| p.customers).collect(),
            total_customers,
        }
    }

    /// The log-likelihood per customer (`lifetimes`' GammaGammaFitter).
    fn mean(&self, params: &GammaGamma) -> f64 {
        let GammaGamma { p, q, v } = *params;
        let ln_gammas = self.frequencies.map(|x| ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q));
        let q_ln_v = q * v.ln();
        let mut total = 0.0;
        for (i, customers) in self.customers.iter().enumerate() {
            let xi = self.frequencies.of_pattern[i];
            let (x, m) = (self.frequencies.values[xi], self.spends[i]);
            let px = p * x;
            let ll = ln_gammas[xi] + q_ln_v + (px - 1.0) * self.ln_spend[i] + px * self.ln_frequency[xi]
                - (px + q) * (x * m + v).ln();
            total += *customers as f64 * ll;
        }
        total / self.total_customers
    }
}

impl GammaGamma {
    /// The parameters, checked: each > 0.
    pub fn new(p: f64, q: f64, v: f64) -> Result<Self, ModelError> {
        Ok(Self { p: positive("p", p)?, q: positive("q", q)?, v: positive("v", v)? })
    }

    /// The expected mean spend per purchase of a customer with this
    /// history: p·(v + x·m) / (p·x + q − 1) (eq. 5 of the paper); for x = 0
    /// the population mean p·v / (q − 1). `None` where the mean is not
    /// finite (p·x + q ≤ 1).
    pub fn expected_value(&self, customer: &SpendPattern) -> Option<f64> {
        let GammaGamma { p, q, v } = *self;
        let (x, m) = (customer.frequency, customer.monetary_value);
        let denominator = p * x + q - 1.0;
        (denominator > 0.0).then(|| p * (v + x * m) / denominator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_repeating_gives_a_note() {
        let fit = fit(&[SpendPattern::new(0.0, 0.0, 10).unwrap()]);
        assert_eq!(fit.params, None);
        assert!(fit.note.unwrap().contains("nobody purchased more than once"));
    }

    #[test]
    fn inputs_are_checked() {
        assert!(SpendPattern::new(1.0, -5.0, 1).unwrap_err().to_string().contains("monetary_value is -5"));
        assert!(GammaGamma::new(1.0, 0.0, 3.0).is_err());
        let model = GammaGamma::new(2.0, 0.5, 3.0).unwrap();
        assert_eq!(model.expected_value(&SpendPattern::new(0.0, 0.0, 1).unwrap()), None);
    }
}
