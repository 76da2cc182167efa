//! Rust, as the SAM CLI's `rust-cargolambda` builds it, for this machine's
//! architecture: `cargo build --release` in a fresh copy of the code
//! directory, the binary (`BuildProperties.Binary`, or the package's only
//! one) copied as `bootstrap`. Cargo's home (the registry) and the target
//! directory are restored from the cache (keyed by `Cargo.lock` and the
//! architecture) and saved after success, so a rebuild compiles only what
//! changed.

use std::path::{Path, PathBuf};

use super::{Ctx, Step};
use crate::digest::Digest;
use crate::error::BuildError;
use crate::fsutil;

/// The executables a `cargo build --message-format=json` line reports.
fn executables(line: &str) -> Vec<(String, PathBuf)> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
        return Vec::new();
    };
    if v.get("reason").and_then(|r| r.as_str()) != Some("compiler-artifact") {
        return Vec::new();
    }
    let name = v
        .pointer("/target/name")
        .and_then(|n| n.as_str())
        .unwrap_or("")
        .to_string();
    v.get("executable")
        .and_then(|e| e.as_str())
        .map(|e| vec![(name, PathBuf::from(e))])
        .unwrap_or_default()
}

fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "arm64",
        other => other,
    }
}

pub(crate) fn build(ctx: &Ctx<'_>, binary: Option<&str>, out: &Path) -> Result<(), BuildError> {
    let manifest = ctx.target.code_dir.join("Cargo.toml");
    let file = manifest.display().to_string();
    if !manifest.is_file() {
        return Err(ctx.error(
            &file,
            format!(
                "a rust-cargolambda build needs a Cargo.toml in the code directory ({})",
                ctx.target.code_dir.display()
            ),
        ));
    }
    if ctx.target.architecture != host_arch() {
        return Err(ctx.error(
            &file,
            format!(
                "the function is for {} but this machine builds for {}: cross-compiling needs cargo-lambda, which Lockgate does not run",
                ctx.target.architecture,
                host_arch()
            ),
        ));
    }
    let cargo = crate::sandbox::find_on_path("cargo").ok_or_else(|| {
        ctx.error(
            &file,
            "a rust-cargolambda build needs `cargo` on PATH".into(),
        )
    })?;
    let lock = std::fs::read(ctx.target.code_dir.join("Cargo.lock")).ok();
    let lock_hash = Digest::of(lock.as_deref().unwrap_or(b"")).short();
    let ws = ctx.workspace()?;
    let home = ctx.home()?;
    let cargo_home = home.join(".cargo");
    let target_dir = ctx.work.join("target");
    let arch = &ctx.target.architecture;
    let (home_key, target_key) = (
        format!("cargo-home-{lock_hash}"),
        format!("cargo-target-{arch}-{lock_hash}"),
    );
    if ctx.use_cache {
        ctx.cache
            .restore_keyed("cargo", &home_key, &["cargo-home-".into()], &cargo_home)?;
        ctx.cache.restore_keyed(
            "cargo",
            &target_key,
            &[format!("cargo-target-{arch}-")],
            &target_dir,
        )?;
    }
    fsutil::create_dir(&target_dir)?;
    let mut args: Vec<std::ffi::OsString> = [
        "build",
        "--release",
        "--message-format=json-render-diagnostics",
        "--target-dir",
    ]
    .iter()
    .map(Into::into)
    .collect();
    args.push(target_dir.clone().into_os_string());
    if lock.is_some() {
        args.push("--locked".into());
    }
    if let Some(b) = binary {
        args.push("--bin".into());
        args.push(b.into());
    }
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    ctx.run(
        Step {
            name: "cargo build",
            program: cargo.display().to_string(),
            args,
            cwd: ws,
            env: vec![("CARGO_HOME".into(), cargo_home.display().to_string())],
            writable: vec![target_dir.clone()],
            readable: Vec::new(),
            network: true,
        },
        &mut |line| {
            if line.starts_with('{') {
                found.extend(executables(line));
                false
            } else {
                true
            }
        },
    )?;
    let exe = match (binary, found.as_slice()) {
        (Some(b), _) => found.iter().find(|(n, _)| n == b).map(|(_, p)| p.clone()),
        (None, [one]) => Some(one.1.clone()),
        (None, []) => None,
        (None, many) => {
            let names: Vec<&str> = many.iter().map(|(n, _)| n.as_str()).collect();
            return Err(ctx.error(&file, format!("the package has several binaries ({}): name one with Metadata: BuildProperties: Binary", names.join(", "))));
        }
    };
    let exe = exe.ok_or_else(|| {
        ctx.error(
            &file,
            "cargo built no binary: expected a [[bin]] target (or src/main.rs)".into(),
        )
    })?;
    let dest = out.join("bootstrap");
    std::fs::copy(&exe, &dest).map_err(|e| crate::error::io_err(&exe, e))?;
    ctx.cache.save_keyed("cargo", &home_key, &cargo_home)?;
    ctx.cache.save_keyed("cargo", &target_key, &target_dir)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_executables_from_cargo_messages() {
        let line = r#"{"reason":"compiler-artifact","target":{"name":"hello","kind":["bin"]},"executable":"/t/release/hello"}"#;
        assert_eq!(
            executables(line),
            [("hello".to_string(), PathBuf::from("/t/release/hello"))]
        );
        assert!(executables(r#"{"reason":"build-finished","success":true}"#).is_empty());
    }
}
