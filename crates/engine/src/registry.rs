//! Object stores on demand: every process of a run (client, scheduler,
//! executors) resolves `file://` and `s3://bucket` URLs itself, with its own
//! storage settings and credentials, so secrets never travel with a job.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::object_store::ObjectStoreRegistry;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::prelude::SessionConfig;
use insights_storage::StorageOptions;
use object_store::ObjectStore;
use url::Url;

#[derive(Debug)]
pub(crate) struct StorageRegistry {
    options: StorageOptions,
    stores: RwLock<HashMap<String, Arc<dyn ObjectStore>>>,
}

impl StorageRegistry {
    pub fn new(options: StorageOptions) -> Self {
        Self { options, stores: RwLock::default() }
    }

    fn key(url: &Url) -> String {
        format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default())
    }
}

impl ObjectStoreRegistry for StorageRegistry {
    fn register_store(&self, url: &Url, store: Arc<dyn ObjectStore>) -> Option<Arc<dyn ObjectStore>> {
        self.stores.write().expect("lock").insert(Self::key(url), store)
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        let key = Self::key(url);
        if let Some(store) = self.stores.read().expect("lock").get(&key) {
            return Ok(store.clone());
        }
        let store =
            insights_storage::store_for(url, &self.options).map_err(|e| DataFusionError::External(Box::new(e)))?;
        self.stores.write().expect("lock").insert(key, store.clone());
        Ok(store)
    }
}

/// A DataFusion session state with every default feature and the engine's
/// own SQL functions (`functions`), whose object
/// stores come from `options` and whose queries are confined to
/// `memory_limit` bytes when there is one: what every session of this
/// crate is built on (a run's, its in-memory staging session's, a query's,
/// the scheduler's).
pub(crate) fn session_state(
    config: SessionConfig,
    options: &StorageOptions,
    memory_limit: Option<u64>,
) -> Result<SessionState> {
    let mut state = SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(runtime_with_memory_limit(options, memory_limit)?)
        .with_default_features()
        .build();
    crate::functions::register_all(&mut state)?;
    Ok(state)
}

/// A runtime whose object stores come from `options` (and the environment).
pub(crate) fn runtime(options: &StorageOptions) -> Result<Arc<RuntimeEnv>> {
    runtime_with_memory_limit(options, None)
}

/// The same, with queries confined to `memory_limit` bytes: operators that
/// can (sorts, aggregations, joins) spill to disk beyond it.
pub(crate) fn runtime_with_memory_limit(
    options: &StorageOptions,
    memory_limit: Option<u64>,
) -> Result<Arc<RuntimeEnv>> {
    let builder = RuntimeEnvBuilder::new().with_object_store_registry(Arc::new(StorageRegistry::new(options.clone())));
    match memory_limit {
        Some(bytes) => builder.with_memory_pool(Arc::new(FairSpillPool::new(bytes as usize))).build_arc(),
        None => builder.build_arc(),
    }
}
