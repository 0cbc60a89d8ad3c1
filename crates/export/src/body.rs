//! The token response bodies, prepared once per hand-out. Of the token JSON only `expires_in`
//! changes from one request to the next, so the contract cuts the serialised
//! [`tokentray_engine::TokenJson`] around it once for each hand-out the engine gives (it shares
//! one per token) and each response is two copies and a number.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, RwLock};

use tokentray_engine::contract::token::wipe_bytes;
use tokentray_engine::{Handout, Timestamp, TokenJson};

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
        let (head, tail) = TokenJson::prepared(&handout)?;
        Ok(Self {
            handout,
            head,
            tail,
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

fn wipe(mut bytes: Vec<u8>) {
    wipe_bytes(&mut bytes);
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
    use tokentray_engine::{ConnectionName, Identity, ProviderKind, Secret, Timestamp};

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
