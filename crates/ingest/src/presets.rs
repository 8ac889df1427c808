//! Presets: the kinds of export the ingest knows by name. Each says which
//! header names its canonical columns go by and which order-level
//! conventions its files follow; `ingest.columns`, `fill_down` and
//! `cancelled` override any of it.

use serde::Deserialize;

use crate::Cancelled;

/// A kind of shop export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// The UCI "Online Retail" exports (I and II): one line per invoice
    /// line, cancellations invoiced with a leading `C`.
    #[default]
    Uci,
    /// Shopify's orders export: one line per line item, the order's fields
    /// (email, date, country, financial status) on its first line only;
    /// refunded and voided orders are cancellations; a line item without a
    /// SKU is known by its name.
    Shopify,
    /// A log of purchases: customer, date and amount (the shape of the
    /// CDNOW data of the lifetime-value literature), optionally a quantity
    /// and an order number.
    Transactions,
}

impl Preset {
    /// The header names each column goes by, in the order they are looked
    /// for (case, spaces and underscores aside); see [`Self::accepted_names`].
    pub fn names(self, column: &str) -> &'static [&'static str] {
        match (self, column) {
            (Self::Uci, "invoice_no") => &["InvoiceNo", "Invoice"],
            (Self::Uci, "stock_code") => &["StockCode"],
            (Self::Uci, "description") => &["Description"],
            (Self::Uci, "quantity") => &["Quantity"],
            (Self::Uci, "invoice_ts") => &["InvoiceDate"],
            (Self::Uci, "unit_price") => &["UnitPrice", "Price"],
            (Self::Uci, "customer_id") => &["CustomerID", "Customer ID"],
            (Self::Uci, "country") => &["Country"],
            (Self::Shopify, "invoice_no") => &["Name"],
            (Self::Shopify, "stock_code") => &["Lineitem sku"],
            (Self::Shopify, "description") => &["Lineitem name"],
            (Self::Shopify, "quantity") => &["Lineitem quantity"],
            (Self::Shopify, "invoice_ts") => &["Created at"],
            (Self::Shopify, "unit_price") => &["Lineitem price"],
            (Self::Shopify, "customer_id") => &["Email"],
            (Self::Shopify, "country") => &["Billing Country"],
            (Self::Transactions, "invoice_no") => &["order_id", "order", "transaction_id", "invoice"],
            (Self::Transactions, "stock_code") => &["product_id", "product", "sku"],
            (Self::Transactions, "quantity") => &["quantity", "qty", "units", "items"],
            (Self::Transactions, "invoice_ts") => {
                &["date", "order_date", "purchase_date", "transaction_date", "timestamp", "datetime", "time"]
            }
            (Self::Transactions, "unit_price") => &["price"],
            (Self::Transactions, "line_total") => {
                &["amount", "total", "value", "spend", "sales", "revenue", "dollar_value", "dollars"]
            }
            (Self::Transactions, "customer_id") => {
                &["customer", "customer_id", "cust_id", "client_id", "user_id", "id"]
            }
            _ => &[],
        }
    }

    /// The header names `column` is looked for by: the preset's, then the
    /// canonical name itself.
    pub fn accepted_names(self, column: &'static str) -> Vec<&'static str> {
        self.names(column).iter().copied().chain([column]).collect()
    }

    /// Order-level fields only an order's first line carries.
    pub fn fill_down(self) -> Vec<String> {
        match self {
            Self::Shopify => ["Email", "Created at", "Billing Country", "Financial Status"].map(String::from).to_vec(),
            Self::Uci | Self::Transactions => Vec::new(),
        }
    }

    /// Whether a line without a product code is named by its description:
    /// Shopify's custom and SKU-less line items are products too.
    pub fn code_from_description(self) -> bool {
        self == Self::Shopify
    }

    /// Which orders are cancellations besides `C` invoices.
    pub fn cancelled(self) -> Option<Cancelled> {
        match self {
            Self::Shopify => {
                Some(Cancelled { column: "Financial Status".into(), values: vec!["refunded".into(), "voided".into()] })
            }
            Self::Uci | Self::Transactions => None,
        }
    }
}
