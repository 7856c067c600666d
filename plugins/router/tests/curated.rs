//! The curated routing set (examples/routing/tasks.jsonl): type accuracy over
//! the whole set must stay at or above 90 %, and every decision must follow
//! the workflow policy. Run with `--nocapture` to see the confusion matrices.

use coop_router::eval::{self, Case};
use coop_router::rules::{self, LOW_CONFIDENCE, Role, TaskType};

fn load() -> Vec<Case> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/routing/tasks.jsonl");
    let src =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    eval::parse_jsonl(&src).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The policy, spelled out independently of the implementation.
fn base_workflow(t: TaskType) -> Vec<Role> {
    use Role::*;
    match t {
        TaskType::Feature | TaskType::Refactor => vec![Architect, Implementer, Reviewer],
        TaskType::Bugfix => vec![Reviewer, Architect, Implementer, Reviewer],
        TaskType::Docs | TaskType::Test => vec![Implementer, Reviewer],
        TaskType::Unclear => vec![Navigator],
    }
}

#[test]
fn curated_set_type_accuracy_and_policy() {
    let cases = load();
    assert!(cases.len() >= 120, "only {} cases", cases.len());
    for (name, split) in [
        ("dev", Some("dev")),
        ("holdout", Some("holdout")),
        ("all", None),
    ] {
        let r = eval::evaluate_refs(&eval::select_split(&cases, split));
        println!("== {name} ==\n{}", r.render_text());
        if split.is_some_and(|s| s == "dev") {
            println!("dev misses:\n{}", r.render_misses());
        }
    }
    let all = eval::evaluate(&cases);
    assert!(
        all.type_accuracy() >= 0.90,
        "type accuracy {:.3} < 0.90\n{}",
        all.type_accuracy(),
        all.render_text()
    );

    for c in &cases {
        let d = rules::route(&c.text, &[], 1);
        assert!(
            (0.0..=1.0).contains(&d.confidence),
            "{}: confidence {}",
            c.id,
            d.confidence
        );
        assert!(!d.rationale.is_empty(), "{}: no rationale", c.id);
        let base = base_workflow(d.task_type);
        let low = d.confidence < LOW_CONFIDENCE && d.task_type != TaskType::Unclear;
        let expected = if low {
            let extra = if base.contains(&Role::Architect) {
                Role::Navigator
            } else {
                Role::Architect
            };
            std::iter::once(extra).chain(base).collect()
        } else {
            base
        };
        assert_eq!(
            d.workflow, expected,
            "{}: workflow does not follow the policy for {:?} at confidence {}",
            c.id, d.task_type, d.confidence
        );
    }
}

/// Development aid: the rationale of every dev-split miss.
#[test]
#[ignore]
fn dev_misses_with_rationale() {
    for c in load().iter().filter(|c| c.split == "dev") {
        let d = rules::route(&c.text, &[], 1);
        if d.task_type != c.task_type || d.size != c.size || d.risk != c.risk {
            println!(
                "{} exp {:?}/{:?}/{:?} got {:?}/{:?}/{:?}\n  {}\n",
                c.id,
                c.task_type,
                c.size,
                c.risk,
                d.task_type,
                d.size,
                d.risk,
                d.rationale.join("\n  ")
            );
        }
    }
}
