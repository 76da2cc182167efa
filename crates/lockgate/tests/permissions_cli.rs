//! Least privilege on the local SSM API: a function's boto3 call is
//! allowed only when its role allows it, as IAM evaluates the role's
//! policies (SAM policy templates, wildcards, explicit deny), and a refusal
//! is AWS's `AccessDeniedException` with AWS's message. A stage deployed
//! with `--permissions report` lets the same call through.

mod stage_common;

use std::path::Path;

use serde_json::Value;
use stage_common::*;

fn read(url: &str, name: &str) -> Value {
    let (status, body) = http("GET", &format!("{url}/read?name={name}"), None);
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn a_functions_role_decides_what_it_may_read() {
    let server = ServerProc::start();
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("reader");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/least-privilege"),
        &app,
    );
    for (name, value) in [
        ("/dev/allowed", "yes"),
        ("/dev/forbidden", "no"),
        ("/dev/team/x", "team"),
        ("/dev/team/root", "root"),
    ] {
        server.ok(&app, &["params", "put", name, value]);
    }
    server.ok(&app, &["deploy", "--stage", "dev"]);
    let url = stage_url(&server, &app, "dev");

    // SAM's SSMParameterReadPolicy allows exactly its parameter.
    assert_eq!(read(&url, "/dev/allowed")["value"], "yes");
    // A wildcard statement allows the team's parameters…
    assert_eq!(read(&url, "/dev/team/x")["value"], "team");
    // …and nothing allows this one: AWS's error and message.
    let denied = read(&url, "/dev/forbidden");
    assert_eq!(denied["error"], "AccessDeniedException", "{denied}");
    let message = denied["message"].as_str().unwrap();
    assert!(
        message.starts_with("User: arn:aws:sts::123456789012:assumed-role/")
            && message.contains("/reader-dev-Reader is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:")
            && message.contains(":parameter/dev/forbidden because no identity-based policy allows the ssm:GetParameter action"),
        "{message}"
    );
    // An explicit deny wins over the wildcard allow.
    let root = read(&url, "/dev/team/root");
    assert_eq!(root["error"], "AccessDeniedException", "{root}");
    assert!(
        root["message"]
            .as_str()
            .unwrap()
            .contains("with an explicit deny in an identity-based policy"),
        "{root}"
    );

    // Each refusal is in the function's own log too.
    let logs = server.ok(&app, &["logs", "Reader", "--stage", "dev"]);
    assert!(
        logs.contains("[lockgate] AccessDenied: User: arn:aws:sts::123456789012:assumed-role/"),
        "{logs}"
    );

    // Report mode: the same calls go through (and are logged), and the
    // stage keeps the mode on the next deploy that does not name one.
    server.ok(
        &app,
        &["deploy", "--stage", "dev", "--permissions", "report"],
    );
    assert_eq!(read(&url, "/dev/forbidden")["value"], "no");
    server.ok(&app, &["deploy", "--stage", "dev"]);
    assert_eq!(read(&url, "/dev/team/root")["value"], "root");
    server.ok(
        &app,
        &["deploy", "--stage", "dev", "--permissions", "enforce"],
    );
    assert_eq!(
        read(&url, "/dev/forbidden")["error"],
        "AccessDeniedException"
    );
}
