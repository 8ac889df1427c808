//! The customer lifetime value models of the field, fitted by maximum
//! likelihood as in their papers:
//!
//! - [`bgnbd`]: BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers
//!   the easy way"): how many purchases a customer makes and whether they
//!   are still active;
//! - [`gamma_gamma`]: Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"):
//!   what a customer spends per purchase.
//!
//! The formulas follow the reference implementation, the Python package
//! `lifetimes` (0.11.3). This crate knows nothing of SQL: the engine wraps
//! these functions as SQL functions.

pub mod bgnbd;
mod distinct;
pub mod gamma_gamma;
mod optimize;
mod special;

/// Why a fit or a prediction cannot be computed from its inputs.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    /// An input outside the model's domain, e.g. a negative frequency.
    #[error("{name} is {value}: expected {expected}")]
    InvalidInput { name: &'static str, value: f64, expected: &'static str },
    /// A numeric evaluation that did not converge (outside the range where
    /// the series the formula needs converges).
    #[error("{0}")]
    NotComputable(String),
}

/// Checks that `value` is finite and at least zero.
fn non_negative(name: &'static str, value: f64) -> Result<f64, ModelError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ModelError::InvalidInput { name, value, expected: "a number >= 0" })
    }
}

/// Checks that `value` is finite and above zero.
fn positive(name: &'static str, value: f64) -> Result<f64, ModelError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ModelError::InvalidInput { name, value, expected: "a number > 0" })
    }
}

/// Checks that `value` is a whole number of at least zero (a count).
fn count(name: &'static str, value: f64) -> Result<f64, ModelError> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 {
        Ok(value)
    } else {
        Err(ModelError::InvalidInput { name, value, expected: "a whole number >= 0" })
    }
}
