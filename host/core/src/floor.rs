//! The operator's floor under any router's plan.
//!
//! Routers are plugins, third-party ones included, and the plan they return
//! decides which roles see the work. The host does not take a plan
//! wholesale: the operator's floor says which roles each risk level needs
//! and how long a plan may be, and [`apply`] raises a plan to it — adding
//! missing roles where they belong, cutting an overlong plan — and says
//! what it changed so the change is audited.

use serde::{Deserialize, Serialize};

use crate::types::{Risk, Role, RoutingDecision, TaskType};

/// The least a plan must hold, set by the operator (`[routing]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFloor {
    /// Roles a low-risk plan must include (besides the Implementer every
    /// plan that changes code has).
    #[serde(default)]
    pub low: Vec<Role>,
    /// Roles a medium-risk plan must include.
    #[serde(default = "default_medium")]
    pub medium: Vec<Role>,
    /// Roles a high-risk plan must include.
    #[serde(default = "default_high")]
    pub high: Vec<Role>,
    /// At most this many steps.
    #[serde(default = "default_max_steps")]
    pub max_steps: usize,
}

fn default_medium() -> Vec<Role> {
    vec![Role::Reviewer]
}

fn default_high() -> Vec<Role> {
    vec![Role::Architect, Role::Reviewer]
}

fn default_max_steps() -> usize {
    8
}

impl Default for PlanFloor {
    fn default() -> Self {
        PlanFloor {
            low: Vec::new(),
            medium: default_medium(),
            high: default_high(),
            max_steps: default_max_steps(),
        }
    }
}

impl PlanFloor {
    fn required(&self, risk: Risk) -> &[Role] {
        match risk {
            Risk::Low => &self.low,
            Risk::Medium => &self.medium,
            Risk::High => &self.high,
        }
    }
}

/// Raise `d`'s plan to `floor`; the returned lines say what changed (empty:
/// nothing). An unclear task's plan is a question for the Navigator or the
/// user, not work: only its length is bounded. Otherwise the plan gets an
/// Implementer if it has none, each required role where it belongs (a
/// Navigator first, an Architect before the first Implementer, a Reviewer
/// after the last), and is cut to `max_steps` keeping the required roles
/// and the last Implementer.
pub fn apply(d: &mut RoutingDecision, floor: &PlanFloor) -> Vec<String> {
    let before = d.workflow.clone();
    let mut changes = Vec::new();
    let plan = &mut d.workflow;
    if d.task_type != TaskType::Unclear {
        if !plan.contains(&Role::Implementer) {
            let at = plan
                .iter()
                .rposition(|r| *r == Role::Reviewer)
                .unwrap_or(plan.len());
            plan.insert(at, Role::Implementer);
            changes.push("added an implementer: the plan had no step that changes code".into());
        }
        for role in floor.required(d.risk) {
            if plan.contains(role) {
                continue;
            }
            let at = match role {
                Role::Navigator => 0,
                Role::Architect => plan
                    .iter()
                    .position(|r| *r == Role::Implementer)
                    .unwrap_or(0),
                Role::Implementer | Role::Reviewer => plan.len(),
            };
            plan.insert(at, *role);
            changes.push(format!(
                "added a {} step: the floor requires one at {} risk",
                role.as_str(),
                risk_name(d.risk)
            ));
        }
        // The last implementer's work is reviewed when review is required.
        if floor.required(d.risk).contains(&Role::Reviewer) {
            let last_impl = plan.iter().rposition(|r| *r == Role::Implementer);
            let last_rev = plan.iter().rposition(|r| *r == Role::Reviewer);
            if let (Some(i), Some(r)) = (last_impl, last_rev)
                && r < i
            {
                plan.push(Role::Reviewer);
                changes.push(
                    "added a reviewer step after the last implementer: the floor requires review"
                        .into(),
                );
            }
        }
    }
    let max = floor.max_steps.max(1);
    if plan.len() > max {
        // Keep, from the end, what the floor needs: the last implementer,
        // the last reviewer, one of each required role; drop other steps
        // from the front until the plan fits.
        let mut keep = vec![false; plan.len()];
        let mut need: Vec<Role> = floor.required(d.risk).to_vec();
        if d.task_type != TaskType::Unclear {
            need.push(Role::Implementer);
        }
        for role in need {
            if let Some(i) = plan.iter().rposition(|r| *r == role) {
                keep[i] = true;
            }
        }
        let mut excess = plan.len() - max;
        let mut out = Vec::with_capacity(max);
        for (role, k) in plan.iter().zip(&keep) {
            if excess > 0 && !k {
                excess -= 1;
            } else {
                out.push(*role);
            }
        }
        // Required roles alone may exceed a tiny max_steps: they win.
        *plan = out;
        changes.push(format!(
            "cut the plan from {} to {} steps (at most {max})",
            before.len(),
            plan.len()
        ));
    }
    if !changes.is_empty() {
        d.rationale.push(format!(
            "plan floor: {} -> {}",
            roles(&before),
            roles(&d.workflow)
        ));
    }
    changes
}

fn roles(plan: &[Role]) -> String {
    if plan.is_empty() {
        return "(none)".into();
    }
    plan.iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn risk_name(r: Risk) -> &'static str {
    match r {
        Risk::Low => "low",
        Risk::Medium => "medium",
        Risk::High => "high",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Size;
    use Role::*;
    use proptest::prelude::*;

    fn decision(t: TaskType, risk: Risk, plan: &[Role]) -> RoutingDecision {
        RoutingDecision {
            task_type: t,
            size: Size::Small,
            risk,
            confidence: 0.9,
            workflow: plan.to_vec(),
            rationale: Vec::new(),
        }
    }

    #[test]
    fn a_plan_that_meets_the_floor_is_left_alone() {
        let floor = PlanFloor::default();
        for (t, risk, plan) in [
            (
                TaskType::Bugfix,
                Risk::High,
                vec![Reviewer, Architect, Implementer, Reviewer],
            ),
            (
                TaskType::Feature,
                Risk::Medium,
                vec![Architect, Implementer, Reviewer],
            ),
            (TaskType::Docs, Risk::Low, vec![Implementer]),
            (TaskType::Unclear, Risk::High, vec![Navigator]),
        ] {
            let mut d = decision(t, risk, &plan);
            assert!(apply(&mut d, &floor).is_empty(), "{plan:?}");
            assert_eq!(d.workflow, plan);
            assert!(d.rationale.is_empty());
        }
    }

    #[test]
    fn a_router_that_drops_review_from_high_risk_work_is_corrected() {
        let mut d = decision(TaskType::Feature, Risk::High, &[Implementer]);
        let changes = apply(&mut d, &PlanFloor::default());
        assert_eq!(d.workflow, vec![Architect, Implementer, Reviewer]);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(d.rationale[0].contains("implementer -> architect,implementer,reviewer"));
    }

    #[test]
    fn a_plan_without_an_implementer_gets_one_before_its_review() {
        let mut d = decision(TaskType::Feature, Risk::Medium, &[Reviewer]);
        apply(&mut d, &PlanFloor::default());
        assert_eq!(d.workflow, vec![Implementer, Reviewer]);
        let mut empty = decision(TaskType::Bugfix, Risk::Low, &[]);
        apply(&mut empty, &PlanFloor::default());
        assert_eq!(empty.workflow, vec![Implementer]);
    }

    #[test]
    fn review_comes_after_the_last_implementer() {
        let mut d = decision(TaskType::Feature, Risk::Medium, &[Reviewer, Implementer]);
        apply(&mut d, &PlanFloor::default());
        assert_eq!(d.workflow, vec![Reviewer, Implementer, Reviewer]);
    }

    #[test]
    fn an_unbounded_plan_is_cut_keeping_what_the_floor_needs() {
        let mut plan = vec![Navigator; 50];
        plan.extend([Architect, Implementer, Reviewer]);
        plan.extend(vec![Navigator; 50]);
        let mut d = decision(TaskType::Feature, Risk::High, &plan);
        let changes = apply(&mut d, &PlanFloor::default());
        assert_eq!(d.workflow.len(), 8);
        assert!(
            changes
                .iter()
                .any(|c| c.contains("cut the plan from 103 to 8"))
        );
        let last = |r: Role| d.workflow.iter().rposition(|x| *x == r);
        assert!(last(Architect) < last(Implementer) && last(Implementer) < last(Reviewer));
    }

    fn arb_role() -> impl Strategy<Value = Role> {
        prop::sample::select(vec![Navigator, Architect, Implementer, Reviewer])
    }

    proptest! {
        /// Whatever a router returns, the plan that runs meets the floor.
        #[test]
        fn any_plan_meets_the_floor_afterwards(
            plan in prop::collection::vec(arb_role(), 0..40),
            t in prop::sample::select(vec![TaskType::Feature, TaskType::Bugfix, TaskType::Refactor, TaskType::Docs, TaskType::Test, TaskType::Unclear]),
            risk in prop::sample::select(vec![Risk::Low, Risk::Medium, Risk::High]),
            max_steps in 3usize..10,
        ) {
            let floor = PlanFloor { max_steps, ..PlanFloor::default() };
            let mut d = decision(t, risk, &plan);
            let changes = apply(&mut d, &floor);
            let w = &d.workflow;
            prop_assert!(w.len() <= max_steps);
            if t != TaskType::Unclear {
                prop_assert!(w.contains(&Implementer));
                for role in floor.required(risk) {
                    prop_assert!(w.contains(role), "{:?} lacks {:?}", w, role);
                }
                if floor.required(risk).contains(&Reviewer) {
                    prop_assert!(w.iter().rposition(|r| *r == Reviewer) > w.iter().rposition(|r| *r == Implementer));
                }
            }
            prop_assert_eq!(changes.is_empty(), *w == plan);
            // Idempotent: a raised plan is left alone.
            let mut again = d.clone();
            prop_assert!(apply(&mut again, &floor).is_empty());
        }
    }
}
