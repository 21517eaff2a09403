//! Sign-in for the web consoles (issue 7): local accounts with Argon2id password hashes and
//! roles, server-side sessions and their CSRF tokens, kept in the service's sled store.
//!
//! A session is known by a random 256-bit token carried in a cookie; the store keeps only
//! the token's SHA-256, so a copy of the store opens no session. A session ends after 30
//! minutes idle or 8 hours in all, whichever comes first. Each session has its own CSRF
//! token, which every form posts back. Five wrong passwords in a row lock an account for
//! 15 minutes; an unknown name costs the same Argon2 work as a known one, so timing does
//! not tell which names exist.
//!
//! A password someone else chose (an administrator's new account, a reset, the first
//! administrator's) must be replaced at the first sign-in. Every change to an account is
//! kept in an account log, written with the change and flushed before it is reported done.

use std::collections::BTreeSet;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use subtle::ConstantTimeEq;

const ACCOUNT_TREE: &str = "console-accounts";
const SESSION_TREE: &str = "console-sessions";
const ACCOUNT_LOG_TREE: &str = "console-account-log";
pub const MIN_PASSWORD_CHARS: usize = 12;
const MAX_FAILURES: u32 = 5;

/// Why a console call failed; every message is safe to show on the page.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConsoleError {
    /// Wrong name or password: the page does not say which.
    #[error("The username or password is not right.")]
    WrongCredentials,
    #[error("Too many wrong passwords: this account is locked until {0}.")]
    Locked(String),
    #[error("{0}")]
    Invalid(String),
    #[error("The console's store failed: {0}")]
    Store(String),
}

fn store_error(error: impl std::fmt::Display) -> ConsoleError {
    ConsoleError::Store(error.to_string())
}

fn abort(error: impl std::fmt::Display) -> ConflictableTransactionError<ConsoleError> {
    ConflictableTransactionError::Abort(store_error(error))
}

fn transaction_error(error: TransactionError<ConsoleError>) -> ConsoleError {
    match error {
        TransactionError::Abort(error) => error,
        TransactionError::Storage(error) => store_error(error),
    }
}

/// One console user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub display_name: String,
    /// Their Care Identity UUID, which the audit logs name (BR-34).
    pub care_identity_uuid: String,
    pub roles: BTreeSet<String>,
    password_hash: String,
    #[serde(default)]
    failed_attempts: u32,
    #[serde(default)]
    locked_until: Option<DateTime<Utc>>,
    /// Set while the password is one somebody else chose.
    #[serde(default)]
    must_change_password: bool,
    pub created_at: DateTime<Utc>,
}

impl Account {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(role)
    }

    /// Whether the account's password was chosen by someone else and is still to be replaced.
    pub fn must_change_password(&self) -> bool {
        self.must_change_password
    }

    /// Until when wrong passwords have locked the account, if they have now.
    pub fn locked_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }
}

/// One change to an account, as the account log keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChange {
    pub at: DateTime<Utc>,
    pub change: AccountChangeKind,
    pub username: String,
    /// The Care Identity UUID of who made the change; `None` when the service did (the
    /// first administrator at start-up, a lock after wrong passwords).
    pub by: Option<String>,
    /// The roles given, for an account added.
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountChangeKind {
    Added,
    Removed,
    PasswordReset,
    PasswordChanged,
    Locked,
}

impl AccountChangeKind {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Added => "Account added",
            Self::Removed => "Account removed",
            Self::PasswordReset => "Password reset by an administrator",
            Self::PasswordChanged => "Password changed by its holder",
            Self::Locked => "Locked after five wrong passwords",
        }
    }
}

/// A signed-in session, as stored (under the hash of its token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub username: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

impl Session {
    /// Whether a form's CSRF token is this session's, compared in constant time.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        self.csrf_token
            .as_bytes()
            .ct_eq(presented.as_bytes())
            .into()
    }
}

/// What a new account is given.
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub care_identity_uuid: &'a str,
    pub roles: &'a [&'a str],
    pub password: &'a str,
}

pub struct ConsoleAccounts {
    db: sled::Db,
    accounts: sled::Tree,
    sessions: sled::Tree,
    log: sled::Tree,
    idle: Duration,
    absolute: Duration,
    lockout: Duration,
    /// Verified against when a name is unknown, so that costs what a known name does.
    decoy_hash: String,
    /// Secrets handed over on a page (a first password, a PIN, a new token), in memory
    /// only, each for the session that made it.
    held: std::sync::Mutex<std::collections::HashMap<String, HeldSecret>>,
}

struct HeldSecret {
    /// The making session's CSRF token, unique to it.
    session: String,
    secret: String,
    until: DateTime<Utc>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn token_key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn hash_password(password: &str) -> Result<String, ConsoleError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(store_error)
}

fn password_holds(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

impl ConsoleAccounts {
    pub fn open(db: sled::Db) -> Result<Self, ConsoleError> {
        Ok(Self {
            accounts: db.open_tree(ACCOUNT_TREE).map_err(store_error)?,
            sessions: db.open_tree(SESSION_TREE).map_err(store_error)?,
            log: db.open_tree(ACCOUNT_LOG_TREE).map_err(store_error)?,
            db,
            idle: Duration::minutes(30),
            absolute: Duration::hours(8),
            lockout: Duration::minutes(15),
            decoy_hash: hash_password(&random_token())?,
            held: std::sync::Mutex::default(),
        })
    }

    fn held(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, HeldSecret>> {
        // A panic elsewhere while holding the lock leaves the map whole: keep using it.
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps a secret that was just made for the page the browser is sent to next, so that
    /// reloading that page shows it again instead of making another. Only this session
    /// sees it, until `until`; the store never has it.
    pub fn hold_for_session(
        &self,
        session: &Session,
        key: &str,
        secret: String,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        let mut held = self.held();
        held.retain(|_, kept| kept.until > now);
        held.insert(
            key.to_owned(),
            HeldSecret {
                session: session.csrf_token.clone(),
                secret,
                until,
            },
        );
    }

    /// The secret held under `key`, for the session that made it and while it lasts.
    pub fn held_for_session(
        &self,
        session: &Session,
        key: &str,
        now: DateTime<Utc>,
    ) -> Option<String> {
        self.held()
            .get(key)
            .filter(|kept| kept.until > now && session.csrf_matches(&kept.session))
            .map(|kept| kept.secret.clone())
    }

    /// Forgets a held secret at once (say, a PIN once its offer is used).
    pub fn forget_held(&self, key: &str) {
        self.held().remove(key);
    }

    fn get(&self, username: &str) -> Result<Option<Account>, ConsoleError> {
        match self
            .accounts
            .get(username.as_bytes())
            .map_err(store_error)?
        {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(store_error),
        }
    }

    /// Changes a stored account with `change` and appends the log entry it returns, if
    /// any, in one transaction; sled reruns it when a concurrent change came in between,
    /// so parallel wrong passwords are all counted.
    fn update(
        &self,
        username: &str,
        change: impl Fn(&mut Account) -> Option<AccountChange>,
    ) -> Result<Option<Account>, ConsoleError> {
        let log_key = self.db.generate_id().map_err(store_error)?.to_be_bytes();
        let updated = (&self.accounts, &self.log)
            .transaction(|(accounts, log)| {
                let Some(old) = accounts.get(username.as_bytes())? else {
                    return Ok(None);
                };
                let mut account: Account = serde_json::from_slice(&old).map_err(abort)?;
                let entry = change(&mut account);
                accounts.insert(
                    username.as_bytes(),
                    serde_json::to_vec(&account).map_err(abort)?,
                )?;
                if let Some(entry) = entry {
                    log.insert(&log_key[..], serde_json::to_vec(&entry).map_err(abort)?)?;
                }
                Ok(Some(account))
            })
            .map_err(transaction_error)?;
        self.db.flush().map_err(store_error)?;
        Ok(updated)
    }

    /// One more wrong password: the fifth in a row locks the account for a while. Returns
    /// until when it is now locked, if it is.
    fn count_failure(
        &self,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, ConsoleError> {
        let lockout = self.lockout;
        let updated = self.update(username, |account| {
            account.failed_attempts += 1;
            if account.failed_attempts < MAX_FAILURES {
                return None;
            }
            account.failed_attempts = 0;
            account.locked_until = Some(now + lockout);
            Some(AccountChange {
                at: now,
                change: AccountChangeKind::Locked,
                username: account.username.clone(),
                by: None,
                roles: Vec::new(),
            })
        })?;
        Ok(updated
            .and_then(|account| account.locked_until)
            .filter(|until| *until > now))
    }

    pub fn account(&self, username: &str) -> Result<Option<Account>, ConsoleError> {
        self.get(username)
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Adds an account whose holder chose its password (set-up outside the console, tests);
    /// refused if the name is taken or the details are not acceptable.
    pub fn create(&self, new: NewAccount<'_>, now: DateTime<Utc>) -> Result<Account, ConsoleError> {
        self.insert_account(new, false, None, now)
    }

    /// An administrator adds an account with a first password they hand over, which the
    /// holder must replace when they first sign in.
    pub fn add_with_first_password(
        &self,
        new: NewAccount<'_>,
        by: &Account,
        now: DateTime<Utc>,
    ) -> Result<Account, ConsoleError> {
        self.insert_account(new, true, Some(&by.care_identity_uuid), now)
    }

    fn insert_account(
        &self,
        new: NewAccount<'_>,
        must_change_password: bool,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Account, ConsoleError> {
        let username = new.username.trim();
        // `new` is the add-account page's path, and browsers rewrite `.` and `..` segments:
        // accounts so named could never be opened.
        if matches!(username, "new" | "." | "..") {
            return Err(ConsoleError::Invalid(format!(
                "{username} cannot be a username here: choose another."
            )));
        }
        if username.is_empty()
            || username.len() > 64
            || !username
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
        {
            return Err(ConsoleError::Invalid(
                "A username is 1 to 64 letters, digits, dots, hyphens or underscores.".into(),
            ));
        }
        if new.display_name.trim().is_empty() {
            return Err(ConsoleError::Invalid("Enter the person's name.".into()));
        }
        if new.care_identity_uuid.len() != 12
            || !new.care_identity_uuid.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ConsoleError::Invalid(
                "A Care Identity UUID is 12 digits.".into(),
            ));
        }
        if new.password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(ConsoleError::Invalid(format!(
                "A password has at least {MIN_PASSWORD_CHARS} characters."
            )));
        }
        if new.roles.is_empty() {
            return Err(ConsoleError::Invalid(
                "Give the account at least one role.".into(),
            ));
        }
        let account = Account {
            username: username.to_owned(),
            display_name: new.display_name.trim().to_owned(),
            care_identity_uuid: new.care_identity_uuid.to_owned(),
            roles: new.roles.iter().map(|r| (*r).to_owned()).collect(),
            password_hash: hash_password(new.password)?,
            failed_attempts: 0,
            locked_until: None,
            must_change_password,
            created_at: now,
        };
        let entry = AccountChange {
            at: now,
            change: AccountChangeKind::Added,
            username: username.to_owned(),
            by: by.map(str::to_owned),
            roles: account.roles.iter().cloned().collect(),
        };
        let (bytes, entry) = (
            serde_json::to_vec(&account).map_err(store_error)?,
            serde_json::to_vec(&entry).map_err(store_error)?,
        );
        let log_key = self.db.generate_id().map_err(store_error)?.to_be_bytes();
        (&self.accounts, &self.log)
            .transaction(|(accounts, log)| {
                if accounts.get(username.as_bytes())?.is_some() {
                    return Err(ConflictableTransactionError::Abort(ConsoleError::Invalid(
                        format!("There is already an account called {username}."),
                    )));
                }
                accounts.insert(username.as_bytes(), bytes.as_slice())?;
                log.insert(&log_key[..], entry.as_slice())?;
                Ok(())
            })
            .map_err(transaction_error)?;
        self.db.flush().map_err(store_error)?;
        Ok(account)
    }

    /// On a console's first start: an administrator with a generated password, which is
    /// returned once to be printed. `None` when the console already has accounts.
    pub fn ensure_first_administrator(
        &self,
        roles: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String)>, ConsoleError> {
        if !self.is_empty() {
            return Ok(None);
        }
        let password = random_token();
        self.insert_account(
            NewAccount {
                username: "admin",
                display_name: "First administrator",
                care_identity_uuid: "000000000000",
                roles,
                password: &password,
            },
            true,
            None,
            now,
        )?;
        Ok(Some(("admin".into(), password)))
    }

    /// Checks a name and password; on success a new session and its cookie token.
    pub fn sign_in(
        &self,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, Session, Account), ConsoleError> {
        let Some(account) = self.get(username.trim())? else {
            password_holds(password, &self.decoy_hash);
            return Err(ConsoleError::WrongCredentials);
        };
        // The hash is checked before the lock, so that a locked account answers no sooner
        // than any other.
        let holds = password_holds(password, &account.password_hash);
        if let Some(until) = account.locked_until.filter(|until| *until > now) {
            return Err(ConsoleError::Locked(until.format("%H:%M UTC").to_string()));
        }
        if !holds {
            self.count_failure(&account.username, now)?;
            return Err(ConsoleError::WrongCredentials);
        }
        if account.failed_attempts > 0 || account.locked_until.is_some() {
            self.update(&account.username, |account| {
                account.failed_attempts = 0;
                account.locked_until = None;
                None
            })?;
        }
        let token = random_token();
        let session = Session {
            username: account.username.clone(),
            csrf_token: random_token(),
            created_at: now,
            last_seen: now,
        };
        let bytes = serde_json::to_vec(&session).map_err(store_error)?;
        self.sessions
            .insert(token_key(&token), bytes)
            .map_err(store_error)?;
        self.db.flush().map_err(store_error)?;
        Ok((token, session, account))
    }

    /// The live session a cookie token names, with its account; `None` when there is none
    /// or it has ended (an ended session is removed). Seeing it renews its idle time.
    pub fn session(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Session, Account)>, ConsoleError> {
        let key = token_key(token);
        let Some(bytes) = self.sessions.get(key).map_err(store_error)? else {
            return Ok(None);
        };
        let mut session: Session = serde_json::from_slice(&bytes).map_err(store_error)?;
        let ended = now - session.last_seen > self.idle || now - session.created_at > self.absolute;
        let account = self.get(&session.username)?;
        let Some(account) = account.filter(|_| !ended) else {
            self.sessions.remove(key).map_err(store_error)?;
            return Ok(None);
        };
        // Renewing at most once a minute keeps reads from writing on every page.
        if now - session.last_seen > Duration::minutes(1) {
            session.last_seen = now;
            let bytes = serde_json::to_vec(&session).map_err(store_error)?;
            self.sessions.insert(key, bytes).map_err(store_error)?;
        }
        Ok(Some((session, account)))
    }

    /// Every account, by username.
    pub fn accounts(&self) -> Result<Vec<Account>, ConsoleError> {
        self.accounts
            .iter()
            .values()
            .map(|bytes| {
                let bytes = bytes.map_err(store_error)?;
                serde_json::from_slice(&bytes).map_err(store_error)
            })
            .collect()
    }

    /// Removes an account and ends its sessions at once. An administrator cannot remove
    /// their own account, so a console always keeps one.
    pub fn remove(
        &self,
        username: &str,
        by: &Account,
        now: DateTime<Utc>,
    ) -> Result<Account, ConsoleError> {
        if username == by.username {
            return Err(ConsoleError::Invalid(
                "You cannot remove your own account.".into(),
            ));
        }
        let entry = serde_json::to_vec(&AccountChange {
            at: now,
            change: AccountChangeKind::Removed,
            username: username.to_owned(),
            by: Some(by.care_identity_uuid.clone()),
            roles: Vec::new(),
        })
        .map_err(store_error)?;
        let log_key = self.db.generate_id().map_err(store_error)?.to_be_bytes();
        let removed = (&self.accounts, &self.log)
            .transaction(|(accounts, log)| {
                let Some(old) = accounts.remove(username.as_bytes())? else {
                    return Err(ConflictableTransactionError::Abort(ConsoleError::Invalid(
                        format!("There is no account {username}."),
                    )));
                };
                log.insert(&log_key[..], entry.as_slice())?;
                serde_json::from_slice::<Account>(&old).map_err(abort)
            })
            .map_err(transaction_error)?;
        self.end_sessions_of(username)?;
        self.db.flush().map_err(store_error)?;
        Ok(removed)
    }

    /// An administrator gives someone who is locked out or has forgotten their password a
    /// new first password, returned once to be handed over. The lock is lifted, every
    /// session of the account ends, and the holder must replace the password at sign-in.
    pub fn reset_password(
        &self,
        username: &str,
        by: &Account,
        now: DateTime<Utc>,
    ) -> Result<String, ConsoleError> {
        if username == by.username {
            return Err(ConsoleError::Invalid(
                "Change your own password on the password page.".into(),
            ));
        }
        let password = random_token();
        let hash = hash_password(&password)?;
        let reset = self.update(username, |account| {
            account.password_hash = hash.clone();
            account.must_change_password = true;
            account.failed_attempts = 0;
            account.locked_until = None;
            Some(AccountChange {
                at: now,
                change: AccountChangeKind::PasswordReset,
                username: account.username.clone(),
                by: Some(by.care_identity_uuid.clone()),
                roles: Vec::new(),
            })
        })?;
        if reset.is_none() {
            return Err(ConsoleError::Invalid(format!(
                "There is no account {username}."
            )));
        }
        self.end_sessions_of(username)?;
        self.db.flush().map_err(store_error)?;
        Ok(password)
    }

    /// The account log, newest first: every change, or those of the account now so named
    /// (not of an earlier account that had its name).
    pub fn account_log(
        &self,
        username: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AccountChange>, ConsoleError> {
        let since = match username {
            Some(name) => self.get(name)?.map(|account| account.created_at),
            None => None,
        };
        let mut changes = Vec::new();
        for entry in self.log.iter().values().rev() {
            let change: AccountChange =
                serde_json::from_slice(&entry.map_err(store_error)?).map_err(store_error)?;
            let of_this_account = username.is_none_or(|name| name == change.username)
                && since.is_none_or(|created| change.at >= created);
            if of_this_account {
                changes.push(change);
                if changes.len() == limit {
                    break;
                }
            }
        }
        Ok(changes)
    }

    fn end_sessions_of(&self, username: &str) -> Result<(), ConsoleError> {
        for entry in self.sessions.iter() {
            let (key, bytes) = entry.map_err(store_error)?;
            let session: Session = serde_json::from_slice(&bytes).map_err(store_error)?;
            if session.username == username {
                self.sessions.remove(key).map_err(store_error)?;
            }
        }
        Ok(())
    }

    /// A user changes their own password, giving the current one. Their other sessions
    /// end; the one they are using goes on.
    pub fn change_password(
        &self,
        username: &str,
        current: &str,
        new: &str,
        keep_session: &str,
    ) -> Result<(), ConsoleError> {
        let account = self.get(username)?.ok_or(ConsoleError::WrongCredentials)?;
        if !password_holds(current, &account.password_hash) {
            // Someone at an unattended session guessing: counted as at sign-in, and the
            // lock ends every session of the account.
            if let Some(until) = self.count_failure(username, Utc::now())? {
                self.end_sessions_of(username)?;
                self.db.flush().map_err(store_error)?;
                return Err(ConsoleError::Locked(until.format("%H:%M UTC").to_string()));
            }
            return Err(ConsoleError::Invalid(
                "Your current password is not right.".into(),
            ));
        }
        if new.chars().count() < MIN_PASSWORD_CHARS {
            return Err(ConsoleError::Invalid(format!(
                "A password has at least {MIN_PASSWORD_CHARS} characters."
            )));
        }
        if new == current {
            return Err(ConsoleError::Invalid(
                "Choose a password different from the current one.".into(),
            ));
        }
        let hash = hash_password(new)?;
        let kept = self
            .sessions
            .get(token_key(keep_session))
            .map_err(store_error)?;
        self.end_sessions_of(username)?;
        if let Some(bytes) = kept {
            self.sessions
                .insert(token_key(keep_session), bytes)
                .map_err(store_error)?;
        }
        let now = Utc::now();
        self.update(username, |account| {
            account.password_hash = hash.clone();
            account.must_change_password = false;
            Some(AccountChange {
                at: now,
                change: AccountChangeKind::PasswordChanged,
                username: account.username.clone(),
                by: Some(account.care_identity_uuid.clone()),
                roles: Vec::new(),
            })
        })?;
        Ok(())
    }

    pub fn sign_out(&self, token: &str) -> Result<(), ConsoleError> {
        self.sessions
            .remove(token_key(token))
            .map_err(store_error)?;
        self.db.flush().map_err(store_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> (tempfile::TempDir, ConsoleAccounts) {
        let dir = tempfile::tempdir().unwrap();
        let accounts = ConsoleAccounts::open(sled::open(dir.path()).unwrap()).unwrap();
        (dir, accounts)
    }

    fn officer<'a>(password: &'a str) -> NewAccount<'a> {
        NewAccount {
            username: "r.officer",
            display_name: "Rosa Officer",
            care_identity_uuid: "555000000001",
            roles: &["ra"],
            password,
        }
    }

    #[test]
    fn a_user_signs_in_gets_a_session_and_signs_out() {
        let (_dir, accounts) = accounts();
        let now = Utc::now();
        accounts
            .create(officer("correct horse battery"), now)
            .unwrap();
        let (token, session, account) = accounts
            .sign_in("r.officer", "correct horse battery", now)
            .unwrap();
        assert!(account.has_role("ra") && !account.has_role("operator"));
        let (seen, _) = accounts.session(&token, now).unwrap().unwrap();
        assert_eq!(seen, session);
        assert!(seen.csrf_matches(&session.csrf_token));
        assert!(!seen.csrf_matches("forged"));
        assert!(!seen.csrf_matches(""));
        accounts.sign_out(&token).unwrap();
        assert!(accounts.session(&token, now).unwrap().is_none());
        assert!(accounts.session("never-issued", now).unwrap().is_none());
    }

    #[test]
    fn sessions_end_when_idle_or_too_old() {
        let (_dir, accounts) = accounts();
        let start = Utc::now();
        accounts
            .create(officer("correct horse battery"), start)
            .unwrap();
        let (token, _, _) = accounts
            .sign_in("r.officer", "correct horse battery", start)
            .unwrap();
        assert!(accounts
            .session(&token, start + Duration::minutes(29))
            .unwrap()
            .is_some());
        assert!(
            accounts
                .session(&token, start + Duration::minutes(31))
                .unwrap()
                .is_some(),
            "the last read renewed it"
        );
        assert!(
            accounts
                .session(&token, start + Duration::minutes(62))
                .unwrap()
                .is_none(),
            "idle for 31 minutes"
        );

        let (token, _, _) = accounts
            .sign_in("r.officer", "correct horse battery", start)
            .unwrap();
        let mut at = start;
        while at < start + Duration::hours(8) {
            assert!(accounts.session(&token, at).unwrap().is_some());
            at += Duration::minutes(20);
        }
        assert!(accounts
            .session(&token, start + Duration::hours(8) + Duration::minutes(1))
            .unwrap()
            .is_none());
    }

    #[test]
    fn wrong_passwords_are_refused_alike_and_five_lock_the_account() {
        let (_dir, accounts) = accounts();
        let now = Utc::now();
        accounts
            .create(officer("correct horse battery"), now)
            .unwrap();
        assert_eq!(
            accounts
                .sign_in("nobody", "correct horse battery", now)
                .unwrap_err(),
            ConsoleError::WrongCredentials
        );
        for _ in 0..4 {
            assert_eq!(
                accounts.sign_in("r.officer", "wrong", now).unwrap_err(),
                ConsoleError::WrongCredentials
            );
        }
        // A success resets the count.
        accounts
            .sign_in("r.officer", "correct horse battery", now)
            .unwrap();
        for _ in 0..5 {
            accounts.sign_in("r.officer", "wrong", now).unwrap_err();
        }
        assert!(matches!(
            accounts.sign_in("r.officer", "correct horse battery", now),
            Err(ConsoleError::Locked(_))
        ));
        let later = now + Duration::minutes(16);
        accounts
            .sign_in("r.officer", "correct horse battery", later)
            .unwrap();
    }

    #[test]
    fn accounts_are_checked_when_made_and_the_store_keeps_no_password_or_token() {
        let (dir, accounts) = accounts();
        let now = Utc::now();
        for (new, problem) in [
            (
                NewAccount {
                    username: "a b",
                    ..officer("correct horse battery")
                },
                "A username is",
            ),
            (
                NewAccount {
                    display_name: " ",
                    ..officer("correct horse battery")
                },
                "Enter the person's name",
            ),
            (
                NewAccount {
                    care_identity_uuid: "12",
                    ..officer("correct horse battery")
                },
                "12 digits",
            ),
            (officer("short"), "at least 12 characters"),
            (
                NewAccount {
                    roles: &[],
                    ..officer("correct horse battery")
                },
                "at least one role",
            ),
            (
                NewAccount {
                    username: "new",
                    ..officer("correct horse battery")
                },
                "cannot be a username",
            ),
        ] {
            match accounts.create(new, now) {
                Err(ConsoleError::Invalid(why)) => assert!(why.contains(problem), "{why}"),
                other => panic!("expected {problem}: {other:?}"),
            }
        }
        assert!(accounts.is_empty());
        accounts
            .create(officer("correct horse battery"), now)
            .unwrap();
        assert!(matches!(
            accounts.create(officer("another long password"), now),
            Err(ConsoleError::Invalid(why)) if why.contains("already an account")
        ));
        let (token, _, _) = accounts
            .sign_in("r.officer", "correct horse battery", now)
            .unwrap();
        drop(accounts);
        let mut stored = Vec::new();
        for entry in walk(dir.path()) {
            stored.extend(std::fs::read(entry).unwrap());
        }
        let stored = String::from_utf8_lossy(&stored);
        assert!(!stored.contains("correct horse battery"));
        assert!(!stored.contains(&token));
        assert!(stored.contains("$argon2id$"));
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
        files
    }

    #[test]
    fn removing_an_account_ends_its_sessions_and_no_one_removes_themselves() {
        let (_dir, accounts) = accounts();
        let now = Utc::now();
        accounts
            .create(officer("a long enough password"), now)
            .unwrap();
        let admin = administrator(&accounts, now);
        let (token, _, officer) = accounts
            .sign_in("r.officer", "a long enough password", now)
            .unwrap();
        assert!(matches!(
            accounts.remove("r.officer", &officer, now),
            Err(ConsoleError::Invalid(_))
        ));
        assert!(accounts.session(&token, now).unwrap().is_some());
        assert!(matches!(
            accounts.remove("nobody", &admin, now),
            Err(ConsoleError::Invalid(_))
        ));
        assert_eq!(
            accounts.account_log(None, 10).unwrap().len(),
            2,
            "refusals log nothing"
        );
        accounts.remove("r.officer", &admin, now).unwrap();
        assert!(accounts.session(&token, now).unwrap().is_none());
        assert_eq!(accounts.accounts().unwrap(), vec![admin.clone()]);
        let removal = &accounts.account_log(Some("r.officer"), 10).unwrap()[0];
        assert_eq!(
            (removal.change, removal.by.as_deref()),
            (
                AccountChangeKind::Removed,
                Some(admin.care_identity_uuid.as_str())
            )
        );
        assert_eq!(
            accounts.sign_in("r.officer", "a long enough password", now),
            Err(ConsoleError::WrongCredentials)
        );
        // Someone new given the name does not inherit the old account's history.
        accounts
            .create(
                NewAccount {
                    username: "r.officer",
                    display_name: "Ravi Other",
                    care_identity_uuid: "555000000077",
                    roles: &["ra"],
                    password: "a long enough password",
                },
                now + Duration::seconds(1),
            )
            .unwrap();
        let history = accounts.account_log(Some("r.officer"), 10).unwrap();
        assert_eq!(history.len(), 1, "{history:?}");
        assert_eq!(history[0].change, AccountChangeKind::Added);
        assert_eq!(
            accounts.accounts().unwrap().len(),
            2,
            "the name can be given again"
        );
    }

    #[test]
    fn a_password_change_needs_the_current_one_and_ends_the_other_sessions() {
        let (_dir, accounts) = accounts();
        let now = Utc::now();
        accounts
            .create(officer("a long enough password"), now)
            .unwrap();
        let (here, _, _) = accounts
            .sign_in("r.officer", "a long enough password", now)
            .unwrap();
        let (elsewhere, _, _) = accounts
            .sign_in("r.officer", "a long enough password", now)
            .unwrap();
        for (current, new) in [
            ("wrong password here", "a new long password"),
            ("a long enough password", "short"),
            ("a long enough password", "a long enough password"),
        ] {
            assert!(matches!(
                accounts.change_password("r.officer", current, new, &here),
                Err(ConsoleError::Invalid(_))
            ));
        }
        assert!(accounts.session(&elsewhere, now).unwrap().is_some());
        accounts
            .change_password(
                "r.officer",
                "a long enough password",
                "a new long password",
                &here,
            )
            .unwrap();
        assert!(accounts.session(&here, now).unwrap().is_some());
        assert!(accounts.session(&elsewhere, now).unwrap().is_none());
        assert_eq!(
            accounts
                .sign_in("r.officer", "a long enough password", now)
                .map(|_| ()),
            Err(ConsoleError::WrongCredentials)
        );
        assert!(accounts
            .sign_in("r.officer", "a new long password", now)
            .is_ok());
    }

    #[test]
    fn guessing_the_current_password_locks_the_account_and_ends_its_sessions() {
        let (_dir, accounts) = accounts();
        let now = Utc::now();
        accounts
            .create(officer("a long enough password"), now)
            .unwrap();
        let (here, _, _) = accounts
            .sign_in("r.officer", "a long enough password", now)
            .unwrap();
        for guess in 1..MAX_FAILURES {
            assert!(
                matches!(
                    accounts.change_password("r.officer", "a guess", "a new long password", &here),
                    Err(ConsoleError::Invalid(_))
                ),
                "guess {guess}"
            );
        }
        assert!(matches!(
            accounts.change_password("r.officer", "a guess", "a new long password", &here),
            Err(ConsoleError::Locked(_))
        ));
        assert!(accounts.session(&here, Utc::now()).unwrap().is_none());
        assert!(matches!(
            accounts.sign_in("r.officer", "a long enough password", Utc::now()),
            Err(ConsoleError::Locked(_))
        ));
    }

    fn administrator(accounts: &ConsoleAccounts, now: DateTime<Utc>) -> Account {
        accounts
            .create(
                NewAccount {
                    username: "a.admin",
                    display_name: "Ada Admin",
                    care_identity_uuid: "555000000002",
                    roles: &["admin"],
                    password: "administrator password",
                },
                now,
            )
            .unwrap()
    }

    #[test]
    fn a_first_password_must_be_replaced_and_a_reset_lifts_a_lock_and_ends_sessions() {
        let (_dir, accounts) = accounts();
        let now = Utc::now();
        let admin = administrator(&accounts, now);
        let added = accounts
            .add_with_first_password(officer("a first password given"), &admin, now)
            .unwrap();
        assert!(added.must_change_password() && !admin.must_change_password());
        let (here, _, _) = accounts
            .sign_in("r.officer", "a first password given", now)
            .unwrap();
        accounts
            .change_password(
                "r.officer",
                "a first password given",
                "my own long password",
                &here,
            )
            .unwrap();
        assert!(!accounts
            .account("r.officer")
            .unwrap()
            .unwrap()
            .must_change_password());

        for _ in 0..MAX_FAILURES {
            accounts.sign_in("r.officer", "wrong", now).unwrap_err();
        }
        let locked = accounts.account("r.officer").unwrap().unwrap();
        assert!(locked.locked_until(now).is_some());
        assert!(accounts.session(&here, now).unwrap().is_some());
        assert!(matches!(
            accounts.reset_password("a.admin", &admin, now),
            Err(ConsoleError::Invalid(why)) if why.contains("your own password")
        ));
        assert!(matches!(
            accounts.reset_password("nobody", &admin, now),
            Err(ConsoleError::Invalid(_))
        ));
        let given = accounts.reset_password("r.officer", &admin, now).unwrap();
        assert!(given.len() >= 40);
        assert!(
            accounts.session(&here, now).unwrap().is_none(),
            "a reset ends the sessions"
        );
        assert_eq!(
            accounts
                .sign_in("r.officer", "my own long password", now)
                .map(|_| ()),
            Err(ConsoleError::WrongCredentials),
            "the old password stops working"
        );
        let (_, _, reset) = accounts.sign_in("r.officer", &given, now).unwrap();
        assert!(reset.must_change_password() && reset.locked_until(now).is_none());

        let log: Vec<(AccountChangeKind, Option<String>)> = accounts
            .account_log(Some("r.officer"), 10)
            .unwrap()
            .into_iter()
            .map(|change| (change.change, change.by))
            .collect();
        let ada = Some("555000000002".to_owned());
        assert_eq!(
            log,
            vec![
                (AccountChangeKind::PasswordReset, ada.clone()),
                (AccountChangeKind::Locked, None),
                (
                    AccountChangeKind::PasswordChanged,
                    Some("555000000001".to_owned())
                ),
                (AccountChangeKind::Added, ada),
            ],
            "newest first, each change once"
        );
        assert_eq!(accounts.account_log(None, 2).unwrap().len(), 2);
        assert_eq!(accounts.account_log(None, 10).unwrap().len(), 5);
    }

    #[test]
    fn the_first_administrator_is_made_once() {
        let (_dir, accounts) = accounts();
        let now = Utc::now();
        let (name, password) = accounts
            .ensure_first_administrator(&["admin", "ra"], now)
            .unwrap()
            .unwrap();
        assert!(password.len() >= 40);
        let (_, _, admin) = accounts.sign_in(&name, &password, now).unwrap();
        assert!(admin.has_role("admin") && admin.has_role("ra"));
        assert!(
            admin.must_change_password(),
            "a password from a file is replaced"
        );
        assert!(accounts
            .ensure_first_administrator(&["admin"], now)
            .unwrap()
            .is_none());
    }
}
