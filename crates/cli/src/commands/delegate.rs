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

use tokentray_engine::Paths;

use crate::args::{Command, TokenFormat};
use crate::daemon::{Answer, Daemon};
use crate::output;

/// Runs the command through the daemon when one runs; the exit code, or `None` to go on.
pub(crate) fn try_daemon(
    command: &Command,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Option<u8> {
    let (name, path, method, accept, shape) = match command {
        Command::Token(a) => {
            // The refused token itself never travels: only its SHA-256.
            let query: Vec<String> = a
                .min_valid
                .map(|s| format!("min_valid={s}"))
                .into_iter()
                .chain(a.rejected_sha256.as_ref().map(|h| format!("rejected={h}")))
                .collect();
            let path = if query.is_empty() {
                format!("/v1/connections/{}/token", a.name)
            } else {
                format!("/v1/connections/{}/token?{}", a.name, query.join("&"))
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
            format!("/v1/connections/{}/refresh", a.name),
            "POST",
            "application/json",
            Shape::Refreshed,
        ),
        Command::Whoami(a) => (
            &a.name,
            format!("/v1/connections/{}/token", a.name),
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
    Some(print(&answer, name, shape, out, err))
}

/// The exit code for an error `code` of the endpoint.
fn exit_code(code: &str) -> u8 {
    match code {
        "unknown_connection" => 3,
        "needs_login" => 4,
        "provider_error" => 5,
        "storage_unavailable" => 6,
        "invalid_request" => 2,
        _ => 1,
    }
}

/// The token JSON of `name` from a running Tokentray: `None` when none runs (work locally),
/// else its answer, or its error as an exit code and message.
pub(crate) fn token_json(
    name: &str,
    min_valid: Option<u64>,
) -> Option<Result<serde_json::Value, (u8, String)>> {
    tokentray_engine::ConnectionName::new(name).ok()?;
    let daemon = Daemon::find(&Paths::from_env()?)?;
    let path = match min_valid {
        Some(s) => format!("/v1/connections/{name}/token?min_valid={s}"),
        None => format!("/v1/connections/{name}/token"),
    };
    let answer = daemon.request("GET", &path, "application/json")?;
    match answer.status {
        401 => None,
        200 => Some(Ok(answer.json())),
        _ => {
            let (code, message) = answer.error();
            Some(Err((exit_code(&code), message)))
        }
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
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    if answer.status != 200 {
        let (code, message) = answer.error();
        if code == "unknown_connection" {
            // The daemon serves every connection here, so "unknown" means what it says locally.
            let _ = writeln!(
                err,
                "error: no connection named \"{name}\"; run `tokentray list` to see the connections"
            );
        } else {
            let _ = writeln!(err, "error: {message} (from the running Tokentray)");
        }
        return exit_code(&code);
    }
    let text = match shape {
        Shape::Token(TokenFormat::Raw) => format!("{}\n", answer.body.trim_end()),
        Shape::Token(TokenFormat::Json) => {
            let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
        Shape::Token(TokenFormat::Header) => {
            let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
            format!(
                "{}: {}\n",
                v["header"]["name"].as_str().unwrap_or("Authorization"),
                v["header"]["value"].as_str().unwrap_or_default()
            )
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
    let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
    let identity: Option<tokentray_engine::Identity> =
        serde_json::from_value(v["identity"].clone()).ok().flatten();
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
