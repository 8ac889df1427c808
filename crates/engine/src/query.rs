//! A session over the latest committed run, for ad-hoc questions:
//! `transactions`, the staging models and every result table registered by
//! name, read straight from the run's Parquet (local or S3).

use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use insights_catalog::{Catalog, Params};
use insights_storage::{Location, StorageOptions};

use crate::session::keep_subset_partitioning;
use crate::{EngineError, Manifest};

/// Opens the run `manifest` describes below `output`.
pub async fn query_session(
    catalog: &Catalog,
    output: &Location,
    manifest: &Manifest,
    storage: &StorageOptions,
) -> Result<SessionContext, EngineError> {
    let mut config = SessionConfig::new().with_information_schema(true);
    let partitions = config.target_partitions();
    keep_subset_partitioning(&mut config, partitions);
    let ctx = SessionContext::new_with_state(crate::registry::session_state(config, storage, None)?);
    let run = manifest.curated.trim_end_matches("curated").trim_end_matches('/');
    crate::tables::register_source_tables(&ctx, &output.join(run)).await?;
    for model in catalog.staging() {
        let df = ctx.sql(&model.sql).await?.with_param_values(crate::params::param_values(&Params::new()))?;
        ctx.register_table(model.name(), df.into_view())?;
    }
    for record in manifest.written() {
        ctx.register_parquet(&record.name, &format!("{}/", output.url_of(&record.path)), ParquetReadOptions::default())
            .await?;
    }
    Ok(ctx)
}
