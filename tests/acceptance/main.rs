//! The engine end to end over real HTTP: against the sandbox providers (every fault they can
//! inject) and against a real OpenID provider.

mod background;
mod faults;
mod keycloak;
mod oauth2_sandbox;
mod oidc_provider;
