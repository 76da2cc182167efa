//! The server's HTTP API, started in process on 127.0.0.1:0: tokens,
//! deploys with exports and imports between two stacks of a stage, SSM
//! parameters created by a template, schedules, refusals that change nothing.

use std::path::Path;

use lockgate_server::{Server, ServerOptions};
use serde_json::{Value, json};

struct Api {
    url: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    async fn start(data: &Path) -> (Server, Api) {
        let mut opts = ServerOptions::new(data);
        opts.listen = "127.0.0.1:0".into();
        let server = Server::start(opts).await.unwrap();
        let token = std::fs::read_to_string(server.token_file()).unwrap();
        let api = Api {
            url: server.url(),
            token: token.trim().to_string(),
            http: reqwest::Client::new(),
        };
        (server, api)
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, String) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let (s, t) = self.call(reqwest::Method::GET, path, None).await;
        (s, serde_json::from_str(&t).unwrap_or(Value::String(t)))
    }

    /// Uploads the local code `template` names (relative to `dir`) as a
    /// client does, and answers a deploy request body for it.
    async fn request(&self, template: &str, dir: &Path, parameters: Value) -> Value {
        let mut paths = Vec::new();
        let mut scratch = lockgate_template::parse("template.yaml", template)
            .unwrap()
            .to_json();
        lockgate_template::package::package_local_paths(&mut scratch, |p| {
            paths.push(p.to_string());
            p.to_string()
        });
        let mut artifacts = serde_json::Map::new();
        for p in paths {
            let packed = lockgate_artifact::pack_dir(&dir.join(&p)).unwrap();
            let mut blobs: Vec<(String, Vec<u8>)> = packed
                .files
                .iter()
                .map(|(d, f)| (d.to_string(), std::fs::read(f).unwrap()))
                .collect();
            blobs.push((packed.digest.to_string(), packed.manifest.clone()));
            let (status, text) = self
                .call(
                    reqwest::Method::POST,
                    "/v1/artifacts/missing",
                    Some(json!({"digests": blobs.iter().map(|b| &b.0).collect::<Vec<_>>()})),
                )
                .await;
            assert_eq!(status, 200, "{text}");
            let missing: Value = serde_json::from_str(&text).unwrap();
            for (digest, bytes) in blobs {
                if missing["missing"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(digest))
                {
                    let res = self
                        .http
                        .put(format!("{}/v1/artifacts/{digest}", self.url))
                        .bearer_auth(&self.token)
                        .body(bytes)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status().as_u16(), 200);
                }
            }
            artifacts.insert(p, json!(packed.digest.to_string()));
        }
        json!({
            "template": template,
            "template_path": "template.yaml",
            "parameters": parameters,
            "artifacts": artifacts,
        })
    }

    /// Deploys and answers the last ndjson line (`result` or `error`).
    async fn deploy(&self, app: &str, stage: &str, stack: Option<&str>, dir: &Path) -> Value {
        let template = std::fs::read_to_string(dir.join("template.yaml")).unwrap();
        let mut body = self.request(&template, dir, json!({})).await;
        if let Some(stack) = stack {
            body["stack"] = json!(stack);
        }
        let (status, text) = self
            .call(
                reqwest::Method::POST,
                &format!("/v1/apps/{app}/stages/{stage}/deploy"),
                Some(body),
            )
            .await;
        assert!(status == 200 || status == 400, "{status} {text}");
        let last = text.lines().last().unwrap_or("null");
        serde_json::from_str(last).unwrap()
    }
}

fn write(dir: &Path, template: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("template.yaml"), template).unwrap();
    std::fs::write(
        dir.join("src/app.py"),
        "def handler(event, context):\n    return {'ok': True}\n",
    )
    .unwrap();
}

const EXPORTER: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Tick:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src/
      Events:
        Every:
          Type: Schedule
          Properties:
            Schedule: rate(5 minutes)
  Setting:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /dev/exporter/setting
      Type: String
      Value: !Ref Tick
Outputs:
  TickName:
    Value: !Ref Tick
    Export:
      Name: TickName
"#;

const IMPORTER: &str = r#"
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub
        - /imported/${N}
        - N: !ImportValue TickName
Outputs:
  GroupName:
    Value: !Ref Group
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_stacks_with_exports_imports_parameters_and_schedules() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, api) = Api::start(&tmp.path().join("data")).await;

    // The token is needed everywhere but /v1/health.
    let health = reqwest::get(format!("{}/v1/health", api.url))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let anon = reqwest::get(format!("{}/v1/apps", api.url)).await.unwrap();
    assert_eq!(anon.status().as_u16(), 401);

    let exporter = tmp.path().join("exporter");
    write(&exporter, EXPORTER);
    std::fs::write(
        exporter.join("src/app.py"),
        "def handler(event, context):\n    print('tick:', event['detail-type'], 'from', event['source'])\n",
    )
    .unwrap();
    let r = api.deploy("exporter", "dev", None, &exporter).await;
    assert_eq!(r["result"]["status"], "CREATE_COMPLETE", "{r}");

    // The rule's schedule is armed.
    let (_, rules) = api.get("/v1/apps/exporter/stages/dev/schedules").await;
    assert_eq!(rules[0]["expression"], "rate(5 minutes)", "{rules}");
    assert!(rules[0]["next"].is_string());

    // Fired now, the rule invokes the function with EventBridge's event.
    let rule = rules[0]["rule"].as_str().unwrap().to_string();
    let (status, text) = api
        .call(
            reqwest::Method::POST,
            &format!("/v1/apps/exporter/stages/dev/schedules/{rule}/run"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{text}");
    // Follow the function's log until the line arrives (bounded).
    let mut stream = api
        .http
        .get(format!(
            "{}/v1/apps/exporter/stages/dev/logs/Tick?follow=true",
            api.url
        ))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap()
        .bytes_stream();
    let mut seen = String::new();
    let found = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        use futures::StreamExt;
        while let Some(Ok(chunk)) = stream.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("tick: Scheduled Event from aws.events") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "never fired: {seen}");
    let (status, _) = api
        .call(
            reqwest::Method::POST,
            "/v1/apps/exporter/stages/dev/schedules/nope/run",
            None,
        )
        .await;
    assert_eq!(status, 404);

    // The template's SSM parameter holds the function's physical name.
    let (status, p) = api.get("/v1/params/dev/exporter/setting").await;
    assert_eq!(status, 200);
    assert_eq!(p["value"], "exporter-dev-Tick");

    // Another stack of the app's stage imports the export (exports are
    // scoped to an app's stage, as to an account and region).
    let importer = tmp.path().join("importer");
    write(&importer, IMPORTER);
    let r = api
        .deploy("exporter", "dev", Some("importer"), &importer)
        .await;
    assert_eq!(r["result"]["status"], "CREATE_COMPLETE", "{r}");
    let out = &r["result"]["outputs"][0];
    assert_eq!(out["value"], "/imported/exporter-dev-Tick");

    // An import of a name no stack of the stage exports is refused.
    let lonely = tmp.path().join("lonely");
    write(&lonely, IMPORTER);
    let r = api.deploy("lonely", "prod", None, &lonely).await;
    assert!(r["error"]["message"].as_str().is_some(), "{r}");
    let (status, _) = api.get("/v1/apps/lonely/stages/prod").await;
    assert_eq!(status, 404, "nothing was created");

    // The exporter cannot go while it is imported; nothing changes.
    let (status, text) = api
        .call(
            reqwest::Method::DELETE,
            "/v1/apps/exporter/stages/dev",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(text.contains("imported by other stacks"), "{text}");
    let (_, info) = api.get("/v1/apps/exporter/stages/dev").await;
    assert_eq!(info["status"], "CREATE_COMPLETE");

    // Destroy in order: importer, then exporter; its parameter and rule go too.
    let (_, text) = api
        .call(
            reqwest::Method::DELETE,
            "/v1/apps/exporter/stages/dev?stack=importer",
            None,
        )
        .await;
    assert!(text.contains("DELETE_COMPLETE"), "{text}");
    let (_, text) = api
        .call(
            reqwest::Method::DELETE,
            "/v1/apps/exporter/stages/dev",
            None,
        )
        .await;
    assert!(text.contains("DELETE_COMPLETE"), "{text}");
    let (status, _) = api.get("/v1/params/dev/exporter/setting").await;
    assert_eq!(status, 404);
    let (_, rules) = api.get("/v1/apps/exporter/stages/dev/schedules").await;
    assert_eq!(rules, json!([]));

    // A bad stage name is refused before anything happens.
    let (status, text) = api
        .call(
            reqwest::Method::POST,
            "/v1/apps/exporter/stages/Dev!/deploy",
            Some(json!({"template": EXPORTER})),
        )
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("Dev!"), "{text}");

    server.shutdown().await;
}

const WITH_SECRET: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  DbPassword:
    Type: String
    NoEcho: true
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          DB_PASSWORD: !Ref DbPassword
Outputs:
  Echo:
    Value: !Sub "password is ${DbPassword}"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_echo_values_never_leave_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, api) = Api::start(&tmp.path().join("data")).await;
    let dir = tmp.path().join("secretive");
    write(&dir, WITH_SECRET);
    let body = api
        .request(
            WITH_SECRET,
            &dir,
            json!({"DbPassword": "hunter2-topsecret"}),
        )
        .await;
    let (_, plan) = api
        .call(
            reqwest::Method::POST,
            "/v1/apps/secretive/stages/dev/plan",
            Some(body.clone()),
        )
        .await;
    let (_, deploy) = api
        .call(
            reqwest::Method::POST,
            "/v1/apps/secretive/stages/dev/deploy",
            Some(body),
        )
        .await;
    assert!(deploy.contains("CREATE_COMPLETE"), "{deploy}");
    let (_, info) = api
        .call(reqwest::Method::GET, "/v1/apps/secretive/stages/dev", None)
        .await;
    let (_, apps) = api.call(reqwest::Method::GET, "/v1/apps", None).await;
    for (what, text) in [
        ("plan", &plan),
        ("deploy", &deploy),
        ("stage", &info),
        ("apps", &apps),
    ] {
        assert!(
            !text.contains("topsecret"),
            "{what} shows the NoEcho value: {text}"
        );
    }
    // Derived from a NoEcho value: masked whole.
    assert!(
        deploy.contains(r#"{"key":"Echo","value":"****"}"#),
        "{deploy}"
    );
    // A change of the value shows the property as changed, masked both ways.
    let (_, plan) = api
        .call(
            reqwest::Method::POST,
            "/v1/apps/secretive/stages/dev/plan",
            Some(
                api.request(WITH_SECRET, &dir, json!({"DbPassword": "other-topsecret"}))
                    .await,
            ),
        )
        .await;
    assert!(
        plan.contains("Environment") && plan.contains("****"),
        "{plan}"
    );
    assert!(!plan.contains("topsecret"), "{plan}");
    // The parameter no longer used: the old value is still masked.
    let plain = WITH_SECRET.replace("DB_PASSWORD: !Ref DbPassword", "DB_PASSWORD: plain-now");
    let (_, plan) = api
        .call(
            reqwest::Method::POST,
            "/v1/apps/secretive/stages/dev/plan",
            Some(api.request(&plain, &dir, json!({"DbPassword": "x"})).await),
        )
        .await;
    assert!(
        plan.contains("plain-now") && plan.contains("****"),
        "{plan}"
    );
    assert!(!plan.contains("topsecret"), "{plan}");
    server.shutdown().await;
}

const RENAMED: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  FnName:
    Type: String
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Ref FnName
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src/
      Events:
        Get:
          Type: Api
          Properties:
            Path: /hello
            Method: get
"#;

/// Answers the body of `GET {url}{path}`.
async fn get_text(url: &str, path: &str) -> String {
    reqwest::get(format!("{url}{path}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_a_function_updates_what_refers_to_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, api) = Api::start(&tmp.path().join("data")).await;
    let dir = tmp.path().join("renamed");
    write(&dir, RENAMED);
    std::fs::write(
        dir.join("src/app.py"),
        "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n",
    )
    .unwrap();
    let a = api.request(RENAMED, &dir, json!({"FnName": "fn-a"})).await;
    let b = api.request(RENAMED, &dir, json!({"FnName": "fn-b"})).await;
    let deploy = |name: &str| if name == "fn-a" { a.clone() } else { b.clone() };
    let (_, text) = api
        .call(
            reqwest::Method::POST,
            "/v1/apps/renamed/stages/dev/deploy",
            Some(deploy("fn-a")),
        )
        .await;
    assert!(text.contains("CREATE_COMPLETE"), "{text}");
    let (_, info) = api.get("/v1/apps/renamed/stages/dev").await;
    let url = info["url"].as_str().unwrap().to_string();
    assert!(get_text(&url, "/hello").await.contains("ok"));

    // A new FunctionName replaces the function: the API and the permission
    // that name it are changed in the same deploy, and the route still works.
    let (_, plan) = api
        .call(
            reqwest::Method::POST,
            "/v1/apps/renamed/stages/dev/plan",
            Some(deploy("fn-b")),
        )
        .await;
    assert!(
        plan.contains("\"logical_id\":\"ServerlessRestApi\""),
        "{plan}"
    );
    let (_, text) = api
        .call(
            reqwest::Method::POST,
            "/v1/apps/renamed/stages/dev/deploy",
            Some(deploy("fn-b")),
        )
        .await;
    assert!(text.contains("UPDATE_COMPLETE"), "{text}");
    assert!(get_text(&url, "/hello").await.contains("ok"));
    // And nothing is left to change.
    let (_, plan) = api
        .call(
            reqwest::Method::POST,
            "/v1/apps/renamed/stages/dev/plan",
            Some(deploy("fn-b")),
        )
        .await;
    assert!(plan.contains("\"changes\":[]"), "{plan}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_export_name_is_refused_before_anything_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, api) = Api::start(&tmp.path().join("data")).await;
    let dir = tmp.path().join("badexport");
    let template = r#"
Resources:
  P:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /dev/badexport/p
      Type: String
      Value: v
Outputs:
  O:
    Value: !Ref P
    Export:
      Name: "bad name/with space"
"#;
    write(&dir, template);
    let r = api.deploy("badexport", "dev", None, &dir).await;
    assert_eq!(r["error"]["code"], "invalid-template", "{r}");
    let (status, _) = api.get("/v1/params/dev/badexport/p").await;
    assert_eq!(status, 404, "nothing was created");
    let (status, _) = api.get("/v1/apps/badexport/stages/dev").await;
    assert_eq!(status, 404);
    server.shutdown().await;
}

/// Every refusal of the admin API is `{"error": {"code", "message"}}` as
/// JSON, also where axum itself refuses (a path, query or body it cannot
/// read, a wrong method, an unknown route, a body too large).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_is_the_api_error_body() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, api) = Api::start(&tmp.path().join("data")).await;
    let big = json!({"template": "x".repeat(3 * 1024 * 1024)}).to_string();
    let cases: Vec<(&str, String, Option<String>, u16, &str)> = vec![
        ("GET", "/v1/nope".into(), None, 404, "not-found"),
        ("PATCH", "/v1/apps".into(), None, 405, "method-not-allowed"),
        (
            "GET",
            "/v1/apps/a/stages/dev/logs?since=soon".into(),
            None,
            400,
            "bad-request",
        ),
        (
            "GET",
            "/v1/apps/a/stages/dev?stack=x&extra=1".into(),
            None,
            400,
            "bad-request",
        ),
        ("GET", "/v1/params/dev/%FF".into(), None, 400, "bad-request"),
        (
            "POST",
            "/v1/apps/a/stages/dev/plan".into(),
            Some("not json".into()),
            400,
            "bad-request",
        ),
        (
            "POST",
            "/v1/apps/a/stages/dev/plan".into(),
            Some(json!({"template": "x", "base_dir": "/app"}).to_string()),
            400,
            "bad-request",
        ),
        (
            "PUT",
            "/v1/params/dev/x".into(),
            Some(json!({"value": "v", "type": "Number"}).to_string()),
            400,
            "bad-request",
        ),
        (
            "POST",
            "/v1/apps/a/stages/dev/plan".into(),
            Some(big),
            413,
            "payload-too-large",
        ),
        (
            "POST",
            "/v1/artifacts/missing".into(),
            Some(json!({"digests": ["nope"]}).to_string()),
            400,
            "bad-request",
        ),
        (
            "PUT",
            "/v1/artifacts/not-a-digest".into(),
            Some("x".into()),
            400,
            "bad-request",
        ),
    ];
    for (method, path, body, status, code) in cases {
        let mut req = api
            .http
            .request(method.parse().unwrap(), format!("{}{path}", api.url))
            .bearer_auth(&api.token)
            // A refusal before the body is read (413) closes the connection:
            // no request may be sent on it after, so none is kept.
            .header("connection", "close");
        if let Some(b) = body {
            req = req.body(b);
        }
        let res = req.send().await.unwrap();
        let got = res.status().as_u16();
        let ty = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let text = res.text().await.unwrap();
        assert_eq!(got, status, "{method} {path}: {text}");
        assert_eq!(ty.as_deref(), Some("application/json"), "{method} {path}");
        let e: lockgate_api::ErrorBody =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"));
        assert_eq!(e.error.code.as_str(), code, "{method} {path}: {text}");
        assert!(!e.error.message.is_empty());
    }
    // Without a token, too.
    let anon = reqwest::get(format!("{}/v1/apps", api.url)).await.unwrap();
    let e: lockgate_api::ErrorBody = anon.json().await.unwrap();
    assert_eq!(e.error.code.as_str(), "unauthorized");
    server.shutdown().await;
}

/// Uploads are content-addressed: bytes that do not hash to the digest
/// named are refused and nothing is stored; a deploy naming a directory the
/// server does not hold (or holds in part) is refused before anything
/// changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_verified_and_a_deploy_needs_its_code_uploaded() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, api) = Api::start(&tmp.path().join("data")).await;
    let dir = tmp.path().join("app");
    write(&dir, RENAMED);
    let packed = lockgate_artifact::pack_dir(&dir.join("src")).unwrap();
    let digest = packed.digest.to_string();
    let put = |d: String, body: Vec<u8>| {
        api.http
            .put(format!("{}/v1/artifacts/{d}", api.url))
            .bearer_auth(&api.token)
            .body(body)
            .send()
    };

    // A body that is not what the digest names.
    let res = put(digest.clone(), b"something else".to_vec())
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let e: lockgate_api::ErrorBody = res.json().await.unwrap();
    assert_eq!(e.error.code.as_str(), "digest-mismatch");
    assert!(e.error.message.contains(&digest), "{}", e.error.message);
    let (_, missing) = api
        .call(
            reqwest::Method::POST,
            "/v1/artifacts/missing",
            Some(json!({"digests": [digest]})),
        )
        .await;
    assert!(missing.contains(&digest), "nothing was stored: {missing}");

    // A deploy naming it before it was uploaded.
    let body = json!({
        "template": RENAMED,
        "parameters": {"FnName": "fn-a"},
        "artifacts": {"src/": digest},
    });
    let deploy = || {
        api.call(
            reqwest::Method::POST,
            "/v1/apps/renamed/stages/dev/deploy",
            Some(body.clone()),
        )
    };
    let (_, text) = deploy().await;
    assert!(
        text.contains(&format!(
            "artifact {digest} for code path `src/` was not uploaded"
        )),
        "{text}"
    );
    // Only the manifest, not its file: still refused.
    let res = put(digest.clone(), packed.manifest.clone()).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let (_, text) = deploy().await;
    assert!(text.contains("is incomplete"), "{text}");
    // No artifact named for the path at all.
    let (_, text) = api
        .call(
            reqwest::Method::POST,
            "/v1/apps/renamed/stages/dev/plan",
            Some(json!({"template": RENAMED, "parameters": {"FnName": "fn-a"}})),
        )
        .await;
    assert!(
        text.contains("code path `src/` has no artifact in the request"),
        "{text}"
    );
    // Nothing was created.
    let (status, _) = api.get("/v1/apps/renamed/stages/dev").await;
    assert_eq!(status, 404);
    let (_, apps) = api.get("/v1/apps").await;
    assert_eq!(apps, json!([]));

    // With the file uploaded too, the same request deploys.
    for (d, f) in &packed.files {
        let res = put(d.to_string(), std::fs::read(f).unwrap()).await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
    }
    let (_, text) = deploy().await;
    assert!(text.contains("CREATE_COMPLETE"), "{text}");
    server.shutdown().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_the_servers_alone() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // As an older server left it: readable by everyone.
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (server, _api) = Api::start(&data).await;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory");
    for file in ["lockgate.db", "admin.token", "keys/master.key"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    for file in ["lockgate.db-wal", "lockgate.db-shm"] {
        if data.join(file).exists() {
            assert_eq!(mode(&data.join(file)), 0o600, "{file}");
        }
    }
    server.shutdown().await;
}

/// Calls the local SSM API's GetParameter signed with `creds`, as an SDK
/// does; answers the status and the error type (`__type`), if any.
async fn get_parameter_as(
    api: &Api,
    creds: &lockgate_server::sigv4::Credentials,
    name: &str,
) -> (u16, String) {
    use lockgate_server::sigv4::{SignedRequest, sign};
    let host = api.url.trim_start_matches("http://").to_string();
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let body = json!({ "Name": name }).to_string();
    let headers = vec![
        ("Host", host.as_str()),
        ("X-Amz-Date", date.as_str()),
        ("X-Amz-Target", "AmazonSSM.GetParameter"),
        ("Content-Type", "application/x-amz-json-1.1"),
        ("X-Amz-Security-Token", creds.session_token.as_str()),
    ];
    let request = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: headers.clone(),
        body: body.as_bytes(),
    };
    let auth = sign(
        &request,
        &creds.access_key_id,
        &creds.secret_access_key,
        "us-east-1",
        "ssm",
    )
    .unwrap();
    let mut req = api.http.post(format!("{}/", api.url)).body(body.clone());
    for (k, v) in headers.iter().filter(|(k, _)| *k != "Host") {
        req = req.header(*k, *v);
    }
    let resp = req.header("Authorization", auth).send().await.unwrap();
    let status = resp.status().as_u16();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    (status, v["__type"].as_str().unwrap_or("").to_string())
}

#[tokio::test]
async fn a_destroyed_stage_s_credentials_stop_working_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (server, api) = Api::start(&data).await;
    let app = tmp.path().join("app");
    write(
        &app,
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    \
         Properties:\n      Runtime: python3.11\n      Handler: app.handler\n      CodeUri: src/\n",
    );
    let r = api.deploy("creds", "dev", None, &app).await;
    assert!(r.get("result").is_some(), "{r}");
    // What the stage's functions get in their environment.
    let secret = std::fs::read(data.join("keys/credentials.key")).unwrap();
    let creds = lockgate_server::sigv4::stage_credentials(&secret, "creds", "dev");
    let (status, kind) = get_parameter_as(&api, &creds, "/dev/nothing").await;
    assert_eq!(
        (status, kind.as_str()),
        (400, "ParameterNotFound"),
        "signed in"
    );

    let (status, text) = api
        .call(reqwest::Method::DELETE, "/v1/apps/creds/stages/dev", None)
        .await;
    assert_eq!(status, 200, "{text}");
    let (status, kind) = get_parameter_as(&api, &creds, "/dev/nothing").await;
    assert_eq!(
        (status, kind.as_str()),
        (400, "UnrecognizedClientException"),
        "refused once the stage is destroyed"
    );
    server.shutdown().await;
}
