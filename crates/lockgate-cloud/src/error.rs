//! Errors of the local cloud.

use std::path::PathBuf;

/// Something that stops the local cloud from being set up or started.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    /// A function asks for a runtime we cannot run.
    #[error(
        "function {function}: runtime `{runtime}` is not supported locally (supported: python3.x, nodejsNN.x, ruby3.x, java8 to java21, provided, provided.al2, provided.al2023)"
    )]
    UnsupportedRuntime {
        /// The function.
        function: String,
        /// The runtime identifier.
        runtime: String,
    },
    /// A function's definition is missing something or is malformed.
    #[error("function {function}: {message}")]
    BadFunction {
        /// The function.
        function: String,
        /// What is wrong.
        message: String,
    },
    /// An alias's definition is malformed.
    #[error("alias {alias}: {message}")]
    BadAlias {
        /// The alias.
        alias: String,
        /// What is wrong.
        message: String,
    },
    /// An API's definition is malformed.
    #[error("API {api}: {message}")]
    BadApi {
        /// The API.
        api: String,
        /// What is wrong.
        message: String,
    },
    /// No function (or alias) of that name.
    #[error("no function named `{name}`; available: {}", if available.is_empty() { "(none)".to_string() } else { available.join(", ") })]
    UnknownFunction {
        /// The name asked for.
        name: String,
        /// The functions there are.
        available: Vec<String>,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The template could not be parsed.
    #[error("{0}")]
    Template(String),
    /// The SAM transform failed.
    #[error("SAM transform failed: {0}")]
    Transform(String),
    /// Binding a socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The server stopped while the cloud was being built.
    #[error("the server is stopping")]
    Stopping,
}
