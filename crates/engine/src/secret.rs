//! Redacting secret types. Every secret the engine touches (passwords, client secrets, access
//! codes, tokens, the export key) is one of these; `Debug` and `Display` print `[REDACTED]`,
//! and nothing derives `Serialize`. `expose()` is the one door out and is easy to grep.

use std::collections::BTreeMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};

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
}
