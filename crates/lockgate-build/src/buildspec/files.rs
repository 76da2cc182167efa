//! Matching files with CodeBuild's globs, and expanding `${VAR}` and
//! `$(codebuild-hash-files …)` in keys and names.

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::digest::KeyHasher;
use crate::error::BuildError;
use crate::fsutil::{Walked, walk_files};

/// A glob pattern that does not parse.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid glob `{pattern}`: {reason}")]
pub struct BadGlob {
    /// The pattern.
    pub pattern: String,
    /// Why.
    pub reason: String,
}

/// A set of globs: `*` stays within a directory, `**` crosses directories,
/// a leading `./` is ignored.
pub fn glob_set(patterns: &[String]) -> Result<GlobSet, BadGlob> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let clean = p.trim().trim_start_matches("./");
        let g = GlobBuilder::new(clean)
            .literal_separator(true)
            .build()
            .map_err(|e| BadGlob {
                pattern: p.clone(),
                reason: e.kind().to_string(),
            })?;
        b.add(g);
        // `dir/` or `dir` naming a directory means everything in it.
        if !clean.contains(['*', '?', '[']) {
            let all = format!("{}/**", clean.trim_end_matches('/'));
            if let Ok(g) = GlobBuilder::new(&all).literal_separator(true).build() {
                b.add(g);
            }
        }
    }
    b.build().map_err(|e| BadGlob {
        pattern: patterns.join(" "),
        reason: e.to_string(),
    })
}

/// The files under `root` matching `include` and not `exclude`, sorted.
pub fn matching(
    root: &Path,
    include: &GlobSet,
    exclude: Option<&GlobSet>,
) -> Result<Vec<Walked>, BuildError> {
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    Ok(walk_files(root, &|_| false)?
        .into_iter()
        .filter(|f| include.is_match(&f.rel) && !exclude.is_some_and(|e| e.is_match(&f.rel)))
        .collect())
}

/// Expands `${NAME}`, `$NAME` (from `lookup`) and `$(codebuild-hash-files
/// GLOB…)` (the SHA-256 of the matching files under `root`) in `text`.
pub fn expand(
    text: &str,
    root: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(inner) = after.strip_prefix('(') {
            let Some(end) = inner.find(')') else {
                return Err(format!("unclosed `$(` in `{text}`"));
            };
            let call = inner[..end].trim();
            let mut words = call.split_whitespace();
            if words.next() != Some("codebuild-hash-files") {
                return Err(format!(
                    "`$({call})`: only `$(codebuild-hash-files GLOB…)` is evaluated in keys and names"
                ));
            }
            let globs: Vec<String> = words.map(str::to_string).collect();
            let set = glob_set(&globs).map_err(|e| e.to_string())?;
            let files = matching(root, &set, None).map_err(|e| e.to_string())?;
            let mut k = KeyHasher::new("codebuild-hash-files");
            k.text(&files.len().to_string());
            for f in &files {
                k.text(&f.rel);
                let d = crate::digest::Digest::of_file(&f.path).map_err(|e| e.to_string())?;
                k.part(&d.0);
            }
            out.push_str(&k.finish().to_hex());
            rest = &inner[end + 1..];
        } else if let Some(inner) = after.strip_prefix('{') {
            let Some(end) = inner.find('}') else {
                return Err(format!("unclosed `${{` in `{text}`"));
            };
            out.push_str(&lookup(&inner[..end]).unwrap_or_default());
            rest = &inner[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len == 0 {
                out.push('$');
            } else {
                out.push_str(&lookup(&after[..len]).unwrap_or_default());
            }
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The names of the variables `text` refers to.
pub fn referenced_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        let after = &rest[i + 1..];
        let (name, next) = if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}').unwrap_or(inner.len());
            (&inner[..end], &inner[end.min(inner.len())..])
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..len], &after[len..])
        };
        if !name.is_empty() && is_identifier(name) {
            names.push(name.to_string());
        }
        rest = next;
    }
    names
}

/// Whether `s` is a shell variable name.
pub fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_follow_codebuild() {
        let set = glob_set(&["**/*.jar".into(), "docs".into(), "./top/*".into()]).unwrap();
        assert!(set.is_match("a.jar"));
        assert!(set.is_match("x/y/a.jar"));
        assert!(set.is_match("docs/index.html"));
        assert!(set.is_match("top/a"));
        assert!(!set.is_match("top/sub/a"));
    }

    #[test]
    fn expands_variables_and_file_hashes() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("package-lock.json"), "{}").unwrap();
        let look = |n: &str| (n == "STAGE").then(|| "dev".to_string());
        let k = expand(
            "npm-$STAGE-${STAGE}-$(codebuild-hash-files package-lock.json)",
            t.path(),
            &look,
        )
        .unwrap();
        assert!(k.starts_with("npm-dev-dev-"), "{k}");
        assert_eq!(k.len(), "npm-dev-dev-".len() + 64);
        std::fs::write(t.path().join("package-lock.json"), "{ }").unwrap();
        let k2 = expand(
            "npm-$STAGE-${STAGE}-$(codebuild-hash-files package-lock.json)",
            t.path(),
            &look,
        )
        .unwrap();
        assert_ne!(k, k2);
        assert!(expand("$(date)", t.path(), &look).is_err());
        assert_eq!(referenced_names("a-$X-${Y_1}-$"), ["X", "Y_1"]);
    }
}
