//! Packaging every local artifact before the transform, as `sam package`
//! does: the app in `tests/fixtures/package/` has a state machine with a
//! local ASL file, an API whose body is an `AWS::Include` of a local OpenAPI
//! file, a function whose code is a prebuilt `.zip`, one whose code is a
//! directory, a nested application with a local template and a GraphQL API
//! with a local schema and resolver code. It validates and transforms.

use std::path::{Path, PathBuf};

use lockgate_template::package::{ArtifactKind, LocalDir, Packaged, S3Location, package};
use lockgate_template::{LoadOptions, load, load_file, transform_file};
use serde_json::{Value, json};

fn app() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/package/template.yaml")
}

fn resource<'t>(t: &'t Value, id: &str) -> &'t Value {
    t.pointer(&format!("/Resources/{id}"))
        .unwrap_or_else(|| panic!("no resource {id} in {t:#}"))
}

#[test]
fn every_local_artifact_validates_and_transforms() {
    let loaded = match load_file(&app(), &LoadOptions::default()) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    assert!(loaded.warnings.is_empty(), "{}", loaded.warnings);
    let t = &loaded.template;
    assert_eq!(
        resource(t, "Flow")["Properties"]["DefinitionS3Location"],
        json!({"Bucket": "lockgate-local", "Key": "statemachine/flow.asl.json"})
    );
    // The include is inlined, so SAM can edit the body as it does any body.
    let body = &resource(t, "Api")["Properties"]["Body"];
    assert_eq!(body["info"]["title"], "included");
    assert!(body["paths"]["/hello"]["get"].is_object(), "{body:#}");
    assert_eq!(
        resource(t, "Fn")["Properties"]["Code"],
        json!({"S3Bucket": "lockgate-local", "S3Key": "build/app.zip"})
    );
    assert_eq!(
        resource(t, "Worker")["Properties"]["Code"],
        json!({"S3Bucket": "lockgate-local", "S3Key": "src/"})
    );
    let child = resource(t, "Child");
    assert_eq!(child["Type"], "AWS::CloudFormation::Stack");
    assert_eq!(
        child["Properties"]["TemplateURL"],
        "https://s3.amazonaws.com/lockgate-local/child/template.yaml"
    );
    assert_eq!(
        resource(t, "GraphSchema")["Properties"]["DefinitionS3Location"],
        "s3://lockgate-local/schema.graphql"
    );
    assert_eq!(
        resource(t, "GraphHello")["Properties"]["CodeS3Location"],
        "s3://lockgate-local/resolvers/hello.js"
    );

    // `transform` (what `lockgate transform` prints) agrees.
    let transformed = transform_file(&app(), &LoadOptions::default()).expect("transforms");
    assert_eq!(
        resource(&transformed.template, "Flow")["Properties"]["DefinitionS3Location"],
        resource(t, "Flow")["Properties"]["DefinitionS3Location"]
    );
}

#[test]
fn a_deploy_s_locations_replace_the_placeholders() {
    let mut opts = LoadOptions::default();
    opts.code_locations.insert(
        "statemachine/flow.asl.json".into(),
        "s3://lockgate-artifacts/3f2a".into(),
    );
    opts.code_locations.insert(
        "build/app.zip".into(),
        "s3://lockgate-artifacts/9c1d".into(),
    );
    let t = load_file(&app(), &opts).expect("loads").template;
    assert_eq!(
        resource(&t, "Flow")["Properties"]["DefinitionS3Location"],
        json!({"Bucket": "lockgate-artifacts", "Key": "3f2a"})
    );
    assert_eq!(
        resource(&t, "Fn")["Properties"]["Code"],
        json!({"S3Bucket": "lockgate-artifacts", "S3Key": "9c1d"})
    );
}

#[test]
fn without_files_a_local_definition_still_validates() {
    // As `sam validate` does: a placeholder location, nothing read.
    let text = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Flow:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: statemachine/flow.asl.json\n";
    let t = load("template.yaml", text, &LoadOptions::default()).expect("validates");
    assert_eq!(
        t.template["Resources"]["Flow"]["Properties"]["DefinitionS3Location"]["Key"],
        "statemachine/flow.asl.json"
    );
}

#[test]
fn the_client_side_packager_sees_every_artifact_with_its_kind() {
    let text = std::fs::read_to_string(app()).expect("read");
    let doc = lockgate_template::parse("template.yaml", &text).expect("parses");
    let mut value = doc.into_json();
    let dir = LocalDir::new(app().parent().expect("dir"));
    let mut uploads = Vec::new();
    let all = package(&mut value, &dir, |a| {
        uploads.push((a.path.clone(), a.kind));
        Ok::<_, std::convert::Infallible>(Packaged::Location(S3Location {
            bucket: "bucket".into(),
            key: format!("sha256-of/{}", a.path),
        }))
    })
    .expect("packages");
    assert_eq!(all[0].kind, ArtifactKind::Include);
    assert_eq!(
        uploads,
        [
            ("statemachine/flow.asl.json".to_string(), ArtifactKind::File),
            ("build/app.zip".to_string(), ArtifactKind::Zip),
            ("src/".to_string(), ArtifactKind::Directory),
            ("child/template.yaml".to_string(), ArtifactKind::Template),
            ("schema.graphql".to_string(), ArtifactKind::File),
            ("resolvers/hello.js".to_string(), ArtifactKind::File),
        ]
    );
    assert_eq!(
        value["Resources"]["Child"]["Properties"]["Location"],
        "https://s3.amazonaws.com/bucket/sha256-of/child/template.yaml"
    );
}
