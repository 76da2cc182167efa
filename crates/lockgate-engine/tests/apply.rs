//! The apply executor over an in-memory provider that keeps real state
//! (a map of physical resources), so ordering, parallel levels, rollback
//! and cleanup can be checked exactly.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use lockgate_engine::apply::{
    Applied, ApplyError, BoxFuture, DeployedResource, Event, LeftoverKind, Physical,
    PlannedResource, Policies, Provider, ProviderError, Providers, RemovalPolicy, ResolveError,
    Resolved, Resolver, Step, apply, clean_up, levels,
};
use lockgate_engine::changeset::{ChangeSet, Desired};
use lockgate_engine::replacement::CloudFormationRules;
use serde_json::{Map, Value, json};

/// A provider whose "cloud" is a map of physical IDs to properties.
#[derive(Default)]
struct MapCloud {
    live: Mutex<BTreeMap<String, Map<String, Value>>>,
    log: Mutex<Vec<String>>,
    counter: Mutex<u32>,
}

impl MapCloud {
    fn fail_if_asked(props: &Map<String, Value>) -> Result<(), ProviderError> {
        match props.get("Fail") {
            Some(Value::String(why)) => Err(ProviderError::invalid(why.clone())),
            _ => Ok(()),
        }
    }
}

impl Provider for MapCloud {
    fn create<'a>(
        &'a self,
        step: Step<'a>,
        properties: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        let logical_id = step.logical_id;
        Box::pin(async move {
            self.log
                .lock()
                .unwrap()
                .push(format!("create {logical_id}"));
            Self::fail_if_asked(properties)?;
            let mut n = self.counter.lock().unwrap();
            *n += 1;
            let physical_id = format!("{logical_id}-{n}");
            self.live
                .lock()
                .unwrap()
                .insert(physical_id.clone(), properties.clone());
            Ok(Physical {
                physical_id,
                attributes: Map::new(),
            })
        })
    }

    fn update<'a>(
        &'a self,
        step: Step<'a>,
        current: &'a Physical,
        _old: &'a Map<String, Value>,
        new: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        let logical_id = step.logical_id;
        Box::pin(async move {
            self.log
                .lock()
                .unwrap()
                .push(format!("update {logical_id}"));
            Self::fail_if_asked(new)?;
            self.live
                .lock()
                .unwrap()
                .insert(current.physical_id.clone(), new.clone());
            Ok(current.clone())
        })
    }

    fn delete<'a>(
        &'a self,
        step: Step<'a>,
        current: &'a Physical,
        _p: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        let logical_id = step.logical_id;
        Box::pin(async move {
            self.log
                .lock()
                .unwrap()
                .push(format!("delete {logical_id}"));
            self.live.lock().unwrap().remove(&current.physical_id);
            Ok(())
        })
    }
}

/// Resolves `{"Ref": X}` to X's physical ID in the template's properties.
struct RefResolver<'a>(&'a BTreeMap<String, Map<String, Value>>);

fn resolve_refs(
    properties: &Map<String, Value>,
    known: &HashMap<String, Physical>,
) -> Result<Map<String, Value>, ResolveError> {
    fn walk(v: &Value, known: &HashMap<String, Physical>) -> Result<Value, ResolveError> {
        Ok(match v {
            Value::Object(m) if m.len() == 1 && m.contains_key("Ref") => {
                let target = m["Ref"].as_str().unwrap_or_default();
                Value::String(
                    known
                        .get(target)
                        .ok_or(ResolveError::Evaluation(format!(
                            "Ref to {target}, which does not exist"
                        )))?
                        .physical_id
                        .clone(),
                )
            }
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), walk(v, known)?)))
                    .collect::<Result<_, ResolveError>>()?,
            ),
            Value::Array(a) => {
                Value::Array(a.iter().map(|v| walk(v, known)).collect::<Result<_, _>>()?)
            }
            other => other.clone(),
        })
    }
    match walk(&Value::Object(properties.clone()), known)? {
        Value::Object(m) => Ok(m),
        _ => unreachable!("an object stays an object"),
    }
}

impl Resolver for RefResolver<'_> {
    fn resolve(
        &self,
        id: &str,
        known: &HashMap<String, Physical>,
    ) -> Result<Resolved, ResolveError> {
        Ok(Resolved {
            properties: resolve_refs(&self.0[id], known)?,
            update_policy: None,
        })
    }
}

/// A test template: resources of one type with properties and dependencies.
struct Template {
    planned: BTreeMap<String, PlannedResource>,
    properties: BTreeMap<String, Map<String, Value>>,
}

fn template(entries: &[(&str, Value, &[&str])]) -> Template {
    Template {
        planned: entries
            .iter()
            .map(|(id, _, deps)| {
                (
                    id.to_string(),
                    PlannedResource {
                        resource_type: "Test::Thing".into(),
                        depends_on: deps.iter().map(|d| d.to_string()).collect(),
                        policies: Policies::default(),
                    },
                )
            })
            .collect(),
        properties: entries
            .iter()
            .map(|(id, p, _)| (id.to_string(), p.as_object().cloned().unwrap_or_default()))
            .collect(),
    }
}

/// Creates every resource of `t` (empty properties) with `providers`,
/// giving up after a minute, so that resources waiting on each other fail
/// the test instead of hanging it; answers the outcome and the events.
async fn create_all(
    providers: &Providers,
    t: &Template,
    hung: &str,
) -> (Result<Applied, ApplyError>, Vec<Event>) {
    let desired: Vec<(String, Desired)> = t
        .planned
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                Desired {
                    resource_type: v.resource_type.clone(),
                    properties: Map::new(),
                },
            )
        })
        .collect();
    let changes = lockgate_engine::diff(
        &BTreeMap::new(),
        &desired,
        &Default::default(),
        &CloudFormationRules,
    );
    let events = Mutex::new(Vec::new());
    let progress = |e: Event| events.lock().unwrap().push(e);
    let result = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        apply(
            &BTreeMap::new(),
            &t.planned,
            &changes,
            providers,
            &RefResolver(&t.properties),
            &progress,
        ),
    )
    .await
    .expect(hung);
    (result, events.into_inner().unwrap())
}

fn providers(cloud: &Arc<MapCloud>) -> Providers {
    let mut providers = Providers::new(None);
    providers.insert("Test::Thing", cloud.clone());
    providers.insert("Test::Other", cloud.clone());
    providers
}

/// Plans against what is statically known (Refs to deployed resources
/// resolved), applies, and cleans up.
async fn deploy(
    cloud: &Arc<MapCloud>,
    state: &BTreeMap<String, DeployedResource>,
    t: &Template,
) -> (
    Result<BTreeMap<String, DeployedResource>, ApplyError>,
    Vec<Event>,
) {
    let known: HashMap<String, Physical> = state
        .iter()
        .map(|(k, v)| (k.clone(), v.physical.clone()))
        .collect();
    let desired: Vec<(String, Desired)> = t
        .planned
        .iter()
        .map(|(k, v)| {
            let props =
                resolve_refs(&t.properties[k], &known).unwrap_or_else(|_| t.properties[k].clone());
            (
                k.clone(),
                Desired {
                    resource_type: v.resource_type.clone(),
                    properties: props,
                },
            )
        })
        .collect();
    let changes = lockgate_engine::diff(state, &desired, &Default::default(), &CloudFormationRules);
    run(cloud, state, t, &changes).await
}

async fn run(
    cloud: &Arc<MapCloud>,
    state: &BTreeMap<String, DeployedResource>,
    t: &Template,
    changes: &ChangeSet,
) -> (
    Result<BTreeMap<String, DeployedResource>, ApplyError>,
    Vec<Event>,
) {
    let providers = providers(cloud);
    let events = Mutex::new(Vec::new());
    let progress = |e: Event| events.lock().unwrap().push(e);
    let r = apply(
        state,
        &t.planned,
        changes,
        &providers,
        &RefResolver(&t.properties),
        &progress,
    )
    .await;
    let r = match r {
        Ok(Applied {
            state, leftovers, ..
        }) => {
            let failures = clean_up(&leftovers, &providers, &progress).await;
            assert!(failures.is_empty(), "{failures:?}");
            Ok(state)
        }
        Err(e) => Err(e),
    };
    (r, events.into_inner().unwrap())
}

#[tokio::test]
async fn creates_in_dependency_order_and_resolves_refs() {
    let cloud = Arc::new(MapCloud::default());
    let t = template(&[
        ("B", json!({"Target": {"Ref": "A"}}), &["A"]),
        ("A", json!({"X": 1}), &[]),
    ]);
    let (state, _) = deploy(&cloud, &BTreeMap::new(), &t).await;
    let state = state.unwrap();
    assert_eq!(
        state["B"].properties["Target"],
        json!(state["A"].physical.physical_id)
    );
    assert_eq!(*cloud.log.lock().unwrap(), vec!["create A", "create B"]);
}

#[tokio::test]
async fn an_update_waits_for_what_it_depends_on_through_unchanged_resources() {
    // Alias → Group (unchanged) → Zalarm: when both the alarm and the alias
    // change, the alias waits for the alarm, as CloudFormation orders the
    // whole template (a rollout must watch the alarm's new definition).
    let cloud = Arc::new(MapCloud::default());
    let v1 = template(&[
        (
            "Alias",
            json!({"Version": 1, "Group": {"Ref": "Group"}}),
            &["Group"],
        ),
        ("Group", json!({"Alarm": {"Ref": "Zalarm"}}), &["Zalarm"]),
        ("Zalarm", json!({"Version": 1}), &[]),
    ]);
    let (state, _) = deploy(&cloud, &BTreeMap::new(), &v1).await;
    let state = state.unwrap();
    cloud.log.lock().unwrap().clear();
    let v2 = template(&[
        (
            "Alias",
            json!({"Version": 2, "Group": {"Ref": "Group"}}),
            &["Group"],
        ),
        ("Group", json!({"Alarm": {"Ref": "Zalarm"}}), &["Zalarm"]),
        ("Zalarm", json!({"Version": 2}), &[]),
    ]);
    let (state, _) = deploy(&cloud, &state, &v2).await;
    state.unwrap();
    assert_eq!(
        *cloud.log.lock().unwrap(),
        vec!["update Zalarm", "update Alias"]
    );
}

#[tokio::test]
async fn a_failure_rolls_back_to_the_previous_state() {
    let cloud = Arc::new(MapCloud::default());
    let v1 = template(&[("A", json!({"X": 1}), &[]), ("B", json!({"Y": 1}), &["A"])]);
    let (state, _) = deploy(&cloud, &BTreeMap::new(), &v1).await;
    let state = state.unwrap();
    let before = cloud.live.lock().unwrap().clone();

    // v2 updates A, adds C, and D (after C) fails.
    let v2 = template(&[
        ("A", json!({"X": 2}), &[]),
        ("B", json!({"Y": 1}), &["A"]),
        ("C", json!({"Z": 1}), &["A"]),
        ("D", json!({"Fail": "quota exceeded"}), &["C"]),
    ]);
    let (result, events) = deploy(&cloud, &state, &v2).await;
    match result {
        Err(ApplyError::RolledBack { logical_id, error }) => {
            assert_eq!(logical_id, "D");
            assert_eq!(error.message, "quota exceeded");
        }
        other => panic!("expected a rollback, got {other:?}"),
    }
    assert_eq!(
        *cloud.live.lock().unwrap(),
        before,
        "the cloud is back at v1"
    );
    assert!(
        events
            .iter()
            .any(|e| e.logical_id == "D" && e.status == "CREATE_FAILED")
    );
}

#[tokio::test]
async fn replacement_creates_before_deleting_and_removals_go_last() {
    let cloud = Arc::new(MapCloud::default());
    let v1 = template(&[("A", json!({"X": 1}), &[]), ("Gone", json!({}), &[])]);
    let (state, _) = deploy(&cloud, &BTreeMap::new(), &v1).await;
    let mut state = state.unwrap();
    // Test::Thing has no replacing properties, so force a replacement by changing the type.
    let mut v2 = template(&[("A", json!({"X": 1}), &[])]);
    v2.planned.get_mut("A").unwrap().resource_type = "Test::Other".into();
    state.get_mut("A").unwrap().resource_type = "Test::Thing".into();
    let desired = vec![(
        "A".to_string(),
        Desired {
            resource_type: "Test::Other".into(),
            properties: v2.properties["A"].clone(),
        },
    )];
    let changes =
        lockgate_engine::diff(&state, &desired, &Default::default(), &CloudFormationRules);
    cloud.log.lock().unwrap().clear();
    let (new_state, _) = run(&cloud, &state, &v2, &changes).await;
    let new_state = new_state.unwrap();
    assert_eq!(
        *cloud.log.lock().unwrap(),
        vec!["create A", "delete Gone", "delete A"]
    );
    assert_eq!(new_state.len(), 1);
    assert_eq!(new_state["A"].resource_type, "Test::Other");
    assert_eq!(cloud.live.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn policies_keep_or_snapshot_what_leaves_the_stack() {
    let cloud = Arc::new(MapCloud::default());
    let v1 = template(&[
        ("Kept", json!({}), &[]),
        ("Snap", json!({}), &[]),
        ("Plain", json!({}), &[]),
    ]);
    let (state, _) = deploy(&cloud, &BTreeMap::new(), &v1).await;
    let mut state = state.unwrap();
    state.get_mut("Kept").unwrap().policies.deletion = RemovalPolicy::Retain;
    state.get_mut("Snap").unwrap().policies.deletion = RemovalPolicy::Snapshot;
    let providers = providers(&cloud);
    let changes =
        lockgate_engine::plan::removal(&state, &["Kept".into(), "Snap".into(), "Plain".into()]);
    let applied = apply(
        &state,
        &BTreeMap::new(),
        &changes,
        &providers,
        &RefResolver(&BTreeMap::new()),
        &|_e: Event| {},
    )
    .await
    .unwrap();
    assert!(applied.state.is_empty());
    assert!(
        applied
            .leftovers
            .iter()
            .all(|l| l.kind == LeftoverKind::Removed)
    );
    let events = Mutex::new(Vec::new());
    let failures = clean_up(&applied.leftovers, &providers, &|e: Event| {
        events.lock().unwrap().push(e)
    })
    .await;
    assert!(failures.is_empty());
    let events = events.into_inner().unwrap();
    let of = |id: &str| -> Vec<&str> {
        events
            .iter()
            .filter(|e| e.logical_id == id)
            .map(|e| e.status)
            .collect()
    };
    assert_eq!(of("Kept"), ["DELETE_SKIPPED"]);
    assert_eq!(of("Snap"), ["DELETE_IN_PROGRESS", "DELETE_COMPLETE"]);
    assert!(
        events
            .iter()
            .any(|e| e.logical_id == "Snap"
                && e.reason.as_deref().unwrap_or("").contains("snapshot"))
    );
    // Dependents first: the reverse of the removal order.
    assert_eq!(*cloud.log.lock().unwrap().last().unwrap(), "delete Snap");
    assert_eq!(
        cloud.live.lock().unwrap().len(),
        1,
        "only the retained one is left"
    );
}

#[tokio::test]
async fn a_rolled_back_create_is_retained_only_when_its_policy_says_so() {
    let cloud = Arc::new(MapCloud::default());
    let mut t = template(&[
        ("Kept", json!({}), &[]),
        ("Dropped", json!({}), &[]),
        ("Fails", json!({"Fail": "no"}), &["Kept", "Dropped"]),
    ]);
    t.planned.get_mut("Kept").unwrap().policies.deletion = RemovalPolicy::Retain;
    t.planned.get_mut("Dropped").unwrap().policies.deletion = RemovalPolicy::RetainExceptOnCreate;
    let (result, events) = deploy(&cloud, &BTreeMap::new(), &t).await;
    assert!(matches!(result, Err(ApplyError::RolledBack { .. })));
    assert!(
        events
            .iter()
            .any(|e| e.logical_id == "Kept" && e.status == "DELETE_SKIPPED")
    );
    assert!(
        events
            .iter()
            .any(|e| e.logical_id == "Dropped" && e.status == "DELETE_COMPLETE")
    );
    assert_eq!(cloud.live.lock().unwrap().len(), 1);
}

/// A provider whose `Slow` resource is created only once `Second` is: it
/// completes only if `Second` (which depends on `First`) starts while
/// `Slow` is still running.
#[derive(Default)]
struct Gate {
    open: Mutex<Option<futures::channel::oneshot::Sender<()>>>,
    opened: Mutex<Option<futures::channel::oneshot::Receiver<()>>>,
}

impl Provider for Gate {
    fn create<'a>(
        &'a self,
        step: Step<'a>,
        _properties: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        Box::pin(async move {
            match step.logical_id {
                "Slow" => {
                    let opened = self.opened.lock().unwrap().take().unwrap();
                    opened
                        .await
                        .map_err(|_| ProviderError::invalid("gate dropped"))?;
                }
                "Second" => {
                    let _ = self.open.lock().unwrap().take().unwrap().send(());
                }
                // Runs until the apply is cancelled, then fails with why.
                "Endless" => return Err(ProviderError::invalid(step.cancel.fired().await)),
                "Broken" => return Err(ProviderError::invalid("broken")),
                _ => {}
            }
            Ok(Physical {
                physical_id: step.logical_id.to_string(),
                attributes: Map::new(),
            })
        })
    }

    fn update<'a>(
        &'a self,
        _step: Step<'a>,
        current: &'a Physical,
        _old: &'a Map<String, Value>,
        _new: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        Box::pin(async move { Ok(current.clone()) })
    }

    fn delete<'a>(
        &'a self,
        _step: Step<'a>,
        _current: &'a Physical,
        _p: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move { Ok(()) })
    }
}

#[tokio::test]
async fn a_resource_starts_when_its_own_dependencies_are_written() {
    // Slow is still running when First completes: Second starts then,
    // without waiting for Slow (a long alias rollout holds back only what
    // depends on it).
    let (tx, rx) = futures::channel::oneshot::channel();
    let gate = Arc::new(Gate {
        open: Mutex::new(Some(tx)),
        opened: Mutex::new(Some(rx)),
    });
    let mut providers = Providers::new(None);
    providers.insert("Test::Thing", gate);
    let t = template(&[
        ("Slow", json!({}), &[]),
        ("First", json!({}), &[]),
        ("Second", json!({"After": {"Ref": "First"}}), &["First"]),
    ]);
    let (applied, _) = create_all(
        &providers,
        &t,
        "Second never started while Slow was running",
    )
    .await;
    let applied = applied.unwrap();
    assert_eq!(applied.state.len(), 3);
}

#[test]
fn levels_group_independent_resources_and_report_cycles() {
    let nodes = vec![
        ("A".to_string(), vec![]),
        ("B".to_string(), vec!["A".to_string()]),
        ("C".to_string(), vec!["A".to_string()]),
        (
            "D".to_string(),
            vec!["B".to_string(), "C".to_string(), "Deployed".to_string()],
        ),
    ];
    assert_eq!(
        levels(&nodes).unwrap(),
        vec![vec!["A"], vec!["B", "C"], vec!["D"]]
    );
    let cyclic = vec![
        ("X".to_string(), vec!["Y".to_string()]),
        ("Y".to_string(), vec!["X".to_string()]),
    ];
    assert_eq!(
        levels(&cyclic),
        Err(ApplyError::Cycle(vec!["X".into(), "Y".into()]))
    );
}

#[tokio::test]
async fn a_failure_cancels_what_is_still_running() {
    // `Endless` never finishes by itself (a 30-minute canary, say): when
    // `Broken` fails, it is told to stop, and the apply rolls back.
    let gate = Arc::new(Gate::default());
    let mut providers = Providers::new(None);
    providers.insert("Test::Thing", gate);
    let t = template(&[("Endless", json!({}), &[]), ("Broken", json!({}), &[])]);
    let (result, events) = create_all(&providers, &t, "Endless was not cancelled").await;
    match result {
        Err(ApplyError::RolledBack { logical_id, .. }) => assert_eq!(logical_id, "Broken"),
        other => panic!("expected a rollback, got {other:?}"),
    }
    let endless = events
        .iter()
        .find(|e| e.logical_id == "Endless" && e.status == "CREATE_FAILED")
        .expect("Endless failed");
    assert_eq!(endless.reason.as_deref(), Some("cancelled: Broken failed"));
}
