//! A Java 17 function end to end (needs a JDK: `.ci/install` installs
//! Debian's default-jdk-headless): `lockgate deploy` compiles `sam init`'s
//! Maven-layout hello world with javac (no Maven Central), the stage serves
//! `GET /hello` through its API Gateway with the hello-world body, and
//! `lockgate local invoke` runs what the build made.

mod server_common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use server_common::{copy_dir, http_get, lockgate, start_server};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/java-hello")
}

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

#[test]
fn a_java_function_is_built_deployed_and_served() {
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    let has_jdk = on_path("java") && on_path("javac");
    if !has_jdk {
        assert!(
            std::env::var_os("CI").is_none(),
            "a JDK is required under CI (.ci/install installs default-jdk-headless)"
        );
        eprintln!("a_java_function_is_built_deployed_and_served: skipped: no java/javac on PATH");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("java-hello");
    copy_dir(&fixture(), &app);
    let (data, cache) = (tmp.path().join("data"), tmp.path().join("cache"));
    let (_server, url) = start_server(&data, None);

    let out = cli(&app, &url, &data, &cache, &["deploy", "--stage", "dev"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("cannot run on this machine"),
        "Java runs here: {stderr}"
    );
    let built = app.join(".aws-sam/build/HelloWorldFunction");
    assert!(built.join("helloworld/App.class").is_file());

    let out = cli(
        &app,
        &url,
        &data,
        &cache,
        &["outputs", "--stage", "dev", "--output", "json"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let base = v["urls"][0]
        .as_str()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let (status, body) = http_get(&base, "/hello");
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(v["message"], "hello world", "{body}");
    assert_eq!(v["location"], "127.0.0.1", "{body}");
    // Warm: the same answer again.
    assert_eq!(http_get(&base, "/hello").0, 200);

    let logs = cli(
        &app,
        &url,
        &data,
        &cache,
        &["logs", "HelloWorldFunction", "--stage", "dev"],
    );
    let text = String::from_utf8_lossy(&logs.stdout);
    assert!(text.contains("said hello to 127.0.0.1"), "{text}");

    // `local invoke` runs the built function, as `sam local invoke` does.
    let event = r#"{"httpMethod": "GET", "path": "/hello", "requestContext": {"identity": {"sourceIp": "10.1.2.3"}}}"#;
    std::fs::write(app.join("event.json"), event).unwrap();
    let out = cli(
        &app,
        &url,
        &data,
        &cache,
        &[
            "local",
            "invoke",
            "HelloWorldFunction",
            "--event",
            "event.json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(v["statusCode"], 200, "{v}");
    assert_eq!(
        v["body"],
        r#"{ "message": "hello world", "location": "10.1.2.3" }"#
    );
    assert_eq!(v["headers"]["X-Custom-Header"], "application/json");
}
