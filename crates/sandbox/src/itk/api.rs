//! The ITk Production Database API under `/itk/api/`: one command, `getUser`, enough to check
//! that a client sends the `id_token` (not the `at.` access token) as its bearer (quirk 18) and
//! copes with warnings next to data (quirk 20). Other commands are 404.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::json;

use super::UuIdentity;
use super::request::ItkRequest;
use super::wire::{ErrorMap, UuEntry, json};
use crate::config::ItkUser;
use crate::fault::Endpoint;

#[derive(Serialize)]
struct UserDto<'a> {
    #[serde(rename = "uuAppErrorMap")]
    errors: ErrorMap,
    #[serde(rename = "uuIdentity")]
    uu_identity: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct Refusal {
    #[serde(rename = "uuAppErrorMap")]
    errors: ErrorMap,
}

pub(super) async fn command(
    State(identity): State<Arc<UuIdentity>>,
    Path(command): Path<String>,
    request: ItkRequest,
) -> Response {
    let record = request.record(Endpoint::ItkApi);
    identity
        .shared
        .answer(record, |_| identity.api(&command, &request))
        .await
}

impl UuIdentity {
    fn api(&self, command: &str, request: &ItkRequest) -> Response {
        if command != "getUser" {
            return self.refuse(
                StatusCode::NOT_FOUND,
                "uu-appg01/server/cmd/notFound",
                "Command not found.",
            );
        }
        match self.caller(request) {
            Some(user) => self.get_user(&user, request),
            // The sandbox's own message; itkdb reads only the key's `message`.
            None => self.refuse(
                StatusCode::UNAUTHORIZED,
                "uu-app-workspace/authorization/userIsNotAuthorized",
                "User is not authorized for given uuCommand.",
            ),
        }
    }

    /// The person behind a live `id_token` bearer.
    fn caller(&self, request: &ItkRequest) -> Option<ItkUser> {
        let now = self.shared.now_secs();
        let state = self.shared.lock();
        state.itk.bearer(request.bearer()?, now).cloned()
    }

    fn get_user(&self, user: &ItkUser, request: &ItkRequest) -> Response {
        let mut errors = BTreeMap::new();
        let unsupported = request.keys();
        if !unsupported.is_empty() {
            let warning = UuEntry::warning(&self.timestamp(), "DtoIn contains unsupported keys.")
                .param_map(json!({ "unsupportedKeyList": unsupported }));
            errors.insert("ucl-itkpd-main/getUser/unsupportedKeys", warning);
        }
        let body = UserDto {
            errors,
            uu_identity: &user.uuidentity,
            name: &user.name,
        };
        json(StatusCode::OK, &body)
    }

    fn refuse(&self, status: StatusCode, code: &'static str, message: &'static str) -> Response {
        let entry = UuEntry::error(&self.timestamp(), message);
        let body = Refusal {
            errors: BTreeMap::from([(code, entry)]),
        };
        json(status, &body)
    }
}
