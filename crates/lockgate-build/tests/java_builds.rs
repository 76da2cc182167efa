//! Java functions built with the JDK's `javac` against Lockgate's stand-in
//! for the Lambda Java libraries (needs a JDK: `.ci/install` installs
//! Debian's default-jdk-headless): `sam init`'s Maven hello world,
//! sources at the code root with a jar in `lib/`, and a `pom.xml`
//! dependency that is not on this machine.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use lockgate_build::{BuildOptions, build_template};

/// `javac`, or `None` (the test then says it is skipped, and fails under
/// CI, where `.ci/install` installs a JDK).
fn javac(test: &str) -> Option<PathBuf> {
    let found = lockgate_java::find_on_path("java").and_then(|j| lockgate_java::javac_of(&j));
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: a JDK is required under CI (.ci/install installs default-jdk-headless)"
        );
        eprintln!("{test}: skipped: no javac on PATH");
    }
    found
}

fn options(app: &Path, cache: &Path) -> BuildOptions {
    let mut o = BuildOptions::new(app.join("template.yaml"));
    o.cache_dir = Some(cache.to_path_buf());
    o
}

/// Compiles `greeter-lib` and packs it as `greeter/lib/greet.jar`.
fn pack_greeter_jar(javac: &Path, app: &Path) {
    let classes = app.join("greeter-lib-classes");
    let out = Command::new(javac)
        .arg("-d")
        .arg(&classes)
        .arg(app.join("greeter-lib/greet/Greeter.java"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::create_dir_all(app.join("greeter/lib")).unwrap();
    let out = Command::new(javac.with_file_name("jar"))
        .arg("cf")
        .arg(app.join("greeter/lib/greet.jar"))
        .arg("-C")
        .arg(&classes)
        .arg(".")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The class file's major version (52 is Java 8, 61 Java 17).
fn class_version(path: &Path) -> u16 {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..4], &[0xca, 0xfe, 0xba, 0xbe], "{}", path.display());
    u16::from_be_bytes([bytes[6], bytes[7]])
}

#[test]
fn java_functions_are_compiled_into_lambdas_layout() {
    let Some(javac) = javac("java_functions_are_compiled_into_lambdas_layout") else {
        return;
    };
    let (t, app) = common::copy_fixture("java-app");
    pack_greeter_jar(&javac, &app);
    let cache = t.path().join("cache");
    let first = build_template(&options(&app, &cache)).expect("java build");
    let build = app.join(".aws-sam/build");

    // sam init's hello world: classes and resources at the root; neither the
    // sources, the pom, the tests nor the stand-in API in the artifact.
    let hello = first.get("HelloWorldFunction").unwrap();
    assert_eq!(hello.method, "java");
    let root = build.join("HelloWorldFunction");
    assert!(root.join("helloworld/App.class").is_file());
    assert_eq!(
        class_version(&root.join("helloworld/App.class")),
        61,
        "--release 17"
    );
    assert!(
        root.join("log4j2.xml").is_file(),
        "src/main/resources at the root"
    );
    for absent in ["com", "src", "pom.xml", "helloworld/AppTest.class", "lib"] {
        assert!(
            !root.join(absent).exists(),
            "{absent} is not in the artifact"
        );
    }
    let log = std::fs::read_to_string(hello.log.as_ref().unwrap()).unwrap();
    assert!(
        log.contains("com.amazonaws:aws-lambda-java-core: Lockgate's stand-in"),
        "{log}"
    );

    // Sources at the root, a jar in lib/, a resource; java8.al2 is Java 8.
    let greeter = first.get("GreeterFunction").unwrap();
    assert_eq!(greeter.method, "java");
    let root = build.join("GreeterFunction");
    assert_eq!(
        class_version(&root.join("greeter/Hello.class")),
        52,
        "--release 8"
    );
    assert!(root.join("lib/greet.jar").is_file());
    assert_eq!(
        std::fs::read_to_string(root.join("greeter.properties")).unwrap(),
        "greeting=Howdy\n"
    );
    assert!(!root.join("greeter/Hello.java").exists());

    // A layer: its classes as a jar under java/lib/.
    let layer = first.get("GreetLayer").unwrap();
    assert_eq!(layer.method, "java");
    let jar = build.join("GreetLayer/java/lib/GreetLayer.jar");
    assert_eq!(
        lockgate_build::archive::entry_names(&jar).unwrap(),
        ["greet/Greeter.class"]
    );

    // The built classes run: the stand-in API first on the classpath, as
    // the runtime puts it.
    let api = t.path().join("api");
    lockgate_java::compile(&javac, lockgate_java::API, &[], &[], &api).unwrap();
    let probe = t.path().join("probe");
    std::fs::create_dir_all(probe.join("probe")).unwrap();
    std::fs::write(
        probe.join("probe/Run.java"),
        "package probe;\npublic class Run { public static void main(String[] a) throws Exception { \
         System.out.print(new greeter.Hello().handleRequest(\"Ada\", null)); } }\n",
    )
    .unwrap();
    let classpath =
        std::env::join_paths([api.clone(), root.clone(), root.join("lib/*"), probe.clone()])
            .unwrap();
    let out = Command::new(&javac)
        .arg("-cp")
        .arg(&classpath)
        .arg("-d")
        .arg(&probe)
        .arg(probe.join("probe/Run.java"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(javac.with_file_name("java"))
        .arg("-cp")
        .arg(&classpath)
        .arg("probe.Run")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Howdy, Ada!",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Unchanged: nothing runs again, the same digests.
    let second = build_template(&options(&app, &cache)).expect("second build");
    assert!(second.built.iter().all(|b| b.cached), "{:?}", second.built);
    for b in &first.built {
        assert_eq!(second.get(&b.logical_id).unwrap().digest, b.digest);
    }
    // A fresh build gives the same bytes (javac's output is deterministic).
    let mut no_cache = options(&app, &cache);
    no_cache.use_cache = false;
    let third = build_template(&no_cache).expect("build without the cache");
    for b in &first.built {
        assert_eq!(
            third.get(&b.logical_id).unwrap().digest,
            b.digest,
            "{}",
            b.logical_id
        );
    }
}

#[test]
fn a_dependency_that_is_not_here_fails_the_build_naming_it() {
    if javac("a_dependency_that_is_not_here_fails_the_build_naming_it").is_none() {
        return;
    }
    let (t, app) = common::copy_fixture("java-app");
    let pom = app.join("HelloWorldFunction/pom.xml");
    let text = std::fs::read_to_string(&pom).unwrap().replace(
        "    </dependencies>",
        "        <dependency>\n            <groupId>org.example.lockgate</groupId>\n            \
         <artifactId>no-such-artifact</artifactId>\n            <version>0.0.1</version>\n        \
         </dependency>\n    </dependencies>",
    );
    std::fs::write(&pom, text).unwrap();
    let mut o = options(&app, &t.path().join("cache"));
    o.only = vec!["HelloWorldFunction".into()];
    let e = build_template(&o).expect_err("a missing dependency fails the build");
    let text = e.to_string();
    for needle in [
        "org.example.lockgate:no-such-artifact:0.0.1",
        "HelloWorldFunction/pom.xml",
        "Maven Central is not reachable from here",
        "lib/",
    ] {
        assert!(text.contains(needle), "`{needle}` in: {text}");
    }
}
