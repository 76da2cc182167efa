//! Times parsing and loading (with the SAM transform) of templates given on
//! the command line, `ROUNDS` times each (default 20): a quick throughput check.

use std::time::Instant;

fn main() {
    let files: Vec<(String, String)> = std::env::args()
        .skip(1)
        .filter_map(|p| Some((p.clone(), std::fs::read_to_string(&p).ok()?)))
        .collect();
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let opts = lockgate_template::LoadOptions::default();
    let start = Instant::now();
    for _ in 0..rounds {
        for (name, text) in &files {
            let _ = std::hint::black_box(lockgate_template::parse(name, text));
        }
    }
    let parse = start.elapsed();
    let start = Instant::now();
    let mut ok = 0;
    for _ in 0..rounds {
        for (name, text) in &files {
            if std::hint::black_box(lockgate_template::load(name, text, &opts)).is_ok() {
                ok += 1;
            }
        }
    }
    let load = start.elapsed();
    let n = (files.len() * rounds) as f64;
    println!(
        "{} templates x {rounds}: parse {:.1} µs/template, load+transform {:.1} µs/template ({} loaded)",
        files.len(),
        parse.as_secs_f64() * 1e6 / n,
        load.as_secs_f64() * 1e6 / n,
        ok / rounds.max(1)
    );
}
