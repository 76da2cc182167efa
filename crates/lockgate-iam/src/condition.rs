//! The `Condition` element: operators, set qualifiers, `...IfExists`, and
//! how a request's context satisfies them.
//!
//! The rules, from IAM's documentation of condition operators and of
//! multivalued context keys:
//!
//! - several operators in a block: AND; several keys under one operator:
//!   AND; several values for one key: OR (for a negated operator, NOR:
//!   `StringNotEquals {k: [a, b]}` holds when the value is neither);
//! - a key absent from the request context: the condition is false, but a
//!   negated operator (`StringNotEquals`, `ArnNotLike`, `NotIpAddress`, …)
//!   is true; `...IfExists` is true; `ForAllValues:` is true;
//!   `ForAnyValue:` is false; `Null` tests presence itself (these rules
//!   are for a key truly absent: a key the caller cannot see is left
//!   undecided by [`Condition::holds_seeing`] instead);
//! - `ForAnyValue:`: some value in the request matches (for a negated
//!   operator: some value in the request matches none of the policy's);
//!   `ForAllValues:`: every value in the request does (for a negated
//!   operator: none of them matches any of the policy's);
//! - without a set qualifier, a key the request holds several values for
//!   matches when any of its values does (negated: when none does);
//! - policy variables are substituted in the values of the `String*` and
//!   `Arn*` operators only.

use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::Value;

use crate::error::PolicyError;
use crate::glob::{self, Tok};
use crate::vars::{Template, lookup};

/// The operator families IAM defines (without qualifiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const OPERATORS: &[(&str, Base)] = &[
    ("StringEquals", Base::StringEquals),
    ("StringNotEquals", Base::StringNotEquals),
    ("StringEqualsIgnoreCase", Base::StringEqualsIgnoreCase),
    ("StringNotEqualsIgnoreCase", Base::StringNotEqualsIgnoreCase),
    ("StringLike", Base::StringLike),
    ("StringNotLike", Base::StringNotLike),
    ("NumericEquals", Base::NumericEquals),
    ("NumericNotEquals", Base::NumericNotEquals),
    ("NumericLessThan", Base::NumericLessThan),
    ("NumericLessThanEquals", Base::NumericLessThanEquals),
    ("NumericGreaterThan", Base::NumericGreaterThan),
    ("NumericGreaterThanEquals", Base::NumericGreaterThanEquals),
    ("DateEquals", Base::DateEquals),
    ("DateNotEquals", Base::DateNotEquals),
    ("DateLessThan", Base::DateLessThan),
    ("DateLessThanEquals", Base::DateLessThanEquals),
    ("DateGreaterThan", Base::DateGreaterThan),
    ("DateGreaterThanEquals", Base::DateGreaterThanEquals),
    ("Bool", Base::Bool),
    ("BinaryEquals", Base::BinaryEquals),
    ("IpAddress", Base::IpAddress),
    ("NotIpAddress", Base::NotIpAddress),
    ("ArnEquals", Base::ArnEquals),
    ("ArnLike", Base::ArnLike),
    ("ArnNotEquals", Base::ArnNotEquals),
    ("ArnNotLike", Base::ArnNotLike),
    ("Null", Base::Null),
];

impl Base {
    /// The positive operator a negated one negates, and whether it is
    /// negated.
    fn polarity(self) -> (Base, bool) {
        match self {
            Base::StringNotEquals => (Base::StringEquals, true),
            Base::StringNotEqualsIgnoreCase => (Base::StringEqualsIgnoreCase, true),
            Base::StringNotLike => (Base::StringLike, true),
            Base::NumericNotEquals => (Base::NumericEquals, true),
            Base::DateNotEquals => (Base::DateEquals, true),
            Base::NotIpAddress => (Base::IpAddress, true),
            Base::ArnNotEquals => (Base::ArnEquals, true),
            Base::ArnNotLike => (Base::ArnLike, true),
            b => (b, false),
        }
    }

    /// Whether IAM substitutes policy variables in this operator's values.
    fn takes_variables(self) -> bool {
        matches!(
            self.polarity().0,
            Base::StringEquals
                | Base::StringEqualsIgnoreCase
                | Base::StringLike
                | Base::ArnEquals
                | Base::ArnLike
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Single,
    ForAllValues,
    ForAnyValue,
}

/// One policy value of a condition.
#[derive(Debug, Clone, PartialEq)]
struct PolicyValue {
    raw: String,
    template: Template,
}

/// One operator of a `Condition` block with its keys and values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    base: Base,
    set: SetOp,
    if_exists: bool,
    keys: Vec<(String, Vec<PolicyValue>)>,
}

/// Parses a statement's `Condition` element.
pub(crate) fn parse_block(
    index: usize,
    value: &Value,
    variables: bool,
) -> Result<Vec<Condition>, PolicyError> {
    let block = value.as_object().ok_or(PolicyError::InvalidType {
        index,
        field: "Condition",
        expected: "an object mapping condition operators to keys",
    })?;
    let mut out = Vec::with_capacity(block.len());
    for (name, keys) in block {
        let (base, set, if_exists) =
            parse_operator(name).ok_or_else(|| PolicyError::UnknownConditionOperator {
                index,
                operator: name.clone(),
            })?;
        let invalid = |key: Option<&String>, reason| PolicyError::InvalidCondition {
            index,
            operator: name.clone(),
            key: key.cloned(),
            reason,
        };
        let keys = keys
            .as_object()
            .ok_or_else(|| invalid(None, "must be an object mapping condition keys to values"))?;
        let mut parsed = Vec::with_capacity(keys.len());
        for (key, values) in keys {
            let list: Vec<&Value> = match values {
                Value::Array(items) => items.iter().collect(),
                v => vec![v],
            };
            if list.is_empty() {
                return Err(invalid(Some(key), "has no value"));
            }
            let mut vals = Vec::with_capacity(list.len());
            for v in list {
                let raw = match v {
                    Value::String(s) => s.clone(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    _ => {
                        return Err(invalid(
                            Some(key),
                            "values must be strings, numbers or booleans",
                        ));
                    }
                };
                let template = Template::parse(&raw, variables && base.takes_variables());
                vals.push(PolicyValue { raw, template });
            }
            parsed.push((key.clone(), vals));
        }
        out.push(Condition {
            base,
            set,
            if_exists,
            keys: parsed,
        });
    }
    Ok(out)
}

/// `[ForAllValues:|ForAnyValue:]Operator[IfExists]`, read
/// case-insensitively. `Null` takes neither qualifier.
fn parse_operator(name: &str) -> Option<(Base, SetOp, bool)> {
    let (set, rest) = if let Some(rest) = strip_prefix_ci(name, "ForAllValues:") {
        (SetOp::ForAllValues, rest)
    } else if let Some(rest) = strip_prefix_ci(name, "ForAnyValue:") {
        (SetOp::ForAnyValue, rest)
    } else {
        (SetOp::Single, name)
    };
    let find = |s: &str| {
        OPERATORS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, b)| *b)
    };
    let (base, if_exists) = match find(rest) {
        Some(base) => (base, false),
        None => {
            let cut = rest.len().checked_sub("IfExists".len())?;
            let (stem, suffix) = (rest.get(..cut)?, rest.get(cut..)?);
            if !suffix.eq_ignore_ascii_case("IfExists") {
                return None;
            }
            (find(stem)?, true)
        }
    };
    if base == Base::Null && (if_exists || set != SetOp::Single) {
        return None;
    }
    Some((base, set, if_exists))
}

fn strip_prefix_ci<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

impl Condition {
    /// Whether the request's context satisfies this operator; `None` when a
    /// policy variable it needs cannot be resolved (the statement is then
    /// invalid for this request).
    #[cfg(test)]
    pub(crate) fn holds(&self, context: &HashMap<String, Vec<String>>) -> Option<bool> {
        self.holds_seeing(context, &|_| false, &mut Vec::new())
    }

    /// [`Condition::holds`] when some keys are ones the caller cannot see
    /// (`unseen`): a key that is one, or whose values' variables read one,
    /// is left undecided and added to `unknown`; the others are evaluated.
    /// `Some(false)` as soon as one evaluated key fails (the operator's
    /// keys are ANDed, so no unseen value can make it hold); `None` for an
    /// unresolvable variable of an evaluated key, as in `holds`;
    /// `Some(true)` when every evaluated key holds, the unseen ones then
    /// deciding.
    pub(crate) fn holds_seeing(
        &self,
        context: &HashMap<String, Vec<String>>,
        unseen: &dyn Fn(&str) -> bool,
        unknown: &mut Vec<String>,
    ) -> Option<bool> {
        for (key, values) in &self.keys {
            if unseen(key) || values.iter().any(|v| v.template.variables().any(unseen)) {
                if !unknown.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                    unknown.push(key.clone());
                }
                continue;
            }
            if !self.key_holds(key, values, context)? {
                return Some(false);
            }
        }
        Some(true)
    }

    fn key_holds(
        &self,
        key: &str,
        values: &[PolicyValue],
        context: &HashMap<String, Vec<String>>,
    ) -> Option<bool> {
        let present = lookup(context, key);
        if self.base == Base::Null {
            // "true": the key is absent; "false": it is present.
            return Some(values.iter().any(|v| {
                if v.raw.eq_ignore_ascii_case("true") {
                    present.is_none()
                } else if v.raw.eq_ignore_ascii_case("false") {
                    present.is_some()
                } else {
                    false
                }
            }));
        }
        let (positive, negated) = self.base.polarity();
        let Some(request) = present else {
            return Some(if self.if_exists {
                true
            } else {
                match self.set {
                    SetOp::ForAllValues => true,
                    SetOp::ForAnyValue => false,
                    SetOp::Single => negated,
                }
            });
        };
        let policy: Vec<Option<Vec<Tok>>> = if self.base.takes_variables() {
            let mut resolved = Vec::with_capacity(values.len());
            for v in values {
                resolved.push(Some(v.template.resolve(context)?));
            }
            resolved
        } else {
            vec![None; values.len()]
        };
        // For each request value: does it match any policy value?
        let hits: Vec<bool> = request
            .iter()
            .map(|r| {
                values
                    .iter()
                    .zip(&policy)
                    .any(|(v, toks)| matches(positive, r, &v.raw, toks.as_deref()))
            })
            .collect();
        Some(match (self.set, negated) {
            (SetOp::Single, false) | (SetOp::ForAnyValue, false) => hits.iter().any(|&h| h),
            (SetOp::Single, true) => !hits.iter().any(|&h| h),
            (SetOp::ForAnyValue, true) => hits.iter().any(|&h| !h),
            (SetOp::ForAllValues, false) => hits.iter().all(|&h| h),
            (SetOp::ForAllValues, true) => hits.iter().all(|&h| !h),
        })
    }
}

/// Whether one request value matches one policy value under a positive
/// operator. `toks` holds the policy value with variables substituted, for
/// the operators that take variables.
fn matches(op: Base, request: &str, raw: &str, toks: Option<&[Tok]>) -> bool {
    let toks = || {
        toks.map(<[Tok]>::to_vec)
            .unwrap_or_else(|| glob::pattern(raw))
    };
    match op {
        Base::StringEquals => request == glob::spell(&toks()),
        Base::StringEqualsIgnoreCase => {
            request.to_lowercase() == glob::spell(&toks()).to_lowercase()
        }
        Base::StringLike => glob::glob(&toks(), request, false),
        Base::ArnEquals | Base::ArnLike => glob::arn_glob(&toks(), request),
        Base::NumericEquals
        | Base::NumericLessThan
        | Base::NumericLessThanEquals
        | Base::NumericGreaterThan
        | Base::NumericGreaterThanEquals => match (number(request), number(raw)) {
            (Some(r), Some(p)) => compare(op, r.partial_cmp(&p)),
            _ => false,
        },
        Base::DateEquals
        | Base::DateLessThan
        | Base::DateLessThanEquals
        | Base::DateGreaterThan
        | Base::DateGreaterThanEquals => match (timestamp(request), timestamp(raw)) {
            (Some(r), Some(p)) => compare(op, Some(r.cmp(&p))),
            _ => false,
        },
        Base::Bool => request.eq_ignore_ascii_case(raw),
        Base::BinaryEquals => request == raw,
        Base::IpAddress => in_network(request, raw),
        // Negated operators and Null never reach here.
        _ => false,
    }
}

fn compare(op: Base, ord: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let Some(ord) = ord else { return false };
    match op {
        Base::NumericEquals | Base::DateEquals => ord == Equal,
        Base::NumericLessThan | Base::DateLessThan => ord == Less,
        Base::NumericLessThanEquals | Base::DateLessThanEquals => ord != Greater,
        Base::NumericGreaterThan | Base::DateGreaterThan => ord == Greater,
        Base::NumericGreaterThanEquals | Base::DateGreaterThanEquals => ord != Less,
        _ => false,
    }
}

fn number(s: &str) -> Option<f64> {
    let n: f64 = s.trim().parse().ok()?;
    n.is_finite().then_some(n)
}

/// Milliseconds since the Unix epoch of an IAM date value: ISO 8601
/// (`2026-01-31`, `2026-01-31T12:00:00Z`, with fractional seconds or a
/// `+hh:mm` offset) or epoch seconds (`aws:EpochTime`).
fn timestamp(s: &str) -> Option<i128> {
    let s = s.trim();
    if !s.is_empty()
        && s.trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        return s.parse::<i128>().ok().map(|secs| secs * 1000);
    }
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let year = digits(0..4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(5..7)?;
    let day = digits(8..10)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut millis: i128 = 0;
    let mut rest = &s[10..];
    if let Some(time) = rest.strip_prefix('T').or_else(|| rest.strip_prefix('t')) {
        let tb = time.as_bytes();
        let two = |at: usize| -> Option<i64> {
            let part = time.get(at..at + 2)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let hour = two(0)?;
        if tb.get(2) != Some(&b':') {
            return None;
        }
        let minute = two(3)?;
        let mut used = 5;
        let mut second = 0;
        if tb.get(5) == Some(&b':') {
            second = two(6)?;
            used = 8;
            if tb.get(8) == Some(&b'.') {
                let frac: String = time[9..].chars().take_while(char::is_ascii_digit).collect();
                if frac.is_empty() {
                    return None;
                }
                let ms: String = frac.chars().chain("000".chars()).take(3).collect();
                millis += ms.parse::<i128>().ok()?;
                used = 9 + frac.len();
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        millis += i128::from(hour * 3600 + minute * 60 + second) * 1000;
        rest = &time[used..];
    }
    let offset_secs: i64 = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let zone = rest[1..].replace(':', "");
            if zone.len() != 4 || !zone.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let h: i64 = zone[..2].parse().ok()?;
            let m: i64 = zone[2..].parse().ok()?;
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some(i128::from(days) * 86_400_000 + millis - i128::from(offset_secs) * 1000)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whether `ip` lies in `network` (`203.0.113.0/24`, `2001:db8::/32`, or a
/// single address).
fn in_network(ip: &str, network: &str) -> bool {
    let Ok(ip) = ip.trim().parse::<IpAddr>() else {
        return false;
    };
    let (addr, prefix) = match network.trim().split_once('/') {
        Some((a, p)) => match p.parse::<u32>() {
            Ok(p) => (a, Some(p)),
            Err(_) => return false,
        },
        None => (network.trim(), None),
    };
    let Ok(net) = addr.parse::<IpAddr>() else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let prefix = prefix.unwrap_or(32);
            if prefix > 32 {
                return false;
            }
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let prefix = prefix.unwrap_or(128);
            if prefix > 128 {
                return false;
            }
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::test_context as ctx;

    /// Whether a whole `Condition` block holds.
    fn holds(block: Value, context: &HashMap<String, Vec<String>>) -> Option<bool> {
        let conditions = parse_block(0, &block, true).expect("valid block");
        let mut all = true;
        for c in &conditions {
            all &= c.holds(context)?;
        }
        Some(all)
    }

    fn yes(block: Value, context: &[(&str, &[&str])]) {
        assert_eq!(
            holds(block.clone(), &ctx(context)),
            Some(true),
            "{block} with {context:?}"
        );
    }

    fn no(block: Value, context: &[(&str, &[&str])]) {
        assert_eq!(
            holds(block.clone(), &ctx(context)),
            Some(false),
            "{block} with {context:?}"
        );
    }

    #[test]
    fn string_operators() {
        let r = [("aws:RequestedRegion", &["us-east-1"][..])];
        yes(
            json!({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}),
            &r,
        );
        no(
            json!({"StringEquals": {"aws:RequestedRegion": "US-EAST-1"}}),
            &r,
        );
        no(json!({"StringEquals": {"aws:RequestedRegion": "us-*"}}), &r);
        yes(
            json!({"StringEqualsIgnoreCase": {"aws:RequestedRegion": "US-EAST-1"}}),
            &r,
        );
        no(
            json!({"StringNotEqualsIgnoreCase": {"aws:RequestedRegion": "US-EAST-1"}}),
            &r,
        );
        yes(json!({"StringLike": {"aws:RequestedRegion": "us-*"}}), &r);
        yes(
            json!({"StringLike": {"aws:RequestedRegion": "us-east-?"}}),
            &r,
        );
        no(json!({"StringLike": {"aws:RequestedRegion": "eu-*"}}), &r);
        no(
            json!({"StringNotLike": {"aws:RequestedRegion": "us-*"}}),
            &r,
        );
        yes(
            json!({"StringNotLike": {"aws:RequestedRegion": "eu-*"}}),
            &r,
        );
        yes(
            json!({"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}),
            &r,
        );
    }

    #[test]
    fn keys_are_case_insensitive() {
        let r = [("AWS:requestedregion", &["us-east-1"][..])];
        yes(
            json!({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}),
            &r,
        );
    }

    #[test]
    fn values_or_keys_and_operators_and() {
        let r = [
            ("aws:RequestedRegion", &["us-east-1"][..]),
            ("ssm:Recursive", &["true"][..]),
        ];
        // Values: OR.
        yes(
            json!({"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}),
            &r,
        );
        // Negated values: NOR.
        no(
            json!({"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}),
            &r,
        );
        yes(
            json!({"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-west-2"]}}),
            &r,
        );
        // Keys: AND.
        yes(
            json!({"StringEquals": {"aws:RequestedRegion": "us-east-1", "ssm:Recursive": "true"}}),
            &r,
        );
        no(
            json!({"StringEquals": {"aws:RequestedRegion": "us-east-1", "ssm:Recursive": "false"}}),
            &r,
        );
        // Operators: AND.
        yes(
            json!({"StringEquals": {"aws:RequestedRegion": "us-east-1"}, "Bool": {"ssm:Recursive": "true"}}),
            &r,
        );
        no(
            json!({"StringEquals": {"aws:RequestedRegion": "us-east-1"}, "Bool": {"ssm:Recursive": false}}),
            &r,
        );
    }

    #[test]
    fn absent_keys() {
        let none: [(&str, &[&str]); 0] = [];
        // Positive operators: false.
        no(json!({"StringEquals": {"aws:username": "alice"}}), &none);
        no(json!({"StringLike": {"aws:username": "*"}}), &none);
        no(json!({"ArnLike": {"aws:SourceArn": "*"}}), &none);
        no(json!({"NumericLessThan": {"s3:max-keys": "10"}}), &none);
        no(json!({"Bool": {"aws:SecureTransport": "true"}}), &none);
        no(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), &none);
        // Negated operators: true (IAM documents this for StringNotLike and
        // ArnNotLike and says it applies to every operator).
        yes(json!({"StringNotEquals": {"aws:username": "alice"}}), &none);
        yes(json!({"StringNotLike": {"aws:username": "a*"}}), &none);
        yes(json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:*"}}), &none);
        yes(
            json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            &none,
        );
        // IfExists: true.
        yes(
            json!({"StringEqualsIfExists": {"aws:username": "alice"}}),
            &none,
        );
        yes(
            json!({"StringNotEqualsIfExists": {"aws:username": "alice"}}),
            &none,
        );
        yes(
            json!({"NumericLessThanIfExists": {"s3:max-keys": "10"}}),
            &none,
        );
        yes(
            json!({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "a"}}),
            &none,
        );
        // Null.
        yes(json!({"Null": {"aws:username": "true"}}), &none);
        no(json!({"Null": {"aws:username": "false"}}), &none);
        // Set qualifiers.
        yes(
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": "a"}}),
            &none,
        );
        no(
            json!({"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}}),
            &none,
        );
        no(
            json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": "a"}}),
            &none,
        );
        // An empty list of values counts as absent.
        let empty = [("aws:TagKeys", &[][..])];
        yes(
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": "a"}}),
            &empty,
        );
        yes(json!({"Null": {"aws:TagKeys": "true"}}), &empty);
    }

    #[test]
    fn if_exists_checks_a_present_key() {
        let r = [("aws:username", &["bob"][..])];
        no(
            json!({"StringEqualsIfExists": {"aws:username": "alice"}}),
            &r,
        );
        yes(json!({"StringEqualsIfExists": {"aws:username": "bob"}}), &r);
        yes(
            json!({"StringNotEqualsIfExists": {"aws:username": "alice"}}),
            &r,
        );
    }

    #[test]
    fn null_checks_presence() {
        let r = [("aws:TokenIssueTime", &["2026-01-01T00:00:00Z"][..])];
        no(json!({"Null": {"aws:TokenIssueTime": "true"}}), &r);
        yes(json!({"Null": {"aws:TokenIssueTime": "false"}}), &r);
        yes(json!({"Null": {"aws:TokenIssueTime": false}}), &r);
    }

    #[test]
    fn set_qualifiers() {
        let r = [("aws:TagKeys", &["env", "team"][..])];
        yes(
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team", "cost"]}}),
            &r,
        );
        no(
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}),
            &r,
        );
        yes(
            json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}),
            &r,
        );
        no(
            json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["cost"]}}),
            &r,
        );
        yes(
            json!({"ForAllValues:StringLike": {"aws:TagKeys": ["e*", "t*"]}}),
            &r,
        );
        // Negated: ForAllValues = no request value is listed.
        yes(
            json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["cost"]}}),
            &r,
        );
        no(
            json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["env"]}}),
            &r,
        );
        // Negated: ForAnyValue = some request value is not listed.
        yes(
            json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env"]}}),
            &r,
        );
        no(
            json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env", "team"]}}),
            &r,
        );
        // Without a qualifier, several request values: any of them.
        yes(json!({"StringEquals": {"aws:TagKeys": "team"}}), &r);
        no(json!({"StringNotEquals": {"aws:TagKeys": "team"}}), &r);
    }

    #[test]
    fn numeric_operators() {
        let r = [("s3:max-keys", &["10"][..])];
        yes(json!({"NumericEquals": {"s3:max-keys": "10"}}), &r);
        yes(json!({"NumericEquals": {"s3:max-keys": 10}}), &r);
        yes(json!({"NumericEquals": {"s3:max-keys": "10.0"}}), &r);
        no(json!({"NumericNotEquals": {"s3:max-keys": "10"}}), &r);
        yes(json!({"NumericNotEquals": {"s3:max-keys": "11"}}), &r);
        yes(json!({"NumericLessThan": {"s3:max-keys": "11"}}), &r);
        no(json!({"NumericLessThan": {"s3:max-keys": "10"}}), &r);
        yes(json!({"NumericLessThanEquals": {"s3:max-keys": "10"}}), &r);
        yes(json!({"NumericGreaterThan": {"s3:max-keys": "9"}}), &r);
        no(json!({"NumericGreaterThan": {"s3:max-keys": "10"}}), &r);
        yes(
            json!({"NumericGreaterThanEquals": {"s3:max-keys": "10"}}),
            &r,
        );
        // Not a number: no match.
        no(json!({"NumericEquals": {"s3:max-keys": "ten"}}), &r);
        no(
            json!({"NumericEquals": {"s3:max-keys": "10"}}),
            &[("s3:max-keys", &["x"][..])],
        );
    }

    #[test]
    fn date_operators() {
        let r = [("aws:CurrentTime", &["2026-03-01T12:00:00Z"][..])];
        yes(
            json!({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}),
            &r,
        );
        yes(
            json!({"DateLessThan": {"aws:CurrentTime": "2027-01-01"}}),
            &r,
        );
        no(
            json!({"DateLessThan": {"aws:CurrentTime": "2026-03-01T12:00:00Z"}}),
            &r,
        );
        yes(
            json!({"DateLessThanEquals": {"aws:CurrentTime": "2026-03-01T12:00:00Z"}}),
            &r,
        );
        yes(
            json!({"DateEquals": {"aws:CurrentTime": "2026-03-01T13:00:00+01:00"}}),
            &r,
        );
        yes(
            json!({"DateEquals": {"aws:CurrentTime": "2026-03-01T12:00:00.000Z"}}),
            &r,
        );
        yes(json!({"DateEquals": {"aws:CurrentTime": "1772366400"}}), &r);
        no(
            json!({"DateNotEquals": {"aws:CurrentTime": "1772366400"}}),
            &r,
        );
        no(json!({"DateEquals": {"aws:CurrentTime": "yesterday"}}), &r);
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(timestamp("1970-01-02"), Some(86_400_000));
        assert_eq!(timestamp("2000-03-01T00:00:00Z"), Some(951_868_800_000));
        assert_eq!(timestamp("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(timestamp("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(timestamp("1970-01-01T00:00"), Some(0));
        assert_eq!(timestamp("1970-13-01"), None);
        assert_eq!(timestamp("1970-01-01T25:00:00Z"), None);
        assert_eq!(timestamp("1970-01-01T00:00:00Q"), None);
    }

    #[test]
    fn bool_and_binary() {
        let r = [("aws:SecureTransport", &["true"][..])];
        yes(json!({"Bool": {"aws:SecureTransport": "true"}}), &r);
        yes(json!({"Bool": {"aws:SecureTransport": true}}), &r);
        yes(json!({"Bool": {"aws:SecureTransport": "TRUE"}}), &r);
        no(json!({"Bool": {"aws:SecureTransport": "false"}}), &r);
        yes(
            json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}),
            &r,
        );
        let b = [("k:bin", &["QmluYXJ5"][..])];
        yes(json!({"BinaryEquals": {"k:bin": "QmluYXJ5"}}), &b);
        no(json!({"BinaryEquals": {"k:bin": "qmluyxj5"}}), &b);
    }

    #[test]
    fn ip_operators() {
        let r = [("aws:SourceIp", &["203.0.113.7"][..])];
        yes(json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}), &r);
        yes(json!({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}), &r);
        yes(json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}), &r);
        no(
            json!({"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}),
            &r,
        );
        yes(
            json!({"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}}),
            &r,
        );
        no(json!({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}), &r);
        let v6 = [("aws:SourceIp", &["2001:db8::1"][..])];
        yes(json!({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}), &v6);
    }

    #[test]
    fn arn_operators() {
        let r = [(
            "aws:SourceArn",
            &["arn:aws:sns:us-east-1:123456789012:topic"][..],
        )];
        yes(
            json!({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic"}}),
            &r,
        );
        yes(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}}),
            &r,
        );
        yes(
            json!({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:*:topic"}}),
            &r,
        );
        no(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:sqs:*:*:*"}}),
            &r,
        );
        yes(
            json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:sqs:*:*:*"}}),
            &r,
        );
        no(
            json!({"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic"}}),
            &r,
        );
        no(
            json!({"ArnLike": {"aws:SourceArn": "ARN:aws:sns:*:*:*"}}),
            &r,
        );
    }

    #[test]
    fn variables_in_values() {
        let r = [
            ("s3:prefix", &["alice/notes"][..]),
            ("aws:username", &["alice"][..]),
        ];
        yes(
            json!({"StringLike": {"s3:prefix": "${aws:username}/*"}}),
            &r,
        );
        no(
            json!({"StringLike": {"s3:prefix": "${aws:username}x/*"}}),
            &r,
        );
        // Unresolvable: the statement is invalid for this request.
        let c = ctx(&[("s3:prefix", &["alice/notes"])]);
        assert_eq!(
            holds(
                json!({"StringLike": {"s3:prefix": "${aws:username}/*"}}),
                &c
            ),
            None
        );
        // Numeric and the other operators take no variables.
        let n = [("k:n", &["${x}"][..])];
        no(json!({"NumericEquals": {"k:n": "${x}"}}), &n);
        yes(json!({"BinaryEquals": {"k:n": "${x}"}}), &n);
    }

    #[test]
    fn operator_names() {
        assert_eq!(
            parse_operator("StringEquals"),
            Some((Base::StringEquals, SetOp::Single, false))
        );
        assert_eq!(
            parse_operator("stringequals"),
            Some((Base::StringEquals, SetOp::Single, false))
        );
        assert_eq!(
            parse_operator("ForAnyValue:StringLikeIfExists"),
            Some((Base::StringLike, SetOp::ForAnyValue, true))
        );
        assert_eq!(
            parse_operator("ForAllValues:ArnNotLike"),
            Some((Base::ArnNotLike, SetOp::ForAllValues, false))
        );
        assert_eq!(
            parse_operator("Null"),
            Some((Base::Null, SetOp::Single, false))
        );
        assert_eq!(parse_operator("NullIfExists"), None);
        assert_eq!(parse_operator("ForAnyValue:Null"), None);
        assert_eq!(parse_operator("StringEqualz"), None);
        assert_eq!(parse_operator("IfExists"), None);
        assert_eq!(parse_operator("ForSomeValues:StringEquals"), None);
        assert_eq!(parse_operator(""), None);
    }

    #[test]
    fn malformed_blocks() {
        let err = |v: Value| parse_block(3, &v, true).unwrap_err();
        assert!(matches!(
            err(json!({"StringEqualz": {"a:b": "c"}})),
            PolicyError::UnknownConditionOperator { index: 3, operator } if operator == "StringEqualz"
        ));
        assert!(matches!(
            err(json!("x")),
            PolicyError::InvalidType {
                index: 3,
                field: "Condition",
                ..
            }
        ));
        assert!(matches!(
            err(json!({"StringEquals": "x"})),
            PolicyError::InvalidCondition { key: None, .. }
        ));
        assert!(matches!(
            err(json!({"StringEquals": {"a:b": []}})),
            PolicyError::InvalidCondition { key: Some(k), .. } if k == "a:b"
        ));
        assert!(matches!(
            err(json!({"StringEquals": {"a:b": {"x": 1}}})),
            PolicyError::InvalidCondition { .. }
        ));
        assert!(matches!(
            err(json!({"StringEquals": {"a:b": null}})),
            PolicyError::InvalidCondition { .. }
        ));
    }
}
