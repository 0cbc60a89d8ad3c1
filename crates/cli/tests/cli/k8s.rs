//! `tokentray token NAME --format k8s`: a Kubernetes `ExecCredential` of
//! `client.authentication.k8s.io/v1`, checked against a JSON Schema of that type (the fields and
//! types of Kubernetes' `ExecCredential`, `ExecCredentialSpec` and `ExecCredentialStatus`), from
//! here and from a running `serve`; and, where kubectl is installed, used for real: a kubeconfig
//! `exec` stanza running the built `tokentray`, and `kubectl get --raw` against a stand-in API
//! server (HTTPS with a private CA) that lets in only a token the sandbox issued.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};

use tokentray_acceptance::tls::{Issued, Pki};
use tokentray_sandbox::Sandbox;

use crate::{Home, stderr, stdout};

/// Kubernetes' `ExecCredential` (client.authentication.k8s.io/v1) as a plugin prints it: no
/// field the type does not have; a token (no client certificate here); the expiry, when there,
/// RFC 3339 in UTC as `metav1.Time` writes it.
const SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["apiVersion", "kind", "status"],
  "additionalProperties": false,
  "properties": {
    "apiVersion": { "const": "client.authentication.k8s.io/v1" },
    "kind": { "const": "ExecCredential" },
    "spec": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "cluster": { "type": "object" },
        "interactive": { "type": "boolean" }
      }
    },
    "status": {
      "type": "object",
      "required": ["token"],
      "additionalProperties": false,
      "properties": {
        "expirationTimestamp": {
          "type": "string",
          "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
        },
        "token": { "type": "string", "minLength": 1 },
        "authProxyHeaders": { "type": "object", "additionalProperties": { "type": "string" } },
        "clientCertificateData": { "type": "string" },
        "clientKeyData": { "type": "string" }
      }
    }
  }
}"#;

/// The `ExecCredential` printed for `name`, checked against the schema.
fn exec_credential(home: &Home, name: &str) -> serde_json::Value {
    let o = home.run(&["token", name, "--format", "k8s"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?} in {value:#}");
    value
}

fn file_store(home: &Home) {
    let o = home.run(&["doctor", "--use-file-store"]);
    assert!(o.status.code().is_some(), "{}", stderr(&o));
}

fn add(home: &Home, env: (&str, &str), args: &[&str]) {
    let o = home
        .cmd()
        .env(env.0, env.1)
        .arg("add")
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

fn add_cc(home: &Home, sb: &Sandbox) {
    let issuer = format!("{}oauth", sb.url());
    let args = ["cc", "--kind", "oauth2", "--issuer", &issuer];
    let grant = ["--grant", "client_credentials", "--client-id", "demo-cc"];
    add(
        home,
        ("TOKENTRAY_CLIENT_SECRET", "demo-cc-secret"),
        &[&args[..], &grant].concat(),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_exec_credential_fits_the_v1_type_with_the_tokens_expiry() {
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    file_store(&home);
    add_cc(&home, &sb);
    let v = exec_credential(&home, "cc");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&home.run(&["token", "cc", "--format", "json"]))).unwrap();
    assert_eq!(v["status"]["token"], json["access_token"]);
    assert_eq!(v["status"]["expirationTimestamp"], json["expires_at"]);
    assert!(
        json["expires_at"].is_string(),
        "the sandbox's tokens expire: {json}"
    );

    // From a running serve: the same credential, and no grant from here.
    let grants = sb.grant_count("client_credentials");
    let serve = crate::git::start_serve(&home);
    assert_eq!(exec_credential(&home, "cc"), v);
    drop(serve);
    assert_eq!(sb.grant_count("client_credentials"), grants);
}

#[test]
fn a_known_expiry_is_given_in_utc_an_unknown_one_is_left_out_and_basic_is_refused() {
    let home = Home::new();
    file_store(&home);
    add(
        &home,
        ("TOKENTRAY_TOKEN", "tok-k8s-1"),
        &[
            "s1",
            "--kind",
            "static",
            "--expires-at",
            "2099-01-02T05:04:05+02:00",
        ],
    );
    let v = exec_credential(&home, "s1");
    assert_eq!(v["status"]["token"], "tok-k8s-1");
    assert_eq!(v["status"]["expirationTimestamp"], "2099-01-02T03:04:05Z");

    add(
        &home,
        ("TOKENTRAY_TOKEN", "tok-k8s-2"),
        &["s2", "--kind", "static"],
    );
    let v = exec_credential(&home, "s2");
    assert_eq!(v["status"].as_object().unwrap().len(), 1, "{v}");

    add(
        &home,
        ("TOKENTRAY_PASSWORD", "pw-k8s"),
        &["b", "--kind", "basic", "--username", "u"],
    );
    let o = home.run(&["token", "b", "--format", "k8s"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        o.stdout.is_empty() && stderr(&o).contains("bearer token"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("pw-k8s"));
}

/// The stand-in API server, killed when dropped.
struct ApiServer(Child, u16);

impl ApiServer {
    fn start(userinfo: &str, cert: &Issued) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/bearer_api_server.py");
        let mut child = Process::new("python3")
            .arg(script)
            .arg(userinfo)
            .arg(&cert.cert)
            .arg(&cert.key)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the API server did not start: {line:?}"));
        Self(child, port)
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A kubeconfig whose user runs `tokentray token NAME --format k8s`.
fn kubeconfig(home: &Home, server: u16, ca: &Path, name: &str) -> std::path::PathBuf {
    let bin = assert_cmd::cargo::cargo_bin("tokentray");
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:{server}
    certificate-authority: {ca}
users:
- name: tokentray
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: {bin}
      args: [token, {name}, --format, k8s]
      env:
      - name: TOKENTRAY_HOME
        value: {home}
      interactiveMode: Never
contexts:
- name: local
  context:
    cluster: local
    user: tokentray
current-context: local
",
        bin = bin.display(),
        home = home.path().display(),
        ca = ca.display()
    );
    let path = home.path().join(format!("kubeconfig-{name}"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Whether a kubectl is installed (Debian 12's is too old for the v1 credential type, so none
/// comes from setup.sh: this test runs where one is on the machine).
fn have_kubectl() -> bool {
    let found = Process::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipping: no kubectl on this machine (the schema tests still ran)");
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_sends_the_token_from_the_exec_stanza_and_the_server_lets_it_in() {
    if !have_kubectl() {
        return;
    }
    let sb = Sandbox::start().await.unwrap();
    let home = Home::new();
    file_store(&home);
    add_cc(&home, &sb);
    add(
        &home,
        ("TOKENTRAY_TOKEN", "not-a-sandbox-token"),
        &["wrong", "--kind", "static"],
    );
    // kubectl sends credentials only over TLS: a certificate for 127.0.0.1 from a private CA.
    let Some(pki) = Pki::new("tokentray k8s test CA") else {
        return;
    };
    let cert = pki.issue("api", &["127.0.0.1"], false);
    let server = ApiServer::start(&format!("{}oauth/userinfo", sb.url()), &cert);
    let kubectl = |name: &str| {
        Process::new("kubectl")
            .env("HOME", home.path())
            .env("KUBECACHEDIR", home.path().join("kube-cache"))
            .env_remove("KUBECONFIG")
            .arg("--kubeconfig")
            .arg(kubeconfig(&home, server.1, &pki.ca_file(), name))
            .args(["get", "--raw", "/apis/tokentray.test/v1/check"])
            .output()
            .unwrap()
    };
    let o = kubectl("cc");
    assert!(o.status.success(), "{}", stderr(&o));
    let answer: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(answer["subject"], "demo-cc", "{answer}");
    assert_eq!(answer["path"], "/apis/tokentray.test/v1/check");

    // A token the service does not know is refused: the server really checks.
    let o = kubectl("wrong");
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(stderr(&o).contains("Unauthorized"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("not-a-sandbox-token"));
}
