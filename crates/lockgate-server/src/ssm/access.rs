//! Who may read which parameter names: the stage-prefix rule, the floor
//! under every role's policies.

use super::Caller;

/// Whether `caller` may read parameter `name` (or the path `name`).
///
/// The admin may read everything. A stage caller may read a name whose first
/// path segment is its stage (`/dev`, `/dev/db/password`) or whose first two
/// segments are its app and stage (`/greeter/dev/key`); nothing else — not
/// `/`, not `/greeter`, not names outside a hierarchy. Writes are the admin's
/// alone (checked separately).
pub fn authorize_names(caller: &Caller, name: &str) -> bool {
    match caller {
        Caller::Admin => true,
        Caller::Stage { app, stage, .. } => {
            let Some(rest) = name.strip_prefix('/') else {
                return false;
            };
            let mut segments = rest.split('/');
            let first = segments.next().unwrap_or("");
            if first == stage {
                return true;
            }
            first == app && segments.next() == Some(stage.as_str())
        }
    }
}
