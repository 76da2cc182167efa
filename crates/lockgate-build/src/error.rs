//! Why a build could not be done.

use std::path::{Path, PathBuf};

/// A function build that could not be done. Every variant names the file,
/// resource or step at fault and says what was expected.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The template could not be read or is invalid.
    #[error("{0}")]
    Template(#[from] lockgate_template::LoadError),
    /// A resource of the template cannot be built as written.
    #[error("{file}: {logical_id}: {message}")]
    Resource {
        /// The template file.
        file: String,
        /// The resource.
        logical_id: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// Functions or layers named on the command line are not in the template.
    #[error("{file}: no function or layer named {}: the template has {}", names.join(", "), if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    UnknownNames {
        /// The template file.
        file: String,
        /// The names not found.
        names: Vec<String>,
        /// The names that can be built.
        known: Vec<String>,
    },
    /// A build step ran and failed.
    #[error("building {logical_id} failed: {step} {outcome}; the log is in {}", log.display())]
    StepFailed {
        /// The function or layer.
        logical_id: String,
        /// The step (`pip install`, `make build-HelloFunction`, …).
        step: String,
        /// How it ended (`exited with status 1`, `timed out after 600 s`).
        outcome: String,
        /// The kept log.
        log: PathBuf,
        /// The last lines of the log.
        tail: Vec<String>,
    },
    /// The sandbox was required but cannot run here.
    #[error("a sandbox was required but bubblewrap cannot run here: {0}")]
    SandboxUnavailable(String),
    /// A zip archive could not be written or read.
    #[error("{}: {source}", path.display())]
    Zip {
        /// The archive.
        path: PathBuf,
        /// Why.
        #[source]
        source: zip::result::ZipError,
    },
}

/// An I/O error about `path`.
pub fn io_err(path: &Path, source: std::io::Error) -> BuildError {
    BuildError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A zip error about `path`.
pub fn zip_err(path: &Path, source: zip::result::ZipError) -> BuildError {
    BuildError::Zip {
        path: path.to_path_buf(),
        source,
    }
}
