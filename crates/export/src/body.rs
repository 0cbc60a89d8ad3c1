//! The token response bodies, prepared once per hand-out. Of the token JSON only `expires_in`
//! changes from one request to the next, so the bytes before and after it are serialised once
//! for each hand-out the engine gives (it shares one per token) and each response is two copies
//! and a number. The bytes are the same as serialising [`tokentray_engine::TokenJson`].

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, RwLock};

use serde::Serialize;
use tokentray_engine::{ConnectionName, Handout, Identity, ProviderKind, Timestamp};

/// The token JSON of one hand-out, cut around `expires_in`.
pub(crate) struct TokenBody {
    handout: Arc<Handout>,
    /// `{"connection":…,"expires_at":…,"expires_in":`
    head: Vec<u8>,
    /// `,"header":{…},"identity":…,"referer":…}`
    tail: Vec<u8>,
}

impl TokenBody {
    fn new(handout: Arc<Handout>) -> serde_json::Result<Self> {
        let head = serde_json::to_vec(&Head {
            connection: &handout.connection,
            kind: handout.kind,
            token_type: &handout.token_type,
            access_token: handout.token.expose(),
            expires_at: handout.expires_at.map(Timestamp::to_rfc3339),
        })?;
        let tail = serde_json::to_vec(&Tail {
            header: HeaderRef {
                name: &handout.header_name,
                value: handout.header_value.expose(),
            },
            identity: handout.identity.as_ref(),
            referer: handout.referer.as_deref(),
        })?;
        // `{…}` and `{…}` become `{…,"expires_in":` and `,…}`.
        let mut joined_head = Vec::with_capacity(head.len() + 16);
        joined_head.extend_from_slice(&head[..head.len() - 1]);
        joined_head.extend_from_slice(b",\"expires_in\":");
        let mut joined_tail = Vec::with_capacity(tail.len());
        joined_tail.push(b',');
        joined_tail.extend_from_slice(&tail[1..]);
        wipe(head);
        wipe(tail);
        Ok(Self {
            handout,
            head: joined_head,
            tail: joined_tail,
        })
    }

    /// The body as of `now`.
    pub(crate) fn at(&self, now: Timestamp) -> Vec<u8> {
        let mut body = Vec::with_capacity(self.head.len() + 20 + self.tail.len());
        body.extend_from_slice(&self.head);
        match self.handout.expires_at {
            Some(at) => {
                // Writing to a `Vec` cannot fail.
                let _ = write!(body, "{}", at.since(now).as_secs());
            }
            None => body.extend_from_slice(b"null"),
        }
        body.extend_from_slice(&self.tail);
        body
    }
}

impl Drop for TokenBody {
    fn drop(&mut self) {
        wipe(std::mem::take(&mut self.head));
        wipe(std::mem::take(&mut self.tail));
    }
}

/// Overwrites bytes that held a token before they are freed.
fn wipe(mut bytes: Vec<u8>) {
    bytes.fill(0);
    // Keeps the writes to memory about to be freed from being optimised away.
    std::hint::black_box(&bytes);
}

#[derive(Serialize)]
struct Head<'a> {
    connection: &'a ConnectionName,
    kind: ProviderKind,
    token_type: &'a str,
    access_token: &'a str,
    expires_at: Option<String>,
}

#[derive(Serialize)]
struct Tail<'a> {
    header: HeaderRef<'a>,
    identity: Option<&'a Identity>,
    referer: Option<&'a str>,
}

#[derive(Serialize)]
struct HeaderRef<'a> {
    name: &'a str,
    value: &'a str,
}

/// The prepared body of each connection's current hand-out.
#[derive(Default)]
pub(crate) struct Bodies {
    // Read-mostly: written once per new hand-out.
    by_name: RwLock<HashMap<String, Arc<TokenBody>>>,
}

impl Bodies {
    /// The prepared body of `handout`, prepared now if it is a new one.
    pub(crate) fn of(&self, handout: &Arc<Handout>) -> serde_json::Result<Arc<TokenBody>> {
        let name = handout.connection.as_str();
        if let Some(body) = self.by_name.read().expect("bodies lock").get(name)
            && Arc::ptr_eq(&body.handout, handout)
        {
            return Ok(body.clone());
        }
        let body = Arc::new(TokenBody::new(handout.clone())?);
        self.by_name
            .write()
            .expect("bodies lock")
            .insert(name.to_owned(), body.clone());
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use tokentray_engine::{Secret, Timestamp};

    use super::*;

    fn handout(expires_at: Option<Timestamp>, identity: Option<Identity>) -> Arc<Handout> {
        handout_with(expires_at, identity, None)
    }

    fn handout_with(
        expires_at: Option<Timestamp>,
        identity: Option<Identity>,
        referer: Option<&str>,
    ) -> Arc<Handout> {
        Arc::new(Handout {
            connection: ConnectionName::new("api").unwrap(),
            kind: ProviderKind::Oauth2,
            token: Secret::new("t\"o\\k\u{e9}n"),
            token_type: "Bearer".into(),
            expires_at,
            header_name: "Authorization".into(),
            header_value: Secret::new("Bearer t\"o\\k\u{e9}n"),
            identity,
            referer: referer.map(str::to_owned),
        })
    }

    #[test]
    fn the_prepared_body_is_byte_for_byte_the_token_json() {
        let now = Timestamp::from_secs(1_800_000_000);
        let identity = Identity {
            name: Some("Ada \"L\"".into()),
            ..Identity::subject("ada")
        };
        for (expires_at, identity, referer) in [
            (
                Some(now.plus(std::time::Duration::from_millis(3_599_500))),
                Some(identity),
                Some("https://app.example/\"map\""),
            ),
            (
                Some(now.minus(std::time::Duration::from_secs(5))),
                None,
                None,
            ),
            (None, None, None),
        ] {
            let h = handout_with(expires_at, identity, referer);
            let expected = serde_json::to_vec(&h.to_json(now)).unwrap();
            let body = TokenBody::new(h).unwrap().at(now);
            assert_eq!(
                String::from_utf8(body).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }

    #[test]
    fn a_new_hand_out_gets_a_new_body() {
        let bodies = Bodies::default();
        let first = handout(None, None);
        let a = bodies.of(&first).unwrap();
        assert!(
            Arc::ptr_eq(&a, &bodies.of(&first).unwrap()),
            "prepared once"
        );
        let second = handout(None, None);
        assert!(!Arc::ptr_eq(&a, &bodies.of(&second).unwrap()));
    }
}
