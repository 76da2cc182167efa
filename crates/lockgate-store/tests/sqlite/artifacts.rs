//! The artifact store: directories by manifest, dedup, extraction, garbage.

use std::fs;
use std::path::Path;

use lockgate_store::{ArtifactStore, Digest, ManifestEntry, StoreError};

fn write_tree(root: &Path, handler: &str) {
    fs::create_dir_all(root.join("lib/util")).expect("mkdir");
    fs::create_dir_all(root.join("empty")).expect("mkdir");
    fs::write(root.join("app.py"), handler).expect("write");
    fs::write(
        root.join("lib/util/strings.py"),
        "def up(s):\n    return s.upper()\n",
    )
    .expect("write");
    fs::write(root.join("bootstrap"), "#!/bin/sh\nexec python3 app.py\n").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(root.join("bootstrap"), fs::Permissions::from_mode(0o755))
            .expect("chmod");
        std::os::unix::fs::symlink("lib/util", root.join("util")).expect("symlink");
    }
}

#[test]
fn identical_code_is_stored_once() {
    let data = tempfile::tempdir().expect("temp dir");
    let src = tempfile::tempdir().expect("temp dir");
    let store = ArtifactStore::open(data.path()).expect("open");
    let a = src.path().join("a");
    let b = src.path().join("b");
    write_tree(&a, "print('v1')\n");
    write_tree(&b, "print('v1')\n");

    let first = store.put_dir(&a).expect("put a");
    let blobs = store.list().expect("list");
    // Three files and one manifest.
    assert_eq!(blobs.len(), 4);
    // The same tree, elsewhere and again: same digest, no new blob.
    assert_eq!(store.put_dir(&b).expect("put b"), first);
    assert_eq!(store.put_dir(&a).expect("put a again"), first);
    assert_eq!(store.list().expect("list"), blobs);

    // One changed file: a new manifest and one new blob, the rest shared.
    fs::write(b.join("app.py"), "print('v2')\n").expect("write");
    let second = store.put_dir(&b).expect("put b v2");
    assert_ne!(second, first);
    assert_eq!(store.list().expect("list").len(), 6);

    let manifest = store.manifest(&second).expect("manifest");
    let paths: Vec<&str> = manifest.entries.iter().map(ManifestEntry::path).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "entries sorted");
    assert!(paths.contains(&"empty") && paths.contains(&"lib/util/strings.py"));

    // Garbage: with only the new tree referenced, the old manifest and old app.py go.
    let garbage = store.garbage([second]).expect("garbage");
    assert_eq!(garbage.len(), 2);
    assert!(garbage.contains(&first));
    assert!(garbage.contains(&Digest::of(b"print('v1')\n")));
    for d in &garbage {
        assert!(store.remove(d).expect("remove"));
    }
    assert!(store.garbage([second]).expect("garbage").is_empty());
    for d in store.list().expect("list") {
        store.verify(&d).expect("every remaining blob verifies");
    }
}

#[test]
fn extracted_directory_matches_the_original() {
    let data = tempfile::tempdir().expect("temp dir");
    let src = tempfile::tempdir().expect("temp dir");
    let store = ArtifactStore::open(data.path()).expect("open");
    let tree = src.path().join("fn");
    write_tree(&tree, "print('hello')\n");
    let digest = store.put_dir(&tree).expect("put");
    let out = src.path().join("out");
    store.extract_dir(&digest, &out).expect("extract");
    assert_eq!(
        fs::read_to_string(out.join("app.py")).expect("read"),
        "print('hello')\n"
    );
    assert!(out.join("empty").is_dir());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(out.join("bootstrap"))
            .expect("stat")
            .permissions()
            .mode();
        assert_ne!(mode & 0o111, 0, "bootstrap stays executable");
        assert_eq!(
            fs::read_link(out.join("util")).expect("link"),
            Path::new("lib/util")
        );
    }
    // Putting the extracted copy gives the same digest: the round trip is exact.
    assert_eq!(store.put_dir(&out).expect("put copy"), digest);
    // Extracting over an existing directory is refused.
    assert!(matches!(
        store.extract_dir(&digest, &out),
        Err(StoreError::Io { .. })
    ));
}

#[test]
fn files_stream_to_the_same_digest_as_bytes() {
    let data = tempfile::tempdir().expect("temp dir");
    let store = ArtifactStore::open(data.path()).expect("open");
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let file = data.path().join("big.bin");
    fs::write(&file, &big).expect("write");
    let from_file = store.put_file(&file).expect("put file");
    assert_eq!(from_file, Digest::of(&big));
    assert_eq!(store.put_bytes(&big).expect("put bytes"), from_file);
    assert_eq!(store.get(&from_file).expect("get"), big);
    let path = store.path_of(&from_file).expect("stored");
    assert!(path.starts_with(store.root().join("sha256")));
    assert_eq!(store.list().expect("list").len(), 1);
    assert!(matches!(
        store.manifest(&from_file),
        Err(StoreError::InvalidInput(_))
    ));
}
