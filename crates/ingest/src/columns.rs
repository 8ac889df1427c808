//! Mapping an input's header onto the eight canonical columns, and the
//! order-level conventions (fill-down, cancellation status) that name
//! further columns of it.

use std::path::Path;

use crate::{IngestError, IngestOptions};

/// The canonical columns, in curated order.
pub const CANONICAL_COLUMNS: [&str; 8] =
    ["invoice_no", "stock_code", "description", "quantity", "invoice_ts", "unit_price", "customer_id", "country"];

/// Canonical columns an input may lack: without invoice numbers an order is
/// one customer's purchase at one time; without the others the values are
/// null, and the insights that need them are skipped.
pub const OPTIONAL_COLUMNS: [&str; 4] = ["invoice_no", "stock_code", "description", "country"];

/// The optional columns that are null when absent (invoice numbers are
/// made up instead): insights whose results are about them are skipped.
pub const NULL_WHEN_ABSENT: [&str; 3] = ["stock_code", "description", "country"];

/// A column holding quantity × unit price, which may stand in for
/// `unit_price`.
pub const LINE_TOTAL: &str = "line_total";

pub(crate) const INVOICE_NO: usize = 0;
pub(crate) const STOCK_CODE: usize = 1;
pub(crate) const DESCRIPTION: usize = 2;
pub(crate) const QUANTITY: usize = 3;
pub(crate) const INVOICE_TS: usize = 4;
pub(crate) const UNIT_PRICE: usize = 5;

/// Where an input's fields go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnMap {
    /// Field position of each canonical column; `None` when the input has
    /// no such column.
    pub positions: [Option<usize>; 8],
    /// Field position of the line total, when it stands in for the unit
    /// price (`positions` has no unit price then).
    pub line_total: Option<usize>,
    /// Field positions filled down from an order's earlier lines.
    pub fill_down: Vec<usize>,
    /// Field position of the order status, and the statuses (lower case)
    /// that make an order a cancellation.
    pub cancelled: Option<(usize, Vec<String>)>,
    /// A line without a product code takes its description as the code
    /// (the preset's choice: Shopify line items need not have a SKU).
    pub code_from_description: bool,
}

impl ColumnMap {
    /// The canonical columns the input lacks.
    pub fn absent(&self) -> Vec<&'static str> {
        let stands_in = |slot: usize| slot == UNIT_PRICE && self.line_total.is_some();
        (0..8)
            .filter(|&slot| self.positions[slot].is_none() && !stands_in(slot))
            .map(|s| CANONICAL_COLUMNS[s])
            .collect()
    }

    /// Field positions of the canonical columns, as far as the input has
    /// them (the quarantine's copy of a line's canonical fields).
    pub fn canonical_fields(&self) -> [Option<usize>; 8] {
        let mut fields = self.positions;
        fields[UNIT_PRICE] = fields[UNIT_PRICE].or(self.line_total);
        fields
    }
}

fn normalise(name: &str) -> String {
    name.trim_start_matches('\u{feff}').trim().to_lowercase().replace([' ', '_'], "")
}

/// How `header` maps onto the canonical columns under `options` (its
/// preset and `columns`). A column named in the configuration must be in
/// the header; of the rest only the invoice time, the customer and a price
/// (unit price, or line total) are required, and a quantity with a unit
/// price.
pub fn map_columns(path: &Path, header: &[String], options: &IngestOptions) -> Result<ColumnMap, IngestError> {
    let found: Vec<String> = header.iter().map(|h| normalise(h)).collect();
    let header_text = || header.iter().map(|h| h.trim_start_matches('\u{feff}').trim()).collect::<Vec<_>>().join(", ");
    let position = |name: &str| found.iter().position(|f| *f == normalise(name));
    let configured_error = |setting: String, name: &str| IngestError::MappedColumnNotFound {
        path: path.to_path_buf(),
        setting,
        name: name.to_string(),
        found: header_text(),
    };
    for key in options.columns.keys() {
        if !CANONICAL_COLUMNS.contains(&key.as_str()) && key != LINE_TOTAL {
            return Err(IngestError::Config(format!(
                "`columns` maps `{key}`, which is not a column (expected one of {}, {LINE_TOTAL})",
                CANONICAL_COLUMNS.join(", ")
            )));
        }
    }
    // A configured name must be there; otherwise the preset's names, then
    // the canonical one, are looked for.
    let locate = |column: &'static str| -> Result<Option<usize>, IngestError> {
        match options.columns.get(column) {
            Some(name) => position(name).map(Some).ok_or_else(|| configured_error(format!("columns.{column}"), name)),
            None => Ok(options.preset.accepted_names(column).into_iter().find_map(position)),
        }
    };
    let mut map = ColumnMap::default();
    for (slot, column) in CANONICAL_COLUMNS.iter().enumerate() {
        map.positions[slot] = locate(column)?;
    }
    let line_total = locate(LINE_TOTAL)?;
    let configured = |column: &str| options.columns.contains_key(column);
    if configured(LINE_TOTAL) && configured("unit_price") {
        return Err(IngestError::Config("`columns` maps both `unit_price` and `line_total`; map one".into()));
    }
    if map.positions[UNIT_PRICE].is_none() || configured(LINE_TOTAL) {
        map.positions[UNIT_PRICE] = None;
        map.line_total = line_total;
    }
    let missing = |column: &str, names: Vec<&str>| IngestError::MissingColumn {
        path: path.to_path_buf(),
        column: column.to_string(),
        accepted: names.join(", "),
        found: header_text(),
    };
    let names = |column: &'static str| options.preset.accepted_names(column);
    for (slot, column) in CANONICAL_COLUMNS.iter().enumerate() {
        if map.positions[slot].is_none() && !OPTIONAL_COLUMNS.contains(column) {
            match *column {
                "unit_price" if map.line_total.is_some() => {}
                "quantity" if map.line_total.is_some() => {}
                "unit_price" => {
                    let mut accepted = names("unit_price");
                    accepted.extend(names(LINE_TOTAL));
                    return Err(missing("unit_price` or `line_total", accepted));
                }
                _ => return Err(missing(column, names(column))),
            }
        }
    }
    // Order-level fields: a canonical name stands for its mapped column.
    let field_of = |name: &str| match CANONICAL_COLUMNS.iter().position(|c| *c == name) {
        Some(slot) => map.positions[slot],
        None => position(name),
    };
    let (fill_down, explicit) = match &options.fill_down {
        Some(columns) => (columns.clone(), true),
        None => (options.preset.fill_down(), false),
    };
    for name in fill_down {
        match field_of(&name) {
            Some(field) => map.fill_down.push(field),
            None if explicit => return Err(configured_error("fill_down".into(), &name)),
            None => {}
        }
    }
    map.code_from_description = options.preset.code_from_description() && !configured("stock_code");
    if !map.fill_down.is_empty() && map.positions[INVOICE_NO].is_none() {
        return Err(IngestError::Config(format!(
            "{}: `fill_down` copies an order's fields to its later lines, which needs the order number \
             (`invoice_no`), and the header has none",
            path.display()
        )));
    }
    let (cancelled, explicit) = match &options.cancelled {
        Some(cancelled) => (Some(cancelled.clone()), true),
        None => (options.preset.cancelled(), false),
    };
    if let Some(cancelled) = cancelled {
        match field_of(&cancelled.column) {
            Some(field) => {
                map.cancelled = Some((field, cancelled.values.iter().map(|v| v.trim().to_lowercase()).collect()))
            }
            None if explicit => {
                return Err(configured_error("cancelled.column".into(), &cancelled.column));
            }
            None => {}
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::Preset;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn positions(slots: [usize; 8]) -> [Option<usize>; 8] {
        slots.map(Some)
    }

    #[test]
    fn recognises_both_uci_styles() {
        let options = IngestOptions::default();
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
        assert_eq!(map_columns(Path::new("a"), &uci, &options).unwrap().positions, positions([0, 1, 2, 3, 4, 5, 6, 7]));
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
        assert_eq!(
            map_columns(Path::new("a"), &uci2, &options).unwrap().positions,
            positions([0, 1, 2, 3, 4, 5, 6, 7])
        );
    }

    #[test]
    fn names_the_missing_column_and_what_was_found() {
        let partial =
            header(&["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "CustomerID", "Country"]);
        let err = map_columns(Path::new("x.csv"), &partial, &IngestOptions::default()).unwrap_err().to_string();
        assert!(
            err.contains("`unit_price` or `line_total` not found")
                && err.contains("UnitPrice, Price")
                && err.contains("found")
                && err.contains("InvoiceNo, StockCode"),
            "{err}"
        );
    }

    #[test]
    fn optional_columns_may_be_absent_and_a_line_total_stands_in_for_the_price() {
        let options = IngestOptions { preset: Preset::Transactions, ..Default::default() };
        let map = map_columns(Path::new("log.txt"), &header(&["customer", "date", "amount"]), &options).unwrap();
        assert_eq!(map.positions, [None, None, None, None, Some(1), None, Some(0), None]);
        assert_eq!(map.line_total, Some(2));
        assert_eq!(map.absent(), ["invoice_no", "stock_code", "description", "quantity", "country"]);
        let with_price = header(&["customer", "date", "price"]);
        let err = map_columns(Path::new("log.txt"), &with_price, &options).unwrap_err().to_string();
        assert!(err.contains("`quantity`") && err.contains("qty"), "{err}");
    }

    #[test]
    fn a_configured_name_must_be_in_the_header() {
        let columns = BTreeMap::from([("customer_id".to_string(), "Client".to_string())]);
        let options = IngestOptions { columns, ..Default::default() };
        let uci = header(&["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]);
        let err = map_columns(Path::new("x.csv"), &uci, &options).unwrap_err().to_string();
        assert!(
            err.contains("ingest.columns.customer_id` names the column `Client`") && err.contains("InvoiceNo"),
            "{err}"
        );
        let fill_down = Some(vec!["Status".to_string()]);
        let err = map_columns(Path::new("x.csv"), &uci, &IngestOptions { fill_down, ..Default::default() })
            .unwrap_err()
            .to_string();
        assert!(err.contains("ingest.fill_down` names the column `Status`"), "{err}");
    }

    #[test]
    fn mappings_that_cannot_hold_are_errors() {
        let log = header(&["Ref", "customer", "date", "price", "amount", "qty"]);
        let columns = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let error = |options: IngestOptions| map_columns(Path::new("log.csv"), &log, &options).unwrap_err().to_string();
        let preset = Preset::Transactions;
        let err = error(IngestOptions { preset, columns: columns(&[("total", "amount")]), ..Default::default() });
        assert!(err.contains("`columns` maps `total`, which is not a column") && err.contains("line_total"), "{err}");
        let both = columns(&[("unit_price", "price"), ("line_total", "amount")]);
        let err = error(IngestOptions { preset, columns: both, ..Default::default() });
        assert!(err.contains("maps both `unit_price` and `line_total`"), "{err}");
        let fill_down = Some(vec!["customer".to_string()]);
        let err = error(IngestOptions { preset, fill_down, ..Default::default() });
        assert!(err.contains("`fill_down`") && err.contains("needs the order number (`invoice_no`)"), "{err}");
        let cancelled = Some(crate::Cancelled { column: "Status".into(), values: vec!["refunded".into()] });
        let err = error(IngestOptions { preset, cancelled, ..Default::default() });
        assert!(err.contains("`ingest.cancelled.column` names the column `Status`"), "{err}");
    }

    #[test]
    fn delimiters_are_one_character_tab_or_whitespace() {
        use crate::Delimiter;
        assert_eq!(";".parse(), Ok(Delimiter::Byte(b';')));
        assert_eq!("tab".parse(), Ok(Delimiter::Byte(b'\t')));
        assert_eq!("whitespace".parse(), Ok(Delimiter::Whitespace));
        for bad in ["", ";;", "§"] {
            let err = bad.parse::<Delimiter>().unwrap_err();
            assert!(err.contains("is not a delimiter"), "{err}");
        }
    }

    #[test]
    fn shopify_orders_fill_down_and_cancel_by_status() {
        let options = IngestOptions { preset: Preset::Shopify, ..Default::default() };
        let shopify = header(&[
            "Name",
            "Email",
            "Financial Status",
            "Created at",
            "Lineitem quantity",
            "Lineitem name",
            "Lineitem price",
            "Lineitem sku",
            "Billing Country",
        ]);
        let map = map_columns(Path::new("orders_export.csv"), &shopify, &options).unwrap();
        assert_eq!(map.positions, [Some(0), Some(7), Some(5), Some(4), Some(3), Some(6), Some(1), Some(8)]);
        assert_eq!(map.fill_down, [1, 3, 8, 2]);
        assert_eq!(map.cancelled, Some((2, vec!["refunded".to_string(), "voided".to_string()])));
    }
}
