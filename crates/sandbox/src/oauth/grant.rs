//! The token endpoint's decision: which grant a request asks for and whether it is granted.
//! Runs under the state lock and never awaits.

use super::Issuer;
use super::client_auth::authenticate;
use super::failure::Failure;
use super::request::FormRequest;
use crate::config::{AuthMethod, ClientConfig};
use crate::state::Registry;
use crate::state::oauth::{Grant, Issued, Subject, TokenStore};

impl Issuer {
    /// Authenticates the client and runs the grant the request names.
    pub(super) fn grant(&self, request: &FormRequest) -> Result<Issued, Failure> {
        request.check_shape()?;
        let now = self.shared.now_secs();
        let mut state = self.shared.lock();
        let (registry, tokens) = state.split(self.dialect);
        let client = authenticate(request.presented(), registry)?;
        let run = GrantRun {
            issuer: self,
            request,
            client,
            now,
        };
        match request.require("grant_type")? {
            "client_credentials" => run.client_credentials(tokens),
            "password" => run.password(registry, tokens),
            "refresh_token" => run.refresh(tokens),
            _ => Err(Failure::UnsupportedGrantType),
        }
    }
}

struct GrantRun<'a> {
    issuer: &'a Issuer,
    request: &'a FormRequest,
    client: &'a ClientConfig,
    now: u64,
}

impl GrantRun<'_> {
    fn client_credentials(&self, tokens: &mut TokenStore) -> Result<Issued, Failure> {
        if self.client.auth_method == AuthMethod::None {
            return Err(Failure::PublicClientCredentials);
        }
        // RFC 6749 §4.4.3: a refresh token SHOULD NOT be included.
        Ok(self.issue(
            tokens,
            Subject::Service(self.client.client_id.clone()),
            false,
        ))
    }

    fn password(&self, registry: &Registry, tokens: &mut TokenStore) -> Result<Issued, Failure> {
        let username = self.request.require("username")?;
        let password = self.request.require("password")?;
        let user = registry
            .users
            .get(username)
            .filter(|user| user.password == password)
            .ok_or(Failure::BadUserCredentials)?;
        if self.issuer.dialect.checks_totp() && user.totp.is_some() {
            // Keycloak reads `otp` and still accepts the older `totp` field.
            let code = self.request.get("otp").or(self.request.get("totp"));
            if code != user.totp.as_deref() {
                return Err(Failure::BadUserCredentials);
            }
        }
        Ok(self.issue(tokens, Subject::User(user.username.clone()), true))
    }

    fn refresh(&self, tokens: &mut TokenStore) -> Result<Issued, Failure> {
        let token = self.request.require("refresh_token")?;
        if let (Some(requested), Some(granted)) =
            (self.request.get("scope"), tokens.refresh_scope(token))
            && !is_subset(requested, granted)
        {
            return Err(Failure::InvalidScope);
        }
        Ok(tokens.refresh(&self.issuer.minter(), self.client, token, self.now)?)
    }

    fn issue(&self, tokens: &mut TokenStore, subject: Subject, with_refresh: bool) -> Issued {
        let scope = self
            .request
            .get("scope")
            .filter(|scope| !scope.is_empty())
            .unwrap_or(&self.client.scope)
            .to_owned();
        let grant = Grant {
            client: self.client,
            subject,
            scope,
            with_refresh,
        };
        tokens.issue(&self.issuer.minter(), grant, self.now)
    }
}

fn is_subset(requested: &str, granted: &str) -> bool {
    requested
        .split_whitespace()
        .all(|scope| granted.split_whitespace().any(|have| have == scope))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrower_scope_is_a_subset_and_a_wider_one_is_not() {
        assert!(is_subset("read", "read write"));
        assert!(!is_subset("read admin", "read write"));
    }
}
