//! The gatekeeping layers, each alone and in order: exact Host (T16), browser and proxy headers
//! (T17, T22), preflights, the key (T18), sizes (R20), and the headers of every answer (T23).

use crate::harness::{Server, assert_hardened, pairs};

const LIST: &str = "/v1/connections";

#[tokio::test]
async fn a_rebinding_host_is_misdirected_even_with_the_key() {
    let s = Server::start().await;
    let p = s.port;
    let other = if p == 65535 { p - 1 } else { p + 1 };
    let bad = [
        format!("evil.example:{p}"),
        "evil.example".to_owned(),
        format!("127.0.0.1.nip.io:{p}"),
        format!("localhost.evil.example:{p}"),
        format!("localhost6:{p}"),
        format!("localhost.:{p}"),
        format!("127.1:{p}"),
        format!("0x7f.0.0.1:{p}"),
        format!("0177.0.0.1:{p}"),
        format!("2130706433:{p}"),
        format!("10.0.2.555:{p}"),
        format!("0.0.0.0:{p}"),
        format!("[::ffff:127.0.0.1]:{p}"),
        format!("[0:0:0:0:0:0:0:1]:{p}"),
        format!("[::1]:{p}"),
        format!("127.0.0.1:{other}"),
        format!("127.0.0.1:0{p}"),
        "127.0.0.1".to_owned(),
        "localhost".to_owned(),
        format!("127.0.0.1 :{p}"),
        format!("127.0.0.1\t:{p}"),
        format!("127.0.0.1:{p}, evil.example"),
        String::new(),
    ];
    for host in bad {
        let head = format!(
            "GET {LIST} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {}",
            s.auth()
        );
        let r = s.raw(&head, b"").await;
        assert_eq!(r.status, 421, "Host {host:?}");
        assert_eq!(r.body, "", "Host {host:?}: no body detail");
        assert_hardened(&host, &r.headers);
    }
}

#[tokio::test]
async fn the_two_allowed_hosts_match_case_insensitively() {
    let s = Server::start().await;
    let p = s.port;
    for host in [
        format!("127.0.0.1:{p}"),
        format!("localhost:{p}"),
        format!("LocalHost:{p}"),
    ] {
        let head = format!(
            "GET {LIST} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {}",
            s.auth()
        );
        assert_eq!(s.raw(&head, b"").await.status, 200, "Host {host:?}");
    }
}

#[tokio::test]
async fn a_missing_or_repeated_host_is_misdirected() {
    let s = Server::start().await;
    let (host, auth) = (s.host(), s.auth());
    let cases = [
        format!("GET {LIST} HTTP/1.1\r\nAuthorization: {auth}"),
        format!("GET {LIST} HTTP/1.0\r\nAuthorization: {auth}"),
        format!("GET {LIST} HTTP/1.1\r\nHost: {host}\r\nHost: {host}\r\nAuthorization: {auth}"),
        format!(
            "GET {LIST} HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\nAuthorization: {auth}"
        ),
    ];
    for head in cases {
        let r = s.raw(&head, b"").await;
        assert_eq!(r.status, 421, "{head:?}");
        assert_eq!(r.body, "", "{head:?}");
    }
}

#[tokio::test]
async fn an_absolute_form_target_is_misdirected() {
    let s = Server::start().await;
    let (host, auth) = (s.host(), s.auth());
    for target in [
        format!("http://evil.example{LIST}"),
        format!("http://{host}{LIST}"),
    ] {
        let head = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}");
        assert_eq!(s.raw(&head, b"").await.status, 421, "{target}");
    }
}

#[tokio::test]
async fn browser_and_proxy_headers_are_forbidden_even_with_the_key() {
    let s = Server::start().await;
    let own = format!("http://{}", s.host());
    let cases = [
        ("Origin", "null"),
        ("Origin", "https://evil.example"),
        ("Origin", own.as_str()),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Site", "same-site"),
        ("Sec-Fetch-Site", "none"),
        ("Sec-Fetch-Mode", "no-cors"),
        ("Sec-Fetch-Dest", "script"),
        ("Forwarded", "for=1.2.3.4"),
        ("X-Forwarded-For", "1.2.3.4"),
        ("X-Forwarded-Host", "evil.example"),
        ("Via", "1.1 proxy"),
        ("Access-Control-Request-Method", "GET"),
    ];
    for (name, value) in cases {
        let r = s.raw_get(LIST, &[(name, value)]).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "forbidden"),
            "{name}: {value}"
        );
        assert_hardened(name, &r.headers);
        assert!(
            !r.body.contains(value) || value == "GET",
            "{name}: not echoed"
        );
    }
}

#[tokio::test]
async fn a_preflight_is_forbidden_and_answers_no_cors_headers() {
    let s = Server::start().await;
    let (host, auth) = (s.host(), s.auth());
    let cases = [
        format!(
            "OPTIONS {LIST} HTTP/1.1\r\nHost: {host}\r\nOrigin: https://evil.example\r\n\
             Access-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: authorization"
        ),
        format!("OPTIONS {LIST} HTTP/1.1\r\nHost: {host}"),
        format!("OPTIONS {LIST} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}"),
        format!("OPTIONS * HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}"),
    ];
    for head in cases {
        let r = s.raw(&head, b"").await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "forbidden"),
            "{head:?}"
        );
        assert_hardened(&head, &r.headers);
    }
}

#[tokio::test]
async fn the_key_is_required_exactly() {
    let s = Server::start().await;
    let key = s.key.clone();
    let same_length_wrong: String = key
        .chars()
        .map(|c| if c == 'A' { 'B' } else { 'A' })
        .collect();
    let refused = [
        None,
        Some(format!("Bearer {same_length_wrong}")),
        Some(format!("Basic {key}")),
        Some(format!("Bearer {key} x")),
        Some(format!("Bearer {key}\tx")),
        Some(format!("Bearer  {key}")),
        Some(format!("Bearer {}", &key[..key.len() - 1])),
        Some(format!("Bearer {key}x")),
        Some(key.clone()),
        Some("Bearer".to_owned()),
        Some("Bearer ".to_owned()),
    ];
    for auth in refused {
        let mut head = format!("GET {LIST} HTTP/1.1\r\nHost: {}", s.host());
        if let Some(a) = &auth {
            head = format!("{head}\r\nAuthorization: {a}");
        }
        let r = s.raw(&head, b"").await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (401, "unauthorized"),
            "{auth:?}"
        );
        assert_eq!(r.header("www-authenticate"), ["Bearer"]);
        assert!(!r.body.contains(&key), "the key is never echoed");
    }
    // Trailing whitespace is not part of a header value (RFC 9110 5.5): the HTTP parser drops
    // it before any check sees the key, which is then exact. (`guard`'s unit test refuses it
    // in the comparison itself.)
    let head = format!(
        "GET {LIST} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {key} ",
        s.host()
    );
    assert_eq!(s.raw(&head, b"").await.status, 200);
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let head = format!(
            "GET {LIST} HTTP/1.1\r\nHost: {}\r\nAuthorization: {scheme} {key}",
            s.host()
        );
        assert_eq!(s.raw(&head, b"").await.status, 200, "{scheme}");
    }
}

#[tokio::test]
async fn the_key_counts_only_once_and_only_in_the_header() {
    let s = Server::start().await;
    let (host, auth) = (s.host(), s.auth());
    let twice = format!(
        "GET {LIST} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\nAuthorization: {auth}"
    );
    assert_eq!(s.raw(&twice, b"").await.status, 401);
    let in_query = format!(
        "GET {LIST}?secret={0}&key={0}&access_token={0} HTTP/1.1\r\nHost: {host}",
        s.key
    );
    assert_eq!(s.raw(&in_query, b"").await.status, 401);
}

#[tokio::test]
async fn oversized_requests_are_refused() {
    let s = Server::start().await;
    let (host, auth) = (s.host(), s.auth());
    let post = "POST /v1/connections/api/refresh HTTP/1.1";
    let json = "Content-Type: application/json";
    let big = vec![b' '; 100_000];
    let head = format!(
        "{post}\r\nHost: {host}\r\nAuthorization: {auth}\r\n{json}\r\nContent-Length: {}",
        big.len()
    );
    let r = s.raw(&head, &big).await;
    assert_eq!((r.status, r.code().as_str()), (413, "payload_too_large"));
    let head = format!(
        "{post}\r\nHost: {host}\r\nAuthorization: {auth}\r\n{json}\r\nTransfer-Encoding: chunked"
    );
    let r = s.raw(&head, b"2\r\n{}\r\n0\r\n\r\n").await;
    assert_eq!(r.status, 413, "a body of unknown length");
    let huge = "a".repeat(64 * 1024);
    let r = s.raw_get(LIST, &[("X-Padding", &huge)]).await;
    assert_eq!(r.status, 431, "a 64 kB header");
    let many: Vec<(String, String)> = (0..100)
        .map(|i| (format!("X-H{i}"), "1".to_owned()))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(s.raw_get(LIST, &many).await.status, 431, "100 headers");
    let head = format!(
        "GET {LIST} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\nContent-Length: 10"
    );
    let r = s.raw(&head, b"0123456789").await;
    assert_eq!(r.status, 200, "a small body on a GET is ignored");
}

#[tokio::test]
async fn refusals_come_in_the_documented_order() {
    let s = Server::start().await;
    let p = s.port;
    let post = "POST /v1/connections/api/refresh HTTP/1.1";
    let rest = "Content-Type: application/json\r\nContent-Length: 100000";
    let bad_host = format!("{post}\r\nHost: evil.example:{p}\r\nOrigin: null\r\n{rest}");
    assert_eq!(s.raw(&bad_host, b"").await.status, 421, "Host first");
    let origin = format!("{post}\r\nHost: {}\r\nOrigin: null\r\n{rest}", s.host());
    assert_eq!(
        s.raw(&origin, b"").await.status,
        403,
        "then browser headers"
    );
    let options = format!(
        "OPTIONS /v1/connections/api/refresh HTTP/1.1\r\nHost: {}\r\n{rest}",
        s.host()
    );
    assert_eq!(s.raw(&options, b"").await.status, 403, "then preflights");
    let no_key = format!("{post}\r\nHost: {}\r\n{rest}", s.host());
    assert_eq!(s.raw(&no_key, b"").await.status, 401, "then the key");
    let big = format!(
        "{post}\r\nHost: {}\r\nAuthorization: {}\r\n{rest}",
        s.host(),
        s.auth()
    );
    assert_eq!(s.raw(&big, b"").await.status, 413, "then the size");
    let unknown = format!("GET /nowhere HTTP/1.1\r\nHost: {}", s.host());
    assert_eq!(
        s.raw(&unknown, b"").await.status,
        401,
        "routes are not revealed without the key"
    );
}

#[tokio::test]
async fn every_answer_is_uncacheable_typed_and_free_of_cors_headers() {
    let s = Server::start().await;
    let requests = [
        ("list", s.get(LIST)),
        ("json", s.get("/v1/connections/api/token")),
        (
            "text",
            s.get("/v1/connections/api/token")
                .header("accept", "text/plain"),
        ),
        ("refresh", s.refresh("api")),
        ("unknown", s.get("/v1/connections/nope/token")),
        ("no route", s.get("/v2")),
        ("method", s.get("/v1/connections/api/refresh")),
        (
            "bad min_valid",
            s.get("/v1/connections/api/token?min_valid=x"),
        ),
        ("no key", s.http.get(format!("{}{LIST}", s.url))),
        ("origin", s.get(LIST).header("origin", "null")),
    ];
    for (label, request) in requests {
        let response = request.send().await.unwrap();
        let headers = pairs(&response);
        assert_hardened(label, &headers);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let expected = if label == "text" {
            "text/plain; charset=utf-8"
        } else {
            "application/json"
        };
        assert_eq!(content_type, expected, "{label}");
    }
}
