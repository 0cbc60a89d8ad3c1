//! What a provider tells the engine to run a browser or device login: the endpoints the
//! pending login remembers (so the code is redeemed where it was asked for, never where a later
//! response points: the mix-up defence), and the device flow's codes.

use std::time::Duration;

use url::Url;

use crate::secret::Secret;
use crate::time::Timestamp;
use crate::token::TokenSet;

/// An authorization-code login's fixed parameters.
#[derive(Clone, Debug)]
pub(crate) struct Authorization {
    pub authorize_url: Url,
    pub token_url: Url,
    pub client_id: String,
    pub scope: Option<String>,
    pub params: Vec<(String, String)>,
    pub pkce: bool,
    /// What the callback's `iss` must be (RFC 9207).
    pub iss: crate::login::IssCheck,
    /// The OpenID `nonce` sent with this login (fresh for each one when the scope has
    /// `openid`); the ID token it brings back must carry it.
    pub nonce: Option<Secret>,
    /// Where the issuer publishes its keys, to check the ID token with.
    pub jwks_uri: Option<Url>,
}

/// A started device authorization (RFC 8628).
#[derive(Clone, Debug)]
pub(crate) struct DeviceStart {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub interval: Duration,
    pub expires_at: Timestamp,
    pub token_url: Url,
}

/// One poll of the token endpoint during a device login.
#[derive(Debug)]
pub(crate) enum DevicePoll {
    /// The person has not finished yet.
    Pending,
    /// Poll less often (+5 s from now on).
    SlowDown,
    /// Signed in.
    Done(TokenSet),
}
