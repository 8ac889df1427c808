//! The distinct values of one input of a likelihood. Customers share few
//! frequencies and, in days, few recencies and ages, so the terms of a
//! value (`ln Γ`, `ln`) are computed once per evaluation for all the
//! patterns that have it, instead of once per pattern.

use std::collections::HashMap;

/// Distinct values, in order of first appearance, and which one each
/// pattern has.
pub(crate) struct Distinct {
    pub values: Vec<f64>,
    pub of_pattern: Vec<usize>,
}

impl Distinct {
    /// The distinct values of `per_pattern` (finite numbers: the patterns
    /// are checked).
    pub fn new(per_pattern: impl Iterator<Item = f64>) -> Self {
        let mut index: HashMap<u64, usize> = HashMap::new();
        let mut values = Vec::new();
        let of_pattern = per_pattern
            .map(|value| {
                *index.entry(value.to_bits()).or_insert_with(|| {
                    values.push(value);
                    values.len() - 1
                })
            })
            .collect();
        Self { values, of_pattern }
    }

    /// `term` of each distinct value.
    pub fn map(&self, term: impl Fn(f64) -> f64) -> Vec<f64> {
        self.values.iter().map(|&value| term(value)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_pattern_points_at_its_value() {
        let distinct = Distinct::new([3.0, 1.0, 3.0, 0.0, 1.0].into_iter());
        assert_eq!(distinct.values, [3.0, 1.0, 0.0]);
        assert_eq!(distinct.of_pattern, [0, 1, 0, 2, 1]);
        assert_eq!(distinct.map(|v| v * 2.0), [6.0, 2.0, 0.0]);
    }
}
