//! The example app (`examples/greeter`) transforms to exactly what the real
//! SAM translator makes of it: every resource, property and logical ID,
//! content hashes included. `fixtures/greeter.expected.json` was made by
//! `aws-sam-translator` 1.110.0 (`fixtures/make_greeter_expected.py`
//! regenerates it).

use std::path::Path;

use serde_json::Value;

#[test]
fn greeter_transforms_as_the_translator_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("../../examples/greeter/template.yaml"))
        .expect("the example app's template");
    // Packaged as Lockgate packages local code (and as the fixture was made).
    let text = text.replace("CodeUri: src/", "CodeUri: s3://lockgate-local/src/");
    let doc = lockgate_template::parse("template.yaml", &text).expect("parses");
    let ours = lockgate_sam::transform(&doc.to_json(), &lockgate_sam::TransformOptions::default())
        .expect("transforms");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/fixtures/greeter.expected.json"))
            .expect("the expected output"),
    )
    .expect("JSON");
    // Object key order carries no meaning (serde_json maps compare without it);
    // list order does, and is compared.
    if ours != expected {
        let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
        let (o, e) = (pretty(&ours), pretty(&expected));
        let first = o
            .lines()
            .zip(e.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "the transform differs from the translator's from line {}:\nours:\n{}\nexpected:\n{}",
            first + 1,
            o.lines()
                .skip(first.saturating_sub(3))
                .take(12)
                .collect::<Vec<_>>()
                .join("\n"),
            e.lines()
                .skip(first.saturating_sub(3))
                .take(12)
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
}
