//! Lambda's own metrics: what one invocation adds to `AWS/Lambda`.
//!
//! Every invocation that runs adds, as Lambda does:
//!
//! | metric | value | unit |
//! |---|---|---|
//! | `Invocations` | 1 | Count |
//! | `Errors` | 1 if it failed (function error, crash, timeout), else 0 | Count |
//! | `Duration` | its duration in milliseconds (handler time, no init) | Milliseconds |
//!
//! and a throttled request adds `Throttles` = 1 (Count) and nothing else.
//! Each goes to every dimension set Lambda publishes:
//!
//! - no dimension (the account's total);
//! - `FunctionName`;
//! - `FunctionName` + `Resource` when the call named a qualifier
//!   (`Resource` = `name:alias` or `name:version`);
//! - `FunctionName` + `Resource` + `ExecutedVersion` when the qualifier was
//!   an alias (the version that alias routed the request to), which is what
//!   a CodeDeploy rollback alarm watches.
//!
//! Since `Errors` is 0 or 1 on every invocation, its `Average` is the error
//! rate, as on AWS. Lambda has no cold-start metric (it writes the init
//! duration in the `REPORT` log line); Lockgate adds `ColdStarts` (0 or 1
//! per invocation) in its own namespace `Lockgate/Lambda`, with the same
//! dimension sets.

use crate::key::MetricKey;
use crate::store::{MetricHandle, MetricStore, StoreError};
use crate::time::Timestamp;
use crate::unit::Unit;

/// Lambda's namespace.
pub const NAMESPACE: &str = "AWS/Lambda";
/// Lockgate's namespace for what Lambda does not publish (cold starts).
pub const LOCKGATE_NAMESPACE: &str = "Lockgate/Lambda";

/// What happened to one invocation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Invocation<'a> {
    /// The function's name.
    pub function_name: &'a str,
    /// The qualifier the caller used (an alias name, or a version), if any.
    pub qualifier: Option<&'a str>,
    /// The version that ran (`$LATEST`, `3`).
    pub executed_version: &'a str,
    /// The outcome.
    pub outcome: Outcome,
}

/// How one invocation ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Handler duration in milliseconds (init excluded, as Lambda's `Duration`).
    pub duration_ms: f64,
    /// Whether it failed (function error, runtime crash or timeout).
    pub error: bool,
    /// Whether it was throttled (then it did not run).
    pub throttled: bool,
    /// Whether it started a new execution environment.
    pub cold: bool,
}

/// Whether a qualifier names an alias rather than a version (`$LATEST` or
/// digits are versions).
pub fn is_alias(qualifier: &str) -> bool {
    qualifier != "$LATEST" && !qualifier.chars().all(|c| c.is_ascii_digit())
}

/// The dimension sets an invocation's metrics go to, each as a key of
/// metric `name` in `namespace`.
pub fn keys(
    namespace: &str,
    name: &str,
    function_name: &str,
    qualifier: Option<&str>,
    executed_version: &str,
) -> Vec<MetricKey> {
    let mut keys = vec![
        MetricKey::new(namespace, name),
        MetricKey::new(namespace, name).with_dimension("FunctionName", function_name),
    ];
    if let Some(q) = qualifier {
        let resource = MetricKey::new(namespace, name)
            .with_dimension("FunctionName", function_name)
            .with_dimension("Resource", format!("{function_name}:{q}"));
        if is_alias(q) {
            keys.push(
                resource
                    .clone()
                    .with_dimension("ExecutedVersion", executed_version),
            );
        }
        keys.push(resource);
    }
    keys
}

/// The datapoints one invocation adds: (metric, value, unit). Allocates;
/// the hot path uses an [`InvocationRecorder`].
pub fn invocation_datapoints(inv: &Invocation<'_>) -> Vec<(MetricKey, f64, Unit)> {
    let o = &inv.outcome;
    let mut out = Vec::new();
    let mut add = |ns: &str, name: &str, value: f64, unit: Unit| {
        for k in keys(
            ns,
            name,
            inv.function_name,
            inv.qualifier,
            inv.executed_version,
        ) {
            out.push((k, value, unit));
        }
    };
    if o.throttled {
        add(NAMESPACE, "Throttles", 1.0, Unit::Count);
        return out;
    }
    add(NAMESPACE, "Invocations", 1.0, Unit::Count);
    add(
        NAMESPACE,
        "Errors",
        if o.error { 1.0 } else { 0.0 },
        Unit::Count,
    );
    add(NAMESPACE, "Duration", o.duration_ms, Unit::Milliseconds);
    add(
        LOCKGATE_NAMESPACE,
        "ColdStarts",
        if o.cold { 1.0 } else { 0.0 },
        Unit::Count,
    );
    out
}

/// Records one invocation (allocates its keys: for occasional use; the
/// invocation path should keep an [`InvocationRecorder`]).
pub fn record_invocation(
    store: &MetricStore,
    inv: &Invocation<'_>,
    at: Timestamp,
) -> Result<(), StoreError> {
    for (key, value, unit) in invocation_datapoints(inv) {
        store
            .handle(&key)?
            .put(&crate::store::Datum::Value(value), unit, at)?;
    }
    Ok(())
}

/// Pre-resolved handles for one (function, qualifier, executed version):
/// recording an invocation is then a few short mutex sections, no lookup
/// and no allocation. Build one per function version and route (e.g. when
/// the function or the alias's routing is set up) and keep it.
#[derive(Debug, Clone)]
pub struct InvocationRecorder {
    invocations: Vec<MetricHandle>,
    errors: Vec<MetricHandle>,
    duration: Vec<MetricHandle>,
    throttles: Vec<MetricHandle>,
    cold: Vec<MetricHandle>,
}

impl InvocationRecorder {
    /// Resolves the handles of every dimension set.
    pub fn new(
        store: &MetricStore,
        function_name: &str,
        qualifier: Option<&str>,
        executed_version: &str,
    ) -> Result<Self, StoreError> {
        let resolve = |ns: &str, name: &str, unit: Unit| -> Result<Vec<MetricHandle>, StoreError> {
            keys(ns, name, function_name, qualifier, executed_version)
                .iter()
                .map(|k| {
                    let h = store.handle(k)?;
                    // Set the unit once; `record` keeps it.
                    if h.unit() != unit {
                        h.set_unit(unit);
                    }
                    Ok(h)
                })
                .collect()
        };
        Ok(InvocationRecorder {
            invocations: resolve(NAMESPACE, "Invocations", Unit::Count)?,
            errors: resolve(NAMESPACE, "Errors", Unit::Count)?,
            duration: resolve(NAMESPACE, "Duration", Unit::Milliseconds)?,
            throttles: resolve(NAMESPACE, "Throttles", Unit::Count)?,
            cold: resolve(LOCKGATE_NAMESPACE, "ColdStarts", Unit::Count)?,
        })
    }

    /// Records one invocation's outcome at `at`. A non-finite duration is
    /// recorded as 0 (the store refuses it; an invocation still happened).
    pub fn record(&self, outcome: &Outcome, at: Timestamp) {
        // Values are finite by construction (0, 1 or a checked duration),
        // so the store cannot refuse them: ignoring the results is right.
        if outcome.throttled {
            for h in &self.throttles {
                let _ = h.record(1.0, at);
            }
            return;
        }
        let duration = if outcome.duration_ms.is_finite() {
            outcome.duration_ms
        } else {
            0.0
        };
        let error = if outcome.error { 1.0 } else { 0.0 };
        let cold = if outcome.cold { 1.0 } else { 0.0 };
        for i in 0..self.invocations.len() {
            let _ = self.invocations[i].record(1.0, at);
            let _ = self.errors[i].record(error, at);
            let _ = self.duration[i].record(duration, at);
            let _ = self.cold[i].record(cold, at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::{Alarm, AlarmDefinition, AlarmStateValue};
    use crate::store::StoreConfig;
    use serde_json::json;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn dimension_sets_match_lambdas() {
        let ks: Vec<String> = keys(NAMESPACE, "Errors", "f", Some("live"), "3")
            .iter()
            .map(|k| k.to_string())
            .collect();
        assert_eq!(
            ks,
            [
                "AWS/Lambda/Errors",
                "AWS/Lambda/Errors {FunctionName=f}",
                "AWS/Lambda/Errors {ExecutedVersion=3, FunctionName=f, Resource=f:live}",
                "AWS/Lambda/Errors {FunctionName=f, Resource=f:live}",
            ]
        );
        assert_eq!(keys(NAMESPACE, "Errors", "f", Some("3"), "3").len(), 3);
        assert_eq!(keys(NAMESPACE, "Errors", "f", None, "$LATEST").len(), 2);
        assert!(!is_alias("$LATEST") && !is_alias("12") && is_alias("live"));
    }

    #[test]
    fn datapoints_of_one_invocation() {
        let inv = Invocation {
            function_name: "f",
            qualifier: None,
            executed_version: "$LATEST",
            outcome: Outcome {
                duration_ms: 12.5,
                error: true,
                throttled: false,
                cold: true,
            },
        };
        let d = invocation_datapoints(&inv);
        let of = |name: &str| {
            d.iter()
                .filter(|(k, ..)| k.name() == name)
                .map(|(_, v, u)| (*v, *u))
                .collect::<Vec<_>>()
        };
        assert_eq!(of("Invocations"), vec![(1.0, Unit::Count); 2]);
        assert_eq!(of("Errors"), vec![(1.0, Unit::Count); 2]);
        assert_eq!(of("Duration"), vec![(12.5, Unit::Milliseconds); 2]);
        assert_eq!(of("ColdStarts"), vec![(1.0, Unit::Count); 2]);
        assert!(of("Throttles").is_empty());
        let throttled = Invocation {
            outcome: Outcome {
                throttled: true,
                ..inv.outcome
            },
            ..inv
        };
        let d = invocation_datapoints(&throttled);
        assert!(
            d.iter()
                .all(|(k, v, _)| k.name() == "Throttles" && *v == 1.0)
        );
    }

    /// The SAM documentation's rollback alarm: errors of the new version
    /// behind the alias, as CodeDeploy watches it.
    #[test]
    fn a_rollback_alarm_sees_the_new_versions_errors_only() {
        let store = MetricStore::new(StoreConfig::default());
        let old = InvocationRecorder::new(&store, "f", Some("live"), "2").unwrap();
        let new = InvocationRecorder::new(&store, "f", Some("live"), "3").unwrap();
        let ok = Outcome {
            duration_ms: 5.0,
            error: false,
            throttled: false,
            cold: false,
        };
        let bad = Outcome { error: true, ..ok };
        for i in 0..20 {
            let at = t("2026-12-02T10:00:05Z").plus_micros(i * 1000);
            old.record(&bad, at); // the old version's errors must not count
            new.record(&ok, at);
        }
        let def = AlarmDefinition::from_cfn_properties(
            "new-version-errors",
            &json!({
                "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 2, "DatapointsToAlarm": 1, "MetricName": "Errors",
                "Namespace": "AWS/Lambda", "Period": 60, "Statistic": "Sum", "Threshold": 0,
                "Dimensions": [{"Name": "Resource", "Value": "f:live"}, {"Name": "FunctionName", "Value": "f"}, {"Name": "ExecutedVersion", "Value": "3"}],
            }),
        )
        .unwrap();
        let mut alarm = Alarm::new(def, t("2026-12-02T10:00:00Z"));
        assert_eq!(
            alarm
                .evaluate(&store, t("2026-12-02T10:01:00Z"))
                .unwrap()
                .new
                .value,
            AlarmStateValue::Ok
        );
        new.record(&bad, t("2026-12-02T10:01:30Z"));
        let c = alarm.evaluate(&store, t("2026-12-02T10:02:00Z")).unwrap();
        assert_eq!(c.new.value, AlarmStateValue::Alarm);
        assert!(c.new.reason.starts_with("Threshold Crossed: 1 out of the last 2 datapoints [1.0 (02/12/26 10:01:00)] was greater than the threshold (0.0)"), "{}", c.new.reason);
        // The per-alias total sees both versions.
        let all = store
            .get(
                &MetricKey::new(NAMESPACE, "Invocations")
                    .with_dimension("FunctionName", "f")
                    .with_dimension("Resource", "f:live"),
            )
            .unwrap();
        assert_eq!(
            all.aggregate(t("2026-12-02T10:00:00Z"), t("2026-12-02T10:02:00Z"), false)
                .sum,
            41.0
        );
        assert_eq!(all.unit(), Unit::Count);
        // record_invocation agrees with the recorder.
        record_invocation(
            &store,
            &Invocation {
                function_name: "g",
                qualifier: Some("live"),
                executed_version: "1",
                outcome: ok,
            },
            t("2026-12-02T10:00:05Z"),
        )
        .unwrap();
        let g = store
            .get(&MetricKey::new(NAMESPACE, "Duration").with_dimension("FunctionName", "g"))
            .unwrap();
        assert_eq!(g.unit(), Unit::Milliseconds);
    }
}
