//! Turning `--field-name value` pairs, `TOKENTRAY_<FIELD>` variables and prompts into settings
//! and secrets, by the engine's field table.

use std::io::{IsTerminal, Write};

use tokentray_engine::{Credentials, FieldType, ProviderKind, Secret, all_fields, find_field};

use crate::exit::CliError;

/// Fields read from the command line and the environment.
#[derive(Debug, Default)]
pub(crate) struct FieldInput {
    /// Non-secret fields as typed.
    pub set: Vec<(String, String)>,
    /// Secret fields.
    pub secrets: Credentials,
}

/// Parses `--field value` / `--field=value` pairs for `kind`.
pub(crate) fn parse_pairs(
    kind: ProviderKind,
    args: &[String],
    err: &mut dyn Write,
) -> Result<FieldInput, CliError> {
    let mut input = FieldInput::default();
    let mut it = args.iter().peekable();
    while let Some(arg) = it.next() {
        let Some(flag) = arg.strip_prefix("--") else {
            return Err(CliError::Usage(format!(
                "unexpected argument {arg:?}: fields are given as --field-name value"
            )));
        };
        let (name, written) = match flag.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (flag.to_owned(), None),
        };
        let field = name.replace('-', "_");
        let def = find_field(kind, &field).ok_or_else(|| {
            CliError::Usage(format!(
                "--{name} is not a field of kind {kind}; run `tokentray add --help` to see the fields of each kind"
            ))
        })?;
        let value = match written {
            Some(v) => v,
            // A yes/no field given alone (`--allow-http`) means yes.
            None if def.ty == FieldType::Bool
                && it.peek().is_none_or(|next| next.starts_with("--")) =>
            {
                "true".to_owned()
            }
            None => it
                .next()
                .ok_or_else(|| CliError::Usage(format!("--{flag} needs a value")))?
                .clone(),
        };
        if def.is_secret() {
            let _ = writeln!(
                err,
                "warning: {} on the command line is visible to other users of this machine; prefer ${} or the prompt",
                def.flag(),
                def.env_var()
            );
            input.secrets.set(def.name, Secret::new(value.trim()));
        } else {
            input.set.push((def.name.to_owned(), value));
        }
    }
    for def in all_fields(kind).filter(|d| d.is_secret()) {
        if input.secrets.get(def.name).is_some() {
            continue;
        }
        for name in env_names(kind, def.name) {
            if let Ok(value) = std::env::var(&name)
                && !value.trim().is_empty()
            {
                input.secrets.set(def.name, Secret::new(value.trim()));
                break;
            }
        }
    }
    Ok(input)
}

/// The environment variables that can carry `field` of `kind`, in the order they are read:
/// `TOKENTRAY_<FIELD>` first, then the names the service's own tools read.
pub(crate) fn env_names(kind: ProviderKind, field: &str) -> Vec<String> {
    let own = find_field(kind, field).map(tokentray_engine::FieldDef::env_var);
    own.into_iter()
        .chain(
            ENV_ALIASES
                .iter()
                .filter(|(k, f, _)| *k == kind && *f == field)
                .map(|(_, _, var)| (*var).to_owned()),
        )
        .collect()
}

/// Secret fields also read from the environment variables of the service's own client, after
/// `TOKENTRAY_<FIELD>` (which wins when both are set): (kind, field, variable).
const ENV_ALIASES: &[(ProviderKind, &str, &str)] = &[
    (ProviderKind::Itkpd, "access_code1", "ITKDB_ACCESS_CODE1"),
    (ProviderKind::Itkpd, "access_code2", "ITKDB_ACCESS_CODE2"),
];

/// Asks for the secret `field` on the terminal without echo; `None` when there is no terminal.
pub(crate) fn prompt_secret(kind: ProviderKind, field: &str) -> Result<Option<Secret>, CliError> {
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let label = find_field(kind, field).map_or(field, |d| d.label);
    let value = rpassword::prompt_password(format!("{label}: "))
        .map_err(|e| CliError::Io("read from the terminal", e))?;
    Ok(Some(Secret::new(value.trim())))
}
