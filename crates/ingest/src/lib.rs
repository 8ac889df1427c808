//! Ingest: raw shop exports (CSV, gzip CSV, Excel, Parquet) become the
//! curated `transactions` layer, with every unreadable line quarantined and
//! every raw line accounted for.
//!
//! Reading is streaming: each input is parsed in fixed-size batches into
//! typed staging files (one per month; a Parquet input is split into one
//! row range per core, read in parallel), and the cleaning and
//! de-duplication rules run as SQL (`sql/curated/transactions.sql`) on
//! DataFusion, one month at a time, so memory does not grow with the size
//! of the input (beyond what de-duplicating one month needs).

mod columns;
mod curate;
mod error;
mod inputs;
mod months;
mod options;
mod parse;
mod presets;
mod readers;
mod sink;
mod summary;

pub use columns::{CANONICAL_COLUMNS, ColumnMap, LINE_TOTAL, NULL_WHEN_ABSENT, OPTIONAL_COLUMNS, map_columns};
pub use curate::{MONTH_COLUMN, QUARANTINE_DIR, SUMMARY_FILE, TRANSACTIONS_DIR, ingest, transactions_schema};
pub use error::IngestError;
pub use inputs::{Format, InputFile, RemoteInput, list_remote_inputs, open_inputs};
pub use options::{Cancelled, DEFAULT_MEMORY_LIMIT, Delimiter, Encoding, IngestOptions};
pub use presets::Preset;
pub use summary::{FileSummary, IngestSummary, thousands};
