//! Schedules of a stage: `GET …/schedules`, `POST …/schedules/{rule}/run`.

use axum::Json;
use axum::extract::State;
use lockgate_api::{Schedule, ScheduleFired};

use super::{ApiFailure, ApiPath, S, stage_ref};

/// The stage's armed schedules with their next firing.
pub(super) async fn list(
    State(s): S,
    ApiPath((app, stage)): ApiPath<(String, String)>,
) -> Result<Json<Vec<Schedule>>, ApiFailure> {
    stage_ref(&app, &stage)?;
    let key = format!("{app}/{stage}");
    Ok(Json(
        s.scheduler
            .rules()
            .into_iter()
            .filter(|r| r.group == key)
            .map(|r| Schedule {
                rule: r.key,
                expression: r.expression,
                next: r.next.map(|t| t.to_rfc3339()),
            })
            .collect(),
    ))
}

/// Fires a scheduled rule now (its schedule is unchanged).
pub(super) async fn run(
    State(s): S,
    ApiPath((app, stage, rule)): ApiPath<(String, String, String)>,
) -> Result<Json<ScheduleFired>, ApiFailure> {
    stage_ref(&app, &stage)?;
    match s.scheduler.fire_now(&format!("{app}/{stage}"), &rule) {
        Some(f) => Ok(Json(ScheduleFired {
            rule: f.key,
            fired_at: f.scheduled_at.to_rfc3339(),
        })),
        None => Err(ApiFailure::not_found(format!(
            "stage {app}/{stage} has no scheduled rule `{rule}`"
        ))),
    }
}
