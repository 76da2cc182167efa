//! Conformance cases: exports, functions, parameters, audit log.

use std::collections::BTreeSet;

use super::{
    CaseResult, Failure, check, check_eq, check_err, commit, deploy, output, stack, stage,
};
use crate::artifacts::Digest;
use crate::audit::{AuditQuery, NewAuditEntry};
use crate::deploy::{DeploymentKind, DeploymentOutcome};
use crate::error::StoreError;
use crate::function::{AliasRouting, AliasSpec, NewFunctionVersion};
use crate::names::{AliasName, ExportName, FunctionName, ParameterName, StageRef};
use crate::param::{NewParameterValue, ParameterType, ParameterValue, PutParameter};
use crate::secret::SecretString;
use crate::status::StackStatus;
use crate::store::Store;

fn put(name: &str, value: NewParameterValue, overwrite: bool) -> Result<PutParameter, Failure> {
    Ok(PutParameter {
        name: ParameterName::new(name)?,
        value,
        description: None,
        overwrite,
        actor: "alice".into(),
    })
}

fn text(v: &str) -> NewParameterValue {
    NewParameterValue::String(v.to_string())
}

/// Exports are unique per app and stage, cannot vanish while imported, and
/// imports must name an existing export.
pub async fn exports_and_imports(store: &dyn Store) -> CaseResult {
    store.ensure_stage(&stage()).await?;
    let net = stack("network")?;
    let app = stack("app")?;
    let other = stack("other")?;
    let vpc = ExportName::new("VpcId")?;
    let mut c = commit(StackStatus::CreateComplete, 1, &["Vpc"]);
    c.outputs.push(output("Vpc", "vpc-1", Some("VpcId"))?);
    deploy(store, &net, DeploymentKind::Create, c.clone()).await?;
    let export = store
        .get_export(&stage(), &vpc)
        .await?
        .ok_or(Failure("export listed".into()))?;
    check_eq!(export.value, "vpc-1");
    check_eq!(export.exporting_stack, net);
    check_eq!(export.output_key, "Vpc");

    let mut importing = commit(StackStatus::CreateComplete, 1, &["Fn"]);
    importing.imports.push(vpc.clone());
    deploy(store, &app, DeploymentKind::Create, importing).await?;

    // Another stack cannot take the name; its whole commit is refused.
    let mut clash = commit(StackStatus::CreateComplete, 1, &["X"]);
    clash.outputs.push(output("Mine", "vpc-2", Some("VpcId"))?);
    match deploy(store, &other, DeploymentKind::Create, clash).await {
        Err(Failure(msg)) if msg.contains("already exported by stack `network`") => {}
        other => {
            return Err(Failure(format!(
                "export clash gave {:?}",
                other.map(|s| s.version)
            )));
        }
    }
    check!(
        store.list_resources(&other).await?.is_empty(),
        "refused commit wrote nothing"
    );

    // The exporter cannot drop or change the export while it is imported.
    let dep = store
        .begin_deployment(super::begin(&net, DeploymentKind::Update, 2))
        .await?;
    let mut changed = commit(StackStatus::UpdateComplete, 2, &["Vpc"]);
    changed.outputs.push(output("Vpc", "vpc-9", Some("VpcId"))?);
    match store
        .finish_deployment(dep.id, DeploymentOutcome::Succeeded, changed)
        .await
    {
        Err(StoreError::ExportInUse { name, importers }) => {
            check_eq!(name, "VpcId");
            check_eq!(importers, vec!["app".to_string()]);
        }
        other => {
            return Err(Failure(format!(
                "changing an imported export gave {:?}",
                other.map(|s| s.version)
            )));
        }
    }
    // Keeping it unchanged is fine.
    let mut same = commit(StackStatus::UpdateComplete, 2, &["Vpc"]);
    same.outputs = c.outputs.clone();
    store
        .finish_deployment(dep.id, DeploymentOutcome::Succeeded, same)
        .await?;

    // Importing a missing export is refused.
    let dep = store
        .begin_deployment(super::begin(&app, DeploymentKind::Update, 2))
        .await?;
    let mut missing = commit(StackStatus::UpdateComplete, 2, &["Fn"]);
    missing.imports.push(ExportName::new("Nope")?);
    check_err!(
        store
            .finish_deployment(dep.id, DeploymentOutcome::Succeeded, missing)
            .await,
        StoreError::ImportNotFound { .. }
    );
    // Once the importer stops importing, the export can go.
    store
        .finish_deployment(
            dep.id,
            DeploymentOutcome::Succeeded,
            commit(StackStatus::UpdateComplete, 2, &["Fn"]),
        )
        .await?;
    super::delete_stack(store, &net, 3).await?;
    check!(
        store.list_exports(&stage()).await?.is_empty(),
        "export removed with its stack"
    );

    // The same name in another stage is independent.
    let prod = StageRef::parse("shop", "prod")?;
    store.ensure_stage(&prod).await?;
    deploy(
        store,
        &prod.stack(crate::StackName::new("network")?),
        DeploymentKind::Create,
        c,
    )
    .await?;
    check_eq!(store.list_exports(&prod).await?.len(), 1);
    check!(
        store.list_exports(&stage()).await?.is_empty(),
        "stages do not share exports"
    );
    Ok(())
}

/// Versions count from 1 per function; aliases point at published versions
/// with valid weights.
pub async fn function_versions_and_aliases(store: &dyn Store) -> CaseResult {
    store.ensure_stage(&stage()).await?;
    let f = FunctionName::new("shop-dev-Api")?;
    let code1 = Digest::of(b"v1");
    let code2 = Digest::of(b"v2");
    let new = |code: Digest| NewFunctionVersion {
        function: f.clone(),
        code,
        config: serde_json::json!({ "Runtime": "python3.12", "Handler": "app.handler" }),
        description: None,
    };
    check_err!(
        store
            .publish_version(&StageRef::parse("shop", "nope")?, new(code1))
            .await,
        StoreError::NotFound { kind: "stage", .. }
    );
    check_eq!(
        store.publish_version(&stage(), new(code1)).await?.version,
        1
    );
    check_eq!(
        store.publish_version(&stage(), new(code2)).await?.version,
        2
    );
    let other = FunctionName::new("shop-dev-Worker")?;
    let w = store
        .publish_version(
            &stage(),
            NewFunctionVersion {
                function: other.clone(),
                ..new(code1)
            },
        )
        .await?;
    check_eq!(w.version, 1);
    let v2 = store
        .get_version(&stage(), &f, 2)
        .await?
        .ok_or(Failure("version 2 readable".into()))?;
    check_eq!(v2.code, code2);
    check!(
        store.get_version(&stage(), &f, 3).await?.is_none(),
        "no version 3"
    );
    check_eq!(store.list_versions(&stage(), &f).await?.len(), 2);

    let live = AliasName::new("live")?;
    let spec = AliasSpec {
        function: f.clone(),
        name: live.clone(),
        version: 1,
        routing: AliasRouting::default(),
        description: None,
    };
    store.put_alias(&stage(), spec.clone()).await?;
    let canary = AliasSpec {
        routing: AliasRouting::canary(2, 0.1),
        ..spec.clone()
    };
    store.put_alias(&stage(), canary.clone()).await?;
    let got = store
        .get_alias(&stage(), &f, &live)
        .await?
        .ok_or(Failure("alias readable".into()))?;
    check_eq!(got.version, 1);
    check_eq!(got.routing, AliasRouting::canary(2, 0.1));
    check_err!(
        store
            .put_alias(
                &stage(),
                AliasSpec {
                    version: 9,
                    ..spec.clone()
                }
            )
            .await,
        StoreError::NotFound {
            kind: "function version",
            ..
        }
    );
    check_err!(
        store
            .put_alias(
                &stage(),
                AliasSpec {
                    routing: AliasRouting::canary(5, 0.1),
                    ..spec.clone()
                }
            )
            .await,
        StoreError::NotFound { .. }
    );
    check_err!(
        store
            .put_alias(
                &stage(),
                AliasSpec {
                    routing: AliasRouting::canary(2, 1.5),
                    ..spec.clone()
                }
            )
            .await,
        StoreError::InvalidInput(_)
    );
    // Refused writes left the canary in place.
    check_eq!(
        store
            .get_alias(&stage(), &f, &live)
            .await?
            .map(|a| a.routing),
        Some(AliasRouting::canary(2, 0.1))
    );
    check_eq!(store.list_aliases(&stage(), &f).await?.len(), 1);
    check!(
        store.delete_alias(&stage(), &f, &live).await?,
        "alias deleted"
    );
    check!(
        !store.delete_alias(&stage(), &f, &live).await?,
        "second delete reports absence"
    );
    check_eq!(
        store.referenced_artifacts().await?,
        BTreeSet::from([code1, code2])
    );
    Ok(())
}

/// Parameter versions: create, refuse silent overwrite, overwrite, history, delete.
pub async fn parameters_and_versions(store: &dyn Store) -> CaseResult {
    let name = ParameterName::new("/dev/tableName")?;
    check_eq!(
        store
            .put_parameter(put("/dev/tableName", text("orders"), false)?)
            .await?,
        1
    );
    check_err!(
        store
            .put_parameter(put("/dev/tableName", text("x"), false)?)
            .await,
        StoreError::AlreadyExists {
            kind: "parameter",
            ..
        }
    );
    check_eq!(
        store
            .put_parameter(put("/dev/tableName", text("orders-v2"), true)?)
            .await?,
        2
    );
    let latest = store
        .get_parameter(&name, None)
        .await?
        .ok_or(Failure("latest readable".into()))?;
    check_eq!(latest.version, 2);
    check_eq!(latest.value, ParameterValue::String("orders-v2".into()));
    check_eq!(latest.modified_by, "alice");
    let v1 = store
        .get_parameter(&name, Some(1))
        .await?
        .ok_or(Failure("v1 readable".into()))?;
    check_eq!(v1.value, ParameterValue::String("orders".into()));
    check!(
        store.get_parameter(&name, Some(3)).await?.is_none(),
        "no v3"
    );
    check_eq!(
        store
            .parameter_history(&name)
            .await?
            .iter()
            .map(|p| p.version)
            .collect::<Vec<_>>(),
        vec![1, 2]
    );

    let list = ParameterName::new("/dev/hosts")?;
    let items = vec!["a.local".to_string(), "b.local".to_string()];
    store
        .put_parameter(put(
            "/dev/hosts",
            NewParameterValue::StringList(items.clone()),
            false,
        )?)
        .await?;
    let got = store
        .get_parameter(&list, None)
        .await?
        .ok_or(Failure("list readable".into()))?;
    check_eq!(got.value, ParameterValue::StringList(items));
    check_eq!(got.parameter_type(), ParameterType::StringList);
    check_err!(
        store
            .put_parameter(put(
                "/dev/bad",
                NewParameterValue::StringList(vec!["a,b".into()]),
                false
            )?)
            .await,
        StoreError::InvalidInput(_)
    );
    check_err!(
        store
            .put_parameter(put("/dev/big", text(&"x".repeat(5000)), false)?)
            .await,
        StoreError::InvalidInput(_)
    );

    check!(store.delete_parameter("alice", &name).await?, "deleted");
    check!(
        !store.delete_parameter("alice", &name).await?,
        "second delete reports absence"
    );
    check!(store.get_parameter(&name, None).await?.is_none(), "gone");
    check!(
        store.parameter_history(&name).await?.is_empty(),
        "history gone"
    );
    // Re-created, it starts again at version 1, as in SSM.
    check_eq!(
        store
            .put_parameter(put("/dev/tableName", text("again"), false)?)
            .await?,
        1
    );
    Ok(())
}

/// Secure strings come back sealed, open only through `decrypt_parameter`,
/// and never reach the audit log.
pub async fn secure_strings_sealed(store: &dyn Store) -> CaseResult {
    let name = ParameterName::new("/dev/databasePassword")?;
    let secret = "s3cr3t-pa55word-for-conformance";
    store
        .put_parameter(put(
            "/dev/databasePassword",
            NewParameterValue::SecureString(SecretString::new(secret)),
            false,
        )?)
        .await?;
    let p = store
        .get_parameter(&name, None)
        .await?
        .ok_or(Failure("secure parameter readable".into()))?;
    check_eq!(p.parameter_type(), ParameterType::SecureString);
    match &p.value {
        ParameterValue::SecureString(sealed) => {
            check!(
                !sealed
                    .ciphertext
                    .windows(secret.len())
                    .any(|w| w == secret.as_bytes()),
                "ciphertext hides the value"
            );
        }
        other => return Err(Failure(format!("secure value came back as {other:?}"))),
    }
    check!(
        !format!("{p:?}").contains(secret),
        "Debug of a parameter hides the secret"
    );
    check_eq!(store.decrypt_parameter(&p)?.expose(), secret);
    store
        .put_parameter(put(
            "/dev/databasePassword",
            NewParameterValue::SecureString("second".into()),
            true,
        )?)
        .await?;
    let v1 = store
        .get_parameter(&name, Some(1))
        .await?
        .ok_or(Failure("v1 kept".into()))?;
    check_eq!(store.decrypt_parameter(&v1)?.expose(), secret);
    // A sealed value moved to another version does not open.
    let mut moved = v1.clone();
    moved.version = 2;
    check_err!(store.decrypt_parameter(&moved), StoreError::Decrypt { .. });
    let audit = store
        .list_audit(AuditQuery {
            target: Some(name.to_string()),
            ..Default::default()
        })
        .await?;
    check_eq!(audit.len(), 2);
    for e in &audit {
        check_eq!(e.action, "parameter.put");
        check!(
            !e.details.to_string().contains(secret),
            "audit details hide the secret"
        );
        check!(
            !e.details.to_string().contains("second"),
            "audit details hide the secret"
        );
    }
    Ok(())
}

/// GetParametersByPath: direct children, or every descendant.
pub async fn parameters_by_path(store: &dyn Store) -> CaseResult {
    for n in [
        "/dev/a",
        "/dev/b",
        "/dev/db/password",
        "/dev/db/user",
        "/devx/c",
        "/prod/a",
        "/Dev/a",
        "top",
    ] {
        store.put_parameter(put(n, text("v"), false)?).await?;
    }
    store
        .put_parameter(put("/dev/a", text("v2"), true)?)
        .await?;
    let names = |ps: Vec<crate::param::Parameter>| {
        ps.into_iter()
            .map(|p| p.name.to_string())
            .collect::<Vec<_>>()
    };
    check_eq!(
        names(store.get_parameters_by_path("/dev", false).await?),
        vec!["/dev/a", "/dev/b"]
    );
    check_eq!(
        names(store.get_parameters_by_path("/dev", true).await?),
        vec!["/dev/a", "/dev/b", "/dev/db/password", "/dev/db/user"]
    );
    check_eq!(
        names(store.get_parameters_by_path("/dev/db", false).await?),
        vec!["/dev/db/password", "/dev/db/user"]
    );
    check_eq!(
        store.get_parameters_by_path("/dev", false).await?[0].version,
        2
    );
    check_eq!(
        names(store.get_parameters_by_path("/", false).await?),
        Vec::<String>::new()
    );
    check_eq!(store.get_parameters_by_path("/", true).await?.len(), 7);
    check!(
        store
            .get_parameters_by_path("/nothing", true)
            .await?
            .is_empty(),
        "empty path"
    );
    check_err!(
        store.get_parameters_by_path("dev", true).await,
        StoreError::InvalidName { .. }
    );
    check_err!(
        store.get_parameters_by_path("/dev/", true).await,
        StoreError::InvalidName { .. }
    );
    Ok(())
}

/// The audit log: append, newest first, filters, paging.
pub async fn audit_log(store: &dyn Store) -> CaseResult {
    for (actor, target) in [
        ("alice", "shop/dev/shop"),
        ("bob", "shop/dev/shop"),
        ("alice", "shop/prod/shop"),
    ] {
        store
            .record_audit(
                NewAuditEntry::new(actor, "stack.deploy", target)
                    .with_details(serde_json::json!({ "deployment": 1 })),
            )
            .await?;
    }
    let all = store.list_audit(AuditQuery::default()).await?;
    check_eq!(all.len(), 3);
    check!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    check_eq!(all[0].target, "shop/prod/shop");
    check_eq!(all[2].details, serde_json::json!({ "deployment": 1 }));
    let alice = store
        .list_audit(AuditQuery {
            actor: Some("alice".into()),
            ..Default::default()
        })
        .await?;
    check_eq!(alice.len(), 2);
    let dev = store
        .list_audit(AuditQuery {
            target: Some("shop/dev/shop".into()),
            ..Default::default()
        })
        .await?;
    check_eq!(
        dev.iter().map(|e| e.actor.as_str()).collect::<Vec<_>>(),
        vec!["bob", "alice"]
    );
    let page = store
        .list_audit(AuditQuery {
            before: Some(all[0].id),
            limit: Some(1),
            ..Default::default()
        })
        .await?;
    check_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![all[1].id]
    );
    Ok(())
}

/// A stage with live stacks cannot be deleted; one with deleted stacks can,
/// taking its records along.
pub async fn stage_deletion_rules(store: &dyn Store) -> CaseResult {
    store.ensure_stage(&stage()).await?;
    let s = stack("shop")?;
    deploy(
        store,
        &s,
        DeploymentKind::Create,
        commit(StackStatus::CreateComplete, 1, &["Fn"]),
    )
    .await?;
    check_err!(
        store.delete_stage(&stage()).await,
        StoreError::NotEmpty { kind: "stage", .. }
    );
    super::delete_stack(store, &s, 2).await?;
    check!(
        store.delete_stage(&stage()).await?,
        "stage with only deleted stacks deleted"
    );
    check!(
        store.get_stack(&s).await?.is_none(),
        "stack records went with the stage"
    );
    check!(
        store.list_events(&s, None, 10).await?.is_empty(),
        "events went with the stage"
    );
    Ok(())
}
