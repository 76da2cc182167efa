//! Where a deploy's values derive from a NoEcho parameter
//! ([`Provenance`]): the template evaluated again with stand-ins for the
//! secrets, and the record of those places a stack keeps
//! ([`NO_ECHO_PATHS`]). The change set, the outputs and a provider's
//! failure reasons show what is there masked.

use std::collections::{BTreeSet, HashMap, HashSet};

use lockgate_engine::Catalog;
use lockgate_engine::apply::Physical;
use lockgate_engine::changeset::{REDACTED, SecretPaths, differences};
use lockgate_store::{NO_ECHO_PATHS, StackSnapshot};
use lockgate_template::eval::{ConditionValue, evaluate_conditions};
use lockgate_template::params::ParamType;
use lockgate_template::{LoadedTemplate, Path, PathSeg, Resolver, Scope, Unresolved};
use serde_json::{Map, Value};

use super::resolve::{Known, Lookups};

/// Where the committed properties of `snapshot` derive from a NoEcho
/// parameter: its record; for a stack deployed before records were kept
/// that had NoEcho values (`****` among its parameters), every property of
/// every resource. (The unsalted digests older servers kept instead,
/// `Lockgate::NoEchoDigests`, the store replaces when it opens by such a
/// record: everywhere.)
pub(crate) fn recorded_secrets(snapshot: &StackSnapshot) -> SecretPaths {
    if let Some(Value::Object(record)) = snapshot.parameters.get(NO_ECHO_PATHS) {
        return record
            .iter()
            .map(|(id, paths)| {
                let paths = paths
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p.as_str().map(str::to_string))
                            .collect()
                    })
                    // Not a list: unreadable, so everything.
                    .unwrap_or_else(|| BTreeSet::from([String::new()]));
                (id.clone(), paths)
            })
            .collect();
    }
    let legacy = snapshot
        .parameters
        .as_object()
        .is_some_and(|m| m.values().any(|v| v == REDACTED));
    if !legacy {
        return SecretPaths::new();
    }
    snapshot
        .resources
        .iter()
        .map(|r| (r.logical_id.clone(), BTreeSet::from([String::new()])))
        .collect()
}

/// The record of `paths` kept in a stack's parameters ([`NO_ECHO_PATHS`]).
pub(crate) fn record_of(paths: &SecretPaths) -> Value {
    Value::Object(
        paths
            .iter()
            .map(|(id, p)| (id.clone(), p.iter().cloned().map(Value::String).collect()))
            .collect(),
    )
}

/// The warning for a resource whose name (so its physical ID) derives
/// from a NoEcho parameter: CloudFormation shows physical IDs in clear, and
/// so does Lockgate — in events, the stack's resources and its API.
pub(crate) fn secret_name_warning(logical_id: &str) -> String {
    format!(
        "{logical_id}: its name derives from a NoEcho parameter, so its physical ID does; \
         physical IDs are shown and stored in clear (as CloudFormation shows them): \
         keep secrets out of names"
    )
}

/// Which values of a deploy derive from a NoEcho parameter, found by
/// provenance, never by text (a short secret's text occurs in values that
/// have nothing to do with it; its base64 or a piece of it does not
/// contain it).
///
/// Each value is evaluated as the deploy evaluates it, and again with every
/// NoEcho parameter replaced by a stand-in of the same shape, twice (two
/// sets of stand-ins: a value may coincide with one), conditions evaluated
/// with the stand-ins too; whatever derives from a NoEcho value gets a
/// stand-in as well: the attributes of a resource whose properties derive
/// from one (the `Ref` too when a property that names it does), an export
/// of another stack derived from one. Where the evaluations differ, the
/// value derives from a secret, whichever intrinsics carried it (`Ref`,
/// `Fn::Sub` and its variable map, `Fn::Join`, `Fn::Split`, `Fn::Select`,
/// `Fn::Base64`, `Fn::If` whose condition reads one, nested); where they
/// agree it does not, and it is shown as it is. Only effective values
/// count: an overridden default is no longer a value of the stack.
pub(crate) struct Provenance<'a> {
    loaded: &'a LoadedTemplate,
    lookups: &'a Lookups,
    catalog: &'a dyn Catalog,
    secret_imports: &'a HashSet<String>,
    active: HashSet<String>,
    /// Empty when nothing of the deploy is secret.
    probes: Vec<Probe>,
}

/// Where the values of a template, evaluated with some physical resources,
/// derive from a secret ([`Provenance::trace`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct Traced {
    /// Where each resource's properties do.
    pub paths: SecretPaths,
    /// The resources whose properties do; true when a property that names
    /// the resource does, so its physical ID (what `Ref` gives) too.
    tainted: HashMap<String, bool>,
}

impl Traced {
    /// The resources whose physical ID derives from a secret, sorted.
    pub(crate) fn secret_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .tainted
            .iter()
            .filter(|(_, named)| **named)
            .map(|(id, _)| id.as_str())
            .collect();
        out.sort_unstable();
        out
    }
}

/// One set of stand-ins.
struct Probe {
    /// Marks its stand-ins.
    tag: String,
    /// The parameter values, NoEcho ones replaced.
    params: Map<String, Value>,
    /// The conditions with those values.
    conditions: HashMap<String, ConditionValue>,
    /// The resources whose condition holds with them.
    active: HashSet<String>,
}

impl<'a> Provenance<'a> {
    /// The provenance of the values of `loaded` evaluated with `lookups`;
    /// `catalog` says which properties name a resource (their change
    /// replaces it); `secret_imports` are the exports derived from secrets.
    pub(crate) fn new(
        loaded: &'a LoadedTemplate,
        lookups: &'a Lookups,
        catalog: &'a dyn Catalog,
        secret_imports: &'a HashSet<String>,
    ) -> Self {
        let secret_params = loaded.parameters.iter().any(|p| p.no_echo);
        let probes = if secret_params || !secret_imports.is_empty() {
            (0..2).map(|k| Probe::new(loaded, k)).collect()
        } else {
            Vec::new()
        };
        Provenance {
            loaded,
            lookups,
            catalog,
            secret_imports,
            active: loaded.active_resources(),
            probes,
        }
    }

    /// The keys of the outputs whose values, evaluated with `known`, derive
    /// from a secret (shown masked whole); `traced` is [`Provenance::trace`]
    /// of the same `known` (the deploy's commit needs both: one trace).
    pub(crate) fn outputs(
        &self,
        known: &HashMap<String, Physical>,
        traced: &Traced,
    ) -> HashSet<String> {
        let mut out = HashSet::new();
        if self.probes.is_empty() {
            return out;
        }
        let base = Known::new(known, self.lookups);
        for (key, o) in self
            .loaded
            .template
            .get("Outputs")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let Some(raw) = o.get("Value") else {
                continue;
            };
            let path = Path(vec![
                PathSeg::Key("Outputs".into()),
                PathSeg::Key(key.clone()),
                PathSeg::Key("Value".into()),
            ]);
            if !self
                .differing(raw, &path, &base, &traced.tainted)
                .is_empty()
            {
                out.insert(key.clone());
            }
        }
        out
    }

    /// Where the properties of the template's active resources, evaluated
    /// with `known`, derive from a secret, and which resources do.
    pub(crate) fn trace(&self, known: &HashMap<String, Physical>) -> Traced {
        let mut traced = Traced::default();
        if self.probes.is_empty() {
            return traced;
        }
        let base = Known::new(known, self.lookups);
        let resources = self.loaded.template.get("Resources");
        // Dependencies first: what a resource reads is traced before it.
        for id in self.loaded.graph.order() {
            if !self.active.contains(id) {
                continue;
            }
            let Some(r) = resources.and_then(|r| r.get(id)) else {
                continue;
            };
            let Some(raw) = r.get("Properties") else {
                continue;
            };
            let path = Path(vec![
                PathSeg::Key("Resources".into()),
                PathSeg::Key(id.to_string()),
                PathSeg::Key("Properties".into()),
            ]);
            let found = self.differing(raw, &path, &base, &traced.tainted);
            if found.is_empty() {
                continue;
            }
            let ty = r.get("Type").and_then(Value::as_str).unwrap_or("");
            traced
                .tainted
                .insert(id.to_string(), self.names_tainted(ty, &found));
            traced.paths.insert(id.to_string(), found);
        }
        traced
    }

    /// Whether a property that names a resource of type `ty` (so its
    /// physical ID, what `Ref` gives) is among `paths`.
    fn names_tainted(&self, ty: &str, paths: &BTreeSet<String>) -> bool {
        let kind = ty.rsplit("::").next().unwrap_or("");
        let own_name = format!("{kind}Name");
        let naming = self.catalog.replacing_properties(ty);
        paths.iter().any(|p| {
            let first = p
                .split('/')
                .nth(1)
                .map(|t| t.replace("~1", "/").replace("~0", "~"));
            match first {
                None => true,
                Some(f) => f == "Name" || f == own_name || naming.contains(&f.as_str()),
            }
        })
    }

    /// Where `raw` (found at `path`) evaluates differently with the
    /// stand-ins: JSON pointers into its value (`""`, the whole, when an
    /// evaluation fails).
    fn differing(
        &self,
        raw: &Value,
        path: &Path,
        base: &Known<'_>,
        tainted: &HashMap<String, bool>,
    ) -> BTreeSet<String> {
        let eval = |scope: &Scope<'_>| scope.eval(raw, path).ok().map(|v| v.unwrap_or(Value::Null));
        let real = eval(&self.loaded.scope(&self.active, base, self.lookups));
        let mut out = BTreeSet::new();
        for probe in &self.probes {
            let resolver = Probing {
                base,
                tag: &probe.tag,
                tainted,
                secret_imports: self.secret_imports,
            };
            let scope = Scope {
                params: &probe.params,
                conditions: &probe.conditions,
                ..self.loaded.scope(&probe.active, &resolver, self.lookups)
            };
            match (&real, eval(&scope)) {
                (Some(a), Some(b)) => out.extend(differences(a, &b)),
                _ => {
                    out.insert(String::new());
                }
            }
        }
        out
    }
}

impl Probe {
    /// The `k`th set of stand-ins of `loaded`'s NoEcho parameters.
    fn new(loaded: &LoadedTemplate, k: usize) -> Self {
        let tag = format!("lockgate-noecho-stand-in-{k}");
        let mut params = loaded.parameter_values.clone();
        for p in loaded.parameters.iter().filter(|p| p.no_echo) {
            let one = |i: usize| match p.ty {
                ParamType::Number | ParamType::NumberList => {
                    Value::String((9_000_001 + 10 * k + i).to_string())
                }
                _ => Value::String(format!("{tag}-{}-{i}", p.name)),
            };
            let value = if p.ty.is_list() {
                // Another length too (what `Fn::Length` and `Fn::Select` see).
                let n = loaded
                    .parameter_values
                    .get(&p.name)
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                Value::Array((0..n + 1 + k).map(one).collect())
            } else {
                one(0)
            };
            params.insert(p.name.clone(), value);
        }
        let ids: HashSet<String> = loaded
            .template
            .get("Resources")
            .and_then(Value::as_object)
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default();
        let no_conditions = HashMap::new();
        let conditions = match loaded.template.get("Conditions").and_then(Value::as_object) {
            Some(c) => {
                let base = Scope {
                    params: &params,
                    conditions: &no_conditions,
                    in_condition: true,
                    ..loaded.scope(&ids, &Unresolved, &Unresolved)
                };
                evaluate_conditions(c, &base).0
            }
            None => HashMap::new(),
        };
        let active = loaded
            .template
            .get("Resources")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(_, r)| {
                r.get("Condition")
                    .and_then(Value::as_str)
                    .and_then(|c| conditions.get(c).copied().flatten())
                    != Some(false)
            })
            .map(|(id, _)| id.clone())
            .collect();
        Probe {
            tag,
            params,
            conditions,
            active,
        }
    }
}

/// [`Known`], with stand-ins for what derives from a secret: the
/// attributes (and, when a naming property derives from one, the `Ref`) of
/// a tainted resource, and the exports derived from secrets.
struct Probing<'a> {
    base: &'a Known<'a>,
    tag: &'a str,
    tainted: &'a HashMap<String, bool>,
    secret_imports: &'a HashSet<String>,
}

impl Resolver for Probing<'_> {
    fn resource_ref(&self, id: &str) -> Option<Value> {
        match self.tainted.get(id) {
            Some(true) => Some(Value::String(format!("{}-ref-{id}", self.tag))),
            _ => self.base.resource_ref(id),
        }
    }

    fn get_att(&self, id: &str, attribute: &str) -> Option<Value> {
        if self.tainted.contains_key(id) {
            return Some(Value::String(format!("{}-att-{id}.{attribute}", self.tag)));
        }
        self.base.get_att(id, attribute)
    }

    fn import_value(&self, name: &str) -> Option<Value> {
        if self.secret_imports.contains(name) {
            return Some(Value::String(format!("{}-import-{name}", self.tag)));
        }
        self.base.import_value(name)
    }

    fn ssm_parameter(&self, name: &str) -> Option<String> {
        self.base.ssm_parameter(name)
    }
}
