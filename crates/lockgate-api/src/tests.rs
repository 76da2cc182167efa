//! The JSON shapes of the wire types: one snapshot per type (what the
//! server sends and `--output json` prints), and the reading rules (defaults,
//! unknown fields, unknown error codes, present nulls).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

fn change() -> Change {
    Change {
        logical_id: "HelloFunction".into(),
        resource_type: "AWS::Lambda::Function".into(),
        action: Action::Modify,
        replacement: Some(Replacement::False),
        details: vec![PropertyChange {
            name: "Environment".into(),
            requires_recreation: Recreation::Never,
            evaluation: Evaluation::Static,
            before: Some(json!({"Variables": {"GREETING": "Hi"}})),
            after: Some(json!({"Variables": {"GREETING": "****"}})),
        }],
        emulated: true,
    }
}

fn output() -> StackOutput {
    StackOutput {
        key: "ApiUrl".into(),
        value: "http://127.0.0.1:4611/".into(),
        description: Some("The API".into()),
        export: None,
    }
}

fn result() -> DeployResult {
    DeployResult {
        app: "greeter".into(),
        stage: "dev".into(),
        status: "UPDATE_COMPLETE".into(),
        changes: vec![change()],
        outputs: vec![output()],
        url: Some("http://127.0.0.1:4611".into()),
        warnings: vec!["Q (AWS::SQS::Queue) is recorded but not emulated locally".into()],
        elapsed_ms: 42,
        settings_change: false,
    }
}

fn event() -> ProgressEvent {
    ProgressEvent {
        logical_id: "HelloFunction".into(),
        resource_type: "AWS::Lambda::Function".into(),
        status: "UPDATE_FAILED".into(),
        reason: Some("boom".into()),
        rollout: None,
    }
}

#[test]
fn deploy_request() {
    let req = DeployRequest {
        template: "Resources: {}\n".into(),
        template_path: "template.yaml".into(),
        parameters: BTreeMap::from([("Stage".into(), "dev".into())]),
        stack: None,
        execute: true,
        artifacts: BTreeMap::from([("src/".into(), "ab".repeat(32))]),
        permissions: None,
        client_token: None,
    };
    insta::assert_json_snapshot!(req);
    // Everything but the template has a default.
    let minimal: DeployRequest = serde_json::from_value(json!({"template": "x"})).unwrap();
    assert_eq!(minimal.template_path, "template.yaml");
    assert!(minimal.execute);
    assert!(minimal.artifacts.is_empty() && minimal.parameters.is_empty());
    assert_eq!(minimal.permissions, None);
    let report: DeployRequest =
        serde_json::from_value(json!({"template": "x", "permissions": "report"})).unwrap();
    assert_eq!(report.permissions, Some(PermissionsMode::Report));
    // The old `base_dir` (the server reading the client's disk) is refused by name.
    let old = serde_json::from_value::<DeployRequest>(json!({"template": "x", "base_dir": "/app"}))
        .unwrap_err();
    assert!(
        old.to_string().contains("unknown field `base_dir`"),
        "{old}"
    );
}

#[test]
fn plan_and_changes() {
    let plan = Plan {
        app: "greeter".into(),
        stage: "dev".into(),
        stack_exists: true,
        changes: vec![
            change(),
            Change {
                logical_id: "Old".into(),
                resource_type: "AWS::SNS::Topic".into(),
                action: Action::Remove,
                replacement: None,
                details: vec![],
                emulated: false,
            },
        ],
        warnings: vec![],
        settings_change: false,
    };
    insta::assert_json_snapshot!(plan);
    let ops: Vec<&str> = [
        (Action::Add, None),
        (Action::Modify, Some(Replacement::True)),
        (Action::Modify, Some(Replacement::Conditional)),
        (Action::Modify, None),
        (Action::Remove, None),
    ]
    .into_iter()
    .map(|(action, replacement)| {
        Change {
            action,
            replacement,
            ..change()
        }
        .operation()
    })
    .collect();
    assert_eq!(ops, ["Add", "Replace", "Modify", "Modify", "Remove"]);
}

#[test]
fn a_property_that_was_null_stays_present() {
    let text = r#"{"name":"P","requires_recreation":"Always","evaluation":"Static","before":null}"#;
    let p: PropertyChange = serde_json::from_str(text).unwrap();
    assert_eq!(p.before, Some(Value::Null));
    assert_eq!(p.after, None);
    assert_eq!(serde_json::to_string(&p).unwrap(), text);
}

#[test]
fn deploy_stream_lines() {
    let lines = [
        DeployStreamItem::Event(event()),
        DeployStreamItem::Result(result()),
        DeployStreamItem::Error(ApiError {
            logical_id: Some("HelloFunction".into()),
            reason: Some("boom".into()),
            ..ApiError::new(
                ErrorCode::DeployFailed,
                "resource HelloFunction failed: boom; the stack was rolled back to its last good state",
            )
        }),
    ];
    insta::assert_json_snapshot!(lines);
    for l in &lines {
        let text = serde_json::to_string(l).unwrap();
        assert_eq!(&serde_json::from_str::<DeployStreamItem>(&text).unwrap(), l);
        assert!(
            text.starts_with(r#"{"event":"#)
                || text.starts_with(r#"{"result":"#)
                || text.starts_with(r#"{"error":"#),
            "{text}"
        );
    }
}

#[test]
fn error_bodies() {
    let invalid = ApiError {
        rendered: Some("error: template.yaml:3:5: unknown\n".into()),
        diagnostics: Some(json!([{"message": "unknown"}])),
        ..ApiError::new(ErrorCode::InvalidTemplate, "template.yaml:3:5: unknown")
    }
    .into_body();
    insta::assert_json_snapshot!(invalid);
    let plain = ApiError::new(ErrorCode::NotFound, "no API route GET /v1/nope").into_body();
    assert_eq!(
        serde_json::to_value(&plain).unwrap(),
        json!({"error": {"code": "not-found", "message": "no API route GET /v1/nope"}})
    );
    // Every known code reads back as itself; an unknown one is kept.
    for code in ErrorCode::KNOWN {
        let c = ErrorCode::from(*code);
        assert!(!matches!(c, ErrorCode::Other(_)), "{code}");
        assert_eq!(c.as_str(), *code);
    }
    let newer: ErrorBody =
        serde_json::from_value(json!({"error": {"code": "quota-exceeded", "message": "m"}}))
            .unwrap();
    assert_eq!(newer.error.code, ErrorCode::Other("quota-exceeded".into()));
    assert!(ErrorCode::Store.is_internal() && !ErrorCode::Conflict.is_internal());
}

#[test]
fn stages_and_apps() {
    let apps = vec![AppSummary {
        app: "greeter".into(),
        stages: vec![StackSummary {
            stage: "dev".into(),
            stack: "greeter".into(),
            status: "CREATE_COMPLETE".into(),
            version: 1,
            updated_at: 1_795_000_000_000,
            url: None,
        }],
    }];
    insta::assert_json_snapshot!("apps", apps);
    let info = StageInfo {
        app: "greeter".into(),
        stage: "dev".into(),
        status: "UPDATE_ROLLBACK_COMPLETE".into(),
        status_reason: Some("resource Broken failed".into()),
        version: 3,
        url: Some("http://127.0.0.1:4611".into()),
        outputs: vec![output()],
        resources: vec![StageResource {
            logical_id: "HelloFunction".into(),
            resource_type: "AWS::Lambda::Function".into(),
            physical_id: Some("greeter-dev-HelloFunction".into()),
            status: "CREATE_COMPLETE".into(),
            emulated: true,
        }],
    };
    insta::assert_json_snapshot!("stage_info", info);
    let mut health = Health {
        status: "ok".into(),
        version: "0.1.0".into(),
        unisolated: None,
    };
    assert_eq!(
        serde_json::to_value(&health).unwrap(),
        json!({"status": "ok", "version": "0.1.0"})
    );
    health.unisolated = Some("unsandboxed: the sandbox is turned off".into());
    assert_eq!(
        serde_json::to_value(&health).unwrap()["unisolated"],
        "unsandboxed: the sandbox is turned off"
    );
    let server = ServerInfo {
        url: "http://127.0.0.1:4610".into(),
        token_file: Some("/data/admin.token".into()),
        pid: Some(7),
    };
    insta::assert_json_snapshot!("server_json", server);
}

#[test]
fn artifacts() {
    let req = MissingArtifactsRequest {
        digests: vec!["ab".repeat(32), "cd".repeat(32)],
    };
    let missing = MissingArtifacts {
        missing: vec!["cd".repeat(32)],
    };
    let stored = ArtifactStored {
        digest: "cd".repeat(32),
        size: 12,
    };
    insta::assert_json_snapshot!((req, missing, stored));
}

#[test]
fn parameters() {
    let put = PutParameterRequest {
        parameter_type: ParameterType::SecureString,
        value: "s3cret".into(),
        overwrite: true,
        description: None,
    };
    let p = Parameter {
        name: "/dev/db".into(),
        parameter_type: ParameterType::SecureString,
        value: "****".into(),
        version: 2,
        description: None,
        modified_by: "admin".into(),
        modified_at: 1_795_000_000_000,
    };
    insta::assert_json_snapshot!((
        put,
        ParameterVersion { version: 2 },
        p,
        DeletedParameter {
            deleted: "/dev/db".into()
        }
    ));
    let minimal: PutParameterRequest = serde_json::from_value(json!({"value": "v"})).unwrap();
    assert_eq!(minimal.parameter_type, ParameterType::String);
    assert!(!minimal.overwrite);
    let bad =
        serde_json::from_value::<PutParameterRequest>(json!({"type": "Number", "value": "1"}))
            .unwrap_err();
    assert!(bad.to_string().contains("`SecureString`"), "{bad}");
}

#[test]
fn logs_and_schedules() {
    let line = LogLine {
        cursor: 3,
        function: "greeter-dev-HelloFunction".into(),
        time: 1_795_000_000_000,
        line: "START RequestId: 1".into(),
    };
    let schedule = Schedule {
        rule: "TickEvery:exporter-dev-Tick".into(),
        expression: "rate(5 minutes)".into(),
        next: Some("2026-11-18T11:10:00+00:00".into()),
    };
    let fired = ScheduleFired {
        rule: "TickEvery:exporter-dev-Tick".into(),
        fired_at: "2026-11-18T11:06:40+00:00".into(),
    };
    insta::assert_json_snapshot!((line, schedule, fired));
}

/// Queries leave out what is at its default, so URLs stay short.
#[test]
fn queries() {
    let q = |v: &dyn erased::Ser| v.json();
    assert_eq!(q(&LogsQuery::default()), json!({}));
    assert_eq!(
        q(&LogsQuery {
            since: Some(4),
            follow: true
        }),
        json!({"since": 4, "follow": true})
    );
    assert_eq!(q(&StackQuery::default()), json!({}));
    assert_eq!(q(&GetParameterQuery::default()), json!({}));
    assert_eq!(
        q(&ListParametersQuery {
            path: Some("/dev".into()),
            recursive: true
        }),
        json!({"path": "/dev", "recursive": true})
    );
}

mod erased {
    pub trait Ser {
        fn json(&self) -> serde_json::Value;
    }

    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap()
        }
    }
}
