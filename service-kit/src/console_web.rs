//! The web side of the consoles that every service shares: the NHS.UK frontend's assets,
//! the page chrome, sign-in and sign-out, the `SignedIn` extractor for pages and the
//! `CheckedForm` extractor for form posts (signed in, and the session's CSRF token).
//!
//! Pages are server-rendered (askama, HTML-escaped by default) and work without
//! JavaScript. Cookies are `HttpOnly` and `SameSite=Strict`, and `Secure` when the service
//! is served over HTTPS. Every page forbids framing and inline scripts.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::console::{Account, AccountChange, ConsoleAccounts, ConsoleError, Session};

/// The cookie names of a console whose `console_cookie` is the default; each service names
/// its own, since cookies ignore the port and `passport up` serves all three on one host.
#[cfg(test)]
const SESSION_COOKIE: &str = "passport_session";
#[cfg(test)]
const LOGIN_COOKIE: &str = "passport_login";

fn session_cookie<H: ConsoleHost + ?Sized>(host: &H) -> String {
    format!("{}_session", host.console_cookie())
}

/// Guards the sign-in form itself (double submit): there is no session yet to hold a token.
fn login_cookie<H: ConsoleHost + ?Sized>(host: &H) -> String {
    format!("{}_login", host.console_cookie())
}

/// What a service gives the shared console code.
pub trait ConsoleHost: Send + Sync + 'static {
    fn console_accounts(&self) -> Option<&ConsoleAccounts>;
    /// The console's name in the header, e.g. "RA console".
    fn console_name(&self) -> &str;
    /// Whether the service is reached over HTTPS (cookies are then `Secure`).
    fn console_over_https(&self) -> bool;
    /// The roles an administrator can give an account here, each with what it allows.
    fn console_roles(&self) -> &'static [(&'static str, &'static str)] {
        &[(ADMIN, "Manage this console's accounts")]
    }
    /// What this console's cookie names start with, unique among the consoles of a host.
    fn console_cookie(&self) -> &'static str {
        "passport"
    }
}

/// The role that manages a console's accounts, in every console.
pub const ADMIN: &str = "admin";

/// What every page shows around its content.
#[derive(Clone)]
pub struct Chrome {
    pub service: String,
    /// The signed-in user's name, for the header.
    pub user: Option<String>,
    /// The CSRF token for the page's forms.
    pub csrf: String,
    /// Whether to offer the accounts page.
    pub admin: bool,
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    chrome: Chrome,
    error: Option<String>,
    username: String,
    next: String,
}

#[derive(Template)]
#[template(path = "console/message.html")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
    pub link: String,
    pub link_text: String,
}

/// A rendered page with the consoles' security headers.
pub fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, secure_headers(), Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "a console page did not render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown.",
            )
                .into_response()
        }
    }
}

/// A service's error message as a sentence for a page: capitalised, with a full stop.
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// What an enum is called on the wire (its serde name, e.g. `awaiting_hr`), for a form value
/// or a data attribute; empty for anything that does not serialise to a string.
pub fn wire_name(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A stored RFC 3339 time as a page shows it; the text as it is when it is not one.
pub fn when(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc).format("%d %b %Y %H:%M").to_string())
        .unwrap_or_else(|_| text.to_owned())
}

fn secure_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; font-src 'self' https://assets.nhs.uk; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(seconds) = max_age {
        text.push_str(&format!("; Max-Age={seconds}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Only a path on this site, so that `next` cannot send anyone elsewhere.
fn local_path(next: &str) -> String {
    // Browsers drop tabs and newlines from a URL, so `/<tab>/evil.example` would become
    // `//evil.example`: only visible ASCII is allowed at all.
    let visible = next.bytes().all(|b| b.is_ascii_graphic());
    if visible && next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A signed-in user of this console. Without a live session, pages redirect to sign-in.
pub struct SignedIn {
    pub account: Account,
    pub session: Session,
    pub chrome: Chrome,
}

impl SignedIn {
    /// The page refusing a user without the role; `None` when they have it.
    pub fn refusal_without(&self, role: &str, what: &str) -> Option<Response> {
        if self.account.has_role(role) {
            return None;
        }
        Some(page(
            StatusCode::FORBIDDEN,
            &MessagePage {
                chrome: self.chrome.clone(),
                heading: "You cannot do this".into(),
                message: format!("Your account does not have the role needed to {what}."),
                link: "/".into(),
                link_text: "Back to the start".into(),
            },
        ))
    }
}

impl SignedIn {
    /// The page refusing a user with none of these roles; `None` when they have one.
    pub fn refusal_without_any(&self, roles: &[&str], what: &str) -> Option<Response> {
        match roles.iter().find(|role| self.account.has_role(role)) {
            Some(_) => None,
            None => self.refusal_without(roles.first().copied().unwrap_or(ADMIN), what),
        }
    }

    /// A page with one message and a link back to the console's start.
    pub fn message(&self, status: StatusCode, heading: &str, text: String) -> Response {
        page(
            status,
            &MessagePage {
                chrome: self.chrome.clone(),
                heading: heading.into(),
                message: text,
                link: "/".into(),
                link_text: "Back to the start".into(),
            },
        )
    }
}

/// A page's query string as name–value pairs; a malformed one never fails a page.
pub fn query_fields(raw: Option<String>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The first value of a form or query field, trimmed; empty when it is not there.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.trim())
        .unwrap_or_default()
}

/// The pages someone whose password was chosen by somebody else may use before replacing it.
fn reachable_before_a_new_password(parts: &Parts) -> bool {
    matches!(parts.uri.path(), PASSWORD_PATH | "/logout")
}

const PASSWORD_PATH: &str = "/console/password";

fn choose_password_redirect(parts: &Parts) -> Response {
    let next = match parts.method {
        axum::http::Method::GET => parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/"),
        _ => "/",
    };
    password_redirect(next)
}

fn password_redirect(next: &str) -> Response {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    Redirect::to(&format!("{PASSWORD_PATH}?{query}")).into_response()
}

fn sign_in_redirect(parts: &Parts) -> Response {
    // After signing in the browser fetches `next`: a form's post cannot be fetched (and was
    // not carried out), so it leads back to the start.
    let next = match parts.method {
        axum::http::Method::GET => parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/"),
        _ => "/",
    };
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    Redirect::to(&format!("/login?{query}")).into_response()
}

impl<H: ConsoleHost> FromRequestParts<Arc<H>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, host: &Arc<H>) -> Result<Self, Response> {
        let Some(accounts) = host.console_accounts() else {
            return Err((StatusCode::NOT_FOUND, "This service has no console.").into_response());
        };
        let Some(token) = cookie(&parts.headers, &session_cookie(host.as_ref())) else {
            return Err(sign_in_redirect(parts));
        };
        match accounts.session(&token, Utc::now()) {
            Ok(Some((_, account)))
                if account.must_change_password() && !reachable_before_a_new_password(parts) =>
            {
                Err(choose_password_redirect(parts))
            }
            Ok(Some((session, account))) => Ok(SignedIn {
                chrome: Chrome {
                    service: host.console_name().to_owned(),
                    user: Some(account.display_name.clone()),
                    csrf: session.csrf_token.clone(),
                    admin: account.has_role(ADMIN),
                },
                account,
                session,
            }),
            Ok(None) => Err(sign_in_redirect(parts)),
            Err(error) => {
                tracing::error!(%error, "console sessions");
                Err((
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The console's store failed.",
                )
                    .into_response())
            }
        }
    }
}

/// A form post from a signed-in user, with this session's CSRF token in its `csrf` field;
/// `T` is the rest of the form.
pub struct CheckedForm<T> {
    pub user: SignedIn,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<H: ConsoleHost, T: DeserializeOwned + Send> FromRequest<Arc<H>> for CheckedForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, host: &Arc<H>) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let user = SignedIn::from_request_parts(&mut parts, host).await?;
        let bytes = axum::body::to_bytes(body, 64 * 1024).await.map_err(|_| {
            (StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.").into_response()
        })?;
        let csrf: CsrfField = serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField {
            csrf: String::new(),
        });
        if !user.session.csrf_matches(&csrf.csrf) {
            return Err(page(
                StatusCode::FORBIDDEN,
                &MessagePage {
                    chrome: user.chrome.clone(),
                    heading: "This form has expired".into(),
                    message: "Nothing was changed. Go back, reload the page and try again.".into(),
                    link: "/".into(),
                    link_text: "Back to the start".into(),
                },
            ));
        }
        let form: T = serde_urlencoded::from_bytes(&bytes).map_err(|error| {
            (
                StatusCode::BAD_REQUEST,
                format!("The form could not be read: {error}"),
            )
                .into_response()
        })?;
        Ok(CheckedForm { user, form })
    }
}

/// Sign-in, sign-out and the NHS.UK frontend's files, for a service's router.
pub fn routes<H: ConsoleHost>() -> Router<Arc<H>> {
    Router::new()
        .route("/login", get(login_page::<H>).post(login::<H>))
        .route("/logout", post(logout::<H>))
        .route("/console/users", get(users::<H>))
        .route(
            "/console/users/new",
            get(new_user_form::<H>).post(create_user::<H>),
        )
        .route("/console/users/{username}", get(user_account::<H>))
        .route(
            "/console/users/{username}/first-password",
            get(first_password::<H>),
        )
        .route("/console/users/{username}/remove", post(remove_user::<H>))
        .route(
            "/console/users/{username}/reset-password",
            post(reset_password::<H>),
        )
        .route(PASSWORD_PATH, get(password_form).post(change_password::<H>))
        .route("/assets/{file}", get(asset))
        .route("/assets/images/{file}", get(image))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn login_response<H: ConsoleHost>(
    host: &H,
    status: StatusCode,
    error: Option<String>,
    username: String,
    next: String,
) -> Response {
    let token = random_token();
    let mut response = page(
        status,
        &LoginPage {
            chrome: Chrome {
                service: host.console_name().to_owned(),
                user: None,
                csrf: token.clone(),
                admin: false,
            },
            error,
            username,
            next,
        },
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            &login_cookie(host),
            &token,
            host.console_over_https(),
            Some(3600),
        ),
    );
    response
}

async fn login_page<H: ConsoleHost>(
    State(host): State<Arc<H>>,
    Query(query): Query<NextQuery>,
) -> Response {
    let next = local_path(query.next.as_deref().unwrap_or("/"));
    login_response(host.as_ref(), StatusCode::OK, None, String::new(), next)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login<H: ConsoleHost>(
    State(host): State<Arc<H>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = local_path(&form.next);
    if host.console_accounts().is_none() {
        return no_console();
    }
    let expected = cookie(&headers, &login_cookie(host.as_ref())).unwrap_or_default();
    let same: bool = expected.as_bytes().ct_eq(form.csrf.as_bytes()).into();
    if expected.is_empty() || !same {
        return login_response(
            host.as_ref(),
            StatusCode::FORBIDDEN,
            Some("The sign-in form had expired. Enter your details again.".into()),
            form.username,
            next,
        );
    }
    // Argon2 is deliberately slow: off the async workers, so a burst of sign-ins cannot
    // stall the service.
    let signing_in = {
        let host = Arc::clone(&host);
        let (username, password) = (form.username.clone(), form.password);
        tokio::task::spawn_blocking(move || match host.console_accounts() {
            Some(accounts) => accounts.sign_in(&username, &password, Utc::now()),
            None => Err(ConsoleError::Store("no console".into())),
        })
        .await
        .unwrap_or_else(|error| Err(ConsoleError::Store(error.to_string())))
    };
    match signing_in {
        Ok((token, _, account)) => {
            tracing::info!(user = %account.username, "console sign-in");
            let mut response = if account.must_change_password() {
                password_redirect(&next)
            } else {
                Redirect::to(&next).into_response()
            };
            let secure = host.console_over_https();
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&session_cookie(host.as_ref()), &token, secure, None),
            );
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&login_cookie(host.as_ref()), "", secure, Some(0)),
            );
            response
        }
        Err(error @ (ConsoleError::WrongCredentials | ConsoleError::Locked(_))) => {
            // Not the name typed: people type their password there by mistake.
            tracing::info!("console sign-in refused");
            login_response(
                host.as_ref(),
                StatusCode::UNAUTHORIZED,
                Some(error.to_string()),
                form.username,
                next,
            )
        }
        Err(error) => {
            tracing::error!(%error, "console sign-in");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The console's store failed.",
            )
                .into_response()
        }
    }
}

async fn logout<H: ConsoleHost>(
    State(host): State<Arc<H>>,
    headers: HeaderMap,
    form: CheckedForm<CsrfField>,
) -> Response {
    if let (Some(accounts), Some(token)) = (
        host.console_accounts(),
        cookie(&headers, &session_cookie(host.as_ref())),
    ) {
        if let Err(error) = accounts.sign_out(&token) {
            tracing::error!(%error, "console sign-out");
        }
    }
    tracing::info!(user = %form.user.account.username, "console sign-out");
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            &session_cookie(host.as_ref()),
            "",
            host.console_over_https(),
            Some(0),
        ),
    );
    response
}

struct UserRow {
    username: String,
    display_name: String,
    care_identity_uuid: String,
    roles: String,
    created: String,
    state: String,
    is_you: bool,
}

impl UserRow {
    fn of(account: Account, user: &SignedIn) -> Self {
        let now = Utc::now();
        let state = match account.locked_until(now) {
            Some(until) => format!("Locked until {}", until.format("%H:%M UTC")),
            None if account.must_change_password() => "To choose a password".into(),
            None => "Active".into(),
        };
        UserRow {
            is_you: account.username == user.account.username,
            roles: account.roles.iter().cloned().collect::<Vec<_>>().join(", "),
            created: account.created_at.format("%d %b %Y").to_string(),
            state,
            username: account.username,
            display_name: account.display_name,
            care_identity_uuid: account.care_identity_uuid,
        }
    }
}

struct ChangeRow {
    at: String,
    change: &'static str,
    username: String,
    by: String,
    roles: String,
}

fn change_rows(changes: Vec<AccountChange>) -> Vec<ChangeRow> {
    changes
        .into_iter()
        .map(|change| ChangeRow {
            at: change.at.format("%d %b %Y %H:%M").to_string(),
            change: change.change.describe(),
            username: change.username,
            by: change.by.unwrap_or_else(|| "the service".into()),
            roles: change.roles.join(", "),
        })
        .collect()
}

/// How many account changes a page lists.
const CHANGES_SHOWN: usize = 50;

#[derive(Template)]
#[template(path = "console/users.html")]
struct UsersPage {
    chrome: Chrome,
    error: Option<String>,
    rows: Vec<UserRow>,
    changes: Vec<ChangeRow>,
}

fn users_page(
    accounts: &ConsoleAccounts,
    user: &SignedIn,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let (all, changes) = match (
        accounts.accounts(),
        accounts.account_log(None, CHANGES_SHOWN),
    ) {
        (Ok(all), Ok(changes)) => (all, changes),
        (Err(error), _) | (_, Err(error)) => return store_failure(user, &error),
    };
    page(
        status,
        &UsersPage {
            chrome: user.chrome.clone(),
            error,
            rows: all
                .into_iter()
                .map(|account| UserRow::of(account, user))
                .collect(),
            changes: change_rows(changes),
        },
    )
}

#[derive(Template)]
#[template(path = "console/user.html")]
struct AccountPage {
    chrome: Chrome,
    error: Option<String>,
    /// The checkbox the error is about.
    error_field: &'static str,
    row: UserRow,
    changes: Vec<ChangeRow>,
}

fn account_page(
    accounts: &ConsoleAccounts,
    user: &SignedIn,
    username: &str,
    error: Option<(String, &'static str)>,
    status: StatusCode,
) -> Response {
    let (account, changes) = match (
        accounts.account(username),
        accounts.account_log(Some(username), CHANGES_SHOWN),
    ) {
        (Ok(account), Ok(changes)) => (account, changes),
        (Err(error), _) | (_, Err(error)) => return store_failure(user, &error),
    };
    let Some(account) = account else {
        return user.message(
            StatusCode::NOT_FOUND,
            "No such account",
            "There is no account by that name. It may have been removed.".into(),
        );
    };
    page(
        status,
        &AccountPage {
            chrome: user.chrome.clone(),
            error_field: error.as_ref().map_or("", |(_, field)| field),
            error: error.map(|(why, _)| why),
            row: UserRow::of(account, user),
            changes: change_rows(changes),
        },
    )
}

async fn user_account<H: ConsoleHost>(
    State(host): State<Arc<H>>,
    Path(username): Path<String>,
    user: SignedIn,
) -> Response {
    if let Some(refused) = user.refusal_without(ADMIN, "manage accounts") {
        return refused;
    }
    match host.console_accounts() {
        Some(accounts) => account_page(accounts, &user, &username, None, StatusCode::OK),
        None => no_console(),
    }
}

fn store_failure(user: &SignedIn, error: &ConsoleError) -> Response {
    tracing::error!(%error, "console accounts");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        &MessagePage {
            chrome: user.chrome.clone(),
            heading: "Something went wrong".into(),
            message: "The accounts could not be read or saved. Nothing was changed.".into(),
            link: "/".into(),
            link_text: "Back to the start".into(),
        },
    )
}

fn no_console() -> Response {
    (StatusCode::NOT_FOUND, "This service has no console.").into_response()
}

async fn users<H: ConsoleHost>(State(host): State<Arc<H>>, user: SignedIn) -> Response {
    if let Some(refused) = user.refusal_without(ADMIN, "manage accounts") {
        return refused;
    }
    match host.console_accounts() {
        Some(accounts) => users_page(accounts, &user, None, StatusCode::OK),
        None => no_console(),
    }
}

struct RoleChoice {
    value: &'static str,
    description: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "console/user_new.html")]
struct NewUserPage {
    chrome: Chrome,
    error: Option<String>,
    username: String,
    display_name: String,
    care_identity_uuid: String,
    roles: Vec<RoleChoice>,
}

fn new_user_page<H: ConsoleHost>(
    host: &H,
    user: &SignedIn,
    form: &[(String, String)],
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let value = |name: &str| field(form, name).to_owned();
    page(
        status,
        &NewUserPage {
            chrome: user.chrome.clone(),
            error,
            username: value("username"),
            display_name: value("display_name"),
            care_identity_uuid: value("care_identity_uuid"),
            roles: host
                .console_roles()
                .iter()
                .map(|(role, description)| RoleChoice {
                    value: role,
                    description,
                    checked: form.iter().any(|(k, v)| k == "roles" && v == role),
                })
                .collect(),
        },
    )
}

async fn new_user_form<H: ConsoleHost>(State(host): State<Arc<H>>, user: SignedIn) -> Response {
    if let Some(refused) = user.refusal_without(ADMIN, "manage accounts") {
        return refused;
    }
    new_user_page(host.as_ref(), &user, &[], None, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "console/user_made.html")]
struct UserMadePage {
    chrome: Chrome,
    username: String,
    password: String,
}

/// How long the administrator who set a first password can see it again on its page.
const FIRST_PASSWORD_SHOWN_MINUTES: i64 = 10;

fn first_password_key(username: &str) -> String {
    format!("first-password:{username}")
}

fn first_password_path(username: &str) -> String {
    let segment: String = form_urlencoded::byte_serialize(username.as_bytes()).collect();
    format!("/console/users/{segment}/first-password")
}

/// Holds a first password just set for the administrator's session and sends the browser
/// to its page: reloading that page shows it again rather than setting another.
fn hand_over_first_password(
    accounts: &ConsoleAccounts,
    user: &SignedIn,
    username: &str,
    password: String,
) -> Response {
    let now = Utc::now();
    accounts.hold_for_session(
        &user.session,
        &first_password_key(username),
        password,
        now + chrono::Duration::minutes(FIRST_PASSWORD_SHOWN_MINUTES),
        now,
    );
    Redirect::to(&first_password_path(username)).into_response()
}

async fn first_password<H: ConsoleHost>(
    State(host): State<Arc<H>>,
    Path(username): Path<String>,
    user: SignedIn,
) -> Response {
    if let Some(refused) = user.refusal_without(ADMIN, "manage accounts") {
        return refused;
    }
    let Some(accounts) = host.console_accounts() else {
        return no_console();
    };
    match accounts.held_for_session(&user.session, &first_password_key(&username), Utc::now()) {
        Some(password) => page(
            StatusCode::OK,
            &UserMadePage {
                chrome: user.chrome.clone(),
                username,
                password,
            },
        ),
        None => user.message(
            StatusCode::GONE,
            "The first password is no longer shown",
            format!(
                "A first password is shown for {FIRST_PASSWORD_SHOWN_MINUTES} minutes, only to the administrator who set it, and is never stored. If it is lost, reset the password on the account's page."
            ),
        ),
    }
}

async fn create_user<H: ConsoleHost>(
    State(host): State<Arc<H>>,
    posted: CheckedForm<Vec<(String, String)>>,
) -> Response {
    let CheckedForm { user, form } = posted;
    if let Some(refused) = user.refusal_without(ADMIN, "manage accounts") {
        return refused;
    }
    let Some(accounts) = host.console_accounts() else {
        return no_console();
    };
    let value = |name: &str| field(&form, name).to_owned();
    let known = host.console_roles();
    let mut roles: Vec<&str> = Vec::new();
    for (key, asked) in &form {
        if key != "roles" {
            continue;
        }
        match known.iter().find(|(role, _)| role == asked) {
            Some((role, _)) => roles.push(role),
            None => {
                return new_user_page(
                    host.as_ref(),
                    &user,
                    &form,
                    Some(format!("There is no role {asked} here.")),
                    StatusCode::BAD_REQUEST,
                )
            }
        }
    }
    // The new user is given a random first password, shown once to the administrator;
    // nobody chooses a weak one for someone else.
    let password = random_token();
    let username = value("username");
    let made = accounts.add_with_first_password(
        crate::console::NewAccount {
            username: &username,
            display_name: &value("display_name"),
            care_identity_uuid: &value("care_identity_uuid"),
            roles: &roles,
            password: &password,
        },
        &user.account,
        Utc::now(),
    );
    match made {
        Ok(account) => {
            tracing::info!(
                user = %account.username,
                roles = ?account.roles,
                by = %user.account.care_identity_uuid,
                "console account created"
            );
            hand_over_first_password(accounts, &user, &account.username, password)
        }
        Err(ConsoleError::Invalid(why)) => new_user_page(
            host.as_ref(),
            &user,
            &form,
            Some(why),
            StatusCode::BAD_REQUEST,
        ),
        Err(error) => store_failure(&user, &error),
    }
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    confirm: String,
}

/// An administrator's change to someone's account, with its box ticked: the accounts to
/// make it in, or the page refusing it. `(what, field)` name the change and its checkbox.
fn confirmed_change<'a, H: ConsoleHost>(
    host: &'a H,
    user: &SignedIn,
    username: &str,
    form: &ConfirmForm,
    (what, field): (&str, &'static str),
) -> Result<&'a ConsoleAccounts, Box<Response>> {
    if let Some(refused) = user.refusal_without(ADMIN, "manage accounts") {
        return Err(Box::new(refused));
    }
    let accounts = host
        .console_accounts()
        .ok_or_else(|| Box::new(no_console()))?;
    if form.confirm != "yes" {
        return Err(Box::new(account_page(
            accounts,
            user,
            username,
            Some((
                format!("Tick the box to confirm that {username}'s {what}."),
                field,
            )),
            StatusCode::BAD_REQUEST,
        )));
    }
    Ok(accounts)
}

async fn remove_user<H: ConsoleHost>(
    State(host): State<Arc<H>>,
    Path(username): Path<String>,
    posted: CheckedForm<ConfirmForm>,
) -> Response {
    let CheckedForm { user, form } = posted;
    let accounts = match confirmed_change(
        host.as_ref(),
        &user,
        &username,
        &form,
        ("account is to be removed", "confirm-remove"),
    ) {
        Ok(accounts) => accounts,
        Err(refused) => return *refused,
    };
    match accounts.remove(&username, &user.account, Utc::now()) {
        Ok(removed) => {
            tracing::info!(
                user = %removed.username,
                by = %user.account.care_identity_uuid,
                "console account removed"
            );
            Redirect::to("/console/users").into_response()
        }
        Err(ConsoleError::Invalid(why)) => {
            users_page(accounts, &user, Some(why), StatusCode::BAD_REQUEST)
        }
        Err(error) => store_failure(&user, &error),
    }
}

async fn reset_password<H: ConsoleHost>(
    State(host): State<Arc<H>>,
    Path(username): Path<String>,
    posted: CheckedForm<ConfirmForm>,
) -> Response {
    let CheckedForm { user, form } = posted;
    let accounts = match confirmed_change(
        host.as_ref(),
        &user,
        &username,
        &form,
        ("password is to be replaced", "confirm-reset"),
    ) {
        Ok(accounts) => accounts,
        Err(refused) => return *refused,
    };
    // Argon2 hashing is deliberately slow: off the async workers.
    let resetting = {
        let (host, by) = (Arc::clone(&host), user.account.clone());
        let username = username.clone();
        tokio::task::spawn_blocking(move || match host.console_accounts() {
            Some(accounts) => accounts.reset_password(&username, &by, Utc::now()),
            None => Err(ConsoleError::Store("no console".into())),
        })
        .await
        .unwrap_or_else(|error| Err(ConsoleError::Store(error.to_string())))
    };
    match resetting {
        Ok(password) => {
            tracing::info!(
                user = %username,
                by = %user.account.care_identity_uuid,
                "console password reset"
            );
            hand_over_first_password(accounts, &user, &username, password)
        }
        Err(ConsoleError::Invalid(why)) => {
            users_page(accounts, &user, Some(why), StatusCode::BAD_REQUEST)
        }
        Err(error) => store_failure(&user, &error),
    }
}

#[derive(Template)]
#[template(path = "console/password.html")]
struct PasswordPage {
    chrome: Chrome,
    error: Option<String>,
    /// The field the error is about.
    error_field: &'static str,
    done: bool,
    /// The password was chosen by someone else and must be replaced before anything else.
    must_change: bool,
    /// Where to go once it is replaced.
    next: String,
    min_chars: usize,
}

fn password_page(
    user: &SignedIn,
    error: Option<String>,
    done: bool,
    next: &str,
    status: StatusCode,
) -> Response {
    page(
        status,
        &PasswordPage {
            chrome: user.chrome.clone(),
            error_field: match error.as_deref() {
                Some(why) if why.contains("current") => "current",
                _ => "new",
            },
            error,
            done,
            must_change: user.account.must_change_password(),
            next: local_path(next),
            min_chars: crate::console::MIN_PASSWORD_CHARS,
        },
    )
}

async fn password_form(user: SignedIn, Query(query): Query<NextQuery>) -> Response {
    let next = query.next.unwrap_or_else(|| "/".into());
    password_page(&user, None, false, &next, StatusCode::OK)
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    next: String,
}

async fn change_password<H: ConsoleHost>(
    State(host): State<Arc<H>>,
    headers: HeaderMap,
    posted: CheckedForm<PasswordForm>,
) -> Response {
    let CheckedForm { user, form } = posted;
    let Some(accounts) = host.console_accounts() else {
        return no_console();
    };
    if form.new != form.confirm {
        return password_page(
            &user,
            Some("The new password and its confirmation are not the same.".into()),
            false,
            &form.next,
            StatusCode::BAD_REQUEST,
        );
    }
    let session = cookie(&headers, &session_cookie(host.as_ref())).unwrap_or_default();
    match accounts.change_password(&user.account.username, &form.current, &form.new, &session) {
        Ok(()) if user.account.must_change_password() => {
            tracing::info!(user = %user.account.username, "console first password replaced");
            Redirect::to(&local_path(&form.next)).into_response()
        }
        Ok(()) => {
            tracing::info!(user = %user.account.username, "console password changed");
            password_page(&user, None, true, &form.next, StatusCode::OK)
        }
        Err(ConsoleError::Invalid(why)) => {
            password_page(&user, Some(why), false, &form.next, StatusCode::BAD_REQUEST)
        }
        Err(locked @ ConsoleError::Locked(_)) => {
            tracing::warn!(user = %user.account.care_identity_uuid, "console account locked at a password change");
            user.message(
                StatusCode::FORBIDDEN,
                "You have been signed out",
                format!("{locked} Every session of this account has ended."),
            )
        }
        Err(error) => store_failure(&user, &error),
    }
}

fn asset_response(content_type: &'static str, bytes: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response()
}

async fn asset(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "nhsuk-frontend.min.css" => asset_response(
            "text/css; charset=utf-8",
            include_bytes!("../assets/nhsuk-frontend/nhsuk-frontend.min.css"),
        ),
        "nhsuk-frontend.min.js" => asset_response(
            "text/javascript; charset=utf-8",
            include_bytes!("../assets/nhsuk-frontend/nhsuk-frontend.min.js"),
        ),
        "console.js" => asset_response(
            "text/javascript; charset=utf-8",
            include_bytes!("../assets/console.js"),
        ),
        _ => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

async fn image(Path(file): Path<String>) -> Response {
    macro_rules! images {
        ($($name:literal => $type:literal),* $(,)?) => {
            match file.as_str() {
                $($name => asset_response($type, include_bytes!(concat!("../assets/nhsuk-frontend/images/", $name))),)*
                _ => (StatusCode::NOT_FOUND, "no such image").into_response(),
            }
        };
    }
    images! {
        "favicon.ico" => "image/x-icon",
        "favicon.svg" => "image/svg+xml",
        "nhsuk-icon-180.png" => "image/png",
        "nhsuk-icon-arrow-down.svg" => "image/svg+xml",
        "nhsuk-icon-arrow-up-down.svg" => "image/svg+xml",
        "nhsuk-icon-arrow-up.svg" => "image/svg+xml",
        "nhsuk-icon-cross.svg" => "image/svg+xml",
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use tower::ServiceExt;

    use super::*;
    use crate::console::NewAccount;

    struct Host {
        accounts: ConsoleAccounts,
        _dir: tempfile::TempDir,
    }

    impl ConsoleHost for Host {
        fn console_accounts(&self) -> Option<&ConsoleAccounts> {
            Some(&self.accounts)
        }
        fn console_name(&self) -> &str {
            "Test console"
        }
        fn console_over_https(&self) -> bool {
            false
        }
        fn console_roles(&self) -> &'static [(&'static str, &'static str)] {
            &[("ra", "Registration Authority"), (ADMIN, "Accounts")]
        }
    }

    #[derive(Deserialize)]
    struct NoteForm {
        note: String,
    }

    async fn home(user: SignedIn) -> String {
        format!("hello {}", user.account.display_name)
    }

    async fn admin_only(user: SignedIn) -> Response {
        match user.refusal_without("admin", "see this") {
            None => "secret".into_response(),
            Some(refused) => refused,
        }
    }

    async fn note(form: CheckedForm<NoteForm>) -> String {
        format!("noted {}", form.form.note)
    }

    fn app() -> Router {
        let dir = tempfile::tempdir().unwrap();
        let accounts = ConsoleAccounts::open(sled::open(dir.path()).unwrap()).unwrap();
        accounts
            .create(
                NewAccount {
                    username: "r.officer",
                    display_name: "Rosa Officer",
                    care_identity_uuid: "555000000001",
                    roles: &["ra"],
                    password: "correct horse battery",
                },
                Utc::now(),
            )
            .unwrap();
        accounts
            .create(
                NewAccount {
                    username: "a.admin",
                    display_name: "Ada Admin",
                    care_identity_uuid: "555000000002",
                    roles: &["admin"],
                    password: "administrator password",
                },
                Utc::now(),
            )
            .unwrap();
        Router::new()
            .route("/", get(home))
            .route("/admin", get(admin_only))
            .route("/notes", post(note))
            .merge(routes::<Host>())
            .with_state(Arc::new(Host {
                accounts,
                _dir: dir,
            }))
    }

    async fn send(
        app: &Router,
        request: axum::http::Request<Body>,
    ) -> (StatusCode, HeaderMap, String) {
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    fn get_with(path: &str, cookies: &str) -> axum::http::Request<Body> {
        axum::http::Request::get(path)
            .header(header::COOKIE, cookies)
            .body(Body::empty())
            .unwrap()
    }

    fn post_form(path: &str, cookies: &str, form: &[(&str, &str)]) -> axum::http::Request<Body> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        axum::http::Request::post(path)
            .header(header::COOKIE, cookies)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    }

    fn set_cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
        headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(|v| {
                v[name.len() + 1..]
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
    }

    /// Signs in as the officer: the session cookie and the page's CSRF token.
    async fn signed_in(app: &Router) -> (String, String) {
        let (_, headers, _) = send(app, get_with("/login", "")).await;
        let login = set_cookie_value(&headers, LOGIN_COOKIE).unwrap();
        let (status, headers, _) = send(
            app,
            post_form(
                "/login",
                &format!("{LOGIN_COOKIE}={login}"),
                &[
                    ("csrf", &login),
                    ("username", "r.officer"),
                    ("password", "correct horse battery"),
                    ("next", "/"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let session = set_cookie_value(&headers, SESSION_COOKIE).unwrap();
        let (_, _, page) = send(app, get_with("/login", "")).await;
        assert!(page.contains("Sign in"));
        let cookie = format!("{SESSION_COOKIE}={session}");
        let (status, _, body) = send(app, get_with("/", &cookie)).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "hello Rosa Officer")
        );
        // The CSRF token a page would carry: read it from a rendered page's forms.
        let csrf = {
            let (_, _, refused) = send(app, get_with("/admin", &cookie)).await;
            let start = refused.find("name=\"csrf\" value=\"").unwrap() + 19;
            refused[start..].split('"').next().unwrap().to_owned()
        };
        (cookie, csrf)
    }

    #[tokio::test]
    async fn pages_need_a_session_and_sign_in_leads_back_to_the_page() {
        let app = app();
        let (status, headers, _) = send(&app, get_with("/admin?x=1", "")).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers[header::LOCATION], "/login?next=%2Fadmin%3Fx%3D1");

        let (status, headers, page) = send(&app, get_with("/login?next=/admin", "")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("<label class=\"nhsuk-label\" for=\"username\">Username</label>"));
        assert!(headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"));
        let login_cookie = headers[header::SET_COOKIE].to_str().unwrap();
        assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Strict"));
        let login = set_cookie_value(&headers, LOGIN_COOKIE).unwrap();
        let jar = format!("{LOGIN_COOKIE}={login}");

        let (status, _, page) = send(
            &app,
            post_form(
                "/login",
                &jar,
                &[
                    ("csrf", &login),
                    ("username", "r.officer"),
                    ("password", "wrong"),
                    ("next", "/admin"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            page.contains("There is a problem")
                && page.contains("The username or password is not right.")
        );
        assert!(page.contains("value=\"r.officer\""), "the name is kept");

        let (status, _, page) = send(
            &app,
            post_form(
                "/login",
                &jar,
                &[
                    ("csrf", "forged"),
                    ("username", "r.officer"),
                    ("password", "correct horse battery"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(page.contains("had expired"));

        for next in [
            "//evil.example/x",
            "https://evil.example/",
            "/\\evil",
            "/\t/evil.example",
            "/\n/evil.example",
        ] {
            let (status, headers, _) = send(
                &app,
                post_form(
                    "/login",
                    &jar,
                    &[
                        ("csrf", &login),
                        ("username", "r.officer"),
                        ("password", "correct horse battery"),
                        ("next", next),
                    ],
                ),
            )
            .await;
            assert_eq!(status, StatusCode::SEE_OTHER);
            assert_eq!(headers[header::LOCATION], "/", "{next}");
        }
        let (_, headers, _) = send(
            &app,
            post_form(
                "/login",
                &jar,
                &[
                    ("csrf", &login),
                    ("username", "r.officer"),
                    ("password", "correct horse battery"),
                    ("next", "/admin"),
                ],
            ),
        )
        .await;
        assert_eq!(headers[header::LOCATION], "/admin");
    }

    #[tokio::test]
    async fn a_user_without_the_role_is_told_and_a_form_needs_the_session_csrf_token() {
        let app = app();
        let (cookie, csrf) = signed_in(&app).await;
        let (status, _, page) = send(&app, get_with("/admin", &cookie)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(page.contains("does not have the role needed to see this"));

        let (status, _, page) = send(&app, post_form("/notes", &cookie, &[("note", "hi")])).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(page.contains("This form has expired"));
        let (status, _, _) = send(
            &app,
            post_form("/notes", &cookie, &[("note", "hi"), ("csrf", "forged")]),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, body) = send(
            &app,
            post_form("/notes", &cookie, &[("note", "<b>hi</b>"), ("csrf", &csrf)]),
        )
        .await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "noted <b>hi</b>"));
        let (status, headers, _) = send(
            &app,
            post_form("/notes", "", &[("note", "hi"), ("csrf", &csrf)]),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "no session, no form");
        assert_eq!(
            headers[header::LOCATION],
            "/login?next=%2F",
            "a post is not where to come back to"
        );

        let (status, _, _) = send(&app, post_form("/logout", &cookie, &[("csrf", &csrf)])).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _, _) = send(&app, get_with("/", &cookie)).await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "signed out: the old cookie opens nothing"
        );
    }

    /// Signs in with a name and password: the session cookie and a page's CSRF token.
    async fn signed_in_as(app: &Router, username: &str, password: &str) -> (String, String) {
        let (_, headers, _) = send(app, get_with("/login", "")).await;
        let login = set_cookie_value(&headers, LOGIN_COOKIE).unwrap();
        let (status, headers, _) = send(
            app,
            post_form(
                "/login",
                &format!("{LOGIN_COOKIE}={login}"),
                &[
                    ("csrf", &login),
                    ("username", username),
                    ("password", password),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{username} signs in");
        let cookie = format!(
            "{SESSION_COOKIE}={}",
            set_cookie_value(&headers, SESSION_COOKIE).unwrap()
        );
        let (_, _, page) = send(app, get_with("/console/password", &cookie)).await;
        let start = page.find("name=\"csrf\" value=\"").unwrap() + 19;
        let csrf = page[start..].split('"').next().unwrap().to_owned();
        (cookie, csrf)
    }

    #[tokio::test]
    async fn an_administrator_adds_and_removes_accounts_and_users_change_their_password() {
        let app = app();
        let (officer, officer_csrf) = signed_in(&app).await;
        let (status, _, page) = send(&app, get_with("/console/users", &officer)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(page.contains("does not have the role needed to manage accounts"));
        let (status, _, _) = send(
            &app,
            post_form(
                "/console/users/new",
                &officer,
                &[
                    ("csrf", &officer_csrf),
                    ("username", "sneaky"),
                    ("display_name", "Sneaky"),
                    ("care_identity_uuid", "555000000009"),
                    ("roles", "admin"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let (admin, csrf) = signed_in_as(&app, "a.admin", "administrator password").await;
        let new_account = |uuid: &'static str, role: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("username", "n.new".to_owned()),
                ("display_name", "Nia New".to_owned()),
                ("care_identity_uuid", uuid.to_owned()),
                ("roles", role.to_owned()),
            ]
        };
        let as_pairs = |form: &Vec<(&'static str, String)>| -> Vec<(&str, String)> {
            form.iter().map(|(k, v)| (*k, v.clone())).collect()
        };
        for (uuid, role, why) in [
            ("12345", "ra", "A Care Identity UUID is 12 digits."),
            (
                "555000000044",
                "superuser",
                "There is no role superuser here.",
            ),
        ] {
            let form = as_pairs(&new_account(uuid, role));
            let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, _, page) =
                send(&app, post_form("/console/users/new", &admin, &fields)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{why}");
            assert!(page.contains(why), "{page}");
            assert!(
                page.contains("value=\"n.new\""),
                "the form keeps what was typed"
            );
        }
        assert!(matches!(
            send(&app, get_with("/console/users", &admin)).await,
            (StatusCode::OK, _, page) if !page.contains("n.new")
        ));
        let form = as_pairs(&new_account("555000000044", "ra"));
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // Posted, then shown by a redirect: a reload shows the same password again, to this
        // administrator's session only.
        let (status, headers, _) =
            send(&app, post_form("/console/users/new", &admin, &fields)).await;
        assert_eq!(
            (status, headers[header::LOCATION].to_str().unwrap()),
            (StatusCode::SEE_OTHER, "/console/users/n.new/first-password")
        );
        let (status, _, page) = send(
            &app,
            get_with("/console/users/n.new/first-password", &admin),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let marker = "id=\"first-password\">";
        let start = page.find(marker).unwrap() + marker.len();
        let first_password = page[start..].split('<').next().unwrap().to_owned();
        assert!(first_password.len() >= 40);
        let (_, _, reloaded) = send(
            &app,
            get_with("/console/users/n.new/first-password", &admin),
        )
        .await;
        assert!(reloaded.contains(&format!("{marker}{first_password}<")));
        let (other_admin, _) = signed_in_as(&app, "a.admin", "administrator password").await;
        let (status, _, page) = send(
            &app,
            get_with("/console/users/n.new/first-password", &other_admin),
        )
        .await;
        assert_eq!(status, StatusCode::GONE);
        assert!(!page.contains(&first_password));
        let (newcomer, newcomer_csrf) = signed_in_as(&app, "n.new", &first_password).await;

        // With a password someone else chose, every page leads to choosing their own, and
        // no form is carried out.
        let (status, headers, _) = send(&app, get_with("/admin?x=1", &newcomer)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            headers[header::LOCATION],
            "/console/password?next=%2Fadmin%3Fx%3D1"
        );
        let (status, headers, body) = send(
            &app,
            post_form(
                "/notes",
                &newcomer,
                &[("csrf", &newcomer_csrf), ("note", "before")],
            ),
        )
        .await;
        assert_eq!(
            (status, headers[header::LOCATION].to_str().unwrap()),
            (StatusCode::SEE_OTHER, "/console/password?next=%2F")
        );
        assert!(!body.contains("noted"));
        let (_, _, page) = send(
            &app,
            get_with("/console/password?next=%2Fadmin%3Fx%3D1", &newcomer),
        )
        .await;
        assert!(page.contains("Choose your own password"));
        assert!(page.contains("name=\"next\" value=\"/admin?x=1\""));
        let (_, _, users) = send(&app, get_with("/console/users", &admin)).await;
        assert!(users.contains("To choose a password"), "{users}");

        // Their own password: the confirmation must match, then the old one stops working.
        let (status, _, page) = send(
            &app,
            post_form(
                "/console/password",
                &newcomer,
                &[
                    ("csrf", &newcomer_csrf),
                    ("current", &first_password),
                    ("new", "my own long password"),
                    ("confirm", "my own long passwort"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("are not the same"));
        let (status, headers, _) = send(
            &app,
            post_form(
                "/console/password",
                &newcomer,
                &[
                    ("csrf", &newcomer_csrf),
                    ("current", &first_password),
                    ("new", "my own long password"),
                    ("confirm", "my own long password"),
                    ("next", "/notes-page"),
                ],
            ),
        )
        .await;
        assert_eq!(
            (status, headers[header::LOCATION].to_str().unwrap()),
            (StatusCode::SEE_OTHER, "/notes-page"),
            "on to where they were going"
        );
        let (status, _, body) = send(&app, get_with("/", &newcomer)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "hello Nia New"));
        let (newcomer, newcomer_csrf) = signed_in_as(&app, "n.new", "my own long password").await;
        let (status, _, page) = send(
            &app,
            post_form(
                "/console/password",
                &newcomer,
                &[
                    ("csrf", &newcomer_csrf),
                    ("current", "my own long password"),
                    ("new", "my second long password"),
                    ("confirm", "my second long password"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "a chosen password changed: a page");
        assert!(page.contains("id=\"password-changed\""));

        // The administrator resets it (a box to tick first): a new first password, the
        // session ended, the change logged with who made it.
        let (status, _, page) = send(&app, get_with("/console/users/n.new", &officer)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
        let (status, _, _) = send(
            &app,
            post_form(
                "/console/users/n.new/reset-password",
                &officer,
                &[("csrf", &officer_csrf), ("confirm", "yes")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, page) = send(&app, get_with("/console/users/n.new", &admin)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Password changed by its holder"), "{page}");
        assert!(page.contains("555000000002"), "who added it: {page}");
        let (status, _, page) = send(
            &app,
            post_form(
                "/console/users/n.new/reset-password",
                &admin,
                &[("csrf", &csrf)],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("href=\"#confirm-reset\""), "{page}");
        assert!(signed_in_as(&app, "n.new", "my second long password")
            .await
            .0
            .starts_with(SESSION_COOKIE));
        let (status, headers, _) = send(
            &app,
            post_form(
                "/console/users/n.new/reset-password",
                &admin,
                &[("csrf", &csrf), ("confirm", "yes")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, _, page) = send(
            &app,
            get_with(headers[header::LOCATION].to_str().unwrap(), &admin),
        )
        .await;
        let start = page.find(marker).unwrap() + marker.len();
        let reset_password = page[start..].split('<').next().unwrap().to_owned();
        assert!(reset_password.len() >= 40 && reset_password != first_password);
        let (status, _, _) = send(&app, get_with("/", &newcomer)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "the reset ended the session");
        let (newcomer, _) = signed_in_as(&app, "n.new", &reset_password).await;
        let (status, headers, _) = send(&app, get_with("/", &newcomer)).await;
        assert_eq!(
            (status, headers[header::LOCATION].to_str().unwrap()),
            (StatusCode::SEE_OTHER, "/console/password?next=%2F")
        );
        let (_, _, page) = send(&app, get_with("/console/users/n.new", &admin)).await;
        assert!(page.contains("Password reset by an administrator"));

        let (status, _, page) = send(
            &app,
            post_form(
                "/console/users/a.admin/remove",
                &admin,
                &[("csrf", &csrf), ("confirm", "yes")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("You cannot remove your own account."));
        let (status, _, page) = send(
            &app,
            post_form("/console/users/n.new/remove", &admin, &[("csrf", &csrf)]),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "not confirmed");
        assert!(page.contains("Tick the box"));
        assert!(page.contains("href=\"#confirm-remove\""), "{page}");
        let (status, _, _) = send(&app, get_with("/console/password", &newcomer)).await;
        assert_eq!(status, StatusCode::OK, "nothing changed");
        let (status, _, _) = send(
            &app,
            post_form(
                "/console/users/n.new/remove",
                &admin,
                &[("csrf", &csrf), ("confirm", "yes")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, headers, _) = send(&app, get_with("/console/password", &newcomer)).await;
        assert_eq!(
            (status, headers[header::LOCATION].to_str().unwrap()),
            (StatusCode::SEE_OTHER, "/login?next=%2Fconsole%2Fpassword"),
            "their session ended with the account"
        );
        let (_, _, users) = send(&app, get_with("/console/users", &admin)).await;
        assert!(users.contains("Account removed"), "{users}");
    }

    #[tokio::test]
    async fn the_nhsuk_frontend_is_served_and_nothing_else() {
        let app = app();
        let (status, headers, css) =
            send(&app, get_with("/assets/nhsuk-frontend.min.css", "")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css"));
        assert!(css.contains(".nhsuk-header"));
        let (status, _, _) = send(&app, get_with("/assets/images/nhsuk-icon-cross.svg", "")).await;
        assert_eq!(status, StatusCode::OK);
        for path in [
            "/assets/../Cargo.toml",
            "/assets/secret.key",
            "/assets/images/..%2F..%2FCargo.toml",
        ] {
            let (status, _, _) = send(&app, get_with(path, "")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
    }
}
