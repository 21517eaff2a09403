//! Durability with real processes: the trust registry and the issuer run as the `passport`
//! binary, are killed with SIGKILL in the middle of a burst of writes, and are started again
//! on the same store. Everything they acknowledged must still be there afterwards, and
//! nothing they serve may be corrupt. What was sent but not acknowledged may or may not
//! have landed; the tests hold it only to the invariants (a status bit never without its
//! audit entry, no bit set that nobody asked for).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use credentials::securing::VerificationEnvironment;
use credentials::status_list::{Bitstring, StatusEntry, StatusPurpose};
use credentials::{verify_credential, PinnedDidDocuments, ResolvedDids, SystemClock};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const OPERATOR_TOKEN: &str = "operator-token-durability-0123456789";
const ISSUER_REGISTRY_TOKEN: &str = "issuer-at-registry-durability-0123";
const ISSUER_API_TOKEN: &str = "issuer-api-token-durability-0123456";

fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A service running as its own `passport` process. Dropping it kills the process, so a
/// failing test leaves nothing behind.
struct Service {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Service {
    fn start(name: &'static str, subcommand: &str, config: &Path, log: PathBuf) -> Self {
        // Appending: the log of a restarted service follows that of the killed one.
        let output = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_passport"))
            .args([subcommand, "--config"])
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .unwrap();
        Self { name, child, log }
    }

    /// SIGKILL: no shutdown hook, no flush, no chance to finish what is in flight.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    async fn wait_healthy(&mut self, base_url: &str) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "{} exited ({status}) before it was healthy:\n{}",
                    self.name,
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            let healthy = client
                .get(format!("{base_url}/healthz"))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} was not healthy within 60 s:\n{}",
                self.name,
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http() -> reqwest::Client {
    // Bounded, so a request caught by the kill fails instead of hanging the test.
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

struct RegistryProcess {
    url: String,
    config: PathBuf,
    log: PathBuf,
}

impl RegistryProcess {
    /// Writes the registry's settings: its own port, store folder and tokens, and one
    /// issuer allowed to allocate and change its own entries.
    fn configure(folder: &Path, issuer_did: &str) -> Self {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let config = folder.join("registry.toml");
        let settings = format!(
            "listen = \"127.0.0.1:{port}\"\n\
             public_base_url = \"{url}\"\n\
             data_dir = {data:?}\n\
             ttl_seconds = 1\n\
             operator_token = \"{OPERATOR_TOKEN}\"\n\
             [issuer_tokens]\n\
             \"{issuer_did}\" = \"{ISSUER_REGISTRY_TOKEN}\"\n",
            data = folder.join("registry-data"),
        );
        std::fs::write(&config, settings).unwrap();
        Self {
            url,
            config,
            log: folder.join("registry.log"),
        }
    }

    async fn start(&self) -> Service {
        let mut service = Service::start("registry", "registry", &self.config, self.log.clone());
        service.wait_healthy(&self.url).await;
        service
    }
}

/// One status change sent during the burst.
#[derive(Clone, Debug)]
struct Change {
    credential_id: String,
    action: &'static str,
    as_operator: bool,
}

fn purpose_of(action: &str) -> StatusPurpose {
    match action {
        "revoke" => StatusPurpose::Revocation,
        "suspend" => StatusPurpose::Suspension,
        other => panic!("the burst sends no {other}"),
    }
}

/// Runs `requests` with at most `concurrency` in flight, calls `kill` once `kill_after`
/// of them have been acknowledged, and returns the acknowledged ones. `send` answers
/// `Some(acknowledgement)` only for a success the service actually sent.
async fn burst_then_kill<R, A, F, Fut>(
    requests: Vec<R>,
    concurrency: usize,
    kill_after: usize,
    send: F,
    kill: impl FnOnce(),
) -> Vec<A>
where
    R: Send + 'static,
    A: Send + 'static,
    F: Fn(R) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Option<A>> + Send,
{
    let total = requests.len();
    assert!(kill_after < total, "the kill must come in the middle");
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let answered = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let send = Arc::new(send);
    let mut tasks = Vec::with_capacity(total);
    for request in requests {
        let (acknowledged, answered, finished, gate, send) = (
            Arc::clone(&acknowledged),
            Arc::clone(&answered),
            Arc::clone(&finished),
            Arc::clone(&gate),
            Arc::clone(&send),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            if let Some(ack) = send(request).await {
                acknowledged.lock().unwrap().push(ack);
                answered.fetch_add(1, Ordering::SeqCst);
            }
            finished.fetch_add(1, Ordering::SeqCst);
        }));
    }
    while answered.load(Ordering::SeqCst) < kill_after {
        assert!(
            finished.load(Ordering::SeqCst) < total,
            "the burst ended with only {} of {total} acknowledged",
            answered.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    kill();
    for task in tasks {
        task.await.unwrap();
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    eprintln!(
        "{} of {total} acknowledged before the kill",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() < total,
        "every request was acknowledged: the kill did not land mid-burst"
    );
    acknowledged
}

/// Verifies a status list credential with the registry's DID document, and decodes it.
async fn verified_list(list: &Value, registry_did_document: &Value) -> Bitstring {
    let pinned = PinnedDidDocuments::new()
        .with(registry_did_document.clone())
        .unwrap();
    let methods = credentials::securing::verification_methods_named(list);
    let dids = ResolvedDids::resolve_all(&pinned, methods.iter().map(String::as_str)).await;
    let verdict = verify_credential(list, &VerificationEnvironment::new(&dids, &SystemClock))
        .await
        .unwrap();
    assert!(
        verdict.verified(),
        "{} does not verify: {verdict:?}",
        list["id"]
    );
    Bitstring::decode(list["credentialSubject"]["encodedList"].as_str().unwrap()).unwrap()
}

async fn get_json(client: &reqwest::Client, url: &str, token: Option<&str>) -> Value {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_status_changes_survive_a_sigkill_of_the_registry() {
    let folder = tempfile::tempdir().unwrap();
    let issuer_did = "did:web:issuer.durability.example";
    let registry = RegistryProcess::configure(folder.path(), issuer_did);
    let client = http();
    let mut running = registry.start().await;
    let did_document_before = get_json(
        &client,
        &format!("{}/.well-known/did.json", registry.url),
        None,
    )
    .await;

    // Status entries for 240 credentials: 200 get a change in the burst, 40 never do.
    let mut entries: BTreeMap<String, Vec<StatusEntry>> = BTreeMap::new();
    for n in 0..240 {
        let credential_id = format!("urn:uuid:00000000-0000-4000-8000-{n:012}");
        let response = client
            .post(format!("{}/allocations", registry.url))
            .bearer_auth(ISSUER_REGISTRY_TOKEN)
            .json(&json!({"credentialId": credential_id}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        entries.insert(credential_id, StatusEntry::all_of(&body).unwrap());
    }
    let changes: Vec<Change> = entries
        .keys()
        .take(200)
        .enumerate()
        .map(|(n, credential_id)| Change {
            credential_id: credential_id.clone(),
            action: if n % 2 == 0 { "revoke" } else { "suspend" },
            // Both kinds of caller write through the same path; both must be durable.
            as_operator: n % 3 == 0,
        })
        .collect();

    let change_url = format!("{}/status-changes", registry.url);
    let burst_client = client.clone();
    let acknowledged = burst_then_kill(
        changes.clone(),
        16,
        60,
        move |change: Change| {
            let (client, url) = (burst_client.clone(), change_url.clone());
            async move {
                let mut body =
                    json!({"credentialId": change.credential_id, "action": change.action});
                let token = if change.as_operator {
                    body["reason"] = "durability test".into();
                    OPERATOR_TOKEN
                } else {
                    ISSUER_REGISTRY_TOKEN
                };
                let response = client
                    .post(&url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .ok()?;
                if !response.status().is_success() {
                    // A refusal is a defect, not a casualty of the kill.
                    panic!("{} answered {}", change.credential_id, response.status());
                }
                let answer: Value = response.json().await.ok()?;
                assert_eq!(answer["changed"], true, "{answer}");
                Some(change)
            }
        },
        || running.kill(),
    )
    .await;
    drop(running);

    let _running = registry.start().await;
    let did_document_after = get_json(
        &client,
        &format!("{}/.well-known/did.json", registry.url),
        None,
    )
    .await;
    assert_eq!(
        did_document_before, did_document_after,
        "the registry's key must survive the kill"
    );

    // Every list any entry points at verifies and decodes after the restart.
    let mut lists: HashMap<String, Bitstring> = HashMap::new();
    for entry in entries.values().flatten() {
        if !lists.contains_key(&entry.list_credential) {
            let list = get_json(&client, &entry.list_credential, None).await;
            lists.insert(
                entry.list_credential.clone(),
                verified_list(&list, &did_document_after).await,
            );
        }
    }

    let audit = get_json(
        &client,
        &format!("{}/audit", registry.url),
        Some(OPERATOR_TOKEN),
    )
    .await;
    let mut audited: HashMap<(String, StatusPurpose), usize> = HashMap::new();
    for entry in audit["audit"].as_array().unwrap() {
        let purpose = purpose_of(entry["action"].as_str().unwrap());
        *audited
            .entry((entry["credential_id"].as_str().unwrap().to_owned(), purpose))
            .or_default() += 1;
    }
    let is_set = |entry: &StatusEntry| lists[&entry.list_credential].get(entry.index).unwrap();

    for change in &acknowledged {
        let purpose = purpose_of(change.action);
        let entry = entries[&change.credential_id]
            .iter()
            .find(|e| e.purpose == purpose)
            .unwrap();
        assert!(
            is_set(entry),
            "acknowledged {} of {} is lost",
            change.action,
            change.credential_id
        );
        assert_eq!(
            audited.get(&(change.credential_id.clone(), purpose)),
            Some(&1),
            "acknowledged {} of {} has no single audit entry",
            change.action,
            change.credential_id
        );
    }

    // Whatever else landed: a bit is set exactly when its change is audited, and only
    // where a change was sent.
    let sent: HashSet<(String, StatusPurpose)> = changes
        .iter()
        .map(|c| (c.credential_id.clone(), purpose_of(c.action)))
        .collect();
    for (credential_id, credential_entries) in &entries {
        for entry in credential_entries {
            let key = (credential_id.clone(), entry.purpose);
            assert_eq!(
                is_set(entry),
                audited.contains_key(&key),
                "{credential_id} {:?}: status and audit disagree",
                entry.purpose
            );
            if is_set(entry) {
                assert!(sent.contains(&key), "{credential_id}: a bit nobody set");
            }
        }
    }
    let allocated: HashSet<(String, usize)> = entries
        .values()
        .flatten()
        .map(|e| (e.list_credential.clone(), e.index))
        .collect();
    for (url, list) in &lists {
        for index in list.set_indexes() {
            assert!(
                allocated.contains(&(url.clone(), index)),
                "{url} has bit {index} set, which no credential holds"
            );
        }
    }

    // The restarted registry carries on: a new change is written and the list re-signed.
    let untouched = entries.keys().nth(230).unwrap();
    let response = client
        .post(format!("{}/status-changes", registry.url))
        .bearer_auth(ISSUER_REGISTRY_TOKEN)
        .json(&json!({"credentialId": untouched, "action": "revoke"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let revocation = entries[untouched]
        .iter()
        .find(|e| e.purpose == StatusPurpose::Revocation)
        .unwrap();
    let list = get_json(&client, &revocation.list_credential, None).await;
    assert!(verified_list(&list, &did_document_after)
        .await
        .get(revocation.index)
        .unwrap());
}

struct IssuerProcess {
    url: String,
    did: String,
    config: PathBuf,
    log: PathBuf,
}

impl IssuerProcess {
    fn configure(folder: &Path) -> Self {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        Self {
            did: format!("did:web:127.0.0.1%3A{port}"),
            url,
            config: folder.join("issuer.toml"),
            log: folder.join("issuer.log"),
        }
    }

    /// Writes the issuer's settings once the registry it allocates status from is known.
    fn write_settings(&self, folder: &Path, registry: &RegistryProcess) {
        let port = self.url.rsplit(':').next().unwrap();
        let settings = format!(
            "listen = \"127.0.0.1:{port}\"\n\
             public_base_url = \"{url}\"\n\
             data_dir = {data:?}\n\
             organisation_ods = \"RJ1\"\n\
             rbac_catalogue = {catalogue:?}\n\
             api_token = \"{ISSUER_API_TOKEN}\"\n\
             registry_url = \"{registry}\"\n\
             registry_token = \"{ISSUER_REGISTRY_TOKEN}\"\n",
            url = self.url,
            data = folder.join("issuer-data"),
            catalogue = shared_dir().join("sample-data/rbac-roles.json"),
            registry = registry.url,
        );
        std::fs::write(&self.config, settings).unwrap();
    }

    async fn start(&self) -> Service {
        let mut service = Service::start("issuer", "issuer", &self.config, self.log.clone());
        service.wait_healthy(&self.url).await;
        service
    }
}

/// A credential as the issuer sent it, and the SHA-256 of its JSON bytes.
#[derive(Debug)]
struct Issued {
    person_id: String,
    credential_id: String,
    sha256: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_issuances_survive_a_sigkill_of_the_issuer() {
    let folder = tempfile::tempdir().unwrap();
    let issuer = IssuerProcess::configure(folder.path());
    let registry = RegistryProcess::configure(folder.path(), &issuer.did);
    issuer.write_settings(folder.path(), &registry);
    let client = http();
    let _registry = registry.start().await;
    let mut running = issuer.start().await;

    // The sample extract goes in through the same endpoint a real import uses.
    let extract: Value = serde_json::from_str(
        &std::fs::read_to_string(shared_dir().join("sample-data/esr-people.json")).unwrap(),
    )
    .unwrap();
    let response = client
        .post(format!("{}/admin/people", issuer.url))
        .bearer_auth(ISSUER_API_TOKEN)
        .json(&extract)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let did_document_before = get_json(
        &client,
        &format!("{}/.well-known/did.json", issuer.url),
        None,
    )
    .await;

    // The people this issuer (RJ1) can issue for, five times over.
    let people: Vec<String> = extract["people"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["assignments"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["org_ods"] == "RJ1" && a["status"] == "active")
        })
        .map(|p| p["person_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(people.len() >= 5, "the sample has RJ1 staff");
    let requests: Vec<String> = (0..5).flat_map(|_| people.clone()).collect();
    let kill_after = requests.len() / 3;

    let issuer_url = issuer.url.clone();
    let burst_client = client.clone();
    let acknowledged: Vec<Vec<Issued>> = burst_then_kill(
        requests,
        4,
        kill_after,
        move |person_id: String| {
            let (client, url) = (
                burst_client.clone(),
                format!("{issuer_url}/admin/people/{person_id}/credentials"),
            );
            async move {
                let response = client
                    .post(&url)
                    .bearer_auth(ISSUER_API_TOKEN)
                    .json(&json!({}))
                    .send()
                    .await
                    .ok()?;
                if response.status() != 201 {
                    // Refusals (e.g. a record that supports nothing) are not the kill's.
                    assert!(
                        response.status().is_client_error(),
                        "{person_id}: {}",
                        response.status()
                    );
                    return None;
                }
                let body: Value = response.json().await.ok()?;
                let issued = body["verifiableCredentials"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|credential| Issued {
                        person_id: person_id.clone(),
                        credential_id: credential["id"].as_str().unwrap().to_owned(),
                        sha256: hex::encode(Sha256::digest(
                            serde_json::to_vec(credential).unwrap(),
                        )),
                    })
                    .collect::<Vec<_>>();
                assert!(!issued.is_empty());
                Some(issued)
            }
        },
        || running.kill(),
    )
    .await;
    drop(running);
    let acknowledged: Vec<Issued> = acknowledged.into_iter().flatten().collect();

    let _running = issuer.start().await;
    let did_document_after = get_json(
        &client,
        &format!("{}/.well-known/did.json", issuer.url),
        None,
    )
    .await;
    assert_eq!(
        did_document_before, did_document_after,
        "the issuer's key must survive the kill, or its credentials stop verifying"
    );
    let log = get_json(
        &client,
        &format!("{}/admin/issuances", issuer.url),
        Some(ISSUER_API_TOKEN),
    )
    .await;
    let records: HashMap<String, &Value> = log["issuances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["credential_id"].as_str().unwrap().to_owned(), r))
        .collect();
    for issued in &acknowledged {
        let record = records.get(&issued.credential_id).unwrap_or_else(|| {
            panic!(
                "acknowledged credential {} of {} is not in the issuance log",
                issued.credential_id, issued.person_id
            )
        });
        assert_eq!(record["sha256"], issued.sha256.as_str(), "{record}");
        assert_eq!(record["person_id"], issued.person_id.as_str(), "{record}");
    }

    // The registry still holds an acknowledged credential's status entries.
    let sample = &acknowledged[acknowledged.len() / 2];
    let response = client
        .post(format!("{}/status-changes", registry.url))
        .bearer_auth(OPERATOR_TOKEN)
        .json(&json!({"credentialId": sample.credential_id, "action": "suspend", "reason": "durability test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // And the restarted issuer issues again.
    let response = client
        .post(format!(
            "{}/admin/people/{}/credentials",
            issuer.url, people[0]
        ))
        .bearer_auth(ISSUER_API_TOKEN)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}
