//! A template's local code, packed on this side for upload: every local code
//! path the template names (`CodeUri`, `ContentUri`, a string `Code` or
//! `Content`, found by `lockgate_template::package::package_local_paths`)
//! becomes a content-addressed directory — one blob per file and a manifest
//! blob whose digest names it (`lockgate_artifact::pack_dir`, the same walk
//! the server's store runs). The client then uploads only the blobs the
//! server lacks ([`crate::client::Client::upload`]) and names each
//! directory's digest in the deploy request, so the server never reads this
//! machine's files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lockgate_artifact::{Digest, PackedDir, pack_dir};

use crate::client::ClientError;

/// Where prebuilt code archives are unpacked, under Lockgate's own
/// directory beside the template (itself never packed).
const UNPACKED: &str = "unpacked";

/// The packed code of one template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodePackage {
    /// Each local code path as written in the template → its packed directory.
    pub dirs: BTreeMap<String, PackedDir>,
}

/// Where the bytes of one blob come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobSource<'a> {
    /// A file of a code directory.
    File(&'a Path),
    /// A directory's manifest, in memory.
    Manifest(&'a [u8]),
}

impl CodePackage {
    /// Packs the local code paths of the template `text` (file `template`),
    /// relative to `base_dir`. A template that does not parse has no code
    /// to pack: the server reports its diagnostics.
    pub fn of_template(
        template: &Path,
        text: &str,
        base_dir: &Path,
    ) -> Result<CodePackage, ClientError> {
        let name = template
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Ok(doc) = lockgate_template::parse(&name, text) else {
            return Ok(CodePackage::default());
        };
        let mut paths = Vec::new();
        let mut scratch = doc.to_json();
        lockgate_template::package::package_local_paths(&mut scratch, |p| {
            paths.push(p.to_string());
            lockgate_template::package::local_location(p)
        });
        let mut dirs = BTreeMap::new();
        for p in paths {
            if dirs.contains_key(&p) {
                continue;
            }
            let mut dir: PathBuf = base_dir.join(&p);
            // A prebuilt `.zip` / `.jar` is the code as it is: its contents
            // are deployed (unpacked once into `.lockgate/unpacked/`).
            if lockgate_build::archive::is_code_archive(&dir) {
                dir = lockgate_build::archive::unpacked(
                    &dir,
                    &base_dir
                        .join(lockgate_artifact::NEVER_PACKED)
                        .join(UNPACKED),
                )
                .map_err(|e| {
                    ClientError::Usage(format!(
                        "{name}: code path `{p}` is not a usable zip archive: {e}"
                    ))
                })?;
            }
            if !dir.is_dir() {
                return Err(ClientError::Usage(format!(
                    "{name}: code path `{p}` is not a directory ({}): expected a directory \
                     (or a .zip / .jar archive) relative to the template",
                    dir.display()
                )));
            }
            let packed = pack_dir(&dir)
                .map_err(|e| ClientError::Usage(format!("{name}: code path `{p}`: {e}")))?;
            dirs.insert(p, packed);
        }
        Ok(CodePackage { dirs })
    }

    /// The request's `artifacts`: each code path → its directory's digest.
    pub fn artifacts(&self) -> BTreeMap<String, String> {
        self.dirs
            .iter()
            .map(|(p, d)| (p.clone(), d.digest.to_string()))
            .collect()
    }

    /// Every distinct blob of the package with where its bytes are.
    pub fn blobs(&self) -> BTreeMap<Digest, BlobSource<'_>> {
        let mut out = BTreeMap::new();
        for d in self.dirs.values() {
            for (digest, path) in &d.files {
                out.entry(*digest).or_insert(BlobSource::File(path));
            }
            out.entry(d.digest)
                .or_insert(BlobSource::Manifest(&d.manifest));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_path_is_packed_once_with_its_blobs() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::create_dir_all(dir.join("layer")).unwrap();
        std::fs::write(dir.join("src/app.py"), "x = 1\n").unwrap();
        std::fs::write(dir.join("layer/lib.py"), "x = 1\n").unwrap();
        let template = "Transform: AWS::Serverless-2016-10-31\nResources:\n  \
            A:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n  \
            B:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n  \
            L:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      ContentUri: layer\n";
        let t = dir.join("template.yaml");
        let p = CodePackage::of_template(&t, template, dir).unwrap();
        assert_eq!(
            p.dirs.keys().collect::<Vec<_>>(),
            vec!["layer", "src/"],
            "each path once"
        );
        // Same file content in both: one file blob; two manifests.
        assert_eq!(p.blobs().len(), 3);
        let a = p.artifacts();
        assert_eq!(a["src/"], p.dirs["src/"].digest.to_string());

        let missing = template.replace("ContentUri: layer", "ContentUri: nowhere/");
        let e = CodePackage::of_template(&t, &missing, dir).unwrap_err();
        assert!(
            e.to_string()
                .contains("template.yaml: code path `nowhere/` is not a directory"),
            "{e}"
        );
        // A template that does not parse packs nothing; the server says why.
        assert_eq!(
            CodePackage::of_template(&t, "Resources: [unclosed", dir).unwrap(),
            CodePackage::default()
        );
    }
}
