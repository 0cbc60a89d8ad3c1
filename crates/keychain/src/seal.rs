//! Sealing: a value too large for the platform keychain is encrypted with a fresh random key
//! (ChaCha20-Poly1305, random nonce), the ciphertext goes to an owner-only file, and the keychain
//! keeps only a small marker with the file name, the key and the nonce. Without the keychain the
//! file is useless; without the file the marker is `Corrupt`, never a garbled value.
//!
//! Each sealing writes a new file (`<sha256(service/key)>.<random>.bin`), so a write that fails
//! half-way leaves the previous marker and file intact; the store removes superseded files once
//! the new marker is in place. The ciphertext is bound to its service and key (associated data),
//! so a file moved to another entry does not decrypt.
//!
//! Pure functions only: files and the keychain are the store's business.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const SUFFIX: &str = ".bin";

/// What the keychain holds for a sealed value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Marker {
    sealed: u8,
    /// The ciphertext's file name inside the sealed directory.
    pub(crate) file: String,
    key: String,
    nonce: String,
}

/// A value sealed for one entry: the marker for the keychain and the ciphertext for the file.
#[derive(Debug)]
pub(crate) struct Sealed {
    /// The marker, as the JSON text stored in the keychain.
    pub(crate) marker_text: String,
    /// The file name the ciphertext must be written to.
    pub(crate) file: String,
    /// The ciphertext (with its authentication tag).
    pub(crate) ciphertext: Vec<u8>,
}

/// The marker or file of a sealed value does not hold what sealing wrote.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Damaged;

impl Marker {
    /// The marker in `text`, or `None` when `text` is a plain value.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let marker: Self = serde_json::from_str(text).ok()?;
        (marker.sealed == 1).then_some(marker)
    }
}

/// The prefix shared by every sealed file of `key` under `service`: the hex SHA-256 of
/// `service/key`, so file names reveal nothing about the entry.
pub(crate) fn file_prefix(service: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{service}/{key}").as_bytes());
    format!("{}.", hex(&digest))
}

/// Whether `name` is a sealed file of the entry whose prefix is `prefix`.
pub(crate) fn is_file_of(prefix: &str, name: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Encrypts `plaintext` for `key` under `service` with a fresh key and nonce.
pub(crate) fn seal(service: &str, key: &str, plaintext: &str) -> Sealed {
    let mut rng = rand::rng();
    let mut secret_key = [0u8; KEY_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    let mut id = [0u8; 8];
    rng.fill_bytes(&mut secret_key);
    rng.fill_bytes(&mut nonce);
    rng.fill_bytes(&mut id);
    let aad = associated_data(service, key);
    let ciphertext = ChaCha20Poly1305::new(Key::from_slice(&secret_key))
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext.as_bytes(),
                aad: &aad,
            },
        )
        .expect("ChaCha20-Poly1305 encrypts any message that fits in memory");
    let file = format!("{}{}{SUFFIX}", file_prefix(service, key), hex(&id));
    let marker = Marker {
        sealed: 1,
        file: file.clone(),
        key: STANDARD.encode(secret_key),
        nonce: STANDARD.encode(nonce),
    };
    Sealed {
        marker_text: serde_json::to_string(&marker).expect("a marker always serialises"),
        file,
        ciphertext,
    }
}

/// Checks that `marker` names a file of this entry (a tampered marker cannot point elsewhere).
pub(crate) fn check_file(marker: &Marker, service: &str, key: &str) -> Result<(), Damaged> {
    if is_file_of(&file_prefix(service, key), &marker.file) {
        Ok(())
    } else {
        Err(Damaged)
    }
}

/// Decrypts the ciphertext `marker` describes.
pub(crate) fn unseal(
    marker: &Marker,
    service: &str,
    key: &str,
    ciphertext: &[u8],
) -> Result<String, Damaged> {
    check_file(marker, service, key)?;
    let secret_key: [u8; KEY_LEN] = decode(&marker.key)?;
    let nonce: [u8; NONCE_LEN] = decode(&marker.nonce)?;
    let aad = associated_data(service, key);
    let plaintext = ChaCha20Poly1305::new(Key::from_slice(&secret_key))
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| Damaged)?;
    String::from_utf8(plaintext).map_err(|_| Damaged)
}

fn decode<const N: usize>(text: &str) -> Result<[u8; N], Damaged> {
    let bytes = STANDARD.decode(text).map_err(|_| Damaged)?;
    bytes.try_into().map_err(|_| Damaged)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn associated_data(service: &str, key: &str) -> Vec<u8> {
    format!("tokentray-sealed-v1\0{service}\0{key}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = r#"{"refresh_token":"canary-7c1e"}"#;

    #[test]
    fn a_sealed_value_round_trips_and_the_marker_holds_no_plaintext() {
        let sealed = seal("tokentray", "work", VALUE);
        assert!(!sealed.marker_text.contains("canary"));
        assert!(!String::from_utf8_lossy(&sealed.ciphertext).contains("canary"));
        let marker = Marker::parse(&sealed.marker_text).expect("a marker");
        assert_eq!(marker.file, sealed.file);
        let back = unseal(&marker, "tokentray", "work", &sealed.ciphertext).unwrap();
        assert_eq!(back, VALUE);
    }

    #[test]
    fn each_sealing_uses_a_new_file_key_and_nonce() {
        let a = seal("tokentray", "work", VALUE);
        let b = seal("tokentray", "work", VALUE);
        assert_ne!(
            a.file, b.file,
            "a failed rewrite must not clobber the old file"
        );
        assert_ne!(a.marker_text, b.marker_text);
        let prefix = file_prefix("tokentray", "work");
        assert!(is_file_of(&prefix, &a.file) && is_file_of(&prefix, &b.file));
    }

    #[test]
    fn a_file_moved_to_another_entry_does_not_decrypt() {
        let sealed = seal("tokentray", "work", VALUE);
        let mut marker = Marker::parse(&sealed.marker_text).unwrap();
        assert_eq!(
            unseal(&marker, "tokentray", "home", &sealed.ciphertext),
            Err(Damaged),
            "the marker names another entry's file"
        );
        marker.file = format!("{}{}", file_prefix("tokentray", "home"), "00.bin");
        assert_eq!(
            unseal(&marker, "tokentray", "home", &sealed.ciphertext),
            Err(Damaged),
            "the ciphertext is bound to its entry"
        );
    }

    #[test]
    fn a_damaged_ciphertext_or_marker_is_reported_not_garbled() {
        let sealed = seal("tokentray", "work", VALUE);
        let marker = Marker::parse(&sealed.marker_text).unwrap();
        let mut flipped = sealed.ciphertext.clone();
        flipped[0] ^= 1;
        assert_eq!(unseal(&marker, "tokentray", "work", &flipped), Err(Damaged));
        let short_key = Marker {
            key: STANDARD.encode([0u8; 5]),
            ..marker
        };
        assert_eq!(
            unseal(&short_key, "tokentray", "work", &sealed.ciphertext),
            Err(Damaged)
        );
    }

    #[test]
    fn plain_values_are_not_markers() {
        assert_eq!(Marker::parse(VALUE), None);
        assert_eq!(Marker::parse("not json"), None);
        assert_eq!(
            Marker::parse(r#"{"sealed":0,"file":"f","key":"k","nonce":"n"}"#),
            None
        );
    }

    #[test]
    fn file_names_must_be_the_entrys_and_nothing_else() {
        let prefix = file_prefix("tokentray", "work");
        assert!(is_file_of(&prefix, &format!("{prefix}0a1b.bin")));
        assert!(!is_file_of(&prefix, &format!("{prefix}.bin")));
        assert!(!is_file_of(&prefix, &format!("{prefix}../x.bin")));
        assert!(!is_file_of(&prefix, &format!(".{prefix}0a.bin.1.0.tmp")));
        assert!(!is_file_of(&prefix, "secrets.json"));
    }
}
