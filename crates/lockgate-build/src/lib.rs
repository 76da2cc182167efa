//! Lockgate builds: clean like an ephemeral container, fast like a warm laptop.
//!
//! Two kinds of build, one set of parts:
//!
//! - **Function builds** ([`build_template`]), what `sam build` does: every
//!   function and layer of a SAM / CloudFormation template built by its
//!   runtime ([`methods`]: pip, npm, `make build-<LogicalId>`, cargo), those
//!   with the same code and settings built once, each result a
//!   deterministic zip named by its SHA-256 ([`archive`]), laid out as the
//!   SAM CLI does (`.aws-sam/build/<LogicalId>/` and
//!   `.aws-sam/build/template.yaml`). A build whose inputs are unchanged is
//!   not run at all; installed dependencies are reused while the lock files
//!   and runtime are unchanged ([`cache`]).
//! - **Project builds** ([`buildspec`]), what CodeBuild does: a
//!   `buildspec.yml` (version 0.2) run phase by phase in one shell session,
//!   with CodeBuild's failure rules, artifacts, caches and test reports.
//!
//! Every step runs in a fresh workspace with a clean environment, its own
//! `HOME` and `TMPDIR`, a time limit, and where bubblewrap is installed a
//! sandbox ([`sandbox`]); logs stream live to a caller's sink and are kept
//! ([`log`]).
//!
//! The API is synchronous (child processes and threads); async callers run
//! it in `tokio::task::spawn_blocking`.

pub mod archive;
pub mod buildspec;
pub mod cache;
pub mod digest;
mod error;
mod fsutil;
mod functions;
pub mod log;
pub mod methods;
pub mod process;
pub mod sandbox;
pub mod template;
mod yaml_out;

pub use cache::{Cache, default_cache_dir};
pub use digest::Digest;
pub use error::BuildError;
pub use functions::{
    BuildEvent, BuildOptions, BuildReport, Built, EventSink, SizeLimits, SizeWarning,
    build_template,
};
pub use log::{LogLine, LogSink, Stream};
pub use sandbox::SandboxMode;
pub use template::{Kind, Method, Skipped, needs_build};
pub use yaml_out::to_yaml;
