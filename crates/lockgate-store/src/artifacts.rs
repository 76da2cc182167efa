//! The content-addressed artifact store.
//!
//! Every blob lives at `<data-dir>/artifacts/sha256/<first 2 hex>/<other 62 hex>`
//! and is named by the SHA-256 of its bytes, so identical content is stored
//! once. Writes go to `<data-dir>/artifacts/tmp/` first, are flushed, and are
//! renamed into place: a blob is either whole or absent. Reads verify the
//! digest. A directory is stored as one blob per file plus a manifest blob
//! (see [`Manifest`]) whose digest names the directory.
//!
//! The API is synchronous (plain file I/O); async callers wrap calls in
//! `tokio::task::spawn_blocking`.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::{Result, StoreError};

/// A SHA-256 digest naming an artifact. Displayed as 64 lowercase hex digits;
/// parsed with or without a `sha256:` prefix.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest([u8; 32]);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Digest(Sha256::digest(bytes).into())
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The digest as 64 hex digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
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

impl FromStr for Digest {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        let hex = s.strip_prefix("sha256:").unwrap_or(s);
        let invalid = || StoreError::InvalidName {
            kind: "digest",
            value: s.to_string(),
            expected: "64 lowercase hex digits, optionally prefixed by `sha256:`",
        };
        if hex.len() != 64 {
            return Err(invalid());
        }
        let mut out = [0u8; 32];
        for (i, chunk) in hex.as_bytes().chunks(2).enumerate() {
            let text = std::str::from_utf8(chunk).map_err(|_| invalid())?;
            if text.bytes().any(|c| c.is_ascii_uppercase()) {
                return Err(invalid());
            }
            out[i] = u8::from_str_radix(text, 16).map_err(|_| invalid())?;
        }
        Ok(Digest(out))
    }
}

impl TryFrom<String> for Digest {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> String {
        d.to_hex()
    }
}

/// The format tag of directory manifests.
pub const MANIFEST_FORMAT: &str = "lockgate-dir/1";

/// A directory's listing: every entry sorted by path, with no timestamps or
/// owners, so the same tree always gives the same manifest and digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// The entries, sorted by path.
    pub entries: Vec<ManifestEntry>,
}

/// One entry of a [`Manifest`]; paths are relative, `/`-separated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ManifestEntry {
    /// A directory.
    Dir {
        /// Its path.
        path: String,
    },
    /// A regular file, stored as its own blob.
    File {
        /// Its path.
        path: String,
        /// Its content's digest.
        digest: Digest,
        /// Its size in bytes.
        size: u64,
        /// Whether it is executable (a `bootstrap`, say).
        executable: bool,
    },
    /// A symbolic link, kept as a link.
    Symlink {
        /// Its path.
        path: String,
        /// Where it points.
        target: String,
    },
}

impl ManifestEntry {
    /// The entry's path.
    pub fn path(&self) -> &str {
        match self {
            ManifestEntry::Dir { path }
            | ManifestEntry::File { path, .. }
            | ManifestEntry::Symlink { path, .. } => path,
        }
    }
}

/// The local, on-disk artifact store.
#[derive(Clone, Debug)]
pub struct ArtifactStore {
    root: PathBuf,
}

impl ArtifactStore {
    /// Opens (creating if needed) the store under `<data_dir>/artifacts`.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let root = data_dir.join("artifacts");
        for dir in [root.join("sha256"), root.join("tmp")] {
            fs::create_dir_all(&dir).map_err(|e| StoreError::io("create directory", &dir, e))?;
        }
        Ok(ArtifactStore { root })
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        let hex = digest.to_hex();
        self.root.join("sha256").join(&hex[..2]).join(&hex[2..])
    }

    /// Whether a blob is stored.
    pub fn exists(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    /// Where a stored blob lives (for zero-copy readers); `None` when absent.
    /// The path is not verified; use [`ArtifactStore::verify`] or [`ArtifactStore::get`].
    pub fn path_of(&self, digest: &Digest) -> Option<PathBuf> {
        let path = self.blob_path(digest);
        path.is_file().then_some(path)
    }

    /// Stores bytes; returns their digest. Storing the same bytes twice keeps one copy.
    pub fn put_bytes(&self, bytes: &[u8]) -> Result<Digest> {
        let digest = Digest::of(bytes);
        if !self.exists(&digest) {
            let mut tmp = self.temp_file()?;
            tmp.write_all(bytes)
                .map_err(|e| StoreError::io("write", tmp.path().to_path_buf(), e))?;
            self.commit_temp(tmp, &digest)?;
        }
        Ok(digest)
    }

    /// Stores a file's content, streaming it; returns its digest.
    pub fn put_file(&self, path: &Path) -> Result<Digest> {
        let mut src = fs::File::open(path).map_err(|e| StoreError::io("open", path, e))?;
        let mut tmp = self.temp_file()?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(StoreError::io("read", path, e)),
            };
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n])
                .map_err(|e| StoreError::io("write", tmp.path().to_path_buf(), e))?;
        }
        let digest = Digest(hasher.finalize().into());
        if !self.exists(&digest) {
            self.commit_temp(tmp, &digest)?;
        }
        Ok(digest)
    }

    /// Stores a directory: each regular file as a blob, then its [`Manifest`];
    /// returns the manifest's digest. The same tree always yields the same digest.
    pub fn put_dir(&self, dir: &Path) -> Result<Digest> {
        let mut entries = Vec::new();
        self.walk(dir, "", &mut entries)?;
        entries.sort_by(|a, b| a.path().cmp(b.path()));
        let manifest = Manifest {
            format: MANIFEST_FORMAT.to_string(),
            entries,
        };
        let bytes = serde_json::to_vec(&manifest)
            .map_err(|e| StoreError::Corrupt(format!("cannot encode manifest: {e}")))?;
        self.put_bytes(&bytes)
    }

    fn walk(&self, dir: &Path, prefix: &str, out: &mut Vec<ManifestEntry>) -> Result<()> {
        let read = fs::read_dir(dir).map_err(|e| StoreError::io("read directory", dir, e))?;
        let mut children = Vec::new();
        for entry in read {
            let entry = entry.map_err(|e| StoreError::io("read directory", dir, e))?;
            children.push(entry.path());
        }
        children.sort();
        for path in children {
            let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
                StoreError::InvalidInput(format!("file name {} is not UTF-8", path.display()))
            })?;
            let rel = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            let meta = fs::symlink_metadata(&path).map_err(|e| StoreError::io("stat", &path, e))?;
            let kind = meta.file_type();
            if kind.is_symlink() {
                let target =
                    fs::read_link(&path).map_err(|e| StoreError::io("read link", &path, e))?;
                let target = target.to_str().ok_or_else(|| {
                    StoreError::InvalidInput(format!(
                        "link target of {} is not UTF-8",
                        path.display()
                    ))
                })?;
                out.push(ManifestEntry::Symlink {
                    path: rel,
                    target: target.to_string(),
                });
            } else if kind.is_dir() {
                out.push(ManifestEntry::Dir { path: rel.clone() });
                self.walk(&path, &rel, out)?;
            } else if kind.is_file() {
                let digest = self.put_file(&path)?;
                out.push(ManifestEntry::File {
                    path: rel,
                    digest,
                    size: meta.len(),
                    executable: is_executable(&meta),
                });
            } else {
                return Err(StoreError::InvalidInput(format!(
                    "{} is neither a file, a directory nor a link",
                    path.display()
                )));
            }
        }
        Ok(())
    }

    /// Reads a blob, verifying its digest.
    pub fn get(&self, digest: &Digest) -> Result<Vec<u8>> {
        let path = self.blob_path(digest);
        let bytes = fs::read(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                StoreError::not_found("artifact", digest.to_hex())
            } else {
                StoreError::io("read", &path, e)
            }
        })?;
        let actual = Digest::of(&bytes);
        if actual != *digest {
            return Err(StoreError::DigestMismatch {
                expected: digest.to_hex(),
                actual: actual.to_hex(),
            });
        }
        Ok(bytes)
    }

    /// Checks that a stored blob still hashes to its digest.
    pub fn verify(&self, digest: &Digest) -> Result<()> {
        self.get(digest).map(|_| ())
    }

    /// Reads a directory manifest.
    pub fn manifest(&self, digest: &Digest) -> Result<Manifest> {
        let bytes = self.get(digest)?;
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            StoreError::InvalidInput(format!(
                "artifact {digest} is not a directory manifest: {e}"
            ))
        })?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(StoreError::InvalidInput(format!(
                "artifact {digest} has manifest format `{}`, expected `{MANIFEST_FORMAT}`",
                manifest.format
            )));
        }
        Ok(manifest)
    }

    /// Recreates a stored directory at `dest` (which must not exist yet),
    /// verifying every file.
    pub fn extract_dir(&self, digest: &Digest, dest: &Path) -> Result<()> {
        let manifest = self.manifest(digest)?;
        fs::create_dir(dest).map_err(|e| StoreError::io("create directory", dest, e))?;
        let mut links: Vec<&str> = Vec::new();
        for entry in &manifest.entries {
            let rel = entry.path();
            check_relative(rel)?;
            if links.iter().any(|l| rel.starts_with(&format!("{l}/"))) {
                return Err(StoreError::InvalidInput(format!(
                    "manifest entry `{rel}` lies under a symbolic link"
                )));
            }
            let path = dest.join(rel);
            match entry {
                ManifestEntry::Dir { .. } => {
                    fs::create_dir_all(&path)
                        .map_err(|e| StoreError::io("create directory", &path, e))?;
                }
                ManifestEntry::File {
                    digest, executable, ..
                } => {
                    let bytes = self.get(digest)?;
                    fs::write(&path, bytes).map_err(|e| StoreError::io("write", &path, e))?;
                    if *executable {
                        set_executable(&path)?;
                    }
                }
                ManifestEntry::Symlink { target, .. } => {
                    make_symlink(target, &path)?;
                    links.push(rel);
                }
            }
        }
        Ok(())
    }

    /// Every stored digest.
    pub fn list(&self) -> Result<BTreeSet<Digest>> {
        let base = self.root.join("sha256");
        let mut out = BTreeSet::new();
        let shards = fs::read_dir(&base).map_err(|e| StoreError::io("read directory", &base, e))?;
        for shard in shards {
            let shard = shard.map_err(|e| StoreError::io("read directory", &base, e))?;
            let shard_name = shard.file_name().to_string_lossy().into_owned();
            let files = fs::read_dir(shard.path())
                .map_err(|e| StoreError::io("read directory", shard.path(), e))?;
            for file in files {
                let file = file.map_err(|e| StoreError::io("read directory", shard.path(), e))?;
                let name = file.file_name().to_string_lossy().into_owned();
                if let Ok(d) = format!("{shard_name}{name}").parse::<Digest>() {
                    out.insert(d);
                }
            }
        }
        Ok(out)
    }

    /// Digests no root reaches: not a root, and not a file of a root manifest.
    /// Roots usually come from [`Store::referenced_artifacts`](crate::Store::referenced_artifacts).
    pub fn garbage(&self, roots: impl IntoIterator<Item = Digest>) -> Result<Vec<Digest>> {
        let mut live: HashSet<Digest> = HashSet::new();
        for root in roots {
            live.insert(root);
            if let Ok(manifest) = self.manifest(&root) {
                for entry in manifest.entries {
                    if let ManifestEntry::File { digest, .. } = entry {
                        live.insert(digest);
                    }
                }
            }
        }
        Ok(self
            .list()?
            .into_iter()
            .filter(|d| !live.contains(d))
            .collect())
    }

    /// Deletes a blob; returns whether it existed.
    pub fn remove(&self, digest: &Digest) -> Result<bool> {
        let path = self.blob_path(digest);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::io("remove", &path, e)),
        }
    }

    /// Removes temporary files left by writes a crash interrupted; returns how
    /// many. Call at startup, while no other process writes to this store.
    pub fn clean_temp(&self) -> Result<usize> {
        let dir = self.root.join("tmp");
        let mut removed = 0;
        let entries = fs::read_dir(&dir).map_err(|e| StoreError::io("read directory", &dir, e))?;
        for entry in entries {
            let path = entry
                .map_err(|e| StoreError::io("read directory", &dir, e))?
                .path();
            if path.is_file() {
                fs::remove_file(&path).map_err(|e| StoreError::io("remove", &path, e))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    fn temp_file(&self) -> Result<tempfile::NamedTempFile> {
        let dir = self.root.join("tmp");
        tempfile::Builder::new()
            .prefix("blob-")
            .tempfile_in(&dir)
            .map_err(|e| StoreError::io("create temporary file in", &dir, e))
    }

    fn commit_temp(&self, tmp: tempfile::NamedTempFile, digest: &Digest) -> Result<()> {
        tmp.as_file()
            .sync_all()
            .map_err(|e| StoreError::io("flush", tmp.path().to_path_buf(), e))?;
        let dest = self.blob_path(digest);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| StoreError::io("create directory", parent, e))?;
        }
        // Blobs are read-only once in place.
        set_read_only(tmp.path())?;
        tmp.persist(&dest)
            .map_err(|e| StoreError::io("rename into", &dest, e.error))?;
        Ok(())
    }
}

fn check_relative(rel: &str) -> Result<()> {
    let path = Path::new(rel);
    let ok = !rel.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidInput(format!(
            "manifest entry `{rel}` is not a plain relative path"
        )))
    }
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .map_err(|e| StoreError::io("chmod", path, e))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_read_only(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o444))
        .map_err(|e| StoreError::io("chmod", path, e))
}

#[cfg(not(unix))]
fn set_read_only(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(unix)]
fn make_symlink(target: &str, path: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, path).map_err(|e| StoreError::io("create link", path, e))
}

#[cfg(not(unix))]
fn make_symlink(_target: &str, path: &Path) -> Result<()> {
    Err(StoreError::InvalidInput(format!(
        "cannot create symbolic link {} on this platform",
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_parse_and_display() {
        let d = Digest::of(b"abc");
        assert_eq!(
            d.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        assert_eq!(format!("sha256:{d}").parse::<Digest>().unwrap(), d);
        assert!("abc".parse::<Digest>().is_err());
        assert!(d.to_string().to_uppercase().parse::<Digest>().is_err());
        assert!("zz".repeat(32).parse::<Digest>().is_err());
    }

    #[test]
    fn put_get_and_dedup() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::open(dir.path()).unwrap();
        let a = store.put_bytes(b"hello").unwrap();
        let b = store.put_bytes(b"hello").unwrap();
        assert_eq!(a, b);
        assert_eq!(store.list().unwrap().len(), 1);
        assert_eq!(store.get(&a).unwrap(), b"hello");
        assert!(store.exists(&a));
        let missing = Digest::of(b"nope");
        assert!(!store.exists(&missing));
        assert!(store.path_of(&missing).is_none());
        assert!(matches!(
            store.get(&missing),
            Err(StoreError::NotFound { .. })
        ));
        // Nothing left behind in tmp.
        assert_eq!(fs::read_dir(store.root().join("tmp")).unwrap().count(), 0);
        // A write cut short leaves a temp file, which clean_temp removes.
        let stray = store.temp_file().unwrap();
        let (_file, path) = stray.keep().unwrap();
        assert!(path.exists());
        assert_eq!(store.clean_temp().unwrap(), 1);
        assert!(!path.exists());
        assert_eq!(store.list().unwrap().len(), 1);
    }

    #[test]
    fn corruption_detected() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::open(dir.path()).unwrap();
        let d = store.put_bytes(b"original").unwrap();
        let path = store.path_of(&d).unwrap();
        let mut perms = fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(&path, perms).unwrap();
        fs::write(&path, b"tampered").unwrap();
        assert!(matches!(
            store.get(&d),
            Err(StoreError::DigestMismatch { .. })
        ));
    }

    #[test]
    fn manifest_paths_are_checked() {
        for bad in ["", "../x", "/etc/passwd", "a/../../b", "./a"] {
            assert!(check_relative(bad).is_err(), "{bad}");
        }
        assert!(check_relative("a/b.py").is_ok());
    }
}
