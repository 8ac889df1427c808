//! Parquet exports. Integer quantities, timestamps and float prices are
//! taken as typed values; every other column is read as text, so one set
//! of rules types every format. Line numbers are 1-based row numbers.
//! A file can be read in parts (row ranges), one per thread.

use std::fmt::Write;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Decimal128Array, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::parquet::arrow::arrow_reader::{
    ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};
use datafusion::parquet::file::metadata::PageIndexPolicy;

use crate::columns::{INVOICE_TS, QUANTITY, UNIT_PRICE, map_columns};
use crate::parse::{Pretyped, RawLine, parse_decimal};
use crate::sink::Sink;
use crate::{IngestError, IngestOptions, InputFile};

/// Below this many rows a file is read by one thread: starting the others
/// would cost more than they save.
const MIN_ROWS_TO_SPLIT: u64 = 64 * 1024;

/// Reads part `part` of `parts` (an equal share of the rows, in order) into
/// the sink.
pub(crate) fn read(
    file: &InputFile,
    options: &IngestOptions,
    sink: &mut Sink,
    (part, parts): (usize, usize),
) -> Result<(), IngestError> {
    let path = Path::new(&file.name);
    let corrupt = |message: String| IngestError::Corrupt { path: path.to_path_buf(), format: "Parquet", message };
    let handle = File::open(&file.path).map_err(|source| IngestError::Read { path: path.to_path_buf(), source })?;
    if handle.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        return Err(IngestError::Empty { path: path.to_path_buf() });
    }
    // The page index lets a part skip the pages of rows it does not read.
    let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(
        handle,
        ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional),
    )
    .map_err(|e| corrupt(e.to_string()))?;
    let header: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let map = map_columns(path, &header, options)?;
    if !map.fill_down.is_empty() || map.cancelled.is_some() {
        return Err(IngestError::Config(format!(
            "{}: `fill_down` and `cancelled` read an order's lines in file order, which only CSV and Excel \
             inputs have; leave them out (or use a preset without them) for Parquet",
            path.display()
        )));
    }
    // The line total, when it stands in for the unit price, is read as text
    // after the eight canonical columns.
    let positions: Vec<Option<usize>> = map.positions.iter().copied().chain([map.line_total]).collect();
    let rows = builder.metadata().file_metadata().num_rows().max(0) as u64;
    if rows == 0 {
        return Err(IngestError::HeaderOnly { path: path.to_path_buf() });
    }
    let parts = if rows < MIN_ROWS_TO_SPLIT { 1 } else { parts as u64 };
    let (start, end) = if (part as u64) < parts {
        (rows * part as u64 / parts, rows * (part as u64 + 1) / parts)
    } else {
        (rows, rows)
    };
    sink.start_source(file.name.clone());
    sink.set_absent(map.absent());
    if start == end {
        return sink.end_source();
    }
    let selection =
        RowSelection::from(vec![RowSelector::skip(start as usize), RowSelector::select((end - start) as usize)]);
    let reader =
        builder.with_batch_size(8192).with_row_selection(selection).build().map_err(|e| corrupt(e.to_string()))?;
    let mut row = start;
    let mut price_text = String::new();
    for batch in reader {
        let batch = batch.map_err(|e| corrupt(e.to_string()))?;
        let originals: Vec<Option<&ArrayRef>> = positions.iter().map(|p| p.map(|p| batch.column(p))).collect();
        let columns = positions
            .iter()
            .enumerate()
            .map(|(slot, p)| {
                let (Some(p), Some(column)) = (p, originals[slot]) else { return Ok(Column::Absent) };
                let cast_to =
                    |to: &DataType| cast(column, to).map_err(|e| corrupt(format!("column `{}`: {e}", header[*p])));
                match typed_kind(slot, column.data_type()) {
                    Some(kind) => cast_to(&kind).map(Column::Typed),
                    None => match whole_floats_as_text(column) {
                        Some(text) => Ok(Column::Text(text)),
                        None => cast_to(&DataType::Utf8).map(Column::Text),
                    },
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(lines) = lines_as_they_are(&columns) {
            row += batch.num_rows() as u64;
            sink.typed_lines(lines)?;
            continue;
        }
        for index in 0..batch.num_rows() {
            row += 1;
            let mut pretyped = Pretyped::default();
            let field = |slot: usize| match &columns[slot] {
                Column::Text(text) => {
                    let text = text.as_string::<i32>();
                    Some(if text.is_null(index) { "" } else { text.value(index) })
                }
                Column::Typed(_) => Some(""),
                Column::Absent => None,
            };
            let raw = RawLine { fields: std::array::from_fn(field), line_total: field(8), cancelled: false };
            for (slot, column) in columns.iter().enumerate() {
                let Column::Typed(values) = column else { continue };
                if values.is_null(index) {
                    continue;
                }
                match slot {
                    QUANTITY => pretyped.quantity = Some(values.as_primitive::<Int64Type>().value(index)),
                    INVOICE_TS => {
                        pretyped.invoice_ts = Some(values.as_primitive::<TimestampMicrosecondType>().value(index))
                    }
                    _ => {
                        // The float's shortest text, read by the text rules,
                        // so 2.55 is exactly 2.55 whatever the format.
                        let price = values.as_primitive::<Float64Type>().value(index);
                        pretyped.unit_price = four_decimal_value(price).or_else(|| {
                            price_text.clear();
                            let _ = write!(price_text, "{price}");
                            parse_decimal(&price_text)
                        });
                    }
                }
            }
            // The quarantine's canonical fields, the line total as the price.
            let text = || {
                let shown = |slot: usize| originals[slot].or(originals[8].filter(|_| slot == UNIT_PRICE));
                (0..8).map(|slot| shown(slot).map(|c| text_of(c, index)).unwrap_or_default()).collect()
            };
            sink.pretyped_line(row, raw, pretyped, text)?;
        }
    }
    sink.end_source()
}

/// The batch's eight canonical columns as staged, when every line passes
/// the line parser's checks as it is: quantity, timestamp and price typed
/// and never null, every price a decimal of at most four places, and an
/// invoice number and stock code on every line (the parser's only checks
/// of text). Then the batch is staged as whole columns, without typing and
/// copying it line by line (half the staging of a typed export); `None`:
/// line by line. Text nulls stay nulls where the line path stages empty
/// text, which the curation makes null too.
fn lines_as_they_are(columns: &[Column]) -> Option<[ArrayRef; 8]> {
    let typed = |slot: usize| match &columns[slot] {
        Column::Typed(values) if values.null_count() == 0 => Some(values.clone()),
        _ => None,
    };
    let text = |slot: usize| match &columns[slot] {
        Column::Text(values) => Some(values.clone()),
        Column::Typed(_) | Column::Absent => None,
    };
    if columns.iter().skip(8).any(|column| !matches!(column, Column::Absent)) {
        return None;
    }
    let never_empty = |slot: usize| {
        text(slot).filter(|values| {
            values.null_count() == 0 && values.as_string::<i32>().iter().flatten().all(|v| !v.trim().is_empty())
        })
    };
    let (quantity, invoice_ts, prices) = (typed(QUANTITY)?, typed(INVOICE_TS)?, typed(UNIT_PRICE)?);
    let prices: Vec<i128> = prices
        .as_primitive::<Float64Type>()
        .values()
        .iter()
        .map(|&price| four_decimal_value(price))
        .collect::<Option<_>>()?;
    let unit_price = Decimal128Array::from(prices).with_precision_and_scale(18, 4).ok()?;
    Some([never_empty(0)?, never_empty(1)?, text(2)?, quantity, invoice_ts, Arc::new(unit_price), text(6)?, text(7)?])
}

/// A float's value in ten-thousandths, when a decimal of at most four
/// places reads back as exactly this float: then that decimal is the
/// float's shortest text (below 10^11 no other such decimal is as close),
/// so this is what formatting and parsing the text gives, at a fraction of
/// the cost (formatting was 3% of an ingest). `None`: take the text path.
fn four_decimal_value(value: f64) -> Option<i128> {
    let scaled = (value * 10_000.0).round();
    (value.abs() < 1e11 && scaled / 10_000.0 == value).then_some(scaled as i128)
}

/// A mapped column as the reader holds it.
enum Column {
    Text(ArrayRef),
    /// Int64, Timestamp(µs) or Float64, by position.
    Typed(ArrayRef),
    /// The input has no such column.
    Absent,
}

/// A float column whose values are all whole numbers (customer ids exported
/// as floats, 17850.0), as the integers' text (17850): what the curation
/// makes of `17850.0` anyway, without formatting every float and stripping
/// its `.0` again (a tenth of an ingest's work). `None` for other columns.
fn whole_floats_as_text(column: &ArrayRef) -> Option<ArrayRef> {
    let values = match column.data_type() {
        DataType::Float64 => column.as_primitive::<Float64Type>().clone(),
        DataType::Float32 => cast(column, &DataType::Float64).ok()?.as_primitive::<Float64Type>().clone(),
        _ => return None,
    };
    // Up to 2^53 every whole number is exactly one float.
    let whole = |value: f64| value.fract() == 0.0 && value.abs() <= 9_007_199_254_740_992.0;
    if !values.iter().flatten().all(whole) {
        return None;
    }
    let mut text = StringBuilder::with_capacity(values.len(), values.len() * 8);
    let mut digits = String::new();
    for value in values.iter() {
        match value {
            Some(value) => {
                digits.clear();
                let _ = write!(digits, "{}", value as i64);
                text.append_value(&digits);
            }
            None => text.append_null(),
        }
    }
    Some(Arc::new(text.finish()))
}

/// The type a column is read as when it can skip text parsing: integer
/// quantities, zone-less timestamps and dates, float prices.
fn typed_kind(slot: usize, data_type: &DataType) -> Option<DataType> {
    match (slot, data_type) {
        (QUANTITY, t) if t.is_integer() => Some(DataType::Int64),
        (INVOICE_TS, DataType::Timestamp(_, None) | DataType::Date32 | DataType::Date64) => {
            Some(DataType::Timestamp(TimeUnit::Microsecond, None))
        }
        (UNIT_PRICE, DataType::Float32 | DataType::Float64) => Some(DataType::Float64),
        _ => None,
    }
}

/// One value as text, for a quarantined line.
fn text_of(column: &ArrayRef, index: usize) -> String {
    if column.is_null(index) { String::new() } else { array_value_to_string(column, index).unwrap_or_default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_text(value: f64) -> Option<i128> {
        parse_decimal(&value.to_string())
    }

    #[test]
    fn a_float_price_is_the_value_of_its_shortest_text() {
        for cents in (-20_000i64..200_000).chain([1_234_567_890, 99_999_999_999]) {
            for scale in [1.0, 100.0, 10_000.0] {
                let value = cents as f64 / scale;
                assert_eq!(four_decimal_value(value), by_text(value), "{value}");
            }
        }
        // More than four places, or too large to be sure: the text decides.
        for value in [0.00005, 1.0 / 3.0, 2.55555, 123_456_789_012.5, f64::NAN, f64::INFINITY, 1e-300] {
            assert_eq!(four_decimal_value(value), None, "{value}");
        }
        assert_eq!(by_text(0.00005), Some(1));
    }

    #[test]
    fn a_batch_is_staged_whole_only_when_every_line_would_pass() {
        use datafusion::arrow::array::{Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};
        let text = |values: Vec<Option<&str>>| Column::Text(Arc::new(StringArray::from(values)));
        let batch = |invoices: Vec<Option<&str>>, quantities: Vec<Option<i64>>, prices: Vec<f64>| {
            vec![
                text(invoices),
                text(vec![Some("85123A"), Some("POST")]),
                text(vec![Some("WHITE HEART"), None]),
                Column::Typed(Arc::new(Int64Array::from(quantities))),
                Column::Typed(Arc::new(TimestampMicrosecondArray::from(vec![0, 1]))),
                Column::Typed(Arc::new(Float64Array::from(prices))),
                text(vec![None, Some("17850")]),
                text(vec![Some("France"), None]),
            ]
        };
        let whole =
            lines_as_they_are(&batch(vec![Some("536365"), Some("C536366")], vec![Some(6), Some(-1)], vec![2.55, 0.0]))
                .expect("every line passes");
        assert_eq!(whole[5].as_primitive::<datafusion::arrow::datatypes::Decimal128Type>().values(), &[25_500, 0]);
        assert_eq!(whole[2].null_count(), 1, "text nulls stay nulls");
        for (invoices, quantities, prices) in [
            (vec![Some("536365"), Some("  ")], vec![Some(6), Some(1)], vec![2.55, 1.0]),
            (vec![Some("536365"), None], vec![Some(6), Some(1)], vec![2.55, 1.0]),
            (vec![Some("536365"), Some("536366")], vec![Some(6), None], vec![2.55, 1.0]),
            (vec![Some("536365"), Some("536366")], vec![Some(6), Some(1)], vec![2.55, 1.0 / 3.0]),
        ] {
            assert!(lines_as_they_are(&batch(invoices, quantities, prices)).is_none());
        }
    }

    #[test]
    fn whole_floats_read_as_integers_and_other_floats_as_before() {
        let ids: ArrayRef =
            Arc::new(datafusion::arrow::array::Float64Array::from(vec![Some(17850.0), None, Some(-3.0)]));
        let text = whole_floats_as_text(&ids).expect("whole numbers");
        let text = text.as_string::<i32>();
        assert_eq!((text.value(0), text.is_null(1), text.value(2)), ("17850", true, "-3"));
        let f32_ids: ArrayRef = Arc::new(datafusion::arrow::array::Float32Array::from(vec![12346.0]));
        assert_eq!(whole_floats_as_text(&f32_ids).expect("whole").as_string::<i32>().value(0), "12346");
        for other in [vec![17850.5], vec![1e300], vec![f64::NAN]] {
            let column: ArrayRef = Arc::new(datafusion::arrow::array::Float64Array::from(other));
            assert!(whole_floats_as_text(&column).is_none());
        }
    }
}
