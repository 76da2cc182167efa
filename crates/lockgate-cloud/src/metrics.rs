//! In-memory metrics per function version: counts and duration percentiles.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

/// How many recent durations each function keeps for percentiles.
const DURATION_WINDOW: usize = 10_000;

/// A snapshot of one function version's metrics.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FunctionMetrics {
    /// Invocations that ran (successful or not).
    pub invocations: u64,
    /// Invocations that ended in a function or runtime error (timeouts included).
    pub errors: u64,
    /// Invocations refused because the concurrency limit was reached.
    pub throttles: u64,
    /// Invocations that had to start a new instance.
    pub cold_starts: u64,
    /// Median duration in milliseconds over the recent window.
    pub p50_ms: Option<f64>,
    /// 90th percentile duration in milliseconds.
    pub p90_ms: Option<f64>,
    /// 99th percentile duration in milliseconds.
    pub p99_ms: Option<f64>,
    /// Longest duration in the recent window.
    pub max_ms: Option<f64>,
}

#[derive(Debug, Default)]
struct Counters {
    invocations: u64,
    errors: u64,
    throttles: u64,
    cold_starts: u64,
    durations: VecDeque<f64>,
}

impl Counters {
    fn count(&mut self, event: Event) {
        match event {
            Event::Invoked {
                duration_ms,
                error,
                cold,
            } => {
                self.invocations += 1;
                self.errors += u64::from(error);
                self.cold_starts += u64::from(cold);
                if self.durations.len() == DURATION_WINDOW {
                    self.durations.pop_front();
                }
                self.durations.push_back(duration_ms);
            }
            Event::Throttled => self.throttles += 1,
        }
    }
}

/// The counters of one key, held by the function version they count, so
/// that counting an invocation takes neither a lookup nor a lock shared
/// with every other function ([`Metrics::cell`]).
#[derive(Debug, Default)]
pub struct MetricsCell(Mutex<Counters>);

impl MetricsCell {
    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Sees every invocation as it ends: the server feeds its CloudWatch-style
/// metric store from it (what alarms and canary judgements read).
pub trait InvocationObserver: Send + Sync {
    /// `function` version `version` was invoked as `qualifier` (the alias
    /// or version the caller named, `None` for the unqualified function).
    fn observe(&self, function: &str, version: &str, qualifier: Option<&str>, event: Event);
}

/// Metrics of every function version, keyed by `name:version`.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<BTreeMap<String, Arc<MetricsCell>>>,
    observer: std::sync::OnceLock<std::sync::Arc<dyn InvocationObserver>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("observed", &self.observer.get().is_some())
            .finish_non_exhaustive()
    }
}

/// What happened to one invocation, for [`Metrics::record`].
#[derive(Debug, Clone, Copy)]
pub enum Event {
    /// An invocation finished after `duration_ms`.
    Invoked {
        /// Duration in milliseconds.
        duration_ms: f64,
        /// Whether it failed.
        error: bool,
        /// Whether it started a new instance.
        cold: bool,
    },
    /// An invocation was throttled.
    Throttled,
}

impl Metrics {
    /// Lets `observer` see every invocation from now on (once: answers
    /// false when one is set already).
    pub fn set_observer(&self, observer: std::sync::Arc<dyn InvocationObserver>) -> bool {
        self.observer.set(observer).is_ok()
    }

    /// The counters of `key` (`name:version`), made at first use.
    pub fn cell(&self, key: &str) -> Arc<MetricsCell> {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(key) {
            Some(c) => c.clone(),
            None => map.entry(key.to_string()).or_default().clone(),
        }
    }

    /// Counts one invocation of `function` version `version`, invoked as
    /// `qualifier`, in `cell` (its key's, [`Metrics::cell`]), and shows it
    /// to the observer.
    pub fn record_invocation(
        &self,
        cell: &MetricsCell,
        (function, version, qualifier): (&str, &str, Option<&str>),
        event: Event,
    ) {
        cell.lock().count(event);
        if let Some(o) = self.observer.get() {
            o.observe(function, version, qualifier, event);
        }
    }

    /// Counts one event for `key` (`name:version`).
    pub fn record(&self, key: &str, event: Event) {
        self.cell(key).lock().count(event);
    }

    /// A snapshot of one key's metrics (zeros if never seen).
    pub fn get(&self, key: &str) -> FunctionMetrics {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .map(|c| snapshot(&c.lock()))
            .unwrap_or_default()
    }

    /// Snapshots of every key that counted something.
    pub fn all(&self) -> BTreeMap<String, FunctionMetrics> {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.iter()
            .map(|(k, c)| (k, c.lock()))
            // A function's cell is made with the function: a key that has
            // counted nothing yet is not listed.
            .filter(|(_, c)| c.invocations + c.throttles > 0)
            .map(|(k, c)| (k.clone(), snapshot(&c)))
            .collect()
    }
}

fn snapshot(c: &Counters) -> FunctionMetrics {
    let mut sorted: Vec<f64> = c.durations.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    FunctionMetrics {
        invocations: c.invocations,
        errors: c.errors,
        throttles: c.throttles,
        cold_starts: c.cold_starts,
        p50_ms: percentile(&sorted, 50.0),
        p90_ms: percentile(&sorted, 90.0),
        p99_ms: percentile(&sorted, 99.0),
        max_ms: sorted.last().copied(),
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_percentiles() {
        let m = Metrics::default();
        for i in 1..=100 {
            m.record(
                "f:$LATEST",
                Event::Invoked {
                    duration_ms: i as f64,
                    error: i % 10 == 0,
                    cold: i == 1,
                },
            );
        }
        m.record("f:$LATEST", Event::Throttled);
        let s = m.get("f:$LATEST");
        assert_eq!(
            (s.invocations, s.errors, s.throttles, s.cold_starts),
            (100, 10, 1, 1)
        );
        assert_eq!(s.p50_ms, Some(50.0));
        assert_eq!(s.p99_ms, Some(99.0));
        assert_eq!(s.max_ms, Some(100.0));
        assert_eq!(m.get("other"), FunctionMetrics::default());
    }
}
