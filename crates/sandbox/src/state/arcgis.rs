//! What the `ArcGIS` portal knows and has handed out: registered users and apps, access tokens
//! with their bindings, refresh tokens and pending authorization codes. Implements expiry,
//! single-use codes, the `exchange_refresh_token` invalidation (quirk 6) and revocation; knows
//! nothing about HTTP.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::config::{ArcgisApp, ArcgisConfig, ArcgisUser};
use crate::random::random_token;

/// How long an authorization code stays redeemable.
const CODE_SECS: u64 = 300;

/// Who an access token speaks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Holder {
    /// A signed-in user (`generateToken`, or an OAuth user login).
    User(String),
    /// An app logged in as itself (`client_credentials`); holds the `client_id`.
    App(String),
}

/// A live access token.
#[derive(Clone, Debug)]
pub(crate) struct AccessEntry {
    pub(crate) holder: Holder,
    pub(crate) expires_at_ms: u64,
    /// The `Referer` every request with this token must carry (quirk 5).
    pub(crate) referer: Option<String>,
    /// The refresh token this access token was issued with or from. Exchanging or revoking
    /// that refresh token ends this access token too; `None` for tokens that cannot be revoked
    /// (`generateToken`, app logins).
    pub(crate) origin: Option<String>,
}

/// A live refresh token.
#[derive(Clone, Debug)]
pub(crate) struct RefreshEntry {
    pub(crate) client_id: String,
    pub(crate) username: String,
    pub(crate) expires_at: u64,
    /// The lifetime it was issued with; an exchanged token gets the same window.
    pub(crate) window_secs: u64,
}

/// A PKCE code challenge from the authorize request (RFC 7636).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    S256(String),
    Plain(String),
}

impl Challenge {
    pub(crate) fn verifies(&self, verifier: &str) -> bool {
        match self {
            Self::S256(challenge) => {
                URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == *challenge
            }
            Self::Plain(challenge) => verifier == challenge,
        }
    }
}

/// An authorization code waiting to be exchanged.
#[derive(Clone, Debug)]
pub(crate) struct PendingCode {
    pub(crate) client_id: String,
    pub(crate) username: String,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: Option<Challenge>,
    /// The refresh-token lifetime the authorize request asked for.
    pub(crate) refresh_secs: u64,
    pub(crate) expires_at: u64,
}

/// Tokens and codes in flight.
#[derive(Debug, Default)]
pub(crate) struct PortalTokens {
    access: HashMap<String, AccessEntry>,
    refresh: HashMap<String, RefreshEntry>,
    codes: HashMap<String, PendingCode>,
}

impl PortalTokens {
    /// Stores a new access token; `suffix` is appended to the random part (`generateToken`
    /// tokens end with a dot, like the real ones).
    pub(crate) fn issue_access(&mut self, entry: AccessEntry, suffix: &str) -> String {
        let token = format!("{}{suffix}", random_token(48));
        self.access.insert(token.clone(), entry);
        token
    }

    /// The live access token `token`, if it is known and unexpired.
    pub(crate) fn access(&self, token: &str, now_ms: u64) -> Option<&AccessEntry> {
        self.access
            .get(token)
            .filter(|entry| entry.expires_at_ms > now_ms)
    }

    pub(crate) fn issue_code(&mut self, mut code: PendingCode, now: u64) -> String {
        let token = random_token(24);
        code.expires_at = now + CODE_SECS;
        self.codes.insert(token.clone(), code);
        token
    }

    /// Redeems a code: it is gone afterwards whatever the caller decides (single use).
    pub(crate) fn take_code(&mut self, code: &str, now: u64) -> Option<PendingCode> {
        self.codes
            .remove(code)
            .filter(|pending| pending.expires_at > now)
    }

    pub(crate) fn issue_refresh(
        &mut self,
        client_id: &str,
        username: &str,
        window_secs: u64,
        now: u64,
    ) -> String {
        let token = random_token(32);
        let entry = RefreshEntry {
            client_id: client_id.to_owned(),
            username: username.to_owned(),
            expires_at: now + window_secs,
            window_secs,
        };
        self.refresh.insert(token.clone(), entry);
        token
    }

    /// The refresh token `token`, expired or not (the caller words the difference).
    pub(crate) fn refresh(&self, token: &str) -> Option<&RefreshEntry> {
        self.refresh.get(token)
    }

    /// Ends a refresh token and every access token obtained with it, at once.
    pub(crate) fn retire_refresh(&mut self, token: &str) {
        self.refresh.remove(token);
        self.access
            .retain(|_, entry| entry.origin.as_deref() != Some(token));
    }

    /// `oauth2/revokeToken`: a refresh token ends with its access tokens; an access token from
    /// an OAuth user login ends alone; anything else (unknown, `generateToken`, app tokens)
    /// is left as it is.
    pub(crate) fn revoke(&mut self, token: &str) {
        if self.refresh.contains_key(token) {
            self.retire_refresh(token);
        } else if self
            .access
            .get(token)
            .is_some_and(|entry| entry.origin.is_some())
        {
            self.access.remove(token);
        }
    }

    /// Ends any access token at once (`generateToken` and app tokens too), as an administrator
    /// disabling a session would; whether it was known.
    pub(crate) fn revoke_access(&mut self, token: &str) -> bool {
        self.access.remove(token).is_some()
    }
}

/// The portal's registrations and what it has issued.
#[derive(Debug, Default)]
pub(crate) struct PortalState {
    pub(crate) users: HashMap<String, ArcgisUser>,
    pub(crate) apps: HashMap<String, ArcgisApp>,
    pub(crate) tokens: PortalTokens,
}

impl PortalState {
    pub(crate) fn from_config(config: &ArcgisConfig) -> Self {
        let mut state = Self::default();
        config
            .users
            .iter()
            .for_each(|user| state.add_user(user.clone()));
        config
            .apps
            .iter()
            .for_each(|app| state.add_app(app.clone()));
        state
    }

    pub(crate) fn add_user(&mut self, user: ArcgisUser) {
        self.users.insert(user.username.clone(), user);
    }

    pub(crate) fn add_app(&mut self, app: ArcgisApp) {
        self.apps.insert(app.client_id.clone(), app);
    }

    /// The user with this username and password.
    pub(crate) fn sign_in(&self, username: &str, password: &str) -> Option<&ArcgisUser> {
        self.users
            .get(username)
            .filter(|user| user.password == password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_token(origin: Option<&str>) -> AccessEntry {
        AccessEntry {
            holder: Holder::User("u".into()),
            expires_at_ms: 10_000,
            referer: None,
            origin: origin.map(str::to_owned),
        }
    }

    #[test]
    fn retiring_a_refresh_token_ends_exactly_the_access_tokens_obtained_with_it() {
        let mut tokens = PortalTokens::default();
        let old = tokens.issue_refresh("app", "u", 100, 0);
        let other = tokens.issue_refresh("app", "u", 100, 0);
        let from_old = tokens.issue_access(user_token(Some(&old)), "");
        let from_other = tokens.issue_access(user_token(Some(&other)), "");
        let generated = tokens.issue_access(user_token(None), ".");
        tokens.retire_refresh(&old);
        assert!(tokens.refresh(&old).is_none());
        assert!(tokens.access(&from_old, 0).is_none());
        assert!(tokens.access(&from_other, 0).is_some());
        assert!(tokens.access(&generated, 0).is_some());
    }

    #[test]
    fn codes_are_single_use_and_expire() {
        let mut tokens = PortalTokens::default();
        let pending = PendingCode {
            client_id: "app".into(),
            username: "u".into(),
            redirect_uri: "r".into(),
            challenge: None,
            refresh_secs: 60,
            expires_at: 0,
        };
        let code = tokens.issue_code(pending.clone(), 1000);
        assert!(tokens.take_code(&code, 1000).is_some());
        assert!(tokens.take_code(&code, 1000).is_none(), "used once already");
        let late = tokens.issue_code(pending, 1000);
        assert!(tokens.take_code(&late, 1000 + CODE_SECS).is_none());
    }

    #[test]
    fn generated_and_app_tokens_cannot_be_revoked() {
        let mut tokens = PortalTokens::default();
        let generated = tokens.issue_access(user_token(None), ".");
        tokens.revoke(&generated);
        assert!(tokens.access(&generated, 0).is_some());
    }

    #[test]
    fn an_administrator_ends_any_access_token_once() {
        let mut tokens = PortalTokens::default();
        let generated = tokens.issue_access(user_token(Some("https://app.example.org")), ".");
        let other = tokens.issue_access(user_token(None), ".");
        assert!(tokens.revoke_access(&generated));
        assert!(tokens.access(&generated, 0).is_none());
        assert!(!tokens.revoke_access(&generated), "already gone");
        assert!(tokens.access(&other, 0).is_some(), "the others stay");
    }

    #[test]
    fn s256_challenges_follow_rfc_7636_appendix_b() {
        let challenge = Challenge::S256("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into());
        assert!(challenge.verifies("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!challenge.verifies("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl"));
    }
}
