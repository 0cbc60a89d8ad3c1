//! Local token services that behave like the real ones (see `reference/protocols.md`), for the
//! engine's integration tests over real HTTP, the desktop app's demo mode, and the standalone
//! `tokentray-sandbox` binary.
//!
//! One axum server on 127.0.0.1 serves every provider under its own path prefix:
//!
//! | Provider | Issuer | Routes below the issuer |
//! |---|---|---|
//! | generic OAuth 2.0/OIDC | `<url>oauth` | `.well-known/openid-configuration`, `token`, `userinfo`, `revoke` (+ RFC 8414 metadata at `<url>.well-known/oauth-authorization-server/oauth`) |
//! | Keycloak realm | `<url>keycloak/realms/demo` | `.well-known/openid-configuration`, `protocol/openid-connect/{token,userinfo,revoke}` |
//! | `ArcGIS` portal | `<url>arcgis` (the `<portal_url>`) | `sharing/rest/generateToken`, `sharing/rest/oauth2/{authorize,token,revokeToken}`, `sharing/rest/community/self`, `sharing/rest/portals/self`; stand-alone server: `tokens/generateToken`, `rest/info` |
//! | uuIdentity / ITk | `<url>itk/oidc/` (trailing slash) | `grantToken`, `listKeys`; the ITk API at `<url>itk/api/getUser` |
//! | admin API | – | `<url>_admin/…` (see below) |
//!
//! Each provider is one module (`oauth`, with the Keycloak realm as its dialect `oauth::keycloak`;
//! `arcgis`; `itk`), mounted beside the others in `control.rs`. The `ArcGIS` and uuIdentity
//! modules document, quirk by quirk, what they reproduce of protocols.md §1, §2 and §4.
//!
//! Below the providers, and never naming them: `state` (the shared state, with what each
//! provider has issued in `state::{oauth, arcgis, itk}`), `config` (plain values: clients, users,
//! each provider's registrations, `ConfigError`), `record`, `fault`, `clock`, `minter`, `random`
//! and `wire`. Above them: `control`, `admin` and `sandbox`, which mount and drive the providers.
//!
//! # Generic token endpoint
//! Form bodies only (credentials in the URL query: 400 `invalid_request`). Grants
//! `client_credentials`, `password`, `refresh_token`. Client authentication per RFC 6749
//! §2.3.1; every client has exactly one allowed method and any other gives 401
//! `invalid_client`. Access tokens are HS256 JWTs with `iss`, `sub`, `client_id`, `scope`,
//! `iat`, `exp` (and `preferred_username` for user grants). Refresh tokens are opaque and rotate
//! per client ([`Rotation`]); with a refresh lifetime, responses carry `refresh_expires_in`.
//! Revoking a refresh token (RFC 7009) ends its whole family. The Keycloak realm adds
//! Keycloak's status codes, descriptions and fields, and demands a user's `otp`/`totp`.
//!
//! # Demo configuration ([`SandboxConfig::demo`], used by [`Sandbox::start`] and the binary)
//!
//! | `client_id` | secret | auth method | rotation | access / refresh lifetime |
//! |---|---|---|---|---|
//! | `demo-cc` | `demo-cc-secret` | `client_secret_basic` | none | 3600 s / never |
//! | `demo-post` | `demo-post-secret` | `client_secret_post` | none | 3600 s / never |
//! | `demo-public` | – | `none` | none | 300 s / 86400 s |
//! | `demo-rotate` | – | `none` | strict (reuse revokes the family) | 3600 s / never |
//! | `cdse-public` | – | `none` | none | 600 s / 3600 s |
//!
//! Users: `ada` / `lovelace` (Ada Lovelace, `ada@example.org`) and `grace` / `hopper`
//! (Grace Hopper, `grace@example.org`, one-time code `424242` at the Keycloak realm).
//!
//! `ArcGIS` ([`ArcgisConfig::demo`]): users `gis-analyst` / `contours` (Gerda Mercator,
//! `org_publisher`) and `gis-viewer` / `basemap` (Abraham Ortelius, `org_user`); apps
//! `tt-arcgis-app` (public; redirects `http://127.0.0.1/callback` on any port,
//! `tokentray://oauth/callback` and `urn:ietf:wg:oauth:2.0:oob`) and `tt-arcgis-cc` (secret
//! `tt-arcgis-cc-secret`, for app logins; redirect `urn:ietf:wg:oauth:2.0:oob`). Tokens: OAuth
//! user 1800 s, app 7200 s, refresh two weeks; `generateToken` 60 minutes unless asked, at most
//! 20160; portal name `Tokentray Sandbox Portal`, `orgId` `TtSandboxOrg0001`.
//!
//! uuIdentity ([`ItkConfig::demo`]): access codes `jane-code-1` + `jane-code-2` (Jane Example,
//! `1-2345-1`) and `pierre-code-1` + `pierre-code-2` (Pierre Example, `2-3456-1`); tokens last
//! 1800 s; the audience when the scope names none is `https://itkpd.unicornuniversity.net`.
//!
//! The server binds an ephemeral port unless told otherwise (`--port` for the binary).
//!
//! # Tests
//! [`Sandbox::inject`] queues a [`Fault`] for the next requests to an [`Endpoint`];
//! [`Sandbox::count`], [`Sandbox::grant_count`] and [`Sandbox::requests`] tell what clients
//! did (never secrets); [`Sandbox::advance_clock`] (or a [`SandboxClock`] in the config) makes
//! tokens expire without waiting; [`Sandbox::wait_for`] awaits a request without polling.
//!
//! The admin API offers the same to other processes: `POST /_admin/fault`,
//! `GET /_admin/counters`, `POST /_admin/clients`, `POST /_admin/users` (both with a
//! `provider` field for `ArcGIS` and uuIdentity), `POST /_admin/clock`,
//! `POST /_admin/refresh-token`, `POST /_admin/revoke` (ends an access token at once, as the
//! service's administrator would), `POST /_admin/reset` (bodies documented in `admin.rs`).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use tokentray_sandbox::{Endpoint, Fault, Provider, Sandbox};
//! let sandbox = Sandbox::start().await?;
//! let issuer = sandbox.issuer(Provider::OAuth); // http://127.0.0.1:PORT/oauth
//! sandbox.inject(Endpoint::Token, Fault::Status(503), 1);
//! // … point a client at `issuer` …
//! assert_eq!(sandbox.count(Endpoint::Token), 0);
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod admin;
mod arcgis;
mod clock;
mod config;
mod control;
mod fault;
mod itk;
mod minter;
mod oauth;
mod random;
mod record;
mod sandbox;
mod state;
mod wire;

pub use crate::clock::{FixedClock, SandboxClock, SystemClock};
pub use crate::config::{
    ArcgisApp, ArcgisConfig, ArcgisUser, AuthMethod, ClientConfig, ConfigError,
    DEFAULT_ACCESS_TOKEN_SECS, ItkConfig, ItkUser, OOB_REDIRECT_URI, Rotation, SandboxConfig, User,
};
pub use crate::control::Provider;
pub use crate::fault::{Endpoint, Fault, OVERSIZED_BODY_BYTES};
pub use crate::record::{Counters, LOG_CAPACITY, RequestRecord, TokenPlacement};
pub use crate::sandbox::Sandbox;
