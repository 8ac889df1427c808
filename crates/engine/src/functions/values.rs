//! Integer values inside lists, as the list functions read them.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray, StructArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Int32Type, Int64Type};
use datafusion::common::{HashMap, plan_err};
use datafusion::error::Result;

/// The integer type values are read as: Int32 stays (product numbers are
/// ints, and casting every list of every order would copy them), any other
/// integer widens to Int64.
pub(super) fn value_type(list: &DataType) -> Option<DataType> {
    let DataType::List(item) = list else { return None };
    match item.data_type() {
        DataType::Int32 => Some(DataType::Int32),
        ty if ty.is_integer() || ty.is_null() => Some(DataType::Int64),
        _ => None,
    }
}

pub(super) fn list_of(ty: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(ty, true)))
}

/// What `function`'s first two arguments are read as: `lists` a list of
/// lists of integers, `min_count` an integer; anything else is a planning
/// error naming the argument.
pub(super) fn lists_and_min_count(function: &str, lists: &DataType, min_count: &DataType) -> Result<Vec<DataType>> {
    let inner = match lists {
        DataType::List(outer) => value_type(outer.data_type()),
        _ => None,
    };
    let Some(inner) = inner else {
        return plan_err!("{function}: argument 1 (lists) must be a list of lists of integers, found {lists}");
    };
    if !(min_count.is_integer() || min_count.is_null()) {
        return plan_err!("{function}: argument 2 (min_count) must be an integer, found {min_count}");
    }
    Ok(vec![list_of(list_of(inner)), DataType::Int64])
}

/// One list of structs (`fields`, of `columns`) per row: `lengths[i]`
/// structs each, null where `valid[i]` is false.
pub(super) fn lists_of_structs(
    fields: Fields,
    columns: Vec<ArrayRef>,
    lengths: Vec<usize>,
    valid: Vec<bool>,
) -> Result<ArrayRef> {
    let structs = StructArray::try_new(fields.clone(), columns, None)?;
    let item = Arc::new(Field::new_list_field(DataType::Struct(fields), true));
    Ok(Arc::new(ListArray::try_new(item, OffsetBuffer::from_lengths(lengths), Arc::new(structs), Some(valid.into()))?))
}

/// Appends the non-null values of an Int32 or Int64 array to `out`.
pub(super) fn push_values(array: &ArrayRef, out: &mut Vec<i64>) {
    match array.data_type() {
        DataType::Int32 => out.extend(array.as_primitive::<Int32Type>().iter().flatten().map(i64::from)),
        _ => out.extend(array.as_primitive::<Int64Type>().iter().flatten()),
    }
}

/// Distinct values, ascending, and each one's position among them: a table
/// indexed by value when they span a short range (product numbers do), a
/// hash map otherwise.
pub(super) struct ValueIndex {
    pub(super) values: Vec<i64>,
    positions: Positions,
}

enum Positions {
    Offset { first: i64, slots: Vec<u32> },
    Hashed(HashMap<i64, usize>),
}

impl ValueIndex {
    const ABSENT: u32 = u32::MAX;

    pub(super) fn new(mut values: Vec<i64>) -> Self {
        values.sort_unstable();
        values.dedup();
        let span = match (values.first(), values.last()) {
            (Some(&first), Some(&last)) => last.abs_diff(first).saturating_add(1),
            _ => 0,
        };
        let positions = if span <= (4 * values.len() as u64).max(1 << 16) {
            let first = values.first().copied().unwrap_or(0);
            let mut slots = vec![Self::ABSENT; span as usize];
            for (position, &value) in values.iter().enumerate() {
                slots[value.abs_diff(first) as usize] = position as u32;
            }
            Positions::Offset { first, slots }
        } else {
            Positions::Hashed(values.iter().enumerate().map(|(position, &value)| (value, position)).collect())
        };
        Self { values, positions }
    }

    pub(super) fn len(&self) -> usize {
        self.values.len()
    }

    pub(super) fn position(&self, value: i64) -> Option<usize> {
        match &self.positions {
            Positions::Offset { first, slots } => {
                let slot = *slots.get(usize::try_from(value.checked_sub(*first)?).ok()?)?;
                (slot != Self::ABSENT).then_some(slot as usize)
            }
            Positions::Hashed(positions) => positions.get(&value).copied(),
        }
    }
}
