//! Plants canary secrets, drives the CLI through add/token/refresh/whoami/remove at the most
//! verbose log level, and scans everything written (files under the home, stdout, stderr) for
//! them. Then checks `remove` left no keychain item behind.

use tokentray_sandbox::{ClientConfig, Sandbox, User};

use crate::{Home, keychain_ready, stderr, stdout};

fn canary(tag: &str) -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("canary-{tag}-{n:016x}")
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)] // one scenario, read top to bottom
async fn no_secret_reaches_a_file_a_log_or_the_output() {
    if !keychain_ready() {
        return;
    }
    let client_secret = canary("cs");
    let password = canary("pw");
    let static_token = canary("st");
    let sb = Sandbox::start().await.unwrap();
    sb.add_client(ClientConfig::basic("canary-client", client_secret.clone()))
        .unwrap();
    sb.add_user(User::new("carol", password.clone())).unwrap();
    let home = Home::new();
    let token_url = format!("{}oauth/token", sb.url());
    let mut written = Vec::new();
    let run = |envs: &[(&str, &str)], args: &[&str]| {
        let mut cmd = home.cmd();
        cmd.env("TOKENTRAY_LOG", "trace");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let o = cmd.args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        format!("{}{}", stdout(&o), stderr(&o))
    };
    written.push(run(
        &[("TOKENTRAY_CLIENT_SECRET", &client_secret)],
        &[
            "add",
            "cc",
            "--kind",
            "oauth2",
            "--token-url",
            &token_url,
            "--grant",
            "client_credentials",
            "--client-id",
            "canary-client",
        ],
    ));
    written.push(run(
        &[("TOKENTRAY_PASSWORD", &password)],
        &["add", "pw", "--kind", "basic", "--username", "carol"],
    ));
    written.push(run(
        &[("TOKENTRAY_TOKEN", &static_token)],
        &["add", "st", "--kind", "static"],
    ));
    for name in ["cc", "pw"] {
        written.push(run(&[], &["token", name, "--format", "json"]));
        written.push(run(&[], &["refresh", name]));
        written.push(run(&[], &["show", name]));
    }
    written.push(run(&[], &["whoami", "cc"]));
    written.push(run(&[], &["list", "--json"]));
    written.push(run(&[], &["export"]));
    written.push(run(&[], &["doctor"]));
    let files = home.files();
    assert!(!files.is_empty());
    // Also the forms secrets take on the wire: the Basic headers of the token request and of
    // the basic connection (a log line of a header would show these).
    let b64 = |s: String| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let wire_client = b64(format!("canary-client:{client_secret}"));
    let wire_basic = b64(format!("carol:{password}"));
    for secret in [&client_secret, &password, &static_token, &wire_client] {
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret.as_str()),
                "{} contains a canary",
                f.display()
            );
        }
        for (i, text) in written.iter().enumerate() {
            assert!(
                !text.contains(secret.as_str()),
                "output {i} contains a canary"
            );
        }
    }
    // The basic connection's token is its Basic header: it may only leave through `token`,
    // which the caller asked for; it must not be in any file or any other command's output.
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        assert!(
            !text.contains(&wire_basic),
            "{} contains the basic credentials",
            f.display()
        );
    }
    // Output 6 (`token pw`) prints it on request.
    for (i, text) in written.iter().enumerate().filter(|(i, _)| *i != 6) {
        assert!(
            !text.contains(&wire_basic),
            "output {i} contains the basic credentials"
        );
    }
    for name in ["cc", "pw", "st"] {
        written.push(run(&[], &["remove", name]));
    }
    let paths = tokentray_engine::Paths::under(home.path());
    let store = tokentray_keychain::KeychainStore::new(&paths);
    for name in ["cc", "pw", "st"] {
        use tokentray_engine::SecretStore;
        assert!(
            store.get(name).await.unwrap().is_none(),
            "remove left the keychain item of {name}"
        );
    }
}
