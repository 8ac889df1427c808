//! Result tables as rows of plain values: what charts, findings and the
//! HTML tables need, independent of Arrow types.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::prelude::SessionContext;

use crate::ReportError;

/// One cell. Decimals become floats; dates and timestamps become text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The value as plain text (numbers unformatted), empty for null.
    pub fn text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Text(t) => t.clone(),
        }
    }
}

/// A result table, fully in memory (report tables are aggregates).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn index(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == column)
    }

    /// The values of one column (all null when the column is missing).
    pub fn column(&self, column: &str) -> Vec<Value> {
        match self.index(column) {
            Some(i) => self.rows.iter().map(|row| row[i].clone()).collect(),
            None => vec![Value::Null; self.rows.len()],
        }
    }

    pub fn numbers(&self, column: &str) -> Vec<Option<f64>> {
        self.column(column).iter().map(Value::as_f64).collect()
    }

    pub fn sum(&self, column: &str) -> f64 {
        self.numbers(column).into_iter().flatten().sum()
    }

    /// A cell by row and column name.
    pub fn get(&self, row: usize, column: &str) -> &Value {
        self.index(column).map_or(&Value::Null, |i| &self.rows[row][i])
    }

    /// The row where `column` is largest (first on ties).
    pub fn argmax(&self, column: &str) -> Option<usize> {
        let values = self.numbers(column);
        let mut best: Option<(usize, f64)> = None;
        for (row, value) in values.into_iter().enumerate() {
            if let Some(v) = value
                && best.is_none_or(|(_, b)| v > b)
            {
                best = Some((row, v));
            }
        }
        best.map(|(row, _)| row)
    }

    /// Rows sorted by a numeric column, largest first (nulls last).
    pub fn sorted_desc(&self, column: &str) -> Vec<usize> {
        let values = self.numbers(column);
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (values[a].unwrap_or(f64::NEG_INFINITY), values[b].unwrap_or(f64::NEG_INFINITY));
            b.total_cmp(&a)
        });
        order
    }

    /// Sorts rows in place by the given columns, ascending, numbers before text.
    pub fn sort_by_columns(&mut self, columns: &[String]) {
        let indexes: Vec<usize> = columns.iter().filter_map(|c| self.index(c)).collect();
        self.rows.sort_by(|a, b| {
            indexes.iter().map(|&i| compare(&a[i], &b[i])).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
        });
    }
}

/// Orders values: nulls last, numbers numerically, text lexically.
pub fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (Value::Null, Value::Null) => Equal,
        (Value::Null, _) => Greater,
        (_, Value::Null) => Less,
        (Value::Text(a), Value::Text(b)) => a.cmp(b),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            _ => a.text().cmp(&b.text()),
        },
    }
}

/// Reads a registered table of the session into memory.
pub async fn load(ctx: &SessionContext, name: &str) -> Result<Table, ReportError> {
    let df = ctx.table(name).await?;
    let columns: Vec<String> = df.schema().fields().iter().map(|f| f.name().clone()).collect();
    let mut rows = Vec::new();
    for batch in df.collect().await? {
        let mut batch_rows = vec![Vec::with_capacity(columns.len()); batch.num_rows()];
        for array in batch.columns() {
            let values = values_of(array.as_ref())?;
            for (row, value) in batch_rows.iter_mut().zip(values) {
                row.push(value);
            }
        }
        rows.extend(batch_rows);
    }
    Ok(Table { name: name.to_string(), columns, rows })
}

fn values_of(array: &dyn Array) -> Result<Vec<Value>, ReportError> {
    let ty = array.data_type();
    let values = if ty.is_integer() {
        let ints = cast(array, &DataType::Int64)?;
        let ints = ints.as_primitive::<Int64Type>();
        (0..ints.len()).map(|i| if ints.is_null(i) { Value::Null } else { Value::Int(ints.value(i)) }).collect()
    } else if ty.is_numeric() {
        let floats = cast(array, &DataType::Float64)?;
        let floats = floats.as_primitive::<Float64Type>();
        (0..floats.len()).map(|i| if floats.is_null(i) { Value::Null } else { Value::Float(floats.value(i)) }).collect()
    } else if let Some(lists) = array.as_list_opt::<i32>() {
        // A list of products (a basket rule's antecedent) reads `A + B`.
        let mut values = Vec::with_capacity(lists.len());
        for i in 0..lists.len() {
            values.push(if lists.is_null(i) {
                Value::Null
            } else {
                let items = values_of(lists.value(i).as_ref())?;
                Value::Text(items.iter().map(Value::text).collect::<Vec<_>>().join(" + "))
            });
        }
        values
    } else {
        let text = cast(array, &DataType::Utf8)?;
        let text = text.as_string::<i32>();
        (0..text.len())
            .map(|i| if text.is_null(i) { Value::Null } else { Value::Text(text.value(i).to_string()) })
            .collect()
    };
    Ok(values)
}
