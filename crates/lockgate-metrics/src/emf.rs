//! Embedded Metric Format: metrics written as JSON log lines (what
//! Powertools for AWS Lambda's `Metrics` and the `aws-embedded-metrics`
//! libraries print), turned into datapoints.
//!
//! A line is EMF when it is a JSON object with an `_aws` member. Lines that
//! cannot be (they do not start with `{` or do not contain `"_aws"`) are
//! rejected by a byte search before any JSON parsing, so ordinary log lines
//! cost next to nothing. A line that is EMF but breaks the specification
//! gives an [`EmfError`] naming the member at fault; nothing panics.
//!
//! What is read (the EMF specification):
//! `_aws.Timestamp` (milliseconds since the epoch, required);
//! `_aws.CloudWatchMetrics`, a list of directives, each with `Namespace`,
//! `Dimensions` (a list of dimension sets, each a list of member names;
//! an empty set gives a metric without dimensions) and `Metrics` (a list of
//! `{Name, Unit?, StorageResolution?}`). Each metric's values are the
//! root member of its name (a number or a list of up to 100 numbers); each
//! dimension's value is the root member of its name (a string). Every
//! metric goes to every dimension set of its directive.

use serde_json::{Map, Value};

use crate::key::MetricKey;
use crate::store::{Datum, MetricStore, StoreError};
use crate::time::Timestamp;
use crate::unit::Unit;

/// One metric of one dimension set of an EMF line.
#[derive(Debug, Clone, PartialEq)]
pub struct EmfDatum {
    /// The metric.
    pub key: MetricKey,
    /// Its values (one or more).
    pub values: Vec<f64>,
    /// Its unit (`None` when not given).
    pub unit: Unit,
    /// 1 (high resolution) or 60.
    pub storage_resolution: u32,
    /// `_aws.Timestamp`.
    pub timestamp: Timestamp,
}

/// Why an EMF line was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmfError {
    /// The line has the EMF marker but is not a JSON object.
    #[error("EMF line is not valid JSON: {0}")]
    Json(String),
    /// A member breaks the EMF specification.
    #[error("EMF line: {member}: {message}")]
    Invalid {
        /// The member (`_aws.CloudWatchMetrics[0].Namespace`).
        member: String,
        /// What was expected.
        message: String,
    },
}

fn invalid(member: impl Into<String>, message: impl Into<String>) -> EmfError {
    EmfError::Invalid {
        member: member.into(),
        message: message.into(),
    }
}

/// Whether a line may be EMF: a cheap test that needs no JSON parsing.
pub fn is_candidate(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('{') && t.contains("\"_aws\"")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Parses one log line: `Ok(None)` when it is not EMF, the datapoints when
/// it is, an error when it is EMF but invalid.
pub fn parse_line(line: &str) -> Result<Option<Vec<EmfDatum>>, EmfError> {
    if !is_candidate(line) {
        return Ok(None);
    }
    let root: Value =
        serde_json::from_str(line.trim()).map_err(|e| EmfError::Json(e.to_string()))?;
    let Value::Object(root) = root else {
        return Err(EmfError::Json("not an object".into()));
    };
    let Some(aws) = root.get("_aws") else {
        // "_aws" appeared inside a string, not as a member: not EMF.
        return Ok(None);
    };
    let Value::Object(aws) = aws else {
        return Err(invalid(
            "_aws",
            format!("expected an object, got {}", kind(aws)),
        ));
    };
    let ts = aws
        .get("Timestamp")
        .ok_or_else(|| invalid("_aws.Timestamp", "is required"))?;
    let timestamp = ts
        .as_f64()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|ms| Timestamp((ms * 1000.0).round() as i64))
        .ok_or_else(|| {
            invalid(
                "_aws.Timestamp",
                format!("expected milliseconds since the epoch, got {ts}"),
            )
        })?;
    let directives = match aws.get("CloudWatchMetrics") {
        Some(Value::Array(d)) => d,
        Some(v) => {
            return Err(invalid(
                "_aws.CloudWatchMetrics",
                format!("expected a list, got {}", kind(v)),
            ));
        }
        None => return Err(invalid("_aws.CloudWatchMetrics", "is required")),
    };
    let mut out = Vec::new();
    for (i, d) in directives.iter().enumerate() {
        let at = format!("_aws.CloudWatchMetrics[{i}]");
        let Value::Object(d) = d else {
            return Err(invalid(at, format!("expected an object, got {}", kind(d))));
        };
        directive(&root, d, &at, timestamp, &mut out)?;
    }
    Ok(Some(out))
}

fn directive(
    root: &Map<String, Value>,
    d: &Map<String, Value>,
    at: &str,
    timestamp: Timestamp,
    out: &mut Vec<EmfDatum>,
) -> Result<(), EmfError> {
    let namespace = match d.get("Namespace") {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 255 => s.clone(),
        Some(v) => {
            return Err(invalid(
                format!("{at}.Namespace"),
                format!("expected a non-empty string of at most 255 characters, got {v}"),
            ));
        }
        None => return Err(invalid(format!("{at}.Namespace"), "is required")),
    };
    let sets = match d.get("Dimensions") {
        Some(Value::Array(s)) => s,
        Some(v) => {
            return Err(invalid(
                format!("{at}.Dimensions"),
                format!("expected a list of dimension sets, got {}", kind(v)),
            ));
        }
        None => return Err(invalid(format!("{at}.Dimensions"), "is required")),
    };
    let mut dim_sets: Vec<Vec<(String, String)>> = Vec::new();
    for (j, set) in sets.iter().enumerate() {
        let sat = format!("{at}.Dimensions[{j}]");
        let Value::Array(names) = set else {
            return Err(invalid(
                sat,
                format!("expected a list of member names, got {}", kind(set)),
            ));
        };
        if names.len() > 30 {
            return Err(invalid(
                sat,
                format!(
                    "a dimension set has at most 30 dimensions, got {}",
                    names.len()
                ),
            ));
        }
        let mut dims = Vec::new();
        for (k, n) in names.iter().enumerate() {
            let Value::String(n) = n else {
                return Err(invalid(
                    format!("{sat}[{k}]"),
                    format!("expected a member name, got {}", kind(n)),
                ));
            };
            let value = match root.get(n) {
                Some(Value::String(v)) => v.clone(),
                Some(v) => {
                    return Err(invalid(
                        n.clone(),
                        format!("dimension value must be a string, got {}", kind(v)),
                    ));
                }
                None => {
                    return Err(invalid(
                        n.clone(),
                        format!("dimension {n:?} named in {sat} has no value in the line"),
                    ));
                }
            };
            dims.push((n.clone(), value));
        }
        dim_sets.push(dims);
    }
    let metrics = match d.get("Metrics") {
        Some(Value::Array(m)) => m,
        Some(v) => {
            return Err(invalid(
                format!("{at}.Metrics"),
                format!("expected a list, got {}", kind(v)),
            ));
        }
        None => return Err(invalid(format!("{at}.Metrics"), "is required")),
    };
    if metrics.len() > 100 {
        return Err(invalid(
            format!("{at}.Metrics"),
            format!("a directive has at most 100 metrics, got {}", metrics.len()),
        ));
    }
    for (j, m) in metrics.iter().enumerate() {
        let mat = format!("{at}.Metrics[{j}]");
        let Value::Object(m) = m else {
            return Err(invalid(mat, format!("expected an object, got {}", kind(m))));
        };
        let name = match m.get("Name") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(v) => {
                return Err(invalid(
                    format!("{mat}.Name"),
                    format!("expected a metric name, got {v}"),
                ));
            }
            None => return Err(invalid(format!("{mat}.Name"), "is required")),
        };
        let unit = match m.get("Unit") {
            None | Some(Value::Null) => Unit::None,
            Some(Value::String(s)) => Unit::parse(s).ok_or_else(|| {
                invalid(
                    format!("{mat}.Unit"),
                    format!("{s:?} is not a CloudWatch unit"),
                )
            })?,
            Some(v) => {
                return Err(invalid(
                    format!("{mat}.Unit"),
                    format!("expected a unit name, got {}", kind(v)),
                ));
            }
        };
        let storage_resolution = match m.get("StorageResolution") {
            None | Some(Value::Null) => 60,
            Some(v) => match v.as_u64() {
                Some(r @ (1 | 60)) => r as u32,
                _ => {
                    return Err(invalid(
                        format!("{mat}.StorageResolution"),
                        format!("expected 1 or 60, got {v}"),
                    ));
                }
            },
        };
        let values = match root.get(&name) {
            Some(Value::Number(n)) => vec![n.as_f64().unwrap_or(f64::NAN)],
            Some(Value::Array(vs)) => {
                if vs.len() > 100 {
                    return Err(invalid(
                        name,
                        format!("at most 100 values, got {}", vs.len()),
                    ));
                }
                vs.iter()
                    .map(|v| {
                        v.as_f64().ok_or_else(|| {
                            invalid(
                                name.clone(),
                                format!("values must be numbers, got {}", kind(v)),
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?
            }
            Some(v) => {
                return Err(invalid(
                    name,
                    format!(
                        "metric value must be a number or a list of numbers, got {}",
                        kind(v)
                    ),
                ));
            }
            None => {
                return Err(invalid(
                    name.clone(),
                    format!("metric {name:?} declared in {mat} has no value in the line"),
                ));
            }
        };
        if values.iter().any(|v: &f64| !v.is_finite()) {
            return Err(invalid(name, "values must be finite numbers"));
        }
        for dims in &dim_sets {
            let mut key = MetricKey::new(namespace.clone(), name.clone());
            for (n, v) in dims {
                key.set_dimension(n.clone(), v.clone());
            }
            out.push(EmfDatum {
                key,
                values: values.clone(),
                unit,
                storage_resolution,
                timestamp,
            });
        }
    }
    Ok(())
}

/// Records the datapoints of a parsed line.
pub fn record(store: &MetricStore, data: &[EmfDatum]) -> Result<(), StoreError> {
    for d in data {
        let h = store.handle(&d.key)?;
        let datum = if d.values.len() == 1 {
            Datum::Value(d.values[0])
        } else {
            Datum::Values(d.values.iter().map(|v| (*v, 1.0)).collect())
        };
        h.put(&datum, d.unit, d.timestamp)?;
    }
    Ok(())
}

/// Parses a line and records it: `Ok(n)` with the number of datapoints
/// recorded (0 for a line that is not EMF).
pub fn ingest_line(store: &MetricStore, line: &str) -> Result<usize, IngestError> {
    match parse_line(line)? {
        None => Ok(0),
        Some(data) => {
            record(store, &data)?;
            Ok(data.len())
        }
    }
}

/// Why [`ingest_line`] failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IngestError {
    /// The line is invalid EMF.
    #[error(transparent)]
    Emf(#[from] EmfError),
    /// The store refused a datapoint.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Statistic;
    use crate::store::StoreConfig;

    const LINE: &str = r#"{"_aws":{"Timestamp":1796205605000,"CloudWatchMetrics":[{"Namespace":"Shop","Dimensions":[["service"],["service","route"],[]],"Metrics":[{"Name":"Orders","Unit":"Count"},{"Name":"Latency","Unit":"Milliseconds","StorageResolution":1}]}]},"service":"cart","route":"/buy","Orders":[1,2],"Latency":12.5,"requestId":"abc"}"#;

    #[test]
    fn parses_every_dimension_set() {
        let data = parse_line(LINE).unwrap().unwrap();
        assert_eq!(data.len(), 6);
        assert_eq!(data[0].key.to_string(), "Shop/Orders {service=cart}");
        assert_eq!(
            data[1].key.to_string(),
            "Shop/Orders {route=/buy, service=cart}"
        );
        assert_eq!(data[2].key.to_string(), "Shop/Orders");
        assert_eq!(data[0].values, vec![1.0, 2.0]);
        assert_eq!(data[3].unit, Unit::Milliseconds);
        assert_eq!(data[3].storage_resolution, 1);
        assert_eq!(data[0].timestamp, Timestamp::from_millis(1_796_205_605_000));
        let store = MetricStore::new(StoreConfig::default());
        assert_eq!(ingest_line(&store, LINE).unwrap(), 6);
        let h = store
            .get(&MetricKey::new("Shop", "Orders").with_dimension("service", "cart"))
            .unwrap();
        let a = h.aggregate(
            Timestamp::from_secs(1_796_205_600),
            Timestamp::from_secs(1_796_205_660),
            true,
        );
        assert_eq!((a.count, a.sum), (2.0, 3.0));
        assert_eq!(Statistic::Percentile(50.0).compute(&a), Some(1.0));
    }

    #[test]
    fn ignores_ordinary_lines_without_parsing() {
        for line in [
            "START RequestId: 1 Version: $LATEST",
            "",
            "{\"level\":\"INFO\",\"msg\":\"hi\"}",
            "2026-12-02\tINFO\t{\"_aws\": 1}",
            "{\"msg\":\"the \\\"_aws\\\" key\"}",
        ] {
            assert_eq!(parse_line(line), Ok(None), "{line}");
        }
        assert!(!is_candidate("{\"level\":\"INFO\"}"));
    }

    #[test]
    fn reports_malformed_emf() {
        let cases = [
            (r#"{"_aws": {"#, "not valid JSON"),
            (r#"{"_aws": 3}"#, "_aws: expected an object"),
            (
                r#"{"_aws": {"CloudWatchMetrics": []}}"#,
                "_aws.Timestamp: is required",
            ),
            (
                r#"{"_aws": {"Timestamp": "now", "CloudWatchMetrics": []}}"#,
                "_aws.Timestamp: expected milliseconds",
            ),
            (
                r#"{"_aws": {"Timestamp": 1}}"#,
                "_aws.CloudWatchMetrics: is required",
            ),
            (
                r#"{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Dimensions": [], "Metrics": []}]}}"#,
                "_aws.CloudWatchMetrics[0].Namespace: is required",
            ),
            (
                r#"{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [["svc"]], "Metrics": []}]}}"#,
                "svc: dimension \"svc\" named in _aws.CloudWatchMetrics[0].Dimensions[0] has no value",
            ),
            (
                r#"{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [["svc"]], "Metrics": []}]}, "svc": 3}"#,
                "svc: dimension value must be a string",
            ),
            (
                r#"{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [[]], "Metrics": [{"Name": "m"}]}]}}"#,
                "m: metric \"m\" declared in _aws.CloudWatchMetrics[0].Metrics[0] has no value",
            ),
            (
                r#"{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [[]], "Metrics": [{"Name": "m"}]}]}, "m": "x"}"#,
                "m: metric value must be a number",
            ),
            (
                r#"{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [[]], "Metrics": [{"Name": "m", "Unit": "ms"}]}]}, "m": 1}"#,
                "Metrics[0].Unit: \"ms\" is not a CloudWatch unit",
            ),
            (
                r#"{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [[]], "Metrics": [{"Name": "m", "StorageResolution": 5}]}]}, "m": 1}"#,
                "StorageResolution: expected 1 or 60",
            ),
            (
                r#"{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [[]], "Metrics": [{"Name": "m"}]}]}, "m": [1, null]}"#,
                "m: values must be numbers",
            ),
        ];
        for (line, want) in cases {
            let e = parse_line(line).unwrap_err().to_string();
            assert!(e.contains(want), "{line}\n  gave: {e}\n  want: {want}");
        }
    }
}
