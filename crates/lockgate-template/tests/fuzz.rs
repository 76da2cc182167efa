//! A deterministic mutation "fuzz" test that runs on stable Rust: corpus
//! templates, YAML and JSON, are mutated at the byte and line level with a
//! seeded generator and run through parsing, validation, conditions, the
//! graph, evaluation, the SAM transform and diagnostic rendering, which must
//! never panic. The run is bounded by an iteration count (no clock), so it is
//! the same on every machine; `LOCKGATE_FUZZ_SEED` and
//! `LOCKGATE_FUZZ_ITERATIONS` allow longer local runs.

mod common;

use lockgate_template::{LoadOptions, Overrides, Unresolved, load, parse, transform};

/// xorshift64*: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&str] = &[
    "!Ref ",
    "!GetAtt a.b",
    "!Sub '${X}'",
    "!If [C, 1, 2]",
    "!Condition ",
    "!Equals [",
    ":",
    ": ",
    "[",
    "]",
    "{",
    "}",
    "\t",
    "- ",
    "? ",
    "&a ",
    "*a",
    "<<: *a",
    "'",
    "\"",
    "\n",
    "  ",
    "${",
    "${!",
    "}}",
    "{{resolve:ssm:",
    "{{resolve:secretsmanager:a:SecretString:",
    "Fn::If",
    "Ref",
    "Condition: C",
    "DependsOn: ",
    "Type: ",
    "!!str ",
    "!!int ",
    "|",
    ">",
    "#",
    "---\n",
    "%YAML 1.2\n",
    "\u{feff}",
    "é",
    "0x1F",
    "1:30",
    ".inf",
    "~",
    "null",
    "yes",
    "Resources:\n",
    "Conditions:\n  C: !Equals [a, a]\n",
    "Parameters:\n  P:\n    Type: Number\n",
];

/// Tokens that stress the JSON reading (JSON files are read as YAML's JSON subset).
const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\u00e9",
    "\\ud800",
    "{\"Ref\": \"X\"}",
    "{\"Fn::GetAtt\": [\"A\", \"Arn\"]}",
    "{\"Fn::Sub\": \"${A.Arn}-${!x}\"}",
    "{\"Fn::If\": [\"C\", 1, {\"Ref\": \"AWS::NoValue\"}]}",
    "{\"Fn::Select\": [9, []]}",
    "\"Condition\": \"C\",",
    "\"DependsOn\": [\"A\"],",
    "\"Type\": \"AWS::Serverless::Function\",",
    "\"Events\": {\"E\": {\"Type\": \"Api\"}},",
    "1e999",
    "-0",
    "null",
    "true",
    "\t",
    "\n",
    "\u{feff}",
    "# not JSON",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    mutate_with(rng, text, TOKENS)
}

fn mutate_with(rng: &mut Rng, text: &str, tokens: &[&str]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = rng.below(lines.len());
        match rng.below(9) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            3 | 4 => {
                let tok = tokens[rng.below(tokens.len())];
                let line = &mut lines[i];
                let mut at = rng.below(line.len() + 1);
                while !line.is_char_boundary(at) {
                    at -= 1;
                }
                line.insert_str(at, tok);
            }
            5 => {
                let line = &mut lines[i];
                if !line.is_empty() {
                    let mut a = rng.below(line.len());
                    while !line.is_char_boundary(a) {
                        a -= 1;
                    }
                    let mut b = (a + 1 + rng.below(8)).min(line.len());
                    while !line.is_char_boundary(b) {
                        b += 1;
                    }
                    line.replace_range(a..b, "");
                }
            }
            6 => {
                let indent = " ".repeat(rng.below(6));
                lines[i] = format!("{indent}{}", lines[i].trim_start());
            }
            7 => lines.truncate(i),
            _ => {
                let j = rng.below(lines.len());
                let l = lines[j].clone();
                lines[i].push_str(&l);
            }
        }
    }
    lines.join("\n")
}

/// `LOCKGATE_FUZZ_SEED`, else a fixed seed.
fn seed() -> u64 {
    std::env::var("LOCKGATE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15u64)
}

/// `LOCKGATE_FUZZ_ITERATIONS`, else `default`.
fn iterations(default: usize) -> usize {
    std::env::var("LOCKGATE_FUZZ_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Small corpus templates: every 7th file is enough variety.
fn seeds(dirs: &[&str], json: bool) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for d in dirs {
        files.extend(common::templates_under(&common::corpus_dir().join(d)));
    }
    let mut texts: Vec<(String, String)> = files
        .iter()
        .step_by(7)
        .filter_map(|f| Some((f.display().to_string(), std::fs::read_to_string(f).ok()?)))
        .filter(|(_, t)| t.len() < 6000)
        .collect();
    // The example app, as written and as JSON.
    let greeter = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/greeter/template.yaml");
    if let Ok(t) = std::fs::read_to_string(&greeter) {
        texts.push((greeter.display().to_string(), t));
    }
    if json {
        // YAML seeds rendered as JSON, so SAM templates are fuzzed as JSON too.
        texts = texts
            .into_iter()
            .filter_map(|(name, t)| {
                if t.trim_start().starts_with('{') {
                    return Some((name, t));
                }
                let doc = parse(&name, &t).ok()?;
                let pretty = serde_json::to_string_pretty(&doc.to_json()).ok()?;
                Some((format!("{name}.json"), pretty))
            })
            .collect();
    }
    assert!(
        texts.len() > 20,
        "corpus missing: {} seed templates",
        texts.len()
    );
    texts
}

/// How far one mutated text went.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reached {
    /// The parser rejected it.
    Rejected,
    /// It parsed.
    Parsed,
    /// It parsed and the SAM transform turned it into CloudFormation.
    Transformed,
}

/// Runs one mutated text through every stage.
fn run_all_stages(name: &str, text: &str, n: usize) -> Reached {
    let plain = LoadOptions {
        sam_transform: false,
        overrides: Overrides::parse_args(&["P=1"]).unwrap_or_default(),
        ..LoadOptions::default()
    };
    let sam = LoadOptions {
        overrides: Overrides::parse_args(&["param1=value1"]).unwrap_or_default(),
        ..LoadOptions::default()
    };
    if parse(name, text).is_err() {
        if let Err(d) = load(name, text, &plain) {
            let _ = d.render_plain(80);
        }
        return Reached::Rejected;
    }
    for opts in [&plain, &sam] {
        match load(name, text, opts) {
            Ok(t) => {
                if let Err(d) = t.evaluate(&Unresolved, &Unresolved) {
                    let _ = d.render_plain(80);
                }
                let _ = t.graph.levels();
                let _ = t.redact(t.template.clone());
            }
            // Rendering walks the spans: do it often, not always (it is the slow part).
            Err(d) if n.is_multiple_of(4) => {
                let _ = d.render_plain(80);
                let _ = d.to_json();
            }
            Err(_) => {}
        }
    }
    match transform(name, text, &sam) {
        Ok(t) => {
            let _ = t.redacted();
            if t.transformed {
                return Reached::Transformed;
            }
        }
        Err(d) if n % 4 == 1 => {
            let _ = d.render_plain(80);
        }
        Err(_) => {}
    }
    Reached::Parsed
}

fn fuzz(
    label: &str,
    texts: &[(String, String)],
    tokens: &[&str],
    seed: u64,
    default_iterations: usize,
) {
    let iterations = iterations(default_iterations);
    // Odd multiplier: distinct seeds give distinct (non-zero) generator states.
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let (mut parsed, mut transformed) = (0usize, 0usize);
    for n in 0..iterations {
        let (name, text) = &texts[rng.below(texts.len())];
        let mutated = mutate_with(&mut rng, text, tokens);
        match std::panic::catch_unwind(|| run_all_stages(name, &mutated, n)) {
            Ok(Reached::Rejected) => {}
            Ok(Reached::Parsed) => parsed += 1,
            Ok(Reached::Transformed) => {
                parsed += 1;
                transformed += 1;
            }
            Err(_) => panic!(
                "{label}: iteration {n} (seed {seed:#x}) panicked on a mutation of {name}:\n{mutated}"
            ),
        }
    }
    eprintln!(
        "fuzz {label}: {iterations} mutations of {} templates, {parsed} parsed, {transformed} SAM-transformed",
        texts.len()
    );
    // The mutations must not all be rejected (else the later stages go untested).
    assert!(
        parsed > iterations / 10 && transformed > iterations / 50,
        "{label}: only {parsed} of {iterations} mutations parsed, {transformed} transformed"
    );
}

#[test]
fn mutated_yaml_templates_never_panic() {
    let texts = seeds(&["sam-translator/input", "cfn-nag/templates/yaml"], false);
    fuzz("yaml", &texts, TOKENS, seed(), 3000);
}

#[test]
fn mutated_json_templates_never_panic() {
    let texts = seeds(&["sam-translator/input", "cfn-nag/templates/json"], true);
    fuzz(
        "json",
        &texts,
        JSON_TOKENS,
        seed() ^ 0x5DEE_CE66_D1CE_4E5B,
        2000,
    );
}

#[test]
fn the_mutations_are_deterministic() {
    let text = "Resources:\n  A: {Type: X::Y}\n";
    let run = || {
        let mut rng = Rng(7);
        (0..50).map(|_| mutate(&mut rng, text)).collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}
