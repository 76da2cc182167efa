//! Helpers shared by the integration tests: the shared corpus.

#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The shared corpus directory: `$LOCKGATE_SHARED_DIR/corpus`, else
/// `shared/corpus` beside the repository.
pub fn corpus_dir() -> PathBuf {
    match std::env::var_os("LOCKGATE_SHARED_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("corpus"),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    }
}

/// The corpus folder `sub` when it is there. Absent, the test `test` says
/// plainly that it skipped and why (answering `None`) — or fails when the
/// `CI` environment variable is set, so CI never passes it quietly.
pub fn corpus_or_skip(test: &str, sub: &str) -> Option<PathBuf> {
    let dir = corpus_dir().join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    let why = format!(
        "the shared corpus is not at {} (set LOCKGATE_SHARED_DIR to the directory holding `corpus/`)",
        dir.display()
    );
    let ci = std::env::var("CI").unwrap_or_default();
    if !ci.is_empty() && ci != "0" && ci != "false" {
        panic!("{test}: {why}; CI is set, so its absence is a failure");
    }
    // The note is best effort: a closed stderr must not fail the test.
    let _ = writeln!(std::io::stderr(), "{test}: skipped: {why}");
    None
}

/// Every template file under `dir`, sorted.
pub fn templates_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("yaml" | "yml" | "json" | "template")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
