//! The operator console through the registry's own router, as a browser uses it (forms,
//! cookies, redirects): sign-in, roles, CSRF, adding and changing issuers and replacing
//! their tokens, adding and changing verifiers, a credential's status, and the audit log. The bearer-token API runs beside it on the same router.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::Utc;
use credentials::status_list::{status_in, StatusEntry};
use serde_json::{json, Value};
use service_kit::console::NewAccount;
use tower::ServiceExt;
use trust_registry::api::AppState;
use trust_registry::console::{ADMIN, AUDITOR, OPERATOR};
use trust_registry::RegistrySettings;

const OPERATOR_TOKEN: &str = "operator-token-0123456789abcdef";
const BASE: &str = "http://127.0.0.1:8402";
const PASSWORD: &str = "correct horse battery";
const OPERATOR_UUID: &str = "555000000002";
const AUDITOR_UUID: &str = "555000000003";
const RJ1: &str = "did:web:127.0.0.1%3A8401";

struct Registry {
    router: Router,
    state: Arc<AppState>,
    _dir: tempfile::TempDir,
}

fn registry() -> Registry {
    let dir = tempfile::tempdir().unwrap();
    let (state, router) = trust_registry::build(&RegistrySettings {
        public_base_url: BASE.into(),
        data_dir: dir.path().join("registry"),
        operator_token: Some(OPERATOR_TOKEN.into()),
        ..RegistrySettings::default()
    })
    .unwrap();
    for (username, uuid, roles) in [
        ("o.perator", OPERATOR_UUID, &[OPERATOR][..]),
        ("a.uditor", AUDITOR_UUID, &[AUDITOR][..]),
        ("a.dmin", "555000000004", &[ADMIN][..]),
    ] {
        state
            .console()
            .create(
                NewAccount {
                    username,
                    display_name: username,
                    care_identity_uuid: uuid,
                    roles,
                    password: PASSWORD,
                },
                Utc::now(),
            )
            .unwrap();
    }
    Registry {
        router,
        state,
        _dir: dir,
    }
}

struct Page {
    status: StatusCode,
    location: String,
    body: String,
}

impl Page {
    /// The first hidden `csrf` field's value.
    fn csrf(&self) -> String {
        let start = self.body.find("name=\"csrf\" value=\"").expect("a form") + 19;
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

/// One person's browser: its cookies, and the CSRF token of the last page with a form.
struct Browser<'a> {
    router: &'a Router,
    cookies: Vec<(String, String)>,
    csrf: String,
}

impl<'a> Browser<'a> {
    async fn signed_in(registry: &'a Registry, username: &str) -> Browser<'a> {
        let mut browser = Browser {
            router: &registry.router,
            cookies: Vec::new(),
            csrf: String::new(),
        };
        let login = browser.get("/login").await;
        let page = browser
            .post(
                "/login",
                &[
                    ("csrf", login.csrf().as_str()),
                    ("username", username),
                    ("password", PASSWORD),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        // The home page's sign-out form carries the session's CSRF token.
        let home = browser.get("/").await;
        browser.csrf = home.csrf();
        browser
    }

    async fn send(&mut self, request: Request<Body>) -> Page {
        let response = self.router.clone().oneshot(request).await.unwrap();
        for value in response.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Page {
            status,
            location,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = Request::get(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// A form post with this session's CSRF token.
    async fn submit(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone();
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post(path, &fields).await
    }
}

/// The registry's bearer-token API, as issuers and scripts call it.
async fn api(router: &Router, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn issuer_path(did: &str) -> String {
    format!(
        "/console/issuers/{}",
        form_urlencoded::byte_serialize(did.as_bytes()).collect::<String>()
    )
}

fn credential_path(id: &str) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("id", id)
        .finish();
    format!("/console/credentials?{query}")
}

const ISSUER_FORM: [(&str, &str); 6] = [
    ("did", RJ1),
    ("ods_code", "RJ1"),
    ("name", "Guy's & St Thomas' <NHS>"),
    ("credential_type", "EmploymentCredential"),
    ("credential_type", "RoleCredential"),
    ("reason", "joined the trust framework"),
];

/// Adds RJ1 through the console; returns its token from the page.
async fn add_rj1(operator: &mut Browser<'_>) -> String {
    let page = operator.submit("/console/issuers/new", &ISSUER_FORM).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location, format!("{}/new-token", issuer_path(RJ1)));
    let page = operator.get(&page.location.clone()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let start = page.body.find("<code id=\"issuer-token\">").unwrap() + 24;
    page.body[start..].split('<').next().unwrap().to_owned()
}

fn audit_actions(registry: &Registry) -> Vec<String> {
    registry
        .state
        .registry
        .audit()
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn pages_need_sign_in_and_auditors_only_read() {
    let registry = registry();
    let mut anonymous = Browser {
        router: &registry.router,
        cookies: Vec::new(),
        csrf: String::new(),
    };
    for path in [
        "/",
        "/console/audit",
        "/console/credentials",
        "/console/issuers/new",
    ] {
        let page = anonymous.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.location.starts_with("/login?next="), "{path}");
    }
    let page = anonymous.post("/console/issuers/new", &ISSUER_FORM).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "no session, no change");

    let mut operator = Browser::signed_in(&registry, "o.perator").await;
    add_rj1(&mut operator).await;

    let mut auditor = Browser::signed_in(&registry, "a.uditor").await;
    let home = auditor.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains(RJ1) && !home.body.contains("Add a trusted issuer"));
    let issuer = auditor.get(&issuer_path(RJ1)).await;
    assert_eq!(issuer.status, StatusCode::OK);
    assert!(issuer.body.contains("Authorisation intervals") && !issuer.body.contains("Suspend"));
    for path in ["/console/audit", "/console/credentials"] {
        assert_eq!(auditor.get(path).await.status, StatusCode::OK, "{path}");
    }
    let refused = auditor.get("/console/issuers/new").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused
        .body
        .contains("does not have the role needed to add a trusted issuer"));
    let mut other = ISSUER_FORM.to_vec();
    other[0] = ("did", "did:web:rth.example");
    for (path, form) in [
        ("/console/issuers/new", other.as_slice()),
        (
            format!("{}/suspend", issuer_path(RJ1)).as_str(),
            &[("reason", "audit finding")][..],
        ),
        (
            "/console/credentials/revoke",
            &[
                ("credential_id", "urn:uuid:x"),
                ("reason", "r"),
                ("confirm", "yes"),
            ][..],
        ),
    ] {
        let page = auditor.submit(path, form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        audit_actions(&registry),
        ["register-issuer"],
        "auditors changed nothing"
    );

    let (home, users) = Browser::signed_in_without_home(&registry, "a.dmin").await;
    assert_eq!(home.status, StatusCode::FORBIDDEN, "user management only");
    assert_eq!(users.status, StatusCode::OK);
    assert!(
        users
            .body
            .contains("See trusted issuers and verifiers, credentials"),
        "this console's roles"
    );
}

impl<'a> Browser<'a> {
    /// Signs in and returns the home page and the new-account page, for a user the home
    /// page may refuse.
    async fn signed_in_without_home(registry: &'a Registry, username: &str) -> (Page, Page) {
        let mut browser = Browser {
            router: &registry.router,
            cookies: Vec::new(),
            csrf: String::new(),
        };
        let login = browser.get("/login").await;
        browser
            .post(
                "/login",
                &[
                    ("csrf", login.csrf().as_str()),
                    ("username", username),
                    ("password", PASSWORD),
                ],
            )
            .await;
        (
            browser.get("/").await,
            browser.get("/console/users/new").await,
        )
    }
}

#[tokio::test]
async fn adding_an_issuer_shows_its_token_once_and_a_bad_one_changes_nothing() {
    let registry = registry();
    let mut operator = Browser::signed_in(&registry, "o.perator").await;

    let form = operator.get("/console/issuers/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form
        .body
        .contains("<label class=\"nhsuk-label\" for=\"did\">"));
    assert!(
        form.body.contains("value=\"SmartcardCredential\""),
        "the catalogue's types"
    );

    let mut bad_did = ISSUER_FORM.to_vec();
    bad_did[0] = ("did", "https://rj1.example");
    let mut no_types = ISSUER_FORM.to_vec();
    no_types.retain(|(name, _)| *name != "credential_type");
    let mut bad_date = ISSUER_FORM.to_vec();
    bad_date.push(("valid_until", "31/12/2027"));
    let mut no_reason = ISSUER_FORM.to_vec();
    no_reason[5] = ("reason", "  ");
    for (form, problem, anchor) in [
        (bad_did, "Did must be a did:web or did:key DID", "#did"),
        (
            no_types,
            "Choose at least one credential type.",
            "#credential_type",
        ),
        (bad_date, "Enter the end as a date", "#valid_until"),
        (no_reason, "An operator must give a reason.", "#reason"),
    ] {
        let page = operator.submit("/console/issuers/new", &form).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{problem}");
        assert!(page.body.contains("nhsuk-error-summary"), "{problem}");
        assert!(page.body.contains(problem), "{problem}: {}", page.body);
        assert!(
            page.body.contains(&format!("href=\"{anchor}\"")),
            "{problem}"
        );
        assert!(
            page.body
                .contains("value=\"Guy&#39;s &#38; St Thomas&#39; &#60;NHS&#62;\""),
            "the form keeps what was typed, escaped: {}",
            page.body
        );
    }
    assert!(registry.state.registry.issuers().unwrap().is_empty());
    assert!(audit_actions(&registry).is_empty());

    let token = add_rj1(&mut operator).await;
    assert!(token.len() >= 43);
    let issuer = operator.get(&issuer_path(RJ1)).await;
    assert!(!issuer.body.contains(&token), "shown once");
    let home = operator.get("/").await;
    assert!(!home.body.contains(&token));
    assert!(home.body.contains("&#60;NHS&#62;") && !home.body.contains("<NHS>"));
    assert!(home.body.contains("EmploymentCredential, RoleCredential"));

    // The token is the issuer's at the bearer-token API, which works as before.
    let (status, body) = api(
        &registry.router,
        "POST",
        "/allocations",
        &token,
        json!({"credentialId": "urn:uuid:first"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = api(&registry.router, "GET", "/issuers", &token, Value::Null).await;
    assert_eq!(status, 403, "an issuer's token is not the operator's");

    let again = operator.submit("/console/issuers/new", &ISSUER_FORM).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("That DID is already registered"));
}

#[tokio::test]
async fn suspending_needs_a_reason_names_the_operator_and_removal_needs_confirming() {
    let registry = registry();
    let mut operator = Browser::signed_in(&registry, "o.perator").await;
    add_rj1(&mut operator).await;
    let suspend = format!("{}/suspend", issuer_path(RJ1));

    let page = operator.submit(&suspend, &[("reason", " ")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("An operator must give a reason."));
    assert!(page.body.contains("href=\"#reason-suspend\""));
    assert!(page.body.contains("nhsuk-error-message"));
    assert_eq!(audit_actions(&registry), ["register-issuer"]);

    let page = operator
        .submit(&suspend, &[("reason", "audit finding")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, issuer_path(RJ1));
    let shown = operator.get(&page.location).await;
    assert!(shown.body.contains(">Suspended</strong>"));
    assert!(shown.body.contains("Reinstate this issuer"));
    let entry = registry.state.registry.audit().unwrap().pop().unwrap();
    assert_eq!(entry.action, "suspend-issuer");
    assert_eq!(entry.actor, format!("operator:{OPERATOR_UUID}"));
    assert_eq!(entry.reason.as_deref(), Some("audit finding"));
    assert!(
        shown.body.contains(&format!("operator:{OPERATOR_UUID}")),
        "its history"
    );

    let again = operator.submit(&suspend, &[("reason", "twice")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("The issuer is suspended."));

    let remove = format!("{}/remove", issuer_path(RJ1));
    let page = operator
        .submit(&remove, &[("reason", "key compromise")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("removal is permanent"));
    assert!(
        page.body.contains(">key compromise</textarea>"),
        "the reason is kept"
    );
    assert_eq!(
        registry.state.registry.issuer(RJ1).unwrap().status.as_str(),
        "suspended"
    );
    let page = operator
        .submit(&remove, &[("reason", "key compromise"), ("confirm", "yes")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let shown = operator.get(&issuer_path(RJ1)).await;
    assert!(shown.body.contains(">Removed</strong>") && shown.body.contains("Removal is final"));
    assert!(
        !shown.body.contains("name=\"reason\""),
        "nothing more to change"
    );
    assert_eq!(
        operator
            .get(&issuer_path("did:web:nobody.example"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// The bit a Bitstring entry points at, read from the signed list the registry serves.
async fn bit(router: &Router, entry: &StatusEntry) -> bool {
    let path = entry.list_credential.strip_prefix(BASE).unwrap();
    let response = router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    status_in(entry, &serde_json::from_slice(&bytes).unwrap()).unwrap()
}

#[tokio::test]
async fn a_credential_is_found_suspended_and_revoked_for_good() {
    let registry = registry();
    // The issuer is registered and allocates through the bearer-token API, as before.
    let (status, registered) = api(
        &registry.router,
        "POST",
        "/issuers",
        OPERATOR_TOKEN,
        json!({"did": RJ1, "odsCode": "RJ1", "name": "RJ1", "credentialTypes": ["EmploymentCredential"], "reason": "joined"}),
    )
    .await;
    assert_eq!(status, 201, "{registered}");
    let token = registered["token"].as_str().unwrap();
    let id = "urn:uuid:0f5c2a3e-4b7d-4c1a-9e8f-000000000001";
    let (status, allocated) = api(
        &registry.router,
        "POST",
        "/allocations",
        token,
        json!({"credentialId": id}),
    )
    .await;
    assert_eq!(status, 201);
    let entries: Vec<StatusEntry> = allocated["credentialStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| StatusEntry::from_json(e).unwrap())
        .collect();
    let (revocation, suspension) = (&entries[0], &entries[1]);

    let mut operator = Browser::signed_in(&registry, "o.perator").await;
    let page = operator.get(&credential_path(id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(">Valid</strong>") && page.body.contains(RJ1));
    assert!(
        !page.body.contains(&format!(">{}<", revocation.index)),
        "no status index shown"
    );

    let page = operator
        .submit(
            "/console/credentials/suspend",
            &[("credential_id", id), ("reason", "")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("An operator must give a reason."));
    assert!(!bit(&registry.router, suspension).await);

    let page = operator
        .submit(
            "/console/credentials/suspend",
            &[("credential_id", id), ("reason", "under investigation")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, credential_path(id));
    assert!(bit(&registry.router, suspension).await);
    assert!(operator
        .get(&page.location)
        .await
        .body
        .contains(">Suspended</strong>"));

    let page = operator
        .submit(
            "/console/credentials/revoke",
            &[("credential_id", id), ("reason", "dismissed")],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::BAD_REQUEST,
        "revocation needs confirming"
    );
    assert!(!bit(&registry.router, revocation).await);
    let page = operator
        .submit(
            "/console/credentials/revoke",
            &[
                ("credential_id", id),
                ("reason", "dismissed"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(bit(&registry.router, revocation).await);
    let shown = operator.get(&credential_path(id)).await;
    assert!(shown.body.contains("Revoked (final)"));
    assert!(
        !shown.body.contains("name=\"reason\""),
        "no forms for a revoked credential"
    );
    assert!(shown.body.contains("dismissed") && shown.body.contains("under investigation"));

    let before = audit_actions(&registry);
    let page = operator
        .submit(
            "/console/credentials/reinstate",
            &[("credential_id", id), ("reason", "mistake")],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page
        .body
        .contains("The credential is revoked; revocation is permanent."));
    assert!(bit(&registry.router, revocation).await && bit(&registry.router, suspension).await);
    assert_eq!(
        audit_actions(&registry),
        before,
        "a refused change leaves no entry"
    );

    let unknown = operator.get(&credential_path("urn:uuid:nobody")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown
        .body
        .contains("No credential has status entries under that id"));
}

#[tokio::test]
async fn audit_filters_narrow_the_log_and_a_bad_date_is_explained() {
    let registry = registry();
    let mut operator = Browser::signed_in(&registry, "o.perator").await;
    add_rj1(&mut operator).await;
    let mut other = ISSUER_FORM.to_vec();
    other[0] = ("did", "did:web:rth.example");
    other[1] = ("ods_code", "RTH");
    assert_eq!(
        operator.submit("/console/issuers/new", &other).await.status,
        StatusCode::SEE_OTHER
    );
    operator
        .submit(
            &format!("{}/suspend", issuer_path("did:web:rth.example")),
            &[("reason", "audit finding")],
        )
        .await;

    let count = |page: &Page| {
        let start = page.body.find("<p id=\"count\">").unwrap() + 14;
        page.body[start..].split('<').next().unwrap().to_owned()
    };
    let all = operator.get("/console/audit").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(count(&all).starts_with("Showing 3 of 3 entries, newest first."));
    let suspend = all.body.find("suspend-issuer</td>").unwrap();
    let register = all.body.find("register-issuer</td>").unwrap();
    assert!(suspend < register, "newest first");

    let today = Utc::now().format("%Y-%m-%d").to_string();
    for (query, expected) in [
        ("action=suspend-issuer", 1),
        ("action=register-issuer", 2),
        (format!("actor={OPERATOR_UUID}").as_str(), 3),
        (format!("actor={AUDITOR_UUID}").as_str(), 0),
        ("issuer=did%3Aweb%3Arth.example", 2),
        (format!("from={today}&to={today}").as_str(), 3),
        ("from=2999-01-01", 0),
        ("credential_id=urn%3Auuid%3Anone", 0),
    ] {
        let page = operator.get(&format!("/console/audit?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        assert!(
            count(&page).starts_with(&format!("Showing {expected} of {expected}")),
            "{query}: {}",
            count(&page)
        );
    }
    let bad = operator.get("/console/audit?from=2026-13-45&actor=x").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("nhsuk-error-summary") && bad.body.contains("href=\"#from\""));
    assert!(bad.body.contains("Enter the first day as a date"));
    assert!(
        bad.body.contains("value=\"2026-13-45\""),
        "what was typed is kept"
    );
    let backwards = operator
        .get("/console/audit?from=2026-02-02&to=2026-02-01")
        .await;
    assert_eq!(backwards.status, StatusCode::BAD_REQUEST);
    let odd = operator.get("/console/audit?%zz=1&action").await;
    assert_eq!(
        odd.status,
        StatusCode::OK,
        "an odd query is read, not refused"
    );
}

#[tokio::test]
async fn a_form_without_the_session_csrf_token_is_refused_and_changes_nothing() {
    let registry = registry();
    let mut operator = Browser::signed_in(&registry, "o.perator").await;
    add_rj1(&mut operator).await;
    let suspend = format!("{}/suspend", issuer_path(RJ1));
    for form in [
        vec![("reason", "audit finding")],
        vec![("reason", "audit finding"), ("csrf", "forged")],
    ] {
        let page = operator.post(&suspend, &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(page.body.contains("This form has expired"));
    }
    let mut other = ISSUER_FORM.to_vec();
    other[0] = ("did", "did:web:rth.example");
    let page = operator.post("/console/issuers/new", &other).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(
        registry.state.registry.issuer(RJ1).unwrap().status.as_str(),
        "active"
    );
    assert_eq!(registry.state.registry.issuers().unwrap().len(), 1);
    assert_eq!(audit_actions(&registry), ["register-issuer"]);
}

const DESK: &str = "did:web:127.0.0.1%3A8403";

const VERIFIER_FORM: [(&str, &str); 4] = [
    ("did", DESK),
    ("ods_code", "RJ1"),
    ("name", "Guy's & St Thomas' <onboarding>"),
    ("reason", "new onboarding desk"),
];

fn verifier_path(did: &str) -> String {
    format!(
        "/console/verifiers/{}",
        form_urlencoded::byte_serialize(did.as_bytes()).collect::<String>()
    )
}

/// Adds the onboarding desk through the console.
async fn add_desk(operator: &mut Browser<'_>) {
    let page = operator
        .submit("/console/verifiers/new", &VERIFIER_FORM)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location, verifier_path(DESK));
}

fn verifier_status(registry: &Registry) -> String {
    registry
        .state
        .registry
        .verifier(DESK)
        .unwrap()
        .status
        .as_str()
        .to_owned()
}

/// What the bearer-token API answers an issuer allocating a status entry with `token`.
async fn allocation_status(router: &Router, token: &str, credential_id: &str) -> u16 {
    api(
        router,
        "POST",
        "/allocations",
        token,
        json!({"credentialId": credential_id}),
    )
    .await
    .0
}

#[tokio::test]
async fn adding_a_verifier_lists_and_audits_it_and_a_bad_one_changes_nothing() {
    let registry = registry();
    let mut operator = Browser::signed_in(&registry, "o.perator").await;

    let home = operator.get("/").await;
    assert!(home.body.contains("href=\"/console/verifiers/new\""));
    let form = operator.get("/console/verifiers/new").await;
    assert_eq!(form.status, StatusCode::OK);
    for control in ["did", "ods_code", "name", "reason"] {
        assert!(
            form.body
                .contains(&format!("<label class=\"nhsuk-label\" for=\"{control}\">")),
            "{control} is labelled"
        );
    }
    assert!(form.body.contains("href=\"/console/verifiers\""), "the nav");

    let with = |name: &'static str, value: &'static str| {
        let mut form = VERIFIER_FORM.to_vec();
        for field in form.iter_mut().filter(|(n, _)| *n == name) {
            field.1 = value;
        }
        form
    };
    for (form, problem, anchor) in [
        (
            with("did", "https://desk.example"),
            "Did must be a did:web or did:key DID",
            "did",
        ),
        (
            with("did", "did:web:desk.example/verify"),
            "Did must be a did:web or did:key DID",
            "did",
        ),
        (with("ods_code", "rj1x"), "Invalid ODS code", "ods_code"),
        (with("name", "   "), "Name must be", "name"),
        (
            with("reason", " "),
            "An operator must give a reason.",
            "reason",
        ),
    ] {
        let page = operator.submit("/console/verifiers/new", &form).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{problem}");
        assert!(page.body.contains("nhsuk-error-summary"), "{problem}");
        assert!(page.body.contains(problem), "{problem}: {}", page.body);
        assert!(
            page.body.contains(&format!("href=\"#{anchor}\"")),
            "{problem}"
        );
        assert!(
            page.body.contains(&format!("id=\"{anchor}-error\"")),
            "{problem}: the message beside the field"
        );
        if anchor != "name" {
            assert!(
                page.body
                    .contains("value=\"Guy&#39;s &#38; St Thomas&#39; &#60;onboarding&#62;\""),
                "the form keeps what was typed, escaped: {}",
                page.body
            );
        }
    }
    assert!(registry.state.registry.verifiers().unwrap().is_empty());
    assert!(audit_actions(&registry).is_empty());

    add_desk(&mut operator).await;
    let shown = operator.get(&verifier_path(DESK)).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains(">Active</strong>") && shown.body.contains(DESK));
    assert!(shown.body.contains("&#60;onboarding&#62;") && !shown.body.contains("<onboarding>"));
    assert!(shown.body.contains("register-verifier</td>"), "its history");
    assert!(shown.body.contains(&format!("operator:{OPERATOR_UUID}")));

    for path in ["/console/verifiers", "/"] {
        let list = operator.get(path).await;
        assert_eq!(list.status, StatusCode::OK, "{path}");
        assert!(
            list.body
                .contains(&format!("<a href=\"{}\">", verifier_path(DESK))),
            "{path} links the verifier: {}",
            list.body
        );
    }
    let entries = registry.state.registry.audit().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "register-verifier");
    assert_eq!(entries[0].actor, format!("operator:{OPERATOR_UUID}"));
    assert_eq!(entries[0].verifier.as_deref(), Some(DESK));
    assert_eq!(entries[0].reason.as_deref(), Some("new onboarding desk"));

    // The registration is the API's, as the CLI sees it.
    let (status, body) = api(
        &registry.router,
        "GET",
        &format!("/verifiers/{}", DESK.replace('%', "%25")),
        OPERATOR_TOKEN,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verifier"]["status"], "active");
    assert_eq!(body["verifier"]["odsCode"], "RJ1");

    let audit = operator
        .get(&format!(
            "/console/audit?verifier={}",
            form_urlencoded::byte_serialize(DESK.as_bytes()).collect::<String>()
        ))
        .await;
    assert!(audit.body.contains("Showing 1 of 1 entry that match"));
    let none = operator
        .get("/console/audit?verifier=did%3Aweb%3Aother.example")
        .await;
    assert!(none.body.contains("Showing 0 of 0 entries that match"));

    let again = operator
        .submit("/console/verifiers/new", &VERIFIER_FORM)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again
        .body
        .contains("That DID is already registered as a verifier"));
    assert_eq!(audit_actions(&registry), ["register-verifier"]);
}

#[tokio::test]
async fn a_verifier_is_suspended_reinstated_and_removed_each_with_a_reason() {
    let registry = registry();
    let mut operator = Browser::signed_in(&registry, "o.perator").await;
    add_desk(&mut operator).await;
    let change = |action: &str| format!("{}/{action}", verifier_path(DESK));

    let page = operator
        .submit(&change("suspend"), &[("reason", " ")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("An operator must give a reason."));
    assert!(page.body.contains("href=\"#reason-suspend\""));
    assert!(page.body.contains("id=\"reason-suspend-error\""));
    assert_eq!(verifier_status(&registry), "active");
    assert_eq!(audit_actions(&registry), ["register-verifier"]);

    let page = operator
        .submit(&change("suspend"), &[("reason", "phishing report")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, verifier_path(DESK));
    assert_eq!(verifier_status(&registry), "suspended");
    let entry = registry.state.registry.audit().unwrap().pop().unwrap();
    assert_eq!(entry.action, "suspend-verifier");
    assert_eq!(entry.actor, format!("operator:{OPERATOR_UUID}"));
    assert_eq!(entry.verifier.as_deref(), Some(DESK));
    assert_eq!(entry.reason.as_deref(), Some("phishing report"));
    let shown = operator.get(&page.location).await;
    assert!(shown.body.contains(">Suspended</strong>"));
    assert!(shown.body.contains("Reinstate this verifier"));
    assert!(shown.body.contains("phishing report"), "its history");

    let again = operator
        .submit(&change("suspend"), &[("reason", "twice")])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("The verifier is suspended."));

    let page = operator
        .submit(&change("reinstate"), &[("reason", "report was false")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(verifier_status(&registry), "active");
    assert_eq!(
        audit_actions(&registry),
        [
            "register-verifier",
            "suspend-verifier",
            "reinstate-verifier"
        ]
    );

    let page = operator
        .submit(&change("remove"), &[("reason", "desk closed")])
        .await;
    assert_eq!(
        page.status,
        StatusCode::BAD_REQUEST,
        "removal needs confirming"
    );
    assert!(page.body.contains("removal is permanent"));
    assert!(page.body.contains("href=\"#reason-remove\""));
    assert!(
        page.body.contains(">desk closed</textarea>"),
        "the reason is kept"
    );
    assert_eq!(verifier_status(&registry), "active");
    assert_eq!(audit_actions(&registry).len(), 3);

    let page = operator
        .submit(
            &change("remove"),
            &[("reason", "desk closed"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(verifier_status(&registry), "removed");
    assert_eq!(
        audit_actions(&registry).last().map(String::as_str),
        Some("remove-verifier")
    );
    let shown = operator.get(&verifier_path(DESK)).await;
    assert!(shown.body.contains(">Removed</strong>") && shown.body.contains("Removal is final"));
    assert!(
        !shown.body.contains("name=\"reason\""),
        "nothing more to change"
    );
    let page = operator
        .submit(&change("reinstate"), &[("reason", "undo")])
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert_eq!(verifier_status(&registry), "removed");

    let unknown = operator
        .submit(&change("promote"), &[("reason", "r")])
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        operator
            .get(&verifier_path("did:web:nobody.example"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(audit_actions(&registry).len(), 4);
}

#[tokio::test]
async fn replacing_an_issuers_token_shows_the_new_one_once_and_the_old_one_stops_working() {
    let registry = registry();
    let mut operator = Browser::signed_in(&registry, "o.perator").await;
    let old = add_rj1(&mut operator).await;
    let replace = format!("{}/token", issuer_path(RJ1));
    let issuer = operator.get(&issuer_path(RJ1)).await;
    assert!(issuer.body.contains(&format!("action=\"{replace}\"")));
    assert!(issuer
        .body
        .contains("<label class=\"nhsuk-label\" for=\"reason-token\">"));
    assert!(issuer.body.contains("id=\"confirm-token\""));

    for (form, problem) in [
        (
            vec![("reason", "token leaked in a log")],
            "Tick the box to confirm that you understand the current token stops working",
        ),
        (
            vec![("reason", " "), ("confirm", "yes")],
            "An operator must give a reason.",
        ),
    ] {
        let page = operator.submit(&replace, &form).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{problem}");
        assert!(page.body.contains(problem), "{problem}: {}", page.body);
        assert!(page.body.contains("href=\"#reason-token\""), "{problem}");
        assert!(!page.body.contains("id=\"issuer-token\""), "{problem}");
    }
    assert_eq!(
        allocation_status(&registry.router, &old, "urn:uuid:before").await,
        201,
        "the old token still works"
    );
    assert_eq!(audit_actions(&registry), ["register-issuer"]);

    let page = operator
        .submit(
            &replace,
            &[("reason", "token leaked in a log"), ("confirm", "yes")],
        )
        .await;
    // Shown by a redirect, so a reload shows it again rather than replacing it again.
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let shown_at = format!("{}/new-token", issuer_path(RJ1));
    assert_eq!(page.location, shown_at);
    let page = operator.get(&shown_at).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let start = page.body.find("<code id=\"issuer-token\">").unwrap() + 24;
    let new = page.body[start..].split('<').next().unwrap().to_owned();
    assert!(new.len() >= 43 && new != old);
    assert!(!page.body.contains(&old));
    let reloaded = operator.get(&shown_at).await;
    assert!(reloaded
        .body
        .contains(&format!("<code id=\"issuer-token\">{new}<")));
    let mut colleague = Browser::signed_in(&registry, "o.perator").await;
    let elsewhere = colleague.get(&shown_at).await;
    assert_eq!(
        elsewhere.status,
        StatusCode::GONE,
        "another session sees no token"
    );
    assert!(!elsewhere.body.contains(&new));

    assert_eq!(
        allocation_status(&registry.router, &old, "urn:uuid:after-old").await,
        401,
        "the old token no longer works"
    );
    assert_eq!(
        allocation_status(&registry.router, &new, "urn:uuid:after-new").await,
        201,
        "the new one does"
    );
    let entry = registry.state.registry.audit().unwrap().pop().unwrap();
    assert_eq!(entry.action, "rotate-issuer-token");
    assert_eq!(entry.actor, format!("operator:{OPERATOR_UUID}"));
    assert_eq!(entry.issuer.as_deref(), Some(RJ1));
    assert_eq!(entry.reason.as_deref(), Some("token leaked in a log"));

    for path in [
        issuer_path(RJ1),
        "/console/audit".to_owned(),
        "/".to_owned(),
    ] {
        let shown = operator.get(&path).await;
        assert!(!shown.body.contains(&new), "{path}: shown once");
    }
    assert!(operator
        .get(&issuer_path(RJ1))
        .await
        .body
        .contains("rotate-issuer-token</td>"));

    operator
        .submit(
            &format!("{}/remove", issuer_path(RJ1)),
            &[("reason", "left the framework"), ("confirm", "yes")],
        )
        .await;
    let page = operator
        .submit(&replace, &[("reason", "again"), ("confirm", "yes")])
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page
        .body
        .contains("The issuer was removed; removal is final."));
    assert!(!page.body.contains("id=\"issuer-token\""));
}

#[tokio::test]
async fn auditors_and_admins_change_no_verifier_and_no_token() {
    let registry = registry();
    let mut operator = Browser::signed_in(&registry, "o.perator").await;
    let token = add_rj1(&mut operator).await;
    add_desk(&mut operator).await;

    let mut anonymous = Browser {
        router: &registry.router,
        cookies: Vec::new(),
        csrf: String::new(),
    };
    for path in [
        "/console/verifiers".to_owned(),
        "/console/verifiers/new".to_owned(),
        verifier_path(DESK),
    ] {
        let page = anonymous.get(&path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.location.starts_with("/login?next="), "{path}");
    }

    let mut auditor = Browser::signed_in(&registry, "a.uditor").await;
    let list = auditor.get("/console/verifiers").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(DESK) && !list.body.contains("Add a trusted verifier"));
    let shown = auditor.get(&verifier_path(DESK)).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains(">Active</strong>") && !shown.body.contains("name=\"reason\""));
    let issuer = auditor.get(&issuer_path(RJ1)).await;
    assert!(!issuer.body.contains("Replace this issuer"));
    let refused = auditor.get("/console/verifiers/new").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused
        .body
        .contains("does not have the role needed to add a trusted verifier"));

    let mut other = VERIFIER_FORM.to_vec();
    other[0] = ("did", "did:web:other.example");
    let confirmed = [("reason", "audit finding"), ("confirm", "yes")];
    for (path, form) in [
        ("/console/verifiers/new".to_owned(), other.as_slice()),
        (format!("{}/suspend", verifier_path(DESK)), &confirmed[..]),
        (format!("{}/remove", verifier_path(DESK)), &confirmed[..]),
        (format!("{}/token", issuer_path(RJ1)), &confirmed[..]),
    ] {
        let page = auditor.submit(&path, form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(!page.body.contains("id=\"issuer-token\""), "{path}");
    }

    let (home, _) = Browser::signed_in_without_home(&registry, "a.dmin").await;
    assert_eq!(home.status, StatusCode::FORBIDDEN);
    let mut admin = Browser::signed_in_without_home_browser(&registry, "a.dmin").await;
    for path in ["/console/verifiers".to_owned(), verifier_path(DESK)] {
        assert_eq!(
            admin.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    assert_eq!(
        audit_actions(&registry),
        ["register-issuer", "register-verifier"],
        "nothing changed"
    );
    assert_eq!(registry.state.registry.verifiers().unwrap().len(), 1);
    assert_eq!(verifier_status(&registry), "active");
    assert_eq!(
        allocation_status(&registry.router, &token, "urn:uuid:still").await,
        201,
        "the token was not replaced"
    );
}

impl<'a> Browser<'a> {
    /// A signed-in browser for a user the home page refuses (it holds no CSRF token).
    async fn signed_in_without_home_browser(registry: &'a Registry, username: &str) -> Browser<'a> {
        let mut browser = Browser {
            router: &registry.router,
            cookies: Vec::new(),
            csrf: String::new(),
        };
        let login = browser.get("/login").await;
        let page = browser
            .post(
                "/login",
                &[
                    ("csrf", login.csrf().as_str()),
                    ("username", username),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        browser
    }
}

#[tokio::test]
async fn verifier_and_token_forms_without_the_session_csrf_token_change_nothing() {
    let registry = registry();
    let mut operator = Browser::signed_in(&registry, "o.perator").await;
    let token = add_rj1(&mut operator).await;
    add_desk(&mut operator).await;
    let mut other = VERIFIER_FORM.to_vec();
    other[0] = ("did", "did:web:other.example");
    let confirmed = [("reason", "audit finding"), ("confirm", "yes")];
    for (path, form) in [
        ("/console/verifiers/new".to_owned(), other.as_slice()),
        (format!("{}/suspend", verifier_path(DESK)), &confirmed[..]),
        (format!("{}/remove", verifier_path(DESK)), &confirmed[..]),
        (format!("{}/token", issuer_path(RJ1)), &confirmed[..]),
    ] {
        for csrf in [None, Some("forged")] {
            let mut fields = form.to_vec();
            if let Some(csrf) = csrf {
                fields.push(("csrf", csrf));
            }
            let page = operator.post(&path, &fields).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} {csrf:?}");
            assert!(page.body.contains("This form has expired"), "{path}");
        }
    }
    assert_eq!(
        audit_actions(&registry),
        ["register-issuer", "register-verifier"]
    );
    assert_eq!(verifier_status(&registry), "active");
    assert_eq!(
        allocation_status(&registry.router, &token, "urn:uuid:still").await,
        201
    );
}
