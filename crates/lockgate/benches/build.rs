//! Build benchmark: `lockgate build` side by side with `sam build` on the
//! same Python app (`benches/build_app`: two functions sharing a code
//! directory whose `requirements.txt` installs requests and its four
//! dependencies), in one run, rounds interleaved:
//!
//! 1. **first build, cold**: a fresh copy of the app, empty caches (Lockgate's
//!    build cache; pip's cache for the SAM CLI), dependencies downloaded;
//! 2. **first build, warm**: a fresh copy of the app (no `.aws-sam`), the
//!    machine's caches warm (Lockgate's build cache; pip's cache);
//! 3. **rebuild after a one-line handler change**;
//! 4. **no-op rebuild**.
//!
//! The SAM CLI runs as `sam build` (its default: everything rebuilt) and, for
//! the rebuilds, also as `sam build --cached`. Both tools are the real
//! command-line programs, timed from spawn to exit.
//!
//! `cargo bench -p lockgate --bench build [-- ROUNDS]` (default 5). Needs the
//! SAM CLI (`sam` on PATH, or `$LOCKGATE_SAM_VENV/bin/sam`, default
//! `~/.cache/lockgate/sam-cli`, which `.ci/install` creates), python3.11 and
//! the network (PyPI).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

fn sam_path() -> PathBuf {
    if let Some(p) = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("sam"))
            .find(|p| p.is_file())
    }) {
        return p;
    }
    let venv = std::env::var_os("LOCKGATE_SAM_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/lockgate/sam-cli")
        });
    venv.join("bin/sam")
}

struct Tools {
    lockgate: PathBuf,
    sam: PathBuf,
    root: PathBuf,
}

#[derive(Clone, Copy, PartialEq)]
enum Tool {
    Lockgate,
    Sam,
    SamCached,
}

impl Tools {
    /// Runs one build of `app`; `cache` is Lockgate's build cache or pip's cache for the SAM CLI.
    fn build(&self, tool: Tool, app: &Path, cache: &Path) -> Duration {
        let mut cmd = match tool {
            Tool::Lockgate => {
                let mut c = Command::new(&self.lockgate);
                c.arg("build").arg("--cache-dir").arg(cache);
                c
            }
            Tool::Sam | Tool::SamCached => {
                let mut c = Command::new(&self.sam);
                c.arg("build")
                    .env("SAM_CLI_TELEMETRY", "0")
                    .env("PIP_CACHE_DIR", cache);
                if tool == Tool::SamCached {
                    c.arg("--cached");
                }
                c
            }
        };
        cmd.current_dir(app);
        let t = Instant::now();
        let out = cmd.output().expect("run the build");
        let d = t.elapsed();
        assert!(
            out.status.success(),
            "{} failed:\n{}{}",
            cmd.get_program().to_string_lossy(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        d
    }

    fn fresh_app(&self, name: &str) -> PathBuf {
        let dir = self.root.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/build_app"),
            &dir,
        );
        dir
    }

    fn fresh_dir(&self, name: &str) -> PathBuf {
        let dir = self.root.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let t = tempfile::tempdir().unwrap();
    let tools = Tools {
        lockgate: PathBuf::from(env!("CARGO_BIN_EXE_lockgate")),
        sam: sam_path(),
        root: t.path().to_path_buf(),
    };
    assert!(
        tools.sam.is_file(),
        "the SAM CLI is needed: pip install aws-sam-cli (.ci/install puts it in ~/.cache/lockgate/sam-cli)"
    );
    let version = Command::new(&tools.sam).arg("--version").output().unwrap();
    println!(
        "{} ({}), {rounds} rounds",
        String::from_utf8_lossy(&version.stdout).trim(),
        tools.sam.display()
    );

    // Warm caches, kept across rounds (the "warm" scenarios).
    let warm_lockgate = tools.fresh_dir("warm-lockgate-cache");
    let warm_pip = tools.fresh_dir("warm-pip-cache");
    {
        let a = tools.fresh_app("warmup-l");
        tools.build(Tool::Lockgate, &a, &warm_lockgate);
        let a = tools.fresh_app("warmup-s");
        tools.build(Tool::Sam, &a, &warm_pip);
    }

    let names = [
        "first build, cold caches",
        "first build, warm caches",
        "rebuild after a one-line handler change",
        "no-op rebuild",
    ];
    let mut l: Vec<Vec<Duration>> = vec![Vec::new(); 4];
    let mut s: Vec<Vec<Duration>> = vec![Vec::new(); 4];
    let mut sc: Vec<Vec<Duration>> = vec![Vec::new(); 4];
    for round in 0..rounds {
        // 1. Cold: fresh app, empty caches.
        let a = tools.fresh_app("cold-l");
        l[0].push(tools.build(Tool::Lockgate, &a, &tools.fresh_dir("cold-lockgate-cache")));
        let a = tools.fresh_app("cold-s");
        s[0].push(tools.build(Tool::Sam, &a, &tools.fresh_dir("cold-pip-cache")));

        // 2. Warm: fresh app, warm caches.
        let al = tools.fresh_app("app-l");
        l[1].push(tools.build(Tool::Lockgate, &al, &warm_lockgate));
        let as_ = tools.fresh_app("app-s");
        s[1].push(tools.build(Tool::Sam, &as_, &warm_pip));
        let asc = tools.fresh_app("app-sc");
        tools.build(Tool::SamCached, &asc, &warm_pip);

        // 3. A one-line handler change.
        for (app, tool, out) in [
            (&al, Tool::Lockgate, &mut l[2]),
            (&as_, Tool::Sam, &mut s[2]),
            (&asc, Tool::SamCached, &mut sc[2]),
        ] {
            let f = app.join("src/status.py");
            let mut text = std::fs::read_to_string(&f).unwrap();
            text.push_str(&format!("# change {round}\n"));
            std::fs::write(&f, text).unwrap();
            let cache = if tool == Tool::Lockgate {
                &warm_lockgate
            } else {
                &warm_pip
            };
            out.push(tools.build(tool, app, cache));
        }

        // 4. Nothing changed.
        for (app, tool, out) in [
            (&al, Tool::Lockgate, &mut l[3]),
            (&as_, Tool::Sam, &mut s[3]),
            (&asc, Tool::SamCached, &mut sc[3]),
        ] {
            let cache = if tool == Tool::Lockgate {
                &warm_lockgate
            } else {
                &warm_pip
            };
            out.push(tools.build(tool, app, cache));
        }
        eprintln!("round {} of {rounds} done", round + 1);
    }

    println!("\n| scenario | lockgate build | sam build | ratio | sam build --cached | ratio |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (i, name) in names.iter().enumerate() {
        let lm = median(&mut l[i]);
        let sm = median(&mut s[i]);
        let (scm, scr) = if sc[i].is_empty() {
            ("—".to_string(), "—".to_string())
        } else {
            let m = median(&mut sc[i]);
            (ms(m), format!("{:.0}×", m.as_secs_f64() / lm.as_secs_f64()))
        };
        println!(
            "| {name} | {} | {} | {:.0}× | {scm} | {scr} |",
            ms(lm),
            ms(sm),
            sm.as_secs_f64() / lm.as_secs_f64()
        );
    }
}
