//! Statistical canary judgement: is the new version worse than the old one
//! over the same window?
//!
//! Two tests run side by side on the traffic the alias splits between the
//! versions (see `docs/releases.md` for the statistics):
//!
//! - **Errors: a sequential probability ratio test** on the errors of the
//!   two versions, conditional on how many requests each served. Time is
//!   cut into strata (10 scaled seconds by default); in a stratum with
//!   `n_old` and `n_new` requests and `K` errors in all, the number of the
//!   new version's errors follows, if both versions fail alike (H0), the
//!   hypergeometric distribution, and if the new version's odds of failing
//!   are `error_odds_ratio` times the old one's (H1), Fisher's noncentral
//!   hypergeometric distribution. The log-likelihood ratio of the completed
//!   strata is summed; under H0 its exponential is a non-negative
//!   martingale with mean 1, so by Ville's inequality it ever reaches
//!   `ln(1/alpha_errors)` with probability at most `alpha_errors`, however
//!   often the judgement runs and however the traffic weights move. Reaching
//!   it fails the canary (for good); being at or below `ln(beta_errors)`
//!   passes it for now ("no regression as large as the odds ratio", wrongly
//!   with probability at most `beta_errors`), but the test keeps watching,
//!   so a regression that starts late is still caught.
//! - **Latency: a one-sided Mann-Whitney U test with a margin** on the
//!   durations of the two versions: H0 is "the new version's durations,
//!   divided by `latency_ratio` (1.1), are no larger than the old ones'"
//!   (it is at most 10% slower), H1 that they are stochastically larger.
//!   Normal approximation with the correction for ties; looked at only when
//!   the smaller sample reaches `latency_min_samples × 2^k` (k = 0, 1, 2,
//!   …); look k tests at `alpha_latency / 2^(k+1)`, so all looks together
//!   keep the probability of failing a version that is at most 10% slower
//!   at most `alpha_latency` (a union bound).
//!
//! The verdict is `Fail` when either test fails, `Pass` when the error test
//! has accepted and the latency test has looked at least once without
//! finding a regression, and `Continue` otherwise. With the defaults the
//! probability of failing a canary that is no worse than the old version
//! is at most 5% (2.5% for each test) over the whole deployment.

use std::fmt::Write as _;

use crate::key::MetricKey;
use crate::lambda::NAMESPACE;
use crate::store::MetricStore;
use crate::time::Timestamp;

/// The judge's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct CanaryConfig {
    /// Bound on failing a canary whose error rate is no worse (default 0.025).
    pub alpha_errors: f64,
    /// Bound on passing a canary whose errors odds are `error_odds_ratio`
    /// times worse (default 0.2).
    pub beta_errors: f64,
    /// The regression the error test is tuned to detect: the new version's
    /// odds of an error this many times the old's (default 2).
    pub error_odds_ratio: f64,
    /// Length of an error stratum in (scaled) seconds (default 10).
    pub stratum_secs: u64,
    /// Bound on failing a canary whose latency is no worse (default 0.025).
    pub alpha_latency: f64,
    /// Durations needed from each version before the first latency look
    /// (default 20).
    pub latency_min_samples: usize,
    /// The margin: a new version up to this many times slower is not a
    /// regression (default 1.1: 10%).
    pub latency_ratio: f64,
}

impl Default for CanaryConfig {
    fn default() -> Self {
        CanaryConfig {
            alpha_errors: 0.025,
            beta_errors: 0.2,
            error_odds_ratio: 2.0,
            stratum_secs: 10,
            alpha_latency: 0.025,
            latency_min_samples: 20,
            latency_ratio: 1.1,
        }
    }
}

/// Requests and errors of both versions in one stratum.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stratum {
    /// Requests the old version served.
    pub old_requests: f64,
    /// Of those, errors.
    pub old_errors: f64,
    /// Requests the new version served.
    pub new_requests: f64,
    /// Of those, errors.
    pub new_errors: f64,
}

/// A test's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not enough evidence either way yet.
    Continue,
    /// No regression (as large as the test is tuned for).
    Pass,
    /// A regression.
    Fail,
}

impl Verdict {
    /// `Continue`, `Pass` or `Fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Continue => "Continue",
            Verdict::Pass => "Pass",
            Verdict::Fail => "Fail",
        }
    }
}

/// What the error test found.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorTest {
    /// The decision.
    pub verdict: Verdict,
    /// Summed log-likelihood ratio (H1 over H0) of the completed strata.
    pub llr: f64,
    /// `ln(1 / alpha_errors)`: fail at or above.
    pub upper: f64,
    /// `ln(beta_errors)`: pass at or below.
    pub lower: f64,
    /// Totals over the strata.
    pub old_requests: f64,
    /// Old version's errors.
    pub old_errors: f64,
    /// New version's requests.
    pub new_requests: f64,
    /// New version's errors.
    pub new_errors: f64,
}

/// What the latency test found.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyTest {
    /// The decision (`Pass`: the last look found no regression).
    pub verdict: Verdict,
    /// Looks taken so far.
    pub looks: u32,
    /// Durations of the old version at the last look.
    pub old_samples: usize,
    /// Durations of the new version at the last look.
    pub new_samples: usize,
    /// Mann-Whitney U of the new sample (divided by the margin) against the old.
    pub u: f64,
    /// Its standard score (positive: the new version is slower).
    pub z: f64,
    /// One-sided p-value.
    pub p_value: f64,
    /// The level the last look tested at.
    pub alpha_at_look: f64,
    /// Median duration of the old version (ms).
    pub old_median: f64,
    /// Median duration of the new version (ms).
    pub new_median: f64,
}

/// The judgement.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// Overall decision.
    pub verdict: Verdict,
    /// The error test.
    pub errors: ErrorTest,
    /// The latency test (`None` before its first look).
    pub latency: Option<LatencyTest>,
    /// A sentence or two a person can read.
    pub explanation: String,
}

/// `ln Γ(x)` for x > 0 (Lanczos approximation, g = 7, n = 9; relative
/// error below 1e-13 in the range used here).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// Standard normal upper tail `P(Z > z)` (complementary error function by
/// W. J. Cody's rational approximations as in Numerical Recipes' `erfcc`,
/// relative error below 1.2e-7).
pub fn normal_sf(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let y = t
        * (-x * x - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    let erfc = if x >= 0.0 { y } else { 2.0 - y };
    0.5 * erfc
}

/// Log-likelihood ratio of one stratum: the new version's errors `x` out
/// of `k` errors among `n_new + n_old` requests, under Fisher's noncentral
/// hypergeometric distribution with odds ratio `psi` against the central
/// one. 0 when the stratum carries no information.
pub fn stratum_llr(n_old: u64, n_new: u64, k: u64, x: u64, psi: f64) -> f64 {
    let n = n_old + n_new;
    if k == 0 || n_old == 0 || n_new == 0 || k >= n {
        return 0.0;
    }
    let lo = k.saturating_sub(n_old);
    let hi = k.min(n_new);
    if lo == hi || x < lo || x > hi {
        return 0.0;
    }
    // ln E_H0[psi^X] = ln Σ h(i) psi^i, with h the central hypergeometric
    // pmf, summed in log space from its lowest point.
    let (nf_old, nf_new, kf, nf) = (n_old as f64, n_new as f64, k as f64, n as f64);
    let ln_h_lo =
        ln_choose(nf_new, lo as f64) + ln_choose(nf_old, kf - lo as f64) - ln_choose(nf, kf);
    let ln_psi = psi.ln();
    let mut terms = Vec::with_capacity((hi - lo + 1) as usize);
    let mut t = ln_h_lo + lo as f64 * ln_psi;
    terms.push(t);
    for i in lo..hi {
        let fi = i as f64;
        // h(i+1)/h(i) = (n_new - i)(k - i) / ((i + 1)(n_old - k + i + 1))
        t += ((nf_new - fi) * (kf - fi)).ln() - ((fi + 1.0) * (nf_old - kf + fi + 1.0)).ln()
            + ln_psi;
        terms.push(t);
    }
    let m = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let ln_mean = m + terms.iter().map(|t| (t - m).exp()).sum::<f64>().ln();
    x as f64 * ln_psi - ln_mean
}

/// The error test over strata (in time order, completed ones only).
pub fn error_test(strata: &[Stratum], config: &CanaryConfig) -> ErrorTest {
    let mut t = ErrorTest::new(config);
    for s in strata {
        t.add(s, config);
    }
    t
}

impl ErrorTest {
    fn new(config: &CanaryConfig) -> Self {
        ErrorTest {
            verdict: Verdict::Continue,
            llr: 0.0,
            upper: (1.0 / config.alpha_errors).ln(),
            lower: config.beta_errors.ln(),
            old_requests: 0.0,
            old_errors: 0.0,
            new_requests: 0.0,
            new_errors: 0.0,
        }
    }

    /// Adds one completed stratum.
    fn add(&mut self, s: &Stratum, config: &CanaryConfig) {
        self.old_requests += s.old_requests;
        self.old_errors += s.old_errors;
        self.new_requests += s.new_requests;
        self.new_errors += s.new_errors;
        if self.verdict == Verdict::Fail {
            // Failing is final; later data is counted in the totals only.
            return;
        }
        let r = |v: f64| v.max(0.0).round() as u64;
        let k = r(s.old_errors) + r(s.new_errors);
        self.llr += stratum_llr(
            r(s.old_requests),
            r(s.new_requests),
            k,
            r(s.new_errors),
            config.error_odds_ratio,
        );
        // The test keeps watching after a pass (a regression can start
        // late); Ville's bound covers the whole path, however long.
        self.verdict = if self.llr >= self.upper {
            Verdict::Fail
        } else if self.llr <= self.lower {
            Verdict::Pass
        } else {
            Verdict::Continue
        };
    }
}

/// Mann-Whitney U of `new` against `old` with its one-sided standard score
/// (positive: `new` tends to be larger) and p-value, ties corrected.
pub fn mann_whitney(old: &[f64], new: &[f64]) -> (f64, f64, f64) {
    let (n1, n2) = (new.len() as f64, old.len() as f64);
    if new.is_empty() || old.is_empty() {
        return (0.0, 0.0, 1.0);
    }
    let mut all: Vec<(f64, bool)> = new
        .iter()
        .map(|v| (*v, true))
        .chain(old.iter().map(|v| (*v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = all.len();
    let mut rank_sum_new = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        for item in &all[i..=j] {
            if item.1 {
                rank_sum_new += avg;
            }
        }
        i = j + 1;
    }
    let u = rank_sum_new - n1 * (n1 + 1.0) / 2.0;
    let nn = n1 + n2;
    let var = n1 * n2 / 12.0 * ((nn + 1.0) - tie_term / (nn * (nn - 1.0)));
    if var <= 0.0 {
        return (u, 0.0, 1.0);
    }
    // Continuity correction towards the mean.
    let z = (u - n1 * n2 / 2.0 - 0.5) / var.sqrt();
    (u, z, normal_sf(z))
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// A judge for one deployment: keeps which latency looks it has taken and
/// makes `Fail` final. Create it when traffic starts to shift.
#[derive(Debug, Clone)]
pub struct CanaryJudge {
    config: CanaryConfig,
    function_name: String,
    alias: String,
    old_version: String,
    new_version: String,
    start: Timestamp,
    looks: u32,
    last_latency: Option<LatencyTest>,
    failed: Option<Judgement>,
    /// The error test over the strata seen so far (completed strata do not
    /// change, so each is added once).
    errors: ErrorTest,
    consumed: usize,
}

impl CanaryJudge {
    /// A judge comparing `new_version` with `old_version` behind
    /// `function_name:alias`, from `start` on.
    pub fn new(
        config: CanaryConfig,
        function_name: &str,
        alias: &str,
        old_version: &str,
        new_version: &str,
        start: Timestamp,
    ) -> Self {
        CanaryJudge {
            errors: ErrorTest::new(&config),
            consumed: 0,
            config,
            function_name: function_name.to_string(),
            alias: alias.to_string(),
            old_version: old_version.to_string(),
            new_version: new_version.to_string(),
            start,
            looks: 0,
            last_latency: None,
            failed: None,
        }
    }

    /// The judge's settings.
    pub fn config(&self) -> &CanaryConfig {
        &self.config
    }

    fn key(&self, name: &str, version: &str) -> MetricKey {
        MetricKey::new(NAMESPACE, name)
            .with_dimension("FunctionName", self.function_name.as_str())
            .with_dimension("Resource", format!("{}:{}", self.function_name, self.alias))
            .with_dimension("ExecutedVersion", version)
    }

    /// Judges from the `AWS/Lambda` metrics the store holds for both
    /// versions behind the alias (what
    /// [`InvocationRecorder`](crate::lambda::InvocationRecorder) records),
    /// from the start to `now`. Only completed strata count for errors.
    pub fn judge(&mut self, store: &MetricStore, now: Timestamp) -> Judgement {
        let stratum_us = store.scale().secs_us(self.config.stratum_secs.max(1));
        let end = now.align_down(stratum_us);
        let per_period = |name: &str, version: &str| {
            store
                .get(&self.key(name, version))
                .map(|h| h.aggregate_by_period(self.start, end, stratum_us, false))
                .unwrap_or_default()
        };
        let mut strata: std::collections::BTreeMap<Timestamp, Stratum> = Default::default();
        for (t, a) in per_period("Invocations", &self.old_version) {
            strata.entry(t).or_default().old_requests = a.sum;
        }
        for (t, a) in per_period("Errors", &self.old_version) {
            strata.entry(t).or_default().old_errors = a.sum;
        }
        for (t, a) in per_period("Invocations", &self.new_version) {
            strata.entry(t).or_default().new_requests = a.sum;
        }
        for (t, a) in per_period("Errors", &self.new_version) {
            strata.entry(t).or_default().new_errors = a.sum;
        }
        let strata: Vec<Stratum> = strata.into_values().collect();
        // Copy the durations only when a latency look may be due: the
        // counts bound the raw values the store keeps.
        let count = |version: &str| {
            store
                .get(&self.key("Duration", version))
                .map_or(0.0, |h| h.aggregate(self.start, now, false).count)
        };
        let smaller = count(&self.old_version).min(count(&self.new_version));
        if (smaller as usize) < self.next_look() {
            return self.judge_inner(&strata, None, smaller as usize);
        }
        let durations = |version: &str| -> Vec<f64> {
            store
                .get(&self.key("Duration", version))
                .map(|h| {
                    h.aggregate(self.start, now, true)
                        .samples
                        .iter()
                        .map(|s| s.value)
                        .collect()
                })
                .unwrap_or_default()
        };
        let old = durations(&self.old_version);
        let new = durations(&self.new_version);
        self.judge_data(&strata, &old, &new)
    }

    fn next_look(&self) -> usize {
        self.config
            .latency_min_samples
            .max(1)
            .saturating_mul(1usize << self.looks.min(60))
    }

    /// Judges given data: every completed stratum since the start, in time
    /// order (each call passes them all; the ones seen before are not
    /// counted again), and the durations of each version so far.
    /// [`CanaryJudge::judge`] calls it with what the store holds;
    /// simulations call it directly.
    pub fn judge_data(
        &mut self,
        strata: &[Stratum],
        old_durations: &[f64],
        new_durations: &[f64],
    ) -> Judgement {
        let smaller = old_durations.len().min(new_durations.len());
        self.judge_inner(strata, Some((old_durations, new_durations)), smaller)
    }

    fn judge_inner(
        &mut self,
        strata: &[Stratum],
        durations: Option<(&[f64], &[f64])>,
        smaller: usize,
    ) -> Judgement {
        if let Some(f) = &self.failed {
            return f.clone();
        }
        if strata.len() < self.consumed {
            // Fewer strata than before (the store pruned old ones): start
            // over on what is there.
            self.errors = ErrorTest::new(&self.config);
            self.consumed = 0;
        }
        for s in &strata[self.consumed..] {
            self.errors.add(s, &self.config);
        }
        self.consumed = strata.len();
        let errors = self.errors.clone();
        // Latency looks at min_samples × 2^k.
        if let Some((old_durations, new_durations)) = durations
            && smaller >= self.next_look()
        {
            // Skip to the look this sample size reaches (several thresholds
            // may have been crossed between two calls: each is spent).
            while smaller
                >= self
                    .config
                    .latency_min_samples
                    .max(1)
                    .saturating_mul(1usize << (self.looks + 1).min(60))
            {
                self.looks += 1;
            }
            let alpha_at_look =
                self.config.alpha_latency / f64::from(2u32.saturating_pow(self.looks + 1));
            self.looks += 1;
            // Non-inferiority: test the new durations shrunk by the margin
            // against the old ones, so only "more than `latency_ratio`
            // slower" can reject.
            let ratio = self.config.latency_ratio.max(1.0);
            let shrunk: Vec<f64> = new_durations.iter().map(|v| v / ratio).collect();
            let (u, z, p) = mann_whitney(old_durations, &shrunk);
            let (old_median, new_median) = (median(old_durations), median(new_durations));
            let verdict = if p < alpha_at_look {
                Verdict::Fail
            } else {
                Verdict::Pass
            };
            self.last_latency = Some(LatencyTest {
                verdict,
                looks: self.looks,
                old_samples: old_durations.len(),
                new_samples: new_durations.len(),
                u,
                z,
                p_value: p,
                alpha_at_look,
                old_median,
                new_median,
            });
        }
        let latency = self.last_latency.clone();
        let latency_verdict = latency.as_ref().map(|l| l.verdict);
        let verdict = if errors.verdict == Verdict::Fail || latency_verdict == Some(Verdict::Fail) {
            Verdict::Fail
        } else if errors.verdict == Verdict::Pass && latency_verdict == Some(Verdict::Pass) {
            Verdict::Pass
        } else {
            Verdict::Continue
        };
        let explanation = explain(verdict, &errors, latency.as_ref(), &self.config, smaller);
        let j = Judgement {
            verdict,
            errors,
            latency,
            explanation,
        };
        if verdict == Verdict::Fail {
            self.failed = Some(j.clone());
        }
        j
    }
}

fn pct(errors: f64, requests: f64) -> String {
    if requests > 0.0 {
        format!("{:.1}%", 100.0 * errors / requests)
    } else {
        "n/a".to_string()
    }
}

fn prob(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}")
    }
}

fn explain(
    verdict: Verdict,
    e: &ErrorTest,
    l: Option<&LatencyTest>,
    c: &CanaryConfig,
    smaller: usize,
) -> String {
    let mut s = String::new();
    let rates = format!(
        "new version {} errors ({} of {}), old version {} ({} of {})",
        pct(e.new_errors, e.new_requests),
        e.new_errors,
        e.new_requests,
        pct(e.old_errors, e.old_requests),
        e.old_errors,
        e.old_requests
    );
    let _ = write!(s, "{}: ", verdict.as_str());
    match e.verdict {
        Verdict::Fail => {
            let _ = write!(
                s,
                "errors regressed: {rates}; the likelihood ratio for \"the new version's odds of failing are {}× the old's\" reached {:.1} (threshold {:.1} = 1/α, α = {}).",
                c.error_odds_ratio,
                e.llr.exp(),
                e.upper.exp(),
                c.alpha_errors
            );
        }
        Verdict::Pass => {
            let _ = write!(
                s,
                "no error regression: {rates}; the likelihood ratio fell to {:.2} (≤ β = {}).",
                e.llr.exp(),
                c.beta_errors
            );
        }
        Verdict::Continue => {
            let _ = write!(
                s,
                "errors undecided: {rates}; likelihood ratio {:.2} (fail at {:.1}, pass at {}).",
                e.llr.exp(),
                e.upper.exp(),
                c.beta_errors
            );
        }
    }
    match l {
        None => {
            let _ = write!(
                s,
                " Latency: waiting for {} durations from each version ({} so far).",
                c.latency_min_samples, smaller
            );
        }
        Some(l) => {
            let what = match l.verdict {
                Verdict::Fail => "regressed",
                _ => "no regression",
            };
            let _ = write!(
                s,
                " Latency {what}: median {:.1} ms new against {:.1} ms old; Mann-Whitney of the new durations ÷ {} against the old: z = {:.2}, one-sided p = {} at look {} (level {}), {} new and {} old durations.",
                l.new_median,
                l.old_median,
                c.latency_ratio,
                l.z,
                prob(l.p_value),
                l.looks,
                prob(l.alpha_at_look),
                l.new_samples,
                l.old_samples
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_and_normal_tail() {
        assert!((ln_gamma(1.0)).abs() < 1e-12);
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        assert!((ln_gamma(101.0) - 363.739_375_555_563_5).abs() < 1e-9);
        assert!((normal_sf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_sf(1.959_964) - 0.025).abs() < 1e-6);
        assert!((normal_sf(-1.644_854) - 0.95).abs() < 1e-6);
    }

    #[test]
    fn stratum_likelihood_ratio() {
        // One error, one request each way: under H0 it is the new
        // version's with probability 1/2; under H1 (psi = 2) 2/3.
        assert!((stratum_llr(1, 1, 1, 1, 2.0) - (4.0f64 / 3.0).ln()).abs() < 1e-12);
        assert!((stratum_llr(1, 1, 1, 0, 2.0) - (2.0f64 / 3.0).ln()).abs() < 1e-12);
        // No information: no errors, or one version without traffic.
        assert_eq!(stratum_llr(10, 0, 3, 0, 2.0), 0.0);
        assert_eq!(stratum_llr(10, 10, 0, 0, 2.0), 0.0);
        // Mean of the likelihood ratio under H0 is 1 (what makes it a martingale).
        let (n_old, n_new, k) = (30u64, 7u64, 5u64);
        let mut mean = 0.0;
        for x in 0..=k {
            let h = (ln_choose(n_new as f64, x as f64) + ln_choose(n_old as f64, (k - x) as f64)
                - ln_choose(37.0, 5.0))
            .exp();
            mean += h * stratum_llr(n_old, n_new, k, x, 3.0).exp();
        }
        assert!((mean - 1.0).abs() < 1e-9, "{mean}");
    }

    #[test]
    fn mann_whitney_matches_a_worked_example() {
        // All new values above all old ones: U = n1 * n2.
        let (u, z, p) = mann_whitney(&[1.0, 2.0, 3.0, 4.0], &[5.0, 6.0, 7.0, 8.0]);
        assert_eq!(u, 16.0);
        assert!(z > 2.0 && p < 0.02, "{z} {p}");
        let (u, z, _) = mann_whitney(&[5.0, 6.0, 7.0, 8.0], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(u, 0.0);
        assert!(z < -2.0);
        // Ties share ranks.
        let (u, _, p) = mann_whitney(&[1.0, 1.0], &[1.0, 1.0]);
        assert_eq!(u, 2.0);
        assert_eq!(p, 1.0);
    }

    #[test]
    fn explanation_reads_well() {
        let mut judge =
            CanaryJudge::new(CanaryConfig::default(), "f", "live", "1", "2", Timestamp(0));
        let strata: Vec<Stratum> = (0..10)
            .map(|_| Stratum {
                old_requests: 9.0,
                old_errors: 0.0,
                new_requests: 1.0,
                new_errors: 1.0,
            })
            .collect();
        let j = judge.judge_data(&strata, &[], &[]);
        assert_eq!(j.verdict, Verdict::Fail);
        assert!(j.explanation.starts_with("Fail: errors regressed: new version 100.0% errors (10 of 10), old version 0.0% (0 of 90)"), "{}", j.explanation);
        // Fail is final.
        assert_eq!(judge.judge_data(&[], &[], &[]).verdict, Verdict::Fail);
    }
}
