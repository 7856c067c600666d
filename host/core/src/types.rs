//! Data types shared by the host crates. They mirror the WIT package
//! `coop:mob` (see `wit/`); the plugin host converts between the two.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A role of the mob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Architect,
    Implementer,
    Reviewer,
    Navigator,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Architect,
        Role::Implementer,
        Role::Reviewer,
        Role::Navigator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Architect => "architect",
            Role::Implementer => "implementer",
            Role::Reviewer => "reviewer",
            Role::Navigator => "navigator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of work a task asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskType {
    Feature,
    Bugfix,
    Refactor,
    Docs,
    Test,
    Unclear,
}

impl TaskType {
    pub const ALL: [TaskType; 6] = [
        TaskType::Feature,
        TaskType::Bugfix,
        TaskType::Refactor,
        TaskType::Docs,
        TaskType::Test,
        TaskType::Unclear,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TaskType::Feature => "feature",
            TaskType::Bugfix => "bugfix",
            TaskType::Refactor => "refactor",
            TaskType::Docs => "docs",
            TaskType::Test => "test",
            TaskType::Unclear => "unclear",
        }
    }
}

/// Estimated size of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Size {
    Small,
    Medium,
    Large,
}

/// Risk class of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    Low,
    Medium,
    High,
}

/// The task as the user gave it. `text` is carried unchanged through every
/// handoff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub text: String,
}

/// A file of the repository, as the router sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFact {
    pub path: String,
    pub bytes: u64,
    /// Go package name (`package x` clause) or empty for non-Go files.
    pub package: String,
    pub is_test: bool,
}

/// Facts about the repository that the router may use. Gathered by the host
/// (the router plugin has no workspace access).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoFacts {
    pub module_path: String,
    pub packages: Vec<String>,
    pub files: Vec<FileFact>,
    pub has_tests: bool,
}

/// The router's decision for a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingDecision {
    #[serde(rename = "type")]
    pub task_type: TaskType,
    pub size: Size,
    pub risk: Risk,
    /// 0.0 ..= 1.0
    pub confidence: f32,
    /// Ordered roles the workflow will run.
    pub workflow: Vec<Role>,
    /// Which rules fired and why, one line each.
    pub rationale: Vec<String>,
}

/// A decision recorded in a handoff: who decided what, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub by: Role,
    pub what: String,
    pub why: String,
}

/// A file stored in the run directory, referenced by path and digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactRef {
    /// Path relative to the run directory.
    pub path: String,
    pub sha256: String,
    /// e.g. "design", "diff", "verification", "review".
    pub kind: String,
}

/// Severity of a review finding. Only `Blocking` findings send work back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Minor,
    Major,
    Blocking,
}

/// One finding of the reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub message: String,
    pub suggestion: Option<String>,
}

/// The reviewer's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Approve,
    RequestChanges,
    Escalate,
}

/// A proposed change to one file. Paths are relative to the repository root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FileEdit {
    /// Create or overwrite the whole file.
    Write { path: String, content: String },
    /// Replace exactly one occurrence of `old` by `new`.
    Replace {
        path: String,
        old: String,
        new: String,
    },
    /// Remove the file.
    Delete { path: String },
}

impl FileEdit {
    pub fn path(&self) -> &str {
        match self {
            FileEdit::Write { path, .. }
            | FileEdit::Replace { path, .. }
            | FileEdit::Delete { path } => path,
        }
    }

    /// The same edit of another path (the canonical spelling of its own).
    pub fn with_path(self, p: String) -> FileEdit {
        match self {
            FileEdit::Write { content, .. } => FileEdit::Write { path: p, content },
            FileEdit::Replace { old, new, .. } => FileEdit::Replace { path: p, old, new },
            FileEdit::Delete { .. } => FileEdit::Delete { path: p },
        }
    }
}

/// What happened to one proposed edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum EditOutcome {
    Applied { path: String },
    Rejected { path: String, reason: String },
}

/// The architect's output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Design {
    pub notes: String,
    pub files_in_scope: Vec<String>,
    pub plan: Vec<String>,
}

/// The implementer's output (the edits themselves went through the host's
/// edit import and are recorded there).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Implementation {
    pub summary: String,
    pub applied: Vec<String>,
    pub rejected: Vec<String>,
}

/// The reviewer's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub verdict: Verdict,
    pub summary: String,
    pub findings: Vec<Finding>,
}

/// The navigator's output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Navigation {
    pub summary: String,
    pub next_steps: Vec<String>,
    pub blockers: Vec<String>,
    /// A question for the user when requirements are unclear.
    pub question: Option<String>,
}

/// What a role returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RoleOutput {
    Design(Design),
    Implementation(Implementation),
    Review(Review),
    Navigation(Navigation),
}

/// Why a role could not produce its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The model's reply did not parse, even after one retry.
    UnparseableReply,
    /// The model import failed (provider error, timeout, cancelled).
    ModelError,
    /// The host denied a capability the role needed.
    Denied,
    /// The model or token budget is spent.
    BudgetExceeded,
    /// The handoff given to the role was not usable.
    InvalidInput,
    /// The plugin trapped, timed out or exceeded a limit.
    PluginFault,
}

/// A structured role failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleFailure {
    pub kind: FailureKind,
    pub message: String,
}

/// Token usage of one model call. Fields a provider does not report are 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    /// Prompt tokens billed at the normal input rate.
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Prompt tokens served from a provider-side cache.
    pub cached_input_tokens: u64,
    /// Prompt tokens written to a provider-side cache (Anthropic).
    pub cache_creation_input_tokens: u64,
    /// Output tokens spent on hidden reasoning (OpenAI), included in output_tokens.
    pub reasoning_tokens: u64,
}

impl Usage {
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.cache_creation_input_tokens += other.cache_creation_input_tokens;
        self.reasoning_tokens += other.reasoning_tokens;
    }
    pub fn total(&self) -> u64 {
        self.input_tokens
            + self.cached_input_tokens
            + self.cache_creation_input_tokens
            + self.output_tokens
    }
}

/// The structured handoff passed to a role. Serialized as JSON into the run
/// directory (`handoffs/NNN-<role>.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    /// Schema version of this structure.
    pub version: u32,
    pub seq: u32,
    pub task: Task,
    pub from: Option<Role>,
    pub to: Role,
    /// What the receiving role is asked to do in this step.
    pub goals: Vec<String>,
    pub constraints: Vec<String>,
    pub files_in_scope: Vec<String>,
    pub decisions: Vec<Decision>,
    pub next_actions: Vec<String>,
    pub blockers: Vec<String>,
    pub artifacts: Vec<ArtifactRef>,
    /// The architect's design notes, when there is a design.
    pub design_notes: Option<String>,
    /// Verification result of the current change, summarized for models.
    pub verification: Option<String>,
    /// The current diff against the base commit.
    pub diff: Option<String>,
    /// Open findings from the last review.
    pub findings: Vec<Finding>,
    /// 1-based review loop counter.
    pub attempt: u32,
    /// The last two steps (role outputs) verbatim, oldest first. Older steps
    /// are represented only by the decisions and blockers they produced
    /// (see [`crate::workflow`]: the deterministic summarizer).
    #[serde(default)]
    pub recent: Vec<StepRecord>,
    /// How many earlier steps were folded into decisions and blockers.
    #[serde(default)]
    pub summarized_steps: u32,
    /// What the host fitted into the receiving model's context window: the
    /// budget split, the working set, and what did not fit. Set by the host
    /// (the workflow core knows no model), `None` until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<ContextPack>,
}

pub const HANDOFF_VERSION: u32 = 2;

/// One step of a run as the next roles see it: a role's output, rendered
/// verbatim as text (the role's own words, not a summary).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Handoff sequence number of the step.
    pub seq: u32,
    pub role: Role,
    /// `design`, `implementation`, `review` or `navigation`.
    pub kind: String,
    pub text: String,
}

/// A part of a handoff's budget: persistent context, working set, recent steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// Task, goals, constraints, decisions, blockers, findings, design: 25 %.
    Persistent,
    /// Files, declarations and artifacts in scope (diff, verification): 50 %
    /// plus what the other two leave unused.
    Working,
    /// The last two steps verbatim: 25 %.
    Recent,
}

/// Tokens of one section.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionBudget {
    /// The section's share of the input budget (25 / 50 / 25 %).
    pub share: u64,
    /// What the section could use: its share, and for the working set the
    /// shares the others left unused (less any overflow of required
    /// persistent context).
    pub limit: u64,
    pub used: u64,
}

/// How one handoff's context window was spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextBudget {
    /// The receiving model's context window (tokens, from the configuration).
    pub window: u64,
    /// Kept free for the reply (the role's `max_tokens_per_call`).
    pub output_reserve: u64,
    /// Kept free for the plugin's own instructions and formatting.
    pub prompt_reserve: u64,
    /// `window - output_reserve - prompt_reserve`: what the three sections share.
    pub input: u64,
    pub persistent: SectionBudget,
    pub working: SectionBudget,
    pub recent: SectionBudget,
}

/// One piece of the working set: a whole file or one declaration's lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextItem {
    /// Path relative to the repository root.
    pub path: String,
    /// The declaration's name, or `None` for the whole file.
    pub decl: Option<String>,
    /// 1-based inclusive line range.
    pub start_line: u32,
    pub end_line: u32,
    pub tokens: u64,
    /// Why it was chosen (what the task or design named).
    pub reason: String,
    pub content: String,
}

/// Something that did not fit, dropped whole (never cut in the middle).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DroppedItem {
    pub section: Section,
    /// What it was, e.g. `file mathx/clamp.go`, `design notes`, `step 3 (reviewer)`.
    pub what: String,
    pub tokens: u64,
    pub reason: String,
    /// Where the full text is kept in the run directory, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
}

/// What the host fitted into the receiving model's context for one handoff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextPack {
    /// How tokens were counted: `tiktoken o200k_base`, `llama.cpp tokenizer
    /// at …`, `estimate: 3 bytes per token`, ….
    pub counter: String,
    pub budget: ContextBudget,
    /// Files and declarations chosen for this step, best first.
    pub working_set: Vec<ContextItem>,
    pub dropped: Vec<DroppedItem>,
}
