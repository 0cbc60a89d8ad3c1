//! One failure, one answer (the wire contract): `tokentray token` gives the same exit code and
//! the same JSON error body whether it does the work itself or a running `tokentray serve`
//! does, for an unknown connection, a connection that needs a login and a `connections.toml`
//! that does not parse. The daemon's own answer on its socket is checked to be that body too.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use tokentray_engine::contract::endpoint;
use tokentray_engine::contract::error::ErrorBody;

use crate::{Home, stderr};

/// A `tokentray serve` over `home`, stopped with SIGTERM when dropped.
struct Serve(Child);

impl Serve {
    fn start(home: &Home) -> Self {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokentray"))
            .env("TOKENTRAY_HOME", home.path())
            .args(["serve", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains("listening on http://127.0.0.1:"), "{line}");
        Self(child)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.0.id()).unwrap());
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.0.wait();
    }
}

/// What one run of the CLI answered: its exit code and the error it reported.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    exit: Option<i32>,
    /// The JSON error body (`--format json`), or the `error: …` line (raw).
    error: Result<ErrorBody, String>,
}

fn token(home: &Home, name: &str, json: bool) -> Answer {
    let mut args = vec!["token", name];
    if json {
        args.extend(["--format", "json"]);
    }
    let o = home.run(&args);
    let err = stderr(&o);
    let last = err.lines().last().unwrap_or_default().to_owned();
    let error = if json {
        Ok(serde_json::from_str(&last)
            .unwrap_or_else(|e| panic!("not the JSON error body ({e}): {err}")))
    } else {
        assert!(last.starts_with("error: "), "{err}");
        Err(last)
    };
    Answer {
        exit: o.status.code(),
        error,
    }
}

/// The daemon's own answer on its socket: status and error body.
fn ask_daemon(home: &Home, name: &str) -> (u16, ErrorBody) {
    let (status, body) = ask_daemon_raw(home, name);
    let body = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("not the JSON error body ({e}): {status} {body}"));
    (status, body)
}

fn ask_daemon_raw(home: &Home, name: &str) -> (u16, String) {
    let mut stream = UnixStream::connect(home.path().join("run").join(endpoint::DAEMON_SOCKET))
        .expect("serve listens on the daemon socket");
    let request = endpoint::request("GET", &endpoint::token_path(name), "application/json");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

fn add(home: &Home, args: &[&str]) {
    let o = home
        .cmd()
        .env("TOKENTRAY_TOKEN", "t0ken")
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A home with the owner-only file store (these tests need no keychain), a good static
/// connection `ok` and one whose token expired, `old`.
fn home() -> Home {
    let home = Home::new();
    assert!(
        home.run(&["doctor", "--use-file-store"])
            .status
            .code()
            .is_some()
    );
    add(&home, &["add", "ok", "--kind", "static"]);
    add(
        &home,
        &[
            "add",
            "old",
            "--kind",
            "static",
            "--expires-at",
            "2020-01-01T00:00:00Z",
        ],
    );
    home
}

/// `token NAME` of every case, with `--format json` and without.
fn answers(home: &Home, names: &[&str]) -> Vec<Answer> {
    names
        .iter()
        .flat_map(|name| [token(home, name, true), token(home, name, false)])
        .collect()
}

#[test]
fn unknown_and_needs_login_get_the_same_exit_code_and_json_error_with_or_without_a_daemon() {
    let home = home();
    let cases = [
        ("missing", 3, "unknown_connection"),
        ("old", 4, "needs_login"),
    ];
    let names = cases.map(|c| c.0);
    let alone = answers(&home, &names);
    for ((name, exit, code), answer) in cases.iter().zip(alone.iter().step_by(2)) {
        assert_eq!(answer.exit, Some(*exit), "{name}: {answer:?}");
        assert_eq!(answer.error.as_ref().unwrap().code, *code, "{name}");
    }
    let _serve = Serve::start(&home);
    assert_eq!(
        answers(&home, &names),
        alone,
        "the same answers through the running serve"
    );
    for ((name, _, _), answer) in cases.iter().zip(alone.iter().step_by(2)) {
        let (status, body) = ask_daemon(&home, name);
        let local = answer.error.as_ref().unwrap();
        assert_eq!(status, local.known_code().unwrap().http_status(), "{name}");
        if *name == "missing" {
            // An unknown name is never echoed in a body; the CLI words it as the engine does.
            assert_eq!(body.code, local.code);
            assert!(!body.message.contains(name), "{body:?}");
        } else {
            assert_eq!(&body, local, "the daemon's own body for {name}");
        }
    }
}

#[test]
fn a_connections_toml_that_does_not_parse_exits_1_with_or_without_a_daemon() {
    let home = home();
    let serve = Serve::start(&home);
    let o = home.run(&["token", "ok"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let config = home.path().join("config/connections.toml");
    std::fs::write(
        &config,
        "schema_version = 1\n[[connection]\nname = \"ok\"\n",
    )
    .unwrap();
    // The daemon looks at the file at most every quarter of a second: wait (bounded) until it
    // has seen the change.
    let deadline = Instant::now() + Duration::from_secs(15);
    while ask_daemon_raw(&home, "ok").0 == 200 {
        assert!(Instant::now() < deadline, "serve never saw the broken file");
    }
    let (status, body) = ask_daemon(&home, "ok");
    assert_eq!(
        (status, body.code.as_str()),
        (500, "invalid_config"),
        "{body:?}"
    );
    let through = answers(&home, &["ok"]);
    drop(serve);
    assert!(
        !home
            .path()
            .join("run")
            .join(endpoint::DAEMON_SOCKET)
            .exists(),
        "serve is gone"
    );
    let alone = answers(&home, &["ok"]);
    assert_eq!(through, alone, "a broken connections.toml");
    assert_eq!(alone[0].exit, Some(1), "{:?}", alone[0]);
    assert_eq!(alone[0].error, Ok(body), "the daemon's own body, too");
    assert!(
        alone[1]
            .error
            .as_ref()
            .unwrap_err()
            .contains("Fix the file"),
        "{:?}",
        alone[1]
    );
}
