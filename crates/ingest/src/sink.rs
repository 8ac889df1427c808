//! Where readers deliver lines: typed lines go to the staging Arrow IPC files
//! (one per month) the curation SQL reads, rejected lines to the quarantine,
//! and every line is counted against its source file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayBuilder, ArrayRef, Decimal128Builder, Int32Array, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_writer::ArrowWriterOptions;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::{WriterProperties, WriterPropertiesBuilder};
use indicatif::{ProgressBar, ProgressStyle};

use crate::columns::{CANONICAL_COLUMNS, ColumnMap, DESCRIPTION, INVOICE_NO, STOCK_CODE};
use crate::months::{MonthFormat, MonthWriter};
use crate::parse::{LineParser, Pretyped, RawLine, TypedLine};
use crate::{IngestError, IngestOptions};

const BATCH_ROWS: usize = 8192;

/// Counts for one input file (or Excel sheet).
#[derive(Debug, Clone, Default)]
pub(crate) struct SourceCounts {
    pub name: String,
    /// The text encoding it was read in (text files only).
    pub encoding: Option<&'static str>,
    /// The canonical columns its header lacks, once read.
    pub absent: Option<Vec<&'static str>>,
    pub raw_lines: u64,
    pub quarantined: u64,
    pub typed: u64,
}

pub(crate) fn raw_lines_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("invoice_no", DataType::Utf8, true),
        Field::new("stock_code", DataType::Utf8, true),
        Field::new("description", DataType::Utf8, true),
        Field::new("quantity", DataType::Int64, false),
        Field::new("invoice_ts", DataType::Timestamp(TimeUnit::Microsecond, None), false),
        Field::new("unit_price", DataType::Decimal128(18, 4), false),
        Field::new("customer_id", DataType::Utf8, true),
        Field::new("country", DataType::Utf8, true),
        Field::new("source_file", DataType::Int32, false),
    ]))
}

pub(crate) fn quarantine_schema() -> SchemaRef {
    let mut fields = vec![
        Field::new("source_file", DataType::Utf8, false),
        Field::new("line", DataType::Int64, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("raw_record", DataType::Utf8, false),
    ];
    fields.extend(CANONICAL_COLUMNS.iter().map(|name| Field::new(*name, DataType::Utf8, true)));
    Arc::new(Schema::new(fields))
}

/// The quarantine (and the curated layer, see [`curated_writer_options`]):
/// zstd level 1 makes files 2% larger than level 3 but takes a few percent
/// off an ingest.
fn writer_properties() -> WriterProperties {
    compressed().build()
}

fn compressed() -> WriterPropertiesBuilder {
    WriterProperties::builder().set_compression(Compression::ZSTD(ZstdLevel::try_new(1).expect("valid level")))
}

/// The curated layer's files: zstd as [`writer_properties`], and invoice
/// numbers and customer ids without dictionaries. Each row group holds tens
/// of thousands of them, so interning every value cost more than it saved:
/// plain and compressed, those files are 5% smaller and written faster.
/// Strings arrive as views and are written as they are, without the Arrow
/// schema that would tell readers to read them back as views: they read
/// plain strings (or views, when they ask for them), and casting every
/// string to a plain one first was 5% of an ingest.
pub(crate) fn curated_writer_options() -> ArrowWriterOptions {
    let properties = compressed()
        .set_column_dictionary_enabled("invoice_no".into(), false)
        .set_column_dictionary_enabled("customer_id".into(), false)
        .build();
    ArrowWriterOptions::new().with_properties(properties).with_skip_arrow_metadata(true)
}

/// Name of each month's staging file under the staging directory (Arrow
/// IPC, see [`MonthFormat::ArrowIpc`]).
const STAGING_FILE: &str = "raw_lines.arrow";

/// A quarantined line waiting for the next quarantine batch.
struct RejectedLine {
    line: u64,
    reason: String,
    fields: Vec<String>,
    /// Field positions of the canonical columns, when the header mapped.
    positions: Option<[Option<usize>; 8]>,
}

/// The order-level fields of the current order, for its later lines that
/// leave them blank (see `ingest.fill_down`).
#[derive(Debug, Default)]
struct FillDown {
    order: Option<String>,
    /// (field position, value) of each filled-down column.
    values: Vec<(usize, String)>,
}

impl FillDown {
    /// Takes the values of a new order's first line, and any a later line
    /// of the same order gives again.
    fn see(&mut self, order: &str, fields: &[&str], columns: &[usize]) {
        if self.order.as_deref() == Some(order) {
            for (position, value) in &mut self.values {
                if !fields[*position].trim().is_empty() {
                    *value = fields[*position].to_string();
                }
            }
        } else {
            self.order = Some(order.to_string());
            self.values = columns.iter().map(|&position| (position, fields[position].to_string())).collect();
        }
    }

    /// Field `position` of a line of the current order: its own value, or
    /// the order's when it is blank and filled down.
    fn field<'a>(&'a self, fields: &[&'a str], position: usize) -> &'a str {
        let own = fields[position];
        if own.trim().is_empty()
            && let Some((_, value)) = self.values.iter().find(|(filled, _)| *filled == position)
        {
            return value;
        }
        own
    }
}

/// A spinner with the lines read so far, when `options.progress` asks.
pub(crate) fn progress_bar(options: &IngestOptions) -> ProgressBar {
    if options.progress {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {human_pos} lines ({per_sec})").expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    }
}

pub(crate) struct Sink {
    parser: LineParser,
    staging: MonthWriter,
    quarantine_writer: ArrowWriter<File>,
    text: [StringBuilder; 5],
    quantity: Int64Builder,
    invoice_ts: TimestampMicrosecondBuilder,
    unit_price: Decimal128Builder,
    source_file: Int32Builder,
    rejected: Vec<RejectedLine>,
    fill_down: FillDown,
    pub sources: Vec<SourceCounts>,
    progress: ProgressBar,
    unreported_lines: u64,
}

impl Sink {
    /// Typed lines go below `staging_dir`, one file per month. Sinks of
    /// one ingest share its progress bar ([`progress_bar`]).
    pub fn create(
        staging_dir: &Path,
        quarantine_path: &Path,
        options: &IngestOptions,
        progress: ProgressBar,
    ) -> Result<Self, IngestError> {
        let create =
            |path: &Path| File::create(path).map_err(|source| IngestError::Write { path: path.to_path_buf(), source });
        Ok(Self {
            parser: LineParser::new(options)?,
            staging: MonthWriter::new(staging_dir.to_path_buf(), STAGING_FILE, MonthFormat::ArrowIpc),
            quarantine_writer: ArrowWriter::try_new(
                create(quarantine_path)?,
                quarantine_schema(),
                Some(writer_properties()),
            )?,
            text: Default::default(),
            quantity: Int64Builder::new(),
            invoice_ts: TimestampMicrosecondBuilder::new(),
            unit_price: Decimal128Builder::new().with_precision_and_scale(18, 4)?,
            source_file: Int32Builder::new(),
            rejected: Vec::new(),
            fill_down: FillDown::default(),
            sources: Vec::new(),
            progress,
            unreported_lines: 0,
        })
    }

    /// Starts counting lines against a new source (file or sheet).
    pub fn start_source(&mut self, name: String) {
        self.progress.set_message(format!("reading {name}"));
        self.fill_down = FillDown::default();
        self.sources.push(SourceCounts { name, ..Default::default() });
    }

    /// The text encoding the current source is read in.
    pub fn set_encoding(&mut self, encoding: &'static str) {
        self.current().encoding = Some(encoding);
    }

    /// The canonical columns the current source lacks.
    pub fn set_absent(&mut self, absent: Vec<&'static str>) {
        self.current().absent = Some(absent);
    }

    /// Adds, with no lines, the sources `other` started after this sink's
    /// last, so that a source has the same index in both.
    pub fn align_sources(&mut self, other: &Sink) {
        for source in &other.sources[self.sources.len().min(other.sources.len())..] {
            self.sources.push(SourceCounts { name: source.name.clone(), ..Default::default() });
        }
    }

    /// Counts raw lines; the shared progress bar hears of lines in
    /// thousands, so that parallel sinks do not contend for it.
    fn count_lines(&mut self, lines: u64) {
        self.current().raw_lines += lines;
        self.unreported_lines += lines;
        if self.unreported_lines >= 1024 {
            self.report_progress();
        }
    }

    fn report_progress(&mut self) {
        self.progress.inc(std::mem::take(&mut self.unreported_lines));
    }

    /// The current source's position, as staged in `source_file`.
    fn source_index(&self) -> i32 {
        (self.sources.len() - 1) as i32
    }

    fn current(&mut self) -> &mut SourceCounts {
        self.sources.last_mut().expect("start_source is called first")
    }

    /// One raw data line; `map` says where its canonical fields are.
    pub fn line(
        &mut self,
        line: u64,
        fields: &[&str],
        map: &ColumnMap,
        expected_fields: usize,
    ) -> Result<(), IngestError> {
        self.count_lines(1);
        if fields.len() != expected_fields {
            let reason = format!("expected {expected_fields} fields as in the header, found {}", fields.len());
            return self.reject(line, reason, fields, Some(map.canonical_fields()));
        }
        // Taken out while the line borrows from it.
        let mut fill_down = std::mem::take(&mut self.fill_down);
        let filling = !map.fill_down.is_empty();
        if filling && let Some(order) = map.positions[INVOICE_NO] {
            fill_down.see(fields[order].trim(), fields, &map.fill_down);
        }
        let field = |position: usize| if filling { fill_down.field(fields, position) } else { fields[position] };
        let mut canonical = map.positions.map(|position| position.map(field));
        if map.code_from_description && canonical[STOCK_CODE].is_some_and(|code| code.trim().is_empty()) {
            canonical[STOCK_CODE] = canonical[DESCRIPTION];
        }
        let raw = RawLine {
            fields: canonical,
            line_total: map.line_total.map(field),
            cancelled: map.cancelled.as_ref().is_some_and(|(position, values)| {
                values.iter().any(|v| field(*position).trim().eq_ignore_ascii_case(v))
            }),
        };
        let result = match self.parser.parse(raw) {
            Ok(typed) => self.append(typed),
            Err(reason) => self.reject(line, reason, fields, Some(map.canonical_fields())),
        };
        self.fill_down = fill_down;
        result
    }

    /// One raw data line whose reader already typed some values; `text`
    /// gives the canonical fields as text, wanted only if the line is
    /// quarantined.
    pub fn pretyped_line(
        &mut self,
        line: u64,
        raw: RawLine,
        pretyped: Pretyped,
        text: impl FnOnce() -> Vec<String>,
    ) -> Result<(), IngestError> {
        self.count_lines(1);
        match self.parser.parse_pretyped(raw, pretyped) {
            Ok(typed) => self.append(typed),
            Err(reason) => {
                let text = text();
                let fields: Vec<&str> = text.iter().map(String::as_str).collect();
                self.reject(line, reason, &fields, Some(std::array::from_fn(Some)))
            }
        }
    }

    /// Lines a reader holds as whole columns (the eight canonical ones, as
    /// staged) and has found to pass every check of the line parser: they
    /// are staged as they are instead of being copied line by line.
    pub fn typed_lines(&mut self, columns: [ArrayRef; 8]) -> Result<(), IngestError> {
        let rows = columns[0].len();
        self.count_lines(rows as u64);
        self.current().typed += rows as u64;
        let mut columns = Vec::from(columns);
        columns.push(Arc::new(Int32Array::from(vec![self.source_index(); rows])));
        self.staging.write(&RecordBatch::try_new(raw_lines_schema(), columns)?)
    }

    fn append(&mut self, typed: TypedLine) -> Result<(), IngestError> {
        match typed.invoice_no {
            Some(invoice) if typed.cancelled => self.text[0].append_value(format!("C{}", invoice.trim_start())),
            invoice => self.text[0].append_option(invoice),
        }
        for (builder, value) in
            self.text[1..].iter_mut().zip([typed.stock_code, typed.description, typed.customer_id, typed.country])
        {
            builder.append_option(value);
        }
        self.quantity.append_value(typed.quantity);
        self.invoice_ts.append_value(typed.invoice_ts);
        self.unit_price.append_value(typed.unit_price);
        self.source_file.append_value(self.source_index());
        self.current().typed += 1;
        if self.quantity.len() >= BATCH_ROWS {
            self.flush_lines()?;
        }
        Ok(())
    }

    /// A line that cannot be read at all (e.g. invalid bytes); it is counted
    /// as a raw line and quarantined.
    pub fn unreadable(
        &mut self,
        line: u64,
        reason: String,
        fields: &[&str],
        positions: Option<[Option<usize>; 8]>,
    ) -> Result<(), IngestError> {
        self.count_lines(1);
        self.reject(line, reason, fields, positions)
    }

    fn reject(
        &mut self,
        line: u64,
        reason: String,
        fields: &[&str],
        positions: Option<[Option<usize>; 8]>,
    ) -> Result<(), IngestError> {
        self.current().quarantined += 1;
        let fields = fields.iter().map(|f| f.to_string()).collect();
        self.rejected.push(RejectedLine { line, reason, fields, positions });
        if self.rejected.len() >= BATCH_ROWS {
            self.flush_rejected()?;
        }
        Ok(())
    }

    fn flush_lines(&mut self) -> Result<(), IngestError> {
        if self.quantity.is_empty() {
            return Ok(());
        }
        let [invoice_no, stock_code, description, customer_id, country] = &mut self.text;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(invoice_no.finish()),
            Arc::new(stock_code.finish()),
            Arc::new(description.finish()),
            Arc::new(self.quantity.finish()),
            Arc::new(self.invoice_ts.finish()),
            Arc::new(self.unit_price.finish().with_precision_and_scale(18, 4)?),
            Arc::new(customer_id.finish()),
            Arc::new(country.finish()),
            Arc::new(self.source_file.finish()),
        ];
        self.staging.write(&RecordBatch::try_new(raw_lines_schema(), columns)?)?;
        Ok(())
    }

    fn flush_rejected(&mut self) -> Result<(), IngestError> {
        if self.rejected.is_empty() {
            return Ok(());
        }
        let mut source = StringBuilder::new();
        let mut line = Int64Builder::new();
        let mut reason = StringBuilder::new();
        let mut raw_record = StringBuilder::new();
        let mut canonical: [StringBuilder; 8] = Default::default();
        let source_name = self.current().name.clone();
        for rejected in self.rejected.drain(..) {
            source.append_value(&source_name);
            line.append_value(rejected.line as i64);
            reason.append_value(rejected.reason);
            raw_record.append_value(join_record(&rejected.fields));
            for (slot, builder) in canonical.iter_mut().enumerate() {
                builder.append_option(rejected.positions.and_then(|p| rejected.fields.get(p[slot]?)));
            }
        }
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(source.finish()),
            Arc::new(line.finish()),
            Arc::new(reason.finish()),
            Arc::new(raw_record.finish()),
        ];
        columns.extend(canonical.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        self.quarantine_writer.write(&RecordBatch::try_new(quarantine_schema(), columns)?)?;
        Ok(())
    }

    /// Called at the end of each source so quarantined lines carry its name.
    pub fn end_source(&mut self) -> Result<(), IngestError> {
        self.report_progress();
        self.flush_rejected()
    }

    /// Closes every file; returns the counts per source and the staging
    /// files, one per month in month order.
    pub fn finish(mut self) -> Result<(Vec<SourceCounts>, Vec<PathBuf>), IngestError> {
        self.flush_lines()?;
        self.flush_rejected()?;
        let staged = self.staging.close()?;
        self.quarantine_writer.close()?;
        Ok((self.sources, staged))
    }
}

/// The fields as one CSV record, for reading a quarantined line as it was.
fn join_record(fields: &[String]) -> String {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let _ = writer.write_record(fields);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).trim_end_matches('\n').to_string()
}
