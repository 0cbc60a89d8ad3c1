//! The field definitions of every provider kind: one table that the config file, the CLI
//! flags (`--field-name`), the secret env vars (`TOKENTRAY_FIELD_NAME`) and the UI forms all
//! read, so that a field is named, typed and validated the same way everywhere.

use std::collections::BTreeMap;

use serde::Serialize;
use url::Url;

pub(crate) mod typed;
mod values;

pub use typed::{
    ArcgisOauthSettings, ArcgisTokenSettings, BasicSettings, ClientAuthMethod, Common, Encoding,
    Grant, IdentitySettings, ItkpdSettings, KindSettings, LoginMethod, OAuthSettings, RedirectMode,
    RedirectSettings, StaticSettings, TypedSettings,
};
pub(crate) use typed::{Reader, parse, typed};
pub use values::{FieldError, ProviderKind, Settings, UnknownKind, Value};

/// The type of a field, which decides how it is parsed, validated and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "options")]
pub enum FieldType {
    /// Free text.
    Text,
    /// An `http(s)` URL. Credential-bearing URLs must be `https` unless they point at loopback.
    Url,
    /// A secret: never in the config file, kept in the secret store.
    Secret,
    /// `true` / `false`.
    Bool,
    /// A whole number.
    Integer,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// `key=value` pairs.
    Map,
    /// An RFC 3339 date and time.
    DateTime,
    /// A file path.
    Path,
}

/// One field of a provider kind.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FieldDef {
    /// The field's name (`snake_case`).
    pub name: &'static str,
    /// A short label for forms.
    pub label: &'static str,
    /// How the value is parsed and checked.
    #[serde(flatten)]
    pub ty: FieldType,
    /// Whether a connection of this kind needs the field whatever its other settings.
    pub required: bool,
    /// The value used when the field is not set.
    pub default: Option<&'static str>,
    /// One sentence of help.
    pub help: &'static str,
    /// Whether the field decides where a stored credential, refresh token or token is sent
    /// (an endpoint URL, the proxy, TLS trust, client authentication, the redirect). Changing
    /// one drops the connection's stored secrets and tokens, and stored secrets are bound to
    /// these fields' values (see [`destination_fingerprint`]).
    pub destination: bool,
}

const fn field(
    name: &'static str,
    label: &'static str,
    ty: FieldType,
    help: &'static str,
) -> FieldDef {
    FieldDef {
        name,
        label,
        ty,
        required: false,
        default: None,
        help,
        destination: false,
    }
}

impl FieldDef {
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    const fn default(mut self, value: &'static str) -> Self {
        self.default = Some(value);
        self
    }

    /// Marks a field that decides where secrets or tokens are sent.
    const fn destination(mut self) -> Self {
        self.destination = true;
        self
    }

    /// The environment variable that can carry this field's value: `TOKENTRAY_<FIELD>`.
    pub fn env_var(&self) -> String {
        format!("TOKENTRAY_{}", self.name.to_ascii_uppercase())
    }

    /// The command-line flag: `--field-name`.
    pub fn flag(&self) -> String {
        format!("--{}", self.name.replace('_', "-"))
    }

    /// Whether the field holds a secret.
    pub fn is_secret(&self) -> bool {
        self.ty == FieldType::Secret
    }
}

/// The default ArcGIS portal.
pub const ARCGIS_ONLINE: &str = "https://www.arcgis.com";
/// itkdb's default uuIdentity OIDC base (with the trailing slash `grantToken` needs).
pub const ITK_AUTH_URL: &str =
    "https://uuidentity.plus4u.net/uu-oidc-maing02/bb977a99f4cc4c37a2afce3fd599d0a7/oidc/";
/// itkdb's default API prefix.
pub const ITK_API_URL: &str = "https://itkpd.unicornuniversity.net/";
/// The CDSE Keycloak token endpoint.
pub const CDSE_TOKEN_URL: &str =
    "https://identity.dataspace.copernicus.eu/auth/realms/CDSE/protocol/openid-connect/token";

const REDIRECT: FieldDef = field(
    "redirect",
    "Redirect",
    FieldType::Choice(&["auto", "loopback", "deep-link", "oob"]),
    "How the browser login comes back: a loopback port, the tokentray:// link, or a pasted code",
)
.default("auto")
.destination();
const REDIRECT_PORT: FieldDef = field(
    "redirect_port",
    "Redirect port",
    FieldType::Integer,
    "A fixed loopback port for services that need the exact registered redirect URI (0 = any)",
)
.default("0")
.destination();
const REDIRECT_URI: FieldDef = field(
    "redirect_uri",
    "Redirect URI",
    FieldType::Text,
    "The exact loopback redirect URI registered at the service, e.g. http://localhost:8080/callback; served exactly as written (that host, port and path)",
)
.destination();
const IDENTITY_URL: FieldDef = field(
    "identity_url",
    "Identity URL",
    FieldType::Url,
    "A URL that answers with JSON about the signed-in user, called with the token",
)
.destination();
const IDENTITY_FIELD: FieldDef = field(
    "identity_field",
    "Identity field",
    FieldType::Text,
    "A JSON pointer into the identity response, e.g. /login",
);
const USERNAME: FieldDef = field(
    "username",
    "Username",
    FieldType::Text,
    "The account's username",
);
const PASSWORD: FieldDef = field(
    "password",
    "Password",
    FieldType::Secret,
    "The account's password",
);
const CLIENT_ID: FieldDef = field(
    "client_id",
    "Client ID",
    FieldType::Text,
    "The OAuth client (application) ID",
);
const CLIENT_SECRET: FieldDef = field(
    "client_secret",
    "Client secret",
    FieldType::Secret,
    "The OAuth client secret, for confidential clients",
);
const REFRESH_TOKEN: FieldDef = field(
    "refresh_token",
    "Refresh token",
    FieldType::Secret,
    "A refresh token obtained elsewhere, to import",
);
const SCOPE: FieldDef = field(
    "scope",
    "Scope",
    FieldType::Text,
    "Space-separated scopes to request",
);
const AUDIENCE: FieldDef = field(
    "audience",
    "Audience",
    FieldType::Text,
    "The API audience to request a token for",
);
const PORTAL_URL: FieldDef = field(
    "portal_url",
    "Portal URL",
    FieldType::Url,
    "ArcGIS Online or your ArcGIS Enterprise portal, e.g. https://gis.example.org/portal",
)
.default(ARCGIS_ONLINE)
.destination();
const EXPIRATION: FieldDef = field(
    "expiration",
    "Token lifetime (minutes)",
    FieldType::Integer,
    "The lifetime to ask for; the server may cap it",
);

const ARCGIS_TOKEN: &[FieldDef] = &[
    PORTAL_URL,
    field(
        "token_url",
        "Token URL",
        FieldType::Url,
        "Defaults to <portal_url>/sharing/rest/generateToken; a standalone ArcGIS Server uses https://host/arcgis/tokens/generateToken",
    )
    .destination(),
    USERNAME.required(),
    PASSWORD.required(),
    field(
        "referer",
        "Referer",
        FieldType::Url,
        "Bind the token to this referer (client=referer); API calls must then send the same Referer header",
    ),
    EXPIRATION.default("60"),
];

const ARCGIS_OAUTH: &[FieldDef] = &[
    PORTAL_URL,
    CLIENT_ID.required(),
    CLIENT_SECRET,
    field(
        "grant",
        "Login",
        FieldType::Choice(&["authorization_code", "client_credentials", "refresh_token"]),
        "authorization_code signs a user in through the browser; client_credentials is an app login; refresh_token imports a refresh token obtained elsewhere",
    )
    .default("authorization_code"),
    REFRESH_TOKEN,
    REDIRECT,
    REDIRECT_PORT,
    REDIRECT_URI,
    EXPIRATION,
    field("referer", "Referer", FieldType::Url, "Referer for referer-restricted app credentials"),
];

const ITKPD: &[FieldDef] = &[
    field(
        "auth_url",
        "Auth URL",
        FieldType::Url,
        "The uuIdentity OIDC base URL",
    )
    .default(ITK_AUTH_URL)
    .destination(),
    field(
        "api_url",
        "API URL",
        FieldType::Url,
        "The ITk Production Database API prefix",
    )
    .default(ITK_API_URL),
    field("scope", "Scope", FieldType::Text, "Scopes to request")
        .default("openid https://itkpd.unicornuniversity.net"),
    field(
        "audience",
        "Audience",
        FieldType::Text,
        "The API audience of the id_token",
    )
    .default("https://itkpd.unicornuniversity.net"),
    field(
        "access_code1",
        "Access code 1",
        FieldType::Secret,
        "Your first ITk access code",
    )
    .required(),
    field(
        "access_code2",
        "Access code 2",
        FieldType::Secret,
        "Your second ITk access code",
    )
    .required(),
];

const CDSE: &[FieldDef] = &[
    field("token_url", "Token URL", FieldType::Url, "The Keycloak realm's token endpoint")
        .default(CDSE_TOKEN_URL)
        .destination(),
    field("client_id", "Client ID", FieldType::Text, "The Keycloak client").default("cdse-public"),
    field(
        "grant",
        "Login",
        FieldType::Choice(&["password", "client_credentials", "refresh_token"]),
        "password (with a TOTP code if your account uses 2FA), client_credentials, or an imported refresh token",
    )
    .default("password"),
    USERNAME,
    PASSWORD,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    field(
        "userinfo_url",
        "Userinfo URL",
        FieldType::Url,
        "Defaults to the realm's openid-connect/userinfo",
    )
    .destination(),
];

const OAUTH2: &[FieldDef] = &[
    field(
        "issuer",
        "Issuer",
        FieldType::Url,
        "The OpenID / OAuth issuer; discovery fills in the endpoints",
    )
    .destination(),
    field(
        "authorize_url",
        "Authorize URL",
        FieldType::Url,
        "The authorization endpoint",
    )
    .destination(),
    field(
        "token_url",
        "Token URL",
        FieldType::Url,
        "The token endpoint",
    )
    .destination(),
    field(
        "device_url",
        "Device URL",
        FieldType::Url,
        "The device authorization endpoint",
    )
    .destination(),
    field(
        "revoke_url",
        "Revocation URL",
        FieldType::Url,
        "The RFC 7009 revocation endpoint",
    )
    .destination(),
    field(
        "userinfo_url",
        "Userinfo URL",
        FieldType::Url,
        "The OpenID userinfo endpoint",
    )
    .destination(),
    field(
        "grant",
        "Grant",
        FieldType::Choice(&[
            "client_credentials",
            "authorization_code",
            "device_code",
            "password",
            "refresh_token",
        ]),
        "The OAuth grant that obtains tokens",
    )
    .default("authorization_code"),
    CLIENT_ID.required(),
    CLIENT_SECRET,
    field(
        "client_auth",
        "Client authentication",
        FieldType::Choice(&["basic", "post", "none"]),
        "How the client authenticates at the token endpoint (default: basic with a stored secret, none without)",
    )
    .default("basic")
    .destination(),
    SCOPE,
    AUDIENCE,
    field(
        "pkce",
        "PKCE",
        FieldType::Bool,
        "Use PKCE (S256) on authorization-code logins",
    )
    .default("true"),
    REDIRECT,
    REDIRECT_PORT,
    REDIRECT_URI,
    USERNAME,
    PASSWORD,
    REFRESH_TOKEN,
    field(
        "params",
        "Extra parameters",
        FieldType::Map,
        "Extra key=value pairs sent on authorize and token requests",
    ),
    IDENTITY_URL,
    IDENTITY_FIELD,
];

const BASIC: &[FieldDef] = &[
    USERNAME.required(),
    PASSWORD,
    field(
        "encoding",
        "Encoding",
        FieldType::Choice(&["utf-8", "latin1"]),
        "How username and password are encoded before base64",
    )
    .default("utf-8"),
    IDENTITY_URL,
    IDENTITY_FIELD,
];

const STATIC: &[FieldDef] = &[
    field("token", "Token", FieldType::Secret, "The token or API key").required(),
    field(
        "expires_at",
        "Expires at",
        FieldType::DateTime,
        "When the token expires (RFC 3339)",
    ),
    IDENTITY_URL,
    IDENTITY_FIELD,
];

/// The fields every kind takes.
pub const COMMON: &[FieldDef] = &[
    field("label", "Label", FieldType::Text, "A display name"),
    field(
        "keep_fresh",
        "Keep fresh",
        FieldType::Bool,
        "Refresh in the background before the token expires",
    ),
    field(
        "refresh_before",
        "Refresh before (seconds)",
        FieldType::Integer,
        "How long before expiry to refresh; default min(300, a quarter of the lifetime)",
    ),
    field(
        "header_name",
        "Header name",
        FieldType::Text,
        "The HTTP header that carries the token",
    ),
    field(
        "header_prefix",
        "Header prefix",
        FieldType::Text,
        "The word before the token",
    ),
    field(
        "ca_file",
        "Extra CA file",
        FieldType::Path,
        "A PEM file with an extra trusted CA",
    )
    .destination(),
    field(
        "insecure_skip_verify",
        "Skip TLS verification",
        FieldType::Bool,
        "Do not verify TLS certificates (dangerous; for broken test servers only)",
    )
    .default("false")
    .destination(),
    field(
        "allow_http",
        "Allow plain http",
        FieldType::Bool,
        "Allow plain http to a host other than 127.0.0.1, [::1] or localhost (an internal server without TLS): passwords and tokens then cross the network unencrypted",
    )
    .default("false"),
    field(
        "proxy",
        "Proxy",
        FieldType::Url,
        "An HTTP(S) proxy for every call of this connection",
    )
    .destination(),
    field(
        "export",
        "Export",
        FieldType::Bool,
        "Whether the export endpoint, exec and token files may hand this token out",
    )
    .default("true"),
    field(
        "token_file",
        "Token file",
        FieldType::Path,
        "Keep a file holding a fresh token (0600): an absolute path, or `wlcg` for $XDG_RUNTIME_DIR/bt_u<uid>; Tokentray never replaces a file it did not create",
    ),
];

/// The kind-specific fields of `kind` (without the common ones).
pub fn kind_fields(kind: ProviderKind) -> &'static [FieldDef] {
    match kind {
        ProviderKind::ArcgisToken => ARCGIS_TOKEN,
        ProviderKind::ArcgisOauth => ARCGIS_OAUTH,
        ProviderKind::Itkpd => ITKPD,
        ProviderKind::Cdse => CDSE,
        ProviderKind::Oauth2 => OAUTH2,
        ProviderKind::Basic => BASIC,
        ProviderKind::Static => STATIC,
    }
}

/// Every field of `kind`: its own, then the common ones.
pub fn all_fields(kind: ProviderKind) -> impl Iterator<Item = &'static FieldDef> {
    kind_fields(kind).iter().chain(COMMON.iter())
}

/// The definition of `name` in `kind`.
pub fn find(kind: ProviderKind, name: &str) -> Option<&'static FieldDef> {
    all_fields(kind).find(|d| d.name == name)
}

/// The default of `name` in `kind`, with the defaults that depend on the kind itself.
pub fn default_for(kind: ProviderKind, name: &str) -> Option<&'static str> {
    match (kind, name) {
        (ProviderKind::ArcgisToken | ProviderKind::ArcgisOauth, "header_name") => {
            Some("X-Esri-Authorization")
        }
        (ProviderKind::Basic, "header_prefix") => Some("Basic"),
        (_, "header_name") => Some("Authorization"),
        (_, "header_prefix") => Some("Bearer"),
        _ => find(kind, name).and_then(|d| d.default),
    }
}

/// The destination fields of `kind` (see [`FieldDef::destination`]).
pub fn destination_fields(kind: ProviderKind) -> impl Iterator<Item = &'static FieldDef> {
    all_fields(kind).filter(|d| d.destination)
}

/// Checks a `token_file` setting: `wlcg` or an absolute path. Checked where a definition comes
/// in (add, edit, import); a config file written before the rule still loads, and the token
/// file of a relative setting is simply not written.
pub fn check_token_file(raw: &str) -> Result<(), FieldError> {
    if raw == "wlcg" || std::path::Path::new(raw).is_absolute() {
        Ok(())
    } else {
        Err(FieldError::new(
            "token_file",
            format!(
                "{raw:?} is not an absolute path; give the full path (e.g. /home/me/.token) or `wlcg` for $XDG_RUNTIME_DIR/bt_u<uid>"
            ),
        ))
    }
}

/// Parses one raw value by its field's type.
pub(crate) fn parse_value(def: &FieldDef, raw: &str) -> Result<Value, FieldError> {
    let bad = |reason: String| FieldError::new(def.name, reason);
    Ok(match def.ty {
        FieldType::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Value::Bool(true),
            "false" | "no" | "off" | "0" => Value::Bool(false),
            _ => return Err(bad(format!("expected true or false, got {raw:?}"))),
        },
        FieldType::Integer => Value::Int(
            raw.parse()
                .map_err(|_| bad(format!("expected a whole number, got {raw:?}")))?,
        ),
        FieldType::Map => {
            let mut map = BTreeMap::new();
            for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| bad(format!("expected key=value pairs, got {pair:?}")))?;
                map.insert(k.trim().to_owned(), v.trim().to_owned());
            }
            Value::Map(map)
        }
        FieldType::Secret => {
            return Err(bad(
                "is a secret: it is kept in the keychain, not in settings".into(),
            ));
        }
        _ => Value::Text(raw.to_owned()),
    })
}

/// What every front end says about a connection with `allow_http = true`.
pub const ALLOW_HTTP_WARNING: &str = "plain http is allowed (allow_http = true): its passwords and tokens can cross the network unencrypted; switch to https when the server offers it";

/// Whether `url`'s host is one of the loopback hosts where plain `http` is allowed: exactly
/// `127.0.0.1`, `[::1]` and `localhost` (other addresses, even in 127.0.0.0/8, need
/// `allow_http`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        None => false,
    }
}

/// Checks that `raw` is an absolute `https` URL (or `http` to loopback) without credentials.
pub fn check_url(field: &str, raw: &str) -> Result<Url, FieldError> {
    check_url_with(field, raw, false)
}

/// [`check_url`], where `allow_http` (the connection's setting) also lets plain `http` reach
/// any host.
pub fn check_url_with(field: &str, raw: &str, allow_http: bool) -> Result<Url, FieldError> {
    let url = Url::parse(raw).map_err(|e| {
        FieldError::new(
            field,
            format!("{raw:?} is not a valid URL ({e}); write it like https://host/path"),
        )
    })?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(&url) => {}
        "http" => {
            return Err(FieldError::new(
                field,
                format!(
                    "{raw} uses plain http; use https (plain http is allowed only for 127.0.0.1, [::1] and localhost, or for an internal server with allow_http = true)"
                ),
            ));
        }
        other => {
            return Err(FieldError::new(
                field,
                format!("{raw} has the scheme {other:?}; only https URLs are allowed"),
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FieldError::new(
            field,
            "the URL carries a username or password; put credentials in their own fields",
        ));
    }
    Ok(url)
}

/// The loopback host of a registered redirect URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopbackHost {
    /// `127.0.0.1`.
    V4,
    /// `[::1]`.
    V6,
    /// `localhost`: both `127.0.0.1` and `[::1]`.
    Localhost,
}

/// A checked `redirect_uri`: an exact loopback URI registered at the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectUri {
    /// The URI as written: what the authorize and token requests send.
    pub raw: String,
    /// The host to listen on.
    pub host: LoopbackHost,
    /// The port (never 0).
    pub port: u16,
    /// The path to answer at (percent-encoded as a browser requests it).
    pub path: String,
}

impl RedirectUri {
    /// The `Host` header a browser sends to this URI (lowercase).
    pub fn host_header(&self) -> String {
        let host = match self.host {
            LoopbackHost::V4 => "127.0.0.1",
            LoopbackHost::V6 => "[::1]",
            LoopbackHost::Localhost => "localhost",
        };
        format!("{host}:{}", self.port)
    }
}

/// Checks a `redirect_uri` setting: `http://127.0.0.1:PORT/PATH`, `http://localhost:PORT/PATH`
/// or `http://[::1]:PORT/PATH`, with an explicit port and no query, fragment or credentials.
pub fn check_redirect_uri(raw: &str) -> Result<RedirectUri, FieldError> {
    const FIELD: &str = "redirect_uri";
    const FORM: &str = "write it exactly as registered at the service, like http://127.0.0.1:8080/callback, http://localhost:8080/callback or http://[::1]:8080/callback";
    let bad = |reason: String| FieldError::new(FIELD, reason);
    let url =
        Url::parse(raw).map_err(|e| bad(format!("{raw:?} is not a valid URL ({e}); {FORM}")))?;
    if url.scheme() != "http" {
        return Err(bad(format!(
            "{raw} is not a plain http address; the browser comes back to Tokentray's own listener on this computer, which speaks http only; {FORM}"
        )));
    }
    let host = match url.host() {
        Some(url::Host::Ipv4(ip)) if ip == std::net::Ipv4Addr::LOCALHOST => LoopbackHost::V4,
        Some(url::Host::Ipv6(ip)) if ip == std::net::Ipv6Addr::LOCALHOST => LoopbackHost::V6,
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
            LoopbackHost::Localhost
        }
        _ => {
            return Err(bad(format!(
                "{raw} is not a loopback address; only 127.0.0.1, [::1] and localhost can receive the login on this computer"
            )));
        }
    };
    // `Url` hides a port equal to the scheme's default (80): look for it as written.
    let authority = raw
        .get("http://".len()..)
        .unwrap_or_default()
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let written_port = authority
        .rsplit_once(':')
        .map(|(_, p)| p)
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let port = match (written_port, url.port_or_known_default()) {
        (Some(_), Some(p)) if p != 0 => p,
        (Some(_), _) => {
            return Err(bad(format!(
                "{raw} has port 0; give the fixed port registered at the service"
            )));
        }
        (None, _) => {
            return Err(bad(format!(
                "{raw} has no port; give the port registered at the service, e.g. http://localhost:8080/callback"
            )));
        }
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(format!("{raw} carries a username or password; {FORM}")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!(
            "{raw} has a query or fragment (after ? or #), which Tokentray cannot serve; register a redirect URI without one"
        )));
    }
    Ok(RedirectUri {
        raw: raw.to_owned(),
        host,
        port,
        path: url.path().to_owned(),
    })
}

fn check_value(def: &FieldDef, value: &Value, allow_http: bool) -> Result<(), FieldError> {
    let wrong = |want: &str| FieldError::new(def.name, format!("expected {want}, got {value}"));
    match (def.ty, value) {
        (FieldType::Secret, _) => Err(FieldError::new(
            def.name,
            "is a secret and must not be written in the config file; store it in the secret store instead (edit the connection)",
        )),
        (FieldType::Bool, Value::Bool(_))
        | (FieldType::Integer, Value::Int(_))
        | (FieldType::Map, Value::Map(_))
        | (FieldType::Text | FieldType::Path, Value::Text(_)) => Ok(()),
        (FieldType::Url, Value::Text(s)) => check_url_with(def.name, s, allow_http).map(|_| ()),
        (FieldType::DateTime, Value::Text(s)) => crate::time::Timestamp::parse_rfc3339(s)
            .map(|_| ())
            .ok_or_else(|| wrong("an RFC 3339 date such as 2027-01-31T12:00:00Z")),
        (FieldType::Choice(options), Value::Text(s)) => {
            if options.contains(&s.as_str()) {
                Ok(())
            } else {
                Err(FieldError::new(
                    def.name,
                    format!("{s:?} is not one of {}", options.join(", ")),
                ))
            }
        }
        (FieldType::Bool, _) => Err(wrong("true or false")),
        (FieldType::Integer, _) => Err(wrong("a whole number")),
        (FieldType::Map, _) => Err(wrong("a table of key = \"value\" pairs")),
        _ => Err(wrong("text")),
    }
}

/// Validates `settings` for `kind`, returning every problem found.
pub(crate) fn validate(kind: ProviderKind, settings: &Settings) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let allow_http = settings.get("allow_http") == Some(&Value::Bool(true));
    for (name, value) in settings.iter() {
        match find(kind, name) {
            None => errors.push(FieldError::new(
                name,
                format!("is not a field of kind {kind}"),
            )),
            Some(def) => {
                if let Err(e) = check_value(def, value, allow_http) {
                    errors.push(e);
                }
            }
        }
    }
    if let Some(Value::Int(p)) = settings.get("redirect_port")
        && !(0..=65535).contains(p)
    {
        errors.push(FieldError::new(
            "redirect_port",
            "must be between 0 and 65535",
        ));
    }
    if let Some(Value::Text(raw)) = settings.get("redirect_uri") {
        match check_redirect_uri(raw) {
            Err(e) => errors.push(e),
            Ok(uri) => {
                if let Some(Value::Int(p)) = settings.get("redirect_port")
                    && *p != 0
                    && *p != i64::from(uri.port)
                {
                    errors.push(FieldError::new(
                        "redirect_port",
                        format!(
                            "is {p} but redirect_uri uses port {}; leave redirect_port unset (the redirect URI decides the port)",
                            uri.port
                        ),
                    ));
                }
                if let Some(Value::Text(mode)) = settings.get("redirect")
                    && !matches!(mode.as_str(), "auto" | "loopback")
                {
                    errors.push(FieldError::new(
                        "redirect",
                        format!(
                            "is {mode} but redirect_uri is a loopback address; set redirect to loopback (or auto), or remove redirect_uri"
                        ),
                    ));
                }
            }
        }
    }
    if let Some(Value::Int(s)) = settings.get("refresh_before")
        && *s < 0
    {
        errors.push(FieldError::new("refresh_before", "must not be negative"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
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
    fn every_kind_has_unique_field_names_and_env_vars() {
        for kind in ProviderKind::ALL {
            let mut names: Vec<_> = all_fields(kind).map(|d| d.name).collect();
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n, "duplicate field in {kind}");
        }
        let def = find(ProviderKind::Oauth2, "client_secret").unwrap();
        assert_eq!(def.env_var(), "TOKENTRAY_CLIENT_SECRET");
        assert_eq!(def.flag(), "--client-secret");
    }

    #[test]
    fn secrets_and_unknown_fields_are_refused_in_settings() {
        let s = settings(&[
            ("password", Value::Text("hunter2".into())),
            ("colour", Value::Text("red".into())),
        ]);
        let errors = validate(ProviderKind::Basic, &s).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors.iter().all(|e| !e.to_string().contains("hunter2")),
            "never echo a secret"
        );
    }

    #[test]
    fn urls_must_be_https_except_to_loopback() {
        assert!(check_url("token_url", "https://idp.example/token").is_ok());
        assert!(check_url("token_url", "http://127.0.0.1:8080/token").is_ok());
        assert!(check_url("token_url", "http://[::1]:8080/token").is_ok());
        assert!(check_url("token_url", "http://localhost/token").is_ok());
        let e = check_url("token_url", "http://idp.example/token").unwrap_err();
        assert!(e.reason.contains("use https"), "{e}");
        assert!(check_url("token_url", "ftp://idp.example/").is_err());
        assert!(check_url("token_url", "idp.example/token").is_err());
        assert!(check_url("token_url", "https://u:p@idp.example/").is_err());
    }

    #[test]
    fn only_the_three_loopback_hosts_get_plain_http_unless_allowed() {
        for bad in [
            "http://127.0.0.2:8080/token",
            "http://gis.internal/arcgis/tokens/generateToken",
            "http://[::2]/token",
        ] {
            let e = check_url("token_url", bad).unwrap_err();
            assert!(e.reason.contains("allow_http"), "{e}");
            assert!(check_url_with("token_url", bad, true).is_ok(), "{bad}");
        }
        assert!(check_url_with("token_url", "ftp://gis.internal/", true).is_err());
        assert!(check_url_with("token_url", "http://u:p@gis.internal/", true).is_err());

        let url = |raw| Value::Text(String::from(raw));
        let plain = settings(&[(
            "token_url",
            url("http://gis.internal/arcgis/tokens/generateToken"),
        )]);
        assert!(validate(ProviderKind::ArcgisToken, &plain).is_err());
        let mut allowed = plain.clone();
        allowed.insert("allow_http", Value::Bool(true));
        assert!(validate(ProviderKind::ArcgisToken, &allowed).is_ok());
        for kind in ProviderKind::ALL {
            let def = find(kind, "allow_http").unwrap();
            assert_eq!(def.default, Some("false"), "{kind}");
        }
    }

    #[test]
    fn redirect_uris_are_exact_loopback_addresses_with_a_port() {
        let ok = |raw: &str| check_redirect_uri(raw).unwrap();
        let v4 = ok("http://127.0.0.1:8080/callback");
        assert_eq!(
            (v4.host, v4.port, v4.path.as_str()),
            (LoopbackHost::V4, 8080, "/callback")
        );
        let local = ok("http://localhost:9876/oauth/cb");
        assert_eq!(
            (local.host, local.port, local.path.as_str()),
            (LoopbackHost::Localhost, 9876, "/oauth/cb")
        );
        assert_eq!(local.raw, "http://localhost:9876/oauth/cb");
        assert_eq!(local.host_header(), "localhost:9876");
        let v6 = ok("http://[::1]:5000/");
        assert_eq!((v6.host, v6.port), (LoopbackHost::V6, 5000));
        assert_eq!(v6.host_header(), "[::1]:5000");
        let bare = ok("http://localhost:8080");
        assert_eq!(
            (bare.path.as_str(), bare.raw.as_str()),
            ("/", "http://localhost:8080")
        );
        assert_eq!(
            ok("http://localhost:80/cb").port,
            80,
            "written out, the default port counts"
        );
        for (bad, says) in [
            ("https://localhost:8080/cb", "plain http"),
            ("http://example.org:8080/cb", "not a loopback"),
            ("http://127.0.0.2:8080/cb", "not a loopback"),
            ("http://localhost/cb", "no port"),
            ("http://localhost:0/cb", "port 0"),
            ("http://localhost:8080/cb?x=1", "query"),
            ("http://localhost:8080/cb#x", "query"),
            ("http://u:p@localhost:8080/cb", "username"),
            ("localhost:8080/cb", "not"),
            ("http://localhost:99999/cb", "not a valid URL"),
        ] {
            let e = check_redirect_uri(bad).unwrap_err();
            assert_eq!(e.field, "redirect_uri");
            assert!(e.reason.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn a_redirect_uri_must_agree_with_the_other_redirect_settings() {
        let kind = ProviderKind::Oauth2;
        let uri = (
            "redirect_uri",
            Value::Text("http://localhost:8080/cb".into()),
        );
        assert!(validate(kind, &settings(std::slice::from_ref(&uri))).is_ok());
        assert!(
            validate(
                kind,
                &settings(&[uri.clone(), ("redirect_port", Value::Int(8080))])
            )
            .is_ok()
        );
        let e = validate(
            kind,
            &settings(&[uri.clone(), ("redirect_port", Value::Int(9000))]),
        )
        .unwrap_err();
        assert_eq!(e[0].field, "redirect_port", "{e:?}");
        let e = validate(
            kind,
            &settings(&[uri.clone(), ("redirect", Value::Text("oob".into()))]),
        )
        .unwrap_err();
        assert_eq!(e[0].field, "redirect", "{e:?}");
        let e = validate(
            kind,
            &settings(&[(
                "redirect_uri",
                Value::Text("http://gis.example:80/cb".into()),
            )]),
        )
        .unwrap_err();
        assert_eq!(e[0].field, "redirect_uri");
        assert!(find(kind, "redirect_uri").unwrap().destination);
        assert!(
            find(ProviderKind::ArcgisOauth, "redirect_uri")
                .unwrap()
                .destination
        );
    }

    #[test]
    fn values_are_parsed_by_type() {
        let kind = ProviderKind::Oauth2;
        assert_eq!(
            parse_value(find(kind, "pkce").unwrap(), "off"),
            Ok(Value::Bool(false))
        );
        assert!(parse_value(find(kind, "redirect_port").unwrap(), "80a").is_err());
        let Value::Map(m) = parse_value(find(kind, "params").unwrap(), "a=1, b = x=y").unwrap()
        else {
            panic!("params is a map")
        };
        assert_eq!(m.get("b").map(String::as_str), Some("x=y"));
        let bad_choice = settings(&[("client_auth", Value::Text("jwt".into()))]);
        assert!(validate(kind, &bad_choice).is_err());
    }

    #[test]
    fn every_url_decides_where_secrets_go_unless_listed_here() {
        // URLs Tokentray never sends a secret or token to: `api_url` is only handed to the
        // person's tools, `referer` is a value inside the token request.
        const NOT_DESTINATIONS: &[&str] = &["api_url", "referer"];
        for kind in ProviderKind::ALL {
            for def in all_fields(kind).filter(|d| d.ty == FieldType::Url) {
                assert_eq!(
                    def.destination,
                    !NOT_DESTINATIONS.contains(&def.name),
                    "{kind} {}: decide whether it is a destination",
                    def.name
                );
            }
            for name in ["proxy", "ca_file", "insecure_skip_verify"] {
                assert!(find(kind, name).unwrap().destination, "{kind} {name}");
            }
            for def in all_fields(kind).filter(|d| d.is_secret()) {
                assert!(!def.destination, "{kind} {}", def.name);
            }
        }
        let oauth: Vec<_> = destination_fields(ProviderKind::Oauth2)
            .map(|d| d.name)
            .collect();
        for name in [
            "client_auth",
            "redirect",
            "redirect_port",
            "issuer",
            "token_url",
        ] {
            assert!(oauth.contains(&name), "{name}");
        }
    }

    #[test]
    fn token_files_are_absolute_or_wlcg() {
        assert!(check_token_file("wlcg").is_ok());
        assert!(check_token_file("/run/user/1000/bt_u1000").is_ok());
        for bad in ["token", "./token", "../x", "~/.token", ""] {
            assert!(check_token_file(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn header_defaults_depend_on_the_kind() {
        assert_eq!(
            default_for(ProviderKind::ArcgisToken, "header_name"),
            Some("X-Esri-Authorization")
        );
        assert_eq!(
            default_for(ProviderKind::Basic, "header_prefix"),
            Some("Basic")
        );
        assert_eq!(
            default_for(ProviderKind::Oauth2, "header_name"),
            Some("Authorization")
        );
        assert_eq!(
            default_for(ProviderKind::Oauth2, "header_prefix"),
            Some("Bearer")
        );
    }
}
