//! What the engine tells its front ends: a connection changed (status, expiry, identity) or
//! went away. Events never carry secrets.

use serde::Serialize;

use crate::connection::{ConnectionName, ProviderKind};
use crate::fields::LoginMethod;
use crate::ports::StoreKind;
use crate::state::Status;
use crate::time::Timestamp;
use crate::token::Identity;

/// A connection as front ends show it: no secrets, ever.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConnectionView {
    /// The unique name.
    pub name: ConnectionName,
    /// The provider kind.
    pub kind: ProviderKind,
    /// The display label.
    pub label: String,
    /// Where it stands.
    pub status: Status,
    /// When the access token expires, if known.
    pub expires_at: Option<Timestamp>,
    /// When the refresh token or session ends, if known.
    pub refresh_expires_at: Option<Timestamp>,
    /// When the session ends and a person must log in again, if that is known.
    pub needs_login_at: Option<Timestamp>,
    /// Who the token belongs to.
    pub identity: Option<Identity>,
    /// Who it belonged to before the last login signed in as someone else (until acknowledged
    /// or the next login); while signed out, the last account. A change is to be shown only
    /// when `identity` is known too.
    pub previous_identity: Option<Identity>,
    /// When a token was last obtained.
    pub last_refresh: Option<Timestamp>,
    /// The last error, in words.
    pub last_error: Option<String>,
    /// Where its secrets live.
    pub store: Option<StoreKind>,
    /// Whether the token may be handed to other tools.
    pub exportable: bool,
    /// Whether it is kept fresh in the background.
    pub keep_fresh: bool,
    /// The header that carries the token: the setting, else the kind's default.
    pub header_name: String,
    /// What comes before the token in the header (`Bearer`, `Basic`; empty for none): the
    /// setting, else the kind's default.
    pub header_prefix: String,
    /// Where the token is also written for other tools (`token_file`), if anywhere.
    pub token_file: Option<String>,
    /// The `Referer` API calls must send with the token (a referer-bound ArcGIS token).
    pub referer: Option<String>,
    /// Whether plain http to a non-loopback host is allowed (`allow_http`): shown as a warning.
    pub allow_http: bool,
    /// How it logs in: what a front end asks of the person, if anything.
    pub login: LoginMethod,
}

/// Something front ends may want to redraw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
    /// A connection was added or its state changed.
    Changed {
        /// Its new view (boxed: events are moved through channels often).
        connection: Box<ConnectionView>,
    },
    /// A connection was removed.
    Removed {
        /// Its name.
        name: ConnectionName,
    },
}
