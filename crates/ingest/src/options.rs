use std::collections::BTreeMap;

use serde::Deserialize;

use crate::Format;

/// Text encoding of CSV inputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Encoding {
    /// Decided per file from all of it: UTF-8, unless bytes that cannot be
    /// UTF-8 are as common as valid multi-byte characters, then
    /// Windows-1252 (what Excel on Windows writes); a BOM always wins.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// UTF-8 throughout.
    #[serde(rename = "utf-8", alias = "utf8")]
    #[cfg_attr(feature = "clap", value(name = "utf-8", alias = "utf8"))]
    Utf8,
    /// Windows-1252, the superset of Latin-1 that Windows exports use.
    #[serde(rename = "windows-1252", alias = "cp1252")]
    #[cfg_attr(feature = "clap", value(name = "windows-1252", alias = "cp1252"))]
    Windows1252,
    /// ISO-8859-1; read as Windows-1252, which agrees on every printable byte.
    #[serde(rename = "latin-1", alias = "latin1", alias = "iso-8859-1")]
    #[cfg_attr(feature = "clap", value(name = "latin-1", alias = "latin1", alias = "iso-8859-1"))]
    Latin1,
}

/// How to read the inputs. Everything has a default that reads both UCI
/// exports without configuration.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Overrides the format guessed from the file extension.
    pub format: Option<Format>,
    pub encoding: Encoding,
    /// Read only this Excel sheet (default: every sheet).
    pub sheet: Option<String>,
    /// CSV field delimiter (default: guessed from the header line).
    pub delimiter: Option<u8>,
    /// Canonical column name -> header name in the input, for exports whose
    /// headers are neither UCI style.
    pub columns: BTreeMap<String, String>,
    /// Read `1/2/2011` as 1 February (day first) instead of the UCI's US
    /// month-first order.
    pub day_first: bool,
    /// Extra chrono formats for invoice timestamps, tried before the
    /// built-in ones.
    pub timestamp_formats: Vec<String>,
    /// Show a progress bar (only when stderr is a terminal).
    pub progress: bool,
    /// Memory for de-duplication before it spills to disk, in bytes
    /// (`None`: [`DEFAULT_MEMORY_LIMIT`]).
    pub memory_limit: Option<u64>,
}

/// De-duplication holds the distinct lines; beyond this it spills to disk,
/// so a 5 GB export does not need 5 GB of memory.
pub const DEFAULT_MEMORY_LIMIT: u64 = 2 << 30;
