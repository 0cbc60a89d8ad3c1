//! How a provider call can fail, and which failures are worth retrying.

use std::fmt;
use std::time::Duration;

/// What kind of failure this is, which decides what the engine does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureClass {
    /// It may work later (network, timeouts, 5xx, 429, HTML or garbage bodies): retry with
    /// backoff and keep serving a still-valid token.
    Transient,
    /// Only a person can fix it (bad password, revoked refresh token, expired session): stop
    /// and ask for a login; never retry on our own, accounts get locked.
    NeedsLogin,
    /// The connection's settings are wrong (a missing field, a redirecting URL): stop and say
    /// which setting to fix.
    Config,
}

/// A failure talking to a provider. Messages never contain tokens, passwords or raw bodies.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused the credentials or grant (`invalid_grant`, a wrong password…).
    #[error("the provider rejected the request: {code}{}", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Rejected {
        /// The OAuth error code or the vendor's equivalent.
        code: String,
        /// The provider's own explanation.
        description: Option<String>,
    },
    /// The provider says the client itself is misconfigured (`invalid_client`…).
    #[error("the provider rejected the client: {code}{}; check client_id, client_secret and client_auth", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    ClientRejected {
        /// The OAuth error code.
        code: String,
        /// The provider's own explanation.
        description: Option<String>,
    },
    /// A temporary refusal the provider told us about (`temporarily_unavailable`, `slow_down`).
    #[error("the provider is temporarily unavailable: {code}")]
    Unavailable {
        /// The OAuth error code.
        code: String,
    },
    /// An HTTP status that carries no usable answer.
    #[error("the provider answered HTTP {status}{}", if *.status >= 500 { " (a server error; Tokentray will retry)" } else { "" })]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// HTTP 429.
    #[error("the provider is rate limiting requests (HTTP 429); Tokentray will retry later")]
    RateLimited {
        /// What `Retry-After` asked for, if anything.
        retry_after: Option<Duration>,
    },
    /// The request never got an answer.
    #[error("could not reach {host}: {reason}")]
    Network {
        /// The host we tried.
        host: String,
        /// What went wrong (connect refused, DNS, TLS…).
        reason: String,
    },
    /// The service's TLS certificate was refused: untrusted (self-signed or an unknown CA),
    /// expired, for another name… Says which CA file was used, or how to set one.
    #[error("{0}")]
    Certificate(Box<BadCertificate>),
    /// No answer in time.
    #[error("{host} did not answer within {}s", .after.as_secs())]
    Timeout {
        /// The host we tried.
        host: String,
        /// How long we waited.
        after: Duration,
    },
    /// An HTML page where JSON was expected.
    #[error(
        "the provider answered with an HTML page (HTTP {status}) instead of JSON: a captive portal, a proxy, or a wrong URL?"
    )]
    Html {
        /// The HTTP status.
        status: u16,
    },
    /// A body that is not the JSON we need.
    #[error("the provider's answer is not a usable token response (HTTP {status}): {detail}")]
    Garbage {
        /// The HTTP status.
        status: u16,
        /// What is wrong with it, without quoting it.
        detail: String,
    },
    /// A body over the size limit.
    #[error("the provider's answer is larger than {limit} bytes; refusing to read it")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A redirect on a credential-bearing request, which is never followed.
    #[error(
        "{url} answered with a redirect (HTTP {status}); Tokentray never follows redirects with credentials: set the final URL in the connection"
    )]
    Redirect {
        /// The HTTP status.
        status: u16,
        /// The URL we called (no query).
        url: String,
    },
    /// A setting is missing or wrong.
    #[error("{field}: {reason}")]
    Config {
        /// The field to fix.
        field: &'static str,
        /// What to do.
        reason: String,
    },
    /// A secret the flow needs is not stored (see [`ProviderError::remedy`]).
    #[error("{field}: is not stored and is required {why}")]
    SecretMissing {
        /// The secret field.
        field: &'static str,
        /// What needs it.
        why: String,
    },
    /// OIDC / RFC 8414 discovery failed.
    #[error("discovery from {issuer} failed: {reason}")]
    Discovery {
        /// The issuer.
        issuer: String,
        /// Why.
        reason: String,
        /// Whether it may work later.
        transient: bool,
    },
    /// An ID token failed validation; none of its claims were used.
    #[error("the ID token was refused: its {check} check failed ({reason}); nothing was stored")]
    IdToken {
        /// The check it failed.
        check: IdTokenCheck,
        /// Why, in plain words.
        reason: String,
    },
    /// The flow needs a person (a browser login, a TOTP code).
    #[error("{0}")]
    NeedsInteraction(String),
}

impl ProviderError {
    /// Which kind of failure this is.
    pub fn class(&self) -> FailureClass {
        match self {
            Self::Rejected { .. } | Self::NeedsInteraction(_) => FailureClass::NeedsLogin,
            Self::ClientRejected { .. }
            | Self::Redirect { .. }
            | Self::Config { .. }
            | Self::SecretMissing { .. }
            | Self::IdToken { .. }
            | Self::Discovery {
                transient: false, ..
            } => FailureClass::Config,
            Self::Status { status } if (400..500).contains(status) && *status != 408 => {
                FailureClass::Config
            }
            // Someone must fix a setting or the server; an expired certificate may be renewed.
            Self::Certificate(bad) => match bad.problem {
                CertProblem::Expired | CertProblem::NotYetValid => FailureClass::Transient,
                _ => FailureClass::Config,
            },
            _ => FailureClass::Transient,
        }
    }

    /// What a person does about it, when a setting or a secret of theirs fixes it (the
    /// message never names a command: each front end words the remedy).
    pub fn remedy(&self) -> Option<crate::remedy::Remedy> {
        match self {
            Self::SecretMissing { field, .. } => Some(crate::remedy::Remedy::SetSecret(field)),
            Self::Certificate(bad)
                if bad.problem == CertProblem::Untrusted && bad.ca_file.is_none() =>
            {
                Some(crate::remedy::Remedy::SetCaFile)
            }
            _ => None,
        }
    }

    /// Whether retrying later may help.
    pub fn is_transient(&self) -> bool {
        self.class() == FailureClass::Transient
    }

    /// How long the provider asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// A missing-field error.
    pub fn missing(field: &'static str, why: &str) -> Self {
        Self::Config {
            field,
            reason: format!("is required {why}"),
        }
    }
}

/// Which check an ID token failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdTokenCheck {
    /// It is not a signed JWT with a readable header and claims.
    Format,
    /// Its `alg` is not an asymmetric signature algorithm (`none`, `HS256`…).
    Algorithm,
    /// The issuer's key set holds no key for it (after fetching it again).
    Key,
    /// The signature does not verify with the issuer's key.
    Signature,
    /// `iss` is not the issuer the login went to.
    Issuer,
    /// `aud` does not contain the client (or API audience).
    Audience,
    /// `exp` has passed (or is missing).
    Expiry,
    /// `iat` is in the future (or missing).
    IssuedAt,
    /// `nonce` is not the one the login sent.
    Nonce,
    /// `sub` is not the person the session's first ID token named (OpenID Connect Core
    /// §12.2: a refresh must not switch the person).
    Subject,
}

impl fmt::Display for IdTokenCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Format => "format",
            Self::Algorithm => "alg",
            Self::Key => "kid",
            Self::Signature => "signature",
            Self::Issuer => "iss",
            Self::Audience => "aud",
            Self::Expiry => "exp",
            Self::IssuedAt => "iat",
            Self::Nonce => "nonce",
            Self::Subject => "sub",
        })
    }
}

/// A refused TLS certificate, and the connection settings that refused it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", certificate_message(&self.host, &self.problem, self.ca_file.as_deref()))]
pub struct BadCertificate {
    /// The host we tried.
    pub host: String,
    /// What is wrong with its certificate.
    pub problem: CertProblem,
    /// The connection's `ca_file`, when set.
    pub ca_file: Option<String>,
    /// The connection, for the command that fixes it.
    pub connection: String,
}

/// Why a service's TLS certificate was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertProblem {
    /// Not signed by a CA this connection trusts (self-signed, or a private CA).
    Untrusted,
    /// Past its end date (or this machine's clock is wrong).
    Expired,
    /// Before its start date (or this machine's clock is wrong).
    NotYetValid,
    /// Made for other names; the verifier's explanation.
    WrongName(String),
    /// Revoked by its CA.
    Revoked,
    /// Unusable for another reason; the verifier's explanation.
    Invalid(String),
}

fn certificate_message(host: &str, problem: &CertProblem, ca_file: Option<&str>) -> String {
    match (problem, ca_file) {
        (CertProblem::Untrusted, Some(ca)) => format!(
            "the certificate of {host} is not trusted by the CA in {ca}; check that this file holds the certificate of the CA that signed it"
        ),
        (CertProblem::Untrusted, None) => format!(
            "the certificate of {host} is not trusted: it is self-signed or signed by a CA this machine does not know; if the service uses a private CA, give the connection that CA's certificate (ca_file)"
        ),
        (CertProblem::Expired, _) => format!(
            "the certificate of {host} has expired (or this machine's clock is wrong); the service must renew its certificate"
        ),
        (CertProblem::NotYetValid, _) => {
            format!("the certificate of {host} is not valid yet: check this machine's clock")
        }
        (CertProblem::WrongName(why), _) => format!(
            "the certificate of {host} is not valid for that name ({why}); use a name the certificate was made for in the connection's URLs"
        ),
        (CertProblem::Revoked, _) => {
            format!("the certificate of {host} has been revoked by its CA")
        }
        (CertProblem::Invalid(why), _) => {
            format!("the certificate of {host} cannot be used: {why}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_errors_name_the_ca_file_or_how_to_set_one() {
        let bad = |problem, ca_file: Option<&str>| {
            ProviderError::Certificate(Box::new(BadCertificate {
                host: "idp.example".into(),
                problem,
                ca_file: ca_file.map(str::to_owned),
                connection: "api".into(),
            }))
        };
        let e = bad(CertProblem::Untrusted, None);
        assert!(
            e.to_string()
                .starts_with("the certificate of idp.example is not trusted")
                && !e.to_string().contains("tokentray "),
            "{e}"
        );
        assert_eq!(e.remedy(), Some(crate::remedy::Remedy::SetCaFile));
        assert_eq!(e.class(), FailureClass::Config);
        let e = bad(CertProblem::Untrusted, Some("/etc/corp-ca.pem"));
        assert!(
            e.to_string()
                .contains("is not trusted by the CA in /etc/corp-ca.pem"),
            "{e}"
        );
        assert_eq!(
            e.remedy(),
            None,
            "a CA file is set: the remedy is the service's"
        );
        // A server may renew an expired certificate: retried, not a settings problem.
        assert_eq!(
            bad(CertProblem::Expired, None).class(),
            FailureClass::Transient
        );
        assert_eq!(
            bad(CertProblem::WrongName("x".into()), None).class(),
            FailureClass::Config
        );
    }

    #[test]
    fn credentials_errors_are_never_transient() {
        let e = ProviderError::Rejected {
            code: "invalid_grant".into(),
            description: None,
        };
        assert_eq!(e.class(), FailureClass::NeedsLogin);
        assert_eq!(
            ProviderError::Status { status: 503 }.class(),
            FailureClass::Transient
        );
        assert_eq!(
            ProviderError::Status { status: 404 }.class(),
            FailureClass::Config
        );
        assert_eq!(
            ProviderError::Html { status: 200 }.class(),
            FailureClass::Transient
        );
        assert_eq!(
            ProviderError::RateLimited { retry_after: None }.class(),
            FailureClass::Transient
        );
    }
}
