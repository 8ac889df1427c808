//! `frequent_values(lists, min_count)`: the values that occur in at least
//! `min_count` of a row's lists, with the number of lists holding each.
//!
//! Why a function: product_affinity counts the pairs of products that
//! orders hold. As rows, every pair of every order is grouped by its two
//! products (105 M rows at ten million lines, into 18 M groups); gathering,
//! per first product, the later products of each order that holds it and
//! counting them here is one pass over a table of counters per product.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, ListArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Int64Type};
use datafusion::common::{HashMap, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use super::values::{lists_and_min_count, lists_of_structs};

const NAME: &str = "frequent_values";

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct FrequentValues {
    signature: Signature,
}

impl FrequentValues {
    pub(super) fn new() -> Self {
        Self { signature: Signature::user_defined(Volatility::Immutable) }
    }
}

fn value_fields() -> Fields {
    Fields::from(vec![Field::new("value", DataType::Int64, false), Field::new("count", DataType::Int64, false)])
}

impl ScalarUDFImpl for FrequentValues {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [lists, min_count] = arg_types else {
            return plan_err!("{NAME}: expected (lists, min_count), found {} arguments", arg_types.len());
        };
        lists_and_min_count(NAME, lists, min_count)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(DataType::Struct(value_fields()), true))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let rows = arrays[0].as_list::<i32>();
        let min_counts = cast(&arrays[1], &DataType::Int64)?;
        let min_counts = min_counts.as_primitive::<Int64Type>();
        let (mut values, mut counts) = (Vec::new(), Vec::new());
        let mut lengths = Vec::with_capacity(rows.len());
        let mut valid = Vec::with_capacity(rows.len());
        for row in 0..rows.len() {
            if rows.is_null(row) || min_counts.is_null(row) {
                lengths.push(0);
                valid.push(false);
                continue;
            }
            let before = values.len();
            for (value, count) in count_values(rows.value(row).as_list::<i32>(), min_counts.value(row))? {
                values.push(value);
                counts.push(count);
            }
            lengths.push(values.len() - before);
            valid.push(true);
        }
        let columns: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(values)), Arc::new(Int64Array::from(counts))];
        Ok(ColumnarValue::Array(lists_of_structs(value_fields(), columns, lengths, valid)?))
    }
}

/// The values that occur in at least `min_count` of `lists`, ascending,
/// with the number of lists that hold each; a value repeated within a list
/// counts once, nulls not at all.
fn count_values(lists: &ListArray, min_count: i64) -> Result<Vec<(i64, i64)>> {
    // Read straight from the lists' shared values (a slice per list costs
    // more than counting its few values). One row's lists are a slice of
    // the column's: their values start at the first offset.
    let offsets = lists.value_offsets();
    let first = offsets[0] as usize;
    let items = lists.values().slice(first, offsets[lists.len()] as usize - first);
    let items = cast(&items, &DataType::Int64)?;
    let items = items.as_primitive::<Int64Type>();
    let mut values = Vec::new();
    let mut ends = Vec::with_capacity(lists.len());
    for i in (0..lists.len()).filter(|&i| lists.is_valid(i)) {
        let (start, end) = (offsets[i] as usize - first, offsets[i + 1] as usize - first);
        if items.null_count() == 0 {
            values.extend_from_slice(&items.values()[start..end]);
        } else {
            values.extend((start..end).filter(|&j| items.is_valid(j)).map(|j| items.value(j)));
        }
        ends.push(values.len());
    }
    let mut counter = ValueCounter::for_values(&values);
    let mut start = 0;
    for (list, &end) in ends.iter().enumerate() {
        for &value in &values[start..end] {
            counter.add(value, list);
        }
        start = end;
    }
    Ok(counter.at_least(min_count.max(1) as u64))
}

/// How many lists hold each value, and the last list that counted it (so
/// that a value repeated within a list counts once without sorting it).
enum ValueCounter {
    /// Values within a short range (product numbers): slots by offset.
    Dense {
        first: i64,
        counts: Vec<u64>,
        last_list: Vec<usize>,
    },
    Sparse(HashMap<i64, (u64, usize)>),
}

impl ValueCounter {
    fn for_values(values: &[i64]) -> Self {
        let (Some(&first), Some(&last)) = (values.iter().min(), values.iter().max()) else {
            return Self::Sparse(HashMap::default());
        };
        let span = last.abs_diff(first).saturating_add(1);
        if span <= (4 * values.len() as u64).max(1 << 16) {
            Self::Dense { first, counts: vec![0; span as usize], last_list: vec![usize::MAX; span as usize] }
        } else {
            Self::Sparse(HashMap::default())
        }
    }

    fn add(&mut self, value: i64, list: usize) {
        let (count, last) = match self {
            Self::Dense { first, counts, last_list } => {
                let slot = value.abs_diff(*first) as usize;
                (&mut counts[slot], &mut last_list[slot])
            }
            Self::Sparse(counts) => {
                let (count, last) = counts.entry(value).or_insert((0, usize::MAX));
                (count, last)
            }
        };
        if *last != list {
            *count += 1;
            *last = list;
        }
    }

    fn at_least(self, min_count: u64) -> Vec<(i64, i64)> {
        match self {
            Self::Dense { first, counts, .. } => {
                // By offset from the first value: counting up from it would
                // step past i64::MAX after the last.
                let values = counts.into_iter().enumerate().filter(|&(_, n)| n >= min_count);
                values.map(|(offset, n)| (first + offset as i64, n as i64)).collect()
            }
            Self::Sparse(counts) => {
                let mut out: Vec<(i64, i64)> =
                    counts.into_iter().filter(|&(_, (n, _))| n >= min_count).map(|(v, (n, _))| (v, n as i64)).collect();
                out.sort_unstable();
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::functions::first_value_displayed as values;

    #[tokio::test]
    async fn counts_the_lists_that_hold_each_value() {
        let lists = "[[3, 1, 2], [1, 2], [2, 3, 3], [5], [1, null, 2], null]";
        assert_eq!(
            values(&format!("select frequent_values({lists}, 2)")).await.unwrap(),
            "[{value: 1, count: 3}, {value: 2, count: 4}, {value: 3, count: 2}]"
        );
        assert_eq!(values(&format!("select frequent_values({lists}, 5)")).await.unwrap(), "[]");
        assert_eq!(
            values("select frequent_values([[3000000000, 1], [3000000000, -7], [1]], 2)").await.unwrap(),
            "[{value: 1, count: 2}, {value: 3000000000, count: 2}]",
            "values spread wide are counted by hash"
        );
        assert_eq!(
            values("select frequent_values([[9223372036854775807, 9223372036854775806]], 1)").await.unwrap(),
            "[{value: 9223372036854775806, count: 1}, {value: 9223372036854775807, count: 1}]"
        );
        assert_eq!(
            values("select frequent_values([[arrow_cast(4, 'Int32'), 4]], 0)").await.unwrap(),
            "[{value: 4, count: 1}]"
        );
        assert_eq!(values("select frequent_values(make_array(make_array(7)), null)").await.unwrap(), "");
        let error = values("select frequent_values(make_array('a'), 1)").await.unwrap_err();
        assert!(error.to_string().contains("must be a list of lists of integers"), "{error}");
        let error = values("select frequent_values([[1]])").await.unwrap_err();
        assert!(error.to_string().contains("expected (lists, min_count), found 1 arguments"), "{error}");
        let error = values("select frequent_values([[1]], 'x')").await.unwrap_err();
        assert!(error.to_string().contains("argument 2 (min_count) must be an integer"), "{error}");
    }
}
