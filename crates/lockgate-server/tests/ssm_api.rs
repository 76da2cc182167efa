//! SSM operations called directly on `SsmService` (no HTTP): response and
//! error shapes, validation, paging tokens, the access rule and secrets.

use std::sync::Arc;

use lockgate_server::ssm::{Caller, SsmService};
use lockgate_store::{SqliteStore, Store};
use serde_json::{Value, json};

struct Fixture {
    _dir: tempfile::TempDir,
    ssm: SsmService,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    Fixture {
        ssm: SsmService::new(store).with_arn_context("eu-west-1", "111122223333"),
        _dir: dir,
    }
}

fn dev() -> Caller {
    Caller::Stage {
        app: "greeter".into(),
        stage: "dev".into(),
        role: None,
    }
}

async fn call(ssm: &SsmService, caller: &Caller, op: &str, body: Value) -> (u16, Value) {
    let r = ssm
        .handle(
            caller,
            &format!("AmazonSSM.{op}"),
            body.to_string().as_bytes(),
        )
        .await;
    let v: Value = serde_json::from_slice(&r.body).expect("every answer is JSON");
    (r.status, v)
}

async fn ok(ssm: &SsmService, caller: &Caller, op: &str, body: Value) -> Value {
    let (status, v) = call(ssm, caller, op, body).await;
    assert_eq!(status, 200, "{op}: {v}");
    v
}

async fn err(ssm: &SsmService, caller: &Caller, op: &str, body: Value) -> (String, String) {
    let (status, v) = call(ssm, caller, op, body).await;
    assert_eq!(status, 400, "{op}: {v}");
    (
        v["__type"].as_str().unwrap().to_string(),
        v["message"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn shapes_of_answers() {
    let f = fixture().await;
    let a = Caller::Admin;
    let put = ok(
        &f.ssm,
        &a,
        "PutParameter",
        json!({"Name": "/dev/db/password", "Type": "SecureString", "Value": "hunter2", "Description": "db"}),
    )
    .await;
    assert_eq!(put, json!({"Version": 1, "Tier": "Standard"}));

    let got = ok(
        &f.ssm,
        &dev(),
        "GetParameter",
        json!({"Name": "/dev/db/password"}),
    )
    .await;
    let p = &got["Parameter"];
    assert_eq!(p["Name"], "/dev/db/password");
    assert_eq!(p["Type"], "SecureString");
    assert_eq!(p["Version"], 1);
    assert_eq!(p["DataType"], "text");
    assert_eq!(
        p["ARN"],
        "arn:aws:ssm:eu-west-1:111122223333:parameter/dev/db/password"
    );
    assert!(p["LastModifiedDate"].as_f64().unwrap() > 1.7e9);
    let sealed = p["Value"].as_str().unwrap();
    assert_ne!(sealed, "hunter2");
    assert!(!got.to_string().contains("hunter2"));

    let open = ok(
        &f.ssm,
        &dev(),
        "GetParameter",
        json!({"Name": "arn:aws:ssm:eu-west-1:111122223333:parameter/dev/db/password", "WithDecryption": true}),
    )
    .await;
    assert_eq!(open["Parameter"]["Value"], "hunter2");

    // Describe and history never carry the secret either.
    let d = ok(&f.ssm, &dev(), "DescribeParameters", json!({})).await;
    assert_eq!(d["Parameters"][0]["Name"], "/dev/db/password");
    assert_eq!(d["Parameters"][0]["KeyId"], "alias/aws/ssm");
    assert_eq!(d["Parameters"][0]["Description"], "db");
    assert!(!d.to_string().contains("hunter2"));
    let h = ok(
        &f.ssm,
        &dev(),
        "GetParameterHistory",
        json!({"Name": "/dev/db/password"}),
    )
    .await;
    assert_eq!(h["Parameters"][0]["Version"], 1);
    assert!(!h.to_string().contains("hunter2"));

    // A top-level name's ARN has one slash.
    ok(
        &f.ssm,
        &a,
        "PutParameter",
        json!({"Name": "plain", "Type": "String", "Value": "v"}),
    )
    .await;
    let p = ok(&f.ssm, &a, "GetParameter", json!({"Name": "plain"})).await;
    assert_eq!(
        p["Parameter"]["ARN"],
        "arn:aws:ssm:eu-west-1:111122223333:parameter/plain"
    );
    // StringList round trip; overwrite without Type keeps the type.
    ok(
        &f.ssm,
        &a,
        "PutParameter",
        json!({"Name": "/dev/list", "Type": "StringList", "Value": "a,b"}),
    )
    .await;
    let v = ok(
        &f.ssm,
        &a,
        "PutParameter",
        json!({"Name": "/dev/list", "Value": "c,d", "Overwrite": true}),
    )
    .await;
    assert_eq!(v["Version"], 2);
    let p = ok(&f.ssm, &a, "GetParameter", json!({"Name": "/dev/list:1"})).await;
    assert_eq!(p["Parameter"]["Value"], "a,b");
    assert_eq!(p["Parameter"]["Selector"], ":1");
    let p = ok(&f.ssm, &a, "GetParameter", json!({"Name": "/dev/list"})).await;
    assert_eq!(p["Parameter"]["Type"], "StringList");
    assert_eq!(p["Parameter"]["Value"], "c,d");

    let del = ok(
        &f.ssm,
        &a,
        "DeleteParameters",
        json!({"Names": ["/dev/list", "/dev/none"]}),
    )
    .await;
    assert_eq!(
        del,
        json!({"DeletedParameters": ["/dev/list"], "InvalidParameters": ["/dev/none"]})
    );
}

#[tokio::test]
async fn errors_carry_ssm_codes() {
    let f = fixture().await;
    let a = Caller::Admin;
    ok(
        &f.ssm,
        &a,
        "PutParameter",
        json!({"Name": "/dev/x", "Type": "String", "Value": "1"}),
    )
    .await;

    let cases: Vec<(Caller, &str, Value, &str, &str)> = vec![
        (
            a.clone(),
            "GetParameter",
            json!({"Name": "/dev/none"}),
            "ParameterNotFound",
            "/dev/none",
        ),
        (
            a.clone(),
            "GetParameter",
            json!({"Name": "/dev/x:9"}),
            "ParameterVersionNotFound",
            "version 9",
        ),
        (
            a.clone(),
            "GetParameter",
            json!({"Name": "/dev/x:live"}),
            "ParameterVersionLabelNotFound",
            "live",
        ),
        (
            a.clone(),
            "GetParameter",
            json!({}),
            "ValidationException",
            "'name'",
        ),
        (
            a.clone(),
            "GetParameter",
            json!({"Name": "/a b"}),
            "ValidationException",
            "invalid parameter name",
        ),
        (
            a.clone(),
            "GetParameter",
            json!({"Name": 5}),
            "SerializationException",
            "GetParameter",
        ),
        (
            a.clone(),
            "GetParameters",
            json!({"Names": []}),
            "ValidationException",
            "between 1 and 10",
        ),
        (
            a.clone(),
            "GetParametersByPath",
            json!({"Path": "/dev", "MaxResults": 11}),
            "ValidationException",
            "'11'",
        ),
        (
            a.clone(),
            "GetParametersByPath",
            json!({"Path": "dev"}),
            "ValidationException",
            "`dev`",
        ),
        (
            a.clone(),
            "GetParametersByPath",
            json!({"Path": "/dev", "NextToken": "nope"}),
            "InvalidNextToken",
            "token",
        ),
        (
            a.clone(),
            "GetParametersByPath",
            json!({"Path": "/dev", "ParameterFilters": [{"Key": "Label", "Values": ["x"]}]}),
            "InvalidFilterKey",
            "Label",
        ),
        (
            a.clone(),
            "DescribeParameters",
            json!({"MaxResults": 51}),
            "ValidationException",
            "'51'",
        ),
        (
            a.clone(),
            "PutParameter",
            json!({"Name": "/dev/x", "Type": "String", "Value": "2"}),
            "ParameterAlreadyExists",
            "overwrite",
        ),
        (
            a.clone(),
            "PutParameter",
            json!({"Name": "/dev/y", "Value": "2"}),
            "ValidationException",
            "type is required",
        ),
        (
            a.clone(),
            "PutParameter",
            json!({"Name": "/dev/y", "Type": "Secret", "Value": "2"}),
            "ValidationException",
            "'Secret'",
        ),
        (
            a.clone(),
            "PutParameter",
            json!({"Name": "/dev/y", "Type": "String", "Value": ""}),
            "ValidationException",
            "1 to 4096",
        ),
        (
            a.clone(),
            "PutParameter",
            json!({"Name": "/dev/y", "Type": "String", "Value": "v", "AllowedPattern": ".*"}),
            "ValidationException",
            "AllowedPattern",
        ),
        (
            a.clone(),
            "PutParameter",
            json!({"Name": "/aws/y", "Type": "String", "Value": "v"}),
            "ValidationException",
            "aws",
        ),
        (
            a.clone(),
            "DeleteParameter",
            json!({"Name": "/dev/none"}),
            "ParameterNotFound",
            "/dev/none",
        ),
        (
            a.clone(),
            "SendCommand",
            json!({}),
            "UnknownOperationException",
            "SendCommand",
        ),
        (
            dev(),
            "GetParameter",
            json!({"Name": "/prod/x"}),
            "AccessDeniedException",
            "ssm:GetParameter",
        ),
        (
            dev(),
            "GetParameter",
            json!({"Name": "plain"}),
            "AccessDeniedException",
            "may read only /dev/",
        ),
        (
            dev(),
            "GetParametersByPath",
            json!({"Path": "/greeter"}),
            "AccessDeniedException",
            "parameter/greeter",
        ),
        (
            dev(),
            "GetParameterHistory",
            json!({"Name": "/prod/x"}),
            "AccessDeniedException",
            "GetParameterHistory",
        ),
        (
            dev(),
            "PutParameter",
            json!({"Name": "/dev/x", "Type": "String", "Value": "2", "Overwrite": true}),
            "AccessDeniedException",
            "ssm:PutParameter",
        ),
        (
            dev(),
            "DeleteParameters",
            json!({"Names": ["/dev/x"]}),
            "AccessDeniedException",
            "ssm:DeleteParameters",
        ),
    ];
    for (caller, op, body, code, needle) in cases {
        let (c, m) = err(&f.ssm, &caller, op, body.clone()).await;
        assert_eq!(c, code, "{op} {body}: {m}");
        assert!(m.contains(needle), "{op} {body}: `{m}` lacks `{needle}`");
    }
    // Not an SSM target at all; not JSON at all.
    let r = f.ssm.handle(&a, "AmazonS3.GetObject", b"{}").await;
    assert_eq!(r.status, 400);
    let r = f
        .ssm
        .handle(&a, "AmazonSSM.GetParameter", b"{not json")
        .await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["__type"], "SerializationException");
    // The parameter the stage could not write is unchanged.
    let p = ok(&f.ssm, &a, "GetParameter", json!({"Name": "/dev/x"})).await;
    assert_eq!(p["Parameter"]["Value"], "1");
}

#[tokio::test]
async fn paging_walks_every_name_once() {
    let f = fixture().await;
    let a = Caller::Admin;
    for i in 0..23 {
        let name = format!("/greeter/dev/k{i:02}");
        ok(
            &f.ssm,
            &a,
            "PutParameter",
            json!({"Name": name, "Type": "String", "Value": "v"}),
        )
        .await;
    }
    ok(
        &f.ssm,
        &a,
        "PutParameter",
        json!({"Name": "/greeter/dev/s", "Type": "SecureString", "Value": "v"}),
    )
    .await;
    let mut token: Option<String> = None;
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        let mut body = json!({"Path": "/greeter/dev", "MaxResults": 4, "ParameterFilters": [{"Key": "Type", "Option": "Equals", "Values": ["String"]}]});
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let page = ok(&f.ssm, &dev(), "GetParametersByPath", body).await;
        pages += 1;
        for p in page["Parameters"].as_array().unwrap() {
            names.push(p["Name"].as_str().unwrap().to_string());
        }
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    let want: Vec<String> = (0..23).map(|i| format!("/greeter/dev/k{i:02}")).collect();
    assert_eq!(names, want);
    assert_eq!(pages, 6);

    // History pages too.
    for v in 2..=5 {
        ok(
            &f.ssm,
            &a,
            "PutParameter",
            json!({"Name": "/greeter/dev/k00", "Value": format!("v{v}"), "Overwrite": true}),
        )
        .await;
    }
    let h1 = ok(
        &f.ssm,
        &dev(),
        "GetParameterHistory",
        json!({"Name": "/greeter/dev/k00", "MaxResults": 3}),
    )
    .await;
    assert_eq!(h1["Parameters"].as_array().unwrap().len(), 3);
    let h2 = ok(
        &f.ssm,
        &dev(),
        "GetParameterHistory",
        json!({"Name": "/greeter/dev/k00", "MaxResults": 3, "NextToken": h1["NextToken"]}),
    )
    .await;
    let versions: Vec<u64> = h2["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [4, 5]);
    assert!(h2.get("NextToken").is_none());

    // Describe with a Name BeginsWith filter and a path filter.
    let d = ok(
        &f.ssm,
        &a,
        "DescribeParameters",
        json!({"ParameterFilters": [{"Key": "Name", "Option": "BeginsWith", "Values": ["/greeter/dev/k1"]}]}),
    )
    .await;
    assert_eq!(d["Parameters"].as_array().unwrap().len(), 10);
    let d = ok(
        &f.ssm,
        &a,
        "DescribeParameters",
        json!({"ParameterFilters": [{"Key": "Path", "Option": "OneLevel", "Values": ["/greeter/dev"]}, {"Key": "Type", "Values": ["SecureString"]}]}),
    )
    .await;
    assert_eq!(d["Parameters"][0]["Name"], "/greeter/dev/s");
    assert_eq!(d["Parameters"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn handle_http_checks_the_signature_scope_and_method() {
    use lockgate_server::sigv4::{CredentialIndex, SignedRequest, sign};

    let f = fixture().await;
    ok(
        &f.ssm,
        &Caller::Admin,
        "PutParameter",
        json!({"Name": "/dev/x", "Type": "String", "Value": "1"}),
    )
    .await;
    let keys = CredentialIndex::new(b"secret").with_region("eu-west-1");
    let creds = keys.register_stage("greeter", "dev");
    let now = chrono::Utc::now();
    let date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let body = br#"{"Name":"/dev/x"}"#;
    let base = vec![
        ("host", "127.0.0.1:4610"),
        ("x-amz-date", date.as_str()),
        ("x-amz-target", "AmazonSSM.GetParameter"),
        ("x-amz-security-token", creds.session_token.as_str()),
    ];
    let signed_in = |region: &str, service: &str| {
        let req = SignedRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: base.clone(),
            body,
        };
        sign(
            &req,
            &creds.access_key_id,
            &creds.secret_access_key,
            region,
            service,
        )
        .unwrap()
    };
    // The fixture's server runs in eu-west-1.
    let signed_for = |service: &str| signed_in("eu-west-1", service);
    async fn answer(
        ssm: &SsmService,
        keys: &CredentialIndex,
        base: &[(&str, &str)],
        body: &[u8],
        auth: Option<String>,
        method: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> (u16, Value) {
        let mut headers = base.to_vec();
        if let Some(auth) = &auth {
            headers.push(("authorization", auth.as_str()));
        }
        let req = SignedRequest {
            method,
            path: "/",
            query: "",
            headers,
            body,
        };
        let r = ssm.handle_http(keys, &req, now).await;
        (r.status, serde_json::from_slice::<Value>(&r.body).unwrap())
    }
    let answer = |auth: Option<String>, method: &'static str| {
        answer(&f.ssm, &keys, &base, body, auth, method, now)
    };
    let (status, v) = answer(Some(signed_for("ssm")), "POST").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Parameter"]["Value"], "1");
    let (status, v) = answer(Some(signed_for("lambda")), "POST").await;
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("InvalidSignatureException"))
    );
    assert!(v["message"].as_str().unwrap().contains("'ssm'"));
    // A credential scope of another region is refused, as AWS does.
    let (status, v) = answer(Some(signed_in("us-east-1", "ssm")), "POST").await;
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("InvalidSignatureException"))
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("Credential should be scoped to a valid region, not 'us-east-1'"),
        "{v}"
    );
    let (status, v) = answer(None, "POST").await;
    assert_eq!(
        (status, v["__type"].as_str()),
        (403, Some("MissingAuthenticationTokenException"))
    );
    let (status, v) = answer(Some(signed_for("ssm")), "GET").await;
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
}

/// A function of greeter/dev acting as `role`.
fn as_role(role: &str) -> Caller {
    Caller::Stage {
        app: "greeter".into(),
        stage: "dev".into(),
        role: Some(lockgate_server::sigv4::AssumedRole {
            role: role.into(),
            session: "greeter-dev-Fn".into(),
        }),
    }
}

fn iam_role(name: &str, statements: Value) -> lockgate_store::ResourceState {
    lockgate_store::ResourceState {
        logical_id: name.into(),
        resource_type: "AWS::IAM::Role".into(),
        physical_id: Some(name.into()),
        properties: json!({"Policies": [{"PolicyName": "P", "PolicyDocument": {"Statement": statements}}]}),
        status: lockgate_store::ResourceStatus::CreateComplete,
        status_reason: None,
        attributes: json!({"Arn": format!("arn:aws:iam::111122223333:role/{name}")}),
    }
}

/// `DescribeParameters` is an action of its own, on no parameter: a role
/// needs `ssm:DescribeParameters` on `*` (SAM's SSMParameterReadPolicy
/// grants it), as on AWS; `GetParametersByPath` carries `ssm:Recursive`.
#[tokio::test]
async fn roles_need_describe_parameters_and_recursive_is_a_condition_key() {
    use lockgate_server::permissions::{Permissions, PermissionsMode};

    let f = fixture().await;
    let permissions = Arc::new(Permissions::default());
    let ssm = f.ssm.clone().with_permissions(permissions.clone());
    ok(
        &ssm,
        &Caller::Admin,
        "PutParameter",
        json!({"Name": "/dev/db/url", "Type": "String", "Value": "x"}),
    )
    .await;
    let get_only = json!([{"Effect": "Allow", "Action": "ssm:GetParameter*", "Resource": "arn:aws:ssm:*:*:parameter/dev/*"}]);
    // SAM's SSMParameterReadPolicy for dev/db, expanded.
    let sam_read = json!([
        {"Action": ["ssm:DescribeParameters"], "Effect": "Allow", "Resource": "*"},
        {"Action": ["ssm:GetParameters", "ssm:GetParameter", "ssm:GetParametersByPath"], "Effect": "Allow",
         "Resource": "arn:aws:ssm:eu-west-1:111122223333:parameter/dev/db"}]);
    // A parameter ARN pattern does not match the account-level action.
    let scoped = json!([{"Effect": "Allow", "Action": "ssm:DescribeParameters", "Resource": "arn:aws:ssm:*:*:parameter/*"}]);
    let flat_only = json!([{"Effect": "Allow", "Action": "ssm:GetParametersByPath", "Resource": "*",
        "Condition": {"Bool": {"ssm:Recursive": "false"}}}]);
    permissions.set_stage(
        "greeter",
        "dev",
        PermissionsMode::Enforce,
        &[
            iam_role("GetOnly", get_only),
            iam_role("SamRead", sam_read),
            iam_role("Scoped", scoped),
            iam_role("FlatOnly", flat_only),
        ],
    );
    let d = ok(&ssm, &as_role("SamRead"), "DescribeParameters", json!({})).await;
    assert_eq!(d["Parameters"][0]["Name"], "/dev/db/url", "{d}");
    for role in ["GetOnly", "Scoped"] {
        let (code, message) = err(&ssm, &as_role(role), "DescribeParameters", json!({})).await;
        assert_eq!(code, "AccessDeniedException");
        assert_eq!(
            message,
            format!(
                "User: arn:aws:sts::111122223333:assumed-role/{role}/greeter-dev-Fn is not authorized to perform: ssm:DescribeParameters on resource: arn:aws:ssm:eu-west-1:111122223333:* because no identity-based policy allows the ssm:DescribeParameters action"
            )
        );
    }
    // The same role reads what its policy allows.
    ok(
        &ssm,
        &as_role("GetOnly"),
        "GetParameter",
        json!({"Name": "/dev/db/url"}),
    )
    .await;

    // ssm:Recursive: present as the request gives it, absent otherwise.
    let by_path = |recursive: Option<bool>| {
        let mut body = json!({"Path": "/dev"});
        if let Some(r) = recursive {
            body["Recursive"] = json!(r);
        }
        body
    };
    let flat = as_role("FlatOnly");
    ok(&ssm, &flat, "GetParametersByPath", by_path(Some(false))).await;
    for recursive in [Some(true), None] {
        let (code, _) = err(&ssm, &flat, "GetParametersByPath", by_path(recursive)).await;
        assert_eq!(code, "AccessDeniedException", "{recursive:?}");
    }
}
