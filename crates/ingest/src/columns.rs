//! Mapping an input's header onto the eight canonical columns.

use std::collections::BTreeMap;
use std::path::Path;

use crate::IngestError;

/// The canonical columns, in curated order, with the header names accepted
/// without configuration (UCI "Online Retail", "Online Retail II", canonical).
pub const CANONICAL_COLUMNS: [(&str, &[&str]); 8] = [
    ("invoice_no", &["InvoiceNo", "Invoice"]),
    ("stock_code", &["StockCode"]),
    ("description", &["Description"]),
    ("quantity", &["Quantity"]),
    ("invoice_ts", &["InvoiceDate"]),
    ("unit_price", &["UnitPrice", "Price"]),
    ("customer_id", &["CustomerID", "Customer ID"]),
    ("country", &["Country"]),
];

fn normalise(name: &str) -> String {
    name.trim_start_matches('\u{feff}').trim().to_lowercase().replace([' ', '_'], "")
}

/// For each canonical column, its position in `header`.
pub fn map_columns(
    path: &Path,
    header: &[String],
    configured: &BTreeMap<String, String>,
) -> Result<[usize; 8], IngestError> {
    let found: Vec<String> = header.iter().map(|h| normalise(h)).collect();
    let mut positions = [0; 8];
    for (slot, (canonical, aliases)) in CANONICAL_COLUMNS.iter().enumerate() {
        let accepted: Vec<&str> = match configured.get(*canonical) {
            Some(name) => vec![name.as_str()],
            None => aliases.iter().copied().chain([*canonical]).collect(),
        };
        positions[slot] = accepted
            .iter()
            .find_map(|name| found.iter().position(|f| *f == normalise(name)))
            .ok_or_else(|| IngestError::MissingColumn {
                path: path.to_path_buf(),
                column: canonical.to_string(),
                accepted: accepted.join(", "),
                found: header.iter().map(|h| h.trim_start_matches('\u{feff}').trim()).collect::<Vec<_>>().join(", "),
            })?;
    }
    Ok(positions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recognises_both_uci_styles() {
        let uci = header(&[
            "InvoiceNo",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
            "Country",
        ]);
        assert_eq!(map_columns(Path::new("a"), &uci, &BTreeMap::new()).unwrap(), [0, 1, 2, 3, 4, 5, 6, 7]);
        let uci2 = header(&[
            "Invoice",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "Price",
            "Customer ID",
            "Country",
        ]);
        assert_eq!(map_columns(Path::new("a"), &uci2, &BTreeMap::new()).unwrap(), [0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn names_the_missing_column_and_what_was_found() {
        let partial =
            header(&["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "CustomerID", "Country"]);
        let err = map_columns(Path::new("x.csv"), &partial, &BTreeMap::new()).unwrap_err().to_string();
        assert!(
            err.contains("`unit_price`")
                && err.contains("UnitPrice, Price")
                && err.contains("found")
                && err.contains("InvoiceNo, StockCode"),
            "{err}"
        );
    }
}
