//! Module dependencies for offline verification.
//!
//! Verification has no network (`GOPROXY=off`), so a module with
//! requirements verifies only when its dependencies are already inside the
//! container. In order of preference they come from
//!
//! 1. `vendor/` (with `vendor/modules.txt`): `-mod=vendor`, nothing mounted;
//! 2. the user's module cache (`go env GOMODCACHE`), when it holds every
//!    module go.mod requires: mounted read-only;
//! 3. coop's own module cache, filled by [`crate::Sandbox::download_modules`]
//!    (`go mod download` in a container that sees only go.mod and go.sum,
//!    and the go.mod files of local replacement directories): mounted
//!    read-only.
//!
//! A cache is never mounted whole: only the entries of the modules go.mod
//! and go.sum name (each module's `cache/download/<path>/@v` directory and
//! the extracted `<path>@<version>` directories), so code under test cannot
//! list or print the other modules a cache holds (other projects' private
//! code among them).
//!
//! Everything here is pure (parsing, paths, decisions) except
//! [`GoEnv::detect`], which asks the host's `go env`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::models::{Mount, MountType};

/// Where the module cache is mounted in verification and download
/// containers (the container's `GOMODCACHE`).
pub const CONTAINER_MODCACHE: &str = "/gomodcache";

/// More cache entries than this are not mounted one by one (each is a bind
/// mount, and go.sum is the repository's to write); such a module must be
/// vendored.
pub const MAX_MODULE_MOUNTS: usize = 4000;

/// A module path and version as go.mod/go.sum write them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleVersion {
    pub path: String,
    pub version: String,
}

impl std::fmt::Display for ModuleVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.path, self.version)
    }
}

/// What verification needs from a module cache, read from go.mod and go.sum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleNeeds {
    /// The modules whose source the build may need: go.mod's requirements
    /// after `replace` (local directory replacements dropped). A cache
    /// "has" the dependencies when it holds all of these.
    pub required: BTreeSet<ModuleVersion>,
    /// Every module version go.sum hashes in full (the `h1:` of the zip),
    /// plus `required`: the extracted directories that may be mounted.
    pub sources: BTreeSet<ModuleVersion>,
    /// Every module path of go.mod and go.sum: the `cache/download/<path>/@v`
    /// directories (go.mod files, zip hashes) that may be mounted.
    pub paths: BTreeSet<String>,
}

impl ModuleNeeds {
    /// The needs of the module whose go.mod and go.sum (empty when absent)
    /// are given. Entries that are not valid module paths or versions are
    /// ignored: they would become host paths, and the go command rejects
    /// such a go.mod anyway.
    pub fn parse(go_mod: &str, go_sum: &str) -> ModuleNeeds {
        let gm = parse_go_mod(go_mod);
        let mut needs = ModuleNeeds::default();
        for req in &gm.requires {
            let target = gm
                .replaces
                .iter()
                .find(|r| r.from == req.path && r.from_version.as_deref() == Some(&req.version))
                .or_else(|| {
                    gm.replaces
                        .iter()
                        .find(|r| r.from == req.path && r.from_version.is_none())
                });
            let m = match target {
                // A local directory: nothing to download or mount.
                Some(r) if r.to_version.is_none() => continue,
                Some(r) => ModuleVersion {
                    path: r.to.clone(),
                    version: r.to_version.clone().unwrap_or_default(),
                },
                None => req.clone(),
            };
            if valid_module_path(&m.path) && valid_version(&m.version) {
                needs.paths.insert(m.path.clone());
                needs.sources.insert(m.clone());
                needs.required.insert(m);
            }
        }
        for line in go_sum.lines() {
            let mut f = line.split_whitespace();
            let (Some(path), Some(version), Some(_hash)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            let (version, zip) = match version.strip_suffix("/go.mod") {
                Some(v) => (v, false),
                None => (version, true),
            };
            if !valid_module_path(path) || !valid_version(version) {
                continue;
            }
            needs.paths.insert(path.to_string());
            if zip {
                needs.sources.insert(ModuleVersion {
                    path: path.to_string(),
                    version: version.to_string(),
                });
            }
        }
        needs
    }

    /// Add another module's needs (the modules of a workspace).
    pub fn extend(&mut self, other: ModuleNeeds) {
        self.required.extend(other.required);
        self.sources.extend(other.sources);
        self.paths.extend(other.paths);
    }

    /// Forget the modules with these paths: a workspace's own modules,
    /// which come from the worktree.
    pub fn drop_modules(&mut self, own: &BTreeSet<String>) {
        self.required.retain(|m| !own.contains(&m.path));
        self.sources.retain(|m| !own.contains(&m.path));
        self.paths.retain(|p| !own.contains(p));
    }

    /// No requirement to satisfy: nothing to mount or download.
    pub fn is_empty(&self) -> bool {
        self.required.is_empty()
    }

    /// The required modules `cache` (a GOMODCACHE directory) lacks: those
    /// without an extracted directory, a `.mod` or a `.ziphash` file (the
    /// go command re-extracts a module without one, which a read-only mount
    /// cannot do).
    pub fn missing_from(&self, cache: &Path) -> Vec<ModuleVersion> {
        self.required
            .iter()
            .filter(|m| {
                let (Some(dir), Some(dl)) = (extracted_dir(m), download_dir(&m.path)) else {
                    return true;
                };
                let v = escape(&m.version);
                !(cache.join(&dir).is_dir()
                    && cache.join(&dl).join(format!("{v}.mod")).is_file()
                    && cache.join(&dl).join(format!("{v}.ziphash")).is_file())
            })
            .cloned()
            .collect()
    }

    /// Read-only bind mounts of the entries of `cache` these needs name,
    /// under [`CONTAINER_MODCACHE`]: each path's `cache/download/<path>/@v`
    /// and each source's extracted directory, where they exist. A source
    /// that resolves (through a symlink) outside the cache is not mounted.
    pub fn mounts(&self, cache: &Path) -> Result<Vec<Mount>, String> {
        let root = cache
            .canonicalize()
            .map_err(|e| format!("module cache {}: {e}", cache.display()))?;
        let mut rels: Vec<String> = Vec::new();
        for p in &self.paths {
            if let Some(d) = download_dir(p) {
                rels.push(d);
            }
        }
        for m in &self.sources {
            if let Some(d) = extracted_dir(m) {
                rels.push(d);
            }
        }
        let mut mounts = Vec::new();
        for rel in rels {
            let Ok(src) = root.join(&rel).canonicalize() else {
                continue;
            };
            if !src.starts_with(&root) || !src.is_dir() {
                continue;
            }
            if mounts.len() == MAX_MODULE_MOUNTS {
                return Err(format!(
                    "go.mod and go.sum name more than {MAX_MODULE_MOUNTS} module cache entries; vendor the dependencies (go mod vendor)"
                ));
            }
            mounts.push(Mount {
                target: Some(format!("{CONTAINER_MODCACHE}/{rel}")),
                source: Some(src.to_string_lossy().into_owned()),
                typ: Some(MountType::BIND),
                read_only: Some(true),
                ..Default::default()
            });
        }
        Ok(mounts)
    }
}

/// `<escaped path>@<escaped version>`, the extracted module directory
/// relative to GOMODCACHE.
fn extracted_dir(m: &ModuleVersion) -> Option<String> {
    (valid_module_path(&m.path) && valid_version(&m.version))
        .then(|| format!("{}@{}", escape(&m.path), escape(&m.version)))
}

/// `cache/download/<escaped path>/@v`, relative to GOMODCACHE.
fn download_dir(path: &str) -> Option<String> {
    valid_module_path(path).then(|| format!("cache/download/{}/@v", escape(path)))
}

/// The module cache's case encoding (golang.org/x/mod/module.EscapePath):
/// every upper-case letter becomes `!` and its lower-case form, so module
/// paths differing only in case stay apart on case-folding file systems.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A module path the module cache can hold, checked strictly because it
/// becomes a host path: ASCII letters, digits and `-._~` in non-empty
/// `/`-separated elements, none starting or ending with a dot (so no `.`
/// or `..`), and a first element with a dot (a domain). Stricter than the
/// go command only in refusing what it would refuse too.
pub fn valid_module_path(p: &str) -> bool {
    let mut elems = p.split('/');
    let first_ok = elems.clone().next().is_some_and(|e| e.contains('.'));
    first_ok
        && p.len() <= 1024
        && elems.all(|e| {
            !e.is_empty()
                && !e.starts_with('.')
                && !e.ends_with('.')
                && e.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        })
}

/// A module version as go.mod/go.sum write them (`v1.2.3`, pre-release and
/// build suffixes, pseudo-versions, `+incompatible`): no `/`, no `..`.
pub fn valid_version(v: &str) -> bool {
    v.starts_with('v')
        && v.len() <= 256
        && !v.contains("..")
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.+".contains(&b))
}

/// A `replace` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Replace {
    from: String,
    from_version: Option<String>,
    to: String,
    /// `None`: `to` is a local directory.
    to_version: Option<String>,
}

#[derive(Debug, Default)]
struct GoMod {
    /// The `module` line's path.
    module: Option<String>,
    requires: Vec<ModuleVersion>,
    replaces: Vec<Replace>,
}

/// The `require` and `replace` directives of a go.mod (single-line and
/// block forms; comments dropped). Lines that do not parse are skipped: the
/// go command reports a broken go.mod itself.
fn parse_go_mod(text: &str) -> GoMod {
    let mut gm = GoMod::default();
    let mut block: Option<&str> = None;
    for raw in text.lines() {
        let line = raw.split("//").next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let (verb, rest) = match block {
            Some(_) if line == ")" => {
                block = None;
                continue;
            }
            Some(verb) => (verb, line),
            None => {
                let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                let rest = rest.trim();
                if rest == "(" {
                    block = Some(match verb {
                        "require" => "require",
                        "replace" => "replace",
                        _ => "other",
                    });
                    continue;
                }
                (verb, rest)
            }
        };
        let words: Vec<String> = rest
            .split_whitespace()
            .map(|w| w.trim_matches('"').to_string())
            .collect();
        match verb {
            "module" if block.is_none() => {
                gm.module = words.first().cloned();
            }
            "require" => {
                if let [path, version, ..] = words.as_slice() {
                    gm.requires.push(ModuleVersion {
                        path: path.clone(),
                        version: version.clone(),
                    });
                }
            }
            "replace" => {
                let Some(arrow) = words.iter().position(|w| w == "=>") else {
                    continue;
                };
                let (lhs, rhs) = words.split_at(arrow);
                let rhs = rhs.get(1..).unwrap_or_default();
                let (Some(from), Some(to)) = (lhs.first(), rhs.first()) else {
                    continue;
                };
                gm.replaces.push(Replace {
                    from: from.clone(),
                    from_version: lhs.get(1).cloned(),
                    to: to.clone(),
                    to_version: rhs.get(1).cloned(),
                });
            }
            _ => {}
        }
    }
    gm
}

/// The host's module settings: what `go env` says (or, without a go
/// command, the environment and Go's defaults), overridable by the coop
/// configuration. Only these reach the download container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoEnv {
    pub gomodcache: Option<PathBuf>,
    pub goproxy: String,
    pub gosumdb: String,
    pub gonosumdb: String,
    pub goprivate: String,
    pub gonoproxy: String,
    pub goinsecure: String,
    pub goflags: String,
}

/// The variables [`GoEnv`] holds, as `go env` names them.
pub const GO_ENV_KEYS: [&str; 8] = [
    "GOMODCACHE",
    "GOPROXY",
    "GOSUMDB",
    "GONOSUMDB",
    "GOPRIVATE",
    "GONOPROXY",
    "GOINSECURE",
    "GOFLAGS",
];

impl Default for GoEnv {
    /// Go's defaults.
    fn default() -> Self {
        GoEnv {
            gomodcache: None,
            goproxy: "https://proxy.golang.org,direct".into(),
            gosumdb: "sum.golang.org".into(),
            gonosumdb: String::new(),
            goprivate: String::new(),
            gonoproxy: String::new(),
            goinsecure: String::new(),
            goflags: String::new(),
        }
    }
}

impl GoEnv {
    /// Set one variable by its `go env` name; `false` for an unknown name.
    /// An empty GOPROXY or GOSUMDB keeps Go's default, as in `go env`.
    pub fn set(&mut self, key: &str, value: &str) -> bool {
        let v = value.to_string();
        match key {
            "GOMODCACHE" => self.gomodcache = (!v.is_empty()).then(|| PathBuf::from(v)),
            "GOPROXY" if !v.is_empty() => self.goproxy = v,
            "GOSUMDB" if !v.is_empty() => self.gosumdb = v,
            "GOPROXY" | "GOSUMDB" => {}
            "GONOSUMDB" => self.gonosumdb = v,
            "GOPRIVATE" => self.goprivate = v,
            "GONOPROXY" => self.gonoproxy = v,
            "GOINSECURE" => self.goinsecure = v,
            "GOFLAGS" => self.goflags = v,
            _ => return false,
        }
        true
    }

    /// The host's settings: `go env -json` when a go command is on PATH
    /// (it also reads the user's `go env -w` file), else the process
    /// environment over Go's defaults, with GOMODCACHE defaulting to
    /// `$GOPATH/pkg/mod` or `$HOME/go/pkg/mod`. Never fails: a broken or
    /// hanging go command (bounded by `timeout`) falls back to the
    /// environment.
    pub async fn detect(timeout: Duration) -> GoEnv {
        let mut env = GoEnv::default();
        let mut cmd = tokio::process::Command::new("go");
        // From `/` with GOTOOLCHAIN=local: run from a repository, go would
        // read its go.mod and might fetch and run the toolchain it names.
        cmd.current_dir("/")
            .env("GOTOOLCHAIN", "local")
            .arg("env")
            .arg("-json")
            .args(GO_ENV_KEYS)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        let out = tokio::time::timeout(timeout, cmd.output()).await;
        if let Ok(Ok(out)) = out
            && out.status.success()
            && let Ok(map) =
                serde_json::from_slice::<std::collections::BTreeMap<String, String>>(&out.stdout)
        {
            for (k, v) in map {
                env.set(&k, &v);
            }
            return env;
        }
        for key in GO_ENV_KEYS {
            if let Ok(v) = std::env::var(key) {
                env.set(key, &v);
            }
        }
        if env.gomodcache.is_none() {
            let gopath = std::env::var_os("GOPATH")
                .and_then(|p| std::env::split_paths(&p).next())
                .filter(|p| !p.as_os_str().is_empty())
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join("go")));
            env.gomodcache = gopath.map(|p| p.join("pkg").join("mod"));
        }
        env
    }
}

/// How the download container reaches the proxies of a GOPROXY list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRoute {
    /// The GOPROXY the download container gets: the list's HTTP(S)
    /// proxies, in order, with their separators; `direct`, `off` (and
    /// what follows it) and `file://` entries removed.
    pub goproxy: String,
    /// Docker network mode: `host` when a proxy is on the host's loopback
    /// (unreachable from a bridge network), else `bridge`.
    pub network: &'static str,
    /// Entries left out, for the message when nothing is left.
    pub dropped: Vec<String>,
}

/// Route a GOPROXY list for the download container, or `Err` saying why no
/// proxy is usable. `direct` is dropped because it fetches from arbitrary
/// hosts with version-control tools (none are in the image, and the step
/// must reach only the proxy); `file://` because host paths are not in the
/// container.
pub fn route_goproxy(goproxy: &str) -> Result<ProxyRoute, String> {
    let mut out = String::new();
    let mut dropped = Vec::new();
    let mut loopback = false;
    let mut rest = goproxy.trim();
    let mut sep = "";
    while !rest.is_empty() {
        let end = rest.find([',', '|']).unwrap_or(rest.len());
        let entry = rest.get(..end).unwrap_or_default().trim();
        let next_sep = rest.get(end..end + 1).unwrap_or_default();
        rest = rest.get(end + 1..).unwrap_or_default();
        if entry == "off" {
            dropped.push(entry.to_string());
            break;
        }
        let host = entry
            .strip_prefix("https://")
            .or_else(|| entry.strip_prefix("http://"));
        match host {
            Some(h) if !entry.is_empty() => {
                if !out.is_empty() {
                    out.push_str(sep);
                }
                out.push_str(entry);
                loopback |= is_loopback_host(h);
            }
            _ if !entry.is_empty() => dropped.push(entry.to_string()),
            _ => {}
        }
        sep = if next_sep.is_empty() { "," } else { next_sep };
    }
    if out.is_empty() {
        return Err(format!(
            "GOPROXY={goproxy} names no HTTP(S) module proxy (the download step does not fetch `direct` from version control, nor from `file://` paths)"
        ));
    }
    Ok(ProxyRoute {
        goproxy: out,
        network: if loopback { "host" } else { "bridge" },
        dropped,
    })
}

/// Whether the authority part of a URL (`host[:port]/...`, maybe with
/// `user:pass@`) names the loopback interface.
fn is_loopback_host(url_rest: &str) -> bool {
    let authority = url_rest.split('/').next().unwrap_or_default();
    let hostport = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        hostport.split(':').next().unwrap_or_default()
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The download step's settings.
#[derive(Debug, Clone)]
pub struct DownloadConfig {
    /// coop's module cache on the host (a GOMODCACHE layout), e.g.
    /// `~/.cache/coop/gomod`. Created when missing. The download container
    /// runs as its owner, or as nobody (65534), to whom an empty root-owned
    /// directory is handed, when that owner is root.
    pub cache_dir: PathBuf,
    /// Proxy and checksum settings (the host's `go env`, maybe overridden).
    pub env: GoEnv,
    /// Wall clock of the download container.
    pub timeout: Duration,
}

impl DownloadConfig {
    pub fn new(cache_dir: PathBuf, env: GoEnv) -> Self {
        DownloadConfig {
            cache_dir,
            env,
            timeout: Duration::from_secs(300),
        }
    }
}

/// What one download step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownloadReport {
    /// The GOPROXY the container got (see [`route_goproxy`]).
    pub goproxy: String,
    /// Docker network mode of the container (`host` or `bridge`); empty when
    /// no container ran.
    pub network: String,
    /// `go mod download`'s exit status; `None` when it did not run to the
    /// end (killed on the timeout, or not started: see `error`).
    pub exit_code: Option<i64>,
    pub timed_out: bool,
    /// The tail of go's stderr, or why no container ran.
    pub error: String,
    pub duration_ms: u64,
}

impl DownloadReport {
    pub fn ok(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out
    }

    fn failure(&self) -> String {
        if self.timed_out {
            format!("the download step timed out after {} ms", self.duration_ms)
        } else if self.exit_code.is_none() {
            format!("the download step could not run: {}", self.error)
        } else {
            format!(
                "the download step (GOPROXY={}) failed: {}",
                self.goproxy,
                self.error.trim()
            )
        }
    }
}

/// Where verification's dependencies came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleSource {
    /// go.mod requires no module (or only local directories).
    NotNeeded,
    /// `vendor/modules.txt` is present: `-mod=vendor`.
    Vendor,
    /// The user's module cache, which holds every required module.
    UserCache(PathBuf),
    /// coop's module cache, which holds every required module (`download`:
    /// the step that filled it, if one ran now).
    CoopCache {
        cache: PathBuf,
        download: Option<DownloadReport>,
    },
    /// No source holds every required module; why not, per source.
    Unavailable(Vec<String>),
}

impl ModuleSource {
    /// A sentence for [`crate::SandboxError::ModulesUnavailable`].
    pub fn describe(&self) -> String {
        match self {
            ModuleSource::NotNeeded => "coop found no requirement in go.mod to provide".into(),
            ModuleSource::Vendor => {
                "vendor/modules.txt is present, so go ran with -mod=vendor; re-run `go mod vendor`"
                    .into()
            }
            ModuleSource::UserCache(p) => format!(
                "the module cache {} was mounted read-only but lacks what go asked for",
                p.display()
            ),
            ModuleSource::CoopCache { cache, .. } => format!(
                "coop's module cache {} was mounted read-only but lacks what go asked for",
                cache.display()
            ),
            ModuleSource::Unavailable(why) => why.join("; "),
        }
    }
}

/// What the verification container gets for the dependencies.
pub(crate) struct ModulePlan {
    pub source: ModuleSource,
    pub mounts: Vec<Mount>,
    pub env: Vec<String>,
}

/// go's line saying it would have had to download a module, from the vet
/// or build step of a failed report: `GOPROXY=off` forbids the lookup, or
/// (when the mounted cache has a module's `.mod` but not its source) the
/// read-only cache refuses the download's lock file. Only those steps: they
/// run no repository code, so the line is go's own.
pub fn offline_lookup_error(report: &coop_core::VerificationReport) -> Option<String> {
    use coop_core::{StepStatus, VerifyStep};
    report
        .steps
        .iter()
        .filter(|s| {
            matches!(s.step, VerifyStep::Vet | VerifyStep::Build) && s.status == StepStatus::Failed
        })
        .flat_map(|s| s.output.lines())
        .find(|l| {
            l.contains("module lookup disabled by GOPROXY=off")
                || (l.contains(CONTAINER_MODCACHE) && l.contains("read-only file system"))
        })
        .map(|l| l.trim().chars().take(400).collect())
}

/// go.mod and go.sum are read by the host (for the needs, and copied for
/// the download step) only as regular files of at most this size, never
/// through a symlink: a link could name any file of the host.
const MAX_MOD_FILE: u64 = 16 << 20;

pub(crate) fn read_mod_file(path: &Path) -> Result<Option<String>, String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    if !meta.file_type().is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    if meta.len() > MAX_MOD_FILE {
        return Err(format!(
            "{} is larger than {MAX_MOD_FILE} bytes",
            path.display()
        ));
    }
    std::fs::read_to_string(path)
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A host directory holding only copies of go.mod and go.sum (and the
/// go.mod files of local replacement directories, at their relative
/// paths), removed on drop: all the download container sees of the
/// repository.
struct Scratch(PathBuf);

impl Scratch {
    /// `files`: paths relative to the module root (checked by the caller:
    /// no `..`, not absolute) and their content.
    fn new(files: &[(PathBuf, String)]) -> std::io::Result<Scratch> {
        use std::os::unix::fs::PermissionsExt;
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "coop-gomod-src-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        // create_dir (not _all): fails if the name is taken, so nobody else's
        // directory is used.
        std::fs::create_dir(&dir)?;
        let scratch = Scratch(dir);
        let world_readable =
            |p: &Path, mode| std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode));
        world_readable(&scratch.0, 0o755)?;
        for (rel, body) in files {
            let p = scratch.0.join(rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
                let mut d = parent;
                while d != scratch.0 {
                    world_readable(d, 0o755)?;
                    d = d.parent().unwrap_or(&scratch.0);
                }
            }
            std::fs::write(&p, body)?;
            world_readable(&p, 0o644)?;
        }
        Ok(scratch)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The go.mod files of the local directories go.mod's `replace` directives
/// name that lie inside `root` (canonical), with their paths relative to
/// it: `go mod download` reads them to build the module graph (a monorepo's
/// `replace example.com/lib => ./lib`). Only regular files named go.mod,
/// never through a symlink out of the tree; a directory outside the tree
/// (`../other`, an absolute path) is not copied, and go reports it missing.
fn replacement_go_mods(root: &Path, go_mod: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for r in parse_go_mod(go_mod).replaces {
        if r.to_version.is_some() || !(r.to.starts_with("./") || r.to.starts_with("../")) {
            continue;
        }
        let Ok(dir) = root.join(&r.to).canonicalize() else {
            continue;
        };
        let Ok(rel) = dir.strip_prefix(root) else {
            continue;
        };
        if rel.as_os_str().is_empty() {
            continue;
        }
        if let Ok(Some(body)) = read_mod_file(&dir.join("go.mod")) {
            out.push((rel.join("go.mod"), body));
        }
    }
    out
}

/// The `uid:gid` the download container runs as: the cache directory's
/// owner, so what it writes stays the owner's. Never root: an empty
/// root-owned directory (coop running as root) is handed to nobody first.
fn cache_user(dir: &Path) -> Result<String, String> {
    use std::os::unix::fs::MetadataExt;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let meta = std::fs::metadata(dir).map_err(|e| e.to_string())?;
    if meta.uid() != 0 {
        return Ok(format!("{}:{}", meta.uid(), meta.gid()));
    }
    let empty = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .next()
        .is_none();
    if !empty {
        return Err(
            "owned by root and not empty; the download step never runs as root (chown -R it to a non-root user, e.g. 65534:65534)".into(),
        );
    }
    std::os::unix::fs::chown(dir, Some(65534), Some(65534))
        .map_err(|e| format!("owned by root; handing it to 65534 for the download step: {e}"))?;
    Ok("65534:65534".into())
}

impl crate::Sandbox {
    /// Decide where the dependencies of the module at `path` (canonical,
    /// with a go.mod) come from, running the download step if that is the
    /// way, and what the verification container gets for it.
    pub(crate) async fn prepare_modules(
        &self,
        path: &Path,
        layout: &crate::layout::Layout,
    ) -> Result<ModulePlan, crate::SandboxError> {
        // A go.mod or go.sum that is not a regular file (a symlink, say) is
        // not read: verification goes ahead without dependencies and go
        // says what it makes of the file.
        let read = |rel: &str| {
            read_mod_file(&path.join(rel))
                .ok()
                .flatten()
                .unwrap_or_default()
        };
        let module_dirs = layout.modules();
        let mut needs = ModuleNeeds::default();
        let mut own_paths = BTreeSet::new();
        for dir in &module_dirs {
            let go_mod = read(&format!("{dir}/go.mod"));
            let go_sum = read(&format!("{dir}/go.sum"));
            if let Some(p) = parse_go_mod(&go_mod).module {
                own_paths.insert(p);
            }
            needs.extend(ModuleNeeds::parse(&go_mod, &go_sum));
        }
        if *layout != crate::layout::Layout::Root {
            // A workspace's own modules come from the worktree, never a
            // cache; go.work.sum holds the hashes the workspace adds.
            needs.extend(ModuleNeeds::parse("", &read("go.work.sum")));
            needs.drop_modules(&own_paths);
        }
        let plan = |source, mounts: Vec<Mount>| ModulePlan {
            source,
            env: if mounts.is_empty() {
                Vec::new()
            } else {
                vec![format!("GOMODCACHE={CONTAINER_MODCACHE}")]
            },
            mounts,
        };
        if needs.is_empty() {
            return Ok(plan(ModuleSource::NotNeeded, Vec::new()));
        }
        if path.join("vendor").join("modules.txt").is_file() {
            // Go's default with a vendor/modules.txt for go >= 1.14 too;
            // explicit so that an older go line verifies offline as well.
            return Ok(ModulePlan {
                source: ModuleSource::Vendor,
                mounts: Vec::new(),
                env: vec!["GOFLAGS=-buildvcs=false -mod=vendor".into()],
            });
        }
        let cache_err = |p: &Path| {
            let p = p.to_path_buf();
            move |reason: String| crate::SandboxError::ModuleCache { path: p, reason }
        };
        let mut why = vec!["no vendor/modules.txt".to_string()];
        let missing_text = |cache: &Path, missing: &[ModuleVersion]| {
            let first: Vec<String> = missing.iter().take(3).map(|m| m.to_string()).collect();
            let more = missing.len().saturating_sub(3);
            format!(
                "the module cache {} lacks {}{}",
                cache.display(),
                first.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        };
        match &self.cfg.module_cache {
            Some(cache) => {
                let missing = needs.missing_from(cache);
                if missing.is_empty() {
                    let mounts = needs.mounts(cache).map_err(cache_err(cache))?;
                    return Ok(plan(ModuleSource::UserCache(cache.clone()), mounts));
                }
                why.push(missing_text(cache, &missing));
            }
            None => why.push("no user module cache is configured".into()),
        }
        let Some(dl) = &self.cfg.download else {
            why.push("the download step is off".into());
            return Ok(plan(ModuleSource::Unavailable(why), Vec::new()));
        };
        let mut download = None;
        // One download step per module (each sees its own go.mod and
        // go.sum only); the first failure is the one reported.
        for dir in &module_dirs {
            if needs.missing_from(&dl.cache_dir).is_empty() {
                break;
            }
            // The workspace's toolchain, not each module's own: one image
            // for the whole verification.
            let image = self.toolchain_for(path).await?.image;
            let report = self
                .run_download(
                    &path.join(dir),
                    vec!["mod".into(), "download".into()],
                    Some(image),
                )
                .await
                .map(|(r, _)| r)?;
            if !report.ok() {
                tracing::warn!(module = %dir, error = %report.failure(), "module download failed");
            }
            if download.as_ref().is_none_or(|d: &DownloadReport| d.ok()) {
                download = Some(report);
            }
        }
        let missing = needs.missing_from(&dl.cache_dir);
        // Whatever the cache holds is mounted even when something is
        // missing: go may not need it (the check is by go.mod's list).
        let mounts = needs
            .mounts(&dl.cache_dir)
            .map_err(cache_err(&dl.cache_dir))?;
        if missing.is_empty() {
            return Ok(plan(
                ModuleSource::CoopCache {
                    cache: dl.cache_dir.clone(),
                    download,
                },
                mounts,
            ));
        }
        why.push(missing_text(&dl.cache_dir, &missing));
        if let Some(r) = download.filter(|r| !r.ok()) {
            why.push(r.failure());
        }
        Ok(plan(ModuleSource::Unavailable(why), mounts))
    }

    /// Fill coop's module cache ([`DownloadConfig::cache_dir`]) with the
    /// modules the go.mod and go.sum of `worktree` need: `go mod download`
    /// in a container that gets copies of those two files only (and the
    /// go.mod of each local `replace` directory inside the worktree; never
    /// the worktree), the cache as its one writable mount, a read-only root
    /// filesystem, no capabilities, a non-root user, and a network (the
    /// default bridge, or the host's for a loopback proxy: Docker cannot
    /// limit egress to one host) with GOPROXY reduced to its HTTP(S)
    /// proxies (see [`route_goproxy`]). No repository
    /// code runs: `go mod download` fetches and verifies module zips
    /// (against go.sum, and the checksum database as GOSUMDB/GONOSUMDB
    /// say) without building anything.
    ///
    /// A failed download (unreachable proxy, checksum mismatch, a module
    /// that does not exist) is a report with `exit_code != Some(0)`; `Err`
    /// means the step could not be set up (no download configured, the
    /// cache or the files unusable, Docker).
    pub async fn download_modules(
        &self,
        worktree: &Path,
    ) -> Result<DownloadReport, crate::SandboxError> {
        self.run_download(worktree, vec!["mod".into(), "download".into()], None)
            .await
            .map(|(r, _)| r)
    }

    /// Runs `go <args>` in exactly the download step's container, and
    /// returns what it printed. For tests of that container's isolation
    /// only: production code runs [`Self::download_modules`].
    #[doc(hidden)]
    pub async fn download_container_probe(
        &self,
        worktree: &Path,
        args: Vec<String>,
    ) -> Result<(DownloadReport, crate::ContainerRun), crate::SandboxError> {
        self.run_download(worktree, args, None).await
    }

    async fn run_download(
        &self,
        worktree: &Path,
        args: Vec<String>,
        // The image to run in; None: the one worktree's go.mod asks for.
        image: Option<String>,
    ) -> Result<(DownloadReport, crate::ContainerRun), crate::SandboxError> {
        let started = std::time::Instant::now();
        let Some(dl) = &self.cfg.download else {
            return Err(crate::SandboxError::ModuleCache {
                path: PathBuf::new(),
                reason: "the download step is not configured (SandboxConfig::download)".into(),
            });
        };
        let wt_err = |reason: String| crate::SandboxError::Worktree {
            path: worktree.to_path_buf(),
            reason,
        };
        let go_mod = read_mod_file(&worktree.join("go.mod"))
            .map_err(wt_err)?
            .ok_or_else(|| wt_err("no go.mod".into()))?;
        let go_sum = read_mod_file(&worktree.join("go.sum")).map_err(wt_err)?;
        let route = match route_goproxy(&dl.env.goproxy) {
            Ok(r) => r,
            Err(error) => {
                let report = DownloadReport {
                    goproxy: dl.env.goproxy.clone(),
                    error,
                    ..Default::default()
                };
                return Ok((report, crate::ContainerRun::default()));
            }
        };
        let cache_err = |reason: String| crate::SandboxError::ModuleCache {
            path: dl.cache_dir.clone(),
            reason,
        };
        let user = cache_user(&dl.cache_dir).map_err(cache_err)?;
        let cache = dl
            .cache_dir
            .canonicalize()
            .map_err(|e| cache_err(e.to_string()))?;
        let root = worktree.canonicalize().map_err(|e| wt_err(e.to_string()))?;
        let mut files = replacement_go_mods(&root, &go_mod);
        files.push(("go.mod".into(), go_mod));
        if let Some(sum) = go_sum {
            files.push(("go.sum".into(), sum));
        }
        let scratch = Scratch::new(&files)
            .map_err(|e| cache_err(format!("a scratch directory for go.mod: {e}")))?;
        let bind = |src: &Path, target: &str, read_only: bool| Mount {
            target: Some(target.into()),
            source: Some(src.to_string_lossy().into_owned()),
            typ: Some(MountType::BIND),
            read_only: Some(read_only),
            ..Default::default()
        };
        let e = &dl.env;
        let mut env = vec![
            format!("GOMODCACHE={CONTAINER_MODCACHE}"),
            format!("GOPROXY={}", route.goproxy),
            format!("GOSUMDB={}", e.gosumdb),
            // -modcacherw: the extracted directories stay writable by their
            // owner, so the user can delete the cache without chmod.
            format!("GOFLAGS={} -modcacherw", e.goflags)
                .trim()
                .to_string(),
        ];
        for (k, v) in [
            ("GONOSUMDB", &e.gonosumdb),
            ("GOPRIVATE", &e.goprivate),
            ("GONOPROXY", &e.gonoproxy),
            ("GOINSECURE", &e.goinsecure),
        ] {
            if !v.is_empty() {
                env.push(format!("{k}={v}"));
            }
        }
        // go mod download refuses a go line newer than its toolchain: the
        // same Go as verification.
        let image = match image {
            Some(i) => i,
            None => self.toolchain_for(&root).await?.image,
        };
        let job = crate::ContainerJob {
            image,
            cmd: args,
            timeout: dl.timeout,
            log_cap: 1 << 20,
            mounts: vec![
                bind(&scratch.0, "/src", true),
                bind(&cache, CONTAINER_MODCACHE, false),
            ],
            env,
            network: route.network,
            entrypoint: Some(vec!["/usr/local/go/bin/go".into()]),
            // Nothing but the cache is writable: go mod download needs no
            // build cache or temporary directory.
            tmpfs: false,
            working_dir: "/src",
            ..crate::ContainerJob::locked_down("download")
        };
        let run = self.run_container(None, &user, &job).await?;
        drop(scratch);
        let report = DownloadReport {
            goproxy: route.goproxy,
            network: route.network.into(),
            exit_code: if run.timed_out { None } else { run.exit_code },
            timed_out: run.timed_out,
            error: crate::tail(&run.stderr, 2000),
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        Ok((report, run))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn requirements_follow_replacements_and_skip_local_directories() {
        let go_mod = "module example.com/m\n\ngo 1.22\n\nrequire example.test/greet v1.0.0 // indirect\n\nrequire (\n\texample.test/Words v1.2.0\n\texample.test/local v0.0.0\n\texample.test/old v1.0.0\n)\n\nreplace example.test/local => ./local\n\nreplace (\n\texample.test/old v1.0.0 => example.test/new v2.0.0+incompatible\n)\n";
        let go_sum = "example.test/greet v1.0.0 h1:abc=\nexample.test/greet v1.0.0/go.mod h1:def=\nexample.test/deep v0.1.0/go.mod h1:x=\n../../etc v1.0.0 h1:x=\nexample.test/x v1/../../y h1:x=\n";
        let n = ModuleNeeds::parse(go_mod, go_sum);
        let req: Vec<String> = n.required.iter().map(|m| m.to_string()).collect();
        assert_eq!(
            req,
            [
                "example.test/Words@v1.2.0",
                "example.test/greet@v1.0.0",
                "example.test/new@v2.0.0+incompatible"
            ]
        );
        assert!(n.paths.contains("example.test/deep"));
        assert!(!n.sources.iter().any(|m| m.path == "example.test/deep"));
        assert!(!n.paths.iter().any(|p| p.contains("..")));
        assert_eq!(escape("example.test/Words"), "example.test/!words");
    }

    #[test]
    fn paths_that_could_leave_the_cache_are_refused() {
        for bad in [
            "../x.com/y",
            "x.com/../../etc",
            "x.com//y",
            "/x.com",
            "x.com/.hidden",
            "nodot/y",
            "x.com/y z",
            "x.com\\y",
        ] {
            assert!(!valid_module_path(bad), "{bad}");
        }
        assert!(valid_module_path("github.com/Foo/bar_baz.v2~x"));
        for bad in ["1.0.0", "v1/../x", "v1..2", "v1 x", ""] {
            assert!(!valid_version(bad), "{bad}");
        }
        assert!(valid_version("v0.0.0-20240101000000-abcdef123456"));
    }

    #[test]
    fn goproxy_lists_are_routed_to_their_http_proxies_only() {
        let r = route_goproxy("https://proxy.golang.org,direct").unwrap();
        assert_eq!(r.goproxy, "https://proxy.golang.org");
        assert_eq!(r.network, "bridge");
        let r = route_goproxy("http://127.0.0.1:3000|https://p.example,off,https://later").unwrap();
        assert_eq!(r.goproxy, "http://127.0.0.1:3000|https://p.example");
        assert_eq!(r.network, "host");
        assert!(route_goproxy("http://u:p@[::1]:80/x").unwrap().network == "host");
        assert!(
            route_goproxy("https://localhost.example.com")
                .unwrap()
                .network
                == "bridge"
        );
        assert!(route_goproxy("direct").is_err());
        assert!(route_goproxy("off").is_err());
        assert!(route_goproxy("file:///srv/mods,direct").is_err());
    }
}
