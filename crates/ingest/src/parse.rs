//! Typing one raw line: the checks that decide between curated and
//! quarantine. Normalisation (trimming, case, nulls) is left to the
//! curation SQL; only what cannot be represented is rejected here.

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{NaiveDateTime, NaiveTime};

use crate::{IngestError, IngestOptions};

/// The built-in timestamp formats: the UCI's US order with 4- and 2-digit
/// years, and ISO. Day-first variants replace the US ones when configured.
/// Two-digit years come first: `%Y` would read `10` as the year 10, while
/// `%y` cannot match a four-digit year.
/// A date alone is the day at midnight.
const US_FORMATS: [&str; 6] =
    ["%m/%d/%y %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%m/%d/%y", "%m/%d/%Y"];
const DAY_FIRST_FORMATS: [&str; 6] =
    ["%d/%m/%y %H:%M", "%d/%m/%Y %H:%M", "%d/%m/%y %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%y", "%d/%m/%Y"];
const ISO_FORMATS: [&str; 6] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    // Shopify's `2023-01-15 10:23:45 -0500`: the shop's local time, as
    // given; the offset is not applied.
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d",
];
/// `19970101`, as purchase logs (CDNOW) write dates.
const COMPACT_FORMAT: &str = "%Y%m%d";

/// A line's canonical fields as read; `None` where the input has no such
/// column.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawLine<'a> {
    pub fields: [Option<&'a str>; 8],
    /// The line total standing in for the unit price.
    pub line_total: Option<&'a str>,
    /// The line's order has a cancelled status.
    pub cancelled: bool,
}

/// A line that passed every check; text columns are as read.
pub(crate) struct TypedLine<'a> {
    /// `None` without invoice numbers (the curation makes them up).
    pub invoice_no: Option<&'a str>,
    pub stock_code: Option<&'a str>,
    pub description: Option<&'a str>,
    pub quantity: i64,
    /// Microseconds since the epoch, shop-local time.
    pub invoice_ts: i64,
    /// Scaled by 10^4 (Decimal(18,4)).
    pub unit_price: i128,
    pub customer_id: Option<&'a str>,
    pub country: Option<&'a str>,
    /// Staged with a `C` before the invoice number.
    pub cancelled: bool,
}

/// Values a reader already holds typed (Parquet's integer, timestamp and
/// float columns): they skip text parsing, and the text field is not read.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Pretyped {
    pub quantity: Option<i64>,
    pub invoice_ts: Option<i64>,
    pub unit_price: Option<i128>,
}

/// A timestamp format, compiled once: parsing the format string again for
/// every line was most of the ingest's time.
type CompiledFormat = Vec<Item<'static>>;

pub(crate) struct LineParser {
    /// Formats from the options, tried first.
    custom: Vec<CompiledFormat>,
    regional: Vec<CompiledFormat>,
    iso: Vec<CompiledFormat>,
    compact: Vec<CompiledFormat>,
}

impl LineParser {
    pub fn new(options: &IngestOptions) -> Result<Self, IngestError> {
        let compile = |format: &str| {
            StrftimeItems::new(format).parse_to_owned().map_err(|e| {
                IngestError::Config(format!("timestamp format `{format}` is not a valid chrono format: {e}"))
            })
        };
        let regional = if options.day_first { DAY_FIRST_FORMATS } else { US_FORMATS };
        Ok(Self {
            custom: options.timestamp_formats.iter().map(|f| compile(f)).collect::<Result<_, _>>()?,
            regional: regional.iter().map(|f| compile(f)).collect::<Result<_, _>>()?,
            iso: ISO_FORMATS.iter().map(|f| compile(f)).collect::<Result<_, _>>()?,
            compact: vec![compile(COMPACT_FORMAT)?],
        })
    }

    /// Types a line's canonical fields, or says why the line cannot be read.
    pub fn parse<'a>(&self, line: RawLine<'a>) -> Result<TypedLine<'a>, String> {
        self.parse_pretyped(line, Pretyped::default())
    }

    /// The same, with some values already typed by the reader.
    pub fn parse_pretyped<'a>(&self, line: RawLine<'a>, pretyped: Pretyped) -> Result<TypedLine<'a>, String> {
        let [invoice_no, stock_code, description, quantity, invoice_ts, unit_price, customer_id, country] = line.fields;
        if invoice_no.is_some_and(|text| text.trim().is_empty()) {
            return Err("invoice_no is empty".into());
        }
        if stock_code.is_some_and(|text| text.trim().is_empty()) {
            return Err("stock_code is empty".into());
        }
        // Without a quantity column each line is one item (a purchase log).
        let quantity = match (pretyped.quantity, quantity) {
            (Some(value), _) => value,
            (None, Some(text)) => {
                parse_integer(text).ok_or_else(|| format!("quantity `{}` is not an integer", text.trim()))?
            }
            (None, None) => 1,
        };
        let invoice_ts_text = invoice_ts.unwrap_or_default();
        let invoice_ts = pretyped.invoice_ts.or_else(|| self.parse_timestamp(invoice_ts_text)).ok_or_else(|| {
            format!(
                "invoice_ts `{}` is not a date and time (expected e.g. 12/1/2010 8:26, 2010-12-01 08:26:00 \
                 or 20101201)",
                invoice_ts_text.trim()
            )
        })?;
        let not_a_number = |column: &str, text: &str| {
            format!(
                "{column} `{}` is not a number (expected digits with a dot as decimal separator, e.g. 2.55)",
                text.trim()
            )
        };
        let unit_price = match (pretyped.unit_price, line.line_total) {
            (Some(price), _) => price,
            (None, Some(total)) => {
                let total_value = parse_decimal(total).ok_or_else(|| not_a_number("line_total", total))?;
                unit_price_of(total_value, quantity).ok_or_else(|| {
                    format!("line_total `{}` with quantity 0: no unit price can be derived", total.trim())
                })?
            }
            (None, None) => {
                let text = unit_price.unwrap_or_default();
                parse_decimal(text).ok_or_else(|| not_a_number("unit_price", text))?
            }
        };
        Ok(TypedLine {
            invoice_no,
            stock_code,
            description,
            quantity,
            invoice_ts,
            unit_price,
            customer_id,
            country,
            cancelled: line.cancelled,
        })
    }

    /// Tries the custom formats, then the regional ones (all have `/`),
    /// ISO (all have `-`) and the compact date (eight digits), in that
    /// order; formats whose separator the text lacks cannot match and are
    /// skipped, which keeps ingest fast.
    fn parse_timestamp(&self, text: &str) -> Option<i64> {
        let text = text.trim();
        let regional: &[CompiledFormat] = if text.contains('/') { &self.regional } else { &[] };
        let iso: &[CompiledFormat] = if text.contains('-') { &self.iso } else { &[] };
        let compact_date = text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit());
        let compact: &[CompiledFormat] = if compact_date { &self.compact } else { &[] };
        self.custom
            .iter()
            .chain(regional)
            .chain(iso)
            .chain(compact)
            .find_map(|format| {
                let mut parsed = Parsed::new();
                chrono::format::parse(&mut parsed, text, format.iter()).ok()?;
                // The local time as written, whatever offset follows it.
                // A date alone is the day at midnight.
                parsed
                    .to_naive_datetime_with_offset(0)
                    .ok()
                    .or_else(|| parsed.to_naive_date().ok().map(|date| date.and_time(NaiveTime::MIN)))
            })
            .map(|ts: NaiveDateTime| ts.and_utc().timestamp_micros())
    }
}

/// A unit price in ten-thousandths from a line total (also scaled by 10^4)
/// and a quantity, rounded half away from zero; `None` for quantity 0.
fn unit_price_of(line_total: i128, quantity: i64) -> Option<i128> {
    if quantity == 0 {
        return None;
    }
    let quantity = i128::from(quantity);
    let (quotient, remainder) = (line_total / quantity, line_total % quantity);
    let away = if 2 * remainder.abs() >= quantity.abs() { line_total.signum() * quantity.signum() } else { 0 };
    Some(quotient + away)
}

/// An integer, allowing a `.0` fraction (what spreadsheets and float
/// columns produce) but nothing that would lose information.
fn parse_integer(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(value) = text.parse::<i64>() {
        return Some(value);
    }
    let (whole, fraction) = text.split_once('.')?;
    if !fraction.is_empty() && fraction.bytes().all(|b| b == b'0') {
        return whole.parse().ok();
    }
    None
}

/// A decimal number scaled to 4 places (half away from zero beyond that).
/// Accepts plain notation and, for values written by float formatters, an
/// exponent. Rejects thousands or comma separators: `1,5` is ambiguous.
pub(crate) fn parse_decimal(text: &str) -> Option<i128> {
    const SCALE: u32 = 4;
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !(whole.is_empty() && fraction.is_empty())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && whole.len() <= 14;
    let magnitude = if plain {
        let whole: i128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        let mut scaled = whole * 10i128.pow(SCALE);
        for (i, digit) in fraction.bytes().take(SCALE as usize).enumerate() {
            scaled += i128::from(digit - b'0') * 10i128.pow(SCALE - 1 - i as u32);
        }
        if fraction.as_bytes().get(SCALE as usize).is_some_and(|d| *d >= b'5') {
            scaled += 1;
        }
        scaled
    } else if digits.contains(['e', 'E']) {
        let value: f64 = digits.parse().ok()?;
        if !value.is_finite() || value.abs() >= 1e14 {
            return None;
        }
        (value * 10f64.powi(SCALE as i32)).round() as i128
    } else {
        return None;
    };
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(text: &str) -> i64 {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap().and_utc().timestamp_micros()
    }

    #[test]
    fn reads_the_three_real_world_timestamp_styles() {
        let parser = LineParser::new(&IngestOptions::default()).unwrap();
        let expected = micros("2010-12-01 08:26:00");
        for text in ["12/1/2010 8:26", "12/1/10 8:26", "2010-12-01 08:26:00", "2010-12-01T08:26:00"] {
            assert_eq!(parser.parse_timestamp(text), Some(expected), "{text}");
        }
        assert_eq!(parser.parse_timestamp("31/12/2010 8:26"), None);
        assert_eq!(parser.parse_timestamp("2010-12-01 08:26:00 -0500"), Some(expected), "the local time as given");
        let midnight = micros("1997-01-01 00:00:00");
        for text in ["19970101", "1997-01-01", "1/1/1997", "01/01/97"] {
            assert_eq!(parser.parse_timestamp(text), Some(midnight), "{text}");
        }
        assert_eq!(parser.parse_timestamp("19971301"), None);
        assert_eq!(parser.parse_timestamp("1997010"), None);
        let day_first = LineParser::new(&IngestOptions { day_first: true, ..Default::default() }).unwrap();
        assert_eq!(day_first.parse_timestamp("1/12/2010 8:26"), Some(expected));
    }

    #[test]
    fn reads_decimals_exactly() {
        assert_eq!(parse_decimal("2.55"), Some(25_500));
        assert_eq!(parse_decimal("-11062.06"), Some(-110_620_600));
        assert_eq!(parse_decimal("0.00005"), Some(1));
        assert_eq!(parse_decimal("1e-3"), Some(10));
        assert_eq!(parse_decimal(".5"), Some(5_000));
        for bad in ["1,5", "", "abc", "£2", "1.2.3", "-"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_unit_price_comes_from_a_line_total() {
        assert_eq!(unit_price_of(293_300, 2), Some(146_650));
        assert_eq!(unit_price_of(200_000, 3), Some(66_667), "rounded half away from zero");
        assert_eq!(unit_price_of(-200_000, 3), Some(-66_667));
        assert_eq!(unit_price_of(100_000, -3), Some(-33_333));
        assert_eq!(unit_price_of(5, 2), Some(3));
        assert_eq!(unit_price_of(117_700, 0), None);
        let parser = LineParser::new(&IngestOptions::default()).unwrap();
        let line = |total: &'static str, quantity: Option<&'static str>| RawLine {
            fields: [None, None, None, quantity, Some("19970101"), None, Some("1"), None],
            line_total: Some(total),
            cancelled: false,
        };
        let typed = parser.parse(line("11.77", None)).unwrap();
        assert_eq!((typed.quantity, typed.unit_price, typed.invoice_no), (1, 117_700, None));
        let reason = parser.parse(line("11.77", Some("0"))).err().unwrap();
        assert_eq!(reason, "line_total `11.77` with quantity 0: no unit price can be derived");
        let reason = parser.parse(line("$11.77", Some("1"))).err().unwrap();
        assert!(reason.starts_with("line_total `$11.77` is not a number"), "{reason}");
    }

    #[test]
    fn reads_integers_without_losing_information() {
        assert_eq!(parse_integer(" 6 "), Some(6));
        assert_eq!(parse_integer("-12.0"), Some(-12));
        assert_eq!(parse_integer("1.5"), None);
        assert_eq!(parse_integer("six"), None);
    }
}
