//! Materialized staging tables kept in memory. A standalone run's executor
//! lives in this process, so a staging table (`sales`, `order_totals`) can
//! stay as the Arrow batches that computed it instead of being encoded to
//! Parquet and decoded again by every insight that reads it (DuckDB keeps
//! its tables in memory the same way). The batches sit in a process-wide
//! registry; Ballista plans carry only their key, through the codecs here,
//! and the in-process executor reads them without a copy. On a cluster or
//! under a memory limit, staging tables stay Parquet files (`staging.rs`).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use async_trait::async_trait;
use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result, Statistics, TableReference};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, Extension, LogicalPlan};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::StatisticsArgs;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use serde::{Deserialize, Serialize};

/// Every in-memory staging table of this process, by key (run and name).
static TABLES: LazyLock<Mutex<HashMap<String, Arc<StoredTable>>>> = LazyLock::new(Default::default);

struct StoredTable {
    schema: SchemaRef,
    partitions: Vec<Vec<RecordBatch>>,
}

fn stored(key: &str) -> Result<Arc<StoredTable>> {
    let tables = TABLES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    tables.get(key).cloned().ok_or_else(|| {
        DataFusionError::Plan(format!(
            "in-memory staging table `{key}` is gone: it lives only in the standalone process and run that computed it"
        ))
    })
}

/// One run's in-memory staging tables; dropping it frees them, however
/// the run ends.
pub(crate) struct MemoryStaging {
    run: u64,
    keys: Mutex<Vec<String>>,
}

impl MemoryStaging {
    pub(crate) fn new() -> Self {
        static RUNS: AtomicU64 = AtomicU64::new(0);
        Self { run: RUNS.fetch_add(1, Ordering::Relaxed), keys: Mutex::default() }
    }

    /// Keeps `batches` as staging table `name` and returns the table
    /// provider that Ballista plans read it through. The table is one
    /// partition: Ballista's scheduler cuts a stage's leaf down to each
    /// task's partitions only for the scans it knows (files, in-memory
    /// batches it would copy into the plan), so every task of a stage would
    /// read every partition of a scan like this one.
    pub(crate) fn insert(&self, name: &str, schema: SchemaRef, batches: Vec<RecordBatch>) -> Arc<dyn TableProvider> {
        let key = format!("{}/{name}", self.run);
        let table = Arc::new(StoredTable { schema: schema.clone(), partitions: vec![batches] });
        TABLES.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(key.clone(), table);
        self.keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(key.clone());
        Arc::new(MemoryStagingTable { key, schema })
    }
}

impl Drop for MemoryStaging {
    fn drop(&mut self) {
        let keys = std::mem::take(&mut *self.keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        let mut tables = TABLES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for key in keys {
            tables.remove(&key);
        }
    }
}

/// A staging table in the registry, named by its key in a plan.
#[derive(Debug)]
struct MemoryStagingTable {
    key: String,
    schema: SchemaRef,
}

#[async_trait]
impl TableProvider for MemoryStagingTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(MemoryStagingScan::new(ScanKey { key: self.key.clone(), projection: projection.cloned() })?))
    }
}

/// What a scan's plan carries: the table's key and the columns read.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ScanKey {
    key: String,
    projection: Option<Vec<usize>>,
}

/// Reads a registered staging table's batches (a `DataSourceExec` over
/// them) under its key, so that encoding the plan does not copy the data.
#[derive(Debug)]
struct MemoryStagingScan {
    scan: ScanKey,
    source: Arc<dyn ExecutionPlan>,
}

impl MemoryStagingScan {
    fn new(scan: ScanKey) -> Result<Self> {
        let table = stored(&scan.key)?;
        let source =
            MemorySourceConfig::try_new_exec(&table.partitions, table.schema.clone(), scan.projection.clone())?;
        Ok(Self { scan, source })
    }
}

impl DisplayAs for MemoryStagingScan {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "MemoryStagingScan: {}", self.scan.key)
    }
}

impl ExecutionPlan for MemoryStagingScan {
    fn name(&self) -> &str {
        "MemoryStagingScan"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.source.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, _children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        self.source.execute(partition, context)
    }

    fn statistics_from_inputs(&self, inputs: &[Arc<Statistics>], args: &StatisticsArgs) -> Result<Arc<Statistics>> {
        self.source.statistics_from_inputs(inputs, args)
    }
}

/// Marks codec bytes as ours rather than Ballista's protobuf.
const MAGIC: &[u8] = b"insights:memory-staging:";

fn ours(buf: &[u8]) -> Option<&[u8]> {
    buf.strip_prefix(MAGIC)
}

fn codec_error(e: impl fmt::Display) -> DataFusionError {
    DataFusionError::Internal(format!("in-memory staging table: {e}"))
}

/// Ballista's logical codec, plus in-memory staging tables by key.
#[derive(Debug, Default)]
pub(crate) struct LogicalCodec {
    ballista: BallistaLogicalExtensionCodec,
}

impl LogicalExtensionCodec for LogicalCodec {
    fn try_decode(&self, buf: &[u8], inputs: &[LogicalPlan], ctx: &TaskContext) -> Result<Extension> {
        self.ballista.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.ballista.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        match ours(buf) {
            Some(key) => {
                let key = String::from_utf8(key.to_vec()).map_err(codec_error)?;
                Ok(Arc::new(MemoryStagingTable { key, schema }))
            }
            None => self.ballista.try_decode_table_provider(buf, table_ref, schema, ctx),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        match node.downcast_ref::<MemoryStagingTable>() {
            Some(table) => {
                buf.extend_from_slice(MAGIC);
                buf.extend_from_slice(table.key.as_bytes());
                Ok(())
            }
            None => self.ballista.try_encode_table_provider(table_ref, node, buf),
        }
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn datafusion::datasource::file_format::FileFormatFactory>> {
        self.ballista.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn datafusion::datasource::file_format::FileFormatFactory>,
    ) -> Result<()> {
        self.ballista.try_encode_file_format(buf, node)
    }
}

/// Ballista's physical codec, plus scans of in-memory staging tables.
#[derive(Debug, Default)]
pub(crate) struct PhysicalCodec {
    ballista: BallistaPhysicalExtensionCodec,
}

impl PhysicalExtensionCodec for PhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match ours(buf) {
            Some(scan) => {
                let scan: ScanKey = serde_json::from_slice(scan).map_err(codec_error)?;
                Ok(Arc::new(MemoryStagingScan::new(scan)?))
            }
            None => self.ballista.try_decode(buf, inputs, ctx, proto_converter),
        }
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        match node.downcast_ref::<MemoryStagingScan>() {
            Some(scan) => {
                buf.extend_from_slice(MAGIC);
                serde_json::to_writer(buf, &scan.scan).map_err(codec_error)
            }
            None => self.ballista.try_encode(node, buf, proto_converter),
        }
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::physical_plan::collect;
    use datafusion::prelude::SessionContext;
    use datafusion_proto::physical_plan::DefaultPhysicalProtoConverter;

    use super::*;

    fn numbers() -> (SchemaRef, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let batch =
            |values: Vec<i64>| RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(values))]).unwrap();
        (schema.clone(), vec![batch(vec![1, 2]), batch(vec![3])])
    }

    #[tokio::test]
    async fn plans_carry_the_key_and_read_the_batches_until_the_run_drops_them() {
        let (schema, batches) = numbers();
        let staging = MemoryStaging::new();
        let table = staging.insert("numbers", schema.clone(), batches);
        let ctx = SessionContext::new();

        let mut buf = Vec::new();
        LogicalCodec::default().try_encode_table_provider(&"numbers".into(), table.clone(), &mut buf).unwrap();
        let decoded = LogicalCodec::default()
            .try_decode_table_provider(&buf, &"numbers".into(), schema, &ctx.task_ctx())
            .unwrap();
        let scan = decoded.scan(&ctx.state(), None, &[], None).await.unwrap();
        assert_eq!(scan.properties().partitioning.partition_count(), 1, "one partition, for Ballista's tasks");

        let converter = DefaultPhysicalProtoConverter {};
        let mut buf = Vec::new();
        PhysicalCodec::default().try_encode(scan, &mut buf, &converter).unwrap();
        assert!(buf.len() < 100, "the plan carries the key, not the rows ({} bytes)", buf.len());
        let decoded = PhysicalCodec::default().try_decode(&buf, &[], &ctx.task_ctx(), &converter).unwrap();
        let rows: usize = collect(decoded, ctx.task_ctx()).await.unwrap().iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, 3);

        drop(staging);
        let err = PhysicalCodec::default().try_decode(&buf, &[], &ctx.task_ctx(), &converter).unwrap_err();
        assert!(err.to_string().contains("is gone"), "{err}");
    }
}
