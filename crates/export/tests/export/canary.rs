//! The canary scan (T14, T23): with a unique key and token, every kind of request (good, bad,
//! malformed, with canaries in a bogus header, the path and the query) leaves neither in any
//! log line nor in any error body.

use crate::harness::{Home, Server, canary, logs};

/// Request heads: (request line, headers after `Host`), `{auth}` standing for the valid
/// `Authorization` header, `{key}` for the key and `{bait}` for a canary of the client's.
const CASES: &[(&str, &str)] = &[
    ("GET /v1/connections", "{auth}"),
    ("GET /v1/connections/api/token", "{auth}"),
    (
        "GET /v1/connections/api/token",
        "{auth}\r\nAccept: text/plain",
    ),
    ("GET /v1/connections/old/token", "{auth}"),
    ("GET /v1/connections/api/token", "{auth}\r\nOrigin: {bait}"),
    (
        "GET /v1/connections/api/token",
        "Authorization: Bearer {key}{bait}",
    ),
    (
        "GET /v1/connections/api/token",
        "Authorization: Basic {key}",
    ),
    (
        "GET /v1/connections/api/token",
        "Authorization: Bearer {bait}",
    ),
    ("GET /v1/connections/{bait}/token", "{auth}"),
    ("GET /v1/connections/api/token?min_valid={bait}", "{auth}"),
    ("GET /v1/connections/api/token?min_valid=99999999", "{auth}"),
    (
        "GET /v1/connections/api/token?secret={key}",
        "X-Bait: {bait}",
    ),
    ("GET /{bait}", "{auth}\r\nX-Bait: {bait}"),
    (
        "POST /v1/connections/api/refresh",
        "{auth}\r\nContent-Type: text/{bait}",
    ),
    (
        "POST /v1/connections/api/refresh",
        "{auth}\r\nContent-Type: application/json",
    ),
    ("OPTIONS /v1/connections", "{auth}"),
    ("GET http://{bait}/v1/connections", "{auth}"),
    ("GET /v1/connections", "{auth}\r\nX-Big: {big}"),
];

#[tokio::test]
async fn neither_the_key_nor_the_token_reaches_a_log_line_or_an_error_body() {
    let token = canary("token");
    let bait = canary("bait");
    let home = Home::new();
    home.add_static("api", &token, "2099-01-01T00:00:00Z", true)
        .await;
    home.add_static("old", &canary("expired"), "2001-01-01T00:00:00Z", true)
        .await;
    let s = Server::over(home).await;
    let fill = |t: &str| {
        t.replace("{auth}", &format!("Authorization: {}", s.auth()))
            .replace("{key}", &s.key)
            .replace("{bait}", &bait)
            .replace("{big}", &bait.repeat(2000))
    };
    let mut heads: Vec<String> = CASES
        .iter()
        .map(|(line, headers)| {
            format!(
                "{} HTTP/1.1\r\nHost: {}\r\n{}",
                fill(line),
                s.host(),
                fill(headers)
            )
        })
        .collect();
    heads.push(fill(&format!(
        "GET / HTTP/1.1\r\nHost: evil.example:{}\r\n{{auth}}",
        s.port
    )));
    heads.push(fill("GARBAGE\r\n{auth}"));
    let mut handed_out = false;
    for head in &heads {
        let answer = s.raw(head, b"").await;
        handed_out |= answer.body == token;
        if answer.status == 200 {
            continue;
        }
        let shown = format!("{:?} {}", answer.headers, answer.body);
        for secret in [&s.key, &token, &bait] {
            assert!(!shown.contains(secret.as_str()), "{head:?} echoed: {shown}");
        }
    }
    assert!(handed_out, "the token was handed out at all");
    let logged = logs();
    assert!(logged.contains("request refused"), "the capture works");
    for secret in [&s.key, &token, &bait] {
        let lines: Vec<&str> = logged
            .lines()
            .filter(|l| l.contains(secret.as_str()))
            .collect();
        assert!(lines.is_empty(), "logged: {lines:#?}");
    }
}
