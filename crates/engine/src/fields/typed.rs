//! The typed settings of each kind: what validation makes of a connection's string map. Each
//! kind's fields become one struct (URLs as [`Url`], choices as enums, dates as [`Timestamp`]),
//! built by [`parse`] right after the field table has checked every value, so the providers
//! read typed fields instead of looking strings up by name. Defaults (of the field table and
//! those that depend on the kind) are applied here, once.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::Url;

use super::{
    FieldError, ProviderKind, RedirectUri, Settings, Value, check_redirect_uri, default_for,
    validate,
};
use crate::time::Timestamp;

/// A connection's settings, typed: what every kind shares and what its own kind adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypedSettings {
    /// The fields every kind takes.
    pub common: Common,
    /// The fields of the connection's own kind.
    pub kind: KindSettings,
}

/// The fields every kind takes that the token flows use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Common {
    /// The HTTP header that carries the token (`Authorization`, `X-Esri-Authorization`).
    pub header_name: String,
    /// The word before the token (`Bearer`, `Basic`; empty for none).
    pub header_prefix: String,
    /// An extra trusted CA (a PEM file).
    pub ca_file: Option<String>,
    /// Whether TLS certificates go unchecked.
    pub insecure_skip_verify: bool,
    /// Whether plain http may reach hosts other than loopback.
    pub allow_http: bool,
    /// The proxy for every call, as written (checked to be a URL).
    pub proxy: Option<String>,
}

/// The fields of one kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KindSettings {
    /// `arcgis-token`.
    ArcgisToken(ArcgisTokenSettings),
    /// `arcgis-oauth`.
    ArcgisOauth(ArcgisOauthSettings),
    /// `itkpd`.
    Itkpd(ItkpdSettings),
    /// `cdse`: the OAuth settings of a Keycloak realm (`keycloak` is set).
    Cdse(OAuthSettings),
    /// `oauth2`.
    Oauth2(OAuthSettings),
    /// `basic`.
    Basic(BasicSettings),
    /// `static`.
    Static(StaticSettings),
}

/// An OAuth grant: how tokens are obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// The app's own credentials (RFC 6749 §4.4).
    ClientCredentials,
    /// A browser sign-in (RFC 6749 §4.1, with PKCE).
    AuthorizationCode,
    /// A code the person enters on another device (RFC 8628).
    DeviceCode,
    /// Username and password posted by Tokentray (RFC 6749 §4.3).
    Password,
    /// A refresh token obtained elsewhere, imported.
    RefreshToken,
}

impl Grant {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "client_credentials" => Self::ClientCredentials,
            "authorization_code" => Self::AuthorizationCode,
            "device_code" => Self::DeviceCode,
            "password" => Self::Password,
            "refresh_token" => Self::RefreshToken,
            _ => return None,
        })
    }

    /// The `grant_type` word.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ClientCredentials => "client_credentials",
            Self::AuthorizationCode => "authorization_code",
            Self::DeviceCode => "device_code",
            Self::Password => "password",
            Self::RefreshToken => "refresh_token",
        }
    }
}

/// How the client authenticates at the token endpoint (`client_auth`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuthMethod {
    /// HTTP Basic (RFC 6749 §2.3.1).
    Basic,
    /// `client_id` and `client_secret` in the form.
    Post,
    /// A public client: `client_id` only.
    None,
}

/// How `basic` encodes username and password before base64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (RFC 7617's `charset="UTF-8"`).
    Utf8,
    /// ISO-8859-1, what many older servers expect.
    Latin1,
}

/// Where whoami asks about the signed-in user (`identity_url`, `identity_field`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdentitySettings {
    /// A URL that answers with JSON about the user, called with the token.
    pub url: Option<Url>,
    /// A JSON pointer (or top-level key) into that answer.
    pub field: Option<String>,
}

/// `arcgis-token`: `generateToken` with a username and password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArcgisTokenSettings {
    /// The portal (ArcGIS Online by default).
    pub portal_url: Url,
    /// An explicit token URL (a stand-alone Server's); else the portal's `generateToken`.
    pub token_url: Option<Url>,
    /// The account.
    pub username: Option<String>,
    /// The referer the token is bound to, sent exactly as written.
    pub referer: Option<String>,
    /// The token lifetime to ask for, in minutes (sent as written; the server may cap it).
    pub expiration_minutes: i64,
}

/// `arcgis-oauth`: ArcGIS OAuth 2.0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArcgisOauthSettings {
    /// The portal whose `sharing/rest/oauth2` endpoints are used.
    pub portal_url: Url,
    /// The app's client ID.
    pub client_id: Option<String>,
    /// `AuthorizationCode` (a user), `ClientCredentials` (an app) or `RefreshToken` (imported).
    pub grant: Grant,
    /// The lifetime asked for at login, in minutes.
    pub expiration_minutes: Option<i64>,
    /// How the browser login comes back.
    pub redirect: RedirectSettings,
    /// The referer of referer-restricted app credentials, sent exactly as written.
    pub referer: Option<String>,
}

/// `itkpd`: uuIdentity's `grantToken` with two access codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItkpdSettings {
    /// The uuIdentity OIDC base, as written (its trailing slash matters, quirk 22).
    pub auth_url: String,
    /// The ITk API prefix.
    pub api_url: Url,
    /// The scopes asked for.
    pub scope: String,
    /// The audience the `id_token` must name.
    pub audience: String,
}

/// `oauth2` and `cdse`: the standard grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthSettings {
    /// A Keycloak realm (`cdse`): no scope is sent, a secret is always posted, the userinfo
    /// endpoint follows from the token URL, and a password login may need a one-time code.
    pub keycloak: bool,
    /// The issuer as written: discovery asks it and compares it as a string (mix-up defence).
    pub issuer: Option<String>,
    /// The authorization endpoint.
    pub authorize_url: Option<Url>,
    /// The token endpoint.
    pub token_url: Option<Url>,
    /// The device authorization endpoint.
    pub device_url: Option<Url>,
    /// The revocation endpoint.
    pub revoke_url: Option<Url>,
    /// The userinfo endpoint.
    pub userinfo_url: Option<Url>,
    /// How tokens are obtained.
    pub grant: Grant,
    /// The client ID.
    pub client_id: Option<String>,
    /// `client_auth` when set; unset, it follows from whether a secret is stored.
    pub client_auth: Option<ClientAuthMethod>,
    /// The scopes asked for.
    pub scope: Option<String>,
    /// The API audience asked for.
    pub audience: Option<String>,
    /// PKCE (S256) on browser logins.
    pub pkce: bool,
    /// How the browser login comes back.
    pub redirect: RedirectSettings,
    /// Extra parameters for the authorize and token requests.
    pub params: BTreeMap<String, String>,
    /// The account of a password grant.
    pub username: Option<String>,
    /// Where whoami asks.
    pub identity: IdentitySettings,
}

/// `basic`: HTTP Basic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasicSettings {
    /// The account.
    pub username: Option<String>,
    /// How the pair is encoded.
    pub encoding: Encoding,
    /// Where whoami asks.
    pub identity: IdentitySettings,
}

/// `static`: a token obtained elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticSettings {
    /// When the token expires, when known.
    pub expires_at: Option<Timestamp>,
    /// Where whoami asks.
    pub identity: IdentitySettings,
}

/// How a browser login returns to Tokentray.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RedirectMode {
    /// The connection's own setting, else loopback.
    Auto,
    /// A one-shot listener on `http://127.0.0.1:<port>/callback`, or exactly on the
    /// connection's registered `redirect_uri`.
    Loopback,
    /// `tokentray://oauth/callback`, forwarded to the running app.
    DeepLink,
    /// `urn:ietf:wg:oauth:2.0:oob`: the service shows a code the person pastes.
    Oob,
}

impl RedirectMode {
    /// The deep-link redirect URI.
    pub const DEEP_LINK_URI: &'static str = "tokentray://oauth/callback";
    /// The out-of-band redirect URI.
    pub const OOB_URI: &'static str = "urn:ietf:wg:oauth:2.0:oob";
}

impl FromStr for RedirectMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "loopback" => Ok(Self::Loopback),
            "deep-link" => Ok(Self::DeepLink),
            "oob" => Ok(Self::Oob),
            other => Err(format!(
                "{other:?} is not one of auto, loopback, deep-link, oob"
            )),
        }
    }
}

impl fmt::Display for RedirectMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Loopback => "loopback",
            Self::DeepLink => "deep-link",
            Self::Oob => "oob",
        })
    }
}

/// How a browser login comes back (`redirect`, `redirect_port`, `redirect_uri`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectSettings {
    /// The way back; `Auto` is loopback unless the login asks for another.
    pub mode: RedirectMode,
    /// A fixed loopback port (0: any free one).
    pub port: u16,
    /// The exact loopback redirect URI registered at the service, checked.
    pub uri: Option<RedirectUri>,
}

/// How a connection logs in: what a front end asks of the person, if anything.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum LoginMethod {
    /// A sign-in in the browser (authorization code): a person is needed.
    Browser,
    /// A code the person enters at a verification page: a person is needed.
    DeviceCode,
    /// A stored username and password, posted by Tokentray; with `totp`, the service may ask
    /// for a one-time code that only the person has.
    Password {
        /// Whether a one-time code may be needed (a Copernicus account with 2FA).
        totp: bool,
    },
    /// The stored secrets alone: client credentials, access codes, an imported refresh token,
    /// a static token, HTTP Basic.
    Stored,
}

impl LoginMethod {
    /// Whether a login works with the stored credentials alone (no browser, no one-time code).
    pub const fn unattended(self) -> bool {
        matches!(self, Self::Stored | Self::Password { totp: false })
    }

    /// Whether a login asks the person for a one-time code before it starts (a Copernicus
    /// account with two-factor authentication; the code is used once and never stored).
    pub const fn asks_totp(self) -> bool {
        matches!(self, Self::Password { totp: true })
    }
}

impl KindSettings {
    /// How a browser login of this connection comes back (the defaults for kinds without a
    /// browser login).
    pub fn redirect(&self) -> RedirectSettings {
        match self {
            Self::ArcgisOauth(s) => s.redirect.clone(),
            Self::Oauth2(s) | Self::Cdse(s) => s.redirect.clone(),
            _ => RedirectSettings {
                mode: RedirectMode::Auto,
                port: 0,
                uri: None,
            },
        }
    }

    /// How this connection logs in.
    pub const fn login_method(&self) -> LoginMethod {
        match self {
            Self::ArcgisToken(_) => LoginMethod::Password { totp: false },
            Self::Itkpd(_) | Self::Basic(_) | Self::Static(_) => LoginMethod::Stored,
            Self::ArcgisOauth(s) => match s.grant {
                Grant::ClientCredentials | Grant::RefreshToken => LoginMethod::Stored,
                _ => LoginMethod::Browser,
            },
            Self::Oauth2(s) | Self::Cdse(s) => match s.grant {
                Grant::ClientCredentials | Grant::RefreshToken => LoginMethod::Stored,
                // A Copernicus account may need a one-time code, which only a person has;
                // trying the password alone would just be refused (and count against it).
                Grant::Password => LoginMethod::Password { totp: s.keycloak },
                Grant::AuthorizationCode => LoginMethod::Browser,
                Grant::DeviceCode => LoginMethod::DeviceCode,
            },
        }
    }
}

/// Reads the values of one connection's map by field name, with the kind's defaults: the one
/// place the string map is read (the typed settings here, the few name-based getters of
/// `ConnectionSpec`).
pub(crate) struct Reader<'a> {
    pub(crate) kind: ProviderKind,
    pub(crate) settings: &'a Settings,
}

impl Reader<'_> {
    /// The text value of `field`, or its default.
    pub(crate) fn text(&self, field: &str) -> Option<String> {
        match self.settings.get(field) {
            Some(Value::Text(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
            None => default_for(self.kind, field).map(str::to_owned),
        }
    }

    /// The boolean value of `field`, or its default (false when it has none).
    pub(crate) fn flag(&self, field: &str) -> bool {
        match self.settings.get(field) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Text(s)) => s == "true",
            _ => default_for(self.kind, field) == Some("true"),
        }
    }

    /// The integer value of `field`, or its default.
    pub(crate) fn int(&self, field: &str) -> Option<i64> {
        match self.settings.get(field) {
            Some(Value::Int(i)) => Some(*i),
            Some(Value::Text(s)) => s.parse().ok(),
            _ => default_for(self.kind, field).and_then(|d| d.parse().ok()),
        }
    }

    /// The URL in `field` (or its default), parsed.
    pub(crate) fn url(&self, field: &str) -> Option<Url> {
        self.text(field).and_then(|s| Url::parse(&s).ok())
    }

    fn map(&self, field: &str) -> BTreeMap<String, String> {
        match self.settings.get(field) {
            Some(Value::Map(m)) => m.clone(),
            _ => BTreeMap::new(),
        }
    }

    fn grant(&self) -> Grant {
        self.text("grant")
            .as_deref()
            .and_then(Grant::parse)
            .unwrap_or(Grant::AuthorizationCode)
    }

    fn redirect(&self) -> RedirectSettings {
        RedirectSettings {
            mode: self
                .text("redirect")
                .and_then(|r| r.parse().ok())
                .unwrap_or(RedirectMode::Auto),
            port: self
                .int("redirect_port")
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(0),
            uri: self
                .text("redirect_uri")
                .and_then(|raw| check_redirect_uri(&raw).ok()),
        }
    }

    fn identity(&self) -> IdentitySettings {
        IdentitySettings {
            url: self.url("identity_url"),
            field: self.text("identity_field"),
        }
    }

    fn portal_url(&self) -> Url {
        self.url("portal_url")
            .or_else(|| Url::parse(super::ARCGIS_ONLINE).ok())
            .expect("the ArcGIS Online URL parses")
    }

    fn oauth(&self, keycloak: bool) -> OAuthSettings {
        OAuthSettings {
            keycloak,
            issuer: self.text("issuer"),
            authorize_url: self.url("authorize_url"),
            token_url: self.url("token_url"),
            device_url: self.url("device_url"),
            revoke_url: self.url("revoke_url"),
            userinfo_url: self.url("userinfo_url"),
            grant: self.grant(),
            client_id: self.text("client_id"),
            client_auth: self.settings.get("client_auth").and_then(|_| {
                match self.text("client_auth").as_deref() {
                    Some("basic") => Some(ClientAuthMethod::Basic),
                    Some("post") => Some(ClientAuthMethod::Post),
                    Some("none") => Some(ClientAuthMethod::None),
                    _ => None,
                }
            }),
            scope: self.text("scope"),
            audience: self.text("audience"),
            pkce: self.flag("pkce"),
            redirect: self.redirect(),
            params: self.map("params"),
            username: self.text("username"),
            identity: self.identity(),
        }
    }

    fn kind(&self) -> KindSettings {
        match self.kind {
            ProviderKind::ArcgisToken => KindSettings::ArcgisToken(ArcgisTokenSettings {
                portal_url: self.portal_url(),
                token_url: self.url("token_url"),
                username: self.text("username"),
                referer: self.text("referer"),
                expiration_minutes: self.int("expiration").unwrap_or(60),
            }),
            ProviderKind::ArcgisOauth => KindSettings::ArcgisOauth(ArcgisOauthSettings {
                portal_url: self.portal_url(),
                client_id: self.text("client_id"),
                grant: self.grant(),
                expiration_minutes: self.int("expiration"),
                redirect: self.redirect(),
                referer: self.text("referer"),
            }),
            ProviderKind::Itkpd => KindSettings::Itkpd(ItkpdSettings {
                auth_url: self
                    .text("auth_url")
                    .unwrap_or_else(|| super::ITK_AUTH_URL.to_owned()),
                api_url: self
                    .url("api_url")
                    .or_else(|| Url::parse(super::ITK_API_URL).ok())
                    .expect("the ITk API URL parses"),
                scope: self.text("scope").unwrap_or_default(),
                audience: self.text("audience").unwrap_or_default(),
            }),
            ProviderKind::Cdse => KindSettings::Cdse(self.oauth(true)),
            ProviderKind::Oauth2 => KindSettings::Oauth2(self.oauth(false)),
            ProviderKind::Basic => KindSettings::Basic(BasicSettings {
                username: self.text("username"),
                encoding: if self.text("encoding").as_deref() == Some("latin1") {
                    Encoding::Latin1
                } else {
                    Encoding::Utf8
                },
                identity: self.identity(),
            }),
            ProviderKind::Static => KindSettings::Static(StaticSettings {
                expires_at: self
                    .text("expires_at")
                    .and_then(|s| Timestamp::parse_rfc3339(&s)),
                identity: self.identity(),
            }),
        }
    }

    fn common(&self) -> Common {
        Common {
            header_name: self.text("header_name").unwrap_or_default(),
            header_prefix: self.text("header_prefix").unwrap_or_default(),
            ca_file: self.text("ca_file"),
            insecure_skip_verify: self.flag("insecure_skip_verify"),
            allow_http: self.flag("allow_http"),
            proxy: self.text("proxy"),
        }
    }
}

/// Checks `settings` for `kind` (every problem, as [`validate`] reports them) and makes the
/// typed settings of the connection.
pub(crate) fn parse(
    kind: ProviderKind,
    settings: &Settings,
) -> Result<TypedSettings, Vec<FieldError>> {
    validate(kind, settings)?;
    Ok(typed(kind, settings))
}

/// The typed settings of a map the field table has already checked (a loaded or saved
/// connection). A value of the wrong type, which validation would have refused, reads as unset.
pub(crate) fn typed(kind: ProviderKind, settings: &Settings) -> TypedSettings {
    #[cfg(test)]
    PARSED.with(|n| n.set(n.get() + 1));
    let reader = Reader { kind, settings };
    TypedSettings {
        common: reader.common(),
        kind: reader.kind(),
    }
}

#[cfg(test)]
thread_local! {
    /// How many times this thread has typed a connection's settings (tests count parses).
    pub(crate) static PARSED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, Value)]) -> Settings {
        let mut s = Settings::new();
        for (k, v) in pairs {
            s.insert(*k, v.clone());
        }
        s
    }

    #[test]
    fn defaults_are_applied_once_by_kind() {
        let t = parse(ProviderKind::ArcgisToken, &Settings::new()).unwrap();
        assert_eq!(t.common.header_name, "X-Esri-Authorization");
        let KindSettings::ArcgisToken(s) = t.kind else {
            panic!("arcgis-token settings")
        };
        assert_eq!(s.portal_url.as_str(), "https://www.arcgis.com/");
        assert_eq!((s.token_url, s.expiration_minutes), (None, 60));

        let t = parse(ProviderKind::Cdse, &Settings::new()).unwrap();
        let KindSettings::Cdse(s) = &t.kind else {
            panic!("cdse settings")
        };
        assert!(s.keycloak);
        assert_eq!(s.grant, Grant::Password);
        assert_eq!(s.client_id.as_deref(), Some("cdse-public"));
        assert_eq!(
            s.token_url.as_ref().map(Url::as_str),
            Some(super::super::CDSE_TOKEN_URL)
        );
        assert_eq!(t.kind.login_method(), LoginMethod::Password { totp: true });
        assert!(!t.kind.login_method().unattended());
    }

    #[test]
    fn choices_become_enums_and_unset_client_auth_stays_unset() {
        let t = parse(
            ProviderKind::Oauth2,
            &settings(&[
                ("grant", Value::Text("client_credentials".into())),
                ("client_auth", Value::Text("post".into())),
                ("pkce", Value::Bool(false)),
            ]),
        )
        .unwrap();
        let KindSettings::Oauth2(s) = &t.kind else {
            panic!("oauth2 settings")
        };
        assert_eq!(s.grant, Grant::ClientCredentials);
        assert_eq!(s.client_auth, Some(ClientAuthMethod::Post));
        assert!(!s.pkce);
        assert_eq!(t.kind.login_method(), LoginMethod::Stored);
        let plain = typed(ProviderKind::Oauth2, &Settings::new());
        let KindSettings::Oauth2(s) = &plain.kind else {
            panic!("oauth2 settings")
        };
        assert_eq!(s.client_auth, None, "unset follows the stored secret");
        assert!(s.pkce, "PKCE is on by default");
        assert_eq!(plain.kind.login_method(), LoginMethod::Browser);
    }

    #[test]
    fn only_a_password_login_that_may_need_one_asks_for_a_one_time_code() {
        let cdse = |grant: &str| {
            typed(
                ProviderKind::Cdse,
                &settings(&[("grant", Value::Text(grant.into()))]),
            )
            .kind
            .login_method()
        };
        assert!(cdse("password").asks_totp());
        assert!(!cdse("client_credentials").asks_totp());
        assert!(!cdse("refresh_token").asks_totp());
        let oauth_password = typed(
            ProviderKind::Oauth2,
            &settings(&[("grant", Value::Text("password".into()))]),
        );
        assert_eq!(
            oauth_password.kind.login_method(),
            LoginMethod::Password { totp: false }
        );
        assert!(!oauth_password.kind.login_method().asks_totp());
    }

    #[test]
    fn a_bad_value_is_refused_with_the_field_tables_words() {
        let errors = parse(
            ProviderKind::Oauth2,
            &settings(&[("grant", Value::Text("implicit".into()))]),
        )
        .unwrap_err();
        assert_eq!(errors[0].field, "grant");
        assert!(errors[0].reason.contains("is not one of"), "{errors:?}");
    }
}
