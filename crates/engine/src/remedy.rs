//! What a person does about an error: the engine's decision, which each front end words (the
//! terminal as a command, the app as an action). Below both `error` and `provider`, which name
//! it.

use serde::{Deserialize, Serialize};

use crate::fields::ProviderKind;

/// What a person does about an error. Decided here, by the engine (from the error and the
/// connection's kind); engine messages say what happened and never name a command. Each front
/// end words the remedy its own way: the terminal as a command (see
/// `contract::error::command_hint`), the app as a button or a sentence, so the CLI
/// and the app never disagree about what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "remedy", content = "field")]
pub enum Remedy {
    /// Sign in again (a browser, device or password login).
    LogIn,
    /// Store a new value of this secret field (a static token cannot be renewed).
    StoreSecret(&'static str),
    /// Store this secret field, which the connection needs and does not have.
    SetSecret(&'static str),
    /// Check the stored credentials (Basic: nothing to renew, they were refused).
    CheckCredentials,
    /// See which connections there are (the name asked for is not one of them).
    ListConnections,
    /// Choose another name, or change the connection that has this one.
    ChooseAnotherName,
    /// Allow the connection's token to be handed to other tools (`export`).
    AllowExport,
    /// Give the connection the certificate of the CA its service uses (`ca_file`).
    SetCaFile,
    /// Store secrets in the owner-only file instead of the unreachable keychain.
    UseFileStore,
}

impl Remedy {
    /// The remedy for a connection of `kind` that needs a person.
    pub const fn for_kind(kind: ProviderKind) -> Self {
        match kind {
            ProviderKind::Static => Self::StoreSecret("token"),
            ProviderKind::Basic => Self::CheckCredentials,
            _ => Self::LogIn,
        }
    }

    /// What the connection needs, in words (`needs a login`…).
    pub fn need(self) -> String {
        match self {
            Self::LogIn => "needs a login".to_owned(),
            Self::StoreSecret(field) => format!("needs a new {field}"),
            Self::SetSecret(field) => format!("needs its {field}"),
            Self::CheckCredentials => "needs its credentials checked".to_owned(),
            Self::ListConnections | Self::ChooseAnotherName => "needs another name".to_owned(),
            Self::AllowExport => "needs export allowed".to_owned(),
            Self::SetCaFile => "needs its service's CA certificate".to_owned(),
            Self::UseFileStore => "needs a secret store".to_owned(),
        }
    }
}
