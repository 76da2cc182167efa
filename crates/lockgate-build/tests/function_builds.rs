//! Function builds with real pip, npm and make runs on the fixture app
//! `tests/fixtures/app` (needs python3.12, npm and make on PATH, and the
//! package registries; `.ci/install` provides them).

mod common;

use std::path::Path;

use lockgate_build::{
    BuildError, BuildOptions, BuildReport, SandboxMode, SizeLimits, build_template,
};

fn options(app: &Path, cache: &Path) -> BuildOptions {
    let mut o = BuildOptions::new(app.join("template.yaml"));
    o.cache_dir = Some(cache.to_path_buf());
    o
}

fn digest(r: &BuildReport, id: &str) -> String {
    r.get(id)
        .unwrap_or_else(|| panic!("{id} built"))
        .digest
        .to_hex()
}

#[test]
fn builds_every_kind_once_then_reuses_unchanged_builds() {
    let (t, app) = common::copy_fixture("app");
    let cache = t.path().join("cache");
    let first = build_template(&options(&app, &cache)).expect("first build");

    // Two functions with the same code and settings share one build.
    let hello = first.get("HelloFunction").unwrap();
    let bye = first.get("ByeFunction").unwrap();
    assert_eq!(hello.digest, bye.digest);
    assert_eq!(bye.shared_with.as_deref(), Some("HelloFunction"));
    assert!(first.built.iter().all(|b| !b.cached));

    // pip installed six into the package; npm installed left-pad; make ran.
    let build = app.join(".aws-sam/build");
    assert!(build.join("HelloFunction/app.py").is_file());
    assert!(build.join("HelloFunction/six.py").is_file());
    assert!(build.join("ByeFunction/six.py").is_file());
    assert!(build.join("NodeFunction/index.js").is_file());
    assert!(
        build
            .join("NodeFunction/node_modules/left-pad/index.js")
            .is_file()
    );
    assert_eq!(
        std::fs::read_to_string(build.join("MakeFunction/BUILT")).unwrap(),
        "built by make\n"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(build.join("MakeFunction/bootstrap"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111);
    // A Python layer's files go under python/.
    assert!(build.join("SharedLayer/python/shared.py").is_file());
    assert!(build.join("SharedLayer/python/six.py").is_file());
    assert_eq!(first.skipped.len(), 1);
    assert_eq!(first.skipped[0].logical_id, "InlineFunction");

    // The built template points at the folders, as the SAM CLI lays it out.
    let built = lockgate_template::parse(
        "t",
        &std::fs::read_to_string(build.join("template.yaml")).unwrap(),
    )
    .unwrap()
    .to_json();
    assert_eq!(
        built["Resources"]["HelloFunction"]["Properties"]["CodeUri"],
        "HelloFunction"
    );
    assert_eq!(
        built["Resources"]["SharedLayer"]["Properties"]["ContentUri"],
        "SharedLayer"
    );
    assert_eq!(
        built["Resources"]["InlineFunction"]["Properties"]["InlineCode"],
        "def handler(e, c): return 1"
    );
    // And it loads (the SAM transform accepts it).
    lockgate_template::load_file(&build.join("template.yaml"), &Default::default())
        .expect("built template loads");

    // Nothing changed: nothing runs, the same digests.
    let second = build_template(&options(&app, &cache)).expect("second build");
    assert!(second.built.iter().all(|b| b.cached), "{:?}", second.built);
    for b in &first.built {
        assert_eq!(digest(&second, &b.logical_id), b.digest.to_hex());
    }

    // One byte of the handler changed: the Python functions are rebuilt with
    // their dependencies from the cache; the others are not run.
    let handler = app.join("py/app.py");
    let original = std::fs::read_to_string(&handler).unwrap();
    std::fs::write(&handler, original.replace("\"bye\"", "\"Bye\"")).unwrap();
    let third = build_template(&options(&app, &cache)).expect("third build");
    let h3 = third.get("HelloFunction").unwrap();
    assert!(!h3.cached);
    assert_ne!(h3.digest, hello.digest);
    assert!(third.get("NodeFunction").unwrap().cached);
    assert!(third.get("MakeFunction").unwrap().cached);
    let log = std::fs::read_to_string(h3.log.as_ref().unwrap()).unwrap();
    assert!(log.contains("dependencies from the cache"), "{log}");
    assert!(
        std::fs::read_to_string(build.join("ByeFunction/app.py"))
            .unwrap()
            .contains("\"Bye\"")
    );

    // Back to the original: the original digest, from a fresh build.
    std::fs::write(&handler, &original).unwrap();
    let mut no_cache = options(&app, &cache);
    no_cache.use_cache = false;
    let fourth = build_template(&no_cache).expect("build without the cache");
    assert!(fourth.built.iter().all(|b| !b.cached));
    for b in &first.built {
        assert_eq!(
            digest(&fourth, &b.logical_id),
            b.digest.to_hex(),
            "{}",
            b.logical_id
        );
    }
}

#[test]
fn the_same_sources_elsewhere_give_the_same_digests() {
    let (t1, app1) = common::copy_fixture("app");
    let (t2, app2) = common::copy_fixture("app");
    let mut o1 = options(&app1, &t1.path().join("cache"));
    o1.only = vec!["HelloFunction".into(), "MakeFunction".into()];
    let mut o2 = options(&app2, &t2.path().join("cache"));
    o2.only = o1.only.clone();
    let r1 = build_template(&o1).unwrap();
    let r2 = build_template(&o2).unwrap();
    for id in ["HelloFunction", "MakeFunction", "SharedLayer"] {
        assert_eq!(digest(&r1, id), digest(&r2, id), "{id}");
    }
    assert!(
        r1.get("NodeFunction").is_none(),
        "only what was asked for (and its layers)"
    );
}

#[test]
fn unknown_names_are_refused() {
    let (t, app) = common::copy_fixture("app");
    let mut o = options(&app, &t.path().join("cache"));
    o.only = vec!["NoSuchFunction".into()];
    let e = build_template(&o).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, BuildError::UnknownNames { .. }), "{text}");
    assert!(
        text.contains("NoSuchFunction") && text.contains("HelloFunction"),
        "{text}"
    );
}

fn make_app(dir: &Path, recipe: &str) {
    std::fs::create_dir_all(dir.join("fn")).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  SpyFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: fn/\n      Handler: bootstrap\n      Runtime: provided.al2023\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("fn/Makefile"),
        format!("build-SpyFunction:\n{recipe}"),
    )
    .unwrap();
}

#[test]
fn a_failing_step_names_itself_and_shows_its_output() {
    let t = tempfile::tempdir().unwrap();
    let app = t.path().join("app");
    make_app(
        &app,
        "\techo compiling\n\techo 'error: no such thing' >&2\n\texit 3\n",
    );
    let e = build_template(&options(&app, &t.path().join("cache"))).unwrap_err();
    let BuildError::StepFailed {
        logical_id,
        step,
        outcome,
        tail,
        log,
    } = &e
    else {
        panic!("{e}");
    };
    assert_eq!(logical_id, "SpyFunction");
    assert_eq!(step, "make");
    assert!(outcome.contains("status 2"), "{outcome}");
    assert!(
        tail.iter().any(|l| l.contains("error: no such thing")),
        "{tail:?}"
    );
    assert!(std::fs::read_to_string(log).unwrap().contains("compiling"));
}

#[test]
fn the_sandbox_denies_access_outside_the_workspace() {
    if !common::sandbox_available("the_sandbox_denies_access_outside_the_workspace") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let app = t.path().join("app");
    let secret = app.join("secret.txt");
    let data_dir = t.path().join("server-data");
    std::fs::create_dir_all(&data_dir).unwrap();
    std::fs::write(data_dir.join("state.db"), "x").unwrap();
    let probe = |what: &str, cmd: String| {
        format!(
            "\t( {cmd} ) >/dev/null 2>&1 && echo '{what}: allowed' >> $(ARTIFACTS_DIR)/report || echo '{what}: denied' >> $(ARTIFACTS_DIR)/report\n"
        )
    };
    let recipe = [
        probe("source tree", format!("cat {}", secret.display())),
        probe("server data", format!("ls {}", data_dir.display())),
        probe("system write", "touch /usr/lockgate-probe".into()),
        probe("home", "touch $$HOME/x".into()),
        probe("tmp", "touch /tmp/x".into()),
        probe("workspace", "touch ./x".into()),
    ]
    .concat();
    make_app(&app, &recipe);
    std::fs::write(&secret, "s3cret").unwrap();
    let mut o = options(&app, &t.path().join("cache"));
    o.sandbox = SandboxMode::Required;
    o.deny = vec![data_dir.clone()];
    let r = build_template(&o).expect("build");
    assert!(r.sandboxed);
    let report = std::fs::read_to_string(app.join(".aws-sam/build/SpyFunction/report")).unwrap();
    assert_eq!(
        report,
        "source tree: denied\nserver data: denied\nsystem write: denied\nhome: allowed\ntmp: allowed\nworkspace: allowed\n"
    );
    assert!(!Path::new("/usr/lockgate-probe").exists());
}

/// A server started in a subdirectory of the code keeps its state there
/// (`lib/.lockgate`: its admin token): no build step sees it, whatever its
/// depth, and no build output holds it.
#[test]
fn lockgate_state_in_the_code_is_never_copied_into_a_build() {
    let t = tempfile::tempdir().unwrap();
    let app = t.path().join("app");
    let probe = |what: &str, path: &str| {
        format!(
            "\t( cat {path} ) >/dev/null 2>&1 && echo '{what}: seen' >> $(ARTIFACTS_DIR)/report || echo '{what}: absent' >> $(ARTIFACTS_DIR)/report\n"
        )
    };
    let recipe = [
        probe("code", "Makefile"),
        probe("state", ".lockgate/admin.token"),
        probe("nested state", "lib/.lockgate/admin.token"),
        probe("deep state", "lib/a/b/.lockgate/admin.token"),
        "\tcp -r . $(ARTIFACTS_DIR)/copy\n".to_string(),
    ]
    .concat();
    make_app(&app, &recipe);
    for state in ["fn/.lockgate", "fn/lib/.lockgate", "fn/lib/a/b/.lockgate"] {
        std::fs::create_dir_all(app.join(state)).unwrap();
        std::fs::write(app.join(state).join("admin.token"), "planted-token").unwrap();
    }
    let mut o = options(&app, &t.path().join("cache"));
    o.sandbox = SandboxMode::Off;
    build_template(&o).expect("build");
    let out = app.join(".aws-sam/build/SpyFunction");
    assert_eq!(
        std::fs::read_to_string(out.join("report")).unwrap(),
        "code: seen\nstate: absent\nnested state: absent\ndeep state: absent\n"
    );
    assert!(out.join("copy/Makefile").is_file());
    assert!(!out.join("copy/lib/.lockgate").exists());
}

#[test]
fn without_the_sandbox_it_runs_and_says_so() {
    let t = tempfile::tempdir().unwrap();
    let app = t.path().join("app");
    make_app(&app, "\techo ok > $(ARTIFACTS_DIR)/ok\n");
    let mut o = options(&app, &t.path().join("cache"));
    o.sandbox = SandboxMode::Off;
    let r = build_template(&o).expect("build");
    assert!(!r.sandboxed);
    assert!(
        r.warnings.iter().any(|w| w.starts_with("unsandboxed")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn packages_over_the_limits_name_their_biggest_parts() {
    let t = tempfile::tempdir().unwrap();
    let app = t.path().join("app");
    make_app(
        &app,
        "\tmkdir -p $(ARTIFACTS_DIR)/vendor\n\thead -c 20000 /dev/zero > $(ARTIFACTS_DIR)/vendor/big.bin\n\techo x > $(ARTIFACTS_DIR)/small.txt\n",
    );
    let mut o = options(&app, &t.path().join("cache"));
    o.limits = SizeLimits {
        zipped_bytes: 10,
        unzipped_bytes: 10_000,
    };
    let r = build_template(&o).expect("build");
    let w = r
        .get("SpyFunction")
        .unwrap()
        .size_warning
        .clone()
        .expect("a size warning");
    assert_eq!(w.exceeded.len(), 2, "{w:?}");
    assert_eq!(w.biggest[0], ("vendor".to_string(), 20000));
    assert!(
        r.warnings
            .iter()
            .any(|m| m.contains("SpyFunction is over Lambda's limits") && m.contains("vendor")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn rust_functions_are_built_with_cargo_as_bootstrap() {
    if lockgate_build::sandbox::find_on_path("cargo").is_none() {
        eprintln!("rust_functions_are_built_with_cargo_as_bootstrap: skipped: no cargo on PATH");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let app = t.path().join("app");
    std::fs::create_dir_all(app.join("rust/src")).unwrap();
    std::fs::write(
        app.join("template.yaml"),
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  RustFunction:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: rust-cargolambda\n    Properties:\n      CodeUri: rust/\n      Handler: bootstrap\n      Runtime: provided.al2023\n",
    )
    .unwrap();
    std::fs::write(
        app.join("rust/Cargo.toml"),
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        app.join("rust/src/main.rs"),
        "fn main() { println!(\"hello from rust\"); }\n",
    )
    .unwrap();
    let r = build_template(&options(&app, &t.path().join("cache"))).expect("cargo build");
    assert_eq!(r.get("RustFunction").unwrap().method, "cargo");
    let bootstrap = app.join(".aws-sam/build/RustFunction/bootstrap");
    let out = std::process::Command::new(&bootstrap)
        .output()
        .expect("run the built bootstrap");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello from rust\n");
}
