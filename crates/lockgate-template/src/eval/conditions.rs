//! The `Conditions` section: evaluation order, unknown names and cycles.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{ConditionValue, EvalError, Scope, as_intrinsic};
use crate::span::{Path, PathSeg};

/// `{"Condition": name}` references inside a condition body, with their paths.
fn condition_refs(v: &Value, path: &mut Vec<PathSeg>, out: &mut Vec<(String, Path)>) {
    match v {
        Value::Object(m) => {
            if let Some(("Condition", Value::String(name))) = as_intrinsic(v) {
                path.push(PathSeg::Key("Condition".into()));
                out.push((name.clone(), Path(path.clone())));
                path.pop();
                return;
            }
            for (k, x) in m {
                path.push(PathSeg::Key(k.clone()));
                condition_refs(x, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                path.push(PathSeg::Index(i));
                condition_refs(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Evaluates every condition. `base.conditions` is not used. Unknown
/// condition names and cycles are errors; conditions in a cycle stay unknown.
pub fn evaluate_conditions(
    conditions: &Map<String, Value>,
    base: &Scope<'_>,
) -> (HashMap<String, ConditionValue>, Vec<EvalError>) {
    let mut errors = Vec::new();
    let names: Vec<&String> = conditions.keys().collect();
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    let mut broken = vec![false; names.len()];
    for (i, (name, body)) in conditions.iter().enumerate() {
        let mut refs = Vec::new();
        let mut path = vec![
            PathSeg::Key("Conditions".into()),
            PathSeg::Key(name.clone()),
        ];
        condition_refs(body, &mut path, &mut refs);
        for (r, p) in refs {
            match index.get(r.as_str()) {
                Some(&j) => deps[i].push(j),
                None => {
                    broken[i] = true;
                    errors.push(EvalError {
                        code: "unknown-condition",
                        path: p,
                        message: format!("`{r}` is not a condition of this template"),
                        help: Some(
                            "expected the name of an entry in the Conditions section".into(),
                        ),
                        subject: Some(r.clone()),
                    });
                }
            }
        }
    }
    // Depth-first order with cycle detection.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; names.len()];
    let mut order = Vec::with_capacity(names.len());
    let mut in_cycle = vec![false; names.len()];
    for start in 0..names.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // (node, next dependency to visit)
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        marks[start] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&dep) = deps[node].get(*next) {
                *next += 1;
                match marks[dep] {
                    Mark::New => {
                        marks[dep] = Mark::Active;
                        stack.push((dep, 0));
                    }
                    Mark::Active => {
                        let pos = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let cycle: Vec<&str> = stack[pos..]
                            .iter()
                            .map(|(n, _)| names[*n].as_str())
                            .collect();
                        for (n, _) in &stack[pos..] {
                            in_cycle[*n] = true;
                        }
                        errors.push(EvalError {
                            code: "condition-cycle",
                            path: Path(vec![
                                PathSeg::Key("Conditions".into()),
                                PathSeg::Key(names[dep].clone()),
                            ]),
                            message: format!(
                                "the conditions {} refer to each other in a cycle",
                                cycle_text(&cycle)
                            ),
                            help: Some(
                                "a condition cannot depend on itself, directly or through others"
                                    .into(),
                            ),
                            subject: None,
                        });
                    }
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                order.push(node);
                stack.pop();
            }
        }
    }
    let mut values: HashMap<String, ConditionValue> =
        names.iter().map(|n| ((*n).clone(), None)).collect();
    for i in order {
        if broken[i] || in_cycle[i] || deps[i].iter().any(|d| in_cycle[*d] || broken[*d]) {
            continue;
        }
        let name = names[i];
        let body = &conditions[name.as_str()];
        let scope = Scope {
            conditions: &values,
            in_condition: true,
            ..*base
        };
        let mut path = vec![
            PathSeg::Key("Conditions".into()),
            PathSeg::Key(name.clone()),
        ];
        let r = match as_intrinsic(body) {
            Some((f, arg))
                if matches!(
                    f,
                    "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" | "Condition"
                ) =>
            {
                path.push(PathSeg::Key(f.to_string()));
                scope.condition_fn(f, arg, &mut path)
            }
            _ => Err(EvalError {
                code: "invalid-condition",
                path: Path(path.clone()),
                message: format!("the condition `{name}` is not a condition function"),
                help: Some("expected Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition".into()),
                subject: None,
            }),
        };
        match r {
            Ok(v) => {
                values.insert(name.clone(), v);
            }
            Err(e) => errors.push(e),
        }
    }
    (values, errors)
}

fn cycle_text(names: &[&str]) -> String {
    let mut s: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    if let Some(first) = s.first().cloned() {
        s.push(first);
    }
    s.join(" → ")
}
