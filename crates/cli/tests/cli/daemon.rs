//! The CLI and a running `serve` against a hostile neighbour (security.md T19), played by the
//! real second local user: a squatted default port is reported by `serve` and `doctor` and gets
//! nothing; a stale `endpoint.json` pointing at the neighbour (its pid alive) gets nothing and
//! the CLI still answers; a socket the neighbour serves where the daemon's would be gets
//! nothing; the export key is new at every start and never kept in the keychain.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Stdio};

use tokentray_engine::testing::neighbour::Neighbour;

use crate::{Home, keychain_ready, stderr, stdout};

/// A neighbour's listener that reports every connection and every byte it receives, until the
/// test connects and sends the stop word. `unix`: a socket path instead of a TCP port.
const RECORDER: &str = r#"
import binascii, os, socket, sys
stop, where = sys.argv[1].encode(), sys.argv[2]
if where.startswith("/"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(where)
    os.chmod(where, 0o777)
    print("READY", os.getpid(), where, flush=True)
else:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print("READY", os.getpid(), s.getsockname()[1], flush=True)
s.listen(64)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    data = b""
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            data += b
            if data == stop:
                break
    except OSError:
        pass
    c.close()
    if data == stop:
        break
    print("GOT", binascii.hexlify(data).decode(), flush=True)
print("STOPPED", flush=True)
"#;

/// The neighbour's recorder, running (killed if the test ends early).
struct Recorder {
    child: Child,
    pid: i32,
    out: BufReader<ChildStdout>,
    stop: String,
    /// The TCP port, or the socket path.
    at: String,
}

impl Recorder {
    fn start(n: &Neighbour, unix_path: Option<&str>) -> Self {
        let stop = format!("stop-{}", rand::random::<u64>());
        let mut child = n
            .python(RECORDER, &[&stop, unix_path.unwrap_or("tcp")])
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let (pid, at) = line
            .strip_prefix("READY ")
            .and_then(|l| l.trim().split_once(' '))
            .unwrap_or_else(|| panic!("the recorder did not start: {line:?}"));
        let (pid, at) = (pid.parse().unwrap(), at.to_owned());
        Self {
            child,
            pid,
            out,
            stop,
            at,
        }
    }

    /// Stops the recorder and returns everything it received (as lines `GOT <hex>`).
    fn finish(mut self) -> String {
        let mut stream: Box<dyn Write> = if self.at.starts_with('/') {
            Box::new(std::os::unix::net::UnixStream::connect(&self.at).unwrap())
        } else {
            Box::new(std::net::TcpStream::connect(("127.0.0.1", self.port())).unwrap())
        };
        stream.write_all(self.stop.as_bytes()).unwrap();
        drop(stream);
        let mut rest = String::new();
        self.out.read_to_string(&mut rest).unwrap();
        self.child.wait().unwrap();
        assert!(rest.ends_with("STOPPED\n"), "{rest}");
        rest.replace("STOPPED\n", "")
    }

    fn port(&self) -> u16 {
        self.at.parse().unwrap()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = self.child.wait();
        }
    }
}

/// A running `serve`, killed if the test ends early.
struct Serve(Option<Child>);

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What the recorder got, decoded, for the failure message.
fn decoded(got: &str) -> String {
    got.lines()
        .map(|l| {
            let hex = l.trim_start_matches("GOT ");
            let bytes: Vec<u8> = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        })
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// A `serve` with the default port moved to `default` (for tests only), once it listens; its
/// stdout line and its stderr up to the "refreshing" line.
fn start_serve(home: &Home, default: Option<u16>) -> (Serve, String, String) {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokentray"));
    cmd.env("TOKENTRAY_HOME", home.path()).arg("serve");
    match default {
        Some(port) => cmd.env(tokentray_export::TEST_DEFAULT_PORT_ENV, port.to_string()),
        None => cmd.args(["--port", "0"]),
    };
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (out, errors) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let serve = Serve(Some(child));
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).unwrap();
    let mut err = String::new();
    let mut errors = BufReader::new(errors);
    while !err.contains("refreshing in the background") {
        let mut l = String::new();
        if errors.read_line(&mut l).unwrap() == 0 {
            break;
        }
        err.push_str(&l);
    }
    assert!(
        line.contains("listening on http://127.0.0.1:"),
        "{line}{err}"
    );
    (serve, line, err)
}

/// Stops `serve` as a service manager would (SIGTERM) and waits for it.
fn stop(mut serve: Serve) {
    let mut serve = serve.0.take().unwrap();
    let pid = nix::unistd::Pid::from_raw(i32::try_from(serve.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    assert!(serve.wait().unwrap().success());
}

fn add_static(home: &Home, name: &str, token: &str) {
    assert!(
        home.run(&["doctor", "--use-file-store"])
            .status
            .code()
            .is_some()
    );
    let o = home
        .cmd()
        .env("TOKENTRAY_TOKEN", token)
        .args(["add", name, "--kind", "static"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

fn endpoint_json(home: &Home) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(home.path().join("run/endpoint.json")).unwrap()).unwrap()
}

#[test]
fn a_squatted_default_port_is_reported_by_serve_and_doctor_and_gets_nothing() {
    let Some(n) = Neighbour::get() else { return };
    let squatter = Recorder::start(&n, None);
    let default = squatter.port();
    let home = Home::new();
    let token = format!("tok-canary-{}", rand::random::<u64>());
    add_static(&home, "api", &token);
    let doctor = |home: &Home| {
        let o = home
            .cmd()
            .env(tokentray_export::TEST_DEFAULT_PORT_ENV, default.to_string())
            .arg("doctor")
            .output()
            .unwrap();
        stdout(&o)
    };
    // No daemon yet: doctor warns that the default port is taken.
    let before = doctor(&home);
    assert!(
        before.contains("not running")
            && before.contains(&format!("default port {default} is taken")),
        "{before}"
    );
    let (serve, line, err) = start_serve(&home, Some(default));
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert_ne!(url, format!("http://127.0.0.1:{default}"));
    assert!(
        err.contains(&format!("default port {default} is taken")) && err.contains(&url),
        "serve says the default was taken and where it listens: {err}"
    );
    assert_eq!(
        err.matches("is taken").count(),
        1,
        "and says it once, not also as a log line: {err}"
    );
    assert_eq!(endpoint_json(&home)["url"], url.as_str());
    let during = doctor(&home);
    assert!(
        during.contains(&format!("endpoint at {url}"))
            && during.contains(&format!("default port {default} was taken")),
        "{during}"
    );
    // The CLI asks the running serve, never whatever holds the default port.
    let o = home.run(&["token", "api"]);
    assert_eq!(stdout(&o).trim(), token, "{}", stderr(&o));
    let o = home.run(&["refresh", "api"]);
    assert!(
        stdout(&o).contains("by the running Tokentray"),
        "{}",
        stderr(&o)
    );
    stop(serve);
    assert!(!home.path().join("run/endpoint.json").exists());
    assert!(!home.path().join("run/daemon.sock").exists());
    let got = squatter.finish();
    assert!(got.is_empty(), "the neighbour received: {}", decoded(&got));
}

#[test]
fn a_stale_endpoint_file_pointing_at_a_neighbour_gets_nothing_and_the_cli_still_answers() {
    let Some(n) = Neighbour::get() else { return };
    let squatter = Recorder::start(&n, None);
    let home = Home::new();
    let token = format!("tok-canary-{}", rand::random::<u64>());
    add_static(&home, "api", &token);
    // A serve that crashed: SIGKILL leaves its files behind.
    drop(start_serve(&home, None).0);
    assert!(home.path().join("run/daemon.sock").exists());
    // Its endpoint file now points at the neighbour's port, and its pid is a live process.
    let mut alive = std::process::Command::new("sleep")
        .arg("600")
        .spawn()
        .unwrap();
    let key = format!("key-canary-{}", rand::random::<u64>());
    let stale = serde_json::json!({
        "url": format!("http://127.0.0.1:{}", squatter.port()),
        "key": key,
        "pid": alive.id(),
    });
    tokentray_engine::files::write_atomic(
        &home.path().join("run/endpoint.json"),
        stale.to_string().as_bytes(),
    )
    .unwrap();
    for args in [
        &["token", "api"][..],
        &["token", "api", "--format", "json"],
        &["refresh", "api"],
        &["whoami", "api"],
    ] {
        let o = home.run(args);
        assert!(
            !stderr(&o).contains("running Tokentray") && !stdout(&o).contains("running Tokentray"),
            "{args:?} answered here: {}",
            stderr(&o)
        );
        if args[0] == "token" {
            assert!(o.status.success(), "{args:?}: {}", stderr(&o));
            assert!(stdout(&o).contains(&token), "{args:?}: {}", stdout(&o));
        }
    }
    alive.kill().unwrap();
    alive.wait().unwrap();
    let got = squatter.finish();
    assert!(
        !got.contains(&hex(&key)) && !got.contains(&hex("Authorization")),
        "the neighbour received the key: {}",
        decoded(&got)
    );
    assert!(got.is_empty(), "the neighbour received: {}", decoded(&got));
}

#[test]
fn a_socket_served_by_another_user_where_the_daemons_would_be_gets_nothing() {
    let Some(n) = Neighbour::get() else { return };
    let home = Home::new();
    let token = format!("tok-canary-{}", rand::random::<u64>());
    add_static(&home, "api", &token);
    // Let the neighbour into the runtime directory (which Tokentray keeps 0700) to plant a
    // socket there: the CLI must check who answers before it sends a byte.
    let run = home.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let open = |path: &std::path::Path, mode| {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    open(home.path(), 0o711);
    open(&run, 0o777);
    let socket = run.join("daemon.sock");
    let planted = Recorder::start(&n, Some(socket.to_str().unwrap()));
    let o = home.run(&["token", "api"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), token);
    // The CLI connects to learn who answers (the kernel tells it), then sends nothing.
    let got = planted.finish();
    assert!(
        got.lines().all(|l| l.trim() == "GOT"),
        "the neighbour received: {}",
        decoded(&got)
    );
}

#[test]
fn the_export_key_is_new_at_every_start_never_in_the_keychain_and_gone_after_a_clean_stop() {
    if !keychain_ready() {
        return;
    }
    let home = Home::new();
    let paths = tokentray_engine::Paths::under(home.path());
    let store = tokentray_keychain::open_store(&paths, &tokentray_engine::AppSettings::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The key earlier versions kept in the keychain for good.
    let legacy = tokentray_engine::Secret::new(format!("legacy-{}", rand::random::<u64>()));
    rt.block_on(store.put("_export-key", &legacy)).unwrap();
    let mut keys = Vec::new();
    for _ in 0..2 {
        let (serve, _, _) = start_serve(&home, None);
        let found = endpoint_json(&home);
        let key = found["key"].as_str().unwrap().to_owned();
        assert_ne!(key, legacy.expose());
        assert_eq!(key.len(), 43, "256 bits, base64url");
        assert!(
            rt.block_on(store.get("_export-key")).unwrap().is_none(),
            "no export key in the keychain"
        );
        stop(serve);
        assert!(
            !home.path().join("run/endpoint.json").exists(),
            "removed at a clean stop"
        );
        keys.push(key);
    }
    assert_ne!(keys[0], keys[1], "a new key at every start");
}

fn hex(s: &str) -> String {
    use std::fmt::Write as _;
    s.bytes().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
