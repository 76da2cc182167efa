//! The alarm operations: `DescribeAlarms` and `DescribeAlarmHistory`.

use super::wire::{In, Out, paginate, s, value_str};
use super::{ApiContext, ApiError};
use crate::alarm::{Alarm, HistoryItemType};

fn alarm_arn(ctx: &ApiContext<'_>, name: &str) -> String {
    format!(
        "arn:aws:cloudwatch:{}:{}:alarm:{name}",
        ctx.region, ctx.account_id
    )
}

pub(super) fn describe_alarms(ctx: &ApiContext<'_>, i: &In<'_>) -> Result<Out, ApiError> {
    let names: Vec<&str> = i
        .list("AlarmNames")?
        .iter()
        .map(value_str)
        .collect::<Result<_, _>>()?;
    if names.len() > 100 {
        return Err(ApiError::invalid(
            "The collection AlarmNames must not have more than 100 members.",
        ));
    }
    let prefix = i.str("AlarmNamePrefix")?;
    if prefix.is_some() && !names.is_empty() {
        return Err(ApiError::combination(
            "AlarmNames and AlarmNamePrefix cannot be given together.",
        ));
    }
    let state = match i.str("StateValue")? {
        None => None,
        Some(v) => Some(crate::alarm::AlarmStateValue::parse(v).ok_or_else(|| ApiError::invalid(format!("The value {v} for parameter StateValue is not valid: expected OK, ALARM or INSUFFICIENT_DATA.")))?),
    };
    let action_prefix = i.str("ActionPrefix")?;
    let types: Vec<&str> = i
        .list("AlarmTypes")?
        .iter()
        .map(value_str)
        .collect::<Result<_, _>>()?;
    for t in &types {
        if *t != "MetricAlarm" && *t != "CompositeAlarm" {
            return Err(ApiError::invalid(format!(
                "The value {t} for parameter AlarmTypes is not valid: expected MetricAlarm or CompositeAlarm."
            )));
        }
    }
    let want_metric = types.is_empty() || types.contains(&"MetricAlarm");
    let max = i.int("MaxRecords")?.unwrap_or(50);
    if !(1..=100).contains(&max) {
        return Err(ApiError::invalid(
            "The parameter MaxRecords must be between 1 and 100.",
        ));
    }
    let mut alarms: Vec<&Alarm> = ctx
        .alarms
        .iter()
        .filter(|_| want_metric)
        .filter(|a| names.is_empty() || names.contains(&a.name()))
        .filter(|a| prefix.is_none_or(|p| a.name().starts_with(p)))
        .filter(|a| state.is_none_or(|s| a.state().value == s))
        .filter(|a| {
            action_prefix.is_none_or(|p| {
                let d = a.definition();
                d.alarm_actions
                    .iter()
                    .chain(&d.ok_actions)
                    .chain(&d.insufficient_data_actions)
                    .any(|x| x.starts_with(p))
            })
        })
        .collect();
    alarms.sort_by(|a, b| a.name().cmp(b.name()));
    let (page, next) = paginate(alarms, i.str("NextToken")?, max as usize)?;
    let metric_alarms = page.iter().map(|a| metric_alarm(ctx, a)).collect();
    let mut f = vec![
        ("MetricAlarms", Out::List(metric_alarms)),
        ("CompositeAlarms", Out::List(Vec::new())),
    ];
    if let Some(n) = next {
        f.push(("NextToken", s(n)));
    }
    Ok(Out::Struct(f))
}

fn metric_alarm(ctx: &ApiContext<'_>, a: &Alarm) -> Out {
    let d = a.definition();
    let st = a.state();
    let strings = |v: &[String]| Out::List(v.iter().map(|x| s(x.as_str())).collect());
    let mut f = vec![
        ("AlarmName", s(d.name.as_str())),
        ("AlarmArn", s(alarm_arn(ctx, &d.name))),
    ];
    if let Some(desc) = &d.description {
        f.push(("AlarmDescription", s(desc.as_str())));
    }
    f.extend([
        (
            "AlarmConfigurationUpdatedTimestamp",
            Out::Time(a.config_updated()),
        ),
        ("ActionsEnabled", Out::Bool(d.actions_enabled)),
        ("OKActions", strings(&d.ok_actions)),
        ("AlarmActions", strings(&d.alarm_actions)),
        (
            "InsufficientDataActions",
            strings(&d.insufficient_data_actions),
        ),
        ("StateValue", s(st.value.as_str())),
        ("StateReason", s(st.reason.as_str())),
    ]);
    if let Some(data) = &st.reason_data {
        f.push(("StateReasonData", s(data.as_str())));
    }
    f.push(("StateUpdatedTimestamp", Out::Time(st.updated)));
    f.push(("MetricName", s(d.metric.name())));
    f.push(("Namespace", s(d.metric.namespace())));
    if d.statistic.is_basic() {
        f.push(("Statistic", s(d.statistic.to_string())));
    } else {
        f.push(("ExtendedStatistic", s(d.statistic.to_string())));
    }
    f.push((
        "Dimensions",
        Out::List(
            d.metric
                .dimensions()
                .iter()
                .map(|x| Out::Struct(vec![("Name", s(&x.name)), ("Value", s(&x.value))]))
                .collect(),
        ),
    ));
    f.push(("Period", Out::Int(u64::from(d.period_secs))));
    if let Some(u) = d.unit {
        f.push(("Unit", s(u.as_str())));
    }
    f.extend([
        (
            "EvaluationPeriods",
            Out::Int(u64::from(d.evaluation_periods)),
        ),
        (
            "DatapointsToAlarm",
            Out::Int(u64::from(d.datapoints_to_alarm)),
        ),
        ("Threshold", Out::Num(d.threshold)),
        ("ComparisonOperator", s(d.comparison.as_str())),
        ("TreatMissingData", s(d.treat_missing_data.as_str())),
    ]);
    if let Some(l) = d.low_sample_count {
        f.push((
            "EvaluateLowSampleCountPercentile",
            s(if l == crate::alarm::LowSampleCount::Ignore {
                "ignore"
            } else {
                "evaluate"
            }),
        ));
    }
    f.push(("StateTransitionedTimestamp", Out::Time(st.updated)));
    Out::Struct(f)
}

pub(super) fn describe_alarm_history(ctx: &ApiContext<'_>, i: &In<'_>) -> Result<Out, ApiError> {
    let name = i.str("AlarmName")?;
    let kind = match i.str("HistoryItemType")? {
        None => None,
        Some("StateUpdate") => Some(HistoryItemType::StateUpdate),
        Some("ConfigurationUpdate") => Some(HistoryItemType::ConfigurationUpdate),
        Some("Action") => {
            return Ok(Out::Struct(vec![(
                "AlarmHistoryItems",
                Out::List(Vec::new()),
            )]));
        }
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "The value {other} for parameter HistoryItemType is not valid: expected ConfigurationUpdate, StateUpdate or Action."
            )));
        }
    };
    let start = i.time("StartDate")?;
    let end = i.time("EndDate")?;
    let ascending = match i.str("ScanBy")? {
        None | Some("TimestampDescending") => false,
        Some("TimestampAscending") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "The value {other} for parameter ScanBy is not valid."
            )));
        }
    };
    let max = i.int("MaxRecords")?.unwrap_or(100).clamp(1, 100) as usize;
    let mut items: Vec<(&Alarm, &crate::alarm::HistoryItem)> = ctx
        .alarms
        .iter()
        .filter(|a| name.is_none_or(|n| a.name() == n))
        .flat_map(|a| a.history().map(move |h| (a, h)))
        .filter(|(_, h)| kind.is_none_or(|k| h.kind == k))
        .filter(|(_, h)| {
            start.is_none_or(|s| h.timestamp >= s) && end.is_none_or(|e| h.timestamp <= e)
        })
        .collect();
    items.sort_by_key(|(_, h)| h.timestamp);
    if !ascending {
        items.reverse();
    }
    let (page, next) = paginate(items, i.str("NextToken")?, max)?;
    let out = page
        .iter()
        .map(|(a, h)| {
            Out::Struct(vec![
                ("AlarmName", s(a.name())),
                ("AlarmType", s("MetricAlarm")),
                ("Timestamp", Out::Time(h.timestamp)),
                ("HistoryItemType", s(h.kind.as_str())),
                ("HistorySummary", s(h.summary.as_str())),
                ("HistoryData", s(h.data.as_str())),
            ])
        })
        .collect();
    let mut f = vec![("AlarmHistoryItems", Out::List(out))];
    if let Some(n) = next {
        f.push(("NextToken", s(n)));
    }
    Ok(Out::Struct(f))
}
