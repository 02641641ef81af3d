//! Sealed values: secrets (personal links) and contact details that cross the broker
//! encrypted, readable only by the services that hold `LINK_KEY` (registration, which seals
//! them, and notification, which opens them at the moment it renders an email).
//!
//! Why: messages stay in quorum queues, in dead-letter queues and in an operator's
//! terminal when one is inspected; the scheduling service receives `registration.confirmed`
//! too. A manage link there would let anyone who reads a queue act as the participant. A
//! sealed value is useless without the key, and the notification service stores it sealed
//! as it came, so its tables hold no readable link either.
//!
//! The format is `v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`: ChaCha20-Poly1305
//! with a random 96-bit nonce, under a key derived (HKDF-SHA256) from the `LINK_KEY`
//! secret. Each value is bound to a *context* (what it is and whose, e.g.
//! `manage_url:<registration id>`) as associated data: a sealed link copied into another
//! message, or onto another person, does not open. The key id lets a key be rotated: the
//! old secret goes into `LINK_KEY_PREVIOUS` and still opens what it sealed.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, Var};

/// The secret both link-holding services share.
pub const LINK_KEY: Var = Var {
    name: "LINK_KEY",
    default: None,
    help: "Secret (at least 32 characters, e.g. `openssl rand -hex 24`) that seals personal links and contact details in messages and in the notification service's tables. Registration and notification must have the same; the scheduling service never gets it. `make up` writes one into deploy/.env.",
};
/// Older secrets that still open what they sealed (rotation).
pub const LINK_KEY_PREVIOUS: Var = Var {
    name: "LINK_KEY_PREVIOUS",
    default: Some(""),
    help: "Comma-separated former LINK_KEY values, still accepted to open links sealed before a rotation (the notification service re-seals its stored links under LINK_KEY when it starts).",
};

const VERSION: &str = "v1";
const MIN_SECRET_CHARS: usize = 32;

/// The keys that seal (the current one) and open (it and the previous ones).
#[derive(Clone)]
pub struct LinkKeys {
    current: Key,
    previous: Vec<Key>,
    rng: SystemRandom,
}

#[derive(Clone)]
struct Key {
    id: String,
    aead: std::sync::Arc<LessSafeKey>,
}

/// Why a sealed value did not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("not a sealed value")]
    Malformed,
    #[error("sealed with an unknown key (id {0}): is LINK_KEY the same as registration's?")]
    UnknownKey(String),
    #[error(
        "the sealed value does not open under its key (altered, or sealed for something else)"
    )]
    Rejected,
}

impl fmt::Debug for LinkKeys {
    /// Shows key ids only, never key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkKeys")
            .field("current", &self.current.id)
            .field(
                "previous",
                &self.previous.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Key {
    fn derive(secret: &str) -> Self {
        let salt = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"convene link key");
        let prk = salt.extract(secret.trim().as_bytes());
        let mut bytes = [0u8; 32];
        prk.expand(&[b"chacha20-poly1305"], &CHACHA20_POLY1305)
            .and_then(|okm| okm.fill(&mut bytes))
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        let mut id = [0u8; 4];
        prk.expand(&[b"key id"], IdLen)
            .and_then(|okm| okm.fill(&mut id))
            .expect("4 bytes is a valid HKDF-SHA256 output length");
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, &bytes).expect("a 32-byte key");
        Key {
            id: id.iter().map(|b| format!("{b:02x}")).collect(),
            aead: std::sync::Arc::new(LessSafeKey::new(unbound)),
        }
    }
}

/// HKDF output length for the key id.
struct IdLen;
impl ring::hkdf::KeyType for IdLen {
    fn len(&self) -> usize {
        4
    }
}

impl LinkKeys {
    /// Keys from secrets: `current` seals, every one of them opens.
    ///
    /// # Errors
    /// A secret shorter than 32 characters (the error does not repeat it).
    pub fn new(current: &str, previous: &[&str]) -> Result<Self, String> {
        for secret in std::iter::once(&current).chain(previous) {
            if secret.trim().chars().count() < MIN_SECRET_CHARS {
                return Err(format!(
                    "a key must have at least {MIN_SECRET_CHARS} characters"
                ));
            }
        }
        Ok(Self {
            current: Key::derive(current),
            previous: previous.iter().map(|s| Key::derive(s)).collect(),
            rng: SystemRandom::new(),
        })
    }

    /// `LINK_KEY` and `LINK_KEY_PREVIOUS` from the environment.
    ///
    /// # Errors
    /// `LINK_KEY` unset, or either too short.
    pub fn from_env() -> Result<Self, ConfigError> {
        let current = LINK_KEY.string()?;
        let previous = LINK_KEY_PREVIOUS.string()?;
        let previous: Vec<&str> = previous
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        Self::new(&current, &previous).map_err(|reason| {
            if reason.contains("at least") && current.trim().chars().count() >= MIN_SECRET_CHARS {
                LINK_KEY_PREVIOUS.malformed(reason)
            } else {
                LINK_KEY.malformed(reason)
            }
        })
    }

    /// `plain` sealed for `context`.
    pub fn seal(&self, context: &str, plain: &str) -> Sealed {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .expect("the system's random number generator works");
        let mut data = plain.as_bytes().to_vec();
        self.current
            .aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut data,
            )
            .expect("ChaCha20-Poly1305 seals any length we use");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Sealed(format!(
            "{VERSION}.{}.{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(out)
        ))
    }

    /// `value` serialised as JSON and sealed for `context`.
    pub fn seal_json<T: Serialize>(&self, context: &str, value: &T) -> Sealed {
        let json = serde_json::to_string(value).expect("our own types serialise");
        self.seal(context, &json)
    }

    /// The plain text of `sealed`, if it was sealed for `context` under one of our keys.
    ///
    /// # Errors
    /// See [`OpenError`].
    pub fn open(&self, context: &str, sealed: &Sealed) -> Result<String, OpenError> {
        let mut parts = sealed.0.splitn(3, '.');
        let (Some(VERSION), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(OpenError::Malformed);
        };
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| OpenError::UnknownKey(id.to_owned()))?;
        let mut data = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| OpenError::Malformed)?;
        if data.len() < NONCE_LEN + aead::CHACHA20_POLY1305.tag_len() {
            return Err(OpenError::Malformed);
        }
        let nonce: [u8; NONCE_LEN] = data[..NONCE_LEN].try_into().expect("NONCE_LEN bytes");
        let plain = key
            .aead
            .open_within(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut data,
                NONCE_LEN..,
            )
            .map_err(|_| OpenError::Rejected)?;
        String::from_utf8(plain.to_vec()).map_err(|_| OpenError::Rejected)
    }

    /// [`Self::open`], then parsed from JSON.
    ///
    /// # Errors
    /// As [`Self::open`]; malformed JSON is [`OpenError::Rejected`].
    pub fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        context: &str,
        sealed: &Sealed,
    ) -> Result<T, OpenError> {
        let json = self.open(context, sealed)?;
        serde_json::from_str(&json).map_err(|_| OpenError::Rejected)
    }

    /// How every value sealed under the current key begins (`v1.<key id>.`): what a stored
    /// value is compared with to know whether it must be sealed anew.
    pub fn current_prefix(&self) -> String {
        format!("{VERSION}.{}.", self.current.id)
    }

    /// Whether `sealed` was sealed under the current key (else it would be re-sealed).
    pub fn is_current(&self, sealed: &Sealed) -> bool {
        sealed.0.starts_with(&self.current_prefix())
    }
}

/// A value sealed by [`LinkKeys::seal`], as it travels in messages and is stored. Its
/// `Debug` shows only that it is sealed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct Sealed(String);

impl Sealed {
    /// A value as stored or received, to be opened.
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    /// The sealed text, to store.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The empty value: "no link in this message".
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the value has the sealed format (a plain link stored by an older version
    /// does not).
    pub fn looks_sealed(&self) -> bool {
        self.0.starts_with("v1.")
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealed(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef0123";
    const OTHER: &str = "fedcba9876543210fedcba9876543210fedc";

    #[test]
    fn a_value_opens_only_under_its_context_and_key() {
        let keys = LinkKeys::new(SECRET, &[]).unwrap();
        let link = "https://convene.example/registrations/secret-token";
        let sealed = keys.seal("manage_url:1", link);
        assert!(!sealed.as_str().contains("secret-token"));
        assert!(sealed.looks_sealed());
        assert_eq!(keys.open("manage_url:1", &sealed).unwrap(), link);
        assert!(matches!(
            keys.open("manage_url:2", &sealed),
            Err(OpenError::Rejected)
        ));
        let other = LinkKeys::new(OTHER, &[]).unwrap();
        assert!(matches!(
            other.open("manage_url:1", &sealed),
            Err(OpenError::UnknownKey(_))
        ));
        // Two seals of one value differ (random nonce): equal links cannot be spotted.
        assert_ne!(keys.seal("c", link), keys.seal("c", link));
    }

    #[test]
    fn an_altered_value_is_rejected() {
        let keys = LinkKeys::new(SECRET, &[]).unwrap();
        let sealed = keys.seal("c", "https://x.example/a");
        let mut raw = sealed.as_str().to_owned();
        let last = raw.pop().unwrap();
        raw.push(if last == 'A' { 'B' } else { 'A' });
        assert!(keys.open("c", &Sealed::from_stored(raw)).is_err());
        assert!(matches!(
            keys.open("c", &Sealed::from_stored("https://x.example/a".into())),
            Err(OpenError::Malformed)
        ));
    }

    #[test]
    fn a_previous_key_still_opens_after_a_rotation() {
        let old = LinkKeys::new(OTHER, &[]).unwrap();
        let sealed = old.seal("c", "link");
        let rotated = LinkKeys::new(SECRET, &[OTHER]).unwrap();
        assert!(!rotated.is_current(&sealed));
        assert_eq!(rotated.open("c", &sealed).unwrap(), "link");
        assert!(rotated.is_current(&rotated.seal("c", "link")));
    }

    #[test]
    fn short_secrets_are_refused_without_being_repeated() {
        let err = LinkKeys::new("short-secret", &[]).unwrap_err();
        assert!(!err.contains("short-secret"));
        assert!(LinkKeys::new(SECRET, &["tiny"]).is_err());
    }

    #[test]
    fn debug_shows_no_secret() {
        let keys = LinkKeys::new(SECRET, &[]).unwrap();
        let sealed = keys.seal("c", "https://x.example/token");
        assert_eq!(format!("{sealed:?}"), "Sealed(..)");
        assert!(!format!("{keys:?}").contains(SECRET));
    }
}
