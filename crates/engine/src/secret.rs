//! Redacting secret types. Every secret the engine touches (passwords, client secrets, access
//! codes, tokens, the export key) is one of these; `Debug` and `Display` print `[REDACTED]`,
//! and nothing derives `Serialize`. `expose()` is the one door out and is easy to grep.

use std::collections::BTreeMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest as _, Sha256};

/// A secret string: a password, client secret, access code, token or key.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The secret value. Call only where the secret leaves our types: a request body or header,
    /// the keychain blob, or a hand-out to a user who asked for it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.expose().as_bytes(), other.expose().as_bytes())
    }
}

impl Eq for Secret {}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The secret fields of one connection (password, client secret, access codes, a static token,
/// an imported refresh token), keyed by field name.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials(BTreeMap<String, Secret>);

impl Credentials {
    /// No credentials.
    pub fn new() -> Self {
        Self::default()
    }

    /// The secret stored under `field`, if any and not empty.
    pub fn get(&self, field: &str) -> Option<&Secret> {
        self.0.get(field).filter(|s| !s.is_empty())
    }

    /// Stores `value` under `field`, replacing an earlier one.
    pub fn set(&mut self, field: impl Into<String>, value: Secret) {
        self.0.insert(field.into(), value);
    }

    /// Removes `field`, returning its value.
    pub fn remove(&mut self, field: &str) -> Option<Secret> {
        self.0.remove(field)
    }

    /// The names of the fields that hold a secret.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Iterates over (field, secret) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Secret)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Whether no secret is stored.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Copies every field of `other` over this one.
    pub fn merge(&mut self, other: Credentials) {
        self.0.extend(other.0);
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// A token a service refused (HTTP 401, ArcGIS 498), known by its SHA-256 only: what
/// `tokentray token --rejected` and `GET …/token?rejected=<hex>` report. The token itself never
/// needs to travel or be kept; [`RejectedToken::matches`] compares in constant time.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RejectedToken([u8; 32]);

impl RejectedToken {
    /// The SHA-256 of `token`.
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// From 64 hex digits (either case); `None` for anything else.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let bytes = hex.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let digit = |b: u8| {
            char::from(b)
                .to_digit(16)
                .and_then(|d| u8::try_from(d).ok())
        };
        let mut out = [0u8; 32];
        for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            *o = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(Self(out))
    }

    /// The 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        use std::fmt::Write as _;
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    /// Whether `token` is the refused one (constant time over the hashes).
    pub fn matches(&self, token: &str) -> bool {
        constant_time_eq(&Self::of(token).0, &self.0)
    }
}

impl std::fmt::Debug for RejectedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RejectedToken(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_secret() {
        let s = Secret::new("canary-3f9a");
        assert_eq!(format!("{s:?}"), "[REDACTED]");
        let mut c = Credentials::new();
        c.set("password", s);
        let shown = format!("{c:?}");
        assert!(
            shown.contains("password"),
            "field names are fine to show: {shown}"
        );
        assert!(!shown.contains("canary"), "values are not: {shown}");
    }

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn empty_secrets_count_as_absent() {
        let mut c = Credentials::new();
        c.set("password", Secret::new(""));
        assert!(c.get("password").is_none());
    }

    #[test]
    fn a_refused_token_is_known_by_its_sha256_in_hex() {
        // sha256("abc"), a published test vector.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(RejectedToken::of("abc").to_hex(), abc);
        let parsed = RejectedToken::from_hex(&abc.to_uppercase()).unwrap();
        assert!(parsed.matches("abc"));
        assert!(!parsed.matches("abd"));
        for bad in [
            "",
            "abc",
            &abc[1..],
            &format!("{abc}0"),
            &abc.replace('b', "g"),
        ] {
            assert!(RejectedToken::from_hex(bad).is_none(), "{bad:?}");
        }
        assert_eq!(format!("{parsed:?}"), "RejectedToken(..)");
    }
}
