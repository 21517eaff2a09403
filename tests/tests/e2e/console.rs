//! The onboarding console over HTTP, as a browser uses it (forms, cookies, redirects):
//! sign-in, roles, CSRF, and the journey from starting an onboarding to HR's decision.
//! (The browser tests drive the same pages in Chromium.)

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use service_kit::console::NewAccount;
use tests::Platform;

use crate::onboarding::new_starter_answers;

pub(crate) struct Browser {
    http: reqwest::Client,
    base: String,
    /// Cookies ignore the port: consoles on one host share this jar in a real browser.
    pub(crate) cookies: Vec<(String, String)>,
}

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) body: String,
}

impl Page {
    /// The value of the first hidden `csrf` field on the page.
    pub(crate) fn csrf(&self) -> String {
        let start = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token")
            + 19;
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

impl Browser {
    fn new(platform: &Platform) -> Self {
        Self::at(&platform.verifier_url)
    }

    /// A browser for the console at this base URL.
    pub(crate) fn at(base: &str) -> Self {
        Browser {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        Page {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_owned()),
            body: response.text().await.unwrap(),
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    pub(crate) async fn sign_in(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let csrf = form.csrf();
        self.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
    }
}

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn add_user(platform: &Platform, username: &str, uuid: &str, roles: &[&str]) {
    add_account(platform.verifier.console().unwrap(), username, uuid, roles);
}

/// A console account with the tests' password.
pub(crate) fn add_account(
    accounts: &service_kit::console::ConsoleAccounts,
    username: &str,
    uuid: &str,
    roles: &[&str],
) {
    accounts
        .create(
            NewAccount {
                username,
                display_name: username,
                care_identity_uuid: uuid,
                roles,
                password: "a long console password",
            },
            chrono::Utc::now(),
        )
        .unwrap();
}

#[tokio::test]
async fn an_officer_starts_an_onboarding_the_wallet_answers_and_hr_bypasses_it() {
    let platform = Platform::start().await.unwrap();
    add_user(&platform, "olu.officer", "555000000011", &["officer"]);
    add_user(&platform, "hana.hr", "555000000022", &["hr"]);

    let mut officer = Browser::new(&platform);
    let page = officer.get("/").await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some("/login?next=%2F"))
    );
    let refused = officer.sign_in("olu.officer", "not the password").await;
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("There is a problem"));
    assert!(
        officer.get("/").await.location.is_some(),
        "still signed out"
    );
    let signed_in = officer
        .sign_in("olu.officer", "a long console password")
        .await;
    assert_eq!(
        (signed_in.status, signed_in.location.as_deref()),
        (303, Some("/"))
    );
    let home = officer.get("/").await;
    assert!(home.body.contains("No onboardings yet"), "{}", home.body);

    let form = officer.get("/console/onboardings/new").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("<option value=\"RTH-ACP-01\""));
    let csrf = form.csrf();
    let start = |csrf: &str, position: &str| -> Vec<(String, String)> {
        [
            ("csrf", csrf),
            ("person", "Amara Notreal"),
            ("position", position),
            ("staff_group", "Medical and Dental"),
            ("employment_type", "temporary_mover"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    let refused = officer
        .post(
            "/console/onboardings/new",
            &pairs(&start(&csrf, "RJ1-ACP-01")),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused
            .body
            .contains("not one of RTH&#39;s access control positions"),
        "{}",
        refused.body
    );
    assert!(
        officer.get("/").await.body.contains("No onboardings yet"),
        "nothing was started"
    );
    let forged = officer
        .post(
            "/console/onboardings/new",
            &pairs(&start("forged", "RTH-ACP-01")),
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(
        officer.get("/").await.body.contains("No onboardings yet"),
        "nothing was started"
    );

    let good = start(&csrf, "RTH-ACP-01");
    let good = pairs(&good);
    let started = officer.post("/console/onboardings/new", &good).await;
    assert_eq!(started.status, 303);
    let onboarding = started.location.unwrap();
    let waiting = officer.get(&onboarding).await;
    assert!(waiting.body.contains("Waiting for the wallet"));
    assert!(waiting.body.contains("<svg"), "the QR code is on the page");
    let link_start = waiting.body.find("id=\"wallet-link\" href=\"").unwrap() + 23;
    let link = waiting.body[link_start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(link.starts_with("openid4vp://"), "{link}");

    new_starter_answers(&platform, "P0001", &link).await;
    let status = officer.get(&format!("{onboarding}/status")).await;
    assert_eq!(status.body, r#"{"status":"awaiting_hr"}"#);
    let judged = officer.get(&onboarding).await;
    assert!(judged.body.contains("Checklist: incomplete"));
    assert!(judged.body.contains("data-requirement=\"training\""));
    assert!(judged.body.contains("Not met"));
    assert!(
        !judged.body.contains("Bypass and grant access"),
        "an officer cannot decide"
    );
    let csrf = judged.csrf();
    let refused = officer
        .post(
            &format!("{onboarding}/bypass"),
            &[
                ("csrf", &csrf),
                ("justification", "I am only the officer, not HR."),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("does not have the role"));

    let mut hr = Browser::new(&platform);
    assert_eq!(
        hr.sign_in("hana.hr", "a long console password")
            .await
            .status,
        303
    );
    let page = hr.get(&onboarding).await;
    assert!(page.body.contains("Bypass and grant access"));
    assert!(
        !page.body.contains("Accept and grant access"),
        "an incomplete checklist cannot be accepted"
    );
    let csrf = page.csrf();
    let expired = hr
        .post(
            &format!("{onboarding}/bypass"),
            &[(
                "justification",
                "Training records seen on the lead employer's system.",
            )],
        )
        .await;
    assert_eq!(expired.status, 403);
    assert!(expired.body.contains("This form has expired"));
    let short = hr
        .post(
            &format!("{onboarding}/bypass"),
            &[("csrf", &csrf), ("justification", "fine")],
        )
        .await;
    assert_eq!(short.status, 400);
    assert!(short.body.contains("at least 20 characters"));
    assert!(
        short.body.contains(">fine</textarea>"),
        "what was typed is kept"
    );
    let accepted = hr
        .post(&format!("{onboarding}/accept"), &[("csrf", &csrf)])
        .await;
    assert_eq!(accepted.status, 409);
    assert!(
        hr.get(&onboarding).await.body.contains("Waiting for HR"),
        "nothing changed"
    );

    let reason = "Training records seen on the lead employer's learning system.";
    let bypassed = hr
        .post(
            &format!("{onboarding}/bypass"),
            &[("csrf", &csrf), ("justification", reason)],
        )
        .await;
    assert_eq!(bypassed.status, 303);
    let decided = hr.get(&onboarding).await;
    assert!(decided.body.contains("Bypassed by HR"));
    assert!(decided.body.contains("Checklist bypassed by 555000000022"));
    assert!(decided
        .body
        .contains("Electronic patient record (EPR): Doctor"));
    let csv = hr.get(&format!("{onboarding}/grants.csv")).await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.body.lines().count(), 5, "{}", csv.body);
    assert_eq!(officer.get("/console/grants.csv").await.status, 403);

    let out = hr.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(hr.get(&onboarding).await.status, 303, "signed out");
}
