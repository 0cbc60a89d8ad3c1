//! Help text and parsing for connection fields, generated from the engine's field table.

use std::fmt::Write as _;

use tokentray_engine::{FieldType, ProviderKind, all_fields};

/// Accepts only known kind names, listing them on error.
pub(crate) fn kind_parser() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(ProviderKind::ALL.map(ProviderKind::as_str))
}

fn type_hint(ty: FieldType) -> String {
    match ty {
        FieldType::Text => "TEXT".into(),
        FieldType::Url => "URL".into(),
        FieldType::Secret => "SECRET".into(),
        FieldType::Bool => "true|false".into(),
        FieldType::Integer => "N".into(),
        FieldType::Choice(options) => options.join("|"),
        FieldType::Map => "k=v,k=v".into(),
        FieldType::DateTime => "RFC3339".into(),
        FieldType::Path => "PATH".into(),
    }
}

/// The fields of one kind, one per line.
pub(crate) fn kind_help(kind: ProviderKind) -> String {
    let mut out = format!(
        "Kind {} — {}:\n  {}\n",
        kind.as_str(),
        kind.title(),
        tokentray_engine::catalog::summary(kind)
    );
    for def in all_fields(kind) {
        let mut line = format!("  {} {}", def.flag(), type_hint(def.ty));
        if def.required {
            line.push_str(" (required)");
        }
        if let Some(d) = tokentray_engine::default_for(kind, def.name) {
            let _ = write!(line, " [default: {d}]");
        }
        if def.is_secret() {
            let vars = crate::input::env_names(kind, def.name)
                .iter()
                .map(|v| format!("${v}"))
                .collect::<Vec<_>>()
                .join(" or ");
            let _ = write!(line, " [secret: or {vars}, or prompted]");
        }
        let _ = writeln!(out, "{line}\n      {}", def.help);
    }
    out
}

/// Help for every kind, shown by `tokentray add --help`.
pub(crate) fn all_kinds() -> String {
    let mut out = String::from(
        "Secret fields are read from TOKENTRAY_<FIELD> environment variables, prompted for on a\nterminal, or taken from the flag (with a warning: other users can see command lines).\n\n",
    );
    for kind in ProviderKind::ALL {
        out.push_str(&kind_help(kind));
        out.push('\n');
    }
    out
}
