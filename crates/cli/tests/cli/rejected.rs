//! `tokentray token NAME --rejected TOKEN` (issue 10, point 6), without and with a running
//! `serve`: the refused token, if current, is renewed once (else the current token is printed),
//! within the renewal limit (exit 5 with when to try again), `needs_login` (exit 4) for a static
//! token, exit 2 for an empty one; `-` reads it from stdin and `TOKENTRAY_REJECTED` works too.
//! Each run is a new process; the state file's times moved back stand for 30 s passing.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use tokentray_engine::RENEWAL_WINDOW;
use tokentray_sandbox::Sandbox;

use crate::{Home, stderr, stdout};

fn file_store(home: &Home) {
    let o = home.run(&["doctor", "--use-file-store"]);
    assert!(o.status.code().is_some(), "{}", stderr(&o));
}

fn add_cc(home: &Home, sb: &Sandbox) {
    let issuer = format!("{}oauth", sb.url());
    let o = home
        .cmd()
        .env("TOKENTRAY_CLIENT_SECRET", "demo-cc-secret")
        .args(["add", "cc", "--kind", "oauth2", "--issuer", &issuer])
        .args(["--grant", "client_credentials", "--client-id", "demo-cc"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

fn token(home: &Home, args: &[&str]) -> String {
    let o = home.cmd().arg("token").args(args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).trim().to_owned()
}

fn state_file(home: &Home) -> PathBuf {
    home.files()
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| n == "state.json"))
        .expect("a state file")
}

/// Moves every recorded time of the state file back by the renewal window, as if it had passed.
fn let_the_window_pass(home: &Home) {
    let path = state_file(home);
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let back = i64::try_from(RENEWAL_WINDOW.as_millis()).unwrap();
    for connection in state["connections"].as_object_mut().unwrap().values_mut() {
        for entry in connection["history"].as_array_mut().unwrap() {
            entry["at"] = (entry["at"].as_i64().unwrap() - back).into();
        }
    }
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_daemon_a_refused_token_is_renewed_once() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    file_store(&home);
    add_cc(&home, &sb);
    let grants = || sb.grant_count("client_credentials");
    let first = token(&home, &["cc"]);
    assert_eq!(grants(), 1);

    // Refused right after it was made: held back, not renewed, not printed.
    let o = home.run(&["token", "cc", "--rejected", &first]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("at most once per 30 s"),
        "{}",
        stderr(&o)
    );
    assert!(!stdout(&o).contains(&first));
    assert_eq!(grants(), 1);

    let_the_window_pass(&home);
    let o = home.run(&["token", "cc", "--rejected", &first]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("visible to other users"),
        "{}",
        stderr(&o)
    );
    let second = stdout(&o).trim().to_owned();
    assert_ne!(second, first, "renewed");
    assert_eq!(grants(), 2);
    // Reported again by another script, from stdin or the environment: the current token.
    let o = home
        .cmd()
        .args(["token", "cc", "--rejected", "-"])
        .write_stdin(format!("{first}\n"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), second);
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    let o = home
        .cmd()
        .env("TOKENTRAY_REJECTED", &first)
        .args(["token", "cc", "--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&second));
    assert_eq!(grants(), 2, "no renewal for a token already replaced");

    let o = home.run(&["token", "cc", "--rejected", ""]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--rejected"), "{}", stderr(&o));
}

#[test]
fn a_static_token_refused_needs_a_login() {
    let home = Home::new();
    file_store(&home);
    let o = home
        .cmd()
        .env("TOKENTRAY_TOKEN", "static-tok-5e1")
        .args(["add", "k", "--kind", "static"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["token", "k", "--rejected", "static-tok-5e1"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("tokentray edit"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("static-tok-5e1"), "{}", stderr(&o));
    assert_eq!(
        token(&home, &["k", "--rejected", "an-older-one"]),
        "static-tok-5e1"
    );
}

/// A running `serve`, killed when the test ends.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_serve(home: &Home) -> Serve {
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
    Serve(child)
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_daemon_the_report_goes_to_it_and_renews_once() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    file_store(&home);
    add_cc(&home, &sb);
    let first = token(&home, &["cc"]);
    let_the_window_pass(&home);
    let _serve = start_serve(&home);

    let second = token(&home, &["cc", "--rejected", &first]);
    assert_ne!(second, first);
    assert_eq!(sb.grant_count("client_credentials"), 2);
    assert_eq!(token(&home, &["cc", "--rejected", &first]), second);
    assert_eq!(token(&home, &["cc"]), second);
    assert_eq!(sb.grant_count("client_credentials"), 2, "one renewal");

    // Refused again right after that renewal: the daemon holds it back too (exit 5).
    let o = home.run(&["token", "cc", "--rejected", &second]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    // The same words as without a daemon (issue 12: one failure, one answer); that the daemon
    // answered shows in its hand-out log below.
    assert!(stderr(&o).contains("less than 30 s ago"), "{}", stderr(&o));
    assert_eq!(sb.grant_count("client_credentials"), 2);

    // The reports went through the daemon (its hand-out log; written in the background).
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut audit = String::new();
    while Instant::now() < deadline && !audit.contains("/v1/connections/") {
        audit = stdout(&home.run(&["audit", "--json"]));
    }
    assert!(audit.contains("/v1/connections/"), "{audit}");
}
