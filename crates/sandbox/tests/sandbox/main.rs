//! The sandbox's behaviour over real HTTP on 127.0.0.1, one file per concern. These tests are
//! the specification of what the engine's integration tests can rely on.
// Helpers shared by the tests unwrap too: a failure there is the test failing.
#![allow(clippy::unwrap_used)]

mod admin;
mod arcgis;
mod binary;
mod client_auth;
mod discovery;
mod faults;
mod itk;
mod keycloak;
mod lifecycle;
mod records;
mod rotation;
mod support;
mod userinfo_revoke;
