//! Helpers shared by the integration tests: the shared corpus.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The shared corpus directory (`shared/corpus` beside the repository).
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
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
