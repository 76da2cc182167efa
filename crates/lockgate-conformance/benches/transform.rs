//! Benchmark: parse + SAM transform per template over the translator's own
//! corpus, side by side with the real translator (Python, `aws-sam-translator`)
//! on the same templates in the same run.
//!
//! `cargo bench -p lockgate-conformance --bench transform [-- ROUNDS]`
//!
//! The set of templates is every `ok` case of the corpus (in and out of
//! scope) that Lockgate's transform accepts, so that both sides do the
//! same work. Each round is one pass over all templates; the table reports
//! medians over rounds, per template, and the ratio.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use lockgate_conformance::{corpus_dir, corpus_options, load_manifest, skipped};

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
    for case in cases.iter().filter(|c| c.expect_ok && !skipped(&c.name)) {
        let path = dir.join("input").join(format!("{}.yaml", case.name));
        let text = std::fs::read_to_string(&path).expect("input file");
        let ok = lockgate_template::parse(&case.name, &text)
            .ok()
            .and_then(|d| lockgate_sam::transform(&d.to_json(), &opts).ok())
            .is_some();
        if ok {
            texts.push((case.name.clone(), text));
            paths.push(path);
        }
    }
    let n = texts.len();
    assert!(n > 0, "no template is accepted by the transform yet");

    // Lockgate: one warm-up pass, then `rounds` timed passes.
    let mut ours = Vec::new();
    for r in 0..=rounds {
        let start = Instant::now();
        for (name, text) in &texts {
            let doc = lockgate_template::parse(name, text).expect("parses");
            let out = lockgate_sam::transform(&doc.to_json(), &opts).expect("transforms");
            std::hint::black_box(out);
        }
        if r > 0 {
            ours.push(start.elapsed().as_secs_f64());
        }
    }

    // The real translator, same templates.
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/sam_translator_baseline.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(rounds.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for p in &paths {
            writeln!(stdin, "{}", p.display()).expect("write path");
        }
    }
    let out = child.wait_with_output().expect("python finishes");
    assert!(
        out.status.success(),
        "the Python baseline failed (is aws-sam-translator installed? see .ci/install)"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("baseline JSON");
    let theirs: Vec<f64> = report["rounds"]
        .as_array()
        .expect("rounds")
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();

    let ours_per = median(ours) / n as f64;
    let theirs_per = median(theirs) / n as f64;
    println!(
        "templates: {n} (accepted by both: translator accepted {})",
        report["accepted"]
    );
    println!("rounds: {rounds} (medians over rounds)");
    println!("| implementation | per template | ratio |");
    println!("|---|---:|---:|");
    println!(
        "| aws-sam-translator (Python) | {:.3} ms | 1.0× |",
        theirs_per * 1e3
    );
    println!(
        "| Lockgate parse + transform | {:.1} µs | {:.0}× faster |",
        ours_per * 1e6,
        theirs_per / ours_per
    );
}
