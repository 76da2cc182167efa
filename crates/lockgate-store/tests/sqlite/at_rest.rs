//! Secrets at rest: the database files never hold a secure string's plaintext.

use std::path::Path;

use lockgate_store::{
    NewParameterValue, ParameterName, PutParameter, SecretString, SqliteStore, Store,
};

const SECRET_V1: &str = "correct-horse-battery-staple-7f3a";
const SECRET_V2: &str = "tr0ub4dor-and-3-second-version-91c2";
const PLAIN: &str = "plain-visible-table-name-5d8e";

/// Every file under the data dir except the key directory.
fn state_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "keys") {
                    stack.push(path);
                }
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn scan(dir: &Path) -> (bool, bool, usize) {
    let files = state_files(dir);
    let mut secret = false;
    let mut plain = false;
    for f in &files {
        let bytes = std::fs::read(f).expect("read state file");
        secret |= contains(&bytes, SECRET_V1) || contains(&bytes, SECRET_V2);
        plain |= contains(&bytes, PLAIN);
    }
    (secret, plain, files.len())
}

fn put(name: &str, value: NewParameterValue, overwrite: bool) -> PutParameter {
    PutParameter {
        name: ParameterName::new(name).expect("valid name"),
        value,
        description: None,
        overwrite,
        actor: "alice".into(),
    }
}

#[tokio::test]
async fn secure_strings_never_reach_the_database_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    store
        .put_parameter(put(
            "/dev/databasePassword",
            NewParameterValue::SecureString(SecretString::new(SECRET_V1)),
            false,
        ))
        .await
        .expect("put v1");
    store
        .put_parameter(put(
            "/dev/databasePassword",
            NewParameterValue::SecureString(SecretString::new(SECRET_V2)),
            true,
        ))
        .await
        .expect("put v2");
    // Control: a plain String must be found by the same scan, or the scan proves nothing.
    store
        .put_parameter(put(
            "/dev/tableName",
            NewParameterValue::String(PLAIN.into()),
            false,
        ))
        .await
        .expect("put plain");

    // While open (data in the WAL) and after close (checkpointed into the main file).
    let (secret, plain, files) = scan(dir.path());
    assert!(
        files >= 2,
        "expected the database and its WAL, found {files} files"
    );
    assert!(plain, "control value not found: the scan is blind");
    assert!(
        !secret,
        "a secure string's plaintext is in the database files"
    );
    store.close().await;
    let (secret, plain, _) = scan(dir.path());
    assert!(plain, "control value not found after close");
    assert!(
        !secret,
        "a secure string's plaintext is in the database file after checkpoint"
    );

    // The key lives outside the database, private.
    let key = dir.path().join("keys").join("master.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key)
            .expect("key file")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }

    // And with it, both versions still open.
    let store = SqliteStore::open(dir.path()).await.expect("reopen");
    let name = ParameterName::new("/dev/databasePassword").expect("valid");
    let v1 = store
        .get_parameter(&name, Some(1))
        .await
        .expect("get")
        .expect("v1");
    let v2 = store
        .get_parameter(&name, None)
        .await
        .expect("get")
        .expect("v2");
    assert_eq!(
        store.decrypt_parameter(&v1).expect("open v1").expose(),
        SECRET_V1
    );
    assert_eq!(
        store.decrypt_parameter(&v2).expect("open v2").expose(),
        SECRET_V2
    );
}

#[tokio::test]
async fn another_key_cannot_open_secrets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    store
        .put_parameter(put(
            "/dev/apiKey",
            NewParameterValue::SecureString(SECRET_V1.into()),
            false,
        ))
        .await
        .expect("put");
    store.close().await;
    // Replace the key file: the sealed value must no longer open.
    let key = dir.path().join("keys").join("master.key");
    std::fs::remove_file(&key).expect("remove key");
    let store = SqliteStore::open(dir.path())
        .await
        .expect("reopen with a new key");
    let p = store
        .get_parameter(&ParameterName::new("/dev/apiKey").expect("valid"), None)
        .await
        .expect("get")
        .expect("present");
    assert!(matches!(
        store.decrypt_parameter(&p),
        Err(lockgate_store::StoreError::Decrypt { .. })
    ));
}

/// A resource's properties and an export's value may hold a NoEcho
/// parameter's value (or something derived from it): sealed wherever they
/// are kept — the committed state, the exports, and the snapshot a
/// deployment keeps of the state it started from — and read back whole.
#[tokio::test]
async fn exports_and_deployment_snapshots_never_hold_a_secret_in_clear() {
    use lockgate_store::{
        BeginDeployment, DeploymentKind, DeploymentOutcome, ExportName, Output, ResourceState,
        ResourceStatus, StackCommit, StackRef, StackStatus, StackTarget,
    };
    use serde_json::json;

    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let stack = StackRef::parse("app", "dev", "app").expect("stack");
    store.ensure_stage(&stack.stage_ref()).await.expect("stage");
    let target = StackTarget {
        template: json!({}),
        parameters: json!({"Pw": "****"}),
    };
    let commit = |status| StackCommit {
        status,
        status_reason: None,
        template: json!({}),
        parameters: json!({"Pw": "****"}),
        resources: vec![ResourceState {
            logical_id: "Q".into(),
            resource_type: "AWS::SQS::Queue".into(),
            physical_id: Some("q".into()),
            properties: json!({"Tags": [{"Key": "pw", "Value": SECRET_V1}]}),
            status: ResourceStatus::CreateComplete,
            status_reason: None,
            attributes: json!({}),
        }],
        outputs: vec![
            Output {
                key: "Token".into(),
                value: "****".into(),
                description: None,
                export_name: Some(ExportName::new("token").expect("name")),
                export_value: Some(SECRET_V2.into()),
            },
            Output {
                key: "Plain".into(),
                value: PLAIN.into(),
                description: None,
                export_name: Some(ExportName::new("plain").expect("name")),
                export_value: None,
            },
        ],
        imports: Vec::new(),
        events: Vec::new(),
        leftovers: Vec::new(),
    };
    for (kind, status) in [
        (DeploymentKind::Create, StackStatus::CreateComplete),
        // The update's deployment keeps a snapshot of the created state.
        (DeploymentKind::Update, StackStatus::UpdateComplete),
    ] {
        let d = store
            .begin_deployment(BeginDeployment {
                stack: stack.clone(),
                kind,
                initiated_by: "alice".into(),
                change_set: json!([]),
                target: target.clone(),
            })
            .await
            .expect("begin");
        store
            .finish_deployment(d.id, DeploymentOutcome::Succeeded, commit(status))
            .await
            .expect("finish");
    }

    let (secret, plain, _) = scan(dir.path());
    assert!(plain, "control value not found: the scan is blind");
    assert!(!secret, "a secret is in the database files in clear");

    // Read back whole: the export gives the real value, the output shows
    // the mask, the deployment's snapshot has both.
    let exports = store
        .list_exports(&stack.stage_ref())
        .await
        .expect("exports");
    let value = |n: &str| {
        exports
            .iter()
            .find(|e| e.name.as_str() == n)
            .expect("export")
            .value
            .clone()
    };
    assert_eq!(value("token"), SECRET_V2);
    assert_eq!(value("plain"), PLAIN);
    let snap = store
        .stack_snapshot(&stack)
        .await
        .expect("snapshot")
        .expect("stack");
    let mut committed = commit(StackStatus::UpdateComplete).outputs;
    committed.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(snap.outputs, committed);
    assert!(!format!("{:?}", snap.outputs).contains(SECRET_V2));
    let deployments = store.list_deployments(&stack, 10).await.expect("list");
    let previous = deployments[0].previous.as_ref().expect("a snapshot");
    assert_eq!(previous.outputs, snap.outputs);
    assert_eq!(
        previous.resources[0].properties["Tags"][0]["Value"],
        SECRET_V1
    );
}

/// Whether any state file holds `needle`.
fn found(dir: &Path, needle: &str) -> bool {
    state_files(dir)
        .iter()
        .any(|f| contains(&std::fs::read(f).expect("read state file"), needle))
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A database written by older servers — a deployment's snapshot in clear
/// (with a NoEcho value in a resource's properties), resource properties
/// and an export value from before they were sealed, unsalted digests of
/// the NoEcho values among the stack's parameters and the deployment's
/// target and snapshot — holds neither a secret nor its digest once the
/// store has opened it (the WAL included, while the old writer is still
/// connected and after), and reads back whole: digests replaced by the
/// record of where NoEcho values went (everywhere: it cannot be told).
#[tokio::test]
async fn opening_an_old_database_seals_its_secrets_and_drops_their_digests() {
    use lockgate_store::{
        BeginDeployment, DeploymentKind, DeploymentOutcome, ExportName, Output, ResourceState,
        ResourceStatus, StackCommit, StackRef, StackStatus, StackTarget,
    };
    use serde_json::json;
    use sqlx::Connection as _;

    const DIGESTS: &str = "Lockgate::NoEchoDigests";
    const RECORD: &str = "Lockgate::NoEchoPaths";
    let dir = tempfile::tempdir().expect("temp dir");
    let stack = StackRef::parse("app", "dev", "app").expect("stack");
    let template = json!({
        "Parameters": {
            "Pw": {"Type": "String", "NoEcho": true},
            "Plain": {"Type": "String"},
        },
        "Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
    });
    let parameters = json!({"Pw": "****", "Plain": PLAIN});
    let properties = json!({"Tags": [{"Key": "pw", "Value": SECRET_V1}]});

    // Today's store makes the rows; raw SQL then writes them as older
    // servers did.
    let store = SqliteStore::open(dir.path()).await.expect("open");
    store.ensure_stage(&stack.stage_ref()).await.expect("stage");
    for (kind, status) in [
        (DeploymentKind::Create, StackStatus::CreateComplete),
        (DeploymentKind::Update, StackStatus::UpdateComplete),
    ] {
        let d = store
            .begin_deployment(BeginDeployment {
                stack: stack.clone(),
                kind,
                initiated_by: "older server".into(),
                change_set: json!([]),
                target: StackTarget {
                    template: template.clone(),
                    parameters: parameters.clone(),
                },
            })
            .await
            .expect("begin");
        let commit = StackCommit {
            status,
            status_reason: None,
            template: template.clone(),
            parameters: parameters.clone(),
            resources: vec![ResourceState {
                logical_id: "Q".into(),
                resource_type: "AWS::SQS::Queue".into(),
                physical_id: Some("q".into()),
                properties: properties.clone(),
                status: ResourceStatus::CreateComplete,
                status_reason: None,
                attributes: json!({}),
            }],
            outputs: vec![Output {
                key: "Token".into(),
                value: "****".into(),
                description: None,
                export_name: Some(ExportName::new("token").expect("name")),
                export_value: Some(SECRET_V2.into()),
            }],
            imports: Vec::new(),
            events: Vec::new(),
            leftovers: Vec::new(),
        };
        store
            .finish_deployment(d.id, DeploymentOutcome::Succeeded, commit)
            .await
            .expect("finish");
    }
    let update = store.list_deployments(&stack, 10).await.expect("list")[0].clone();
    store.close().await;
    drop(store);

    let digests = json!([sha256_hex(SECRET_V1)]);
    let mut legacy_parameters = parameters.clone();
    legacy_parameters[DIGESTS] = digests.clone();
    let mut previous = serde_json::to_value(update.previous.as_ref().expect("snapshot")).unwrap();
    previous["parameters"] = legacy_parameters.clone();
    let target = json!({"template": template, "parameters": legacy_parameters});
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("lockgate.db"))
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
    let mut old = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    for (sql, value) in [
        (
            "UPDATE stacks SET parameters = $1",
            legacy_parameters.to_string(),
        ),
        ("UPDATE deployments SET target = $1", target.to_string()),
        (
            "UPDATE deployments SET previous = $1 WHERE previous IS NOT NULL",
            previous.to_string(),
        ),
        (
            "UPDATE stack_resources SET properties = $1",
            properties.to_string(),
        ),
        ("UPDATE exports SET value = $1", SECRET_V2.to_string()),
        // Older servers never set it (today's store did, at first open).
        ("PRAGMA user_version = 0", String::new()),
    ] {
        let q = sqlx::query(sql);
        let q = if sql.contains('$') { q.bind(value) } else { q };
        q.execute(&mut old).await.expect("write as an older server");
    }
    let forbidden = [
        SECRET_V1.to_string(),
        SECRET_V2.to_string(),
        sha256_hex(SECRET_V1),
        sha256_hex(SECRET_V2),
    ];
    assert!(
        found(dir.path(), SECRET_V1),
        "the old rows are not in clear"
    );
    assert!(found(dir.path(), &sha256_hex(SECRET_V1)));

    let check = |when: &str| {
        assert!(found(dir.path(), PLAIN), "{when}: the scan is blind");
        for x in &forbidden {
            assert!(!found(dir.path(), x), "{when}: `{x}` is in the state files");
        }
    };
    let store = SqliteStore::open(dir.path()).await.expect("open");
    assert!(
        state_files(dir.path())
            .iter()
            .any(|f| f.to_string_lossy().ends_with("-wal")),
        "the WAL is scanned"
    );
    check("the old writer still connected");
    old.close().await.expect("close");

    // Read back whole, digests gone.
    let (stack, properties, parameters) = (&stack, &properties, &parameters);
    let verify = |store: SqliteStore| async move {
        let snap = store
            .stack_snapshot(stack)
            .await
            .expect("snapshot")
            .expect("stack");
        let upgraded = json!({"Pw": "****", "Plain": PLAIN, RECORD: {"Q": [""]}});
        assert_eq!(snap.parameters, upgraded);
        assert_eq!(snap.resources[0].properties, *properties);
        let exports = store
            .list_exports(&stack.stage_ref())
            .await
            .expect("exports");
        assert_eq!(exports[0].value, SECRET_V2);
        let d = &store.list_deployments(stack, 10).await.expect("list")[0];
        let previous = d.previous.as_ref().expect("snapshot");
        assert_eq!(previous.parameters, upgraded);
        assert_eq!(previous.resources[0].properties, *properties);
        assert_eq!(d.target.parameters, *parameters);
        store.close().await;
    };
    verify(store).await;
    check("after close");
    // Again: nothing more to do, nothing lost.
    verify(SqliteStore::open(dir.path()).await.expect("reopen")).await;
    check("after a second open");
}

/// A stack deployed twice (so its last deployment keeps a snapshot), with
/// a NoEcho value in a resource's properties and an export.
async fn deployed_stack(store: &SqliteStore) -> lockgate_store::StackRef {
    use lockgate_store::{
        BeginDeployment, DeploymentKind, DeploymentOutcome, ExportName, Output, ResourceState,
        ResourceStatus, StackCommit, StackRef, StackStatus, StackTarget,
    };
    use serde_json::json;

    let stack = StackRef::parse("app", "dev", "app").expect("stack");
    store.ensure_stage(&stack.stage_ref()).await.expect("stage");
    for (kind, status) in [
        (DeploymentKind::Create, StackStatus::CreateComplete),
        (DeploymentKind::Update, StackStatus::UpdateComplete),
    ] {
        let d = store
            .begin_deployment(BeginDeployment {
                stack: stack.clone(),
                kind,
                initiated_by: "alice".into(),
                change_set: json!([]),
                target: StackTarget {
                    template: json!({}),
                    parameters: json!({"Plain": PLAIN}),
                },
            })
            .await
            .expect("begin");
        let commit = StackCommit {
            status,
            status_reason: None,
            template: json!({}),
            parameters: json!({"Plain": PLAIN}),
            resources: vec![ResourceState {
                logical_id: "Q".into(),
                resource_type: "AWS::SQS::Queue".into(),
                physical_id: Some("q".into()),
                properties: json!({"Tags": [{"Key": "pw", "Value": SECRET_V1}]}),
                status: ResourceStatus::CreateComplete,
                status_reason: None,
                attributes: json!({}),
            }],
            outputs: vec![Output {
                key: "Token".into(),
                value: "****".into(),
                description: None,
                export_name: Some(ExportName::new("token").expect("name")),
                export_value: Some(SECRET_V2.into()),
            }],
            imports: Vec::new(),
            events: Vec::new(),
            leftovers: Vec::new(),
        };
        store
            .finish_deployment(d.id, DeploymentOutcome::Succeeded, commit)
            .await
            .expect("finish");
    }
    stack
}

/// Runs `sql` statements on the database as an older server would.
async fn write_as_older_server(dir: &Path, statements: &[&'static str]) {
    use sqlx::Connection as _;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.join("lockgate.db"))
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    for sql in statements {
        sqlx::query(*sql)
            .execute(&mut conn)
            .await
            .expect("write as an older server");
    }
    conn.close().await.expect("close");
}

/// One value read straight from the database.
async fn raw(dir: &Path, sql: &'static str) -> String {
    use sqlx::Connection as _;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(dir.join("lockgate.db"));
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    let row: (String,) = sqlx::query_as(sql)
        .fetch_one(&mut conn)
        .await
        .expect("read");
    conn.close().await.expect("close");
    row.0
}

/// The upgrade runs once: the database records it (`user_version`), and
/// a template that merely mentions the legacy key (its Description) is no
/// reason to run it again.
#[tokio::test]
async fn the_upgrade_is_recorded_and_not_run_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    deployed_stack(&store).await;
    store.close().await;
    assert_eq!(
        raw(
            dir.path(),
            "SELECT CAST(user_version AS TEXT) FROM pragma_user_version"
        )
        .await,
        "1"
    );
    // Not the key, only its name in a text: not a digest. Even with the
    // record reset, nothing is put right (the parameters are as they were).
    write_as_older_server(
        dir.path(),
        &[
            "UPDATE stacks SET template = '{\"Description\": \"no Lockgate::NoEchoDigests here\"}', \
             parameters = '{\"Plain\": \"Lockgate::NoEchoDigests\"}'",
            "PRAGMA user_version = 0",
        ],
    )
    .await;
    let store = SqliteStore::open(dir.path()).await.expect("reopen");
    assert!(
        store.open_warnings().is_empty(),
        "{:?}",
        store.open_warnings()
    );
    store.close().await;
    assert_eq!(
        raw(dir.path(), "SELECT parameters FROM stacks").await,
        "{\"Plain\": \"Lockgate::NoEchoDigests\"}"
    );
    assert_eq!(
        raw(
            dir.path(),
            "SELECT CAST(user_version AS TEXT) FROM pragma_user_version"
        )
        .await,
        "1"
    );
    // Once recorded, an older server's clear row stays so: the pass does
    // not run again.
    write_as_older_server(
        dir.path(),
        &["UPDATE exports SET value = 'clear-after-done'"],
    )
    .await;
    let store = SqliteStore::open(dir.path()).await.expect("reopen");
    store.close().await;
    assert_eq!(
        raw(dir.path(), "SELECT value FROM exports").await,
        "clear-after-done"
    );
}

/// A data directory restored without its key: the keyring makes a new
/// one, and what older servers left in clear is not sealed under it (the
/// original key, once back, would not open it); the store opens, warns
/// naming the key file, and upgrades once the original key is back.
#[tokio::test]
async fn clear_rows_are_not_sealed_under_a_key_the_data_was_not_sealed_with() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let stack = deployed_stack(&store).await;
    store.close().await;
    write_as_older_server(
        dir.path(),
        &[
            "UPDATE exports SET value = 'older-clear-export'",
            "PRAGMA user_version = 0",
        ],
    )
    .await;
    let key = dir.path().join("keys").join("master.key");
    let original = std::fs::read(&key).expect("read key");
    std::fs::remove_file(&key).expect("remove key");

    let store = SqliteStore::open(dir.path())
        .await
        .expect("open with a new key");
    let warnings = store.open_warnings().join("\n");
    assert!(warnings.contains("master.key"), "{warnings}");
    assert!(warnings.contains("does not match"), "{warnings}");
    store.close().await;
    assert_eq!(
        raw(dir.path(), "SELECT value FROM exports").await,
        "older-clear-export"
    );
    assert_eq!(
        raw(
            dir.path(),
            "SELECT CAST(user_version AS TEXT) FROM pragma_user_version"
        )
        .await,
        "0"
    );

    // The original key back: sealed under it, and everything reads back.
    std::fs::write(&key, &original).expect("restore key");
    let store = SqliteStore::open(dir.path())
        .await
        .expect("open with the original key");
    assert!(
        store.open_warnings().is_empty(),
        "{:?}",
        store.open_warnings()
    );
    let exports = store
        .list_exports(&stack.stage_ref())
        .await
        .expect("exports");
    assert_eq!(exports[0].value, "older-clear-export");
    let snap = store
        .stack_snapshot(&stack)
        .await
        .expect("snapshot")
        .expect("stack");
    assert_eq!(snap.resources[0].properties["Tags"][0]["Value"], SECRET_V1);
    store.close().await;
    assert!(
        raw(dir.path(), "SELECT value FROM exports")
            .await
            .starts_with("sealed:v1:")
    );
    assert_eq!(
        raw(
            dir.path(),
            "SELECT CAST(user_version AS TEXT) FROM pragma_user_version"
        )
        .await,
        "1"
    );
}

/// A row whose JSON does not parse does not stop the store from opening:
/// a snapshot in clear is sealed as it is, other columns are left as they
/// are, each with a warning naming the row.
#[tokio::test]
async fn a_row_of_invalid_json_does_not_stop_the_store_from_opening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    deployed_stack(&store).await;
    store.close().await;
    write_as_older_server(
        dir.path(),
        &[
            "UPDATE deployments SET previous = '{not json' WHERE previous IS NOT NULL",
            // Digests to drop, but a template that does not parse.
            "UPDATE stacks SET parameters = '{\"Lockgate::NoEchoDigests\": [\"ab\"]}', \
             template = '{not json either'",
            // Not JSON: not looked into.
            "UPDATE deployments SET target = 'Lockgate::NoEchoDigests {'",
            "PRAGMA user_version = 0",
        ],
    )
    .await;
    let store = SqliteStore::open(dir.path())
        .await
        .expect("open despite bad rows");
    let warnings = store.open_warnings().join("\n");
    assert!(
        warnings.contains("deployments.previous of row"),
        "{warnings}"
    );
    assert!(warnings.contains("stacks.template of row"), "{warnings}");
    store.close().await;
    assert!(
        raw(
            dir.path(),
            "SELECT previous FROM deployments WHERE previous IS NOT NULL"
        )
        .await
        .starts_with("sealed:v1:")
    );
    assert_eq!(
        raw(dir.path(), "SELECT parameters FROM stacks").await,
        "{\"Lockgate::NoEchoDigests\": [\"ab\"]}"
    );
    assert_eq!(
        raw(
            dir.path(),
            "SELECT CAST(user_version AS TEXT) FROM pragma_user_version"
        )
        .await,
        "1"
    );
}
