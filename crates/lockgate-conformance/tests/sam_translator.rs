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
