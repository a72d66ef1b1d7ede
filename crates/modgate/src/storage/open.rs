//! Opening the store the config names: a directory, or a bucket with its timeouts and retries.

use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use object_store::aws::{AmazonS3Builder, S3CopyIfNotExists};
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, RetryConfig};

use super::Store;

/// Where the store lives. Object stores take credentials from their usual environment and
/// config chains (AWS_*, GOOGLE_*, AZURE_*), never from the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreSettings {
    /// A `cache/download`-layout directory.
    Dir(std::path::PathBuf),
    /// An S3-compatible bucket (AWS, MinIO, Ceph, R2, SeaweedFS).
    S3 {
        bucket: String,
        prefix: Option<String>,
        region: Option<String>,
        endpoint: Option<String>,
        path_style: bool,
    },
    /// A Google Cloud Storage bucket.
    Gcs {
        bucket: String,
        prefix: Option<String>,
    },
    /// An Azure Blob Storage container (the account from AZURE_STORAGE_ACCOUNT_NAME).
    Azure {
        container: String,
        prefix: Option<String>,
    },
}

/// A store that cannot be set up from its config.
#[derive(Debug, thiserror::Error)]
#[error("opening the store: {0}")]
pub(crate) struct StoreOpenError(String);

fn retry() -> RetryConfig {
    RetryConfig {
        retry_timeout: OBJECT_STORE_RETRY,
        max_retries: 3,
        ..RetryConfig::default()
    }
}

fn client_options() -> ClientOptions {
    ClientOptions::new()
        .with_timeout(OBJECT_STORE_TIMEOUT)
        .with_connect_timeout(OBJECT_STORE_CONNECT_TIMEOUT)
}

/// Object-store requests give up after this, so an outage answers 503 within seconds instead
/// of holding the `go` command for minutes of retries.
const OBJECT_STORE_RETRY: Duration = Duration::from_secs(10);
const OBJECT_STORE_TIMEOUT: Duration = Duration::from_secs(60);
const OBJECT_STORE_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl Store {
    /// The store the config names. Object stores are not contacted here: a bucket that is down
    /// at start shows in `/readyz` and recovers by itself, like one that goes down later.
    pub fn from_settings(settings: &StoreSettings) -> Result<Store, StoreOpenError> {
        let (objects, description, prefix): (Arc<dyn ObjectStore>, String, &Option<String>) =
            match settings {
                StoreSettings::Dir(dir) => {
                    return Store::directory(dir)
                        .map_err(|e| StoreOpenError(format!("directory {}: {e}", dir.display())));
                }
                StoreSettings::S3 {
                    bucket,
                    prefix,
                    region,
                    endpoint,
                    path_style,
                } => {
                    let mut builder = AmazonS3Builder::from_env()
                        .with_bucket_name(bucket)
                        .with_virtual_hosted_style_request(!path_style)
                        .with_retry(retry())
                        .with_client_options(client_options())
                        // S3 has no create-only copy; a conditional multipart completion is one.
                        .with_copy_if_not_exists(S3CopyIfNotExists::Multipart);
                    if let Some(region) = region {
                        builder = builder.with_region(region);
                    }
                    if let Some(endpoint) = endpoint {
                        builder = builder
                            .with_endpoint(endpoint)
                            .with_allow_http(endpoint.starts_with("http://"));
                    }
                    let store = builder
                        .build()
                        .map_err(|e| StoreOpenError(format!("s3 bucket {bucket}: {e}")))?;
                    let at = endpoint.as_deref().unwrap_or("AWS");
                    (
                        Arc::new(store),
                        format!("s3 bucket {bucket} at {at}"),
                        prefix,
                    )
                }
                StoreSettings::Gcs { bucket, prefix } => {
                    let store = GoogleCloudStorageBuilder::from_env()
                        .with_bucket_name(bucket)
                        .with_retry(retry())
                        .with_client_options(client_options())
                        .build()
                        .map_err(|e| StoreOpenError(format!("gcs bucket {bucket}: {e}")))?;
                    (Arc::new(store), format!("gcs bucket {bucket}"), prefix)
                }
                StoreSettings::Azure { container, prefix } => {
                    let store = MicrosoftAzureBuilder::from_env()
                        .with_container_name(container)
                        .with_retry(retry())
                        .with_client_options(client_options())
                        .build()
                        .map_err(|e| StoreOpenError(format!("azure container {container}: {e}")))?;
                    (
                        Arc::new(store),
                        format!("azure container {container}"),
                        prefix,
                    )
                }
            };
        let (objects, description): (Arc<dyn ObjectStore>, String) = match prefix {
            Some(prefix) => (
                Arc::new(PrefixStore::new(objects, prefix.trim_matches('/'))),
                format!("{description}, under {prefix}"),
            ),
            None => (objects, description),
        };
        Ok(Store {
            objects,
            description,
            local_root: None,
            writes: Arc::default(),
        })
    }

    /// A store over objects held in memory, as a bucket without dates on its prefixes; two
    /// stores over the same objects are two replicas on one bucket.
    #[cfg(test)]
    pub fn in_memory(objects: Arc<object_store::memory::InMemory>) -> Store {
        Store {
            objects,
            description: "memory".to_owned(),
            local_root: None,
            writes: Arc::default(),
        }
    }
}
