//! `lockgate deploy` builds code that needs a build step before deploying
//! it (a real `pip install` of a small package from PyPI): the function
//! imports its dependency on every stage; `lockgate local invoke` then runs
//! what the build made; a build that fails stops the deploy before
//! anything changes.

mod server_common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use server_common::{copy_dir, http_get, lockgate, start_server};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/with-deps")
}

/// Runs the CLI in `app` against the server at `url`, with the build cache
/// in `cache`.
fn cli(app: &Path, url: &str, data: &Path, cache: &Path, args: &[&str]) -> Output {
    lockgate()
        .current_dir(app)
        .env("LOCKGATE_SERVER", url)
        .env("LOCKGATE_TOKEN_FILE", data.join("admin.token"))
        .env("LOCKGATE_CACHE_DIR", cache)
        .args(args)
        .output()
        .unwrap()
}

fn stage_url(app: &Path, url: &str, data: &Path, cache: &Path, stage: &str) -> String {
    let out = cli(
        app,
        url,
        data,
        cache,
        &["outputs", "--stage", stage, "--output", "json"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["urls"][0].as_str().unwrap().to_string()
}

#[test]
fn a_deploy_builds_code_with_dependencies_for_every_stage() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("deps");
    copy_dir(&fixture(), &app);
    let (data, cache) = (tmp.path().join("data"), tmp.path().join("cache"));
    let (_server, url) = start_server(&data, None);

    for stage in ["dev", "prod"] {
        let out = cli(&app, &url, &data, &cache, &["deploy", "--stage", stage]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let base = stage_url(&app, &url, &data, &cache, stage);
        assert_eq!(
            http_get(base.trim_end_matches('/'), "/"),
            (200, "six 1.16.0".into()),
            "stage {stage}"
        );
    }
    // What the deploy built is where `sam build` puts it, with the package.
    let built = app.join(".aws-sam/build");
    assert!(built.join("template.yaml").is_file());
    assert!(built.join("Versions/six.py").is_file());

    // `local invoke` runs the built function, as `sam local` does.
    let out = cli(&app, &url, &data, &cache, &["local", "invoke", "Versions"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("six 1.16.0"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("using the built template"));

    // A dependency that does not exist: the build fails, nothing is sent,
    // the stage keeps its version.
    std::fs::write(
        app.join("src/requirements.txt"),
        "lockgate-no-such-package-anywhere==0.0.0\n",
    )
    .unwrap();
    std::fs::write(
        app.join("src/app.py"),
        "def handler(event, context):\n    return {'statusCode': 200, 'body': 'v2'}\n",
    )
    .unwrap();
    let out = cli(&app, &url, &data, &cache, &["deploy", "--stage", "dev"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the build failed"), "{stderr}");
    assert!(stderr.contains("Versions"), "names the function: {stderr}");
    let base = stage_url(&app, &url, &data, &cache, "dev");
    assert_eq!(
        http_get(base.trim_end_matches('/'), "/"),
        (200, "six 1.16.0".into())
    );
}
