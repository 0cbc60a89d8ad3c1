//! What a front end offers a person who adds or edits a connection, decided once here so that
//! the CLI and the app agree: every provider kind with its title, summary and form (from the
//! field table), whether its login asks for a one-time code, and the presets (a kind with some
//! fields filled in) the app's wizard starts from.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::fields::{self, FieldDef, ProviderKind};

/// How a field is edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// Free text.
    Text,
    /// An `http(s)` URL.
    Url,
    /// A secret, kept in the secret store.
    Secret,
    /// `true` / `false`.
    Bool,
    /// A whole number.
    Integer,
    /// One of [`FieldInfo::options`].
    Choice,
    /// `key=value` pairs.
    Map,
    /// An RFC 3339 date and time.
    DateTime,
    /// A file path.
    Path,
}

/// One field of a kind's form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent properties of a field from the field table"
)]
pub struct FieldInfo {
    /// The field's name, as in the config file and `--field-name` flags.
    pub name: String,
    /// A short label.
    pub label: String,
    /// How it is edited.
    #[serde(rename = "type")]
    pub ty: FieldKind,
    /// The words a `choice` field takes (empty for other types).
    pub options: Vec<String>,
    /// Whether the kind always needs it.
    pub required: bool,
    /// The value used when it is not set.
    pub default: Option<String>,
    /// One sentence of help.
    pub help: String,
    /// A field every kind has (label, header, export…).
    pub common: bool,
    /// Shown under "Advanced": the common fields, and the kind's rarely needed ones (a
    /// registered redirect URI).
    pub advanced: bool,
    /// The field decides where stored secrets and tokens are sent (an endpoint URL, proxy, TLS,
    /// client authentication, redirect): changing it deletes them, so an edit asks for the
    /// secrets again in the same step.
    pub destination: bool,
}

/// A kind's own fields that a form shows under "Advanced".
const ADVANCED_OWN: &[&str] = &["redirect_uri"];

impl FieldInfo {
    fn new(def: &FieldDef, common: bool) -> Self {
        use crate::fields::FieldType as T;
        let (ty, options) = match def.ty {
            T::Text => (FieldKind::Text, Vec::new()),
            T::Url => (FieldKind::Url, Vec::new()),
            T::Secret => (FieldKind::Secret, Vec::new()),
            T::Bool => (FieldKind::Bool, Vec::new()),
            T::Integer => (FieldKind::Integer, Vec::new()),
            T::Choice(words) => (
                FieldKind::Choice,
                words.iter().map(|w| (*w).to_owned()).collect(),
            ),
            T::Map => (FieldKind::Map, Vec::new()),
            T::DateTime => (FieldKind::DateTime, Vec::new()),
            T::Path => (FieldKind::Path, Vec::new()),
        };
        Self {
            name: def.name.into(),
            label: def.label.into(),
            ty,
            options,
            required: def.required,
            default: def.default.map(str::to_owned),
            help: def.help.into(),
            common,
            advanced: common || ADVANCED_OWN.contains(&def.name),
            destination: def.destination,
        }
    }
}

/// A provider kind and its form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KindInfo {
    /// The kind.
    pub kind: ProviderKind,
    /// Its name for people ([`ProviderKind::title`]).
    pub title: String,
    /// One sentence on what the kind is for.
    pub summary: String,
    /// Whether its login asks for a one-time code first ([`asks_totp`]).
    pub asks_totp: bool,
    /// The kind's own fields first, then the common ones.
    pub fields: Vec<FieldInfo>,
}

/// One sentence on what `kind` is for.
pub const fn summary(kind: ProviderKind) -> &'static str {
    use ProviderKind as K;
    match kind {
        K::ArcgisToken => {
            "ArcGIS Online or Enterprise: a username and password exchanged for a token (generateToken)."
        }
        K::ArcgisOauth => {
            "ArcGIS Online or Enterprise: sign in through the browser, or app credentials."
        }
        K::Itkpd => "The ITk Production Database: your two access codes exchanged for a token.",
        K::Cdse => {
            "Copernicus Data Space Ecosystem (Keycloak): username, password and an optional one-time code."
        }
        K::Oauth2 => {
            "Any OAuth 2.0 or OpenID Connect service: browser login, device code, client credentials or a refresh token."
        }
        K::Basic => "A username and password sent as an HTTP Basic header.",
        K::Static => "An API key or personal access token you already have.",
    }
}

/// Whether a login of a new connection of `kind` (its default settings) asks for a one-time
/// code before it starts: what [`LoginMethod::asks_totp`](crate::LoginMethod::asks_totp) says
/// of such a connection (Copernicus accounts with two-factor authentication; the code is used
/// once and never stored). A saved connection's own answer is its view's `login`.
pub fn asks_totp(kind: ProviderKind) -> bool {
    fields::typed(kind, &fields::Settings::new())
        .kind
        .login_method()
        .asks_totp()
}

/// Every kind with its form, in [`ProviderKind::ALL`] order.
pub fn kinds() -> Vec<KindInfo> {
    ProviderKind::ALL
        .into_iter()
        .map(|kind| {
            let own = fields::kind_fields(kind)
                .iter()
                .map(|d| FieldInfo::new(d, false));
            let common = fields::COMMON.iter().map(|d| FieldInfo::new(d, true));
            KindInfo {
                kind,
                title: kind.title().into(),
                summary: summary(kind).into(),
                asks_totp: asks_totp(kind),
                fields: own.chain(common).collect(),
            }
        })
        .collect()
}

/// A starting point for a new connection: a kind with some fields filled in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Preset {
    /// A stable id (`arcgis-online`…).
    pub id: String,
    /// Its name for people.
    pub title: String,
    /// One sentence on when to pick it.
    pub summary: String,
    /// The kind it makes.
    pub kind: ProviderKind,
    /// Values filled in for the person.
    pub values: BTreeMap<String, String>,
    /// Fields the preset decides (a service's endpoints); forms keep them out of the way.
    pub fixed: Vec<String>,
}

fn preset(
    id: &str,
    title: &str,
    summary: &str,
    kind: ProviderKind,
    values: &[(&str, &str)],
    fixed: &[&str],
) -> Preset {
    Preset {
        id: id.into(),
        title: title.into(),
        summary: summary.into(),
        kind,
        values: values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        fixed: fixed.iter().map(|f| (*f).to_owned()).collect(),
    }
}

/// The presets, in the order a wizard shows them.
pub fn presets() -> Vec<Preset> {
    use ProviderKind as K;
    vec![
        preset(
            "arcgis-online",
            "ArcGIS Online",
            "Sign in to arcgis.com in your browser with an app's client ID.",
            K::ArcgisOauth,
            &[
                ("portal_url", fields::ARCGIS_ONLINE),
                ("grant", "authorization_code"),
                ("label", "ArcGIS Online"),
            ],
            &["portal_url"],
        ),
        preset(
            "arcgis-enterprise",
            "ArcGIS Enterprise",
            "Your organisation's portal: a username and password exchanged for a token.",
            K::ArcgisToken,
            &[("label", "ArcGIS Enterprise")],
            &[],
        ),
        preset(
            "itkpd",
            "ITk Production Database",
            "Your two ITk access codes; Tokentray renews the token for you.",
            K::Itkpd,
            &[("label", "ITk Production Database")],
            &["auth_url", "api_url", "scope", "audience"],
        ),
        preset(
            "cdse",
            "Copernicus Data Space",
            "Your Copernicus account; a one-time code is asked at login when 2FA is on.",
            K::Cdse,
            &[("label", "Copernicus Data Space")],
            &["token_url", "client_id"],
        ),
        preset(
            "oauth2",
            "OAuth 2.0 / OpenID Connect",
            "Any standard service: give its issuer URL and Tokentray discovers the rest.",
            K::Oauth2,
            &[],
            &[],
        ),
        preset(
            "basic",
            "HTTP Basic",
            "A username and password sent as a Basic header.",
            K::Basic,
            &[],
            &[],
        ),
        preset(
            "static",
            "Static token",
            "An API key or personal access token you paste once.",
            K::Static,
            &[],
            &[],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_form_with_its_own_fields_before_the_common_ones() {
        let kinds = kinds();
        assert_eq!(kinds.len(), ProviderKind::ALL.len());
        for info in &kinds {
            let first_common = info.fields.iter().position(|f| f.common).unwrap();
            assert!(info.fields[first_common..].iter().all(|f| f.common));
            assert!(info.fields.iter().any(|f| f.name == "label" && f.common));
            assert_eq!(info.title, info.kind.title());
        }
        let oauth = kinds
            .iter()
            .find(|k| k.kind == ProviderKind::Oauth2)
            .unwrap();
        let grant = oauth.fields.iter().find(|f| f.name == "grant").unwrap();
        assert_eq!(grant.ty, FieldKind::Choice);
        assert!(grant.options.iter().any(|o| o == "device_code"));
    }

    #[test]
    fn only_copernicus_asks_for_a_one_time_code() {
        for info in kinds() {
            assert_eq!(
                info.asks_totp,
                info.kind == ProviderKind::Cdse,
                "{}",
                info.kind
            );
        }
    }

    #[test]
    fn endpoint_fields_are_marked_as_destinations() {
        let kinds = kinds();
        let field = |kind: ProviderKind, name: &str| {
            kinds
                .iter()
                .find(|k| k.kind == kind)
                .and_then(|k| k.fields.iter().find(|f| f.name == name))
                .cloned()
                .unwrap()
        };
        for (kind, name) in [
            (ProviderKind::Oauth2, "token_url"),
            (ProviderKind::Oauth2, "issuer"),
            (ProviderKind::Oauth2, "client_auth"),
            (ProviderKind::Oauth2, "redirect_port"),
            (ProviderKind::ArcgisToken, "portal_url"),
            (ProviderKind::Basic, "proxy"),
            (ProviderKind::Static, "insecure_skip_verify"),
        ] {
            assert!(field(kind, name).destination, "{name}");
        }
        for (kind, name) in [
            (ProviderKind::Oauth2, "label"),
            (ProviderKind::Oauth2, "scope"),
            (ProviderKind::Oauth2, "client_secret"),
        ] {
            assert!(!field(kind, name).destination, "{name}");
        }
    }

    #[test]
    fn the_redirect_uri_and_allow_http_are_under_advanced() {
        let kinds = kinds();
        for kind in &kinds {
            for f in &kind.fields {
                assert_eq!(
                    f.advanced,
                    f.common || f.name == "redirect_uri",
                    "{:?} {}",
                    kind.kind,
                    f.name
                );
            }
        }
        let oauth = kinds
            .iter()
            .find(|k| k.kind == ProviderKind::Oauth2)
            .unwrap();
        let uri = oauth
            .fields
            .iter()
            .find(|f| f.name == "redirect_uri")
            .unwrap();
        assert!(uri.advanced && uri.destination && !uri.common);
        let http = oauth
            .fields
            .iter()
            .find(|f| f.name == "allow_http")
            .unwrap();
        assert!(http.advanced && http.common);
        assert_eq!(http.ty, FieldKind::Bool);
    }

    #[test]
    fn presets_only_name_fields_their_kind_has() {
        for preset in presets() {
            for field in preset.values.keys().chain(preset.fixed.iter()) {
                assert!(
                    fields::find(preset.kind, field).is_some(),
                    "preset {} names {field}, which kind {} does not have",
                    preset.id,
                    preset.kind
                );
            }
        }
    }
}
