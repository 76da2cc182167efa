//! Stages end to end: the real `lockgate server` binary on a free port, driven
//! by the real CLI verbs (deploy, plan, outputs, params, stacks, logs,
//! destroy) against a copy of examples/greeter, with the stages' APIs called
//! over real HTTP: two stages in isolation, a rollback, bad input refused.

mod stage_common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::Value;

use stage_common::*;

#[test]
fn two_stages_deploy_change_and_destroy_in_isolation() {
    let server = ServerProc::start();
    let (_tmp, app) = greeter_copy();
    put_secrets(&server, &app);

    // A plan against an empty stage adds every resource.
    let plan = server.ok(&app, &["plan", "--stage", "dev"]);
    assert!(plan.contains("Change set for greeter/dev"), "{plan}");
    assert!(plan.contains("+ Add      HelloFunction "), "{plan}");
    insta::assert_snapshot!("plan_of_an_empty_stage", mask_hashes(&plan));

    // Deploy both stages; samconfig.toml gives dev `Hi` and prod `Hello`.
    let dev = server.ok(&app, &["deploy", "--stage", "dev"]);
    assert!(dev.contains("Deployed greeter/dev"), "{dev}");
    assert!(dev.contains("URL: http://127.0.0.1:"), "{dev}");
    let prod = server.json(&app, &["deploy", "--stage", "prod"]);
    assert_eq!(prod["app"], "greeter");
    assert_eq!(prod["stage"], "prod");
    assert!(!prod["events"].as_array().unwrap().is_empty(), "{prod}");

    let dev_url = stage_url(&server, &app, "dev");
    let prod_url = stage_url(&server, &app, "prod");
    assert_ne!(dev_url, prod_url, "each stage has its own URL");
    let d = hello(&dev_url, "alice");
    let p = hello(&prod_url, "alice");
    assert_eq!(d["message"], "Hi, alice!");
    assert_eq!(d["stage"], "dev");
    assert_eq!(d["secretLoaded"], true, "{d}");
    assert_eq!(p["message"], "Hello, alice!");
    assert_eq!(p["stage"], "prod");

    // Outputs of the stage.
    let outputs = server.json(&app, &["outputs", "--stage", "dev"]);
    let keys: Vec<&str> = outputs["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["key"].as_str())
        .collect();
    assert!(
        keys.contains(&"ApiUrl") && keys.contains(&"HelloFunctionArn"),
        "{outputs}"
    );
    let text = server.ok(&app, &["outputs", "--stage", "dev"]);
    assert!(
        text.contains("HelloFunctionArn") && text.contains("URL: "),
        "{text}"
    );

    // Both stages are listed.
    let stacks = server.json(&app, &["stacks"]);
    let greeter = stacks
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["app"] == "greeter")
        .unwrap_or_else(|| panic!("{stacks}"));
    let stages: Vec<&str> = greeter["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["stage"].as_str())
        .collect();
    assert!(
        stages.contains(&"dev") && stages.contains(&"prod"),
        "{stacks}"
    );
    let text = server.ok(&app, &["stacks"]);
    assert!(text.starts_with("App  "), "{text}");

    // Plan a change on dev: the functions' environment changes in place.
    let plan = server.ok(
        &app,
        &[
            "plan",
            "--stage",
            "dev",
            "--parameter-overrides",
            "Greeting=Howdy",
        ],
    );
    assert!(plan.contains("~ Modify   HelloFunction"), "{plan}");
    assert!(plan.contains("Environment"), "{plan}");
    let cs = server.json(
        &app,
        &[
            "plan",
            "--stage",
            "dev",
            "--parameter-overrides",
            "Greeting=Howdy",
        ],
    );
    assert!(!cs["changes"].as_array().unwrap().is_empty(), "{cs}");
    // --no-execute shows the same change set and applies nothing.
    let no_exec = server.ok(
        &app,
        &[
            "deploy",
            "--stage",
            "dev",
            "--no-execute",
            "--parameter-overrides",
            "Greeting=Howdy",
        ],
    );
    assert!(no_exec.contains("~ Modify   HelloFunction"), "{no_exec}");
    assert_eq!(hello(&dev_url, "bob")["message"], "Hi, bob!");

    // Change the code: a new version is published behind the `live` alias
    // (AutoPublishAlias), on dev only.
    edit_code(&app);
    let plan = server.ok(&app, &["plan", "--stage", "dev"]);
    assert!(plan.contains("+ Add      HelloFunctionVersion"), "{plan}");
    assert!(plan.contains("- Remove   HelloFunctionVersion"), "{plan}");
    assert!(plan.contains("HelloFunctionAliaslive"), "{plan}");
    let out = server.ok(&app, &["deploy", "--stage", "dev"]);
    assert!(out.contains("Deployed greeter/dev"), "{out}");
    assert_eq!(hello(&dev_url, "bob")["message"], "Hi, bob!!");
    assert_eq!(hello(&prod_url, "bob")["message"], "Hello, bob!");

    // A deploy with nothing new changes nothing.
    let again = server.ok(&app, &["deploy", "--stage", "dev"]);
    assert!(again.contains("No changes"), "{again}");

    // Logs of the function that served.
    let logs = server.ok(&app, &["logs", "HelloFunction", "--stage", "dev"]);
    assert!(logs.contains("START RequestId"), "{logs}");
    assert!(logs.contains("REPORT RequestId"), "{logs}");

    // Followed logs: history first, then new lines as they are written.
    let mut follow = bin()
        .current_dir(&app)
        .env("LOCKGATE_SERVER", &server.url)
        .env("LOCKGATE_TOKEN_FILE", &server.token_file)
        .args([
            "logs",
            "HelloFunction",
            "--stage",
            "dev",
            "--follow",
            "--output",
            "json",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let request_id = hello(&dev_url, "gus")["requestId"]
        .as_str()
        .unwrap()
        .to_string();
    let mut followed = BufReader::new(follow.stdout.take().unwrap()).lines();
    let report = followed
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("REPORT RequestId: ") && l.contains(&request_id))
        .expect("the followed log ended before the invocation's REPORT line");
    let record: Value = serde_json::from_str(&report).unwrap();
    assert!(record["cursor"].as_u64().is_some(), "{record}");
    let _ = follow.kill();
    let _ = follow.wait();

    // The parameter store.
    assert_eq!(
        server
            .ok(&app, &["params", "get", "/dev/greeterSecret"])
            .trim(),
        "****"
    );
    assert_eq!(
        server
            .ok(&app, &["params", "get", "/dev/greeterSecret", "--decrypt"])
            .trim(),
        "dev-s3cret"
    );
    server.ok(&app, &["params", "put", "/dev/color", "blue"]);
    let refused = server.refused(&app, &["params", "put", "/dev/color", "red"]);
    assert!(refused.contains("/dev/color"), "{refused}");
    let v = server.json(&app, &["params", "put", "/dev/color", "red", "--overwrite"]);
    assert_eq!(v["version"], 2);
    let list = server.ok(&app, &["params", "list", "--path", "/dev", "--recursive"]);
    insta::assert_snapshot!("params_list_dev", list);
    server.ok(&app, &["params", "delete", "/dev/color"]);
    let gone = server.refused(&app, &["params", "get", "/dev/color"]);
    assert!(gone.contains("/dev/color"), "{gone}");

    // Destroy prod: dev keeps serving.
    let out = server.ok(&app, &["destroy", "--stage", "prod"]);
    assert!(out.contains("Destroyed greeter/prod"), "{out}");
    assert_eq!(hello(&dev_url, "carol")["message"], "Hi, carol!!");
    let stacks = server.json(&app, &["stacks"]);
    // Deleted stacks are gone or listed as DELETE_COMPLETE, as CloudFormation lists them.
    let prod_left = stacks.as_array().unwrap().iter().any(|a| {
        a["app"] == "greeter"
            && a["stages"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|s| s["stage"] == "prod" && s["status"] != "DELETE_COMPLETE")
            })
    });
    assert!(!prod_left, "{stacks}");
    let text = server.ok(&app, &["stacks"]);
    assert!(
        text.contains("greeter  dev") && !text.contains("prod"),
        "{text}"
    );
    assert!(
        !serves(&format!("{prod_url}/hello/x")),
        "prod no longer serves"
    );
}

#[test]
fn a_failing_resource_rolls_back_and_the_previous_version_keeps_serving() {
    let server = ServerProc::start();
    let (_tmp, app) = greeter_copy();
    put_secrets(&server, &app);
    server.ok(&app, &["deploy", "--stage", "dev"]);
    let url = stage_url(&server, &app, "dev");
    assert_eq!(hello(&url, "dan")["message"], "Hi, dan!");
    let before = server.json(&app, &["outputs", "--stage", "dev"]);

    // A later resource (after the functions) fails at apply time.
    let template = std::fs::read_to_string(app.join("template.yaml")).unwrap();
    let broken = template.replace(
        "\nOutputs:\n",
        "\n  Broken:\n    Type: AWS::SSM::Parameter\n    DependsOn: HelloFunction\n    Properties:\n      Type: SecureString\n      Value: nope\n\nOutputs:\n",
    );
    assert_ne!(broken, template);
    std::fs::write(app.join("broken.yaml"), broken).unwrap();
    // With new code too: without a rollback the answer would change.
    edit_code(&app);
    let err = server.refused(
        &app,
        &["deploy", "--stage", "dev", "--template", "broken.yaml"],
    );
    assert!(err.contains("Broken"), "{err}");
    assert!(err.to_lowercase().contains("roll"), "{err}");

    // The old version still answers, with the old code.
    assert_eq!(hello(&url, "dan")["message"], "Hi, dan!");
    let after = server.json(&app, &["outputs", "--stage", "dev"]);
    assert_eq!(before["outputs"], after["outputs"]);
}

#[test]
fn bad_input_is_refused_before_anything_changes() {
    let server = ServerProc::start();
    let (_tmp, app) = greeter_copy();
    put_secrets(&server, &app);
    server.ok(&app, &["deploy", "--stage", "dev"]);
    let url = stage_url(&server, &app, "dev");
    let stacks_before = server.json(&app, &["stacks"]);
    let template = std::fs::read_to_string(app.join("template.yaml")).unwrap();
    let write = |name: &str, text: String| {
        assert_ne!(text, template, "{name} must differ from the template");
        std::fs::write(app.join(name), text).unwrap();
    };

    // An invalid template.
    write(
        "invalid.yaml",
        template.replace("Handler: hello.handler", "Handler: [unclosed"),
    );
    let err = server.refused(&app, &["deploy", "--stage", "dev", "-t", "invalid.yaml"]);
    assert!(
        err.contains("invalid.yaml") || err.contains("line"),
        "{err}"
    );

    // A template that is not UTF-8: where the first bad byte is.
    let mut latin1 = template.clone().into_bytes();
    latin1.extend(b"# caf\xe9\n");
    std::fs::write(app.join("latin1.yaml"), latin1).unwrap();
    let err = server.refused(&app, &["deploy", "--stage", "dev", "-t", "latin1.yaml"]);
    assert!(
        err.contains("latin1.yaml: the template is not UTF-8 text: byte 0xE9 at byte offset"),
        "{err}"
    );

    // A parameter with no value and no default.
    write(
        "missing.yaml",
        template.replace(
            "Parameters:\n",
            "Parameters:\n  Owner:\n    Type: String\n    Description: Who owns the stage.\n",
        ),
    );
    let err = server.refused(&app, &["deploy", "--stage", "dev", "-t", "missing.yaml"]);
    assert!(err.contains("Owner"), "{err}");

    // A value outside AllowedValues.
    let err = server.refused(
        &app,
        &[
            "deploy",
            "--stage",
            "dev",
            "--parameter-overrides",
            "Greeting=Yo",
        ],
    );
    assert!(err.contains("Greeting") && err.contains("Yo"), "{err}");
    let shown: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("Deploying "))
        .collect();
    insta::assert_snapshot!("refused_parameter_value", shown.join("\n"));

    // A Ref to nothing.
    write(
        "dangling.yaml",
        template.replace("STAGE: !Ref Stage", "STAGE: !Ref NoSuchThing"),
    );
    let err = server.refused(&app, &["deploy", "--stage", "dev", "-t", "dangling.yaml"]);
    assert!(err.contains("NoSuchThing"), "{err}");

    // A stage name that is not a valid name.
    let err = server.refused(&app, &["deploy", "--stage", "Dev!"]);
    assert!(err.contains("Dev!") && err.contains("stage"), "{err}");

    // The server refuses it too, for clients that do not check.
    let token = std::fs::read_to_string(&server.token_file).unwrap();
    let body = serde_json::json!({
        "template": template,
        "template_path": "template.yaml",
        "parameters": {},
        "artifacts": {},
        "execute": true,
    })
    .to_string();
    let (status, answer) = http_with(
        "POST",
        &format!("{}/v1/apps/greeter/stages/Dev%21/deploy", server.url),
        &format!("Authorization: Bearer {}\r\n", token.trim()),
        Some(&body),
    );
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("Dev!"), "{answer}");

    // Plans are refused the same way.
    let err = server.refused(&app, &["plan", "--stage", "dev", "-t", "dangling.yaml"]);
    assert!(err.contains("NoSuchThing"), "{err}");

    // Nothing changed: same stacks, same answer.
    assert_eq!(server.json(&app, &["stacks"]), stacks_before);
    assert_eq!(hello(&url, "erin")["message"], "Hi, erin!");
}
