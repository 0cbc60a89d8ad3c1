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
