//! Every kind from the command line against the sandbox's faithful providers: add it, get a
//! token, ask who it belongs to, remove it.

use tokentray_sandbox::{Provider, Sandbox};

use crate::{Home, keychain_ready, stderr, stdout};

/// One connection to add: its name, secret env vars, `add` arguments, and expected whoami.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<&'a str>, &'a str);

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)] // a table of kinds, read top to bottom
async fn every_kind_hands_out_a_token_through_the_cli() {
    if !keychain_ready() {
        return;
    }
    let sb = Sandbox::start().await.unwrap();
    let url = sb.url().to_string();
    let portal = sb
        .issuer(Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let itk = sb.issuer(Provider::Itk).to_string();
    let itk_api = sb.itk_api_url().to_string();
    let keycloak = format!(
        "{}/protocol/openid-connect/token",
        sb.issuer(Provider::Keycloak).as_str().trim_end_matches('/')
    );
    let oauth = format!("{url}oauth");
    let cases: Vec<Case<'_>> = vec![
        (
            "agol",
            vec![("TOKENTRAY_PASSWORD", "contours")],
            vec![
                "--kind",
                "arcgis-token",
                "--portal-url",
                &portal,
                "--username",
                "gis-analyst",
            ],
            "gis-analyst",
        ),
        (
            "itk",
            vec![
                ("TOKENTRAY_ACCESS_CODE1", "jane-code-1"),
                ("TOKENTRAY_ACCESS_CODE2", "jane-code-2"),
            ],
            vec!["--kind", "itkpd", "--auth-url", &itk, "--api-url", &itk_api],
            "1-2345-1",
        ),
        (
            "cdse",
            vec![("TOKENTRAY_PASSWORD", "lovelace")],
            vec![
                "--kind",
                "cdse",
                "--token-url",
                &keycloak,
                "--username",
                "ada",
            ],
            "ada",
        ),
        (
            "api",
            vec![("TOKENTRAY_CLIENT_SECRET", "demo-cc-secret")],
            vec![
                "--kind",
                "oauth2",
                "--issuer",
                &oauth,
                "--grant",
                "client_credentials",
                "--client-id",
                "demo-cc",
            ],
            "service-account-demo-cc",
        ),
        (
            "app",
            vec![("TOKENTRAY_CLIENT_SECRET", "tt-arcgis-cc-secret")],
            vec![
                "--kind",
                "arcgis-oauth",
                "--portal-url",
                &portal,
                "--grant",
                "client_credentials",
                "--client-id",
                "tt-arcgis-cc",
            ],
            "tt-arcgis-cc",
        ),
    ];
    let home = Home::new();
    for (name, env, args, who) in &cases {
        let mut cmd = home.cmd();
        for (k, v) in env {
            cmd.env(k, v);
        }
        let o = cmd.arg("add").arg(name).args(args).output().unwrap();
        assert!(o.status.success(), "add {name}: {}", stderr(&o));
        let o = home.run(&["token", name, "--format", "json"]);
        assert!(o.status.success(), "token {name}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert!(
            v["access_token"].as_str().is_some_and(|t| !t.is_empty()),
            "{name}"
        );
        assert!(v["expires_in"].as_u64().is_some(), "{name}: expiry known");
        let o = home.run(&["whoami", name]);
        assert!(
            stdout(&o).starts_with(who),
            "whoami {name}: {}{}",
            stdout(&o),
            stderr(&o)
        );
    }
    // A one-time code for a connection that logs in without a password is said to be unused
    // (and never echoed); the login itself goes on.
    let o = home.run(&["login", "api", "--totp", "canary-totp-k1"]);
    assert!(o.status.success(), "login api: {}", stderr(&o));
    assert!(
        stderr(&o).contains("--totp is not used: api logs in with its stored secrets"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("canary-totp-k1") && !stdout(&o).contains("canary-totp-k1"));
    let list = home.run(&["list"]);
    assert_eq!(
        stdout(&list).matches("active").count(),
        cases.len(),
        "{}",
        stdout(&list)
    );
    for (name, ..) in &cases {
        assert!(home.run(&["remove", name]).status.success());
    }
}
