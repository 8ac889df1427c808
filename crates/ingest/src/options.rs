use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{Format, Preset};

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
    pub delimiter: Option<Delimiter>,
    /// The kind of export: which header names each canonical column goes
    /// by, and its order-level conventions.
    pub preset: Preset,
    /// Canonical column name (or `line_total`) -> header name in the
    /// input; wins over the preset's names.
    pub columns: BTreeMap<String, String>,
    /// Columns (header or canonical names) that only an order's first line
    /// carries, copied to its later lines (`None`: the preset's).
    pub fill_down: Option<Vec<String>>,
    /// Which lines are cancellations besides invoices starting with `C`
    /// (`None`: the preset's).
    pub cancelled: Option<Cancelled>,
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

/// How the fields of a text line are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    /// One byte, e.g. `,`, `;`, tab; fields may be quoted.
    Byte(u8),
    /// Runs of spaces and tabs, as fixed-width logs are written; no quoting.
    Whitespace,
}

impl std::str::FromStr for Delimiter {
    type Err = String;

    /// `whitespace`, `tab` or one single-byte character.
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "whitespace" => Ok(Self::Whitespace),
            "tab" | "\\t" => Ok(Self::Byte(b'\t')),
            _ => match text.as_bytes() {
                [byte] if byte.is_ascii() => Ok(Self::Byte(*byte)),
                _ => Err(format!("`{text}` is not a delimiter (one character, `tab` or `whitespace`)")),
            },
        }
    }
}

/// Lines of orders whose `column` holds one of `values` (any case) are
/// cancellations: their invoice number gets the `C` the UCI exports give
/// cancellations, so they count as returns rather than sales.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cancelled {
    pub column: String,
    pub values: Vec<String>,
}

/// De-duplication holds the distinct lines; beyond this it spills to disk,
/// so a 5 GB export does not need 5 GB of memory.
pub const DEFAULT_MEMORY_LIMIT: u64 = 2 << 30;
