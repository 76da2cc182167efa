//! A run's artifacts: files collected, zipped, named by their digest.

use std::collections::BTreeMap;
use std::path::Path;

use super::files::{self, glob_set, matching};
use super::outcome::ArtifactReport;
use super::runner::Runner;
use super::spec::ArtifactSpec;
use crate::archive;
use crate::cache::Cache;
use crate::fsutil;

/// Collects one artifact's files into a staging folder, zips it, and writes
/// it to `--artifacts-dir` when given.
pub(super) fn collect_artifact(
    r: &Runner<'_>,
    cache: &Cache,
    work: &Path,
    ident: Option<String>,
    a: &ArtifactSpec,
    names_env: &BTreeMap<String, String>,
) -> Result<ArtifactReport, String> {
    let base = r.src.join(a.base_directory.as_deref().unwrap_or(""));
    let include = glob_set(&a.files).map_err(|e| e.to_string())?;
    let exclude = if a.exclude_paths.is_empty() {
        None
    } else {
        Some(glob_set(&a.exclude_paths).map_err(|e| e.to_string())?)
    };
    let found = matching(&base, &include, exclude.as_ref()).map_err(|e| e.to_string())?;
    let what = ident
        .as_deref()
        .map(|i| format!("secondary artifact `{i}`"))
        .unwrap_or_else(|| "the primary artifact".into());
    if found.is_empty() {
        return Err(format!(
            "no matching artifact paths found for {what}: {}",
            a.files.join(", ")
        ));
    }
    let stage = work
        .join("artifacts")
        .join(ident.as_deref().unwrap_or("primary"));
    let mut files = Vec::new();
    for f in &found {
        let rel = if a.discard_paths {
            f.rel.rsplit('/').next().unwrap_or(&f.rel).to_string()
        } else {
            f.rel.clone()
        };
        let to = stage.join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::copy(&f.path, &to).map_err(|e| format!("{}: {e}", f.path.display()))?;
        files.push(rel);
    }
    files.sort();
    files.dedup();
    let tmp_zip = cache.tmp_path("artifact");
    let z = archive::zip_dir(&stage, &tmp_zip).map_err(|e| e.to_string())?;
    let zip = cache.artifact_path(&z.digest);
    if zip.is_file() {
        fsutil::remove(&tmp_zip).map_err(|e| e.to_string())?;
    } else {
        fsutil::move_tree(&tmp_zip, &zip).map_err(|e| e.to_string())?;
    }
    let directory = match &r.opts.artifacts_dir {
        Some(dir) => {
            let dest = match &ident {
                None => dir.clone(),
                Some(i) => dir.join(i),
            };
            fsutil::copy_tree(&stage, &dest, &|_| false).map_err(|e| e.to_string())?;
            Some(dest)
        }
        None => None,
    };
    let name = a.name.as_ref().map(|n| {
        let lookup = |k: &str| names_env.get(k).cloned().or_else(|| r.env.get(k).cloned());
        files::expand(n, &r.src, &lookup).unwrap_or_else(|_| n.clone())
    });
    Ok(ArtifactReport {
        identifier: ident,
        name,
        files,
        digest: z.digest,
        zip,
        directory,
    })
}
