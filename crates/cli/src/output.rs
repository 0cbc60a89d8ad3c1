//! Human and JSON output.

use std::io::{IsTerminal, Write};

use tokentray_engine::{ConnectionView, Status, Timestamp, format_remaining};

use crate::exit::CliError;

pub(crate) fn write(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    out.write_all(text.as_bytes())
        .map_err(|e| CliError::Io("write the output", e))
}

pub(crate) fn json(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    write(out, &format!("{text}\n"))
}

/// Whether to colour: a terminal, and `NO_COLOR` unset.
pub(crate) fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

pub(crate) fn status(s: Status) -> String {
    let text = s.as_str();
    if !colour() {
        return text.to_owned();
    }
    let code = match s {
        Status::Active => "32",
        Status::Refreshing => "36",
        Status::NeedsLogin => "33",
        Status::Error => "31",
        Status::SignedOut => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// "in 4m 05s", "expired 3m ago", "no expiry".
pub(crate) fn expiry(at: Option<Timestamp>, now: Timestamp) -> String {
    match at {
        None => "-".into(),
        Some(at) if at > now => format!("in {}", format_remaining(at.since(now))),
        Some(at) => format!("expired {} ago", format_remaining(now.since(at))),
    }
}

/// Who a connection's token belongs to; after a login as another account, also who it was.
pub(crate) fn identity_cell(r: &ConnectionView) -> String {
    match (&r.identity, &r.previous_identity) {
        (None, _) => "-".into(),
        (Some(now), None) => now.to_string(),
        (Some(now), Some(was)) => format!("{now} (changed, was {was})"),
    }
}

pub(crate) fn table(rows: &[ConnectionView], now: Timestamp) -> String {
    let mut lines = vec![["NAME", "KIND", "STATUS", "EXPIRES", "IDENTITY"].map(str::to_owned)];
    for r in rows {
        let expires = if r.status == Status::SignedOut {
            "-".into()
        } else {
            expiry(r.expires_at, now)
        };
        lines.push([
            r.name.to_string(),
            r.kind.to_string(),
            r.status.as_str().to_owned(),
            expires,
            identity_cell(r),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (n, l) in lines.iter().enumerate() {
        let mut cells = Vec::new();
        for (i, cell) in l.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            let shown = if n > 0 && i == 2 {
                status(rows[n - 1].status)
            } else {
                cell.clone()
            };
            cells.push(if i == 4 {
                shown
            } else {
                format!("{shown}{}", " ".repeat(pad))
            });
        }
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
