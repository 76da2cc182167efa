//! Least privilege on the local CloudWatch API, through the server started
//! in process: a function's role must allow `cloudwatch:<Action>` (with
//! `cloudwatch:namespace` for PutMetricData), a refusal is AWS's
//! `AccessDenied` in the protocol the client spoke, a role outside the
//! stage is said in the deploy's warnings and not evaluated, policy
//! documents may be JSON text, and the stage's permissions mode is
//! `report` only while every one of its stacks says so.

use std::path::Path;

use lockgate_server::sigv4::{AssumedRole, CredentialIndex, Credentials, SignedRequest, sign};
use lockgate_server::{ACCOUNT_ID, Server, ServerOptions};
use serde_json::{Value, json};

struct Api {
    url: String,
    token: String,
    http: reqwest::Client,
    keys: CredentialIndex,
}

impl Api {
    async fn start(data: &Path) -> (Server, Api) {
        let mut opts = ServerOptions::new(data);
        opts.listen = "127.0.0.1:0".into();
        let server = Server::start(opts).await.unwrap();
        let token = std::fs::read_to_string(server.token_file()).unwrap();
        // Role credentials derive from the server secret, as the server
        // derives them for its functions' environment.
        let secret = std::fs::read(data.join("keys/credentials.key")).unwrap();
        let api = Api {
            url: server.url(),
            token: token.trim().to_string(),
            http: reqwest::Client::new(),
            keys: CredentialIndex::new(&secret),
        };
        (server, api)
    }

    /// Deploys `template` (no local code) as `stack` of cw/dev with
    /// `permissions`; answers the `result`.
    async fn deploy(&self, stack: &str, template: &str, permissions: Option<&str>) -> Value {
        let mut body =
            json!({"template": template, "template_path": "template.yaml", "stack": stack});
        if let Some(p) = permissions {
            body["permissions"] = json!(p);
        }
        let res = self
            .http
            .post(format!("{}/v1/apps/cw/stages/dev/deploy", self.url))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let text = res.text().await.unwrap();
        let last: Value = serde_json::from_str(text.lines().last().unwrap_or("null")).unwrap();
        assert!(last["result"].is_object(), "{text}");
        last["result"].clone()
    }

    fn role(&self, role: &str, function: &str) -> Credentials {
        self.keys.register_role(
            "cw",
            "dev",
            &AssumedRole {
                role: role.into(),
                session: function.into(),
            },
        )
    }

    /// A CloudWatch call signed with `creds`: AWS JSON 1.0 when `target`
    /// is given, else the query protocol. Answers (status, x-amzn-query-error, body).
    async fn cloudwatch(
        &self,
        creds: &Credentials,
        target: Option<&str>,
        body: &str,
    ) -> (u16, Option<String>, String) {
        let host = self.url.trim_start_matches("http://").to_string();
        let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let target = target.map(|t| format!("GraniteServiceVersion20100801.{t}"));
        let mut headers = vec![
            ("host", host.as_str()),
            ("x-amz-date", date.as_str()),
            ("x-amz-security-token", creds.session_token.as_str()),
        ];
        match &target {
            Some(t) => {
                headers.push(("content-type", "application/x-amz-json-1.0"));
                headers.push(("x-amz-target", t.as_str()));
            }
            None => headers.push(("content-type", "application/x-www-form-urlencoded")),
        }
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
            lockgate_cloud::DEFAULT_REGION,
            "monitoring",
        )
        .unwrap();
        let mut req = self
            .http
            .post(format!("{}/", self.url))
            .header("authorization", auth)
            .body(body.to_string());
        for (k, v) in headers.iter().filter(|(k, _)| *k != "host") {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let query_error = res
            .headers()
            .get("x-amzn-query-error")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (status, query_error, res.text().await.unwrap())
    }
}

/// A role whose policies are JSON text (as CloudFormation allows), allowing
/// PutMetricData in the namespace `Shop` only; a function with that role,
/// one with a role of the account outside the stage.
const MAIN: &str = r#"
Resources:
  MetricsRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
      Policies:
        - PolicyName: Metrics
          PolicyDocument: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*", "Condition": {"StringEquals": {"cloudwatch:namespace": "Shop"}}}]}'
  Putter:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      Role: !GetAtt MetricsRole.Arn
      Code:
        ZipFile: "def handler(event, context):\n    return 1\n"
  Outsider:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/existing
      Code:
        ZipFile: "def handler(event, context):\n    return 1\n"
"#;

const EXTRA: &str = r#"
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /cw/extra
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudwatch_calls_are_evaluated_against_the_functions_role() {
    let tmp = tempfile::tempdir().unwrap();
    let (_server, api) = Api::start(&tmp.path().join("data")).await;

    let r = api.deploy("cw", MAIN, None).await;
    assert_eq!(r["status"], "CREATE_COMPLETE", "{r}");
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains(
            "Outsider: role arn:aws:iam::123456789012:role/existing is not a role of this stage"
        ),
        "{warnings}"
    );
    let putter = api.role("cw-dev-MetricsRole", "cw-dev-Putter");
    let put = |ns: &str| {
        json!({"Namespace": ns, "MetricData": [{"MetricName": "Refunds", "Value": 1, "Unit": "Count"}]})
            .to_string()
    };

    // Allowed in its namespace (the condition key is the request's)…
    let (status, _, body) = api
        .cloudwatch(&putter, Some("PutMetricData"), &put("Shop"))
        .await;
    assert_eq!(status, 200, "{body}");
    // …and refused in another, with AWS's code and message (AWS JSON 1.0:
    // the code SDKs read is the x-amzn-query-error header's).
    let (status, code, body) = api
        .cloudwatch(&putter, Some("PutMetricData"), &put("Other"))
        .await;
    assert_eq!(
        (status, code.as_deref()),
        (403, Some("AccessDenied;Sender")),
        "{body}"
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["message"],
        format!(
            "User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/cw-dev-MetricsRole/cw-dev-Putter is not authorized to perform: cloudwatch:PutMetricData because no identity-based policy allows the cloudwatch:PutMetricData action"
        )
    );
    // The query protocol: an XML ErrorResponse.
    let list = "Action=ListMetrics&Version=2010-08-01";
    let (status, _, body) = api.cloudwatch(&putter, None, list).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains(
            "<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::"
        ) && body.contains("is not authorized to perform: cloudwatch:ListMetrics because"),
        "{body}"
    );
    // A role outside the stage is not evaluated (Lockgate cannot see it).
    let outsider = api.role("existing", "cw-dev-Outsider");
    let (status, _, body) = api.cloudwatch(&outsider, None, list).await;
    assert_eq!(status, 200, "{body}");

    // Another stack in report mode: the stage still enforces, and says why.
    let r = api.deploy("extra", EXTRA, Some("report")).await;
    assert_eq!(r["status"], "CREATE_COMPLETE", "{r}");
    assert!(
        r["warnings"]
            .to_string()
            .contains("stack(s) extra say report, but cw enforce"),
        "{r}"
    );
    assert_eq!(api.cloudwatch(&putter, None, list).await.0, 403);
    // Every stack in report mode: the stage reports.
    api.deploy("cw", MAIN, Some("report")).await;
    assert_eq!(api.cloudwatch(&putter, None, list).await.0, 200);
    // `--permissions enforce` on one stack enforces the stage again, though
    // the other stack still says report.
    api.deploy("extra", EXTRA, Some("enforce")).await;
    let (status, _, body) = api.cloudwatch(&putter, None, list).await;
    assert_eq!(status, 403, "{body}");
}
