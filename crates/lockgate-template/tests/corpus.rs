//! Every template of the shared corpus parses (SAM translator inputs) or at
//! least never panics (cfn-nag templates, some of them broken on purpose).

mod common;

use lockgate_template::{LoadOptions, load, parse};

#[test]
fn sam_translator_inputs_all_parse() {
    let Some(dir) =
        common::corpus_or_skip("sam_translator_inputs_all_parse", "sam-translator/input")
    else {
        return;
    };
    let files = common::templates_under(&dir);
    assert!(
        files.len() >= 800,
        "corpus missing at {}: found {} files",
        dir.display(),
        files.len()
    );
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if let Err(e) = parse(&f.display().to_string(), &text) {
            failures.push(e.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn cfn_nag_templates_never_panic() {
    let Some(dir) = common::corpus_or_skip("cfn_nag_templates_never_panic", "cfn-nag/templates")
    else {
        return;
    };
    let files = common::templates_under(&dir);
    assert!(
        files.len() >= 700,
        "corpus missing at {}: found {} files",
        dir.display(),
        files.len()
    );
    let opts = LoadOptions {
        sam_transform: false,
        ..LoadOptions::default()
    };
    let mut parsed = 0;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let name = f.display().to_string();
        let r = std::panic::catch_unwind(|| {
            if parse(&name, &text).is_ok() {
                if let Ok(t) = load(&name, &text, &opts) {
                    let _ = t.evaluate(
                        &lockgate_template::Unresolved,
                        &lockgate_template::Unresolved,
                    );
                }
                true
            } else {
                false
            }
        });
        match r {
            Ok(true) => parsed += 1,
            Ok(false) => {}
            Err(_) => panic!("panicked on {name}"),
        }
    }
    // One template in the corpus is broken YAML on purpose.
    assert!(
        parsed + 1 >= files.len(),
        "only {parsed} of {} parsed",
        files.len()
    );
}
