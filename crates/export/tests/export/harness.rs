//! The test harness: an engine in a temporary home with an in-memory secret store, the endpoint
//! started on an ephemeral port over real HTTP, a raw-socket client for requests no HTTP library
//! would send (security.md H3), and a capture of everything logged.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokentray_engine::testing::conn;

use tokentray_engine::testing::{FakeClock, MemorySecretStore};
use tokentray_engine::{
    Clock as _, Credentials, Engine, EngineOptions, Paths, ProviderKind, Secret, SystemClock,
};
use tokentray_export::ExportHandle;
use tokentray_sandbox::Sandbox;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Far in the future, for static tokens that must stay valid.
pub const FAR: &str = "2099-01-01T00:00:00Z";

/// A unique value to look for in logs and bodies.
pub fn canary(label: &str) -> String {
    format!(
        "canary-{label}-{}-{}",
        std::process::id(),
        SystemClock.now().as_millis()
    )
}

/// Everything logged by this test binary, at TRACE, whatever the thread.
pub fn logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogWriter(sink.clone()))
            .try_init();
        buffer
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An engine over a temporary home; its clock runs in real time (so the sandbox's absolute
/// expiries mean the same to both) and can jump.
pub struct Home {
    pub engine: Engine,
    pub store: MemorySecretStore,
    pub clock: FakeClock,
    pub _dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        log_buffer();
        let dir = tempfile::tempdir().unwrap();
        let store = MemorySecretStore::new();
        let clock = FakeClock::starting_at(SystemClock.now());
        let mut options = EngineOptions::new(Paths::under(dir.path()), Arc::new(store.clone()));
        options.clock = Arc::new(clock.clone());
        options.seed = Some(7);
        options.http_timeout = Duration::from_secs(2);
        Self {
            engine: Engine::new(options),
            store,
            clock,
            _dir: dir,
        }
    }

    /// Adds a connection from `(field, value)` pairs, the secret ones stored as secrets.
    pub async fn add(&self, name: &str, kind: ProviderKind, fields: &[(&str, &str)]) {
        let mut set = Vec::new();
        let mut secrets = Credentials::new();
        for (k, v) in fields {
            let def = tokentray_engine::find_field(kind, k).unwrap_or_else(|| panic!("no {k}"));
            if def.is_secret() {
                secrets.set(*k, Secret::new(*v));
            } else {
                set.push(((*k).to_owned(), (*v).to_owned()));
            }
        }
        self.engine
            .manage()
            .add(&conn(name), kind, &set, secrets)
            .await
            .unwrap();
    }

    /// A static token connection valid until `expires_at`.
    pub async fn add_static(&self, name: &str, token: &str, expires_at: &str, export: bool) {
        let export = if export { "true" } else { "false" };
        let fields = [
            ("token", token),
            ("expires_at", expires_at),
            ("export", export),
        ];
        self.add(name, ProviderKind::Static, &fields).await;
    }

    /// A client-credentials connection to the sandbox's generic OAuth provider.
    pub async fn add_sandbox(&self, name: &str, sb: &Sandbox) {
        let issuer = sb.issuer(tokentray_sandbox::Provider::OAuth);
        let url = format!("{}/token", issuer.as_str().trim_end_matches('/'));
        let fields = [
            ("token_url", url.as_str()),
            ("grant", "client_credentials"),
            ("client_id", "demo-cc"),
            ("client_secret", "demo-cc-secret"),
        ];
        self.add(name, ProviderKind::Oauth2, &fields).await;
    }

    /// Moves the engine's wall clock forward (not the sandbox's).
    pub fn jump(&self, secs: u64) {
        self.clock.jump(Duration::from_secs(secs));
    }
}

/// A running endpoint with the key a client reads from `endpoint.json`.
pub struct Server {
    pub home: Home,
    pub handle: Option<ExportHandle>,
    pub key: String,
    pub port: u16,
    pub url: String,
    pub http: reqwest::Client,
}

/// The token of the fixture's `api` connection.
pub const API_TOKEN: &str = "tok-api-3f9a71";

impl Server {
    /// The endpoint over a home with `api` (static, exported) and `hidden` (static, not
    /// exported).
    pub async fn start() -> Self {
        let home = Home::new();
        home.add_static("api", API_TOKEN, FAR, true).await;
        home.add_static("hidden", "tok-hidden-0c2e", FAR, false)
            .await;
        Self::over(home).await
    }

    /// The endpoint over `home` as it is.
    pub async fn over(home: Home) -> Self {
        let handle = tokentray_export::start(home.engine.clone(), Some(0))
            .await
            .unwrap();
        let discovery = std::fs::read(home.engine.paths().endpoint_file()).unwrap();
        let discovery: serde_json::Value = serde_json::from_slice(&discovery).unwrap();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        Self {
            key: discovery["key"].as_str().unwrap().to_owned(),
            port: handle.port(),
            url: handle.url().to_owned(),
            handle: Some(handle),
            home,
            http,
        }
    }

    /// `GET <path>` with the key.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
    }

    /// `POST /v1/connections/<name>/refresh` with the key and a JSON body.
    pub fn refresh(&self, name: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/v1/connections/{name}/refresh", self.url))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body("{}")
    }

    /// `Host: 127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `Authorization: Bearer <key>`.
    pub fn auth(&self) -> String {
        format!("Bearer {}", self.key)
    }

    /// Sends `head` (request line and headers, without the final blank line) and `body` over a
    /// fresh socket, adding `Connection: close`, and reads the whole answer.
    pub async fn raw(&self, head: &str, body: &[u8]) -> Raw {
        raw(self.port, head, body).await
    }

    /// `GET <target>` over a raw socket with the right Host and key plus `extra` headers.
    pub async fn raw_get(&self, target: &str, extra: &[(&str, &str)]) -> Raw {
        let mut head = format!(
            "GET {target} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}",
            self.host(),
            self.auth()
        );
        for (k, v) in extra {
            head = format!("{head}\r\n{k}: {v}");
        }
        self.raw(&head, b"").await
    }

    /// Stops the endpoint and waits (hand-outs logged, file removed).
    pub async fn shutdown(&mut self) {
        self.handle.take().unwrap().shutdown().await;
    }
}

/// An answer read off a raw socket.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Raw {
    /// The values of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The JSON body's `code`.
    pub fn code(&self) -> String {
        let body: serde_json::Value = serde_json::from_str(&self.body).unwrap_or_default();
        body["code"].as_str().unwrap_or_default().to_owned()
    }
}

/// See [`Server::raw`].
pub async fn raw(port: u16, head: &str, body: &[u8]) -> Raw {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut request = format!("{head}\r\nConnection: close\r\n\r\n").into_bytes();
    request.extend_from_slice(body);
    // The server may answer and close before reading everything (an oversized request).
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer));
    let _ = read.await.expect("the server answers and closes");
    parse(&answer)
}

fn parse(answer: &[u8]) -> Raw {
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Raw {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Asserts the response carries the headers every response must, and no CORS header.
pub fn assert_hardened(label: &str, headers: &[(String, String)]) {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("cache-control"), Some("no-store"), "{label}");
    assert_eq!(get("pragma"), Some("no-cache"), "{label}");
    assert_eq!(get("x-content-type-options"), Some("nosniff"), "{label}");
    for (k, _) in headers {
        let k = k.to_ascii_lowercase();
        assert!(
            !k.starts_with("access-control-"),
            "{label}: CORS header {k}"
        );
        assert!(
            k != "etag" && k != "last-modified",
            "{label}: validator {k}"
        );
    }
}

/// The headers of a reqwest response as pairs.
pub fn pairs(response: &reqwest::Response) -> Vec<(String, String)> {
    response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// One keep-alive HTTP/1.1 connection, kept open as long as the value lives.
pub struct KeepAlive {
    stream: tokio::net::TcpStream,
    head: String,
}

impl KeepAlive {
    pub async fn open(server: &Server) -> Self {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
            .await
            .unwrap();
        let head = format!(
            "Host: {}\r\nAuthorization: {}",
            server.host(),
            server.auth()
        );
        Self { stream, head }
    }

    /// `GET <target>`: the status and body of the answer.
    pub async fn get(&mut self, target: &str) -> (u16, String) {
        let request = format!("GET {target} HTTP/1.1\r\n{}\r\n\r\n", self.head);
        self.stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let mut byte = [0u8; 1];
        while !answer.ends_with(b"\r\n\r\n") {
            self.stream.read_exact(&mut byte).await.unwrap();
            answer.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        let length: usize = head
            .split("content-length:")
            .nth(1)
            .and_then(|rest| rest.lines().next())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        self.stream.read_exact(&mut body).await.unwrap();
        (parse(&answer).status, String::from_utf8(body).unwrap())
    }
}
