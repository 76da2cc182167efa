//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The crate's fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Copies a fixture directory into a fresh temporary directory.
pub fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().expect("temp dir");
    let dst = t.path().join(name);
    copy_dir(&fixtures().join(name), &dst);
    (t, dst)
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

/// Whether bubblewrap can sandbox here; when not, says the test is skipped
/// (and fails under CI, where `.ci/install` installs it).
pub fn sandbox_available(test: &str) -> bool {
    let ok =
        lockgate_build::sandbox::Sandbox::detect(lockgate_build::SandboxMode::Required).is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: bubblewrap is required under CI (.ci/install installs the Debian package `bubblewrap`)"
        );
        eprintln!("{test}: skipped: bubblewrap cannot sandbox here");
    }
    ok
}
