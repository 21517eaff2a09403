//! The wallet's HTTP: HTTPS only, except plain HTTP to loopback when the holder's settings
//! allow it (development and tests on one machine).

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Result, WalletError};

#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    allow_loopback_http: bool,
}

impl Http {
    pub fn new(allow_loopback_http: bool) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            // A redirect could take a request (and its bearer token) elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| WalletError::Network {
                url: String::new(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            client,
            allow_loopback_http,
        })
    }

    pub fn check(&self, url: &str) -> Result<url::Url> {
        let parsed = url::Url::parse(url).map_err(|_| WalletError::InsecureUrl {
            url: url.to_owned(),
        })?;
        let loopback = matches!(
            parsed.host(),
            Some(url::Host::Ipv4(ip)) if ip.is_loopback()
        ) || matches!(parsed.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
            || parsed.host_str() == Some("localhost");
        match parsed.scheme() {
            "https" => Ok(parsed),
            "http" if self.allow_loopback_http && loopback => Ok(parsed),
            _ => Err(WalletError::InsecureUrl {
                url: url.to_owned(),
            }),
        }
    }

    /// Whether this http:// URL is one the settings allow (loopback, when enabled).
    pub fn allows_loopback(&self, url: &str) -> bool {
        url.starts_with("http://") && self.check(url).is_ok()
    }

    /// The URL to fetch an `https://` address at: the same over plain HTTP when it is a
    /// loopback address the settings allow (`passport up` serves no TLS).
    pub fn reachable(&self, https_url: &str) -> String {
        let http = https_url.replacen("https://", "http://", 1);
        if self.allows_loopback(&http) {
            http
        } else {
            https_url.to_owned()
        }
    }

    /// A text body (a request object is a JWT, not JSON).
    pub async fn get_text(&self, url: &str) -> Result<String> {
        self.check(url)?;
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| network(url, e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| network(url, e))?;
        if !status.is_success() {
            return Err(WalletError::Refused {
                error: format!("HTTP {status}"),
                description: serde_json::from_str::<Value>(&text).ok().and_then(|v| {
                    v.get("error_description")
                        .or_else(|| v.get("detail"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                }),
            });
        }
        Ok(text)
    }

    pub async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T> {
        self.check(url)?;
        let response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| network(url, e))?;
        read_json(url, response).await
    }

    pub async fn post_form<T: DeserializeOwned>(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<T> {
        self.check(url)?;
        let response = self
            .client
            .post(url)
            .form(form)
            .send()
            .await
            .map_err(|e| network(url, e))?;
        read_json(url, response).await
    }

    pub async fn post_json<T: DeserializeOwned>(
        &self,
        url: &str,
        body: &Value,
        bearer: Option<&str>,
    ) -> Result<T> {
        self.check(url)?;
        let mut request = self.client.post(url).json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| network(url, e))?;
        read_json(url, response).await
    }

    pub async fn post_empty<T: DeserializeOwned>(&self, url: &str) -> Result<T> {
        self.check(url)?;
        let response = self
            .client
            .post(url)
            .send()
            .await
            .map_err(|e| network(url, e))?;
        read_json(url, response).await
    }
}

fn network(url: &str, e: reqwest::Error) -> WalletError {
    WalletError::Network {
        url: url.to_owned(),
        detail: e.to_string(),
    }
}

/// 2xx → the body; an OAuth error body (`{error, error_description}`) → [`WalletError::Refused`].
async fn read_json<T: DeserializeOwned>(url: &str, response: reqwest::Response) -> Result<T> {
    let status = response.status();
    let body = response.bytes().await.map_err(|e| network(url, e))?;
    if !status.is_success() {
        let parsed: Option<Value> = serde_json::from_slice(&body).ok();
        let field = |name: &str| {
            parsed
                .as_ref()
                .and_then(|v| v.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        return Err(WalletError::Refused {
            error: field("error")
                .or_else(|| field("title"))
                .unwrap_or_else(|| format!("HTTP {status}")),
            description: field("error_description").or_else(|| field("detail")),
        });
    }
    serde_json::from_slice(&body).map_err(|e| WalletError::Protocol {
        url: url.to_owned(),
        detail: format!("the answer is not the JSON expected: {e}"),
    })
}
