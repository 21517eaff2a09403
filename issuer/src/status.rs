//! Status entries for new credentials, allocated by the trust registry over HTTP.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use credentials::sd_jwt::StatusListReference;
use serde_json::{json, Value};

use crate::error::{IssuerError, Result};
use crate::events::StatusChange;

pub type AllocateFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<Value>>> + Send + 'a>>;
pub type AllocateTokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<StatusListReference>> + Send + 'a>>;
pub type ChangeFuture<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// The trust registry as the issuer uses it: status entries for new credentials, and
/// status changes for issued ones.
pub trait StatusAllocator: Send + Sync {
    /// Gives a credential its `credentialStatus` entries before it is signed.
    fn allocate<'a>(&'a self, credential_id: &'a str) -> AllocateFuture<'a>;
    /// Gives an SD-JWT VC its Token Status List entry (its `status.status_list`) before it
    /// is signed.
    fn allocate_token_status<'a>(&'a self, credential_id: &'a str) -> AllocateTokenFuture<'a>;
    /// Revokes, suspends or reinstates one of this issuer's credentials. Succeeds only once
    /// the registry has made the change durable; changing to the current status succeeds.
    fn change<'a>(
        &'a self,
        credential_id: &'a str,
        change: StatusChange,
        reason: &'a str,
        event_id: &'a str,
    ) -> ChangeFuture<'a>;
}

pub struct RegistryClient {
    client: reqwest::Client,
    url: String,
    token: String,
}

impl RegistryClient {
    pub fn new(url: &str, token: &str) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| IssuerError::Settings(format!("HTTP client: {e}")))?;
        Ok(Self {
            client,
            url: url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        })
    }
}

impl StatusAllocator for RegistryClient {
    fn change<'a>(
        &'a self,
        credential_id: &'a str,
        change: StatusChange,
        reason: &'a str,
        event_id: &'a str,
    ) -> ChangeFuture<'a> {
        Box::pin(async move {
            let response = self
                .client
                .post(format!("{}/status-changes", self.url))
                .bearer_auth(&self.token)
                .json(&json!({
                    "credentialId": credential_id,
                    "action": change,
                    "reason": reason,
                    "eventId": event_id,
                }))
                .send()
                .await
                .map_err(|e| {
                    IssuerError::Registry(format!("the trust registry is unreachable: {e}"))
                })?;
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let detail = response
                .json::<Value>()
                .await
                .ok()
                .and_then(|p| p.get("detail").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            Err(IssuerError::Registry(format!(
                "the trust registry refused to {} {credential_id}: {status} {detail}",
                serde_json::to_value(change)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            )))
        })
    }

    fn allocate<'a>(&'a self, credential_id: &'a str) -> AllocateFuture<'a> {
        Box::pin(async move {
            let body = self
                .post_allocation(json!({"credentialId": credential_id}))
                .await?;
            body.get("credentialStatus")
                .and_then(Value::as_array)
                .cloned()
                .ok_or_else(|| {
                    IssuerError::Registry(
                        "the trust registry answered without credentialStatus".into(),
                    )
                })
        })
    }

    fn allocate_token_status<'a>(&'a self, credential_id: &'a str) -> AllocateTokenFuture<'a> {
        Box::pin(async move {
            let body = self
                .post_allocation(json!({
                    "credentialId": credential_id,
                    "mechanism": "token-status-list",
                }))
                .await?;
            body.pointer("/status/status_list")
                .cloned()
                .and_then(|reference| serde_json::from_value(reference).ok())
                .ok_or_else(|| {
                    IssuerError::Registry(
                        "the trust registry answered without status.status_list".into(),
                    )
                })
        })
    }
}

impl RegistryClient {
    async fn post_allocation(&self, request: Value) -> Result<Value> {
        let response = self
            .client
            .post(format!("{}/allocations", self.url))
            .bearer_auth(&self.token)
            .json(&request)
            .send()
            .await
            .map_err(|e| {
                IssuerError::Registry(format!("the trust registry is unreachable: {e}"))
            })?;
        if response.status() != reqwest::StatusCode::CREATED {
            return Err(IssuerError::Registry(format!(
                "the trust registry refused an allocation: {}",
                response.status()
            )));
        }
        response
            .json()
            .await
            .map_err(|e| IssuerError::Registry(e.to_string()))
    }
}
