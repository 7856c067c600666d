//! The default router: rule-based classification of a task into type, size
//! and risk, a confidence heuristic, and the workflow each type runs.
//!
//! The rules read the structure of a request — the leading verb of its title,
//! what the body asks for, negations, named identifiers and files — rather
//! than memorized phrases. Every rule that fires is reported in `rationale`.

pub mod eval;
pub mod rules;

#[allow(clippy::all, unsafe_code, missing_docs)]
mod bindings {
    wit_bindgen::generate!({ world: "router", path: "../../wit" });
}

use bindings::coop::mob::types::{RepoFacts, RoutingDecision, Task};

// A custom section carries the manifest inside the component.
#[allow(unsafe_code)]
#[unsafe(link_section = "coop-manifest")]
#[used]
static COOP_MANIFEST: [u8; include_bytes!("manifest.json").len()] =
    *include_bytes!("manifest.json");

struct Router;

impl bindings::Guest for Router {
    fn route(task: Task, facts: RepoFacts) -> RoutingDecision {
        use bindings::coop::mob::types as t;
        let files: Vec<rules::FileInfo> = facts
            .files
            .iter()
            .map(|f| rules::FileInfo {
                path: f.path.clone(),
                bytes: f.bytes,
                package: f.package.clone(),
            })
            .collect();
        let d = rules::route(&task.text, &files, facts.packages.len());
        RoutingDecision {
            task_type: match d.task_type {
                rules::TaskType::Feature => t::TaskType::Feature,
                rules::TaskType::Bugfix => t::TaskType::Bugfix,
                rules::TaskType::Refactor => t::TaskType::Refactor,
                rules::TaskType::Docs => t::TaskType::Docs,
                rules::TaskType::Test => t::TaskType::Test,
                rules::TaskType::Unclear => t::TaskType::Unclear,
            },
            size: match d.size {
                rules::Size::Small => t::Size::Small,
                rules::Size::Medium => t::Size::Medium,
                rules::Size::Large => t::Size::Large,
            },
            risk: match d.risk {
                rules::Risk::Low => t::Risk::Low,
                rules::Risk::Medium => t::Risk::Medium,
                rules::Risk::High => t::Risk::High,
            },
            confidence: d.confidence,
            workflow: d
                .workflow
                .iter()
                .map(|r| match r {
                    rules::Role::Architect => t::Role::Architect,
                    rules::Role::Implementer => t::Role::Implementer,
                    rules::Role::Reviewer => t::Role::Reviewer,
                    rules::Role::Navigator => t::Role::Navigator,
                })
                .collect(),
            rationale: d.rationale,
        }
    }
}

bindings::export!(Router with_types_in bindings);
