//! Seeded simulations proving the canary judgement's claims
//! (`docs/releases.md`): its false-positive rate with no regression, and how
//! quickly it catches an error regression (5% → 20%) and a latency
//! regression at a 10% canary weight. Every run is seeded, so the figures
//! are the same on every machine; the thresholds asserted are the claims
//! the documentation makes, with margin.

use lockgate_metrics::canary::{CanaryConfig, CanaryJudge, Stratum, Verdict};
use lockgate_metrics::lambda::{InvocationRecorder, Outcome};
use lockgate_metrics::{MetricStore, StoreConfig, Timestamp};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use rand_pcg::Pcg64Mcg as StdRng;

struct Version {
    error_rate: f64,
    latency: LogNormal<f64>,
}

fn version(error_rate: f64, median_ms: f64) -> Version {
    Version {
        error_rate,
        latency: LogNormal::new(median_ms.ln(), 0.5).unwrap(),
    }
}

/// One deployment: requests go to the new version with probability
/// `weight(i)`; every `stratum` requests close a stratum and the judge runs.
/// Returns the number of requests the new version had served when the
/// judge failed it, or `None` if it never did within `max_requests`.
fn deploy(
    seed: u64,
    old: &Version,
    new: &Version,
    weight: impl Fn(usize) -> f64,
    max_requests: usize,
) -> Option<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut judge = CanaryJudge::new(CanaryConfig::default(), "f", "live", "1", "2", Timestamp(0));
    let stratum_len = 20;
    let mut strata = Vec::new();
    let mut current = Stratum::default();
    let (mut old_d, mut new_d) = (Vec::new(), Vec::new());
    for i in 0..max_requests {
        let to_new = rng.random::<f64>() < weight(i);
        let v = if to_new { new } else { old };
        let failed = rng.random::<f64>() < v.error_rate;
        let d = v.latency.sample(&mut rng);
        if to_new {
            current.new_requests += 1.0;
            current.new_errors += f64::from(u8::from(failed));
            new_d.push(d);
        } else {
            current.old_requests += 1.0;
            current.old_errors += f64::from(u8::from(failed));
            old_d.push(d);
        }
        if (i + 1) % stratum_len == 0 {
            strata.push(std::mem::take(&mut current));
            if judge.judge_data(&strata, &old_d, &new_d).verdict == Verdict::Fail {
                return Some(new_d.len());
            }
        }
    }
    None
}

fn median(mut v: Vec<usize>) -> usize {
    v.sort_unstable();
    v[v.len() / 2]
}

#[test]
fn no_regression_rarely_fails_a_canary() {
    let (old, new) = (version(0.05, 50.0), version(0.05, 50.0));
    let runs = 1000;
    let canary = (0..runs)
        .filter(|s| deploy(*s, &old, &new, |_| 0.1, 1000).is_some())
        .count();
    // Linear shifting: the weight climbs from 10% to 100% over the run.
    let linear = (0..runs / 2)
        .filter(|s| {
            deploy(
                10_000 + s,
                &old,
                &new,
                |i| 0.1 + 0.9 * i as f64 / 1000.0,
                1000,
            )
            .is_some()
        })
        .count();
    let zero_errors = (0..runs / 2)
        .filter(|s| {
            deploy(
                20_000 + s,
                &version(0.0, 50.0),
                &version(0.0, 50.0),
                |_| 0.1,
                1000,
            )
            .is_some()
        })
        .count();
    eprintln!(
        "false positives: canary 10% {canary}/{runs}, linear {linear}/{}, no errors at all {zero_errors}/{}",
        runs / 2,
        runs / 2
    );
    // The stated bound: at most 5% (2.5% per test) over the whole deployment.
    assert!(canary as f64 / runs as f64 <= 0.05, "{canary}/{runs}");
    assert!(linear as f64 / (runs / 2) as f64 <= 0.05, "{linear}");
    assert!(
        zero_errors as f64 / (runs / 2) as f64 <= 0.05,
        "{zero_errors}"
    );
}

#[test]
fn a_small_latency_change_is_not_a_regression() {
    // 3% slower: within the 10% margin, so failing it is a false positive.
    let (old, new) = (version(0.01, 50.0), version(0.01, 51.5));
    let runs = 300;
    let fails = (0..runs)
        .filter(|s| deploy(30_000 + s, &old, &new, |_| 0.1, 2000).is_some())
        .count();
    eprintln!("3% slower: failed {fails}/{runs}");
    assert!(fails as f64 / runs as f64 <= 0.05, "{fails}/{runs}");
}

#[test]
fn catches_an_error_regression_from_5_to_20_percent_within_few_requests() {
    let (old, new) = (version(0.05, 50.0), version(0.20, 50.0));
    let runs = 500;
    let found: Vec<Option<usize>> = (0..runs)
        .map(|s| deploy(40_000 + s, &old, &new, |_| 0.1, 3000))
        .collect();
    let caught: Vec<usize> = found.iter().flatten().cloned().collect();
    let within_100 = caught.iter().filter(|n| **n <= 100).count();
    let p90 = {
        let mut c = caught.clone();
        c.sort_unstable();
        c.get(c.len() * 9 / 10).cloned().unwrap_or(usize::MAX)
    };
    eprintln!(
        "5% -> 20%: caught {}/{runs}; new-version requests at detection: median {}, 90th percentile {p90}; within 100: {within_100}",
        caught.len(),
        median(caught.clone())
    );
    assert!(
        caught.len() as f64 / runs as f64 >= 0.99,
        "{}",
        caught.len()
    );
    assert!(within_100 as f64 / runs as f64 >= 0.90, "{within_100}");
    assert!(median(caught) <= 60);
}

#[test]
fn catches_a_latency_regression() {
    let (old, new) = (version(0.01, 50.0), version(0.01, 75.0));
    let runs = 500;
    let caught: Vec<usize> = (0..runs)
        .filter_map(|s| deploy(50_000 + s, &old, &new, |_| 0.1, 2000))
        .collect();
    eprintln!(
        "latency x1.5: caught {}/{runs}; new-version requests at detection: median {}",
        caught.len(),
        median(caught.clone())
    );
    assert!(
        caught.len() as f64 / runs as f64 >= 0.99,
        "{}",
        caught.len()
    );
    assert!(median(caught) <= 40);
}

/// The judge reads the same data from the store as `InvocationRecorder`
/// writes: a bad version behind the alias fails from the store.
#[test]
fn judges_from_the_store() {
    let store = MetricStore::new(StoreConfig::default());
    let old = InvocationRecorder::new(&store, "f", Some("live"), "1").unwrap();
    let new = InvocationRecorder::new(&store, "f", Some("live"), "2").unwrap();
    let start = Timestamp::from_secs(1_800_000_000);
    let mut judge = CanaryJudge::new(CanaryConfig::default(), "f", "live", "1", "2", start);
    let mut rng = StdRng::seed_from_u64(7);
    let mut failed_at = None;
    for i in 0..3000i64 {
        // 20 requests a second.
        let at = start.plus_micros(i * 50_000);
        let to_new = rng.random::<f64>() < 0.1;
        let error = rng.random::<f64>() < if to_new { 0.3 } else { 0.02 };
        let o = Outcome {
            duration_ms: 20.0 + rng.random::<f64>() * 10.0,
            error,
            throttled: false,
            cold: false,
        };
        if to_new {
            new.record(&o, at)
        } else {
            old.record(&o, at)
        }
        if i % 20 == 19 {
            let j = judge.judge(&store, at.plus_micros(50_000));
            if j.verdict == Verdict::Fail {
                assert!(
                    j.explanation.starts_with("Fail: errors regressed"),
                    "{}",
                    j.explanation
                );
                eprintln!("{}", j.explanation);
                failed_at = Some(i);
                break;
            }
        }
    }
    let i = failed_at.expect("the bad version was never failed");
    eprintln!("failed after {i} requests ({} s at 20 requests/s)", i / 20);
    assert!(i < 1500, "{i}");
}
