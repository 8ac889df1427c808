//! Minimising a smooth function of a few unbounded parameters (the models'
//! log-parameters) with `argmin`'s Nelder-Mead simplex.

use argmin::core::{CostFunction, Error, Executor, State};
use argmin::solver::neldermead::NelderMead;

/// Simplex iterations per start before a start counts as done.
const MAX_ITERATIONS: u64 = 5_000;

/// Stop when the simplex's function values differ by less than this.
const VALUE_TOLERANCE: f64 = 1e-13;

/// The best point found and the function's value there.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    pub point: Vec<f64>,
    pub value: f64,
}

struct Objective<'a>(&'a dyn Fn(&[f64]) -> f64);

impl CostFunction for Objective<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, param: &Vec<f64>) -> Result<f64, Error> {
        // The simplex sorts its points by value: a point outside the
        // function's domain is simply the worst one.
        let value = (self.0)(param);
        Ok(if value.is_nan() { f64::INFINITY } else { value })
    }
}

/// The lowest of the minima reached from each of `starts`. Each start runs
/// twice: the second run restarts the simplex around the first one's best
/// point, so a simplex that collapsed early on a ridge gets a fresh shape.
pub(crate) fn minimize(function: &dyn Fn(&[f64]) -> f64, starts: &[Vec<f64>]) -> Minimum {
    let mut best: Option<Minimum> = None;
    for start in starts {
        let mut point = start.clone();
        for step in [0.5, 0.05] {
            let found = simplex_run(function, &point, step);
            point = found.point.clone();
            if best.as_ref().is_none_or(|b| found.value < b.value) {
                best = Some(found);
            }
        }
    }
    best.expect("at least one start")
}

fn simplex_run(function: &dyn Fn(&[f64]) -> f64, start: &[f64], step: f64) -> Minimum {
    let mut simplex = vec![start.to_vec()];
    for i in 0..start.len() {
        let mut vertex = start.to_vec();
        vertex[i] += step;
        simplex.push(vertex);
    }
    let fallback = || Minimum { point: start.to_vec(), value: function(start) };
    let Ok(solver) = NelderMead::new(simplex).with_sd_tolerance(VALUE_TOLERANCE) else {
        return fallback();
    };
    let run = Executor::new(Objective(function), solver).configure(|state| state.max_iters(MAX_ITERATIONS)).run();
    match run {
        Ok(result) => {
            let state = result.state();
            match state.get_best_param() {
                Some(point) => Minimum { point: point.clone(), value: state.get_best_cost() },
                None => fallback(),
            }
        }
        Err(_) => fallback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_rosenbrock() {
        let rosenbrock = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let minimum = minimize(&rosenbrock, &[vec![-1.2, 1.0]]);
        assert!((minimum.point[0] - 1.0).abs() < 1e-6 && (minimum.point[1] - 1.0).abs() < 1e-6, "{minimum:?}");
    }
}
