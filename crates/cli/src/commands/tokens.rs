//! `login`, `token`, `whoami`, `refresh`, `logout`.

use std::io::Write;
use std::time::Duration;

use serde_json::json;
use tokentray_engine::{Clock, Engine, LoginInput, Secret, SystemClock};

use crate::args::{LoginArgs, Name, NameJson, TokenArgs, TokenFormat};
use crate::exit::CliError;
use crate::output;

pub(crate) async fn login(
    engine: &Engine,
    a: LoginArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    if a.redirect.is_some() || a.no_browser {
        let _ = writeln!(
            err,
            "note: browser logins arrive in a later version; --redirect and --no-browser are ignored for now"
        );
    }
    let input = LoginInput {
        totp: a.totp.map(Secret::new),
    };
    let view = engine.login(&a.name, input).await?;
    if a.json {
        return output::json(out, &view);
    }
    let who = view
        .identity
        .as_ref()
        .map(|i| format!(" as {i}"))
        .unwrap_or_default();
    output::write(
        out,
        &format!(
            "logged in to {}{who}; token {}\n",
            view.name,
            output::expiry(view.expires_at, SystemClock.now())
        ),
    )
}

pub(crate) async fn token(
    engine: &Engine,
    a: &TokenArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let handout = engine
        .token(&a.name, a.min_valid.map(Duration::from_secs))
        .await?;
    let text = match a.format {
        TokenFormat::Raw => format!("{}\n", handout.token.expose()),
        TokenFormat::Header => format!(
            "{}: {}\n",
            handout.header_name,
            handout.header_value.expose()
        ),
        TokenFormat::Json => {
            let body = handout.to_json(SystemClock.now());
            format!(
                "{}\n",
                serde_json::to_string_pretty(&body).unwrap_or_default()
            )
        }
    };
    output::write(out, &text)
}

pub(crate) async fn whoami(
    engine: &Engine,
    a: &NameJson,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let identity = engine.whoami(&a.name).await?;
    if a.json {
        return output::json(out, &json!({ "connection": a.name, "identity": identity }));
    }
    match identity {
        Some(id) => output::write(out, &format!("{id}\n")),
        None => Err(CliError::Failed(format!(
            "{} gives no identity; set identity_url to tell Tokentray where to ask",
            a.name
        ))),
    }
}

pub(crate) async fn refresh(
    engine: &Engine,
    a: &NameJson,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let view = engine.refresh(&a.name).await?;
    if a.json {
        return output::json(out, &view);
    }
    output::write(
        out,
        &format!(
            "refreshed {}; token {}\n",
            view.name,
            output::expiry(view.expires_at, SystemClock.now())
        ),
    )
}

pub(crate) async fn logout(
    engine: &Engine,
    a: &Name,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    if let Some(warning) = engine.logout(&a.name).await? {
        let _ = writeln!(err, "warning: {warning}");
    }
    output::write(out, &format!("logged out of {}\n", a.name))
}
