//! The SSM API against the real AWS SDK for Python: a small HTTP server
//! wrapping `SsmService` and SigV4 verification, and a boto3 script reading
//! parameters with a stage's credentials (as a function's code does on
//! Lambda), through `AWS_ENDPOINT_URL_SSM`.
//!
//! boto3 comes from `.ci/requirements.txt` (`.ci/install`); without it the
//! test fails and says so.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use lockgate_server::sigv4::{CredentialIndex, Credentials, SignedRequest, stage_credentials};
use lockgate_server::ssm::{CONTENT_TYPE, Caller, SsmService};
use lockgate_store::{SqliteStore, Store};
use serde_json::{Value, json};

struct Server {
    ssm: SsmService,
    keys: CredentialIndex,
}

async fn serve(
    state: Arc<Server>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let header_list: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    let request = SignedRequest {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers: header_list,
        body: &body,
    };
    let answer = state
        .ssm
        .handle_http(&state.keys, &request, chrono::Utc::now())
        .await;
    (
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [("content-type", CONTENT_TYPE)],
        answer.body,
    )
}

async fn admin_put(ssm: &SsmService, name: &str, kind: &str, value: &str) {
    let body = json!({ "Name": name, "Type": kind, "Value": value });
    let r = ssm
        .handle(
            &Caller::Admin,
            "AmazonSSM.PutParameter",
            body.to_string().as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

const SCRIPT: &str = r#"
import base64, datetime, json, os, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

cfg = Config(retries={"max_attempts": 1, "mode": "standard"})
ssm = boto3.client("ssm", config=cfg)   # endpoint and credentials from the environment
results = {}

def code_of(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200

p = ssm.get_parameter(Name="/dev/greeting")["Parameter"]
assert isinstance(p["LastModifiedDate"], datetime.datetime), p
results["get"] = {k: p[k] for k in ("Name", "Type", "Value", "Version", "ARN", "DataType")}

sealed = ssm.get_parameter(Name="/dev/db/password")["Parameter"]
base64.b64decode(sealed["Value"], validate=True)
results["secure_sealed_differs"] = sealed["Value"] != "s3cret-Value"
results["secure_type"] = sealed["Type"]
results["secure_decrypted"] = ssm.get_parameter(Name="/dev/db/password", WithDecryption=True)["Parameter"]["Value"]

results["app_scoped"] = ssm.get_parameter(Name="/greeter/dev/list")["Parameter"]["Value"]
results["by_version"] = ssm.get_parameter(Name="/dev/greeting:1")["Parameter"]["Value"]

many = ssm.get_parameters(Names=["/dev/greeting", "/dev/missing"], WithDecryption=True)
results["get_many"] = [p["Name"] for p in many["Parameters"]]
results["invalid"] = many["InvalidParameters"]

first = ssm.get_parameters_by_path(Path="/dev/p", Recursive=True, MaxResults=10)
results["first_page_len"] = len(first["Parameters"])
results["first_page_has_token"] = "NextToken" in first
pages = list(ssm.get_paginator("get_parameters_by_path").paginate(
    Path="/dev", Recursive=True, WithDecryption=True, PaginationConfig={"PageSize": 10}))
results["pages"] = len(pages)
names = [p["Name"] for page in pages for p in page["Parameters"]]
results["paged_names"] = names
values = {p["Name"]: p["Value"] for page in pages for p in page["Parameters"]}
results["paged_secret"] = values.get("/dev/db/password")
one_level = ssm.get_parameters_by_path(Path="/dev", Recursive=False)
results["one_level"] = [p["Name"] for p in one_level["Parameters"]]

try:
    ssm.get_parameter(Name="/dev/nope")
    results["not_found"] = "no error"
except ssm.exceptions.ParameterNotFound as e:
    results["not_found"] = ["ParameterNotFound", e.response["ResponseMetadata"]["HTTPStatusCode"]]

results["denied_get"] = code_of(lambda: ssm.get_parameter(Name="/prod/secret", WithDecryption=True))
results["denied_app"] = code_of(lambda: ssm.get_parameter(Name="/other/dev/x"))
results["denied_path"] = code_of(lambda: ssm.get_parameters_by_path(Path="/prod", Recursive=True))
results["denied_root"] = code_of(lambda: ssm.get_parameters_by_path(Path="/", Recursive=True))
results["denied_many"] = code_of(lambda: ssm.get_parameters(Names=["/dev/greeting", "/prod/secret"]))
results["denied_put"] = code_of(lambda: ssm.put_parameter(Name="/dev/greeting", Value="x", Type="String", Overwrite=True))
results["denied_delete"] = code_of(lambda: ssm.delete_parameter(Name="/dev/greeting"))

described = ssm.describe_parameters(MaxResults=50)
results["described"] = sorted(p["Name"] for p in described["Parameters"])

wrong = boto3.client("ssm", config=cfg, aws_secret_access_key="x" * 40,
                     aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                     aws_session_token=os.environ["AWS_SESSION_TOKEN"])
results["wrong_signature"] = code_of(lambda: wrong.get_parameter(Name="/dev/greeting"))
unknown = boto3.client("ssm", config=cfg, aws_access_key_id="ASIA0000000000000000",
                       aws_secret_access_key="x" * 40, aws_session_token="t")
results["unknown_key"] = code_of(lambda: unknown.get_parameter(Name="/dev/greeting"))

bad_token = boto3.client("ssm", config=cfg, aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                         aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"], aws_session_token="0" * 64)
results["wrong_token"] = code_of(lambda: bad_token.get_parameter(Name="/dev/greeting"))
no_token = boto3.client("ssm", config=cfg, aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"], aws_session_token="")
results["no_token"] = code_of(lambda: no_token.get_parameter(Name="/dev/greeting"))

admin = boto3.client("ssm", config=cfg, aws_access_key_id=os.environ["ADMIN_KEY_ID"],
                     aws_secret_access_key=os.environ["ADMIN_SECRET"],
                     aws_session_token=os.environ["ADMIN_TOKEN"])
put = admin.put_parameter(Name="/dev/greeting", Value="hello again", Type="String", Overwrite=True)
results["put_version"] = put["Version"]
results["exists"] = code_of(lambda: admin.put_parameter(Name="/dev/greeting", Value="x", Type="String"))
results["after_put"] = ssm.get_parameter(Name="/dev/greeting")["Parameter"]["Value"]
results["history"] = [(h["Version"], h["Value"]) for h in ssm.get_parameter_history(Name="/dev/greeting")["Parameters"]]
admin.delete_parameter(Name="/dev/p/p07")
results["deleted"] = code_of(lambda: ssm.get_parameter(Name="/dev/p/p07"))

print(json.dumps(results))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_reads_stage_parameters_through_the_local_ssm_api() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import boto3"])
        .output()
        .expect("python3 must be installed to run the SSM API test against boto3");
    assert!(
        probe.status.success(),
        "boto3 is not installed for python3 ({}): run .ci/install, which installs .ci/requirements.txt",
        String::from_utf8_lossy(&probe.stderr).trim()
    );

    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    let ssm = SsmService::new(store);
    admin_put(&ssm, "/dev/greeting", "String", "hello").await;
    admin_put(&ssm, "/dev/db/password", "SecureString", "s3cret-Value").await;
    admin_put(&ssm, "/greeter/dev/list", "StringList", "a,b,c").await;
    admin_put(&ssm, "/prod/secret", "SecureString", "prod-only").await;
    admin_put(&ssm, "/other/dev/x", "String", "other app").await;
    for i in 1..=25 {
        admin_put(&ssm, &format!("/dev/p/p{i:02}"), "String", &format!("v{i}")).await;
    }

    let keys = CredentialIndex::new(b"test server secret");
    let dev = keys.register_stage("greeter", "dev");
    keys.register_stage("greeter", "prod");
    let admin: Credentials = stage_credentials(b"admin secret", "-admin", "-admin");
    keys.register_admin(admin.clone());

    let state = Arc::new(Server { ssm, keys });
    let app = axum::Router::new().fallback({
        let state = state.clone();
        move |method, uri, headers, body| serve(state.clone(), method, uri, headers, body)
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let out = tokio::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("AWS_ENDPOINT_URL_SSM", format!("http://{addr}"))
        .env("AWS_ACCESS_KEY_ID", &dev.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &dev.secret_access_key)
        .env("AWS_SESSION_TOKEN", &dev.session_token)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("ADMIN_KEY_ID", &admin.access_key_id)
        .env("ADMIN_SECRET", &admin.secret_access_key)
        .env("ADMIN_TOKEN", &admin.session_token)
        .output()
        .await
        .unwrap();
    server.abort();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the boto3 script failed:\n{stderr}\n{stdout}"
    );
    let r: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("script output is not JSON ({e}): {stdout}\n{stderr}"));

    assert_eq!(
        r["get"],
        json!({
            "Name": "/dev/greeting", "Type": "String", "Value": "hello", "Version": 1,
            "ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/dev/greeting", "DataType": "text"
        })
    );
    assert_eq!(r["secure_type"], "SecureString");
    assert_eq!(r["secure_sealed_differs"], true);
    assert_eq!(r["secure_decrypted"], "s3cret-Value");
    assert_eq!(r["app_scoped"], "a,b,c");
    assert_eq!(r["by_version"], "hello");
    assert_eq!(r["get_many"], json!(["/dev/greeting"]));
    assert_eq!(r["invalid"], json!(["/dev/missing"]));

    // Paging: 10 per page, 27 parameters under /dev (25 + greeting + db/password).
    assert_eq!(r["first_page_len"], 10);
    assert_eq!(r["first_page_has_token"], true);
    assert_eq!(r["pages"], 3);
    let mut want: Vec<String> = vec!["/dev/db/password".into(), "/dev/greeting".into()];
    want.extend((1..=25).map(|i| format!("/dev/p/p{i:02}")));
    want.sort();
    assert_eq!(r["paged_names"], json!(want));
    assert_eq!(r["paged_secret"], "s3cret-Value");
    assert_eq!(r["one_level"], json!(["/dev/greeting"]));

    assert_eq!(r["not_found"], json!(["ParameterNotFound", 400]));
    for key in [
        "denied_get",
        "denied_app",
        "denied_path",
        "denied_root",
        "denied_many",
        "denied_put",
        "denied_delete",
    ] {
        assert_eq!(r[key], json!(["AccessDeniedException", 400]), "{key}");
    }
    let described: Vec<&str> = r["described"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(described.len(), 28, "{described:?}");
    assert!(
        described
            .iter()
            .all(|n| n.starts_with("/dev/") || n.starts_with("/greeter/dev/")),
        "{described:?}"
    );

    assert_eq!(
        r["wrong_signature"],
        json!(["InvalidSignatureException", 400])
    );
    assert_eq!(
        r["unknown_key"],
        json!(["UnrecognizedClientException", 400])
    );

    assert_eq!(r["put_version"], 2);
    assert_eq!(r["exists"], json!(["ParameterAlreadyExists", 400]));
    assert_eq!(r["after_put"], "hello again");
    assert_eq!(r["history"], json!([[1, "hello"], [2, "hello again"]]));
    assert_eq!(r["deleted"], json!(["ParameterNotFound", 400]));
}
