//! `tokentray git-credential NAME get|store|erase` with a real git: `git credential fill`, and a
//! `git clone` and `git fetch` over HTTP from a local git server (git http-backend behind a small
//! Python server, `git_http_server.py`) that lets in only a token the sandbox issued and answers
//! 401 otherwise. The connection is an `oauth2` client-credentials connection at the sandbox;
//! the git server is on another port of 127.0.0.1, so the helper names it with `--host`. A host
//! the connection is not for gets no password.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Output, Stdio};

use tokentray_sandbox::Sandbox;

use crate::{Home, stderr, stdout};

/// The git server, killed when dropped.
struct GitServer {
    child: Child,
    port: u16,
}

impl GitServer {
    fn start(root: &Path, userinfo: &str) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/git_http_server.py");
        let mut child = Process::new("python3")
            .arg(script)
            .arg(root)
            .arg(userinfo)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the git server did not start: {line:?}"));
        Self { child, port }
    }

    /// Stops the server; what it printed about each request (`allowed USER` / `refused`).
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut log = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            let _ = out.read_to_string(&mut log);
        }
        log
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs git in `dir` with no user or system configuration, no prompts and no proxy, with
/// `helpers` as its only credential helpers.
fn git(home: &Home, dir: &Path, helpers: &[String], args: &[&str]) -> Output {
    let mut c = Process::new("git");
    c.current_dir(dir)
        .env("HOME", home.path())
        .env("TOKENTRAY_HOME", home.path())
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS")
        .env_remove("TOKENTRAY_LOG")
        .args(["-c", "credential.helper="]);
    for v in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        c.env_remove(v);
    }
    for h in helpers {
        c.arg("-c").arg(format!("credential.helper={h}"));
    }
    c.args(args).output().unwrap()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}{}", stdout(o), stderr(o));
}

/// The helper line for the `tokentray` under test.
fn helper(extra: &str) -> String {
    let bin: PathBuf = assert_cmd::cargo::cargo_bin("tokentray");
    format!("!'{}' git-credential cc{extra}", bin.display())
}

/// A bare repository with one commit, and a work tree to add more.
fn repository(root: &Path, home: &Home) -> PathBuf {
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    ok(&git(
        home,
        root,
        &[],
        &["init", "-q", "--bare", "-b", "main", "repo.git"],
    ));
    ok(&git(home, &work, &[], &["init", "-q", "-b", "main"]));
    commit(home, &work, "first");
    ok(&git(
        home,
        &work,
        &[],
        &["push", "-q", "../repo.git", "main"],
    ));
    work
}

fn commit(home: &Home, work: &Path, message: &str) {
    std::fs::write(work.join("file.txt"), message).unwrap();
    ok(&git(home, work, &[], &["add", "file.txt"]));
    ok(&git(
        home,
        work,
        &[],
        &[
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.org",
            "commit",
            "-q",
            "-m",
            message,
        ],
    ));
}

fn setup(home: &Home, sb: &Sandbox) {
    let o = home.run(&["doctor", "--use-file-store"]);
    assert!(o.status.code().is_some(), "{}", stderr(&o));
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

#[tokio::test(flavor = "multi_thread")]
async fn git_clones_and_fetches_with_the_token_and_is_refused_without_it() {
    if !crate::shell::have("git") || !crate::shell::have("python3") {
        return;
    }
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    setup(&home, &sb);
    let root = tempfile::tempdir().unwrap();
    let work = repository(root.path(), &home);
    let server = GitServer::start(root.path(), &format!("{}oauth/userinfo", sb.url()));
    let url = format!("http://127.0.0.1:{}/repo.git", server.port);
    let here = root.path();

    // The server refuses a clone without credentials, and one with a token it does not know.
    let o = git(&home, here, &[], &["clone", "-q", &url, "none"]);
    assert!(!o.status.success(), "cloned without a token");
    let wrong = "!f() { echo username=oauth2; echo password=not-a-token; }; f".to_owned();
    let o = git(&home, here, &[wrong], &["clone", "-q", &url, "wrong"]);
    assert!(!o.status.success(), "cloned with a wrong token");
    assert!(!here.join("wrong/file.txt").exists());

    // The helper for the connection alone: the git server is not one of its hosts.
    let o = git(&home, here, &[helper("")], &["clone", "-q", &url, "other"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(&format!("add --host 127.0.0.1:{}", server.port)),
        "{}",
        stderr(&o)
    );

    // Named with --host: clone, then fetch a new commit.
    let with_host = helper(&format!(" --host 127.0.0.1:{}", server.port));
    let o = git(
        &home,
        here,
        std::slice::from_ref(&with_host),
        &["clone", "-q", &url, "clone"],
    );
    ok(&o);
    let clone = here.join("clone");
    assert_eq!(
        std::fs::read_to_string(clone.join("file.txt")).unwrap(),
        "first"
    );
    commit(&home, &work, "second");
    ok(&git(
        &home,
        &work,
        &[],
        &["push", "-q", "../repo.git", "main"],
    ));
    ok(&git(
        &home,
        &clone,
        &[with_host],
        &["fetch", "-q", "origin"],
    ));
    let o = git(
        &home,
        &clone,
        &[],
        &["log", "-1", "--format=%s", "origin/main"],
    );
    assert_eq!(stdout(&o).trim(), "second");

    let log = server.stop();
    assert!(log.contains("refused"), "{log}");
    assert!(log.contains("allowed oauth2"), "{log}");
    let token = stdout(&home.run(&["token", "cc"])).trim().to_owned();
    assert!(!token.is_empty() && !log.contains(&token));
    let audit = stdout(&home.run(&["audit"]));
    assert!(audit.contains("tokentray git-credential"), "{audit}");
}

/// `git credential fill` as git runs it for a request.
fn fill(home: &Home, helpers: &[String], request: &str) -> Output {
    let mut c = Process::new("git");
    c.env("HOME", home.path())
        .env("TOKENTRAY_HOME", home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS")
        .args(["-c", "credential.helper="]);
    for h in helpers {
        c.arg("-c").arg(format!("credential.helper={h}"));
    }
    let mut child = c
        .args(["credential", "fill"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), request.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn git_credential_fill_gets_the_token_for_the_connections_hosts_only() {
    if !crate::shell::have("git") {
        return;
    }
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    setup(&home, &sb);
    let sandbox_host = format!("127.0.0.1:{}", sb.url().port().unwrap());

    // The issuer's own host needs no --host.
    let o = fill(
        &home,
        &[helper("")],
        &format!("protocol=http\nhost={sandbox_host}\n\n"),
    );
    ok(&o);
    let token = stdout(&home.run(&["token", "cc"])).trim().to_owned();
    assert!(!token.is_empty());
    let answer = stdout(&o);
    assert!(answer.contains("username=oauth2\n"), "{answer}");
    assert!(answer.contains(&format!("password={token}\n")), "{answer}");

    // --username for servers that want another name; a name in git's URL wins.
    let o = fill(
        &home,
        &[helper(" --username x-access-token")],
        &format!("url=http://{sandbox_host}/a.git\n"),
    );
    assert!(
        stdout(&o).contains("username=x-access-token\n"),
        "{}",
        stdout(&o)
    );
    let o = fill(
        &home,
        &[helper("")],
        &format!("url=http://me@{sandbox_host}/a.git\n"),
    );
    assert!(stdout(&o).contains("username=me\n"), "{}", stdout(&o));

    // Another host, another port of the same host, or plain http to a non-loopback host named
    // with --host: no password (git, unable to prompt, fails), and the helper says why.
    for (extra, request) in [
        ("", "protocol=https\nhost=git.example.org\n"),
        ("", "protocol=http\nhost=127.0.0.1:1\n"),
        (
            " --host git.example.org",
            "protocol=http\nhost=git.example.org\n",
        ),
        (
            " --host git.example.org",
            "protocol=https\nhost=evil.example.org\n",
        ),
    ] {
        let o = fill(&home, &[helper(extra)], request);
        assert!(!o.status.success(), "{request}: {}", stdout(&o));
        assert!(
            !stdout(&o).contains("password="),
            "{request}: {}",
            stdout(&o)
        );
        assert!(!stdout(&o).contains(&token) && !stderr(&o).contains(&token));
        assert!(
            stderr(&o).contains("tokentray: no credential from cc"),
            "{}",
            stderr(&o)
        );
    }
    // With --host it is answered, over https.
    let o = fill(
        &home,
        &[helper(" --host git.example.org")],
        "protocol=https\nhost=git.example.org\n",
    );
    assert!(
        stdout(&o).contains(&format!("password={token}\n")),
        "{}",
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn while_serve_runs_the_helper_gets_the_token_from_it() {
    if !crate::shell::have("git") {
        return;
    }
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    setup(&home, &sb);
    let sandbox_host = format!("127.0.0.1:{}", sb.url().port().unwrap());
    let o = fill(
        &home,
        &[helper("")],
        &format!("protocol=http\nhost={sandbox_host}\n"),
    );
    ok(&o);
    let token = stdout(&home.run(&["token", "cc"])).trim().to_owned();

    // The token comes from `serve`: its hand-out in the audit log, no grant from here.
    let grants = sb.grant_count("client_credentials");
    let serve = start_serve(&home);
    let o = fill(
        &home,
        &[helper("")],
        &format!("protocol=http\nhost={sandbox_host}\n"),
    );
    assert!(
        stdout(&o).contains(&format!("password={token}\n")),
        "{}",
        stderr(&o)
    );
    drop(serve);
    assert_eq!(sb.grant_count("client_credentials"), grants);
    let audit: serde_json::Value =
        serde_json::from_str(&stdout(&home.run(&["audit", "--json"]))).unwrap();
    let last = audit.as_array().unwrap().last().unwrap().clone();
    assert_ne!(last["via"], "tokentray git-credential", "{last}");
}

/// A running `serve`, killed when dropped.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_serve(home: &Home) -> Serve {
    let mut child = Process::new(assert_cmd::cargo::cargo_bin("tokentray"))
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

#[test]
fn store_and_erase_do_nothing_and_errors_are_exit_codes_without_a_token() {
    let home = Home::new();
    for op in ["store", "erase"] {
        let o = home
            .cmd()
            .args(["git-credential", "whatever", op])
            .write_stdin("protocol=https\nhost=x\nusername=u\npassword=canary-pw\n\n")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(o.stdout.is_empty() && o.stderr.is_empty());
    }
    let o = home
        .cmd()
        .args(["git-credential", "nope", "get"])
        .write_stdin("protocol=https\nhost=x\n\n")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let o = home.run(&["git-credential", "nope", "fetch"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = home
        .cmd()
        .args(["git-credential", "nope", "get"])
        .write_stdin("not a key value line\n")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
