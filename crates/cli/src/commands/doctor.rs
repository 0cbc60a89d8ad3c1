//! `doctor`: what works, what does not, and what to do about it.

use std::fmt::Write as _;
use std::io::Write;
use std::time::Instant;

use serde_json::json;
use tokentray_engine::contract::endpoint::{DAEMON_INFO_PATH, DaemonInfo};
use tokentray_engine::{Engine, Error, Status, StoreKind};

use crate::args::DoctorArgs;
use crate::exit::CliError;
use crate::output;

struct Check {
    name: &'static str,
    ok: bool,
    /// Works, but deserves attention (does not fail the doctor).
    warn: bool,
    detail: String,
}

impl Check {
    fn new(name: &'static str, ok: bool, detail: impl Into<String>) -> Self {
        Self {
            name,
            ok,
            warn: false,
            detail: detail.into(),
        }
    }

    fn warning(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            warn: true,
            ..Self::new(name, true, detail)
        }
    }
}

pub(crate) async fn run(
    engine: &Engine,
    a: &DoctorArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if a.use_file_store || a.use_keychain {
        let kind = if a.use_file_store {
            StoreKind::File
        } else {
            StoreKind::Keychain
        };
        engine.set_secret_store(kind)?;
        output::write(
            out,
            &format!(
                "secrets of new and edited connections now go to the {kind} store; existing secrets stay where they are until you edit or log in again\n"
            ),
        )?;
    }
    let mut checks = files(engine);
    checks.push(endpoint(engine));
    let store_ok = secrets(engine, &mut checks).await;
    connections(engine, &mut checks).await;
    report(&checks, a.json, out)?;
    if !store_ok {
        return Err(CliError::Engine(Error::Store(
            tokentray_engine::StoreError::Unavailable {
                reason: "the secret store failed the check above".into(),
            },
        )));
    }
    if checks.iter().any(|c| !c.ok) {
        return Err(CliError::Failed("doctor found problems (see above)".into()));
    }
    Ok(())
}

fn files(engine: &Engine) -> Vec<Check> {
    let paths = engine.paths();
    let mut checks = vec![Check::new(
        "files",
        true,
        format!(
            "config {}, data {}",
            paths.config_file().display(),
            paths.data_dir.display()
        ),
    )];
    checks.push(match engine.config() {
        Ok(c) => Check::new(
            "config",
            true,
            format!(
                "{} connection(s), schema {}",
                c.connections.len(),
                c.schema_version
            ),
        ),
        Err(e) => Check::new("config", false, e.to_string()),
    });
    checks
}

/// Whether an app or `serve` runs (asked on the daemon socket, never through `endpoint.json`,
/// which a crash may have left behind) and where its endpoint listens; when none runs, whether
/// the default port is free for one.
fn endpoint(engine: &Engine) -> Check {
    let paths = engine.paths();
    let info = crate::daemon::Daemon::find(paths)
        .and_then(|d| d.request("GET", DAEMON_INFO_PATH, "application/json"))
        .filter(|a| a.status == 200)
        .and_then(|a| a.parse::<DaemonInfo>());
    if let Some(info) = info {
        let (url, pid) = (&info.url, info.pid);
        let mut detail = format!("a running Tokentray (pid {pid}) serves the endpoint at {url}");
        if info.default_taken {
            let _ = write!(
                detail,
                "; the default port {} was taken by another program, so scripts must read the address from {}",
                info.requested_port,
                paths.endpoint_file().display()
            );
        }
        return Check::new("endpoint", true, detail);
    }
    let default = tokentray_export::default_port();
    let mut detail = "not running (the app or `tokentray serve` starts it)".to_owned();
    if std::net::TcpListener::bind(("127.0.0.1", default)).is_err() {
        let _ = write!(
            detail,
            "; the default port {default} is taken by another program, so it will listen on another port: scripts read it from {}",
            paths.endpoint_file().display()
        );
    }
    Check::new("endpoint", true, detail)
}

async fn secrets(engine: &Engine, checks: &mut Vec<Check>) -> bool {
    let info = engine.store_info();
    let started = Instant::now();
    let probe = engine.probe_store().await;
    let ms = started.elapsed().as_millis();
    let ok = probe.is_ok();
    checks.push(match probe {
        Ok(()) => Check::new(
            "secrets",
            true,
            format!(
                "{} ({}) works; a write+read+delete took {ms} ms",
                info.kind, info.location
            ),
        ),
        Err(e) => Check::new(
            "secrets",
            false,
            format!(
                "{} ({}): {}",
                info.kind,
                info.location,
                tokentray_engine::contract::error::said(&e)
            ),
        ),
    });
    if info.kind == StoreKind::File {
        checks.push(Check::new(
            "secrets",
            true,
            "secrets are in an owner-only file, not the keychain (your explicit choice)",
        ));
    }
    ok
}

async fn connections(engine: &Engine, checks: &mut Vec<Check>) {
    let Ok(views) = engine.list() else { return };
    for v in views {
        let ok = !matches!(v.status, Status::NeedsLogin | Status::Error);
        let mut detail = format!("{}: {}", v.name, v.status);
        if let Some(e) = v.last_error.filter(|_| !ok) {
            let _ = write!(detail, " — {e}");
        }
        if let Some(skew) = engine.clock_skew(v.name.as_str()).await.ok().flatten()
            && skew.abs() > 300
        {
            let _ = write!(
                detail,
                "; this machine's clock is {skew}s off the service's, which breaks token expiry: fix the clock"
            );
        }
        checks.push(Check::new("connection", ok, detail));
        if let Some(w) = engine
            .spec(v.name.as_str())
            .ok()
            .and_then(|spec| tokentray_engine::insecure_warning(&spec))
        {
            checks.push(Check::warning("tls", w));
        }
        if v.allow_http {
            let warning = format!("{}: {}", v.name, tokentray_engine::ALLOW_HTTP_WARNING);
            checks.push(Check::warning("connection", warning));
        }
    }
}

fn report(checks: &[Check], json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    if json {
        let list: Vec<_> = checks
            .iter()
            .map(|c| json!({"check": c.name, "ok": c.ok, "warning": c.warn, "detail": c.detail}))
            .collect();
        return output::json(out, &list);
    }
    let mut text = String::new();
    for c in checks {
        let _ = writeln!(
            text,
            "{} {:<10} {}",
            match (c.ok, c.warn) {
                (false, _) => "FAIL",
                (true, true) => "warn",
                (true, false) => "ok  ",
            },
            c.name,
            c.detail
        );
    }
    output::write(out, &text)
}
