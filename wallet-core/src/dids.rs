//! did:web resolution for the wallet, over its own HTTP rules (HTTPS; loopback HTTP only
//! when allowed). did:key needs no resolution.

use credentials::did::{did_web_document_location, DidResolutionError, DidResolver, ResolveFuture};
use serde_json::Value;

use crate::http::Http;

pub struct WebDids {
    pub(crate) http: Http,
}

impl WebDids {
    async fn fetch(&self, did: &str) -> Result<Value, DidResolutionError> {
        let location = did_web_document_location(did)
            .map_err(|e| DidResolutionError::InvalidDocument(e.to_string()))?;
        let url = self.http.reachable(&format!("https://{location}"));
        let document: Value = self
            .http
            .get_json(&url)
            .await
            .map_err(|e| DidResolutionError::Unreachable(e.to_string()))?;
        if document.get("id").and_then(Value::as_str) != Some(did) {
            return Err(DidResolutionError::InvalidDocument(format!(
                "{url} is not the DID document of {did}"
            )));
        }
        Ok(document)
    }
}

impl DidResolver for WebDids {
    fn resolve<'a>(&'a self, did: &'a str) -> ResolveFuture<'a> {
        Box::pin(async move {
            if !did.starts_with("did:web:") {
                return Err(DidResolutionError::UnsupportedMethod(
                    did.split(':').take(2).collect::<Vec<_>>().join(":"),
                ));
            }
            self.fetch(did).await
        })
    }
}
