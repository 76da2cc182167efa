//! `lockgate-conformance`: runs the SAM translator's test suite through
//! Lockgate's transform and prints a table of the results.

use std::process::ExitCode;

use clap::Parser;
use lockgate_conformance::{Outcome, Tally, canonical_resources, corpus_dir, run_all};

/// Compare Lockgate's SAM transform with the real translator's expected outputs.
#[derive(Debug, Parser)]
struct Args {
    /// Only cases whose name starts with this prefix.
    #[arg(long)]
    filter: Option<String>,
    /// List every failing case with its reason (`--failures all` includes out-of-scope).
    #[arg(long, num_args = 0..=1, default_missing_value = "in-scope")]
    failures: Option<String>,
    /// Also list error cases rejected with another message than the translator's.
    #[arg(long)]
    messages: bool,
    /// Show one case: our output and the expected one, canonicalised, as a line diff.
    #[arg(long)]
    show: Option<String>,
    /// List the in-scope `ok` cases that pass but are not exact, with the
    /// types of the resources that differ, and a count per type.
    #[arg(long)]
    inexact: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let dir = corpus_dir();
    if let Some(name) = &args.show {
        return show(&dir, name);
    }
    let results = match run_all(&dir, args.filter.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.inexact {
        return inexact(&dir, &results);
    }
    let (mut inside, mut outside) = (Tally::default(), Tally::default());
    for (case, outcome) in &results {
        if case.in_scope {
            inside.add(case, outcome);
        } else {
            outside.add(case, outcome);
        }
        let listed = match args.failures.as_deref() {
            Some("all") => true,
            Some(_) => case.in_scope,
            None => false,
        };
        match outcome {
            Outcome::Fail(reason) if listed => println!("FAIL {}: {reason}", case.name),
            Outcome::Rejected {
                same_message: false,
            } if listed && args.messages => {
                println!("MSG  {}: rejected with another message", case.name)
            }
            _ => {}
        }
    }
    println!();
    println!(
        "| scope        | ok cases | pass | pass % | exact | same IDs | error cases | rejected | rejected % | same message |"
    );
    println!(
        "|--------------|---------:|-----:|-------:|------:|---------:|------------:|---------:|-----------:|-------------:|"
    );
    for (label, t) in [("in scope", inside), ("out of scope", outside)] {
        println!(
            "| {label:<12} | {:>8} | {:>4} | {:>5.1}% | {:>5} | {:>8} | {:>11} | {:>8} | {:>9.1}% | {:>12} |",
            t.ok_total,
            t.ok_pass,
            t.ok_rate(),
            t.ok_exact,
            t.ok_same_ids,
            t.err_total,
            t.err_rejected,
            t.err_rate(),
            t.err_same_message
        );
    }
    ExitCode::SUCCESS
}

fn inexact(dir: &std::path::Path, results: &[(lockgate_conformance::Case, Outcome)]) -> ExitCode {
    let mut per_type: std::collections::BTreeMap<String, usize> = Default::default();
    for (case, outcome) in results {
        if !case.in_scope || !matches!(outcome, Outcome::Pass { exact: false, .. }) {
            continue;
        }
        let expected =
            std::fs::read_to_string(dir.join("expected").join(format!("{}.json", case.name)))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok());
        let actual = lockgate_conformance::transform_file(
            &dir.join("input").join(format!("{}.yaml", case.name)),
        )
        .ok();
        let (Some(e), Some(a)) = (expected, actual) else {
            continue;
        };
        let diff = lockgate_conformance::differing_resources(&e, &a);
        let mut types: Vec<&str> = diff.iter().map(|(_, t)| t.as_str()).collect();
        types.sort_unstable();
        types.dedup();
        for t in &types {
            *per_type.entry((*t).to_string()).or_default() += 1;
        }
        println!("{}: {}", case.name, types.join(", "));
    }
    println!();
    println!("| resource type | in-scope cases where it differs |");
    println!("|---|---:|");
    for (t, n) in per_type {
        println!("| {t} | {n} |");
    }
    ExitCode::SUCCESS
}

fn show(dir: &std::path::Path, name: &str) -> ExitCode {
    let input = dir.join("input").join(format!("{name}.yaml"));
    let expected: serde_json::Value =
        match std::fs::read_to_string(dir.join("expected").join(format!("{name}.json")))
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                eprintln!("error: expected/{name}.json: {e}");
                return ExitCode::from(2);
            }
        };
    match lockgate_conformance::transform_file(&input) {
        Err(e) => {
            println!("ours: REJECTED: {e}");
            if let Some(m) = expected.get("errorMessage") {
                println!("want: REJECTED: {}", m.as_str().unwrap_or_default());
            } else {
                println!("want: accepted");
            }
        }
        Ok(actual) => {
            if let Some(m) = expected.get("errorMessage") {
                println!(
                    "ours: accepted\nwant: REJECTED: {}",
                    m.as_str().unwrap_or_default()
                );
                return ExitCode::SUCCESS;
            }
            let pretty = |v: &serde_json::Value| {
                serde_json::to_string_pretty(&canonical_resources(v)).unwrap_or_default()
            };
            let (a, e) = (pretty(&actual), pretty(&expected));
            print_diff(&e, &a);
            println!(
                "\n{:?}",
                lockgate_conformance::compare_ok(&expected, &actual)
            );
        }
    }
    ExitCode::SUCCESS
}

/// A small line diff (longest common subsequence): `-` expected only, `+` ours only.
fn print_diff(expected: &str, actual: &str) {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let (n, m) = (e.len(), a.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if e[i] == a[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && e[i] == a[j] {
            println!("  {}", e[i]);
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            println!("+ {}", a[j]);
            j += 1;
        } else {
            println!("- {}", e[i]);
            i += 1;
        }
    }
}
