//! A deterministic mutation "fuzz" test that runs on stable Rust: corpus
//! templates are mutated at the byte and line level with a seeded generator
//! and run through parsing, validation, conditions, the graph and
//! evaluation, which must never panic.

mod common;

use lockgate_template::{LoadOptions, Overrides, Unresolved, load, parse};

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

fn mutate(rng: &mut Rng, text: &str) -> String {
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
                let tok = TOKENS[rng.below(TOKENS.len())];
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

#[test]
fn mutated_templates_never_panic() {
    let mut files = common::templates_under(&common::corpus_dir().join("sam-translator/input"));
    files.extend(common::templates_under(
        &common::corpus_dir().join("cfn-nag/templates/yaml"),
    ));
    assert!(!files.is_empty(), "corpus missing");
    // Small templates keep the run short; every 7th file is enough variety.
    let texts: Vec<(String, String)> = files
        .iter()
        .step_by(7)
        .filter_map(|f| Some((f.display().to_string(), std::fs::read_to_string(f).ok()?)))
        .filter(|(_, t)| t.len() < 6000)
        .collect();
    // LOCKGATE_FUZZ_SEED / LOCKGATE_FUZZ_ITERATIONS allow longer local runs; CI uses the defaults.
    let seed = std::env::var("LOCKGATE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15u64);
    let iterations: usize = std::env::var("LOCKGATE_FUZZ_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let mut rng = Rng(seed | 1);
    let opts = LoadOptions {
        sam_transform: false,
        overrides: Overrides::parse_args(&["P=1"]).unwrap_or_default(),
        ..LoadOptions::default()
    };
    let mut parsed = 0usize;
    for n in 0..iterations {
        let (name, text) = &texts[rng.below(texts.len())];
        let mutated = mutate(&mut rng, text);
        let r = std::panic::catch_unwind(|| {
            let ok = parse(name, &mutated).is_ok();
            if ok && let Ok(t) = load(name, &mutated, &opts) {
                let _ = t.evaluate(&Unresolved, &Unresolved);
                let _ = t.graph.levels();
            }
            ok
        });
        match r {
            Ok(true) => parsed += 1,
            Ok(false) => {}
            Err(_) => panic!("iteration {n} panicked on a mutation of {name}:\n{mutated}"),
        }
    }
    eprintln!(
        "fuzz: {iterations} mutations of {} templates, {parsed} parsed",
        texts.len()
    );
    // The mutations must not all be rejected by the parser (else the later stages go untested).
    assert!(
        parsed > iterations / 5,
        "only {parsed} of {iterations} mutations parsed"
    );
}
