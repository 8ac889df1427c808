//! The insight catalog: the SQL files under `sql/`, their metadata headers,
//! their parameters and the order they must run in.
//!
//! This crate knows nothing about DataFusion or Ballista, so everything a
//! user can get wrong in a SQL file (header, parameters, read-only rule,
//! dependencies) is checked here, instantly, before any engine starts.

mod catalog;
mod error;
mod header;
mod lock;
mod params;
mod sql;

pub use catalog::{Catalog, Model, ModelKind};
pub use error::CatalogError;
pub use header::{ChartSpec, Columns, Header, Materialized};
pub use lock::{LOCK_FILE, LockEntry, LockProblem};
pub use params::{ParamOverride, ParamSpec, ParamType, ParamValue, Params};
