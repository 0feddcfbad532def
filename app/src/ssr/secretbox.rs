//! Credentials at rest: sealed with XChaCha20-Poly1305 under the server's secret key, so a
//! copy of the database (a backup, an export) holds no usable tracker token.
//!
//! The key is 32 bytes, given as 64 hex digits in `HINDSIGHT_SECRET_KEY` (every process of
//! one deployment needs the same), or, for a SQLite database without it, read from the file
//! `DATABASE.key` next to the database and created there (mode 0600) on first start.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::error::{AppError, AppResult};

/// The server's key for sealing credentials.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

const PREFIX: &str = "v1:";

impl SecretKey {
    /// From 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, String> {
        let bytes = hex::decode(s.trim())
            .map_err(|_| "HINDSIGHT_SECRET_KEY must be 64 hex digits (openssl rand -hex 32)")?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "HINDSIGHT_SECRET_KEY must be 32 bytes: 64 hex digits")?;
        Ok(Self(key))
    }

    /// A new random key.
    pub fn generate() -> Self {
        Self(XChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }

    /// `plain` sealed: `v1:` + hex of a random 24-byte nonce and the ciphertext with its tag.
    pub fn seal(&self, plain: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encryption into a Vec fails only when out of memory.
        let sealed = self
            .cipher()
            .encrypt(&nonce, plain.as_bytes())
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(sealed);
        format!("{PREFIX}{}", hex::encode(out))
    }

    /// The plain text of what [`seal`](Self::seal) made with this key; `None` when it was
    /// sealed with another key or changed.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let raw = hex::decode(sealed.strip_prefix(PREFIX)?).ok()?;
        if raw.len() < 24 {
            return None;
        }
        let (nonce, body) = raw.split_at(24);
        let plain = self
            .cipher()
            .decrypt(XNonce::from_slice(nonce), body)
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

static KEY: OnceLock<SecretKey> = OnceLock::new();

/// Sets the process's key (at start-up; later calls keep the first).
pub fn install(key: SecretKey) {
    let _ = KEY.set(key);
}

/// Whether credentials can be stored.
pub fn available() -> bool {
    KEY.get().is_some()
}

fn key() -> AppResult<&'static SecretKey> {
    KEY.get().ok_or_else(|| {
        AppError::invalid(
            "credentials",
            "the server has no secret key to store credentials with: set HINDSIGHT_SECRET_KEY (the same in every process)",
        )
    })
}

/// Seals `plain` with the process's key.
pub fn seal(plain: &str) -> AppResult<String> {
    Ok(key()?.seal(plain))
}

/// Opens what [`seal`] stored; an error (logged without the value) when the key differs.
pub fn open(sealed: &str) -> AppResult<String> {
    key()?.open(sealed).ok_or_else(|| {
        tracing::error!("stored credentials do not open with this server's HINDSIGHT_SECRET_KEY");
        AppError::internal()
    })
}

/// The key file of a SQLite `database_url` (`sqlite://PATH?…` → `PATH.key`); `None` for
/// in-memory databases and PostgreSQL.
pub fn key_file_of(database_url: &str) -> Option<PathBuf> {
    let rest = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.contains(":memory:") || path.starts_with("file::memory") {
        return None;
    }
    Some(PathBuf::from(format!("{path}.key")))
}

/// The key for a server: `HINDSIGHT_SECRET_KEY` when set, else (SQLite) the key file next to
/// the database, created on first use. `Ok(None)`: PostgreSQL without the variable, where
/// credentials cannot be stored until it is set.
pub fn load(env: Option<&str>, database_url: &str) -> Result<Option<SecretKey>, String> {
    if let Some(v) = env.filter(|v| !v.trim().is_empty()) {
        return SecretKey::from_hex(v).map(Some);
    }
    let Some(file) = key_file_of(database_url) else {
        return Ok(None);
    };
    read_or_create(&file).map(Some)
}

fn read_or_create(file: &Path) -> Result<SecretKey, String> {
    match std::fs::read_to_string(file) {
        Ok(s) => SecretKey::from_hex(&s).map_err(|e| format!("{}: {e}", file.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretKey::generate();
            write_private(file, &key.to_hex())
                .map_err(|e| format!("cannot create {}: {e}", file.display()))?;
            // Another process may have won the race: read back what is there.
            let s = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
            SecretKey::from_hex(&s)
        }
        Err(e) => Err(format!("cannot read {}: {e}", file.display())),
    }
}

fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(file) {
        Ok(mut f) => f.write_all(text.as_bytes()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_opens_only_with_its_key_and_unchanged() {
        let k = SecretKey::generate();
        let s = k.seal("api-token-123");
        assert!(s.starts_with("v1:"));
        assert!(!s.contains("api-token-123"));
        assert_eq!(k.open(&s).as_deref(), Some("api-token-123"));
        // A fresh nonce each time.
        assert_ne!(k.seal("api-token-123"), s);
        assert_eq!(SecretKey::generate().open(&s), None);
        let mut bad = s.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(k.open(&String::from_utf8(bad).unwrap()), None);
        assert_eq!(k.open("v1:zz"), None);
        assert_eq!(k.open("plain"), None);
    }

    #[test]
    fn keys_are_64_hex_digits() {
        let k = SecretKey::generate();
        assert_eq!(SecretKey::from_hex(&k.to_hex()).unwrap().0, k.0);
        assert!(SecretKey::from_hex("abcd").is_err());
        assert!(SecretKey::from_hex(&"g".repeat(64)).is_err());
    }

    #[test]
    fn the_key_file_sits_next_to_a_sqlite_database_and_is_kept() {
        assert_eq!(
            key_file_of("sqlite://data/hindsight.db?mode=rwc"),
            Some(PathBuf::from("data/hindsight.db.key"))
        );
        assert_eq!(key_file_of("sqlite::memory:"), None);
        assert_eq!(key_file_of("postgres://u@h/db"), None);
        let dir = std::env::temp_dir().join(format!("hs-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/x.db?mode=rwc", dir.display());
        let first = load(None, &url).unwrap().unwrap();
        let again = load(None, &url).unwrap().unwrap();
        assert_eq!(first.0, again.0, "created once, then read");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("x.db.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let env = SecretKey::generate();
        assert_eq!(load(Some(&env.to_hex()), &url).unwrap().unwrap().0, env.0);
        assert!(load(None, "postgres://u@h/db").unwrap().is_none());
        std::fs::remove_dir_all(&dir).ok();
    }
}
