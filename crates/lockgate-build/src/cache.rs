//! The build cache: where results and dependency caches are kept between builds.
//!
//! One directory (by default `$LOCKGATE_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/lockgate/build`, else `~/.cache/lockgate/build`):
//!
//! | path | what |
//! |---|---|
//! | `index/<key>.json` | a finished function or layer build: its input key → the artifact's digest and sizes |
//! | `artifacts/<digest>.zip` | the artifacts, named by the SHA-256 of their bytes |
//! | `deps/<key>/` | installed dependencies (pip's `-t` tree, `node_modules`), keyed by the lock files, runtime and interpreter |
//! | `keyed/<namespace>/<hash of key>/` | tool caches restored into fresh workspaces (pip's and npm's download caches, a buildspec's `cache: paths`), with `meta.json` holding the key |
//! | `work/<build id>/` | ephemeral workspaces, removed when their build ends |
//! | `logs/<build id>.log` | kept build logs |
//!
//! Everything written is written whole: into a temporary place first, then
//! renamed. Deleting the directory loses nothing but time.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::digest::{Digest, KeyHasher};
use crate::error::BuildError;
use crate::fsutil;

/// Environment variable overriding the cache directory.
pub const ENV_CACHE_DIR: &str = "LOCKGATE_CACHE_DIR";

/// The default cache directory (see the module documentation).
pub fn default_cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os(ENV_CACHE_DIR).filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("lockgate").join("build")
}

/// A cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// A finished build in the index.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct IndexEntry {
    /// The artifact.
    pub digest: Digest,
    /// Its size.
    pub zipped_bytes: u64,
    /// The size of its files.
    pub unzipped_bytes: u64,
    /// The biggest top-level entries and their unzipped sizes, biggest first.
    pub contributors: Vec<(String, u64)>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct KeyedMeta {
    key: String,
    saved_ms: u128,
}

impl Cache {
    /// The cache at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    /// The cache's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the artifact with this digest is kept.
    pub fn artifact_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("artifacts").join(format!("{digest}.zip"))
    }

    /// A fresh directory for an ephemeral workspace.
    pub fn work_dir(&self, build_id: &str) -> Result<PathBuf, BuildError> {
        let d = self.root.join("work").join(build_id);
        fsutil::remove(&d)?;
        fsutil::create_dir(&d)?;
        Ok(d)
    }

    /// Where a build's log is kept.
    pub fn log_path(&self, build_id: &str) -> PathBuf {
        self.root
            .join("logs")
            .join(format!("{}.log", build_id.replace([':', '/'], "-")))
    }

    /// A place for temporary files on the cache's file system (so results can be renamed into place).
    pub fn tmp_path(&self, what: &str) -> PathBuf {
        self.root
            .join("tmp")
            .join(format!("{what}-{}", uuid::Uuid::new_v4().simple()))
    }

    /// The index entry for an input key, if present and its artifact still exists.
    pub fn lookup(&self, key: &Digest) -> Option<IndexEntry> {
        let text = std::fs::read(self.root.join("index").join(format!("{key}.json"))).ok()?;
        let entry: IndexEntry = serde_json::from_slice(&text).ok()?;
        self.artifact_path(&entry.digest).is_file().then_some(entry)
    }

    /// Records a finished build.
    pub fn record(&self, key: &Digest, entry: &IndexEntry) -> Result<(), BuildError> {
        let path = self.root.join("index").join(format!("{key}.json"));
        let bytes = serde_json::to_vec_pretty(entry).unwrap_or_default();
        fsutil::write_atomic(&path, &bytes)
    }

    /// The installed-dependencies tree for a key, if present.
    pub fn deps(&self, key: &Digest) -> Option<PathBuf> {
        let d = self.root.join("deps").join(key.to_hex());
        d.join(".complete").is_file().then_some(d)
    }

    /// Moves a finished dependencies tree into the cache.
    pub fn save_deps(&self, key: &Digest, tree: &Path) -> Result<PathBuf, BuildError> {
        std::fs::write(tree.join(".complete"), b"").map_err(|e| crate::error::io_err(tree, e))?;
        let d = self.root.join("deps").join(key.to_hex());
        fsutil::move_tree(tree, &d)?;
        Ok(d)
    }

    fn keyed_dir(&self, namespace: &str, key: &str) -> PathBuf {
        let h = KeyHasher::new("keyed").text(key).finish();
        self.root
            .join("keyed")
            .join(namespace)
            .join(&h.to_hex()[..32])
    }

    /// Finds a keyed cache: the exact `key`, else the most recently saved
    /// entry whose key starts with one of `fallbacks` (tried in order).
    /// Returns the key found and its directory.
    pub fn find_keyed(
        &self,
        namespace: &str,
        key: &str,
        fallbacks: &[String],
    ) -> Option<(String, PathBuf)> {
        let exact = self.keyed_dir(namespace, key);
        if exact.join("meta.json").is_file() {
            return Some((key.to_string(), exact.join("data")));
        }
        let entries: Vec<(KeyedMeta, PathBuf)> =
            std::fs::read_dir(self.root.join("keyed").join(namespace))
                .ok()?
                .flatten()
                .filter_map(|e| {
                    let meta: KeyedMeta =
                        serde_json::from_slice(&std::fs::read(e.path().join("meta.json")).ok()?)
                            .ok()?;
                    Some((meta, e.path().join("data")))
                })
                .collect();
        for prefix in fallbacks {
            let best = entries
                .iter()
                .filter(|(m, _)| m.key.starts_with(prefix.as_str()))
                .max_by_key(|(m, _)| m.saved_ms);
            if let Some((m, d)) = best {
                return Some((m.key.clone(), d.clone()));
            }
        }
        None
    }

    /// Copies a keyed cache's files into `into` (created). Returns the key restored, if any.
    pub fn restore_keyed(
        &self,
        namespace: &str,
        key: &str,
        fallbacks: &[String],
        into: &Path,
    ) -> Result<Option<String>, BuildError> {
        let Some((found, dir)) = self.find_keyed(namespace, key, fallbacks) else {
            fsutil::create_dir(into)?;
            return Ok(None);
        };
        fsutil::copy_tree(&dir, into, &|_| false)?;
        Ok(Some(found))
    }

    /// Saves `from` (moved) as the keyed cache `key`, replacing what was there.
    pub fn save_keyed(&self, namespace: &str, key: &str, from: &Path) -> Result<(), BuildError> {
        if !from.is_dir() {
            return Ok(());
        }
        let dir = self.keyed_dir(namespace, key);
        let staging = self.tmp_path("keyed");
        fsutil::create_dir(&staging)?;
        fsutil::move_tree(from, &staging.join("data"))?;
        let meta = KeyedMeta {
            key: key.to_string(),
            saved_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0),
        };
        fsutil::write_atomic(
            &staging.join("meta.json"),
            &serde_json::to_vec(&meta).unwrap_or_default(),
        )?;
        fsutil::move_tree(&staging, &dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_caches_restore_exact_then_fallback_prefixes() {
        let t = tempfile::tempdir().unwrap();
        let cache = Cache::new(t.path().join("cache"));
        let src = t.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("f"), "one").unwrap();
        cache.save_keyed("npm", "npm-linux-abc", &src).unwrap();
        assert!(!src.exists(), "saving moves the directory");

        let into = t.path().join("r1");
        let found = cache
            .restore_keyed("npm", "npm-linux-abc", &[], &into)
            .unwrap();
        assert_eq!(found.as_deref(), Some("npm-linux-abc"));
        assert_eq!(std::fs::read_to_string(into.join("f")).unwrap(), "one");

        let into = t.path().join("r2");
        let none = cache
            .restore_keyed("npm", "npm-linux-def", &["pip-".into()], &into)
            .unwrap();
        assert_eq!(none, None);
        assert!(into.is_dir());
        let fb = cache
            .restore_keyed(
                "npm",
                "npm-linux-def",
                &["pip-".into(), "npm-linux-".into()],
                &t.path().join("r3"),
            )
            .unwrap();
        assert_eq!(fb.as_deref(), Some("npm-linux-abc"));
    }
}
