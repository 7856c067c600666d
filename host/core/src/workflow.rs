//! The workflow state machine: state + event → next command.
//!
//! The orchestrator (in the CLI) owns all I/O: it runs the command the
//! machine asks for (call a role plugin, verify in Docker, finish) and feeds
//! back what happened as an [`Event`]. The machine decides what comes next:
//! which role, with which handoff, whether a review sends work back, and how
//! the run ends. Being pure, it is tested exhaustively and replays exactly.

use crate::exit::Outcome;
use crate::types::*;
use serde::{Deserialize, Serialize};

/// Rules the workflow follows (from the strategy document's escalation rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// How many times a review may send work back to the implementer.
    pub max_review_loops: u32,
    /// The kinds of persisting disagreement the user lets the host settle
    /// against the Reviewer's objection, as the conflict table says
    /// (implementation details for the Implementer, style by gofmt and go
    /// vet). Empty by default: then a repeated objection goes to the user,
    /// and a run is approved only with the Reviewer's approval. Only
    /// [`SETTLEABLE`] kinds have a settlement that approves.
    #[serde(default)]
    pub settle: Vec<crate::conflict::ConflictKind>,
    /// The project's own instructions (its AGENTS.md, CLAUDE.md, ... as the
    /// host read them from the base commit, redacted and cut to size):
    /// every role receives them after the standard constraints, in every
    /// handoff, as required context that is never dropped.
    #[serde(default)]
    pub project_instructions: Vec<String>,
    /// How many tries in a row fix a change that fails verification in
    /// place before the next try starts over from the base commit (the
    /// failing change discarded, its failures carried to the next try).
    /// A small model shown its own broken files copies them back: in the
    /// live set recorded on 2026-12-07, 7 of the 12 runs that reached a
    /// third try got their second reply again, token for token, at
    /// temperature 0.6. Starting over gives it a fresh sample to write.
    /// `u32::MAX` always repairs in place; 0 always starts over.
    #[serde(default = "default_repair_tries")]
    pub repair_tries: u32,
}

fn default_repair_tries() -> u32 {
    1
}

/// The kinds whose conflict-table settlement would approve a change over
/// the Reviewer's objection; the others never approve (safety and
/// architecture: the Reviewer's or Architect's objection stands; unclear
/// requirements: the user decides).
pub const SETTLEABLE: [crate::conflict::ConflictKind; 2] = [
    crate::conflict::ConflictKind::ImplementationDetail,
    crate::conflict::ConflictKind::Style,
];

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_review_loops: 2,
            settle: Vec::new(),
            project_instructions: Vec::new(),
            repair_tries: default_repair_tries(),
        }
    }
}

/// Who does the work: the routed mob of roles, or one model alone (the
/// benchmark's baseline).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// The roles the router chose, with reviews and escalation rules.
    #[default]
    Mob,
    /// One model (the implementer's) does the whole task. It gets the same
    /// verification feedback and the same number of tries as the mob's
    /// implementer (1 + `max_review_loops`), and no review: the run is
    /// approved when verification passes.
    Solo,
}

/// What the orchestrator must do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run `role` on `handoff`.
    CallRole { role: Role, handoff: Box<Handoff> },
    /// Verify the current worktree (gofmt, vet, build, test).
    Verify,
    /// Discard the current change: put the worktree back to the base
    /// commit, so the next implementer step starts over (see
    /// [`Policy::repair_tries`]). The discarded change is already kept
    /// with the verification that rejected it. The orchestrator answers
    /// with [`Event::Discarded`].
    Discard,
    /// Route again: the user answered a question about an unclear request
    /// and the plan has no implementer left. `text` is the task text followed
    /// by the user's answers; the orchestrator runs the router on it and
    /// feeds back [`Event::Routed`].
    Route { text: String },
    /// End the run.
    Finish { outcome: Outcome, reason: String },
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A role returned structured output.
    RoleDone { role: Role, output: RoleOutput },
    /// A role reported a structured failure.
    RoleFailed { role: Role, failure: RoleFailure },
    /// Verification finished. `diff` is the change so far; `summary` is the
    /// report as text for models.
    Verified {
        passed: bool,
        summary: String,
        diff: String,
        artifacts: Vec<ArtifactRef>,
    },
    /// The verification itself could not run (Docker down, image missing).
    VerifyError { message: String },
    /// The worktree is back at the base commit after a [`Command::Discard`].
    Discarded,
    /// The router's decision after a [`Command::Route`].
    Routed { decision: RoutingDecision },
    /// The router failed after a [`Command::Route`].
    RouteFailed { message: String },
}

/// Where the machine stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Waiting for the role at `pos` of the plan.
    AwaitRole,
    /// Waiting for verification after an implementer step.
    AwaitVerify,
    /// Waiting for the router after a [`Command::Route`].
    AwaitRoute,
    /// Waiting for the worktree to be reset after a [`Command::Discard`].
    AwaitDiscard,
    Done,
}

/// The workflow state. Serializable so a run can be inspected and resumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub policy: Policy,
    #[serde(default)]
    pub mode: Mode,
    pub task: Task,
    pub task_type: TaskType,
    pub plan: Vec<Role>,
    pub pos: usize,
    pub phase: Phase,
    pub seq: u32,
    pub review_loops: u32,
    pub implemented: bool,
    pub last_from: Option<Role>,
    pub files_in_scope: Vec<String>,
    pub decisions: Vec<Decision>,
    pub blockers: Vec<String>,
    pub next_actions: Vec<String>,
    pub artifacts: Vec<ArtifactRef>,
    pub design_notes: Option<String>,
    pub root_cause: Vec<Finding>,
    pub verification: Option<String>,
    pub verification_passed: Option<bool>,
    pub diff: Option<String>,
    pub open_findings: Vec<Finding>,
    /// Fingerprints of the blocking findings of the previous review.
    pub last_fingerprints: Vec<String>,
    /// Whether a persisting disagreement already sent the work back to the
    /// architect (at most once per run).
    #[serde(default)]
    pub rerouted: bool,
    /// Whether a persisting disagreement on what the task requires already
    /// went to the navigator (at most once per run; the next one goes to
    /// the user).
    #[serde(default)]
    pub navigated: bool,
    /// sha256 of the diff the reviewer last sent back, to tell a revision
    /// that changed something from one that did not.
    #[serde(default)]
    pub reviewed_diff: Option<String>,
    /// Tries in a row since the last start that fixed a failing change in
    /// place (see [`Policy::repair_tries`]).
    #[serde(default)]
    pub repairs_in_a_row: u32,
    /// The next implementer step starts over from the base commit: its
    /// handoff has no diff and its verification is the discarded try's.
    #[serde(default)]
    pub starting_over: bool,
    /// Files the implementer's edits brought into the scope since the run
    /// (or the last start over) began: a discarded change takes them out
    /// again, so a try that starts over is not pointed at files that no
    /// longer exist.
    #[serde(default)]
    pub scope_from_changes: Vec<String>,
    /// Decisions the machine took on its own (conflict resolution, re-routing),
    /// with their rationale, in order. The orchestrator audits each one.
    #[serde(default)]
    pub notes: Vec<WorkflowNote>,
    pub outcome: Option<(Outcome, String)>,
    /// The user's answers to escalations (`coop answer`), in order. An
    /// escalation consumes the next unused one and the run continues;
    /// without one, the run ends escalated and waits for the user.
    #[serde(default)]
    pub answers: Vec<String>,
    /// How many of `answers` were consumed.
    #[serde(default)]
    pub answered: usize,
    /// Each consumed answer with its question, carried to every later role
    /// as a constraint (the task text itself stays unchanged).
    #[serde(default)]
    pub clarifications: Vec<String>,
    /// Every role step's output, verbatim, in order. Handoffs carry the last
    /// [`RECENT_STEPS`] of them; older ones live on only as the decisions
    /// and blockers they produced.
    #[serde(default)]
    pub steps: Vec<StepRecord>,
}

/// How many steps a handoff carries verbatim (the strategy document: "keep
/// the last two handoffs verbatim, summarize older context into decisions
/// and blockers").
pub const RECENT_STEPS: usize = 2;

/// Prefix of the blockers an implementer step leaves (its rejected edits).
/// The next implementer step replaces them; every other blocker stays until
/// the run ends.
pub const EDIT_REJECTED: &str = "edit rejected: ";

/// A role's output as the text later roles read verbatim.
pub fn step_text(output: &RoleOutput) -> String {
    let mut t = String::new();
    let list = |t: &mut String, label: &str, items: &[String]| {
        if !items.is_empty() {
            t.push_str(&format!("\n{label}:\n"));
            for i in items {
                t.push_str(&format!("- {i}\n"));
            }
        }
    };
    match output {
        RoleOutput::Design(d) => {
            t.push_str(d.notes.trim_end());
            t.push('\n');
            list(&mut t, "files in scope", &d.files_in_scope);
            list(&mut t, "plan", &d.plan);
        }
        RoleOutput::Implementation(i) => {
            t.push_str(i.summary.trim_end());
            t.push('\n');
            list(&mut t, "applied", &i.applied);
            list(&mut t, "rejected", &i.rejected);
        }
        RoleOutput::Review(r) => {
            t.push_str(&format!(
                "verdict: {}\n{}\n",
                verdict_name(r.verdict),
                r.summary.trim_end()
            ));
            let f: Vec<String> = r.findings.iter().map(finding_text).collect();
            list(&mut t, "findings", &f);
        }
        RoleOutput::Navigation(n) => {
            t.push_str(n.summary.trim_end());
            t.push('\n');
            list(&mut t, "next steps", &n.next_steps);
            list(&mut t, "blockers", &n.blockers);
            if let Some(q) = &n.question {
                t.push_str(&format!("\nquestion for the user: {q}\n"));
            }
        }
    }
    t
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Approve => "approve",
        Verdict::RequestChanges => "request-changes",
        Verdict::Escalate => "escalate",
    }
}

/// One finding as a line of text.
pub fn finding_text(f: &Finding) -> String {
    let sev = match f.severity {
        Severity::Info => "info",
        Severity::Minor => "minor",
        Severity::Major => "major",
        Severity::Blocking => "blocking",
    };
    let loc = match (&f.file, f.line) {
        (Some(file), Some(line)) => format!(" {file}:{line}"),
        (Some(file), None) => format!(" {file}"),
        _ => String::new(),
    };
    let sugg = f
        .suggestion
        .as_deref()
        .map(|s| format!(" (suggestion: {s})"))
        .unwrap_or_default();
    format!("[{sev}]{loc} {}{sugg}", f.message)
}

/// A decision of the workflow itself, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowNote {
    pub kind: String,
    pub rationale: String,
}

/// What verification reports when the worktree has no change at all.
pub const EMPTY_CHANGE: &str = "Verification FAILED: the change is empty. No edit was applied (every proposed edit was \
rejected, or none was proposed), so the repository is unchanged and the task is not done.";

/// Heads the verification output a try that starts over receives.
pub const DISCARDED_TRY: &str = "The earlier try below was discarded (the files are back as they were before it); \
this is what verification reported on it:";

/// The constraints every role receives.
pub fn standard_constraints() -> Vec<String> {
    vec![
        "Go only; standard library only unless the module already depends on something".into(),
        "Keep the change as small as the task allows; do not change unrelated code".into(),
        "Keep existing exported APIs unless the task asks to change them".into(),
        "Code must be gofmt-formatted and pass go vet, go build and go test".into(),
    ]
}

/// A normalized fingerprint of a finding, for "the same finding again":
/// file plus the message's lower-cased alphanumeric words, ignoring line
/// numbers (which move when code is edited).
pub fn fingerprint(f: &Finding) -> String {
    let words: Vec<String> = f
        .message
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| w.to_lowercase())
        .collect();
    format!("{}|{}", f.file.as_deref().unwrap_or(""), words.join(" "))
}

impl Workflow {
    /// Start a workflow for `task` with the router's decision. Returns the
    /// machine and its first command.
    pub fn start(task: Task, decision: &RoutingDecision, policy: Policy) -> (Workflow, Command) {
        let mut w = Workflow {
            policy,
            mode: Mode::Mob,
            task,
            task_type: decision.task_type,
            plan: decision.workflow.clone(),
            pos: 0,
            phase: Phase::AwaitRole,
            seq: 0,
            review_loops: 0,
            implemented: false,
            last_from: None,
            files_in_scope: Vec::new(),
            decisions: Vec::new(),
            blockers: Vec::new(),
            next_actions: Vec::new(),
            artifacts: Vec::new(),
            design_notes: None,
            root_cause: Vec::new(),
            verification: None,
            verification_passed: None,
            diff: None,
            open_findings: Vec::new(),
            last_fingerprints: Vec::new(),
            rerouted: false,
            navigated: false,
            reviewed_diff: None,
            repairs_in_a_row: 0,
            starting_over: false,
            scope_from_changes: Vec::new(),
            notes: Vec::new(),
            outcome: None,
            answers: Vec::new(),
            answered: 0,
            clarifications: Vec::new(),
            steps: Vec::new(),
        };
        if w.plan.is_empty() {
            let c = w.finish(
                Outcome::InternalError,
                "the router chose an empty workflow".into(),
            );
            return (w, c);
        }
        let c = w.call_current();
        (w, c)
    }

    /// Start a solo run: one implementer does the whole task, with
    /// verification feedback after each try (see [`Mode::Solo`]). The
    /// router's decision is kept for the record (task type), not followed.
    pub fn start_solo(
        task: Task,
        decision: &RoutingDecision,
        policy: Policy,
    ) -> (Workflow, Command) {
        let solo = RoutingDecision {
            workflow: vec![Role::Implementer],
            ..decision.clone()
        };
        let (mut w, _) = Workflow::start(task, &solo, policy);
        w.mode = Mode::Solo;
        w.seq = 0;
        let c = w.call_current();
        (w, c)
    }

    /// The user's answers to this run's escalations, in order (from
    /// `coop answer`). Set right after `start`: no escalation can happen
    /// before the first role has answered.
    pub fn set_answers(&mut self, answers: Vec<String>) {
        self.answers = answers;
    }

    /// The text a re-route works on: the unchanged task text followed by the
    /// user's answers.
    pub fn clarified_text(&self) -> String {
        let mut t = self.task.text.clone();
        for c in &self.clarifications {
            t.push_str("\n\n");
            t.push_str(c);
        }
        t
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    fn finish(&mut self, outcome: Outcome, reason: String) -> Command {
        self.phase = Phase::Done;
        self.outcome = Some((outcome, reason.clone()));
        Command::Finish { outcome, reason }
    }

    fn current(&self) -> Option<Role> {
        self.plan.get(self.pos).copied()
    }

    /// Whether the reviewer at `pos` runs before any change exists (root-cause
    /// analysis in a bug fix) or reviews a change.
    fn reviewer_reviews_change(&self) -> bool {
        self.implemented
    }

    fn goals_for(&self, role: Role) -> Vec<String> {
        let g: &str = match role {
            Role::Architect if self.rerouted && self.implemented => {
                "The reviewer and the implementer disagree on the findings below: revise the design so that they are \
                 resolved, and say exactly what the implementer must change"
            }
            Role::Architect if !self.root_cause.is_empty() => {
                "Design the fix strategy for the root cause the reviewer found: the files to change, the exact change, \
                 a regression test, and the risks"
            }
            Role::Architect if self.task_type == TaskType::Refactor => {
                "Design the refactoring: what moves or is renamed, exact new signatures, and how behaviour is kept unchanged"
            }
            Role::Architect => {
                "Design the change: files in scope, exact Go signatures, edge cases, tests, and an ordered plan"
            }
            Role::Implementer if self.starting_over => {
                "An earlier try at this task failed verification and was discarded: the files shown are as they were \
                 before it. Write the change again from the start, avoiding what made that try fail (its verification \
                 output is below)"
            }
            Role::Implementer
                if self.mode == Mode::Solo && self.verification_passed == Some(false) =>
            {
                "Your previous change fails verification: fix every failure listed in the verification output, changing nothing else. \
                 Where a test fails, decide from the task whether the code or the test's expected value is wrong, and fix that one"
            }
            Role::Implementer if self.mode == Mode::Solo => {
                "You work alone on this task: read the request and the code, decide the change, and write it as concrete file \
                 edits, with tests where the task changes behaviour"
            }
            Role::Implementer if self.verification_passed == Some(false) => {
                "Address every blocking review finding and every verification failure, changing nothing else. Where a test \
                 fails, decide from the task whether the code or the test's expected value is wrong, and fix that one"
            }
            Role::Implementer if self.review_loops > 0 => {
                "Address every blocking review finding and every verification failure, changing nothing else"
            }
            Role::Implementer if self.task_type == TaskType::Docs => {
                "Write the documentation the task asks for (doc comments, README), without changing behaviour"
            }
            Role::Implementer if self.task_type == TaskType::Test => {
                "Write the tests the task asks for, without changing non-test code unless a test reveals a bug"
            }
            Role::Implementer => "Implement the design as concrete file edits, with tests",
            Role::Reviewer if self.reviewer_reviews_change() => {
                "Review the change against the task and design, using the verification output as evidence; give a verdict"
            }
            Role::Reviewer => {
                "Analyse the reported bug: locate its root cause (file and line) and explain it; do not fix it"
            }
            Role::Navigator if self.navigated && self.implemented => {
                "The reviewer and the implementer disagree on what the task requires (the findings below): decide from the \
                 request what it requires and say it as next steps for the implementer; if the request cannot settle it, \
                 ask the user one precise question"
            }
            Role::Navigator => {
                "Decide whether the request is clear enough to act on; if not, ask the user one precise question"
            }
        };
        vec![g.to_string()]
    }

    fn call_current(&mut self) -> Command {
        let Some(role) = self.current() else {
            return self.end_of_plan();
        };
        self.seq += 1;
        let mut findings = self.open_findings.clone();
        if role != Role::Reviewer
            && findings.is_empty()
            && !self.root_cause.is_empty()
            && !self.implemented
        {
            findings = self.root_cause.clone();
        }
        let handoff = Handoff {
            version: HANDOFF_VERSION,
            seq: self.seq,
            task: self.task.clone(),
            from: self.last_from,
            to: role,
            goals: self.goals_for(role),
            constraints: standard_constraints()
                .into_iter()
                .chain(self.policy.project_instructions.iter().cloned())
                .chain(self.clarifications.iter().cloned())
                .collect(),
            files_in_scope: self.files_in_scope.clone(),
            decisions: self.decisions.clone(),
            next_actions: self.next_actions.clone(),
            blockers: self.blockers.clone(),
            artifacts: self.artifacts.clone(),
            design_notes: self.design_notes.clone(),
            verification: self.verification.clone(),
            diff: self.diff.clone(),
            findings,
            attempt: self.review_loops + 1,
            recent: self.steps[self.steps.len().saturating_sub(RECENT_STEPS)..].to_vec(),
            summarized_steps: self.steps.len().saturating_sub(RECENT_STEPS) as u32,
            context: None,
        };
        self.phase = Phase::AwaitRole;
        Command::CallRole {
            role,
            handoff: Box::new(handoff),
        }
    }

    fn advance(&mut self) -> Command {
        self.pos += 1;
        self.call_current()
    }

    fn end_of_plan(&mut self) -> Command {
        if !self.implemented {
            return self.escalate(
                Role::Navigator,
                "the workflow ended without a change; the request needs the user's input".into(),
                "The workflow ended without a change. What exactly should change?".into(),
                AfterAnswer::Reroute,
            );
        }
        match self.verification_passed {
            Some(true) => self.finish(
                Outcome::Approved,
                "verified; no reviewer step in the workflow objected".into(),
            ),
            _ => self.finish(
                Outcome::VerificationFailed,
                "the change does not pass verification".into(),
            ),
        }
    }

    fn add_scope(&mut self, files: &[String]) {
        for f in files {
            if !self.files_in_scope.contains(f) {
                self.files_in_scope.push(f.clone());
            }
        }
    }

    /// Feed an event; get the next command. Events that do not fit the
    /// current phase end the run as an internal error rather than being
    /// guessed at.
    pub fn handle(&mut self, event: Event) -> Command {
        if self.phase == Phase::Done {
            let (o, r) = self
                .outcome
                .clone()
                .unwrap_or((Outcome::InternalError, "finished".into()));
            return Command::Finish {
                outcome: o,
                reason: r,
            };
        }
        match (self.phase, event) {
            (Phase::AwaitRole, Event::RoleDone { role, output })
                if Some(role) == self.current() =>
            {
                self.on_role_done(role, output)
            }
            (Phase::AwaitRole, Event::RoleFailed { role, failure })
                if Some(role) == self.current() =>
            {
                let outcome = match failure.kind {
                    FailureKind::BudgetExceeded => Outcome::BudgetExceeded,
                    FailureKind::ModelError => Outcome::ProviderFailed,
                    _ => Outcome::RoleFailed,
                };
                self.finish(
                    outcome,
                    format!("{role} failed ({:?}): {}", failure.kind, failure.message),
                )
            }
            (
                Phase::AwaitVerify,
                Event::Verified {
                    passed,
                    summary,
                    diff,
                    artifacts,
                },
            ) => {
                // An empty change never passes: the tools would pass the
                // untouched base, and the task would be "done" with nothing done.
                let (passed, summary) = if diff.trim().is_empty() {
                    (false, format!("{EMPTY_CHANGE}\n{summary}"))
                } else {
                    (passed, summary)
                };
                self.verification_passed = Some(passed);
                if passed {
                    self.repairs_in_a_row = 0;
                }
                self.verification = Some(summary);
                self.diff = Some(diff);
                for a in artifacts {
                    self.artifacts.retain(|x| x.path != a.path);
                    self.artifacts.push(a);
                }
                self.last_from = Some(Role::Implementer);
                if self.mode == Mode::Solo {
                    return self.after_solo_verify(passed);
                }
                if !passed {
                    return self.after_failed_verify();
                }
                self.advance()
            }
            (Phase::AwaitVerify, Event::VerifyError { message }) => self.finish(
                Outcome::InternalError,
                format!("verification could not run: {message}"),
            ),
            (Phase::AwaitDiscard, Event::Discarded) => self.call_current(),
            (Phase::AwaitRoute, Event::Routed { decision }) => self.on_routed(decision),
            (Phase::AwaitRoute, Event::RouteFailed { message }) => self.finish(
                Outcome::RoleFailed,
                format!("the router failed on the clarified request: {message}"),
            ),
            (phase, ev) => self.finish(
                Outcome::InternalError,
                format!("unexpected event in phase {phase:?}: {}", event_name(&ev)),
            ),
        }
    }

    fn on_role_done(&mut self, role: Role, output: RoleOutput) -> Command {
        self.last_from = Some(role);
        self.steps.push(StepRecord {
            seq: self.seq,
            role,
            kind: output_kind(&output).into(),
            text: step_text(&output),
        });
        match (role, output) {
            (Role::Architect, RoleOutput::Design(d)) => {
                self.add_scope(&d.files_in_scope);
                self.next_actions = d.plan.clone();
                self.decisions.push(Decision {
                    by: Role::Architect,
                    what: format!("design with {} file(s) in scope", d.files_in_scope.len()),
                    why: first_line(&d.notes),
                });
                self.design_notes = Some(d.notes);
                self.advance()
            }
            (Role::Implementer, RoleOutput::Implementation(i)) => {
                self.implemented = true;
                self.starting_over = false;
                for f in &i.applied {
                    if !self.files_in_scope.contains(f) {
                        self.scope_from_changes.push(f.clone());
                    }
                }
                self.add_scope(&i.applied);
                // This step's rejected edits replace the previous step's;
                // every other blocker stays open.
                self.blockers.retain(|b| !b.starts_with(EDIT_REJECTED));
                self.blockers
                    .extend(i.rejected.iter().map(|r| format!("{EDIT_REJECTED}{r}")));
                self.decisions.push(Decision {
                    by: Role::Implementer,
                    what: format!(
                        "applied edits to {}",
                        if i.applied.is_empty() {
                            "no files".into()
                        } else {
                            i.applied.join(", ")
                        }
                    ),
                    why: first_line(&i.summary),
                });
                self.phase = Phase::AwaitVerify;
                Command::Verify
            }
            (Role::Reviewer, RoleOutput::Review(r)) => self.on_review(r),
            (Role::Navigator, RoleOutput::Navigation(n)) => {
                self.next_actions = n.next_steps.clone();
                for b in &n.blockers {
                    if !self.blockers.contains(b) {
                        self.blockers.push(b.clone());
                    }
                }
                if let Some(q) = n.question {
                    self.decisions.push(Decision {
                        by: Role::Navigator,
                        what: "ask the user".into(),
                        why: q.clone(),
                    });
                    return self.escalate(
                        Role::Navigator,
                        format!("the navigator asks: {q}"),
                        q,
                        AfterAnswer::Advance,
                    );
                }
                self.advance()
            }
            (role, out) => self.finish(
                Outcome::RoleFailed,
                format!(
                    "{role} returned {} output, which that role does not produce",
                    output_kind(&out)
                ),
            ),
        }
    }

    fn on_review(&mut self, r: Review) -> Command {
        self.decisions.push(Decision {
            by: Role::Reviewer,
            what: format!("verdict {:?}", r.verdict).to_lowercase(),
            why: first_line(&r.summary),
        });
        if r.verdict == Verdict::Escalate {
            let then = if self.reviewer_reviews_change() {
                AfterAnswer::BackToImplementer
            } else {
                AfterAnswer::Advance
            };
            let q = first_line(&r.summary);
            return self.escalate(
                Role::Reviewer,
                format!("the reviewer escalates to the user: {}", r.summary),
                q,
                then,
            );
        }
        if !self.reviewer_reviews_change() {
            // Root-cause analysis before any change: its findings guide the
            // architect and implementer; nothing is sent back.
            self.root_cause = r.findings.clone();
            self.add_scope(
                &r.findings
                    .iter()
                    .filter_map(|f| f.file.clone())
                    .collect::<Vec<_>>(),
            );
            return self.advance();
        }
        let mut blocking: Vec<Finding> = r
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Blocking)
            .cloned()
            .collect();
        if self.verification_passed != Some(true) {
            // Objective evidence outranks a verdict: a change that fails
            // verification is never approved.
            blocking.push(Finding {
                severity: Severity::Blocking,
                file: None,
                line: None,
                message: "verification (gofmt, go vet, go build, go test) fails".into(),
                suggestion: Some("fix the failures listed in the verification output".into()),
            });
        }
        if blocking.is_empty() {
            self.open_findings.clear();
            return self.finish(
                Outcome::Approved,
                "verified and approved by the reviewer".into(),
            );
        }
        let fps: Vec<String> = blocking.iter().map(fingerprint).collect();
        let repeated = !self.last_fingerprints.is_empty()
            && fps.iter().all(|f| self.last_fingerprints.contains(f));
        self.last_fingerprints = fps;
        self.open_findings = blocking;
        let failing = self.verification_passed != Some(true);
        let diff_sha = self
            .diff
            .as_deref()
            .map(|d| crate::hash::sha256_hex(d.as_bytes()));
        let progress = diff_sha != self.reviewed_diff;
        self.reviewed_diff = diff_sha;
        if repeated && !progress {
            // The strategy document's stop rule: the same issue again, and
            // the revision changed nothing. Neither the table nor another
            // loop can help.
            self.note(
                "no-progress",
                "the same blocking finding(s) again after a revision that left the change as it was".into(),
            );
            return self.finish(
                stop_outcome(failing),
                format!(
                    "no progress: {} blocking finding(s) repeated and the revision did not change the change",
                    self.open_findings.len()
                ),
            );
        }
        if repeated {
            return self.resolve_conflict(failing);
        }
        if self.review_loops >= self.policy.max_review_loops {
            return self.finish(
                stop_outcome(failing),
                format!(
                    "still {} blocking finding(s) after {} review loop(s)",
                    self.open_findings.len(),
                    self.review_loops
                ),
            );
        }
        self.review_loops += 1;
        // Back to the last implementer step before this reviewer.
        match self.plan[..=self.pos.min(self.plan.len() - 1)]
            .iter()
            .rposition(|r| *r == Role::Implementer)
        {
            Some(i) => {
                self.pos = i;
                self.call_current()
            }
            None => self.finish(
                Outcome::ReviewLoopsExhausted,
                "changes requested but the workflow has no implementer".into(),
            ),
        }
    }
}

impl Workflow {
    /// Solo: no reviewer. Passing verification ends the run approved; a
    /// failure goes back to the same model with the verification output,
    /// as often as the mob's implementer could be sent back.
    fn after_solo_verify(&mut self, passed: bool) -> Command {
        if passed {
            return self.finish(
                Outcome::Approved,
                "verified (solo: one model, no reviewer)".into(),
            );
        }
        if self.review_loops >= self.policy.max_review_loops {
            return self.finish(
                Outcome::VerificationFailed,
                format!(
                    "the change still fails verification after {} tries",
                    self.review_loops + 1
                ),
            );
        }
        self.review_loops += 1;
        self.next_try()
    }

    /// The next try after a failed verification: fix the change in place,
    /// or, after [`Policy::repair_tries`] such fixes in a row, discard it
    /// and start over from the base commit with its failures.
    fn next_try(&mut self) -> Command {
        if self.repairs_in_a_row < self.policy.repair_tries {
            self.repairs_in_a_row += 1;
            return self.call_current();
        }
        self.repairs_in_a_row = 0;
        self.starting_over = true;
        self.diff = None;
        let added = std::mem::take(&mut self.scope_from_changes);
        self.files_in_scope.retain(|f| !added.contains(f));
        self.verification = self
            .verification
            .take()
            .map(|v| format!("{DISCARDED_TRY}\n{v}"));
        self.note(
            "change-discarded",
            format!(
                "the change failed verification after {} fix(es) in place: it is discarded and the next try starts over from the base commit",
                self.policy.repair_tries
            ),
        );
        self.phase = Phase::AwaitDiscard;
        Command::Discard
    }

    /// Mob: a change that fails verification goes straight back to the
    /// implementer with the failures, as in solo. The reviewer's call would
    /// be spent on a change that cannot be approved anyway (objective
    /// evidence outranks a verdict), so it waits for a change that passes.
    fn after_failed_verify(&mut self) -> Command {
        if self.review_loops >= self.policy.max_review_loops {
            return self.finish(
                Outcome::VerificationFailed,
                format!(
                    "the change still fails verification after {} implementer step(s)",
                    self.review_loops + 1
                ),
            );
        }
        self.review_loops += 1;
        let skipped: Vec<&str> = self
            .plan
            .iter()
            .skip(self.pos + 1)
            .take_while(|r| **r != Role::Implementer)
            .map(|r| r.as_str())
            .collect();
        self.note(
            "verification-failed",
            if skipped.is_empty() {
                "verification failed: the failures go back to the implementer".to_string()
            } else {
                format!("verification failed: the failures go back to the implementer; {} not called on a failing change", skipped.join(", "))
            },
        );
        self.next_try()
    }

    fn note(&mut self, kind: &str, rationale: String) {
        self.notes.push(WorkflowNote {
            kind: kind.into(),
            rationale,
        });
    }

    /// The open findings' messages, for a question to the user.
    fn open_finding_messages(&self) -> String {
        self.open_findings
            .iter()
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The same blocking findings came back after a revision: the
    /// disagreement persists. Settle it by the conflict-resolution table.
    fn resolve_conflict(&mut self, failing: bool) -> Command {
        use crate::conflict::{ConflictKind, Tiebreaker, classify_all, tiebreakers};
        let kind = classify_all(&self.open_findings);
        let (primary, secondary) = tiebreakers(kind);
        self.note(
            "conflict",
            format!(
                "the same {} blocking finding(s) repeated after a revision: {kind:?} disagreement; tiebreakers {primary:?} then {secondary:?}",
                self.open_findings.len()
            ),
        );
        if failing {
            // Objective evidence first, whatever the kind.
            return self.finish(
                Outcome::VerificationFailed,
                "the change still fails verification after a revision".into(),
            );
        }
        match kind {
            ConflictKind::Safety | ConflictKind::Architecture => {
                let can_loop = self.review_loops < self.policy.max_review_loops;
                if !self.rerouted && can_loop {
                    // Safety: the reviewer's finding stands, the architect
                    // (secondary) finds another way. Architecture: the
                    // architect decides. Either way: mid-task handoff from
                    // the implementer to the architect.
                    self.rerouted = true;
                    self.review_loops += 1;
                    let Some(i) = self.plan[..self.pos.min(self.plan.len())]
                        .iter()
                        .rposition(|r| *r == Role::Implementer)
                    else {
                        return self.finish(
                            Outcome::ReviewLoopsExhausted,
                            "no implementer step to return to".into(),
                        );
                    };
                    self.plan.insert(i, Role::Architect);
                    self.pos = i;
                    self.note(
                        "reroute",
                        format!("{kind:?} disagreement persists: handing the work from the implementer back to the architect"),
                    );
                    return self.call_current();
                }
                let who = if kind == ConflictKind::Safety {
                    "the reviewer has the last word on safety"
                } else {
                    "the architect's redesign did not settle it"
                };
                self.finish(
                    Outcome::ReviewLoopsExhausted,
                    format!("{kind:?} findings still stand: {who}"),
                )
            }
            ConflictKind::ImplementationDetail | ConflictKind::Style
                if !self.policy.settle.contains(&kind) =>
            {
                // The table would approve over the Reviewer's objection;
                // without the user's standing say-so, the safer course is
                // to ask.
                self.note(
                    "conflict-escalated",
                    format!("{kind:?}: settling against the reviewer is not configured ([run] settle); escalated to the user"),
                );
                let q = format!(
                    "The reviewer still objects after a revision: {}. Should the change stand as it is, or what should change?",
                    self.open_finding_messages()
                );
                self.escalate(
                    Role::Reviewer,
                    format!("the reviewer's objection stands after a revision ({kind:?}); approving over it needs the user's decision or [run] settle"),
                    q,
                    AfterAnswer::BackToImplementer,
                )
            }
            ConflictKind::ImplementationDetail => {
                debug_assert_eq!(primary, Tiebreaker::Role(Role::Implementer));
                self.decisions.push(Decision {
                    by: Role::Implementer,
                    what: "keep the implementation as is".into(),
                    why: "implementation-detail disagreement: the implementer is the primary tiebreaker (conflict table), and the user's configuration lets it settle ([run] settle)".into(),
                });
                self.note("conflict-resolved", "implementation detail: the implementer's choice stands; findings kept as advisory".into());
                self.finish(Outcome::Approved, "verified; an implementation-detail disagreement was settled for the implementer".into())
            }
            ConflictKind::Style => {
                self.note(
                    "conflict-resolved",
                    "style: project standards decide, and gofmt and go vet pass".into(),
                );
                self.finish(Outcome::Approved, "verified; a style disagreement was settled by the project standards (gofmt, go vet)".into())
            }
            ConflictKind::UnclearRequirements
                if !self.navigated && self.review_loops < self.policy.max_review_loops =>
            {
                // The table's primary tiebreaker: the navigator reads the
                // request against the disagreement before the user is asked.
                let Some(i) = self.plan[..self.pos.min(self.plan.len())]
                    .iter()
                    .rposition(|r| *r == Role::Implementer)
                else {
                    return self.finish(
                        Outcome::ReviewLoopsExhausted,
                        "no implementer step to return to".into(),
                    );
                };
                self.navigated = true;
                self.review_loops += 1;
                // What the navigator decides (or the user answers) is new
                // ground: the same objection after it gets a plain loop
                // before it counts as a repeat again.
                self.last_fingerprints.clear();
                self.plan.insert(i, Role::Navigator);
                self.pos = i;
                self.note(
                    "conflict-navigator",
                    "unclear requirements: the navigator decides what the task requires (or asks the user) before the implementer revises".into(),
                );
                self.call_current()
            }
            ConflictKind::UnclearRequirements => {
                self.note(
                    "conflict-resolved",
                    "unclear requirements: escalated to the user".into(),
                );
                let q = format!(
                    "The reviewer and the implementer disagree on what the task requires: {}. Which is right?",
                    self.open_finding_messages()
                );
                self.escalate(
                    Role::Reviewer,
                    "the reviewer and implementer disagree on what the task requires; the user must decide".into(),
                    q,
                    AfterAnswer::BackToImplementer,
                )
            }
        }
    }
}

/// How a review loop that cannot go on ends: the objective failure first.
fn stop_outcome(verification_failing: bool) -> Outcome {
    if verification_failing {
        Outcome::VerificationFailed
    } else {
        Outcome::ReviewLoopsExhausted
    }
}

/// Where a run continues once the user has answered an escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AfterAnswer {
    /// With the next role of the plan (or a re-route when no implementer is
    /// left in it).
    Advance,
    /// Back to the last implementer step, with the answer (a review that
    /// could not settle what the task requires).
    BackToImplementer,
    /// Route the clarified request again.
    Reroute,
}

impl Workflow {
    /// A role needs the user. With an unused answer (`coop answer`), record
    /// it (decision, constraint for every later role, audit note) and go on;
    /// otherwise end the run escalated: it waits for the user.
    fn escalate(
        &mut self,
        asker: Role,
        reason: String,
        question: String,
        then: AfterAnswer,
    ) -> Command {
        let Some(answer) = self.answers.get(self.answered).cloned() else {
            return self.finish(Outcome::Escalated, reason);
        };
        self.answered += 1;
        self.clarifications.push(format!(
            "The user's answer to \"{}\": {}",
            question.trim(),
            answer.trim()
        ));
        self.decisions.push(Decision {
            by: asker,
            what: "the user answered".into(),
            why: answer.trim().to_string(),
        });
        self.note(
            "user-answer",
            format!("question: {}; answer: {}", question.trim(), answer.trim()),
        );
        let has_implementer_after =
            |w: &Workflow, from: usize| w.plan.iter().skip(from).any(|r| *r == Role::Implementer);
        match then {
            AfterAnswer::Advance
                if has_implementer_after(self, self.pos + 1) || self.implemented =>
            {
                self.advance()
            }
            AfterAnswer::Advance | AfterAnswer::Reroute => {
                self.phase = Phase::AwaitRoute;
                Command::Route {
                    text: self.clarified_text(),
                }
            }
            AfterAnswer::BackToImplementer => {
                // The answer settles the disagreement: the same findings are
                // not "repeated" when they come back once more.
                self.last_fingerprints.clear();
                match self.plan[..=self.pos.min(self.plan.len() - 1)]
                    .iter()
                    .rposition(|r| *r == Role::Implementer)
                {
                    Some(i) => {
                        self.pos = i;
                        self.call_current()
                    }
                    None => self.finish(
                        Outcome::Escalated,
                        "the user answered, but the workflow has no implementer to act on it"
                            .into(),
                    ),
                }
            }
        }
    }

    /// The router's decision on the clarified request: its roles replace the
    /// rest of the plan (without a navigator: the user has just answered).
    fn on_routed(&mut self, decision: RoutingDecision) -> Command {
        let roles: Vec<Role> = decision
            .workflow
            .iter()
            .copied()
            .filter(|r| *r != Role::Navigator)
            .collect();
        if !roles.contains(&Role::Implementer) {
            return self.finish(
                Outcome::Escalated,
                format!(
                    "even with the user's answer the request routes as {}, with no change to make",
                    decision.task_type.as_str()
                ),
            );
        }
        self.note(
            "reroute",
            format!(
                "the user's answer clarified the request: routed as {} ({})",
                decision.task_type.as_str(),
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(" → ")
            ),
        );
        self.task_type = decision.task_type;
        // The roles so far stay (the record of what ran); the new ones follow
        // the current step. At the end of the plan, `pos` is already past it.
        let keep = (self.pos + 1).min(self.plan.len());
        self.plan.truncate(keep);
        self.plan.extend(roles);
        self.pos = keep - 1;
        self.advance()
    }
}

fn first_line(s: &str) -> String {
    let l = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    crate::verify::truncate_chars(l, 200)
}

fn output_kind(o: &RoleOutput) -> &'static str {
    match o {
        RoleOutput::Design(_) => "design",
        RoleOutput::Implementation(_) => "implementation",
        RoleOutput::Review(_) => "review",
        RoleOutput::Navigation(_) => "navigation",
    }
}

fn event_name(e: &Event) -> String {
    match e {
        Event::RoleDone { role, .. } => format!("{role} done"),
        Event::RoleFailed { role, .. } => format!("{role} failed"),
        Event::Verified { .. } => "verified".into(),
        Event::VerifyError { .. } => "verify error".into(),
        Event::Discarded => "discarded".into(),
        Event::Routed { .. } => "routed".into(),
        Event::RouteFailed { .. } => "route failed".into(),
    }
}

#[cfg(test)]
mod tests;
