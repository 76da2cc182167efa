//! Node.js: the code directory (without `node_modules`) plus its production
//! dependencies: `npm ci --omit=dev` when a lock file exists, else
//! `npm install --omit=dev`. A layer's files go under `nodejs/`.
//!
//! The installed `node_modules` is kept in the cache under a key made of
//! `package.json`, the lock file, the runtime, the architecture and npm;
//! npm's download cache is restored into each fresh workspace and saved
//! after a successful install.

use std::path::Path;

use super::{Ctx, Step, assemble, layer_prefix};
use crate::digest::{Digest, KeyHasher};
use crate::error::BuildError;
use crate::fsutil;

/// Whether `package.json` declares production dependencies.
pub(crate) fn has_dependencies(package_json: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(package_json)
        .ok()
        .and_then(|v| {
            v.get("dependencies")
                .and_then(|d| d.as_object())
                .map(|d| !d.is_empty())
        })
        .unwrap_or(false)
}

pub(crate) fn build(ctx: &Ctx<'_>, major: &str, out: &Path) -> Result<(), BuildError> {
    let dest = out.join(layer_prefix(ctx.target, "nodejs"));
    let code = &ctx.target.code_dir;
    let pkg_path = code.join("package.json");
    let pkg = std::fs::read_to_string(&pkg_path).ok();
    let Some(pkg) = pkg.filter(|p| has_dependencies(p)) else {
        ctx.log.system(
            Some("copy"),
            "no production dependencies in package.json: copying the code",
        );
        return assemble(ctx, None, &dest);
    };
    let lock = ["package-lock.json", "npm-shrinkwrap.json"]
        .iter()
        .find_map(|n| std::fs::read_to_string(code.join(n)).ok());
    let npm = crate::sandbox::find_on_path("npm").ok_or_else(|| {
        ctx.error(
            &pkg_path.display().to_string(),
            format!(
                "runtime nodejs{major}.x needs `npm` on PATH to install package.json's dependencies"
            ),
        )
    })?;
    let mut k = KeyHasher::new("npm-deps");
    k.text(major)
        .text(&ctx.target.architecture)
        .text(&pkg)
        .text(lock.as_deref().unwrap_or(""));
    k.text(&npm.display().to_string());
    let key = k.finish();
    if ctx.use_cache
        && let Some(deps) = ctx.cache.deps(&key)
    {
        ctx.log.system(
            Some("npm"),
            &format!("dependencies from the cache ({})", key.short()),
        );
        return assemble(ctx, Some(&deps), &dest);
    }
    let ws = ctx.workspace()?;
    let home = ctx.home()?;
    let npm_cache = home.join(".npm");
    let lock_hash = Digest::of(lock.as_deref().unwrap_or(&pkg).as_bytes()).short();
    let cache_key = format!("npm-{major}-{}-{lock_hash}", ctx.target.architecture);
    let fallback = vec![format!("npm-{major}-{}-", ctx.target.architecture)];
    if ctx.use_cache
        && let Some(found) = ctx
            .cache
            .restore_keyed("npm", &cache_key, &fallback, &npm_cache)?
    {
        ctx.log
            .system(Some("npm"), &format!("restored npm's cache `{found}`"));
    }
    let (name, verb): (&str, &[&str]) = if lock.is_some() {
        ("npm ci", &["ci"])
    } else {
        ("npm install", &["install", "--no-package-lock"])
    };
    let mut args: Vec<std::ffi::OsString> = verb.iter().map(Into::into).collect();
    args.extend(
        [
            "--omit=dev",
            "--no-audit",
            "--no-fund",
            "--no-update-notifier",
            "--cache",
        ]
        .iter()
        .map(Into::into),
    );
    args.push(npm_cache.clone().into_os_string());
    ctx.run(
        Step {
            name,
            program: npm.display().to_string(),
            args,
            cwd: ws.clone(),
            env: vec![("NODE_ENV".into(), "production".into())],
            writable: Vec::new(),
            readable: Vec::new(),
            network: true,
        },
        &mut |_| true,
    )?;
    let tree = ctx.work.join("deps");
    fsutil::create_dir(&tree)?;
    let modules = ws.join("node_modules");
    if modules.is_dir() {
        fsutil::move_tree(&modules, &tree.join("node_modules"))?;
        // npm's record of the install holds timestamps-free data but differs
        // with npm versions; it is not needed at run time.
        fsutil::remove(&tree.join("node_modules").join(".package-lock.json"))?;
    }
    ctx.cache.save_keyed("npm", &cache_key, &npm_cache)?;
    let deps = ctx.cache.save_deps(&key, &tree)?;
    assemble(ctx, Some(&deps), &dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_dependencies() {
        assert!(has_dependencies(
            r#"{"dependencies": {"left-pad": "1.3.0"}}"#
        ));
        assert!(!has_dependencies(r#"{"devDependencies": {"jest": "1"}}"#));
        assert!(!has_dependencies("not json"));
    }
}
