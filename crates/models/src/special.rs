//! Special functions the models need: ln Γ comes from `statrs`; the Gauss
//! hypergeometric function is summed here, because no maintained crate
//! computes it for the negative parameters the transformation below
//! produces.

pub(crate) use statrs::function::gamma::ln_gamma;

/// Terms of a series before it counts as not converging.
const MAX_TERMS: usize = 100_000;

/// ₂F₁(a, b; c; z) for 0 ≤ z < 1, as its sign and the logarithm of its
/// absolute value: (sign, ln |₂F₁|).
///
/// BG/NBD's conditional expectation needs ₂F₁(r + x, b + x; a + b + x − 1;
/// z): for a customer with many purchases its series starts with terms
/// that grow by a factor of about (r + x)·z before they shrink, and its
/// value overflows. Euler's transformation ₂F₁(a, b; c; z) = (1 − z)^(c −
/// a − b) ₂F₁(c − a, c − b; c; z) leaves a series with small parameters
/// whose terms shrink from the start, and the power is taken in log space;
/// the direct series is the fallback (as `lifetimes` falls back the other
/// way round). With c < 0 (b < 1 and no repeat purchases) the value can be
/// negative, hence the sign.
pub(crate) fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<(f64, f64)> {
    if let Some(sum) = series(c - a, c - b, c, z) {
        let log = (c - a - b) * (-z).ln_1p() + sum.abs().ln();
        if log.is_finite() {
            return Some((sum.signum(), log));
        }
    }
    series(a, b, c, z).map(|sum| (sum.signum(), sum.abs().ln())).filter(|(_, log)| log.is_finite())
}

/// Σₙ (a)ₙ (b)ₙ / (c)ₙ · zⁿ / n!, summed until a term no longer changes
/// the sum; `None` when it overflows or does not converge.
fn series(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    for n in 0..MAX_TERMS {
        let n = n as f64;
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        if !sum.is_finite() {
            return None;
        }
        if term.abs() <= f64::EPSILON * sum.abs() * 0.5 {
            return Some(sum);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * a.abs().max(b.abs())
    }

    #[test]
    fn matches_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z
        let z: f64 = 0.6;
        assert!(close(ln_hyp2f1(1.0, 1.0, 2.0, z).unwrap().1, (-(1.0f64 - z).ln() / z).ln(), 1e-13));
        // ₂F₁(a, b; b; z) = (1 − z)^−a
        assert!(close(ln_hyp2f1(2.5, 3.0, 3.0, 0.3).unwrap().1, -2.5 * 0.7f64.ln(), 1e-13));
        // A customer with 200 repeat purchases: the direct series would
        // reach terms near 1e40 before shrinking.
        let direct = series(200.8, 207.2, 206.0, 0.17).unwrap().ln();
        assert!(close(ln_hyp2f1(200.8, 207.2, 206.0, 0.17).unwrap().1, direct, 1e-12));
        // c < 0: a negative value, summed directly as a check.
        let negative = series(0.674, 0.47, -0.513, 0.449).unwrap();
        assert!(negative < 0.0);
        let (sign, log) = ln_hyp2f1(0.674, 0.47, -0.513, 0.449).unwrap();
        assert!(close(sign * log.exp(), negative, 1e-12), "{sign} {log} {negative}");
    }
}
