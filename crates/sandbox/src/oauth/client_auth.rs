//! Client authentication at the token and revocation endpoints: each registered client has
//! exactly one allowed method, and anything else is refused as `invalid_client`.

use super::failure::Failure;
use super::request::Presented;
use crate::config::{AuthMethod, ClientConfig};
use crate::state::Registry;

/// The registered client a request authenticated as.
pub(crate) fn authenticate<'r>(
    presented: &Presented,
    registry: &'r Registry,
) -> Result<&'r ClientConfig, Failure> {
    let (id, secret) = match presented {
        Presented::Basic { id, secret } | Presented::Post { id, secret } => {
            (id, Some(secret.as_str()))
        }
        Presented::Public { id } => (id, None),
        Presented::Nothing => return Err(Failure::NoClient),
        Presented::MalformedBasic => return Err(Failure::MalformedBasic),
        Presented::Several => return Err(Failure::SeveralAuthMethods),
    };
    let client = registry.clients.get(id).ok_or(Failure::UnknownClient)?;
    if presented.method() != Some(client.auth_method) {
        return Err(Failure::WrongAuthMethod);
    }
    if client.auth_method != AuthMethod::None && client.client_secret.as_deref() != secret {
        return Err(Failure::BadClientSecret);
    }
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        let mut registry = Registry::default();
        registry.add_client(ClientConfig::basic("b", "bs"));
        registry.add_client(ClientConfig::post("p", "ps"));
        registry.add_client(ClientConfig::public("n"));
        registry
    }

    fn basic(id: &str, secret: &str) -> Presented {
        Presented::Basic {
            id: id.into(),
            secret: secret.into(),
        }
    }

    fn post(id: &str, secret: &str) -> Presented {
        Presented::Post {
            id: id.into(),
            secret: secret.into(),
        }
    }

    #[test]
    fn each_client_is_accepted_with_its_own_method() {
        let registry = registry();
        assert!(authenticate(&basic("b", "bs"), &registry).is_ok());
        assert!(authenticate(&post("p", "ps"), &registry).is_ok());
        assert!(authenticate(&Presented::Public { id: "n".into() }, &registry).is_ok());
    }

    #[test]
    fn the_right_secret_through_the_wrong_method_is_refused() {
        let registry = registry();
        assert_eq!(
            authenticate(&post("b", "bs"), &registry),
            Err(Failure::WrongAuthMethod)
        );
        assert_eq!(
            authenticate(&basic("p", "ps"), &registry),
            Err(Failure::WrongAuthMethod)
        );
        assert_eq!(
            authenticate(&Presented::Public { id: "b".into() }, &registry),
            Err(Failure::WrongAuthMethod)
        );
    }

    #[test]
    fn a_wrong_secret_or_unknown_client_is_refused() {
        let registry = registry();
        assert_eq!(
            authenticate(&basic("b", "nope"), &registry),
            Err(Failure::BadClientSecret)
        );
        assert_eq!(
            authenticate(&basic("zz", "bs"), &registry),
            Err(Failure::UnknownClient)
        );
    }
}
