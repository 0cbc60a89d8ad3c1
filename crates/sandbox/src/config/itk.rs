//! What the uuIdentity server starts with: the people who can sign in with their two access
//! codes, the token lifetime and the audience. Plain values and their validation.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// A person known to uuIdentity, who signs in with two access codes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItkUser {
    /// The first access code (`accessCode1`).
    pub access_code1: String,
    /// The second access code (`accessCode2`).
    pub access_code2: String,
    /// The `uuidentity` claim, `digits-digits-digits` (e.g. `1-2345-1`).
    pub uuidentity: String,
    /// The `name` claim.
    pub name: String,
}

impl ItkUser {
    /// A person with these access codes, identity and display name.
    pub fn new(
        access_code1: impl Into<String>,
        access_code2: impl Into<String>,
        uuidentity: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            access_code1: access_code1.into(),
            access_code2: access_code2.into(),
            uuidentity: uuidentity.into(),
            name: name.into(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.access_code1.is_empty() || self.access_code2.is_empty() {
            // Empty codes are the server error path (500 "Secret must be not null.").
            return Err(ConfigError::EmptyAccessCode {
                uuidentity: self.uuidentity.clone(),
            });
        }
        Ok(())
    }
}

impl fmt::Debug for ItkUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItkUser")
            .field("uuidentity", &self.uuidentity)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Everything the uuIdentity server starts with. [`ItkConfig::demo`] is the documented default.
#[derive(Clone, Debug)]
pub struct ItkConfig {
    pub(crate) users: Vec<ItkUser>,
    pub(crate) token_secs: u64,
    pub(crate) audience: String,
}

impl ItkConfig {
    /// No users; tokens last 1800 s; the audience is the production `ITkPD` URL, used when the
    /// requested `scope` names none.
    pub fn empty() -> Self {
        Self {
            users: Vec::new(),
            token_secs: 1800,
            audience: "https://itkpd.unicornuniversity.net".to_owned(),
        }
    }

    /// The demo people described in the crate documentation.
    pub fn demo() -> Self {
        Self::empty()
            .user(ItkUser::new(
                "jane-code-1",
                "jane-code-2",
                "1-2345-1",
                "Jane Example",
            ))
            .user(ItkUser::new(
                "pierre-code-1",
                "pierre-code-2",
                "2-3456-1",
                "Pierre Example",
            ))
    }

    /// Registers a person (later ones with the same two codes replace earlier ones).
    #[must_use]
    pub fn user(mut self, user: ItkUser) -> Self {
        self.users.push(user);
        self
    }

    /// The `id_token` lifetime (`expires_in`, `exp − iat`; default 1800 s).
    #[must_use]
    pub fn token_secs(mut self, secs: u64) -> Self {
        self.token_secs = secs;
        self
    }

    /// The API audience put into `aud` when the `scope` names none.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        self.users.iter().try_for_each(ItkUser::validate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_without_both_codes_is_refused() {
        let user = ItkUser::new("a", "", "1-1-1", "A");
        assert!(matches!(
            user.validate(),
            Err(ConfigError::EmptyAccessCode { .. })
        ));
    }

    #[test]
    fn debug_output_never_shows_access_codes() {
        let text = format!("{:?}", ItkConfig::demo());
        assert!(!text.contains("jane-code-1") && !text.contains("jane-code-2"));
    }
}
