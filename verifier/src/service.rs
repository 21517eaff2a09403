//! The verifier's operations, free of HTTP. Fetching (DID documents, status lists) happens
//! here, before verification; the verdict itself is a pure function of the document and
//! the snapshot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use credentials::did::{DidResolver, ResolvedDids};
use credentials::securing::{status_lists_named, verification_methods_named, StatusLists};
use credentials::status_list::StatusProblem;
use credentials::{
    verify_credential, verify_presentation, CheckName, Clock, Outcome, PresentationExpectations,
    PresentationVerdict, Verdict, VerificationEnvironment,
};
use serde_json::Value;

use crate::onboarding::Onboarding;
use crate::presentations::Oid4vp;
use crate::status::{FetchedList, StatusListFetcher};
use crate::trust::TrustListFetcher;
use service_kit::console::ConsoleAccounts;

/// How long a challenge from `POST /challenges` may be used.
const CHALLENGE_LIFETIME: Duration = Duration::from_secs(300);

pub struct Verifier {
    pub(crate) resolver: Arc<dyn DidResolver>,
    pub(crate) status_lists: StatusListFetcher,
    trust_list: Option<TrustListFetcher>,
    pub(crate) clock: Arc<dyn Clock>,
    default_domain: String,
    challenges: Mutex<HashMap<String, Instant>>,
    oid4vp: Option<Oid4vp>,
    onboarding: Option<Onboarding>,
    console: Option<ConsoleAccounts>,
}

impl Verifier {
    pub fn new(
        resolver: Arc<dyn DidResolver>,
        status_lists: StatusListFetcher,
        clock: Arc<dyn Clock>,
        default_domain: String,
    ) -> Self {
        Self {
            resolver,
            status_lists,
            trust_list: None,
            clock,
            default_domain,
            challenges: Mutex::new(HashMap::new()),
            oid4vp: None,
            onboarding: None,
            console: None,
        }
    }

    /// Enables OpenID4VP presentation requests (its key, store and templates).
    pub fn with_oid4vp(mut self, oid4vp: Oid4vp) -> Self {
        self.oid4vp = Some(oid4vp);
        self
    }

    /// The OpenID4VP side, when this verifier has a store for it.
    pub fn oid4vp(&self) -> Option<&Oid4vp> {
        self.oid4vp.as_ref()
    }

    /// Enables onboarding (the trust's policy and its records); needs OpenID4VP.
    pub fn with_onboarding(mut self, onboarding: Onboarding) -> Self {
        self.onboarding = Some(onboarding);
        self
    }

    pub fn onboarding(&self) -> Option<&Onboarding> {
        self.onboarding.as_ref()
    }

    /// Enables the onboarding console's sign-in (its accounts live in the verifier's store).
    pub fn with_console(mut self, accounts: ConsoleAccounts) -> Self {
        self.console = Some(accounts);
        self
    }

    pub fn console(&self) -> Option<&ConsoleAccounts> {
        self.console.as_ref()
    }

    /// The URL the world reaches this verifier at.
    pub fn public_base_url(&self) -> &str {
        &self.default_domain
    }

    /// Checks issuers against this registry's trust list (BR-26a).
    pub fn with_trust_list(mut self, trust_list: TrustListFetcher) -> Self {
        self.trust_list = Some(trust_list);
        self
    }

    pub fn status_list_fetcher(&self) -> &StatusListFetcher {
        &self.status_lists
    }

    pub fn trust_list_fetcher(&self) -> Option<&TrustListFetcher> {
        self.trust_list.as_ref()
    }

    /// The trust list for this verification: `None` when no registry is configured.
    pub(crate) async fn trust_snapshot(
        &self,
    ) -> Option<Result<credentials::trust_list::TrustList, String>> {
        match &self.trust_list {
            Some(fetcher) => Some(
                fetcher
                    .current(self.resolver.as_ref(), self.clock.as_ref())
                    .await,
            ),
            None => None,
        }
    }

    pub fn default_domain(&self) -> &str {
        &self.default_domain
    }

    /// Everything a verification may read, fetched first: the status lists the document
    /// points at (each verified as a credential in its own right), and every DID document
    /// named by the document's proofs and the lists' proofs.
    async fn snapshot(&self, document: &Value) -> (ResolvedDids, StatusLists) {
        let mut fetched = Vec::new();
        for url in status_lists_named(document) {
            let list = self.status_lists.fetch(&url).await;
            fetched.push((url, list));
        }
        let mut methods = verification_methods_named(document);
        for list in fetched
            .iter()
            .filter_map(|(_, list)| list.as_ref().ok())
            .filter(|list| !list.proof_verified)
        {
            methods.extend(verification_methods_named(&list.list));
        }
        let dids =
            ResolvedDids::resolve_all(self.resolver.as_ref(), methods.iter().map(String::as_str))
                .await;
        let mut lists = StatusLists::default();
        for (url, list) in fetched {
            let checked = match list {
                Ok(FetchedList {
                    list,
                    proof_verified: true,
                }) => self.still_valid(list),
                Ok(FetchedList { list, .. }) => {
                    let env = VerificationEnvironment::new(&dids, self.clock.as_ref());
                    match verify_credential(&list, &env).await {
                        Ok(verdict) if verdict.verified() => {
                            self.status_lists.mark_verified(&url, &list);
                            Ok(list)
                        }
                        Ok(verdict) => Err(StatusProblem::Verification(
                            verdict
                                .failures()
                                .map(|c| format!("{:?}", c.outcome))
                                .collect::<Vec<_>>()
                                .join("; "),
                        )),
                        Err(e) => Err(StatusProblem::Verification(e.to_string())),
                    }
                }
                Err(problem) => Err(problem),
            };
            lists.lists.insert(url, checked);
        }
        (dids, lists)
    }

    /// A list whose proof verified when it was fetched is still believed while it is inside
    /// its own validity period: the one check that depends on the time of asking.
    fn still_valid(&self, list: Value) -> Result<Value, StatusProblem> {
        let now = self.clock.now();
        let date = |name: &str| {
            list.get(name)
                .and_then(Value::as_str)
                .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
                .map(|d| d.with_timezone(&chrono::Utc))
        };
        if date("validUntil").is_some_and(|until| until <= now) {
            return Err(StatusProblem::Verification(
                "the status list credential has expired".into(),
            ));
        }
        if date("validFrom").is_some_and(|from| from > now) {
            return Err(StatusProblem::Verification(
                "the status list credential is not valid yet".into(),
            ));
        }
        Ok(list)
    }

    pub async fn verify_credential(&self, credential: &Value) -> credentials::Result<Verdict> {
        let (dids, lists) = self.snapshot(credential).await;
        let trust = self.trust_snapshot().await;
        let mut env =
            VerificationEnvironment::new(&dids, self.clock.as_ref()).with_status_lists(&lists);
        if let Some(trust) = &trust {
            env = env.with_trust_list(trust);
        }
        verify_credential(credential, &env).await
    }

    /// Verifies a presentation against the challenge and domain the caller expects (the
    /// domain defaults to this verifier's public URL). A challenge this verifier handed
    /// out is single use: a second presentation with it is refused as a replay.
    pub async fn verify_presentation(
        &self,
        presentation: &Value,
        challenge: Option<String>,
        domain: Option<String>,
    ) -> credentials::Result<PresentationVerdict> {
        let (dids, lists) = self.snapshot(presentation).await;
        let trust = self.trust_snapshot().await;
        let mut env =
            VerificationEnvironment::new(&dids, self.clock.as_ref()).with_status_lists(&lists);
        if let Some(trust) = &trust {
            env = env.with_trust_list(trust);
        }
        let expected = PresentationExpectations {
            challenge: challenge.clone(),
            domain: domain.or_else(|| Some(self.default_domain.clone())),
        };
        let mut verdict = verify_presentation(presentation, &expected, &env).await?;
        if let Some(challenge) = challenge {
            if verdict.presentation.outcome_of(CheckName::Challenge) == Some(&Outcome::Passed)
                && !self.consume_challenge(&challenge)
            {
                for check in verdict
                    .presentation
                    .checks
                    .iter_mut()
                    .filter(|c| c.name == CheckName::Challenge)
                {
                    check.outcome =
                        Outcome::Failed("this challenge was already used (replay)".into());
                }
            }
        }
        Ok(verdict)
    }

    /// Issues a fresh challenge for a presentation.
    pub fn new_challenge(&self) -> String {
        let challenge = uuid::Uuid::new_v4().to_string();
        if let Ok(mut challenges) = self.challenges.lock() {
            challenges.retain(|_, issued| issued.elapsed() < CHALLENGE_LIFETIME);
            challenges.insert(challenge.clone(), Instant::now());
        }
        challenge
    }

    /// False only when the challenge was ours and is spent or stale; challenges a caller
    /// chose itself are the caller's to keep single use.
    fn consume_challenge(&self, challenge: &str) -> bool {
        let Ok(mut challenges) = self.challenges.lock() else {
            return false;
        };
        match challenges.get(challenge) {
            Some(issued) if issued.elapsed() < CHALLENGE_LIFETIME => {
                challenges.insert(challenge.to_owned(), Instant::now() - CHALLENGE_LIFETIME);
                true
            }
            Some(_) => false,
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use chrono::{DateTime, Utc};
    use credentials::status_list::{Bitstring, StatusEntry, StatusListCredential, StatusPurpose};
    use credentials::{sign_credential, Cryptosuite, ProofRequest, SigningIdentity};
    use serde_json::json;

    use super::*;

    struct TestClock(StdMutex<DateTime<Utc>>);

    impl Clock for TestClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    async fn signed_list(signer: &SigningIdentity, url: &str, start: DateTime<Utc>) -> Value {
        let bits = Bitstring::new(131_072).unwrap();
        let unsigned = StatusListCredential {
            url,
            issuer: signer.did(),
            purpose: StatusPurpose::Revocation,
            list: &bits,
            valid_from: start,
            valid_until: Some(start + chrono::Duration::hours(1)),
            ttl_millis: Some(3_600_000),
        }
        .to_json()
        .unwrap();
        let request = ProofRequest {
            created: Some(start),
            ..Default::default()
        };
        sign_credential(&unsigned, signer, Cryptosuite::EddsaRdfc2022, &request)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_list_is_verified_once_per_fetch_and_still_refused_once_it_expires() {
        let start: DateTime<Utc> = "2026-11-24T12:00:00Z".parse().unwrap();
        let signer = SigningIdentity::did_key(ed25519_dalek::SigningKey::from_bytes(&[9; 32]));
        // The lists name their own URLs, so the port is chosen before they are signed.
        let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let good_url = format!("http://127.0.0.1:{port}/status/1");
        let forged_url = format!("http://127.0.0.1:{port}/status/2");
        let good = signed_list(&signer, &good_url, start).await;
        let mut forged = signed_list(&signer, &forged_url, start).await;
        forged["validUntil"] = json!("2099-01-01T00:00:00Z");
        let router = axum::Router::new()
            .route(
                "/status/1",
                axum::routing::get(move || async move { axum::Json(good) }),
            )
            .route(
                "/status/2",
                axum::routing::get(move || async move { axum::Json(forged) }),
            );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });

        let clock = Arc::new(TestClock(StdMutex::new(
            start + chrono::Duration::minutes(1),
        )));
        let fetcher =
            StatusListFetcher::new(["127.0.0.1:*".to_owned()], Duration::from_secs(3600)).unwrap();
        let verifier = Verifier::new(
            Arc::new(credentials::PinnedDidDocuments::new()),
            fetcher,
            clock.clone(),
            "https://verifier.example".into(),
        );
        let entry = |url: &str| StatusEntry {
            purpose: StatusPurpose::Revocation,
            index: 7,
            list_credential: url.to_owned(),
        };
        let document =
            json!({"credentialStatus": [entry(&good_url).to_json(), entry(&forged_url).to_json()]});

        for round in ["fetched and verified", "from the cache, verified before"] {
            let (_, lists) = verifier.snapshot(&document).await;
            assert!(lists.lists[&good_url].is_ok(), "{round}");
            assert!(
                matches!(
                    lists.lists[&forged_url],
                    Err(StatusProblem::Verification(_))
                ),
                "{round}: a list whose proof fails is never marked verified"
            );
        }
        assert!(
            verifier
                .status_lists
                .fetch(&good_url)
                .await
                .unwrap()
                .proof_verified
        );
        assert!(
            !verifier
                .status_lists
                .fetch(&forged_url)
                .await
                .unwrap()
                .proof_verified
        );

        *clock.0.lock().unwrap() = start + chrono::Duration::hours(2);
        let (_, lists) = verifier.snapshot(&document).await;
        assert!(
            matches!(&lists.lists[&good_url], Err(StatusProblem::Verification(why)) if why.contains("expired")),
            "{:?}",
            lists.lists[&good_url]
        );
    }
}
