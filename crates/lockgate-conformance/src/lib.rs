//! Runs Lockgate's SAM transform over the real SAM translator's own test
//! suite (`shared/corpus/sam-translator`) and compares the results.
//!
//! What is compared, per case (see `docs/conformance.md`):
//! - `ok` cases: the set of (logical ID, resource type) must equal the
//!   expected one, where the hashed logical IDs of `AWS::Lambda::Version`
//!   and `AWS::ApiGateway::Deployment` are compared by their prefix; and the
//!   `Properties` of every `AWS::Lambda::Function`, `AWS::IAM::Role`,
//!   `AWS::Lambda::Alias` and `AWS::CodeDeploy::DeploymentGroup` must be
//!   equal, lists compared as sets. Whether *every* resource matches is
//!   reported too (`exact`).
//! - `error` cases: the template must be rejected; whether the message is
//!   the translator's, word for word, is reported too.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// Resource types whose properties must match exactly.
pub const COMPARED_TYPES: &[&str] = &[
    "AWS::Lambda::Function",
    "AWS::IAM::Role",
    "AWS::Lambda::Alias",
    "AWS::CodeDeploy::DeploymentGroup",
];

/// Resource types whose logical IDs end in a content hash, compared by prefix.
pub const HASHED_TYPES: &[&str] = &["AWS::Lambda::Version", "AWS::ApiGateway::Deployment"];

/// Cases that need upstream test machinery beyond the transform (see the corpus README).
pub fn skipped(name: &str) -> bool {
    name.starts_with("translate_") || name.starts_with("feature_toggle_")
}

/// The corpus folder: `$LOCKGATE_SHARED_DIR/corpus/sam-translator`, or
/// `shared/` beside the repository.
pub fn corpus_dir() -> PathBuf {
    let shared = std::env::var_os("LOCKGATE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    shared.join("corpus/sam-translator")
}

/// One row of `manifest.tsv`.
#[derive(Debug, Clone)]
pub struct Case {
    /// Case name (file stem).
    pub name: String,
    /// The translator accepts it (`ok`) or rejects it (`error`).
    pub expect_ok: bool,
    /// Uses only the SAM features Lockgate covers.
    pub in_scope: bool,
}

/// SAM resource types the manifest's scope covers (its `in_scope` column).
pub const MANIFEST_SCOPE_TYPES: &[&str] = &[
    "AWS::Serverless::Function",
    "AWS::Serverless::Api",
    "AWS::Serverless::HttpApi",
    "AWS::Serverless::SimpleTable",
    "AWS::Serverless::LayerVersion",
];

/// SAM resource types brought into scope since the manifest was made: a
/// case that uses them (and otherwise only what the manifest's scope
/// covers) is in scope.
pub const ADDED_SCOPE_TYPES: &[&str] = &[
    "AWS::Serverless::GraphQLApi",
    "AWS::Serverless::Application",
];

/// Event types the manifest's scope covers.
pub const SCOPE_EVENT_TYPES: &[&str] = &[
    "Api",
    "HttpApi",
    "Schedule",
    "SQS",
    "SNS",
    "S3",
    "DynamoDB",
    "Kinesis",
    "EventBridgeRule",
    "CloudWatchEvent",
];

/// Whether a template uses one of [`ADDED_SCOPE_TYPES`] and otherwise only
/// the manifest's scope.
pub fn in_added_scope(template: &Value) -> bool {
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return false;
    };
    let mut added = false;
    for r in resources.values() {
        let ty = r.get("Type").and_then(Value::as_str).unwrap_or_default();
        if ADDED_SCOPE_TYPES.contains(&ty) {
            added = true;
        } else if ty.starts_with("AWS::Serverless::") && !MANIFEST_SCOPE_TYPES.contains(&ty) {
            return false;
        }
        let events = r.pointer("/Properties/Events").and_then(Value::as_object);
        for e in events.into_iter().flat_map(|m| m.values()) {
            let et = e.get("Type").and_then(Value::as_str).unwrap_or_default();
            if !SCOPE_EVENT_TYPES.contains(&et) {
                return false;
            }
        }
    }
    added
}

/// Reads the manifest; cases the manifest leaves out of scope that
/// [`in_added_scope`] takes in are in scope.
pub fn load_manifest(dir: &Path) -> Result<Vec<Case>, String> {
    let path = dir.join("manifest.tsv");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 {
            return Err(format!("{}:{}: expected 3 columns", path.display(), i + 1));
        }
        let mut in_scope = cols[2] == "yes";
        if !in_scope {
            let input = dir.join("input").join(format!("{}.yaml", cols[0]));
            in_scope = std::fs::read_to_string(&input)
                .ok()
                .and_then(|t| lockgate_template::parse(cols[0], &t).ok())
                .is_some_and(|d| in_added_scope(d.value()));
        }
        cases.push(Case {
            name: cols[0].to_string(),
            expect_ok: cols[1] == "ok",
            in_scope,
        });
    }
    Ok(cases)
}

/// How one case came out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    missing_docs,
    reason = "each variant's documentation says what its fields are"
)]
pub enum Outcome {
    /// `ok` case: resources and compared properties match. `exact` when every
    /// resource's properties match too; `same_ids` when every logical ID,
    /// hashed ones included, is the translator's to the character.
    Pass { exact: bool, same_ids: bool },
    /// `error` case rejected; `same_message` when worded as the translator.
    Rejected { same_message: bool },
    /// Anything else, with a one-line reason.
    Fail(String),
}

impl Outcome {
    /// Counts as a success for the pass rates.
    pub fn is_success(&self) -> bool {
        !matches!(self, Outcome::Fail(_))
    }
}

/// The Serverless Application Repository as the translator's own test
/// suite stands it in (`mock_sar_service_call` in its `test_translator.py`),
/// which the corpus's expected files were made with: every application is
/// there, with one template URL, except the IDs `no-access`,
/// `non-existent` and `invalid-semver` (refused: "Cannot access
/// application: ID."); `preparing` becomes ready while the translator
/// waits, `preparing-never-ready` never does. No network is involved: the
/// real repository is out of reach here, as it is for users without AWS.
#[derive(Debug, Clone, Copy, Default)]
pub struct TranslatorTestRepository;

impl lockgate_sam::ServerlessRepo for TranslatorTestRepository {
    fn create_template(
        &self,
        application_id: &str,
        _semantic_version: &str,
    ) -> Result<lockgate_sam::RepoTemplate, lockgate_sam::RepoError> {
        if matches!(
            application_id,
            "no-access" | "non-existent" | "invalid-semver"
        ) {
            return Err(lockgate_sam::RepoError {
                message: format!("Cannot access application: {application_id}."),
            });
        }
        let status = if application_id.starts_with("preparing") {
            lockgate_sam::TemplateStatus::Preparing
        } else {
            lockgate_sam::TemplateStatus::Active
        };
        Ok(lockgate_sam::RepoTemplate {
            template_url: "https://awsserverlessrepo-changesets-xxx.s3.amazonaws.com/signed-url"
                .into(),
            template_id: "id-xx-xx".into(),
            status,
        })
    }

    fn wait_until_active(
        &self,
        pending: &[(String, String)],
    ) -> Result<Vec<(String, String)>, lockgate_sam::RepoError> {
        Ok(pending
            .iter()
            .filter(|(app, _)| app == "preparing-never-ready")
            .cloned()
            .collect())
    }
}

/// The transform options the corpus's expected files were made with.
pub fn corpus_options() -> lockgate_sam::TransformOptions {
    let mut opts = lockgate_sam::TransformOptions {
        region: "ap-southeast-1".into(),
        serverless_repo: Some(std::sync::Arc::new(TranslatorTestRepository)),
        ..Default::default()
    };
    opts.parameter_values
        .insert("param1".into(), Value::String("value1".into()));
    opts.parameter_values
        .insert("param2".into(), Value::String("value2".into()));
    opts
}

/// Parses and transforms one input file.
pub fn transform_file(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("read: {e}"))?;
    let name = path.display().to_string();
    let doc = lockgate_template::parse(&name, &text).map_err(|e| format!("parse: {e}"))?;
    lockgate_sam::transform(&doc.to_json(), &corpus_options()).map_err(|e| e.to_string())
}

/// Runs one case; a panic inside the transform is caught and reported as a failure.
pub fn run_case(dir: &Path, case: &Case) -> Outcome {
    let input = dir.join("input").join(format!("{}.yaml", case.name));
    let expected_path = dir.join("expected").join(format!("{}.json", case.name));
    let expected: Value = match std::fs::read_to_string(&expected_path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => return Outcome::Fail(format!("expected file: {e}")),
    };
    let result = match catch_unwind(AssertUnwindSafe(|| transform_file(&input))) {
        Ok(r) => r,
        Err(_) => return Outcome::Fail("PANIC in transform".into()),
    };
    match (case.expect_ok, result) {
        (true, Ok(actual)) => compare_ok(&expected, &actual),
        (true, Err(e)) => Outcome::Fail(format!("rejected: {}", one_line(&e, 160))),
        (false, Err(e)) => {
            let want = expected
                .get("errorMessage")
                .and_then(Value::as_str)
                .unwrap_or("");
            Outcome::Rejected {
                same_message: e.trim() == want.trim(),
            }
        }
        (false, Ok(_)) => Outcome::Fail("accepted an invalid template".into()),
    }
}

fn one_line(s: &str, max: usize) -> String {
    let s = s.replace('\n', " ");
    if s.chars().count() > max {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// Strips a trailing 10-hex-digit hash from IDs of hashed resource types.
fn id_key(id: &str, ty: &str) -> String {
    if HASHED_TYPES.contains(&ty) && id.len() > 10 {
        let (prefix, tail) = id.split_at(id.len() - 10);
        if tail.chars().all(|c| c.is_ascii_hexdigit()) {
            return prefix.to_string();
        }
    }
    id.to_string()
}

fn resources(t: &Value) -> Map<String, Value> {
    t.get("Resources")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn rtype(r: &Value) -> String {
    r.get("Type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The renames that turn hashed IDs into their prefixes, for one template.
fn hash_renames(res: &Map<String, Value>) -> BTreeMap<String, String> {
    res.iter()
        .filter_map(|(id, r)| {
            let key = id_key(id, &rtype(r));
            (key != *id).then(|| (id.clone(), key))
        })
        .collect()
}

/// A canonical form: hashed IDs replaced in strings, lists sorted (compared as sets).
fn canonical(v: &Value, renames: &BTreeMap<String, String>) -> Value {
    match v {
        Value::String(s) => {
            let mut s = s.clone();
            for (from, to) in renames {
                if s.contains(from.as_str()) {
                    s = s.replace(from.as_str(), to);
                }
            }
            Value::String(s)
        }
        Value::Array(items) => {
            let mut c: Vec<Value> = items.iter().map(|i| canonical(i, renames)).collect();
            c.sort_by_cached_key(|x| x.to_string());
            Value::Array(c)
        }
        Value::Object(m) => {
            let mut out = Map::new();
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                out.insert(k.clone(), canonical(&m[k.as_str()], renames));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Compares an accepted case.
pub fn compare_ok(expected: &Value, actual: &Value) -> Outcome {
    let exp = resources(expected);
    let act = resources(actual);
    let exp_ren = hash_renames(&exp);
    let act_ren = hash_renames(&act);
    let key_set = |res: &Map<String, Value>| -> BTreeSet<(String, String)> {
        res.iter()
            .map(|(id, r)| (id_key(id, &rtype(r)), rtype(r)))
            .collect()
    };
    let (es, as_) = (key_set(&exp), key_set(&act));
    if es != as_ {
        let missing: Vec<String> = es
            .difference(&as_)
            .map(|(i, t)| format!("{i} ({t})"))
            .collect();
        let extra: Vec<String> = as_
            .difference(&es)
            .map(|(i, t)| format!("{i} ({t})"))
            .collect();
        return Outcome::Fail(one_line(
            &format!(
                "resources differ: missing [{}] extra [{}]",
                missing.join(", "),
                extra.join(", ")
            ),
            300,
        ));
    }
    let by_key =
        |res: &Map<String, Value>, ren: &BTreeMap<String, String>| -> BTreeMap<String, Value> {
            res.iter()
                .map(|(id, r)| (id_key(id, &rtype(r)), canonical(r, ren)))
                .collect()
        };
    let (e, a) = (by_key(&exp, &exp_ren), by_key(&act, &act_ren));
    let same_ids = exp.keys().collect::<BTreeSet<_>>() == act.keys().collect::<BTreeSet<_>>();
    let mut exact = true;
    for (id, er) in &e {
        let ar = &a[id];
        let ty = rtype(er);
        let same = er.get("Properties") == ar.get("Properties");
        if !same && COMPARED_TYPES.contains(&ty.as_str()) {
            return Outcome::Fail(format!("properties of {id} ({ty}) differ"));
        }
        if !same || er != ar {
            exact = false;
        }
    }
    Outcome::Pass { exact, same_ids }
}

/// The resources (canonical ID and type) of an accepted case whose whole
/// definition differs from the translator's (properties or attributes), for
/// finding out why a passing case is not `exact`.
pub fn differing_resources(expected: &Value, actual: &Value) -> Vec<(String, String)> {
    let (e, a) = (canonical_resources(expected), canonical_resources(actual));
    let (Some(e), Some(a)) = (e.as_object(), a.as_object()) else {
        return Vec::new();
    };
    e.iter()
        .filter(|(id, r)| a.get(id.as_str()) != Some(*r))
        .map(|(id, r)| (id.clone(), rtype(r)))
        .collect()
}

/// The canonical resources of a template, for showing a diff.
pub fn canonical_resources(t: &Value) -> Value {
    let res = resources(t);
    let ren = hash_renames(&res);
    let mut out = Map::new();
    let mut ids: Vec<&String> = res.keys().collect();
    ids.sort();
    for id in ids {
        let r = &res[id.as_str()];
        out.insert(id_key(id, &rtype(r)), canonical(r, &ren));
    }
    Value::Object(out)
}

/// Pass counts of one group of cases.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// `ok` cases run.
    pub ok_total: usize,
    /// `ok` cases that passed.
    pub ok_pass: usize,
    /// `ok` cases whose every resource matched.
    pub ok_exact: usize,
    /// `ok` cases passing with every logical ID equal, hashes included.
    pub ok_same_ids: usize,
    /// `error` cases run.
    pub err_total: usize,
    /// `error` cases rejected.
    pub err_rejected: usize,
    /// `error` cases rejected with the translator's exact message.
    pub err_same_message: usize,
}

impl Tally {
    /// Adds one case's outcome.
    pub fn add(&mut self, case: &Case, outcome: &Outcome) {
        if case.expect_ok {
            self.ok_total += 1;
            if let Outcome::Pass { exact, same_ids } = outcome {
                self.ok_pass += 1;
                self.ok_exact += usize::from(*exact);
                self.ok_same_ids += usize::from(*same_ids);
            }
        } else {
            self.err_total += 1;
            if let Outcome::Rejected { same_message } = outcome {
                self.err_rejected += 1;
                self.err_same_message += usize::from(*same_message);
            }
        }
    }

    /// Share of `ok` cases passing, in percent.
    pub fn ok_rate(&self) -> f64 {
        pct(self.ok_pass, self.ok_total)
    }

    /// Share of `error` cases rejected, in percent.
    pub fn err_rate(&self) -> f64 {
        pct(self.err_rejected, self.err_total)
    }
}

/// `n / d` in percent (0 for an empty group).
pub fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

/// Runs every case of the corpus (but the skipped ones) and returns outcomes.
pub fn run_all(dir: &Path, filter: Option<&str>) -> Result<Vec<(Case, Outcome)>, String> {
    let cases = load_manifest(dir)?;
    Ok(cases
        .into_iter()
        .filter(|c| !skipped(&c.name))
        .filter(|c| filter.is_none_or(|f| c.name.starts_with(f)))
        .map(|c| {
            let o = run_case(dir, &c);
            (c, o)
        })
        .collect())
}
