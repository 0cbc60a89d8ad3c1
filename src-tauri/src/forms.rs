//! What the add/edit wizard is built from: the provider kinds with their field definitions
//! (the same table the CLI flags and the config file use), and the presets a person picks
//! from. Nothing here decides anything about tokens.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use specta::Type;
use tokentray_engine as engine;

use tokentray_engine::ProviderKind;

/// How a field is edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FieldType {
    Text,
    Url,
    Secret,
    Bool,
    Integer,
    Choice,
    Map,
    DateTime,
    Path,
}

/// One field of a kind's form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent properties of a field from the field table"
)]
pub(crate) struct FieldInfo {
    /// The field's name, as in the config file and `--field-name` flags.
    pub(crate) name: String,
    pub(crate) label: String,
    #[serde(rename = "type")]
    pub(crate) ty: FieldType,
    /// The words a `choice` field takes (empty for other types).
    pub(crate) options: Vec<String>,
    pub(crate) required: bool,
    pub(crate) default: Option<String>,
    /// One sentence of help.
    pub(crate) help: String,
    /// A field every kind has (label, header, export…), shown under "Advanced".
    pub(crate) common: bool,
    /// Shown under "Advanced": the common fields, and the kind's rarely needed ones (a
    /// registered redirect URI).
    pub(crate) advanced: bool,
    /// The field decides where stored secrets and tokens are sent (an endpoint URL, proxy, TLS,
    /// client authentication, redirect): changing it deletes them, so the edit form asks for
    /// the secrets again in the same step.
    pub(crate) destination: bool,
}

impl FieldInfo {
    fn new(def: &engine::FieldDef, common: bool) -> Self {
        use engine::FieldType as T;
        let (ty, options) = match def.ty {
            T::Text => (FieldType::Text, Vec::new()),
            T::Url => (FieldType::Url, Vec::new()),
            T::Secret => (FieldType::Secret, Vec::new()),
            T::Bool => (FieldType::Bool, Vec::new()),
            T::Integer => (FieldType::Integer, Vec::new()),
            T::Choice(words) => (
                FieldType::Choice,
                words.iter().map(|w| (*w).to_owned()).collect(),
            ),
            T::Map => (FieldType::Map, Vec::new()),
            T::DateTime => (FieldType::DateTime, Vec::new()),
            T::Path => (FieldType::Path, Vec::new()),
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

/// A kind's own fields that the wizard shows under "Advanced".
const ADVANCED_OWN: &[&str] = &["redirect_uri"];

/// A provider kind and its form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
pub(crate) struct KindInfo {
    pub(crate) kind: ProviderKind,
    pub(crate) title: String,
    /// One sentence on what the kind is for.
    pub(crate) summary: String,
    /// The kind's own fields first, then the common ones.
    pub(crate) fields: Vec<FieldInfo>,
}

fn describe(kind: engine::ProviderKind) -> (&'static str, &'static str) {
    use engine::ProviderKind as K;
    match kind {
        K::ArcgisToken => (
            "ArcGIS token",
            "ArcGIS Online or Enterprise: a username and password exchanged for a token (generateToken).",
        ),
        K::ArcgisOauth => (
            "ArcGIS OAuth",
            "ArcGIS Online or Enterprise: sign in through the browser, or app credentials.",
        ),
        K::Itkpd => (
            "ITk Production Database",
            "The ITk Production Database: your two access codes exchanged for a token.",
        ),
        K::Cdse => (
            "Copernicus Data Space",
            "Copernicus Data Space Ecosystem (Keycloak): username, password and an optional one-time code.",
        ),
        K::Oauth2 => (
            "OAuth 2.0 / OpenID Connect",
            "Any OAuth 2.0 or OpenID Connect service: browser login, device code, client credentials or a refresh token.",
        ),
        K::Basic => (
            "HTTP Basic",
            "A username and password sent as an HTTP Basic header.",
        ),
        K::Static => (
            "Static token",
            "An API key or personal access token you already have.",
        ),
    }
}

/// Every kind with its form.
pub(crate) fn kinds() -> Vec<KindInfo> {
    engine::ProviderKind::ALL
        .into_iter()
        .map(|kind| {
            let (title, summary) = describe(kind);
            let own = engine::kind_fields(kind)
                .iter()
                .map(|d| FieldInfo::new(d, false));
            let common = engine::COMMON.iter().map(|d| FieldInfo::new(d, true));
            KindInfo {
                kind,
                title: title.into(),
                summary: summary.into(),
                fields: own.chain(common).collect(),
            }
        })
        .collect()
}

/// A starting point in the wizard: a kind with some fields filled in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
pub(crate) struct Preset {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) summary: String,
    pub(crate) kind: ProviderKind,
    /// Values filled in for the person.
    pub(crate) values: BTreeMap<String, String>,
    /// Fields the preset decides (a service's endpoints); the form keeps them out of the way.
    pub(crate) fixed: Vec<String>,
}

fn preset(
    id: &str,
    title: &str,
    summary: &str,
    kind: engine::ProviderKind,
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

/// The presets, in the order the wizard shows them.
pub(crate) fn presets() -> Vec<Preset> {
    use engine::ProviderKind as K;
    vec![
        preset(
            "arcgis-online",
            "ArcGIS Online",
            "Sign in to arcgis.com in your browser with an app's client ID.",
            K::ArcgisOauth,
            &[
                ("portal_url", engine::ARCGIS_ONLINE),
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

/// A draft connection from the wizard. Secret values travel once, from the form to the
/// keychain; they are never sent back.
#[derive(Clone, Deserialize, Type)]
pub(crate) struct ConnectionInput {
    pub(crate) name: String,
    pub(crate) kind: ProviderKind,
    /// Non-secret fields as typed; empty values are left out.
    pub(crate) values: BTreeMap<String, String>,
    /// Secret fields as typed; empty values are left out.
    pub(crate) secrets: BTreeMap<String, String>,
}

impl std::fmt::Debug for ConnectionInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionInput")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("values", &self.values)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ConnectionInput {
    /// The non-empty settings, for the engine.
    pub(crate) fn settings(&self) -> Vec<(String, String)> {
        non_empty(&self.values)
    }

    /// The non-empty secrets, for the engine.
    pub(crate) fn credentials(&self) -> engine::Credentials {
        credentials(&self.secrets)
    }

    /// The names of the secret fields filled in.
    pub(crate) fn secret_fields(&self) -> Vec<String> {
        self.secrets
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, _)| k.clone())
            .collect()
    }
}

fn non_empty(values: &BTreeMap<String, String>) -> Vec<(String, String)> {
    values
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), v.trim().to_owned()))
        .collect()
}

fn credentials(secrets: &BTreeMap<String, String>) -> engine::Credentials {
    let mut creds = engine::Credentials::new();
    for (field, value) in secrets.iter().filter(|(_, v)| !v.is_empty()) {
        creds.set(field.clone(), engine::Secret::new(value.clone()));
    }
    creds
}

/// A change from the edit form.
#[derive(Clone, Deserialize, Type)]
pub(crate) struct ConnectionChange {
    /// Fields to set; an empty value clears one.
    pub(crate) values: BTreeMap<String, String>,
    /// Secrets to store or replace (empty values are left alone).
    pub(crate) secrets: BTreeMap<String, String>,
    /// Secret fields to forget.
    pub(crate) forget: Vec<String>,
}

impl std::fmt::Debug for ConnectionChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionChange")
            .field("values", &self.values)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("forget", &self.forget)
            .finish()
    }
}

impl From<ConnectionChange> for engine::Edit {
    fn from(change: ConnectionChange) -> Self {
        Self {
            set: change
                .values
                .into_iter()
                .map(|(k, v)| (k, v.trim().to_owned()))
                .collect(),
            secrets: credentials(&change.secrets),
            forget: change.forget,
            // The form asks for the secrets a destination change deletes in the same step: a
            // missing one is a problem next to its field, and nothing is saved.
            save_without_secrets: false,
        }
    }
}

/// A saved connection as the edit form starts from: its settings, and the names (never the
/// values) of the secrets stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
pub(crate) struct EditForm {
    pub(crate) name: String,
    pub(crate) kind: ProviderKind,
    pub(crate) values: BTreeMap<String, String>,
    pub(crate) stored_secrets: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_form_with_its_own_fields_before_the_common_ones() {
        let kinds = kinds();
        assert_eq!(kinds.len(), engine::ProviderKind::ALL.len());
        for info in &kinds {
            let first_common = info.fields.iter().position(|f| f.common).unwrap();
            assert!(info.fields[first_common..].iter().all(|f| f.common));
            assert!(info.fields.iter().any(|f| f.name == "label" && f.common));
        }
        let oauth = kinds
            .iter()
            .find(|k| k.kind == ProviderKind::Oauth2)
            .unwrap();
        let grant = oauth.fields.iter().find(|f| f.name == "grant").unwrap();
        assert_eq!(grant.ty, FieldType::Choice);
        assert!(grant.options.iter().any(|o| o == "device_code"));
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
        for kind in kinds() {
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
        let oauth = kinds()
            .into_iter()
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
        assert_eq!(http.ty, FieldType::Bool);
    }

    #[test]
    fn presets_only_name_fields_their_kind_has() {
        for preset in presets() {
            let kind = preset.kind;
            for field in preset.values.keys().chain(preset.fixed.iter()) {
                assert!(
                    engine::find_field(kind, field).is_some(),
                    "preset {} names {field}, which kind {kind} does not have",
                    preset.id
                );
            }
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let input = ConnectionInput {
            name: "api".into(),
            kind: ProviderKind::Basic,
            values: BTreeMap::new(),
            secrets: [("password".to_owned(), "canary-3141".to_owned())].into(),
        };
        let shown = format!("{input:?}");
        assert!(shown.contains("password") && !shown.contains("canary-3141"));
        assert_eq!(input.secret_fields(), ["password"]);
    }
}
