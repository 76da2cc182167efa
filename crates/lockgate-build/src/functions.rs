//! `build_template`: every function and layer of a template built, as
//! `sam build` does, into `.aws-sam/build/` with a built `template.yaml`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::archive;
use crate::cache::{Cache, IndexEntry, default_cache_dir};
use crate::digest::Digest;
use crate::error::{BuildError, io_err};
use crate::fsutil;
use crate::log::{Log, LogSink};
use crate::methods::{self, Ctx};
use crate::sandbox::{Sandbox, SandboxMode};
use crate::template::{self, Kind, Method, Skipped, Target};

/// Lambda's limits on a function's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SizeLimits {
    /// The zip file (50 MB for a direct upload).
    pub zipped_bytes: u64,
    /// The unzipped code, layers included (250 MB).
    pub unzipped_bytes: u64,
}

impl Default for SizeLimits {
    fn default() -> Self {
        SizeLimits {
            zipped_bytes: 50 * 1024 * 1024,
            unzipped_bytes: 250 * 1024 * 1024,
        }
    }
}

/// What happens during a build, for progress displays.
#[derive(Debug, Clone)]
pub enum BuildEvent {
    /// The build of a function or layer (and those sharing it) started.
    Started {
        /// The logical IDs built by this one build.
        logical_ids: Vec<String>,
        /// The method.
        method: &'static str,
    },
    /// It ended.
    Finished {
        /// The logical IDs.
        logical_ids: Vec<String>,
        /// Whether the result came from the cache.
        cached: bool,
        /// Whether it succeeded.
        ok: bool,
    },
}

/// A callback for [`BuildEvent`]s, called from the build threads.
pub type EventSink = Arc<dyn Fn(&BuildEvent) + Send + Sync>;

/// What to build and how.
#[derive(Clone)]
pub struct BuildOptions {
    /// The template file.
    pub template: PathBuf,
    /// Where results go (default: `.aws-sam/build` beside the template).
    pub build_dir: Option<PathBuf>,
    /// The cache (default: [`default_cache_dir`]).
    pub cache_dir: Option<PathBuf>,
    /// Reuse results and dependencies whose inputs are unchanged (`--use-cache`,
    /// the default); false builds everything afresh (`--no-cache`).
    pub use_cache: bool,
    /// Build only these functions and layers (and the layers they use); empty: all.
    pub only: Vec<String>,
    /// Template parameter values (for `!Ref` in `Runtime`, `CodeUri`, …).
    pub overrides: lockgate_template::Overrides,
    /// The sandbox.
    pub sandbox: SandboxMode,
    /// Time limit of one function's or layer's build.
    pub timeout: Duration,
    /// How many builds run at once.
    pub jobs: usize,
    /// Lambda's size limits, for the warnings.
    pub limits: SizeLimits,
    /// Directories no build may see (a server's data directory).
    pub deny: Vec<PathBuf>,
    /// Live log lines.
    pub log: Option<LogSink>,
    /// Progress events.
    pub events: Option<EventSink>,
}

impl BuildOptions {
    /// Options for a template with the defaults.
    pub fn new(template: impl Into<PathBuf>) -> BuildOptions {
        BuildOptions {
            template: template.into(),
            build_dir: None,
            cache_dir: None,
            use_cache: true,
            only: Vec::new(),
            overrides: Default::default(),
            sandbox: SandboxMode::from_env().unwrap_or_default(),
            timeout: Duration::from_secs(30 * 60),
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .min(4),
            limits: SizeLimits::default(),
            deny: Vec::new(),
            log: None,
            events: None,
        }
    }
}

/// A package over Lambda's limits, with what makes it big.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SizeWarning {
    /// Which limits are exceeded, as text (`zipped 61.2 MB > 50 MB`).
    pub exceeded: Vec<String>,
    /// The biggest top-level entries (unzipped bytes), biggest first; a
    /// layer of the template counts as one entry `layer:<LogicalId>`.
    pub biggest: Vec<(String, u64)>,
}

/// One built function or layer.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Built {
    /// Its logical ID.
    pub logical_id: String,
    /// Function or layer.
    pub kind: Kind,
    /// Its runtime (a layer: its `BuildMethod`).
    pub runtime: Option<String>,
    /// The method (`python`, `node`, `makefile`, `cargo`, `java`, `copy`).
    pub method: &'static str,
    /// Its folder under the build directory.
    pub directory: PathBuf,
    /// The deterministic zip of the folder, in the cache, named by its digest.
    pub zip: PathBuf,
    /// SHA-256 of the zip: the same inputs always give the same digest.
    pub digest: Digest,
    /// Size of the zip.
    pub zipped_bytes: u64,
    /// Size of the files.
    pub unzipped_bytes: u64,
    /// Whether the build was skipped because its inputs were unchanged.
    pub cached: bool,
    /// Time taken (for functions sharing one build, that build's time).
    pub duration: Duration,
    /// The function whose build this one shares (same code and settings), if not itself.
    pub shared_with: Option<String>,
    /// The kept log, when a build ran.
    pub log: Option<PathBuf>,
    /// Set when the package is over Lambda's limits.
    pub size_warning: Option<SizeWarning>,
}

/// The result of [`build_template`].
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// The source template.
    pub template: PathBuf,
    /// The build directory (`.aws-sam/build`).
    pub build_dir: PathBuf,
    /// The built template (`.aws-sam/build/template.yaml`).
    pub built_template: PathBuf,
    /// The built template's content (JSON, long-form intrinsics).
    pub built_value: Value,
    /// Every function and layer built (or taken from the cache), in logical-ID order.
    pub built: Vec<Built>,
    /// Functions and layers not built, with the reason.
    pub skipped: Vec<Skipped>,
    /// Warnings (sizes, runtimes) as text.
    pub warnings: Vec<String>,
    /// Whether build steps ran in the sandbox.
    pub sandboxed: bool,
    /// Why not, when they did not.
    pub sandbox_note: Option<String>,
    /// Total time.
    pub duration: Duration,
}

impl BuildReport {
    /// The built function or layer with this logical ID.
    pub fn get(&self, logical_id: &str) -> Option<&Built> {
        self.built.iter().find(|b| b.logical_id == logical_id)
    }

    /// For a deploy: each code path as written in the built template (the
    /// folder name) → the digest of its artifact. Feed it to
    /// `lockgate_template::LoadOptions::code_locations` (as
    /// `s3://<bucket>/<digest>`) when loading [`BuildReport::built_template`].
    pub fn code_locations(&self) -> BTreeMap<String, Digest> {
        self.built
            .iter()
            .map(|b| (folder_name(&b.logical_id), b.digest))
            .collect()
    }
}

fn folder_name(logical_id: &str) -> String {
    logical_id.to_string()
}

/// The record of what each folder of the build directory holds, kept at
/// `.aws-sam/lockgate-build.json` (beside the build directory, where the
/// SAM CLI keeps its `build.toml`).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Manifest {
    folders: BTreeMap<String, Digest>,
}

fn manifest_path(build_dir: &Path) -> PathBuf {
    build_dir
        .parent()
        .map(|p| p.join("lockgate-build.json"))
        .unwrap_or_else(|| build_dir.join("../lockgate-build.json"))
}

/// A group of targets built once.
struct Group {
    leader: Target,
    members: Vec<String>,
}

struct Outcome {
    entry: IndexEntry,
    cached: bool,
    duration: Duration,
    /// A fresh output directory to move into place (when the build ran).
    fresh: Option<PathBuf>,
    log: Option<PathBuf>,
}

/// Builds the functions and layers of a template (see the crate documentation).
pub fn build_template(opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    let template_path =
        std::path::absolute(&opts.template).map_err(|e| io_err(&opts.template, e))?;
    let file = opts.template.display().to_string();
    let template_dir = template_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    let template_dir =
        std::fs::canonicalize(&template_dir).map_err(|e| io_err(&template_dir, e))?;
    let load_opts = lockgate_template::LoadOptions {
        overrides: opts.overrides.clone(),
        ..Default::default()
    };
    let loaded = lockgate_template::load_file(&template_path, &load_opts)?;
    let (mut targets, skipped) = template::read_targets(&loaded, &file, &template_dir)?;
    if !opts.only.is_empty() {
        let known: Vec<String> = targets.iter().map(|t| t.logical_id.clone()).collect();
        let unknown: Vec<String> = opts
            .only
            .iter()
            .filter(|n| !known.contains(n))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(BuildError::UnknownNames {
                file,
                names: unknown,
                known,
            });
        }
        let mut wanted: Vec<String> = opts.only.clone();
        for t in &targets {
            if opts.only.contains(&t.logical_id) {
                wanted.extend(t.layers.iter().cloned());
            }
        }
        targets.retain(|t| wanted.contains(&t.logical_id));
    }
    let build_dir = match &opts.build_dir {
        Some(d) => std::path::absolute(d).map_err(|e| io_err(d, e))?,
        None => template_dir.join(".aws-sam").join("build"),
    };
    let cache = Cache::new(opts.cache_dir.clone().unwrap_or_else(default_cache_dir));
    let sandbox = Sandbox::detect(opts.sandbox)?;
    let mut deny = opts.deny.clone();
    deny.push(cache.root().to_path_buf());
    deny.push(template_dir.clone());
    deny.push(build_dir.clone());

    let uncompiled: Vec<String> = targets
        .iter()
        .filter_map(template::uncompiled_java)
        .collect();

    // Functions with the same code and build settings are built once
    // (Makefile builds are not shared: each runs its own target).
    let mut groups: Vec<Group> = Vec::new();
    for t in targets {
        let shared = t.method != Method::Makefile;
        if shared
            && let Some(g) = groups.iter_mut().find(|g| {
                g.leader.method == t.method
                    && g.leader.kind == t.kind
                    && g.leader.code_dir == t.code_dir
                    && g.leader.runtime == t.runtime
                    && g.leader.architecture == t.architecture
                    && g.leader.build_properties == t.build_properties
            })
        {
            g.members.push(t.logical_id.clone());
            continue;
        }
        groups.push(Group {
            members: vec![t.logical_id.clone()],
            leader: t,
        });
    }

    let queue: Mutex<Vec<usize>> = Mutex::new((0..groups.len()).rev().collect());
    let results: Mutex<HashMap<usize, Result<Outcome, BuildError>>> = Mutex::new(HashMap::new());
    let jobs = opts.jobs.max(1).min(groups.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                // The lock is taken and released inside `next`, not held while building.
                let next = || queue.lock().ok().and_then(|mut q| q.pop());
                while let Some(i) = next() {
                    let r = build_group(&groups[i], opts, &cache, &sandbox, &deny);
                    if let Ok(mut m) = results.lock() {
                        m.insert(i, r);
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();

    // Materialize the folders, then the built template.
    fsutil::create_dir(&build_dir)?;
    let mpath = manifest_path(&build_dir);
    let old: Manifest = std::fs::read(&mpath)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let mut manifest = Manifest::default();
    let mut built = Vec::new();
    let mut first_error = None;
    for (i, g) in groups.iter().enumerate() {
        let outcome = match results.remove(&i) {
            Some(Ok(o)) => o,
            Some(Err(e)) => {
                first_error.get_or_insert(e);
                continue;
            }
            None => continue,
        };
        let mut fresh = outcome.fresh.clone();
        for id in &g.members {
            let folder = build_dir.join(folder_name(id));
            let current = old.folders.get(id) == Some(&outcome.entry.digest) && folder.is_dir();
            if !current {
                fsutil::remove(&folder)?;
                match fresh.take() {
                    Some(dir) => fsutil::move_tree(&dir, &folder)?,
                    None => archive::unzip(&cache.artifact_path(&outcome.entry.digest), &folder)?,
                }
            }
            manifest.folders.insert(id.clone(), outcome.entry.digest);
            built.push(Built {
                logical_id: id.clone(),
                kind: g.leader.kind,
                runtime: g.leader.runtime.clone(),
                method: g.leader.method.name(),
                directory: folder,
                zip: cache.artifact_path(&outcome.entry.digest),
                digest: outcome.entry.digest,
                zipped_bytes: outcome.entry.zipped_bytes,
                unzipped_bytes: outcome.entry.unzipped_bytes,
                cached: outcome.cached,
                duration: outcome.duration,
                shared_with: (id != &g.leader.logical_id).then(|| g.leader.logical_id.clone()),
                log: outcome.log.clone(),
                size_warning: None,
            });
        }
        if let Some(dir) = fresh {
            fsutil::remove(&dir)?;
        }
        if let Some(parent) = outcome.fresh.as_ref().and_then(|f| f.parent()) {
            fsutil::remove(parent)?;
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    // Folders of an earlier build that are no longer built: kept when only
    // some functions were asked for, else removed.
    for (id, digest) in &old.folders {
        if manifest.folders.contains_key(id) {
            continue;
        }
        let folder = build_dir.join(folder_name(id));
        if !opts.only.is_empty() && folder.is_dir() {
            manifest.folders.insert(id.clone(), *digest);
        } else {
            fsutil::remove(&folder)?;
        }
    }
    built.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    let mut warnings = uncompiled;
    size_warnings(&mut built, &g_layers(&groups), opts.limits, &mut warnings);
    if let Some(note) = sandbox.note() {
        warnings.push(note.to_string());
    }

    let folders: BTreeMap<String, String> = manifest
        .folders
        .keys()
        .map(|id| (id.clone(), folder_name(id)))
        .collect();
    let built_value =
        template::built_template(loaded.document.value(), &template_dir, &build_dir, &folders);
    let text = crate::yaml_out::to_yaml(&built_value);
    let built_template = build_dir.join("template.yaml");
    if std::fs::read(&built_template).ok().as_deref() != Some(text.as_bytes()) {
        fsutil::write_atomic(&built_template, text.as_bytes())?;
    }
    let mbytes = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    if std::fs::read(&mpath).ok() != Some(mbytes.clone()) {
        fsutil::write_atomic(&mpath, &mbytes)?;
    }
    Ok(BuildReport {
        template: template_path,
        build_dir,
        built_template,
        built_value,
        built,
        skipped,
        warnings,
        sandboxed: sandbox.is_sandboxed(),
        sandbox_note: sandbox.note().map(str::to_string),
        duration: started.elapsed(),
    })
}

/// Logical ID → the layers of the template each function uses.
fn g_layers(groups: &[Group]) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    for g in groups {
        for id in &g.members {
            out.insert(id.clone(), g.leader.layers.clone());
        }
    }
    out
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

fn size_warnings(
    built: &mut [Built],
    layers: &HashMap<String, Vec<String>>,
    limits: SizeLimits,
    warnings: &mut Vec<String>,
) {
    let layer_sizes: HashMap<String, u64> = built
        .iter()
        .filter(|b| b.kind == Kind::Layer)
        .map(|b| (b.logical_id.clone(), b.unzipped_bytes))
        .collect();
    for b in built.iter_mut() {
        let used: Vec<(String, u64)> = layers
            .get(&b.logical_id)
            .into_iter()
            .flatten()
            .filter_map(|l| layer_sizes.get(l).map(|s| (format!("layer:{l}"), *s)))
            .collect();
        let unzipped = b.unzipped_bytes + used.iter().map(|(_, s)| s).sum::<u64>();
        let mut exceeded = Vec::new();
        if b.zipped_bytes > limits.zipped_bytes {
            exceeded.push(format!(
                "zipped {} > {}",
                mb(b.zipped_bytes),
                mb(limits.zipped_bytes)
            ));
        }
        if unzipped > limits.unzipped_bytes {
            exceeded.push(format!(
                "unzipped {} > {}",
                mb(unzipped),
                mb(limits.unzipped_bytes)
            ));
        }
        if exceeded.is_empty() {
            continue;
        }
        let mut biggest = top_entries(&b.zip);
        biggest.extend(used);
        biggest.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        biggest.truncate(5);
        let names: Vec<String> = biggest
            .iter()
            .map(|(n, s)| format!("{n} ({})", mb(*s)))
            .collect();
        warnings.push(format!(
            "{} is over Lambda's limits ({}); the biggest parts: {}",
            b.logical_id,
            exceeded.join(", "),
            names.join(", ")
        ));
        b.size_warning = Some(SizeWarning { exceeded, biggest });
    }
}

/// Unzipped size per top-level entry of an artifact.
fn top_entries(zip: &Path) -> Vec<(String, u64)> {
    let Ok(f) = std::fs::File::open(zip) else {
        return Vec::new();
    };
    let Ok(mut a) = zip::ZipArchive::new(std::io::BufReader::new(f)) else {
        return Vec::new();
    };
    let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..a.len() {
        if let Ok(e) = a.by_index_raw(i) {
            let Ok(full) = e.name() else { continue };
            let name = full.split('/').next().unwrap_or("").to_string();
            *sizes.entry(name).or_default() += e.size();
        }
    }
    sizes.into_iter().collect()
}

fn build_group(
    g: &Group,
    opts: &BuildOptions,
    cache: &Cache,
    sandbox: &Sandbox,
    deny: &[PathBuf],
) -> Result<Outcome, BuildError> {
    let started = Instant::now();
    let t = &g.leader;
    let emit = |e: BuildEvent| {
        if let Some(sink) = &opts.events {
            sink(&e);
        }
    };
    let key = methods::input_key(t, &t.logical_id)?;
    if opts.use_cache
        && let Some(entry) = cache.lookup(&key)
    {
        emit(BuildEvent::Finished {
            logical_ids: g.members.clone(),
            cached: true,
            ok: true,
        });
        return Ok(Outcome {
            entry,
            cached: true,
            duration: started.elapsed(),
            fresh: None,
            log: None,
        });
    }
    emit(BuildEvent::Started {
        logical_ids: g.members.clone(),
        method: t.method.name(),
    });
    let build_id = format!("{}-{}", t.logical_id, uuid::Uuid::new_v4().simple());
    let work = cache.work_dir(&build_id)?;
    let log = Log::create(&cache.log_path(&build_id), &t.logical_id, opts.log.clone())?;
    if let Some(note) = sandbox.note() {
        log.system(None, note);
    }
    let ctx = Ctx {
        target: t,
        cache,
        sandbox,
        log: &log,
        work: work.clone(),
        deadline: Instant::now() + opts.timeout,
        use_cache: opts.use_cache,
        deny: deny.to_vec(),
    };
    let out = work.join("out");
    let result = methods::build(&ctx, &out, &t.logical_id).and_then(|()| {
        let tmp_zip = cache.tmp_path("artifact");
        let z = archive::zip_dir(&out, &tmp_zip)?;
        let dest = cache.artifact_path(&z.digest);
        if dest.is_file() {
            fsutil::remove(&tmp_zip)?;
        } else {
            fsutil::move_tree(&tmp_zip, &dest)?;
        }
        let mut contributors: Vec<(String, u64)> = z.contributors.into_iter().collect();
        contributors.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        contributors.truncate(10);
        let entry = IndexEntry {
            digest: z.digest,
            zipped_bytes: z.zipped_bytes,
            unzipped_bytes: z.unzipped_bytes,
            contributors,
        };
        cache.record(&key, &entry)?;
        log.system(
            None,
            &format!(
                "artifact sha256:{} ({} bytes)",
                entry.digest, entry.zipped_bytes
            ),
        );
        Ok(entry)
    });
    // Everything but the output folder goes now; the folder is moved into
    // the build directory by the caller.
    for sub in ["src", "home", "tmp", "deps", "target"] {
        fsutil::remove(&work.join(sub))?;
    }
    log.flush();
    let ok = result.is_ok();
    emit(BuildEvent::Finished {
        logical_ids: g.members.clone(),
        cached: false,
        ok,
    });
    match result {
        Ok(entry) => Ok(Outcome {
            entry,
            cached: false,
            duration: started.elapsed(),
            fresh: Some(out),
            log: Some(log.path().to_path_buf()),
        }),
        Err(e) => {
            fsutil::remove(&work)?;
            Err(e)
        }
    }
}
