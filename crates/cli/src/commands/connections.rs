//! `add`, `edit`, `list`, `show`, `remove`, `import`, `export`.

use std::fmt::Write as _;
use std::io::{IsTerminal, Read, Write};
use tokentray_engine::connection_name;

use serde_json::json;
use tokentray_engine::{
    Clock, ConnectionSpec, ConnectionView, Edit, Edited, Engine, Error, FieldError, ProviderKind,
    SystemClock,
};

use crate::args::{AddArgs, EditArgs, ExportArgs, ImportArgs, JsonFlag, Name, NameJson};
use crate::exit::CliError;
use crate::input::{parse_pairs, prompt_secret};
use crate::output;

fn kind(raw: &str) -> Result<ProviderKind, CliError> {
    raw.parse()
        .map_err(|e: tokentray_engine::UnknownKind| CliError::Usage(e.to_string()))
}

/// Secret fields the engine reported missing.
fn missing_secrets(e: &Error, kind: ProviderKind) -> Vec<String> {
    let Error::InvalidFields { errors } = e else {
        return Vec::new();
    };
    errors
        .iter()
        .filter(|f| {
            tokentray_engine::find_field(kind, &f.field)
                .is_some_and(tokentray_engine::FieldDef::is_secret)
        })
        .map(|f: &FieldError| f.field.clone())
        .collect()
}

pub(crate) async fn add(
    engine: &Engine,
    a: AddArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let kind = kind(&a.kind)?;
    let mut input = parse_pairs(kind, &a.fields, err)?;
    let view = loop {
        match engine
            .manage()
            .add(
                &tokentray_engine::ConnectionName::new(&a.name)
                    .map_err(tokentray_engine::Error::from)?,
                kind,
                &input.set,
                input.secrets.clone(),
            )
            .await
        {
            Ok(v) => break v,
            Err(e) => {
                // On a terminal, ask for missing secrets instead of failing.
                let wanted = missing_secrets(&e, kind);
                if wanted.is_empty() {
                    return Err(e.into());
                }
                let mut got = false;
                for field in wanted {
                    if let Some(secret) = prompt_secret(kind, &field)? {
                        input.secrets.set(field, secret);
                        got = true;
                    }
                }
                if !got {
                    return Err(e.into());
                }
            }
        }
    };
    if view.allow_http {
        let _ = writeln!(
            err,
            "warning: {}: {}",
            view.name,
            tokentray_engine::ALLOW_HTTP_WARNING
        );
    }
    if a.json {
        return output::json(out, &view);
    }
    output::write(
        out,
        &format!(
            "added {} ({}); run `tokentray token {}` to get a token\n",
            view.name, view.kind, view.name
        ),
    )
}

/// `how` to store `field` of `name` again, in words.
fn store_again(kind: ProviderKind, name: &str, field: &str) -> String {
    let def = tokentray_engine::find_field(kind, field);
    let label = def.map_or(field, |d| d.label).to_lowercase();
    let env = def.map_or_else(
        || field.to_ascii_uppercase(),
        tokentray_engine::FieldDef::env_var,
    );
    format!(
        "store the {label} again with `tokentray edit {name}` (it asks on a terminal; or set ${env})"
    )
}

fn field_label(kind: ProviderKind, field: &str) -> String {
    tokentray_engine::find_field(kind, field)
        .map_or_else(|| field.to_owned(), |d| d.label.to_owned())
}

/// What `edit` says: plainly which secrets were deleted because the destination changed, and
/// how to store each again.
fn edit_message(kind: ProviderKind, edited: &Edited) -> String {
    let name = edited.view.name.as_str();
    let mut text = format!("updated {name}\n");
    if edited.moved.is_empty() {
        return text;
    }
    let moved: Vec<String> = edited.moved.iter().map(|f| field_label(kind, f)).collect();
    let mut gone: Vec<String> = edited
        .dropped
        .iter()
        .map(|f| field_label(kind, f).to_lowercase())
        .collect();
    if edited.tokens_dropped {
        gone.push("tokens".into());
    }
    if !gone.is_empty() {
        let _ = writeln!(
            text,
            "{} changed, so the stored {} of {name} {} deleted: Tokentray never sends a secret to an address it was not given for.",
            moved.join(", "),
            gone.join(", "),
            if gone.len() == 1 && !edited.tokens_dropped {
                "was"
            } else {
                "were"
            },
        );
    }
    for field in &edited.needed {
        let _ = writeln!(text, "needed: {}", store_again(kind, name, field));
    }
    if edited.needed.is_empty() && edited.tokens_dropped {
        let _ = writeln!(
            text,
            "run `tokentray login {name}` (or `tokentray token {name}`) to get new tokens from the new address"
        );
    }
    text
}

pub(crate) async fn edit(
    engine: &Engine,
    a: EditArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let spec = engine.spec(&connection_name(&a.name)?)?;
    let kind = spec.kind;
    let mut input = parse_pairs(kind, &a.fields, err)?;
    let interactive = std::io::stdin().is_terminal();
    if input.set.is_empty() && input.secrets.is_empty() && !interactive {
        return Err(CliError::Usage(
            "nothing to change: give fields as --field-name value".into(),
        ));
    }
    let mut asked = false;
    let edited = loop {
        let edit = Edit {
            set: input.set.clone(),
            secrets: input.secrets.clone(),
            forget: Vec::new(),
            // Once the person was asked (or cannot be), save and say what is still needed.
            save_without_secrets: asked || !interactive,
        };
        match engine
            .manage()
            .edit_report(&connection_name(&a.name)?, edit)
            .await
        {
            Ok(e) => break e,
            Err(e) => {
                // On a terminal, ask for the secrets the new definition needs, in this step.
                let wanted = missing_secrets(&e, kind);
                if wanted.is_empty() || asked {
                    return Err(e.into());
                }
                asked = true;
                if let Error::InvalidFields { errors } = &e {
                    for f in errors.iter().filter(|f| wanted.contains(&f.field)) {
                        let _ = writeln!(err, "{}: {}", field_label(kind, &f.field), f.reason);
                    }
                }
                for field in wanted {
                    if let Some(secret) = prompt_secret(kind, &field)?
                        && !secret.expose().is_empty()
                    {
                        input.secrets.set(field, secret);
                    }
                }
            }
        }
    };
    if input.set.is_empty() && input.secrets.is_empty() {
        return Err(CliError::Usage(
            "nothing to change: give fields as --field-name value".into(),
        ));
    }
    if a.json {
        let mut value = serde_json::to_value(&edited.view).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            obj.insert("moved".into(), json!(edited.moved));
            obj.insert("deleted_secrets".into(), json!(edited.dropped));
            obj.insert("deleted_tokens".into(), json!(edited.tokens_dropped));
            obj.insert("needs_secrets".into(), json!(edited.needed));
        }
        return output::json(out, &value);
    }
    output::write(out, &edit_message(kind, &edited))
}

pub(crate) fn list(engine: &Engine, a: &JsonFlag, out: &mut dyn Write) -> Result<(), CliError> {
    let rows = engine.list()?;
    let warned: Vec<Vec<String>> = rows.iter().map(|r| row_warnings(engine, r)).collect();
    if a.json {
        // Each row as the engine describes it, with the same warnings the text shows.
        let rows: Vec<serde_json::Value> = rows
            .iter()
            .zip(&warned)
            .map(|(r, w)| {
                let mut value = serde_json::to_value(r).unwrap_or_default();
                if let Some(obj) = value.as_object_mut() {
                    obj.insert("warnings".into(), json!(w));
                }
                value
            })
            .collect();
        return output::json(out, &rows);
    }
    if rows.is_empty() {
        return output::write(
            out,
            "no connections yet; add one with `tokentray add NAME --kind KIND …` (see `tokentray add --help`)\n",
        );
    }
    let mut text = output::table(&rows, SystemClock.now());
    for (r, w) in rows.iter().zip(&warned) {
        for w in w {
            // The insecure warning names its connection already; the plain-http one does not.
            if w == tokentray_engine::ALLOW_HTTP_WARNING {
                let _ = writeln!(text, "warning: {}: {w}", r.name);
            } else {
                let _ = writeln!(text, "warning: {w}");
            }
        }
    }
    output::write(out, &text)
}

/// What `list` and `show` warn about a connection: switched-off certificate checks, plain
/// http allowed.
fn warnings(spec: Option<&ConnectionSpec>, allow_http: bool) -> Vec<String> {
    let mut warnings: Vec<String> = spec
        .and_then(tokentray_engine::insecure_warning)
        .into_iter()
        .collect();
    if allow_http {
        warnings.push(tokentray_engine::ALLOW_HTTP_WARNING.to_owned());
    }
    warnings
}

fn row_warnings(engine: &Engine, row: &ConnectionView) -> Vec<String> {
    warnings(engine.spec(&row.name).ok().as_deref(), row.allow_http)
}

fn show_json(
    view: &ConnectionView,
    settings: &serde_json::Value,
    secrets: &[String],
    warnings: &[String],
) -> serde_json::Value {
    json!({ "connection": view, "settings": settings, "secrets_stored": secrets, "warnings": warnings })
}

pub(crate) async fn show(
    engine: &Engine,
    a: &NameJson,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let spec = engine.spec(&connection_name(&a.name)?)?;
    let view = engine.view(&connection_name(&a.name)?)?;
    let secrets = engine
        .inspect()
        .stored_secret_fields(&connection_name(&a.name)?)
        .await?;
    let warnings = warnings(Some(&spec), view.allow_http);
    if a.json {
        let settings: serde_json::Map<String, serde_json::Value> = spec
            .settings
            .iter()
            .map(|(k, v)| (k.to_owned(), serde_json::to_value(v).unwrap_or_default()))
            .collect();
        return output::json(
            out,
            &show_json(&view, &settings.into(), &secrets, &warnings),
        );
    }
    output::write(out, &show_text(engine, &spec, &view, &secrets, &warnings))
}

/// `show`'s text: one line per fact, the warnings right under the status.
fn show_text(
    engine: &Engine,
    spec: &tokentray_engine::ConnectionSpec,
    view: &tokentray_engine::ConnectionView,
    secrets: &[String],
    warnings: &[String],
) -> String {
    let now = SystemClock.now();
    let mut text = String::new();
    let _ = writeln!(text, "{} — {}", view.name, view.label);
    let _ = writeln!(text, "  kind:      {} ({})", view.kind, view.kind.title());
    let _ = writeln!(text, "  status:    {}", output::status(view.status));
    for w in warnings {
        let _ = writeln!(text, "  warning:   {w}");
    }
    let _ = writeln!(
        text,
        "  expires:   {}",
        output::expiry(view.expires_at, now)
    );
    if view.refresh_expires_at.is_some() {
        let _ = writeln!(
            text,
            "  session:   ends {}",
            output::expiry(view.refresh_expires_at, now)
        );
    }
    if view.needs_login_at.is_some() {
        let _ = writeln!(
            text,
            "  login:     needed again {}",
            output::expiry(view.needs_login_at, now)
        );
    }
    if let Some(id) = &view.identity {
        let _ = writeln!(text, "  identity:  {id}");
    }
    if let (Some(id), Some(was)) = (&view.identity, &view.previous_identity) {
        let _ = writeln!(
            text,
            "  changed:   the last login signed in as {id}, was {was}"
        );
    }
    if let Some(e) = &view.last_error {
        let _ = writeln!(text, "  error:     {e}");
    }
    let stored = if secrets.is_empty() {
        "none".to_owned()
    } else {
        secrets.join(", ")
    };
    let _ = writeln!(
        text,
        "  secrets:   {stored} in the {}",
        engine.inspect().store_info().kind
    );
    let _ = writeln!(
        text,
        "  export:    {}",
        if view.exportable { "allowed" } else { "off" }
    );
    if let Some(referer) = &view.referer {
        let _ = writeln!(text, "  referer:   API calls must send Referer: {referer}");
    }
    let _ = writeln!(text, "  settings:");
    for (k, v) in spec.settings.iter() {
        let _ = writeln!(text, "    {k} = {v}");
    }
    text
}

pub(crate) async fn remove(engine: &Engine, a: &Name, out: &mut dyn Write) -> Result<(), CliError> {
    engine.manage().remove(&connection_name(&a.name)?).await?;
    output::write(out, &format!("removed {} and its secrets\n", a.name))
}

pub(crate) async fn import(
    engine: &Engine,
    a: &ImportArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let text = if a.file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CliError::Io("read standard input", e))?;
        s
    } else {
        std::fs::read_to_string(&a.file).map_err(|e| CliError::Io("read the import file", e))?
    };
    let imported = engine.manage().import(&text, a.with_token_files).await?;
    let mut text = format!(
        "imported {}; store their secrets with `tokentray edit NAME --field value` or log in\n",
        some_names(&imported.names)
    );
    if !imported.cleared.is_empty() {
        let names: Vec<String> = imported.cleared.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            text,
            "deleted secrets an earlier connection left under {} in the {}: they were not stored for the imported definition and are never reused",
            names.join(", "),
            engine.inspect().store_info().kind
        );
    }
    if !imported.token_files.is_empty() {
        let files: Vec<String> = imported
            .token_files
            .iter()
            .map(|(name, file)| format!("{name} → {file}"))
            .collect();
        if imported.token_files_kept {
            let _ = writeln!(text, "token files kept: {}", files.join(", "));
        } else {
            let _ = writeln!(
                text,
                "token files left out (Tokentray writes files only where you ask it to): {}; keep them with `tokentray import --with-token-files`, or set one with `tokentray edit NAME --token-file PATH`",
                files.join(", ")
            );
        }
    }
    output::write(out, &text)
}

pub(crate) fn export(engine: &Engine, a: &ExportArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let names = a
        .names
        .iter()
        .map(|n| connection_name(n))
        .collect::<Result<Vec<_>, _>>()?;
    output::write(out, &engine.manage().export_definitions(&names)?)
}

/// The names, or for many the first few and how many there are (`list` shows them all).
fn some_names(names: &[tokentray_engine::ConnectionName]) -> String {
    const SHOWN: usize = 10;
    let first: Vec<&str> = names
        .iter()
        .take(SHOWN)
        .map(tokentray_engine::ConnectionName::as_str)
        .collect();
    if names.len() <= SHOWN {
        first.join(", ")
    } else {
        format!(
            "{} connections ({}, …; `tokentray list` shows them all)",
            names.len(),
            first.join(", ")
        )
    }
}
