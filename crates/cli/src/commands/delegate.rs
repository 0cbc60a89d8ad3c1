//! `token`, `refresh` and `whoami` through a running Tokentray: when the app or `tokentray
//! serve` runs it is the only refresher, so these commands ask it and never renew themselves.
//! Without one, `None` sends the command down the ordinary path.
//!
//! `whoami` uses the documented token route (PRODUCT §5 has no identity route, and the endpoint
//! stays as narrow as security.md T21 asks): the token JSON carries the identity the running
//! Tokentray learned from the service at its last login or renewal, for a token it has just
//! made sure is fresh. Asking the service again from here would need the keychain and could
//! need a renewal, which is the running Tokentray's to do.

use std::io::Write;

use tokentray_engine::contract::endpoint::{
    MIN_VALID_PARAM, REJECTED_PARAM, refresh_path, token_path,
};
use tokentray_engine::contract::error::{Code, EXIT_OTHER, ErrorBody};
use tokentray_engine::{Paths, TokenJson};

use crate::args::{Command, TokenFormat};
use crate::daemon::{Answer, Daemon};
use crate::output;

/// Runs the command through the daemon when one runs; the exit code, or `None` to go on.
pub(crate) fn try_daemon(
    command: &Command,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Option<u8> {
    let (name, path, method, accept, shape) = match command {
        Command::Token(a) => {
            // The refused token itself never travels: only its SHA-256.
            let query: Vec<String> = a
                .min_valid
                .map(|s| format!("{MIN_VALID_PARAM}={s}"))
                .into_iter()
                .chain(
                    a.rejected_sha256
                        .as_ref()
                        .map(|h| format!("{REJECTED_PARAM}={h}")),
                )
                .collect();
            let path = if query.is_empty() {
                token_path(&a.name)
            } else {
                format!("{}?{}", token_path(&a.name), query.join("&"))
            };
            let accept = if matches!(a.format, TokenFormat::Raw) {
                "text/plain"
            } else {
                "application/json"
            };
            (&a.name, path, "GET", accept, Shape::Token(a.format))
        }
        Command::Refresh(a) => (
            &a.name,
            refresh_path(&a.name),
            "POST",
            "application/json",
            Shape::Refreshed,
        ),
        Command::Whoami(a) => (
            &a.name,
            token_path(&a.name),
            "GET",
            "application/json",
            Shape::Whoami { json: a.json },
        ),
        _ => return None,
    };
    // A name that is not a slug is answered by the ordinary path's own error.
    tokentray_engine::ConnectionName::new(name).ok()?;
    let daemon = Daemon::find(&Paths::from_env()?)?;
    let answer = daemon.request(method, &path, accept)?;
    if answer.status == 401 {
        return None; // not from a Tokentray daemon: renew here instead
    }
    Some(print(&answer, name, shape, json, out, err))
}

/// The token JSON of `name` from a running Tokentray: `None` when none runs (work locally),
/// else its answer, or its error (the contract's body).
pub(crate) fn token_json(
    name: &str,
    min_valid: Option<u64>,
) -> Option<Result<serde_json::Value, ErrorBody>> {
    tokentray_engine::ConnectionName::new(name).ok()?;
    let daemon = Daemon::find(&Paths::from_env()?)?;
    let path = match min_valid {
        Some(s) => format!("/v1/connections/{name}/token?min_valid={s}"),
        None => format!("/v1/connections/{name}/token"),
    };
    let answer = daemon.request("GET", &path, "application/json")?;
    match answer.status {
        401 => None,
        200 => Some(Ok(answer.parse::<serde_json::Value>().unwrap_or_default())),
        _ => Some(Err(answer.error())),
    }
}

/// What the command prints from the daemon's answer.
#[derive(Clone, Copy)]
enum Shape {
    Token(TokenFormat),
    Refreshed,
    Whoami { json: bool },
}

fn print(
    answer: &Answer,
    name: &str,
    shape: Shape,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    if answer.status != 200 {
        // The contract's error body: the daemon sends the engine's own words and code, so this
        // reports and exits as the command would have without a daemon.
        let mut body = answer.error();
        if body.known_code() == Some(Code::UnknownConnection) {
            // The daemon never echoes a name back; the words are the engine's, as without it.
            let unknown = tokentray_engine::Error::UnknownConnection { name: name.into() };
            body = ErrorBody::of(&unknown);
        }
        crate::exit::report(err, &body, json);
        return body.exit_code();
    }
    let text = match shape {
        Shape::Token(TokenFormat::Raw) => format!("{}\n", answer.body.trim_end()),
        Shape::Token(TokenFormat::K8s) => {
            let v = answer.parse::<serde_json::Value>().unwrap_or_default();
            let made = crate::commands::tokens::exec_credential(
                v["kind"].as_str().unwrap_or_default(),
                v["access_token"].as_str().unwrap_or_default(),
                v["expires_at"].as_str(),
            );
            match made {
                Ok(text) => text,
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    return e.exit_code();
                }
            }
        }
        Shape::Token(format) => {
            let Some(json) = answer.parse::<TokenJson>() else {
                let _ = writeln!(
                    err,
                    "error: the running Tokentray answered something that is not the token JSON; stop it and try again"
                );
                return EXIT_OTHER;
            };
            if matches!(format, TokenFormat::Json) {
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&json).unwrap_or_default()
                )
            } else {
                format!("{}: {}\n", json.header.name, json.header.value)
            }
        }
        Shape::Refreshed => format!("refreshed {name} (by the running Tokentray)\n"),
        Shape::Whoami { json } => return whoami(answer, name, json, out, err),
    };
    if out.write_all(text.as_bytes()).is_err() {
        return 1;
    }
    0
}

/// `whoami`: the identity in the token JSON (never the token).
fn whoami(answer: &Answer, name: &str, json: bool, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let identity = answer.parse::<TokenJson>().and_then(|t| t.identity.clone());
    let written = if json {
        let body = serde_json::json!({ "connection": name, "identity": identity });
        output::json(out, &body)
    } else if let Some(identity) = identity {
        output::write(out, &format!("{identity}\n"))
    } else {
        let _ = writeln!(
            err,
            "error: {name} gives no identity; set identity_url to tell Tokentray where to ask (from the running Tokentray)"
        );
        return 1;
    };
    u8::from(written.is_err())
}
