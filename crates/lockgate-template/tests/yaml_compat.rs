//! The YAML forms SAM CLI's loader accepts beyond strict YAML parse here to
//! the same document: each fixture in `tests/fixtures/yaml/` is read by the
//! real loader, `samtranslator.yaml_helper.yaml_parse` (Python, from
//! `aws-sam-translator`, which `.ci/install` installs), run as a child
//! process, and compared with Lockgate's parse. Each fixture then loads
//! (validates) too.
//!
//! Dates are compared as text (the Python side prints a date as ISO text,
//! which is how it is written); CloudFormation reads them as strings.

use std::path::{Path, PathBuf};
use std::process::Command;

use lockgate_template::{LoadOptions, load_file, parse_bytes};
use serde_json::Value;

const LOADER: &str = r#"
import json, sys
from samtranslator.yaml_helper import yaml_parse
def text(o):
    return o.isoformat() if hasattr(o, "isoformat") else str(o)
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        print(json.dumps(yaml_parse(f.read()), default=text))
"#;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    out.sort();
    out
}

/// What SAM CLI's loader makes of each file, or `None` when Python or the
/// translator is not installed (a failure under CI).
fn sam_cli_parse(paths: &[PathBuf]) -> Option<Vec<Value>> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(LOADER)
        .args(paths)
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            assert!(
                std::env::var_os("CI").is_none(),
                "python3 with aws-sam-translator is needed (.ci/install installs it): {why}"
            );
            eprintln!("skipped: python3 with aws-sam-translator is not available: {why}");
            return None;
        }
    };
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    Some(
        text.lines()
            .map(|l| serde_json::from_str(l).expect("JSON from the loader"))
            .collect(),
    )
}

#[test]
fn lenient_forms_parse_as_sam_cli_s_loader_parses_them() {
    let paths = fixtures();
    assert!(paths.len() >= 4, "fixtures missing");
    let Some(theirs) = sam_cli_parse(&paths) else {
        return;
    };
    for (path, want) in paths.iter().zip(theirs) {
        let bytes = std::fs::read(path).expect("read fixture");
        let name = path.display().to_string();
        let doc = parse_bytes(&name, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            doc.value(),
            &want,
            "{name}: Lockgate and SAM CLI's loader differ"
        );
    }
}

#[test]
fn lenient_forms_load() {
    for path in fixtures() {
        let t = load_file(&path, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let codes: Vec<&str> = t.warnings.iter().map(|w| w.code).collect();
        if name == "duplicate_keys.yaml" {
            // Both positions of each duplicate are given.
            assert_eq!(codes, ["duplicate-key", "duplicate-key"]);
            let w = &t.warnings.0[0];
            assert_eq!(w.span.map(|s| s.line), Some(8));
            assert_eq!(w.related[0].0.line, 6);
        } else {
            assert!(codes.is_empty(), "{name}: {codes:?}");
        }
    }
}
