//! Secrets: HQ passwords (argon2id), session tokens, device credentials and
//! enrolment codes.
//!
//! Tokens and credentials are 32 random bytes, base64url, shown once; the
//! database stores only their SHA-256 ([`secret_hash`]), so a stolen database
//! file does not let anyone sync as a till or act as HQ.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::HubError;

/// Roles of HQ accounts (DESIGN §4).
pub const ROLE_HQ_ADMIN: &str = "hq_admin";

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "storelink_session";

/// Hash a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, HubError> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| HubError::Internal(format!("salt encoding: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HubError::Internal(format!("password hashing: {e}")))
}

/// Does `password` match the stored PHC `hash`? A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A fresh bearer secret: 32 random bytes, base64url without padding.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores of a secret.
pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Letters of enrolment codes and generated passwords: no 0/O, 1/I/L.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn random_chars(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// A one-time enrolment code, easy to type: `XXXX-XXXX-XXXX` (~59 bits).
pub fn new_enrolment_code() -> String {
    let raw = random_chars(12);
    format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12])
}

/// The canonical form of a typed enrolment code (upper case, no separators).
pub fn normalise_enrolment_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A generated admin password (20 characters, ~99 bits).
pub fn generate_password() -> String {
    random_chars(20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_secret() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn enrolment_codes_normalise() {
        let c = new_enrolment_code();
        assert_eq!(c.len(), 14);
        assert_eq!(
            normalise_enrolment_code(&c.to_lowercase()),
            c.replace('-', "")
        );
        assert_ne!(random_token(), random_token());
    }
}
