//! Content-addressed uploads of code: `POST /v1/artifacts/missing`,
//! `PUT /v1/artifacts/{digest}`.
//!
//! A client packs each local code directory of a template (one blob per
//! file plus a `lockgate-dir/1` manifest blob whose digest names the
//! directory; see the `lockgate-artifact` crate), asks which blobs the
//! server lacks, uploads those, and names each directory's digest in
//! [`DeployRequest::artifacts`](crate::DeployRequest::artifacts).

use serde::{Deserialize, Serialize};

/// The body of `POST /v1/artifacts/missing`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MissingArtifactsRequest {
    /// Digests (64 lowercase hex digits of SHA-256) the client would upload.
    pub digests: Vec<String>,
}

/// The answer of `POST /v1/artifacts/missing`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MissingArtifacts {
    /// The digests asked about that the server does not hold, in the order asked.
    pub missing: Vec<String>,
}

/// The answer of `PUT /v1/artifacts/{digest}` (the body is the blob's raw bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ArtifactStored {
    /// The digest, verified against the bytes.
    pub digest: String,
    /// The blob's size in bytes.
    pub size: u64,
}
