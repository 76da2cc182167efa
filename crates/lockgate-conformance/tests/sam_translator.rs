//! The conformance bar of the template engine issue, over the SAM
//! translator's own test suite: at least 90% of in-scope `ok` cases match
//! and at least 95% of in-scope `error` cases are rejected.

use lockgate_conformance::{Tally, corpus_dir, run_all};

#[test]
fn sam_translator_corpus_meets_the_bar() {
    let results = run_all(&corpus_dir(), None).expect("the corpus manifest is readable");
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
