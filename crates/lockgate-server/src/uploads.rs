//! The code a deploy names: directories the client uploaded beforehand
//! (content-addressed, `POST /v1/artifacts/missing` then
//! `PUT /v1/artifacts/{digest}`), looked up by the digests of the request's
//! `artifacts` map. The server never reads the client's file system: a code
//! path whose directory was not uploaded whole is refused before anything
//! changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use lockgate_api::DeployRequest;
use lockgate_store::{ArtifactStore, Digest, StoreError};

use crate::DeployError;
use crate::resources::ARTIFACT_BUCKET;

/// The S3 location of each local code path of the template (`paths`, as
/// written in it), from the uploaded directories the request names:
/// `s3://lockgate-artifacts/<digest>`, what `sam package` would have
/// written. Refuses a path the request does not name, a digest that is not
/// one, and a directory whose manifest or any file of it the server does
/// not hold.
pub(crate) async fn code_locations(
    artifacts: &Arc<ArtifactStore>,
    req: &DeployRequest,
    paths: &[String],
) -> Result<BTreeMap<String, String>, DeployError> {
    let mut out = BTreeMap::new();
    for p in paths {
        if out.contains_key(p) {
            continue;
        }
        let Some(given) = req.artifacts.get(p) else {
            return Err(DeployError::BadRequest(format!(
                "{}: code path `{p}` has no artifact in the request: upload the directory \
                 (POST /v1/artifacts/missing, PUT /v1/artifacts/{{digest}}) and name its \
                 digest under `artifacts.{p}`",
                req.template_path
            )));
        };
        let digest: Digest = given.parse().map_err(|e| {
            DeployError::BadRequest(format!("`artifacts.{p}`: {e} (the directory's digest)"))
        })?;
        let store = artifacts.clone();
        let missing = tokio::task::spawn_blocking(move || store.missing_files(&digest))
            .await
            .map_err(|e| DeployError::Internal(format!("artifact lookup: {e}")))?;
        match missing {
            Ok(files) if files.is_empty() => {}
            Ok(files) => {
                return Err(DeployError::BadRequest(format!(
                    "artifact {digest} for code path `{p}` is incomplete: {} of its files \
                     (first {}) were not uploaded",
                    files.len(),
                    files[0]
                )));
            }
            Err(StoreError::NotFound { .. }) => {
                return Err(DeployError::BadRequest(format!(
                    "artifact {digest} for code path `{p}` was not uploaded: upload it with \
                     PUT /v1/artifacts/{digest} before deploying"
                )));
            }
            Err(StoreError::InvalidInput(why)) => {
                return Err(DeployError::BadRequest(format!(
                    "artifact {digest} for code path `{p}` is not a directory: {why}"
                )));
            }
            Err(e) => return Err(DeployError::Store(e)),
        }
        out.insert(p.clone(), format!("s3://{ARTIFACT_BUCKET}/{digest}"));
    }
    Ok(out)
}
