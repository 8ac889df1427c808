//! Where inputs and results live: a local directory or an S3 prefix, both
//! reached through `object_store`, so the engine and the ingest treat them
//! alike. S3 credentials come from the standard `AWS_*` environment (or the
//! instance's role), never from the config file, and are never printed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use url::Url;

/// Object-store settings from the config file (`storage:`). Everything that
/// is not a secret; credentials come from `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) in the environment.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StorageOptions {
    /// S3 endpoint, e.g. `http://127.0.0.1:8333` for a local S3 server.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Allow plain `http://` endpoints.
    #[serde(default)]
    pub allow_http: bool,
    /// Address buckets as `bucket.host` instead of `host/bucket`.
    #[serde(default)]
    pub virtual_hosted_style: bool,
    /// Credentials given in code (tests, embedding); never read from the
    /// config file. Without them the `AWS_*` environment is used.
    #[serde(skip)]
    pub credentials: Option<Credentials>,
}

/// An access key pair; its `Debug` output hides the secret.
#[derive(Clone, PartialEq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("`{0}` is not a valid location (use a local path or s3://bucket/prefix)")]
    BadLocation(String),
    #[error("unsupported storage scheme `{0}` (use a local path or s3://bucket/prefix)")]
    Scheme(String),
    #[error("cannot configure S3 for bucket `{bucket}`")]
    S3Config {
        bucket: String,
        #[source]
        source: object_store::Error,
    },
    /// A failed request, summarised in one line (the full response is
    /// logged at debug level).
    #[error("{url}: {summary}")]
    Object { url: String, summary: String, not_found: bool },
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A directory-like location: a URL (`file:///…/` or `s3://bucket/…/`)
/// and the store that serves it.
#[derive(Debug, Clone)]
pub struct Location {
    /// Always ends with `/`.
    pub url: Url,
    pub store: Arc<dyn ObjectStore>,
    /// The prefix inside the store.
    pub prefix: ObjectPath,
}

/// True for `s3://…` (anything with a scheme other than a local path).
pub fn is_remote(text: &str) -> bool {
    text.contains("://") && !text.starts_with("file://")
}

impl Location {
    /// Parses a local path (made absolute) or `s3://bucket/prefix`.
    pub fn parse(text: &str, options: &StorageOptions) -> Result<Self, StorageError> {
        let mut url = if is_remote(text) || text.starts_with("file://") {
            Url::parse(text).map_err(|_| StorageError::BadLocation(text.to_string()))?
        } else {
            let path = std::path::absolute(text).map_err(|source| StorageError::Io { path: text.into(), source })?;
            Url::from_directory_path(&path).map_err(|_| StorageError::BadLocation(text.to_string()))?
        };
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        let store = store_for(&url, options)?;
        // The local store is rooted at `/`, so for both kinds the prefix is
        // the URL's path.
        let prefix = ObjectPath::from_url_path(url.path()).map_err(|_| StorageError::BadLocation(text.into()))?;
        Ok(Self { url, store, prefix })
    }

    /// A location below this one.
    pub fn join(&self, relative: &str) -> Self {
        let relative = relative.trim_matches('/');
        let mut url = self.url.join(&format!("{relative}/")).expect("relative path joins");
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        let prefix = relative.split('/').fold(self.prefix.clone(), |p, part| p.clone().join(part));
        Self { url, store: self.store.clone(), prefix }
    }

    /// The URL of `relative` below this location, as DataFusion takes it.
    pub fn url_of(&self, relative: &str) -> String {
        format!("{}{}", self.url, relative.trim_start_matches('/'))
    }

    /// The local directory, when this location is on local disk.
    pub fn local_path(&self) -> Option<PathBuf> {
        (self.url.scheme() == "file").then(|| self.url.to_file_path().ok()).flatten()
    }

    /// The `scheme://bucket` part DataFusion registers stores under.
    pub fn store_url(&self) -> Url {
        let mut url = self.url.clone();
        url.set_path("");
        url
    }

    fn object(&self, relative: &str) -> ObjectPath {
        relative.split('/').filter(|p| !p.is_empty()).fold(self.prefix.clone(), |p, part| p.clone().join(part))
    }

    fn error(&self, relative: &str) -> impl Fn(object_store::Error) -> StorageError {
        let url = self.url_of(relative);
        move |source| {
            log::debug!("object store request for {url} failed: {source}");
            StorageError::Object {
                url: url.clone(),
                summary: summarise(&source),
                not_found: matches!(source, object_store::Error::NotFound { .. }),
            }
        }
    }

    pub async fn read(&self, relative: &str) -> Result<Vec<u8>, StorageError> {
        let result = self.store.get(&self.object(relative)).await.map_err(self.error(relative))?;
        Ok(result.bytes().await.map_err(self.error(relative))?.to_vec())
    }

    pub async fn write(&self, relative: &str, bytes: Vec<u8>) -> Result<(), StorageError> {
        self.store.put(&self.object(relative), PutPayload::from(bytes)).await.map(|_| ()).map_err(self.error(relative))
    }

    /// Relative paths of every object below this location.
    pub async fn list(&self) -> Result<Vec<String>, StorageError> {
        let prefix = self.prefix.clone();
        let mut names: Vec<String> = self
            .store
            .list(Some(&prefix))
            .map_ok(|meta| {
                let full = meta.location.as_ref().to_string();
                full.strip_prefix(prefix.as_ref()).unwrap_or(&full).trim_start_matches('/').to_string()
            })
            .try_collect()
            .await
            .map_err(self.error(""))?;
        names.sort();
        Ok(names)
    }

    /// Deletes everything below this location (best effort for what a
    /// failed run wrote).
    pub async fn delete_all(&self) -> Result<(), StorageError> {
        for name in self.list().await? {
            self.store.delete(&self.object(&name)).await.map_err(self.error(&name))?;
        }
        if let Some(path) = self.local_path() {
            let _ = std::fs::remove_dir_all(path);
        }
        Ok(())
    }

    /// Copies a local directory tree below this location.
    pub async fn upload_dir(&self, local: &Path, relative: &str) -> Result<(), StorageError> {
        let mut stack = vec![local.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|source| StorageError::Io { path: dir.clone(), source })?;
            for entry in entries {
                let path = entry.map_err(|source| StorageError::Io { path: dir.clone(), source })?.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let inner = path.strip_prefix(local).expect("below the root").to_string_lossy().replace('\\', "/");
                let target = format!("{}/{inner}", relative.trim_matches('/'));
                let bytes = std::fs::read(&path).map_err(|source| StorageError::Io { path: path.clone(), source })?;
                self.write(&target, bytes).await?;
            }
        }
        Ok(())
    }

    /// Streams the object `relative` into a local file.
    pub async fn download(&self, relative: &str, to: &Path) -> Result<(), StorageError> {
        let io = |source| StorageError::Io { path: to.to_path_buf(), source };
        let result = self.store.get(&self.object(relative)).await.map_err(self.error(relative))?;
        let mut stream = result.into_stream();
        let mut file = tokio::fs::File::create(to).await.map_err(io)?;
        while let Some(chunk) = stream.next().await {
            file.write_all(&chunk.map_err(self.error(relative))?).await.map_err(io)?;
        }
        file.flush().await.map_err(io)
    }
}

/// Credentials from the AWS shared credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`), profile
/// `AWS_PROFILE` or `default`, for when the environment has no keys.
fn shared_credentials() -> Option<Credentials> {
    let path = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".aws/credentials")))?;
    let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into());
    let text = std::fs::read_to_string(path).ok()?;
    let (mut in_profile, mut key, mut secret) = (false, None, None);
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with(['#', ';'])) {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = section.trim() == profile;
        } else if in_profile && let Some((name, value)) = line.split_once('=') {
            match name.trim() {
                "aws_access_key_id" => key = Some(value.trim().to_string()),
                "aws_secret_access_key" => secret = Some(value.trim().to_string()),
                _ => {}
            }
        }
    }
    Some(Credentials { access_key_id: key?, secret_access_key: secret? })
}

/// One line saying what went wrong, instead of the nested HTTP error and
/// XML body object_store reports.
fn summarise(error: &object_store::Error) -> String {
    let text = error.to_string();
    let has = |needle: &str| text.contains(needle);
    if matches!(error, object_store::Error::NotFound { .. }) || has("NoSuchKey") {
        "not found".into()
    } else if has("NoSuchBucket") {
        "the bucket does not exist".into()
    } else if has("SignatureDoesNotMatch") || has("InvalidAccessKeyId") || has("AccessDenied") || has("403 Forbidden") {
        "access denied: the S3 credentials were rejected (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)".into()
    } else if has("Missing") && has("credentials") || has("no credentials") {
        "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into()
    } else if has("error sending request") || has("Connection refused") || has("dns error") {
        "cannot reach the S3 endpoint (is the server running and `storage.endpoint` right?)".into()
    } else {
        text.lines().next().unwrap_or_default().chars().take(300).collect()
    }
}

/// The store serving `url`: the local file system, or S3 configured from
/// the environment (credentials) and `options` (endpoint, region…).
pub fn store_for(url: &Url, options: &StorageOptions) -> Result<Arc<dyn ObjectStore>, StorageError> {
    match url.scheme() {
        "file" => Ok(Arc::new(LocalFileSystem::new())),
        "s3" | "s3a" => {
            let bucket = url.host_str().ok_or_else(|| StorageError::BadLocation(url.to_string()))?.to_string();
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(&bucket);
            if let Some(endpoint) = &options.endpoint {
                builder = builder.with_endpoint(endpoint);
            }
            if let Some(region) = &options.region {
                builder = builder.with_region(region);
            }
            if options.allow_http {
                builder = builder.with_allow_http(true);
            }
            builder = builder.with_virtual_hosted_style_request(options.virtual_hosted_style);
            let from_file = || std::env::var_os("AWS_ACCESS_KEY_ID").is_none().then(shared_credentials).flatten();
            if let Some(credentials) = options.credentials.clone().or_else(from_file) {
                builder = builder
                    .with_access_key_id(&credentials.access_key_id)
                    .with_secret_access_key(&credentials.secret_access_key);
            }
            let store = builder.build().map_err(|source| StorageError::S3Config { bucket, source })?;
            Ok(Arc::new(store))
        }
        other => Err(StorageError::Scheme(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_locations_read_write_list_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let root = Location::parse(dir.path().join("not/yet").to_str().unwrap(), &StorageOptions::default()).unwrap();
        assert!(root.url.as_str().starts_with("file:///") && root.url.as_str().ends_with('/'));
        let run = root.join("runs/r1");
        run.write("a/b.txt", b"hello".to_vec()).await.unwrap();
        assert_eq!(run.read("a/b.txt").await.unwrap(), b"hello");
        assert_eq!(run.list().await.unwrap(), ["a/b.txt"]);
        assert_eq!(run.url_of("a/b.txt"), format!("{}runs/r1/a/b.txt", root.url));
        run.delete_all().await.unwrap();
        assert!(!dir.path().join("not/yet/runs/r1").exists());
    }

    #[test]
    fn parses_s3_locations_without_credentials_in_the_url() {
        let location = Location::parse(
            "s3://shop-data/exports",
            &StorageOptions { allow_http: true, endpoint: Some("http://127.0.0.1:1".into()), ..Default::default() },
        )
        .unwrap();
        assert_eq!(location.url.as_str(), "s3://shop-data/exports/");
        assert_eq!(location.prefix.as_ref(), "exports");
        assert_eq!(location.store_url().as_str(), "s3://shop-data");
        assert!(matches!(Location::parse("ftp://x/y", &StorageOptions::default()), Err(StorageError::Scheme(_))));
    }
}
