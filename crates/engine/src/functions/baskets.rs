//! `frequent_pairs(lists, min_count[, among])`: the pairs of values that
//! occur together in at least `min_count` of a row's lists, with their
//! counts; with `among`, only pairs of those values.
//!
//! Why a function: basket_rules counts the triples of products that orders
//! hold. Grouping every (a, b, c) an order holds is tens of millions of rows
//! per million lines (and orders of hundreds of products exist); gathering,
//! per first product a, the orders that hold it and counting the pairs of
//! a's frequent partners within them is a tight loop over a small table per
//! product instead. `among` keeps the partners: intersecting every order
//! with a's partner list in SQL would carry that list beside each of a's
//! orders (billions of values at ten million lines).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, ListArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Int64Type};
use datafusion::common::{HashMap, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use super::values::{ValueIndex, list_of, lists_and_min_count, lists_of_structs, push_values, value_type};

const NAME: &str = "frequent_pairs";

/// Pair tables of up to this many distinct values are dense (a triangle of
/// counters, 8 M of them at most); larger ones are hash maps.
const DENSE_LIMIT: usize = 4096;

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct FrequentPairs {
    signature: Signature,
}

impl FrequentPairs {
    pub(super) fn new() -> Self {
        Self { signature: Signature::user_defined(Volatility::Immutable) }
    }
}

fn pair_fields() -> Fields {
    Fields::from(vec![
        Field::new("first", DataType::Int64, false),
        Field::new("second", DataType::Int64, false),
        Field::new("count", DataType::Int64, false),
    ])
}

impl ScalarUDFImpl for FrequentPairs {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let (lists, min_count, among) = match arg_types {
            [lists, min_count] => (lists, min_count, None),
            [lists, min_count, among] => (lists, min_count, Some(among)),
            _ => {
                return plan_err!(
                    "{NAME}: expected (lists, min_count) or (lists, min_count, among), found {} arguments",
                    arg_types.len()
                );
            }
        };
        let mut coerced = lists_and_min_count(NAME, lists, min_count)?;
        if let Some(among) = among {
            let Some(values) = value_type(among) else {
                return plan_err!("{NAME}: argument 3 (among) must be a list of integers, found {among}");
            };
            coerced.push(list_of(values));
        }
        Ok(coerced)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(DataType::Struct(pair_fields()), true))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let rows = arrays[0].as_list::<i32>();
        let min_counts = cast(&arrays[1], &DataType::Int64)?;
        let min_counts = min_counts.as_primitive::<Int64Type>();
        let among = arrays.get(2).map(|among| among.as_list::<i32>());
        let (mut first, mut second, mut count) = (Vec::new(), Vec::new(), Vec::new());
        let mut lengths = Vec::with_capacity(rows.len());
        let mut valid = Vec::with_capacity(rows.len());
        for row in 0..rows.len() {
            let among_row = match among {
                Some(among) if among.is_null(row) => None,
                Some(among) => Some(Some(among.value(row))),
                None => Some(None),
            };
            let (false, false, Some(among_row)) = (rows.is_null(row), min_counts.is_null(row), among_row) else {
                lengths.push(0);
                valid.push(false);
                continue;
            };
            let before = first.len();
            let lists = rows.value(row);
            for (a, b, n) in count_pairs(lists.as_list::<i32>(), min_counts.value(row), among_row.as_ref())? {
                first.push(a);
                second.push(b);
                count.push(n);
            }
            lengths.push(first.len() - before);
            valid.push(true);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(first)),
            Arc::new(Int64Array::from(second)),
            Arc::new(Int64Array::from(count)),
        ];
        Ok(ColumnarValue::Array(lists_of_structs(pair_fields(), columns, lengths, valid)?))
    }
}

/// The pairs (x, y), x < y, of values (of `among`, when given) that occur
/// together in at least `min_count` of `lists`, ascending; a value repeated
/// within a list counts once, nulls not at all.
fn count_pairs(lists: &ListArray, min_count: i64, among: Option<&ArrayRef>) -> Result<Vec<(i64, i64, i64)>> {
    let mut values = Vec::new();
    match among {
        Some(among) => push_values(among, &mut values),
        None => (0..lists.len()).filter(|&i| lists.is_valid(i)).for_each(|i| push_values(&lists.value(i), &mut values)),
    }
    let index = ValueIndex::new(values);
    let mut table = PairTable::new(index.len());
    let (mut members, mut local) = (Vec::new(), Vec::new());
    for i in (0..lists.len()).filter(|&i| lists.is_valid(i)) {
        members.clear();
        push_values(&lists.value(i), &mut members);
        local.clear();
        local.extend(members.iter().filter_map(|&value| index.position(value)));
        local.sort_unstable();
        local.dedup();
        for (i, &x) in local.iter().enumerate() {
            for &y in &local[i + 1..] {
                table.add(x, y);
            }
        }
    }
    let pairs = table.at_least(min_count.max(1) as u64);
    if pairs.len() > i32::MAX as usize {
        return exec_err!("{NAME}: more than {} pairs in one row", i32::MAX);
    }
    Ok(pairs.into_iter().map(|(x, y, n)| (index.values[x], index.values[y], n as i64)).collect())
}

/// Counters of the pairs (x, y), x < y, of local indexes.
enum PairTable {
    Dense { size: usize, counts: Vec<u32> },
    Sparse(HashMap<(usize, usize), u64>),
}

impl PairTable {
    fn new(size: usize) -> Self {
        if size <= DENSE_LIMIT {
            Self::Dense { size, counts: vec![0; size * size.saturating_sub(1) / 2] }
        } else {
            Self::Sparse(HashMap::default())
        }
    }

    /// Row x of the triangle starts after the x rows above it, which hold
    /// size - 1, size - 2, … cells.
    fn cell(size: usize, x: usize, y: usize) -> usize {
        x * (2 * size - x - 1) / 2 + (y - x - 1)
    }

    fn add(&mut self, x: usize, y: usize) {
        match self {
            Self::Dense { size, counts } => counts[Self::cell(*size, x, y)] += 1,
            Self::Sparse(counts) => *counts.entry((x, y)).or_default() += 1,
        }
    }

    fn at_least(self, min_count: u64) -> Vec<(usize, usize, u64)> {
        match self {
            Self::Dense { size, counts } => {
                let mut out = Vec::new();
                for x in 0..size {
                    for y in x + 1..size {
                        let n = u64::from(counts[Self::cell(size, x, y)]);
                        if n >= min_count {
                            out.push((x, y, n));
                        }
                    }
                }
                out
            }
            Self::Sparse(counts) => {
                let mut out: Vec<(usize, usize, u64)> =
                    counts.into_iter().filter(|&(_, n)| n >= min_count).map(|((x, y), n)| (x, y, n)).collect();
                out.sort_unstable();
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::functions::first_value_displayed as pairs;

    #[tokio::test]
    async fn counts_the_pairs_of_values_within_lists() {
        let lists = "[[3, 1, 2], [1, 2], [2, 3, 3], [5], [1, null, 2]]";
        assert_eq!(
            pairs(&format!("select frequent_pairs({lists}, 2)")).await.unwrap(),
            "[{first: 1, second: 2, count: 3}, {first: 2, second: 3, count: 2}]"
        );
        assert_eq!(pairs(&format!("select frequent_pairs({lists}, 4)")).await.unwrap(), "[]");
        assert_eq!(pairs("select frequent_pairs(make_array(make_array(7)), 1)").await.unwrap(), "[]");
        assert_eq!(
            pairs(&format!("select frequent_pairs({lists}, 2, [3, 2, 9])")).await.unwrap(),
            "[{first: 2, second: 3, count: 2}]"
        );
        assert_eq!(
            pairs(&format!("select frequent_pairs({lists}, 1, [1, 5, 3000000000])")).await.unwrap(),
            "[]",
            "values spread wide are looked up by hash"
        );
        assert_eq!(
            pairs(&format!("select frequent_pairs({lists}, 2, [1, 2, 3000000000])")).await.unwrap(),
            "[{first: 1, second: 2, count: 3}]"
        );
        assert_eq!(
            pairs("select frequent_pairs([[arrow_cast(1, 'Int32'), 2]], 1, [arrow_cast(2, 'Int32'), 1])")
                .await
                .unwrap(),
            "[{first: 1, second: 2, count: 1}]"
        );
        let error = pairs("select frequent_pairs(make_array('a'), 1)").await.unwrap_err();
        assert!(error.to_string().contains("must be a list of lists of integers"), "{error}");
        let error = pairs(&format!("select frequent_pairs({lists}, 1, ['a'])")).await.unwrap_err();
        assert!(error.to_string().contains("argument 3 (among) must be a list of integers"), "{error}");
    }

    #[test]
    fn the_dense_and_the_sparse_table_agree() {
        let size = 40;
        let (mut dense, mut sparse) = (super::PairTable::new(size), super::PairTable::Sparse(Default::default()));
        for x in 0..size {
            for y in (x + 1..size).step_by(x % 3 + 1) {
                for _ in 0..(x + y) % 4 {
                    dense.add(x, y);
                    sparse.add(x, y);
                }
            }
        }
        assert_eq!(dense.at_least(2), sparse.at_least(2));
    }
}
