//! Python: the code directory plus `requirements.txt` installed with pip
//! into the package (into `python/` for a layer), with the interpreter that
//! matches the runtime (`python3.12` for `python3.12`).
//!
//! The installed dependencies are kept in the cache under a key made of the
//! requirements file, the runtime, the architecture and the interpreter, so
//! a change to the handler alone reuses them; pip's own download cache is
//! restored into each fresh workspace (keyed by the same, falling back to
//! the last one of the runtime) and saved after a successful install.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Ctx, Step, assemble, layer_prefix};
use crate::digest::KeyHasher;
use crate::error::BuildError;
use crate::fsutil;

/// The interpreter found for a runtime.
pub struct Interpreter {
    /// The real executable (not a version manager's shim).
    pub executable: PathBuf,
    /// Directories it needs to see (its prefix and base prefix).
    pub prefixes: Vec<PathBuf>,
}

/// Finds a Python interpreter of exactly `version` (`3.12`): `python3.12`,
/// then `python3`, then `python` on `PATH`, each asked for its version.
pub fn find_interpreter(version: &str) -> Result<Interpreter, String> {
    let mut tried = Vec::new();
    for name in [
        format!("python{version}"),
        "python3".into(),
        "python".into(),
    ] {
        let Some(path) = crate::sandbox::find_on_path(&name) else {
            tried.push(format!("{name} (not on PATH)"));
            continue;
        };
        let out = Command::new(&path)
            .args(["-c", "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2]); print(sys.prefix); print(sys.base_prefix)"])
            .output();
        let Some(out) = out.ok().filter(|o| o.status.success()) else {
            tried.push(format!("{} (does not run)", path.display()));
            continue;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() >= 4 && lines[1] == version {
            return Ok(Interpreter {
                executable: PathBuf::from(lines[0]),
                prefixes: vec![PathBuf::from(lines[2]), PathBuf::from(lines[3])],
            });
        }
        tried.push(format!(
            "{} (Python {})",
            path.display(),
            lines.get(1).unwrap_or(&"?")
        ));
    }
    Err(format!(
        "no Python {version} interpreter found: tried {}",
        tried.join(", ")
    ))
}

/// Whether a requirements file names anything to install.
pub(crate) fn has_requirements(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .any(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Whether a requirements file points into the code directory (`-e .`, `./lib`, `file:`),
/// so the installed result depends on the code too.
fn refers_to_local_files(text: &str) -> bool {
    text.lines().map(str::trim).any(|l| {
        l.starts_with('.') || l.starts_with("-e") || l.contains("file:") || l.starts_with('/')
    })
}

pub(crate) fn build(ctx: &Ctx<'_>, version: &str, out: &Path) -> Result<(), BuildError> {
    let dest = out.join(layer_prefix(ctx.target, "python"));
    let req_path = ctx.target.code_dir.join("requirements.txt");
    let req = std::fs::read_to_string(&req_path)
        .ok()
        .filter(|t| has_requirements(t));
    let Some(req) = req else {
        ctx.log.system(
            Some("copy"),
            "no requirements.txt to install: copying the code",
        );
        return assemble(ctx, None, &dest);
    };
    let python_on_path = crate::sandbox::find_on_path(&format!("python{version}"));
    let mut k = KeyHasher::new("pip-deps");
    k.text(version).text(&ctx.target.architecture).text(&req);
    k.text(
        &python_on_path
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    );
    if refers_to_local_files(&req) {
        k.tree(&ctx.target.code_dir, &super::skip_common)?;
    }
    let key = k.finish();
    if ctx.use_cache
        && let Some(deps) = ctx.cache.deps(&key)
    {
        ctx.log.system(
            Some("pip install"),
            &format!("dependencies from the cache ({})", key.short()),
        );
        return assemble(ctx, Some(&deps), &dest);
    }
    let interp = find_interpreter(version).map_err(|why| {
        ctx.error(
            &req_path.display().to_string(),
            format!("runtime python{version} needs a Python {version} interpreter to install requirements.txt: {why}"),
        )
    })?;
    let ws = ctx.workspace()?;
    let home = ctx.home()?;
    let pip_cache = home.join(".cache").join("pip");
    let req_hash = crate::digest::Digest::of(req.as_bytes()).short();
    let cache_key = format!("pip-{version}-{}-{req_hash}", ctx.target.architecture);
    let fallback = vec![format!("pip-{version}-{}-", ctx.target.architecture)];
    if ctx.use_cache
        && let Some(found) = ctx
            .cache
            .restore_keyed("pip", &cache_key, &fallback, &pip_cache)?
    {
        ctx.log.system(
            Some("pip install"),
            &format!("restored pip's cache `{found}`"),
        );
    }
    let target_dir = ctx.work.join("deps");
    fsutil::create_dir(&target_dir)?;
    let args = [
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--no-warn-script-location",
        "--progress-bar",
        "off",
        "-r",
        "requirements.txt",
        "--target",
    ]
    .iter()
    .map(Into::into)
    .chain([
        target_dir.clone().into_os_string(),
        "--cache-dir".into(),
        pip_cache.clone().into_os_string(),
    ])
    .collect();
    ctx.run(
        Step {
            name: "pip install",
            program: interp.executable.display().to_string(),
            args,
            cwd: ws,
            env: vec![
                ("PIP_ROOT_USER_ACTION".into(), "ignore".into()),
                ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
            ],
            writable: vec![target_dir.clone()],
            readable: interp.prefixes.clone(),
            network: true,
        },
        &mut |_| true,
    )?;
    // pip writes these where it installs; they differ run to run and are not code.
    for junk in ["__pycache__", "bin/__pycache__"] {
        fsutil::remove(&target_dir.join(junk))?;
    }
    remove_pycache(&target_dir)?;
    ctx.cache.save_keyed("pip", &cache_key, &pip_cache)?;
    let deps = ctx.cache.save_deps(&key, &target_dir)?;
    assemble(ctx, Some(&deps), &dest)
}

/// Removes every `__pycache__` directory (byte code differs between runs).
fn remove_pycache(root: &Path) -> Result<(), BuildError> {
    let dirs: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_dir() && e.file_name() == "__pycache__")
        .map(|e| e.path().to_path_buf())
        .collect();
    for d in dirs {
        fsutil::remove(&d)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_files() {
        assert!(!has_requirements("# nothing\n\n"));
        assert!(has_requirements("six==1.17.0\n"));
        assert!(refers_to_local_files("-e .\n"));
        assert!(refers_to_local_files("./libs/shared\n"));
        assert!(!refers_to_local_files("six\nrequests>=2\n"));
    }
}
