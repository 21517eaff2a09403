//! The CLI as a person uses it: `passport up` as a real process, then `issue`, `verify`
//! and `import` against it, the operator's commands, and the three consoles it prints
//! driven in Chromium with the terminal wallet answering their QR codes.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn passport() -> Command {
    Command::new(env!("CARGO_BIN_EXE_passport"))
}

/// Distinct free ports: all are held open until every one is chosen.
fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    std::array::from_fn(|i| held[i].local_addr().unwrap().port())
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until the port answers HTTP. `passport up` binds every port first but serves each
/// service only once it is ready (the issuer and the verifier after the local issuer's
/// registration and its token file), so an open port alone says nothing.
fn wait_for(port: u16) {
    use std::io::Read;
    let deadline = Instant::now() + Duration::from_secs(60);
    let answers = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut start = [0u8; 5];
        stream.read_exact(&mut start)?;
        Ok(&start == b"HTTP/")
    };
    while !answers().unwrap_or(false) {
        assert!(Instant::now() < deadline, "port {port} never answered");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `passport up` on these ports (issuer, registry, verifier) and store, once all three answer.
fn up(data: &Path, sample_data: &Path, [issuer, registry, verifier]: [u16; 3]) -> Running {
    let running = Running(
        passport()
            .args(["up", "--data"])
            .arg(data)
            .arg("--sample-data")
            .arg(sample_data)
            .args([
                "--issuer-port",
                &issuer.to_string(),
                "--verifier-port",
                &verifier.to_string(),
                "--registry-port",
                &registry.to_string(),
            ])
            .spawn()
            .unwrap(),
    );
    for port in [issuer, registry, verifier] {
        wait_for(port);
    }
    running
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn up_issue_verify_and_import_from_the_command_line() {
    let work = tempfile::tempdir().unwrap();
    let sample_data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sample-data");
    let [issuer_port, registry_port, verifier_port] = free_ports();
    let data = work.path().join("data");
    let _platform = up(
        &data,
        &sample_data,
        [issuer_port, registry_port, verifier_port],
    );
    let issuer_url = format!("http://127.0.0.1:{issuer_port}");
    let verifier_url = format!("http://127.0.0.1:{verifier_port}");
    let token_file = data.join("dev-token");
    assert!(std::fs::read_to_string(&token_file).unwrap().len() >= 32);

    let out = work.path().join("out");
    let issued = passport()
        .args(["issue", "--person", "P0001", "--out"])
        .arg(&out)
        .args(["--issuer-url", &issuer_url, "--token-file"])
        .arg(&token_file)
        .output()
        .unwrap();
    assert!(issued.status.success(), "{}", text(&issued));
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "care-identity.json",
            "employment-checks.json",
            "employment.json",
            "professional-registration.json",
            "role.json"
        ]
    );

    let verify = |file: &Path| {
        passport()
            .arg("verify")
            .arg(file)
            .args(["--verifier-url", &verifier_url])
            .output()
            .unwrap()
    };
    for file in &written {
        let verified = verify(&out.join(file));
        assert!(verified.status.success(), "{file}: {}", text(&verified));
        assert!(text(&verified).starts_with("verified"));
    }

    let tampered_path = work.path().join("tampered.json");
    let original = std::fs::read_to_string(out.join("employment.json")).unwrap();
    std::fs::write(
        &tampered_path,
        original.replace("Consultant Physician", "Chief Executive"),
    )
    .unwrap();
    let refused = verify(&tampered_path);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("NOT verified"));

    let mut extract: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sample_data.join("esr-people.json")).unwrap(),
    )
    .unwrap();
    extract["people"][2]["professional_registration"]["number"] = "12A".into();
    let bad_file = work.path().join("bad-extract.json");
    std::fs::write(&bad_file, extract.to_string()).unwrap();
    let imported = passport()
        .arg("import")
        .arg(&bad_file)
        .args(["--issuer-url", &issuer_url, "--token-file"])
        .arg(&token_file)
        .output()
        .unwrap();
    assert_eq!(imported.status.code(), Some(2));
    let message = text(&imported);
    assert!(
        message.contains("P0003")
            && message.contains("professional_registration.number")
            && message.contains("BR-5"),
        "{message}"
    );
}

/// Verifies until the output starts as expected, for at most two seconds (a revocation
/// reaches the verifier through the registry's change feed).
fn verify_until(verifier_url: &str, file: &Path, expected: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let output = passport()
            .arg("verify")
            .arg(file)
            .args(["--verifier-url", verifier_url])
            .output()
            .unwrap();
        let said = text(&output);
        if said.starts_with(expected) || Instant::now() > deadline {
            return said;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_operator_manages_issuers_and_revokes_from_the_command_line() {
    let work = tempfile::tempdir().unwrap();
    let sample_data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sample-data");
    let [issuer_port, registry_port, verifier_port, alone_port] = free_ports();
    let data = work.path().join("data");
    let _platform = up(
        &data,
        &sample_data,
        [issuer_port, registry_port, verifier_port],
    );
    let registry_url = format!("http://127.0.0.1:{registry_port}");
    let verifier_url = format!("http://127.0.0.1:{verifier_port}");
    let token_file = data.join("dev-token");
    let registry = |args: &[&str]| {
        passport()
            .arg("registry")
            .args(args)
            .args(["--registry-url", &registry_url, "--token-file"])
            .arg(&token_file)
            .output()
            .unwrap()
    };

    // `passport up` registered its issuer, for its organisation, and keeps its token apart.
    let listed = registry(&["issuers", "list"]);
    assert!(listed.status.success(), "{}", text(&listed));
    let local_did = format!("did:web:127.0.0.1%3A{issuer_port}");
    let said = text(&listed);
    assert!(
        said.contains(&local_did) && said.contains("RJ1") && said.contains("active"),
        "{said}"
    );
    let issuer_token = std::fs::read_to_string(data.join("issuer-registry-token")).unwrap();
    assert!(issuer_token.trim().len() >= 43);

    // Issue, verify, revoke as the operator, and the verifier refuses.
    let out = work.path().join("out");
    let issued = passport()
        .args(["issue", "--person", "P0001", "--out"])
        .arg(&out)
        .args([
            "--issuer-url",
            &format!("http://127.0.0.1:{issuer_port}"),
            "--token-file",
        ])
        .arg(&token_file)
        .output()
        .unwrap();
    assert!(issued.status.success(), "{}", text(&issued));
    let employment = out.join("employment.json");
    assert!(verify_until(&verifier_url, &employment, "verified").starts_with("verified"));
    let credential: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&employment).unwrap()).unwrap();
    let id = credential["id"].as_str().unwrap();
    let revoked = registry(&["revoke", "--credential", id, "--reason", "dismissed"]);
    assert!(revoked.status.success(), "{}", text(&revoked));
    assert!(text(&revoked).contains("revoke: done"));
    let said = verify_until(&verifier_url, &employment, "NOT verified");
    assert!(
        said.starts_with("NOT verified") && said.contains("revoked"),
        "{said}"
    );

    // Register another issuer: the token goes to a file, never to the terminal.
    let other = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let other_token = work.path().join("rth-token");
    let registered = passport()
        .args([
            "registry",
            "issuers",
            "register",
            "--did",
            other,
            "--ods",
            "RTH",
            "--name",
            "Oxford University Hospitals NHS Foundation Trust",
            "--types",
            "EmploymentCredential,RoleCredential",
            "--reason",
            "joined the framework",
            "--registry-url",
            &registry_url,
            "--token-file",
        ])
        .arg(&token_file)
        .arg("--token-out")
        .arg(&other_token)
        .output()
        .unwrap();
    assert!(registered.status.success(), "{}", text(&registered));
    let token = std::fs::read_to_string(&other_token).unwrap();
    assert!(token.len() >= 43);
    assert!(!text(&registered).contains(&token));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&other_token)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the token file is the owner's alone");
    }
    let suspended = registry(&["issuers", "suspend", other, "--reason", "audit finding"]);
    assert!(suspended.status.success(), "{}", text(&suspended));
    assert!(text(&suspended).contains("suspended"));
    let again = registry(&["issuers", "suspend", other, "--reason", "again"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again).contains("409"), "{}", text(&again));
    let unreasoned = registry(&["issuers", "remove", other, "--reason", " "]);
    assert_eq!(unreasoned.status.code(), Some(2), "{}", text(&unreasoned));

    let wrong = passport()
        .args([
            "registry",
            "issuers",
            "list",
            "--registry-url",
            &registry_url,
        ])
        .args(["--token", "not-the-operator-token"])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong).contains("401"), "{}", text(&wrong));

    let audit = registry(&["audit"]);
    assert!(audit.status.success(), "{}", text(&audit));
    let said = text(&audit);
    for expected in ["register-issuer", "revoke", "dismissed", "suspend-issuer"] {
        assert!(said.contains(expected), "{expected}: {said}");
    }

    // `passport up` registered its verifier too, under its did:web, for the receiving trust
    // its onboarding policy names (RTH); the operator manages verifiers as issuers, with a
    // reason, and each change is audited.
    let local_verifier = format!("did:web:127.0.0.1%3A{verifier_port}");
    let listed = registry(&["verifiers", "list"]);
    let said = text(&listed);
    assert!(listed.status.success(), "{said}");
    assert!(
        said.contains(&local_verifier) && said.contains("RTH") && said.contains("active"),
        "{said}"
    );
    let desk = "did:web:onboarding.rth.example";
    let registered = registry(&[
        "verifiers",
        "register",
        "--did",
        desk,
        "--ods",
        "RTH",
        "--name",
        "Oxford onboarding",
        "--reason",
        "new desk",
    ]);
    assert!(registered.status.success(), "{}", text(&registered));
    let twice = registry(&[
        "verifiers",
        "register",
        "--did",
        desk,
        "--ods",
        "RTH",
        "--name",
        "Oxford onboarding",
        "--reason",
        "again",
    ]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(text(&twice).contains("409"), "{}", text(&twice));
    let suspended = registry(&["verifiers", "suspend", desk, "--reason", "phishing report"]);
    assert!(
        text(&suspended).contains("suspended"),
        "{}",
        text(&suspended)
    );
    let removed = registry(&["verifiers", "remove", desk, "--reason", "closed"]);
    assert!(text(&removed).contains("removed"), "{}", text(&removed));
    let shown = registry(&["verifiers", "show", desk]);
    assert!(
        text(&shown).contains("removed") && text(&shown).contains("ended"),
        "{}",
        text(&shown)
    );
    let audit = text(&registry(&["audit"]));
    for expected in [
        "register-verifier",
        "suspend-verifier",
        "phishing report",
        "remove-verifier",
    ] {
        assert!(audit.contains(expected), "{expected}: {audit}");
    }

    // A restart on the same store registers nothing twice.
    drop(_platform);
    let _platform = up(
        &data,
        &sample_data,
        [issuer_port, registry_port, verifier_port],
    );
    // The verifier serves only once `up` has registered everything: it answering proves the
    // restart got past the registrations.
    let said = verify_until(&verifier_url, &employment, "NOT verified");
    assert!(said.starts_with("NOT verified"), "{said}");
    let said = text(&registry(&["verifiers", "list"]));
    assert_eq!(said.matches(&local_verifier).count(), 1, "{said}");
    let audit = text(&registry(&["audit"]));
    assert_eq!(
        audit
            .matches("passport up: the local onboarding verifier")
            .count(),
        1,
        "{audit}"
    );

    // `passport registry --config FILE` still runs the service alone.
    let config = work.path().join("registry.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{alone_port}\"\npublic_base_url = \"http://127.0.0.1:{alone_port}\"\ndata_dir = \"{}\"\noperator_token = \"operator-token-0123456789abcdef\"\n",
            work.path().join("alone").display()
        ),
    )
    .unwrap();
    let _alone = Running(
        passport()
            .args(["registry", "--config"])
            .arg(&config)
            .spawn()
            .unwrap(),
    );
    wait_for(alone_port);
}

#[test]
fn an_hr_officer_applies_esr_events_and_an_ra_decides_from_the_command_line() {
    let work = tempfile::tempdir().unwrap();
    let sample_data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sample-data");
    let [issuer_port, registry_port, verifier_port] = free_ports();
    let data = work.path().join("data");
    let _platform = up(
        &data,
        &sample_data,
        [issuer_port, registry_port, verifier_port],
    );
    let issuer_url = format!("http://127.0.0.1:{issuer_port}");
    let verifier_url = format!("http://127.0.0.1:{verifier_port}");
    let token_file = data.join("dev-token");
    let at_issuer = |command: &mut Command| -> Output {
        command
            .args(["--issuer-url", &issuer_url, "--token-file"])
            .arg(&token_file)
            .output()
            .unwrap()
    };

    // P0002 holds their credentials; then ESR says they changed job (EVT-0004).
    let out = work.path().join("p0002");
    let issued = at_issuer(
        passport()
            .args(["issue", "--person", "P0002", "--out"])
            .arg(&out),
    );
    assert!(issued.status.success(), "{}", text(&issued));
    assert!(
        verify_until(&verifier_url, &out.join("role.json"), "verified").starts_with("verified")
    );

    // The trust's own events (RJ1's: the local issuer's organisation).
    let events: String = std::fs::read_to_string(sample_data.join("esr-events.jsonl"))
        .unwrap()
        .lines()
        .filter(|line| line.contains("\"org_ods\": \"RJ1\""))
        .map(|line| format!("{line}\n"))
        .collect();
    let file = work.path().join("rj1-events.jsonl");
    std::fs::write(&file, &events).unwrap();
    let applied = at_issuer(passport().args(["esr", "apply"]).arg(&file));
    let said = text(&applied);
    // EVT-0030's timestamp is not ISO 8601: refused, so the command says so in its exit code.
    assert_eq!(applied.status.code(), Some(1), "{said}");
    assert!(
        said.contains("EVT-0030") && said.contains("invalid_timestamp"),
        "{said}"
    );
    let job_change = said
        .lines()
        .find(|l| l.contains("EVT-0004"))
        .unwrap_or_default();
    assert!(
        job_change.contains("accepted") && job_change.contains("revoke:role_credential(old)"),
        "{said}"
    );

    let refused = verify_until(&verifier_url, &out.join("role.json"), "NOT verified");
    assert!(
        refused.starts_with("NOT verified") && refused.contains("revoked"),
        "{refused}"
    );

    // Applying the same file again changes nothing: every applied event is a duplicate.
    let again = text(&at_issuer(passport().args(["esr", "apply"]).arg(&file)));
    assert!(
        again
            .lines()
            .filter(|l| l.contains("EVT-"))
            .all(|l| l.contains("duplicate") || l.contains("EVT-0030")),
        "{again}"
    );

    // EVT-0001's new starter waits for the RA, who accepts with their Care Identity UUID.
    let pending = at_issuer(passport().args(["ra", "requests"]));
    let listed: serde_json::Value = serde_json::from_slice(&pending.stdout).unwrap();
    let request = listed["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["person_id"] == "P0009")
        .unwrap_or_else(|| panic!("{listed:#}"));
    let id = request["request_id"].as_str().unwrap();
    let refused = at_issuer(passport().args(["ra", "accept", id, "--by", "not-a-uuid"]));
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let accepted = at_issuer(passport().args(["ra", "accept", id, "--by", "555555555555"]));
    assert!(accepted.status.success(), "{}", text(&accepted));
    let decision: serde_json::Value = serde_json::from_slice(&accepted.stdout).unwrap();
    assert_eq!(decision["state"], "accepted");
    let effects = decision["effects"].to_string();
    assert!(
        effects.contains("issue:employment_credential")
            && effects.contains("issue:role_credential"),
        "{effects}"
    );
}

#[test]
fn an_ra_offers_and_the_terminal_wallet_accepts_with_the_pin() {
    let work = tempfile::tempdir().unwrap();
    let sample_data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sample-data");
    let [issuer_port, registry_port, verifier_port] = free_ports();
    let data = work.path().join("data");
    let _platform = up(
        &data,
        &sample_data,
        [issuer_port, registry_port, verifier_port],
    );
    let issuer_url = format!("http://127.0.0.1:{issuer_port}");
    let token_file = data.join("dev-token");
    let qr = work.path().join("offer.png");
    let offered = passport()
        .args(["offer", "--person", "P0001", "--qr"])
        .arg(&qr)
        .args(["--issuer-url", &issuer_url, "--token-file"])
        .arg(&token_file)
        .output()
        .unwrap();
    let said = text(&offered);
    assert!(offered.status.success(), "{said}");
    assert!(
        std::fs::read(&qr).unwrap().starts_with(b"\x89PNG"),
        "a PNG QR code"
    );
    let line = |prefix: &str| {
        said.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.split_whitespace().next().unwrap_or_default().to_owned())
            .unwrap_or_else(|| panic!("no {prefix} in {said}"))
    };
    let (link, pin) = (line("offer:"), line("pin:"));
    assert!(
        link.starts_with("openid-credential-offer://?credential_offer_uri="),
        "{link}"
    );

    let wallet_dir = work.path().join("wallet");
    let trust_list = format!("http://127.0.0.1:{registry_port}/trust-list");
    let wallet = |args: &[&str]| {
        passport()
            .arg("wallet")
            .arg("--wallet")
            .arg(&wallet_dir)
            .args(["--trust-list", &trust_list])
            .args(args)
            .env("PASSPORT_WALLET_PASSPHRASE", "a passphrase for the test")
            .output()
            .unwrap()
    };
    let wrong = wallet(&[
        "accept",
        &link,
        "--pin",
        if pin == "000000" { "111111" } else { "000000" },
    ]);
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong));
    assert!(
        text(&wrong).contains("PIN was not accepted"),
        "{}",
        text(&wrong)
    );
    let accepted = wallet(&["accept", &link, "--pin", &pin]);
    assert!(accepted.status.success(), "{}", text(&accepted));
    let listed = text(&wallet(&["list"]));
    assert!(
        listed.contains("ldp_vc") && listed.contains("dc+sd-jwt"),
        "{listed}"
    );
    let checked = wallet(&["status"]);
    let statuses = text(&checked);
    assert!(checked.status.success(), "{statuses}");
    assert_eq!(
        statuses
            .lines()
            .filter(|l| l.trim_end().ends_with(" valid"))
            .count(),
        listed.lines().count(),
        "every credential, in both formats, read as valid from its list: {statuses}"
    );
    let history = text(&wallet(&["history"]));
    assert!(history.contains("\"event\":\"received\""), "{history}");
    // The onboarding officer starts a request; the wallet answers it; the result verifies.
    let verifier_url = format!("http://127.0.0.1:{verifier_port}");
    let officer = |args: &[&str]| {
        passport()
            .arg("onboard")
            .args(["--verifier-url", &verifier_url, "--token-file"])
            .arg(&token_file)
            .args(args)
            .output()
            .unwrap()
    };
    let started = officer(&["start", "--template", "new-starter"]);
    let said = text(&started);
    assert!(started.status.success(), "{said}");
    let field = |prefix: &str| {
        said.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("no {prefix} in {said}"))
    };
    let (request_id, request_link) = (field("request:"), field("link:"));
    // Ids are base64url: one that begins with `-` is still an id, not an option.
    let unknown = officer(&["result", "-Xno-such-request"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    assert!(text(&unknown).contains("404"), "{}", text(&unknown));
    let pending = officer(&["result", &request_id]);
    assert_eq!(
        pending.status.code(),
        Some(1),
        "not answered yet: {}",
        text(&pending)
    );
    let presented = wallet(&["present", &request_link, "--yes"]);
    let shown = text(&presented);
    assert!(presented.status.success(), "{shown}");
    assert!(
        shown.contains("identity"),
        "the holder is shown what is asked: {shown}"
    );
    assert!(
        shown.contains("the trust registry lists"),
        "who asks, checked: {shown}"
    );
    let result = officer(&["result", &request_id]);
    assert!(result.status.success(), "{}", text(&result));
    assert!(text(&result).contains("\"verified\": true"));
    let history = text(&wallet(&["history"]));
    assert!(history.contains("\"event\":\"presented\""), "{history}");

    // The store opens only with its passphrase.
    let refused = passport()
        .arg("wallet")
        .arg("--wallet")
        .arg(&wallet_dir)
        .arg("list")
        .env("PASSPORT_WALLET_PASSPHRASE", "not the passphrase")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused).contains("passphrase does not open"),
        "{}",
        text(&refused)
    );
}

/// The console passwords `passport up` wrote for its first administrators, by console.
fn console_passwords(data: &Path) -> std::collections::BTreeMap<String, String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(data.join("console-passwords")).unwrap_or_default();
        let found: std::collections::BTreeMap<String, String> = text
            .lines()
            .filter_map(|line| {
                let (console, rest) = line.split_once(" console: username admin, password ")?;
                Some((console.to_owned(), rest.trim().to_owned()))
            })
            .collect();
        if found.len() == 3 {
            return found;
        }
        assert!(Instant::now() < deadline, "console passwords: {text}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What a phone's camera reads from a screenshot of a QR code.
fn read_qr(png: &Path) -> String {
    let image = image::open(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the screenshot");
    grids[0].decode().unwrap().1
}

#[test]
fn a_new_starter_goes_from_invitation_to_access_through_the_three_consoles_in_chromium() {
    let js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/js");
    assert!(
        js.join("node_modules/playwright-core").exists(),
        "run `npm ci --prefix tests/js` (bash .ci/run does)"
    );
    let data = tempfile::tempdir().unwrap();
    let sample_data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sample-data");
    let ports @ [issuer_port, registry_port, verifier_port] = free_ports();
    let _platform = up(data.path(), &sample_data, ports);
    let passwords = console_passwords(data.path());
    let wallet_dir = data.path().join("phone");
    let wallet = |args: &[&str]| {
        let output = passport()
            .arg("wallet")
            .arg("--wallet")
            .arg(&wallet_dir)
            .args([
                "--passphrase",
                "a long wallet passphrase",
                "--trust-list",
                &format!("http://127.0.0.1:{registry_port}/trust-list"),
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "wallet {args:?}: {}",
            text(&output)
        );
        text(&output)
    };

    let mut browser = Command::new("node")
        .arg(js.join("journey-browser.mjs"))
        .args([
            format!("http://127.0.0.1:{issuer_port}"),
            format!("http://127.0.0.1:{registry_port}"),
            format!("http://127.0.0.1:{verifier_port}"),
            passwords["RA"].clone(),
            passwords["operator"].clone(),
            passwords["onboarding"].clone(),
        ])
        .arg(data.path())
        .current_dir(&js)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    let mut to_browser = browser.stdin.take().unwrap();
    let mut from_browser = BufReader::new(browser.stdout.take().unwrap()).lines();
    let mut next = || -> serde_json::Value {
        let line = from_browser
            .next()
            .expect("the browser says something")
            .unwrap();
        serde_json::from_str(&line).unwrap()
    };

    let offer = next();
    let (Some(png), Some(pin)) = (offer["offer"].as_str(), offer["pin"].as_str()) else {
        panic!("the browser did not reach the invitation: {offer}");
    };
    let link = read_qr(Path::new(png));
    assert!(link.starts_with("openid-credential-offer://"), "{link}");
    let accepted = wallet(&["accept", &link, "--pin", pin]);
    assert!(accepted.matches("received ").count() >= 4, "{accepted}");
    writeln!(to_browser, "collected").unwrap();

    let request = next();
    let Some(png) = request["request"].as_str() else {
        panic!("the browser did not reach the onboarding's QR code: {request}");
    };
    let link = read_qr(Path::new(png));
    assert!(link.starts_with("openid4vp://"), "{link}");
    wallet(&["present", &link, "--yes"]);
    writeln!(to_browser, "presented").unwrap();

    let last = next();
    assert_eq!(last["ok"], true, "{last:#}");
    assert_eq!(last["invitation"], "Collected");
    let credentials = last["credentials"].as_array().unwrap();
    assert!(credentials.len() >= 4, "{last:#}");
    assert!(
        credentials.iter().all(|c| c["state"] == "Active"),
        "{last:#}"
    );
    assert_eq!(
        last["invitedBy"], "555000000031",
        "the RA is named, not the admin"
    );
    assert_eq!(last["raUnlabelled"], 0);
    assert_eq!(
        last["passwordsChosen"], 4,
        "the three first administrators and the RA replaced the passwords they were given"
    );
    assert!(last["issuers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|row| row.as_str().unwrap().contains("(RJ1)")));
    assert_eq!(last["operatorStatus"], "Valid", "{last:#}");
    assert!(last["auditRows"].as_u64().unwrap() > 0);
    assert!(last["checklist"]
        .as_str()
        .unwrap()
        .starts_with("Checklist: "));
    assert!(!last["grants"].as_array().unwrap().is_empty(), "{last:#}");
    assert!(last["decision"]
        .as_str()
        .unwrap()
        .contains("by 000000000000"));
    assert_eq!(last["errors"], serde_json::json!([]), "no script errors");
    assert!(browser.wait().unwrap().success());
}
