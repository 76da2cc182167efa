//! Benchmark: parse + SAM transform per template over the translator's own
//! corpus, side by side with the real translator (Python, `aws-sam-translator`)
//! on the same templates in the same run.
//!
//! `cargo bench -p lockgate-conformance --bench transform [-- ROUNDS]`
//!
//! The set of templates is every `ok` case of the corpus (in and out of
//! scope) that Lockgate's transform accepts, so that both sides do the
//! same work. Each round is one pass over all templates, and Lockgate's
//! rounds alternate with the translator's (the Python side is a child
//! process that runs a pass on request), so both see the same machine
//! load; the table reports medians over rounds, per template, and the ratio.
//!
//! `BENCH_SKIP_ADDED=1` leaves out the cases of the types brought into scope
//! after the manifest (GraphQLApi, Application: `in_added_scope`), to compare
//! with figures measured before they were transformed.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use lockgate_conformance::{corpus_dir, corpus_options, in_added_scope, load_manifest, skipped};

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(7);
    let dir = corpus_dir();
    let cases = load_manifest(&dir).expect("manifest");
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut texts: Vec<(String, String)> = Vec::new();
    let opts = corpus_options();
    let skip_added = std::env::var_os("BENCH_SKIP_ADDED").is_some_and(|v| v == "1");
    for case in cases.iter().filter(|c| c.expect_ok && !skipped(&c.name)) {
        let path = dir.join("input").join(format!("{}.yaml", case.name));
        let text = std::fs::read_to_string(&path).expect("input file");
        let doc = lockgate_template::parse(&case.name, &text).ok();
        if skip_added && doc.as_ref().is_some_and(|d| in_added_scope(d.value())) {
            continue;
        }
        let ok = doc
            .and_then(|d| lockgate_sam::transform(&d.to_json(), &opts).ok())
            .is_some();
        if ok {
            texts.push((case.name.clone(), text));
            paths.push(path);
        }
    }
    let n = texts.len();
    assert!(n > 0, "no template is accepted by the transform yet");

    // The real translator, same templates, in a long-running child that
    // runs one pass per request, so that its rounds and ours alternate.
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/sam_translator_baseline.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut to_py = child.stdin.take().expect("stdin");
    let mut from_py = BufReader::new(child.stdout.take().expect("stdout"));
    for p in &paths {
        writeln!(to_py, "{}", p.display()).expect("write path");
    }
    writeln!(to_py).expect("end of paths");
    let mut line = String::new();
    from_py.read_line(&mut line).expect("read ready");
    let accepted = line
        .strip_prefix("ready ")
        .map(str::trim)
        .unwrap_or_else(|| {
            panic!("the Python baseline failed (is aws-sam-translator installed? see .ci/install): {line:?}")
        })
        .to_string();

    let our_pass = || {
        let start = Instant::now();
        for (name, text) in &texts {
            let doc = lockgate_template::parse(name, text).expect("parses");
            let out = lockgate_sam::transform(&doc.to_json(), &opts).expect("transforms");
            std::hint::black_box(out);
        }
        start.elapsed().as_secs_f64()
    };
    our_pass(); // warm-up
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        ours.push(our_pass());
        writeln!(to_py, "round").expect("ask for a round");
        line.clear();
        from_py.read_line(&mut line).expect("read a round");
        theirs.push(
            line.trim().parse::<f64>().unwrap_or_else(|_| {
                panic!("the Python baseline printed {line:?} instead of a time")
            }),
        );
    }
    drop(to_py);
    let _ = child.wait();

    let spread = |xs: &[f64]| {
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min) / n as f64;
        let hi = xs.iter().copied().fold(0.0, f64::max) / n as f64;
        (lo, hi)
    };
    let ((our_lo, our_hi), (their_lo, their_hi)) = (spread(&ours), spread(&theirs));
    let ours_per = median(ours) / n as f64;
    let theirs_per = median(theirs) / n as f64;
    println!("templates: {n} (the translator accepts {accepted} of them)");
    println!("rounds: {rounds}, interleaved (medians over rounds)");
    println!("| implementation | per template (median) | fastest–slowest round | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| aws-sam-translator (Python) | {:.3} ms | {:.3}–{:.3} ms | 1.0× |",
        theirs_per * 1e3,
        their_lo * 1e3,
        their_hi * 1e3
    );
    println!(
        "| Lockgate parse + transform | {:.1} µs | {:.1}–{:.1} µs | {:.0}× faster |",
        ours_per * 1e6,
        our_lo * 1e6,
        our_hi * 1e6,
        theirs_per / ours_per
    );
}
