//! `token` and `refresh` through a running Tokentray: when the app or `tokentray serve` runs
//! it is the only refresher, so these commands ask it and never renew themselves. Without one,
//! `None` sends the command down the ordinary path.

use std::io::Write;

use tokentray_engine::Paths;

use crate::args::{Command, TokenFormat};
use crate::daemon::{Answer, Daemon};

/// Runs the command through the daemon when one runs; the exit code, or `None` to go on.
pub(crate) fn try_daemon(
    command: &Command,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Option<u8> {
    let (name, path, method, accept, format) = match command {
        Command::Token(a) => {
            let path = match a.min_valid {
                Some(s) => format!("/v1/connections/{}/token?min_valid={s}", a.name),
                None => format!("/v1/connections/{}/token", a.name),
            };
            let accept = if matches!(a.format, TokenFormat::Raw) {
                "text/plain"
            } else {
                "application/json"
            };
            (&a.name, path, "GET", accept, Some(a.format))
        }
        Command::Refresh(a) => (
            &a.name,
            format!("/v1/connections/{}/refresh", a.name),
            "POST",
            "application/json",
            None,
        ),
        _ => return None,
    };
    // A name that is not a slug is answered by the ordinary path's own error.
    tokentray_engine::ConnectionName::new(name).ok()?;
    let daemon = Daemon::find(&Paths::from_env()?)?;
    let answer = daemon.request(method, &path, accept)?;
    if answer.status == 401 {
        return None; // another install's endpoint file: renew here instead
    }
    Some(print(&answer, name, format, out, err))
}

fn print(
    answer: &Answer,
    name: &str,
    format: Option<TokenFormat>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    if answer.status != 200 {
        let (code, message) = answer.error();
        let _ = writeln!(err, "error: {message} (from the running Tokentray)");
        return match code.as_str() {
            "unknown_connection" => 3,
            "needs_login" => 4,
            "provider_error" => 5,
            "storage_unavailable" => 6,
            "invalid_request" => 2,
            _ => 1,
        };
    }
    let text = match format {
        Some(TokenFormat::Raw) => format!("{}\n", answer.body.trim_end()),
        Some(TokenFormat::Json) => {
            let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
        Some(TokenFormat::Header) => {
            let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
            format!(
                "{}: {}\n",
                v["header"]["name"].as_str().unwrap_or("Authorization"),
                v["header"]["value"].as_str().unwrap_or_default()
            )
        }
        None => format!("refreshed {name} (by the running Tokentray)\n"),
    };
    if out.write_all(text.as_bytes()).is_err() {
        return 1;
    }
    0
}
