//! The token JSON: what `GET /v1/connections/{name}/token` answers and `tokentray token
//! --format json` prints, field order as documented (PRODUCT §5):
//! `{"connection","kind","token_type","access_token","expires_at","expires_in",
//! "header":{"name","value"},"identity","referer"}`.

use serde::{Deserialize, Serialize};

use crate::connection::{ConnectionName, ProviderKind};
use crate::time::Timestamp;
use crate::token::Handout;
use crate::token::Identity;

/// The token JSON. One of the few places a token is serialised, on a caller's request; its
/// `Debug` output shows `[REDACTED]` for the token and the header value, and dropping it
/// overwrites both.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenJson {
    /// The connection's name.
    pub connection: ConnectionName,
    /// Its kind.
    pub kind: ProviderKind,
    /// `Bearer`, `Basic`…
    pub token_type: String,
    /// The token.
    pub access_token: String,
    /// RFC 3339 UTC, or null when unknown.
    pub expires_at: Option<String>,
    /// Seconds left, or null when unknown.
    pub expires_in: Option<u64>,
    /// The header to send.
    pub header: HeaderJson,
    /// Who the token belongs to.
    pub identity: Option<Identity>,
    /// The `Referer` header API calls must send with the token, or null.
    #[serde(default)]
    pub referer: Option<String>,
}

/// A header name and value (`Debug` shows `[REDACTED]` for the value).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderJson {
    /// e.g. `Authorization`.
    pub name: String,
    /// e.g. `Bearer eyJ…`.
    pub value: String,
}

impl TokenJson {
    /// The token JSON of `handout` as of `now`.
    pub fn of(handout: &Handout, now: Timestamp) -> Self {
        Self {
            connection: handout.connection.clone(),
            kind: handout.kind,
            token_type: handout.token_type.clone(),
            access_token: handout.token.expose().to_owned(),
            expires_at: handout.expires_at.map(Timestamp::to_rfc3339),
            expires_in: handout.expires_at.map(|e| e.since(now).as_secs()),
            header: HeaderJson {
                name: handout.header_name.clone(),
                value: handout.header_value.expose().to_owned(),
            },
            identity: handout.identity.clone(),
            referer: handout.referer.clone(),
        }
    }

    /// The serialised token JSON of `handout` cut around the value of `expires_in`, the one
    /// field that changes from one request to the next: `head` ends with `"expires_in":` and
    /// `tail` starts after its value, so `head + <seconds or null> + tail` is the body. The
    /// export endpoint prepares these once per hand-out.
    pub fn prepared(handout: &Handout) -> serde_json::Result<(Vec<u8>, Vec<u8>)> {
        let mut json = Self::of(handout, Timestamp::from_secs(0));
        json.expires_in = None;
        let mut whole = serde_json::to_vec(&json)?;
        drop(json);
        // Inside a JSON string every `"` is escaped, so this can only be the key itself.
        let at = whole
            .windows(KEY.len() + 4)
            .position(|w| w.starts_with(KEY) && w.ends_with(b"null"))
            .map(|i| i + KEY.len());
        let Some(at) = at else {
            wipe_bytes(&mut whole);
            return Err(serde::ser::Error::custom(
                "the token JSON has no expires_in",
            ));
        };
        let head = whole[..at].to_vec();
        let tail = whole[at + 4..].to_vec();
        wipe_bytes(&mut whole);
        Ok((head, tail))
    }
}

/// `"expires_in":`, as the token JSON spells it.
const KEY: &[u8] = b"\"expires_in\":";

impl Handout {
    /// The token JSON as of `now`.
    pub fn to_json(&self, now: Timestamp) -> TokenJson {
        TokenJson::of(self, now)
    }
}

/// Overwrites bytes that held a token before they are freed.
pub fn wipe_bytes(bytes: &mut [u8]) {
    bytes.fill(0);
    // Keeps the writes to memory about to be freed from being optimised away.
    std::hint::black_box(&bytes);
}

fn wipe_string(s: &mut String) {
    let mut bytes = std::mem::take(s).into_bytes();
    wipe_bytes(&mut bytes);
}

impl Drop for TokenJson {
    fn drop(&mut self) {
        wipe_string(&mut self.access_token);
    }
}

impl Drop for HeaderJson {
    fn drop(&mut self) {
        wipe_string(&mut self.value);
    }
}

impl std::fmt::Debug for TokenJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenJson")
            .field("connection", &self.connection)
            .field("kind", &self.kind)
            .field("token_type", &self.token_type)
            .field("access_token", &Redacted)
            .field("expires_at", &self.expires_at)
            .field("expires_in", &self.expires_in)
            .field("header", &self.header)
            .field("identity", &self.identity)
            .field("referer", &self.referer)
            .finish()
    }
}

impl std::fmt::Debug for HeaderJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeaderJson")
            .field("name", &self.name)
            .field("value", &Redacted)
            .finish()
    }
}

/// What `Debug` shows in place of a secret, as [`crate::Secret`] does.
struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}
