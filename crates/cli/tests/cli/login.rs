//! `tokentray login` end to end: the out-of-band flow reads the pasted code from standard
//! input, and `--no-browser` prints the URL on a line of its own.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use tokentray_acceptance::browser::FakeBrowser;
use tokentray_sandbox::{Provider, Sandbox};

use crate::{Home, keychain_ready, stderr};

#[tokio::test(flavor = "multi_thread")]
async fn an_oob_login_reads_the_pasted_code_from_stdin() {
    if !keychain_ready() {
        return;
    }
    let sb = Sandbox::start().await.unwrap();
    let portal = sb
        .issuer(Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let home = Home::new();
    let o = home.run(&[
        "add",
        "portal",
        "--kind",
        "arcgis-oauth",
        "--portal-url",
        &portal,
        "--client-id",
        "tt-arcgis-app",
        "--redirect",
        "oob",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokentray"))
        .env("TOKENTRAY_HOME", home.path())
        .args(["login", "portal", "--no-browser"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    stdout.read_line(&mut url).unwrap();
    assert!(
        url.starts_with(&portal) && url.contains("redirect_uri=urn"),
        "the URL alone on its line: {url}"
    );
    let code = FakeBrowser::new("gis-analyst", "contours")
        .oob_code(url.trim())
        .await
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "  {code}  ").unwrap();
    let mut rest = url.clone();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{rest}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        rest.contains("logged in to portal as gis-analyst"),
        "{rest}"
    );
    let token = home.run(&["token", "portal"]);
    assert!(token.status.success(), "{}", stderr(&token));
    home.run(&["remove", "portal"]);
}

/// The neighbour's poller: reads every process's command line as fast as it can until the file
/// `argv[1]` exists. It prints `ready` after its first full pass, `saw-browser` once it saw a
/// command line holding `argv[2]` reversed (the test browser's name), `leak <command line>` for
/// each command line holding a login's `state=` or `code_challenge`, and `end`. The needles are
/// put together at run time so that the poller's own command line (and its parents') does not
/// hold them.
const POLLER: &str = r"
import os, sys
stop, marker = sys.argv[1], sys.argv[2][::-1].encode()
needles = [b'sta' + b'te=', b'code_' + b'challenge']
me = str(os.getpid())
saw, reported, first = False, set(), True
while True:
    done = os.path.exists(stop)
    for pid in os.listdir('/proc'):
        if not pid.isdigit() or pid == me:
            continue
        try:
            with open('/proc/' + pid + '/cmdline', 'rb') as f:
                cmd = f.read()
        except OSError:
            continue
        if not saw and marker in cmd:
            saw = True
            print('saw-browser', flush=True)
        if any(n in cmd for n in needles) and cmd not in reported:
            reported.add(cmd)
            print('leak ' + cmd.replace(bytes(1), b' ').decode('utf-8', 'replace'), flush=True)
    if first:
        first = False
        print('ready', flush=True)
    if done:
        break
print('end', flush=True)
";

/// Lines the neighbour prints, read on a thread.
struct Lines(std::sync::mpsc::Receiver<String>);

impl Lines {
    fn of(stdout: std::process::ChildStdout) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self(rx)
    }

    /// Lines up to and including the first that satisfies `want` (within a bounded time).
    fn until(&self, want: impl Fn(&str) -> bool, what: &str) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = self
                .0
                .recv_timeout(left)
                .unwrap_or_else(|e| panic!("the neighbour never reported {what} ({e}): {seen:?}"));
            let hit = want(&line);
            seen.push(line);
            if hit {
                return seen;
            }
        }
    }
}

/// Waits (bounded) until `path` exists.
fn wait_for_file(path: &std::path::Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !path.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "{} never appeared: the browser was not started",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Adds `portal`, an ArcGIS OAuth connection to the sandbox that logs in through the browser
/// and the loopback listener.
fn add_browser_portal(home: &Home, sb: &Sandbox) {
    let portal = sb
        .issuer(Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let o = home.run(&[
        "add",
        "portal",
        "--kind",
        "arcgis-oauth",
        "--portal-url",
        &portal,
        "--client-id",
        "tt-arcgis-app",
        "--redirect",
        "loopback",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A test "browser" for `TOKENTRAY_BROWSER`, in `dir`: it records the address it was given,
/// the modes and owners of the page and its directory, and a copy of the page, then waits for
/// a line on the FIFO `release` (so its command line stays up until the neighbour saw it).
fn browser_script(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let script = dir.join(name);
    std::fs::write(
        &script,
        r#"#!/bin/sh
out="$(dirname "$0")"
page="${1#file://}"
printf '%s' "$1" > "$out/address"
stat -c '%a %u' "$page" > "$out/page.mode"
stat -c '%a %u' "$(dirname "$page")" > "$out/dir.mode"
cp "$page" "$out/page.copy"
touch "$out/opened"
read _ < "$out/release"
"#,
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(dir.join("release"))
        .status()
        .unwrap();
    assert!(fifo.success());
    script
}

/// Starts the neighbour's poller and checks that it can fail the test: a command line carrying
/// a state is reported. Returns the poller, its lines and what it said so far.
fn start_poller(
    neighbour: &tokentray_engine::testing::neighbour::Neighbour,
    tag: &str,
    stop: &std::path::Path,
    browser_name: &str,
) -> (std::process::Child, Lines, Vec<String>) {
    let reversed: String = browser_name.chars().rev().collect();
    let mut poller = neighbour
        .python(POLLER, &[stop.to_str().unwrap(), &reversed])
        .spawn()
        .unwrap();
    let lines = Lines::of(poller.stdout.take().unwrap());
    lines.until(|l| l == "ready", "its first pass");
    let mut probe = std::process::Command::new("/bin/sh")
        .args(["-c", "read _", "sh", &format!("probe-{tag}-state=x")])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let seen = lines.until(|l| l.contains(&format!("probe-{tag}")), "the probe");
    drop(probe.stdin.take());
    probe.wait().unwrap();
    (poller, lines, seen)
}

/// Where the test browser was sent: the address it got, and the URL it leads to (what the
/// forwarding page in `lab`'s copy names, or the address itself when it is not a page).
fn where_the_browser_went(lab: &std::path::Path) -> (String, String) {
    let address = std::fs::read_to_string(lab.join("address")).unwrap();
    if !address.starts_with("file://") {
        return (address.clone(), address);
    }
    let copy = url::Url::from_file_path(lab.join("page.copy")).unwrap();
    let url = tokentray_acceptance::browser::follow_page(copy.as_str()).unwrap();
    assert!(
        url.contains("code_challenge="),
        "the page forwards to the sign-in: {url}"
    );
    (address, url)
}

/// Checks the page the test browser got: only a page's address, the page owner-only in the
/// owner-only runtime directory of `home`, gone after the login.
fn check_the_page(lab: &std::path::Path, home: &Home, address: &str) {
    assert!(
        !address.contains("state") && !address.contains("code_challenge"),
        "the opener gets only the page's address: {address}"
    );
    let page_path = url::Url::parse(address).unwrap().to_file_path().unwrap();
    assert!(
        page_path.starts_with(home.path().join("run")),
        "the page is in the runtime directory: {address}"
    );
    let modes = |f: &str| std::fs::read_to_string(lab.join(f)).unwrap();
    assert_eq!(modes("page.mode").trim(), "600 0", "the page is owner-only");
    assert_eq!(
        modes("dir.mode").trim(),
        "700 0",
        "in an owner-only directory"
    );
    assert!(!page_path.exists(), "the page is gone after the login");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_neighbour_reading_every_command_line_never_sees_the_login_secrets() {
    use tokentray_engine::testing::neighbour::Neighbour;
    let Some(neighbour) = Neighbour::get() else {
        return;
    };
    if !keychain_ready() {
        return;
    }
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    add_browser_portal(&home, &sb);
    let tag: String = (0..12)
        .map(|_| char::from(b'a' + rand::random_range(0..26u8)))
        .collect();
    let browser_name = format!("tt-browser-{tag}.sh");
    let stop = std::path::PathBuf::from(format!("/tmp/tt-poller-stop-{tag}"));
    let lab = tempfile::tempdir().unwrap();
    let script = browser_script(lab.path(), &browser_name);

    let (mut poller, lines, mut seen) = start_poller(&neighbour, &tag, &stop, &browser_name);

    let login = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokentray"))
        .env("TOKENTRAY_HOME", home.path())
        .env("TOKENTRAY_BROWSER", &script)
        .env("NO_COLOR", "1")
        .args(["login", "portal"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let opened = lab.path().join("opened");
    tokio::task::spawn_blocking(move || wait_for_file(&opened))
        .await
        .unwrap();
    seen.extend(lines.until(|l| l == "saw-browser", "the test browser's command line"));
    std::fs::write(lab.path().join("release"), "go\n").unwrap();

    let (address, url) = where_the_browser_went(lab.path());
    let landed = FakeBrowser::new("gis-analyst", "contours")
        .sign_in(&url)
        .await
        .unwrap();
    assert!(landed.contains("/callback?"), "{landed}");
    let out = tokio::task::spawn_blocking(move || login.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("logged in to portal as gis-analyst"),
        "{stdout}"
    );
    std::fs::write(&stop, "").unwrap();
    seen.extend(lines.until(|l| l == "end", "its end"));
    let _ = poller.wait();
    let _ = std::fs::remove_file(&stop);
    // Other programs on this machine may carry unrelated logins; this login's own values count.
    let value = |key: &str| {
        url::Url::parse(&url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    let (state, challenge) = (value("state"), value("code_challenge"));
    let leaks: Vec<&String> = seen
        .iter()
        .filter(|l| l.starts_with("leak ") && (l.contains(&state) || l.contains(&challenge)))
        .collect();
    assert!(
        leaks.is_empty(),
        "a neighbour read the login's state or PKCE challenge on a command line: {leaks:?}"
    );
    check_the_page(lab.path(), &home, &address);
    home.run(&["remove", "portal"]);
}

/// `tokentray login portal --no-browser`, signed in at the printed URL as `user`; its stdout
/// after the URL.
async fn login_as(home: &Home, user: &str, password: &str) -> String {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokentray"))
        .env("TOKENTRAY_HOME", home.path())
        .env("NO_COLOR", "1")
        .args(["login", "portal", "--no-browser"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    stdout.read_line(&mut url).unwrap();
    FakeBrowser::new(user, password)
        .sign_in(url.trim())
        .await
        .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{rest}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    rest
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_as_someone_else_is_announced_by_login_show_and_list() {
    if !keychain_ready() {
        return;
    }
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    add_browser_portal(&home, &sb);
    let first = login_as(&home, "gis-analyst", "contours").await;
    assert!(first.contains("as gis-analyst"), "{first}");
    assert!(
        !first.contains("was"),
        "a first login changes no one: {first}"
    );

    let second = login_as(&home, "gis-viewer", "basemap").await;
    assert!(
        second.contains(
            "now signed in as gis-viewer (Abraham Ortelius), was gis-analyst (Gerda Mercator)"
        ),
        "{second}"
    );
    let show = home.run(&["show", "portal"]);
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(show.contains("identity:  gis-viewer"), "{show}");
    assert!(
        show.contains("the last login signed in as gis-viewer (Abraham Ortelius), was gis-analyst"),
        "{show}"
    );
    let list = home.run(&["list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("gis-viewer (Abraham Ortelius) (changed, was gis-analyst (Gerda Mercator))"),
        "{list}"
    );
    let json = home.run(&["show", "portal", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        json["connection"]["previous_identity"]["subject"], "gis-analyst",
        "{json}"
    );

    // The same account again: nothing changed at this login, so nothing is announced.
    let third = login_as(&home, "gis-viewer", "basemap").await;
    assert!(!third.contains("was"), "{third}");
    let list = home.run(&["list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("gis-viewer") && !list.contains("was"),
        "{list}"
    );

    // Logging out and in as someone else is a change too.
    assert!(home.run(&["logout", "portal"]).status.success());
    let list = home.run(&["list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        !list.contains("gis-viewer"),
        "signed out, no one is shown: {list}"
    );
    let fourth = login_as(&home, "gis-analyst", "contours").await;
    assert!(
        fourth.contains("now signed in as gis-analyst (Gerda Mercator), was gis-viewer"),
        "{fourth}"
    );
    home.run(&["remove", "portal"]);
}
