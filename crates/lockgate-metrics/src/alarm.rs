//! Metric alarms, evaluated as CloudWatch evaluates them.
//!
//! An [`AlarmDefinition`] comes from the resolved properties of an
//! `AWS::CloudWatch::Alarm` ([`AlarmDefinition::from_cfn_properties`]). An
//! [`Alarm`] is a definition with its state (`OK`, `ALARM`,
//! `INSUFFICIENT_DATA`), state reason, reason data and history;
//! [`Alarm::evaluate`] looks at the store at a given instant and changes
//! the state when CloudWatch would.
//!
//! **Evaluation** (see `docs/metrics.md` for the full rules and the
//! tables they reproduce). At instant `now`, the datapoints are the
//! statistic over each complete period (aligned to multiples of the scaled
//! period) of the *evaluation range*: the `EvaluationPeriods + 2` periods
//! before the period `now` is in. Then:
//!
//! - at least `EvaluationPeriods` (N) real datapoints: the N most recent are
//!   evaluated, missing data plays no part; `ALARM` when at least
//!   `DatapointsToAlarm` (M) of them breach, else `OK`;
//! - fewer real datapoints than N: the `k` missing ones are filled as
//!   `TreatMissingData` says (`breaching`: breaching, `notBreaching`: not
//!   breaching; `missing` and `ignore`: not filled — no data at all gives
//!   `INSUFFICIENT_DATA` or keeps the state; M breaching real datapoints
//!   give `ALARM`; a non-breaching one gives `OK`; only breaching ones,
//!   fewer than M, give `INSUFFICIENT_DATA` (`missing`, unless the oldest
//!   of them lies before the last N periods, which gives `ALARM`) or keep
//!   the state (`ignore`)).
//!
//! Alarms on `AWS/DynamoDB` metrics always treat missing data as `ignore`,
//! as on AWS. Anomaly-detection operators and metric math expressions are
//! refused when the definition is parsed.

use std::collections::VecDeque;
use std::fmt;

use serde_json::{Map, Value, json};

use crate::key::MetricKey;
use crate::query::period_aggregate;
use crate::stats::Statistic;
use crate::store::MetricStore;
use crate::time::Timestamp;
use crate::unit::{self, Unit};

/// How many state changes an alarm keeps in its history.
pub const HISTORY_LIMIT: usize = 100;

/// How a datapoint is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparisonOperator {
    /// `GreaterThanOrEqualToThreshold`.
    GreaterThanOrEqualToThreshold,
    /// `GreaterThanThreshold`.
    GreaterThanThreshold,
    /// `LessThanThreshold`.
    LessThanThreshold,
    /// `LessThanOrEqualToThreshold`.
    LessThanOrEqualToThreshold,
}

impl ComparisonOperator {
    /// Parses the operator's name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "GreaterThanOrEqualToThreshold" => Self::GreaterThanOrEqualToThreshold,
            "GreaterThanThreshold" => Self::GreaterThanThreshold,
            "LessThanThreshold" => Self::LessThanThreshold,
            "LessThanOrEqualToThreshold" => Self::LessThanOrEqualToThreshold,
            _ => return None,
        })
    }

    /// The operator's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
            Self::GreaterThanThreshold => "GreaterThanThreshold",
            Self::LessThanThreshold => "LessThanThreshold",
            Self::LessThanOrEqualToThreshold => "LessThanOrEqualToThreshold",
        }
    }

    /// Whether `value` breaches `threshold`.
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::GreaterThanOrEqualToThreshold => value >= threshold,
            Self::GreaterThanThreshold => value > threshold,
            Self::LessThanThreshold => value < threshold,
            Self::LessThanOrEqualToThreshold => value <= threshold,
        }
    }

    /// The words CloudWatch's state reasons use (`greater than or equal to`).
    pub fn phrase(self) -> &'static str {
        match self {
            Self::GreaterThanOrEqualToThreshold => "greater than or equal to",
            Self::GreaterThanThreshold => "greater than",
            Self::LessThanThreshold => "less than",
            Self::LessThanOrEqualToThreshold => "less than or equal to",
        }
    }
}

/// What missing datapoints count as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TreatMissingData {
    /// `missing` (the default).
    #[default]
    Missing,
    /// `ignore`: keep the current state.
    Ignore,
    /// `breaching`.
    Breaching,
    /// `notBreaching`.
    NotBreaching,
}

impl TreatMissingData {
    /// Parses `missing`, `ignore`, `breaching`, `notBreaching`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "missing" => Self::Missing,
            "ignore" => Self::Ignore,
            "breaching" => Self::Breaching,
            "notBreaching" => Self::NotBreaching,
            _ => return None,
        })
    }

    /// The value's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Ignore => "ignore",
            Self::Breaching => "breaching",
            Self::NotBreaching => "notBreaching",
        }
    }
}

/// An alarm's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmStateValue {
    /// `OK`.
    Ok,
    /// `ALARM`.
    Alarm,
    /// `INSUFFICIENT_DATA`.
    InsufficientData,
}

impl AlarmStateValue {
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Alarm => "ALARM",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    /// Parses `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "OK" => Self::Ok,
            "ALARM" => Self::Alarm,
            "INSUFFICIENT_DATA" => Self::InsufficientData,
            _ => return None,
        })
    }
}

impl fmt::Display for AlarmStateValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `EvaluateLowSampleCountPercentile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LowSampleCount {
    /// `evaluate`: use the percentile however few samples it has.
    Evaluate,
    /// `ignore`: keep the state while a period has too few samples.
    Ignore,
}

/// A metric alarm's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmDefinition {
    /// `AlarmName`.
    pub name: String,
    /// `AlarmDescription`.
    pub description: Option<String>,
    /// `ActionsEnabled` (default true).
    pub actions_enabled: bool,
    /// `AlarmActions`.
    pub alarm_actions: Vec<String>,
    /// `OKActions`.
    pub ok_actions: Vec<String>,
    /// `InsufficientDataActions`.
    pub insufficient_data_actions: Vec<String>,
    /// The metric (`Namespace`, `MetricName`, `Dimensions`).
    pub metric: MetricKey,
    /// `Statistic` or `ExtendedStatistic`.
    pub statistic: Statistic,
    /// `Period`, in (scaled) seconds.
    pub period_secs: u32,
    /// `Unit`.
    pub unit: Option<Unit>,
    /// `EvaluationPeriods` (N).
    pub evaluation_periods: u32,
    /// `DatapointsToAlarm` (M; default N).
    pub datapoints_to_alarm: u32,
    /// `Threshold`.
    pub threshold: f64,
    /// `ComparisonOperator`.
    pub comparison: ComparisonOperator,
    /// `TreatMissingData`.
    pub treat_missing_data: TreatMissingData,
    /// `EvaluateLowSampleCountPercentile`.
    pub low_sample_count: Option<LowSampleCount>,
}

/// A property of an `AWS::CloudWatch::Alarm` that was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Properties.{property}: {message}")]
pub struct AlarmDefinitionError {
    /// The property's path (`Metrics[1].Expression`).
    pub property: String,
    /// What was expected and what was found.
    pub message: String,
}

fn perr(property: impl Into<String>, message: impl Into<String>) -> AlarmDefinitionError {
    AlarmDefinitionError {
        property: property.into(),
        message: message.into(),
    }
}

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 80 {
        format!("{}…", &s[..s.floor_char_boundary(80)])
    } else {
        s
    }
}

struct Props<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Props<'a> {
    fn path(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn string(&self, name: &str) -> Result<Option<String>, AlarmDefinitionError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(perr(
                self.path(name),
                format!("expected a string, got {}", show(v)),
            )),
        }
    }

    fn number(&self, name: &str) -> Result<Option<f64>, AlarmDefinitionError> {
        let bad = |v: &Value| {
            perr(
                self.path(name),
                format!("expected a number, got {}", show(v)),
            )
        };
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .filter(|f| f.is_finite())
                .map(Some)
                .ok_or_else(|| bad(&Value::Number(n.clone()))),
            // CloudFormation passes numbers written as strings as they are.
            Some(v @ Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Some)
                .ok_or_else(|| bad(v)),
            Some(v) => Err(bad(v)),
        }
    }

    fn positive_int(&self, name: &str) -> Result<Option<u32>, AlarmDefinitionError> {
        let Some(f) = self.number(name)? else {
            return Ok(None);
        };
        if f.fract() != 0.0 || f < 1.0 || f > f64::from(u32::MAX) {
            return Err(perr(
                self.path(name),
                format!(
                    "expected a positive whole number, got {}",
                    show(self.get(name).unwrap_or(&Value::Null))
                ),
            ));
        }
        Ok(Some(f as u32))
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>, AlarmDefinitionError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(perr(
                self.path(name),
                format!("expected true or false, got {}", show(v)),
            )),
        }
    }

    fn string_list(&self, name: &str) -> Result<Vec<String>, AlarmDefinitionError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    v => Err(perr(
                        format!("{}[{i}]", self.path(name)),
                        format!("expected a string, got {}", show(v)),
                    )),
                })
                .collect(),
            Some(v) => Err(perr(
                self.path(name),
                format!("expected a list of strings, got {}", show(v)),
            )),
        }
    }

    fn object(&self, name: &str) -> Result<Option<Props<'a>>, AlarmDefinitionError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Props {
                map,
                prefix: format!("{}.", self.path(name)),
            })),
            Some(v) => Err(perr(
                self.path(name),
                format!("expected an object, got {}", show(v)),
            )),
        }
    }
}

const ANOMALY_OPERATORS: &[&str] = &[
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];

fn dimensions(p: &Props<'_>, key: &mut MetricKey) -> Result<(), AlarmDefinitionError> {
    let Some(v) = p.get("Dimensions") else {
        return Ok(());
    };
    let Value::Array(items) = v else {
        return Err(perr(
            p.path("Dimensions"),
            format!("expected a list of {{Name, Value}}, got {}", show(v)),
        ));
    };
    if items.len() > 30 {
        return Err(perr(
            p.path("Dimensions"),
            format!("a metric has at most 30 dimensions, got {}", items.len()),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        let path = format!("{}[{i}]", p.path("Dimensions"));
        let Value::Object(map) = item else {
            return Err(perr(
                path,
                format!("expected {{Name, Value}}, got {}", show(item)),
            ));
        };
        let d = Props {
            map,
            prefix: format!("{path}."),
        };
        let name = d
            .string("Name")?
            .ok_or_else(|| perr(d.path("Name"), "is required"))?;
        let value = d
            .string("Value")?
            .ok_or_else(|| perr(d.path("Value"), "is required"))?;
        if key.dimension(&name).is_some() {
            return Err(perr(
                d.path("Name"),
                format!("dimension {name:?} is given twice"),
            ));
        }
        key.set_dimension(name, value);
    }
    Ok(())
}

fn unit_of(p: &Props<'_>, name: &str) -> Result<Option<Unit>, AlarmDefinitionError> {
    match p.string(name)? {
        None => Ok(None),
        Some(s) => Unit::parse(&s).map(Some).ok_or_else(|| {
            perr(
                p.path(name),
                format!(
                    "{s:?} is not a CloudWatch unit; expected one of {}",
                    unit::valid_names()
                ),
            )
        }),
    }
}

fn metric_of(p: &Props<'_>) -> Result<MetricKey, AlarmDefinitionError> {
    let ns = p
        .string("Namespace")?
        .ok_or_else(|| perr(p.path("Namespace"), "is required with MetricName"))?;
    let name = p
        .string("MetricName")?
        .ok_or_else(|| perr(p.path("MetricName"), "is required"))?;
    let mut key = MetricKey::new(ns, name);
    dimensions(p, &mut key)?;
    Ok(key)
}

fn alarm_period(p: &Props<'_>, name: &str) -> Result<u32, AlarmDefinitionError> {
    let period = p
        .positive_int(name)?
        .ok_or_else(|| perr(p.path(name), "is required"))?;
    if matches!(period, 10 | 20 | 30) || period.is_multiple_of(60) {
        Ok(period)
    } else {
        Err(perr(
            p.path(name),
            format!(
                "{period} is not a valid alarm period: expected 10, 20, 30 or a multiple of 60 seconds"
            ),
        ))
    }
}

impl AlarmDefinition {
    /// Parses the resolved `Properties` of an `AWS::CloudWatch::Alarm`, as
    /// CloudFormation passes them (numbers may be strings). `default_name`
    /// is the name to use when `AlarmName` is absent (CloudFormation
    /// generates one from the stack and logical ID). Errors name the
    /// property and say what was expected.
    pub fn from_cfn_properties(
        default_name: &str,
        props: &Value,
    ) -> Result<Self, AlarmDefinitionError> {
        let Value::Object(map) = props else {
            return Err(perr(
                "",
                format!(
                    "expected an object of alarm properties, got {}",
                    show(props)
                ),
            ));
        };
        let p = Props {
            map,
            prefix: String::new(),
        };
        let op_name = p
            .string("ComparisonOperator")?
            .ok_or_else(|| perr("ComparisonOperator", "is required"))?;
        if ANOMALY_OPERATORS.contains(&op_name.as_str()) {
            return Err(perr(
                "ComparisonOperator",
                format!(
                    "{op_name} compares with an anomaly detection band, which Lockgate's local alarms do not support (no anomaly detection model runs locally); use a static threshold with GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold"
                ),
            ));
        }
        let comparison = ComparisonOperator::parse(&op_name).ok_or_else(|| {
            perr("ComparisonOperator", format!("{op_name:?} is not valid: expected GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold"))
        })?;
        if p.get("ThresholdMetricId").is_some() {
            return Err(perr(
                "ThresholdMetricId",
                "anomaly detection thresholds are not supported by Lockgate's local alarms; set Threshold instead",
            ));
        }
        let threshold = p
            .number("Threshold")?
            .ok_or_else(|| perr("Threshold", "is required"))?;
        let evaluation_periods = p
            .positive_int("EvaluationPeriods")?
            .ok_or_else(|| perr("EvaluationPeriods", "is required"))?;
        let datapoints_to_alarm = p
            .positive_int("DatapointsToAlarm")?
            .unwrap_or(evaluation_periods);
        if datapoints_to_alarm > evaluation_periods {
            return Err(perr(
                "DatapointsToAlarm",
                format!(
                    "{datapoints_to_alarm} is more than EvaluationPeriods ({evaluation_periods})"
                ),
            ));
        }
        let treat_missing_data = match p.string("TreatMissingData")? {
            None => TreatMissingData::Missing,
            Some(s) => TreatMissingData::parse(&s).ok_or_else(|| {
                perr(
                    "TreatMissingData",
                    format!(
                        "{s:?} is not valid: expected breaching, notBreaching, ignore or missing"
                    ),
                )
            })?,
        };

        let (metric, statistic, period_secs, unit, stat_prop) = if let Some(metrics) =
            p.get("Metrics")
        {
            for other in [
                "MetricName",
                "Namespace",
                "Statistic",
                "ExtendedStatistic",
                "Dimensions",
                "Period",
                "Unit",
            ] {
                if p.get(other).is_some() {
                    return Err(perr(other, "cannot be given together with Metrics"));
                }
            }
            single_metric_stat(metrics)?
        } else {
            if p.get("MetricName").is_none() {
                return Err(perr("MetricName", "is required (or Metrics)"));
            }
            let metric = metric_of(&p)?;
            let statistic = match (p.string("Statistic")?, p.string("ExtendedStatistic")?) {
                (Some(_), Some(_)) => {
                    return Err(perr(
                        "ExtendedStatistic",
                        "cannot be given together with Statistic",
                    ));
                }
                (None, None) => {
                    return Err(perr("Statistic", "is required (or ExtendedStatistic)"));
                }
                (Some(s), None) => {
                    let st = Statistic::parse(&s).ok().filter(Statistic::is_basic).ok_or_else(|| {
                        perr("Statistic", format!("{s:?} is not valid: expected SampleCount, Average, Sum, Minimum or Maximum (percentiles go in ExtendedStatistic)"))
                    })?;
                    (st, "Statistic")
                }
                (None, Some(s)) => {
                    let st = Statistic::parse(&s)
                        .map_err(|e| perr("ExtendedStatistic", e.to_string()))?;
                    if st.is_basic() {
                        return Err(perr(
                            "ExtendedStatistic",
                            format!("{s:?} is a basic statistic: put it in Statistic"),
                        ));
                    }
                    (st, "ExtendedStatistic")
                }
            };
            let period = alarm_period(&p, "Period")?;
            (
                metric,
                statistic.0,
                period,
                unit_of(&p, "Unit")?,
                statistic.1,
            )
        };
        let low_sample_count = match p.string("EvaluateLowSampleCountPercentile")? {
            None => None,
            Some(s) if s == "evaluate" => Some(LowSampleCount::Evaluate),
            Some(s) if s == "ignore" => Some(LowSampleCount::Ignore),
            Some(s) => {
                return Err(perr(
                    "EvaluateLowSampleCountPercentile",
                    format!("{s:?} is not valid: expected evaluate or ignore"),
                ));
            }
        };
        if low_sample_count.is_some() && statistic.percentile_fraction().is_none() {
            return Err(perr(
                "EvaluateLowSampleCountPercentile",
                format!("applies only to percentiles, and the {stat_prop} is {statistic}"),
            ));
        }
        let limit = if period_secs >= 3600 {
            7 * 86_400
        } else {
            86_400
        };
        if u64::from(period_secs) * u64::from(evaluation_periods) > limit {
            return Err(perr(
                "EvaluationPeriods",
                format!(
                    "EvaluationPeriods × Period ({evaluation_periods} × {period_secs} s) is more than {} days",
                    limit / 86_400
                ),
            ));
        }
        Ok(AlarmDefinition {
            name: p
                .string("AlarmName")?
                .unwrap_or_else(|| default_name.to_string()),
            description: p.string("AlarmDescription")?,
            actions_enabled: p.boolean("ActionsEnabled")?.unwrap_or(true),
            alarm_actions: p.string_list("AlarmActions")?,
            ok_actions: p.string_list("OKActions")?,
            insufficient_data_actions: p.string_list("InsufficientDataActions")?,
            metric,
            statistic,
            period_secs,
            unit,
            evaluation_periods,
            datapoints_to_alarm,
            threshold,
            comparison,
            treat_missing_data,
            low_sample_count,
        })
    }

    /// The missing-data treatment actually applied (`AWS/DynamoDB` metrics
    /// always ignore missing data, as on AWS).
    pub fn effective_treat_missing_data(&self) -> TreatMissingData {
        if self.metric.namespace() == "AWS/DynamoDB" {
            TreatMissingData::Ignore
        } else {
            self.treat_missing_data
        }
    }
}

type MetricParts = (MetricKey, Statistic, u32, Option<Unit>, &'static str);

/// `Metrics` holding one `MetricStat` and no expression: the same as a
/// plain metric alarm. Anything else is refused clearly.
fn single_metric_stat(metrics: &Value) -> Result<MetricParts, AlarmDefinitionError> {
    let Value::Array(items) = metrics else {
        return Err(perr(
            "Metrics",
            format!(
                "expected a list of metric data queries, got {}",
                show(metrics)
            ),
        ));
    };
    for (i, item) in items.iter().enumerate() {
        if item.get("Expression").is_some_and(|e| !e.is_null()) {
            return Err(perr(
                format!("Metrics[{i}].Expression"),
                "metric math expressions are not supported by Lockgate's local alarms; alarm on one metric (MetricName with Statistic or ExtendedStatistic) instead",
            ));
        }
    }
    if items.len() != 1 {
        return Err(perr(
            "Metrics",
            format!(
                "without expressions an alarm takes exactly one metric, got {}",
                items.len()
            ),
        ));
    }
    let Value::Object(map) = &items[0] else {
        return Err(perr(
            "Metrics[0]",
            format!("expected an object, got {}", show(&items[0])),
        ));
    };
    let q = Props {
        map,
        prefix: "Metrics[0].".to_string(),
    };
    if q.boolean("ReturnData")? == Some(false) {
        return Err(perr(
            "Metrics[0].ReturnData",
            "the only metric of an alarm must return data",
        ));
    }
    let stat = q
        .object("MetricStat")?
        .ok_or_else(|| perr("Metrics[0].MetricStat", "is required"))?;
    let metric = stat
        .object("Metric")?
        .ok_or_else(|| perr(stat.path("Metric"), "is required"))?;
    let key = metric_of(&metric)?;
    let s = stat
        .string("Stat")?
        .ok_or_else(|| perr(stat.path("Stat"), "is required"))?;
    let statistic = Statistic::parse(&s).map_err(|e| perr(stat.path("Stat"), e.to_string()))?;
    let period = alarm_period(&stat, "Period")?;
    Ok((key, statistic, period, unit_of(&stat, "Unit")?, "Stat"))
}

/// An alarm's state with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmState {
    /// `StateValue`.
    pub value: AlarmStateValue,
    /// `StateReason`, as CloudWatch words it.
    pub reason: String,
    /// `StateReasonData` (JSON), when the state came from an evaluation.
    pub reason_data: Option<String>,
    /// When the state last changed (`StateUpdatedTimestamp`).
    pub updated: Timestamp,
}

/// Kinds of history items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryItemType {
    /// `ConfigurationUpdate`.
    ConfigurationUpdate,
    /// `StateUpdate`.
    StateUpdate,
}

impl HistoryItemType {
    /// The type's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConfigurationUpdate => "ConfigurationUpdate",
            Self::StateUpdate => "StateUpdate",
        }
    }
}

/// One entry of an alarm's history (`DescribeAlarmHistory`).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    /// When.
    pub timestamp: Timestamp,
    /// What kind.
    pub kind: HistoryItemType,
    /// `Alarm updated from OK to ALARM`.
    pub summary: String,
    /// JSON with the old and new state.
    pub data: String,
}

/// A state change an evaluation made.
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    /// The alarm.
    pub alarm_name: String,
    /// The state before.
    pub old: AlarmState,
    /// The state now.
    pub new: AlarmState,
}

/// One datapoint of an evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluatedDatapoint {
    /// The period's start.
    pub timestamp: Timestamp,
    /// The statistic's value.
    pub value: f64,
    /// How many values the period holds.
    pub sample_count: f64,
    /// Whether it breaches the threshold.
    pub breaching: bool,
}

/// What an evaluation found, before it is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The state the alarm should be in; `None`: keep the current one.
    pub state: Option<AlarmStateValue>,
    /// The real datapoints evaluated, oldest first.
    pub datapoints: Vec<EvaluatedDatapoint>,
    /// How many missing datapoints were filled in (`breaching` /
    /// `notBreaching`) or left unknown.
    pub missing: u32,
    /// The start of the evaluation range.
    pub range_start: Timestamp,
    /// The end of the evaluation range (start of the current, incomplete period).
    pub range_end: Timestamp,
}

/// A metric alarm with its state and history.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    definition: AlarmDefinition,
    state: AlarmState,
    config_updated: Timestamp,
    history: VecDeque<HistoryItem>,
}

/// A number as CloudWatch's reasons print it (Java's `Double.toString`:
/// `5.0`, `0.25`, `1.0E-4`).
pub fn java_double(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{v}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{v:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = if m.contains('.') {
            m.to_string()
        } else {
            format!("{m}.0")
        };
        format!("{m}E{e}")
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn was(n: usize) -> &'static str {
    if n == 1 { "was" } else { "were" }
}

fn listing(points: &[&EvaluatedDatapoint]) -> String {
    let items: Vec<String> = points
        .iter()
        .rev()
        .map(|d| format!("{} ({})", java_double(d.value), d.timestamp.reason_format()))
        .collect();
    format!("[{}]", items.join(", "))
}

impl Alarm {
    /// A new alarm, in `INSUFFICIENT_DATA` ("Unchecked: Initial alarm
    /// creation") as CloudWatch creates them.
    pub fn new(definition: AlarmDefinition, now: Timestamp) -> Self {
        let mut alarm = Alarm {
            state: AlarmState {
                value: AlarmStateValue::InsufficientData,
                reason: "Unchecked: Initial alarm creation".to_string(),
                reason_data: None,
                updated: now,
            },
            config_updated: now,
            history: VecDeque::new(),
            definition,
        };
        let summary = format!("Alarm \"{}\" created", alarm.definition.name);
        alarm.push_history(HistoryItem {
            timestamp: now,
            kind: HistoryItemType::ConfigurationUpdate,
            summary,
            data: json!({"version": "1.0", "type": "Create"}).to_string(),
        });
        alarm
    }

    /// The definition.
    pub fn definition(&self) -> &AlarmDefinition {
        &self.definition
    }

    /// The alarm's name.
    pub fn name(&self) -> &str {
        &self.definition.name
    }

    /// The current state.
    pub fn state(&self) -> &AlarmState {
        &self.state
    }

    /// When the definition last changed.
    pub fn config_updated(&self) -> Timestamp {
        self.config_updated
    }

    /// The history, oldest first (at most [`HISTORY_LIMIT`] items).
    pub fn history(&self) -> impl DoubleEndedIterator<Item = &HistoryItem> {
        self.history.iter()
    }

    fn push_history(&mut self, item: HistoryItem) {
        if self.history.len() == HISTORY_LIMIT {
            self.history.pop_front();
        }
        self.history.push_back(item);
    }

    /// Replaces the definition (a stack update), keeping the state, as
    /// `PutMetricAlarm` on an existing alarm does.
    pub fn update_definition(&mut self, definition: AlarmDefinition, now: Timestamp) {
        if definition == self.definition {
            return;
        }
        self.definition = definition;
        self.config_updated = now;
        let summary = format!("Alarm \"{}\" updated", self.definition.name);
        self.push_history(HistoryItem {
            timestamp: now,
            kind: HistoryItemType::ConfigurationUpdate,
            summary,
            data: json!({"version": "1.0", "type": "Update"}).to_string(),
        });
    }

    /// Sets the state by hand (`SetAlarmState`); the next evaluation may
    /// change it again. `None` when it already was in that state.
    pub fn set_state(
        &mut self,
        value: AlarmStateValue,
        reason: &str,
        now: Timestamp,
    ) -> Option<StateChange> {
        self.transition(value, reason.to_string(), None, now)
    }

    fn transition(
        &mut self,
        value: AlarmStateValue,
        reason: String,
        reason_data: Option<String>,
        now: Timestamp,
    ) -> Option<StateChange> {
        if value == self.state.value {
            return None;
        }
        let old = self.state.clone();
        self.state = AlarmState {
            value,
            reason,
            reason_data,
            updated: now,
        };
        let mut new_state = json!({"stateValue": value.as_str(), "stateReason": self.state.reason});
        if let Some(d) = self
            .state
            .reason_data
            .as_deref()
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
        {
            new_state["stateReasonData"] = d;
        }
        let data = json!({
            "version": "1.0",
            "oldState": {"stateValue": old.value.as_str(), "stateReason": old.reason},
            "newState": new_state,
        });
        self.push_history(HistoryItem {
            timestamp: now,
            kind: HistoryItemType::StateUpdate,
            summary: format!("Alarm updated from {} to {}", old.value, value),
            data: data.to_string(),
        });
        Some(StateChange {
            alarm_name: self.definition.name.clone(),
            old,
            new: self.state.clone(),
        })
    }

    /// When the period `now` is in completes: the next instant at which an
    /// evaluation can see new data. An alarm loop that sleeps until then
    /// (with the store's scale) reacts to a breach as soon as CloudWatch's
    /// own period allows.
    pub fn next_evaluation(&self, scale: crate::time::TimeScale, now: Timestamp) -> Timestamp {
        let period_us = scale.secs_us(u64::from(self.definition.period_secs)).max(1);
        now.align_down(period_us).plus_micros(period_us)
    }

    /// What an evaluation at `now` finds, without changing the alarm.
    pub fn evaluation(&self, store: &MetricStore, now: Timestamp) -> Evaluation {
        let def = &self.definition;
        let n = def.evaluation_periods as usize;
        let m = def.datapoints_to_alarm as usize;
        let period_us = store.scale().secs_us(u64::from(def.period_secs)).max(1);
        let range_end = now.align_down(period_us);
        let range_len = n + 2;
        let range_start = range_end.plus_micros(-(range_len as i64) * period_us);
        let with_samples = !def.statistic.is_basic();
        let mut real = Vec::new();
        for i in 0..range_len {
            let start = range_start.plus_micros(i as i64 * period_us);
            let agg =
                period_aggregate(store, &def.metric, def.unit, start, period_us, with_samples);
            if let Some(value) = def.statistic.compute(&agg) {
                real.push(EvaluatedDatapoint {
                    timestamp: start,
                    value,
                    sample_count: agg.count,
                    breaching: def.comparison.breaches(value, def.threshold),
                });
            }
        }
        if real.len() > n {
            real.drain(..real.len() - n);
        }
        let mut eval = Evaluation {
            state: None,
            missing: (n - real.len()) as u32,
            datapoints: real,
            range_start,
            range_end,
        };
        if def.low_sample_count == Some(LowSampleCount::Ignore)
            && let Some(p) = def.statistic.percentile_fraction()
        {
            let needed = if p >= 0.5 {
                10.0 / (1.0 - p).max(1e-9)
            } else {
                10.0 / p.max(1e-9)
            };
            if eval.datapoints.iter().any(|d| d.sample_count < needed) {
                return eval;
            }
        }
        let b = eval.datapoints.iter().filter(|d| d.breaching).count();
        let k = eval.missing as usize;
        let have = eval.datapoints.len();
        use AlarmStateValue::*;
        eval.state = if k == 0 {
            Some(if b >= m { Alarm } else { Ok })
        } else {
            match def.effective_treat_missing_data() {
                TreatMissingData::Breaching => Some(if b + k >= m { Alarm } else { Ok }),
                TreatMissingData::NotBreaching => Some(if b >= m { Alarm } else { Ok }),
                t @ (TreatMissingData::Missing | TreatMissingData::Ignore) => {
                    let ignore = t == TreatMissingData::Ignore;
                    if have == 0 {
                        if ignore { None } else { Some(InsufficientData) }
                    } else if b >= m {
                        Some(Alarm)
                    } else if b < have {
                        Some(Ok)
                    } else if ignore {
                        None
                    } else {
                        let window_start = range_end.plus_micros(-(n as i64) * period_us);
                        if eval.datapoints[0].timestamp < window_start {
                            Some(Alarm)
                        } else {
                            Some(InsufficientData)
                        }
                    }
                }
            }
        };
        eval
    }

    /// Evaluates the alarm at `now` against `store` and changes its state
    /// when CloudWatch would; returns the change, if any.
    pub fn evaluate(&mut self, store: &MetricStore, now: Timestamp) -> Option<StateChange> {
        let eval = self.evaluation(store, now);
        let value = eval.state?;
        if value == self.state.value {
            return None;
        }
        let reason = self.reason(&eval, value);
        let data = self.reason_data(&eval, now);
        self.transition(value, reason, Some(data), now)
    }

    fn reason(&self, eval: &Evaluation, value: AlarmStateValue) -> String {
        let def = &self.definition;
        let n = def.evaluation_periods as usize;
        let m = def.datapoints_to_alarm as usize;
        let k = eval.missing as usize;
        let t = java_double(def.threshold);
        let op = def.comparison.phrase();
        let prev = self.state.value;
        let treat = def.effective_treat_missing_data();
        match value {
            AlarmStateValue::InsufficientData => {
                format!(
                    "Insufficient Data: {} {} unknown.",
                    plural(k, "datapoint", "datapoints"),
                    was(k)
                )
            }
            AlarmStateValue::Alarm => {
                let breaching: Vec<&EvaluatedDatapoint> =
                    eval.datapoints.iter().filter(|d| d.breaching).collect();
                let filled = if treat == TreatMissingData::Breaching {
                    k
                } else {
                    0
                };
                if breaching.is_empty() {
                    return format!(
                        "Threshold Crossed: no datapoints were received for {} and {} missing {} treated as [Breaching].",
                        plural(k, "period", "periods"),
                        k,
                        if k == 1 {
                            "datapoint was"
                        } else {
                            "datapoints were"
                        }
                    );
                }
                let total = if filled > 0 || eval.missing == 0 {
                    n
                } else {
                    eval.datapoints.len()
                };
                let mut s = format!(
                    "Threshold Crossed: {} out of the last {} datapoints {} {} {} the threshold ({})",
                    breaching.len(),
                    total,
                    listing(&breaching),
                    was(breaching.len()),
                    op,
                    t
                );
                if filled > 0 {
                    s.push_str(&format!(
                        ", and {} missing {} treated as [Breaching]",
                        filled,
                        if filled == 1 {
                            "datapoint was"
                        } else {
                            "datapoints were"
                        }
                    ));
                }
                s.push_str(&format!(
                    " (minimum {} for {} -> ALARM transition).",
                    plural(m, "datapoint", "datapoints"),
                    prev
                ));
                s
            }
            AlarmStateValue::Ok => {
                let fine: Vec<&EvaluatedDatapoint> =
                    eval.datapoints.iter().filter(|d| !d.breaching).collect();
                let filled = if treat == TreatMissingData::NotBreaching {
                    k
                } else {
                    0
                };
                if fine.is_empty() {
                    return format!(
                        "Threshold Crossed: no datapoints were received for {} and {} missing {} treated as [NonBreaching].",
                        plural(k, "period", "periods"),
                        k,
                        if k == 1 {
                            "datapoint was"
                        } else {
                            "datapoints were"
                        }
                    );
                }
                let mut s = if prev == AlarmStateValue::Alarm {
                    let total = if filled > 0 || eval.missing == 0 {
                        n
                    } else {
                        eval.datapoints.len()
                    };
                    format!(
                        "Threshold Crossed: {} out of the last {} datapoints {} {} not {} the threshold ({})",
                        fine.len(),
                        total,
                        listing(&fine),
                        was(fine.len()),
                        op,
                        t
                    )
                } else {
                    format!(
                        "Threshold Crossed: {} {} {} not {} the threshold ({})",
                        plural(fine.len(), "datapoint", "datapoints"),
                        listing(&fine),
                        was(fine.len()),
                        op,
                        t
                    )
                };
                if filled > 0 {
                    s.push_str(&format!(
                        ", and {} missing {} treated as [NonBreaching]",
                        filled,
                        if filled == 1 {
                            "datapoint was"
                        } else {
                            "datapoints were"
                        }
                    ));
                }
                if prev == AlarmStateValue::Alarm {
                    let needed = (n + 1).saturating_sub(m);
                    s.push_str(&format!(
                        " (minimum {} for ALARM -> OK transition).",
                        plural(needed, "datapoint", "datapoints")
                    ));
                } else {
                    s.push('.');
                }
                s
            }
        }
    }

    fn reason_data(&self, eval: &Evaluation, now: Timestamp) -> String {
        let def = &self.definition;
        let mut data = json!({
            "version": "1.0",
            "queryDate": now.reason_data_format(),
            "startDate": eval.range_start.reason_data_format(),
        });
        if def.statistic.is_basic() {
            data["statistic"] = json!(def.statistic.to_string());
        } else {
            data["extendedStatistic"] = json!(def.statistic.to_string());
        }
        if let Some(u) = def.unit {
            data["unit"] = json!(u.as_str());
        }
        data["period"] = json!(def.period_secs);
        data["recentDatapoints"] =
            json!(eval.datapoints.iter().map(|d| d.value).collect::<Vec<_>>());
        data["threshold"] = json!(def.threshold);
        data["evaluatedDatapoints"] = Value::Array(
            eval.datapoints
                .iter()
                .rev()
                .map(|d| json!({"timestamp": d.timestamp.reason_data_format(), "sampleCount": d.sample_count, "value": d.value}))
                .collect(),
        );
        data.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreConfig;
    use crate::time::TimeScale;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn definition(n: u32, m: u32, treat: &str) -> AlarmDefinition {
        AlarmDefinition::from_cfn_properties(
            "test-alarm",
            &json!({
                "Namespace": "AWS/Lambda", "MetricName": "Errors", "Statistic": "Maximum",
                "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
                "Period": 60, "EvaluationPeriods": n, "DatapointsToAlarm": m,
                "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": treat,
            }),
        )
        .unwrap()
    }

    const BASE: &str = "2026-12-02T10:00:00Z";

    /// Records a pattern like `0 - X - X` (oldest first, one per minute from
    /// 10:00) and evaluates at 10:05:30, starting from `start`.
    fn run(pattern: &str, n: u32, m: u32, treat: &str, start: AlarmStateValue) -> AlarmStateValue {
        let store = MetricStore::new(StoreConfig::default());
        let def = definition(n, m, treat);
        for (i, c) in pattern.split_whitespace().enumerate() {
            let at = t(BASE).plus_micros(i as i64 * 60_000_000 + 5_000_000);
            match c {
                "0" => store.record(&def.metric, 0.0, at).unwrap(),
                "X" => store.record(&def.metric, 5.0, at).unwrap(),
                "-" => {}
                other => panic!("bad pattern {other}"),
            }
        }
        let mut alarm = Alarm::new(def, t(BASE));
        alarm.set_state(start, "test", t(BASE));
        alarm.evaluate(&store, t("2026-12-02T10:05:30Z"));
        alarm.state().value
    }

    use AlarmStateValue::{Alarm as A, InsufficientData as I, Ok as O};

    /// Each row of CloudWatch's documented table ("How alarm state is
    /// evaluated when data is missing"): data points, then the state for
    /// missing, ignore, breaching, notBreaching (`None`: keep the state).
    fn check(n: u32, m: u32, rows: &[(&str, [Option<AlarmStateValue>; 4])]) {
        for (pattern, want) in rows {
            for (treat, want) in ["missing", "ignore", "breaching", "notBreaching"]
                .iter()
                .zip(want)
            {
                for start in [O, A, I] {
                    let got = run(pattern, n, m, treat, start);
                    let want = want.unwrap_or(start);
                    assert_eq!(
                        got, want,
                        "{m} of {n}, {pattern:?}, {treat}, starting {start}"
                    );
                }
            }
        }
    }

    #[test]
    fn documented_table_three_of_three() {
        check(
            3,
            3,
            &[
                ("0 - X - X", [Some(O), Some(O), Some(O), Some(O)]),
                ("0 - - - -", [Some(O), Some(O), Some(O), Some(O)]),
                ("- - - - -", [Some(I), None, Some(A), Some(O)]),
                ("0 X X - X", [Some(A), Some(A), Some(A), Some(A)]),
                ("- - - - X", [Some(I), None, Some(A), Some(O)]),
                ("X - - - -", [Some(A), None, Some(A), Some(O)]),
            ],
        );
    }

    #[test]
    fn documented_table_two_of_three() {
        check(
            3,
            2,
            &[
                ("0 - X - X", [Some(A), Some(A), Some(A), Some(A)]),
                ("0 0 X 0 X", [Some(A), Some(A), Some(A), Some(A)]),
                ("0 - X - -", [Some(O), Some(O), Some(A), Some(O)]),
                ("- - - - 0", [Some(O), Some(O), Some(A), Some(O)]),
                ("- - - - X", [Some(I), None, Some(A), Some(O)]),
            ],
        );
    }

    #[test]
    fn only_the_last_n_real_datapoints_count() {
        // Five real points, the last three fine: OK although two breached.
        assert_eq!(run("X X 0 0 0", 3, 1, "missing", A), O);
        assert_eq!(run("0 0 0 0 X", 3, 1, "missing", O), A);
        // A breach older than the evaluation range is forgotten.
        assert_eq!(run("X", 1, 1, "breaching", O), A);
    }

    #[test]
    fn reasons_read_like_cloudwatch() {
        let store = MetricStore::new(StoreConfig::default());
        let def = definition(1, 1, "notBreaching");
        let mut alarm = Alarm::new(def.clone(), t(BASE));
        assert_eq!(alarm.state().reason, "Unchecked: Initial alarm creation");
        store
            .record(&def.metric, 5.0, t("2026-12-02T10:00:10Z"))
            .unwrap();
        let change = alarm.evaluate(&store, t("2026-12-02T10:01:00Z")).unwrap();
        assert_eq!(change.old.value, AlarmStateValue::InsufficientData);
        assert_eq!(change.new.value, AlarmStateValue::Alarm);
        assert_eq!(
            change.new.reason,
            "Threshold Crossed: 1 out of the last 1 datapoints [5.0 (02/12/26 10:00:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for INSUFFICIENT_DATA -> ALARM transition)."
        );
        let data: Value = serde_json::from_str(change.new.reason_data.as_deref().unwrap()).unwrap();
        assert_eq!(
            data,
            json!({
                "version": "1.0", "queryDate": "2026-12-02T10:01:00.000+0000", "startDate": "2026-12-02T09:58:00.000+0000",
                "statistic": "Maximum", "period": 60, "recentDatapoints": [5.0], "threshold": 1.0,
                "evaluatedDatapoints": [{"timestamp": "2026-12-02T10:00:00.000+0000", "sampleCount": 1.0, "value": 5.0}]
            })
        );
        // Same state on the next evaluation: no change, no history.
        assert!(alarm.evaluate(&store, t("2026-12-02T10:01:20Z")).is_none());
        store
            .record(&def.metric, 0.0, t("2026-12-02T10:01:10Z"))
            .unwrap();
        let change = alarm.evaluate(&store, t("2026-12-02T10:02:00Z")).unwrap();
        assert_eq!(
            change.new.reason,
            "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (02/12/26 10:01:00)] was not greater than or equal to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition)."
        );
        let history: Vec<_> = alarm.history().map(|h| h.summary.as_str()).collect();
        assert_eq!(
            history,
            [
                "Alarm \"test-alarm\" created",
                "Alarm updated from INSUFFICIENT_DATA to ALARM",
                "Alarm updated from ALARM to OK"
            ]
        );
        let last: Value = serde_json::from_str(&alarm.history().last().unwrap().data).unwrap();
        assert_eq!(last["oldState"]["stateValue"], "ALARM");
        assert_eq!(last["newState"]["stateValue"], "OK");
        assert_eq!(
            last["newState"]["stateReasonData"]["recentDatapoints"],
            json!([0.0])
        );
    }

    #[test]
    fn reasons_for_m_of_n_and_missing_data() {
        let store = MetricStore::new(StoreConfig::default());
        let def = definition(3, 2, "breaching");
        let mut alarm = Alarm::new(def.clone(), t(BASE));
        alarm.set_state(AlarmStateValue::Ok, "test", t(BASE));
        store
            .record(&def.metric, 3.0, t("2026-12-02T10:03:01Z"))
            .unwrap();
        store
            .record(&def.metric, 0.5, t("2026-12-02T10:04:01Z"))
            .unwrap();
        let c = alarm.evaluate(&store, t("2026-12-02T10:05:00Z")).unwrap();
        assert_eq!(
            c.new.reason,
            "Threshold Crossed: 1 out of the last 3 datapoints [3.0 (02/12/26 10:03:00)] was greater than or equal to the threshold (1.0), and 1 missing datapoint was treated as [Breaching] (minimum 2 datapoints for OK -> ALARM transition)."
        );
        let empty = MetricStore::new(StoreConfig::default());
        let mut a = Alarm::new(definition(3, 3, "breaching"), t(BASE));
        let c = a.evaluate(&empty, t("2026-12-02T10:05:00Z")).unwrap();
        assert_eq!(
            c.new.reason,
            "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching]."
        );
        let mut a = Alarm::new(definition(1, 1, "notBreaching"), t(BASE));
        let c = a.evaluate(&empty, t("2026-12-02T10:05:00Z")).unwrap();
        assert_eq!(
            c.new.reason,
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."
        );
        let mut a = Alarm::new(definition(2, 2, "missing"), t(BASE));
        a.set_state(AlarmStateValue::Ok, "test", t(BASE));
        let c = a.evaluate(&empty, t("2026-12-02T10:05:00Z")).unwrap();
        assert_eq!(
            c.new.reason,
            "Insufficient Data: 2 datapoints were unknown."
        );
        let mut a = Alarm::new(definition(3, 3, "missing"), t(BASE));
        store
            .record(&def.metric, 0.0, t("2026-12-02T10:02:01Z"))
            .unwrap();
        let c = a.evaluate(&store, t("2026-12-02T10:05:00Z")).unwrap();
        assert_eq!(
            c.new.reason,
            "Threshold Crossed: 2 datapoints [0.5 (02/12/26 10:04:00), 0.0 (02/12/26 10:02:00)] were not greater than or equal to the threshold (1.0)."
        );
    }

    #[test]
    fn the_current_period_is_not_evaluated_until_complete() {
        let store = MetricStore::new(StoreConfig::default());
        let def = definition(1, 1, "missing");
        let mut alarm = Alarm::new(def.clone(), t(BASE));
        store
            .record(&def.metric, 5.0, t("2026-12-02T10:00:10Z"))
            .unwrap();
        assert!(
            alarm
                .evaluate(&store, t("2026-12-02T10:00:59.999Z"))
                .is_none()
        );
        assert_eq!(
            alarm
                .evaluate(&store, t("2026-12-02T10:01:00Z"))
                .unwrap()
                .new
                .value,
            AlarmStateValue::Alarm
        );
    }

    #[test]
    fn next_evaluation_is_the_end_of_the_current_period() {
        let alarm = Alarm::new(definition(1, 1, "missing"), t(BASE));
        assert_eq!(
            alarm.next_evaluation(TimeScale::REAL, t("2026-12-02T10:00:10Z")),
            t("2026-12-02T10:01:00Z")
        );
        assert_eq!(
            alarm.next_evaluation(TimeScale::REAL, t("2026-12-02T10:01:00Z")),
            t("2026-12-02T10:02:00Z")
        );
        let scale = TimeScale::new(60.0).unwrap();
        let next = alarm.next_evaluation(scale, t(BASE));
        assert_eq!(next.micros() % scale.secs_us(60), 0);
        assert!(next > t(BASE) && next.micros() - t(BASE).micros() <= scale.secs_us(60));
    }

    #[test]
    fn scaled_time_evaluates_a_minute_in_a_second() {
        let scale = TimeScale::new(60.0).unwrap();
        let store = MetricStore::new(StoreConfig {
            scale,
            ..StoreConfig::default()
        });
        let def = definition(1, 1, "missing");
        let mut alarm = Alarm::new(def.clone(), t(BASE));
        let period = scale.secs_us(60);
        let start = t(BASE).align_down(period);
        store
            .record(&def.metric, 5.0, start.plus_micros(100_000))
            .unwrap();
        assert!(
            alarm
                .evaluate(&store, start.plus_micros(period - 1))
                .is_none()
        );
        let c = alarm.evaluate(&store, start.plus_micros(period)).unwrap();
        assert_eq!(c.new.value, AlarmStateValue::Alarm);
        assert_eq!(period, 1_000_020);
    }

    #[test]
    fn percentile_alarms_and_low_sample_counts() {
        let store = MetricStore::new(StoreConfig::default());
        let props = |low: &str| {
            json!({
                "Namespace": "AWS/Lambda", "MetricName": "Duration", "ExtendedStatistic": "p90",
                "Period": "60", "EvaluationPeriods": "1", "Threshold": "100",
                "ComparisonOperator": "GreaterThanThreshold", "EvaluateLowSampleCountPercentile": low,
            })
        };
        let def = AlarmDefinition::from_cfn_properties("d", &props("ignore")).unwrap();
        for v in [10.0, 20.0, 500.0, 600.0] {
            store
                .record(&def.metric, v, t("2026-12-02T10:00:10Z"))
                .unwrap();
        }
        // 4 samples < 10 / (1 - 0.9) = 100: ignored.
        let mut a = Alarm::new(def, t(BASE));
        assert!(a.evaluate(&store, t("2026-12-02T10:01:00Z")).is_none());
        let def = AlarmDefinition::from_cfn_properties("d", &props("evaluate")).unwrap();
        let mut a = Alarm::new(def, t(BASE));
        let c = a.evaluate(&store, t("2026-12-02T10:01:00Z")).unwrap();
        assert_eq!(c.new.value, AlarmStateValue::Alarm);
        assert!(
            c.new
                .reason
                .contains("[600.0 (02/12/26 10:00:00)] was greater than the threshold (100.0)"),
            "{}",
            c.new.reason
        );
        assert!(
            c.new
                .reason_data
                .unwrap()
                .contains("\"extendedStatistic\":\"p90\"")
        );
    }

    #[test]
    fn dynamodb_alarms_ignore_missing_data() {
        let mut def = definition(1, 1, "breaching");
        def.metric = MetricKey::new("AWS/DynamoDB", "ThrottledRequests");
        assert_eq!(def.effective_treat_missing_data(), TreatMissingData::Ignore);
    }

    fn parse_err(props: Value) -> String {
        AlarmDefinition::from_cfn_properties("x", &props)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn definitions_parse_from_cloudformation_properties() {
        let def = AlarmDefinition::from_cfn_properties(
            "stack-AliasErrors-ABC",
            &json!({
                "AlarmDescription": "errors on the new version",
                "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 2, "DatapointsToAlarm": "1",
                "MetricName": "Errors", "Namespace": "AWS/Lambda", "Period": 60, "Statistic": "Sum", "Threshold": 0,
                "Dimensions": [
                    {"Name": "Resource", "Value": "f:live"}, {"Name": "FunctionName", "Value": "f"},
                    {"Name": "ExecutedVersion", "Value": "3"}
                ],
                "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:t"], "ActionsEnabled": "false", "Unit": "Count",
            }),
        )
        .unwrap();
        assert_eq!(def.name, "stack-AliasErrors-ABC");
        assert_eq!(
            def.metric.to_string(),
            "AWS/Lambda/Errors {ExecutedVersion=3, FunctionName=f, Resource=f:live}"
        );
        assert_eq!(
            (
                def.evaluation_periods,
                def.datapoints_to_alarm,
                def.threshold
            ),
            (2, 1, 0.0)
        );
        assert_eq!(def.statistic, Statistic::Sum);
        assert!(!def.actions_enabled);
        assert_eq!(def.unit, Some(Unit::Count));
        assert_eq!(def.treat_missing_data, TreatMissingData::Missing);

        let via_metrics = AlarmDefinition::from_cfn_properties(
            "m",
            &json!({
                "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 1, "Threshold": 5,
                "Metrics": [{"Id": "m1", "ReturnData": true, "MetricStat": {
                    "Metric": {"Namespace": "AWS/Lambda", "MetricName": "Duration", "Dimensions": [{"Name": "FunctionName", "Value": "f"}]},
                    "Period": 60, "Stat": "p99"}}],
            }),
        )
        .unwrap();
        assert_eq!(via_metrics.statistic, Statistic::Percentile(99.0));
    }

    #[test]
    fn definition_errors_name_the_property() {
        let base = json!({
            "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 1, "MetricName": "Errors",
            "Namespace": "AWS/Lambda", "Period": 60, "Statistic": "Sum", "Threshold": 0,
        });
        let with = |k: &str, v: Value| {
            let mut p = base.clone();
            p[k] = v;
            p
        };
        let without = |k: &str| {
            let mut p = base.clone();
            p.as_object_mut().unwrap().remove(k);
            p
        };
        assert_eq!(
            parse_err(without("ComparisonOperator")),
            "Properties.ComparisonOperator: is required"
        );
        assert!(
            parse_err(with(
                "ComparisonOperator",
                json!("LessThanLowerOrGreaterThanUpperThreshold")
            ))
            .contains("anomaly detection band")
        );
        assert!(
            parse_err(with("ComparisonOperator", json!("Bigger")))
                .starts_with("Properties.ComparisonOperator: \"Bigger\" is not valid")
        );
        assert_eq!(
            parse_err(with("EvaluationPeriods", json!("two"))),
            "Properties.EvaluationPeriods: expected a number, got \"two\""
        );
        assert_eq!(
            parse_err(with("EvaluationPeriods", json!(0))),
            "Properties.EvaluationPeriods: expected a positive whole number, got 0"
        );
        assert_eq!(
            parse_err(with("DatapointsToAlarm", json!(2))),
            "Properties.DatapointsToAlarm: 2 is more than EvaluationPeriods (1)"
        );
        assert!(
            parse_err(with("Period", json!(45)))
                .starts_with("Properties.Period: 45 is not a valid alarm period")
        );
        assert!(
            parse_err(with("Statistic", json!("p99")))
                .contains("percentiles go in ExtendedStatistic")
        );
        assert_eq!(
            parse_err(with("ExtendedStatistic", json!("p99"))),
            "Properties.ExtendedStatistic: cannot be given together with Statistic"
        );
        assert!(
            parse_err(with("TreatMissingData", json!("zero")))
                .starts_with("Properties.TreatMissingData: \"zero\" is not valid")
        );
        assert!(
            parse_err(with("Unit", json!("ms")))
                .starts_with("Properties.Unit: \"ms\" is not a CloudWatch unit")
        );
        assert!(
            parse_err(with("Dimensions", json!([{"Name": "A"}])))
                .starts_with("Properties.Dimensions[0].Value: is required")
        );
        assert!(parse_err(with("EvaluationPeriods", json!(1441))).contains("more than 1 days"));
        assert!(
            parse_err(with("ThresholdMetricId", json!("ad1")))
                .starts_with("Properties.ThresholdMetricId:")
        );
        assert!(
            parse_err(with("EvaluateLowSampleCountPercentile", json!("ignore")))
                .contains("applies only to percentiles")
        );
        let math = json!({
            "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 1, "Threshold": 5,
            "Metrics": [{"Id": "e", "Expression": "m1 / m2 * 100"}, {"Id": "m1", "ReturnData": false}],
        });
        assert!(parse_err(math).starts_with(
            "Properties.Metrics[0].Expression: metric math expressions are not supported"
        ));
        assert_eq!(
            parse_err(json!([])),
            "Properties.: expected an object of alarm properties, got []"
        );
    }

    #[test]
    fn java_doubles() {
        assert_eq!(java_double(5.0), "5.0");
        assert_eq!(java_double(0.25), "0.25");
        assert_eq!(java_double(-3.0), "-3.0");
        assert_eq!(java_double(1e-4), "1.0E-4");
        assert_eq!(java_double(1.5e7), "1.5E7");
        assert_eq!(java_double(0.0), "0.0");
    }
}
