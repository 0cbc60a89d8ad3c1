//! The `tokentray-sandbox` binary: one announcement line, then serving until stdin closes.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn the_binary_announces_its_url_serves_every_provider_and_exits_when_stdin_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tokentray-sandbox"))
        .args(["--port", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().unwrap();

    let url = line
        .strip_prefix("tokentray-sandbox listening on ")
        .unwrap_or_else(|| panic!("unexpected announcement: {line}"));
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
        "{url}"
    );
    let doc: serde_json::Value = crate::support::http()
        .get(format!("{url}oauth/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], format!("{url}oauth"));
    for other in ["arcgis/rest/info?f=json", "itk/oidc/listKeys"] {
        let status = crate::support::http()
            .get(format!("{url}{other}"))
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "the binary serves {other}: {status}");
    }

    drop(child.stdin.take());
    let status = child.wait().await.unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(
        lines.next_line().await.unwrap(),
        None,
        "exactly one line on stdout"
    );
}

#[tokio::test]
async fn the_binary_refuses_unknown_arguments_with_exit_code_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_tokentray-sandbox"))
        .arg("--bogus")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
}
