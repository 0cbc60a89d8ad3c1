//! Starting and stopping: loopback only, invalid configurations refused, and a stopped sandbox
//! really is stopped.

use std::io::ErrorKind;
use std::net::SocketAddr;

use reqwest::StatusCode;
use tokentray_sandbox::{ClientConfig, Endpoint, Fault, Provider, Sandbox, SandboxConfig};

use crate::support::{basic_header, http, token_url};

#[tokio::test]
async fn only_loopback_addresses_can_be_bound() {
    let error = Sandbox::start_on(SocketAddr::from(([0, 0, 0, 0], 0)))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn an_invalid_configuration_is_refused_at_start() {
    let mut client = ClientConfig::basic("c", "s");
    client.client_secret = None;
    let error = Sandbox::start_with(SandboxConfig::empty().client(client))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn after_shutdown_nothing_answers_on_the_port() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = token_url(&sandbox, Provider::OAuth);
    sandbox.shutdown().await;
    assert!(http().post(url).send().await.is_err(), "connection refused");
}

#[tokio::test]
async fn dropping_the_sandbox_releases_hung_requests() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.inject(Endpoint::Token, Fault::Hang, 1);
    let hung = tokio::spawn(
        http()
            .post(token_url(&sandbox, Provider::OAuth))
            .header("authorization", basic_header("demo-cc", "demo-cc-secret"))
            .form(&[("grant_type", "client_credentials")])
            .send(),
    );
    sandbox.wait_for(Endpoint::Token, 1).await;
    drop(sandbox);
    let response = hung.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}
