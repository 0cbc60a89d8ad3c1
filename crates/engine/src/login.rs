//! Interactive logins: how a browser login comes back (loopback, deep link, pasted code), the
//! checks every callback passes (`state` matched in constant time, exactly once; `error=` ends
//! the login), and the prompts front ends show. The flows themselves run in `engine/login_flow`.

use serde::Serialize;
use url::Url;

use crate::connection::ConnectionName;
use crate::secret::{Secret, constant_time_eq};
use crate::time::Timestamp;

pub use crate::fields::RedirectMode;

/// How a login should run.
#[derive(Debug, Default, Clone)]
pub struct LoginRequest {
    /// How the browser comes back; `None` uses the connection's `redirect` setting.
    pub redirect: Option<RedirectMode>,
    /// A one-time code for services with 2FA.
    pub totp: Option<Secret>,
    /// Whether to open the browser (else the front end shows the URL).
    pub open_browser: bool,
}

/// What the person must do to finish a login. Its `Debug` output leaves out what would let
/// someone else finish it (the authorize URL's query, with `state`; the device's user code).
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LoginPrompt {
    /// Open `url` in a browser and sign in; with `oob`, paste the code shown at the end.
    Browser {
        /// The authorize URL.
        url: String,
        /// Where the service sends the browser back.
        redirect_uri: String,
        /// Which way the redirect comes back.
        mode: RedirectMode,
    },
    /// Open `verification_uri` and enter `user_code` (RFC 8628); Tokentray polls meanwhile.
    Device {
        /// The code to enter.
        user_code: String,
        /// Where to enter it.
        verification_uri: String,
        /// A URL with the code filled in, if the service offers one.
        verification_uri_complete: Option<String>,
        /// When the code stops working.
        expires_at: Timestamp,
    },
}

impl std::fmt::Debug for LoginPrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        /// A URL up to its query, which is left out.
        struct NoQuery<'a>(&'a str);
        impl std::fmt::Debug for NoQuery<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.0.split_once('?') {
                    Some((base, _)) => write!(f, "\"{base}?[REDACTED]\""),
                    None => write!(f, "{:?}", self.0),
                }
            }
        }
        match self {
            Self::Browser {
                url,
                redirect_uri,
                mode,
            } => f
                .debug_struct("Browser")
                .field("url", &NoQuery(url))
                .field("redirect_uri", redirect_uri)
                .field("mode", mode)
                .finish(),
            Self::Device {
                user_code: _,
                verification_uri,
                verification_uri_complete,
                expires_at,
            } => f
                .debug_struct("Device")
                .field("user_code", &Secret::new(""))
                .field("verification_uri", &NoQuery(verification_uri))
                .field(
                    "verification_uri_complete",
                    &verification_uri_complete.as_deref().map(NoQuery),
                )
                .field("expires_at", expires_at)
                .finish(),
        }
    }
}

/// A login that waits for the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoginStart {
    /// The connection.
    pub connection: ConnectionName,
    /// What to show.
    pub prompt: LoginPrompt,
    /// Whether a browser was opened for it (else show the URL prominently).
    pub browser_opened: bool,
}

/// Opens URLs in the person's browser. The app uses the opener plugin, the CLI the system's
/// `xdg-open`, tests a client that signs in over HTTP.
///
/// For logins the engine never passes the authorize URL itself (its `state` and PKCE challenge
/// would show on the opener's command line to every local user): it passes the `file://`
/// address of an owner-only page that forwards to it (see `login_page`).
pub trait Browser: Send + Sync + 'static {
    /// Opens `url`; an error says why it could not (the front end then shows the URL).
    fn open(&self, url: &str) -> Result<(), String>;
}

/// A browser that opens nothing: front ends show the URL themselves.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoBrowser;

impl Browser for NoBrowser {
    fn open(&self, _url: &str) -> Result<(), String> {
        Err("no browser is configured".into())
    }
}

/// What a callback said.
#[derive(Debug)]
pub(crate) enum CallbackOutcome {
    /// An authorization code.
    Code(Secret),
    /// The service (or the person) refused.
    Error {
        error: String,
        description: Option<String>,
    },
}

/// A callback for this login, or someone else's.
#[derive(Debug)]
pub(crate) enum Callback {
    Foreign,
    /// The right `state`, but an `iss` (RFC 9207) that is not the issuer the login was started
    /// at, or none where the issuer promised one: a mix-up attempt; ignored, the login waits on.
    WrongIssuer,
    Outcome(CallbackOutcome),
}

/// What RFC 9207 asks of a callback's `iss`: when the issuer advertises
/// `authorization_response_iss_parameter_supported`, it must be there and equal the expected
/// issuer; where it is present, it must match regardless.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IssCheck {
    /// The issuer the login was started at, when known (from discovery or the `issuer` setting).
    pub expected: Option<String>,
    /// Whether the issuer promised to send `iss`.
    pub required: bool,
}

impl IssCheck {
    fn accepts(&self, query: &[(String, String)]) -> bool {
        match (one(query, "iss"), &self.expected) {
            (Err(()), _) => false,
            (Ok(None), _) | (Ok(Some(_)), None) => !self.required,
            (Ok(Some(got)), Some(expected)) => got == expected,
        }
    }
}

fn one<'a>(query: &'a [(String, String)], key: &str) -> Result<Option<&'a str>, ()> {
    let mut found = query
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str());
    let first = found.next();
    if found.next().is_some() {
        Err(())
    } else {
        Ok(first)
    }
}

/// Checks a callback's query against the pending login's `state`: exactly one `state`, equal in
/// constant time; then its `iss` (RFC 9207); then `error` or exactly one `code`.
pub(crate) fn parse_callback(
    query: &[(String, String)],
    state: &Secret,
    iss: &IssCheck,
) -> Callback {
    let Ok(Some(got)) = one(query, "state") else {
        return Callback::Foreign;
    };
    if !constant_time_eq(got.as_bytes(), state.expose().as_bytes()) {
        return Callback::Foreign;
    }
    if !iss.accepts(query) {
        return Callback::WrongIssuer;
    }
    if let Ok(Some(error)) = one(query, "error") {
        let description = one(query, "error_description")
            .ok()
            .flatten()
            .map(str::to_owned);
        return Callback::Outcome(CallbackOutcome::Error {
            error: error.chars().take(100).collect(),
            description,
        });
    }
    match one(query, "code") {
        Ok(Some(code)) if !code.is_empty() => {
            Callback::Outcome(CallbackOutcome::Code(Secret::new(code)))
        }
        _ => Callback::Outcome(CallbackOutcome::Error {
            error: "invalid_request".into(),
            description: Some("the callback carried no code".into()),
        }),
    }
}

/// Reads what a person pasted: the whole redirected URL (checked like a callback), or the code
/// alone (for out-of-band pages that show only the code).
pub(crate) fn parse_pasted(
    text: &str,
    state: &Secret,
    iss: &IssCheck,
) -> Result<CallbackOutcome, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("nothing was pasted".into());
    }
    if text.len() > 8192 {
        return Err("that is far too long to be a code or a redirect address".into());
    }
    if let Ok(url) = Url::parse(text)
        && url.scheme() != "urn"
        && (url.query().is_some() || url.fragment().is_some())
    {
        let mut query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        if query.iter().all(|(k, _)| k != "state")
            && let Some(fragment) = url.fragment()
        {
            query.extend(url::form_urlencoded::parse(fragment.as_bytes()).into_owned());
        }
        return match parse_callback(&query, state, iss) {
            Callback::Outcome(outcome) => Ok(outcome),
            Callback::Foreign => Err("the pasted address belongs to another sign-in (its state does not match); start the login again".into()),
            Callback::WrongIssuer => Err(WRONG_ISSUER.into()),
        };
    }
    if !text.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(
            "a code has no spaces or special characters; paste the code or the whole address"
                .into(),
        );
    }
    Ok(CallbackOutcome::Code(Secret::new(text)))
}

/// What a person is told when a callback names another issuer.
pub(crate) const WRONG_ISSUER: &str = "this sign-in response does not come from the service the login was started at (its iss does not match); it was ignored. Finish the sign-in in the browser window Tokentray opened";

/// A fresh random `state`: 32 bytes, base64url.
pub(crate) fn new_state() -> Secret {
    Secret::new(oauth2::CsrfToken::new_random_len(32).secret().clone())
}

/// A fresh random OpenID `nonce`: 32 bytes, base64url.
pub(crate) fn new_nonce() -> Secret {
    Secret::new(oauth2::CsrfToken::new_random_len(32).secret().clone())
}

/// Whether a scope asks for OpenID Connect.
pub(crate) fn is_openid(scope: Option<&str>) -> bool {
    scope.is_some_and(|s| s.split_whitespace().any(|item| item == "openid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn a_callback_needs_exactly_one_matching_state() {
        let state = Secret::new("s3cr3t-state");
        assert!(matches!(
            parse_callback(
                &q(&[("code", "c"), ("state", "s3cr3t-state")]),
                &state,
                &IssCheck::default()
            ),
            Callback::Outcome(CallbackOutcome::Code(_))
        ));
        for bad in [
            q(&[("code", "c")]),
            q(&[("code", "c"), ("state", "")]),
            q(&[("code", "c"), ("state", "other")]),
            q(&[
                ("code", "c"),
                ("state", "s3cr3t-state"),
                ("state", "s3cr3t-state"),
            ]),
            q(&[("code", "c"), ("state", "s3cr3t-stat")]),
            q(&[("code", "c"), ("state", "s3cr3t-state\0")]),
        ] {
            assert!(
                matches!(
                    parse_callback(&bad, &state, &IssCheck::default()),
                    Callback::Foreign
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_error_callback_ends_the_login_with_its_reason() {
        let state = Secret::new("s");
        let Callback::Outcome(CallbackOutcome::Error { error, description }) = parse_callback(
            &q(&[
                ("error", "access_denied"),
                ("error_description", "user said no"),
                ("state", "s"),
            ]),
            &state,
            &IssCheck::default(),
        ) else {
            panic!("an error outcome")
        };
        assert_eq!(error, "access_denied");
        assert_eq!(description.as_deref(), Some("user said no"));
    }

    #[test]
    fn pasted_codes_and_urls_are_both_accepted() {
        let state = Secret::new("st");
        assert!(
            matches!(parse_pasted("  abc123 \n", &state, &IssCheck::default()), Ok(CallbackOutcome::Code(c)) if c.expose() == "abc123")
        );
        assert!(
            matches!(parse_pasted("http://127.0.0.1:1234/callback?code=xyz&state=st", &state, &IssCheck::default()), Ok(CallbackOutcome::Code(c)) if c.expose() == "xyz")
        );
        assert!(
            parse_pasted(
                "http://127.0.0.1:1234/callback?code=xyz&state=nope",
                &state,
                &IssCheck::default()
            )
            .is_err()
        );
        assert!(parse_pasted("two words", &state, &IssCheck::default()).is_err());
        assert!(parse_pasted(&"a".repeat(10_000), &state, &IssCheck::default()).is_err());
        assert!(parse_pasted("", &state, &IssCheck::default()).is_err());
    }

    #[test]
    fn the_issuer_must_match_where_it_is_named_or_promised() {
        let state = Secret::new("s");
        let check = |pairs: &[(&str, &str)], iss: &IssCheck| parse_callback(&q(pairs), &state, iss);
        let promised = IssCheck {
            expected: Some("https://id.example".into()),
            required: true,
        };
        let known = IssCheck {
            required: false,
            ..promised.clone()
        };
        let right = [("code", "c"), ("state", "s"), ("iss", "https://id.example")];
        let forged = [
            ("code", "c"),
            ("state", "s"),
            ("iss", "https://evil.example"),
        ];
        let missing = [("code", "c"), ("state", "s")];
        let twice = [
            ("code", "c"),
            ("state", "s"),
            ("iss", "https://id.example"),
            ("iss", "https://id.example"),
        ];
        for iss in [&promised, &known] {
            assert!(matches!(
                check(&right, iss),
                Callback::Outcome(CallbackOutcome::Code(_))
            ));
            assert!(matches!(check(&forged, iss), Callback::WrongIssuer));
            assert!(matches!(check(&twice, iss), Callback::WrongIssuer));
        }
        assert!(matches!(check(&missing, &promised), Callback::WrongIssuer));
        assert!(matches!(check(&missing, &known), Callback::Outcome(_)));
        let error = [
            ("error", "access_denied"),
            ("state", "s"),
            ("iss", "https://evil.example"),
        ];
        assert!(
            matches!(check(&error, &promised), Callback::WrongIssuer),
            "a forged error does not end the login either"
        );
        let wrong_state = [
            ("code", "c"),
            ("state", "x"),
            ("iss", "https://evil.example"),
        ];
        assert!(matches!(check(&wrong_state, &promised), Callback::Foreign));
        let pasted = "http://127.0.0.1:1/callback?code=c&state=s&iss=https%3A%2F%2Fevil.example";
        assert_eq!(
            parse_pasted(pasted, &state, &promised).unwrap_err(),
            WRONG_ISSUER
        );
    }

    #[test]
    fn nonces_are_long_do_not_repeat_and_go_with_openid_scopes() {
        let (a, b) = (new_nonce(), new_nonce());
        assert!(a.expose().len() >= 43);
        assert_ne!(a, b);
        assert!(is_openid(Some("openid profile")));
        assert!(is_openid(Some("email  openid")));
        assert!(!is_openid(Some("openid-like profile")));
        assert!(!is_openid(None));
    }

    #[test]
    fn states_are_long_and_do_not_repeat() {
        let a = new_state();
        let b = new_state();
        assert!(a.expose().len() >= 43);
        assert_ne!(a, b);
    }
}
