//! A function whose `CodeUri` names a prebuilt `.zip` (what `sam package`
//! uploads as it is) deploys and runs from the archive's contents, through
//! `lockgate deploy` and `lockgate local invoke`; an archive that is not a
//! zip is a clear error that deploys nothing.

mod server_common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use server_common::{http_get, lockgate, start_server};

const TEMPLATE: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: dist/fn.zip
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /z, Method: get}
";

fn cli(app: &Path, url: &str, data: &Path, args: &[&str]) -> Output {
    lockgate()
        .current_dir(app)
        .env("LOCKGATE_SERVER", url)
        .env("LOCKGATE_TOKEN_FILE", data.join("admin.token"))
        .env("LOCKGATE_CACHE_DIR", app.join("cache"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_prebuilt_zip_is_deployed_and_run_from_its_contents() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("zipped");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("lib")).unwrap();
    std::fs::write(
        src.join("app.py"),
        "from lib.words import WORD\n\ndef handler(event, context):\n    return {\"statusCode\": 200, \"body\": WORD}\n",
    )
    .unwrap();
    std::fs::write(src.join("lib/__init__.py"), "").unwrap();
    std::fs::write(src.join("lib/words.py"), "WORD = 'from the zip'\n").unwrap();
    std::fs::create_dir_all(app.join("dist")).unwrap();
    lockgate_build::archive::zip_dir(&src, &app.join("dist/fn.zip")).unwrap();
    std::fs::write(app.join("template.yaml"), TEMPLATE).unwrap();
    let data = tmp.path().join("data");
    let (_server, url) = start_server(&data, None);

    let out = cli(&app, &url, &data, &["deploy", "--stage", "dev"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(
        &app,
        &url,
        &data,
        &["outputs", "--stage", "dev", "--output", "json"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let base = v["urls"][0]
        .as_str()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    assert_eq!(http_get(&base, "/z"), (200, "from the zip".to_string()));

    // `local invoke` runs the archive's contents too.
    std::fs::write(app.join("event.json"), "{}").unwrap();
    let out = cli(
        &app,
        &url,
        &data,
        &["local", "invoke", "Fn", "--event", "event.json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["body"], "from the zip");

    // Not a zip: the deploy says so, names the path, and changes nothing.
    std::fs::write(app.join("dist/fn.zip"), "not a zip").unwrap();
    let out = cli(&app, &url, &data, &["deploy", "--stage", "dev"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("code path `dist/fn.zip` is not a usable zip archive"),
        "{stderr}"
    );
    assert_eq!(http_get(&base, "/z"), (200, "from the zip".to_string()));
}
