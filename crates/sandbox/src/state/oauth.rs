//! The tokens one OAuth issuer has handed out: access tokens, refresh tokens and the families
//! (sessions) that tie them together. Implements rotation, reuse detection, expiry and
//! revocation; knows nothing about HTTP (the OAuth server, `crate::oauth`, words its refusals).

use std::collections::HashMap;

use crate::config::{ClientConfig, Rotation};
use crate::minter::{AccessClaims, Minter};
use crate::random::{random_token, session_id};

/// Which OAuth issuer: each has its own token store and its provider's conventions (how
/// `crate::oauth` serves and words them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Dialect {
    /// RFC 6749 / 7009 / 8414 wording, mounted at `/oauth`.
    Generic,
    /// Keycloak's status codes, error descriptions and extra response fields.
    Keycloak,
}

/// Why the store refused a refresh token or a revocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A refresh token this issuer never issued (or already forgot).
    RefreshUnknown,
    /// A refresh token issued to a different client.
    RefreshWrongClient,
    /// A refresh token past its lifetime.
    RefreshExpired,
    /// A refresh token that was rotated away and is presented again.
    RefreshReused,
    /// The refresh token's family (session) was revoked.
    SessionEnded,
    /// A revocation request for a token issued to another client.
    RevokeWrongClient,
}

/// Who a token speaks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Subject {
    /// A resource owner (password or refresh grant).
    User(String),
    /// The client itself (client credentials); holds the `client_id`.
    Service(String),
}

/// What a successful grant hands back, before a dialect words it.
#[derive(Clone, Debug)]
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
    pub(crate) refresh_token: Option<String>,
    /// Seconds the live refresh token (new or kept) has left, when it expires at all.
    pub(crate) refresh_expires_in: Option<u64>,
    pub(crate) scope: String,
    pub(crate) session_state: String,
}

/// A new grant to issue tokens for.
pub(crate) struct Grant<'a> {
    pub(crate) client: &'a ClientConfig,
    pub(crate) subject: Subject,
    pub(crate) scope: String,
    pub(crate) with_refresh: bool,
}

#[derive(Debug)]
struct Family {
    client_id: String,
    subject: Subject,
    scope: String,
    session_state: String,
    active: bool,
}

#[derive(Debug)]
struct AccessEntry {
    family: u64,
    expires_at: u64,
}

#[derive(Debug)]
struct RefreshEntry {
    family: u64,
    expires_at: Option<u64>,
    used: bool,
}

#[derive(Debug, Default)]
pub(crate) struct TokenStore {
    access: HashMap<String, AccessEntry>,
    refresh: HashMap<String, RefreshEntry>,
    families: HashMap<u64, Family>,
    next_family: u64,
}

impl TokenStore {
    /// Starts a new family and issues its first tokens.
    pub(crate) fn issue(&mut self, minter: &Minter<'_>, grant: Grant<'_>, now: u64) -> Issued {
        let family = self.next_family;
        self.next_family += 1;
        self.families.insert(
            family,
            Family {
                client_id: grant.client.client_id.clone(),
                subject: grant.subject,
                scope: grant.scope,
                session_state: session_id(),
                active: true,
            },
        );
        let refresh = grant
            .with_refresh
            .then(|| self.new_refresh(family, grant.client, now));
        self.issue_access(minter, family, grant.client, refresh, now)
    }

    /// The refresh grant: checks the token, then rotates it as the client is configured to.
    pub(crate) fn refresh(
        &mut self,
        minter: &Minter<'_>,
        client: &ClientConfig,
        token: &str,
        now: u64,
    ) -> Result<Issued, Refusal> {
        let entry = self.refresh.get(token).ok_or(Refusal::RefreshUnknown)?;
        let (family_id, expires_at, used) = (entry.family, entry.expires_at, entry.used);
        let family = &self.families[&family_id];
        if family.client_id != client.client_id {
            return Err(Refusal::RefreshWrongClient);
        }
        if !family.active {
            return Err(Refusal::SessionEnded);
        }
        if expires_at.is_some_and(|at| at <= now) {
            return Err(Refusal::RefreshExpired);
        }
        if used {
            if client.rotation == Rotation::RotateStrict {
                self.end_family(family_id);
            }
            return Err(Refusal::RefreshReused);
        }
        let refresh = if client.rotation == Rotation::None {
            (None, expires_at)
        } else {
            if let Some(entry) = self.refresh.get_mut(token) {
                entry.used = true;
            }
            self.new_refresh(family_id, client, now)
        };
        Ok(self.issue_access(minter, family_id, client, Some(refresh), now))
    }

    /// The scope a refresh token was granted, to check a narrower requested scope against.
    pub(crate) fn refresh_scope(&self, token: &str) -> Option<&str> {
        let entry = self.refresh.get(token)?;
        Some(&self.families.get(&entry.family)?.scope)
    }

    /// A refresh token for a user, as if they had logged in elsewhere (for import tests).
    pub(crate) fn mint_refresh(
        &mut self,
        minter: &Minter<'_>,
        client: &ClientConfig,
        username: &str,
        now: u64,
    ) -> Option<String> {
        let grant = Grant {
            client,
            subject: Subject::User(username.to_owned()),
            scope: client.scope.clone(),
            with_refresh: true,
        };
        self.issue(minter, grant, now).refresh_token
    }

    /// RFC 7009: an unknown token is fine; a refresh token takes its whole family with it.
    pub(crate) fn revoke(&mut self, client_id: &str, token: &str) -> Result<(), Refusal> {
        let (family, is_refresh) = match (self.refresh.get(token), self.access.get(token)) {
            (Some(entry), _) => (entry.family, true),
            (None, Some(entry)) => (entry.family, false),
            (None, None) => return Ok(()),
        };
        if self.families[&family].client_id != client_id {
            return Err(Refusal::RevokeWrongClient);
        }
        if is_refresh {
            self.end_family(family);
        } else {
            self.access.remove(token);
        }
        Ok(())
    }

    /// Ends one access token at once, as a server-side revocation (a password change, an
    /// administrator) would; whether it was known.
    pub(crate) fn revoke_access(&mut self, token: &str) -> bool {
        self.access.remove(token).is_some()
    }

    /// Who a live access token speaks for.
    pub(crate) fn bearer(&self, token: &str, now: u64) -> Option<&Subject> {
        let entry = self
            .access
            .get(token)
            .filter(|entry| entry.expires_at > now)?;
        let family = self
            .families
            .get(&entry.family)
            .filter(|family| family.active)?;
        Some(&family.subject)
    }

    fn end_family(&mut self, family: u64) {
        if let Some(family) = self.families.get_mut(&family) {
            family.active = false;
        }
        self.access.retain(|_, entry| entry.family != family);
    }

    fn new_refresh(
        &mut self,
        family: u64,
        client: &ClientConfig,
        now: u64,
    ) -> (Option<String>, Option<u64>) {
        let token = random_token(32);
        let expires_at = client.refresh_token_secs.map(|secs| now + secs);
        self.refresh.insert(
            token.clone(),
            RefreshEntry {
                family,
                expires_at,
                used: false,
            },
        );
        (Some(token), expires_at)
    }

    fn issue_access(
        &mut self,
        minter: &Minter<'_>,
        family_id: u64,
        client: &ClientConfig,
        refresh: Option<(Option<String>, Option<u64>)>,
        now: u64,
    ) -> Issued {
        let family = &self.families[&family_id];
        let (subject, username) = match &family.subject {
            Subject::User(name) => (name.as_str(), Some(name.as_str())),
            Subject::Service(client_id) => (client_id.as_str(), None),
        };
        let expires_at = now + client.access_token_secs;
        let access_token = minter.access_token(&AccessClaims {
            subject,
            username,
            client_id: &client.client_id,
            scope: &family.scope,
            session_state: &family.session_state,
            issued_at: now,
            expires_at,
        });
        let (refresh_token, refresh_expires_at) = refresh.unwrap_or((None, None));
        let issued = Issued {
            access_token: access_token.clone(),
            expires_in: client.access_token_secs,
            refresh_token,
            refresh_expires_in: refresh_expires_at.map(|at| at.saturating_sub(now)),
            scope: family.scope.clone(),
            session_state: family.session_state.clone(),
        };
        self.access.insert(
            access_token,
            AccessEntry {
                family: family_id,
                expires_at,
            },
        );
        issued
    }
}
