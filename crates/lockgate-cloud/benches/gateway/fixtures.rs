//! What the benchmark runs: the C bootstrap, the Python, Node and Java
//! handlers.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn build_c_bootstrap(dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/bootstrap.c");
    let code = dir.join("provided");
    std::fs::create_dir_all(&code).unwrap();
    let status = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(code.join("bootstrap"))
        .arg(&src)
        .status()
        .expect("cc is needed");
    assert!(status.success(), "compiling benches/bootstrap.c failed");
    code
}

pub fn write_handlers(dir: &Path) -> (PathBuf, PathBuf) {
    let py = dir.join("py");
    let node = dir.join("node");
    std::fs::create_dir_all(&py).unwrap();
    std::fs::create_dir_all(&node).unwrap();
    std::fs::write(
        py.join("app.py"),
        "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hello world'}\n",
    )
    .unwrap();
    std::fs::write(
        node.join("index.js"),
        "exports.handler = async () => ({ statusCode: 200, body: 'hello world' });\n",
    )
    .unwrap();
    (py, node)
}

/// A minimal Java handler compiled against the stand-in API, when this
/// machine has a JDK.
pub fn build_java_handler(dir: &Path) -> Option<PathBuf> {
    let javac = lockgate_java::javac_of(&lockgate_java::find_on_path("java")?)?;
    let api = dir.join("java-api");
    lockgate_java::compile(&javac, lockgate_java::API, &[], &[], &api).ok()?;
    let code = dir.join("java");
    let src = dir.join("java-src");
    std::fs::create_dir_all(src.join("bench")).unwrap();
    std::fs::write(
        src.join("bench/Hello.java"),
        "package bench;\nimport com.amazonaws.services.lambda.runtime.*;\nimport java.util.*;\n\
         public class Hello implements RequestHandler<Map<String, Object>, Map<String, Object>> {\n\
         public Map<String, Object> handleRequest(Map<String, Object> e, Context c) {\n\
         Map<String, Object> r = new HashMap<>(); r.put(\"statusCode\", 200); r.put(\"body\", \"hello world\"); return r; } }\n",
    )
    .unwrap();
    let ok = Command::new(javac)
        .arg("-cp")
        .arg(&api)
        .arg("-d")
        .arg(&code)
        .arg(src.join("bench/Hello.java"))
        .status()
        .ok()?
        .success();
    ok.then_some(code)
}
