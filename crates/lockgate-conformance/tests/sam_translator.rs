//! The conformance bar of the template engine issue, over the SAM
//! translator's own test suite: at least 90% of in-scope `ok` cases match
//! and at least 95% of in-scope `error` cases are rejected.
//!
//! The suite is read from the shared corpus beside the repository
//! (`../shared/corpus`, or `$LOCKGATE_SHARED_DIR/corpus`), never copied in.
//! Without it the test says plainly that it skipped and why — and fails
//! when the `CI` environment variable is set, so CI can never pass it quietly.

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::Path;

use lockgate_conformance::{Tally, corpus_dir, run_all};

/// What a test does about shared data it needs.
#[derive(Debug, PartialEq, Eq)]
enum SharedData {
    /// Present: run.
    Run,
    /// Absent on a developer's machine: skip, saying this.
    Skip(String),
    /// Absent in CI: fail, saying this.
    Fail(String),
}

/// Decides for the shared data at `path`, given the value of the `CI`
/// environment variable (`None` when unset; empty, `0` and `false` count
/// as unset).
fn shared_data(path: &Path, ci: Option<&OsStr>) -> SharedData {
    if path.exists() {
        return SharedData::Run;
    }
    let why = format!(
        "the shared corpus is not at {} (set LOCKGATE_SHARED_DIR to the directory holding `corpus/`)",
        path.display()
    );
    let in_ci = ci.is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    if in_ci {
        SharedData::Fail(format!("{why}; CI is set, so its absence is a failure"))
    } else {
        SharedData::Skip(format!("skipped: {why}"))
    }
}

/// Whether to run a test needing `path`: prints the skip (past the test
/// harness's capture, so it shows in `cargo test`) or panics in CI.
fn need_shared(test: &str, path: &Path) -> bool {
    match shared_data(path, std::env::var_os("CI").as_deref()) {
        SharedData::Run => true,
        SharedData::Skip(why) => {
            // The note is best effort: a closed stderr must not fail the test.
            let _ = writeln!(std::io::stderr(), "{test}: {why}");
            false
        }
        SharedData::Fail(why) => panic!("{test}: {why}"),
    }
}

#[test]
fn sam_translator_corpus_meets_the_bar() {
    let dir = corpus_dir();
    if !need_shared("sam_translator_corpus_meets_the_bar", &dir) {
        return;
    }
    let results = run_all(&dir, None).expect("the corpus manifest is readable");
    let mut inside = Tally::default();
    for (case, outcome) in &results {
        if case.in_scope {
            inside.add(case, outcome);
        }
    }
    assert!(
        inside.ok_total > 300 && inside.err_total > 150,
        "corpus incomplete: {inside:?}"
    );
    println!("in scope: {inside:?}");
    assert!(
        inside.ok_rate() >= 90.0,
        "ok cases passing: {:.1}% (< 90%)",
        inside.ok_rate()
    );
    assert!(
        inside.err_rate() >= 95.0,
        "error cases rejected: {:.1}% (< 95%)",
        inside.err_rate()
    );
}

/// `AWS::Serverless::GraphQLApi` and `AWS::Serverless::Application` came
/// into scope after the manifest was made: every case that uses them (and
/// nothing else out of the manifest's scope) matches — `ok` cases pass,
/// `error` cases are rejected.
#[test]
fn graphql_apis_and_applications_match_the_translator() {
    let dir = corpus_dir();
    let results = run_all(&dir, None).expect("the corpus manifest is readable");
    let mut checked = 0;
    let mut failures = Vec::new();
    for (case, outcome) in &results {
        let input = dir.join("input").join(format!("{}.yaml", case.name));
        let text = std::fs::read_to_string(&input).expect("input");
        let doc = lockgate_template::parse(&case.name, &text).expect("parses");
        if !lockgate_conformance::in_added_scope(doc.value()) {
            continue;
        }
        assert!(case.in_scope, "{} should be in scope", case.name);
        checked += 1;
        if !outcome.is_success() {
            failures.push(format!("{}: {outcome:?}", case.name));
        }
    }
    assert!(checked >= 35, "only {checked} cases use the added types");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn absent_shared_data_skips_locally_and_fails_in_ci() {
    let absent = Path::new(env!("CARGO_MANIFEST_DIR")).join("no-such-shared-dir/corpus");
    for unset in [None, Some(""), Some("0"), Some("false")] {
        match shared_data(&absent, unset.map(OsStr::new)) {
            SharedData::Skip(why) => {
                assert!(why.starts_with("skipped: "), "{why}");
                assert!(why.contains("no-such-shared-dir/corpus"), "{why}");
                assert!(why.contains("LOCKGATE_SHARED_DIR"), "{why}");
            }
            other => panic!("CI={unset:?}: {other:?}"),
        }
    }
    for set in ["true", "1", "yes"] {
        match shared_data(&absent, Some(OsStr::new(set))) {
            SharedData::Fail(why) => {
                assert!(why.contains("no-such-shared-dir/corpus"), "{why}");
                assert!(why.contains("CI is set"), "{why}");
            }
            other => panic!("CI={set}: {other:?}"),
        }
    }
    // Present data runs, CI or not.
    let present = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(shared_data(present, None), SharedData::Run);
    assert_eq!(
        shared_data(present, Some(OsStr::new("true"))),
        SharedData::Run
    );
}
