//! Makefile builds, as the SAM CLI runs them: in a fresh copy of the code
//! directory, `make build-<LogicalId>` with `ARTIFACTS_DIR` set to the
//! directory whose files become the artifact. Used for `provided.*`
//! runtimes with a Makefile and for `Metadata: BuildMethod: makefile`.
//! The network is open (Makefiles commonly fetch dependencies).

use std::path::Path;

use super::{Ctx, Step};
use crate::error::BuildError;

pub(crate) fn build(ctx: &Ctx<'_>, make_target: &str, out: &Path) -> Result<(), BuildError> {
    let makefile = ctx.target.code_dir.join("Makefile");
    if !makefile.is_file() {
        return Err(ctx.error(
            &makefile.display().to_string(),
            format!("a Makefile build needs a Makefile with a `build-{make_target}` target in the code directory ({})", ctx.target.code_dir.display()),
        ));
    }
    let make = crate::sandbox::find_on_path("make").ok_or_else(|| {
        ctx.error(
            &makefile.display().to_string(),
            "a Makefile build needs `make` on PATH (Debian package `make`)".into(),
        )
    })?;
    let ws = ctx.workspace()?;
    ctx.run(
        Step {
            name: "make",
            program: make.display().to_string(),
            args: vec![format!("build-{make_target}").into()],
            cwd: ws,
            env: vec![("ARTIFACTS_DIR".into(), out.display().to_string())],
            writable: vec![out.to_path_buf()],
            readable: Vec::new(),
            network: true,
        },
        &mut |_| true,
    )
}
