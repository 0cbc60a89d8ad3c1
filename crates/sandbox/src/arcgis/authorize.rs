//! `oauth2/authorize`, made non-interactive for tests: GET answers a sign-in form; posting
//! `username` and `password` to the same URL (query included) answers 302 to
//! `redirect_uri?code=…&state=…`, or, for the out-of-band redirect, a page showing the code
//! (protocols.md §4.2, quirk 8). A wrong password shows the form again with an error; posting
//! `cancel` redirects with `error=access_denied`. PKCE (`S256` or `plain`) is optional, and
//! the `expiration` (minutes) sets the lifetime of the refresh token the code will bring.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::Portal;
use super::pages;
use super::request::ArcgisRequest;
use crate::config::{ArcgisApp, OOB_REDIRECT_URI};
use crate::state::arcgis::{Challenge, PendingCode};

/// The longest refresh-token lifetime an authorize request can ask for (90 days).
const MAX_REFRESH_SECS: u64 = 90 * 24 * 3600;

/// A valid authorize request: a known app and one of its redirect URIs.
struct Ask {
    app: ArcgisApp,
    redirect_uri: String,
    state: Option<String>,
    challenge: Option<Challenge>,
    refresh_secs: u64,
}

/// Why an authorize request cannot go on.
enum Refusal {
    /// The portal cannot trust the redirect URI: an error page, no redirect.
    Page(&'static str),
    /// The redirect URI is fine: send the error back to it.
    Back {
        ask: Box<Ask>,
        error: &'static str,
        description: &'static str,
    },
}

impl Portal {
    pub(super) fn authorize(&self, request: &ArcgisRequest) -> Response {
        let ask = match self.ask(request) {
            Ok(ask) => ask,
            Err(Refusal::Page(message)) => return pages::authorize_error(message),
            Err(Refusal::Back {
                ask,
                error,
                description,
            }) => return send_back(&ask, Err((error, description))),
        };
        if !request.is_post() {
            return self.sign_in_form(request, &ask, None);
        }
        if request.body_param("cancel").is_some() {
            return send_back(
                &ask,
                Err(("access_denied", "The user denied your request.")),
            );
        }
        match self.issue_code(request, &ask) {
            Some(code) => send_back(&ask, Ok(&code)),
            None => self.sign_in_form(request, &ask, Some("Invalid username or password.")),
        }
    }

    fn ask(&self, request: &ArcgisRequest) -> Result<Ask, Refusal> {
        let app = request
            .param("client_id")
            .and_then(|id| self.shared.lock().arcgis.apps.get(id).cloned())
            .ok_or(Refusal::Page("Invalid client_id"))?;
        let redirect_uri = request
            .param("redirect_uri")
            .filter(|uri| app.allows_redirect(uri))
            .ok_or(Refusal::Page("Invalid redirect_uri"))?
            .to_owned();
        let mut ask = Ask {
            app,
            redirect_uri,
            state: request.param("state").map(str::to_owned),
            challenge: None,
            refresh_secs: self.refresh_secs(request.param("expiration")),
        };
        let refuse = |ask, error, description| Refusal::Back {
            ask: Box::new(ask),
            error,
            description,
        };
        if request.param("response_type") != Some("code") {
            return Err(refuse(
                ask,
                "unsupported_response_type",
                "Invalid response_type",
            ));
        }
        match challenge(request) {
            Ok(challenge) => ask.challenge = challenge,
            Err(description) => return Err(refuse(ask, "invalid_request", description)),
        }
        Ok(ask)
    }

    fn refresh_secs(&self, expiration: Option<&str>) -> u64 {
        expiration
            .and_then(|minutes| minutes.parse::<u64>().ok())
            .map_or(self.config().refresh_token_secs, |minutes| {
                minutes.saturating_mul(60).clamp(60, MAX_REFRESH_SECS)
            })
    }

    fn sign_in_form(&self, request: &ArcgisRequest, ask: &Ask, error: Option<&str>) -> Response {
        let action = format!(
            "{}/sharing/rest/oauth2/authorize?{}",
            self.base,
            request.raw_query()
        );
        pages::sign_in(&ask.app.title, &action, error)
    }

    /// Signs the user in and hands out a code, or `None` for a wrong username or password.
    fn issue_code(&self, request: &ArcgisRequest, ask: &Ask) -> Option<String> {
        let username = request.body_param("username")?;
        let password = request.body_param("password")?;
        let now = self.shared.now_secs();
        let mut state = self.shared.lock();
        let user = state.arcgis.sign_in(username, password)?.username.clone();
        let pending = PendingCode {
            client_id: ask.app.client_id.clone(),
            username: user,
            redirect_uri: ask.redirect_uri.clone(),
            challenge: ask.challenge.clone(),
            refresh_secs: ask.refresh_secs,
            expires_at: 0,
        };
        Some(state.arcgis.tokens.issue_code(pending, now))
    }
}

/// The PKCE challenge, if any; RFC 7636 §4.3: no method means `plain`.
fn challenge(request: &ArcgisRequest) -> Result<Option<Challenge>, &'static str> {
    let Some(challenge) = request.param("code_challenge") else {
        return Ok(None);
    };
    let challenge = challenge.to_owned();
    match request.param("code_challenge_method") {
        Some("S256") => Ok(Some(Challenge::S256(challenge))),
        Some("plain") | None => Ok(Some(Challenge::Plain(challenge))),
        Some(_) => Err("Invalid code_challenge_method"),
    }
}

/// The end of the authorize step: a redirect with `code` (first, then `state`) or `error`, or,
/// for the out-of-band redirect, a page.
fn send_back(ask: &Ask, outcome: Result<&str, (&str, &str)>) -> Response {
    if ask.redirect_uri == OOB_REDIRECT_URI {
        return match outcome {
            Ok(code) => pages::out_of_band(code),
            Err((_, description)) => pages::authorize_error(description),
        };
    }
    let Ok(mut target) = Url::parse(&ask.redirect_uri) else {
        return pages::authorize_error("Invalid redirect_uri");
    };
    {
        let mut query = target.query_pairs_mut();
        match outcome {
            Ok(code) => query.append_pair("code", code),
            Err((error, description)) => query
                .append_pair("error", error)
                .append_pair("error_description", description),
        };
        if let Some(state) = &ask.state {
            query.append_pair("state", state);
        }
    }
    found(&target)
}

fn found(target: &Url) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(location) = HeaderValue::from_str(target.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}
