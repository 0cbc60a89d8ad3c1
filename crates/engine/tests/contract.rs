//! Pins the wire contract: the JSON shapes the export endpoint answers, the CLI prints and
//! scripts read, and the table of error codes → HTTP status → exit code. A change here is a
//! change of Tokentray's interface (PRODUCT.md §5 and §6): make it deliberately.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tokentray_engine::contract::endpoint::{self, DaemonInfo, EndpointFile};
use tokentray_engine::contract::error::{Code, ErrorBody, TABLE};
use tokentray_engine::{
    ConnectionName, Handout, Identity, ProviderKind, Secret, Timestamp, TokenJson,
};

fn handout(
    expires_at: Option<Timestamp>,
    identity: Option<Identity>,
    referer: Option<&str>,
) -> Handout {
    Handout {
        connection: ConnectionName::new("maps").unwrap(),
        kind: ProviderKind::ArcgisToken,
        token: Secret::new("t\"o\\k\u{e9}n"),
        token_type: "Bearer".into(),
        expires_at,
        header_name: "Authorization".into(),
        header_value: Secret::new("Bearer t\"o\\k\u{e9}n"),
        identity,
        referer: referer.map(str::to_owned),
    }
}

const NOW: i64 = 1_800_000_000;

#[test]
fn the_token_json_has_the_documented_fields_in_order() {
    let now = Timestamp::from_secs(NOW);
    let full = handout(
        Some(now.plus(Duration::from_secs(3600))),
        Some(Identity {
            name: Some("Ada L".into()),
            email: Some("ada@example.org".into()),
            ..Identity::subject("ada")
        }),
        Some("https://app.example/map"),
    );
    assert_eq!(
        serde_json::to_string(&TokenJson::of(&full, now)).unwrap(),
        r#"{"connection":"maps","kind":"arcgis-token","token_type":"Bearer","access_token":"t\"o\\kén","expires_at":"2027-01-15T09:00:00Z","expires_in":3600,"header":{"name":"Authorization","value":"Bearer t\"o\\kén"},"identity":{"subject":"ada","name":"Ada L","email":"ada@example.org"},"referer":"https://app.example/map"}"#
    );
    let bare = handout(None, None, None);
    assert_eq!(
        serde_json::to_string(&TokenJson::of(&bare, now)).unwrap(),
        r#"{"connection":"maps","kind":"arcgis-token","token_type":"Bearer","access_token":"t\"o\\kén","expires_at":null,"expires_in":null,"header":{"name":"Authorization","value":"Bearer t\"o\\kén"},"identity":null,"referer":null}"#
    );
}

#[test]
fn the_token_json_reads_back_and_its_prepared_halves_make_the_whole() {
    let now = Timestamp::from_secs(NOW);
    for h in [
        handout(
            Some(now.plus(Duration::from_millis(59_500))),
            Some(Identity::subject("ada")),
            Some("https://r.example/\"x\""),
        ),
        handout(Some(now.minus(Duration::from_secs(5))), None, None),
        handout(None, None, None),
    ] {
        let json = TokenJson::of(&h, now);
        let text = serde_json::to_string(&json).unwrap();
        assert_eq!(serde_json::from_str::<TokenJson>(&text).unwrap(), json);
        let (head, tail) = TokenJson::prepared(&h).unwrap();
        let seconds = json.expires_in.map_or("null".to_owned(), |s| s.to_string());
        let joined = [head, seconds.into_bytes(), tail].concat();
        assert_eq!(String::from_utf8(joined).unwrap(), text);
    }
}

#[test]
fn the_error_body_is_code_and_message_only() {
    let body = ErrorBody::new(
        Code::NeedsLogin,
        "api needs a login: run `tokentray login api`",
    );
    let text = serde_json::to_string(&body).unwrap();
    assert_eq!(
        text,
        r#"{"code":"needs_login","message":"api needs a login: run `tokentray login api`"}"#
    );
    assert_eq!(serde_json::from_str::<ErrorBody>(&text).unwrap(), body);
    assert_eq!(body.exit_code(), 4);
    let unknown = ErrorBody {
        code: "from_a_newer_daemon".into(),
        message: String::new(),
    };
    assert_eq!(unknown.exit_code(), 1, "an unknown code is another error");
}

#[test]
fn one_table_gives_every_code_its_status_and_exit_code() {
    let rows: Vec<String> = TABLE
        .iter()
        .map(|r| format!("{} {} {}", r.name, r.http_status, r.exit_code))
        .collect();
    assert_eq!(
        rows.join("\n"),
        "unauthorized 401 1
forbidden 403 1
misdirected_request 421 1
payload_too_large 413 1
unsupported_media_type 415 1
not_found 404 1
method_not_allowed 405 1
invalid_request 400 2
already_exists 409 2
unknown_connection 404 3
needs_login 409 4
provider_error 502 5
invalid_config 500 1
storage_unavailable 503 6
cancelled 500 1
internal 500 1"
    );
    for row in &TABLE {
        assert_eq!(Code::parse(row.name), Some(row.code), "{}", row.name);
        assert_eq!(row.code.as_str(), row.name);
    }
}

#[test]
fn endpoint_json_and_the_daemon_handshake_keep_their_shape() {
    let file = EndpointFile {
        url: "http://127.0.0.1:8787".into(),
        key: "k3y".into(),
        pid: 4242,
    };
    let text = serde_json::to_string(&file).unwrap();
    assert_eq!(
        text,
        r#"{"url":"http://127.0.0.1:8787","key":"k3y","pid":4242}"#
    );
    assert_eq!(serde_json::from_str::<EndpointFile>(&text).unwrap(), file);
    assert!(!format!("{file:?}").contains("k3y"), "Debug hides the key");

    let info = DaemonInfo {
        pid: 4242,
        url: "http://127.0.0.1:8787".into(),
        port: 8787,
        requested_port: 8787,
        default_taken: false,
    };
    let text = serde_json::to_string(&info).unwrap();
    assert_eq!(
        text,
        r#"{"pid":4242,"url":"http://127.0.0.1:8787","port":8787,"requested_port":8787,"default_taken":false}"#
    );
    assert_eq!(serde_json::from_str::<DaemonInfo>(&text).unwrap(), info);

    assert_eq!(
        (
            endpoint::ENDPOINT_FILE,
            endpoint::DAEMON_SOCKET,
            endpoint::DAEMON_LOCK
        ),
        ("endpoint.json", "daemon.sock", "daemon.lock")
    );
    assert_eq!(endpoint::token_path("api"), "/v1/connections/api/token");
    assert_eq!(endpoint::refresh_path("api"), "/v1/connections/api/refresh");
    assert_eq!(endpoint::DAEMON_INFO_PATH, "/v1/daemon");
    assert_eq!(
        endpoint::request("POST", "/v1/connections/api/refresh", "application/json"),
        "POST /v1/connections/api/refresh HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    );
}

#[test]
fn an_error_body_says_the_remedy_as_a_command_the_engine_message_does_not() {
    let error = tokentray_engine::Error::NotExportable {
        connection: ConnectionName::new("api").unwrap(),
    };
    assert!(
        !error.to_string().contains("tokentray "),
        "the engine's message leaves the command to the front end: {error}"
    );
    assert_eq!(error.remedy(), Some(tokentray_engine::Remedy::AllowExport));
    let body = ErrorBody::of(&error);
    assert_eq!(
        body.message,
        "api is not exportable (export = false); enable it with `tokentray edit api --export true`"
    );
    let unknown = tokentray_engine::Error::UnknownConnection {
        name: "nope".into(),
    };
    assert_eq!(
        ErrorBody::of(&unknown).message,
        "no connection named \"nope\"; run `tokentray list` to see the connections"
    );
}
