//! The CLI against a real TLS server (nginx with a private CA made by the test) and a real
//! proxy (tinyproxy): a refused certificate is one plain line that says what to do, with no
//! log line from the TLS verifier; `insecure_skip_verify` is warned in `show`, `list` and
//! `doctor`; `HTTPS_PROXY`/`https_proxy`/`NO_PROXY` from the environment apply, never to
//! loopback.

use std::net::{IpAddr, ToSocketAddrs};

use tokentray_acceptance::proxy::Tinyproxy;
use tokentray_acceptance::tls::{Pki, TlsFront};
use tokentray_sandbox::Sandbox;

use crate::{Home, stderr, stdout};

const PROXY_VARS: [&str; 8] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

fn home() -> Home {
    let home = Home::new();
    let o = home.run(&["doctor", "--use-file-store"]);
    assert!(o.status.code().is_some(), "{}", stderr(&o));
    home
}

/// Adds a `client_credentials` connection at `token_url` with extra flags.
fn add(home: &Home, name: &str, token_url: &str, flags: &[&str]) {
    let o = home
        .cmd()
        .env("TOKENTRAY_CLIENT_SECRET", "demo-cc-secret")
        .args(["add", name, "--kind", "oauth2", "--token-url", token_url])
        .args(["--grant", "client_credentials", "--client-id", "demo-cc"])
        .args(flags)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `tokentray token NAME` with these proxy variables (and no others).
fn token(home: &Home, name: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = home.cmd();
    for v in PROXY_VARS {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(["token", name]).output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_certificate_is_one_plain_line_without_the_verifiers_log() {
    let Some(pki) = Pki::new("Tokentray test CA") else {
        return;
    };
    let sb = Sandbox::start().await.unwrap();
    let Some(front) = TlsFront::start(
        &sb.url(),
        &pki.issue("server", &["127.0.0.1", "localhost"], false),
    ) else {
        return;
    };
    let home = home();
    add(&home, "api", &format!("{}/oauth/token", front.url), &[]);
    let o = token(&home, "api", &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(stdout(&o).is_empty());
    assert!(
        err.contains(&format!("the certificate of {} is not trusted", front.addr))
            && err.contains("`tokentray edit api --ca-file PATH`"),
        "it says how to set a CA file: {err}"
    );
    for raw in [
        "rustls",
        "failed to verify",
        "UnknownIssuer",
        "invalid peer certificate",
        "ERROR",
        "WARN",
    ] {
        assert!(!err.contains(raw), "a raw log line reached stderr: {err}");
    }
    assert_eq!(
        err.trim().lines().count(),
        1,
        "one plain message, nothing else: {err}"
    );

    let ca = pki.ca_file().display().to_string();
    // A CA file decides whom the client secret is sent to, so the edit drops the stored secret
    // unless it is given again in the same step (issue 9): here it is.
    let o = home
        .cmd()
        .env("TOKENTRAY_CLIENT_SECRET", "demo-cc-secret")
        .args(["edit", "api", "--ca-file", &ca])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = token(&home, "api", &[]);
    assert!(
        o.status.success(),
        "with the CA file it works: {}",
        stderr(&o)
    );
    assert!(!stdout(&o).trim().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn insecure_skip_verify_works_and_show_list_and_doctor_warn() {
    let Some(pki) = Pki::new("Tokentray test CA") else {
        return;
    };
    let sb = Sandbox::start().await.unwrap();
    let Some(front) = TlsFront::start(
        &sb.url(),
        &pki.issue("self", &["127.0.0.1", "localhost"], true),
    ) else {
        return;
    };
    let home = home();
    let url = format!("{}/oauth/token", front.url);
    add(&home, "careless", &url, &["--insecure-skip-verify", "true"]);
    add(&home, "careful", &url, &[]);
    let o = token(&home, "careless", &[]);
    assert!(o.status.success(), "{}", stderr(&o));

    let warning = "careless does not verify TLS certificates (insecure_skip_verify)";
    let show = stdout(&home.run(&["show", "careless"]));
    assert!(show.contains(&format!("warning:   {warning}")), "{show}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&home.run(&["show", "careless", "--json"]))).unwrap();
    assert!(
        json["warnings"][0].as_str().unwrap().contains(warning),
        "{json}"
    );
    let show = stdout(&home.run(&["show", "careful"]));
    assert!(!show.contains("warning"), "{show}");

    let list = stdout(&home.run(&["list"]));
    assert!(list.contains(&format!("warning: {warning}")), "{list}");
    assert!(!list.contains("careful does not verify"), "{list}");
    let rows: serde_json::Value =
        serde_json::from_str(&stdout(&home.run(&["list", "--json"]))).unwrap();
    let warned = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["warnings"].clone())
            .unwrap()
    };
    assert!(
        warned("careless")[0].as_str().unwrap().contains(warning),
        "{rows}"
    );
    assert_eq!(warned("careful"), serde_json::json!([]), "{rows}");

    let doctor = stdout(&home.run(&["doctor"]));
    assert!(
        doctor
            .lines()
            .any(|l| l.starts_with("warn") && l.contains(warning)),
        "{doctor}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&home.run(&["doctor", "--json"]))).unwrap();
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|c| c["warning"] == true && c["detail"].as_str().unwrap().contains(warning)),
        "{json}"
    );
}

/// This machine's host name and an address of it that can be listened on, if it has one.
fn own_name() -> Option<(String, IpAddr)> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim().to_owned();
    let ip = (name.as_str(), 0)
        .to_socket_addrs()
        .ok()?
        .map(|a| a.ip())
        .find(IpAddr::is_ipv4)?;
    std::net::TcpListener::bind((ip, 0)).ok()?;
    Some((name, ip))
}

#[tokio::test(flavor = "multi_thread")]
async fn proxies_from_the_environment_apply_but_never_to_loopback() {
    let Some(pki) = Pki::new("Tokentray test CA") else {
        return;
    };
    let Some(proxy) = Tinyproxy::start() else {
        return;
    };
    let Some((host, ip)) = own_name() else {
        eprintln!("skipping: this machine's host name does not resolve to an address of its own");
        return;
    };
    let sb = Sandbox::start().await.unwrap();
    let sans = [host.as_str(), "127.0.0.1", "localhost"];
    let Some(named) =
        TlsFront::start_named(&sb.url(), &pki.issue("named", &sans, false), ip, &host)
    else {
        return;
    };
    let Some(looped) = TlsFront::start(&sb.url(), &pki.issue("loop", &sans, false)) else {
        return;
    };
    let home = home();
    let ca = pki.ca_file().display().to_string();
    let named_url = format!("{}/oauth/token", named.url);
    for name in ["upper", "lower", "excluded"] {
        add(&home, name, &named_url, &["--ca-file", &ca]);
    }
    add(
        &home,
        "loopback",
        &format!("{}/oauth/token", looped.url),
        &["--ca-file", &ca],
    );
    let tunnel = format!("CONNECT {host}:{}", named.addr.port());
    let tunnels = || {
        proxy
            .requests()
            .iter()
            .filter(|r| r.contains(&tunnel))
            .count()
    };

    let o = token(&home, "upper", &[("HTTPS_PROXY", &proxy.url)]);
    assert!(o.status.success(), "{}", stderr(&o));
    proxy
        .wait_for(&tunnel)
        .unwrap_or_else(|seen| panic!("HTTPS_PROXY was not used: {seen:#?}"));

    let o = token(&home, "lower", &[("https_proxy", &proxy.url)]);
    assert!(o.status.success(), "{}", stderr(&o));
    proxy
        .wait_for_count(&tunnel, 2)
        .unwrap_or_else(|seen| panic!("https_proxy was not used: {seen:#?}"));

    let o = token(
        &home,
        "excluded",
        &[("HTTPS_PROXY", &proxy.url), ("NO_PROXY", &host)],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = token(&home, "loopback", &[("HTTPS_PROXY", &proxy.url)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Both went direct: their servers answered, the proxy saw neither.
    assert_eq!(
        tunnels(),
        2,
        "NO_PROXY is honoured: {:#?}",
        proxy.requests()
    );
    assert!(
        looped
            .requests()
            .iter()
            .any(|r| r.contains("POST /oauth/token")),
        "the loopback server answered"
    );
    assert!(
        !proxy
            .requests()
            .iter()
            .any(|r| r.contains(&looped.addr.to_string())),
        "loopback is never sent to a proxy from the environment: {:#?}",
        proxy.requests()
    );
}
