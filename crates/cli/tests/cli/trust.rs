//! Secrets go only where the person pointed a connection when they gave them, and token files
//! only where Tokentray made them.
//!
//! - `edit` / `import` moving a connection's token URL, issuer or portal to a recording server
//!   (a real loopback listener that keeps every request): the client secret, the ArcGIS
//!   password and an imported refresh token never reach it, and `edit` says which secret to
//!   store again. Each test first shows the secret does reach the original place.
//! - Token files: relative paths are refused (exit 2, nothing saved); a file Tokentray did not
//!   create, or a symbolic link a real second user (`tokentray-neighbour`) planted in a shared
//!   sticky directory, is never replaced or written through; `wlcg` without `XDG_RUNTIME_DIR`
//!   is a clear error.

use std::path::{Path, PathBuf};

use tokentray_engine::testing::neighbour::Neighbour;
use tokentray_engine::testing::recorder::Recorder;

use crate::{Home, keychain_ready, stderr, stdout};

fn canary(tag: &str) -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("canary-{tag}-{n:016x}")
}

/// The control: the original endpoint did receive `secret`.
fn saw(rec: &Recorder, secret: &str) {
    assert!(
        rec.leaked(&[secret]).is_some(),
        "the original endpoint should have received the secret: {:?}",
        rec.requests()
    );
}

fn ok(o: &std::process::Output, what: &str) {
    assert!(o.status.success(), "{what}: {}{}", stdout(o), stderr(o));
}

fn secrets_stored(home: &Home, name: &str) -> Vec<String> {
    let o = home.run(&["show", name, "--json"]);
    ok(&o, "show");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["secrets_stored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

fn add_cc(home: &Home, token_url: &str, secret: &str) {
    let o = home
        .cmd()
        .env("TOKENTRAY_CLIENT_SECRET", secret)
        .args([
            "add",
            "cc",
            "--kind",
            "oauth2",
            "--grant",
            "client_credentials",
            "--client-id",
            "cli",
            "--token-url",
            token_url,
        ])
        .output()
        .unwrap();
    ok(&o, "add");
}

#[test]
fn edit_moving_the_token_url_deletes_the_client_secret_and_says_so() {
    if !keychain_ready() {
        return;
    }
    let (first, elsewhere, third) = (Recorder::start(), Recorder::start(), Recorder::start());
    let (secret, new_secret) = (canary("cs"), canary("new"));
    let home = Home::new();
    add_cc(&home, &format!("{}token", first.url()), &secret);
    assert!(!home.run(&["token", "cc"]).status.success());
    saw(&first, &secret);

    let o = home.run(&[
        "edit",
        "cc",
        "--token-url",
        &format!("{}token", elsewhere.url()),
    ]);
    ok(&o, "edit");
    // The leak check first: the next renewal and an explicit refresh.
    assert!(!home.run(&["token", "cc"]).status.success());
    assert!(!home.run(&["refresh", "cc"]).status.success());
    elsewhere.assert_never_saw(&[&secret]);
    let said = stdout(&o);
    assert!(
        said.contains("Token URL changed")
            && said.contains("client secret")
            && said.contains("deleted")
            && said.contains("tokentray edit cc")
            && said.contains("TOKENTRAY_CLIENT_SECRET"),
        "{said}"
    );
    assert!(!said.contains(&secret) && !stderr(&o).contains(&secret));
    assert!(secrets_stored(&home, "cc").is_empty());

    // Given again in the same command, only the new secret goes to the new place.
    let o = home
        .cmd()
        .env("TOKENTRAY_CLIENT_SECRET", &new_secret)
        .args([
            "edit",
            "cc",
            "--token-url",
            &format!("{}token", third.url()),
        ])
        .output()
        .unwrap();
    ok(&o, "edit with the secret");
    assert!(!stdout(&o).contains("needed"), "{}", stdout(&o));
    assert_eq!(secrets_stored(&home, "cc"), ["client_secret"]);
    assert!(!home.run(&["token", "cc"]).status.success());
    saw(&third, &new_secret);
    third.assert_never_saw(&[&secret]);
    elsewhere.assert_never_saw(&[&secret, &new_secret]);
    // Nothing of either secret reached a file of Tokentray's, nor the most verbose log.
    let o = home
        .cmd()
        .env("TOKENTRAY_LOG", "trace")
        .args([
            "edit",
            "cc",
            "--token-url",
            &format!("{}token", first.url()),
        ])
        .output()
        .unwrap();
    ok(&o, "edit back");
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!said.contains(&secret) && !said.contains(&new_secret));
    for file in home.files() {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(&secret) && !text.contains(&new_secret),
            "a secret in {}",
            file.display()
        );
    }
    assert!(
        secrets_stored(&home, "cc").is_empty(),
        "moving back is a move too"
    );
    assert!(home.run(&["remove", "cc"]).status.success());
}

#[test]
fn edit_moving_the_portal_deletes_the_arcgis_password() {
    if !keychain_ready() {
        return;
    }
    let (first, elsewhere) = (Recorder::start(), Recorder::start());
    let password = canary("pw");
    let home = Home::new();
    let o = home
        .cmd()
        .env("TOKENTRAY_PASSWORD", &password)
        .args([
            "add",
            "gis",
            "--kind",
            "arcgis-token",
            "--portal-url",
            first.url(),
            "--username",
            "ada",
        ])
        .output()
        .unwrap();
    ok(&o, "add");
    assert!(!home.run(&["token", "gis"]).status.success());
    saw(&first, &password);
    let o = home.run(&["edit", "gis", "--json", "--portal-url", elsewhere.url()]);
    ok(&o, "edit");
    assert!(!home.run(&["token", "gis"]).status.success());
    elsewhere.assert_never_saw(&[&password]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["moved"], serde_json::json!(["portal_url"]));
    assert_eq!(v["needs_secrets"], serde_json::json!(["password"]));
    assert!(home.run(&["remove", "gis"]).status.success());
}

#[test]
fn edit_moving_the_issuer_deletes_an_imported_refresh_token() {
    if !keychain_ready() {
        return;
    }
    let (first, elsewhere) = (Recorder::start(), Recorder::start());
    let refresh = canary("rt");
    let home = Home::new();
    let o = home
        .cmd()
        .env("TOKENTRAY_REFRESH_TOKEN", &refresh)
        .args([
            "add",
            "rt",
            "--kind",
            "oauth2",
            "--issuer",
            first.url(),
            "--grant",
            "refresh_token",
            "--client-auth",
            "none",
            "--client-id",
            "cli",
        ])
        .output()
        .unwrap();
    ok(&o, "add");
    assert!(!home.run(&["token", "rt"]).status.success());
    saw(&first, &refresh);
    let o = home.run(&["edit", "rt", "--issuer", elsewhere.url()]);
    ok(&o, "edit");
    assert!(!home.run(&["token", "rt"]).status.success());
    assert!(!home.run(&["refresh", "rt"]).status.success());
    elsewhere.assert_never_saw(&[&refresh]);
    assert!(
        stdout(&o).contains("refresh token") && stdout(&o).contains("TOKENTRAY_REFRESH_TOKEN"),
        "{}",
        stdout(&o)
    );
    assert!(home.run(&["remove", "rt"]).status.success());
}

#[test]
fn import_never_adopts_what_the_keychain_holds_under_the_name() {
    if !keychain_ready() {
        return;
    }
    let (first, elsewhere) = (Recorder::start(), Recorder::start());
    let secret = canary("cs");
    let home = Home::new();
    add_cc(&home, &format!("{}token", first.url()), &secret);
    assert!(!home.run(&["token", "cc"]).status.success());
    saw(&first, &secret);
    let exported = stdout(&home.run(&["export"]));
    // The definition is gone (removed by hand); its keychain item is left behind.
    let config = home.path().join("config/connections.toml");
    std::fs::write(
        &config,
        format!("schema_version = {}\n", tokentray_engine::SCHEMA_VERSION),
    )
    .unwrap();
    let file = home.path().join("import.toml");
    std::fs::write(&file, exported.replace(first.url(), elsewhere.url())).unwrap();
    let o = home.run(&["import", file.to_str().unwrap()]);
    ok(&o, "import");
    assert!(!home.run(&["token", "cc"]).status.success());
    assert!(!home.run(&["refresh", "cc"]).status.success());
    elsewhere.assert_never_saw(&[&secret]);
    assert!(
        stdout(&o).contains("deleted secrets an earlier connection left under cc"),
        "{}",
        stdout(&o)
    );
    assert!(secrets_stored(&home, "cc").is_empty());
    assert!(home.run(&["remove", "cc"]).status.success());
}

#[test]
fn import_keeps_token_files_only_with_the_flag() {
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let tok = dir.path().join("tok");
    let text = format!(
        "schema_version = {}\n[[connection]]\nname = \"k\"\nkind = \"static\"\ntoken_file = \"{}\"\n",
        tokentray_engine::SCHEMA_VERSION,
        tok.display()
    );
    let file = home.path().join("import.toml");
    std::fs::write(&file, &text).unwrap();
    let o = home.run(&["import", file.to_str().unwrap()]);
    ok(&o, "import");
    assert!(
        stdout(&o).contains("token files left out") && stdout(&o).contains(tok.to_str().unwrap()),
        "{}",
        stdout(&o)
    );
    let exported = stdout(&home.run(&["export"]));
    assert!(!exported.contains("token_file"), "{exported}");

    let home = Home::new();
    let o = home.run(&["import", "--with-token-files", file.to_str().unwrap()]);
    ok(&o, "import --with-token-files");
    assert!(stdout(&o).contains("token files kept"), "{}", stdout(&o));
    assert!(stdout(&home.run(&["export"])).contains("token_file"));

    let home = Home::new();
    std::fs::write(&file, text.replace(tok.to_str().unwrap(), "tok")).unwrap();
    let o = home.run(&["import", "--with-token-files", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("absolute"), "{}", stderr(&o));
    assert!(!stdout(&home.run(&["export"])).contains("name"));
}

fn add_static(
    home: &Home,
    token_file: &str,
    envs: &[(&str, Option<&str>)],
) -> std::process::Output {
    let mut cmd = home.cmd();
    cmd.env("TOKENTRAY_TOKEN", "tok-canary-1");
    for (k, v) in envs {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.args(["add", "k", "--kind", "static", "--token-file", token_file])
        .output()
        .unwrap()
}

#[test]
fn relative_token_files_are_refused_and_nothing_is_saved() {
    let home = Home::new();
    let o = add_static(&home, "bt_token", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("absolute"), "{}", stderr(&o));
    assert!(!stdout(&home.run(&["export"])).contains("name"));
    if !keychain_ready() {
        return;
    }
    let o = home
        .cmd()
        .env("TOKENTRAY_TOKEN", "tok-canary-1")
        .args(["add", "k", "--kind", "static"])
        .output()
        .unwrap();
    ok(&o, "add");
    let o = home.run(&["edit", "k", "--token-file", "./here"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!stdout(&home.run(&["export"])).contains("token_file"));
    assert!(home.run(&["remove", "k"]).status.success());
}

#[test]
fn wlcg_without_a_runtime_dir_is_a_clear_error() {
    let home = Home::new();
    let o = add_static(&home, "wlcg", &[("XDG_RUNTIME_DIR", None)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("XDG_RUNTIME_DIR is not set"),
        "{}",
        stderr(&o)
    );
    assert!(!stdout(&home.run(&["export"])).contains("name"));
}

#[test]
fn a_file_tokentray_did_not_create_is_never_replaced() {
    if !keychain_ready() {
        return;
    }
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let rc = dir.path().join(".bashrc");
    std::fs::write(&rc, "export PATH\n").unwrap();
    let o = add_static(&home, rc.to_str().unwrap(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(rc.to_str().unwrap())
            && stderr(&o).contains("not created by Tokentray"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&rc).unwrap(), "export PATH\n");

    // Its own file is kept fresh and replaced; one put there later by someone else is not.
    let own = dir.path().join("tok");
    ok(&add_static(&home, own.to_str().unwrap(), &[]), "add");
    ok(&home.run(&["token", "k"]), "token");
    assert_eq!(std::fs::read_to_string(&own).unwrap(), "tok-canary-1\n");
    ok(&home.run(&["logout", "k"]), "logout");
    assert!(!own.exists(), "removed on logout");
    std::fs::write(&own, "someone else's\n").unwrap();
    let o = home.run(&["token", "k"]);
    ok(&o, "token");
    assert!(stderr(&o).contains(own.to_str().unwrap()), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&own).unwrap(), "someone else's\n");
    assert!(home.run(&["remove", "k"]).status.success());
    assert_eq!(std::fs::read_to_string(&own).unwrap(), "someone else's\n");
}

/// A directory anyone may create files in (mode 1777, as `/tmp`), for the neighbour.
fn shared_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("tt-shared-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    dir
}

/// The neighbour creates a file (`file`) or a symbolic link to `target` at `path`.
fn neighbour_plants(n: &Neighbour, path: &Path, target: Option<&Path>) {
    let script = "import os, sys\n\
        p = sys.argv[1]\n\
        if len(sys.argv) > 2:\n    os.symlink(sys.argv[2], p)\n\
        else:\n    f = open(p, 'w'); f.write('neighbour\\n'); f.close(); os.chmod(p, 0o666)\n\
        print('planted')";
    let mut args = vec![path.to_str().unwrap()];
    if let Some(t) = target {
        args.push(t.to_str().unwrap());
    }
    let o = n.python(script, &args).output().unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("planted"),
        "the neighbour could not plant {}: {o:?}",
        path.display()
    );
}

fn uid() -> u32 {
    nix::unistd::getuid().as_raw()
}

#[test]
fn a_neighbours_file_or_link_at_the_token_file_is_refused() {
    let Some(n) = Neighbour::get() else { return };
    if !keychain_ready() {
        return;
    }
    let shared = shared_dir();
    let victim_dir = tempfile::tempdir().unwrap();
    let victim: PathBuf = victim_dir.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let home = Home::new();

    // The WLCG default in a runtime dir the neighbour can write to: pre-created by them.
    let wlcg = shared.path().join(format!("bt_u{}", uid()));
    neighbour_plants(&n, &wlcg, None);
    let xdg = shared.path().to_str().unwrap();
    let o = add_static(&home, "wlcg", &[("XDG_RUNTIME_DIR", Some(xdg))]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(wlcg.to_str().unwrap()),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&wlcg).unwrap(), "neighbour\n");

    // A link planted at the path before `add`.
    let link = shared.path().join("link");
    neighbour_plants(&n, &link, Some(&victim));
    let o = add_static(&home, link.to_str().unwrap(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(link.to_str().unwrap()) && stderr(&o).contains("symbolic link"),
        "{}",
        stderr(&o)
    );

    // Planted after `add`, before the first write: the token is still handed out, the file
    // is named in a warning, and nothing is written through the link.
    let later = shared.path().join("later");
    ok(&add_static(&home, later.to_str().unwrap(), &[]), "add");
    neighbour_plants(&n, &later, Some(&victim));
    let o = home.run(&["token", "k"]);
    ok(&o, "token");
    assert!(
        stderr(&o).contains(later.to_str().unwrap()),
        "{}",
        stderr(&o)
    );
    let shown = stdout(&home.run(&["show", "k"]));
    assert!(
        shown.contains("token file was not written") && shown.contains(later.to_str().unwrap()),
        "the connection shows why: {shown}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(
        std::fs::symlink_metadata(&later)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    ok(&home.run(&["remove", "k"]), "remove");
    assert!(
        std::fs::symlink_metadata(&later).is_ok(),
        "not ours to remove"
    );

    // A plain file planted after `add` is not replaced either.
    let file = shared.path().join("file");
    ok(&add_static(&home, file.to_str().unwrap(), &[]), "add");
    neighbour_plants(&n, &file, None);
    let o = home.run(&["token", "k"]);
    ok(&o, "token");
    assert!(
        stderr(&o).contains(file.to_str().unwrap()),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "neighbour\n");
    ok(&home.run(&["remove", "k"]), "remove");
}

#[test]
fn a_hand_edited_config_pointing_elsewhere_does_not_get_the_old_secret() {
    if !keychain_ready() {
        return;
    }
    let (first, elsewhere) = (Recorder::start(), Recorder::start());
    let secret = canary("cs");
    let home = Home::new();
    add_cc(&home, &format!("{}token", first.url()), &secret);
    assert!(!home.run(&["token", "cc"]).status.success());
    saw(&first, &secret);
    let config = home.path().join("config/connections.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace(first.url(), elsewhere.url())).unwrap();
    let o = home.run(&["token", "cc"]);
    assert!(!o.status.success());
    assert!(!home.run(&["refresh", "cc"]).status.success());
    elsewhere.assert_never_saw(&[&secret]);
    assert!(
        stderr(&o).contains("not used") && stderr(&o).contains("tokentray edit cc"),
        "says why: {}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains(&secret));
    // Pointed back, the secret is used again.
    std::fs::write(&config, text).unwrap();
    assert_eq!(secrets_stored(&home, "cc"), ["client_secret"]);
    assert!(home.run(&["remove", "cc"]).status.success());
}

/// Runs `tokentray ARGS` on a pseudo-terminal, answering the first secret prompt with `answer`;
/// returns what it printed and its exit code.
fn on_a_terminal(home: &Home, args: &[&str], answer: &str) -> (String, i32) {
    const SCRIPT: &str = r#"
import os, pty, sys, json, select, termios, time
answer = sys.argv[1].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
out, answered, deadline = b"", False, time.monotonic() + 30
while time.monotonic() < deadline:
    ready, _, _ = select.select([fd], [], [], 1)
    if not ready:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not answered and b"secret: " in out.lower():
        # Answer as a person does: once the prompt has turned the echo off (the pty's master
        # reports the terminal's modes). "secret: " also stands in the explanation before it.
        while time.monotonic() < deadline and termios.tcgetattr(fd)[3] & termios.ECHO:
            select.select([], [], [], 0.01)
        os.write(fd, answer)
        answered = True
_, status = os.waitpid(pid, 0)
print(json.dumps({"out": out.decode(errors="replace"), "code": os.waitstatus_to_exitcode(status)}))
"#;
    let bin = assert_cmd::cargo::cargo_bin("tokentray");
    let o = std::process::Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(answer)
        .arg(&bin)
        .args(args)
        .env("TOKENTRAY_HOME", home.path())
        .env("NO_COLOR", "1")
        .env_remove("TOKENTRAY_LOG")
        .env_remove("TOKENTRAY_CLIENT_SECRET")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    (
        v["out"].as_str().unwrap().to_owned(),
        i32::try_from(v["code"].as_i64().unwrap()).unwrap(),
    )
}

#[test]
fn edit_on_a_terminal_asks_for_the_secret_in_the_same_step() {
    if !keychain_ready() {
        return;
    }
    let (first, elsewhere) = (Recorder::start(), Recorder::start());
    let (secret, typed) = (canary("cs"), canary("typed"));
    let home = Home::new();
    add_cc(&home, &format!("{}token", first.url()), &secret);
    let url = format!("{}token", elsewhere.url());
    let (out, code) = on_a_terminal(&home, &["edit", "cc", "--token-url", &url], &typed);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("must be entered again") && out.contains("Token URL changed"),
        "says why before asking: {out}"
    );
    assert!(
        !out.contains(&typed) && !out.contains(&secret),
        "no echo: {out}"
    );
    assert_eq!(secrets_stored(&home, "cc"), ["client_secret"]);
    assert!(!home.run(&["token", "cc"]).status.success());
    assert!(
        elsewhere.leaked(&[&typed]).is_some(),
        "the typed secret is used"
    );
    elsewhere.assert_never_saw(&[&secret]);
    assert!(home.run(&["remove", "cc"]).status.success());
}
