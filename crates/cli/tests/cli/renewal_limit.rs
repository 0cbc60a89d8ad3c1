//! `tokentray token --min-valid` longer than the provider's tokens live, without a daemon: each
//! run is a new process, and still six runs reach the provider once (issue 9, point 8). The
//! last renewal time is the state file's; moving it back stands for 30 s passing.

use std::path::PathBuf;

use tokentray_engine::RENEWAL_WINDOW;
use tokentray_sandbox::{Endpoint, Provider, Sandbox};

use crate::{Home, stderr, stdout};

const A_YEAR: &str = "31536000";

fn file_store(home: &Home) {
    let o = home.run(&["doctor", "--use-file-store"]);
    assert!(o.status.code().is_some(), "{}", stderr(&o));
}

fn add(home: &Home, name: &str, secret: (&str, &str), args: &[&str]) {
    let o = home
        .cmd()
        .env(secret.0, secret.1)
        .args(["add", name])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

fn token_for_a_year(home: &Home, name: &str) -> String {
    let o = home.run(&["token", name, "--min-valid", A_YEAR]);
    assert!(
        o.status.success(),
        "the freshest token, not an error: {}",
        stderr(&o)
    );
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
    let mut moved = 0;
    for connection in state["connections"].as_object_mut().unwrap().values_mut() {
        for entry in connection["history"].as_array_mut().unwrap() {
            entry["at"] = (entry["at"].as_i64().unwrap() - back).into();
            moved += 1;
        }
    }
    assert!(moved > 0, "the state file records the renewals: {state}");
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn six_runs_asking_for_a_year_renew_once_and_a_refresh_shares_the_limit() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    file_store(&home);
    let issuer = format!("{}oauth", sb.url());
    add(
        &home,
        "cc",
        ("TOKENTRAY_CLIENT_SECRET", "demo-cc-secret"),
        &[
            "--kind",
            "oauth2",
            "--issuer",
            &issuer,
            "--grant",
            "client_credentials",
            "--client-id",
            "demo-cc",
        ],
    );
    let first = token_for_a_year(&home, "cc");
    for _ in 0..5 {
        assert_eq!(token_for_a_year(&home, "cc"), first);
    }
    assert_eq!(sb.grant_count("client_credentials"), 1, "six runs");

    let o = home.run(&["refresh", "cc"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = stdout(&o);
    assert!(
        said.contains("not renewed") && said.contains("at most once per 30 s"),
        "{said}"
    );
    assert_eq!(sb.grant_count("client_credentials"), 1, "and a refresh");
    assert_eq!(token_for_a_year(&home, "cc"), first);

    let_the_window_pass(&home);
    let second = token_for_a_year(&home, "cc");
    assert_ne!(second, first, "renewed again once the window has passed");
    assert_eq!(token_for_a_year(&home, "cc"), second);
    assert_eq!(sb.grant_count("client_credentials"), 2);

    let_the_window_pass(&home);
    let o = home.run(&["refresh", "cc", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(sb.grant_count("client_credentials"), 3, "a refresh renews");
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_is_posted_once_however_many_runs_ask_for_a_year() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    file_store(&home);
    let portal = sb
        .issuer(Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    add(
        &home,
        "agol",
        ("TOKENTRAY_PASSWORD", "contours"),
        &[
            "--kind",
            "arcgis-token",
            "--portal-url",
            &portal,
            "--username",
            "gis-analyst",
        ],
    );
    for _ in 0..6 {
        token_for_a_year(&home, "agol");
    }
    assert_eq!(
        sb.count(Endpoint::ArcgisGenerateToken),
        1,
        "six runs, one password post"
    );
    let_the_window_pass(&home);
    token_for_a_year(&home, "agol");
    assert_eq!(sb.count(Endpoint::ArcgisGenerateToken), 2);
}
