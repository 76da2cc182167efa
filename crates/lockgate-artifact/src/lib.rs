//! Lockgate's artifact format, in one place for both sides of an upload.
//!
//! Code reaches the server as content-addressed blobs: every blob is named
//! by the SHA-256 of its bytes (a [`Digest`]). A directory (a function's
//! `CodeUri`, a layer's `ContentUri`) is one blob per regular file plus a
//! [`Manifest`] blob — the sorted listing of the tree in the `lockgate-dir/1`
//! format — whose digest names the directory.
//!
//! The CLI walks the template's code directories with [`pack_dir`] and
//! uploads only the blobs the server lacks; the server's artifact store
//! (`lockgate-store`, which re-exports these types) stores directories with
//! the same [`walk_dir`]. Because both sides run this one piece of code, the
//! digest the CLI computes is exactly the one the store computes, so an
//! unchanged directory is never uploaded twice. This crate has no I/O but
//! reading the directory it is given, and no dependency on the store's
//! database.

// A library reports through what it returns (and `tracing`), never by printing.
#![warn(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

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

/// What a valid digest looks like, for error messages.
pub const DIGEST_SHAPE: &str = "64 lowercase hex digits, optionally prefixed by `sha256:`";

/// A string that is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid digest name `{value}`: expected {DIGEST_SHAPE}")]
pub struct ParseDigestError {
    /// The rejected text.
    pub value: String,
}

impl FromStr for Digest {
    type Err = ParseDigestError;
    fn from_str(s: &str) -> Result<Self, ParseDigestError> {
        let hex = s.strip_prefix("sha256:").unwrap_or(s);
        let invalid = || ParseDigestError {
            value: s.to_string(),
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
    type Error = ParseDigestError;
    fn try_from(s: String) -> Result<Self, ParseDigestError> {
        s.parse()
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> String {
        d.to_hex()
    }
}

/// Computes a [`Digest`] over bytes fed in pieces (a file streamed, an
/// upload received in chunks).
#[derive(Clone, Default)]
pub struct Hasher(Sha256);

impl Hasher {
    /// A hasher over nothing yet.
    pub fn new() -> Self {
        Hasher(Sha256::new())
    }

    /// Feeds more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest of everything fed.
    pub fn finish(self) -> Digest {
        Digest(self.0.finalize().into())
    }
}

/// Why a directory could not be walked or a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// A file system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "read directory", …).
        action: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A file name or link target that is not UTF-8 (manifests are JSON text).
    #[error("{what} {} is not UTF-8", path.display())]
    NotUtf8 {
        /// "file name" or "link target of".
        what: &'static str,
        /// The path concerned.
        path: PathBuf,
    },
    /// A socket, device or FIFO: nothing a function's code can hold.
    #[error("{} is neither a file, a directory nor a link", path.display())]
    Unsupported {
        /// The path concerned.
        path: PathBuf,
    },
    /// Bytes that are not a valid `lockgate-dir/1` manifest.
    #[error("not a directory manifest: {0}")]
    BadManifest(String),
}

impl ArtifactError {
    fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        ArtifactError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The digest of a file's content, streamed (the file is never held whole).
pub fn digest_file(path: &Path) -> Result<Digest, ArtifactError> {
    let mut file = fs::File::open(path).map_err(|e| ArtifactError::io("open", path, e))?;
    let mut hasher = Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ArtifactError::io("read", path, e)),
        }
    }
    Ok(hasher.finish())
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

impl Manifest {
    /// A manifest of `entries` (sorted here by path).
    pub fn new(mut entries: Vec<ManifestEntry>) -> Self {
        entries.sort_by(|a, b| a.path().cmp(b.path()));
        Manifest {
            format: MANIFEST_FORMAT.to_string(),
            entries,
        }
    }

    /// The manifest's blob: its canonical JSON encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        // A struct of strings, numbers and booleans always encodes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The digest that names the directory: the digest of [`Manifest::to_bytes`].
    pub fn digest(&self) -> Digest {
        Digest::of(&self.to_bytes())
    }

    /// Reads a manifest blob and checks it: the `lockgate-dir/1` format,
    /// every path plain and relative, nothing under a symbolic link.
    pub fn from_bytes(bytes: &[u8]) -> Result<Manifest, ArtifactError> {
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| ArtifactError::BadManifest(e.to_string()))?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(ArtifactError::BadManifest(format!(
                "format `{}`, expected `{MANIFEST_FORMAT}`",
                manifest.format
            )));
        }
        let mut links: Vec<&str> = Vec::new();
        for entry in &manifest.entries {
            let rel = entry.path();
            check_relative(rel)?;
            if links
                .iter()
                .any(|l| rel.strip_prefix(l).is_some_and(|r| r.starts_with('/')))
            {
                return Err(ArtifactError::BadManifest(format!(
                    "entry `{rel}` lies under a symbolic link"
                )));
            }
            if let ManifestEntry::Symlink { path, .. } = entry {
                links.push(path);
            }
        }
        Ok(manifest)
    }

    /// The file blobs the manifest names, each once.
    pub fn file_digests(&self) -> impl Iterator<Item = Digest> + '_ {
        let mut seen = std::collections::HashSet::new();
        self.entries.iter().filter_map(move |e| match e {
            ManifestEntry::File { digest, .. } if seen.insert(*digest) => Some(*digest),
            _ => None,
        })
    }
}

/// Checks that a manifest path is plain and relative (no `..`, no root, not empty).
pub fn check_relative(rel: &str) -> Result<(), ArtifactError> {
    let path = Path::new(rel);
    let ok = !rel.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(())
    } else {
        Err(ArtifactError::BadManifest(format!(
            "entry `{rel}` is not a plain relative path"
        )))
    }
}

/// What is never part of a packed directory, at any depth: Lockgate's own
/// state. `lockgate up` keeps its server's data directory — the admin token,
/// the master key, the database, every stage's code — in `DIR/.lockgate`,
/// and the CLI its unpacked archives beside it; a template whose `CodeUri`
/// is `.` (or a parent) would otherwise ship all of it to its functions,
/// where any of them could read the token and call the admin API.
pub const NEVER_PACKED: &str = ".lockgate";

/// Directories [`state_dirs_under`] does not look into: installed
/// dependencies, build outputs and version control.
pub const NOT_SEARCHED: &[&str] = &[
    ".git",
    ".aws-sam",
    "node_modules",
    "__pycache__",
    ".venv",
    "venv",
    "site-packages",
    "target",
];

/// Every directory named [`NEVER_PACKED`] under `dir` (`dir/.lockgate`
/// and any deeper one: a server started in a subdirectory keeps its state
/// there), for code run in place, where nothing is packed and the sandbox
/// has to hide them instead. A symbolic link named so is answered too (the
/// sandbox hides what it leads to); other links are not followed, a found
/// directory is not looked into, and directories that cannot be read are
/// passed over (what cannot be listed here cannot be listed by a function
/// either). Dependency, build and version-control directories
/// ([`NOT_SEARCHED`]) are not looked into: no server is started in them,
/// and they hold most of a code tree's directories.
pub fn state_dirs_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(here) = todo.pop() {
        let Ok(read) = fs::read_dir(&here) else {
            continue;
        };
        for entry in read.flatten() {
            // The entry's own type: a link to a directory is not a directory.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            if name == NEVER_PACKED && (kind.is_dir() || kind.is_symlink()) {
                found.push(entry.path());
            } else if kind.is_dir() && !NOT_SEARCHED.iter().any(|n| name == *n) {
                todo.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

/// Walks `dir` into its [`Manifest`]: directories, symbolic links (kept as
/// links, not followed) and regular files, whose digests `on_file` gives —
/// the store stores each file there and answers its digest, a client only
/// hashes it. Anything else (a socket, a device) is refused. Entries named
/// [`NEVER_PACKED`] are left out.
pub fn walk_dir<E>(
    dir: &Path,
    mut on_file: impl FnMut(&Path) -> Result<Digest, E>,
) -> Result<Manifest, E>
where
    E: From<ArtifactError>,
{
    let mut entries = Vec::new();
    walk(dir, "", &mut on_file, &mut entries)?;
    Ok(Manifest::new(entries))
}

fn walk<E: From<ArtifactError>>(
    dir: &Path,
    prefix: &str,
    on_file: &mut impl FnMut(&Path) -> Result<Digest, E>,
    out: &mut Vec<ManifestEntry>,
) -> Result<(), E> {
    let read = fs::read_dir(dir).map_err(|e| ArtifactError::io("read directory", dir, e))?;
    let mut children = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| ArtifactError::io("read directory", dir, e))?;
        children.push(entry.path());
    }
    children.sort();
    for path in children {
        let name =
            path.file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| ArtifactError::NotUtf8 {
                    what: "file name",
                    path: path.clone(),
                })?;
        if name == NEVER_PACKED {
            continue;
        }
        let rel = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        };
        let meta = fs::symlink_metadata(&path).map_err(|e| ArtifactError::io("stat", &path, e))?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            let target =
                fs::read_link(&path).map_err(|e| ArtifactError::io("read link", &path, e))?;
            let target = target.to_str().ok_or_else(|| ArtifactError::NotUtf8 {
                what: "link target of",
                path: path.clone(),
            })?;
            out.push(ManifestEntry::Symlink {
                path: rel,
                target: target.to_string(),
            });
        } else if kind.is_dir() {
            out.push(ManifestEntry::Dir { path: rel.clone() });
            walk(&path, &rel, on_file, out)?;
        } else if kind.is_file() {
            let digest = on_file(&path)?;
            out.push(ManifestEntry::File {
                path: rel,
                digest,
                size: meta.len(),
                executable: is_executable(&meta),
            });
        } else {
            return Err(ArtifactError::Unsupported { path }.into());
        }
    }
    Ok(())
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

/// A directory packed for upload: its digest, its manifest blob, and where
/// each of its file blobs is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedDir {
    /// The digest naming the directory (the manifest's).
    pub digest: Digest,
    /// The manifest blob.
    pub manifest: Vec<u8>,
    /// Each distinct file blob and one file holding it.
    pub files: BTreeMap<Digest, PathBuf>,
}

impl PackedDir {
    /// Every blob of the directory: its files, then its manifest.
    pub fn digests(&self) -> impl Iterator<Item = Digest> + '_ {
        self.files
            .keys()
            .copied()
            .chain(std::iter::once(self.digest))
    }
}

/// Packs a directory for upload: hashes every file (nothing is copied) and
/// builds the manifest, exactly as the store does when it stores the same
/// tree.
pub fn pack_dir(dir: &Path) -> Result<PackedDir, ArtifactError> {
    let mut files = BTreeMap::new();
    let manifest = walk_dir(dir, |path| {
        let digest = digest_file(path)?;
        files.entry(digest).or_insert_with(|| path.to_path_buf());
        Ok::<_, ArtifactError>(digest)
    })?;
    let bytes = manifest.to_bytes();
    Ok(PackedDir {
        digest: Digest::of(&bytes),
        manifest: bytes,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lockgate's state is found at any depth, not inside itself, not
    /// through a symbolic link (which would be found where it points) and
    /// not among installed dependencies; a link named as the state is.
    #[test]
    fn state_dirs_are_found_at_any_depth() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for d in [
            ".lockgate/keys/.lockgate",
            "lib/.lockgate",
            "a/b/c/.lockgate",
            "a/not-.lockgate",
            "elsewhere/.lockgate",
            "node_modules/pkg/.lockgate",
        ] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        fs::write(root.join("a/.lockgate"), "a file, not state").unwrap();
        std::os::unix::fs::symlink(root.join("elsewhere"), root.join("a/link")).unwrap();
        fs::create_dir_all(root.join("b")).unwrap();
        std::os::unix::fs::symlink(root.join("a/not-.lockgate"), root.join("b/.lockgate")).unwrap();
        let found = state_dirs_under(&root.join("."));
        let rel: Vec<String> = found
            .iter()
            .map(|p| {
                p.strip_prefix(root.join("."))
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(
            rel,
            [
                ".lockgate",
                "a/b/c/.lockgate",
                "b/.lockgate",
                "elsewhere/.lockgate",
                "lib/.lockgate"
            ]
        );
        assert!(state_dirs_under(&root.join("missing")).is_empty());
    }

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
        let e = "zz".repeat(32).parse::<Digest>().unwrap_err();
        assert!(e.to_string().contains("64 lowercase hex digits"), "{e}");
        let mut h = Hasher::new();
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(h.finish(), d);
    }

    fn tree(root: &Path) {
        fs::create_dir_all(root.join("lib/util")).unwrap();
        fs::create_dir_all(root.join("empty")).unwrap();
        fs::write(root.join("app.py"), "print('hi')\n").unwrap();
        fs::write(root.join("copy.py"), "print('hi')\n").unwrap();
        fs::write(root.join("lib/util/s.py"), "x = 1\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("lib/util", root.join("util")).unwrap();
    }

    #[test]
    fn packing_is_deterministic_and_names_each_blob_once() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        tree(&a);
        tree(&b);
        let pa = pack_dir(&a).unwrap();
        let pb = pack_dir(&b).unwrap();
        assert_eq!(pa.digest, pb.digest, "the same tree elsewhere");
        assert_eq!(pa.manifest, pb.manifest);
        assert_eq!(Digest::of(&pa.manifest), pa.digest);
        // Two files with the same content are one blob.
        assert_eq!(pa.files.len(), 2);
        assert_eq!(pa.digests().count(), 3);
        let m = Manifest::from_bytes(&pa.manifest).unwrap();
        assert_eq!(m.digest(), pa.digest);
        let paths: Vec<&str> = m.entries.iter().map(ManifestEntry::path).collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted);
        assert_eq!(m.file_digests().count(), 2);
        // A change to one file changes the directory's digest.
        fs::write(b.join("app.py"), "print('bye')\n").unwrap();
        assert_ne!(pack_dir(&b).unwrap().digest, pa.digest);
    }

    #[test]
    fn manifests_are_checked_when_read() {
        assert!(matches!(
            Manifest::from_bytes(b"[]"),
            Err(ArtifactError::BadManifest(_))
        ));
        assert!(Manifest::from_bytes(br#"{"format":"other/1","entries":[]}"#).is_err());
        for bad in ["", "../x", "/etc/passwd", "a/../../b", "./a"] {
            assert!(check_relative(bad).is_err(), "{bad}");
            let m = Manifest {
                format: MANIFEST_FORMAT.into(),
                entries: vec![ManifestEntry::Dir { path: bad.into() }],
            };
            assert!(Manifest::from_bytes(&m.to_bytes()).is_err(), "{bad}");
        }
        let under_link = Manifest::new(vec![
            ManifestEntry::Symlink {
                path: "l".into(),
                target: "/etc".into(),
            },
            ManifestEntry::Dir {
                path: "l/passwd".into(),
            },
        ]);
        assert!(Manifest::from_bytes(&under_link.to_bytes()).is_err());
        let beside_link = Manifest::new(vec![
            ManifestEntry::Symlink {
                path: "l".into(),
                target: "x".into(),
            },
            ManifestEntry::Dir { path: "lx".into() },
        ]);
        assert!(Manifest::from_bytes(&beside_link.to_bytes()).is_ok());
    }

    /// Lockgate's own state never ships with the code, wherever it sits in
    /// the tree, and its presence does not change the directory's digest.
    #[test]
    fn lockgate_state_is_never_packed() {
        let tmp = tempfile::tempdir().unwrap();
        let (plain, with_state) = (tmp.path().join("plain"), tmp.path().join("state"));
        tree(&plain);
        tree(&with_state);
        for dir in [
            with_state.join(".lockgate"),
            with_state.join("lib/.lockgate"),
        ] {
            fs::create_dir_all(dir.join("keys")).unwrap();
            fs::write(dir.join("admin.token"), "secret").unwrap();
            fs::write(dir.join("keys/master.key"), "key").unwrap();
        }
        let packed = pack_dir(&with_state).unwrap();
        assert_eq!(packed.digest, pack_dir(&plain).unwrap().digest);
        let m = Manifest::from_bytes(&packed.manifest).unwrap();
        assert!(
            m.entries.iter().all(|e| !e.path().contains(".lockgate")),
            "{:?}",
            m.entries
        );
        assert!(
            packed
                .files
                .values()
                .all(|p| !p.to_string_lossy().contains(".lockgate"))
        );
    }

    #[test]
    fn missing_directories_are_io_errors_naming_the_path() {
        let e = pack_dir(Path::new("/no/such/dir")).unwrap_err();
        assert!(e.to_string().contains("/no/such/dir"), "{e}");
    }
}
