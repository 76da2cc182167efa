use super::*;

#[test]
fn rewrites_every_local_code_path() {
    let mut t = json!({
        "Globals": {"Function": {"CodeUri": "src/"}},
        "Resources": {
            "A": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "hello_world/"}},
            "B": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "s3://bucket/key.zip"}},
            "L": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "./layer"}},
            "C": {"Type": "AWS::Lambda::Function", "Properties": {"Code": "fn/"}},
            "D": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"ZipFile": "x"}}},
            "Q": {"Type": "AWS::SQS::Queue"}
        }
    });
    let mut seen = Vec::new();
    package_local_paths(&mut t, |p| {
        seen.push(p.to_string());
        local_location(p)
    });
    assert_eq!(seen, vec!["src/", "hello_world/", "./layer", "fn/"]);
    assert_eq!(
        t["Globals"]["Function"]["CodeUri"],
        "s3://lockgate-local/src/"
    );
    assert_eq!(
        t["Resources"]["A"]["Properties"]["CodeUri"],
        "s3://lockgate-local/hello_world/"
    );
    assert_eq!(
        t["Resources"]["B"]["Properties"]["CodeUri"],
        "s3://bucket/key.zip"
    );
    assert_eq!(
        t["Resources"]["L"]["Properties"]["ContentUri"],
        "s3://lockgate-local/layer"
    );
    assert_eq!(
        t["Resources"]["C"]["Properties"]["Code"],
        json!({"S3Bucket": "lockgate-local", "S3Key": "fn/"})
    );
    assert_eq!(
        t["Resources"]["D"]["Properties"]["Code"],
        json!({"ZipFile": "x"})
    );
}

#[test]
fn a_function_without_code_uri_gets_the_template_dir() {
    let mut t = json!({"Resources": {
        "A": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.h"}},
        "I": {"Type": "AWS::Serverless::Function", "Properties": {"InlineCode": "x"}},
        "M": {"Type": "AWS::Serverless::Function", "Properties": {"PackageType": "Image"}}
    }});
    package_local_paths(&mut t, local_location);
    assert_eq!(
        t["Resources"]["A"]["Properties"]["CodeUri"],
        "s3://lockgate-local/."
    );
    assert!(t["Resources"]["I"]["Properties"].get("CodeUri").is_none());
    assert!(t["Resources"]["M"]["Properties"].get("CodeUri").is_none());
}

/// A directory with the files of the packaging fixtures, made for the test.
fn fixture_dir() -> tempdir::Dir {
    let d = tempdir::Dir::new("package");
    d.write("src/app.py", "def handler(e, c):\n    return 1\n");
    d.write("build/app.zip", "PK\u{3}\u{4}not really a zip");
    d.write(
        "statemachine/flow.asl.json",
        "{\"StartAt\": \"A\", \"States\": {}}\n",
    );
    d.write("api/openapi.yaml", "openapi: 3.0.1\npaths:\n  /hi:\n    get:\n      x-amazon-apigateway-integration:\n        uri: !Sub arn:${AWS::Partition}:apigateway\n");
    d.write("schema.graphql", "type Query { hi: String }\n");
    d.write("resolvers/hi.js", "export function request() {}\n");
    d.write(
        "child/template.yaml",
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n",
    );
    d.write("scripts/job.py", "print(1)\n");
    d.write("outputs.yaml", "Out:\n  Value: !Ref Q\n");
    d
}

mod tempdir {
    use std::path::{Path, PathBuf};

    /// A directory under the system's temp dir, removed on drop.
    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new(tag: &str) -> Dir {
            let p = std::env::temp_dir().join(format!(
                "lockgate-template-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&p); // a leftover of an earlier run, if any
            std::fs::create_dir_all(&p).expect("temp dir");
            Dir(p)
        }

        pub fn write(&self, rel: &str, text: &str) {
            let p = self.0.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("dirs");
            std::fs::write(p, text).expect("write");
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            // Best effort: a leftover temp dir harms nothing.
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn every_kind_template() -> Value {
    json!({
        "Resources": {
            "Fn": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "src/"}},
            "Zipped": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "build/app.zip"}},
            "Bare": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.handler"}},
            "Img": {"Type": "AWS::Serverless::Function", "Properties": {"PackageType": "Image", "ImageUri": "repo:latest"}},
            "Sm": {"Type": "AWS::Serverless::StateMachine", "Properties": {"DefinitionUri": "statemachine/flow.asl.json"}},
            "Api": {"Type": "AWS::Serverless::Api", "Properties": {"DefinitionUri": "api/openapi.yaml"}},
            "Gql": {"Type": "AWS::Serverless::GraphQLApi", "Properties": {
                "SchemaUri": "schema.graphql",
                "Resolvers": {"Query": {"hi": {"CodeUri": "resolvers/hi.js"}}}
            }},
            "App": {"Type": "AWS::Serverless::Application", "Properties": {"Location": "child/template.yaml"}},
            "Stack": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "https://s3.amazonaws.com/b/k.yaml"}},
            "Raw": {"Type": "AWS::Lambda::Function", "Properties": {"Code": "build/app.zip"}},
            "Job": {"Type": "AWS::Glue::Job", "Properties": {"Command": {"ScriptLocation": "scripts/job.py"}}},
            "Gone": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"DefinitionS3Location": "missing.json"}}
        },
        "Outputs": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "outputs.yaml"}}}
    })
}

#[test]
fn every_local_artifact_is_found_with_its_kind_and_pointer() {
    let dir = fixture_dir();
    let files = LocalDir::new(dir.path());
    let mut t = every_kind_template();
    let includes = inline_includes(&mut t, &files).expect("includes read");
    assert_eq!(includes.len(), 1);
    assert_eq!(includes[0].pointer, "/Outputs/Fn::Transform");
    assert_eq!(t["Outputs"], json!({"Out": {"Value": {"Ref": "Q"}}}));
    let found: Vec<(String, ArtifactKind, bool)> = local_artifacts(&t, &files)
        .into_iter()
        .map(|a| (a.pointer, a.kind, a.exists))
        .collect();
    use ArtifactKind::*;
    let want = [
        ("/Resources/Fn/Properties/CodeUri", Directory, true),
        ("/Resources/Zipped/Properties/CodeUri", Zip, true),
        ("/Resources/Bare/Properties/CodeUri", Directory, true),
        ("/Resources/Img/Properties/ImageUri", Image, true),
        ("/Resources/Sm/Properties/DefinitionUri", File, true),
        ("/Resources/Api/Properties/DefinitionUri", File, true),
        ("/Resources/Gql/Properties/SchemaUri", File, true),
        (
            "/Resources/Gql/Properties/Resolvers/Query/hi/CodeUri",
            File,
            true,
        ),
        ("/Resources/App/Properties/Location", Template, true),
        ("/Resources/Raw/Properties/Code", Zip, true),
        (
            "/Resources/Job/Properties/Command/ScriptLocation",
            File,
            true,
        ),
        (
            "/Resources/Gone/Properties/DefinitionS3Location",
            File,
            false,
        ),
    ];
    let want: Vec<(String, ArtifactKind, bool)> = want
        .iter()
        .map(|(p, k, e)| (p.to_string(), *k, *e))
        .collect();
    assert_eq!(found, want);
}

#[test]
fn locations_are_written_in_each_property_s_form() {
    let dir = fixture_dir();
    let files = LocalDir::new(dir.path());
    let mut t = every_kind_template();
    let all = package(&mut t, &files, |a| {
        Ok::<_, std::convert::Infallible>(match a.kind {
            ArtifactKind::Image => Packaged::Keep,
            _ => Packaged::Location(S3Location {
                bucket: "b".into(),
                key: format!("k/{}", a.path),
            }),
        })
    })
    .expect("packages");
    assert_eq!(all.len(), 13);
    let p = |id: &str| t["Resources"][id]["Properties"].clone();
    assert_eq!(p("Fn")["CodeUri"], "s3://b/k/src/");
    assert_eq!(p("Bare")["CodeUri"], "s3://b/k/.");
    assert_eq!(p("Img")["ImageUri"], "repo:latest");
    assert_eq!(
        p("Sm")["DefinitionUri"],
        json!({"Bucket": "b", "Key": "k/statemachine/flow.asl.json"})
    );
    assert_eq!(p("Api")["DefinitionUri"], "s3://b/k/api/openapi.yaml");
    assert_eq!(
        p("Gql")["Resolvers"]["Query"]["hi"]["CodeUri"],
        "s3://b/k/resolvers/hi.js"
    );
    assert_eq!(
        p("App")["Location"],
        "https://s3.amazonaws.com/b/k/child/template.yaml"
    );
    assert_eq!(
        p("Stack")["TemplateURL"],
        "https://s3.amazonaws.com/b/k.yaml"
    );
    assert_eq!(
        p("Raw")["Code"],
        json!({"S3Bucket": "b", "S3Key": "k/build/app.zip"})
    );
    assert_eq!(
        p("Job")["Command"]["ScriptLocation"],
        "s3://b/k/scripts/job.py"
    );
}

#[test]
fn locations_read_back_from_every_form() {
    let l = S3Location {
        bucket: "bkt".into(),
        key: "a/b.yaml".into(),
    };
    for form in [
        LocationForm::Uri,
        LocationForm::Url,
        LocationForm::Object("S3Bucket", "S3Key"),
        LocationForm::Object("Bucket", "Key"),
    ] {
        assert_eq!(S3Location::from_value(&l.to_value(form)), Some(l.clone()));
    }
    assert_eq!(
        S3Location::from_value(&json!("https://example.com/a/b")),
        None
    );
}

#[test]
fn includes_inline_values_and_merge_into_maps() {
    let dir = tempdir::Dir::new("include");
    dir.write("body.json", "{\"openapi\": \"3.0.1\", \"paths\": {}}");
    dir.write("more.yaml", "Extra:\n  Type: AWS::SNS::Topic\n");
    let files = LocalDir::new(dir.path());
    let mut t = json!({"Resources": {
        "Api": {"Type": "AWS::Serverless::Api", "Properties": {
            "DefinitionBody": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "./body.json"}}},
            "Other": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k.yaml"}}}
        }},
        "Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "more.yaml"}}
    }});
    let done = inline_includes(&mut t, &files).expect("inlined");
    assert_eq!(done.len(), 2);
    assert_eq!(
        t["Resources"]["Api"]["Properties"]["DefinitionBody"],
        json!({"openapi": "3.0.1", "paths": {}})
    );
    // Not local: left for CloudFormation.
    assert!(
        t["Resources"]["Api"]["Properties"]["Other"]
            .get("Fn::Transform")
            .is_some()
    );
    assert_eq!(t["Resources"]["Extra"], json!({"Type": "AWS::SNS::Topic"}));
    assert!(t["Resources"].get("Fn::Transform").is_none());
}

#[test]
fn a_bad_include_is_an_error_naming_its_place() {
    let dir = tempdir::Dir::new("badinclude");
    dir.write("bad.yaml", "a: [1,\n");
    let files = LocalDir::new(dir.path());
    let mut t = json!({"Resources": {"A": {"Type": "X", "Properties": {
        "B": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "bad.yaml"}}},
        "C": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "nope.yaml"}}}
    }}}});
    let errors = inline_includes(&mut t, &files).expect_err("fails");
    assert_eq!(errors.len(), 2);
    assert_eq!(
        errors[0].pointer(),
        "/Resources/A/Properties/B/Fn::Transform"
    );
    assert!(
        errors[0]
            .to_string()
            .contains("not valid YAML or JSON: line "),
        "{}",
        errors[0]
    );
    assert!(matches!(errors[1], PackageError::Read { .. }));
}
