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
