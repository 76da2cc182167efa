//! Stages end to end: the real `lockgate server` binary on a free port, driven
//! by the real CLI verbs (deploy, plan, outputs, params, stacks, logs,
//! destroy) against a copy of examples/greeter, with the stages' APIs called
//! over real HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// A running `lockgate server`, killed on drop.
struct ServerProc {
    child: Child,
    url: String,
    token_file: PathBuf,
    _data: tempfile::TempDir,
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Stops a `lockgate server` or `lockgate up` child as Ctrl-C would (SIGTERM,
/// which both handle by shutting down cleanly) and reaps it; returns whether
/// it exited successfully.
fn stop(child: &mut Child) -> bool {
    let termed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    if !termed {
        let _ = child.kill();
    }
    child.wait().is_ok_and(|s| s.success())
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lockgate"));
    for k in [
        "LOCKGATE_SERVER",
        "LOCKGATE_TOKEN",
        "LOCKGATE_TOKEN_FILE",
        "LOCKGATE_DATA_DIR",
    ] {
        c.env_remove(k);
    }
    c.env("NO_COLOR", "1");
    c
}

impl ServerProc {
    /// Starts the server and waits until it has printed its URL and answers /v1/health.
    fn start() -> ServerProc {
        let data = tempfile::tempdir().unwrap();
        let mut child = bin()
            .args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut url = None;
        let mut token_file = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(u) = line.strip_prefix("Lockgate server listening on ") {
                url = Some(u.trim().to_string());
            }
            if let Some(t) = line.strip_prefix("Admin token: ") {
                token_file = Some(PathBuf::from(t.trim()));
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let url = url.expect("the server printed no URL");
        let token_file = token_file.expect("the server printed no token file");
        // server.json is written at start, as the notes promise.
        let sj: Value = serde_json::from_str(
            &std::fs::read_to_string(data.path().join("server.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(sj["url"], url.as_str());
        assert!(token_file.is_file());
        let (status, body) = http("GET", &format!("{url}/v1/health"), None);
        assert_eq!(status, 200, "{body}");
        ServerProc {
            child,
            url,
            token_file,
            _data: data,
        }
    }

    /// The CLI, pointed at this server, run in `dir`.
    fn cli(&self, dir: &Path, args: &[&str]) -> Output {
        bin()
            .current_dir(dir)
            .env("LOCKGATE_SERVER", &self.url)
            .env("LOCKGATE_TOKEN_FILE", &self.token_file)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Runs the CLI and expects success; returns stdout.
    fn ok(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.cli(dir, args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "lockgate {args:?} failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status.code()
        );
        stdout
    }

    /// Runs the CLI with `--output json` and parses stdout.
    fn json(&self, dir: &Path, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["--output", "json"]);
        let stdout = self.ok(dir, &a);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    }

    /// Runs the CLI and expects exit code 1; returns stderr.
    fn refused(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.cli(dir, args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(1),
            "lockgate {args:?} should be refused\nstdout:\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }
}

/// Whether GET `url` answers 200 (false when nothing listens).
fn serves(url: &str) -> bool {
    let host = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    TcpStream::connect(host).is_ok() && http("GET", url, None).0 == 200
}

/// A minimal HTTP/1.1 client (Connection: close; chunked bodies decoded).
fn http(method: &str, url: &str, body: Option<&str>) -> (u16, String) {
    http_with(method, url, "", body)
}

/// [`http`] with extra header lines (each ending in `\r\n`).
fn http_with(method: &str, url: &str, headers: &str, body: Option<&str>) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut s = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 || after.len() < n {
                break;
            }
            out.push_str(&after[..n]);
            rest = after[n..].trim_start_matches("\r\n");
        }
        out
    } else {
        body.to_string()
    };
    (status, body)
}

/// Masks the content hashes SAM puts in logical IDs (`HelloFunctionVersion1a2b3c4d5e`),
/// keeping the width so the table stays aligned.
fn mask_hashes(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            line.split(' ')
                .map(|word| {
                    for kind in ["Version", "Deployment"] {
                        if let Some(i) = word.rfind(kind) {
                            let tail = &word[i + kind.len()..];
                            if tail.len() == 10 && tail.bytes().all(|b| b.is_ascii_hexdigit()) {
                                return format!("{}{kind}XXXXXXXXXX", &word[..i]);
                            }
                        }
                    }
                    word.to_string()
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Copies examples/greeter into a fresh directory named `greeter`.
fn greeter_copy() -> (tempfile::TempDir, PathBuf) {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/greeter");
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("greeter");
    copy_dir(&src, &dst);
    (tmp, dst)
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if name == "__pycache__" || name == ".lockgate" || name == ".aws-sam" {
            continue;
        }
        let to = dst.join(&name);
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

/// Changes the greeter's code: it answers with two exclamation marks.
fn edit_code(app: &Path) {
    let path = app.join("src/hello.py");
    let code = std::fs::read_to_string(&path).unwrap();
    let edited = code.replace("{name}!\"", "{name}!!\"");
    assert_ne!(code, edited, "hello.py changed shape");
    std::fs::write(&path, edited).unwrap();
}

/// The stage's first URL, from `outputs --output json`.
fn stage_url(server: &ServerProc, dir: &Path, stage: &str) -> String {
    let v = server.json(dir, &["outputs", "--stage", stage]);
    let url = v["urls"][0]
        .as_str()
        .map(str::to_string)
        .or_else(|| v["urls"][0]["url"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no URL for {stage}: {v}"));
    url.trim_end_matches('/').to_string()
}

/// GET {url}/hello/{name}: the greeter's JSON answer.
fn hello(url: &str, name: &str) -> Value {
    let (status, body) = http("GET", &format!("{url}/hello/{name}"), None);
    assert_eq!(status, 200, "GET {url}/hello/{name}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn put_secrets(server: &ServerProc, dir: &Path) {
    for stage in ["dev", "prod"] {
        server.ok(
            dir,
            &[
                "params",
                "put",
                &format!("/{stage}/greeterSecret"),
                &format!("{stage}-s3cret"),
                "--type",
                "SecureString",
            ],
        );
    }
}

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

#[test]
fn no_server_is_a_clear_error_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(dir.path())
        .env("LOCKGATE_DATA_DIR", dir.path().join("nowhere"))
        .args(["stacks"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no Lockgate server found"), "{err}");
    assert!(err.contains("lockgate server"), "{err}");

    // A server that is not listening: unreachable, exit code 2.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = bin()
        .current_dir(dir.path())
        .args(["stacks", "--server", &format!("http://127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach the Lockgate server"), "{err}");
}

#[test]
fn discovery_finds_the_server_json_of_lockgate_up_in_a_parent_directory() {
    let server = ServerProc::start();
    let dir = tempfile::tempdir().unwrap();
    let lg = dir.path().join(".lockgate");
    std::fs::create_dir_all(&lg).unwrap();
    std::fs::write(
        lg.join("server.json"),
        serde_json::json!({"url": server.url, "token_file": server.token_file, "pid": 0})
            .to_string(),
    )
    .unwrap();
    let nested = dir.path().join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    let out = bin()
        .current_dir(&nested)
        .args(["stacks", "--output", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.is_array(), "{v}");

    // A wrong token is refused as a user error.
    let out = bin()
        .current_dir(&nested)
        .env("LOCKGATE_TOKEN", "wrong")
        .args(["params", "put", "/dev/x", "y"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("token"), "{err}");
}

#[test]
fn up_once_deploys_the_directory_to_dev_and_stops() {
    let (_tmp, app) = greeter_copy();
    let out = bin()
        .current_dir(&app)
        .args(["up", "--once", "--output", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(v["app"], "greeter");
    assert_eq!(v["stage"], "dev");
    assert!(
        v["urls"][0].is_string() || v["urls"][0]["url"].is_string(),
        "{v}"
    );
    assert!(app.join(".lockgate/admin.token").is_file());
}

/// `lockgate up` redeploys on a saved change: start it, wait for its first
/// URL line, edit the code, and read until the redeploy is reported.
#[test]
fn up_redeploys_after_a_saved_change() {
    let (_tmp, app) = greeter_copy();
    let mut child = bin()
        .current_dir(&app)
        .args(["up"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            stop(&mut self.0);
        }
    }
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut child = Kill(child);
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(format!("out: {l}"));
        }
    });
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx2.send(format!("err: {l}"));
        }
    });
    // stdout and stderr arrive through two pipes, so their relative order is
    // not kept: a wait looks at every line received since `from`.
    let mut seen: Vec<String> = Vec::new();
    let mut wait_for = |from: usize, pred: &dyn Fn(&str) -> bool| -> (usize, String) {
        let mut i = from;
        loop {
            while i < seen.len() {
                if pred(&seen[i]) {
                    return (i, seen[i].clone());
                }
                assert!(
                    !seen[i].starts_with("err: error"),
                    "up reported an error:\n{}",
                    seen.join("\n")
                );
                i += 1;
            }
            match rx.recv() {
                Ok(l) => seen.push(l),
                Err(_) => panic!("up ended before the expected line:\n{}", seen.join("\n")),
            }
        }
    };
    let (url_at, url_line) = wait_for(0, &|l| l.starts_with("out: URL: "));
    let url = url_line["out: URL: ".len()..]
        .trim()
        .trim_end_matches('/')
        .to_string();
    let (watching, _) = wait_for(0, &|l| l.starts_with("err: Watching "));
    // The CLI finds up's server through .lockgate/server.json in the app directory.
    let put = bin()
        .current_dir(app.join("src"))
        .args([
            "params",
            "put",
            "/dev/greeterSecret",
            "up-s3cret",
            "--type",
            "SecureString",
        ])
        .output()
        .unwrap();
    assert!(
        put.status.success(),
        "{}",
        String::from_utf8_lossy(&put.stderr)
    );
    assert_eq!(hello(&url, "fay")["message"], "Hi, fay!");
    edit_code(&app);
    // Every line of the first deploy came before both of these.
    let after_first = url_at.max(watching) + 1;
    wait_for(after_first, &|l| l.starts_with("err: Changed: "));
    let (_, done) = wait_for(after_first, &|l| {
        l.starts_with("out: Deployed greeter/dev") && l.contains("resource(s) changed")
    });
    assert!(done.starts_with("out: Deployed"), "{done}");
    assert_eq!(hello(&url, "fay")["message"], "Hi, fay!!");
    // Ctrl-C (SIGTERM here) stops the watcher and the server cleanly.
    assert!(stop(&mut child.0), "up did not exit cleanly");
    assert!(
        !app.join(".lockgate/server.json").exists(),
        "server.json is removed at shutdown"
    );
}

/// The server never needs the client's directory: the CLI uploads the code
/// the server lacks (nothing when it is unchanged), a stage keeps serving
/// and can be read and destroyed after the directory it was deployed from
/// is gone, and a request naming code that was never uploaded is refused
/// with nothing changed.
#[test]
fn deploys_upload_only_what_the_server_lacks_and_never_read_the_client_dir() {
    let server = ServerProc::start();
    let (tmp, app) = greeter_copy();
    put_secrets(&server, &app);

    // The first deploy uploads the code: three files and the manifest.
    let first = server.json(&app, &["deploy", "--stage", "dev"]);
    assert_eq!(first["uploaded"]["artifacts"], 4, "{first}");
    assert!(first["uploaded"]["bytes"].as_u64().unwrap() > 0, "{first}");
    // The same code again: nothing is uploaded, nothing changes.
    let again = server.json(&app, &["deploy", "--stage", "dev"]);
    assert_eq!(again["uploaded"]["artifacts"], 0, "{again}");
    assert_eq!(again["status"], "UNCHANGED", "{again}");
    // Another stage of the same code: the server holds it already.
    let prod = server.json(&app, &["deploy", "--stage", "prod"]);
    assert_eq!(prod["uploaded"]["artifacts"], 0, "{prod}");
    // One file changed: that file and the directory's new manifest.
    edit_code(&app);
    let changed = server.json(&app, &["deploy", "--stage", "dev"]);
    assert_eq!(changed["uploaded"]["artifacts"], 2, "{changed}");
    let url = stage_url(&server, &app, "dev");
    assert_eq!(hello(&url, "ida")["message"], "Hi, ida!!");

    // A request naming a directory the server does not hold is refused
    // before anything changes.
    let stacks_before = server.json(&app, &["stacks"]);
    let token = std::fs::read_to_string(&server.token_file).unwrap();
    let body = serde_json::json!({
        "template": std::fs::read_to_string(app.join("template.yaml")).unwrap(),
        "parameters": {"Greeting": "Howdy"},
        "artifacts": {"src/": "0".repeat(64)},
    })
    .to_string();
    let (status, answer) = http_with(
        "POST",
        &format!("{}/v1/apps/greeter/stages/dev/deploy", server.url),
        &format!("Authorization: Bearer {}\r\n", token.trim()),
        Some(&body),
    );
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer.contains(&format!(
            "artifact {} for code path `src/` was not uploaded",
            "0".repeat(64)
        )),
        "{answer}"
    );
    assert!(!answer.contains("\"result\""), "{answer}");
    assert_eq!(server.json(&app, &["stacks"]), stacks_before);
    assert_eq!(hello(&url, "ida")["message"], "Hi, ida!!");

    // The app's directory goes; the stage keeps serving its code, and
    // outputs and destroy work from anywhere.
    drop(tmp);
    assert!(!app.exists());
    assert_eq!(hello(&url, "jo")["message"], "Hi, jo!!");
    let elsewhere = tempfile::tempdir().unwrap();
    let outputs = server.json(
        elsewhere.path(),
        &["outputs", "--app", "greeter", "--stage", "dev"],
    );
    assert_eq!(outputs["urls"][0].as_str(), Some(url.as_str()), "{outputs}");
    let destroyed = server.json(
        elsewhere.path(),
        &["destroy", "--app", "greeter", "--stage", "dev", "--yes"],
    );
    assert_eq!(
        destroyed["result"]["status"], "DELETE_COMPLETE",
        "{destroyed}"
    );
    assert!(!serves(&format!("{url}/hello/x")), "dev no longer serves");
}

#[test]
fn a_secret_value_comes_from_standard_input_or_a_file() {
    let server = ServerProc::start();
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin()
        .current_dir(dir.path())
        .env("LOCKGATE_SERVER", &server.url)
        .env("LOCKGATE_TOKEN_FILE", &server.token_file)
        .args([
            "params",
            "put",
            "/dev/fromStdin",
            "-",
            "--type",
            "SecureString",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped s3cret\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let file = dir.path().join("value.txt");
    std::fs::write(&file, "from a file\n").unwrap();
    let arg = format!("file://{}", file.display());
    server.ok(
        dir.path(),
        &[
            "params",
            "put",
            "/dev/fromFile",
            &arg,
            "--type",
            "SecureString",
        ],
    );
    let get = |name: &str| {
        server.json(dir.path(), &["params", "get", name, "--decrypt"])["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(get("/dev/fromStdin"), "piped s3cret", "one newline dropped");
    assert_eq!(
        get("/dev/fromFile"),
        "from a file\n",
        "as it is, as the AWS CLI reads file://"
    );
    let err = server.refused(
        dir.path(),
        &["params", "put", "/dev/x", "file:///no/such/file"],
    );
    assert!(
        err.contains("cannot read the value from /no/such/file"),
        "{err}"
    );
}
