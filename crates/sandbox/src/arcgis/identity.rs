//! Who a token speaks for: `community/self` (the signed-in user) and `portals/self` (the portal,
//! with `user` for user tokens and `appInfo` for app tokens), protocols.md §1.9 and §4.7.
//! Tokens are checked for expiry and, when bound, for the same `Referer` (quirk 5).

use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::Portal;
use super::pages;
use super::request::ArcgisRequest;
use super::wire::{ArcgisError, json_ok};
use crate::config::{ArcgisApp, ArcgisUser};
use crate::state::arcgis::Holder;

/// A user as `community/self` (and `portals/self`'s `user`) describe them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommunityUser<'a> {
    username: &'a str,
    full_name: &'a str,
    email: &'a str,
    role: &'a str,
    privileges: Vec<&'static str>,
    org_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppInfo<'a> {
    app_id: &'a str,
    item_id: String,
    app_title: &'a str,
    app_owner: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PortalSelf<'a> {
    name: &'a str,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<CommunityUser<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_info: Option<AppInfo<'a>>,
}

/// Whom a request's token speaks for, resolved to the registrations.
enum Caller {
    Anonymous,
    User(ArcgisUser),
    App(ArcgisApp),
}

impl Portal {
    pub(super) fn community_self(&self, request: &ArcgisRequest) -> Response {
        if !request.wants_json() {
            return pages::directory("User");
        }
        match self.caller(request) {
            Ok(Caller::User(user)) => json_ok(&self.community_user(&user)),
            Ok(Caller::App(_)) => ArcgisError::Forbidden.into_response(),
            Ok(Caller::Anonymous) => ArcgisError::TokenRequired.into_response(),
            Err(error) => error.into_response(),
        }
    }

    /// Anonymous callers get the public portal description.
    pub(super) fn portal_self(&self, request: &ArcgisRequest) -> Response {
        if !request.wants_json() {
            return pages::directory("Portal Self");
        }
        let caller = match self.caller(request) {
            Ok(caller) => caller,
            Err(error) => return error.into_response(),
        };
        let config = self.config();
        let mut body = PortalSelf {
            name: &config.portal_name,
            id: &config.org_id,
            user: None,
            app_info: None,
        };
        match &caller {
            Caller::User(user) => body.user = Some(self.community_user(user)),
            Caller::App(app) => body.app_info = Some(app_info(app)),
            Caller::Anonymous => {}
        }
        json_ok(&body)
    }

    /// The caller behind the request's token: 498 when the token is unknown, expired, or bound
    /// to a `Referer` the request does not carry.
    fn caller(&self, request: &ArcgisRequest) -> Result<Caller, ArcgisError> {
        let Some((_, token)) = request.token() else {
            return Ok(Caller::Anonymous);
        };
        let now_ms = self.shared.now_millis();
        let state = self.shared.lock();
        let portal = &state.arcgis;
        let entry = portal
            .tokens
            .access(token, now_ms)
            .ok_or(ArcgisError::InvalidToken)?;
        if let Some(bound) = &entry.referer
            && !same_referer(bound, request.referer())
        {
            return Err(ArcgisError::InvalidToken);
        }
        let caller = match &entry.holder {
            Holder::User(name) => portal.users.get(name).cloned().map(Caller::User),
            Holder::App(client_id) => portal.apps.get(client_id).cloned().map(Caller::App),
        };
        caller.ok_or(ArcgisError::InvalidToken)
    }

    fn community_user<'a>(&'a self, user: &'a ArcgisUser) -> CommunityUser<'a> {
        CommunityUser {
            username: &user.username,
            full_name: &user.full_name,
            email: &user.email,
            role: &user.role,
            privileges: privileges(&user.role),
            org_id: &self.config().org_id,
        }
    }
}

fn app_info(app: &ArcgisApp) -> AppInfo<'_> {
    AppInfo {
        app_id: &app.client_id,
        item_id: app.item_id(),
        app_title: &app.title,
        app_owner: &app.owner,
    }
}

/// A bound token needs the same `Referer` (a trailing slash does not matter).
fn same_referer(bound: &str, sent: Option<&str>) -> bool {
    sent.is_some_and(|sent| sent.trim_end_matches('/') == bound.trim_end_matches('/'))
}

fn privileges(role: &str) -> Vec<&'static str> {
    let mut privileges = vec!["portal:user:joinGroup", "portal:user:viewOrgItems"];
    if matches!(role, "org_publisher" | "org_admin") {
        privileges.extend(["portal:user:createItem", "portal:publisher:publishFeatures"]);
    }
    if role == "org_admin" {
        privileges.push("portal:admin:viewUsers");
    }
    privileges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_token_needs_the_same_referer() {
        assert!(same_referer(
            "https://app.example.org",
            Some("https://app.example.org/")
        ));
        assert!(!same_referer(
            "https://app.example.org",
            Some("https://evil.example")
        ));
        assert!(!same_referer("https://app.example.org", None));
    }
}
