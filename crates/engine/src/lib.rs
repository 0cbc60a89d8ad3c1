//! Tokentray's engine: connections, their token flows, background refresh and storage. It is
//! free of any GUI toolkit; the CLI, the export endpoint and the desktop app are thin front ends
//! over `Engine`.
#![warn(missing_docs)]

mod audit;
pub mod catalog;
mod config;
mod connection;
pub mod contract;
mod engine;
mod error;
mod events;
mod fields;
pub mod files;
mod login;
mod login_page;
mod loopback;
mod paths;
mod ports;
mod provider;
mod refresh;
mod remedy;
mod secret;
mod sink;
mod state;
mod time;
mod token;
mod vault;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use crate::audit::{AUDIT_KEEP, AuditEntry};
pub use crate::config::{AppSettings, ConfigError, ConfigFile, SCHEMA_VERSION};
pub use crate::connection::{
    ConnectionName, ConnectionSpec, InvalidName, changed_destinations, destination_fingerprint,
};
pub use crate::contract::token::{HeaderJson, TokenJson};
pub use crate::engine::{
    Edit, Edited, Engine, EngineOptions, FormValues, Freshness, Handout, Imported, Inspect,
    LoginRequest, LoginStep, Logins, Manage, Probe, Refreshed, TokenDetail, connection_name,
};
pub use crate::error::{Error, ErrorCode, LoginFailure, Remedy, Result};
pub use crate::events::{ConnectionView, EngineEvent};
pub use crate::fields::{
    ALLOW_HTTP_WARNING, ARCGIS_ONLINE, CDSE_TOKEN_URL, COMMON, FieldDef, FieldError, FieldType,
    ITK_API_URL, ITK_AUTH_URL, LoopbackHost, ProviderKind, RedirectUri, Settings, UnknownKind,
    Value, all_fields, check_redirect_uri, check_token_file, check_url, check_url_with,
    default_for, destination_fields, find as find_field, is_loopback, kind_fields,
};
pub use crate::fields::{
    ArcgisOauthSettings, ArcgisTokenSettings, BasicSettings, ClientAuthMethod, Common, Encoding,
    Grant, IdentitySettings, ItkpdSettings, KindSettings, LoginMethod, OAuthSettings,
    RedirectSettings, StaticSettings, TypedSettings,
};
pub use crate::login::{Browser, LoginPrompt, LoginStart, NoBrowser, RedirectMode};
pub use crate::login_page::{PageError, check_private_dir};
pub use crate::paths::{HOME_ENV, Paths};
pub use crate::ports::{SecretStore, StoreError, StoreInfo, StoreKind};
pub use crate::provider::http::{DEFAULT_LOG_FILTER, insecure_warning};
pub use crate::provider::{
    BadCertificate, CertProblem, FailureClass, IdTokenCheck, LoginInput, ProviderError,
};
pub use crate::refresh::{Backoff, MAX_SLEEP, RENEWAL_WINDOW};
pub use crate::secret::{Credentials, RejectedToken, Secret, constant_time_eq};
pub use crate::state::{ConnectionState, HISTORY_KEEP, HistoryEntry, HistoryOutcome, Status};
pub use crate::time::{Clock, SystemClock, Timestamp, format_remaining};
pub use crate::token::{Identity, TokenSet, jwt_claims, jwt_lifetime, local_expiry};
