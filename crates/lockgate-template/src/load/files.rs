//! Loading and transforming template files.

use super::*;

/// A template file that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The template has problems.
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// Reads and loads a template file. Bytes that are not UTF-8 are a
/// `syntax` diagnostic naming the byte offset ([`crate::parse_bytes`]).
pub fn load_file(path: &std::path::Path, opts: &LoadOptions) -> Result<LoadedTemplate, LoadError> {
    let document = read_document(path)?;
    load_document(document, &with_base_dir(path, opts)).map_err(LoadError::Invalid)
}

/// Reads a template file and runs [`transform`] on it (local paths relative
/// to its directory unless [`LoadOptions::base_dir`] says otherwise).
pub fn transform_file(
    path: &std::path::Path,
    opts: &LoadOptions,
) -> Result<Transformed, LoadError> {
    let document = read_document(path)?;
    transform_document(document, &with_base_dir(path, opts)).map_err(LoadError::Invalid)
}

/// `opts` with `base_dir` set to `path`'s directory when it is not set.
pub(super) fn with_base_dir(path: &std::path::Path, opts: &LoadOptions) -> LoadOptions {
    let mut opts = opts.clone();
    if opts.base_dir.is_none() {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        opts.base_dir = Some(dir.to_path_buf());
    }
    opts
}

/// Reads and parses a template file.
pub(super) fn read_document(path: &std::path::Path) -> Result<Document, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    crate::document::parse_bytes(&path.display().to_string(), &bytes)
        .map_err(|e| LoadError::Invalid(Diagnostic::from(e).into()))
}
