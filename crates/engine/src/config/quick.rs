//! One connection's definition without parsing the whole file: what `tokentray token NAME`
//! needs, and all it should pay for with thousands of connections (PRODUCT.md §8).
//!
//! Used only for a file known to be valid: the one [`super::ConfigStore::load`] last read in
//! full and found valid, recognised by its stamp (size, modification time, inode) kept beside
//! it. Within such a file the `[[connection]]` table of a name is found by scanning lines, then
//! parsed on its own together with the file's top (`schema_version`). Anything the scan cannot
//! be sure of — multi-line strings, sub-tables of a connection, connections written another
//! way, a name not found — answers `None`, and the caller reads the whole file as before.

use std::time::UNIX_EPOCH;

use super::ConfigFile;
use crate::connection::{ConnectionName, ConnectionSpec};

/// What identifies one version of the file on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stamp {
    modified_ns: u128,
    len: u64,
    inode: u64,
}

impl Stamp {
    pub(super) fn of(path: &std::path::Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Self {
            modified_ns: meta
                .modified()
                .ok()?
                .duration_since(UNIX_EPOCH)
                .ok()?
                .as_nanos(),
            len: meta.len(),
            inode,
        })
    }

    pub(super) fn encode(self) -> String {
        format!("{} {} {}\n", self.modified_ns, self.len, self.inode)
    }

    pub(super) fn decode(text: &str) -> Option<Self> {
        let mut parts = text.split_ascii_whitespace();
        let stamp = Self {
            modified_ns: parts.next()?.parse().ok()?,
            len: parts.next()?.parse().ok()?,
            inode: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(stamp)
    }
}

/// The definition of `name` in `text` (a valid config file), parsed alone; `None` when the
/// scan cannot be sure of it.
pub(super) fn find(text: &str, name: &ConnectionName) -> Option<ConnectionSpec> {
    let mut top_end = None;
    // The target's table: where it starts, and once known where it ends.
    let mut block: Option<usize> = None;
    let mut end = None;
    for (start, line) in lines(text) {
        match line.as_bytes().first() {
            Some(b'[') => {
                if block.is_some() {
                    end = Some(start);
                }
                top_end.get_or_insert(start);
                let trimmed = line.trim_end();
                if trimmed == "[[connection]]" {
                    if end.is_some() {
                        break;
                    }
                    // A table whose name line the scan did not recognise stays the candidate.
                    block.get_or_insert(start);
                    continue;
                }
                // `[app]` and the like are fine; a table under a connection is not.
                let header = trimmed.trim_start_matches('[').trim_start();
                if header.starts_with("connection") || header.starts_with("\"connection") {
                    return None;
                }
                if end.is_some() {
                    break;
                }
            }
            Some(b'n') if block.is_some() && end.is_none() => {
                if let Some(found) = name_of(line)
                    && found != name.as_str()
                {
                    block = None;
                }
            }
            Some(b'c' | b'"' | b'\'') if top_end.is_none() && defines_connections(line) => {
                return None;
            }
            _ => {}
        }
    }
    let start = block?;
    let end = end.unwrap_or(text.len());
    // A multi-line string before the table's end could hold lines that look like tables.
    if has_multiline_string(&text[..end]) {
        return None;
    }
    let top = &text[..top_end?];
    let file: ConfigFile = toml::from_str(&format!("{top}\n{}", &text[start..end])).ok()?;
    let spec = file.connections.into_iter().next()?;
    (spec.name == *name).then_some(spec)
}

/// The app-wide settings of `text` (a valid config file): the file's top and its `[app]`
/// table, parsed without the connections; `None` when the scan cannot be sure of them.
pub(super) fn app(text: &str) -> Option<super::AppSettings> {
    if has_multiline_string(text) {
        return None;
    }
    let mut kept = String::new();
    let mut keep_from = Some(0);
    for (start, line) in lines(text) {
        if line.as_bytes().first() != Some(&b'[') {
            continue;
        }
        if let Some(from) = keep_from.take() {
            kept.push_str(&text[from..start]);
        }
        let trimmed = line.trim_end();
        let header = trimmed.trim_start_matches('[').trim_start();
        if header.starts_with("app") && trimmed != "[app]" {
            return None;
        }
        if trimmed == "[app]" {
            keep_from = Some(start);
        }
    }
    if let Some(from) = keep_from {
        kept.push_str(&text[from..]);
    }
    let file: ConfigFile = toml::from_str(&kept).ok()?;
    Some(file.app)
}

/// Each line with its offset, leading blanks left out (found with `memchr`: a config of ten
/// thousand connections is scanned in well under a millisecond).
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut next = 0;
    std::iter::from_fn(move || {
        let start = next;
        if start >= bytes.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        next = end + 1;
        let line = &text[start..end];
        let blanks = line.len() - line.trim_start_matches([' ', '\t']).len();
        Some((start, &line[blanks..]))
    })
}

/// Whether `text` holds a multi-line string (`"""` or `'''`) anywhere.
fn has_multiline_string(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memmem::find(bytes, b"\"\"\"").is_some()
        || memchr::memmem::find(bytes, b"'''").is_some()
}

/// The value of a `name = "…"` line (bare key, either quote), if the line is one.
fn name_of(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("name")?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = &rest[1..];
    let close = inner.find(quote)?;
    let after = inner[close + 1..].trim_start();
    (after.is_empty() || after.starts_with('#')).then_some(&inner[..close])
}

/// Whether a top-level line defines connections another way (`connection = […]`).
fn defines_connections(line: &str) -> bool {
    let key = line.trim_start_matches(['"', '\'']);
    key.starts_with("connection")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> ConnectionName {
        ConnectionName::new(n).unwrap()
    }

    const FILE: &str = r#"# Tokentray connections.
schema_version = 1

[app]
export_port = 8765

[[connection]]
name = "first"
kind = "static"

[[connection]]
name = "api"
kind = "oauth2"
issuer = "https://id.example.org/realms/a"
client_id = "c"
scope = "openid name = 'trap'"
# name = "trap"

[[connection]]
name = 'last' # a comment
kind = "basic"
username = "u"
"#;

    #[test]
    fn each_connection_is_found_alone_and_equals_the_full_parse() {
        let full = ConfigFile::parse(FILE).unwrap();
        for spec in &full.connections {
            assert_eq!(find(FILE, &spec.name).as_ref(), Some(spec), "{}", spec.name);
        }
        assert_eq!(
            find(FILE, &name("missing")),
            None,
            "unknown: the caller reads it all"
        );
        assert_eq!(find(FILE, &name("trap")), None);
    }

    #[test]
    fn what_the_scan_cannot_be_sure_of_is_left_to_the_full_parse() {
        let multiline = FILE.replace("client_id = \"c\"", "client_id = \"\"\"c\"\"\"");
        assert_eq!(find(&multiline, &name("api")), None);
        let sub = format!("{FILE}\n[connection.settings]\nx = 1\n");
        assert_eq!(find(&sub, &name("last")), None);
        let inline = "schema_version = 1\nconnection = [{ name = \"api\", kind = \"static\" }]\n";
        assert_eq!(find(inline, &name("api")), None);
        // A name line the scan does not recognise: the table parsed is checked for the name.
        let quoted_key = FILE.replace("name = \"api\"", "\"name\" = \"api\"");
        let full = ConfigFile::parse(&quoted_key).unwrap();
        assert_eq!(
            find(&quoted_key, &name("api")).as_ref(),
            full.get(&name("api"))
        );
        assert_eq!(find(&quoted_key, &name("last")), None);
    }

    #[test]
    fn the_app_settings_are_read_without_the_connections() {
        let full = ConfigFile::parse(FILE).unwrap();
        assert_eq!(app(FILE), Some(full.app.clone()));
        assert_eq!(full.app.export_port, Some(8765));
        // `[app]` after the connections (any order is valid TOML).
        let moved =
            FILE.replace("[app]\nexport_port = 8765\n", "") + "\n[app]\nexport_port = 8765\n";
        assert_eq!(app(&moved), Some(full.app));
        let none = FILE.replace("[app]\nexport_port = 8765\n", "");
        assert_eq!(app(&none), Some(crate::config::AppSettings::default()));
        assert_eq!(app(&format!("{FILE}\n[app.extra]\nx = 1\n")), None);
    }

    #[test]
    fn stamps_round_trip_and_refuse_garbage() {
        let s = Stamp {
            modified_ns: 1_700_000_000_123_456_789,
            len: 42,
            inode: 7,
        };
        assert_eq!(Stamp::decode(&s.encode()), Some(s));
        assert_eq!(Stamp::decode("1 2"), None);
        assert_eq!(Stamp::decode("1 2 3 4"), None);
        assert_eq!(Stamp::decode("a b c"), None);
        // A torn write (any cut short prefix) never reads as the whole stamp.
        let whole = s.encode();
        let digits = whole.trim_end().len();
        for cut in 0..digits {
            assert_ne!(Stamp::decode(&whole[..cut]), Some(s), "cut at {cut}");
        }
    }
}
