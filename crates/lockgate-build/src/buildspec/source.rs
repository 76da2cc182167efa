//! The source of a run: its project name, its git revision, and the
//! working copy a build starts from.

use std::path::Path;

use super::run::RunOptions;
use crate::error::BuildError;
use crate::fsutil;

pub(super) fn project_name(opts: &RunOptions, source: &Path) -> String {
    let raw = opts.project.clone().unwrap_or_else(|| {
        source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "project".into())
    });
    let s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() { "project".into() } else { s }
}

pub(super) fn git(source: &Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(source)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Copies the source into a fresh working copy: what a clone would hold
/// (`.gitignore`d files and `.git` left out), plus untracked files.
pub(super) fn working_copy(source: &Path, dest: &Path) -> Result<u64, BuildError> {
    fsutil::create_dir(dest)?;
    let mut count = 0;
    let walker = ignore::WalkBuilder::new(source)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(false)
        .git_global(false)
        .require_git(false)
        .parents(false)
        .filter_entry(|e| {
            let name = e.file_name().to_str();
            name != Some(lockgate_artifact::NEVER_PACKED)
                && !matches!(name, Some(".git" | ".aws-sam"))
        })
        .build();
    for entry in walker {
        let entry = entry
            .map_err(|e| crate::error::io_err(source, std::io::Error::other(e.to_string())))?;
        let Ok(rel) = entry.path().strip_prefix(source) else {
            continue;
        };
        if rel.as_os_str().is_empty() {
            continue;
        }
        let to = dest.join(rel);
        let ft = entry.file_type();
        if ft.is_some_and(|t| t.is_dir()) {
            fsutil::create_dir(&to)?;
        } else if ft.is_some_and(|t| t.is_symlink()) {
            if let Ok(target) = std::fs::read_link(entry.path()) {
                // A link that cannot be made is left out, as a clone would fail it too.
                let _ = std::os::unix::fs::symlink(target, &to);
            }
        } else {
            std::fs::copy(entry.path(), &to).map_err(|e| crate::error::io_err(entry.path(), e))?;
            count += 1;
        }
    }
    Ok(count)
}
