//! `coop run`: one task from request to branch. This is the orchestrator's
//! I/O side: it executes the commands the pure workflow machine (coop-core)
//! asks for and records every step in the run directory.

use crate::config::{Config, ProviderKind};
use crate::resume::Continuation;
use crate::services::{RoleModel, RoleStats, RunShared, Services, timed};
use anyhow::{Context, Result, anyhow};
use coop_audit::{AuditLog, Redactor, write_atomic};
use coop_core::hash::sha256_hex;
use coop_core::requested::{RequestedDecl, requested_decls};
use coop_core::workflow::{Command, Event, Mode, Policy, Workflow};
use coop_core::{
    ArtifactRef, FailureKind, Outcome, Role, RoleFailure, RoleOutput, RoutingDecision, Task,
    VerificationReport,
};
use coop_plugin_host::{HostConfig, LoadedPlugin, PluginHost};
use coop_providers::{
    AnthropicClient, AnthropicConfig, CancellationToken, JournalClient, ModelClient, OllamaClient,
    OllamaConfig, OpenAiCompatClient, OpenAiCompatConfig, OpenAiResponsesClient,
    OpenAiResponsesConfig, PriceTable, Recorder, Recording, RecordingKind, RecordingMeta,
    ReplayClient, ReplayMode, RetryPolicy,
};
use coop_sandbox::{Sandbox, SandboxConfig};
use coop_workspace::{Repo, Worktree};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Options of `coop run` after argument parsing.
pub struct RunOptions {
    pub repo: PathBuf,
    pub task: String,
    pub config: Config,
    pub plugin_dir: PathBuf,
    /// Serve every model call from this recording instead of a provider.
    pub replay: Option<PathBuf>,
    pub replay_strict: bool,
    /// Mob (the routed roles) or solo (one model; the benchmark baseline).
    pub mode: Mode,
    /// Told when each step starts (for progress lines of long runs).
    pub progress: Option<Progress>,
    /// Cancels the run; when None, Ctrl-C does.
    pub cancel: Option<CancellationToken>,
    /// Start from this commit instead of HEAD (replaying a recorded run).
    pub base: Option<String>,
    /// Continue an earlier run (same id, directory and base) from its
    /// journal: `coop resume`, `coop answer`.
    pub continuation: Option<Continuation>,
    /// The user's answers to this run's escalations, in order (a replay of
    /// an answered run; a continuation brings its own).
    pub answers: Vec<String>,
    /// Test hook (`COOP_CRASH_AFTER_EVENT`): the process kills itself with
    /// SIGKILL right after this audit event (1-based) is on disk.
    pub crash_after_event: Option<u64>,
    /// Who confirms a risky action `[run] allow` did not pre-approve.
    pub approver: crate::services::Approver,
}

/// A step of a run starting: a role (by name) or `"verify"`.
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

impl RunOptions {
    pub fn new(repo: PathBuf, task: String, config: Config, plugin_dir: PathBuf) -> Self {
        RunOptions {
            repo,
            task,
            config,
            plugin_dir,
            replay: None,
            replay_strict: false,
            mode: Mode::Mob,
            progress: None,
            cancel: None,
            base: None,
            continuation: None,
            answers: Vec::new(),
            crash_after_event: None,
            approver: crate::services::Approver::FailClosed,
        }
    }

    fn step(&self, what: &str) {
        if let Some(p) = &self.progress {
            p(what);
        }
    }
}

/// The run's result, printed as the summary and stored in run.json.
#[derive(Debug, Serialize)]
pub struct RunSummary {
    pub run_id: String,
    pub outcome: Outcome,
    pub exit_code: i32,
    pub reason: String,
    pub task: String,
    pub routing: Option<RoutingDecision>,
    pub roles_ran: Vec<String>,
    pub verification: Option<String>,
    pub verification_passed: Option<bool>,
    pub review_verdict: Option<String>,
    pub review_loops: u32,
    pub branch: Option<String>,
    pub commit: Option<String>,
    pub patch: Option<String>,
    pub run_dir: String,
    pub per_role: BTreeMap<String, RoleStats>,
    pub timing_ms: Timing,
    pub plugins: BTreeMap<String, String>,
    pub audit_head_sha256: Option<String>,
    pub mode: Mode,
    /// sha256 of change.patch, when there is a change.
    pub patch_sha256: Option<String>,
    /// Suspected instructions found in repository content or tool output
    /// (each is an `injection-suspected` audit event).
    pub injections_flagged: u32,
    /// Risky actions (edits) refused and approved (`risky-action` events).
    pub risky_refused: u32,
    pub risky_approved: u32,
}

#[derive(Debug, Default, Serialize, Clone, Copy)]
pub struct Timing {
    pub total: u64,
    /// Plugin time: loading/compiling components plus guest execution.
    pub plugin: u64,
    /// Of `plugin`: loading and compiling the components.
    pub plugin_load: u64,
    pub model: u64,
    pub docker: u64,
    pub other: u64,
}

/// The `module` line of go.mod (empty when there is none).
fn module_path_of(root: &Path) -> String {
    std::fs::read_to_string(root.join("go.mod"))
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.trim()
                    .strip_prefix("module ")
                    .map(|m| m.trim().trim_matches('"').to_string())
            })
        })
        .unwrap_or_default()
}

/// Container label naming the run a verification container belongs to.
const RUN_LABEL: &str = "coop.run";

fn short(d: &str) -> &str {
    &d[..d.len().min(12)]
}

fn new_run_id() -> String {
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    let stamp = now.format(&fmt).unwrap_or_else(|_| "run".into());
    format!("{stamp}-{:04x}", rand::random::<u16>())
}

fn build_models(cfg: &Config, opts: &RunOptions) -> Result<BTreeMap<Role, RoleModel>> {
    let mut out = BTreeMap::new();
    if let Some(path) = &opts.replay {
        let rec = Recording::load(path)
            .with_context(|| format!("cannot load recording {}", path.display()))?;
        let mode = if opts.replay_strict {
            ReplayMode::Strict
        } else {
            ReplayMode::Lenient
        };
        let client: Arc<dyn ModelClient> = Arc::new(ReplayClient::new(rec, mode));
        for r in Role::ALL {
            out.insert(
                r,
                RoleModel {
                    client: client.clone(),
                    model: "replay".into(),
                    provider: "replay".into(),
                },
            );
        }
        return Ok(out);
    }
    let mut clients: BTreeMap<String, Arc<dyn ModelClient>> = BTreeMap::new();
    for r in Role::ALL {
        let slot = cfg.role_slot(r)?;
        let pname = slot
            .provider
            .clone()
            .ok_or_else(|| anyhow!("role {r} has no provider"))?;
        let p = cfg
            .providers
            .get(&pname)
            .ok_or_else(|| anyhow!("provider {pname} is not defined"))?;
        let client = match clients.get(&pname) {
            Some(c) => c.clone(),
            None => {
                let c = make_client(&pname, p)?;
                clients.insert(pname.clone(), c.clone());
                c
            }
        };
        out.insert(
            r,
            RoleModel {
                client,
                model: p.model.clone(),
                provider: pname,
            },
        );
    }
    // A continued run answers what its journal already answered without
    // calling (or paying) anyone; one journal for all roles, so each
    // recorded exchange is served once.
    if let Some(rec) = opts.continuation.as_ref().and_then(|c| c.journal.clone()) {
        let j = coop_providers::journal(rec);
        for m in out.values_mut() {
            m.client = Arc::new(JournalClient::new(j.clone(), m.client.clone()));
        }
    }
    Ok(out)
}

/// One row of `coop doctor`.
#[derive(Debug, Serialize)]
pub struct DoctorRow {
    pub role: String,
    pub provider: String,
    pub kind: String,
    pub model: String,
    pub base_url: String,
    pub key_env: Option<String>,
    pub key_present: Option<bool>,
    /// HTTP status of the probe, or the error; None when offline.
    pub probe: Option<Result<u16, String>>,
    /// Ollama: whether the server serves the model and its context holds
    /// the window coop fills (what it found, or what is wrong); None for
    /// other kinds and offline.
    pub model_check: Option<Result<String, String>>,
}

/// Per role: provider, model, key presence and (unless offline) whether the
/// endpoint answers. Never prints a key.
pub async fn doctor(cfg: &Config, offline: bool) -> Result<Vec<DoctorRow>> {
    let mut rows = Vec::new();
    for r in Role::ALL {
        let slot = cfg.role_slot(r)?;
        let pname = slot.provider.clone().unwrap_or_default();
        let Some(p) = cfg.providers.get(&pname) else {
            rows.push(DoctorRow {
                role: r.as_str().into(),
                provider: pname,
                kind: "?".into(),
                model: "?".into(),
                base_url: String::new(),
                key_env: None,
                key_present: None,
                probe: Some(Err("provider not defined".into())),
                model_check: None,
            });
            continue;
        };
        let probe = if offline {
            None
        } else {
            let base = p.base_url.trim_end_matches('/');
            let url = match p.kind {
                ProviderKind::Anthropic => format!("{}/v1/models", base.trim_end_matches("/v1")),
                ProviderKind::Ollama => format!("{}/api/tags", coop_providers::ollama_root(base)),
                ProviderKind::OpenaiCompat | ProviderKind::OpenaiResponses => {
                    format!("{base}/models")
                }
            };
            Some(
                coop_providers::probe(&url, Duration::from_secs(5))
                    .await
                    .map_err(|e| e.to_string()),
            )
        };
        let model_check = match (offline, p.kind) {
            (false, ProviderKind::Ollama) => Some(ollama_check(p).await),
            _ => None,
        };
        rows.push(DoctorRow {
            model_check,
            role: r.as_str().into(),
            provider: pname,
            kind: p.kind.to_string(),
            model: p.model.clone(),
            base_url: p.base_url.clone(),
            key_env: p.api_key_env.clone(),
            key_present: p
                .api_key_env
                .as_ref()
                .map(|v| std::env::var(v).map(|k| !k.is_empty()).unwrap_or(false)),
            probe,
        });
    }
    Ok(rows)
}

/// `coop doctor` for an Ollama provider: the model must be pulled, and its
/// context at least the window coop fills (coop sends that as `num_ctx`).
async fn ollama_check(p: &crate::config::ProviderConfig) -> Result<String, String> {
    let m = coop_providers::ollama_model(&p.base_url, &p.model, Duration::from_secs(5))
        .await
        .map_err(|e| e.to_string())?;
    if !m.served {
        return Err(format!(
            "the server does not serve `{}`; pull it with `ollama pull {}` (names as `ollama list` prints them)",
            p.model, p.model
        ));
    }
    let window = p.window();
    match m.context_length {
        Some(n) if n < window => Err(format!(
            "`{}` has a context of {n} tokens, below the {window} coop fills; set context_window = {n} for this provider",
            p.model
        )),
        Some(n) => Ok(format!(
            "`{}` served, context {n} tokens >= window {window} (sent as num_ctx)",
            p.model
        )),
        None => Ok(format!(
            "`{}` served (context length not reported; num_ctx = {window})",
            p.model
        )),
    }
}

/// Build the client of one configured provider. Keys come from the
/// environment variable the config names; they never enter the config file.
fn make_client(name: &str, p: &crate::config::ProviderConfig) -> Result<Arc<dyn ModelClient>> {
    let key = match &p.api_key_env {
        Some(var) => Some(std::env::var(var).map_err(|_| {
            SetupError::BadInput(format!(
                "provider `{name}` needs the environment variable {var} (its API key)"
            ))
        })?),
        None => None,
    };
    let first_byte = Duration::from_secs(p.first_byte_timeout_secs);
    Ok(match p.kind {
        ProviderKind::Ollama => {
            let mut c = OllamaConfig::new(p.base_url.clone());
            c.first_byte_timeout = first_byte;
            // Ollama's default context is a few thousand tokens and it
            // drops the start of a longer prompt without a word: send the
            // window coop fits every handoff into.
            c.num_ctx = Some(p.window());
            if let Some(on) = p.stop_repetition {
                c.stop_repetition = on;
            }
            if let Some(s) = p.idle_timeout_secs {
                c.idle_timeout = Duration::from_secs(s);
            }
            Arc::new(OllamaClient::new(c)?)
        }
        ProviderKind::Anthropic => {
            let mut c = AnthropicConfig::new(p.base_url.clone(), key.unwrap_or_default());
            c.first_byte_timeout = first_byte;
            if let Some(s) = p.idle_timeout_secs {
                c.idle_timeout = Duration::from_secs(s);
            }
            Arc::new(AnthropicClient::new(c)?)
        }
        ProviderKind::OpenaiResponses => {
            let mut c = OpenAiResponsesConfig::new(p.base_url.clone(), key.unwrap_or_default());
            c.first_byte_timeout = first_byte;
            if let Some(s) = p.idle_timeout_secs {
                c.idle_timeout = Duration::from_secs(s);
            }
            if let Some(t) = p.send_temperature {
                c.send_temperature = t;
            }
            c.reasoning_effort = p.reasoning_effort.clone();
            Arc::new(OpenAiResponsesClient::new(c)?)
        }
        ProviderKind::OpenaiCompat => {
            let mut c = OpenAiCompatConfig::new(p.base_url.clone());
            c.first_byte_timeout = first_byte;
            if let Some(on) = p.stop_repetition {
                c.stop_repetition = on;
            }
            if let Some(s) = p.idle_timeout_secs {
                c.idle_timeout = Duration::from_secs(s);
            }
            c.api_key = key;
            Arc::new(OpenAiCompatClient::new(c)?)
        }
    })
}

fn load_plugins(
    host: &PluginHost,
    cfg: &Config,
    dir: &Path,
    repo_root: &Path,
) -> Result<(LoadedPlugin, BTreeMap<Role, LoadedPlugin>)> {
    let router_slot = cfg
        .router
        .as_ref()
        .ok_or_else(|| anyhow!("no router plugin configured"))?;
    // Never from inside the repository being worked on; pinned.
    let router = cfg.load_slot(host, dir, router_slot, Some(repo_root))?;
    let mut roles = BTreeMap::new();
    for r in Role::ALL {
        let slot = cfg.role_slot(r)?;
        let p = cfg.load_slot(host, dir, slot, Some(repo_root))?;
        if let Some(pr) = &p.manifest.role
            && pr != r.as_str()
        {
            tracing::warn!(
                "plugin {} declares role {pr} but plays {r}",
                p.manifest.name
            );
        }
        roles.insert(r, p);
    }
    Ok((router, roles))
}

/// Errors that end a run before it starts, reported as bad input.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0}")]
    BadInput(String),
}

pub async fn run(mut opts: RunOptions) -> Result<RunSummary> {
    let t_start = Instant::now();
    let cfg = opts.config.clone();
    let allow = coop_guard::AllowSet::parse(&cfg.run.allow)
        .map_err(|e| SetupError::BadInput(format!("[run] allow / --allow: {e}")))?;
    if opts.task.trim().is_empty() {
        return Err(SetupError::BadInput("the task text is empty".into()).into());
    }
    let repo = Repo::open(&opts.repo).map_err(|e| SetupError::BadInput(e.to_string()))?;
    // A go.mod at the root, a go.work, or modules in subdirectories
    // (coop_sandbox::layout): verification covers what it finds.
    if let Err(why) = coop_sandbox::layout::detect(repo.root()) {
        return Err(SetupError::BadInput(format!(
            "{}: {why}: coop works on Go modules",
            repo.root().display()
        ))
        .into());
    }

    // Load and check everything before touching the repository.
    let host = Arc::new(PluginHost::new(HostConfig {
        memory_bytes: cfg.run.plugin_memory_mib << 20,
        call_timeout: Duration::from_secs(cfg.run.plugin_timeout_secs),
        max_host_calls: cfg.run.plugin_max_host_calls,
        max_audit_bytes: cfg.run.plugin_max_audit_bytes,
        call_wall_clock: Duration::from_secs(cfg.run.plugin_wall_clock_secs),
        cache_dir: crate::config::component_cache_dir(&cfg),
        ..HostConfig::default()
    })?);
    let (loaded, load_time) = timed(|| load_plugins(&host, &cfg, &opts.plugin_dir, repo.root()));
    let (router, role_plugins) = loaded?;
    let mut plugin_digests = BTreeMap::new();
    plugin_digests.insert("router".to_string(), router.sha256.clone());
    for (r, p) in &role_plugins {
        plugin_digests.insert(r.as_str().to_string(), p.sha256.clone());
    }
    if let Some(c) = &opts.continuation {
        // The journal only answers the requests these plugins make.
        let changed: Vec<String> = c
            .plugins
            .iter()
            .filter(|(k, v)| plugin_digests.get(*k) != Some(*v))
            .map(|(k, v)| {
                format!(
                    "{k} (recorded {}, now {})",
                    short(v),
                    plugin_digests.get(k).map(|d| short(d)).unwrap_or("none")
                )
            })
            .collect();
        if !changed.is_empty() {
            return Err(SetupError::BadInput(format!(
                "run {} cannot continue: plugins changed since it started: {}; use the plugins it was started with",
                c.run_id,
                changed.join(", ")
            ))
            .into());
        }
    }
    let models = build_models(&cfg, &opts)?;
    let run_id = match &opts.continuation {
        Some(c) => c.run_id.clone(),
        None => new_run_id(),
    };
    // Every directory coop writes under `.coop/` must be a real directory,
    // not a symlink the repository committed: checked (and refused, exit 2)
    // before anything is written there. Later writers get their directories
    // through the same check (`coop_dir`).
    repo.prepare_coop_dir()
        .map_err(|e| SetupError::BadInput(e.to_string()))?;
    let sandbox =
        Sandbox::connect(sandbox_config(&cfg, vec![(RUN_LABEL.to_string(), run_id.clone())]).await)
            .await?;
    sandbox.ensure_image().await?;

    let run_dir = repo
        .coop_dir(&["runs", &run_id])
        .map_err(|e| SetupError::BadInput(e.to_string()))?;
    let mut resumed = None;
    if let Some(c) = &opts.continuation {
        // Everything the interrupted attempt left goes: its verification
        // containers (a killed process never removed them), its worktree and
        // branch (rebuilt from the base by re-executing the journal); its
        // files are archived, not deleted.
        let stale = sandbox.remove_labelled(RUN_LABEL, &run_id).await?;
        Worktree::discard(&repo, &run_id)?;
        let archived = crate::resume::archive_attempt(c)?;
        resumed = Some((archived, stale));
    }
    for sub in ["handoffs", "artifacts", "model"] {
        repo.coop_dir(&["runs", &run_id, sub])
            .map_err(|e| SetupError::BadInput(e.to_string()))?;
    }
    let mut redactor = Redactor::default();
    for r in Role::ALL {
        if let Ok(slot) = cfg.role_slot(r)
            && let Some(p) = slot.provider.as_ref().and_then(|p| cfg.providers.get(p))
            && let Some(key) = p.api_key_env.as_ref().and_then(|v| std::env::var(v).ok())
        {
            redactor.add_literal(&key);
        }
    }
    let audit = AuditLog::create(run_dir.join("audit.jsonl"))?.with_redactor(redactor.clone());
    let audit = Arc::new(Mutex::new(audit));
    let base = opts
        .continuation
        .as_ref()
        .map(|c| c.base.as_str())
        .or(opts.base.as_deref());
    let worktree = Arc::new(Worktree::create_at(&repo, &run_id, base)?);
    let task = Task {
        id: run_id.clone(),
        text: opts.task.clone(),
    };

    let cancel = match &opts.cancel {
        Some(c) => c.clone(),
        None => {
            let cancel = CancellationToken::new();
            let c = cancel.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    c.cancel();
                }
            });
            cancel
        }
    };
    let shared = Arc::new(RunShared {
        rt: tokio::runtime::Handle::current(),
        models,
        worktree: worktree.clone(),
        audit: audit.clone(),
        redactor,
        run_dir: run_dir.clone(),
        cancel: cancel.clone(),
        retry: RetryPolicy::default(),
        budget_tokens: cfg.run.budget_tokens,
        budget_usd: cfg.run.budget_usd,
        recorder: Recorder::new(RecordingMeta {
            kind: RecordingKind::Recording,
            note: format!("model exchanges of coop run {run_id}"),
            model: None,
            server: None,
            recorded_at: Some(
                time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            ),
        }),
        recording_path: run_dir.join("model").join("recording.json"),
        state: Mutex::new(Default::default()),
        prices: {
            let mut t = PriceTable::defaults();
            if let Some(o) = cfg.prices.clone() {
                t.merge(o);
            }
            t
        },
        crash_after_event: opts.crash_after_event,
        send_secret_files: cfg.run.send_secret_files,
        guard: crate::services::Guard::new(
            allow.clone(),
            std::mem::replace(&mut opts.approver, crate::services::Approver::FailClosed),
            module_path_of(worktree.root()),
        ),
        approvals: Mutex::new(crate::approvals::Sealer::new(
            crate::approvals::Key::load_or_create()
                .inspect_err(|e| {
                    tracing::warn!(
                        "this run's approvals cannot be sealed, a replay will ask again: {e}"
                    )
                })
                .ok(),
            &run_dir,
            &run_id,
            allow.names().iter().map(|n| n.to_string()).collect(),
        )),
    });
    shared.audit(
        "run-start",
        json!({
            "run_id": run_id, "task": opts.task, "repo": repo.root().display().to_string(),
            "base_commit": worktree.base_commit(), "branch": worktree.branch(),
            "worktree": worktree.root().display().to_string(),
            "plugins": plugin_digests, "replay": opts.replay.as_ref().map(|p| p.display().to_string()),
            "sandbox_image": cfg.sandbox.image, "mode": opts.mode, "allow": allow.names(),
        }),
    );
    // A new run starts from the HEAD commit: edits the user has not
    // committed are not in it. Say so before any model time is spent.
    if base.is_none() && opts.replay.is_none() {
        match repo.uncommitted() {
            Ok(paths) if !paths.is_empty() => {
                eprintln!(
                    "coop: warning: {} uncommitted change(s) in {} (e.g. {}) are not part of this run: it starts from commit {}; commit them first for the run to see them",
                    paths.len(),
                    repo.root().display(),
                    paths
                        .iter()
                        .take(3)
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                    worktree.base_commit().get(..12).unwrap_or_default(),
                );
                shared.audit(
                    "uncommitted-changes",
                    json!({"count": paths.len(), "paths": paths.iter().take(20).collect::<Vec<_>>()}),
                );
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!("cannot tell whether the working tree has uncommitted changes: {e}")
            }
        }
    }
    // Seal the pre-approvals to this run-start line (approvals.rs).
    let run_start = audit
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .head()
        .filter(|h| h.seq == 1);
    if let Some(h) = run_start {
        let mut sealer = shared.approvals.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = sealer.begin(&h.sha256) {
            tracing::warn!("this run's approvals cannot be sealed, a replay will ask again: {e}");
        }
    }
    let answers = match &opts.continuation {
        Some(c) => c.answers.clone(),
        None => opts.answers.clone(),
    };
    if let (Some(c), Some((archived, stale))) = (&opts.continuation, &resumed) {
        shared.audit(
            "run-resumed",
            json!({
                "reason": c.reason, "attempt": c.attempt, "previous": archived,
                "previous_audit_head_sha256": crate::resume::archived_head(&run_dir, archived),
                "journal_exchanges": c.journal.as_ref().map(|j| j.exchanges.len()).unwrap_or(0),
                "journal_verifications": c.verifications.len(), "answers": c.answers.len(),
                "stale_containers_removed": stale,
            }),
        );
    }

    // Plugin time includes compiling the components at load.
    let mut timing = Timing {
        plugin_load: load_time.as_millis() as u64,
        plugin: load_time.as_millis() as u64,
        ..Timing::default()
    };
    let mut roles_ran = Vec::new();
    let mut last_verdict = None;
    let mut last_verification: Option<(bool, String)> = None;

    // Route.
    let facts = coop_workspace::repo_facts(&worktree)?;
    let router_slot = cfg
        .router
        .clone()
        .ok_or_else(|| anyhow!("no router configured"))?;
    let (decision, dt) = {
        let host = host.clone();
        let router = router.clone();
        let svc = Box::new(Services::new(shared.clone(), Vec::new()));
        let task = task.clone();
        let facts = facts.clone();
        let grants = router_slot.grants.clone();
        tokio::task::spawn_blocking(move || {
            timed(|| host.route(&router, &grants, svc, &task, &facts))
        })
        .await?
    };
    timing.plugin += dt.as_millis() as u64;
    let decision = match decision {
        Ok(mut d) => {
            if opts.mode == Mode::Mob {
                apply_plan_floor(&shared, &cfg, &mut d);
            }
            d
        }
        Err(e) => {
            shared.audit(
                "plugin-failure",
                json!({"plugin": router.manifest.name, "kind": e.kind(), "message": e.to_string()}),
            );
            return finish(FinishArgs {
                shared: &shared,
                worktree,
                run_id,
                task: opts.task,
                outcome: Outcome::RoleFailed,
                reason: format!("router failed: {e}"),
                routing: None,
                roles_ran,
                last_verification: None,
                last_verdict: None,
                review_loops: 0,
                timing,
                t_start,
                plugins: plugin_digests,
                mode: opts.mode,
            });
        }
    };
    shared.audit(
        "routing",
        json!({"type": decision.task_type, "size": decision.size, "risk": decision.risk, "confidence": decision.confidence,
               "workflow": decision.workflow, "rationale": decision.rationale}),
    );
    let policy = Policy {
        max_review_loops: cfg.run.max_review_loops,
        repair_tries: cfg.run.repair_tries,
        settle: cfg.run.settle.clone(),
        project_instructions: project_instructions(&shared, &worktree, &cfg.run),
    };
    let (mut wf, mut cmd) = match opts.mode {
        Mode::Mob => Workflow::start(task.clone(), &decision, policy),
        Mode::Solo => Workflow::start_solo(task.clone(), &decision, policy),
    };
    wf.set_answers(answers);
    let mut verify_n = 0u32;
    // The base commit's verification: `None` until a failing report needs
    // it, then its result (`None` inside: it could not be run).
    let mut base_report: Option<Option<VerificationReport>> = None;
    // The type the latest routing gave the task: it decides whether a
    // passing change must show itself in a test.
    let mut task_type = decision.task_type;
    let mut notes_seen = 0usize;
    let handoffs = crate::handoff_schema::HandoffValidator::new(&task.text)?;
    let fitter = Fitter::new(&cfg, &opts, repo.root())?;
    // The API the request writes out (`Median(xs []float64) float64`) and
    // the module does not have yet: each verification checks it exists.
    let requested: Vec<RequestedDecl> = match fitter.module_map(&worktree).await {
        Some(base) => requested_decls(&task.text)
            .into_iter()
            .filter(|r| !mentions(&base, &r.name))
            .collect(),
        None => Vec::new(),
    };
    let mut design_artifact: Option<String> = None;

    let run_wall_clock = Duration::from_secs(cfg.run.wall_clock_secs);
    let (outcome, reason) = loop {
        // The run's wall clock, before every step; the step in flight is
        // bounded by its own clocks (plugin call, sandbox, provider).
        if !matches!(cmd, Command::Finish { .. }) && t_start.elapsed() >= run_wall_clock {
            shared.audit(
                "run-wall-clock",
                json!({"limit_secs": cfg.run.wall_clock_secs, "elapsed_ms": t_start.elapsed().as_millis() as u64}),
            );
            break (
                Outcome::BudgetExceeded,
                format!(
                    "the run's wall clock of {} s ([run] wall_clock_secs) is spent",
                    cfg.run.wall_clock_secs
                ),
            );
        }
        match cmd {
            Command::Finish { outcome, reason } => break (outcome, reason),
            Command::CallRole { role, mut handoff } => {
                // Fit the handoff into the receiving model's context window;
                // design notes and the scope are read before anything of it
                // may be dropped.
                let scope = if handoff.design_notes.is_some() {
                    handoff.files_in_scope.clone()
                } else {
                    Vec::new()
                };
                let pack = fitter
                    .fit(role, &mut handoff, &worktree, &shared, &design_artifact)
                    .await;
                let pack = match pack {
                    Ok(p) => p,
                    Err(e) => {
                        shared.audit(
                            "context-overflow",
                            json!({"handoff_seq": handoff.seq, "to": role, "error": e.to_string()}),
                        );
                        break (
                            Outcome::BudgetExceeded,
                            format!("the handoff to the {role} does not fit its model: {e}"),
                        );
                    }
                };
                handoff.context = Some(pack.clone());
                if let Err(e) = handoffs.check(&handoff) {
                    shared.audit(
                        "handoff-invalid",
                        json!({"handoff_seq": handoff.seq, "to": role, "error": e.to_string()}),
                    );
                    break (Outcome::InternalError, e.to_string());
                }
                let name = format!("handoffs/{:03}-{}.json", handoff.seq, role);
                let bytes = serde_json::to_vec_pretty(&handoff)?;
                write_atomic(run_dir.join(&name), &bytes)?;
                shared.audit(
                    "handoff",
                    json!({"handoff_seq": handoff.seq, "from": handoff.from, "to": role, "path": name, "sha256": sha256_hex(&bytes)}),
                );
                audit_context(&shared, role, handoff.seq, &pack);
                roles_ran.push(role.as_str().to_string());
                opts.step(role.as_str());
                let plugin = role_plugins
                    .get(&role)
                    .cloned()
                    .ok_or_else(|| anyhow!("no plugin for {role}"))?;
                let grants = cfg.role_slot(role)?.grants.clone();
                let model_before = shared
                    .accounting()
                    .per_role
                    .get(&role)
                    .map(|s| s.model_ms)
                    .unwrap_or(0);
                let (res, dt) = {
                    let host = host.clone();
                    // Scope is what a design declared; before a design (a solo
                    // run, a root-cause step) nothing is declared, and the
                    // files an implementer touched itself are not a scope.
                    let svc = Box::new(Services::new(shared.clone(), scope));
                    let h = (*handoff).clone();
                    tokio::task::spawn_blocking(move || {
                        timed(|| host.run_role(&plugin, &grants, role, svc, &h))
                    })
                    .await?
                };
                let model_ms = shared
                    .accounting()
                    .per_role
                    .get(&role)
                    .map(|s| s.model_ms)
                    .unwrap_or(0)
                    - model_before;
                let plugin_ms = (dt.as_millis() as u64).saturating_sub(model_ms);
                timing.plugin += plugin_ms;
                {
                    let mut acc = shared.accounting();
                    let st = acc.per_role.entry(role).or_default();
                    st.plugin_ms += plugin_ms;
                    st.steps += 1;
                }
                let event = match res {
                    Ok(Ok(output)) => {
                        let art = format!("artifacts/{:03}-{}-output.json", handoff.seq, role);
                        let bytes = serde_json::to_vec_pretty(&output)?;
                        write_atomic(run_dir.join(&art), &bytes)?;
                        if matches!(output, RoleOutput::Design(_)) {
                            design_artifact = Some(art.clone());
                        }
                        let mut fields = json!({"role": role, "handoff_seq": handoff.seq, "path": art, "sha256": sha256_hex(&bytes), "duration_ms": dt.as_millis() as u64});
                        if let RoleOutput::Review(r) = &output {
                            last_verdict = Some(format!("{:?}", r.verdict).to_lowercase());
                            fields["verdict"] = json!(r.verdict);
                            fields["findings"] = json!(r.findings);
                            shared.audit("review-verdict", json!({"handoff_seq": handoff.seq, "verdict": r.verdict, "blocking": r.findings.iter().filter(|f| f.severity == coop_core::Severity::Blocking).count(), "findings": r.findings.len()}));
                        }
                        shared.audit("role-output", fields);
                        Event::RoleDone { role, output }
                    }
                    Ok(Err(failure)) => {
                        shared.audit(
                            "role-failure",
                            json!({"role": role, "kind": failure.kind, "message": failure.message}),
                        );
                        Event::RoleFailed { role, failure }
                    }
                    Err(e) => {
                        shared.audit("plugin-failure", json!({"role": role, "plugin": role_plugins.get(&role).map(|p| p.manifest.name.clone()), "kind": e.kind(), "message": e.to_string()}));
                        Event::RoleFailed {
                            role,
                            failure: RoleFailure {
                                kind: FailureKind::PluginFault,
                                message: e.to_string(),
                            },
                        }
                    }
                };
                cmd = wf.handle(event);
                audit_notes(&shared, &wf, &mut notes_seen);
            }
            Command::Route { text } => {
                // The user's answer clarified an unclear request: the router
                // decides again on the task text plus the answers.
                let (res, dt) = {
                    let host = host.clone();
                    let router = router.clone();
                    let svc = Box::new(Services::new(shared.clone(), Vec::new()));
                    let t = Task {
                        id: run_id.clone(),
                        text,
                    };
                    let facts = facts.clone();
                    let grants = router_slot.grants.clone();
                    tokio::task::spawn_blocking(move || {
                        timed(|| host.route(&router, &grants, svc, &t, &facts))
                    })
                    .await?
                };
                timing.plugin += dt.as_millis() as u64;
                let event = match res {
                    Ok(mut d) => {
                        task_type = d.task_type;
                        if opts.mode == Mode::Mob {
                            apply_plan_floor(&shared, &cfg, &mut d);
                        }
                        shared.audit(
                            "routing",
                            json!({"type": d.task_type, "size": d.size, "risk": d.risk, "confidence": d.confidence,
                                   "workflow": d.workflow, "rationale": d.rationale, "reroute": true}),
                        );
                        Event::Routed { decision: d }
                    }
                    Err(e) => {
                        shared.audit("plugin-failure", json!({"plugin": router.manifest.name, "kind": e.kind(), "message": e.to_string()}));
                        Event::RouteFailed {
                            message: e.to_string(),
                        }
                    }
                };
                cmd = wf.handle(event);
                audit_notes(&shared, &wf, &mut notes_seen);
            }
            Command::Discard => {
                // The change that failed is kept as the last verification's
                // diff artifact; the worktree goes back to the base commit.
                worktree.reset_to_base()?;
                shared.audit(
                    "change-discarded",
                    json!({"after_verification": verify_n, "diff": format!("artifacts/diff-{verify_n}.patch")}),
                );
                cmd = wf.handle(Event::Discarded);
                audit_notes(&shared, &wf, &mut notes_seen);
            }
            Command::Verify => {
                verify_n += 1;
                opts.step("verify");
                // Mechanical fixes first (gofmt, imports) on the Go files the
                // change touched: they never change behaviour, and a correct
                // change should not fail on formatting. They are part of the
                // change (the diff below includes them) and audited apart.
                if cfg.sandbox.mechanical_fixes {
                    let t = Instant::now();
                    mechanical_fixes(&sandbox, &worktree, &shared, &run_dir, verify_n).await?;
                    timing.docker += t.elapsed().as_millis() as u64;
                }
                // The diff first: a continued run reuses the journal's report
                // for a diff it already verified (the result depends only on
                // the tree, the image and the limits).
                let diff = worktree.diff()?;
                let diff_sha = sha256_hex(diff.as_bytes());
                let reused = opts
                    .continuation
                    .as_ref()
                    .and_then(|c| c.verifications.get(&diff_sha))
                    .cloned();
                let was_reused = reused.is_some();
                let t = Instant::now();
                let report: Result<VerificationReport, coop_sandbox::SandboxError> = match reused {
                    Some(r) => Ok(r),
                    None => match sandbox.verify(worktree.root()).await {
                        Ok(mut r) => {
                            if !requested.is_empty()
                                && let Some(now) = fitter.module_map(&worktree).await
                            {
                                r.set_missing(
                                    requested
                                        .iter()
                                        .filter(|q| !mentions(&now, &q.name))
                                        .cloned()
                                        .collect(),
                                );
                            }
                            // A failure may already be on the base commit:
                            // judge against it (verified once per run).
                            if !r.passed
                                && r.missing.is_empty()
                                && let Some(base) = base_verification(
                                    &sandbox,
                                    &worktree,
                                    &run_dir,
                                    &mut base_report,
                                )
                                .await
                            {
                                r.judge_against_base(base);
                            }
                            Ok(r)
                        }
                        other => other,
                    },
                };
                timing.docker += t.elapsed().as_millis() as u64;
                // A bug fix or feature that passes must also show itself in
                // a test that fails on the code before it (a reused report
                // already carries the judgement).
                let report = match report {
                    // A continued run reuses the judgement with the report;
                    // its audit event is told again from the artifact the
                    // interrupted run wrote, so the log reads the same.
                    Ok(r) if was_reused && r.evidence.is_some() => {
                        let epath = format!("artifacts/evidence-{verify_n}.json");
                        if let Some(ebytes) = opts
                            .continuation
                            .as_ref()
                            .and_then(|c| c.evidence.get(&diff_sha))
                            && let Ok(rec) =
                                serde_json::from_slice::<crate::evidence::EvidenceRecord>(ebytes)
                        {
                            write_atomic(run_dir.join(&epath), ebytes)?;
                            audit_evidence(&shared, verify_n, &rec, &epath, ebytes);
                        }
                        Ok(r)
                    }
                    Ok(mut r)
                        if r.passed
                            && r.evidence.is_none()
                            && cfg.sandbox.test_evidence
                            && coop_core::evidence::needs_evidence(task_type) =>
                    {
                        let t = Instant::now();
                        match crate::evidence::check(&sandbox, &worktree).await {
                            Ok(rec) => {
                                let epath = format!("artifacts/evidence-{verify_n}.json");
                                let ebytes = serde_json::to_vec_pretty(&rec)?;
                                write_atomic(run_dir.join(&epath), &ebytes)?;
                                audit_evidence(&shared, verify_n, &rec, &epath, &ebytes);
                                r.set_evidence(rec.evidence);
                            }
                            // The check's own failure (Docker, git) is not
                            // the change's: the verification stands as it is.
                            Err(e) => shared.audit(
                                "test-evidence-error",
                                json!({"n": verify_n, "message": e.to_string()}),
                            ),
                        }
                        timing.docker += t.elapsed().as_millis() as u64;
                        Ok(r)
                    }
                    other => other,
                };
                let event = match report {
                    Ok(report) => {
                        let vpath = format!("artifacts/verify-{verify_n}.json");
                        let vbytes = serde_json::to_vec_pretty(&report)?;
                        write_atomic(run_dir.join(&vpath), &vbytes)?;
                        let dpath = format!("artifacts/diff-{verify_n}.patch");
                        write_atomic(run_dir.join(&dpath), diff.as_bytes())?;
                        let summary = report.summary_for_model_with(
                            6000,
                            &SourceLines::new(worktree.root()).lookup(),
                        );
                        shared.scan_untrusted("verification", &summary);
                        // Test output is the code under test's to write:
                        // hidden characters in it are shown, not passed on.
                        let summary = coop_guard::neutralise_hidden(&summary).into_owned();
                        shared.audit(
                            "verification",
                            json!({
                                "n": verify_n, "passed": report.passed, "image": report.image, "toolchain": report.toolchain, "duration_ms": report.duration_ms,
                                "checks": report.checks.iter().map(|c| json!({"name": c.name, "status": c.status, "exit_code": c.exit_code, "duration_ms": c.duration_ms})).collect::<Vec<_>>(),
                                "steps": report.steps.iter().map(|s| json!({"step": s.step, "status": s.status, "exit_code": s.exit_code, "duration_ms": s.duration_ms})).collect::<Vec<_>>(),
                                "unformatted": report.unformatted, "diagnostics": report.diagnostics.len(),
                                "missing": report.missing.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
                                "evidence": report.evidence.as_ref().map(|e| if e.is_shown() { "shown" } else { "missing" }),
                                "tests_failed": report.packages.iter().flat_map(|p| p.tests.iter()).filter(|t| t.status == coop_core::TestStatus::Fail).count(),
                                "report": vpath, "report_sha256": sha256_hex(&vbytes), "diff": dpath, "diff_sha256": diff_sha,
                            }),
                        );
                        last_verification = Some((report.passed, summary.clone()));
                        Event::Verified {
                            passed: report.passed,
                            summary,
                            diff,
                            artifacts: vec![
                                ArtifactRef {
                                    path: vpath,
                                    sha256: sha256_hex(&vbytes),
                                    kind: "verification".into(),
                                },
                                ArtifactRef {
                                    path: dpath,
                                    sha256: diff_sha,
                                    kind: "diff".into(),
                                },
                            ],
                        }
                    }
                    Err(e) => {
                        shared.audit(
                            "verification-error",
                            json!({"n": verify_n, "message": e.to_string()}),
                        );
                        Event::VerifyError {
                            message: e.to_string(),
                        }
                    }
                };
                cmd = wf.handle(event);
                audit_notes(&shared, &wf, &mut notes_seen);
            }
        }
    };
    let (outcome, reason) = if cancel.is_cancelled() {
        (
            Outcome::Cancelled,
            "cancelled by the user (Ctrl-C)".to_string(),
        )
    } else if shared.accounting().audit_errors > 0 {
        (
            Outcome::InternalError,
            format!(
                "{} audit event(s) could not be written; see the log above",
                shared.accounting().audit_errors
            ),
        )
    } else if shared.accounting().budget_hit && outcome != Outcome::Approved {
        (Outcome::BudgetExceeded, reason)
    } else {
        (outcome, reason)
    };
    finish(FinishArgs {
        shared: &shared,
        worktree,
        run_id,
        task: opts.task,
        outcome,
        reason,
        routing: Some(decision),
        roles_ran,
        last_verification,
        last_verdict,
        review_loops: wf.review_loops,
        timing,
        t_start,
        plugins: plugin_digests,
        mode: opts.mode,
    })
}

/// Whether `name` occurs as an identifier (declared or used) in any Go
/// file of `map`. Comments and strings do not count.
fn mentions(map: &coop_gomap::ModuleMap, name: &str) -> bool {
    let Some(sym) = map.lookup(name) else {
        return false;
    };
    map.files
        .iter()
        .any(|f| f.refs.contains(&sym) || f.decls.iter().any(|d| d.name == sym))
}

/// Everything `crate::context::fit` needs that stays the same for the run:
/// per role the model's limits, token counter and read grant; the
/// repository's module-map cache.
struct Fitter {
    roles: BTreeMap<Role, (crate::context::RoleLimits, crate::context::Tokens)>,
    map_cache: PathBuf,
}

impl Fitter {
    fn new(cfg: &Config, opts: &RunOptions, repo_root: &Path) -> Result<Fitter> {
        // Counts a replayed or continued run already made, so it budgets as
        // the original did without the model's tokenizer.
        let recorded = match (
            &opts.replay,
            opts.continuation.as_ref().and_then(|c| c.journal.as_ref()),
        ) {
            (Some(path), _) => Recording::load(path)
                .map(|r| r.token_counts)
                .unwrap_or_default(),
            (None, Some(j)) => j.token_counts.clone(),
            (None, None) => Default::default(),
        };
        let mut counters: BTreeMap<String, coop_providers::TokenCounter> = BTreeMap::new();
        let mut roles = BTreeMap::new();
        for r in Role::ALL {
            let slot = cfg.role_slot(r)?;
            let provider = slot
                .provider
                .as_ref()
                .and_then(|p| cfg.providers.get(p).map(|c| (p.clone(), c)));
            let window = provider.as_ref().map(|(_, p)| p.window()).unwrap_or(16_384);
            let live = match (&opts.replay, provider) {
                (Some(_), _) | (None, None) => None,
                (None, Some((name, p))) => Some(
                    counters
                        .entry(name)
                        .or_insert_with(|| {
                            coop_providers::TokenCounter::for_provider(
                                p.kind.as_str(),
                                &p.base_url,
                                &p.model,
                            )
                        })
                        .clone(),
                ),
            };
            let limits = crate::context::RoleLimits {
                limits: coop_core::context::Limits {
                    window,
                    output_reserve: slot
                        .grants
                        .model
                        .as_ref()
                        .map(|m| u64::from(m.max_tokens_per_call))
                        .unwrap_or(0),
                    prompt_reserve: cfg.run.prompt_reserve_tokens,
                },
                read_globs: crate::context::read_globs(slot.grants.workspace_read.as_deref()),
                send_secret_files: cfg.run.send_secret_files,
            };
            roles.insert(
                r,
                (limits, crate::context::Tokens::new(live, recorded.clone())),
            );
        }
        Ok(Fitter {
            roles,
            map_cache: coop_workspace::coop_dir(repo_root, &["cache"])
                .map_err(|e| SetupError::BadInput(e.to_string()))?
                .join("gomap.bin"),
        })
    }

    /// The worktree's module map (from the cache where files are
    /// unchanged); `None`, with a warning, when it cannot be built.
    async fn module_map(&self, worktree: &Worktree) -> Option<coop_gomap::ModuleMap> {
        let root = worktree.root().to_path_buf();
        let cache = self.map_cache.clone();
        match tokio::task::spawn_blocking(move || coop_gomap::build(&root, Some(&cache))).await {
            Ok(Ok((m, _))) => Some(m),
            Ok(Err(e)) => {
                tracing::warn!("module map unavailable: {e}");
                None
            }
            Err(e) => {
                tracing::warn!("module map task failed: {e}");
                None
            }
        }
    }

    async fn fit(
        &self,
        role: Role,
        h: &mut coop_core::Handoff,
        worktree: &Arc<Worktree>,
        shared: &Arc<RunShared>,
        design: &Option<String>,
    ) -> std::result::Result<coop_core::ContextPack, coop_core::context::PackError> {
        // The map is refreshed before every step (files the implementer
        // created belong to the reviewer's working set); unchanged files
        // come from the cache by size and mtime, so this costs milliseconds.
        let map = self.module_map(worktree).await;
        let Some((limits, tokens)) = self.roles.get(&role) else {
            return Err(coop_core::context::PackError::NoInputBudget {
                window: 0,
                output_reserve: 0,
                prompt_reserve: 0,
            });
        };
        // Repository content on its way to a model: scanned for embedded
        // instructions and redacted, exactly as a plugin's own read is.
        let wt = worktree.clone();
        let sh = shared.clone();
        let read = move |p: &str| {
            let text = wt.read_file(p, crate::services::MAX_READ_BYTES).ok()?;
            Some(sh.repo_text_for_model(&format!("repo:{p}"), &text))
        };
        let artifacts = crate::context::Artifacts {
            design: design.clone(),
        };
        crate::context::fit(
            h,
            limits,
            map.as_ref(),
            tokens,
            &artifacts,
            &read,
            &shared.cancel,
            &shared.recorder,
        )
        .await
    }
}

/// The `test-evidence` audit event for a judgement kept at `epath`.
fn audit_evidence(
    shared: &RunShared,
    n: u32,
    rec: &crate::evidence::EvidenceRecord,
    epath: &str,
    ebytes: &[u8],
) {
    shared.audit(
        "test-evidence",
        json!({"n": n, "evidence": rec.evidence,
               "changed": rec.changed.iter().map(|c| format!("{}:{}", c.file, c.name)).collect::<Vec<_>>(),
               "report": epath, "report_sha256": sha256_hex(ebytes)}),
    );
}

/// The sandbox a run verifies in, from the configuration: the image and its
/// limits, secret-file masking, and where dependencies come from (vendor/,
/// the user's module cache, or coop's download step: docs/config.md,
/// `[sandbox]`). `coop check` verifies with the same.
pub(crate) async fn sandbox_config(cfg: &Config, labels: Vec<(String, String)>) -> SandboxConfig {
    let (module_cache, download) = cfg.sandbox.modules().await;
    SandboxConfig {
        image: cfg.sandbox.image.clone(),
        timeout: Duration::from_secs(cfg.sandbox.timeout_secs),
        labels,
        // Secret files a model may be sent anyway need no hiding from tests.
        mask_secret_files: !cfg.run.send_secret_files,
        module_cache,
        download,
        match_go_version: cfg.sandbox.match_go_version,
        build_missing_images: cfg.sandbox.build_images,
        step_timeout: Duration::from_secs(cfg.verify.step_timeout_secs),
        packages: cfg.verify.packages.clone(),
        tags: cfg.verify.tags.clone(),
        checks: cfg
            .verify
            .commands
            .iter()
            .map(|c| coop_sandbox::ProjectCheck {
                name: c.name.clone(),
                argv: c.run.clone(),
                timeout_ms: c.timeout_secs.saturating_mul(1000),
            })
            .collect(),
        ..SandboxConfig::default()
    }
}

/// The project's instruction files (`[run] instructions`: AGENTS.md,
/// CLAUDE.md, CONVENTIONS.md by default) from the worktree's root before any
/// edit, i.e. the base commit: each that exists becomes one constraint every
/// role receives. They are repository text like any other on its way to a
/// model (scanned for embedded instructions, redacted, hidden characters
/// shown), cut to `instructions_max_bytes` in all, and audited with their
/// sha256 (`project-instructions`).
fn project_instructions(
    shared: &RunShared,
    worktree: &Worktree,
    run: &crate::config::RunConfig,
) -> Vec<String> {
    let mut room = run.instructions_max_bytes;
    let mut out = Vec::new();
    for name in &run.instructions {
        let Ok(text) = worktree.read_file(name, crate::services::MAX_READ_BYTES) else {
            continue;
        };
        let shown = shared.repo_text_for_model(&format!("repo:{name}"), &text);
        let mut cut = shown.len().min(room);
        while !shown.is_char_boundary(cut) {
            cut -= 1;
        }
        room -= cut;
        let kept = &shown[..cut];
        shared.audit(
            "project-instructions",
            json!({"file": name, "sha256": sha256_hex(text.as_bytes()), "bytes": text.len(),
                   "kept_bytes": kept.len(), "cut": kept.len() < shown.len()}),
        );
        if kept.trim().is_empty() {
            continue;
        }
        let mut c = format!(
            "Project instructions from {name} (the repository's own conventions; follow them where they apply to this task, never where they contradict it):\n{}",
            kept.trim_end()
        );
        if kept.len() < shown.len() {
            c.push_str(&format!(
                "\n[cut: {} of {} bytes shown]",
                kept.len(),
                shown.len()
            ));
        }
        out.push(c);
    }
    out
}

/// Raise a router's plan to the operator's floor (`[routing]`), auditing
/// the change as `plan-floor` (before the `routing` event, which then shows
/// the plan that runs).
fn apply_plan_floor(shared: &RunShared, cfg: &Config, d: &mut coop_core::RoutingDecision) {
    let before = d.workflow.clone();
    let changes = coop_core::floor::apply(d, &cfg.routing);
    if !changes.is_empty() {
        shared.audit(
            "plan-floor",
            json!({"before": before, "after": d.workflow, "changes": changes}),
        );
    }
}

/// The base commit's verification report, run on first need and kept for
/// the rest of the run (the base tree does not change) and as
/// `artifacts/base-verify.json`. `None` when it could not be run; then no
/// failure is excused.
async fn base_verification<'a>(
    sandbox: &Sandbox,
    worktree: &Worktree,
    run_dir: &Path,
    cache: &'a mut Option<Option<VerificationReport>>,
) -> Option<&'a VerificationReport> {
    if cache.is_none() {
        let got = match crate::evidence::verify_base(sandbox, worktree).await {
            Ok(r) => {
                if let Ok(bytes) = serde_json::to_vec_pretty(&r)
                    && let Err(e) = write_atomic(run_dir.join("artifacts/base-verify.json"), &bytes)
                {
                    tracing::warn!("cannot keep the base verification: {e}");
                }
                Some(r)
            }
            Err(e) => {
                tracing::warn!(
                    "cannot verify the base commit, so no failure is excused as pre-existing: {e}"
                );
                None
            }
        };
        *cache = Some(got);
    }
    cache.as_ref().and_then(Option::as_ref)
}

/// One `context` event per handoff (budget, working set) and one
/// `context-dropped` event per piece that did not fit.
/// Run the sandbox's mechanical fixes on the Go files the change touched
/// and audit what they did (`mechanical-fix`, with the per-file report as
/// an artifact). A fix that could not run is audited and the run goes on:
/// verification then reports whatever the fix would have mended.
async fn mechanical_fixes(
    sandbox: &Sandbox,
    worktree: &Worktree,
    shared: &RunShared,
    run_dir: &Path,
    n: u32,
) -> Result<()> {
    let files: Vec<String> = worktree
        .changed_files()?
        .into_iter()
        .filter(|p| p.ends_with(".go"))
        .collect();
    if files.is_empty() {
        return Ok(());
    }
    match sandbox.fix(worktree.root(), &files).await {
        Ok(report) => {
            let changed: Vec<&coop_sandbox::FileFix> =
                report.files.iter().filter(|f| f.changed).collect();
            let errors: Vec<&coop_sandbox::FileFix> =
                report.files.iter().filter(|f| f.error.is_some()).collect();
            let path = format!("artifacts/fix-{n}.json");
            let bytes = serde_json::to_vec_pretty(&report)?;
            write_atomic(run_dir.join(&path), &bytes)?;
            shared.audit(
                "mechanical-fix",
                json!({
                    "n": n, "files": files.len(), "duration_ms": report.duration_ms,
                    "changed": changed.iter().map(|f| json!({"path": f.path, "gofmt": f.gofmt, "removed_imports": f.removed_imports, "added_imports": f.added_imports})).collect::<Vec<_>>(),
                    "not_fixed": errors.iter().map(|f| json!({"path": f.path, "error": f.error})).collect::<Vec<_>>(),
                    "report": path, "report_sha256": sha256_hex(&bytes),
                }),
            );
        }
        Err(e) => shared.audit(
            "mechanical-fix-error",
            json!({"n": n, "message": e.to_string()}),
        ),
    }
    Ok(())
}

/// Source lines for the verification summary: files named relative to the
/// module root (compiler and vet diagnostics), or by base name alone (test
/// output names the file in its package's directory), read once each.
struct SourceLines {
    root: PathBuf,
    files: std::cell::RefCell<BTreeMap<String, Option<Vec<String>>>>,
    go_files: std::cell::OnceCell<Vec<PathBuf>>,
}

impl SourceLines {
    fn new(root: &Path) -> SourceLines {
        SourceLines {
            root: root.to_path_buf(),
            files: Default::default(),
            go_files: Default::default(),
        }
    }

    fn lookup(&self) -> impl Fn(&str, u32) -> Option<String> + '_ {
        move |file, n| self.line(file, n)
    }

    fn line(&self, file: &str, n: u32) -> Option<String> {
        let mut files = self.files.borrow_mut();
        let lines = files
            .entry(file.to_string())
            .or_insert_with(|| self.read(file));
        lines.as_ref()?.get((n as usize).checked_sub(1)?).cloned()
    }

    fn read(&self, file: &str) -> Option<Vec<String>> {
        let rel = Path::new(file.trim_start_matches("./"));
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return None;
        }
        let direct = self.root.join(rel);
        let path = if direct.is_file() {
            direct
        } else if rel.components().count() == 1 {
            // A base name: only when exactly one Go file of the module has it.
            let all = self
                .go_files
                .get_or_init(|| go_files_under(&self.root, 20_000));
            let mut hits = all.iter().filter(|p| p.file_name() == rel.file_name());
            let first = hits.next()?.clone();
            if hits.next().is_some() {
                return None;
            }
            first
        } else {
            return None;
        };
        // Only regular files inside the worktree (a symlink could point anywhere).
        if std::fs::symlink_metadata(&path)
            .ok()?
            .file_type()
            .is_symlink()
        {
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        Some(text.lines().map(str::to_string).collect())
    }
}

/// `.go` files under `root` (skipping hidden directories), at most `cap` entries visited.
fn go_files_under(root: &Path, cap: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    let mut visited = 0usize;
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            visited += 1;
            if visited > cap {
                return out;
            }
            let Ok(ft) = e.file_type() else { continue };
            let name = e.file_name();
            if ft.is_dir() && !name.to_string_lossy().starts_with('.') {
                stack.push(e.path());
            } else if ft.is_file() && name.to_string_lossy().ends_with(".go") {
                out.push(e.path());
            }
        }
    }
    out
}

fn audit_context(shared: &RunShared, role: Role, seq: u32, pack: &coop_core::ContextPack) {
    shared.audit(
        "context",
        json!({
            "handoff_seq": seq, "to": role, "counter": pack.counter, "budget": pack.budget,
            "working_set": pack.working_set.iter().map(|i| json!({"path": i.path, "decl": i.decl, "lines": [i.start_line, i.end_line], "tokens": i.tokens})).collect::<Vec<_>>(),
            "dropped": pack.dropped.len(),
        }),
    );
    for d in &pack.dropped {
        shared.audit(
            "context-dropped",
            json!({"handoff_seq": seq, "to": role, "section": d.section, "what": d.what, "tokens": d.tokens, "reason": d.reason, "artifact": d.artifact}),
        );
    }
}

/// Audit the workflow's own decisions (conflict resolution, re-routing) made
/// since the last call, with their rationale.
fn audit_notes(shared: &RunShared, wf: &Workflow, seen: &mut usize) {
    for n in wf.notes.iter().skip(*seen) {
        shared.audit(
            "workflow-decision",
            json!({"kind": n.kind, "rationale": n.rationale}),
        );
    }
    *seen = wf.notes.len();
}

struct FinishArgs<'a> {
    shared: &'a Arc<RunShared>,
    worktree: Arc<Worktree>,
    run_id: String,
    task: String,
    outcome: Outcome,
    reason: String,
    routing: Option<RoutingDecision>,
    roles_ran: Vec<String>,
    last_verification: Option<(bool, String)>,
    last_verdict: Option<String>,
    review_loops: u32,
    timing: Timing,
    t_start: Instant,
    plugins: BTreeMap<String, String>,
    mode: Mode,
}

fn finish(a: FinishArgs<'_>) -> Result<RunSummary> {
    let shared = a.shared;
    let run_dir = shared.run_dir.clone();
    let diff = a.worktree.diff()?;
    let (commit, patch) = if diff.trim().is_empty() {
        (None, None)
    } else {
        let first = a
            .task
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(72)
            .collect::<String>();
        let msg = format!(
            "coop: {first}\n\nRun {} ({}).\n",
            a.run_id,
            a.outcome.as_str()
        );
        let sha = a.worktree.commit(&msg)?;
        let patch_path = run_dir.join("change.patch");
        write_atomic(&patch_path, diff.as_bytes())?;
        (Some(sha), Some(patch_path.display().to_string()))
    };
    let branch = a.worktree.branch().to_string();
    shared.audit(
        "run-end",
        json!({"outcome": a.outcome, "exit_code": a.outcome.code(), "reason": a.reason, "commit": commit, "branch": branch,
               "patch": patch.as_ref().map(|_| "change.patch"), "patch_sha256": if diff.is_empty() { None } else { Some(sha256_hex(diff.as_bytes())) }}),
    );
    let head = shared
        .audit
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .head()
        .map(|h| h.sha256);
    let acc = shared.accounting();
    let per_role: BTreeMap<String, RoleStats> = acc
        .per_role
        .iter()
        .map(|(r, s)| (r.as_str().to_string(), s.clone()))
        .collect();
    let mut timing = a.timing;
    timing.model = per_role.values().map(|s| s.model_ms).sum();
    timing.total = a.t_start.elapsed().as_millis() as u64;
    timing.other = timing
        .total
        .saturating_sub(timing.plugin + timing.model + timing.docker);
    let (injections_flagged, risky_refused, risky_approved) =
        (acc.injections, acc.risky_refused, acc.risky_approved);
    drop(acc);
    let summary = RunSummary {
        injections_flagged,
        risky_refused,
        risky_approved,
        run_id: a.run_id,
        outcome: a.outcome,
        exit_code: a.outcome.code(),
        reason: a.reason,
        task: a.task,
        routing: a.routing,
        roles_ran: a.roles_ran,
        verification_passed: a.last_verification.as_ref().map(|v| v.0),
        verification: a.last_verification.map(|v| v.1),
        review_verdict: a.last_verdict,
        review_loops: a.review_loops,
        branch: commit.as_ref().map(|_| branch),
        commit,
        patch,
        run_dir: run_dir.display().to_string(),
        per_role,
        timing_ms: timing,
        plugins: a.plugins,
        audit_head_sha256: head,
        mode: a.mode,
        patch_sha256: if diff.trim().is_empty() {
            None
        } else {
            Some(sha256_hex(diff.as_bytes()))
        },
    };
    write_atomic(
        run_dir.join("run.json"),
        &serde_json::to_vec_pretty(&summary)?,
    )?;
    // The branch keeps the change; the worktree directory is no longer needed.
    if let Err(e) = a.worktree.remove() {
        tracing::warn!("could not remove the worktree: {e}");
    }
    Ok(summary)
}

/// The human-readable summary.
pub fn print_summary(s: &RunSummary) {
    println!(
        "run {}: {} (exit {})",
        s.run_id,
        s.outcome.as_str(),
        s.exit_code
    );
    println!("  {}", s.reason);
    if let Some(d) = &s.routing {
        println!(
            "  routed: {} / {:?} size / {:?} risk, confidence {:.2}; workflow {}",
            d.task_type.as_str(),
            d.size,
            d.risk,
            d.confidence,
            d.workflow
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(" → ")
        );
    }
    println!("  roles ran: {}", s.roles_ran.join(" → "));
    if s.injections_flagged > 0 {
        println!(
            "  suspected injections: {} in repository content or tool output (injection-suspected events in the audit log)",
            s.injections_flagged
        );
    }
    if s.risky_refused + s.risky_approved > 0 {
        println!(
            "  risky actions: {} refused, {} approved (risky-action events in the audit log)",
            s.risky_refused, s.risky_approved
        );
    }
    match s.verification_passed {
        Some(true) => println!("  verification: passed (gofmt, go vet, go build, go test)"),
        Some(false) => println!("  verification: FAILED"),
        None => println!("  verification: not run"),
    }
    if let Some(v) = &s.review_verdict {
        println!(
            "  review verdict: {v} after {} review loop(s)",
            s.review_loops
        );
    }
    for (role, st) in &s.per_role {
        let cost = match st.cost_usd {
            Some(c) => format!(", ${c:.4}"),
            None => String::new(),
        };
        println!(
            "  {role:<11} {} call(s), {} in + {} out tokens{}{cost}",
            st.calls,
            st.usage.input_tokens
                + st.usage.cached_input_tokens
                + st.usage.cache_creation_input_tokens,
            st.usage.output_tokens,
            if st.estimated { " (estimated)" } else { "" }
        );
    }
    let total: f64 = s.per_role.values().filter_map(|r| r.cost_usd).sum();
    if s.per_role.values().any(|r| r.cost_usd.is_some()) {
        println!(
            "  cost: ${total:.4} (price table: host/providers/prices.toml, overridable with [prices])"
        );
    }
    let t = s.timing_ms;
    println!(
        "  time: {:.1}s total = plugins {:.1}s (of which loading {:.1}s) + model {:.1}s + docker {:.1}s + other {:.1}s",
        t.total as f64 / 1e3,
        t.plugin as f64 / 1e3,
        t.plugin_load as f64 / 1e3,
        t.model as f64 / 1e3,
        t.docker as f64 / 1e3,
        t.other as f64 / 1e3
    );
    if let (Some(b), Some(c)) = (&s.branch, &s.commit) {
        println!("  branch: {b} at {}", &c[..c.len().min(12)]);
    }
    if let Some(p) = &s.patch {
        println!("  patch: {p}");
    }
    println!("  run directory: {}", s.run_dir);
}
