//! SHA-256 digests: of bytes, of files, of source trees.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

use crate::error::{BuildError, io_err};
use crate::fsutil::{self, Walked};

/// A SHA-256 digest. Displayed (and serialized) as 64 lowercase hex digits,
/// as `lockgate-store` names its blobs; parsed with or without `sha256:`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }

    /// The digest of a file's bytes.
    pub fn of_file(path: &Path) -> Result<Digest, BuildError> {
        let mut f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = f.read(&mut buf).map_err(|e| io_err(path, e))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(Digest(h.finalize().into()))
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The first 12 hex digits, for display.
    pub fn short(&self) -> String {
        self.to_hex()[..12].to_string()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest(sha256:{})", self.to_hex())
    }
}

/// Text that is not a digest.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "`{0}` is not a digest: expected 64 lowercase hex digits, optionally prefixed by `sha256:`"
)]
pub struct BadDigest(pub String);

impl FromStr for Digest {
    type Err = BadDigest;
    fn from_str(s: &str) -> Result<Digest, BadDigest> {
        let hex = s.strip_prefix("sha256:").unwrap_or(s);
        let bad = || BadDigest(s.to_string());
        if hex.len() != 64 || !hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, chunk) in hex.as_bytes().chunks(2).enumerate() {
            let text = std::str::from_utf8(chunk).map_err(|_| bad())?;
            out[i] = u8::from_str_radix(text, 16).map_err(|_| bad())?;
        }
        Ok(Digest(out))
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A running hash of labelled parts (each length-prefixed, so parts cannot run together).
#[derive(Clone, Default)]
pub struct KeyHasher(Sha256);

impl KeyHasher {
    /// A new hasher.
    pub fn new(domain: &str) -> KeyHasher {
        let mut k = KeyHasher(Sha256::new());
        k.part(domain.as_bytes());
        k
    }

    /// Adds one part.
    pub fn part(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// Adds a string part.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.part(s.as_bytes())
    }

    /// Adds every file of a tree: relative path, executable bit and contents.
    pub fn tree(
        &mut self,
        root: &Path,
        skip: &dyn Fn(&str) -> bool,
    ) -> Result<&mut Self, BuildError> {
        let files = fsutil::walk_files(root, skip)?;
        self.text(&format!("tree {}", files.len()));
        for Walked {
            rel,
            path,
            executable,
            ..
        } in files
        {
            self.text(&rel);
            self.part(&[u8::from(executable)]);
            let d = Digest::of_file(&path)?;
            self.part(&d.0);
        }
        Ok(self)
    }

    /// The digest.
    pub fn finish(&self) -> Digest {
        Digest(self.0.clone().finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_round_trip_through_text() {
        let d = Digest::of(b"hello");
        assert_eq!(
            d.to_hex(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(d.to_hex().parse::<Digest>().unwrap(), d);
        assert_eq!(format!("sha256:{d}").parse::<Digest>().unwrap(), d);
        assert!("xyz".parse::<Digest>().is_err());
        assert!(d.to_hex().to_uppercase().parse::<Digest>().is_err());
    }

    #[test]
    fn key_parts_do_not_run_together() {
        let a = KeyHasher::new("t").text("ab").text("c").finish();
        let b = KeyHasher::new("t").text("a").text("bc").finish();
        assert_ne!(a, b);
    }
}
