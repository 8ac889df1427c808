//! Predictions from fitted parameters, as scalar functions: one value per
//! customer from the model's parameters and the customer's summary. A null
//! argument gives a null (b may be null when a = 0, the no-dropout limit);
//! a value outside the model's domain is an error naming it.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use insights_models::ModelError;
use insights_models::bgnbd::{BgNbd, Pattern};
use insights_models::gamma_gamma::{GammaGamma, SpendPattern};

use super::{coerce_numbers, domain_error};

/// One row's arguments in declaration order; `None` for a null.
type Row<'a> = &'a [Option<f64>];

/// A prediction function: its SQL name, argument names, and the formula.
#[derive(Debug)]
struct Prediction {
    name: &'static str,
    arguments: &'static [&'static str],
    /// Arguments that may be null without making the result null.
    nullable: &'static [&'static str],
    formula: fn(Row) -> Result<Option<f64>, ModelError>,
    signature: Signature,
}

// Functions are told apart by name (DataFusion compares and hashes UDFs).
impl PartialEq for Prediction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Prediction {}

impl std::hash::Hash for Prediction {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

pub(super) fn all() -> Vec<ScalarUDF> {
    let prediction = |name, arguments, nullable, formula| Prediction {
        name,
        arguments,
        nullable,
        formula,
        signature: Signature::user_defined(Volatility::Immutable),
    };
    const P_ALIVE: &[&str] = &["r", "alpha", "a", "b", "frequency", "recency", "t"];
    const EXPECTED: &[&str] = &["r", "alpha", "a", "b", "frequency", "recency", "t", "horizon"];
    vec![
        ScalarUDF::from(prediction("bgnbd_p_alive", P_ALIVE, &["b"], p_alive)),
        ScalarUDF::from(prediction("bgnbd_expected_purchases", EXPECTED, &["b"], expected_purchases)),
        ScalarUDF::from(prediction(
            "gamma_gamma_expected_value",
            &["p", "q", "v", "frequency", "monetary_value"],
            &[],
            expected_value,
        )),
    ]
}

fn bgnbd_customer(row: Row) -> Result<(BgNbd, Pattern), ModelError> {
    let value = |i: usize| row[i].unwrap_or(f64::NAN);
    Ok((BgNbd::new(value(0), value(1), value(2), value(3))?, Pattern::new(value(4), value(5), value(6), 1)?))
}

fn p_alive(row: Row) -> Result<Option<f64>, ModelError> {
    let (model, customer) = bgnbd_customer(row)?;
    Ok(Some(model.p_alive(&customer)))
}

fn expected_purchases(row: Row) -> Result<Option<f64>, ModelError> {
    let (model, customer) = bgnbd_customer(row)?;
    model.expected_purchases(&customer, row[7].unwrap_or(f64::NAN)).map(Some)
}

fn expected_value(row: Row) -> Result<Option<f64>, ModelError> {
    let value = |i: usize| row[i].unwrap_or(f64::NAN);
    let model = GammaGamma::new(value(0), value(1), value(2))?;
    Ok(model.expected_value(&SpendPattern::new(value(3), value(4), 1)?))
}

impl ScalarUDFImpl for Prediction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != self.arguments.len() {
            return datafusion::common::plan_err!(
                "{}: expected ({}), found {} arguments",
                self.name,
                self.arguments.join(", "),
                arg_types.len()
            );
        }
        coerce_numbers(self.name, self.arguments, &[], arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let columns: Vec<&Float64Array> = arrays.iter().map(|a| a.as_primitive::<Float64Type>()).collect();
        let required: Vec<bool> = self.arguments.iter().map(|a| !self.nullable.contains(a)).collect();
        let mut row = vec![None; columns.len()];
        let mut results = Vec::with_capacity(args.number_rows);
        for i in 0..args.number_rows {
            for (slot, column) in row.iter_mut().zip(&columns) {
                *slot = column.is_valid(i).then(|| column.value(i));
            }
            if row.iter().zip(&required).any(|(value, required)| *required && value.is_none()) {
                results.push(None);
                continue;
            }
            results.push((self.formula)(&row).map_err(|e| domain_error(self.name, e))?);
        }
        let array: ArrayRef = std::sync::Arc::new(Float64Array::from(results));
        Ok(ColumnarValue::Array(array))
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    async fn first_value(query: &str) -> datafusion::error::Result<String> {
        let ctx = SessionContext::new();
        crate::functions::register_in(&ctx).expect("registers");
        let batches = ctx.sql(query).await?.collect().await?;
        let column =
            datafusion::arrow::compute::cast(batches[0].column(0), &datafusion::arrow::datatypes::DataType::Utf8)?;
        Ok(if column.is_null(0) { "null".into() } else { column.as_string::<i32>().value(0).to_string() })
    }

    use datafusion::arrow::array::{Array, AsArray};

    #[tokio::test]
    async fn cdnow_customer_1_in_the_next_39_weeks() {
        let value = first_value("select bgnbd_expected_purchases(0.2426, 4.4135, 0.7929, 2.4258, 2, 30.43, 38.86, 39)")
            .await
            .unwrap();
        assert!((value.parse::<f64>().unwrap() - 1.2259).abs() < 1e-3, "{value}");
    }

    #[tokio::test]
    async fn nulls_give_null_and_bad_values_name_the_argument() {
        assert_eq!(first_value("select bgnbd_p_alive(0.8, 69, 0.003, 7.2, null, 0, 10)").await.unwrap(), "null");
        assert_eq!(first_value("select bgnbd_p_alive(0.8, 69, 0, null, 3, 100, 300)").await.unwrap(), "1.0");
        let error =
            first_value("select bgnbd_expected_purchases(0.8, 69, 0.003, 7.2, 3, 100, 300, -5)").await.unwrap_err();
        assert!(error.to_string().contains("bgnbd_expected_purchases: horizon is -5"), "{error}");
        let error = first_value("select gamma_gamma_expected_value(2.2, 3.4, -1, 3, 100)").await.unwrap_err();
        assert!(error.to_string().contains("gamma_gamma_expected_value: v is -1"), "{error}");
        assert_eq!(
            first_value("select bgnbd_expected_purchases(0.8, 69, 0.003, 7.2, 3, 100, 300, 0)").await.unwrap(),
            "0.0"
        );
    }
}
