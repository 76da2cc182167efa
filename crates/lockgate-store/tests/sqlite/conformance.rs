//! The shared conformance suite, run against `SqliteStore` in a temp dir.

lockgate_store::conformance_tests!(async {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = lockgate_store::SqliteStore::open(dir.path())
        .await
        .expect("open store");
    (dir, store)
});

#[tokio::test]
async fn store_is_dyn_compatible_and_shareable() {
    use std::sync::Arc;

    use lockgate_store::{AppName, Store};

    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> = Arc::new(
        lockgate_store::SqliteStore::open(dir.path())
            .await
            .expect("open store"),
    );
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let name = AppName::new(format!("app-{i}")).expect("valid name");
            store.create_app(&name).await.map(|_| ())
        }));
    }
    for t in tasks {
        t.await.expect("task").expect("concurrent create");
    }
    assert_eq!(store.list_apps().await.expect("list").len(), 8);
}

#[tokio::test]
async fn reopening_keeps_state_and_key() {
    use lockgate_store::{NewParameterValue, ParameterName, PutParameter, SecretString, Store};

    let dir = tempfile::tempdir().expect("temp dir");
    let name = ParameterName::new("/dev/token").expect("valid name");
    {
        let store = lockgate_store::SqliteStore::open(dir.path())
            .await
            .expect("open");
        store
            .put_parameter(PutParameter {
                name: name.clone(),
                value: NewParameterValue::SecureString(SecretString::new("tok-123")),
                description: Some("API token".into()),
                overwrite: false,
                actor: "alice".into(),
            })
            .await
            .expect("put");
        store.close().await;
    }
    let store = lockgate_store::SqliteStore::open(dir.path())
        .await
        .expect("reopen");
    let p = store
        .get_parameter(&name, None)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(p.description.as_deref(), Some("API token"));
    assert_eq!(
        store.decrypt_parameter(&p).expect("decrypt").expose(),
        "tok-123"
    );
    assert_eq!(
        store.integrity_check().await.expect("check"),
        vec!["ok".to_string()]
    );
}

#[tokio::test]
async fn concurrent_begins_admit_exactly_one() {
    use std::sync::Arc;

    use lockgate_store::{
        BeginDeployment, DeploymentKind, StackRef, StackTarget, Store, StoreError,
    };
    use serde_json::json;

    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> = Arc::new(
        lockgate_store::SqliteStore::open(dir.path())
            .await
            .expect("open store"),
    );
    let stack = StackRef::parse("shop", "dev", "shop").expect("valid");
    store.ensure_stage(&stack.stage_ref()).await.expect("stage");
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = Arc::clone(&store);
        let stack = stack.clone();
        tasks.push(tokio::spawn(async move {
            store
                .begin_deployment(BeginDeployment {
                    stack,
                    kind: DeploymentKind::Create,
                    initiated_by: format!("user-{i}"),
                    change_set: json!({}),
                    target: StackTarget {
                        template: json!({}),
                        parameters: json!({}),
                    },
                })
                .await
        }));
    }
    let mut winners = Vec::new();
    let mut refused = Vec::new();
    for t in tasks {
        match t.await.expect("task") {
            Ok(d) => winners.push(d.id),
            Err(StoreError::DeploymentInProgress { deployment, .. }) => refused.push(deployment),
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one deployment starts");
    assert_eq!(refused.len(), 7);
    assert!(
        refused.iter().all(|d| *d == winners[0]),
        "refusals name the winner"
    );
    assert_eq!(store.recover_interrupted().await.expect("list").len(), 1);
}
