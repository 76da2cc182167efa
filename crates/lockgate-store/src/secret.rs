//! Secret values and their encryption at rest.
//!
//! `SecureString` parameters are sealed with AES-256-GCM under a 32-byte
//! master key kept in a file outside the database
//! (`<data-dir>/keys/master.key`, mode 0600, created at first start). Every
//! value gets a fresh random 96-bit nonce, and the ciphertext is bound to the
//! parameter's name and version as associated data, so a sealed value copied
//! to another row fails to decrypt.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::error::{Result, StoreError};

/// A secret string: never printed by `Debug` or `Display`, wiped from memory
/// when dropped. Read it with [`SecretString::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(Zeroizing::new(value.into()))
    }

    /// The secret itself: the one explicit way to read it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        SecretString::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        SecretString::new(value)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(\"****\")")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// Length of an AES-GCM nonce, in bytes.
pub const NONCE_LEN: usize = 12;

/// A value encrypted at rest; opening it needs the [`Keyring`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedValue {
    /// Which key sealed it (a fingerprint of the key, not the key).
    pub key_id: String,
    /// The random nonce used for this value.
    pub nonce: Vec<u8>,
    /// The ciphertext with its authentication tag.
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for SealedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedValue")
            .field("key_id", &self.key_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

/// Length of the master key, in bytes.
pub const KEY_LEN: usize = 32;

/// The master key and the cipher built from it.
#[derive(Clone)]
pub struct Keyring {
    cipher: Aes256Gcm,
    key_id: String,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Where the master key lives under a data directory.
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("keys").join("master.key")
}

impl Keyring {
    /// Loads `<data_dir>/keys/master.key`, creating it (mode 0600, in a 0700
    /// directory) with a fresh random key when it does not exist.
    ///
    /// Refuses a key file that group or others may read, or of the wrong length.
    pub fn load_or_create(data_dir: &Path) -> Result<Self> {
        let path = key_path(data_dir);
        let dir = path.parent().unwrap_or(data_dir);
        create_private_dir(dir)?;
        if !path.exists() {
            let key = Zeroizing::new(
                Key::<Aes256Gcm>::try_generate()
                    .map_err(|e| StoreError::KeyFile {
                        path: path.clone(),
                        reason: format!("cannot generate a random key: {e}"),
                    })?
                    .to_vec(),
            );
            // tempfile creates the file with mode 0600; the link makes it
            // appear whole or not at all, and never replaces a key another
            // process created meanwhile.
            let mut tmp = tempfile::Builder::new()
                .prefix(".master.key.")
                .tempfile_in(dir)
                .map_err(|e| StoreError::io("create temporary key file in", dir, e))?;
            tmp.write_all(&key)
                .and_then(|()| tmp.as_file().sync_all())
                .map_err(|e| StoreError::io("write", tmp.path().to_path_buf(), e))?;
            if let Err(e) = tmp.persist_noclobber(&path)
                && e.error.kind() != std::io::ErrorKind::AlreadyExists
            {
                return Err(StoreError::io("create", &path, e.error));
            }
        }
        Self::load(&path)
    }

    /// Loads an existing key file.
    pub fn load(path: &Path) -> Result<Self> {
        check_private(path)?;
        let bytes =
            Zeroizing::new(std::fs::read(path).map_err(|e| StoreError::io("read", path, e))?);
        if bytes.len() != KEY_LEN {
            return Err(StoreError::KeyFile {
                path: path.to_path_buf(),
                reason: format!("holds {} bytes, expected {KEY_LEN}", bytes.len()),
            });
        }
        Ok(Self::from_key_bytes(&bytes))
    }

    fn from_key_bytes(bytes: &[u8]) -> Self {
        let fingerprint = Sha256::digest(bytes);
        let key_id = fingerprint[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut key = Key::<Aes256Gcm>::default();
        key.copy_from_slice(bytes);
        let cipher = Aes256Gcm::new(&key);
        Keyring { cipher, key_id }
    }

    /// A keyring over an in-memory key (tests, or keys from elsewhere).
    pub fn from_key(key: &[u8; KEY_LEN]) -> Self {
        Self::from_key_bytes(key)
    }

    /// The key's fingerprint, stored beside each sealed value.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Encrypts `plaintext` with a fresh nonce, bound to `context`.
    pub fn seal(&self, plaintext: &SecretString, context: &str) -> Result<SealedValue> {
        let nonce = aes_gcm::Nonce::<aes_gcm::aes::cipher::consts::U12>::try_generate()
            .map_err(|e| StoreError::Corrupt(format!("cannot generate a random nonce: {e}")))?;
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.expose().as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Decrypt {
                what: context.to_string(),
            })?;
        Ok(SealedValue {
            key_id: self.key_id.clone(),
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Decrypts a sealed value bound to `context`.
    pub fn open(&self, sealed: &SealedValue, context: &str) -> Result<SecretString> {
        let fail = || StoreError::Decrypt {
            what: context.to_string(),
        };
        if sealed.key_id != self.key_id || sealed.nonce.len() != NONCE_LEN {
            return Err(fail());
        }
        let mut nonce = aes_gcm::Nonce::<aes_gcm::aes::cipher::consts::U12>::default();
        nonce.copy_from_slice(&sealed.nonce);
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(
                    &nonce,
                    Payload {
                        msg: &sealed.ciphertext,
                        aad: context.as_bytes(),
                    },
                )
                .map_err(|_| fail())?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| fail())?;
        Ok(SecretString::new(text))
    }
}

/// How a column sealed at rest starts: `sealed:v1:<key id>:<base64 of
/// nonce and ciphertext>`.
pub(crate) const SEALED_TEXT: &str = "sealed:v1:";

impl Keyring {
    /// Seals a column's text at rest, bound to the column's name: resource
    /// properties and attributes and function configurations may hold
    /// NoEcho parameter values, which must not sit in the database in clear.
    pub(crate) fn seal_text(&self, text: &str, column: &str) -> Result<String> {
        use base64::Engine as _;
        let sealed = self.seal(&SecretString::new(text), column)?;
        let mut bytes = sealed.nonce;
        bytes.extend_from_slice(&sealed.ciphertext);
        Ok(format!(
            "{SEALED_TEXT}{}:{}",
            sealed.key_id,
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))
    }

    /// A column's text, opened when it was sealed by [`Keyring::seal_text`]
    /// (text written before sealing existed passes unchanged).
    pub(crate) fn open_text(&self, text: String, column: &str) -> Result<String> {
        use base64::Engine as _;
        let Some(rest) = text.strip_prefix(SEALED_TEXT) else {
            return Ok(text);
        };
        let corrupt = || StoreError::Decrypt {
            what: format!("column {column}"),
        };
        let (key_id, b64) = rest.split_once(':').ok_or_else(corrupt)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| corrupt())?;
        if bytes.len() < NONCE_LEN {
            return Err(corrupt());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let sealed = SealedValue {
            key_id: key_id.to_string(),
            nonce: nonce.to_vec(),
            ciphertext: ciphertext.to_vec(),
        };
        Ok(self.open(&sealed, column)?.expose().to_string())
    }
}

/// Creates a directory (and parents) the owner's alone (0700), and makes an
/// existing one so: the data directory and its `keys/`.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| StoreError::io("create directory", dir, e))?;
    // An existing one readable by others (an older server made it 0755)
    // becomes the owner's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)
            .map_err(|e| StoreError::io("read", dir, e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| StoreError::io("restrict the permissions of", dir, e))?;
        }
    }
    Ok(())
}

fn check_private(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| StoreError::io("read", path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(StoreError::KeyFile {
                path: path.to_path_buf(),
                reason: format!(
                    "is readable by group or others (mode {mode:03o}); run `chmod 600` on it"
                ),
            });
        }
    }
    if !meta.is_file() {
        return Err(StoreError::KeyFile {
            path: path.to_path_buf(),
            reason: "is not a regular file".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_printed() {
        let s = SecretString::new("hunter2");
        assert_eq!(format!("{s}"), "****");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn sealed_text_opens_and_plain_text_passes() {
        let k = Keyring::from_key(&[7u8; KEY_LEN]);
        let sealed = k
            .seal_text(r#"{"Password":"hunter2"}"#, "properties")
            .unwrap();
        assert!(sealed.starts_with(SEALED_TEXT) && !sealed.contains("hunter2"));
        assert_eq!(
            k.open_text(sealed.clone(), "properties").unwrap(),
            r#"{"Password":"hunter2"}"#
        );
        // Bound to its column; another key cannot open it.
        assert!(k.open_text(sealed.clone(), "config").is_err());
        assert!(
            Keyring::from_key(&[8u8; KEY_LEN])
                .open_text(sealed, "properties")
                .is_err()
        );
        assert_eq!(k.open_text("{}".into(), "properties").unwrap(), "{}");
    }

    #[test]
    fn seal_and_open() {
        let k = Keyring::from_key(&[7; KEY_LEN]);
        let secret = SecretString::new("correct horse");
        let a = k.seal(&secret, "p:1").unwrap();
        let b = k.seal(&secret, "p:1").unwrap();
        assert_ne!(a.nonce, b.nonce, "a fresh nonce per value");
        assert_ne!(a.ciphertext, b.ciphertext);
        assert!(!format!("{a:?}").contains("correct"));
        assert_eq!(k.open(&a, "p:1").unwrap().expose(), "correct horse");
        assert!(matches!(k.open(&a, "p:2"), Err(StoreError::Decrypt { .. })));
        let mut tampered = a.clone();
        tampered.ciphertext[0] ^= 1;
        assert!(k.open(&tampered, "p:1").is_err());
        let other = Keyring::from_key(&[8; KEY_LEN]);
        assert!(other.open(&a, "p:1").is_err());
    }

    #[test]
    fn key_file_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let k1 = Keyring::load_or_create(dir.path()).unwrap();
        let path = key_path(dir.path());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(std::fs::read(&path).unwrap().len(), KEY_LEN);
        let k2 = Keyring::load_or_create(dir.path()).unwrap();
        assert_eq!(k1.key_id(), k2.key_id());
        let sealed = k1.seal(&"x".into(), "c").unwrap();
        assert_eq!(k2.open(&sealed, "c").unwrap().expose(), "x");
    }

    #[cfg(unix)]
    #[test]
    fn world_readable_key_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        Keyring::load_or_create(dir.path()).unwrap();
        let path = key_path(dir.path());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Keyring::load_or_create(dir.path()).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn short_key_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(dir.path());
        create_private_dir(path.parent().unwrap()).unwrap();
        let mut f = tempfile::NamedTempFile::new_in(path.parent().unwrap()).unwrap();
        f.write_all(b"short").unwrap();
        f.persist(&path).unwrap();
        let err = Keyring::load(&path).unwrap_err();
        assert!(err.to_string().contains("expected 32"), "{err}");
    }
}
