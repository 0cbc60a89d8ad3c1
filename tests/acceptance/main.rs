//! The engine end to end over real HTTP: against the sandbox providers (every fault they can
//! inject) and against a real OpenID provider.

// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod background;
mod dot;
mod faults;
mod id_token;
mod keycloak;
mod login;
mod login_owner;
mod login_trust;
mod oauth2_sandbox;
mod oidc_provider;
mod rejected;
mod renewal_limit;
mod tls_proxy;
mod vendors;
mod vendors_round2;
