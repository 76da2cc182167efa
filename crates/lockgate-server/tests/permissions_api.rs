//! Least privilege on the local CloudWatch API, through the server started
//! in process: a function's role must allow `cloudwatch:<Action>` (with
//! `cloudwatch:namespace` for PutMetricData), a refusal is AWS's
//! `AccessDenied` in the protocol the client spoke, a role outside the
//! stage is said in the deploy's warnings and not evaluated, policy
//! documents may be JSON text, the stage's permissions mode is `report`
//! only while every one of its stacks says so, a form key given twice is
//! checked as the API runs it (its last value), and an
//! `AWS::IAM::RolePolicy` is a type of its own whose malformed document
//! fails the deploy.

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
        let last = self.deploy_answer(stack, template, permissions).await;
        assert!(last["result"].is_object(), "{last}");
        last["result"].clone()
    }

    /// [`Api::deploy`]'s last line (its `result` or its `error`).
    async fn deploy_answer(&self, stack: &str, template: &str, permissions: Option<&str>) -> Value {
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
        serde_json::from_str(text.lines().last().unwrap_or("null")).unwrap()
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

/// A role allowing ListMetrics, GetMetricStatistics where no
/// `cloudwatch:namespace` key is set (AWS sets it for PutMetricData only),
/// and — through an `AWS::IAM::RolePolicy` — PutMetricData in `Shop`.
const LISTER: &str = r#"
Resources:
  ListerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
      Policies:
        - PolicyName: Read
          PolicyDocument: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudwatch:ListMetrics", "Resource": "*"}, {"Effect": "Allow", "Action": "cloudwatch:GetMetricStatistics", "Resource": "*", "Condition": {"Null": {"cloudwatch:namespace": "true"}}}]}'
  PutShop:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: !Ref ListerRole
      PolicyName: PutShop
      PolicyDocument: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*", "Condition": {"StringEquals": {"cloudwatch:namespace": "Shop"}}}]}'
  Lister:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      Role: !GetAtt ListerRole.Arn
      Code:
        ZipFile: "def handler(event, context):\n    return 1\n"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_form_key_is_checked_as_the_api_runs_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (_server, api) = Api::start(&tmp.path().join("data")).await;
    let r = api.deploy("cw", LISTER, None).await;
    assert_eq!(r["status"], "CREATE_COMPLETE", "{r}");
    // The RolePolicy is a type of its own, not "recorded but not emulated".
    assert!(!r["warnings"].to_string().contains("not emulated"), "{r}");
    let lister = api.role("cw-dev-ListerRole", "cw-dev-Lister");
    let put = |namespaces: &str, metric: &str| {
        format!(
            "Action=PutMetricData&Version=2010-08-01&{namespaces}&MetricData.member.1.MetricName={metric}&MetricData.member.1.Value=1"
        )
    };

    // The RolePolicy allows PutMetricData in Shop.
    let (status, _, body) = api
        .cloudwatch(&lister, None, &put("Namespace=Shop", "Orders"))
        .await;
    assert_eq!(status, 200, "{body}");
    // Namespace given twice: the API puts in the last one, so that is the
    // one the condition is evaluated on.
    let (status, _, body) = api
        .cloudwatch(
            &lister,
            None,
            &put("Namespace=Shop&Namespace=Other", "Sneaky"),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("not authorized to perform: cloudwatch:PutMetricData"),
        "{body}"
    );
    let (status, _, body) = api
        .cloudwatch(
            &lister,
            None,
            &put("Namespace=Other&Namespace=Shop", "Orders"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Action given twice: ListMetrics (allowed) then PutMetricData, which
    // is what would run — checked as PutMetricData, in Other: refused.
    let sneaky = format!("Action=ListMetrics&{}", put("Namespace=Other", "Sneaky"));
    let (status, _, body) = api.cloudwatch(&lister, None, &sneaky).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("not authorized to perform: cloudwatch:PutMetricData"),
        "{body}"
    );
    // Nothing was put in Other.
    let (status, _, body) = api
        .cloudwatch(&lister, None, "Action=ListMetrics&Namespace=Other")
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("Sneaky"), "{body}");
    // The other way round, ListMetrics runs, and is allowed.
    let (status, _, body) = api
        .cloudwatch(
            &lister,
            None,
            "Action=PutMetricData&Action=ListMetrics&Namespace=Shop",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<ListMetricsResponse"), "{body}");

    // cloudwatch:namespace is PutMetricData's key only: GetMetricStatistics
    // with a Namespace has none, so `Null: true` holds, as on AWS.
    let stats = "Action=GetMetricStatistics&Version=2010-08-01&Namespace=Shop&MetricName=Orders&StartTime=2026-01-01T00:00:00Z&EndTime=2026-01-01T01:00:00Z&Period=60&Statistics.member.1=Sum";
    let (status, _, body) = api.cloudwatch(&lister, None, stats).await;
    assert_eq!(status, 200, "{body}");
}

/// A RolePolicy IAM would refuse fails the deploy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_role_policy_fails_the_deploy() {
    let tmp = tempfile::tempdir().unwrap();
    let (_server, api) = Api::start(&tmp.path().join("data")).await;
    let broken = LISTER.replace(
        r#"PolicyDocument: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudwatch:PutMetricData""#,
        r#"PolicyDocument: '{"Version": "2012-10-17", "Statement": [{"Effect": "Alow", "Action": "cloudwatch:PutMetricData""#,
    );
    assert_ne!(broken, LISTER);
    let r = api.deploy_answer("cw", &broken, None).await;
    assert_eq!(r["error"]["logical_id"], "PutShop", "{r}");
    assert_eq!(
        r["error"]["reason"],
        "PolicyDocument: MalformedPolicyDocument: Statement[0] has Effect \"Alow\", which is neither Allow nor Deny",
        "{r}"
    );
}
