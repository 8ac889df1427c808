//! Deterministic synthetic shop transactions with the shape of the UCI
//! "Online Retail" data, for benchmarks and tests at any size.
//!
//! The same seed and line count give the same file, byte for byte. Lines
//! stream out day by day, so 100 million lines need no more memory than a
//! thousand: only the product and customer tables are held.
//!
//! What makes it realistic enough for every insight to say something:
//! Zipf-skewed product popularity with product families (same design, other
//! colours) bought together; customers with heavy-tailed activity who join
//! over the year and come back; about a quarter of invoices without a
//! customer; cancellations (`C…` invoices) mirroring earlier purchases;
//! a November peak, no Saturdays, trading hours 7–20 peaking at noon; dozens
//! of countries dominated by the home market; multi-line invoices; service
//! codes (POST, DOT, M, C2, BANK CHARGES, AMAZONFEE); a few exact duplicates
//! and lines without a description.

mod catalog;
mod writer;

use std::collections::VecDeque;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use rand::distr::{Distribution, weighted::WeightedIndex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{LogNormal, Zipf};

pub use writer::Format;

use catalog::{Customers, Products};
use writer::{Line, LineWriter};

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("writing {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("writing {path}: {message}")]
    Write { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub lines: u64,
    pub seed: u64,
    pub format: Format,
    /// First day of the data; it spans a year and a week, like UCI's.
    pub start: NaiveDate,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            lines: 1_000_000,
            seed: 42,
            format: Format::Parquet,
            start: NaiveDate::from_ymd_opt(2010, 12, 1).expect("a valid date"),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateSummary {
    pub lines: u64,
    pub invoices: u64,
    pub cancellation_lines: u64,
    pub lines_without_customer: u64,
    pub products: usize,
    pub customers: usize,
}

const DAYS: i64 = 373;
/// Mean lines per invoice (UCI: 541,909 lines in 25,900 invoices).
const LINES_PER_INVOICE: f64 = 21.0;

/// Writes `options.lines` lines to `path` (CSV, gzip CSV when the name ends
/// with `.gz`, or Parquet).
pub fn generate(path: &Path, options: &GenerateOptions) -> Result<GenerateSummary, GenerateError> {
    if options.lines == 0 {
        return Err(GenerateError::Invalid("--lines must be at least 1".into()));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let products = Products::new(&mut rng, (options.lines / 140).clamp(300, 60_000) as usize);
    let customers = Customers::new(&mut rng, (options.lines / 125).clamp(50, 2_000_000) as usize, DAYS);
    let mut out = LineWriter::create(path, options.format)?;
    let mut shop = Shop::new(&products, &customers, options.start);

    let day_weights: Vec<f64> = (0..DAYS).map(|d| day_weight(options.start + Duration::days(d))).collect();
    let total_weight: f64 = day_weights.iter().sum();
    let mut written = 0u64;
    let mut budget = 0.0;
    for (day, weight) in day_weights.iter().enumerate() {
        budget += options.lines as f64 * weight / total_weight;
        let last_day = day as i64 == DAYS - 1;
        while (written as f64) < budget || (last_day && written < options.lines) {
            let invoice = shop.next_invoice(&mut rng, day as i64);
            for line in invoice {
                if written == options.lines {
                    break;
                }
                out.write(&line)?;
                written += 1;
            }
            if written == options.lines {
                break;
            }
        }
    }
    out.finish()?;
    Ok(GenerateSummary {
        lines: written,
        invoices: shop.invoices,
        cancellation_lines: shop.cancellation_lines.min(written),
        lines_without_customer: shop.guest_lines.min(written),
        products: products.len(),
        customers: customers.len(),
    })
}

/// Relative trade per day: closed on Saturdays, quieter Sundays, busier
/// from September to a November peak, slow in the new year.
fn day_weight(date: NaiveDate) -> f64 {
    let weekday = match date.weekday() {
        Weekday::Sat => 0.0,
        Weekday::Sun => 0.6,
        Weekday::Fri => 0.85,
        _ => 1.0,
    };
    let season = match date.month() {
        1 | 2 => 0.75,
        3..=8 => 0.95,
        9 => 1.35,
        10 => 1.5,
        11 => 1.9,
        _ => 1.2,
    };
    // The last days of December: the shop closes for the holidays.
    let holiday = if date.month() == 12 && date.day() >= 23 { 0.0 } else { 1.0 };
    weekday * season * holiday
}

/// The state that carries over between invoices.
struct Shop<'a> {
    products: &'a Products,
    customers: &'a Customers,
    start: NaiveDate,
    next_invoice_no: u64,
    invoices: u64,
    cancellation_lines: u64,
    guest_lines: u64,
    /// Purchases that will be cancelled a few days later: (due day, lines).
    pending_cancellations: VecDeque<(i64, Vec<Line>)>,
    hours: WeightedIndex<f64>,
    basket_size: LogNormal<f64>,
    popularity: Zipf<f64>,
}

impl<'a> Shop<'a> {
    fn new(products: &'a Products, customers: &'a Customers, start: NaiveDate) -> Self {
        // Hours 7..=20, peaking around noon.
        let hour_weights = [0.1, 2.0, 5.0, 9.0, 13.0, 15.0, 14.0, 12.0, 11.0, 7.0, 3.0, 1.2, 0.6, 0.3];
        Shop {
            products,
            customers,
            start,
            next_invoice_no: 536_365,
            invoices: 0,
            cancellation_lines: 0,
            guest_lines: 0,
            pending_cancellations: VecDeque::new(),
            hours: WeightedIndex::new(hour_weights).expect("positive weights"),
            basket_size: LogNormal::new((LINES_PER_INVOICE * 0.6).ln(), 0.9).expect("valid parameters"),
            popularity: Zipf::new(products.len() as f64, 1.05).expect("valid parameters"),
        }
    }

    /// The next invoice on `day`: a due cancellation, or a new purchase.
    fn next_invoice(&mut self, rng: &mut ChaCha8Rng, day: i64) -> Vec<Line> {
        if self.pending_cancellations.front().is_some_and(|(due, _)| *due <= day) {
            let (_, original) = self.pending_cancellations.pop_front().expect("checked");
            return self.cancellation(rng, day, original);
        }
        let when = self.timestamp(rng, day);
        let invoice_no = self.take_invoice_no();
        let customer = if rng.random_bool(0.25) { None } else { Some(self.customers.pick(rng, day)) };
        let country = match customer {
            Some(c) => self.customers.country(c).to_string(),
            None => "United Kingdom".to_string(),
        };
        let customer_id = customer.map(|c| self.customers.id(c));
        let size = (self.basket_size.sample(rng).round() as usize).clamp(1, 400);
        let mut lines = Vec::with_capacity(size + 2);
        while lines.len() < size {
            let product = self.popularity.sample(rng) as usize - 1;
            lines.push(self.line(rng, &invoice_no, when, product, customer_id, &country));
            // Families: the same design in another colour, often bought along.
            if lines.len() < size
                && rng.random_bool(0.35)
                && let Some(sibling) = self.products.sibling(rng, product)
            {
                lines.push(self.line(rng, &invoice_no, when, sibling, customer_id, &country));
            }
        }
        // Service lines: postage abroad, dotcom postage for guests, the odd manual line.
        let service = |code: &str, description: &str, price: f64| Line {
            invoice_no: invoice_no.clone(),
            stock_code: code.into(),
            description: Some(description.into()),
            quantity: 1,
            when,
            unit_price: price,
            customer_id,
            country: country.clone(),
        };
        if country != "United Kingdom" && rng.random_bool(0.6) {
            lines.push(service("POST", "POSTAGE", 18.0 + f64::from(rng.random_range(0..5u8)) * 5.0));
        }
        if customer.is_none() && rng.random_bool(0.08) {
            lines.push(service("DOT", "DOTCOM POSTAGE", round2(rng.random_range(5.0..900.0))));
        }
        match rng.random_range(0..1000) {
            0..=9 => lines.push(service("M", "Manual", round2(rng.random_range(0.5..60.0)))),
            10..=12 => lines.push(service("C2", "CARRIAGE", 50.0)),
            13 => lines.push(service("BANK CHARGES", "Bank Charges", 15.0)),
            14 => lines.push(service("AMAZONFEE", "AMAZON FEE", round2(rng.random_range(5.0..500.0)))),
            _ => {}
        }
        // An exact duplicate line now and then, as exports have.
        if rng.random_bool(0.2) {
            let copy = lines[rng.random_range(0..lines.len())].clone();
            lines.push(copy);
        }
        if customer.is_some() && rng.random_bool(0.09) {
            let due = day + rng.random_range(1..10);
            let position = self.pending_cancellations.partition_point(|(d, _)| *d <= due);
            self.pending_cancellations.insert(position, (due, lines.clone()));
        } else if customer.is_none() {
            self.guest_lines += lines.len() as u64;
        }
        self.invoices += 1;
        lines
    }

    /// A `C` invoice returning some lines of an earlier purchase.
    fn cancellation(&mut self, rng: &mut ChaCha8Rng, day: i64, original: Vec<Line>) -> Vec<Line> {
        let when = self.timestamp(rng, day);
        let invoice_no = format!("C{}", self.take_invoice_no());
        let take = rng.random_range(1..=original.len().min(4));
        let lines: Vec<Line> = original
            .into_iter()
            .filter(|l| l.description.is_some())
            .take(take)
            .map(|l| Line {
                invoice_no: invoice_no.clone(),
                quantity: -(rng.random_range(1..=l.quantity.max(1))),
                when,
                ..l
            })
            .collect();
        self.cancellation_lines += lines.len() as u64;
        self.invoices += 1;
        if lines.is_empty() {
            return self.next_invoice(rng, day);
        }
        lines
    }

    fn line(
        &self,
        rng: &mut ChaCha8Rng,
        invoice_no: &str,
        when: NaiveDateTime,
        product: usize,
        customer_id: Option<u32>,
        country: &str,
    ) -> Line {
        let item = self.products.get(product);
        // A few lines lose their description and price, as in UCI's export.
        let lost = rng.random_bool(0.002);
        Line {
            invoice_no: invoice_no.to_string(),
            stock_code: item.code.clone(),
            description: (!lost).then(|| item.description.clone()),
            quantity: quantity(rng),
            when,
            unit_price: if lost { 0.0 } else { item.price },
            customer_id,
            country: country.to_string(),
        }
    }

    fn timestamp(&self, rng: &mut ChaCha8Rng, day: i64) -> NaiveDateTime {
        let hour = 7 + self.hours.sample(rng) as u32;
        let minute = rng.random_range(0..60);
        (self.start + Duration::days(day)).and_hms_opt(hour, minute, 0).expect("a valid time")
    }

    fn take_invoice_no(&mut self) -> String {
        let no = self.next_invoice_no;
        self.next_invoice_no += 1;
        no.to_string()
    }
}

/// Units per line: mostly a few, often packs of 6, 12 or 24, rarely
/// wholesale amounts.
fn quantity(rng: &mut ChaCha8Rng) -> i64 {
    match rng.random_range(0..100) {
        0..=44 => rng.random_range(1..=4),
        45..=69 => 6,
        70..=84 => 12,
        85..=94 => 24,
        95..=98 => [48, 72, 96, 100][rng.random_range(0..4)],
        _ => rng.random_range(120..=1200),
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// A line count as people write it: `1000000`, `1_000_000`, `10M`, `500k`,
/// `1G`.
pub fn parse_line_count(text: &str) -> Result<u64, String> {
    let clean = text.trim().replace(['_', ','], "");
    let (number, factor) = match clean.chars().last().map(|c| c.to_ascii_lowercase()) {
        Some('k') => (&clean[..clean.len() - 1], 1_000.0),
        Some('m') => (&clean[..clean.len() - 1], 1_000_000.0),
        Some('g') => (&clean[..clean.len() - 1], 1_000_000_000.0),
        _ => (clean.as_str(), 1.0),
    };
    let value: f64 = number.parse().map_err(|_| format!("`{text}` is not a count like 1000000, 10M or 500k"))?;
    if value < 1.0 {
        return Err(format!("`{text}`: at least 1 line"));
    }
    Ok((value * factor).round() as u64)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::fs::File;

    use super::*;

    fn generate_csv(dir: &Path, name: &str, lines: u64, seed: u64) -> (Vec<u8>, GenerateSummary) {
        let path = dir.join(name);
        let options = GenerateOptions { lines, seed, format: Format::Csv, ..Default::default() };
        let summary = generate(&path, &options).unwrap();
        (std::fs::read(&path).unwrap(), summary)
    }

    #[test]
    fn the_same_seed_gives_the_same_file_and_another_seed_another() {
        let dir = tempfile::tempdir().unwrap();
        let (a, summary) = generate_csv(dir.path(), "a.csv", 20_000, 7);
        let (b, _) = generate_csv(dir.path(), "b.csv", 20_000, 7);
        let (c, _) = generate_csv(dir.path(), "c.csv", 20_000, 8);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(summary.lines, 20_000);
        assert_eq!(a.iter().filter(|&&b| b == b'\n').count(), 20_001, "header + exactly the lines asked for");
    }

    #[test]
    fn the_data_has_the_shape_of_a_real_shop() {
        let dir = tempfile::tempdir().unwrap();
        let (bytes, summary) = generate_csv(dir.path(), "shop.csv", 200_000, 42);
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let mut lines = 0usize;
        let (mut guests, mut cancellations, mut duplicates, mut no_description) = (0usize, 0usize, 0usize, 0usize);
        let mut countries: HashMap<String, usize> = HashMap::new();
        let mut months: HashMap<String, usize> = HashMap::new();
        let mut hours: HashMap<u32, usize> = HashMap::new();
        let mut product_lines: HashMap<String, usize> = HashMap::new();
        let mut customer_invoices: HashMap<String, HashSet<String>> = HashMap::new();
        let mut service_codes = HashSet::new();
        let mut invoices = HashSet::new();
        let mut previous: Option<csv::StringRecord> = None;
        let mut saturdays = 0usize;
        for record in reader.records() {
            let record = record.unwrap();
            lines += 1;
            let (invoice, code, customer) = (&record[0], &record[1], &record[6]);
            invoices.insert(invoice.to_string());
            if customer.is_empty() {
                guests += 1;
            } else {
                customer_invoices.entry(customer.to_string()).or_default().insert(invoice.to_string());
            }
            if invoice.starts_with('C') {
                cancellations += 1;
                assert!(record[3].starts_with('-'), "cancellations have negative quantities");
            }
            if record[2].is_empty() {
                no_description += 1;
            }
            if ["POST", "DOT", "M", "C2", "BANK CHARGES", "AMAZONFEE"].contains(&code) {
                service_codes.insert(code.to_string());
            }
            if previous.as_ref() == Some(&record) {
                duplicates += 1;
            }
            *countries.entry(record[7].to_string()).or_default() += 1;
            *months.entry(record[4][..7].to_string()).or_default() += 1;
            let when = NaiveDateTime::parse_from_str(&record[4], "%Y-%m-%d %H:%M:%S").unwrap();
            *hours.entry(chrono::Timelike::hour(&when)).or_default() += 1;
            if when.weekday() == Weekday::Sat {
                saturdays += 1;
            }
            *product_lines.entry(code.to_string()).or_default() += 1;
            previous = Some(record);
        }
        assert_eq!(lines, 200_000);
        let share = |n: usize| n as f64 / lines as f64;
        assert!((0.18..0.32).contains(&share(guests)), "about a quarter without a customer: {}", share(guests));
        assert!((0.005..0.05).contains(&share(cancellations)), "cancellations: {}", share(cancellations));
        assert!(duplicates > 100 && no_description > 50, "duplicates {duplicates}, no description {no_description}");
        assert!(service_codes.len() >= 4, "{service_codes:?}");
        assert!(countries.len() >= 30, "{} countries", countries.len());
        assert!(share(countries["United Kingdom"]) > 0.8, "the home market dominates");
        let per_invoice = lines as f64 / invoices.len() as f64;
        assert!((8.0..40.0).contains(&per_invoice), "multi-line invoices: {per_invoice}");
        assert!(months["2011-11"] > 2 * months["2011-02"], "a November peak: {months:?}");
        assert_eq!(saturdays, 0, "closed on Saturdays");
        let busiest = hours.iter().max_by_key(|(_, n)| **n).map(|(h, _)| *h).unwrap();
        assert!((10..=14).contains(&busiest), "busiest hour {busiest}");
        // Skew: the best product sells far more than the median one.
        let mut counts: Vec<usize> = product_lines.values().copied().collect();
        counts.sort_unstable();
        assert!(counts[counts.len() - 1] > 20 * counts[counts.len() / 2], "skewed popularity");
        // Heavy-tailed, repeat customers.
        let mut orders: Vec<usize> = customer_invoices.values().map(HashSet::len).collect();
        orders.sort_unstable();
        let repeat = orders.iter().filter(|&&n| n > 1).count() as f64 / orders.len() as f64;
        assert!(repeat > 0.4, "repeat customers: {repeat}");
        assert!(orders[orders.len() - 1] > 10 * orders[orders.len() / 2], "heavy tail");
        assert_eq!(summary.lines, 200_000);
        assert!(summary.products > 1000 && summary.customers > 1000);
    }

    #[test]
    fn parquet_has_the_uci_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.parquet");
        generate(&path, &GenerateOptions { lines: 70_000, ..Default::default() }).unwrap();
        let file = File::open(&path).unwrap();
        let reader = datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let names: Vec<String> = reader.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(
            names,
            ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
        );
        let rows: usize = reader.build().unwrap().map(|b| b.unwrap().num_rows()).sum();
        assert_eq!(rows, 70_000);
    }
}
