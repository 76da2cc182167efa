//! Function logs of a stage: `GET …/logs[/{function}]?since=N&follow=true`,
//! an ndjson stream of `lockgate_api::LogLine`s.

use axum::extract::State;
use axum::response::Response;
use lockgate_api::{LogLine, LogsQuery};
use tokio::sync::mpsc;

use super::{ApiFailure, ApiPath, ApiQuery, S, ndjson, stage_ref};

/// Every function's lines.
pub(super) async fn all(
    state: S,
    ApiPath((app, stage)): ApiPath<(String, String)>,
    query: ApiQuery<LogsQuery>,
) -> Result<Response, ApiFailure> {
    stream(state, app, stage, String::new(), query).await
}

/// One function's lines (by logical ID or physical name).
pub(super) async fn one(
    state: S,
    ApiPath((app, stage, function)): ApiPath<(String, String, String)>,
    query: ApiQuery<LogsQuery>,
) -> Result<Response, ApiFailure> {
    stream(state, app, stage, function, query).await
}

fn wire(l: crate::logs::LogLine) -> LogLine {
    LogLine {
        cursor: l.cursor,
        function: l.function,
        time: l.time,
        line: l.line,
    }
}

async fn stream(
    State(s): S,
    app: String,
    stage: String,
    function: String,
    ApiQuery(q): ApiQuery<LogsQuery>,
) -> Result<Response, ApiFailure> {
    stage_ref(&app, &stage)?;
    let key = format!("{app}/{stage}");
    let (tx, rx) = mpsc::unbounded_channel::<LogLine>();
    // Subscribe before reading, so nothing falls between.
    let mut live = s.logs.subscribe();
    let mut cursor = q.since.unwrap_or(0);
    for l in s.logs.read(&key, &function, cursor) {
        cursor = l.cursor;
        // The receiver is held by the response below: this cannot fail yet.
        let _ = tx.send(wire(l));
    }
    if q.follow {
        tokio::spawn(async move {
            loop {
                // A follower that went away ends here, not at the next line.
                let next = tokio::select! {
                    r = live.recv() => r,
                    () = tx.closed() => break,
                };
                match next {
                    Ok((k, l)) => {
                        if *k == *key
                            && l.cursor > cursor
                            && crate::logs::matches(&function, &l.function)
                        {
                            cursor = l.cursor;
                            if tx.send(wire(l)).is_err() {
                                break;
                            }
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        for l in s.logs.read(&key, &function, cursor) {
                            cursor = l.cursor;
                            if tx.send(wire(l)).is_err() {
                                return;
                            }
                        }
                    }
                    Err(_) => break,
                }
                if tx.is_closed() {
                    break;
                }
            }
        });
    } else {
        drop(tx);
    }
    Ok(ndjson(rx))
}
