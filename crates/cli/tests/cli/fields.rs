//! The second-round fields from the command line: `--redirect-uri` and `--allow-http` are
//! checked at `add`/`edit` (exit 2, a plain message, nothing saved), and a connection that
//! allows plain http reaches an internal http server (the sandbox on 127.0.0.2, which is not
//! one of the loopback hosts where http is always allowed) and is warned about wherever shown.

use tokentray_sandbox::{Provider, Sandbox};

use crate::{Home, keychain_ready, stderr, stdout};

#[test]
fn bad_redirect_uris_exit_2_and_save_nothing() {
    let home = Home::new();
    for (uri, says) in [
        ("https://localhost:8080/cb", "plain http"),
        ("http://gis.example.org:8080/cb", "not a loopback"),
        ("http://localhost/cb", "no port"),
    ] {
        let o = home
            .cmd()
            .args(["add", "app", "--kind", "oauth2", "--client-id", "c"])
            .args(["--authorize-url", "https://id.example/authorize"])
            .args(["--token-url", "https://id.example/token"])
            .args(["--redirect-uri", uri])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{uri}: {}", stderr(&o));
        assert!(stderr(&o).contains("redirect_uri") || stderr(&o).contains("Redirect URI"));
        assert!(stderr(&o).contains(says), "{uri}: {}", stderr(&o));
    }
    assert!(stdout(&home.run(&["list"])).contains("no connections"));
}

#[test]
fn a_registered_redirect_uri_is_kept_and_shown() {
    let home = Home::new();
    let o = home
        .cmd()
        .args(["add", "app", "--kind", "oauth2", "--client-id", "c"])
        .args(["--authorize-url", "https://id.example/authorize"])
        .args(["--token-url", "https://id.example/token"])
        .args(["--redirect-uri", "http://localhost:9876/oauth/cb"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let show = stdout(&home.run(&["show", "app"]));
    assert!(
        show.contains("redirect_uri = http://localhost:9876/oauth/cb"),
        "{show}"
    );
    let o = home.run(&["edit", "app", "--redirect-uri", "http://[::2]:9876/cb"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let show = stdout(&home.run(&["show", "app"]));
    assert!(
        show.contains("localhost:9876/oauth/cb"),
        "unchanged: {show}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn allow_http_reaches_an_internal_http_server_and_is_warned_everywhere() {
    if !keychain_ready() {
        return;
    }
    let sb = Sandbox::start_on(([127, 0, 0, 2], 0).into()).await.unwrap();
    let portal = sb
        .issuer(Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    assert!(portal.starts_with("http://127.0.0.2:"), "{portal}");
    let home = Home::new();
    let add = |extra: &[&str]| {
        home.cmd()
            .env("TOKENTRAY_PASSWORD", "contours")
            .args(["add", "gis", "--kind", "arcgis-token", "--portal-url"])
            .args([portal.as_str(), "--username", "gis-analyst"])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = add(&[]);
    assert_eq!(o.status.code(), Some(2), "refused without allow_http");
    assert!(stderr(&o).contains("allow_http"), "{}", stderr(&o));
    assert!(stdout(&home.run(&["list"])).contains("no connections"));

    let o = add(&["--allow-http"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: gis: plain http is allowed"),
        "add says it too: {}",
        stderr(&o)
    );
    let o = home.run(&["token", "gis"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stdout(&o).trim().is_empty());

    let show = stdout(&home.run(&["show", "gis"]));
    assert!(show.contains("warning:   plain http is allowed"), "{show}");
    let list = stdout(&home.run(&["list"]));
    assert!(
        list.contains("warning: gis: plain http is allowed"),
        "{list}"
    );
    let rows: serde_json::Value =
        serde_json::from_str(&stdout(&home.run(&["list", "--json"]))).unwrap();
    assert!(
        rows[0]["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("plain http is allowed"),
        "{rows}"
    );
    let doctor = stdout(&home.run(&["doctor"]));
    assert!(
        doctor
            .lines()
            .any(|l| l.starts_with("warn") && l.contains("gis: plain http is allowed")),
        "{doctor}"
    );

    // Switching it off again while the portal is plain http is refused, and nothing changes.
    let o = home.run(&["edit", "gis", "--allow-http", "false"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stdout(&home.run(&["show", "gis"])).contains("allow_http = true"));
    home.run(&["remove", "gis"]);
}

/// A port free on both `127.0.0.1` and `[::1]` right now.
fn free_port() -> u16 {
    loop {
        let v4 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = v4.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("::1", port)).is_ok() {
            return port;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_login_comes_back_at_exactly_the_registered_localhost_uri() {
    use std::io::{BufRead, BufReader};

    use tokentray_acceptance::browser::FakeBrowser;
    use tokentray_sandbox::{ArcgisApp, Endpoint};

    if !keychain_ready() {
        return;
    }
    let sb = Sandbox::start().await.unwrap();
    let uri = format!("http://localhost:{}/oauth/cb", free_port());
    // The portal knows this app with this one exact redirect URI, nothing else.
    sb.add_arcgis_app(ArcgisApp::public("tt-registered").redirect_uri(&uri))
        .unwrap();
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
        "tt-registered",
        "--redirect-uri",
        &uri,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokentray"))
        .env("TOKENTRAY_HOME", home.path())
        .env("NO_COLOR", "1")
        .args(["login", "portal", "--no-browser"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    out.read_line(&mut url).unwrap();
    let sent = url::Url::parse(url.trim()).unwrap();
    let redirect = sent
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned());
    assert_eq!(redirect.as_deref(), Some(uri.as_str()), "{url}");
    FakeBrowser::new("gis-analyst", "contours")
        .sign_in(url.trim())
        .await
        .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let done = child.wait_with_output().unwrap();
    assert!(
        done.status.success(),
        "{rest}{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(rest.contains("as gis-analyst"), "{rest}");
    let exchanges: Vec<_> = sb
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::ArcgisOAuthToken)
        .collect();
    assert!(!exchanges.is_empty());
    assert_eq!(
        exchanges[0].redirect_uri.as_deref(),
        Some(uri.as_str()),
        "the token request sends exactly the registered URI"
    );
    home.run(&["remove", "portal"]);
}

/// The neighbour's squatter: listens on `[::1]:argv[1]`, prints `ready`, then `connection` for
/// anything that connects, until the file `argv[2]` exists; then `end`.
const SQUATTER: &str = r"
import os, socket, sys
port, stop = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.bind(('::1', port))
s.listen(8)
s.settimeout(0.1)
print('ready', flush=True)
while not os.path.exists(stop):
    try:
        c, _ = s.accept()
        print('connection', flush=True)
        c.close()
    except socket.timeout:
        pass
print('end', flush=True)
";

#[tokio::test(flavor = "multi_thread")]
async fn a_neighbour_squatting_half_of_localhost_fails_the_login_naming_the_port() {
    use std::io::{BufRead, BufReader};

    use tokentray_engine::testing::neighbour::Neighbour;

    let Some(neighbour) = Neighbour::get() else {
        return;
    };
    if !keychain_ready() {
        return;
    }
    let sb = Sandbox::start().await.unwrap();
    let port = free_port();
    let uri = format!("http://localhost:{port}/oauth/cb");
    let stop = std::path::PathBuf::from(format!("/tmp/tt-squatter-stop-{port}"));
    let _ = std::fs::remove_file(&stop);
    let mut squatter = neighbour
        .python(SQUATTER, &[&port.to_string(), stop.to_str().unwrap()])
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(squatter.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");

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
        "--redirect-uri",
        &uri,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["login", "portal", "--no-browser"]);
    std::fs::write(&stop, "").unwrap();
    assert!(!o.status.success(), "the login must not start half-served");
    assert!(
        stderr(&o).contains(&format!("port {port}")),
        "{}",
        stderr(&o)
    );
    assert!(
        !stdout(&o).contains("oauth2/authorize"),
        "no authorize URL was handed out: {}",
        stdout(&o)
    );
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let _ = squatter.wait();
    let _ = std::fs::remove_file(&stop);
    assert_eq!(rest, ["end"], "nothing reached the squatter");
    home.run(&["remove", "portal"]);
}

#[test]
fn export_and_import_carry_the_new_fields_and_import_checks_them() {
    let home = Home::new();
    let o = home
        .cmd()
        .args(["add", "app", "--kind", "oauth2", "--client-id", "c"])
        .args(["--authorize-url", "http://sso.internal/authorize"])
        .args(["--token-url", "http://sso.internal/token"])
        .args(["--redirect-uri", "http://[::1]:9876/cb", "--allow-http"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let exported = stdout(&home.run(&["export"]));
    assert!(
        exported.contains("redirect_uri = \"http://[::1]:9876/cb\""),
        "{exported}"
    );
    assert!(exported.contains("allow_http = true"), "{exported}");

    let other = Home::new();
    let file = other.path().join("defs.toml");
    std::fs::write(&file, &exported).unwrap();
    let o = other.run(&["import", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let show = stdout(&other.run(&["show", "app"]));
    assert!(
        show.contains("redirect_uri = http://[::1]:9876/cb"),
        "{show}"
    );
    assert!(show.contains("warning:   plain http is allowed"), "{show}");

    for (bad, field) in [
        (exported.replace("allow_http = true", ""), "allow_http"),
        (
            exported.replace("http://[::1]:9876/cb", "http://[::1]/cb"),
            "redirect_uri",
        ),
    ] {
        let third = Home::new();
        let file = third.path().join("defs.toml");
        std::fs::write(&file, bad).unwrap();
        let o = third.run(&["import", file.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(field), "{}", stderr(&o));
        assert!(stdout(&third.run(&["list"])).contains("no connections"));
    }
}
