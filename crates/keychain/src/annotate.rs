//! The one place where keychain errors get their meaning (as in `GitButler`'s `annotate_keychain_error`):
//! every `keyring_core::Error` becomes "not stored", "too long" or a `StoreError` here, so the
//! UI and `tokentray doctor` can branch on stable variants instead of platform strings.
//!
//! The mapping, and why:
//! - connecting fails (no session bus, no Secret Service on it, an unsupported OS): `Unavailable`
//!   with a short reason;
//! - `NoStorageAccess`: on the Secret Service, `NoResult` means there is no default collection
//!   to write into (a bare auto-started gnome-keyring), which no unlock can fix: `Unavailable`.
//!   Everything else (`Locked`, a dismissed or unanswerable `Prompt`) is `Locked`;
//! - a platform failure that says the bus or the service went away: `Unavailable`;
//! - `NoEntry`: not stored; `TooLong`: the caller seals the value instead;
//! - a stored value that is not UTF-8 or not in the store's format: `Corrupt`;
//! - anything else: `Platform` with the platform's own words.
//!
//! Messages never carry secret values: platform errors describe calls, and the variants that
//! hold data (`BadEncoding`, `BadDataFormat`) are never printed.

use keyring_core::Error;
use tokentray_engine::StoreError;

/// What a failed keychain call means to the store.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Nothing is stored under the key.
    NotStored,
    /// The value is too long for the platform; seal it.
    TooLong,
    /// A failure to report.
    Store(StoreError),
}

/// Which step failed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum During<'a> {
    /// Connecting to the keychain.
    Connect,
    /// Reading, writing or deleting the item of `key`.
    Use {
        /// The item's key.
        key: &'a str,
    },
}

/// Maps a keychain error to what it means. See the module header for the rules.
pub(crate) fn annotate(err: Error, during: During<'_>) -> Failure {
    let key = match during {
        During::Connect => {
            return Failure::Store(StoreError::Unavailable {
                reason: unreachable_reason(&err),
            });
        }
        During::Use { key } => key,
    };
    Failure::Store(match err {
        Error::NoEntry => return Failure::NotStored,
        Error::TooLong(..) => return Failure::TooLong,
        Error::NoStorageAccess(inner) => no_access(inner.as_ref()),
        Error::PlatformFailure(inner) if platform::service_gone(inner.as_ref()) => {
            StoreError::Unavailable {
                reason: platform::unreachable_reason(inner.as_ref()),
            }
        }
        Error::PlatformFailure(inner) => StoreError::Platform {
            message: inner.to_string(),
        },
        Error::BadEncoding(_) | Error::BadDataFormat(..) => StoreError::Corrupt { key: key.into() },
        Error::Ambiguous(items) => StoreError::Platform {
            message: format!(
                "{} keychain items match {key}; remove the extra ones with the system's keychain tool",
                items.len()
            ),
        },
        Error::NotSupportedByStore(reason) => StoreError::Unavailable { reason },
        other => StoreError::Platform {
            message: other.to_string(),
        },
    })
}

/// A short reason why the keychain cannot be reached at all.
fn unreachable_reason(err: &Error) -> String {
    match err {
        Error::PlatformFailure(inner) | Error::NoStorageAccess(inner) => {
            platform::unreachable_reason(inner.as_ref())
        }
        Error::NotSupportedByStore(reason) => reason.clone(),
        other => other.to_string(),
    }
}

fn no_access(inner: &(dyn std::error::Error + 'static)) -> StoreError {
    if platform::no_collection(inner) {
        StoreError::Unavailable {
            reason: "the Secret Service has no default keyring to store secrets in".into(),
        }
    } else {
        StoreError::Locked
    }
}

/// How the Secret Service reports its states, recognised by its error type.
#[cfg(target_os = "linux")]
mod platform {
    use std::error::Error as StdError;
    use std::sync::Arc;

    use secret_service::Error as SsError;

    pub(super) fn no_collection(inner: &(dyn StdError + 'static)) -> bool {
        matches!(inner.downcast_ref::<SsError>(), Some(SsError::NoResult))
    }

    /// The bus or the service is not there (as opposed to a call that failed).
    pub(super) fn service_gone(inner: &(dyn StdError + 'static)) -> bool {
        match inner.downcast_ref::<SsError>() {
            Some(SsError::Unavailable) => true,
            Some(e @ (SsError::Zbus(_) | SsError::ZbusFdo(_))) => no_service(e) || disconnected(e),
            _ => false,
        }
    }

    pub(super) fn unreachable_reason(inner: &(dyn StdError + 'static)) -> String {
        match inner.downcast_ref::<SsError>() {
            Some(SsError::Unavailable) => "no D-Bus session bus".into(),
            Some(e) if no_service(e) => "no Secret Service on the session bus".into(),
            Some(SsError::Zbus(e)) if is_io(e) => format!("no D-Bus session bus ({e})"),
            Some(SsError::NoResult) => {
                "the Secret Service has no default keyring to store secrets in".into()
            }
            Some(SsError::Locked | SsError::Prompt | SsError::PromptDisconnected) => {
                "the Secret Service is locked".into()
            }
            _ => format!("could not open a Secret Service session ({inner})"),
        }
    }

    /// D-Bus answered that nobody provides `org.freedesktop.secrets`. D-Bus error names are
    /// part of the protocol, so matching them is stable.
    fn no_service(e: &SsError) -> bool {
        let text = e.to_string();
        text.contains("ServiceUnknown") || text.contains("not provided by any .service files")
    }

    /// The bus cannot be reached or went away: the failure is an I/O error on the connection.
    fn disconnected(e: &SsError) -> bool {
        matches!(e, SsError::Zbus(zbus_error) if is_io(zbus_error))
    }

    /// Whether `e` or one of its causes is an I/O error (zbus keeps them in an `Arc`).
    fn is_io(e: &(dyn StdError + 'static)) -> bool {
        let mut current: Option<&(dyn StdError + 'static)> = Some(e);
        while let Some(err) = current {
            if err.is::<std::io::Error>() || err.is::<Arc<std::io::Error>>() {
                return true;
            }
            current = err.source();
        }
        false
    }
}

/// Other platforms report locked or denied access through `NoStorageAccess` and have no bus.
#[cfg(not(target_os = "linux"))]
mod platform {
    use std::error::Error as StdError;

    pub(super) fn no_collection(_inner: &(dyn StdError + 'static)) -> bool {
        false
    }

    pub(super) fn service_gone(_inner: &(dyn StdError + 'static)) -> bool {
        false
    }

    pub(super) fn unreachable_reason(inner: &(dyn StdError + 'static)) -> String {
        inner.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(err: Error) -> Failure {
        annotate(err, During::Use { key: "work" })
    }

    #[test]
    fn a_missing_item_is_not_an_error() {
        assert!(matches!(used(Error::NoEntry), Failure::NotStored));
    }

    #[test]
    fn a_value_too_long_for_the_platform_asks_for_sealing() {
        assert!(matches!(
            used(Error::TooLong("password".into(), 2560)),
            Failure::TooLong
        ));
    }

    #[test]
    fn undecodable_values_are_corrupt_and_their_bytes_never_shown() {
        let Failure::Store(err) = used(Error::BadEncoding(b"canary-\xff".to_vec())) else {
            panic!("expected a store error");
        };
        assert!(matches!(&err, StoreError::Corrupt { key } if key == "work"));
        assert!(!err.to_string().contains("canary"), "{err}");
    }

    #[test]
    fn any_connect_failure_means_unavailable() {
        let err = Error::NotSupportedByStore("no keychain here".into());
        let Failure::Store(StoreError::Unavailable { reason }) = annotate(err, During::Connect)
        else {
            panic!("expected unavailable");
        };
        assert_eq!(reason, "no keychain here");
    }

    #[cfg(target_os = "linux")]
    mod secret_service_states {
        use secret_service::Error as SsError;

        use super::*;

        fn boxed(e: SsError) -> Box<dyn std::error::Error + Send + Sync> {
            Box::new(e)
        }

        #[test]
        fn a_locked_collection_or_an_unanswerable_prompt_is_locked() {
            for e in [
                SsError::Locked,
                SsError::Prompt,
                SsError::PromptDisconnected,
            ] {
                let failure = used(Error::NoStorageAccess(boxed(e)));
                assert!(
                    matches!(failure, Failure::Store(StoreError::Locked)),
                    "{failure:?}"
                );
            }
        }

        #[test]
        fn no_default_collection_is_unavailable_because_no_unlock_can_fix_it() {
            let failure = used(Error::NoStorageAccess(boxed(SsError::NoResult)));
            let Failure::Store(StoreError::Unavailable { reason }) = failure else {
                panic!("{failure:?}");
            };
            assert!(reason.contains("no default keyring"), "{reason}");
        }

        #[test]
        fn no_session_bus_is_said_in_those_words() {
            let failure = annotate(
                Error::PlatformFailure(boxed(SsError::Unavailable)),
                During::Connect,
            );
            let Failure::Store(StoreError::Unavailable { reason }) = failure else {
                panic!("{failure:?}");
            };
            assert_eq!(reason, "no D-Bus session bus");
        }

        #[test]
        fn other_platform_failures_keep_the_platform_message() {
            let failure = used(Error::PlatformFailure(boxed(SsError::Crypto(
                "bad padding",
            ))));
            let Failure::Store(StoreError::Platform { message }) = failure else {
                panic!("{failure:?}");
            };
            assert!(message.contains("bad padding"), "{message}");
        }
    }
}
