//! Streams generated lines to CSV (gzip when the path ends with `.gz`) or
//! Parquet with the UCI column names and types.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDateTime;
use datafusion::arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use flate2::write::GzEncoder;

use crate::GenerateError;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// CSV, gzip-compressed when the file name ends in `.gz`.
    Csv,
    Parquet,
}

impl Format {
    /// The format a file name implies: `.parquet`, `.csv` or `.csv.gz`.
    pub fn from_file_name(name: &str) -> Option<Self> {
        if name.ends_with(".csv") || name.ends_with(".csv.gz") {
            Some(Self::Csv)
        } else if name.ends_with(".parquet") {
            Some(Self::Parquet)
        } else {
            None
        }
    }
}

/// One transaction line.
#[derive(Debug, Clone)]
pub struct Line {
    pub invoice_no: String,
    pub stock_code: String,
    pub description: Option<String>,
    pub quantity: i64,
    pub when: NaiveDateTime,
    pub unit_price: f64,
    pub customer_id: Option<u32>,
    pub country: String,
}

const BATCH: usize = 65_536;

pub enum LineWriter {
    Csv { path: String, writer: Box<csv::Writer<Sink>> },
    Parquet { path: String, writer: Box<ArrowWriter<File>>, schema: SchemaRef, batch: Vec<Line> },
}

impl LineWriter {
    pub fn create(path: &Path, format: Format) -> Result<Self, GenerateError> {
        let display = path.display().to_string();
        let io = |source| GenerateError::Io { path: display.clone(), source };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let file = File::create(path).map_err(io)?;
        match format {
            Format::Csv => {
                let sink = if display.ends_with(".gz") {
                    Sink::Gzip(Box::new(GzEncoder::new(BufWriter::new(file), flate2::Compression::fast())))
                } else {
                    Sink::Plain(BufWriter::new(file))
                };
                let mut writer = csv::Writer::from_writer(sink);
                writer
                    .write_record([
                        "InvoiceNo",
                        "StockCode",
                        "Description",
                        "Quantity",
                        "InvoiceDate",
                        "UnitPrice",
                        "CustomerID",
                        "Country",
                    ])
                    .map_err(|e| GenerateError::Write { path: display.clone(), message: e.to_string() })?;
                Ok(LineWriter::Csv { path: display, writer: Box::new(writer) })
            }
            Format::Parquet => {
                let schema = Arc::new(Schema::new(vec![
                    Field::new("InvoiceNo", DataType::Utf8, false),
                    Field::new("StockCode", DataType::Utf8, false),
                    Field::new("Description", DataType::Utf8, true),
                    Field::new("Quantity", DataType::Int64, false),
                    Field::new("InvoiceDate", DataType::Timestamp(TimeUnit::Microsecond, None), false),
                    Field::new("UnitPrice", DataType::Float64, false),
                    Field::new("CustomerID", DataType::Float64, true),
                    Field::new("Country", DataType::Utf8, false),
                ]));
                let properties = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).expect("a valid level")))
                    .build();
                let writer = ArrowWriter::try_new(file, schema.clone(), Some(properties))
                    .map_err(|e| GenerateError::Write { path: display.clone(), message: e.to_string() })?;
                Ok(LineWriter::Parquet {
                    path: display,
                    writer: Box::new(writer),
                    schema,
                    batch: Vec::with_capacity(BATCH),
                })
            }
        }
    }

    pub fn write(&mut self, line: &Line) -> Result<(), GenerateError> {
        match self {
            LineWriter::Csv { path, writer } => writer
                .write_record([
                    line.invoice_no.as_str(),
                    &line.stock_code,
                    line.description.as_deref().unwrap_or(""),
                    &line.quantity.to_string(),
                    &line.when.format("%Y-%m-%d %H:%M:%S").to_string(),
                    &line.unit_price.to_string(),
                    &line.customer_id.map(|id| format!("{id}.0")).unwrap_or_default(),
                    &line.country,
                ])
                .map_err(|e| GenerateError::Write { path: path.clone(), message: e.to_string() }),
            LineWriter::Parquet { batch, .. } => {
                batch.push(line.clone());
                if batch.len() == BATCH { self.flush() } else { Ok(()) }
            }
        }
    }

    fn flush(&mut self) -> Result<(), GenerateError> {
        let LineWriter::Parquet { path, writer, schema, batch } = self else { return Ok(()) };
        if batch.is_empty() {
            return Ok(());
        }
        let mut invoice = StringBuilder::new();
        let mut code = StringBuilder::new();
        let mut description = StringBuilder::new();
        let mut quantity = Int64Builder::with_capacity(batch.len());
        let mut when = TimestampMicrosecondBuilder::with_capacity(batch.len());
        let mut price = Float64Builder::with_capacity(batch.len());
        let mut customer = Float64Builder::with_capacity(batch.len());
        let mut country = StringBuilder::new();
        for line in batch.drain(..) {
            invoice.append_value(&line.invoice_no);
            code.append_value(&line.stock_code);
            description.append_option(line.description.as_deref());
            quantity.append_value(line.quantity);
            when.append_value(line.when.and_utc().timestamp_micros());
            price.append_value(line.unit_price);
            customer.append_option(line.customer_id.map(f64::from));
            country.append_value(&line.country);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(invoice.finish()),
            Arc::new(code.finish()),
            Arc::new(description.finish()),
            Arc::new(quantity.finish()),
            Arc::new(when.finish()),
            Arc::new(price.finish()),
            Arc::new(customer.finish()),
            Arc::new(country.finish()),
        ];
        let message = |e: &dyn std::fmt::Display| GenerateError::Write { path: path.clone(), message: e.to_string() };
        let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| message(&e))?;
        writer.write(&batch).map_err(|e| message(&e))
    }

    pub fn finish(mut self) -> Result<(), GenerateError> {
        self.flush()?;
        match self {
            LineWriter::Csv { path, writer } => {
                let sink = writer
                    .into_inner()
                    .map_err(|e| GenerateError::Write { path: path.clone(), message: e.to_string() })?;
                sink.finish().map_err(|source| GenerateError::Io { path, source })
            }
            LineWriter::Parquet { path, writer, .. } => {
                writer.close().map(drop).map_err(|e| GenerateError::Write { path, message: e.to_string() })
            }
        }
    }
}

/// Where CSV goes: a file, or a gzip stream into one.
pub enum Sink {
    Plain(BufWriter<File>),
    Gzip(Box<GzEncoder<BufWriter<File>>>),
}

impl Sink {
    /// Writes the gzip trailer (if any) and flushes to the file.
    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Plain(mut file) => file.flush(),
            Sink::Gzip(gzip) => gzip.finish()?.flush(),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(file) => file.write(buf),
            Sink::Gzip(gzip) => gzip.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(file) => file.flush(),
            Sink::Gzip(gzip) => gzip.flush(),
        }
    }
}
