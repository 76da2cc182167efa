//! The apply executor over an in-memory provider that keeps real state
//! (a map of physical resources), so ordering, parallel levels, rollback
//! and cleanup can be checked exactly.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use lockgate_engine::apply::{
    ApplyError, BoxFuture, DeployedResource, Event, Physical, Provider, ProviderError, Providers,
    Resolver, TemplateResource, apply, levels,
};
use lockgate_engine::changeset::{Deployed, Desired, plan};
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
            Some(Value::String(why)) => Err(ProviderError(why.clone())),
            _ => Ok(()),
        }
    }
}

impl Provider for MapCloud {
    fn create<'a>(
        &'a self,
        logical_id: &'a str,
        properties: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
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
        logical_id: &'a str,
        current: &'a Physical,
        _old: &'a Map<String, Value>,
        new: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
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
        logical_id: &'a str,
        current: &'a Physical,
        _p: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
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

/// Resolves `{"Ref": X}` to X's physical ID.
struct RefResolver;

impl Resolver for RefResolver {
    fn resolve(
        &self,
        _id: &str,
        properties: &Map<String, Value>,
        known: &HashMap<String, Physical>,
    ) -> Result<Map<String, Value>, String> {
        fn walk(v: &Value, known: &HashMap<String, Physical>) -> Result<Value, String> {
            Ok(match v {
                Value::Object(m) if m.len() == 1 && m.contains_key("Ref") => {
                    let target = m["Ref"].as_str().unwrap_or_default();
                    Value::String(
                        known
                            .get(target)
                            .ok_or(format!("Ref to {target}, which does not exist"))?
                            .physical_id
                            .clone(),
                    )
                }
                Value::Object(m) => Value::Object(
                    m.iter()
                        .map(|(k, v)| Ok((k.clone(), walk(v, known)?)))
                        .collect::<Result<_, String>>()?,
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
}

fn template(entries: &[(&str, Value, &[&str])]) -> BTreeMap<String, TemplateResource> {
    entries
        .iter()
        .map(|(id, p, deps)| {
            (
                id.to_string(),
                TemplateResource {
                    resource_type: "Test::Thing".into(),
                    properties: p.as_object().cloned().unwrap_or_default(),
                    depends_on: deps.iter().map(|d| d.to_string()).collect(),
                },
            )
        })
        .collect()
}

async fn deploy(
    cloud: &Arc<MapCloud>,
    state: &BTreeMap<String, DeployedResource>,
    t: &BTreeMap<String, TemplateResource>,
) -> (
    Result<BTreeMap<String, DeployedResource>, ApplyError>,
    Vec<Event>,
) {
    let deployed: BTreeMap<String, Deployed> =
        state.iter().map(|(k, v)| (k.clone(), v.into())).collect();
    // Plan with what is statically known: Refs to deployed resources resolved.
    let known: HashMap<String, Physical> = state
        .iter()
        .map(|(k, v)| (k.clone(), v.physical.clone()))
        .collect();
    let desired: Vec<(String, Desired)> = t
        .iter()
        .map(|(k, v)| {
            let props = RefResolver
                .resolve(k, &v.properties, &known)
                .unwrap_or_else(|_| v.properties.clone());
            (
                k.clone(),
                Desired {
                    resource_type: v.resource_type.clone(),
                    properties: props,
                },
            )
        })
        .collect();
    let changes = plan(&deployed, &desired, &[]);
    let mut providers = Providers::new(None);
    providers.insert("Test::Thing", cloud.clone());
    let events = Mutex::new(Vec::new());
    let progress = |e: Event| events.lock().unwrap().push(e);
    let r = apply(state, t, &changes, &providers, &RefResolver, &progress).await;
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
        Err(ApplyError::RolledBack { logical_id, reason }) => {
            assert_eq!(logical_id, "D");
            assert_eq!(reason, "quota exceeded");
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
    v2.get_mut("A").unwrap().resource_type = "Test::Other".into();
    state.get_mut("A").unwrap().resource_type = "Test::Thing".into();
    let deployed: BTreeMap<String, Deployed> =
        state.iter().map(|(k, v)| (k.clone(), v.into())).collect();
    let desired = vec![(
        "A".to_string(),
        Desired {
            resource_type: "Test::Other".into(),
            properties: v2["A"].properties.clone(),
        },
    )];
    let changes = plan(&deployed, &desired, &[]);
    let mut providers = Providers::new(None);
    providers.insert("Test::Thing", cloud.clone());
    providers.insert("Test::Other", cloud.clone());
    cloud.log.lock().unwrap().clear();
    let new_state = apply(
        &state,
        &v2,
        &changes,
        &providers,
        &RefResolver,
        &|_e: Event| {},
    )
    .await
    .unwrap();
    assert_eq!(
        *cloud.log.lock().unwrap(),
        vec!["create A", "delete Gone", "delete A"]
    );
    assert_eq!(new_state.len(), 1);
    assert_eq!(new_state["A"].resource_type, "Test::Other");
    assert_eq!(cloud.live.lock().unwrap().len(), 1);
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
