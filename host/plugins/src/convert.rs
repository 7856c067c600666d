//! Conversions between `coop-core` types and the WIT-generated types.

use crate::bindings::role::coop::mob::types as w;
use coop_core as c;

pub fn role_to_wit(r: c::Role) -> w::Role {
    match r {
        c::Role::Architect => w::Role::Architect,
        c::Role::Implementer => w::Role::Implementer,
        c::Role::Reviewer => w::Role::Reviewer,
        c::Role::Navigator => w::Role::Navigator,
    }
}

pub fn role_from_wit(r: w::Role) -> c::Role {
    match r {
        w::Role::Architect => c::Role::Architect,
        w::Role::Implementer => c::Role::Implementer,
        w::Role::Reviewer => c::Role::Reviewer,
        w::Role::Navigator => c::Role::Navigator,
    }
}

fn severity_to_wit(s: c::Severity) -> w::Severity {
    match s {
        c::Severity::Info => w::Severity::Info,
        c::Severity::Minor => w::Severity::Minor,
        c::Severity::Major => w::Severity::Major,
        c::Severity::Blocking => w::Severity::Blocking,
    }
}

fn severity_from_wit(s: w::Severity) -> c::Severity {
    match s {
        w::Severity::Info => c::Severity::Info,
        w::Severity::Minor => c::Severity::Minor,
        w::Severity::Major => c::Severity::Major,
        w::Severity::Blocking => c::Severity::Blocking,
    }
}

fn finding_to_wit(f: &c::Finding) -> w::Finding {
    w::Finding {
        severity: severity_to_wit(f.severity),
        file: f.file.clone(),
        line: f.line,
        message: f.message.clone(),
        suggestion: f.suggestion.clone(),
    }
}

fn finding_from_wit(f: w::Finding) -> c::Finding {
    c::Finding {
        severity: severity_from_wit(f.severity),
        file: f.file,
        line: f.line,
        message: f.message,
        suggestion: f.suggestion,
    }
}

pub fn handoff_to_wit(h: &c::Handoff) -> w::Handoff {
    w::Handoff {
        version: h.version,
        seq: h.seq,
        task: w::Task {
            id: h.task.id.clone(),
            text: h.task.text.clone(),
        },
        from: h.from.map(role_to_wit),
        to: role_to_wit(h.to),
        goals: h.goals.clone(),
        constraints: h.constraints.clone(),
        files_in_scope: h.files_in_scope.clone(),
        decisions: h
            .decisions
            .iter()
            .map(|d| w::Decision {
                by: role_to_wit(d.by),
                what: d.what.clone(),
                why: d.why.clone(),
            })
            .collect(),
        next_actions: h.next_actions.clone(),
        blockers: h.blockers.clone(),
        artifacts: h
            .artifacts
            .iter()
            .map(|a| w::ArtifactRef {
                path: a.path.clone(),
                sha256: a.sha256.clone(),
                kind: a.kind.clone(),
            })
            .collect(),
        design_notes: h.design_notes.clone(),
        verification: h.verification.clone(),
        diff: h.diff.clone(),
        findings: h.findings.iter().map(finding_to_wit).collect(),
        attempt: h.attempt,
    }
}

fn section_budget(b: c::SectionBudget) -> w::SectionBudget {
    w::SectionBudget {
        share: b.share,
        limit: b.limit,
        used: b.used,
    }
}

/// A context with nothing in it (a handoff the host did not fit).
pub fn empty_context() -> w::ContextPack {
    let z = w::SectionBudget {
        share: 0,
        limit: 0,
        used: 0,
    };
    w::ContextPack {
        counter: String::new(),
        budget: w::ContextBudget {
            window: 0,
            output_reserve: 0,
            prompt_reserve: 0,
            input: 0,
            persistent: z,
            working: z,
            recent: z,
        },
        working_set: Vec::new(),
        recent: Vec::new(),
        summarized_steps: 0,
        dropped: Vec::new(),
    }
}

/// What `context.get` returns for a handoff: the host's pack plus the
/// handoff's recent steps.
pub fn context_to_wit(h: &c::Handoff) -> w::ContextPack {
    let mut out = empty_context();
    out.recent = h
        .recent
        .iter()
        .map(|s| w::StepRecord {
            seq: s.seq,
            role: role_to_wit(s.role),
            kind: s.kind.clone(),
            text: s.text.clone(),
        })
        .collect();
    out.summarized_steps = h.summarized_steps;
    if let Some(p) = &h.context {
        let b = p.budget;
        out.counter = p.counter.clone();
        out.budget = w::ContextBudget {
            window: b.window,
            output_reserve: b.output_reserve,
            prompt_reserve: b.prompt_reserve,
            input: b.input,
            persistent: section_budget(b.persistent),
            working: section_budget(b.working),
            recent: section_budget(b.recent),
        };
        out.working_set = p
            .working_set
            .iter()
            .map(|i| w::ContextItem {
                path: i.path.clone(),
                decl: i.decl.clone(),
                start_line: i.start_line,
                end_line: i.end_line,
                tokens: i.tokens,
                reason: i.reason.clone(),
                content: i.content.clone(),
            })
            .collect();
        out.dropped = p
            .dropped
            .iter()
            .map(|d| w::DroppedItem {
                section: match d.section {
                    c::Section::Persistent => w::Section::Persistent,
                    c::Section::Working => w::Section::Working,
                    c::Section::Recent => w::Section::Recent,
                },
                what: d.what.clone(),
                tokens: d.tokens,
                reason: d.reason.clone(),
            })
            .collect();
    }
    out
}

pub fn output_from_wit(o: w::RoleOutput) -> c::RoleOutput {
    match o {
        w::RoleOutput::Design(d) => c::RoleOutput::Design(c::Design {
            notes: d.notes,
            files_in_scope: d.files_in_scope,
            plan: d.plan,
        }),
        w::RoleOutput::Implementation(i) => c::RoleOutput::Implementation(c::Implementation {
            summary: i.summary,
            applied: i.applied,
            rejected: i.rejected,
        }),
        w::RoleOutput::Review(r) => c::RoleOutput::Review(c::Review {
            verdict: match r.verdict {
                w::Verdict::Approve => c::Verdict::Approve,
                w::Verdict::RequestChanges => c::Verdict::RequestChanges,
                w::Verdict::Escalate => c::Verdict::Escalate,
            },
            summary: r.summary,
            findings: r.findings.into_iter().map(finding_from_wit).collect(),
        }),
        w::RoleOutput::Navigation(n) => c::RoleOutput::Navigation(c::Navigation {
            summary: n.summary,
            next_steps: n.next_steps,
            blockers: n.blockers,
            question: n.question,
        }),
    }
}

pub fn failure_from_wit(f: w::RoleFailure) -> c::RoleFailure {
    c::RoleFailure {
        kind: match f.kind {
            w::FailureKind::UnparseableReply => c::FailureKind::UnparseableReply,
            w::FailureKind::ModelError => c::FailureKind::ModelError,
            w::FailureKind::Denied => c::FailureKind::Denied,
            w::FailureKind::BudgetExceeded => c::FailureKind::BudgetExceeded,
            w::FailureKind::InvalidInput => c::FailureKind::InvalidInput,
        },
        message: f.message,
    }
}

pub fn edit_from_wit(e: w::FileEdit) -> c::FileEdit {
    match e {
        w::FileEdit::Write(x) => c::FileEdit::Write {
            path: x.path,
            content: x.content,
        },
        w::FileEdit::Replace(x) => c::FileEdit::Replace {
            path: x.path,
            old: x.old,
            new: x.new,
        },
        w::FileEdit::Delete(p) => c::FileEdit::Delete { path: p },
    }
}

pub fn outcome_to_wit(o: c::EditOutcome) -> w::EditOutcome {
    match o {
        c::EditOutcome::Applied { path } => w::EditOutcome::Applied(path),
        c::EditOutcome::Rejected { path, reason } => {
            w::EditOutcome::Rejected(w::EditRejection { path, reason })
        }
    }
}

pub fn file_fact_to_wit(f: &c::FileFact) -> w::FileFact {
    w::FileFact {
        path: f.path.clone(),
        bytes: f.bytes,
        package: f.package.clone(),
        is_test: f.is_test,
    }
}

pub fn facts_to_wit(f: &c::RepoFacts) -> w::RepoFacts {
    w::RepoFacts {
        module_path: f.module_path.clone(),
        packages: f.packages.clone(),
        files: f.files.iter().map(file_fact_to_wit).collect(),
        has_tests: f.has_tests,
    }
}

pub fn decision_from_wit(d: w::RoutingDecision) -> c::RoutingDecision {
    c::RoutingDecision {
        task_type: match d.task_type {
            w::TaskType::Feature => c::TaskType::Feature,
            w::TaskType::Bugfix => c::TaskType::Bugfix,
            w::TaskType::Refactor => c::TaskType::Refactor,
            w::TaskType::Docs => c::TaskType::Docs,
            w::TaskType::Test => c::TaskType::Test,
            w::TaskType::Unclear => c::TaskType::Unclear,
        },
        size: match d.size {
            w::Size::Small => c::Size::Small,
            w::Size::Medium => c::Size::Medium,
            w::Size::Large => c::Size::Large,
        },
        risk: match d.risk {
            w::Risk::Low => c::Risk::Low,
            w::Risk::Medium => c::Risk::Medium,
            w::Risk::High => c::Risk::High,
        },
        confidence: d.confidence,
        workflow: d.workflow.into_iter().map(role_from_wit).collect(),
        rationale: d.rationale,
    }
}
