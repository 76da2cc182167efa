//! What the CLI keeps on the client's side: code uploaded content-addressed
//! (only what the server lacks, the server never reading the client's
//! directory), and secrets read from standard input or a file instead of
//! the command line.

mod stage_common;

use stage_common::*;

/// The server never needs the client's directory: the CLI uploads the code
/// the server lacks (nothing when it is unchanged), a stage keeps serving
/// and can be read and destroyed after the directory it was deployed from
/// is gone, and a request naming code that was never uploaded is refused
/// with nothing changed.
#[test]
fn deploys_upload_only_what_the_server_lacks_and_never_read_the_client_dir() {
    let server = ServerProc::start();
    let (tmp, app) = greeter_copy();
    put_secrets(&server, &app);

    // The first deploy uploads the code: three files and the manifest.
    let first = server.json(&app, &["deploy", "--stage", "dev"]);
    assert_eq!(first["uploaded"]["artifacts"], 4, "{first}");
    assert!(first["uploaded"]["bytes"].as_u64().unwrap() > 0, "{first}");
    // The same code again: nothing is uploaded, nothing changes.
    let again = server.json(&app, &["deploy", "--stage", "dev"]);
    assert_eq!(again["uploaded"]["artifacts"], 0, "{again}");
    assert_eq!(again["status"], "UNCHANGED", "{again}");
    // Another stage of the same code: the server holds it already.
    let prod = server.json(&app, &["deploy", "--stage", "prod"]);
    assert_eq!(prod["uploaded"]["artifacts"], 0, "{prod}");
    // One file changed: that file and the directory's new manifest.
    edit_code(&app);
    let changed = server.json(&app, &["deploy", "--stage", "dev"]);
    assert_eq!(changed["uploaded"]["artifacts"], 2, "{changed}");
    let url = stage_url(&server, &app, "dev");
    assert_eq!(hello(&url, "ida")["message"], "Hi, ida!!");

    // A request naming a directory the server does not hold is refused
    // before anything changes.
    let stacks_before = server.json(&app, &["stacks"]);
    let token = std::fs::read_to_string(&server.token_file).unwrap();
    let body = serde_json::json!({
        "template": std::fs::read_to_string(app.join("template.yaml")).unwrap(),
        "parameters": {"Greeting": "Howdy"},
        "artifacts": {"src/": "0".repeat(64)},
    })
    .to_string();
    let (status, answer) = http_with(
        "POST",
        &format!("{}/v1/apps/greeter/stages/dev/deploy", server.url),
        &format!("Authorization: Bearer {}\r\n", token.trim()),
        Some(&body),
    );
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer.contains(&format!(
            "artifact {} for code path `src/` was not uploaded",
            "0".repeat(64)
        )),
        "{answer}"
    );
    assert!(!answer.contains("\"result\""), "{answer}");
    assert_eq!(server.json(&app, &["stacks"]), stacks_before);
    assert_eq!(hello(&url, "ida")["message"], "Hi, ida!!");

    // The app's directory goes; the stage keeps serving its code, and
    // outputs and destroy work from anywhere.
    drop(tmp);
    assert!(!app.exists());
    assert_eq!(hello(&url, "jo")["message"], "Hi, jo!!");
    let elsewhere = tempfile::tempdir().unwrap();
    let outputs = server.json(
        elsewhere.path(),
        &["outputs", "--app", "greeter", "--stage", "dev"],
    );
    assert_eq!(outputs["urls"][0].as_str(), Some(url.as_str()), "{outputs}");
    let destroyed = server.json(
        elsewhere.path(),
        &["destroy", "--app", "greeter", "--stage", "dev", "--yes"],
    );
    assert_eq!(
        destroyed["result"]["status"], "DELETE_COMPLETE",
        "{destroyed}"
    );
    assert!(!serves(&format!("{url}/hello/x")), "dev no longer serves");
}

#[test]
fn a_secret_value_comes_from_standard_input_or_a_file() {
    let server = ServerProc::start();
    let dir = tempfile::tempdir().unwrap();
    let out = server.cli_with_input(
        dir.path(),
        &[
            "params",
            "put",
            "/dev/fromStdin",
            "-",
            "--type",
            "SecureString",
        ],
        b"piped s3cret\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = dir.path().join("value.txt");
    std::fs::write(&file, "from a file\n").unwrap();
    let arg = format!("file://{}", file.display());
    server.ok(
        dir.path(),
        &[
            "params",
            "put",
            "/dev/fromFile",
            &arg,
            "--type",
            "SecureString",
        ],
    );
    let get = |name: &str| {
        server.json(dir.path(), &["params", "get", name, "--decrypt"])["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(get("/dev/fromStdin"), "piped s3cret", "one newline dropped");
    assert_eq!(
        get("/dev/fromFile"),
        "from a file\n",
        "as it is, as the AWS CLI reads file://"
    );
    let err = server.refused(
        dir.path(),
        &["params", "put", "/dev/x", "file:///no/such/file"],
    );
    assert!(
        err.contains("cannot read the value from /no/such/file"),
        "{err}"
    );
}
