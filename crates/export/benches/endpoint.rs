//! The export endpoint against a bare axum server returning a constant token, in one process on
//! loopback (PRODUCT §8): requests per second, p50 and p99 latency at 1, 8 and 64 keep-alive
//! HTTP/1.1 connections, and the cost of 1000 concurrent callers of an expired token.
//!
//! `cargo bench -p tokentray-export --bench endpoint` (release). Without `--bench` (as under
//! `cargo test --benches`) it runs a short smoke pass. `EXPORT_BENCH_SECS` sets the seconds
//! measured per run (default 3), `EXPORT_BENCH_ROUNDS` the alternating rounds (default 3).
//!
//! The clients are raw keep-alive sockets writing a prepared request and reading one answer at
//! a time, so the client costs the same for both servers and stays far lighter than either.
// Statistics over counts and durations: the float casts are intended.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::similar_names,
    missing_docs
)]

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokentray_engine::Freshness;
use tokentray_engine::testing::conn;

use axum::Router;
use axum::routing::get;
use tokentray_engine::testing::{FakeClock, MemorySecretStore};
use tokentray_engine::{
    Clock as _, Credentials, Engine, EngineOptions, Paths, ProviderKind, Secret, SystemClock,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const TOKEN: &str =
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJlLW9mLXRoZS1iZW5jaC10b2tlbg";

struct Plan {
    secs: f64,
    warmup: f64,
    rounds: usize,
    clients: &'static [usize],
    callers: usize,
}

fn plan() -> Plan {
    let env = |name: &str, default: f64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    if std::env::args().any(|a| a == "--bench") {
        Plan {
            secs: env("EXPORT_BENCH_SECS", 3.0),
            warmup: 0.5,
            rounds: env("EXPORT_BENCH_ROUNDS", 3.0) as usize,
            clients: &[1, 8, 64],
            callers: 1000,
        }
    } else {
        Plan {
            secs: 0.05,
            warmup: 0.01,
            rounds: 1,
            clients: &[1, 8],
            callers: 50,
        }
    }
}

fn main() {
    let plan = plan();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        throughput(&plan).await;
        expired(&plan).await;
    });
}

/// A temporary home for an engine over an in-memory store.
fn engine(clock: Arc<dyn tokentray_engine::Clock>) -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemorySecretStore::new());
    let mut options = EngineOptions::new(Paths::under(dir.path()), store);
    options.clock = clock;
    (Engine::new(options), dir)
}

async fn throughput(plan: &Plan) {
    let (engine, _dir) = engine(Arc::new(SystemClock));
    let mut creds = Credentials::new();
    creds.set("token", Secret::new(TOKEN));
    let set = [("expires_at".to_owned(), "2099-01-01T00:00:00Z".to_owned())];
    engine
        .manage()
        .add(&conn("api"), ProviderKind::Static, &set, creds)
        .await
        .unwrap();
    let handle = tokentray_export::start(engine.clone(), Some(0))
        .await
        .unwrap();
    let key = endpoint_key(&engine);
    let bare = bare_server().await;
    let bare_served = bare_on_our_serve().await;
    let auth = format!("Authorization: Bearer {}", key.expose());
    let request = |port: u16, path: &str, extra: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n{extra}\r\n")
            .into_bytes()
    };
    let targets = [
        ("bare axum", bare, request(bare, "/token", "")),
        (
            "bare, serve()",
            bare_served,
            request(bare_served, "/token", ""),
        ),
        (
            "endpoint json",
            handle.port(),
            request(handle.port(), "/v1/connections/api/token", ""),
        ),
        (
            "endpoint text",
            handle.port(),
            request(
                handle.port(),
                "/v1/connections/api/token",
                "Accept: text/plain\r\n",
            ),
        ),
    ];
    println!(
        "\nexport endpoint vs bare axum: loopback, keep-alive HTTP/1.1, 2 worker threads, \
         {} s x {} rounds per row",
        plan.secs, plan.rounds
    );
    println!(
        "{:>5}  {:<14} {:>10} {:>9} {:>9} {:>9} {:>9}",
        "conns", "server", "req/s", "p50 µs", "p99 µs", "rps ratio", "p99 ratio"
    );
    // `EXPORT_BENCH_ONLY=<prefix>` keeps the rows whose label starts with it (for profiling).
    let only = std::env::var("EXPORT_BENCH_ONLY").unwrap_or_default();
    let targets: Vec<_> = targets
        .into_iter()
        .filter(|t| t.0.starts_with(&only))
        .collect();
    for &clients in plan.clients {
        let mut results: Vec<Stats> = targets.iter().map(|_| Stats::default()).collect();
        for _ in 0..plan.rounds {
            for (i, (_, port, req)) in targets.iter().enumerate() {
                results[i].merge(load(*port, req, clients, plan).await);
            }
        }
        let base = results[0].summary();
        for ((label, _, _), stats) in targets.iter().zip(&results) {
            let s = stats.summary();
            println!(
                "{clients:>5}  {label:<14} {:>10.0} {:>9.1} {:>9.1} {:>9.2} {:>9.2}",
                s.rps,
                s.p50,
                s.p99,
                s.rps / base.rps,
                s.p99 / base.p99
            );
        }
    }
    handle.shutdown().await;
}

async fn bare_server() -> u16 {
    let app = Router::new().route("/token", get(|| async { TOKEN }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

/// The same constant route on this crate's `serve` (its limits, timers and peer checks) rather
/// than `axum::serve`: what the hardened accept loop costs by itself.
async fn bare_on_our_serve() -> u16 {
    let app = Router::new().route("/token", get(|| async { TOKEN }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(tokentray_export::serve(
        listener,
        app,
        std::future::pending(),
    ));
    port
}

#[derive(Default)]
struct Stats {
    latencies_ns: Vec<u64>,
    measured: Duration,
}

struct Summary {
    rps: f64,
    p50: f64,
    p99: f64,
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        self.latencies_ns.extend(other.latencies_ns);
        self.measured += other.measured;
    }

    fn summary(&self) -> Summary {
        let mut sorted = self.latencies_ns.clone();
        sorted.sort_unstable();
        let at = |q: f64| {
            let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
            sorted.get(i).copied().unwrap_or(0) as f64 / 1000.0
        };
        Summary {
            rps: sorted.len() as f64 / self.measured.as_secs_f64(),
            p50: at(0.50),
            p99: at(0.99),
        }
    }
}

/// `clients` keep-alive connections sending `request` back to back for the plan's time.
async fn load(port: u16, request: &[u8], clients: usize, plan: &Plan) -> Stats {
    let start = Instant::now() + Duration::from_millis(20);
    let measure_from = start + Duration::from_secs_f64(plan.warmup);
    let end = measure_from + Duration::from_secs_f64(plan.secs);
    let request: Arc<[u8]> = request.into();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let mut buf = Vec::with_capacity(4096);
                let mut latencies = Vec::new();
                tokio::time::sleep_until(start.into()).await;
                loop {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    exchange(&mut stream, &request, &mut buf).await;
                    if sent >= measure_from {
                        latencies.push(u64::try_from(sent.elapsed().as_nanos()).unwrap());
                    }
                }
                latencies
            })
        })
        .collect();
    let mut stats = Stats {
        measured: end - measure_from,
        ..Stats::default()
    };
    for t in tasks {
        stats.latencies_ns.extend(t.await.unwrap());
    }
    stats
}

/// Writes one request and reads exactly one answer (head plus `Content-Length` bytes).
async fn exchange(stream: &mut TcpStream, request: &[u8], buf: &mut Vec<u8>) {
    stream.write_all(request).await.unwrap();
    buf.clear();
    loop {
        if let Some(head_end) = find(buf, b"\r\n\r\n") {
            let total = head_end + 4 + content_length(&buf[..head_end]);
            while buf.len() < total {
                read_more(stream, buf).await;
            }
            assert!(
                buf.starts_with(b"HTTP/1.1 200"),
                "{}",
                String::from_utf8_lossy(buf)
            );
            return;
        }
        read_more(stream, buf).await;
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await.unwrap();
    assert!(n > 0, "the server closed the connection");
    buf.extend_from_slice(&chunk[..n]);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> usize {
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    head.lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// 1000 callers, each on a new connection, ask at once for a token that has just expired: the
/// time until all have it, and how many requests reached the provider.
async fn expired(plan: &Plan) {
    let sb = tokentray_sandbox::Sandbox::start().await.unwrap();
    let clock = FakeClock::starting_at(SystemClock.now());
    let (engine, _dir) = engine(Arc::new(clock.clone()));
    let issuer = sb.issuer(tokentray_sandbox::Provider::OAuth);
    let url = format!("{}/token", issuer.as_str().trim_end_matches('/'));
    let set: Vec<(String, String)> = [
        ("token_url", url.as_str()),
        ("grant", "client_credentials"),
        ("client_id", "demo-cc"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let mut creds = Credentials::new();
    creds.set("client_secret", Secret::new("demo-cc-secret"));
    engine
        .manage()
        .add(&conn("cc"), ProviderKind::Oauth2, &set, creds)
        .await
        .unwrap();
    let handle = tokentray_export::start(engine.clone(), Some(0))
        .await
        .unwrap();
    let key = endpoint_key(&engine);
    let request: Arc<[u8]> = format!(
        "GET /v1/connections/cc/token HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {}\r\n\r\n",
        handle.port(),
        key.expose()
    )
    .into_bytes()
    .into();
    engine.token(&conn("cc"), Freshness::NotDue).await.unwrap();
    println!(
        "\n{} concurrent callers of an expired token, each on a new connection:",
        plan.callers
    );
    println!(
        "{:>5}  {:>12} {:>9} {:>9} {:>16}",
        "round", "all done ms", "p50 ms", "p99 ms", "provider calls"
    );
    for round in 1..=plan.rounds.max(1) {
        clock.jump(Duration::from_secs(3700));
        let grants = sb.grant_count("client_credentials");
        let began = Instant::now();
        let tasks: Vec<_> = (0..plan.callers)
            .map(|_| {
                let request = request.clone();
                let port = handle.port();
                tokio::spawn(async move {
                    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
                    let sent = Instant::now();
                    exchange(&mut stream, &request, &mut Vec::new()).await;
                    sent.elapsed()
                })
            })
            .collect();
        let mut latencies = Vec::new();
        for t in tasks {
            latencies.push(t.await.unwrap());
        }
        let all = began.elapsed();
        latencies.sort_unstable();
        let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
        println!(
            "{round:>5}  {:>12.1} {:>9.1} {:>9.1} {:>16}",
            all.as_secs_f64() * 1e3,
            at(0.5).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            sb.grant_count("client_credentials") - grants
        );
    }
    handle.shutdown().await;
}

/// The key of the endpoint just started, as scripts read it from `endpoint.json`.
fn endpoint_key(engine: &Engine) -> Secret {
    let file = std::fs::read(engine.paths().endpoint_file()).unwrap();
    let found: serde_json::Value = serde_json::from_slice(&file).unwrap();
    Secret::new(found["key"].as_str().unwrap())
}
