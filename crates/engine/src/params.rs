//! Binding catalog parameters as typed values (`$name` placeholders).

use chrono::NaiveDate;
use datafusion::common::{ParamValues, ScalarValue};
use insights_catalog::{ParamValue, Params};

pub(crate) fn to_scalar(value: &ParamValue) -> ScalarValue {
    match value {
        ParamValue::Int(v) => ScalarValue::Int64(*v),
        ParamValue::Float(v) => ScalarValue::Float64(*v),
        ParamValue::Text(v) => ScalarValue::Utf8(v.clone()),
        ParamValue::Bool(v) => ScalarValue::Boolean(*v),
        ParamValue::Date(v) => ScalarValue::Date32(v.map(|d| {
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
            (d - epoch).num_days() as i32
        })),
    }
}

pub(crate) fn param_values(params: &Params) -> ParamValues {
    ParamValues::Map(params.iter().map(|(name, value)| (name.clone(), to_scalar(value).into())).collect())
}
