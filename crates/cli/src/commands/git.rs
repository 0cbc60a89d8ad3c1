//! `git-credential NAME get|store|erase`: git's credential helper protocol (gitcredentials(7),
//! git-credential(1)), set up as `credential.helper = "!tokentray git-credential NAME"`.
//!
//! `get` reads git's request (`key=value` lines up to a blank line or the end of input) and
//! answers `username=` and `password=` (plus `password_expiry_utc=` when the expiry is known,
//! which newer gits use and older ones ignore) only when git asks for one of the connection's
//! own hosts: the hosts of its URLs (issuer, token, portal, API, identity… but not its proxy or
//! referer) and those given with `--host`, compared with their ports. Plain `http` only to a
//! loopback host or for a connection with `allow_http`. For any other host it answers nothing
//! (git then asks its next helper or the person) and says why on stderr: a token never goes to
//! a host that is not its service's.
//!
//! A basic connection answers its own user name and password. A bearer token goes as the
//! password with the user name `oauth2` (what GitLab wants for OAuth tokens; GitHub and most
//! servers take any name with a token), `--username` for another (`x-access-token`,
//! `x-token-auth`…), or the one git already has from the URL (`https://me@host/…`).
//!
//! `store` and `erase` read their input and do nothing: Tokentray keeps the token fresh itself.
//! So does any other operation, as gitcredentials(7) asks of helpers (git may add operations).

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::time::Duration;
use tokentray_engine::Freshness;
use tokentray_engine::connection_name;

use base64::Engine as _;
use tokentray_engine::{
    BasicSettings, ConnectionSpec, Encoding, Engine, Error, KindSettings, ProviderKind, Secret,
    Timestamp,
};
use url::Url;

use crate::args::GitCredentialArgs;
use crate::exit::CliError;
use crate::output;

/// The most of git's request that is read (git sends a few hundred bytes).
const MAX_REQUEST: u64 = 64 * 1024;

/// The user name given with a bearer token when neither git nor `--username` names one.
pub(crate) const BEARER_USERNAME: &str = "oauth2";

/// `store`, `erase` and operations git may add: the request is read to its end (git writes it whole) and dropped.
pub(crate) fn ignore() -> Result<(), CliError> {
    let mut sink = std::io::sink();
    std::io::copy(&mut std::io::stdin().lock().take(MAX_REQUEST), &mut sink)
        .map(|_| ())
        .map_err(|e| CliError::Io("read git's request", e))
}

/// What git asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Request {
    pub protocol: Option<String>,
    pub host: Option<String>,
    pub username: Option<String>,
}

/// Parses git's request: `key=value` lines up to a blank line or the end. `url=` is split as
/// git does; keys not needed here (`path`, `wwwauth[]`, `capability[]`…) are ignored.
pub(crate) fn parse_request(text: &str) -> Result<Request, CliError> {
    let mut r = Request::default();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() {
            break;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(CliError::Usage(format!(
                "git-credential: line {} of the request is not key=value (git writes these lines; see git-credential(1))",
                n + 1
            )));
        };
        match key {
            "protocol" => r.protocol = Some(value.to_ascii_lowercase()),
            "host" => r.host = Some(value.to_ascii_lowercase()),
            "username" => r.username = Some(value.to_owned()),
            "url" => {
                let url = Url::parse(value).map_err(|_| {
                    CliError::Usage(format!(
                        "git-credential: url= in the request is not a URL ({value})"
                    ))
                })?;
                r.protocol = Some(url.scheme().to_owned());
                r.host = url.host_str().map(|h| match url.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_owned(),
                });
                if !url.username().is_empty() {
                    r.username = Some(url.username().to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(r)
}

/// `get`: the credential for git's request, or nothing when the request is not for this
/// connection's hosts.
pub(crate) async fn get(
    engine: &Engine,
    a: &GitCredentialArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    for extra in &a.hosts {
        origin("https", extra).ok_or_else(|| bad_host(extra))?;
    }
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_REQUEST)
        .read_to_string(&mut text)
        .map_err(|e| CliError::Io("read git's request", e))?;
    let request = parse_request(&text)?;
    let spec = engine.spec(&connection_name(&a.name)?)?;
    if !spec.exportable() {
        return Err(Error::NotExportable {
            connection: spec.name.clone(),
        }
        .into());
    }
    if let Some(why) = refusal(&spec, &a.hosts, &request)? {
        let _ = writeln!(err, "tokentray: no credential from {}: {why}", a.name);
        return Ok(());
    }
    let host = request.host.clone().unwrap_or_default();
    let token = fetch(engine, a).await?;
    let (username, password) = if token.kind == ProviderKind::Basic.to_string() {
        let (user, password) = basic_pair(&spec, &token.token)?;
        if request.username.as_ref().is_some_and(|u| *u != user) {
            let _ = writeln!(
                err,
                "tokentray: no credential from {}: git asks for another user than {user}",
                a.name
            );
            return Ok(());
        }
        (user, password)
    } else {
        let user = request
            .username
            .clone()
            .or_else(|| a.username.clone())
            .unwrap_or_else(|| BEARER_USERNAME.to_owned());
        (user, token.token)
    };
    let mut answer = String::new();
    for (key, value) in [
        ("username", username.as_str()),
        ("password", password.expose()),
    ] {
        if value.contains(['\n', '\0']) {
            return Err(CliError::Failed(format!(
                "the {key} of {} holds a line break, which git's protocol cannot carry",
                a.name
            )));
        }
        let _ = writeln!(answer, "{key}={value}");
    }
    if let Some(at) = token.expires_at {
        let _ = writeln!(answer, "password_expiry_utc={}", at.as_secs());
    }
    output::write(out, &answer)?;
    if token.local {
        engine.record_handout(
            &spec.name,
            "tokentray git-credential",
            Some(format!("git, for {host}")),
            Some(crate::commands::exec::own_process()),
        );
    }
    Ok(())
}

/// Why the request gets no credential (`None`: it is for this connection). A `--host` that is
/// not a host is a usage error.
fn refusal(
    spec: &ConnectionSpec,
    extra_hosts: &[String],
    request: &Request,
) -> Result<Option<String>, CliError> {
    let protocol = request.protocol.as_deref().unwrap_or_default();
    let Some(host) = request.host.as_deref().filter(|h| !h.is_empty()) else {
        return Ok(Some(format!(
            "git asks for no host (protocol {protocol:?}); only http(s) hosts are answered"
        )));
    };
    if protocol != "https" && protocol != "http" {
        return Ok(Some(format!(
            "git asks for {protocol}://{host}, not http(s)"
        )));
    }
    let asked = origin(protocol, host)
        .ok_or_else(|| CliError::Usage(format!("git-credential: host={host} is not a host")))?;
    let mut own: Vec<(String, u16)> = tokentray_engine::all_fields(spec.kind)
        .filter(|d| d.ty == tokentray_engine::FieldType::Url)
        .filter(|d| d.name != "proxy" && d.name != "referer")
        .filter_map(|d| spec.url(d.name))
        .filter_map(|u| Some((u.host_str()?.to_owned(), u.port_or_known_default()?)))
        .collect();
    for extra in extra_hosts {
        own.push(origin(protocol, extra).ok_or_else(|| bad_host(extra))?);
    }
    if !own.contains(&asked) {
        let mut names: Vec<String> = own.iter().map(|(h, p)| format!("{h}:{p}")).collect();
        names.dedup();
        return Ok(Some(format!(
            "git asks for {host}, and its token is only for {}; if it belongs there too, add --host {host} to the helper",
            if names.is_empty() {
                "the hosts given with --host".into()
            } else {
                names.join(", ")
            }
        )));
    }
    let loopback =
        Url::parse(&format!("http://{host}/")).is_ok_and(|u| tokentray_engine::is_loopback(&u));
    if protocol == "http" && !loopback && !spec.typed().common.allow_http {
        return Ok(Some(format!(
            "git asks over plain http for {host}; the token goes over http only to 127.0.0.1, [::1] or localhost, or with allow_http"
        )));
    }
    Ok(None)
}

fn bad_host(given: &str) -> CliError {
    CliError::Usage(format!(
        "--host takes HOST or HOST:PORT, e.g. git.example.org or 127.0.0.1:8080 (got {given:?})"
    ))
}

/// The host and port git (or `--host`) names, the port defaulting to the protocol's.
fn origin(protocol: &str, host: &str) -> Option<(String, u16)> {
    if host.contains(['/', '@', '?', '#']) {
        return None;
    }
    let url = Url::parse(&format!("{protocol}://{host}/")).ok()?;
    Some((url.host_str()?.to_owned(), url.port_or_known_default()?))
}

/// A basic connection's user name and password, from the base64 it hands out.
fn basic_pair(spec: &ConnectionSpec, token: &Secret) -> Result<(String, Secret), CliError> {
    let bad = || {
        CliError::Failed(format!(
            "the stored credentials of {} are not user:password",
            spec.name
        ))
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.expose())
        .map_err(|_| bad())?;
    let latin1 = matches!(
        spec.typed().kind,
        KindSettings::Basic(BasicSettings {
            encoding: Encoding::Latin1,
            ..
        })
    );
    let text = if latin1 {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8(bytes).map_err(|_| bad())?
    };
    let (user, password) = text.split_once(':').ok_or_else(bad)?;
    Ok((user.to_owned(), Secret::new(password.to_owned())))
}

/// The token git gets, from a running Tokentray when one runs, else from here.
struct Fetched {
    kind: String,
    token: Secret,
    expires_at: Option<Timestamp>,
    /// Handed out by this process (the audit entry is ours to write).
    local: bool,
}

async fn fetch(engine: &Engine, a: &GitCredentialArgs) -> Result<Fetched, CliError> {
    match crate::commands::delegate::token_json(&a.name, a.min_valid) {
        Some(Ok(v)) => Ok(Fetched {
            kind: v["kind"].as_str().unwrap_or_default().to_owned(),
            token: Secret::new(v["access_token"].as_str().unwrap_or_default().to_owned()),
            expires_at: v["expires_at"].as_str().and_then(Timestamp::parse_rfc3339),
            local: false,
        }),
        Some(Err(body)) => Err(CliError::Daemon(body)),
        None => {
            let handout = engine
                .token(
                    &connection_name(&a.name)?,
                    Freshness::from(a.min_valid.map(Duration::from_secs)),
                )
                .await?;
            Ok(Fetched {
                kind: handout.kind.to_string(),
                token: handout.token.clone(),
                expires_at: handout.expires_at,
                local: true,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Request, parse_request};

    #[test]
    fn a_request_is_read_up_to_its_blank_line_and_url_is_split() {
        let r = parse_request("protocol=https\nhost=Git.Example.org:8443\npath=a/b.git\nwwwauth[]=Basic realm=x\n\nhost=evil.example\n").unwrap();
        assert_eq!(
            r,
            Request {
                protocol: Some("https".into()),
                host: Some("git.example.org:8443".into()),
                username: None
            }
        );
        let r = parse_request("url=https://me@git.example.org/x.git\n").unwrap();
        assert_eq!(r.host.as_deref(), Some("git.example.org"));
        assert_eq!(r.username.as_deref(), Some("me"));
        assert_eq!(
            parse_request("protocol https\n").unwrap_err().exit_code(),
            2
        );
    }
}
