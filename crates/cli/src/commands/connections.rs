//! `add`, `edit`, `list`, `show`, `remove`, `import`, `export`.

use std::fmt::Write as _;
use std::io::{Read, Write};

use serde_json::json;
use tokentray_engine::{
    Clock, ConnectionView, Edit, Engine, Error, FieldError, ProviderKind, SystemClock,
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
            .add(&a.name, kind, &input.set, input.secrets.clone())
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

pub(crate) async fn edit(
    engine: &Engine,
    a: EditArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let spec = engine.spec(&a.name)?;
    let input = parse_pairs(spec.kind, &a.fields, err)?;
    if input.set.is_empty() && input.secrets.is_empty() {
        return Err(CliError::Usage(
            "nothing to change: give fields as --field-name value".into(),
        ));
    }
    let view = engine
        .edit(
            &a.name,
            Edit {
                set: input.set,
                secrets: input.secrets,
                forget: Vec::new(),
            },
        )
        .await?;
    if a.json {
        return output::json(out, &view);
    }
    output::write(out, &format!("updated {}\n", view.name))
}

pub(crate) fn list(engine: &Engine, a: &JsonFlag, out: &mut dyn Write) -> Result<(), CliError> {
    let rows = engine.list()?;
    if a.json {
        return output::json(out, &rows);
    }
    if rows.is_empty() {
        return output::write(
            out,
            "no connections yet; add one with `tokentray add NAME --kind KIND …` (see `tokentray add --help`)\n",
        );
    }
    let mut text = output::table(&rows, SystemClock.now());
    for r in &rows {
        if let Some(w) = engine
            .spec(r.name.as_str())
            .ok()
            .and_then(|spec| tokentray_engine::insecure_warning(&spec))
        {
            let _ = writeln!(text, "warning: {w}");
        }
    }
    output::write(out, &text)
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
    let spec = engine.spec(&a.name)?;
    let view = engine.view(&a.name)?;
    let secrets = engine.stored_secret_fields(&a.name).await?;
    let warnings: Vec<String> = tokentray_engine::insecure_warning(&spec)
        .into_iter()
        .collect();
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
    let now = SystemClock.now();
    let mut text = String::new();
    let _ = writeln!(text, "{} — {}", view.name, view.label);
    let _ = writeln!(text, "  kind:      {} ({})", view.kind, view.kind.title());
    let _ = writeln!(text, "  status:    {}", output::status(view.status));
    for w in &warnings {
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
        engine.store_info().kind
    );
    let _ = writeln!(
        text,
        "  export:    {}",
        if view.exportable { "allowed" } else { "off" }
    );
    let _ = writeln!(text, "  settings:");
    for (k, v) in spec.settings.iter() {
        let _ = writeln!(text, "    {k} = {v}");
    }
    output::write(out, &text)
}

pub(crate) async fn remove(engine: &Engine, a: &Name, out: &mut dyn Write) -> Result<(), CliError> {
    engine.remove(&a.name).await?;
    output::write(out, &format!("removed {} and its secrets\n", a.name))
}

pub(crate) fn import(engine: &Engine, a: &ImportArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let text = if a.file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CliError::Io("read standard input", e))?;
        s
    } else {
        std::fs::read_to_string(&a.file).map_err(|e| CliError::Io("read the import file", e))?
    };
    let names = engine.import_definitions(&text)?;
    let list: Vec<String> = names.iter().map(ToString::to_string).collect();
    output::write(
        out,
        &format!(
            "imported {}; store their secrets with `tokentray edit NAME --field value` or log in\n",
            list.join(", ")
        ),
    )
}

pub(crate) fn export(engine: &Engine, a: &ExportArgs, out: &mut dyn Write) -> Result<(), CliError> {
    output::write(out, &engine.export_definitions(&a.names)?)
}
