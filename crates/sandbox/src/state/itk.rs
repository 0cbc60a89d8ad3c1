//! What uuIdentity knows and has handed out: the people who can sign in with their two access
//! codes, the live `id_token`s and the opaque `at.` access tokens. Signing the `id_token` is the
//! provider's (`crate::itk`); knows nothing about HTTP.

use std::collections::{HashMap, HashSet};

use crate::config::{ItkConfig, ItkUser};
use crate::random::random_token;

/// What a successful `grantToken` hands out.
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) id_token: String,
}

/// The person an `id_token` speaks for, until when.
#[derive(Clone, Debug)]
struct IdEntry {
    uuidentity: String,
    expires_at: u64,
}

/// The people who can sign in and what they were issued.
#[derive(Debug, Default)]
pub(crate) struct ItkState {
    users: HashMap<(String, String), ItkUser>,
    id_tokens: HashMap<String, IdEntry>,
    access_tokens: HashSet<String>,
}

impl ItkState {
    pub(crate) fn from_config(config: &ItkConfig) -> Self {
        let mut state = Self::default();
        config
            .users
            .iter()
            .for_each(|user| state.add_user(user.clone()));
        state
    }

    pub(crate) fn add_user(&mut self, user: ItkUser) {
        let codes = (user.access_code1.clone(), user.access_code2.clone());
        self.users.insert(codes, user);
    }

    /// Signs in with two access codes and issues both tokens: an opaque access token and the
    /// `id_token` that `mint` signs for the person, live until `expires_at`.
    pub(crate) fn grant(
        &mut self,
        code1: &str,
        code2: &str,
        expires_at: u64,
        mint: impl FnOnce(&ItkUser) -> String,
    ) -> Option<Issued> {
        let user = self
            .users
            .get(&(code1.to_owned(), code2.to_owned()))?
            .clone();
        let id_token = mint(&user);
        let access_token = format!("at.{}", random_token(32));
        self.access_tokens.insert(access_token.clone());
        self.id_tokens.insert(
            id_token.clone(),
            IdEntry {
                uuidentity: user.uuidentity.clone(),
                expires_at,
            },
        );
        Some(Issued {
            access_token,
            id_token,
        })
    }

    /// The person behind a live `id_token`. The opaque access token is not a bearer here
    /// (quirk 18), and neither is anything else.
    pub(crate) fn bearer(&self, token: &str, now: u64) -> Option<&ItkUser> {
        let entry = self
            .id_tokens
            .get(token)
            .filter(|entry| entry.expires_at > now)?;
        self.users
            .values()
            .find(|user| user.uuidentity == entry.uuidentity)
    }
}
