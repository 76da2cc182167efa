//! Arms the scheduler with every stage's `AWS::Events::Rule` schedules:
//! after deploys and destroys, and at start. Each rule invokes its target
//! function in the stage's running cloud; a failed invocation is written to
//! the function's log.

use std::sync::Arc;

use crate::Shared;

/// Gives the scheduler every stage's scheduled targets (after deploys,
/// destroys and at start).
pub(crate) async fn sync(s: &Arc<Shared>) {
    let Ok(apps) = s.store.list_apps().await else {
        return;
    };
    for app in apps {
        let Ok(stages) = s.store.list_stages(&app.name).await else {
            continue;
        };
        for st in stages {
            let key = super::key(&st.stage);
            let (Some(model), Some(cloud)) = (
                s.stages.running_model(&st.stage).await,
                s.stages.cloud(&st.stage).await,
            ) else {
                s.scheduler.remove_group(&key);
                continue;
            };
            let mut rules = Vec::new();
            for t in model.schedules {
                let Ok(schedule) = crate::schedule::Schedule::parse(&t.expression) else {
                    continue;
                };
                let cloud = cloud.clone();
                let region = s.deployer.region.clone();
                let logs = s.logs.clone();
                let stage_key = key.clone();
                let target = t.clone();
                let fire = move |f: &crate::schedule::Firing| {
                    let rule_arn = format!(
                        "arn:aws:events:{region}:{}:rule/{}",
                        crate::ACCOUNT_ID,
                        target.rule
                    );
                    let event = match &target.input {
                        Some(input) => input.clone().into_bytes(),
                        None => crate::schedule::scheduled_event(
                            f,
                            &rule_arn,
                            &region,
                            crate::ACCOUNT_ID,
                        )
                        .to_string()
                        .into_bytes(),
                    };
                    let cloud = cloud.clone();
                    let function = target.function.clone();
                    let logs = logs.clone();
                    let stage_key = stage_key.clone();
                    let req = lockgate_cloud::InvokeRequest {
                        payload: event.into(),
                        ..Default::default()
                    };
                    if let Err(e) = cloud.invoke_event(&function, req) {
                        logs.push(&stage_key, &function, &format!("schedule: {e}"));
                    }
                };
                rules.push(crate::schedule::Rule::new(
                    format!("{}:{}", t.rule, t.function),
                    schedule,
                    Arc::new(fire),
                ));
            }
            s.scheduler.set_rules(&key, rules);
        }
    }
}
