//! `tokentray serve` as the one refresher: the CLI asks it while it runs, falls back to
//! renewing itself when it is gone (a stale `endpoint.json` is ignored), and a serve killed with
//! SIGKILL in the middle of renewals always leaves the last good tokens stored.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rand::Rng;
use tokentray_sandbox::{Rotation, Sandbox};

use crate::{Home, imported_refresh_token, stderr, stdout};

fn start_serve(home: &Home) -> Child {
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
    child
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_asks_a_running_serve_and_renews_itself_when_it_is_gone() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    imported_refresh_token(&home, &sb, "crash", Rotation::RotateStrict);
    let mut serve = start_serve(&home);
    let o = home.run(&["refresh", "crash"]);
    assert!(
        stdout(&o).contains("by the running Tokentray"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    let o = home.run(&["token", "crash"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The endpoint logs hand-outs from a background writer: wait (bounded) for the entry.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut audit = String::new();
    while Instant::now() < deadline && !audit.contains("/v1/connections/") {
        audit = stdout(&home.run(&["audit", "--json"]));
    }
    assert!(
        audit.contains("/v1/connections/"),
        "the hand-out went through the endpoint: {audit}"
    );
    serve.kill().unwrap();
    serve.wait().unwrap();
    assert!(
        home.path().join("run/endpoint.json").exists(),
        "SIGKILL leaves the file behind"
    );
    let o = home.run(&["refresh", "crash"]);
    assert!(
        o.status.success(),
        "a dead serve's file is ignored: {}",
        stderr(&o)
    );
    assert!(!stdout(&o).contains("running Tokentray"), "renewed here");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_serve_killed_during_renewals_always_leaves_the_last_good_tokens() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    // A provider that does not rotate: whatever moment the kill lands on, the stored tokens
    // must still work. (With strict rotation, a kill while the request is in flight loses the
    // new refresh token at the provider; no client survives that without a grace window at
    // the server, security.md R3.)
    imported_refresh_token(&home, &sb, "crash", Rotation::None);
    let mut rng = rand::rng();
    for round in 0..12 {
        let mut serve = start_serve(&home);
        let path = home.path().to_owned();
        let hammer = std::thread::spawn(move || {
            for _ in 0..25 {
                let _ = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokentray"))
                    .env("TOKENTRAY_HOME", &path)
                    .args(["refresh", "crash"])
                    .output();
            }
        });
        let deadline = Instant::now() + Duration::from_micros(rng.random_range(5_000..150_000));
        while Instant::now() < deadline {
            std::hint::spin_loop();
        }
        serve.kill().unwrap();
        serve.wait().unwrap();
        hammer.join().unwrap();
        // With or without a serve, the stored refresh token is the newest one.
        let o = home.run(&["refresh", "crash"]);
        assert!(o.status.success(), "round {round}: {}", stderr(&o));
    }
    let o = home.run(&["token", "crash"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn serve_on_a_taken_pinned_port_stops_with_an_error_naming_the_port() {
    let home = Home::new();
    assert!(
        home.run(&["doctor", "--use-file-store"])
            .status
            .code()
            .is_some()
    );
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port().to_string();
    let o = home.run(&["serve", "--port", &port]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(&port) && err.contains("pinned"), "{err}");
    assert!(
        !home.path().join("run/endpoint.json").exists(),
        "nothing published for clients to find"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn whoami_asks_a_running_serve_and_never_renews_itself() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    imported_refresh_token(&home, &sb, "who", Rotation::RotateStrict);
    let mut serve = start_serve(&home);
    let before = sb.grant_count("refresh_token");
    let o = home.run(&["whoami", "who", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["connection"], "who");
    assert_eq!(v["identity"]["subject"], "ada", "{v}");
    assert!(!stdout(&o).contains("access_token"), "never the token");
    let o = home.run(&["whoami", "who"]);
    assert!(stdout(&o).contains("ada"), "{}{}", stdout(&o), stderr(&o));
    // The endpoint logs hand-outs from a background writer: wait (bounded) for the entry.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut audit = String::new();
    while Instant::now() < deadline && !audit.contains("/v1/connections/") {
        audit = stdout(&home.run(&["audit", "--json"]));
    }
    assert!(
        audit.contains("/v1/connections/"),
        "asked through the endpoint: {audit}"
    );
    assert!(
        sb.grant_count("refresh_token") <= before + 1,
        "at most the running serve's one renewal"
    );
    serve.kill().unwrap();
    serve.wait().unwrap();
}
