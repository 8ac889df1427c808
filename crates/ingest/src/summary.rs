use serde::{Deserialize, Serialize};

/// Row accounting of one input file (or Excel sheet):
/// `raw_lines = kept + duplicates + quarantined`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileSummary {
    pub file: String,
    /// The text encoding the file was read in; none for Excel and Parquet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    pub raw_lines: u64,
    pub kept: u64,
    pub duplicates: u64,
    pub quarantined: u64,
}

/// What an ingest did, written as `ingest_summary.json` beside the tables.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IngestSummary {
    pub raw_lines: u64,
    pub kept: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    pub files: Vec<FileSummary>,
    /// Canonical columns no input has: without `invoice_no` an order is one
    /// customer's purchase at one time, without `quantity` a line is one
    /// item, and `stock_code`, `description` and `country` are null (the
    /// insights that need them are skipped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent_columns: Vec<String>,
}

impl IngestSummary {
    pub fn from_files(files: Vec<FileSummary>) -> Self {
        let total = |f: fn(&FileSummary) -> u64| files.iter().map(f).sum();
        Self {
            raw_lines: total(|f| f.raw_lines),
            kept: total(|f| f.kept),
            duplicates: total(|f| f.duplicates),
            quarantined: total(|f| f.quarantined),
            files,
            absent_columns: Vec::new(),
        }
    }

    /// `541,909 raw = 536,641 kept + 5,268 duplicates + 0 quarantined`
    pub fn accounting_line(&self) -> String {
        format!(
            "{} raw = {} kept + {} duplicates + {} quarantined",
            thousands(self.raw_lines),
            thousands(self.kept),
            thousands(self.duplicates),
            thousands(self.quarantined)
        )
    }
}

/// 541909 -> "541,909", -1234 -> "-1,234": how every count is printed, in
/// the ingest summary, the run's table and the report.
pub fn thousands(value: impl Into<i128>) -> String {
    let value = value.into();
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0 { format!("-{out}") } else { out }
}
