//! Durability with real processes: the trust registry and the issuer run as the `passport`
//! binary, are killed with SIGKILL in the middle of a burst of writes (status changes,
//! issuances, ESR events), and are started again on the same store. Everything they
//! acknowledged must still be there afterwards, and nothing they serve may be corrupt.
//! What was sent but not acknowledged may or may not have landed; the tests hold it only to
//! the invariants (a status bit never without its audit entry, no bit set that nobody asked
//! for, an event applied at most once however often ESR sends it). Last, a verifier
//! following the registry's change feed must pick it up again after the registry restarts.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use credentials::sd_jwt::{read_status_list_token, TokenStatusList};
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
    /// issuer allowed to allocate and change its own entries. The `ttl` is long, so a
    /// verifier that sees a change soon has seen it through the change feed.
    fn configure(folder: &Path, issuer_did: &str) -> Self {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let config = folder.join("registry.toml");
        let settings = format!(
            "listen = \"127.0.0.1:{port}\"\n\
             public_base_url = \"{url}\"\n\
             data_dir = {data:?}\n\
             ttl_seconds = 600\n\
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

/// The acknowledgements a burst has received so far.
struct Acks<A>(Arc<Mutex<Vec<A>>>);

impl<A> Clone for Acks<A> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<A> Acks<A> {
    /// Only for a success the service actually sent.
    fn record(&self, ack: A) {
        self.0.lock().unwrap().push(ack);
    }

    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Runs `requests` with at most `concurrency` in flight, calls `kill` once `kill_after`
/// acknowledgements have come back, and returns every acknowledgement. A request may
/// stand for several writes sent one after another (`send` records each); `possible` is
/// how many acknowledgements there would be if nothing were killed.
async fn burst_then_kill<R, A, F, Fut>(
    requests: Vec<R>,
    possible: usize,
    concurrency: usize,
    kill_after: usize,
    send: F,
    kill: impl FnOnce(),
) -> Vec<A>
where
    R: Send + 'static,
    A: Send + 'static,
    F: Fn(R, Acks<A>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    assert!(kill_after < possible, "the kill must come in the middle");
    let acks = Acks(Arc::new(Mutex::new(Vec::new())));
    let requests_count = requests.len();
    let finished = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let send = Arc::new(send);
    let mut tasks = Vec::with_capacity(requests_count);
    for request in requests {
        let (acks, finished, gate, send) = (
            acks.clone(),
            Arc::clone(&finished),
            Arc::clone(&gate),
            Arc::clone(&send),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            send(request, acks).await;
            finished.fetch_add(1, Ordering::SeqCst);
        }));
    }
    while acks.count() < kill_after {
        assert!(
            finished.load(Ordering::SeqCst) < requests_count,
            "the burst ended with only {} of {possible} acknowledged",
            acks.count()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    kill();
    for task in tasks {
        task.await.unwrap();
    }
    let acknowledged = std::mem::take(&mut *acks.0.lock().unwrap());
    eprintln!(
        "{} of {possible} acknowledged before the kill",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() < possible,
        "every write was acknowledged: the kill did not land mid-burst"
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

/// The entries of the Token Status List at `uri`, read with the registry's key.
fn token_list(token: &str, uri: &str, registry_did_document: &Value) -> TokenStatusList {
    let method = &registry_did_document["verificationMethod"][0];
    let key =
        credentials::did::ed25519_from_multibase(method["publicKeyMultibase"].as_str().unwrap())
            .unwrap();
    read_status_list_token(token, uri, &key, credentials::Clock::now(&SystemClock)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_token_status_changes_survive_a_sigkill_of_the_registry() {
    let folder = tempfile::tempdir().unwrap();
    let registry = RegistryProcess::configure(folder.path(), "did:web:issuer.durability.example");
    let client = http();
    let mut running = registry.start().await;

    // Token Status List entries (SD-JWT VCs) for 120 credentials: 100 get a change.
    let mut references: BTreeMap<String, (String, u64)> = BTreeMap::new();
    for n in 0..120 {
        let credential_id = format!("urn:uuid:00000000-0000-4000-9000-{n:012}");
        let response = client
            .post(format!("{}/allocations", registry.url))
            .bearer_auth(ISSUER_REGISTRY_TOKEN)
            .json(&json!({"credentialId": credential_id, "mechanism": "token-status-list"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        let reference = &body["status"]["status_list"];
        references.insert(
            credential_id,
            (
                reference["uri"].as_str().unwrap().to_owned(),
                reference["idx"].as_u64().unwrap(),
            ),
        );
    }
    let changes: Vec<Change> = references
        .keys()
        .take(100)
        .enumerate()
        .map(|(n, credential_id)| Change {
            credential_id: credential_id.clone(),
            action: if n % 2 == 0 { "revoke" } else { "suspend" },
            as_operator: n % 3 == 0,
        })
        .collect();
    let change_url = format!("{}/status-changes", registry.url);
    let burst_client = client.clone();
    let acknowledged = burst_then_kill(
        changes.clone(),
        changes.len(),
        16,
        30,
        move |change: Change, acks: Acks<Change>| {
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
                let Ok(response) = client
                    .post(&url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                else {
                    return;
                };
                if !response.status().is_success() {
                    panic!("{} answered {}", change.credential_id, response.status());
                }
                if response.json::<Value>().await.is_ok() {
                    acks.record(change);
                }
            }
        },
        || running.kill(),
    )
    .await;
    drop(running);

    let _running = registry.start().await;
    let did_document = get_json(
        &client,
        &format!("{}/.well-known/did.json", registry.url),
        None,
    )
    .await;
    let mut lists: HashMap<String, TokenStatusList> = HashMap::new();
    for (uri, _) in references.values() {
        if !lists.contains_key(uri) {
            let token = client.get(uri).send().await.unwrap().text().await.unwrap();
            lists.insert(uri.clone(), token_list(&token, uri, &did_document));
        }
    }
    let value_of = |credential_id: &str| {
        let (uri, idx) = &references[credential_id];
        lists[uri].get(*idx).unwrap()
    };
    for change in &acknowledged {
        let expected = if change.action == "revoke" { 1 } else { 2 };
        assert_eq!(
            value_of(&change.credential_id),
            expected,
            "acknowledged {} of {} is lost",
            change.action,
            change.credential_id
        );
    }
    let audit = get_json(
        &client,
        &format!("{}/audit", registry.url),
        Some(OPERATOR_TOKEN),
    )
    .await;
    let mut audited: HashMap<String, usize> = HashMap::new();
    for entry in audit["audit"].as_array().unwrap() {
        *audited
            .entry(entry["credential_id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    // Whatever else landed: an entry is non-zero exactly when one change of it is audited.
    for credential_id in references.keys() {
        let value = value_of(credential_id);
        let expected_audits = usize::from(value != 0);
        assert_eq!(
            audited.get(credential_id).copied().unwrap_or(0),
            expected_audits,
            "{credential_id}: status {value} and audit disagree"
        );
    }
    for (uri, list) in &lists {
        let held: HashSet<u64> = references
            .values()
            .filter(|(u, _)| u == uri)
            .map(|(_, idx)| *idx)
            .collect();
        for idx in 0..list.len() as u64 {
            if list.get(idx) != Some(0) {
                assert!(
                    held.contains(&idx),
                    "{uri} entry {idx} is set, which no credential holds"
                );
            }
        }
    }
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
        changes.len(),
        16,
        60,
        move |change: Change, acks: Acks<Change>| {
            let (client, url) = (burst_client.clone(), change_url.clone());
            let send = async move {
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
            };
            async move {
                if let Some(change) = send.await {
                    acks.record(change);
                }
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

/// A registry and an issuer as processes, the sample people imported into the issuer
/// through the same endpoint a real import uses.
struct IssuerPlatform {
    folder: tempfile::TempDir,
    issuer: IssuerProcess,
    registry: RegistryProcess,
    client: reqwest::Client,
    registry_running: Service,
    issuer_running: Service,
    /// Active RJ1 staff (this issuer's organisation) and their RJ1 assignment number.
    rj1_staff: Vec<(String, String)>,
}

impl IssuerPlatform {
    async fn start() -> Self {
        let folder = tempfile::tempdir().unwrap();
        let issuer = IssuerProcess::configure(folder.path());
        let registry = RegistryProcess::configure(folder.path(), &issuer.did);
        issuer.write_settings(folder.path(), &registry);
        let client = http();
        let registry_running = registry.start().await;
        let issuer_running = issuer.start().await;
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
        let rj1_staff: Vec<(String, String)> = extract["people"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["status"] == "active")
            .filter_map(|p| {
                let assignment = p["assignments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|a| a["org_ods"] == "RJ1" && a["status"] == "active")?;
                Some((
                    p["person_id"].as_str().unwrap().to_owned(),
                    assignment["assignment_number"].as_str().unwrap().to_owned(),
                ))
            })
            .collect();
        assert!(rj1_staff.len() >= 5, "the sample has RJ1 staff");
        Self {
            folder,
            issuer,
            registry,
            client,
            registry_running,
            issuer_running,
            rj1_staff,
        }
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
    let platform = IssuerPlatform::start().await;
    let (issuer, registry, client) = (&platform.issuer, &platform.registry, &platform.client);
    let mut running = platform.issuer_running;
    let did_document_before = get_json(
        client,
        &format!("{}/.well-known/did.json", issuer.url),
        None,
    )
    .await;
    // The people this issuer (RJ1) can issue for, five times over.
    let people: Vec<String> = platform.rj1_staff.iter().map(|(p, _)| p.clone()).collect();
    let requests: Vec<String> = (0..5).flat_map(|_| people.clone()).collect();
    let kill_after = requests.len() / 3;

    let issuer_url = issuer.url.clone();
    let burst_client = client.clone();
    let possible = requests.len();
    let acknowledged: Vec<Vec<Issued>> = burst_then_kill(
        requests,
        possible,
        4,
        kill_after,
        move |person_id: String, acks: Acks<Vec<Issued>>| {
            let (client, url) = (
                burst_client.clone(),
                format!("{issuer_url}/admin/people/{person_id}/credentials"),
            );
            let send = async move {
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
            };
            async move {
                if let Some(issued) = send.await {
                    acks.record(issued);
                }
            }
        },
        || running.kill(),
    )
    .await;
    drop(running);
    let acknowledged: Vec<Issued> = acknowledged.into_iter().flatten().collect();

    let _running = issuer.start().await;
    let did_document_after = get_json(
        client,
        &format!("{}/.well-known/did.json", issuer.url),
        None,
    )
    .await;
    assert_eq!(
        did_document_before, did_document_after,
        "the issuer's key must survive the kill, or its credentials stop verifying"
    );
    let log = get_json(
        client,
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

/// Alternating SUSPENSION and SUSPENSION_LIFTED for one person, in `occurred_at` order,
/// ending suspended.
fn suspension_events(person_id: &str, assignment_number: &str, count: usize) -> Vec<Value> {
    (0..count)
        .map(|k| {
            let (event_type, payload) = if k % 2 == 0 {
                (
                    "SUSPENSION",
                    json!({"reason_category": "investigation", "from": "2025-10-01"}),
                )
            } else {
                ("SUSPENSION_LIFTED", json!({"to": "2025-10-02"}))
            };
            json!({
                "event_id": format!("DUR-{person_id}-{k:02}"),
                "event_type": event_type,
                "occurred_at": format!("2025-10-01T09:{k:02}:00Z"),
                "org_ods": "RJ1",
                "person_id": person_id,
                "assignment_number": assignment_number,
                "payload": payload,
            })
        })
        .collect()
}

async fn send_event(client: &reqwest::Client, issuer_url: &str, event: &Value) -> Option<Value> {
    let response = client
        .post(format!("{issuer_url}/esr/events"))
        .bearer_auth(ISSUER_API_TOKEN)
        .json(event)
        .send()
        .await
        .ok()?;
    let status = response.status();
    let body = response.text().await.ok()?;
    let parsed: Option<Value> = serde_json::from_str(&body).ok();
    // A repeat delivery is a 409 `duplicate_event` carrying what the first one did.
    if status == reqwest::StatusCode::CONFLICT {
        let problem = parsed?;
        assert_eq!(
            problem["reason_code"], "duplicate_event",
            "{}: {body}",
            event["event_id"]
        );
        return Some(problem["applied"].clone());
    }
    // Each person's events go in order, one at a time: any other refusal is a defect.
    assert!(
        status.is_success(),
        "{}: {status} {body}",
        event["event_id"]
    );
    parsed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_esr_events_survive_a_sigkill_of_the_issuer() {
    let platform = IssuerPlatform::start().await;
    let (issuer, registry, client) = (&platform.issuer, &platform.registry, &platform.client);
    let mut running = platform.issuer_running;

    // Everyone's credentials first, so that the events have something to suspend.
    let mut status_of: HashMap<String, Vec<StatusEntry>> = HashMap::new();
    for (person_id, _) in &platform.rj1_staff {
        let response = client
            .post(format!(
                "{}/admin/people/{person_id}/credentials",
                issuer.url
            ))
            .bearer_auth(ISSUER_API_TOKEN)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        for credential in body["verifiableCredentials"].as_array().unwrap() {
            status_of.insert(
                credential["id"].as_str().unwrap().to_owned(),
                StatusEntry::all_of(credential).unwrap(),
            );
        }
    }

    // One stream per person, sent one event at a time (BR-22 orders a person's events);
    // the people's streams run side by side.
    let streams: Vec<Vec<Value>> = platform
        .rj1_staff
        .iter()
        .map(|(person, assignment)| suspension_events(person, assignment, 7))
        .collect();
    let possible = streams.iter().map(Vec::len).sum::<usize>();
    let issuer_url = issuer.url.clone();
    let burst_client = client.clone();
    let acknowledged: Vec<(String, Value)> = burst_then_kill(
        streams.clone(),
        possible,
        streams.len(),
        possible / 3,
        move |stream: Vec<Value>, acks: Acks<(String, Value)>| {
            let (client, url) = (burst_client.clone(), issuer_url.clone());
            async move {
                for event in stream {
                    let Some(reply) = send_event(&client, &url, &event).await else {
                        return;
                    };
                    assert_eq!(reply["duplicate"], false, "{reply}");
                    acks.record((event["event_id"].as_str().unwrap().to_owned(), reply));
                }
            }
        },
        || running.kill(),
    )
    .await;
    drop(running);
    let _running = issuer.start().await;

    let log = get_json(
        client,
        &format!("{}/esr/events", issuer.url),
        Some(ISSUER_API_TOKEN),
    )
    .await;
    let logged: HashMap<String, &Value> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["event_id"].as_str().unwrap().to_owned(), e))
        .collect();
    for (event_id, reply) in &acknowledged {
        let record = logged
            .get(event_id)
            .unwrap_or_else(|| panic!("acknowledged event {event_id} is not in the event log"));
        assert_eq!(record["outcome"], reply["outcome"], "{event_id}");
        assert_eq!(record["credentials"], reply["credentials"], "{event_id}");
    }

    // ESR sends again what was not acknowledged: each is applied now, or was applied
    // before the kill and is recognised as a duplicate. Either way, once every stream has
    // been delivered, each person ends suspended.
    let acknowledged_ids: HashSet<&str> = acknowledged.iter().map(|(id, _)| id.as_str()).collect();
    let mut last_suspension: HashMap<String, Value> = HashMap::new();
    for stream in &streams {
        for event in stream {
            let event_id = event["event_id"].as_str().unwrap();
            let reply = send_event(client, &issuer.url, event).await.unwrap();
            if acknowledged_ids.contains(event_id) {
                assert_eq!(
                    reply["duplicate"], true,
                    "{event_id}: an acknowledged event is applied again"
                );
            }
            if event["event_type"] == "SUSPENSION" {
                last_suspension.insert(event["person_id"].as_str().unwrap().to_owned(), reply);
            }
        }
    }
    let log = get_json(
        client,
        &format!("{}/esr/events", issuer.url),
        Some(ISSUER_API_TOKEN),
    )
    .await;
    let mut ids: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    ids.sort();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "an event is logged twice");
    assert_eq!(count, possible, "every event is logged once delivered");

    let registry_did_document = get_json(
        client,
        &format!("{}/.well-known/did.json", registry.url),
        None,
    )
    .await;
    let mut lists: HashMap<String, Bitstring> = HashMap::new();
    let mut checked = 0;
    for reply in last_suspension.values() {
        for credential_id in reply["credentials"]["suspended"].as_array().unwrap() {
            let Some(entries) = status_of.get(credential_id.as_str().unwrap()) else {
                continue; // issued by an event (e.g. after a lifted suspension): not ours to know
            };
            for entry in entries {
                if !lists.contains_key(&entry.list_credential) {
                    let list = get_json(client, &entry.list_credential, None).await;
                    lists.insert(
                        entry.list_credential.clone(),
                        verified_list(&list, &registry_did_document).await,
                    );
                }
                let set = lists[&entry.list_credential].get(entry.index).unwrap();
                match entry.purpose {
                    StatusPurpose::Suspension => assert!(set, "{credential_id} is not suspended"),
                    StatusPurpose::Revocation => assert!(!set, "{credential_id} is revoked"),
                }
            }
            checked += 1;
        }
    }
    assert!(
        checked > 0,
        "the last suspensions suspended credentials we hold"
    );
}

/// The sockets `pid` holds that are connected to `port` on loopback (Linux `/proc`).
fn connections_to(pid: u32, port: u16) -> usize {
    let inodes: HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|fds| {
            fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
                .filter_map(|target| {
                    let target = target.to_string_lossy().into_owned();
                    Some(
                        target
                            .strip_prefix("socket:[")?
                            .strip_suffix(']')?
                            .to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let wanted_port = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .map(|line| {
                    line.split_whitespace()
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
        .filter(|fields| {
            // remote address, state (01: established), inode
            fields.len() > 9
                && fields[2].ends_with(&wanted_port)
                && fields[3] == "01"
                && inodes.contains(&fields[9])
        })
        .count()
}

async fn verify_at(client: &reqwest::Client, verifier_url: &str, credential: &Value) -> Value {
    let response = client
        .post(format!("{verifier_url}/credentials/verify"))
        .json(&json!({"verifiableCredential": credential}))
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verifier_hears_of_revocations_after_the_registry_restarts() {
    let platform = IssuerPlatform::start().await;
    let (issuer, registry, client) = (&platform.issuer, &platform.registry, &platform.client);
    let verifier_port = free_port();
    let verifier_url = format!("http://127.0.0.1:{verifier_port}");
    let registry_port: u16 = registry.url.rsplit(':').next().unwrap().parse().unwrap();
    let issuer_host = issuer.url.trim_start_matches("http://");
    let registry_host = registry.url.trim_start_matches("http://");
    let verifier_config = platform.folder.path().join("verifier.toml");
    std::fs::write(
        &verifier_config,
        format!(
            "listen = \"127.0.0.1:{verifier_port}\"\n\
             public_base_url = \"{verifier_url}\"\n\
             plain_http_hosts = [\"{issuer_host}\", \"{registry_host}\"]\n\
             status_max_staleness_seconds = 600\n\
             status_change_feeds = [\"{}/events\"]\n",
            registry.url
        ),
    )
    .unwrap();
    let mut verifier = Service::start(
        "verifier",
        "verifier",
        &verifier_config,
        platform.folder.path().join("verifier.log"),
    );
    verifier.wait_healthy(&verifier_url).await;

    let (person_id, _) = &platform.rj1_staff[0];
    let response = client
        .post(format!(
            "{}/admin/people/{person_id}/credentials",
            issuer.url
        ))
        .bearer_auth(ISSUER_API_TOKEN)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let issued: Value = response.json().await.unwrap();
    let credentials = issued["verifiableCredentials"].as_array().unwrap();
    let (first, second) = (&credentials[0], &credentials[1]);

    // SIGKILL: the feed's connection breaks without a goodbye.
    let mut registry_running = platform.registry_running;
    registry_running.kill();
    drop(registry_running);
    let _registry_running = registry.start().await;

    // The follower is connected again when the verifier holds a connection to the
    // registry before it has fetched anything from the new process.
    let deadline = Instant::now() + Duration::from_secs(30);
    while connections_to(verifier.child.id(), registry_port) == 0 {
        assert!(
            Instant::now() < deadline,
            "the verifier did not reconnect to the change feed:\n{}",
            std::fs::read_to_string(&verifier.log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Lists cached after the restart, kept for ten minutes unless the feed says otherwise.
    for credential in [first, second] {
        let verdict = verify_at(client, &verifier_url, credential).await;
        assert_eq!(verdict["verified"], true, "{verdict}");
    }
    for (credential, action) in [(first, "revoke"), (second, "suspend")] {
        let response = client
            .post(format!("{}/status-changes", registry.url))
            .bearer_auth(OPERATOR_TOKEN)
            .json(
                &json!({"credentialId": credential["id"], "action": action, "reason": "feed test"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    for (credential, reason) in [(first, "revoked"), (second, "suspended")] {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let verdict = verify_at(client, &verifier_url, credential).await;
            if verdict["verified"] == false {
                assert!(verdict.to_string().contains(reason), "{verdict}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the verifier still accepts a credential {reason} after the restart"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
