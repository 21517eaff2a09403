//! The wallet a person holds: open it with a passphrase, accept offers, keep credentials,
//! read the history.

use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::error::{Result, WalletError};
use crate::http::Http;
use crate::keys::{sign_jwt, KeyHandle, KeyStore, SoftwareKeyStore};
use crate::oid4vci::{
    parse_offer_link, proof_claims, well_known_url, AuthorizationServerMetadata,
    CredentialConfiguration, CredentialOffer, CredentialResponse, IssuerMetadata, NonceResponse,
    OfferSource, TokenResponse, PRE_AUTHORIZED_GRANT,
};
use crate::store::{HistoryEntry, Store, StoredCredential};

/// The formats the wallet takes.
pub const LDP_VC: &str = "ldp_vc";
pub const SD_JWT_VC: &str = "dc+sd-jwt";

const HOLDER_KEY: &str = "holder-key";

#[derive(Clone, Debug, Default)]
pub struct WalletOptions {
    /// Let the wallet talk plain HTTP to loopback addresses (development only).
    pub allow_loopback_http: bool,
    /// The trust framework's signed trust list (e.g. `https://registry…/trust-list`): a
    /// verifier not registered there as active is refused (BR-30: sharing is with NHS
    /// verifiers only by default). Without it, who asks is shown unchecked.
    pub trust_list_url: Option<String>,
    /// The registry DID the trust list must be signed by; by default the did:web of the
    /// trust list URL without its `/trust-list`.
    pub registry_did: Option<String>,
}

pub struct Wallet {
    store: Arc<Store>,
    keys: Arc<dyn KeyStore>,
    http: Http,
    options: WalletOptions,
}

impl Wallet {
    /// Opens the wallet in `dir` (creating it), with its keys in the wallet's own store.
    pub fn open(dir: &Path, passphrase: &str, options: WalletOptions) -> Result<Self> {
        let store = Arc::new(Store::open(dir, passphrase)?);
        let keys = Arc::new(SoftwareKeyStore::new(Arc::clone(&store)));
        Self::with_key_store(store, keys, options)
    }

    /// Opens the wallet with keys held elsewhere (a phone's keystore).
    pub fn with_key_store(
        store: Arc<Store>,
        keys: Arc<dyn KeyStore>,
        options: WalletOptions,
    ) -> Result<Self> {
        Ok(Self {
            store,
            keys,
            http: Http::new(options.allow_loopback_http)?,
            options,
        })
    }

    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    pub(crate) fn options(&self) -> &WalletOptions {
        &self.options
    }

    pub(crate) fn key_store(&self) -> &dyn KeyStore {
        self.keys.as_ref()
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The holder's long-lived key: its did:key is the subject of Data Integrity credentials.
    pub fn holder_key(&self) -> Result<KeyHandle> {
        let settings = self.store.settings();
        if let Some(id) = self.store.get::<String>(settings, HOLDER_KEY)? {
            return self.keys.key(&id);
        }
        let key = self.keys.create_key()?;
        self.store.put(settings, HOLDER_KEY, &key.id)?;
        Ok(key)
    }

    pub fn holder_did(&self) -> Result<String> {
        self.holder_key()?.did()
    }

    pub fn credentials(&self) -> Result<Vec<StoredCredential>> {
        self.store.credentials()
    }

    pub fn credential(&self, id: &str) -> Result<StoredCredential> {
        self.store.credential(id)
    }

    pub fn history(&self) -> Result<Vec<HistoryEntry>> {
        self.store.history()
    }

    /// Deletes a credential from this wallet (BR-25: its status at the issuer is unchanged).
    pub fn delete_credential(&self, id: &str) -> Result<()> {
        self.store.delete_credential(id)?;
        self.store.record(&HistoryEntry::Deleted {
            at: now(),
            credential_id: id.to_owned(),
        })
    }

    /// Reads an offer link and says what it offers and whether a PIN is needed, before the
    /// holder agrees to anything.
    pub async fn read_offer(&self, link: &str) -> Result<CredentialOffer> {
        match parse_offer_link(link)? {
            OfferSource::ByValue(offer) => Ok(offer),
            // An issuer stops serving an offer it will no longer honour (§4.1.3 leaves
            // the status to it; ours answers 404 with the reason).
            OfferSource::ByReference(url) => {
                self.http.get_json(&url).await.map_err(|error| match error {
                    WalletError::Refused { error, description } => WalletError::OfferUnavailable {
                        detail: description.unwrap_or(error),
                    },
                    other => other,
                })
            }
        }
    }

    /// Accepts an offer with the PIN given separately: every offered credential is fetched,
    /// bound to the holder's keys, checked and stored.
    pub async fn accept_offer(
        &self,
        link: &str,
        pin: Option<&str>,
    ) -> Result<Vec<StoredCredential>> {
        let offer = self.read_offer(link).await?;
        let grant =
            offer
                .grants
                .pre_authorized_code
                .clone()
                .ok_or_else(|| WalletError::InvalidOffer {
                    detail: "only the pre-authorized code flow is supported".into(),
                })?;
        let metadata: IssuerMetadata = self
            .http
            .get_json(&well_known_url(
                &offer.credential_issuer,
                "openid-credential-issuer",
            )?)
            .await?;
        if metadata.credential_issuer != offer.credential_issuer {
            return Err(WalletError::Protocol {
                url: offer.credential_issuer.clone(),
                detail: "the metadata names another credential issuer".into(),
            });
        }
        // OpenID4VCI §4.1.1: an offer may only pick one of the servers the issuer's own
        // metadata lists; otherwise a crafted offer could send the PIN anywhere.
        let authorization_server = match (
            &grant.authorization_server,
            metadata.authorization_servers.as_slice(),
        ) {
            (Some(named), listed) if listed.contains(named) => named.clone(),
            (Some(named), _) => {
                return Err(WalletError::InvalidOffer {
                    detail: format!(
                        "the offer names an authorization server ({named}) that {} does not list",
                        offer.credential_issuer
                    ),
                })
            }
            (None, [first, ..]) => first.clone(),
            (None, []) => offer.credential_issuer.clone(),
        };
        let server: AuthorizationServerMetadata = self
            .http
            .get_json(&well_known_url(
                &authorization_server,
                "oauth-authorization-server",
            )?)
            .await?;
        if server.issuer != authorization_server {
            return Err(WalletError::Protocol {
                url: authorization_server,
                detail: "the authorization server metadata names another issuer".into(),
            });
        }
        let mut form = vec![
            ("grant_type", PRE_AUTHORIZED_GRANT),
            ("pre-authorized_code", grant.code.as_str()),
        ];
        match (&grant.tx_code, pin) {
            (Some(_), Some(pin)) => form.push(("tx_code", pin)),
            (Some(_), None) => {
                return Err(WalletError::InvalidOffer {
                    detail: "this offer needs the PIN you were given separately".into(),
                })
            }
            // A PIN for an offer that asks none is not sent: §6.1 says send it iff asked.
            (None, _) => {}
        }
        let pin_sent = form.iter().any(|(name, _)| *name == "tx_code");
        // §6.3: `invalid_grant` is both "wrong tx_code" and "code expired or used"; with a
        // PIN sent to an offer that was just readable, the PIN is what the holder can fix.
        let token: TokenResponse = self
            .http
            .post_form(&server.token_endpoint, &form)
            .await
            .map_err(|error| match error {
                WalletError::Refused { error, description } if error == "invalid_grant" => {
                    let detail = description.unwrap_or(error);
                    if pin_sent {
                        WalletError::WrongPin { detail }
                    } else {
                        WalletError::OfferUnavailable { detail }
                    }
                }
                other => other,
            })?;
        if !token.token_type.eq_ignore_ascii_case("bearer") {
            return Err(WalletError::Protocol {
                url: server.token_endpoint,
                detail: format!("token type {} is not supported", token.token_type),
            });
        }

        let mut received = Vec::new();
        for configuration_id in &offer.credential_configuration_ids {
            let configuration = metadata
                .credential_configurations_supported
                .get(configuration_id)
                .ok_or_else(|| WalletError::Protocol {
                    url: metadata.credential_issuer.clone(),
                    detail: format!("{configuration_id} is offered but not in the metadata"),
                })?;
            // One request may bring several (e.g. one employment credential per post).
            let stored = self
                .fetch_credentials(&metadata, configuration_id, configuration, &token)
                .await?;
            received.extend(stored);
        }
        // Stored only once every offered credential has arrived and passed its checks.
        for stored in &received {
            self.store.put_credential(stored)?;
            self.store.record(&HistoryEntry::Received {
                at: stored.received_at.clone(),
                credential_id: stored.id.clone(),
                credential_issuer: stored.credential_issuer.clone(),
                configuration_id: stored.configuration_id.clone(),
            })?;
        }
        Ok(received)
    }

    async fn fetch_credentials(
        &self,
        metadata: &IssuerMetadata,
        configuration_id: &str,
        configuration: &CredentialConfiguration,
        token: &TokenResponse,
    ) -> Result<Vec<StoredCredential>> {
        if !configuration.accepts_eddsa_jwt_proof() {
            return Err(WalletError::Protocol {
                url: metadata.credential_issuer.clone(),
                detail: format!("{configuration_id} takes no EdDSA JWT proof"),
            });
        }
        // Data Integrity credentials name the holder's did:key; an SD-JWT VC gets a key of
        // its own, so that presentations of different credentials cannot be linked by key.
        let (key, key_header) = match configuration.format.as_str() {
            LDP_VC => {
                let key = self.holder_key()?;
                let kid = key.verification_method()?;
                (key, json!({"kid": kid}))
            }
            SD_JWT_VC => {
                let key = self.keys.create_key()?;
                let jwk = key.jwk();
                (key, json!({"jwk": jwk}))
            }
            other => {
                return Err(WalletError::Protocol {
                    url: metadata.credential_issuer.clone(),
                    detail: format!("format {other} is not supported by this wallet"),
                })
            }
        };
        let nonce = match &metadata.nonce_endpoint {
            Some(endpoint) => Some(
                self.http
                    .post_empty::<NonceResponse>(endpoint)
                    .await?
                    .c_nonce,
            ),
            None => None,
        };
        let mut header = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA"});
        if let (Some(header), Some(extra)) = (header.as_object_mut(), key_header.as_object()) {
            header.extend(extra.clone());
        }
        let claims = proof_claims(
            &metadata.credential_issuer,
            nonce.as_deref(),
            chrono::Utc::now().timestamp(),
        );
        let proof = sign_jwt(self.keys.as_ref(), &key.id, &header, &claims)?;
        let request = json!({
            "credential_configuration_id": configuration_id,
            "proofs": {"jwt": [proof]},
        });
        let response: CredentialResponse = self
            .http
            .post_json(
                &metadata.credential_endpoint,
                &request,
                Some(&token.access_token),
            )
            .await?;
        if response.transaction_id.is_some() {
            return Err(WalletError::Protocol {
                url: metadata.credential_endpoint.clone(),
                detail: "deferred issuance is not supported yet".into(),
            });
        }
        if response.credentials.is_empty() {
            return Err(WalletError::Protocol {
                url: metadata.credential_endpoint.clone(),
                detail: "the credential response has no credential".into(),
            });
        }
        let mut received = Vec::with_capacity(response.credentials.len());
        for issued in response.credentials {
            check_binding(&configuration.format, &issued.credential, &key)?;
            self.verify_on_receipt(&configuration.format, &issued.credential)
                .await?;
            received.push(issued);
        }
        received
            .into_iter()
            .map(|issued| {
                Ok(StoredCredential {
                    id: uuid::Uuid::new_v4().simple().to_string(),
                    format: configuration.format.clone(),
                    credential: issued.credential,
                    configuration_id: configuration_id.to_owned(),
                    credential_issuer: metadata.credential_issuer.clone(),
                    display: configuration.display(),
                    received_at: now(),
                    key_id: key.id.clone(),
                })
            })
            .collect()
    }
}

impl Wallet {
    /// A credential is kept only if its issuer's signature verifies now: a forged or
    /// tampered credential never reaches the holder's list.
    async fn verify_on_receipt(&self, format: &str, credential: &Value) -> Result<()> {
        use credentials::{CheckName, Outcome};
        let dids = crate::dids::WebDids {
            http: self.http.clone(),
        };
        let verdict = match format {
            LDP_VC => {
                let methods = credentials::securing::verification_methods_named(credential);
                let resolved = credentials::did::ResolvedDids::resolve_all(
                    &dids,
                    methods.iter().map(String::as_str),
                )
                .await;
                let clock = credentials::SystemClock;
                let env = credentials::VerificationEnvironment::new(&resolved, &clock);
                credentials::verify_credential(credential, &env)
                    .await
                    .map_err(|e| WalletError::BadCredential {
                        detail: e.to_string(),
                    })?
            }
            SD_JWT_VC => {
                let text = credential.as_str().unwrap_or_default();
                let iss = crate::oid4vp::sd_jwt_payload(text)
                    .and_then(|p| p.get("iss").and_then(Value::as_str).map(str::to_owned))
                    .ok_or_else(|| WalletError::BadCredential {
                        detail: "the SD-JWT VC names no issuer".into(),
                    })?;
                let mut keys = credentials::sd_jwt::IssuerKeys::new();
                let metadata = self.issuer_metadata(&iss).await?;
                keys.add_metadata(&iss, &metadata)
                    .map_err(|e| WalletError::BadCredential {
                        detail: e.to_string(),
                    })?;
                credentials::sd_jwt::verify_sd_jwt_vc(
                    text,
                    &keys,
                    &credentials::sd_jwt::SdJwtExpectations::issued_credential(chrono::Utc::now()),
                )
                .verdict
            }
            _ => return Ok(()),
        };
        let failed: Vec<String> = verdict
            .checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
            .map(|c| format!("{:?}: {:?}", c.name, c.outcome))
            .collect();
        if !failed.is_empty() || verdict.outcome_of(CheckName::Proof) != Some(&Outcome::Passed) {
            return Err(WalletError::BadCredential {
                detail: format!(
                    "the issuer's signature does not hold: {}",
                    failed.join("; ")
                ),
            });
        }
        Ok(())
    }

    /// The SD-JWT VC issuer's `/.well-known/jwt-vc-issuer` document (SD-JWT VC §3).
    async fn issuer_metadata(&self, iss: &str) -> Result<Value> {
        let path = credentials::sd_jwt::jwt_vc_issuer_metadata_path(iss).map_err(|e| {
            WalletError::BadCredential {
                detail: e.to_string(),
            }
        })?;
        let origin = iss.split('/').take(3).collect::<Vec<_>>().join("/");
        let url = self.http.reachable(&format!("{origin}{path}"));
        self.http.get_json(&url).await
    }
}

/// A credential is kept only if it is bound to the key the wallet proved.
fn check_binding(format: &str, credential: &Value, key: &KeyHandle) -> Result<()> {
    let bad = |detail: String| WalletError::BadCredential { detail };
    match format {
        LDP_VC => {
            let subject = credential
                .pointer("/credentialSubject/id")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("the credential has no subject id".into()))?;
            if subject != key.did()? {
                return Err(bad(format!(
                    "the credential is bound to {subject}, not this wallet"
                )));
            }
            if credential.get("proof").is_none() {
                return Err(bad("the credential has no proof".into()));
            }
            Ok(())
        }
        SD_JWT_VC => {
            let text = credential
                .as_str()
                .ok_or_else(|| bad("an SD-JWT VC must be a string".into()))?;
            if !text.ends_with('~') {
                return Err(bad(
                    "an SD-JWT VC is issued without key binding and ends in ~".into(),
                ));
            }
            let payload = text
                .split('~')
                .next()
                .and_then(|jwt| jwt.split('.').nth(1))
                .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
                .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
                .ok_or_else(|| bad("the issuer-signed JWT is unreadable".into()))?;
            if payload.pointer("/cnf/jwk") != Some(&key.jwk()) {
                return Err(bad("the SD-JWT VC is not bound to this wallet's key".into()));
            }
            Ok(())
        }
        other => Err(bad(format!("format {other} is not supported"))),
    }
}

pub(crate) fn now() -> String {
    credentials::catalogue::xsd_date_time(&chrono::Utc::now())
}
