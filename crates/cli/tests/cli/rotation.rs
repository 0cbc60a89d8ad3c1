//! Two `tokentray` processes (no daemon) renew one connection whose provider rotates refresh
//! tokens and revokes the whole family when an old one is reused: the per-connection lock and
//! the re-read after taking it must make every renewal use the newest refresh token.

use tokentray_sandbox::{ClientConfig, Rotation, Sandbox};

use crate::{Home, imported_refresh_token_of, stderr};

const ROUNDS: usize = 120;

#[tokio::test(flavor = "multi_thread")]
async fn two_clis_never_reuse_a_rotated_refresh_token() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    // Access tokens that expire as they are issued: each `refresh` then renews (the renewal
    // limit only ever holds back a token that is still valid).
    let client = ClientConfig::public("race")
        .rotation(Rotation::RotateStrict)
        .access_token_secs(0);
    imported_refresh_token_of(&home, &sb, "race", client);
    let path = home.path().to_owned();
    let worker = move || {
        let mut failures = Vec::new();
        for _ in 0..ROUNDS {
            let o = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokentray"))
                .env("TOKENTRAY_HOME", &path)
                .args(["refresh", "race"])
                .output()
                .unwrap();
            if !o.status.success() {
                failures.push(String::from_utf8_lossy(&o.stderr).into_owned());
            }
        }
        failures
    };
    let a = std::thread::spawn(worker.clone());
    let b = std::thread::spawn(worker);
    let failures: Vec<String> = a
        .join()
        .unwrap()
        .into_iter()
        .chain(b.join().unwrap())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} renewals failed, first: {:?}",
        failures.len(),
        2 * ROUNDS,
        failures.first()
    );
    assert_eq!(
        sb.grant_count("refresh_token"),
        2 * ROUNDS,
        "every renewal reached the provider once"
    );
    let o = home.run(&["token", "race"]);
    assert!(
        o.status.success(),
        "the last rotated token is stored and works: {}",
        stderr(&o)
    );
}
