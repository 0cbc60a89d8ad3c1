//! The issuer's metadata document (OIDC Discovery 1.0 / RFC 8414). Only endpoints the
//! sandbox really serves are advertised.

use serde_json::{Value, json};

use super::{Issuer, Route};

const AUTH_METHODS: [&str; 3] = ["client_secret_basic", "client_secret_post", "none"];
const GRANT_TYPES: [&str; 3] = ["client_credentials", "password", "refresh_token"];

impl Issuer {
    pub(super) fn metadata(&self) -> Value {
        json!({
            "issuer": self.identifier,
            "token_endpoint": self.url(Route::Token),
            "userinfo_endpoint": self.url(Route::Userinfo),
            "revocation_endpoint": self.url(Route::Revoke),
            "grant_types_supported": GRANT_TYPES,
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
            "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "claims_supported": ["sub", "preferred_username", "name", "email"],
            "subject_types_supported": ["public"],
        })
    }
}
