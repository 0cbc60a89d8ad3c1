//! `login`, `token`, `whoami`, `refresh`, `logout`.

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write};
use std::time::Duration;
use tokentray_engine::Freshness;
use tokentray_engine::connection_name;

use serde_json::json;
use tokentray_engine::{
    Clock, Engine, Handout, LoginMethod, LoginPrompt, LoginRequest, LoginStep, RedirectMode,
    RejectedToken, Secret, SystemClock, Timestamp,
};

use crate::args::{AuditArgs, LoginArgs, Name, NameJson, Redirect, TokenArgs, TokenFormat};
use crate::exit::CliError;
use crate::output;

pub(crate) async fn login(
    engine: &Engine,
    a: LoginArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let name = connection_name(&a.name)?;
    let method = engine.inspect().login_method(&name)?;
    if a.totp.is_some() {
        let how = match method {
            LoginMethod::Password { .. } => None,
            LoginMethod::Browser => Some("in the browser"),
            LoginMethod::DeviceCode => Some("with a device code"),
            LoginMethod::Stored => Some("with its stored secrets"),
        };
        if let Some(how) = how {
            let _ = writeln!(
                err,
                "warning: --totp is not used: {} logs in {how}, not with a password",
                a.name
            );
        }
    }
    let totp = match a.totp {
        Some(code) => Some(Secret::new(code)),
        None => ask_totp(method)?,
    };
    let request = LoginRequest {
        redirect: a.redirect.map(Redirect::mode),
        totp,
        open_browser: !a.no_browser,
    };
    let view = match engine.logins().start(&name, request).await? {
        LoginStep::Done(view) => view,
        LoginStep::Waiting(start) => {
            show_prompt(&start.prompt, a.no_browser, out, err)?;
            if matches!(
                start.prompt,
                LoginPrompt::Browser {
                    mode: RedirectMode::Oob,
                    ..
                }
            ) {
                let pasted = read_pasted(err)?;
                engine.logins().paste(&name, &pasted).await?;
            }
            engine.logins().finish(&name).await?
        }
    };
    if a.json {
        return output::json(out, &view);
    }
    let who = view
        .identity
        .as_ref()
        .map(|i| format!(" as {i}"))
        .unwrap_or_default();
    let changed = match (&view.identity, &view.previous_identity) {
        (Some(now), Some(was)) => format!("now signed in as {now}, was {was}\n"),
        _ => String::new(),
    };
    output::write(
        out,
        &format!(
            "logged in to {}{who}; token {}\n{changed}",
            view.name,
            output::expiry(view.expires_at, SystemClock.now())
        ),
    )
}

/// The one-time code for a login that may need one (the engine's [`LoginMethod`] says so),
/// asked on a terminal; empty or no terminal means none (an account without 2FA).
fn ask_totp(method: LoginMethod) -> Result<Option<Secret>, CliError> {
    if !method.asks_totp() || !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let code = rpassword::prompt_password("Two-factor code (empty if 2FA is off): ")
        .map_err(|e| CliError::Io("read from the terminal", e))?;
    let code = code.trim();
    Ok((!code.is_empty()).then(|| Secret::new(code)))
}

/// Prints what the person must do: the URL (or device URL and code), each on a line of its own.
fn show_prompt(
    prompt: &LoginPrompt,
    no_browser: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    match prompt {
        LoginPrompt::Browser { url, mode, .. } => {
            let _ = writeln!(
                err,
                "{}",
                if no_browser {
                    "Open this URL in a browser and sign in:"
                } else {
                    "Sign in in the browser window (or open this URL):"
                }
            );
            output::write(out, &format!("{url}\n"))?;
            if *mode == RedirectMode::Oob {
                let _ = writeln!(
                    err,
                    "Then paste the code (or the whole address the browser ended on) here:"
                );
            } else {
                let _ = writeln!(err, "Waiting for the browser…");
            }
        }
        LoginPrompt::Device {
            user_code,
            verification_uri,
            verification_uri_complete,
            ..
        } => {
            let _ = writeln!(
                err,
                "Open this URL and enter the code below (waiting until you do):"
            );
            output::write(
                out,
                &format!(
                    "{}\n{user_code}\n",
                    verification_uri_complete
                        .as_ref()
                        .unwrap_or(verification_uri)
                ),
            )?;
        }
    }
    let _ = out.flush();
    Ok(())
}

fn read_pasted(err: &mut dyn Write) -> Result<String, CliError> {
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::Io("read the pasted code", e))?;
    Ok(line)
}

/// Works out the SHA-256 of the refused token of `token --rejected` (the argument, `-` for
/// stdin, or `TOKENTRAY_REJECTED`) once, before the daemon or the engine is asked, and forgets
/// the token itself. A token on the command line gets a warning: a token refused for a missing
/// permission (not revoked) still works, and other users can read command lines.
pub(crate) fn resolve_rejected(a: &mut TokenArgs, err: &mut dyn Write) -> Result<(), CliError> {
    if a.rejected
        .as_deref()
        .is_some_and(|r| r != "-" && !r.is_empty())
    {
        let _ = writeln!(
            err,
            "warning: --rejected TOKEN on the command line is visible to other users of this machine; prefer `--rejected -` (stdin) or $TOKENTRAY_REJECTED"
        );
    }
    let given = a.rejected.take().or_else(|| {
        std::env::var("TOKENTRAY_REJECTED")
            .ok()
            .filter(|v| !v.is_empty())
    });
    let Some(given) = given else {
        return Ok(());
    };
    let token = if given == "-" {
        let mut read = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut read)
            .map_err(|e| CliError::Io("read the refused token from stdin", e))?;
        Secret::new(read.trim().to_owned())
    } else {
        Secret::new(given.trim().to_owned())
    };
    if token.expose().is_empty() {
        return Err(CliError::Usage(
            "--rejected needs the token the API refused (or `-` to read it from stdin)".into(),
        ));
    }
    a.rejected_sha256 = Some(RejectedToken::of(token.expose()).to_hex());
    Ok(())
}

pub(crate) async fn token(
    engine: &Engine,
    a: &TokenArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let min_valid = a.min_valid.map(Duration::from_secs);
    let handout = match a
        .rejected_sha256
        .as_deref()
        .and_then(RejectedToken::from_hex)
    {
        Some(rejected) => Handout::clone(
            &*engine
                .token_rejected(
                    &connection_name(&a.name)?,
                    &rejected,
                    Freshness::from(min_valid),
                )
                .await?,
        ),
        None => Handout::clone(
            &*engine
                .token(&connection_name(&a.name)?, Freshness::from(min_valid))
                .await?,
        ),
    };
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
        TokenFormat::K8s => exec_credential(
            &handout.kind.to_string(),
            handout.token.expose(),
            handout.expires_at.map(Timestamp::to_rfc3339).as_deref(),
        )?,
    };
    output::write(out, &text)
}

/// The API version of the `ExecCredential` that `--format k8s` prints.
pub(crate) const EXEC_CREDENTIAL_VERSION: &str = "client.authentication.k8s.io/v1";

/// `--format k8s`: a Kubernetes `ExecCredential` as kubectl's `exec` credential plugins print
/// it: the token in `status.token`, its expiry (RFC 3339, UTC) in `status.expirationTimestamp`
/// when known (kubectl runs the plugin again after it), nothing else. A basic connection has no
/// bearer token to give.
pub(crate) fn exec_credential(
    kind: &str,
    token: &str,
    expires_at: Option<&str>,
) -> Result<String, CliError> {
    if kind == tokentray_engine::ProviderKind::Basic.to_string() {
        return Err(CliError::Usage(
            "--format k8s needs a bearer token, and a basic connection has only a user name and password; use --format header for it".into(),
        ));
    }
    let mut status = serde_json::Map::new();
    status.insert("token".into(), token.into());
    if let Some(at) = expires_at {
        status.insert("expirationTimestamp".into(), at.into());
    }
    let credential = json!({
        "apiVersion": EXEC_CREDENTIAL_VERSION,
        "kind": "ExecCredential",
        "spec": { "interactive": false },
        "status": status,
    });
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&credential).unwrap_or_default()
    ))
}

pub(crate) async fn whoami(
    engine: &Engine,
    a: &NameJson,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let identity = engine.inspect().whoami(&connection_name(&a.name)?).await?;
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
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let done = engine.refresh(&connection_name(&a.name)?).await?;
    let view = done.view;
    let now = SystemClock.now();
    // Within the renewal limit the token is not renewed again: say so, and since when.
    let held = done.held_since.map(|at| {
        let what = if view.last_refresh == Some(at) {
            "renewed"
        } else {
            "tried"
        };
        format!(
            "not renewed: {} was last {what} {} s ago, and is renewed at most once per {} s",
            view.name,
            now.since(at).as_secs(),
            tokentray_engine::RENEWAL_WINDOW.as_secs()
        )
    });
    if a.json {
        if let Some(note) = held {
            let _ = writeln!(err, "{note}");
        }
        return output::json(out, &view);
    }
    let expiry = output::expiry(view.expires_at, now);
    let text = match held {
        Some(note) => format!("{note}; token {expiry}\n"),
        None => format!("refreshed {}; token {expiry}\n", view.name),
    };
    output::write(out, &text)
}

pub(crate) async fn logout(
    engine: &Engine,
    a: &Name,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    if let Some(warning) = engine.logins().logout(&connection_name(&a.name)?).await? {
        let _ = writeln!(err, "warning: {warning}");
    }
    output::write(out, &format!("logged out of {}\n", a.name))
}

pub(crate) fn audit(engine: &Engine, a: &AuditArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let entries = engine.audit(a.limit);
    if a.json {
        return output::json(out, &entries);
    }
    if entries.is_empty() {
        return output::write(out, "no tokens handed out yet\n");
    }
    let mut text = String::new();
    for e in entries {
        let who = [e.client, e.process]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(text, "{}  {:<20} {:<40} {who}", e.at, e.connection, e.via);
    }
    output::write(out, &text)
}
