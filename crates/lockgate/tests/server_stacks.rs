//! Two stacks in one stage through the CLI (`--stack`): one exports a value,
//! the other imports it; the exporter cannot go while it is imported.

mod server_common;

use std::path::Path;
use std::process::Output;

use server_common::{lockgate, start_server};

const EXPORTER: &str = r#"
Resources:
  Queue:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /dev/shared/queue
      Type: String
      Value: orders
Outputs:
  QueueParameter:
    Value: !Ref Queue
    Export:
      Name: QueueParameter
"#;

const IMPORTER: &str = r#"
Resources:
  Reader:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub
        - /reads${P}
        - P: !ImportValue QueueParameter
Outputs:
  Group:
    Value: !Ref Reader
"#;

fn run(dir: &Path, url: &str, data: &Path, args: &[&str]) -> Output {
    lockgate()
        .current_dir(dir)
        .args(args)
        .env("LOCKGATE_SERVER", url)
        .env("LOCKGATE_TOKEN_FILE", data.join("admin.token"))
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn stacks_of_a_stage_share_exports() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let exporter = tmp.path().join("exporter");
    let importer = tmp.path().join("importer");
    for (dir, t) in [(&exporter, EXPORTER), (&importer, IMPORTER)] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("template.yaml"), t).unwrap();
    }
    let (mut server, url) = start_server(&data, None);

    let base = ["--stage", "dev", "--app", "shared"];
    let out = run(&exporter, &url, &data, &[&["deploy"][..], &base].concat());
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        &importer,
        &url,
        &data,
        &[&["deploy"][..], &base, &["--stack", "readers"]].concat(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        &importer,
        &url,
        &data,
        &[
            &["outputs"][..],
            &base,
            &["--stack", "readers", "--output", "json"],
        ]
        .concat(),
    );
    assert!(
        text(&out).contains("/reads/dev/shared/queue"),
        "{}",
        text(&out)
    );

    // The exporter cannot be destroyed while its export is imported.
    let out = run(
        &exporter,
        &url,
        &data,
        &[&["destroy", "-y"][..], &base].concat(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("imported by other stacks"),
        "{}",
        text(&out)
    );

    // Importer first, then the exporter.
    let out = run(
        &importer,
        &url,
        &data,
        &[&["destroy", "-y"][..], &base, &["--stack", "readers"]].concat(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        &exporter,
        &url,
        &data,
        &[&["destroy", "-y"][..], &base].concat(),
    );
    assert!(out.status.success(), "{}", text(&out));

    server.kill().unwrap();
    server.wait().unwrap();
}
