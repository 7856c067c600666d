//! The host side of the plugin imports for one run: brokered model calls
//! (provider choice, redaction, budget, recording, audit), confined workspace
//! reads, atomic edits, and plugin logs.

use coop_audit::{AuditLog, Redactor, write_atomic};
use coop_core::hash::sha256_hex;
use coop_core::{EditOutcome, FileEdit, FileFact, Role, Usage};
use coop_guard::{AllowSet, BatchView, Detector, RiskClass, classify};
use coop_plugin_host::{
    LogLevel, ModelCallError, PluginMessageRole, PluginModelReply, PluginModelRequest,
    RoleServices, WorkspaceCallError,
};
use coop_providers::{
    CancellationToken, ChatMessage, CompletionRequest, FinishReason, ModelClient, Recorder,
    RetryPolicy, complete_with_retry,
};
use coop_workspace::{WorkspaceError, Worktree};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Largest file a plugin may read.
pub const MAX_READ_BYTES: u64 = 512 * 1024;

/// The model a role talks to.
#[derive(Clone)]
pub struct RoleModel {
    pub client: Arc<dyn ModelClient>,
    pub model: String,
    pub provider: String,
}

/// Per-role accounting for the summary.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct RoleStats {
    pub calls: u32,
    pub usage: Usage,
    /// True when some call's usage was estimated because the provider sent none.
    pub estimated: bool,
    pub model_ms: u64,
    pub plugin_ms: u64,
    pub steps: u32,
    /// Cost in USD from the price table; None when the model has no price
    /// (local models: report tokens).
    pub cost_usd: Option<f64>,
}

/// Everything the services of one run share.
pub struct RunShared {
    pub rt: tokio::runtime::Handle,
    pub models: BTreeMap<Role, RoleModel>,
    pub worktree: Arc<Worktree>,
    pub audit: Arc<Mutex<AuditLog>>,
    pub redactor: Redactor,
    pub run_dir: PathBuf,
    pub cancel: CancellationToken,
    pub retry: RetryPolicy,
    pub budget_tokens: u64,
    pub budget_usd: Option<f64>,
    pub recorder: Recorder,
    pub recording_path: PathBuf,
    pub state: Mutex<Accounting>,
    pub prices: coop_providers::PriceTable,
    /// Test hook: SIGKILL this process right after audit event N is on disk
    /// (see `RunOptions::crash_after_event`).
    pub crash_after_event: Option<u64>,
    /// `[run] send_secret_files`: whether `.env`, key files and credential
    /// stores may be read at all.
    pub send_secret_files: bool,
    /// Risky-action policy and injection detection.
    pub guard: Guard,
    /// The run's sealed pre-approvals and answers (`approvals.json`), the
    /// only decisions a later replay or continuation honours.
    pub approvals: Mutex<crate::approvals::Sealer>,
}

/// Who says yes or no to a risky action that `--allow` did not pre-approve.
#[derive(Debug)]
pub enum Approver {
    /// Nobody can be asked (no terminal, a benchmark, a test): refuse.
    FailClosed,
    /// Ask on the terminal (stderr prompt, stdin answer).
    Terminal,
    /// Replaying or resuming a run: the user's earlier answers, in order;
    /// once they run out, `then` decides.
    Recorded {
        answers: Mutex<VecDeque<bool>>,
        then: Box<Approver>,
    },
}

impl Approver {
    /// `Terminal` when both stdin and stderr are terminals, else `FailClosed`.
    pub fn for_this_process() -> Approver {
        if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            Approver::Terminal
        } else {
            Approver::FailClosed
        }
    }

    /// Ask about one risky edit; `(approved, by)`.
    fn decide(&self, path: &str, classes: &[RiskClass]) -> (bool, &'static str) {
        match self {
            Approver::FailClosed => (false, "policy"),
            Approver::Recorded { answers, then } => match lock(answers).pop_front() {
                Some(a) => (a, "user"),
                None => then.decide(path, classes),
            },
            Approver::Terminal => {
                let what: Vec<&str> = classes.iter().map(|c| c.describe()).collect();
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\ncoop: a plugin proposes an edit of {path} that {}.\n      Allow it? (classes: {}) [y/N] ",
                    what.join("; and "),
                    classes
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let _ = err.flush();
                let mut line = String::new();
                let ok = std::io::stdin().lock().read_line(&mut line).is_ok()
                    && matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes");
                (ok, "user")
            }
        }
    }
}

/// The run's guard: what is pre-approved, who is asked otherwise, and the
/// injection detector over content that reaches plugins.
pub struct Guard {
    pub allow: AllowSet,
    pub approver: Approver,
    pub detector: Detector,
    /// The module path from go.mod: its own packages are not dependencies.
    pub module_path: String,
    /// (source, content sha) already scanned: a file read five times is
    /// flagged once.
    pub scanned: Mutex<BTreeSet<String>>,
}

impl Guard {
    pub fn new(allow: AllowSet, approver: Approver, module_path: String) -> Guard {
        Guard {
            allow,
            approver,
            detector: Detector::new(),
            module_path,
            scanned: Mutex::new(BTreeSet::new()),
        }
    }
}

#[derive(Debug, Default)]
pub struct Accounting {
    pub per_role: BTreeMap<Role, RoleStats>,
    pub used_tokens: u64,
    pub model_calls: u32,
    pub budget_hit: bool,
    pub audit_errors: u32,
    pub spent_usd: f64,
    /// Suspected embedded instructions flagged (`injection-suspected`).
    pub injections: u32,
    /// Risky actions refused / approved.
    pub risky_refused: u32,
    pub risky_approved: u32,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means another thread panicked while holding it;
    // the accounting data is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl RunShared {
    /// Append an audit event. A failed write is remembered: a run whose
    /// journal is incomplete cannot end as approved.
    pub fn audit(&self, event: &str, fields: serde_json::Value) {
        match lock(&self.audit).append(event, fields) {
            Ok(entry) if Some(entry.seq) == self.crash_after_event => kill_self(),
            Ok(_) => {}
            Err(e) => {
                tracing::error!("audit write failed: {e}");
                self.accounting().audit_errors += 1;
            }
        }
    }

    pub fn accounting(&self) -> MutexGuard<'_, Accounting> {
        lock(&self.state)
    }

    /// Scan content that is about to reach a plugin (and so a model) for
    /// embedded instructions; each hit becomes an `injection-suspected`
    /// audit event. `source` says where the content came from
    /// (`repo:<path>`, `verification`). Scanned once per distinct content.
    /// Repository text on its way to a model: scanned for embedded
    /// instructions (audited), redacted, and with invisible characters
    /// shown as `<U+XXXX>` markers (`coop_guard::neutralise_hidden`).
    pub fn repo_text_for_model(&self, source: &str, text: &str) -> String {
        self.scan_untrusted(source, text);
        let redacted = self.redactor.redact(text);
        coop_guard::neutralise_hidden(&redacted).into_owned()
    }

    pub fn scan_untrusted(&self, source: &str, text: &str) {
        let key = format!("{source}\0{}", sha256_hex(text.as_bytes()));
        if !lock(&self.guard.scanned).insert(key) {
            return;
        }
        let hits = self.guard.detector.scan(text);
        if hits.is_empty() {
            return;
        }
        self.accounting().injections += hits.len() as u32;
        for h in hits {
            self.audit(
                "injection-suspected",
                json!({"source": source, "line": h.line, "kind": h.kind.as_str(), "excerpt": self.redactor.redact(&h.excerpt)}),
            );
        }
    }
}

/// Die as `kill -9` would: no destructor, no flush, no cleanup runs. The
/// crash-and-resume tests use it (through `COOP_CRASH_AFTER_EVENT`) to stop
/// the host exactly at a step boundary. `kill` is a separate process, so no
/// unsafe code is needed; the wait never returns.
fn kill_self() -> ! {
    eprintln!("coop: COOP_CRASH_AFTER_EVENT reached: killing this process (SIGKILL)");
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &std::process::id().to_string()])
        .status();
    std::process::abort()
}

/// Rough token estimate (4 characters per token) where no tokenizer is
/// available; used for budget checks and for providers that report no usage.
pub fn estimate_tokens(chars: usize) -> u64 {
    chars.div_ceil(4) as u64
}

/// The `RoleServices` of one plugin call.
pub struct Services {
    pub shared: Arc<RunShared>,
    /// Files in scope of the handoff this call works on (empty: none
    /// declared); an edit outside them is a risky action.
    pub scope: Vec<String>,
    /// The audit log's `bytes_appended` when these services were made: one
    /// `Services` serves one plugin call, and plugin calls of a run never
    /// overlap, so the log's growth since is what this call caused.
    audit_start: u64,
}

impl Services {
    pub fn new(shared: Arc<RunShared>, scope: Vec<String>) -> Services {
        let audit_start = lock(&shared.audit).bytes_appended();
        Services {
            shared,
            scope,
            audit_start,
        }
    }

    /// Whether one proposed edit may be applied: `None` when it may, the
    /// rejection reason when a risky class was refused. Every decision on a
    /// risky class is audited.
    /// `previous`: the file as this edit will find it, after the earlier
    /// edits of its batch ([`BatchView`]).
    fn confirm(&self, e: &FileEdit, previous: Option<&str>) -> Option<String> {
        let s = &self.shared;
        let classes = classify(e, previous, &self.scope, &s.guard.module_path);
        if classes.is_empty() {
            return None;
        }
        let pending: Vec<RiskClass> = classes
            .iter()
            .copied()
            .filter(|c| !s.guard.allow.allows(*c))
            .collect();
        let (approved, by) = if pending.is_empty() {
            (true, "allow")
        } else {
            s.guard.approver.decide(e.path(), &pending)
        };
        if by == "user" {
            // Sealed before it is acted on, so a replay or continuation on
            // this host can honour it and one anywhere else cannot.
            if let Err(err) = lock(&s.approvals).record_answer(approved) {
                tracing::warn!("the answer will be asked again on a replay: {err}");
            }
        }
        s.audit(
            "risky-action",
            json!({
                "path": e.path(), "classes": classes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "asked": pending.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "decision": if approved { "approved" } else { "refused" }, "by": by,
            }),
        );
        let mut acc = s.accounting();
        if approved {
            acc.risky_approved += 1;
            return None;
        }
        acc.risky_refused += 1;
        let names: Vec<&str> = pending.iter().map(|c| c.as_str()).collect();
        let what: Vec<&str> = pending.iter().map(|c| c.describe()).collect();
        Some(format!(
            "refused: this edit {} and needs the user's confirmation, which was not given (a non-interactive run needs --allow {}); nothing was written",
            what.join(" and "),
            names.join(",")
        ))
    }
}

fn ws_err(e: WorkspaceError) -> WorkspaceCallError {
    match e {
        WorkspaceError::Path(p) => WorkspaceCallError::Denied(p.to_string()),
        WorkspaceError::TooLarge { size, .. } => WorkspaceCallError::TooLarge(size),
        WorkspaceError::NotAFile(p) => WorkspaceCallError::NotFound(p),
        WorkspaceError::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
            WorkspaceCallError::NotFound(path.display().to_string())
        }
        other => WorkspaceCallError::Invalid(other.to_string()),
    }
}

impl RoleServices for Services {
    fn complete(
        &mut self,
        role: Role,
        req: PluginModelRequest,
    ) -> Result<PluginModelReply, ModelCallError> {
        let s = &self.shared;
        if s.cancel.is_cancelled() {
            return Err(ModelCallError::Cancelled);
        }
        let Some(rm) = s.models.get(&role).cloned() else {
            return Err(ModelCallError::Denied(format!(
                "no model configured for role {role}"
            )));
        };
        // Redact before anything leaves the host.
        let messages: Vec<ChatMessage> = req
            .messages
            .iter()
            .map(|m| {
                let content = s.redactor.redact(&m.content).into_owned();
                match m.role {
                    PluginMessageRole::System => ChatMessage::system(content),
                    PluginMessageRole::User => ChatMessage::user(content),
                    PluginMessageRole::Assistant => ChatMessage::assistant(content),
                }
            })
            .collect();
        let prompt_chars: usize = messages.iter().map(|m| m.content.len()).sum();
        let estimate = estimate_tokens(prompt_chars) + u64::from(req.max_tokens);
        // Worst case of this call in money: the whole prompt at the input
        // rate plus max_tokens at the output rate.
        let worst_usd = s.prices.cost(
            &rm.model,
            &Usage {
                input_tokens: estimate_tokens(prompt_chars),
                output_tokens: u64::from(req.max_tokens),
                ..Usage::default()
            },
        );
        {
            let mut acc = s.accounting();
            if let (Some(limit), Some(worst)) = (s.budget_usd, worst_usd)
                && acc.spent_usd + worst > limit
            {
                acc.budget_hit = true;
                let msg = format!(
                    "this call could cost up to ${worst:.4}; ${:.4} of the budget of ${limit:.2} are spent",
                    acc.spent_usd
                );
                drop(acc);
                s.audit("budget-exceeded", json!({"role": role.as_str(), "kind": "money", "worst_usd": worst, "budget_usd": limit}));
                return Err(ModelCallError::BudgetExceeded(msg));
            }
            if acc.used_tokens + estimate > s.budget_tokens {
                acc.budget_hit = true;
                let msg = format!(
                    "this call could use up to {estimate} tokens; {} of the budget of {} are used",
                    acc.used_tokens, s.budget_tokens
                );
                drop(acc);
                s.audit("budget-exceeded", json!({"role": role.as_str(), "kind": "tokens", "estimate": estimate, "budget": s.budget_tokens}));
                return Err(ModelCallError::BudgetExceeded(msg));
            }
            acc.model_calls += 1;
        }
        let creq = CompletionRequest {
            model: rm.model.clone(),
            messages,
            max_tokens: req.max_tokens,
            temperature: req.temperature,
            json: req.json,
            json_schema: req.json_schema.clone(),
            purpose: role.as_str().to_string(),
        };
        let request_sha = coop_providers::canonical_request_sha256(&creq);
        let started = Instant::now();
        let result = s.rt.block_on(complete_with_retry(
            rm.client.as_ref(),
            &creq,
            &s.cancel,
            &s.retry,
        ));
        let elapsed = started.elapsed();
        let mut acc = s.accounting();
        let n = acc.model_calls;
        match result {
            Ok((c, attempts)) => {
                let mut usage = c.usage;
                let estimated = !c.usage_reported;
                if estimated {
                    usage.input_tokens = estimate_tokens(prompt_chars);
                    usage.output_tokens = estimate_tokens(c.text.len());
                }
                acc.used_tokens += usage.total();
                let cost = s
                    .prices
                    .cost(&c.model, &usage)
                    .or_else(|| s.prices.cost(&rm.model, &usage));
                acc.spent_usd += cost.unwrap_or(0.0);
                let st = acc.per_role.entry(role).or_default();
                if let Some(c) = cost {
                    st.cost_usd = Some(st.cost_usd.unwrap_or(0.0) + c);
                }
                st.calls += 1;
                st.usage.add(&usage);
                st.estimated |= estimated;
                st.model_ms += elapsed.as_millis() as u64;
                drop(acc);
                let ex = s.recorder.record(&creq, &c);
                let rel = format!("model/{n:03}-{role}.json");
                let record = json!({
                    "provider": rm.provider, "model": c.model, "purpose": role.as_str(),
                    "request_sha256": request_sha,
                    "request": serde_json::from_str::<serde_json::Value>(&s.redactor.redact(&c.request_body)).unwrap_or(json!(null)),
                    "response_text": s.redactor.redact(&c.text),
                    "finish_reason": c.finish_reason.as_str(),
                    "usage": usage, "usage_estimated": estimated, "attempts": attempts,
                    "duration_ms": elapsed.as_millis() as u64,
                    "exchange": ex,
                });
                let bytes = serde_json::to_vec_pretty(&record).unwrap_or_default();
                if let Err(e) = write_atomic(s.run_dir.join(&rel), &bytes) {
                    tracing::error!("cannot write {rel}: {e}");
                }
                if let Ok(rec) = s.recorder.snapshot().to_json_pretty()
                    && let Err(e) =
                        write_atomic(&s.recording_path, s.redactor.redact(&rec).as_bytes())
                {
                    tracing::error!("cannot write recording: {e}");
                }
                s.audit(
                    "model-call",
                    json!({
                        "role": role.as_str(), "provider": rm.provider, "model": c.model,
                        "request_sha256": request_sha, "response_sha256": sha256_hex(c.text.as_bytes()),
                        "usage": usage, "usage_estimated": estimated, "attempts": attempts, "cost_usd": cost,
                        "duration_ms": elapsed.as_millis() as u64, "record": rel, "record_sha256": sha256_hex(&bytes),
                    }),
                );
                Ok(PluginModelReply {
                    text: c.text,
                    usage,
                    model: c.model,
                    truncated: matches!(
                        c.finish_reason,
                        FinishReason::Length | FinishReason::Repetition
                    ),
                })
            }
            Err(e) => {
                let st = acc.per_role.entry(role).or_default();
                st.model_ms += elapsed.as_millis() as u64;
                drop(acc);
                let cancelled = matches!(e, coop_providers::ProviderError::Cancelled);
                let msg = s.redactor.redact(&e.to_string()).into_owned();
                s.audit(
                    "model-call-failed",
                    json!({"role": role.as_str(), "provider": rm.provider, "model": rm.model, "request_sha256": request_sha,
                           "error": msg, "duration_ms": elapsed.as_millis() as u64}),
                );
                if cancelled {
                    Err(ModelCallError::Cancelled)
                } else {
                    Err(ModelCallError::Provider(msg))
                }
            }
        }
    }

    fn list_files(&mut self) -> Result<Vec<FileFact>, WorkspaceCallError> {
        let wt = &self.shared.worktree;
        let files = wt.list_files().map_err(ws_err)?;
        let send_secrets = self.shared.send_secret_files;
        Ok(files
            .into_iter()
            .filter(|p| send_secrets || !coop_workspace::is_secret_file(p))
            .map(|p| {
                let bytes = wt
                    .resolve(&p)
                    .ok()
                    .and_then(|abs| std::fs::metadata(abs).ok())
                    .map(|m| m.len())
                    .unwrap_or(0);
                FileFact {
                    is_test: p.ends_with("_test.go"),
                    package: String::new(),
                    bytes,
                    path: p,
                }
            })
            .collect())
    }

    fn read_file(&mut self, path: &str) -> Result<String, WorkspaceCallError> {
        if !self.shared.send_secret_files && coop_workspace::is_secret_file(path) {
            let reason = "a secret file (.env, key, credential store) is never sent to a model unless [run] send_secret_files = true";
            self.shared
                .audit("read-denied", json!({"path": path, "reason": reason}));
            return Err(WorkspaceCallError::Denied(format!("{path}: {reason}")));
        }
        let r = self
            .shared
            .worktree
            .read_file(path, MAX_READ_BYTES)
            .map_err(ws_err);
        if let Err(WorkspaceCallError::Denied(reason)) = &r {
            self.shared
                .audit("read-denied", json!({"path": path, "reason": reason}));
        }
        let text = r?;
        Ok(self
            .shared
            .repo_text_for_model(&format!("repo:{path}"), &text))
    }

    fn propose_edits(&mut self, edits: Vec<FileEdit>) -> Vec<EditOutcome> {
        // Risky edits the user did not confirm are refused before anything
        // is applied; the rest go to the worktree in the proposed order.
        // Each edit is judged against the file as the batch's earlier
        // (applied) edits leave it, so a risky line cannot be built in
        // steps that each look harmless.
        let mut view = BatchView::new();
        let refusals: Vec<Option<String>> = edits
            .iter()
            .map(|e| {
                let previous = view.current(e.path(), || {
                    self.shared
                        .worktree
                        .read_file(e.path(), MAX_READ_BYTES)
                        .ok()
                });
                let refusal = self.confirm(e, previous.as_deref());
                if refusal.is_none() {
                    view.record(e, previous);
                }
                refusal
            })
            .collect();
        let allowed: Vec<FileEdit> = edits
            .iter()
            .zip(&refusals)
            .filter(|(_, r)| r.is_none())
            .map(|(e, _)| e.clone())
            .collect();
        let mut applied = self.shared.worktree.apply_edits(&allowed).into_iter();
        let outcomes: Vec<EditOutcome> = edits
            .iter()
            .zip(refusals)
            .map(|(e, r)| match r {
                Some(reason) => EditOutcome::Rejected {
                    path: e.path().to_string(),
                    reason,
                },
                None => applied.next().unwrap_or_else(|| EditOutcome::Rejected {
                    path: e.path().to_string(),
                    reason: "not applied".into(),
                }),
            })
            .collect();
        for (e, o) in edits.iter().zip(outcomes.iter()) {
            let kind = match e {
                FileEdit::Write { .. } => "write",
                FileEdit::Replace { .. } => "replace",
                FileEdit::Delete { .. } => "delete",
            };
            let content_sha = match e {
                FileEdit::Write { content, .. } => Some(sha256_hex(content.as_bytes())),
                FileEdit::Replace { new, .. } => Some(sha256_hex(new.as_bytes())),
                FileEdit::Delete { .. } => None,
            };
            match o {
                EditOutcome::Applied { path } => self.shared.audit(
                    "edit-applied",
                    json!({"path": path, "kind": kind, "content_sha256": content_sha}),
                ),
                EditOutcome::Rejected { path, reason } => self.shared.audit(
                    "edit-rejected",
                    json!({"path": path, "kind": kind, "reason": reason}),
                ),
            }
        }
        outcomes
    }

    fn log(&mut self, plugin: &str, level: LogLevel, message: &str) {
        let lvl = match level {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        };
        self.shared.audit(
            "plugin-log",
            json!({"plugin": plugin, "level": lvl, "message": message}),
        );
    }

    fn denied(&mut self, plugin: &str, capability: &str, detail: &str) {
        self.shared.audit(
            "denied",
            json!({"plugin": plugin, "capability": capability, "detail": detail}),
        );
    }

    fn audit_bytes(&self) -> u64 {
        lock(&self.shared.audit)
            .bytes_appended()
            .saturating_sub(self.audit_start)
    }
}

/// Time a closure; used for plugin time accounting.
pub fn timed<R>(f: impl FnOnce() -> R) -> (R, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}
