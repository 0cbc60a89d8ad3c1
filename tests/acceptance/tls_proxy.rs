//! `ca_file`, `insecure_skip_verify` and `proxy` against real servers: nginx serving the
//! sandbox over TLS with certificates from a private CA made by the test, and tinyproxy
//! carrying http and https (CONNECT) calls, each call proven by the servers' own logs; the
//! ID-token key set of a real OpenID provider (`oidc-provider`) travels the same way.

use std::net::Ipv4Addr;

use tokentray_acceptance::oidc::OidcProvider;
use tokentray_acceptance::proxy::Tinyproxy;
use tokentray_acceptance::tls::{Pki, TlsFront, free_port};
use tokentray_acceptance::{TestEngine, issuer};
use tokentray_engine::{ErrorCode, ProviderKind, Status, insecure_warning};
use tokentray_sandbox::{Endpoint, Provider, Sandbox};

const LOOPBACK_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// Every call the `oauth2` kind makes: discovery, the token (a refresh-token grant), a renewal,
/// the identity (userinfo) and the revocation at logout.
async fn every_call(
    sb: &Sandbox,
    t: &TestEngine,
    name: &str,
    issuer: &str,
    extra: &[(&str, &str)],
) {
    let rt = sb
        .mint_refresh_token(Provider::OAuth, "demo-public", "ada")
        .unwrap();
    let mut fields = vec![
        ("issuer", issuer),
        ("grant", "refresh_token"),
        ("client_auth", "none"),
        ("client_id", "demo-public"),
        ("refresh_token", rt.as_str()),
    ];
    fields.extend_from_slice(extra);
    t.add(name, ProviderKind::Oauth2, &fields).await;
    let first = t
        .engine
        .token(name, None)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    t.jump(400);
    let second = t.engine.token(name, None).await.unwrap();
    assert_ne!(
        first.token.expose(),
        second.token.expose(),
        "{name}: renewed after expiry"
    );
    let id = t.engine.whoami(name).await.unwrap().expect("an identity");
    assert_eq!(id.subject, "ada");
    t.engine.logout(name).await.unwrap();
    assert_eq!(t.engine.view(name).unwrap().status, Status::SignedOut);
    assert!(sb.count(Endpoint::Discovery) >= 1, "{name}: discovery");
    assert!(
        sb.grant_count("refresh_token") >= 2,
        "{name}: token and refresh"
    );
    assert!(sb.count(Endpoint::Userinfo) >= 1, "{name}: identity");
    assert_eq!(sb.count(Endpoint::Revoke), 1, "{name}: revocation");
}

fn assert_served(front: &TlsFront, paths: &[&str]) {
    let seen = front.requests();
    for p in paths {
        assert!(
            seen.iter().any(|r| r.contains(p)),
            "the TLS server never served {p}: {seen:#?}"
        );
    }
}

const PATHS: [&str; 4] = [
    "/.well-known/",
    "POST /oauth/token",
    "/oauth/userinfo",
    "POST /oauth/revoke",
];

#[tokio::test]
async fn https_with_the_private_ca_in_ca_file_makes_every_call() {
    let Some(pki) = Pki::new("Tokentray test CA") else {
        return;
    };
    let sb = Sandbox::start().await.unwrap();
    let Some(front) = TlsFront::start(&sb.url(), &pki.issue("server", &LOOPBACK_NAMES, false))
    else {
        return;
    };
    let t = TestEngine::new();
    let ca = pki.ca_file().display().to_string();
    every_call(
        &sb,
        &t,
        "tls",
        &format!("{}/oauth", front.url),
        &[("ca_file", &ca)],
    )
    .await;
    assert_served(&front, &PATHS);
    assert_eq!(
        insecure_warning(&t.engine.spec("tls").unwrap()),
        None,
        "a verified connection carries no warning"
    );
}

/// Adds a `client_credentials` connection to the sandbox's token endpoint behind `front`.
async fn add_cc(t: &TestEngine, name: &str, front: &TlsFront, extra: &[(&str, &str)]) {
    let token_url = format!("{}/oauth/token", front.url);
    let mut fields = vec![
        ("token_url", token_url.as_str()),
        ("grant", "client_credentials"),
        ("client_id", "demo-cc"),
        ("client_secret", "demo-cc-secret"),
    ];
    fields.extend_from_slice(extra);
    t.add(name, ProviderKind::Oauth2, &fields).await;
}

async fn refused(
    t: &TestEngine,
    name: &str,
    front: &TlsFront,
    extra: &[(&str, &str)],
    code: ErrorCode,
) -> String {
    add_cc(t, name, front, extra).await;
    let err = t.engine.token(name, None).await.unwrap_err();
    assert_eq!(err.code(), code, "{name}: {err}");
    // As the command line says it: the engine's message and its remedy as a command.
    let message = tokentray_engine::contract::error::said(&err);
    for raw in [
        "UnknownIssuer",
        "invalid peer certificate",
        "NotValidForName",
    ] {
        assert!(
            !message.contains(raw),
            "{name}: the verifier's raw words leak: {message}"
        );
    }
    message
}

#[tokio::test]
async fn a_refused_certificate_names_the_ca_file_or_says_how_to_set_one() {
    let Some(pki) = Pki::new("Tokentray test CA") else {
        return;
    };
    let Some(other) = Pki::new("Another CA") else {
        return;
    };
    let sb = Sandbox::start().await.unwrap();
    let Some(front) = TlsFront::start(&sb.url(), &pki.issue("server", &LOOPBACK_NAMES, false))
    else {
        return;
    };
    let Some(selfsigned) = TlsFront::start(&sb.url(), &pki.issue("self", &LOOPBACK_NAMES, true))
    else {
        return;
    };
    let t = TestEngine::new();
    let host = front.addr.to_string();

    let m = refused(&t, "noca", &front, &[], ErrorCode::InvalidConfig).await;
    assert!(
        m.contains(&format!("the certificate of {host} is not trusted"))
            && m.contains("`tokentray edit noca --ca-file PATH`"),
        "without ca_file it says how to set one: {m}"
    );

    let wrong = other.ca_file().display().to_string();
    let m = refused(
        &t,
        "wrongca",
        &front,
        &[("ca_file", &wrong)],
        ErrorCode::InvalidConfig,
    )
    .await;
    assert!(
        m.contains(&format!(
            "the certificate of {host} is not trusted by the CA in {wrong}"
        )),
        "with ca_file it names the file: {m}"
    );

    let ca = pki.ca_file().display().to_string();
    let m = refused(&t, "selfsigned", &selfsigned, &[], ErrorCode::InvalidConfig).await;
    assert!(m.contains("self-signed") && m.contains("--ca-file"), "{m}");
    let m = refused(
        &t,
        "selfsigned-ca",
        &selfsigned,
        &[("ca_file", &ca)],
        ErrorCode::InvalidConfig,
    )
    .await;
    assert!(
        m.contains(&format!("is not trusted by the CA in {ca}")),
        "{m}"
    );

    assert_eq!(
        sb.grant_count("client_credentials"),
        0,
        "nothing got through"
    );
}

#[tokio::test]
async fn an_expired_or_misnamed_certificate_says_so() {
    let Some(pki) = Pki::new("Tokentray test CA") else {
        return;
    };
    let sb = Sandbox::start().await.unwrap();
    let Some(expired) = TlsFront::start(&sb.url(), &pki.issue_expired("expired", &LOOPBACK_NAMES))
    else {
        return;
    };
    let Some(misnamed) =
        TlsFront::start(&sb.url(), &pki.issue("misnamed", &["idp.example"], false))
    else {
        return;
    };
    let t = TestEngine::new();
    let ca = pki.ca_file().display().to_string();
    let m = refused(
        &t,
        "misnamed",
        &misnamed,
        &[("ca_file", &ca)],
        ErrorCode::InvalidConfig,
    )
    .await;
    assert!(
        m.contains("is not valid for that name") && m.contains("idp.example"),
        "a name mismatch says so: {m}"
    );
    let m = refused(
        &t,
        "expired",
        &expired,
        &[("ca_file", &ca)],
        ErrorCode::ProviderError,
    )
    .await;
    assert!(
        m.contains(&format!("the certificate of {} has expired", expired.addr)),
        "an expired certificate says so: {m}"
    );
    assert_eq!(
        sb.grant_count("client_credentials"),
        0,
        "nothing got through"
    );
}

#[tokio::test]
async fn insecure_skip_verify_works_and_is_warned() {
    let Some(pki) = Pki::new("Tokentray test CA") else {
        return;
    };
    let sb = Sandbox::start().await.unwrap();
    let Some(front) = TlsFront::start(&sb.url(), &pki.issue("self", &LOOPBACK_NAMES, true)) else {
        return;
    };
    let t = TestEngine::new();
    every_call(
        &sb,
        &t,
        "careless",
        &format!("{}/oauth", front.url),
        &[("insecure_skip_verify", "true")],
    )
    .await;
    assert_served(&front, &PATHS);
    let warning = insecure_warning(&t.engine.spec("careless").unwrap()).expect("a warning");
    assert!(
        warning.contains("careless does not verify TLS certificates"),
        "{warning}"
    );
}

#[tokio::test]
async fn a_proxy_carries_every_call_to_http_and_https_services() {
    let Some(pki) = Pki::new("Tokentray test CA") else {
        return;
    };
    let Some(proxy) = Tinyproxy::start() else {
        return;
    };
    let sb = Sandbox::start().await.unwrap();
    let Some(front) = TlsFront::start(&sb.url(), &pki.issue("server", &LOOPBACK_NAMES, false))
    else {
        return;
    };

    // Plain http on loopback: the proxy sees every request with its full URL.
    let t = TestEngine::new();
    let plain = issuer(&sb);
    every_call(&sb, &t, "viaproxy", &plain, &[("proxy", &proxy.url)]).await;
    for path in [
        "/.well-known/",
        "/oauth/token",
        "/oauth/userinfo",
        "/oauth/revoke",
    ] {
        let wanted = format!("{plain}{}", path.trim_start_matches("/oauth"));
        proxy
            .wait_for(&wanted)
            .unwrap_or_else(|seen| panic!("the proxy never saw {wanted}: {seen:#?}"));
    }

    // https: the proxy opens a tunnel (CONNECT) to the TLS server, which serves every call.
    let sb2 = Sandbox::start().await.unwrap();
    let Some(front2) = TlsFront::start(&sb2.url(), &pki.issue("server2", &LOOPBACK_NAMES, false))
    else {
        return;
    };
    let t2 = TestEngine::new();
    let ca = pki.ca_file().display().to_string();
    every_call(
        &sb2,
        &t2,
        "tunnel",
        &format!("{}/oauth", front2.url),
        &[("ca_file", &ca), ("proxy", &proxy.url)],
    )
    .await;
    proxy
        .wait_for(&format!("CONNECT {}", front2.addr))
        .unwrap_or_else(|seen| panic!("no tunnel to {}: {seen:#?}", front2.addr));
    assert_served(&front2, &PATHS);
    add_cc(&t2, "direct", &front, &[("ca_file", &ca)]).await;
    t2.engine.token("direct", None).await.unwrap();
    assert_served(&front, &["POST /oauth/token"]);
    assert!(
        !proxy
            .requests()
            .iter()
            .any(|r| r.contains(&front.addr.to_string())),
        "a connection without proxy never uses it"
    );

    // Without the proxy the same settings fail: the calls above depended on it.
    let url = proxy.url.clone();
    drop(proxy);
    add_cc(&t2, "gone", &front2, &[("ca_file", &ca), ("proxy", &url)]).await;
    let err = t2.engine.token("gone", None).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProviderError, "{err}");
}

/// A connection to a real OpenID provider whose every answer carries an ID token; the token
/// is only handed out once the ID token's signature checked out with the issuer's keys.
async fn id_token_checked(
    t: &TestEngine,
    name: &str,
    issuer: &str,
    rt: &str,
    extra: &[(&str, &str)],
) {
    let mut fields = vec![
        ("issuer", issuer),
        ("grant", "refresh_token"),
        ("client_id", "tt-basic"),
        ("client_secret", "tt-basic-secret"),
        ("refresh_token", rt),
    ];
    fields.extend_from_slice(extra);
    t.add(name, ProviderKind::Oauth2, &fields).await;
    t.engine
        .token(name, None)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let id = t.engine.whoami(name).await.unwrap().expect("an identity");
    assert_eq!(id.subject, "alice", "{name}");
}

/// `oidc-provider` behind the TLS server and reached through the proxy, then over plain http
/// through the proxy: the discovery, the token, the ID token's key set (JWKS) and the
/// identity travel the same verified, proxied way as every other call.
#[tokio::test]
async fn id_tokens_are_checked_with_keys_fetched_over_tls_and_through_the_proxy() {
    let Some(pki) = Pki::new("Tokentray test CA") else {
        return;
    };
    let Some(proxy) = Tinyproxy::start() else {
        return;
    };
    let port = free_port(Ipv4Addr::LOCALHOST.into());
    let upstream: url::Url = format!("http://127.0.0.1:{port}/").parse().unwrap();
    let Some(front) = TlsFront::start(&upstream, &pki.issue("op", &LOOPBACK_NAMES, false)) else {
        return;
    };
    let Some(op) =
        OidcProvider::start(&[("OP_PORT", &port.to_string()), ("OP_ISSUER", &front.url)]).await
    else {
        return;
    };
    let t = TestEngine::new();
    let ca = pki.ca_file().display().to_string();
    let rt = op.mint_refresh_token("tt-basic").await;
    id_token_checked(
        &t,
        "tls",
        &front.url,
        &rt,
        &[("ca_file", &ca), ("proxy", &proxy.url)],
    )
    .await;
    assert_served(
        &front,
        &[
            "GET /.well-known/openid-configuration",
            "POST /token",
            "GET /jwks",
            "/me",
        ],
    );
    proxy
        .wait_for(&format!("CONNECT {}", front.addr))
        .unwrap_or_else(|seen| panic!("no tunnel to {}: {seen:#?}", front.addr));

    // Plain http through the proxy: it sees the key set fetched with its full URL.
    let Some(plain) = OidcProvider::start(&[]).await else {
        return;
    };
    let rt = plain.mint_refresh_token("tt-basic").await;
    id_token_checked(&t, "plain", &plain.issuer, &rt, &[("proxy", &proxy.url)]).await;
    for path in [
        "/.well-known/openid-configuration",
        "/token",
        "/jwks",
        "/me",
    ] {
        let wanted = format!("{}{path}", plain.issuer);
        proxy
            .wait_for(&wanted)
            .unwrap_or_else(|seen| panic!("the proxy never saw {wanted}: {seen:#?}"));
    }
}
