//! A stage's metrics and alarms: every invocation of its functions and
//! every Embedded Metric Format line they log lands in its metric store,
//! with what its functions put through the CloudWatch API; its
//! `AWS::CloudWatch::Alarm` resources are evaluated on that store.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use lockgate_cloud::metrics::{Event, InvocationObserver};
use lockgate_metrics::lambda::{InvocationRecorder, Outcome};
use lockgate_metrics::{Alarm, AlarmDefinition, MetricStore, StoreConfig, TimeScale, Timestamp};
use serde_json::Value;

/// A stage's metric store and alarms.
pub struct StageMetrics {
    /// The metric store.
    pub store: Arc<MetricStore>,
    alarms: Mutex<BTreeMap<String, Alarm>>,
    /// Pre-resolved recorders by (function key, qualifier).
    recorders: RwLock<HashMap<(String, Option<String>), InvocationRecorder>>,
}

impl StageMetrics {
    /// An empty store whose periods run `scale` times faster.
    pub fn new(scale: f64) -> StageMetrics {
        let scale = TimeScale::new(scale).unwrap_or(TimeScale::REAL);
        StageMetrics {
            store: Arc::new(MetricStore::new(StoreConfig {
                scale,
                ..StoreConfig::default()
            })),
            alarms: Mutex::default(),
            recorders: RwLock::default(),
        }
    }

    /// Takes in one log line of a function: an Embedded Metric Format line
    /// becomes datapoints. Anything else costs a byte check.
    pub fn log_line(&self, function: &str, line: &str) {
        if let Err(e) = lockgate_metrics::emf::ingest_line(&self.store, line) {
            tracing::debug!("{function}: an Embedded Metric Format line was not taken: {e}");
        }
    }

    /// Makes the stage's alarms the ones `definitions` give (`(name,
    /// resolved properties)`), keeping the state of those that stay;
    /// answers the definitions that could not be read.
    pub fn set_alarms(&self, definitions: &[(String, Value)]) -> Vec<String> {
        let now = Timestamp::now();
        let mut warnings = Vec::new();
        let mut alarms = self.alarms.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = BTreeMap::new();
        for (name, props) in definitions {
            let def = match AlarmDefinition::from_cfn_properties(name, props) {
                Ok(d) => d,
                Err(e) => {
                    warnings.push(format!("alarm {name} is not evaluated: {e}"));
                    continue;
                }
            };
            let alarm = match alarms.remove(name) {
                Some(mut a) => {
                    if a.definition() != &def {
                        a.update_definition(def, now);
                    }
                    a
                }
                None => Alarm::new(def, now),
            };
            next.insert(name.clone(), alarm);
        }
        *alarms = next;
        warnings
    }

    /// Evaluates the named alarms at `now`; answers those in ALARM with
    /// their state reason, and the names that are not alarms of the stage.
    pub fn breaching(
        &self,
        names: &[String],
        now: Timestamp,
    ) -> (Vec<(String, String)>, Vec<String>) {
        let mut alarms = self.alarms.lock().unwrap_or_else(|e| e.into_inner());
        let mut breaching = Vec::new();
        let mut unknown = Vec::new();
        for name in names {
            let Some(alarm) = alarms.get_mut(name) else {
                unknown.push(name.clone());
                continue;
            };
            alarm.evaluate(&self.store, now);
            let state = alarm.state();
            if state.value == lockgate_metrics::AlarmStateValue::Alarm {
                breaching.push((name.clone(), state.reason.clone()));
            }
        }
        (breaching, unknown)
    }

    /// When the named alarms next have a complete period to evaluate.
    pub fn next_evaluation(&self, names: &[String], now: Timestamp) -> Option<Timestamp> {
        let alarms = self.alarms.lock().unwrap_or_else(|e| e.into_inner());
        names
            .iter()
            .filter_map(|n| alarms.get(n))
            .map(|a| a.next_evaluation(self.store.scale(), now))
            .min()
    }

    /// Every alarm, evaluated at `now` (for `DescribeAlarms`).
    pub fn alarms(&self, now: Timestamp) -> Vec<Alarm> {
        let mut alarms = self.alarms.lock().unwrap_or_else(|e| e.into_inner());
        alarms
            .values_mut()
            .map(|a| {
                a.evaluate(&self.store, now);
                a.clone()
            })
            .collect()
    }

    fn recorder(
        &self,
        function: &str,
        version: &str,
        qualifier: Option<&str>,
    ) -> Option<InvocationRecorder> {
        let key = (
            format!("{function}:{version}"),
            qualifier.map(str::to_string),
        );
        if let Some(r) = self
            .recorders
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Some(r.clone());
        }
        let r = InvocationRecorder::new(&self.store, function, qualifier, version).ok()?;
        self.recorders
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, r.clone());
        Some(r)
    }
}

impl InvocationObserver for StageMetrics {
    fn observe(&self, function: &str, version: &str, qualifier: Option<&str>, event: Event) {
        let outcome = match event {
            Event::Invoked {
                duration_ms,
                error,
                cold,
            } => Outcome {
                duration_ms,
                error,
                throttled: false,
                cold,
            },
            Event::Throttled => Outcome {
                duration_ms: 0.0,
                error: false,
                throttled: true,
                cold: false,
            },
        };
        // A store full of metrics refuses new ones; the invocation still ran.
        if let Some(r) = self.recorder(function, version, qualifier) {
            r.record(&outcome, Timestamp::now());
        }
    }
}
