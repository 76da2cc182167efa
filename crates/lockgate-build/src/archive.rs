//! Deterministic zip archives: the same tree always gives the same bytes,
//! so the archive's SHA-256 names the content.
//!
//! Entries are the tree's regular files (symbolic links followed), sorted by
//! `/`-separated relative path; every entry has the DOS epoch as its time
//! (1980-01-01 00:00:00), mode 0755 when any execute bit is set and 0644
//! otherwise, no extra fields, and Deflate at a fixed level.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::digest::Digest;
use crate::error::{BuildError, io_err, zip_err};
use crate::fsutil::{self, walk_files};

/// What [`zip_dir`] wrote.
#[derive(Debug, Clone)]
pub struct Zipped {
    /// SHA-256 of the archive's bytes.
    pub digest: Digest,
    /// Size of the archive.
    pub zipped_bytes: u64,
    /// Total size of the files in it.
    pub unzipped_bytes: u64,
    /// Number of files.
    pub files: usize,
    /// Unzipped size per top-level entry (a file, or a directory's whole tree).
    pub contributors: BTreeMap<String, u64>,
}

/// The options of every entry.
fn entry_options(executable: bool) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(DateTime::default())
        .unix_permissions(if executable { 0o755 } else { 0o644 })
        .large_file(false)
}

/// Zips the files of `dir` into `out` (replaced atomically).
pub fn zip_dir(dir: &Path, out: &Path) -> Result<Zipped, BuildError> {
    let files = walk_files(dir, &|_| false)?;
    if let Some(parent) = out.parent() {
        fsutil::create_dir(parent)?;
    }
    let tmp = out.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    let file = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    let mut zip = ZipWriter::new(std::io::BufWriter::new(file));
    let mut contributors: BTreeMap<String, u64> = BTreeMap::new();
    let mut unzipped = 0;
    for f in &files {
        let opts = entry_options(f.executable).large_file(f.size >= u32::MAX as u64);
        zip.start_file(f.rel.as_str(), opts)
            .map_err(|e| zip_err(&tmp, e))?;
        let mut src = std::fs::File::open(&f.path).map_err(|e| io_err(&f.path, e))?;
        std::io::copy(&mut src, &mut zip).map_err(|e| io_err(&f.path, e))?;
        unzipped += f.size;
        let top = f.rel.split('/').next().unwrap_or(&f.rel).to_string();
        *contributors.entry(top).or_default() += f.size;
    }
    let mut w = zip.finish().map_err(|e| zip_err(&tmp, e))?;
    w.flush().map_err(|e| io_err(&tmp, e))?;
    drop(w);
    std::fs::rename(&tmp, out).map_err(|e| io_err(out, e))?;
    let zipped_bytes = std::fs::metadata(out).map_err(|e| io_err(out, e))?.len();
    Ok(Zipped {
        digest: Digest::of_file(out)?,
        zipped_bytes,
        unzipped_bytes: unzipped,
        files: files.len(),
        contributors,
    })
}

/// Extracts an archive into `dir` (created), keeping the entries' modes.
pub fn unzip(archive: &Path, dir: &Path) -> Result<(), BuildError> {
    let file = std::fs::File::open(archive).map_err(|e| io_err(archive, e))?;
    let mut zip =
        ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| zip_err(archive, e))?;
    fsutil::create_dir(dir)?;
    zip.extract(dir).map_err(|e| zip_err(archive, e))
}

/// Whether `path` is an archive Lambda takes as code: a `.zip` or `.jar`
/// file (what `sam package` uploads as it is).
pub fn is_code_archive(path: &Path) -> bool {
    let named = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip") || e.eq_ignore_ascii_case("jar"));
    named && path.is_file()
}

/// The directory holding the contents of `archive`, under `cache_root` and
/// named by the archive's SHA-256: unpacked once (into a temporary
/// directory renamed into place, so a half-unpacked tree is never used)
/// and reused while the archive is unchanged. Entries that would land
/// outside the directory (`../x`, absolute names) are refused.
pub fn unpacked(archive: &Path, cache_root: &Path) -> Result<std::path::PathBuf, BuildError> {
    let digest = Digest::of_file(archive)?;
    let dest = cache_root.join(digest.to_string());
    if dest.is_dir() {
        return Ok(dest);
    }
    fsutil::create_dir(cache_root)?;
    let tmp = cache_root.join(format!(".{digest}.{}", uuid::Uuid::new_v4().simple()));
    if let Err(e) = unzip(archive, &tmp) {
        // Tidying is best effort: the error that matters is the archive's.
        let _ = fsutil::remove(&tmp);
        return Err(e);
    }
    match std::fs::rename(&tmp, &dest) {
        Ok(()) => Ok(dest),
        // Another process unpacked the same archive first: theirs is as good.
        Err(_) if dest.is_dir() => {
            let _ = fsutil::remove(&tmp);
            Ok(dest)
        }
        Err(e) => Err(io_err(&dest, e)),
    }
}

/// The names of an archive's entries, in order.
pub fn entry_names(archive: &Path) -> Result<Vec<String>, BuildError> {
    let file = std::fs::File::open(archive).map_err(|e| io_err(archive, e))?;
    let mut zip =
        ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| zip_err(archive, e))?;
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let e = zip.by_index_raw(i).map_err(|e| zip_err(archive, e))?;
        names.push(e.name().map_err(|e| zip_err(archive, e))?.to_string());
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A code archive is unpacked once into a directory named by its
    /// digest; a broken one is an error that leaves nothing behind.
    #[test]
    fn code_archives_unpack_once_by_digest() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        tree(&src, &[("app.py", "print(1)"), ("pkg/mod.py", "x = 1")]);
        let archive = tmp.path().join("Fn.ZIP");
        zip_dir(&src, &archive).unwrap();
        assert!(is_code_archive(&archive));
        assert!(!is_code_archive(&src));
        assert!(!is_code_archive(&tmp.path().join("missing.zip")));
        let cache = tmp.path().join("unpacked");
        let dir = unpacked(&archive, &cache).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("pkg/mod.py")).unwrap(),
            "x = 1"
        );
        assert_eq!(unpacked(&archive, &cache).unwrap(), dir);
        let broken = tmp.path().join("broken.jar");
        std::fs::write(&broken, b"not a zip").unwrap();
        assert!(unpacked(&broken, &cache).is_err());
        let left: Vec<_> = std::fs::read_dir(&cache).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "only the good archive's directory: {left:?}");
    }

    fn tree(root: &Path, files: &[(&str, &str)]) {
        for (rel, text) in files {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
        }
    }

    #[test]
    fn same_tree_same_digest_one_byte_changes_it() {
        let t = tempfile::tempdir().unwrap();
        let (a, b) = (t.path().join("a"), t.path().join("b"));
        // Same content written in a different order, at different times.
        tree(&a, &[("z.py", "print(1)\n"), ("lib/x.py", "x = 1\n")]);
        tree(&b, &[("lib/x.py", "x = 1\n"), ("z.py", "print(1)\n")]);
        let za = zip_dir(&a, &t.path().join("a.zip")).unwrap();
        let zb = zip_dir(&b, &t.path().join("b.zip")).unwrap();
        assert_eq!(za.digest, zb.digest);
        assert_eq!(
            std::fs::read(t.path().join("a.zip")).unwrap(),
            std::fs::read(t.path().join("b.zip")).unwrap()
        );
        assert_eq!(
            entry_names(&t.path().join("a.zip")).unwrap(),
            ["lib/x.py", "z.py"]
        );
        std::fs::write(b.join("z.py"), "print(2)\n").unwrap();
        let zb2 = zip_dir(&b, &t.path().join("b.zip")).unwrap();
        assert_ne!(za.digest, zb2.digest);
    }

    #[test]
    fn modes_are_normalised_and_kept_on_extraction() {
        let t = tempfile::tempdir().unwrap();
        let a = t.path().join("a");
        tree(&a, &[("bootstrap", "#!/bin/sh\n"), ("data.txt", "d")]);
        let z1 = zip_dir(&a, &t.path().join("1.zip")).unwrap();
        // Group/other bits other than x do not matter; the x bit does.
        std::fs::set_permissions(a.join("data.txt"), std::fs::Permissions::from_mode(0o600))
            .unwrap();
        let z2 = zip_dir(&a, &t.path().join("2.zip")).unwrap();
        assert_eq!(z1.digest, z2.digest);
        std::fs::set_permissions(a.join("bootstrap"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
        let z3 = zip_dir(&a, &t.path().join("3.zip")).unwrap();
        assert_ne!(z1.digest, z3.digest);
        let out = t.path().join("out");
        unzip(&t.path().join("3.zip"), &out).unwrap();
        let mode = std::fs::metadata(out.join("bootstrap"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        assert_eq!(z3.contributors["bootstrap"], 10);
    }
}
