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
