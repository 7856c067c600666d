//! `coop.toml`: providers, which plugin plays each role, what each plugin is
//! granted, budgets and sandbox settings. Without a file, the built-in
//! defaults below apply: the default plugins, granted exactly what their
//! manifests request, all roles on a local OpenAI-compatible server.

use coop_core::Role;
use coop_plugin_host::{EditGrant, Grants, ModelGrant};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config: {0}")]
    Invalid(String),
    #[error(
        "no plugin directory: there is none next to the coop binary ({looked}); pass --plugin-dir DIR \
         (or set COOP_PLUGIN_DIR), or set plugin_dir in coop.toml (plugins are never loaded from the \
         current directory)"
    )]
    NoPluginDir { looked: String },
    #[error("plugin directory {dir} (from {from}) is not a directory")]
    PluginDirMissing { dir: PathBuf, from: &'static str },
    #[error(
        "refusing to load plugin {plugin}: it lies inside the repository being worked on ({repo}), \
         which could have committed it; keep plugins outside the repository (--plugin-dir, or \
         plugin_dir / the slot's path in coop.toml)"
    )]
    PluginInsideRepository { plugin: PathBuf, repo: PathBuf },
    #[error(
        "default plugin {path} has sha256 {actual}, but this coop was built with {expected}: \
         rebuild coop after the plugins (bash plugins/build.sh, then cargo build -p coop-cli), or \
         configure the slot in coop.toml (with its own sha256)"
    )]
    DefaultPinMismatch {
        path: String,
        expected: String,
        actual: String,
    },
    #[error(
        "default plugin {plugin} is not pinned: this coop was built before the plugins; build them \
         (bash plugins/build.sh), then coop again (cargo build -p coop-cli), or configure the slot \
         in coop.toml"
    )]
    Unpinned { plugin: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// The wire protocol.
    pub kind: ProviderKind,
    pub base_url: String,
    pub model: String,
    /// Name of the environment variable holding the API key, if any.
    #[serde(default)]
    pub api_key_env: Option<String>,
    #[serde(default = "default_first_byte")]
    pub first_byte_timeout_secs: u64,
    /// Longest silence between stream events; the client's default if absent.
    #[serde(default)]
    pub idle_timeout_secs: Option<u64>,
    /// openai-responses: reasoning models reject `temperature`.
    #[serde(default)]
    pub send_temperature: Option<bool>,
    /// openai-responses: `reasoning.effort`.
    #[serde(default)]
    pub reasoning_effort: Option<String>,
    /// The model's context window in tokens; every handoff to a role on
    /// this provider is fitted into it (docs/handoff.md). Default by kind:
    /// see [`ProviderConfig::window`].
    #[serde(default)]
    pub context_window: Option<u64>,
    /// openai-compat: stop reading a reply that repeats the same text over
    /// and over (default true; small local models loop until the token
    /// limit at temperature 0).
    #[serde(default)]
    pub stop_repetition: Option<bool>,
}

impl ProviderConfig {
    /// The context window: the configured one, else a default by kind:
    /// 16384 for `openai-compat` (what examples/local-model serves), 200000
    /// for `anthropic` (Claude Opus), 272000 for `openai-responses` (the
    /// input limit of GPT-5-class Codex models).
    pub fn window(&self) -> u64 {
        self.context_window.unwrap_or(match self.kind {
            ProviderKind::Anthropic => 200_000,
            ProviderKind::OpenaiResponses => 272_000,
            ProviderKind::OpenaiCompat | ProviderKind::Ollama => 16_384,
        })
    }
}

/// The wire protocol of a provider (`kind` in `[providers.NAME]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// OpenAI-compatible chat completions: llama.cpp's server, vLLM, LM
    /// Studio, Ollama's /v1 (which ignores the context window; use
    /// `ollama`).
    OpenaiCompat,
    /// Anthropic Messages API.
    Anthropic,
    /// OpenAI Responses API.
    OpenaiResponses,
    /// Ollama's own /api/chat, with the context window as `num_ctx`.
    Ollama,
}

impl ProviderKind {
    /// The name in the configuration and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenaiCompat => "openai-compat",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::OpenaiResponses => "openai-responses",
            ProviderKind::Ollama => "ollama",
        }
    }
}

impl std::fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn default_first_byte() -> u64 {
    300
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginSlot {
    /// Path of the component; relative paths are resolved against the plugin
    /// directory.
    pub plugin: PathBuf,
    /// Pin: the component's sha256 must match.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Provider name (roles only).
    #[serde(default)]
    pub provider: Option<String>,
    /// What the operator grants. Absent = nothing.
    #[serde(default)]
    pub grants: Grants,
    /// A slot of the built-in defaults: without a `sha256` of its own it is
    /// pinned to the default plugin this coop was built with
    /// (`crate::pins`). A slot from a file never is.
    #[serde(skip)]
    pub builtin: bool,
}

/// Where compiled plugin components are cached: `run.component_cache_dir`,
/// else `$XDG_CACHE_HOME/coop/components`, else `~/.cache/coop/components`.
/// Entries are keyed by component digest and engine version, so one cache
/// serves every repository and coop version.
pub fn component_cache_dir(cfg: &Config) -> Option<PathBuf> {
    if let Some(d) = &cfg.run.component_cache_dir {
        return Some(d.clone());
    }
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("coop/components"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".cache/coop/components"))
}

fn default_instructions() -> Vec<String> {
    ["AGENTS.md", "CLAUDE.md", "CONVENTIONS.md"]
        .map(String::from)
        .into()
}

fn default_instructions_max_bytes() -> usize {
    4096
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    #[serde(default = "default_loops")]
    pub max_review_loops: u32,
    /// Tries in a row that fix a change failing verification in place
    /// before the next try discards it and starts over from the base
    /// commit (see `coop_core::workflow::Policy::repair_tries`).
    #[serde(default = "default_repair_tries")]
    pub repair_tries: u32,
    /// Token budget of one task (prompt + output, all roles).
    #[serde(default = "default_budget")]
    pub budget_tokens: u64,
    /// Money budget of one task in USD (models with a price only).
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// Guest-time limit of one plugin call, seconds.
    #[serde(default = "default_plugin_timeout")]
    pub plugin_timeout_secs: u64,
    /// Memory cap of one plugin instance, MiB.
    #[serde(default = "default_plugin_memory")]
    pub plugin_memory_mib: usize,
    /// Host calls one plugin call may make (every import, denied calls and
    /// `log` included; each proposed edit counts as one).
    #[serde(default = "default_plugin_max_host_calls")]
    pub plugin_max_host_calls: u64,
    /// Audit-log bytes one plugin call may cause (its logs, denials and the
    /// other events its host calls write).
    #[serde(default = "default_plugin_max_audit_bytes")]
    pub plugin_max_audit_bytes: u64,
    /// Wall clock of one plugin call, seconds, time inside host calls
    /// (model calls too) included.
    #[serde(default = "default_plugin_wall_clock")]
    pub plugin_wall_clock_secs: u64,
    /// Wall clock of the whole run, seconds: checked before every step; a
    /// step in flight is bounded by its own limits.
    #[serde(default = "default_run_wall_clock")]
    pub wall_clock_secs: u64,
    /// Cache of compiled components (see `component_cache_dir`).
    #[serde(default)]
    pub component_cache_dir: Option<PathBuf>,
    /// Let plugins read (and so send to models) files that are secrets by
    /// nature: `.env`, key files, credential stores
    /// (`coop_workspace::is_secret_file`). Off by default; while off,
    /// verification also sees these files empty (masked).
    #[serde(default)]
    pub send_secret_files: bool,
    /// Risky-action classes pre-approved for runs nobody can be asked in
    /// (`delete`, `deps`, `ci`, `outside-scope`, `exec`, or `all`); `--allow`
    /// adds to them. See docs/SECURITY.md.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Kinds of persisting disagreement the host may settle against the
    /// Reviewer's objection by the conflict table (`implementation-detail`:
    /// the Implementer's choice stands; `style`: gofmt and go vet decide).
    /// Empty by default: a repeated objection goes to the user.
    #[serde(default)]
    pub settle: Vec<coop_core::conflict::ConflictKind>,
    /// The project's instruction files, read from the base commit's root in
    /// this order, each that exists given to every role (see
    /// `project_instructions` in run.rs).
    #[serde(default = "default_instructions")]
    pub instructions: Vec<String>,
    /// Bytes of instruction files kept in all (they are required context
    /// in every handoff, so they must leave room in small windows).
    #[serde(default = "default_instructions_max_bytes")]
    pub instructions_max_bytes: usize,
    /// Tokens of every context window kept for the role plugin's own
    /// instructions and formatting, besides the reply's `max_tokens_per_call`.
    #[serde(default = "default_prompt_reserve")]
    pub prompt_reserve_tokens: u64,
}

fn default_prompt_reserve() -> u64 {
    1024
}

fn default_loops() -> u32 {
    2
}
fn default_repair_tries() -> u32 {
    coop_core::workflow::Policy::default().repair_tries
}
fn default_budget() -> u64 {
    400_000
}
fn default_plugin_timeout() -> u64 {
    10
}
fn default_plugin_memory() -> usize {
    256
}
fn default_plugin_max_host_calls() -> u64 {
    coop_plugin_host::DEFAULT_MAX_HOST_CALLS
}
fn default_plugin_max_audit_bytes() -> u64 {
    coop_plugin_host::DEFAULT_MAX_AUDIT_BYTES
}
fn default_plugin_wall_clock() -> u64 {
    coop_plugin_host::DEFAULT_CALL_WALL_CLOCK.as_secs()
}
/// Four hours: the recorded local-model runs took up to about half an hour
/// on two shared cores, with every model call allowed its own timeouts.
fn default_run_wall_clock() -> u64 {
    4 * 3600
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            max_review_loops: default_loops(),
            repair_tries: default_repair_tries(),
            budget_tokens: default_budget(),
            budget_usd: None,
            plugin_timeout_secs: default_plugin_timeout(),
            plugin_memory_mib: default_plugin_memory(),
            plugin_max_host_calls: default_plugin_max_host_calls(),
            plugin_max_audit_bytes: default_plugin_max_audit_bytes(),
            plugin_wall_clock_secs: default_plugin_wall_clock(),
            wall_clock_secs: default_run_wall_clock(),
            component_cache_dir: None,
            send_secret_files: false,
            allow: Vec::new(),
            settle: Vec::new(),
            instructions: default_instructions(),
            instructions_max_bytes: default_instructions_max_bytes(),
            prompt_reserve_tokens: default_prompt_reserve(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxSection {
    #[serde(default = "default_image")]
    pub image: String,
    #[serde(default = "default_verify_timeout")]
    pub timeout_secs: u64,
    /// Before each verification, format the Go files the change touched
    /// (gofmt) and fix their imports (drop unused ones, add missing
    /// standard-library ones), in the sandbox. Never changes behaviour.
    #[serde(default = "default_true")]
    pub mechanical_fixes: bool,
    /// For a bug fix or a feature, require a test that fails on the code
    /// before the change: the change's tests are run against the base
    /// commit with its test files laid over it, and a passing verification
    /// without such a test fails with a message saying so.
    #[serde(default = "default_true")]
    pub test_evidence: bool,
    /// The user's module cache for modules with dependencies and no
    /// `vendor/`: `"auto"` (the host's `go env GOMODCACHE`), `"off"`, or a
    /// path. Mounted read-only, only the entries of the modules go.mod and
    /// go.sum name, when it holds every required module.
    #[serde(default = "default_module_cache")]
    pub module_cache: String,
    /// When neither `vendor/` nor the module cache has the dependencies,
    /// fill coop's own module cache with `go mod download` from GOPROXY
    /// (in its own container, which gets only go.mod and go.sum) before
    /// verifying. Verification itself stays offline.
    #[serde(default = "default_true")]
    pub download_modules: bool,
    /// coop's module cache. Default: `$XDG_CACHE_HOME/coop/gomod`, else
    /// `~/.cache/coop/gomod`.
    #[serde(default)]
    pub module_download_dir: Option<PathBuf>,
    /// Overrides of the host's `go env` for the download step and
    /// `module_cache = "auto"`: GOPROXY, GOSUMDB, GONOSUMDB, GOPRIVATE,
    /// GONOPROXY, GOINSECURE, GOFLAGS, GOMODCACHE.
    #[serde(default)]
    pub go_env: BTreeMap<String, String>,
    /// Verify each module with the Go version its go.mod (or go.work) asks
    /// for: the `image` repository's image of that version (`coop-go:1.23.9`
    /// for `go 1.23`). Off: `image` verifies every module.
    #[serde(default = "default_true")]
    pub match_go_version: bool,
    /// Build the image of a Go version no image has yet when a module first
    /// asks for it (build-image.sh --go, embedded; needs PyPI). Off: such a
    /// run fails with the command that builds it.
    #[serde(default = "default_true")]
    pub build_images: bool,
}

/// `[verify]`: what verification runs, beyond its fixed steps.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VerifySection {
    /// Package patterns for go vet, go build and go test, relative to the
    /// repository root. Empty: `./...` of each module (see the sandbox's
    /// layouts).
    #[serde(default)]
    pub packages: Vec<String>,
    /// Build tags (`-tags`) for vet, build and test.
    #[serde(default)]
    pub tags: Vec<String>,
    /// `go test -race` needs cgo and a C compiler, which verification does
    /// not have: true is refused with that reason.
    #[serde(default)]
    pub race: bool,
    /// Timeout of each step (gofmt, vet, build, test); go test gets
    /// `-timeout` of 3/4 of it so a hung test is named.
    #[serde(default = "default_step_timeout")]
    pub step_timeout_secs: u64,
    /// The team's own checks, run after the tests in this order.
    #[serde(default)]
    pub commands: Vec<VerifyCommand>,
}

fn default_step_timeout() -> u64 {
    300
}

impl Default for VerifySection {
    fn default() -> Self {
        Self {
            packages: Vec::new(),
            tags: Vec::new(),
            race: false,
            step_timeout_secs: default_step_timeout(),
            commands: Vec::new(),
        }
    }
}

/// One `[[verify.commands]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyCommand {
    /// Lower-case letters, digits and `-`; names the check in reports.
    pub name: String,
    /// The program and its arguments, run without a shell from the
    /// repository root inside the verification container (whose programs
    /// are `go` and `gofmt`, unless the image is one the team built).
    pub run: Vec<String>,
    #[serde(default = "default_step_timeout")]
    pub timeout_secs: u64,
}

impl VerifySection {
    /// The section's rules; `Err` says which entry breaks which.
    pub fn validate(&self) -> Result<(), String> {
        if self.race {
            return Err("race = true: go test -race needs cgo and a C compiler, and verification has neither (CGO_ENABLED=0 in a FROM-scratch image)".into());
        }
        for p in &self.packages {
            let plain = p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./+~@".contains(c));
            let inside = p.split('/').all(|seg| seg != "..");
            if !(p.starts_with("./") && plain && inside) {
                return Err(format!(
                    "packages: {p:?} is not a pattern below the repository root such as \"./...\" or \"./internal/...\""
                ));
            }
        }
        for t in &self.tags {
            if t.is_empty()
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.".contains(c))
            {
                return Err(format!(
                    "tags: {t:?} is not a build tag (letters, digits, _ and .)"
                ));
            }
        }
        if self.step_timeout_secs == 0 {
            return Err("step_timeout_secs must be above 0".into());
        }
        let mut names = std::collections::BTreeSet::new();
        for c in &self.commands {
            let ok = !c.name.is_empty()
                && c.name.len() <= 40
                && c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
            if !ok {
                return Err(format!(
                    "commands: the name {:?} is not lower-case letters, digits and - (at most 40)",
                    c.name
                ));
            }
            if !names.insert(c.name.as_str()) {
                return Err(format!("commands: {:?} is named twice", c.name));
            }
            if c.run.first().is_none_or(|p| p.is_empty()) {
                return Err(format!("commands: {:?} has nothing to run", c.name));
            }
            if c.run.iter().any(|a| a.contains('\0')) {
                return Err(format!("commands: {:?} has a NUL in its arguments", c.name));
            }
            if c.timeout_secs == 0 {
                return Err(format!("commands: {:?} needs timeout_secs above 0", c.name));
            }
        }
        if self.commands.len() > 16 {
            return Err("commands: at most 16".into());
        }
        Ok(())
    }
}

fn default_module_cache() -> String {
    "auto".into()
}

impl SandboxSection {
    /// The module settings of a [`coop_sandbox::SandboxConfig`]: the user's
    /// module cache and the download step, from this section over the
    /// host's `go env` (asked only when a setting needs it).
    pub async fn modules(&self) -> (Option<PathBuf>, Option<coop_sandbox::DownloadConfig>) {
        let needs_env = self.module_cache == "auto" || self.download_modules;
        let mut env = if needs_env {
            coop_sandbox::GoEnv::detect(std::time::Duration::from_secs(10)).await
        } else {
            coop_sandbox::GoEnv::default()
        };
        for (k, v) in &self.go_env {
            // Keys are checked by `Config::validate`.
            env.set(k, v);
        }
        let module_cache = match self.module_cache.as_str() {
            "off" => None,
            "auto" => env.gomodcache.clone(),
            path => Some(PathBuf::from(path)),
        };
        let dir = self.module_download_dir.clone().or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .map(|d| d.join("coop").join("gomod"))
        });
        let download = match dir {
            Some(dir) if self.download_modules => Some(coop_sandbox::DownloadConfig::new(dir, env)),
            _ => None,
        };
        (module_cache, download)
    }
}

fn default_true() -> bool {
    true
}

fn default_image() -> String {
    coop_sandbox::DEFAULT_IMAGE.to_string()
}
fn default_verify_timeout() -> u64 {
    600
}

impl Default for SandboxSection {
    fn default() -> Self {
        SandboxSection {
            image: default_image(),
            timeout_secs: default_verify_timeout(),
            mechanical_fixes: true,
            test_evidence: true,
            module_cache: default_module_cache(),
            download_modules: true,
            module_download_dir: None,
            go_env: BTreeMap::new(),
            match_go_version: true,
            build_images: true,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub plugin_dir: Option<PathBuf>,
    #[serde(default)]
    pub run: RunConfig,
    #[serde(default)]
    pub sandbox: SandboxSection,
    /// What verification runs: packages, build tags, step timeouts and the
    /// project's own checks (docs/config.md, `[verify]`).
    #[serde(default)]
    pub verify: VerifySection,
    /// The floor under any router's plan (`[routing]`: roles per risk,
    /// most steps); see `coop_core::floor`.
    #[serde(default)]
    pub routing: coop_core::floor::PlanFloor,
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderConfig>,
    #[serde(default)]
    pub router: Option<PluginSlot>,
    #[serde(default)]
    pub roles: BTreeMap<String, PluginSlot>,
    /// Price overrides (USD per million tokens), merged over the defaults of
    /// host/providers/prices.toml: `[prices.models."model-name"] input = 3.0 …`.
    #[serde(default)]
    pub prices: Option<coop_providers::PriceTable>,
}

fn grant(max_tokens: u32, max_calls: u32, edits: bool) -> Grants {
    Grants {
        model: Some(ModelGrant {
            max_tokens_per_call: max_tokens,
            max_calls,
        }),
        workspace_read: Some(vec!["**".into()]),
        edits: if edits {
            Some(EditGrant {
                globs: vec!["**".into()],
            })
        } else {
            None
        },
        log: true,
    }
}

impl Config {
    /// The built-in defaults.
    pub fn defaults() -> Config {
        let mut providers = BTreeMap::new();
        providers.insert(
            "local".to_string(),
            ProviderConfig {
                kind: ProviderKind::OpenaiCompat,
                base_url: "http://127.0.0.1:8080/v1".into(),
                model: "qwen2.5-coder-1.5b-instruct".into(),
                api_key_env: None,
                first_byte_timeout_secs: default_first_byte(),
                idle_timeout_secs: None,
                stop_repetition: None,
                send_temperature: None,
                reasoning_effort: None,
                context_window: None,
            },
        );
        let mut roles = BTreeMap::new();
        for (role, g) in [
            ("architect", grant(2048, 6, false)),
            ("implementer", grant(4096, 12, true)),
            ("reviewer", grant(2048, 8, false)),
            ("navigator", grant(1024, 6, false)),
        ] {
            roles.insert(
                role.to_string(),
                PluginSlot {
                    plugin: format!("{role}.wasm").into(),
                    sha256: None,
                    provider: Some("local".into()),
                    grants: g,
                    builtin: true,
                },
            );
        }
        Config {
            plugin_dir: None,
            run: RunConfig::default(),
            sandbox: SandboxSection::default(),
            verify: VerifySection::default(),
            routing: coop_core::floor::PlanFloor::default(),
            providers,
            router: Some(PluginSlot {
                plugin: "router.wasm".into(),
                sha256: None,
                provider: None,
                grants: Grants {
                    log: true,
                    ..Default::default()
                },
                builtin: true,
            }),
            roles,
            prices: None,
        }
    }

    /// Load a file; sections it leaves out keep their defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        let file: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.into(),
            message: e.to_string(),
        })?;
        let mut c = Config::defaults();
        // A relative plugin_dir is the config file's neighbour, never a
        // directory of wherever coop happens to be started.
        let base = path.parent().unwrap_or(Path::new(""));
        c.plugin_dir = file.plugin_dir.map(|d| base.join(d)).or(c.plugin_dir);
        c.run = file.run;
        c.sandbox = file.sandbox;
        c.routing = file.routing;
        // Relative cache paths are the config file's neighbours too.
        if !matches!(c.sandbox.module_cache.as_str(), "auto" | "off") {
            c.sandbox.module_cache = base
                .join(&c.sandbox.module_cache)
                .to_string_lossy()
                .into_owned();
        }
        c.sandbox.module_download_dir = c.sandbox.module_download_dir.map(|d| base.join(d));
        for (k, v) in file.providers {
            c.providers.insert(k, v);
        }
        if file.router.is_some() {
            c.router = file.router;
        }
        for (k, v) in file.roles {
            c.roles.insert(k, v);
        }
        c.prices = file.prices;
        c.validate()?;
        Ok(c)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        for key in self.sandbox.go_env.keys() {
            if !coop_sandbox::modules::GO_ENV_KEYS.contains(&key.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "[sandbox] go_env: `{key}` is not one of {}",
                    coop_sandbox::modules::GO_ENV_KEYS.join(", ")
                )));
            }
        }
        self.verify
            .validate()
            .map_err(|e| ConfigError::Invalid(format!("[verify] {e}")))?;
        if self.sandbox.module_cache.is_empty() {
            return Err(ConfigError::Invalid(
                "[sandbox] module_cache: \"auto\", \"off\" or a path".into(),
            ));
        }
        coop_guard::AllowSet::parse(&self.run.allow)
            .map_err(|e| ConfigError::Invalid(format!("[run] allow: {e}")))?;
        if let Some(k) = self
            .run
            .settle
            .iter()
            .find(|k| !coop_core::workflow::SETTLEABLE.contains(k))
        {
            return Err(ConfigError::Invalid(format!(
                "[run] settle: {k:?} disagreements are never settled against the reviewer (safety and architecture objections stand, unclear requirements go to the user); only \"implementation-detail\" and \"style\" can be"
            )));
        }
        // A zero cap would fail every plugin call or run at once.
        for (key, v) in [
            ("plugin_max_host_calls", self.run.plugin_max_host_calls),
            ("plugin_max_audit_bytes", self.run.plugin_max_audit_bytes),
            ("plugin_wall_clock_secs", self.run.plugin_wall_clock_secs),
            ("wall_clock_secs", self.run.wall_clock_secs),
        ] {
            if v == 0 {
                return Err(ConfigError::Invalid(format!("[run] {key} must be above 0")));
            }
        }
        for (name, slot) in &self.roles {
            if Role::parse(name).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "unknown role `{name}` (roles are architect, implementer, reviewer, navigator)"
                )));
            }
            if let Some(p) = &slot.provider
                && !self.providers.contains_key(p)
            {
                return Err(ConfigError::Invalid(format!(
                    "role `{name}` uses provider `{p}`, which is not defined"
                )));
            }
        }
        for (name, p) in &self.providers {
            if p.kind == ProviderKind::Anthropic && p.api_key_env.is_none() {
                return Err(ConfigError::Invalid(format!(
                    "provider `{name}` (anthropic) needs `api_key_env`, e.g. \"ANTHROPIC_API_KEY\""
                )));
            }
        }
        Ok(())
    }

    pub fn role_slot(&self, role: Role) -> Result<&PluginSlot, ConfigError> {
        self.roles
            .get(role.as_str())
            .ok_or_else(|| ConfigError::Invalid(format!("no plugin configured for role `{role}`")))
    }

    /// The sha256 a slot's component must have: the slot's own pin, else,
    /// for a slot of the built-in defaults, the pin of the default plugin
    /// this coop was built with (an error when there is none: the defaults
    /// are never loaded unpinned).
    pub fn slot_pin(&self, slot: &PluginSlot) -> Result<Option<String>, ConfigError> {
        if let Some(p) = &slot.sha256 {
            return Ok(Some(p.clone()));
        }
        if !slot.builtin {
            return Ok(None);
        }
        let file = slot.plugin.display().to_string();
        crate::pins::default_pin(&file)
            .map(|p| Some(p.to_string()))
            .ok_or(ConfigError::Unpinned { plugin: file })
    }

    /// Load a slot's component from `dir`: never from inside `repo` (the
    /// repository being worked on, when there is one), and pinned
    /// (`slot_pin`).
    pub fn load_slot(
        &self,
        host: &coop_plugin_host::PluginHost,
        dir: &Path,
        slot: &PluginSlot,
        repo: Option<&Path>,
    ) -> anyhow::Result<coop_plugin_host::LoadedPlugin> {
        let path = self.plugin_path(dir, &slot.plugin);
        if let Some(repo) = repo {
            refuse_inside_repository(&path, repo)?;
        }
        let pin = self.slot_pin(slot)?;
        match host.load(&path, pin.as_deref()) {
            // The pin came from the build, not from the user: say so.
            Err(coop_plugin_host::PluginError::DigestMismatch {
                path,
                expected,
                actual,
            }) if slot.sha256.is_none() => Err(ConfigError::DefaultPinMismatch {
                path,
                expected,
                actual,
            }
            .into()),
            other => Ok(other?),
        }
    }

    /// Resolve a plugin path against the plugin directory.
    pub fn plugin_path(&self, plugin_dir: &Path, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            plugin_dir.join(p)
        }
    }
}

/// The plugin directory: `--plugin-dir` / `COOP_PLUGIN_DIR` (`flag`), else
/// the configuration's `plugin_dir`, else `beside_exe` (target/plugins next
/// to the coop binary's build directory). Never the current directory: a
/// repository can commit a `target/plugins` of its own.
pub fn resolve_plugin_dir(
    flag: Option<&Path>,
    config: &Config,
    beside_exe: Option<PathBuf>,
) -> Result<PathBuf, ConfigError> {
    let (dir, from) = match (flag, &config.plugin_dir) {
        (Some(d), _) => (d.to_path_buf(), "--plugin-dir / COOP_PLUGIN_DIR"),
        (None, Some(d)) => (d.clone(), "plugin_dir in the configuration"),
        (None, None) => match beside_exe {
            Some(d) if d.is_dir() => return Ok(d),
            other => {
                return Err(ConfigError::NoPluginDir {
                    looked: other
                        .map(|d| d.display().to_string())
                        .unwrap_or_else(|| "unknown".into()),
                });
            }
        },
    };
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(ConfigError::PluginDirMissing { dir, from })
    }
}

/// Refuse a plugin file that lies inside the repository being worked on:
/// the repository's content is not the user's choice of code to run.
/// Compared as canonical paths (symlinks resolved, `..` gone), and also as
/// spelled, so that a link inside the repository pointing out is refused
/// too.
pub fn refuse_inside_repository(plugin: &Path, repo_root: &Path) -> Result<(), ConfigError> {
    let refuse = || ConfigError::PluginInsideRepository {
        plugin: plugin.to_path_buf(),
        repo: repo_root.to_path_buf(),
    };
    let repo = std::fs::canonicalize(repo_root).unwrap_or_else(|_| repo_root.to_path_buf());
    // The plugin's own canonical path (it exists: it is about to be read).
    if let Ok(p) = std::fs::canonicalize(plugin)
        && p.starts_with(&repo)
    {
        return Err(refuse());
    }
    // As spelled: the directory holding it canonicalized (symlinks up to it
    // resolved), the file name as is.
    let spelled = match (plugin.parent(), plugin.file_name()) {
        (Some(dir), Some(name)) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            std::fs::canonicalize(dir).map(|d| d.join(name)).ok()
        }
        _ => None,
    };
    if spelled.is_some_and(|p| p.starts_with(&repo)) {
        return Err(refuse());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_verify_section_refuses_what_verification_cannot_do() {
        let parse = |text: &str| -> Result<(), String> {
            let c: Config = toml::from_str(text).map_err(|e| e.to_string())?;
            c.validate().map_err(|e| e.to_string())
        };
        parse("[verify]\npackages = [\"./internal/...\"]\ntags = [\"integration\"]\n\n[[verify.commands]]\nname = \"golden\"\nrun = [\"go\", \"test\", \"./...\"]\n")
            .expect("valid");
        for (text, says) in [
            ("[verify]\nrace = true\n", "cgo"),
            (
                "[verify]\npackages = [\"../other/...\"]\n",
                "below the repository root",
            ),
            (
                "[verify]\npackages = [\"-exec=x\"]\n",
                "below the repository root",
            ),
            ("[verify]\ntags = [\"a b\"]\n", "build tag"),
            ("[verify]\nstep_timeout_secs = 0\n", "above 0"),
            (
                "[[verify.commands]]\nname = \"Lint\"\nrun = [\"x\"]\n",
                "lower-case",
            ),
            (
                "[[verify.commands]]\nname = \"a\"\nrun = []\n",
                "nothing to run",
            ),
            (
                "[[verify.commands]]\nname = \"a\"\nrun = [\"x\"]\n[[verify.commands]]\nname = \"a\"\nrun = [\"y\"]\n",
                "twice",
            ),
            ("[verify]\nshell = true\n", "unknown field"),
        ] {
            let err = parse(text).expect_err(text);
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    use super::*;

    #[test]
    fn defaults_are_valid_and_grant_edits_only_to_the_implementer() {
        let c = Config::defaults();
        c.validate().unwrap();
        for r in Role::ALL {
            let s = c.role_slot(r).unwrap();
            assert_eq!(s.grants.edits.is_some(), r == Role::Implementer, "{r}");
        }
        let router = c.router.unwrap();
        assert!(router.grants.model.is_none() && router.grants.workspace_read.is_none());
    }

    #[test]
    fn file_overrides_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("coop.toml");
        std::fs::write(
            &p,
            "[roles.reviewer]\nplugin = \"strict.wasm\"\nsha256 = \"ab\"\n",
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        let r = c.role_slot(Role::Reviewer).unwrap();
        assert_eq!(r.plugin, PathBuf::from("strict.wasm"));
        assert!(
            r.grants.model.is_none(),
            "a replaced slot starts with no grants"
        );
        std::fs::write(&p, "[roles.boss]\nplugin = \"x.wasm\"\n").unwrap();
        assert!(
            Config::load(&p)
                .unwrap_err()
                .to_string()
                .contains("unknown role")
        );
        std::fs::write(&p, "[run\n").unwrap();
        assert!(matches!(Config::load(&p), Err(ConfigError::Parse { .. })));
        std::fs::write(&p, "[run]\nbogus = 1\n").unwrap();
        assert!(Config::load(&p).is_err());
    }

    #[test]
    fn the_plugin_directory_is_never_the_current_directory() {
        let c = Config::defaults();
        let tmp = tempfile::tempdir().unwrap();
        // Nothing named and nothing next to the binary: an error naming the
        // flag (the current directory is not consulted at all).
        let e = resolve_plugin_dir(None, &c, Some(tmp.path().join("none"))).unwrap_err();
        assert!(matches!(e, ConfigError::NoPluginDir { .. }), "{e}");
        assert!(e.to_string().contains("--plugin-dir"));
        assert_eq!(
            resolve_plugin_dir(None, &c, Some(tmp.path().to_path_buf())).unwrap(),
            tmp.path()
        );
        let missing = tmp.path().join("missing");
        assert!(matches!(
            resolve_plugin_dir(Some(&missing), &c, None),
            Err(ConfigError::PluginDirMissing { .. })
        ));
        // A relative plugin_dir in a file is the file's neighbour.
        let cfg = tmp.path().join("coop.toml");
        std::fs::write(&cfg, "plugin_dir = \"plugins\"\n").unwrap();
        assert_eq!(
            Config::load(&cfg).unwrap().plugin_dir,
            Some(tmp.path().join("plugins"))
        );
    }

    #[test]
    fn a_plugin_inside_the_repository_is_refused_however_it_is_spelled() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        let inside = repo.join("target/plugins");
        std::fs::create_dir_all(&inside).unwrap();
        std::fs::write(inside.join("router.wasm"), b"x").unwrap();
        let outside = tmp.path().join("plugins");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("router.wasm"), b"x").unwrap();
        assert!(refuse_inside_repository(&outside.join("router.wasm"), &repo).is_ok());
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&inside, &link).unwrap();
        let file_link = repo.join("evil.wasm");
        std::os::unix::fs::symlink(outside.join("router.wasm"), &file_link).unwrap();
        for p in [
            inside.join("router.wasm"),
            link.join("router.wasm"),
            outside.join("../repo/target/plugins/router.wasm"),
            file_link,
        ] {
            assert!(
                matches!(
                    refuse_inside_repository(&p, &repo),
                    Err(ConfigError::PluginInsideRepository { .. })
                ),
                "{}",
                p.display()
            );
        }
    }

    #[test]
    fn default_slots_are_pinned_and_file_slots_only_by_their_own_sha256() {
        let c = Config::defaults();
        let router = c.router.clone().unwrap();
        match c.slot_pin(&router) {
            Ok(Some(pin)) => assert_eq!(pin.len(), 64),
            // Built before the plugins: never loaded unpinned.
            Err(ConfigError::Unpinned { plugin }) => assert_eq!(plugin, "router.wasm"),
            other => panic!("{other:?}"),
        }
        let file_slot = PluginSlot {
            builtin: false,
            ..router
        };
        assert_eq!(c.slot_pin(&file_slot).unwrap(), None);
    }

    #[tokio::test]
    async fn sandbox_module_settings_resolve_paths_and_go_env() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("coop.toml");
        std::fs::write(
            &p,
            "[sandbox]\nmodule_cache = \"mods\"\nmodule_download_dir = \"dl\"\ngo_env = { GOPROXY = \"https://proxy.example,direct\", GONOSUMDB = \"corp.example\" }\n",
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        let (cache, download) = c.sandbox.modules().await;
        assert_eq!(cache, Some(tmp.path().join("mods")));
        let download = download.unwrap();
        assert_eq!(download.cache_dir, tmp.path().join("dl"));
        assert_eq!(download.env.goproxy, "https://proxy.example,direct");
        assert_eq!(download.env.gonosumdb, "corp.example");

        std::fs::write(
            &p,
            "[sandbox]\nmodule_cache = \"off\"\ndownload_modules = false\n",
        )
        .unwrap();
        let (cache, download) = Config::load(&p).unwrap().sandbox.modules().await;
        assert!(cache.is_none() && download.is_none());

        std::fs::write(&p, "[sandbox]\ngo_env = { GOTOOLCHAIN = \"auto\" }\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("GOTOOLCHAIN"), "{e}");
    }

    #[test]
    fn zero_caps_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("coop.toml");
        for key in [
            "plugin_max_host_calls",
            "plugin_max_audit_bytes",
            "plugin_wall_clock_secs",
            "wall_clock_secs",
        ] {
            std::fs::write(&p, format!("[run]\n{key} = 0\n")).unwrap();
            let e = Config::load(&p).unwrap_err().to_string();
            assert!(e.contains(key), "{e}");
        }
    }

    #[test]
    fn the_shipped_hosted_config_is_valid() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/coop.hosted.toml");
        let c = Config::load(&p).unwrap();
        assert_eq!(c.providers["anthropic"].kind, ProviderKind::Anthropic);
        assert_eq!(
            c.role_slot(Role::Implementer).unwrap().provider.as_deref(),
            Some("openai")
        );
        let p2 = p.with_file_name("nonexistent.toml");
        assert!(matches!(Config::load(&p2), Err(ConfigError::Read { .. })));
    }
}
