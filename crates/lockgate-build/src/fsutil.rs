//! File-tree helpers: sorted walks, copies, moves.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{BuildError, io_err};

/// A file found by [`walk_files`].
#[derive(Debug, Clone)]
pub struct Walked {
    /// Path relative to the root, `/`-separated.
    pub rel: String,
    /// The full path.
    pub path: PathBuf,
    /// Whether any execute bit is set.
    pub executable: bool,
    /// Size in bytes.
    pub size: u64,
}

/// Every regular file under `root` (symbolic links followed), sorted by
/// relative path, skipping entries for which `skip(rel)` is true (a skipped
/// directory is not entered).
pub fn walk_files(root: &Path, skip: &dyn Fn(&str) -> bool) -> Result<Vec<Walked>, BuildError> {
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let Ok(rel) = e.path().strip_prefix(root) else {
                return true;
            };
            rel.as_os_str().is_empty() || !skip(&rel_string(rel))
        });
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = e
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| root.to_path_buf());
            let err = e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("a symbolic link loop"));
            io_err(&path, err)
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let meta = entry.metadata().map_err(|e| {
            io_err(
                entry.path(),
                e.into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("unreadable")),
            )
        })?;
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        out.push(Walked {
            rel: rel_string(rel),
            path: entry.path().to_path_buf(),
            executable: meta.permissions().mode() & 0o111 != 0,
            size: meta.len(),
        });
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// A relative path as a `/`-separated string.
pub fn rel_string(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Copies the files of `src` into `dst` (created), keeping execute bits,
/// skipping what `skip` rejects. Returns the number of bytes copied.
pub fn copy_tree(src: &Path, dst: &Path, skip: &dyn Fn(&str) -> bool) -> Result<u64, BuildError> {
    create_dir(dst)?;
    let mut total = 0;
    for f in walk_files(src, skip)? {
        let to = dst.join(&f.rel);
        if let Some(parent) = to.parent() {
            create_dir(parent)?;
        }
        // Replace rather than write through: the target may be a hard link.
        if to.symlink_metadata().is_ok() {
            std::fs::remove_file(&to).map_err(|e| io_err(&to, e))?;
        }
        std::fs::copy(&f.path, &to).map_err(|e| io_err(&f.path, e))?;
        total += f.size;
    }
    Ok(total)
}

/// Creates a directory and its parents.
pub fn create_dir(dir: &Path) -> Result<(), BuildError> {
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))
}

/// Removes a file or directory tree if it exists.
pub fn remove(path: &Path) -> Result<(), BuildError> {
    match path.symlink_metadata() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(path, e)),
        Ok(m) if m.is_dir() => {
            make_writable(path);
            std::fs::remove_dir_all(path).map_err(|e| io_err(path, e))
        }
        Ok(_) => std::fs::remove_file(path).map_err(|e| io_err(path, e)),
    }
}

/// Makes every directory under `root` writable by its owner, so a tree a
/// build left read-only (Go's module cache does this) can be removed.
fn make_writable(root: &Path) {
    for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
        if entry.file_type().is_dir()
            && let Ok(m) = entry.metadata()
            && m.permissions().mode() & 0o200 == 0
        {
            let mut p = m.permissions();
            p.set_mode(p.mode() | 0o700);
            // Best effort: if it fails, remove_dir_all reports the real error.
            let _ = std::fs::set_permissions(entry.path(), p);
        }
    }
}

/// Moves `from` to `to` (replacing `to`), by rename when both are on one
/// file system, else by copy and remove.
pub fn move_tree(from: &Path, to: &Path) -> Result<(), BuildError> {
    remove(to)?;
    if let Some(parent) = to.parent() {
        create_dir(parent)?;
    }
    match std::fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            copy_tree(from, to, &|_| false)?;
            remove(from)
        }
        Err(e) => Err(io_err(from, e)),
    }
}

/// Writes a file atomically (a temporary file renamed into place).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    if let Some(parent) = path.parent() {
        create_dir(parent)?;
    }
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&tmp, bytes).map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_and_skips_pruned_directories() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::create_dir_all(r.join("b/c")).unwrap();
        std::fs::create_dir_all(r.join(".git")).unwrap();
        std::fs::write(r.join("b/c/x.txt"), "x").unwrap();
        std::fs::write(r.join("a.txt"), "a").unwrap();
        std::fs::write(r.join(".git/HEAD"), "h").unwrap();
        let files = walk_files(r, &|rel| rel == ".git").unwrap();
        let rels: Vec<_> = files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["a.txt", "b/c/x.txt"]);
        let dst = r.join("out");
        copy_tree(&r.join("b"), &dst, &|_| false).unwrap();
        assert_eq!(std::fs::read_to_string(dst.join("c/x.txt")).unwrap(), "x");
    }
}
