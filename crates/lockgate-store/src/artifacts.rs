//! The content-addressed artifact store.
//!
//! Every blob lives at `<data-dir>/artifacts/sha256/<first 2 hex>/<other 62 hex>`
//! and is named by the SHA-256 of its bytes, so identical content is stored
//! once. Writes go to `<data-dir>/artifacts/tmp/` first, are flushed, and are
//! renamed into place: a blob is either whole or absent. Reads verify the
//! digest. A directory is stored as one blob per file plus a manifest blob
//! (see [`Manifest`]) whose digest names the directory.
//!
//! The format itself — [`Digest`], [`Manifest`], walking a directory — is
//! the `lockgate-artifact` crate, re-exported here, so that the CLI, which
//! packs and uploads code, computes exactly the digests this store does.
//!
//! The API is synchronous (plain file I/O); async callers wrap calls in
//! `tokio::task::spawn_blocking`.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

pub use lockgate_artifact::{
    ArtifactError, DIGEST_SHAPE, Digest, Hasher, MANIFEST_FORMAT, Manifest, ManifestEntry,
    NEVER_PACKED, ParseDigestError,
};

use crate::error::{Result, StoreError};

impl From<ParseDigestError> for StoreError {
    fn from(e: ParseDigestError) -> Self {
        StoreError::InvalidName {
            kind: "digest",
            value: e.value,
            expected: DIGEST_SHAPE,
        }
    }
}

impl From<ArtifactError> for StoreError {
    fn from(e: ArtifactError) -> Self {
        match e {
            ArtifactError::Io {
                action,
                path,
                source,
            } => StoreError::Io {
                action,
                path,
                source,
            },
            other => StoreError::InvalidInput(other.to_string()),
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

    /// Stores bytes that must hash to `expected` (an upload naming its
    /// digest); refuses them with [`StoreError::DigestMismatch`] otherwise,
    /// storing nothing.
    pub fn put_verified(&self, expected: &Digest, bytes: &[u8]) -> Result<()> {
        let actual = Digest::of(bytes);
        if actual != *expected {
            return Err(StoreError::DigestMismatch {
                expected: expected.to_hex(),
                actual: actual.to_hex(),
            });
        }
        self.put_bytes(bytes).map(|_| ())
    }

    /// Stores a file's content, streaming it; returns its digest.
    pub fn put_file(&self, path: &Path) -> Result<Digest> {
        let mut src = fs::File::open(path).map_err(|e| StoreError::io("open", path, e))?;
        let mut tmp = self.temp_file()?;
        let mut hasher = Hasher::new();
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
        let digest = hasher.finish();
        if !self.exists(&digest) {
            self.commit_temp(tmp, &digest)?;
        }
        Ok(digest)
    }

    /// Stores a directory: each regular file as a blob, then its [`Manifest`];
    /// returns the manifest's digest. The same tree always yields the same
    /// digest, and the same one a client computes with
    /// [`lockgate_artifact::pack_dir`] (one walk for both).
    pub fn put_dir(&self, dir: &Path) -> Result<Digest> {
        let manifest = lockgate_artifact::walk_dir(dir, |path| self.put_file(path))?;
        self.put_bytes(&manifest.to_bytes())
    }

    /// Checks that a directory was stored whole: its manifest is held and
    /// valid, and every file blob it names is held. Answers the digests of
    /// the file blobs that are missing (empty when the directory is whole);
    /// a missing manifest is [`StoreError::NotFound`].
    pub fn missing_files(&self, digest: &Digest) -> Result<Vec<Digest>> {
        let manifest = self.manifest(digest)?;
        Ok(manifest
            .file_digests()
            .filter(|d| !self.exists(d))
            .collect())
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

    /// Reads a directory manifest, checked (see [`Manifest::from_bytes`]).
    pub fn manifest(&self, digest: &Digest) -> Result<Manifest> {
        let bytes = self.get(digest)?;
        Manifest::from_bytes(&bytes)
            .map_err(|e| StoreError::InvalidInput(format!("artifact {digest}: {e}")))
    }

    /// Recreates a stored directory at `dest` (which must not exist yet),
    /// verifying every file.
    pub fn extract_dir(&self, digest: &Digest, dest: &Path) -> Result<()> {
        let manifest = self.manifest(digest)?;
        fs::create_dir(dest).map_err(|e| StoreError::io("create directory", dest, e))?;
        for entry in &manifest.entries {
            let path = dest.join(entry.path());
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
    fn uploads_are_verified_and_directories_checked_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::open(dir.path()).unwrap();
        // Bytes that do not hash to the digest named are refused and not stored.
        let named = Digest::of(b"expected");
        let e = store.put_verified(&named, b"something else").unwrap_err();
        assert!(matches!(e, StoreError::DigestMismatch { .. }), "{e}");
        assert!(store.list().unwrap().is_empty());
        store.put_verified(&named, b"expected").unwrap();
        assert!(store.exists(&named));

        // A manifest whose file blob is missing is not a whole directory.
        let src = dir.path().join("src");
        fs::create_dir_all(&src).unwrap();
        fs::write(src.join("a.py"), "a = 1\n").unwrap();
        let packed = lockgate_artifact::pack_dir(&src).unwrap();
        assert!(matches!(
            store.missing_files(&packed.digest),
            Err(StoreError::NotFound { .. })
        ));
        store
            .put_verified(&packed.digest, &packed.manifest)
            .unwrap();
        let file = Digest::of(b"a = 1\n");
        assert_eq!(store.missing_files(&packed.digest).unwrap(), vec![file]);
        store.put_verified(&file, b"a = 1\n").unwrap();
        assert!(store.missing_files(&packed.digest).unwrap().is_empty());
        // The client's packing and the store's walk name the directory alike.
        assert_eq!(store.put_dir(&src).unwrap(), packed.digest);
        // A blob that is not a manifest is refused as one.
        assert!(matches!(
            store.missing_files(&file),
            Err(StoreError::InvalidInput(_))
        ));
    }
}
