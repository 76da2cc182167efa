//! The secrets the server keeps in its data directory: the admin token and
//! the server secret that stage credentials are derived from
//! ([`lockgate_sigv4::stage_credentials`]). Each is one file, created at
//! first start with mode 0600 and refused afterwards if group or others can
//! read it.

use std::path::Path;

/// Why a secret file's contents were refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BadSecret {
    /// Nothing but whitespace in it.
    #[error("the file is empty")]
    Empty,
    /// Not the length the secret has.
    #[error("expected {expected} bytes, found {found}")]
    Length {
        /// The secret's length.
        expected: usize,
        /// The file's length.
        found: usize,
    },
}

/// Length of the server secret [`load_or_create_server_secret`] keeps.
pub(crate) const SERVER_SECRET_LEN: usize = 32;

/// Reads the server secret from `path`, or creates it there (32 random bytes,
/// mode 0600, never overwriting a file that appeared meanwhile). A file of
/// the wrong length or readable by group or others is refused with a message
/// naming the file and the fix.
pub(crate) fn load_or_create_server_secret(
    path: &Path,
) -> std::io::Result<[u8; SERVER_SECRET_LEN]> {
    let bytes = load_or_create_secret_file(
        path,
        "server secret",
        || {
            let mut secret = [0u8; SERVER_SECRET_LEN];
            rand::fill(&mut secret);
            secret.to_vec()
        },
        |b| {
            (b.len() == SERVER_SECRET_LEN)
                .then_some(())
                .ok_or(BadSecret::Length {
                    expected: SERVER_SECRET_LEN,
                    found: b.len(),
                })
        },
    )?;
    bytes.as_slice().try_into().map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "server secret: wrong length",
        )
    })
}

/// Reads a secret file (`what` names it in errors), or creates it with
/// `make()` (mode 0600, never overwriting a file that appeared meanwhile).
/// A file readable by group or others, or that `check` refuses, is an error
/// naming the file and the fix.
pub(crate) fn load_or_create_secret_file(
    path: &Path,
    what: &str,
    make: impl FnOnce() -> Vec<u8>,
    check: impl Fn(&[u8]) -> Result<(), BadSecret>,
) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Write};
    #[cfg(unix)]
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

    let read = |path: &Path| -> std::io::Result<Vec<u8>> {
        let meta = std::fs::metadata(path)?;
        #[cfg(unix)]
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                format!(
                    "{what} {} is readable by group or others: run `chmod 600 {}`",
                    path.display(),
                    path.display()
                ),
            ));
        }
        let bytes = std::fs::read(path)?;
        check(&bytes).map_err(|e| {
            Error::new(
                ErrorKind::InvalidData,
                format!("{what} {}: {e}", path.display()),
            )
        })?;
        Ok(bytes)
    };
    match read(path) {
        Ok(secret) => return Ok(secret),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let secret = make();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(&secret)?;
            file.sync_all()?;
            Ok(secret)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => read(path),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_secret_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/credentials.key");
        let a = load_or_create_server_secret(&path).unwrap();
        let b = load_or_create_server_secret(&path).unwrap();
        assert_eq!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = load_or_create_server_secret(&path).unwrap_err();
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
    }
}
