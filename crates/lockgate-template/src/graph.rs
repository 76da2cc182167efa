//! The resource dependency graph: from `Ref`, `Fn::GetAtt`, `Fn::Sub`
//! variables and `DependsOn`; unknown targets, cycles, apply order and levels.

use std::collections::{HashMap, HashSet};

use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::{Map, Value};

use crate::eval::sub::sub_vars;
use crate::eval::{PSEUDO_PARAMETERS, as_intrinsic};
use crate::span::{Path, PathSeg};

/// A problem found while building the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    /// Kebab-case kind: `unknown-reference`, `unknown-dependency`, `dependency-cycle`, `invalid-argument`.
    pub code: &'static str,
    /// Where.
    pub path: Path,
    /// What is wrong.
    pub message: String,
    /// What was expected.
    pub help: Option<String>,
    /// The name at fault (narrows the reported span to it when it appears there).
    pub subject: Option<String>,
}

/// Resources and who depends on whom. Edges point from a resource to what it needs.
#[derive(Debug, Clone, Default)]
pub struct DependencyGraph {
    ids: Vec<String>,
    index: HashMap<String, usize>,
    deps: Vec<Vec<usize>>,
}

impl DependencyGraph {
    /// The resources, in template order.
    pub fn resources(&self) -> &[String] {
        &self.ids
    }

    /// What `id` depends on (directly).
    pub fn dependencies_of(&self, id: &str) -> Vec<&str> {
        self.index
            .get(id)
            .map(|&i| self.deps[i].iter().map(|&d| self.ids[d].as_str()).collect())
            .unwrap_or_default()
    }

    /// What depends on `id` (directly).
    pub fn dependents_of(&self, id: &str) -> Vec<&str> {
        let Some(&target) = self.index.get(id) else {
            return Vec::new();
        };
        (0..self.ids.len())
            .filter(|&i| self.deps[i].contains(&target))
            .map(|i| self.ids[i].as_str())
            .collect()
    }

    /// Groups of resources that can be created together: every resource of a
    /// level depends only on resources of earlier levels. Template order within a level.
    /// Resources in a cycle are left out (the graph reports the cycle when built).
    pub fn levels(&self) -> Vec<Vec<&str>> {
        let n = self.ids.len();
        let mut level: Vec<Option<usize>> = vec![None; n];
        let mut changed = true;
        while changed {
            changed = false;
            for i in 0..n {
                if level[i].is_some() {
                    continue;
                }
                let mut max = 0usize;
                let mut ready = true;
                for &d in &self.deps[i] {
                    match level[d] {
                        Some(l) => max = max.max(l + 1),
                        None => ready = false,
                    }
                }
                if ready {
                    level[i] = Some(max);
                    changed = true;
                }
            }
        }
        let depth = level.iter().flatten().max().map_or(0, |m| m + 1);
        let mut out = vec![Vec::new(); depth];
        for (i, l) in level.iter().enumerate() {
            if let Some(l) = l {
                out[*l].push(self.ids[i].as_str());
            }
        }
        out
    }

    /// A creation order: dependencies first.
    pub fn order(&self) -> Vec<&str> {
        self.levels().into_iter().flatten().collect()
    }
}

struct Builder<'a> {
    index: &'a HashMap<String, usize>,
    params: &'a HashSet<String>,
    /// Resource types by logical ID.
    types: HashMap<&'a str, &'a str>,
    /// Every name a `Ref` may use, for suggestions.
    names: Vec<&'a str>,
    errors: Vec<GraphError>,
}

impl<'a> Builder<'a> {
    fn err(&mut self, code: &'static str, path: &[PathSeg], message: String, help: &str) {
        self.errors.push(GraphError {
            code,
            path: Path(path.to_vec()),
            message,
            help: Some(help.to_string()),
            subject: None,
        });
    }

    fn err_on(
        &mut self,
        subject: &str,
        code: &'static str,
        path: &[PathSeg],
        message: String,
        help: &str,
    ) {
        self.err(code, path, message, help);
        if let Some(e) = self.errors.last_mut() {
            e.subject = Some(subject.to_string());
        }
    }

    /// Collects the resources `v` refers to, reporting unknown names.
    fn walk(&mut self, v: &Value, path: &mut Vec<PathSeg>, out: &mut Vec<usize>) {
        match v {
            Value::Object(m) => {
                if let Some((name, arg)) = as_intrinsic(v) {
                    path.push(PathSeg::Key(name.to_string()));
                    self.intrinsic(name, arg, path, out);
                    path.pop();
                    return;
                }
                for (k, x) in m {
                    path.push(PathSeg::Key(k.clone()));
                    self.walk(x, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    path.push(PathSeg::Index(i));
                    self.walk(x, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    fn reference(&mut self, name: &str, path: &[PathSeg], out: &mut Vec<usize>) {
        if let Some(&i) = self.index.get(name) {
            out.push(i);
        } else if !self.params.contains(name) && !PSEUDO_PARAMETERS.contains(&name) {
            let help = crate::suggest::help_for(
                name,
                &self.names,
                "expected the logical ID of a resource or parameter, or a pseudo parameter such as AWS::Region",
            );
            self.err_on(
                name,
                "unknown-reference",
                path,
                format!(
                    "`{name}` is not a parameter, pseudo parameter or resource of this template"
                ),
                &help,
            );
        }
    }

    /// Refuses `resource.attribute` when the resource's type is known not to have it.
    fn attribute(&mut self, resource: &str, attribute: &str, subject: &str, path: &[PathSeg]) {
        let Some(ty) = self.types.get(resource).copied() else {
            return;
        };
        if crate::attributes::has_attribute(ty, attribute) != Some(false) {
            return;
        }
        let valid = crate::attributes::getatt_attributes(ty).unwrap_or(&[]);
        let expected = if ty == "AWS::CloudFormation::Stack" {
            "expected Outputs.NAME, the name of an output of the nested stack".to_string()
        } else if valid.is_empty() {
            format!("{ty} has no attributes: use `Ref` for its name or ID")
        } else {
            format!("expected one of: {}", valid.join(", "))
        };
        let help = crate::suggest::help_for(attribute, valid, &expected);
        self.err_on(
            subject,
            "unsupported-attribute",
            path,
            format!("resource `{resource}` ({ty}) does not support attribute type `{attribute}` in Fn::GetAtt"),
            &help,
        );
    }

    fn resource_names(&self) -> Vec<&'a str> {
        self.index.keys().map(String::as_str).collect()
    }

    fn intrinsic(
        &mut self,
        name: &str,
        arg: &Value,
        path: &mut Vec<PathSeg>,
        out: &mut Vec<usize>,
    ) {
        match name {
            "Ref" => match arg.as_str() {
                Some(target) => self.reference(target, path, out),
                None => self.err(
                    "invalid-argument",
                    path,
                    "`Ref` needs the name of a parameter or resource".into(),
                    "expected Ref: NAME (a string)",
                ),
            },
            "Fn::GetAtt" => {
                let (target, attr) = match arg {
                    Value::String(s) => match s.split_once('.') {
                        Some((r, a)) => (Some(r), Some(a)),
                        None => (None, None),
                    },
                    Value::Array(items) if items.len() == 2 => {
                        path.push(PathSeg::Index(1));
                        self.walk(&items[1], path, out);
                        path.pop();
                        (items[0].as_str(), items[1].as_str())
                    }
                    _ => (None, None),
                };
                match target {
                    Some(t) if self.index.contains_key(t) => {
                        out.push(self.index[t]);
                        if let Some(a) = attr {
                            self.attribute(t, a, a, path);
                        }
                    }
                    Some(t) => {
                        let names = self.resource_names();
                        let help = crate::suggest::help_for(t, &names, "expected the logical ID of a resource");
                        self.err_on(
                            t,
                            "unknown-reference",
                            path,
                            format!("`Fn::GetAtt` refers to `{t}`, which is not a resource of this template"),
                            &help,
                        );
                    }
                    None => self.err(
                        "invalid-argument",
                        path,
                        "`Fn::GetAtt` needs a resource and an attribute".into(),
                        "expected Fn::GetAtt: [LogicalId, Attribute] or !GetAtt LogicalId.Attribute",
                    ),
                }
            }
            "Fn::Sub" => {
                let (text, locals) = match arg {
                    Value::String(s) => (Some(s.as_str()), None),
                    Value::Array(items) if items.len() == 2 => {
                        path.push(PathSeg::Index(1));
                        self.walk(&items[1], path, out);
                        path.pop();
                        (items[0].as_str(), items[1].as_object())
                    }
                    _ => (None, None),
                };
                let Some(text) = text else {
                    self.err(
                        "invalid-argument",
                        path,
                        "`Fn::Sub` needs a string, or a string and a map of variables".into(),
                        "expected Fn::Sub: STRING or Fn::Sub: [STRING, {Var: Value}]",
                    );
                    return;
                };
                for var in sub_vars(text) {
                    if locals.is_some_and(|l| l.contains_key(var)) {
                        continue;
                    }
                    if let Some(&i) = self.index.get(var) {
                        out.push(i);
                    } else if self.params.contains(var) || PSEUDO_PARAMETERS.contains(&var) {
                    } else if let Some((res, attr)) = var.split_once('.')
                        && let Some(&i) = self.index.get(res)
                    {
                        out.push(i);
                        self.attribute(res, attr, &format!("${{{var}}}"), path);
                    } else {
                        let head = var.split_once('.').map_or(var, |(r, _)| r);
                        let help = crate::suggest::help_for(
                            head,
                            &self.names,
                            "expected ${Name}, ${Resource.Attribute}, a name from the variable map, or ${!Literal} for literal text",
                        );
                        self.err_on(
                            &format!("${{{var}}}"),
                            "unknown-reference",
                            path,
                            format!("`${{{var}}}` in `Fn::Sub` is not a parameter, pseudo parameter, resource or resource attribute"),
                            &help,
                        );
                    }
                }
            }
            _ => self.walk(arg, path, out),
        }
    }
}

/// Builds the graph of `template` (a CloudFormation template in long form).
/// `params` are the declared parameter names. Every problem is returned.
pub fn build_graph(
    template: &Value,
    params: &HashSet<String>,
) -> (DependencyGraph, Vec<GraphError>) {
    let empty = Map::new();
    let resources = template
        .get("Resources")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let ids: Vec<String> = resources.keys().cloned().collect();
    let index: HashMap<String, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), i))
        .collect();
    let types: HashMap<&str, &str> = resources
        .iter()
        .filter_map(|(id, r)| Some((id.as_str(), r.get("Type")?.as_str()?)))
        .collect();
    let names: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .chain(params.iter().map(String::as_str))
        .chain(PSEUDO_PARAMETERS.iter().copied())
        .collect();
    let mut b = Builder {
        index: &index,
        params,
        types,
        names,
        errors: Vec::new(),
    };
    let mut deps: Vec<Vec<usize>> = Vec::with_capacity(ids.len());
    for (id, res) in resources {
        let mut out = Vec::new();
        let mut path = vec![PathSeg::Key("Resources".into()), PathSeg::Key(id.clone())];
        if let Some(obj) = res.as_object() {
            for (k, v) in obj {
                path.push(PathSeg::Key(k.clone()));
                match k.as_str() {
                    "Type" | "Condition" | "Metadata" => {}
                    "DependsOn" => {
                        let targets: Vec<(Option<usize>, &Value)> = match v {
                            Value::Array(items) => items
                                .iter()
                                .enumerate()
                                .map(|(i, x)| (Some(i), x))
                                .collect(),
                            other => vec![(None, other)],
                        };
                        for (i, t) in targets {
                            if let Some(i) = i {
                                path.push(PathSeg::Index(i));
                            }
                            match t.as_str() {
                                Some(name) if index.contains_key(name) => out.push(index[name]),
                                Some(name) => {
                                    let names = b.resource_names();
                                    let help = crate::suggest::help_for(
                                        name,
                                        &names,
                                        "expected the logical ID of a resource",
                                    );
                                    b.err_on(
                                        name,
                                        "unknown-dependency",
                                        &path,
                                        format!("`DependsOn` names `{name}`, which is not a resource of this template"),
                                        &help,
                                    );
                                }
                                None => b.err(
                                    "invalid-argument",
                                    &path,
                                    "`DependsOn` must be a resource name or a list of them".into(),
                                    "expected DependsOn: LogicalId or [LogicalId, …]",
                                ),
                            }
                            if i.is_some() {
                                path.pop();
                            }
                        }
                    }
                    _ => b.walk(v, &mut path, &mut out),
                }
                path.pop();
            }
        }
        out.sort_unstable();
        out.dedup();
        deps.push(out);
    }
    // Outputs: references must exist (they add no edges).
    if let Some(outputs) = template.get("Outputs").and_then(Value::as_object) {
        for (name, o) in outputs {
            let mut path = vec![PathSeg::Key("Outputs".into()), PathSeg::Key(name.clone())];
            let mut sink = Vec::new();
            b.walk(o, &mut path, &mut sink);
        }
    }
    let mut errors = b.errors;
    // Cycles.
    let mut g: DiGraph<usize, ()> = DiGraph::with_capacity(ids.len(), 0);
    let nodes: Vec<NodeIndex> = (0..ids.len()).map(|i| g.add_node(i)).collect();
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            g.add_edge(nodes[i], nodes[d], ());
        }
    }
    let mut sccs = petgraph::algo::tarjan_scc(&g);
    sccs.iter_mut().for_each(|c| c.sort_by_key(|n| g[*n]));
    sccs.sort_by_key(|c| c.first().map(|n| g[*n]));
    for scc in sccs {
        let members: Vec<usize> = scc.iter().map(|n| g[*n]).collect();
        let self_loop = members.len() == 1 && deps[members[0]].contains(&members[0]);
        if members.len() > 1 || self_loop {
            let names: Vec<String> = members.iter().map(|&m| format!("`{}`", ids[m])).collect();
            errors.push(GraphError {
                code: "dependency-cycle",
                path: Path(vec![PathSeg::Key("Resources".into()), PathSeg::Key(ids[members[0]].clone())]),
                message: if self_loop {
                    format!("the resource {} depends on itself", names[0])
                } else {
                    format!("circular dependency between resources: {}", names.join(", "))
                },
                help: Some("break the cycle: remove a Ref, Fn::GetAtt, Fn::Sub variable or DependsOn between them".into()),
                subject: None,
            });
        }
    }
    (DependencyGraph { ids, index, deps }, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params() -> HashSet<String> {
        ["Env".to_string()].into_iter().collect()
    }

    #[test]
    fn edges_levels_and_order() {
        let t = json!({"Resources": {
            "Fn": {"Type": "X", "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Env": {"Ref": "Env"}}},
            "Role": {"Type": "X", "Properties": {"Name": {"Fn::Sub": "${AWS::Region}-${Env}"}}},
            "Perm": {"Type": "X", "Properties": {"F": {"Fn::Sub": "${Fn.Arn}"}, "B": {"Fn::Sub": ["${X}", {"X": {"Ref": "Bucket"}}]}}},
            "Bucket": {"Type": "X", "DependsOn": "Role"},
        }});
        let (g, errors) = build_graph(&t, &params());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(g.dependencies_of("Perm"), ["Fn", "Bucket"]);
        assert_eq!(g.dependents_of("Role"), ["Fn", "Bucket"]);
        assert_eq!(
            g.levels(),
            vec![vec!["Role"], vec!["Fn", "Bucket"], vec!["Perm"]]
        );
        assert_eq!(g.order(), ["Role", "Fn", "Bucket", "Perm"]);
    }

    #[test]
    fn unknown_targets() {
        let t = json!({"Resources": {
            "A": {"Type": "X", "DependsOn": ["B", "Nope"], "Properties": {"P": {"Ref": "Missing"}, "Q": {"Fn::GetAtt": "Gone.Arn"}, "S": {"Fn::Sub": "${Ghost.Arn}"}}},
            "B": {"Type": "X"},
        }, "Outputs": {"O": {"Value": {"Ref": "Nothing"}}}});
        let (_, errors) = build_graph(&t, &params());
        let got: Vec<(&str, String)> = errors
            .iter()
            .map(|e| (e.code, e.path.to_string()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("unknown-dependency", "Resources/A/DependsOn/1".to_string()),
                (
                    "unknown-reference",
                    "Resources/A/Properties/P/Ref".to_string()
                ),
                (
                    "unknown-reference",
                    "Resources/A/Properties/Q/Fn::GetAtt".to_string()
                ),
                (
                    "unknown-reference",
                    "Resources/A/Properties/S/Fn::Sub".to_string()
                ),
                ("unknown-reference", "Outputs/O/Value/Ref".to_string()),
            ]
        );
    }

    #[test]
    fn cycles_are_named() {
        let t = json!({"Resources": {
            "A": {"Type": "X", "Properties": {"P": {"Ref": "B"}}},
            "B": {"Type": "X", "Properties": {"P": {"Fn::GetAtt": ["C", "Arn"]}}},
            "C": {"Type": "X", "DependsOn": "A"},
            "D": {"Type": "X", "DependsOn": "D"},
            "E": {"Type": "X", "DependsOn": 3},
        }});
        let (g, errors) = build_graph(&t, &params());
        let msgs: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "`DependsOn` must be a resource name or a list of them",
                "circular dependency between resources: `A`, `B`, `C`",
                "the resource `D` depends on itself",
            ]
        );
        assert_eq!(g.levels(), vec![vec!["E"]]);
    }
}
