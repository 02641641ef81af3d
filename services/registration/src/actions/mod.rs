//! What people do, each written as one transaction: the state change and the message that
//! announces it commit together or not at all (the outbox). The HTML and JSON handlers both
//! call these, so the two interfaces cannot drift apart.

pub mod attendance;
pub mod cancel;
pub mod confirm_address;
pub mod console_sign_in;
pub mod create_event;
pub mod deadlines;
pub mod decide_offer;
pub mod decide_registration;
pub mod digest;
pub mod erase;
pub mod follow_up;
pub mod invite;
pub mod join;
pub mod offer;
pub mod register;
pub mod renew_link;
pub mod seats;
pub mod update_event;

use sha2::{Digest, Sha256};

/// A secret for a personal link (manage, join; 256 random bits, hex) and the hash we store instead of it.
pub fn new_token() -> (String, Vec<u8>) {
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let hash = hash_token(&token);
    (token, hash)
}

/// What we store and look up by: the SHA-256 of the token.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Where a participant manages their registration.
pub fn manage_url(public_base_url: &str, token: &str) -> String {
    format!(
        "{}/registrations/{token}",
        public_base_url.trim_end_matches('/')
    )
}

/// A participant's personal join link (see [`join`]).
pub fn join_url(public_base_url: &str, token: &str) -> String {
    format!("{}/j/{token}", public_base_url.trim_end_matches('/'))
}
