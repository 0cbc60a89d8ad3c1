//! `tokentray exec`: the token reaches the child's environment (never its argv), the child's
//! exit code comes back, signals reach the child, and a connection that may not be exported
//! is refused. Each hand-out lands in the audit log.

use std::process::Stdio;

use crate::{Home, keychain_ready, stderr, stdout};

fn with_static(home: &Home, name: &str, token: &str, extra: &[&str]) {
    let o = home
        .cmd()
        .env("TOKENTRAY_TOKEN", token)
        .args(["add", name, "--kind", "static"])
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn exec_passes_the_token_in_the_environment_and_the_exit_code_back() {
    if !keychain_ready() {
        return;
    }
    let home = Home::new();
    with_static(&home, "k", "tok-exec-1", &[]);
    let o = home.run(&[
        "exec",
        "k",
        "--",
        "sh",
        "-c",
        "printf '%s|%s' \"$BEARER_TOKEN\" \"$TOKENTRAY_HEADER\"; exit 7",
    ]);
    assert_eq!(
        o.status.code(),
        Some(7),
        "the child's code is passed through: {}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "tok-exec-1|Authorization: Bearer tok-exec-1");
    let audit = home.run(&["audit", "--json"]);
    let entries: serde_json::Value = serde_json::from_str(&stdout(&audit)).unwrap();
    assert!(
        entries
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["via"] == "tokentray exec" && e["connection"] == "k")
    );
    assert!(
        !stdout(&audit).contains("tok-exec-1"),
        "the audit log never holds the token"
    );
    home.run(&["remove", "k"]);
}

#[test]
fn exec_refuses_a_connection_that_may_not_be_exported() {
    if !keychain_ready() {
        return;
    }
    let home = Home::new();
    with_static(&home, "private", "tok-private", &["--export", "false"]);
    let o = home.run(&[
        "exec",
        "private",
        "--",
        "sh",
        "-c",
        "echo \"$BEARER_TOKEN\"",
    ]);
    assert_ne!(o.status.code(), Some(0));
    assert!(!stdout(&o).contains("tok-private"));
    assert!(stderr(&o).contains("export"), "{}", stderr(&o));
    home.run(&["remove", "private"]);
}

#[cfg(unix)]
#[test]
fn exec_forwards_a_termination_signal_to_the_child() {
    use std::io::{BufRead, BufReader};
    if !keychain_ready() {
        return;
    }
    let home = Home::new();
    with_static(&home, "k", "tok-sig", &[]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokentray"))
        .env("TOKENTRAY_HOME", home.path())
        .args([
            "exec",
            "k",
            "--",
            "sh",
            "-c",
            "trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.2; done",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_eq!(
        lines.next().unwrap().unwrap(),
        "got-term",
        "the child saw the signal"
    );
    assert_eq!(
        child.wait().unwrap().code(),
        Some(42),
        "and its exit code came back"
    );
    home.run(&["remove", "k"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_referer_bound_token_carries_its_referer_to_json_and_exec() {
    if !keychain_ready() {
        return;
    }
    let sb = tokentray_sandbox::Sandbox::start().await.unwrap();
    let portal = sb
        .issuer(tokentray_sandbox::Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let home = Home::new();
    let o = home
        .cmd()
        .env("TOKENTRAY_PASSWORD", "contours")
        .args(["add", "gis", "--kind", "arcgis-token", "--portal-url"])
        .args([portal.as_str(), "--username", "gis-analyst"])
        .args(["--referer", "https://maps.example.org/app"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    with_static(&home, "plain", "tok-plain", &[]);

    let o = home.run(&["token", "gis", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["referer"], "https://maps.example.org/app", "{v}");
    let o = home.run(&["token", "plain", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["referer"].is_null(), "{v}");

    let show = "printf '%s' \"${TOKENTRAY_REFERER-unset}\"";
    let o = home.run(&["exec", "gis", "--", "sh", "-c", show]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "https://maps.example.org/app");
    // Not set for a token bound to no referer, even when the caller's environment has one.
    let o = home
        .cmd()
        .env("TOKENTRAY_REFERER", "https://stale.example/")
        .args(["exec", "plain", "--", "sh", "-c", show])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "unset", "{}", stderr(&o));
    home.run(&["remove", "gis"]);
    home.run(&["remove", "plain"]);
}
