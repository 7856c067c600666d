//! `coop.toml`: providers, which plugin plays each role, what each plugin is
//! granted, budgets and sandbox settings. Without a file, the built-in
//! defaults below apply: the default plugins, granted exactly what their
//! manifests request, all roles on a local OpenAI-compatible server.

use coop_core::Role;
use coop_plugin_host::{EditGrant, Grants, ModelGrant};
use serde::Deserialize;
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// `openai-compat` (llama.cpp, Ollama, vLLM), `anthropic` (Messages
    /// API) or `openai-responses` (Responses API).
    pub kind: String,
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
        self.context_window.unwrap_or(match self.kind.as_str() {
            "anthropic" => 200_000,
            "openai-responses" => 272_000,
            _ => 16_384,
        })
    }
}

/// Provider kinds this build supports.
pub const PROVIDER_KINDS: [&str; 3] = ["openai-compat", "anthropic", "openai-responses"];

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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    #[serde(default = "default_loops")]
    pub max_review_loops: u32,
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
    /// Cache of compiled components (see `component_cache_dir`).
    #[serde(default)]
    pub component_cache_dir: Option<PathBuf>,
    /// Let plugins read (and so send to models) files that are secrets by
    /// nature: `.env`, key files, credential stores
    /// (`coop_workspace::is_secret_file`). Off by default.
    #[serde(default)]
    pub send_secret_files: bool,
    /// Risky-action classes pre-approved for runs nobody can be asked in
    /// (`delete`, `deps`, `ci`, `outside-scope`, `exec`, or `all`); `--allow`
    /// adds to them. See docs/SECURITY.md.
    #[serde(default)]
    pub allow: Vec<String>,
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
fn default_budget() -> u64 {
    400_000
}
fn default_plugin_timeout() -> u64 {
    10
}
fn default_plugin_memory() -> usize {
    256
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            max_review_loops: default_loops(),
            budget_tokens: default_budget(),
            budget_usd: None,
            plugin_timeout_secs: default_plugin_timeout(),
            plugin_memory_mib: default_plugin_memory(),
            component_cache_dir: None,
            send_secret_files: false,
            allow: Vec::new(),
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
                kind: "openai-compat".into(),
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
                },
            );
        }
        Config {
            plugin_dir: None,
            run: RunConfig::default(),
            sandbox: SandboxSection::default(),
            providers,
            router: Some(PluginSlot {
                plugin: "router.wasm".into(),
                sha256: None,
                provider: None,
                grants: Grants {
                    log: true,
                    ..Default::default()
                },
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
        c.plugin_dir = file.plugin_dir.or(c.plugin_dir);
        c.run = file.run;
        c.sandbox = file.sandbox;
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
        coop_guard::AllowSet::parse(&self.run.allow)
            .map_err(|e| ConfigError::Invalid(format!("[run] allow: {e}")))?;
        for (name, slot) in &self.roles {
            if Role::parse(name).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "unknown role `{name}` (roles are architect, implementer, reviewer, navigator)"
                )));
            }
            if let Some(p) = &slot.provider {
                if !self.providers.contains_key(p) {
                    return Err(ConfigError::Invalid(format!(
                        "role `{name}` uses provider `{p}`, which is not defined"
                    )));
                }
            }
        }
        for (name, p) in &self.providers {
            if !PROVIDER_KINDS.contains(&p.kind.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "provider `{name}` has kind `{}`; supported: {}",
                    p.kind,
                    PROVIDER_KINDS.join(", ")
                )));
            }
            if p.kind == "anthropic" && p.api_key_env.is_none() {
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

    /// Resolve a plugin path against the plugin directory.
    pub fn plugin_path(&self, plugin_dir: &Path, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            plugin_dir.join(p)
        }
    }
}

#[cfg(test)]
mod tests {
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
    fn the_shipped_hosted_config_is_valid() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/coop.hosted.toml");
        let c = Config::load(&p).unwrap();
        assert_eq!(c.providers["anthropic"].kind, "anthropic");
        assert_eq!(
            c.role_slot(Role::Implementer).unwrap().provider.as_deref(),
            Some("openai")
        );
        let p2 = p.with_file_name("nonexistent.toml");
        assert!(matches!(Config::load(&p2), Err(ConfigError::Read { .. })));
    }
}
