//! The fits, as aggregate functions over one row per customer. Partial
//! states hold the distinct (frequency, recency, t) patterns with their
//! customer counts, so what travels between stages and what the optimiser
//! iterates over grows with the number of distinct patterns, not with the
//! customers.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, ListArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type, Int64Type};
use datafusion::common::exec_err;
use datafusion::common::scalar::ScalarStructBuilder;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use datafusion::scalar::ScalarValue;
use insights_models::{bgnbd, gamma_gamma};

use super::{coerce_numbers, domain_error};

/// Distinct patterns (their values' bits) and how many customers each.
type Patterns = HashMap<Vec<u64>, i64>;

/// What differs between the two fits: their names, inputs and result.
pub(super) trait Model: Send + Sync + std::fmt::Debug + PartialEq + Eq + std::hash::Hash + 'static {
    const NAME: &'static str;
    /// The summary columns, in argument order (an optional customer count
    /// follows them).
    const INPUTS: &'static [&'static str];
    /// The result's parameters, each a Float64 field.
    const PARAMS: &'static [&'static str];
    /// Fits the patterns: parameters in `PARAMS` order (`None` where not
    /// identified), customers fitted and the note.
    fn fit(patterns: &[(Vec<f64>, u64)]) -> Result<(Vec<Option<f64>>, u64, Option<String>)>;
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct BgNbdModel;

impl Model for BgNbdModel {
    const NAME: &'static str = "bgnbd_fit";
    const INPUTS: &'static [&'static str] = &["frequency", "recency", "t"];
    const PARAMS: &'static [&'static str] = &["r", "alpha", "a", "b"];

    fn fit(patterns: &[(Vec<f64>, u64)]) -> Result<(Vec<Option<f64>>, u64, Option<String>)> {
        let patterns = patterns
            .iter()
            .map(|(v, customers)| bgnbd::Pattern::new(v[0], v[1], v[2], *customers))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| domain_error(Self::NAME, e))?;
        let fit = bgnbd::fit(&patterns);
        let params = match fit.params {
            // b plays no part in the no-dropout limit: null, not a number.
            Some(p) => vec![Some(p.r), Some(p.alpha), Some(p.a), (p.a > 0.0).then_some(p.b)],
            None => vec![None; 4],
        };
        Ok((params, fit.customers, fit.note))
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct GammaGammaModel;

impl Model for GammaGammaModel {
    const NAME: &'static str = "gamma_gamma_fit";
    const INPUTS: &'static [&'static str] = &["frequency", "monetary_value"];
    const PARAMS: &'static [&'static str] = &["p", "q", "v"];

    fn fit(patterns: &[(Vec<f64>, u64)]) -> Result<(Vec<Option<f64>>, u64, Option<String>)> {
        let patterns = patterns
            .iter()
            .map(|(v, customers)| gamma_gamma::SpendPattern::new(v[0], v[1], *customers))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| domain_error(Self::NAME, e))?;
        let fit = gamma_gamma::fit(&patterns);
        let params = match fit.params {
            Some(p) => vec![Some(p.p), Some(p.q), Some(p.v)],
            None => vec![None; 3],
        };
        Ok((params, fit.customers, fit.note))
    }
}

/// `bgnbd_fit(frequency, recency, t [, customers])`.
pub(super) type BgNbdFit = Fit<BgNbdModel>;
/// `gamma_gamma_fit(frequency, monetary_value [, customers])`.
pub(super) type GammaGammaFit = Fit<GammaGammaModel>;

/// An aggregate function fitting model `M`; its result is a struct of the
/// parameters, `customers` (fitted) and `note`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Fit<M> {
    signature: Signature,
    model: std::marker::PhantomData<M>,
}

impl<M: Model> Fit<M> {
    pub(super) fn new() -> Self {
        Self { signature: Signature::user_defined(Volatility::Immutable), model: std::marker::PhantomData }
    }

    fn result_fields() -> Fields {
        let mut fields: Vec<Field> = M::PARAMS.iter().map(|p| Field::new(*p, DataType::Float64, true)).collect();
        fields.push(Field::new("customers", DataType::Int64, false));
        fields.push(Field::new("note", DataType::Utf8, true));
        Fields::from(fields)
    }
}

impl<M: Model> AggregateUDFImpl for Fit<M> {
    fn name(&self) -> &str {
        M::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let inputs = M::INPUTS.len();
        if arg_types.len() != inputs && arg_types.len() != inputs + 1 {
            return datafusion::common::plan_err!(
                "{}: expected ({}[, customers]), found {} arguments",
                M::NAME,
                M::INPUTS.join(", "),
                arg_types.len()
            );
        }
        let names: Vec<&str> = M::INPUTS.iter().copied().chain(["customers"]).collect();
        coerce_numbers(M::NAME, &names, &["customers"], arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(Self::result_fields()))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let weighted = args.exprs.len() > M::INPUTS.len();
        Ok(Box::new(FitAccumulator::<M> { patterns: HashMap::new(), weighted, model: std::marker::PhantomData }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = |name: &str, item: DataType| {
            Arc::new(Field::new(
                format!("{}[{name}]", args.name),
                DataType::List(Arc::new(Field::new_list_field(item, true))),
                true,
            ))
        };
        let mut fields: Vec<FieldRef> = M::INPUTS.iter().map(|name| list(name, DataType::Float64)).collect();
        fields.push(list("customers", DataType::Int64));
        Ok(fields)
    }
}

#[derive(Debug)]
struct FitAccumulator<M> {
    patterns: Patterns,
    weighted: bool,
    model: std::marker::PhantomData<M>,
}

impl<M: Model> FitAccumulator<M> {
    fn add(&mut self, values: Vec<u64>, customers: i64) -> Result<()> {
        if customers < 0 {
            return exec_err!("{}: customers is {customers}: expected a count >= 0", M::NAME);
        }
        *self.patterns.entry(values).or_default() += customers;
        Ok(())
    }
}

impl<M: Model> Accumulator for FitAccumulator<M> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let inputs: Vec<&Float64Array> =
            values[..M::INPUTS.len()].iter().map(|a| a.as_primitive::<Float64Type>()).collect();
        let counts = self.weighted.then(|| values[M::INPUTS.len()].as_primitive::<Int64Type>());
        for row in 0..values[0].len() {
            if let Some(column) = inputs.iter().position(|a| a.is_null(row)) {
                return exec_err!(
                    "{}: {} is null: every customer needs a complete summary ({})",
                    M::NAME,
                    M::INPUTS[column],
                    M::INPUTS.join(", ")
                );
            }
            let customers = match counts {
                Some(c) if c.is_null(row) => return exec_err!("{}: customers is null", M::NAME),
                Some(c) => c.value(row),
                None => 1,
            };
            self.add(inputs.iter().map(|a| a.value(row).to_bits()).collect(), customers)?;
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists: Vec<&ListArray> = states.iter().map(|s| s.as_list::<i32>()).collect();
        for row in 0..lists[0].len() {
            if lists[0].is_null(row) {
                continue;
            }
            let columns: Vec<ArrayRef> = lists.iter().map(|l| l.value(row)).collect();
            let values: Vec<&Float64Array> =
                columns[..M::INPUTS.len()].iter().map(|a| a.as_primitive::<Float64Type>()).collect();
            let counts = columns[M::INPUTS.len()].as_primitive::<Int64Type>();
            for i in 0..counts.len() {
                self.add(values.iter().map(|a| a.value(i).to_bits()).collect(), counts.value(i))?;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let mut columns: Vec<Vec<f64>> = vec![Vec::with_capacity(self.patterns.len()); M::INPUTS.len()];
        let mut counts = Vec::with_capacity(self.patterns.len());
        for (values, customers) in &self.patterns {
            for (column, bits) in columns.iter_mut().zip(values) {
                column.push(f64::from_bits(*bits));
            }
            counts.push(*customers);
        }
        let mut state: Vec<ScalarValue> = columns
            .into_iter()
            .map(|c| {
                ScalarValue::List(Arc::new(ListArray::from_iter_primitive::<Float64Type, _, _>([Some(
                    c.into_iter().map(Some),
                )])))
            })
            .collect();
        state.push(ScalarValue::List(Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>([Some(
            counts.into_iter().map(Some),
        )]))));
        Ok(state)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        // Sorted, so the optimiser sees the same sequence of terms on every
        // run whatever order the partial states arrived in.
        let mut patterns: Vec<(Vec<f64>, u64)> = self
            .patterns
            .iter()
            .filter(|(_, customers)| **customers > 0)
            .map(|(bits, customers)| (bits.iter().map(|b| f64::from_bits(*b)).collect(), *customers as u64))
            .collect();
        patterns.sort_by(|x, y| x.0.partial_cmp(&y.0).unwrap_or(std::cmp::Ordering::Equal));
        let (params, customers, note) = M::fit(&patterns)?;
        let mut builder = ScalarStructBuilder::new();
        for (name, value) in M::PARAMS.iter().zip(params) {
            builder = builder.with_scalar(Field::new(*name, DataType::Float64, true), ScalarValue::Float64(value));
        }
        builder
            .with_scalar(Field::new("customers", DataType::Int64, false), ScalarValue::Int64(Some(customers as i64)))
            .with_scalar(Field::new("note", DataType::Utf8, true), ScalarValue::Utf8(note))
            .build()
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.patterns.len() * (M::INPUTS.len() * 8 + 48)
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    use super::*;

    async fn sql(query: &str) -> Result<Vec<datafusion::arrow::array::RecordBatch>> {
        let ctx = SessionContext::new();
        crate::functions::register_in(&ctx).expect("registers");
        ctx.sql(query).await?.collect().await
    }

    /// The CDNOW summary published with the BG/NBD paper, fitted through
    /// SQL: the paper's (and `lifetimes`') estimates.
    #[tokio::test]
    async fn cdnow_through_sql_reproduces_the_papers_estimates() {
        let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/datasets/cdnow/cdnow_customers.csv");
        let ctx = SessionContext::new();
        crate::functions::register_in(&ctx).expect("registers");
        ctx.register_csv("cdnow", csv, Default::default()).await.expect("../shared beside the checkout");
        let query = "select m['r'], m['alpha'], m['a'], m['b'], m['customers'], g['p'], g['q'], g['v'], g['customers'] \
                     from (select bgnbd_fit(x, t_x, \"T\") as m, gamma_gamma_fit(x, zbar) as g from cdnow)";
        let batches = ctx.sql(query).await.unwrap().collect().await.unwrap();
        let values: Vec<f64> = batches[0]
            .columns()
            .iter()
            .map(|c| {
                datafusion::arrow::compute::cast(c, &DataType::Float64).unwrap().as_primitive::<Float64Type>().value(0)
            })
            .collect();
        let expected = [0.2426, 4.4135, 0.7929, 2.4258, 2357.0, 6.2488, 3.7446, 15.4477, 946.0];
        for (value, expected) in values.iter().zip(expected) {
            assert!((value - expected).abs() <= 1e-3 * expected, "{values:?}");
        }
    }

    #[tokio::test]
    async fn a_fit_over_no_rows_is_null_parameters_with_a_note() {
        let batches = sql("select bgnbd_fit(f, r, t) as m from (values (1.0, 2.0, 3.0)) as v(f, r, t) where f > 5")
            .await
            .unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string();
        assert!(text.contains("no customers to fit"), "{text}");
    }

    #[tokio::test]
    async fn bad_inputs_are_errors_that_name_the_column() {
        let error = sql("select bgnbd_fit(f, r, t) from (values (-1.0, 0.0, 3.0)) as v(f, r, t)").await.unwrap_err();
        assert!(error.to_string().contains("bgnbd_fit: frequency is -1"), "{error}");
        let error = sql("select bgnbd_fit(f, r, t) from (values (cast(null as double), 0.0, 3.0)) as v(f, r, t)")
            .await
            .unwrap_err();
        assert!(error.to_string().contains("frequency is null"), "{error}");
        let error = sql("select gamma_gamma_fit('x', 2.0)").await.unwrap_err();
        assert!(error.to_string().contains("argument 1 (frequency) must be a number"), "{error}");
    }
}
