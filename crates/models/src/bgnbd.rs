//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy
//! way"): while active, a customer buys at a Poisson rate λ ~ Gamma(r, α);
//! after each purchase they drop out with probability p ~ Beta(a, b).
//!
//! A customer is summarised by `frequency` x (repeat purchases), `recency`
//! tₓ (time from the first to the last purchase) and `t` T (time from the
//! first purchase to the end of observation), in one time unit throughout.

use crate::distinct::Distinct;
use crate::optimize::minimize;
use crate::special::{ln_gamma, ln_hyp2f1};
use crate::{ModelError, count, non_negative, positive};

/// Customers with the same (frequency, recency, t): the likelihood is the
/// same for each, so a fit costs the number of distinct patterns, not of
/// customers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pattern {
    pub frequency: f64,
    pub recency: f64,
    pub t: f64,
    /// How many customers share it.
    pub customers: u64,
}

impl Pattern {
    /// A pattern, checked: a whole frequency ≥ 0, 0 ≤ recency ≤ t, and a
    /// frequency of 0 with a recency of 0.
    pub fn new(frequency: f64, recency: f64, t: f64, customers: u64) -> Result<Self, ModelError> {
        let frequency = count("frequency", frequency)?;
        let recency = non_negative("recency", recency)?;
        let t = non_negative("t", t)?;
        if recency > t {
            return Err(ModelError::InvalidInput { name: "recency", value: recency, expected: "a number <= t" });
        }
        if frequency == 0.0 && recency != 0.0 {
            return Err(ModelError::InvalidInput {
                name: "recency",
                value: recency,
                expected: "0 for a customer without repeat purchases (frequency 0)",
            });
        }
        Ok(Self { frequency, recency, t, customers })
    }
}

/// The model's parameters. `a` = 0 is the no-dropout limit (every customer
/// stays active), where `b` plays no part.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// The outcome of a fit: parameters unless the data cannot identify them,
/// the customers it saw and what happened when it did not reach an
/// interior maximum.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub params: Option<BgNbd>,
    pub customers: u64,
    pub note: Option<String>,
}

/// Below this dropout probability per purchase (a / (a + b)) the fit is
/// the no-dropout limit: the likelihood is flat towards it, and the
/// optimiser only wanders along the ridge (a → 0 or b → ∞).
const NEGLIGIBLE_DROPOUT: f64 = 1e-6;

/// Where the simplex starts, in log-parameters on the scaled time axis:
/// `lifetimes`' own start (0.1 each) and two more, as the likelihood can
/// have a second, worse maximum at the boundary.
const STARTS: [[f64; 4]; 3] = [[0.1, 0.1, 0.1, 0.1], [-1.0, -1.0, -1.0, -1.0], [1.0, 1.0, -3.0, 1.0]];

/// Maximum-likelihood parameters for `patterns`.
///
/// Time is rescaled so the longest `t` is 10 (as `lifetimes` does), and the
/// parameters are optimised as logarithms, so they stay positive. The fit
/// is compared with the no-dropout limit (a = 0, fitted over r and α
/// alone); when dropout does not improve the likelihood, or is negligible,
/// the limit is the answer and the note says so.
pub fn fit(patterns: &[Pattern]) -> Fit {
    let customers: u64 = patterns.iter().map(|p| p.customers).sum();
    let unfitted = |note: &str| Fit { params: None, customers, note: Some(format!("BG/NBD: {note}")) };
    if customers == 0 {
        return unfitted("no customers to fit");
    }
    if patterns.iter().all(|p| p.customers == 0 || p.frequency == 0.0) {
        return unfitted("nobody purchased more than once, so purchase rates cannot be estimated");
    }
    let longest = patterns.iter().map(|p| p.t).fold(0.0, f64::max);
    let scale = if longest > 0.0 { 10.0 / longest } else { 1.0 };
    let scaled: Vec<Pattern> =
        patterns.iter().map(|p| Pattern { recency: p.recency * scale, t: p.t * scale, ..*p }).collect();
    let likelihood = Likelihood::new(&scaled, customers as f64);
    let objective = |log: &[f64]| {
        let params = BgNbd { r: log[0].exp(), alpha: log[1].exp(), a: log[2].exp(), b: log[3].exp() };
        -likelihood.mean(&params)
    };
    let limit_objective = |log: &[f64]| {
        let params = BgNbd { r: log[0].exp(), alpha: log[1].exp(), a: 0.0, b: 1.0 };
        -likelihood.mean(&params)
    };
    let starts: Vec<Vec<f64>> = STARTS.iter().map(|s| s.to_vec()).collect();
    let interior = minimize(&objective, &starts);
    let limit_starts: Vec<Vec<f64>> = STARTS.iter().map(|s| s[..2].to_vec()).collect();
    let limit = minimize(&limit_objective, &limit_starts);
    let [r, alpha, a, b] = [0, 1, 2, 3].map(|i| interior.point[i].exp());
    if interior.value < limit.value
        && a / (a + b) >= NEGLIGIBLE_DROPOUT
        && [r, alpha, a, b].iter().all(|v| v.is_finite())
    {
        return Fit { params: Some(BgNbd { r, alpha: alpha / scale, a, b }), customers, note: None };
    }
    let (r, alpha) = (limit.point[0].exp(), limit.point[1].exp() / scale);
    Fit {
        params: Some(BgNbd { r, alpha, a: 0.0, b: f64::NAN }),
        customers,
        note: Some("BG/NBD: no dropout in the data (a -> 0): every customer counts as active".into()),
    }
}

/// The patterns as the likelihood reads them: each frequency's, recency's
/// and t's terms are computed once per evaluation (see `Distinct`).
struct Likelihood {
    frequencies: Distinct,
    recencies: Distinct,
    ts: Distinct,
    customers: Vec<u64>,
    total_customers: f64,
}

impl Likelihood {
    fn new(patterns: &[Pattern], total_customers: f64) -> Self {
        Self {
            frequencies: Distinct::new(patterns.iter().map(|p| p.frequency)),
            recencies: Distinct::new(patterns.iter().map(|p| p.recency)),
            ts: Distinct::new(patterns.iter().map(|p| p.t)),
            customers: patterns.iter().map(|p| p.customers).collect(),
            total_customers,
        }
    }

    /// The log-likelihood per customer (Fader, Hardie & Lee 2005, eq. 6, in
    /// the log-sum-exp form of `lifetimes`).
    fn mean(&self, params: &BgNbd) -> f64 {
        let BgNbd { r, alpha, a, b } = *params;
        let a1 = self.frequencies.map(|x| ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln());
        let a2 = self.frequencies.map(|x| {
            if a == 0.0 { 0.0 } else { ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x) }
        });
        let ln_b_x = self.frequencies.map(|x| (b + x - 1.0).ln());
        let ln_alpha_t = self.ts.map(|t| (alpha + t).ln());
        let ln_alpha_recency = self.recencies.map(|recency| (alpha + recency).ln());
        let ln_a = a.ln();
        let mut total = 0.0;
        for (i, customers) in self.customers.iter().enumerate() {
            let xi = self.frequencies.of_pattern[i];
            let x = self.frequencies.values[xi];
            let a3 = -(r + x) * ln_alpha_t[self.ts.of_pattern[i]];
            let tail = if a != 0.0 && x > 0.0 {
                let a4 = ln_a - ln_b_x[xi] - (r + x) * ln_alpha_recency[self.recencies.of_pattern[i]];
                let max = a3.max(a4);
                max + ((a3 - max).exp() + (a4 - max).exp()).ln()
            } else {
                a3
            };
            total += *customers as f64 * (a1[xi] + a2[xi] + tail);
        }
        total / self.total_customers
    }
}

impl BgNbd {
    /// The parameters, checked: r, α > 0; a ≥ 0; b > 0 unless a = 0.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self, ModelError> {
        let (r, alpha, a) = (positive("r", r)?, positive("alpha", alpha)?, non_negative("a", a)?);
        let b = if a == 0.0 { b } else { positive("b", b)? };
        Ok(Self { r, alpha, a, b })
    }

    /// The probability that a customer with this history is still active
    /// at the end of observation (eq. 12 of the BG/NBD paper, as
    /// `lifetimes`' `conditional_probability_alive`). 1 without repeat
    /// purchases: the model lets a customer drop out only after a purchase.
    pub fn p_alive(&self, customer: &Pattern) -> f64 {
        let x = customer.frequency;
        if x == 0.0 || self.a == 0.0 {
            return 1.0;
        }
        let log_odds_dropped = (self.r + x) * ((self.alpha + customer.t) / (self.alpha + customer.recency)).ln()
            + (self.a / (self.b + x - 1.0)).ln();
        1.0 / (1.0 + log_odds_dropped.exp())
    }

    /// The expected number of purchases in the next `horizon` time units of
    /// a customer with this history (eq. 10 of the BG/NBD paper, as
    /// `lifetimes`' `conditional_expected_number_of_purchases_up_to_time`).
    pub fn expected_purchases(&self, customer: &Pattern, horizon: f64) -> Result<f64, ModelError> {
        let horizon = non_negative("horizon", horizon)?;
        if horizon == 0.0 {
            return Ok(0.0);
        }
        let x = customer.frequency;
        if self.a == 0.0 {
            // No dropout: the posterior rate is Gamma(r + x, α + T).
            return Ok(horizon * (self.r + x) / (self.alpha + customer.t));
        }
        if (self.a - 1.0).abs() < 1e-9 {
            // The formula divides by a − 1 but is continuous through a = 1.
            let below = Self { a: 1.0 - 1e-6, ..*self }.expected_purchases(customer, horizon)?;
            let above = Self { a: 1.0 + 1e-6, ..*self }.expected_purchases(customer, horizon)?;
            return Ok((below + above) / 2.0);
        }
        let BgNbd { r, alpha, a, b } = *self;
        let (t_end, recency) = (customer.t, customer.recency);
        let z = horizon / (alpha + t_end + horizon);
        let (sign, ln_hyp) = ln_hyp2f1(r + x, b + x, a + b + x - 1.0, z).ok_or_else(|| {
            ModelError::NotComputable(format!(
                "the hypergeometric series of the expected purchases did not converge (r {r}, alpha {alpha}, a {a}, b {b}, frequency {x}, t {t_end}, horizon {horizon})"
            ))
        })?;
        let first = (a + b + x - 1.0) / (a - 1.0);
        let second = 1.0 - sign * (ln_hyp + (r + x) * ((alpha + t_end) / (alpha + t_end + horizon)).ln()).exp();
        let dropped_odds =
            if x > 0.0 { a / (b + x - 1.0) * ((alpha + t_end) / (alpha + recency)).powf(r + x) } else { 0.0 };
        Ok(first * second / (1.0 + dropped_odds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_checked() {
        assert!(Pattern::new(-1.0, 0.0, 5.0, 1).unwrap_err().to_string().contains("frequency is -1"));
        assert!(Pattern::new(1.5, 1.0, 5.0, 1).is_err());
        assert!(Pattern::new(1.0, 6.0, 5.0, 1).unwrap_err().to_string().contains("<= t"));
        assert!(Pattern::new(0.0, 2.0, 5.0, 1).is_err());
        assert!(Pattern::new(f64::NAN, 0.0, 5.0, 1).is_err());
    }

    #[test]
    fn no_customers_or_no_repeats_give_a_note_not_a_number() {
        let fit0 = fit(&[]);
        assert_eq!((fit0.params, fit0.customers), (None, 0));
        assert!(fit0.note.unwrap().contains("no customers"));
        let once = fit(&[Pattern::new(0.0, 0.0, 30.0, 5).unwrap()]);
        assert!(once.params.is_none() && once.note.unwrap().contains("nobody purchased more than once"));
    }

    #[test]
    fn the_no_dropout_limit_predicts_the_gamma_poisson_mean() {
        let model = BgNbd::new(0.8, 70.0, 0.0, f64::NAN).unwrap();
        let customer = Pattern::new(3.0, 200.0, 300.0, 1).unwrap();
        assert_eq!(model.p_alive(&customer), 1.0);
        let expected = model.expected_purchases(&customer, 90.0).unwrap();
        assert!((expected - 90.0 * 3.8 / 370.0).abs() < 1e-12);
        // and the general formula tends to it as a -> 0
        let near = BgNbd { a: 1e-9, b: 7.0, ..model }.expected_purchases(&customer, 90.0).unwrap();
        assert!((near - expected).abs() < 1e-6, "{near} vs {expected}");
    }

    #[test]
    fn b_below_one_without_repeat_purchases_is_computed() {
        // c = a + b - 1 < 0: the hypergeometric value is negative.
        let model = BgNbd::new(0.6742, 35.07, 0.0163, 0.4705).unwrap();
        let customer = Pattern::new(0.0, 0.0, 149.0, 1).unwrap();
        let expected = model.expected_purchases(&customer, 150.0).unwrap();
        // The formula evaluated with scipy's hyp2f1 (lifetimes' logarithm of
        // the negative value gives NaN here).
        assert!((expected - 0.540_793_698_589_744_6).abs() < 1e-12, "{expected}");
    }

    #[test]
    fn horizon_zero_is_zero_and_a_negative_one_is_an_error() {
        let model = BgNbd::new(0.24, 4.4, 0.79, 2.4).unwrap();
        let customer = Pattern::new(2.0, 30.43, 38.86, 1).unwrap();
        assert_eq!(model.expected_purchases(&customer, 0.0).unwrap(), 0.0);
        assert!(model.expected_purchases(&customer, -1.0).is_err());
        let at_one = BgNbd { a: 1.0, ..model }.expected_purchases(&customer, 39.0).unwrap();
        let near_one = BgNbd { a: 1.001, ..model }.expected_purchases(&customer, 39.0).unwrap();
        assert!((at_one - near_one).abs() < 1e-2, "{at_one} vs {near_one}");
    }
}
