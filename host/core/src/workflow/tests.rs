use super::*;
use proptest::prelude::*;

fn task() -> Task {
    Task {
        id: "r1".into(),
        text: "Add func Reverse(s string) string to package strutil, with tests".into(),
    }
}

fn decision(t: TaskType, plan: &[Role]) -> RoutingDecision {
    RoutingDecision {
        task_type: t,
        size: Size::Small,
        risk: Risk::Low,
        confidence: 0.8,
        workflow: plan.to_vec(),
        rationale: vec!["test".into()],
    }
}

const FEATURE: &[Role] = &[Role::Architect, Role::Implementer, Role::Reviewer];
const BUGFIX: &[Role] = &[
    Role::Reviewer,
    Role::Architect,
    Role::Implementer,
    Role::Reviewer,
];

fn design() -> RoleOutput {
    RoleOutput::Design(Design {
        notes: "Add Reverse in strutil/reverse.go".into(),
        files_in_scope: vec!["strutil/reverse.go".into()],
        plan: vec!["write it".into()],
    })
}

fn implementation() -> RoleOutput {
    RoleOutput::Implementation(Implementation {
        summary: "added".into(),
        applied: vec![
            "strutil/reverse.go".into(),
            "strutil/reverse_test.go".into(),
        ],
        rejected: vec![],
    })
}

fn review(verdict: Verdict, findings: Vec<Finding>) -> RoleOutput {
    RoleOutput::Review(Review {
        verdict,
        summary: "review".into(),
        findings,
    })
}

fn finding(sev: Severity, msg: &str) -> Finding {
    Finding {
        severity: sev,
        file: Some("strutil/reverse.go".into()),
        line: Some(3),
        message: msg.into(),
        suggestion: None,
    }
}

/// A verification of a change that differs from every earlier one (each
/// revision changes something); [`verified_same`] repeats a change.
fn verified(passed: bool) -> Event {
    static REVISION: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = REVISION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Event::Verified {
        passed,
        summary: format!("passed={passed}"),
        diff: format!("diff --git a b\n+revision {n}\n"),
        artifacts: vec![],
    }
}

/// A verification of the very same change as before.
fn verified_same(passed: bool) -> Event {
    Event::Verified {
        passed,
        summary: format!("passed={passed}"),
        diff: "diff --git a b\n+the same\n".into(),
        artifacts: vec![],
    }
}

fn done(role: Role, output: RoleOutput) -> Event {
    Event::RoleDone { role, output }
}

fn expect_role(c: &Command, role: Role) -> Handoff {
    match c {
        Command::CallRole { role: r, handoff } if *r == role => (**handoff).clone(),
        other => panic!("expected call of {role}, got {other:?}"),
    }
}

fn expect_finish(c: &Command) -> Outcome {
    match c {
        Command::Finish { outcome, .. } => *outcome,
        other => panic!("expected finish, got {other:?}"),
    }
}

#[test]
fn feature_happy_path_carries_context_forward() {
    let (mut w, c) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    let h = expect_role(&c, Role::Architect);
    assert_eq!(h.seq, 1);
    assert_eq!(h.task, task());
    assert!(h.design_notes.is_none() && h.diff.is_none());

    let c = w.handle(done(Role::Architect, design()));
    let h = expect_role(&c, Role::Implementer);
    assert_eq!(h.from, Some(Role::Architect));
    assert_eq!(
        h.design_notes.as_deref(),
        Some("Add Reverse in strutil/reverse.go")
    );
    assert_eq!(h.files_in_scope, vec!["strutil/reverse.go"]);
    assert_eq!(h.next_actions, vec!["write it"]);
    assert_eq!(h.task, task(), "task text carried unchanged");

    assert_eq!(
        w.handle(done(Role::Implementer, implementation())),
        Command::Verify
    );
    let c = w.handle(verified_same(true));
    let h = expect_role(&c, Role::Reviewer);
    assert_eq!(h.diff.as_deref(), Some("diff --git a b\n+the same\n"));
    assert_eq!(h.verification.as_deref(), Some("passed=true"));
    assert!(
        h.files_in_scope
            .contains(&"strutil/reverse_test.go".to_string())
    );
    assert_eq!(h.decisions.len(), 2);

    let c = w.handle(done(
        Role::Reviewer,
        review(Verdict::Approve, vec![finding(Severity::Minor, "nit")]),
    ));
    assert_eq!(expect_finish(&c), Outcome::Approved);
    assert!(w.is_done());
    // Further events change nothing.
    assert_eq!(expect_finish(&w.handle(verified(false))), Outcome::Approved);
}

#[test]
fn blocking_findings_send_work_back_once_then_approve() {
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    w.handle(done(Role::Architect, design()));
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    let c = w.handle(done(
        Role::Reviewer,
        review(
            Verdict::RequestChanges,
            vec![finding(Severity::Blocking, "no unicode test")],
        ),
    ));
    let h = expect_role(&c, Role::Implementer);
    assert_eq!(h.attempt, 2);
    assert_eq!(h.findings.len(), 1);
    assert_eq!(h.findings[0].message, "no unicode test");
    assert!(h.goals[0].contains("blocking review finding"));
    assert_eq!(
        w.handle(done(Role::Implementer, implementation())),
        Command::Verify
    );
    expect_role(&w.handle(verified(true)), Role::Reviewer);
    let c = w.handle(done(Role::Reviewer, review(Verdict::Approve, vec![])));
    assert_eq!(expect_finish(&c), Outcome::Approved);
    assert_eq!(w.review_loops, 1);
}

#[test]
fn at_most_two_review_loops() {
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    w.handle(done(Role::Architect, design()));
    for i in 0..3 {
        assert_eq!(
            w.handle(done(Role::Implementer, implementation())),
            Command::Verify
        );
        expect_role(&w.handle(verified(true)), Role::Reviewer);
        let c = w.handle(done(
            Role::Reviewer,
            review(
                Verdict::RequestChanges,
                vec![finding(
                    Severity::Blocking,
                    &format!("problem {}", ["a", "b", "c"][i]),
                )],
            ),
        ));
        if i < 2 {
            expect_role(&c, Role::Implementer);
        } else {
            assert_eq!(expect_finish(&c), Outcome::ReviewLoopsExhausted);
        }
    }
    assert_eq!(w.review_loops, 2);
}

/// Drive a feature run to the point where `msg` is raised twice.
fn repeated(msg: &str, max_loops: u32) -> (Workflow, Command) {
    repeated_with(msg, max_loops, crate::workflow::SETTLEABLE.to_vec())
}

/// [`repeated`] with the kinds the user lets the host settle.
fn repeated_with(
    msg: &str,
    max_loops: u32,
    settle: Vec<crate::conflict::ConflictKind>,
) -> (Workflow, Command) {
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy {
            max_review_loops: max_loops,
            settle,
            ..Policy::default()
        },
    );
    w.handle(done(Role::Architect, design()));
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    let f = finding(Severity::Blocking, &format!("{msg} at line 3"));
    expect_role(
        &w.handle(done(
            Role::Reviewer,
            review(Verdict::RequestChanges, vec![f.clone()]),
        )),
        Role::Implementer,
    );
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    // Same finding, different line number and case: same fingerprint.
    let mut g = f;
    g.message = format!("{} AT LINE 9", msg.to_uppercase());
    let c = w.handle(done(
        Role::Reviewer,
        review(Verdict::RequestChanges, vec![g]),
    ));
    (w, c)
}

#[test]
fn repeated_implementation_detail_is_settled_for_the_implementer() {
    let (w, c) = repeated("Use a strings.Builder instead of += in the loop", 5);
    assert_eq!(expect_finish(&c), Outcome::Approved);
    assert_eq!(w.review_loops, 1, "no further loop");
    assert!(
        w.notes
            .iter()
            .any(|n| n.kind == "conflict" && n.rationale.contains("ImplementationDetail"))
    );
    assert!(
        w.decisions
            .iter()
            .any(|d| d.by == Role::Implementer && d.why.contains("conflict table"))
    );
}

#[test]
fn repeated_style_finding_is_settled_by_project_standards() {
    let (w, c) = repeated("The variable name r is not idiomatic", 5);
    assert_eq!(expect_finish(&c), Outcome::Approved);
    assert!(w.notes.iter().any(|n| n.rationale.contains("gofmt")));
}

/// Issue 21: a repeated objection the keyword table takes for an
/// implementation detail (or style) used to end approved over the
/// Reviewer's objection. Without the user's configuration it goes to the
/// user; nothing is approved.
#[test]
fn without_a_configured_settlement_a_repeated_objection_goes_to_the_user() {
    for msg in [
        "Use a strings.Builder instead of += in the loop",
        "The variable name r is not idiomatic",
        "This returns the wrong value when the list has one element",
    ] {
        let (w, c) = repeated_with(msg, 5, Vec::new());
        assert_eq!(expect_finish(&c), Outcome::Escalated, "{msg}");
        assert!(
            w.notes.iter().any(|n| n.kind == "conflict-escalated"),
            "{msg}: {:?}",
            w.notes
        );
        assert!(w.notes.iter().all(|n| n.kind != "conflict-resolved"));
    }
    // Settling one kind does not settle the other.
    let (_, c) = repeated_with(
        "The variable name r is not idiomatic",
        5,
        vec![crate::conflict::ConflictKind::ImplementationDetail],
    );
    assert_eq!(expect_finish(&c), Outcome::Escalated);
}

#[test]
fn a_user_answer_to_the_escalated_objection_goes_back_to_the_implementer() {
    let msg = "Use a strings.Builder instead of += in the loop";
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy {
            max_review_loops: 3,
            ..Policy::default()
        },
    );
    w.set_answers(vec!["Keep += ; the loop has three iterations.".into()]);
    w.handle(done(Role::Architect, design()));
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    let f = finding(Severity::Blocking, msg);
    w.handle(done(
        Role::Reviewer,
        review(Verdict::RequestChanges, vec![f.clone()]),
    ));
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    let h = expect_role(
        &w.handle(done(
            Role::Reviewer,
            review(Verdict::RequestChanges, vec![f]),
        )),
        Role::Implementer,
    );
    assert!(
        h.constraints
            .iter()
            .any(|c| c.contains(msg) && c.contains("three iterations")),
        "{:?}",
        h.constraints
    );
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    // Approval still comes from the reviewer, who has the answer too.
    let c = w.handle(done(Role::Reviewer, review(Verdict::Approve, vec![])));
    assert_eq!(expect_finish(&c), Outcome::Approved);
}

#[test]
fn repeated_unclear_requirement_goes_to_the_navigator_then_the_user() {
    let msg = "The requirement is ambiguous about empty input";
    // The conflict table's primary tiebreaker first: the navigator, with
    // the findings, in place of the implementer's next step.
    let (mut w, c) = repeated(msg, 5);
    let h = expect_role(&c, Role::Navigator);
    assert_eq!(h.findings.len(), 1);
    assert!(h.goals[0].contains("disagree on what the task requires"));
    assert!(w.notes.iter().any(|n| n.kind == "conflict-navigator"));
    // It decides: its next steps go to the implementer.
    let h = expect_role(
        &w.handle(done(Role::Navigator, nav(None))),
        Role::Implementer,
    );
    assert_eq!(h.next_actions, vec!["n".to_string()]);
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    // The same objection once more: a plain loop first (the fingerprints
    // were reset by the navigator's round), then the user.
    let f = finding(Severity::Blocking, msg);
    let mut c = w.handle(done(
        Role::Reviewer,
        review(Verdict::RequestChanges, vec![f.clone()]),
    ));
    if matches!(
        c,
        Command::CallRole {
            role: Role::Implementer,
            ..
        }
    ) {
        w.handle(done(Role::Implementer, implementation()));
        w.handle(verified(true));
        c = w.handle(done(
            Role::Reviewer,
            review(Verdict::RequestChanges, vec![f]),
        ));
    }
    assert_eq!(expect_finish(&c), Outcome::Escalated);

    // A navigator that cannot settle it asks the user at once.
    let (mut w, c) = repeated(msg, 5);
    expect_role(&c, Role::Navigator);
    let c = w.handle(done(
        Role::Navigator,
        nav(Some("Should empty input be an error?")),
    ));
    assert_eq!(expect_finish(&c), Outcome::Escalated);
}

#[test]
fn repeated_safety_finding_reroutes_to_the_architect_once_then_stands() {
    let (mut w, c) = repeated("User input reaches the SQL query unsanitized: injection", 5);
    let h = expect_role(&c, Role::Architect);
    assert!(h.goals[0].contains("disagree"), "{:?}", h.goals);
    assert_eq!(h.findings.len(), 1);
    assert_eq!(h.from, Some(Role::Reviewer));
    assert!(w.notes.iter().any(|n| n.kind == "reroute"));
    // Architect → implementer → verify → reviewer, who still objects.
    expect_role(
        &w.handle(done(Role::Architect, design())),
        Role::Implementer,
    );
    assert_eq!(
        w.handle(done(Role::Implementer, implementation())),
        Command::Verify
    );
    expect_role(&w.handle(verified(true)), Role::Reviewer);
    let f = finding(
        Severity::Blocking,
        "User input reaches the SQL query unsanitized: injection at line 12",
    );
    let c = w.handle(done(
        Role::Reviewer,
        review(Verdict::RequestChanges, vec![f]),
    ));
    match c {
        Command::Finish { outcome, reason } => {
            assert_eq!(outcome, Outcome::ReviewLoopsExhausted);
            assert!(reason.contains("last word on safety"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn repeated_architecture_finding_reroutes_only_while_loops_remain() {
    let (_, c) = repeated("This should be an interface in package store", 1);
    assert_eq!(
        expect_finish(&c),
        Outcome::ReviewLoopsExhausted,
        "no loop left for a re-route"
    );
}

#[test]
fn fingerprint_ignores_numbers_case_and_punctuation() {
    let a = finding(Severity::Blocking, "Index out of range at line 12!");
    let mut b = finding(Severity::Major, "index OUT of range, at line 40");
    assert_eq!(fingerprint(&a), fingerprint(&b));
    b.file = Some("other.go".into());
    assert_ne!(fingerprint(&a), fingerprint(&b));
    assert_ne!(
        fingerprint(&a),
        fingerprint(&finding(Severity::Blocking, "nil map write"))
    );
}

#[test]
fn failing_verification_goes_back_to_the_implementer_without_a_review() {
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    w.handle(done(Role::Architect, design()));
    let mut c = w.handle(done(Role::Implementer, implementation()));
    let mut retries = 0u32;
    loop {
        assert_eq!(c, Command::Verify);
        c = w.handle(verified(false));
        if c == Command::Discard {
            c = w.handle(Event::Discarded);
        }
        match &c {
            Command::CallRole {
                role: Role::Implementer,
                handoff,
            } => {
                assert!(
                    handoff
                        .verification
                        .as_deref()
                        .is_some_and(|v| v.ends_with("passed=false")),
                    "the failures travel with the handoff"
                );
                retries += 1;
                c = w.handle(done(Role::Implementer, implementation()));
            }
            Command::Finish { outcome, .. } => {
                assert_eq!(*outcome, Outcome::VerificationFailed);
                break;
            }
            other => panic!("no reviewer call on a failing change: {other:?}"),
        }
    }
    assert_eq!(
        retries,
        Policy::default().max_review_loops,
        "as many tries as solo"
    );
    assert!(w.notes.iter().any(|n| n.kind == "verification-failed" && n.rationale.contains("reviewer not called")), "{:?}", w.notes);
}

#[test]
fn a_change_that_passes_after_a_failure_is_reviewed() {
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    w.handle(done(Role::Architect, design()));
    w.handle(done(Role::Implementer, implementation()));
    expect_role(&w.handle(verified(false)), Role::Implementer);
    w.handle(done(Role::Implementer, implementation()));
    let h = expect_role(&w.handle(verified(true)), Role::Reviewer);
    assert_eq!(h.verification.as_deref(), Some("passed=true"));
    assert_eq!(
        expect_finish(&w.handle(done(Role::Reviewer, review(Verdict::Approve, vec![])))),
        Outcome::Approved
    );
}

#[test]
fn advisory_findings_do_not_send_work_back() {
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    w.handle(done(Role::Architect, design()));
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    let c = w.handle(done(
        Role::Reviewer,
        review(
            Verdict::RequestChanges,
            vec![
                finding(Severity::Major, "could be faster"),
                finding(Severity::Info, "fyi"),
            ],
        ),
    ));
    assert_eq!(expect_finish(&c), Outcome::Approved);
}

#[test]
fn bugfix_starts_with_root_cause_analysis() {
    let (mut w, c) = Workflow::start(
        task(),
        &decision(TaskType::Bugfix, BUGFIX),
        Policy::default(),
    );
    let h = expect_role(&c, Role::Reviewer);
    assert!(h.goals[0].contains("root cause"));
    let rc = finding(Severity::Blocking, "TotalPages drops the last partial page");
    let c = w.handle(done(
        Role::Reviewer,
        review(Verdict::RequestChanges, vec![rc.clone()]),
    ));
    let h = expect_role(&c, Role::Architect);
    assert!(h.goals[0].contains("fix strategy"));
    assert_eq!(
        h.findings,
        vec![rc.clone()],
        "root cause handed to the architect"
    );
    assert_eq!(h.files_in_scope, vec!["strutil/reverse.go"]);
    let h = expect_role(
        &w.handle(done(Role::Architect, design())),
        Role::Implementer,
    );
    assert_eq!(h.findings, vec![rc]);
    assert_eq!(
        w.handle(done(Role::Implementer, implementation())),
        Command::Verify
    );
    let h = expect_role(&w.handle(verified(true)), Role::Reviewer);
    assert!(h.goals[0].contains("Review the change"));
    assert_eq!(
        expect_finish(&w.handle(done(Role::Reviewer, review(Verdict::Approve, vec![])))),
        Outcome::Approved
    );
}

#[test]
fn escalations() {
    // Reviewer escalates.
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    w.handle(done(Role::Architect, design()));
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    assert_eq!(
        expect_finish(&w.handle(done(Role::Reviewer, review(Verdict::Escalate, vec![])))),
        Outcome::Escalated
    );

    // Navigator asks a question.
    let (mut w, c) = Workflow::start(
        task(),
        &decision(TaskType::Unclear, &[Role::Navigator]),
        Policy::default(),
    );
    expect_role(&c, Role::Navigator);
    let nav = Navigation {
        summary: "vague".into(),
        next_steps: vec![],
        blockers: vec![],
        question: Some("Which package?".into()),
    };
    match w.handle(done(Role::Navigator, RoleOutput::Navigation(nav))) {
        Command::Finish { outcome, reason } => {
            assert_eq!(outcome, Outcome::Escalated);
            assert!(reason.contains("Which package?"));
        }
        other => panic!("{other:?}"),
    }

    // Navigator has no question but nothing was implemented: still the user's call.
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Unclear, &[Role::Navigator]),
        Policy::default(),
    );
    let nav = Navigation {
        summary: "s".into(),
        next_steps: vec!["x".into()],
        blockers: vec![],
        question: None,
    };
    assert_eq!(
        expect_finish(&w.handle(done(Role::Navigator, RoleOutput::Navigation(nav)))),
        Outcome::Escalated
    );
}

#[test]
fn failures_map_to_outcomes() {
    for (kind, outcome) in [
        (FailureKind::BudgetExceeded, Outcome::BudgetExceeded),
        (FailureKind::ModelError, Outcome::ProviderFailed),
        (FailureKind::UnparseableReply, Outcome::RoleFailed),
        (FailureKind::PluginFault, Outcome::RoleFailed),
        (FailureKind::Denied, Outcome::RoleFailed),
    ] {
        let (mut w, _) = Workflow::start(
            task(),
            &decision(TaskType::Feature, FEATURE),
            Policy::default(),
        );
        let c = w.handle(Event::RoleFailed {
            role: Role::Architect,
            failure: RoleFailure {
                kind,
                message: "x".into(),
            },
        });
        assert_eq!(expect_finish(&c), outcome, "{kind:?}");
    }
}

#[test]
fn unexpected_events_are_internal_errors() {
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    assert_eq!(
        expect_finish(&w.handle(verified(true))),
        Outcome::InternalError
    );
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    assert_eq!(
        expect_finish(&w.handle(done(Role::Implementer, implementation()))),
        Outcome::InternalError
    );
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    assert_eq!(
        expect_finish(&w.handle(done(Role::Architect, implementation()))),
        Outcome::RoleFailed
    );
    let (_, c) = Workflow::start(task(), &decision(TaskType::Feature, &[]), Policy::default());
    assert_eq!(expect_finish(&c), Outcome::InternalError);
}

#[test]
fn state_round_trips_through_json() {
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Bugfix, BUGFIX),
        Policy::default(),
    );
    w.handle(done(
        Role::Reviewer,
        review(
            Verdict::RequestChanges,
            vec![finding(Severity::Blocking, "x")],
        ),
    ));
    let s = serde_json::to_string(&w).unwrap();
    let back: Workflow = serde_json::from_str(&s).unwrap();
    assert_eq!(back, w);
}

/// A simulated environment answering whatever the machine asks, driven by
/// random choices.
fn arb_plan() -> impl Strategy<Value = Vec<Role>> {
    prop::collection::vec(prop::sample::select(Role::ALL.to_vec()), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn any_run_terminates_and_approval_needs_evidence(plan in arb_plan(), choices in prop::collection::vec(0u8..8, 64), configured in any::<bool>()) {
        let policy = Policy {
            settle: if configured { crate::workflow::SETTLEABLE.to_vec() } else { Vec::new() },
            ..Policy::default()
        };
        let (mut w, mut c) = Workflow::start(task(), &decision(TaskType::Feature, &plan), policy);
        let mut steps = 0;
        let mut last_verified = None;
        let mut last_review_approved = false;
        let mut choices = choices.into_iter().cycle();
        loop {
            steps += 1;
            prop_assert!(steps < 100, "did not terminate");
            let ch = choices.next().unwrap_or(0);
            c = match c {
                Command::Finish { outcome, .. } => {
                    if outcome == Outcome::Approved {
                        prop_assert_eq!(last_verified, Some(true));
                        let has_final_reviewer = plan.iter().rposition(|r| *r == Role::Reviewer)
                            > plan.iter().rposition(|r| *r == Role::Implementer);
                        // Approval needs the reviewer's approval, or a
                        // settlement the user configured; with the default
                        // policy (nothing configured) only the former.
                        let settled = w.notes.iter().any(|n| n.kind == "conflict-resolved");
                        prop_assert!(configured || !settled, "nothing is settled without configuration");
                        if has_final_reviewer { prop_assert!(last_review_approved || settled); }
                    }
                    break;
                }
                Command::Route { .. } => {
                    prop_assert!(false, "no answers were given, so nothing re-routes");
                    break;
                }
                Command::Discard => w.handle(Event::Discarded),
                Command::Verify => {
                    let passed = ch % 3 != 0;
                    last_verified = Some(passed);
                    w.handle(verified(passed))
                }
                Command::CallRole { role, handoff } => {
                    prop_assert_eq!(&handoff.task, &task());
                    if ch == 7 {
                        w.handle(Event::RoleFailed { role, failure: RoleFailure { kind: FailureKind::UnparseableReply, message: "x".into() } })
                    } else {
                        let out = match role {
                            Role::Architect => design(),
                            Role::Implementer => implementation(),
                            Role::Reviewer => {
                                let v = [Verdict::Approve, Verdict::RequestChanges, Verdict::Approve, Verdict::Escalate][(ch % 4) as usize];
                                last_review_approved = v == Verdict::Approve;
                                // Some objections are about what the task requires (the
                                // navigator's and the user's to settle), most not.
                                let msg = if ch == 5 { "the requirement is ambiguous".to_string() } else { format!("f{ch}") };
                                let f = if v == Verdict::RequestChanges { vec![finding(Severity::Blocking, &msg)] } else { vec![] };
                                review(v, f)
                            }
                            Role::Navigator => RoleOutput::Navigation(Navigation {
                                summary: "s".into(), next_steps: vec!["n".into()], blockers: vec![],
                                question: if ch % 5 == 0 { Some("q?".into()) } else { None },
                            }),
                        };
                        w.handle(done(role, out))
                    }
                }
            };
        }
        prop_assert!(w.is_done());
        prop_assert!(w.review_loops <= 2);
        prop_assert!(w.plan.len() <= plan.len() + 2, "at most one re-route to the architect and one to the navigator");
    }
}

// ---- solo mode (the benchmark's single-model baseline) ----

fn call_role(c: &Command) -> (Role, Handoff) {
    match c {
        Command::CallRole { role, handoff } => (*role, (**handoff).clone()),
        other => panic!("expected a role call, got {other:?}"),
    }
}

#[test]
fn solo_runs_only_the_implementer_and_approves_on_passing_verification() {
    let (mut w, c) = Workflow::start_solo(
        task(),
        &decision(TaskType::Bugfix, BUGFIX),
        Policy::default(),
    );
    let (role, h) = call_role(&c);
    assert_eq!(role, Role::Implementer);
    assert_eq!(h.seq, 1);
    assert!(h.goals[0].contains("alone"), "{:?}", h.goals);
    assert_eq!(w.mode, Mode::Solo);
    assert_eq!(
        w.task_type,
        TaskType::Bugfix,
        "the router's type is kept for the record"
    );
    assert_eq!(
        w.handle(Event::RoleDone {
            role,
            output: implementation()
        }),
        Command::Verify
    );
    match w.handle(verified(true)) {
        Command::Finish { outcome, .. } => assert_eq!(outcome, Outcome::Approved),
        other => panic!("{other:?}"),
    }
    assert_eq!(w.review_loops, 0);
}

#[test]
fn solo_gets_verification_feedback_as_often_as_the_mob_implementer() {
    for loops in 0..4u32 {
        let (mut w, mut c) = Workflow::start_solo(
            task(),
            &decision(TaskType::Feature, FEATURE),
            Policy {
                max_review_loops: loops,
                ..Policy::default()
            },
        );
        let mut tries = 0;
        let outcome = loop {
            match c {
                Command::CallRole { role, handoff } => {
                    assert_eq!(role, Role::Implementer);
                    if tries > 0 {
                        assert!(
                            handoff
                                .verification
                                .as_deref()
                                .is_some_and(|v| v.ends_with("passed=false")),
                            "{:?}",
                            handoff.verification
                        );
                        assert!(
                            handoff.goals[0].contains("verification"),
                            "{:?}",
                            handoff.goals
                        );
                        assert_eq!(handoff.attempt, tries + 1);
                    }
                    tries += 1;
                    c = w.handle(Event::RoleDone {
                        role,
                        output: implementation(),
                    });
                }
                Command::Discard => c = w.handle(Event::Discarded),
                Command::Verify => c = w.handle(verified(false)),
                Command::Finish { outcome, .. } => break outcome,
                Command::Route { .. } => panic!("no answers: no re-route"),
            }
        };
        assert_eq!(outcome, Outcome::VerificationFailed);
        assert_eq!(tries, loops + 1, "1 try + {loops} retries");
    }
}

#[test]
fn solo_passes_on_a_later_try_and_reports_role_failures() {
    let (mut w, c) = Workflow::start_solo(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    let (role, _) = call_role(&c);
    w.handle(Event::RoleDone {
        role,
        output: implementation(),
    });
    let (_, h2) = call_role(&w.handle(verified(false)));
    assert_eq!(h2.seq, 2);
    w.handle(Event::RoleDone {
        role,
        output: implementation(),
    });
    assert!(matches!(
        w.handle(verified(true)),
        Command::Finish {
            outcome: Outcome::Approved,
            ..
        }
    ));

    let (mut w, c) = Workflow::start_solo(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    let (role, _) = call_role(&c);
    let failure = RoleFailure {
        kind: FailureKind::UnparseableReply,
        message: "no JSON".into(),
    };
    assert!(matches!(
        w.handle(Event::RoleFailed { role, failure }),
        Command::Finish {
            outcome: Outcome::RoleFailed,
            ..
        }
    ));
}

// ---- an empty change never passes ----

fn verified_empty() -> Event {
    Event::Verified {
        passed: true,
        summary: "Verification PASSED.".into(),
        diff: "  \n".into(),
        artifacts: vec![],
    }
}

#[test]
fn an_empty_change_fails_verification_in_solo_and_is_never_approved() {
    let (mut w, c) = Workflow::start_solo(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    let (role, _) = call_role(&c);
    w.handle(Event::RoleDone {
        role,
        output: implementation(),
    });
    let (_, h) = call_role(&w.handle(verified_empty()));
    assert!(
        h.verification
            .as_deref()
            .unwrap_or("")
            .starts_with(EMPTY_CHANGE),
        "the model is told why"
    );
    assert_eq!(w.verification_passed, Some(false));
    w.handle(Event::RoleDone {
        role,
        output: implementation(),
    });
    assert_eq!(w.handle(verified_empty()), Command::Discard);
    w.handle(Event::Discarded);
    w.handle(Event::RoleDone {
        role,
        output: implementation(),
    });
    assert!(matches!(
        w.handle(verified_empty()),
        Command::Finish {
            outcome: Outcome::VerificationFailed,
            ..
        }
    ));
}

#[test]
fn an_empty_change_is_not_approved_even_when_the_reviewer_approves_or_the_conflict_table_settles() {
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    w.handle(Event::RoleDone {
        role: Role::Architect,
        output: design(),
    });
    w.handle(Event::RoleDone {
        role: Role::Implementer,
        output: implementation(),
    });
    // An empty change fails verification: back to the implementer, no review.
    let c = w.handle(verified_empty());
    assert!(
        matches!(
            c,
            Command::CallRole {
                role: Role::Implementer,
                ..
            }
        ),
        "{c:?}"
    );
    // The same implementation-detail finding twice on an empty change: the
    // table would settle for the implementer, but the change fails verification.
    let detail = Finding {
        severity: Severity::Blocking,
        file: Some("strutil/reverse.go".into()),
        line: Some(3),
        message: "Median does not handle empty slices".into(),
        suggestion: None,
    };
    let mut c = c;
    let mut outcome = None;
    for _ in 0..30 {
        c = match c {
            Command::CallRole {
                role: Role::Implementer,
                ..
            } => w.handle(Event::RoleDone {
                role: Role::Implementer,
                output: implementation(),
            }),
            Command::CallRole { role, .. } if role == Role::Reviewer => w.handle(Event::RoleDone {
                role,
                output: review(Verdict::RequestChanges, vec![detail.clone()]),
            }),
            Command::CallRole { role, .. } => w.handle(Event::RoleDone {
                role,
                output: design(),
            }),
            Command::Discard => w.handle(Event::Discarded),
            Command::Verify => w.handle(verified_empty()),
            Command::Finish { outcome: o, .. } => {
                outcome = Some(o);
                break;
            }
            Command::Route { .. } => panic!("no answers: no re-route"),
        };
    }
    let outcome = outcome.expect("finished");
    assert_ne!(outcome, Outcome::Approved);
    assert_eq!(outcome, Outcome::VerificationFailed);
}

// ---- answers to escalations (`coop answer`) ----

fn nav(question: Option<&str>) -> RoleOutput {
    RoleOutput::Navigation(Navigation {
        summary: "s".into(),
        next_steps: vec!["n".into()],
        blockers: vec![],
        question: question.map(str::to_string),
    })
}

#[test]
fn an_answered_navigator_question_reroutes_an_unclear_request_and_reaches_every_later_role() {
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Unclear, &[Role::Navigator]),
        Policy::default(),
    );
    w.set_answers(vec!["Package strutil, rune-wise.".into()]);
    let c = w.handle(done(
        Role::Navigator,
        nav(Some("Which package, and bytes or runes?")),
    ));
    let text = match c {
        Command::Route { text } => text,
        other => panic!("expected a re-route, got {other:?}"),
    };
    assert!(
        text.starts_with(&task().text),
        "the task text leads, unchanged"
    );
    assert!(
        text.contains("Which package, and bytes or runes?")
            && text.contains("Package strutil, rune-wise.")
    );
    assert_eq!(w.phase, Phase::AwaitRoute);
    // A stray event while waiting for the router is an internal error, not a guess.
    let mut stray = w.clone();
    assert_eq!(
        expect_finish(&stray.handle(verified(true))),
        Outcome::InternalError
    );

    let routed = decision(
        TaskType::Feature,
        &[
            Role::Navigator,
            Role::Architect,
            Role::Implementer,
            Role::Reviewer,
        ],
    );
    let h = expect_role(
        &w.handle(Event::Routed { decision: routed }),
        Role::Architect,
    );
    assert_eq!(h.task, task(), "the task itself is never rewritten");
    assert!(
        h.constraints
            .iter()
            .any(|c| c.contains("Package strutil, rune-wise.")),
        "{:?}",
        h.constraints
    );
    assert!(
        h.decisions
            .iter()
            .any(|d| d.by == Role::Navigator && d.what == "the user answered")
    );
    assert_eq!(
        w.plan,
        vec![
            Role::Navigator,
            Role::Architect,
            Role::Implementer,
            Role::Reviewer
        ],
        "no second navigator"
    );
    assert_eq!(w.task_type, TaskType::Feature);
    assert!(
        w.notes.iter().any(|n| n.kind == "user-answer")
            && w.notes.iter().any(|n| n.kind == "reroute")
    );
    let h = expect_role(
        &w.handle(done(Role::Architect, design())),
        Role::Implementer,
    );
    assert!(
        h.constraints.iter().any(|c| c.contains("rune-wise")),
        "answers travel to every later role"
    );
}

#[test]
fn a_navigator_question_with_the_plan_ahead_continues_it_and_a_second_question_waits() {
    let plan = [
        Role::Navigator,
        Role::Architect,
        Role::Implementer,
        Role::Reviewer,
    ];
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, &plan),
        Policy::default(),
    );
    w.set_answers(vec!["yes".into()]);
    expect_role(
        &w.handle(done(Role::Navigator, nav(Some("Keep the old API?")))),
        Role::Architect,
    );
    assert_eq!(w.answered, 1);
    // No answer left: the next escalation ends the run and waits.
    w.handle(done(Role::Architect, design()));
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    match w.handle(done(Role::Reviewer, review(Verdict::Escalate, vec![]))) {
        Command::Finish { outcome, reason } => {
            assert_eq!(outcome, Outcome::Escalated);
            assert!(reason.contains("reviewer escalates"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_answered_reviewer_escalation_sends_the_change_back_with_the_answer() {
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    w.set_answers(vec!["Empty input returns empty output.".into()]);
    w.handle(done(Role::Architect, design()));
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    let r = RoleOutput::Review(Review {
        verdict: Verdict::Escalate,
        summary: "Should empty input be an error?\nmore".into(),
        findings: vec![],
    });
    let h = expect_role(&w.handle(done(Role::Reviewer, r)), Role::Implementer);
    assert!(
        h.constraints
            .iter()
            .any(|c| c.contains("Should empty input be an error?")
                && c.contains("Empty input returns empty output."))
    );
    assert!(
        h.decisions
            .iter()
            .any(|d| d.by == Role::Reviewer && d.what == "the user answered")
    );
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    assert_eq!(
        expect_finish(&w.handle(done(Role::Reviewer, review(Verdict::Approve, vec![])))),
        Outcome::Approved
    );
}

#[test]
fn an_answered_root_cause_escalation_continues_the_bugfix() {
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Bugfix, BUGFIX),
        Policy::default(),
    );
    w.set_answers(vec!["The last page may be partial.".into()]);
    let r = RoleOutput::Review(Review {
        verdict: Verdict::Escalate,
        summary: "Is a partial last page a bug?".into(),
        findings: vec![],
    });
    expect_role(&w.handle(done(Role::Reviewer, r)), Role::Architect);
}

#[test]
fn an_answered_unclear_requirement_conflict_gets_one_more_revision() {
    let msg = "The requirement is ambiguous about empty input";
    let mut w = {
        let (mut w, _) = Workflow::start(
            task(),
            &decision(TaskType::Feature, FEATURE),
            Policy {
                max_review_loops: 3,
                ..Policy::default()
            },
        );
        w.set_answers(vec!["Return an error for empty input.".into()]);
        w
    };
    w.handle(done(Role::Architect, design()));
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    let f = finding(Severity::Blocking, msg);
    expect_role(
        &w.handle(done(
            Role::Reviewer,
            review(Verdict::RequestChanges, vec![f.clone()]),
        )),
        Role::Implementer,
    );
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    // Repeated: unclear requirements → the navigator, whose question the
    // user's answer settles; back to the implementer with it.
    expect_role(
        &w.handle(done(
            Role::Reviewer,
            review(Verdict::RequestChanges, vec![f.clone()]),
        )),
        Role::Navigator,
    );
    let q = "Should empty input return an error (the requirement is ambiguous about empty input)?";
    let h = expect_role(
        &w.handle(done(Role::Navigator, nav(Some(q)))),
        Role::Implementer,
    );
    assert!(
        h.constraints
            .iter()
            .any(|c| c.contains(q) && c.contains("Return an error")),
        "{:?}",
        h.constraints
    );
    w.handle(done(Role::Implementer, implementation()));
    w.handle(verified(true));
    // The same finding once more is a plain review loop, not an instant repeat.
    let c = w.handle(done(
        Role::Reviewer,
        review(Verdict::RequestChanges, vec![f]),
    ));
    expect_role(&c, Role::Implementer);
}

#[test]
fn a_reroute_that_still_has_nothing_to_change_escalates_and_a_router_failure_is_a_role_failure() {
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Unclear, &[Role::Navigator]),
        Policy::default(),
    );
    w.set_answers(vec!["a".into(), "b".into()]);
    assert!(
        matches!(
            w.handle(done(Role::Navigator, nav(None))),
            Command::Route { .. }
        ),
        "end of plan without a change uses an answer too"
    );
    assert_eq!(
        expect_finish(&w.handle(Event::Routed {
            decision: decision(TaskType::Unclear, &[Role::Navigator])
        })),
        Outcome::Escalated
    );

    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Unclear, &[Role::Navigator]),
        Policy::default(),
    );
    w.set_answers(vec!["a".into()]);
    w.handle(done(Role::Navigator, nav(Some("q?"))));
    assert_eq!(
        expect_finish(&w.handle(Event::RouteFailed {
            message: "trap".into()
        })),
        Outcome::RoleFailed
    );
}

proptest! {
    /// With answers available, every run still ends, never asks the router
    /// without an answer having been used, and never loops past its budget.
    #[test]
    fn answered_runs_terminate(choices in proptest::collection::vec(0u8..10, 1..40), answers in 0usize..4) {
        let plan = [Role::Navigator, Role::Architect, Role::Implementer, Role::Reviewer];
        let (mut w, mut c) = Workflow::start(task(), &decision(TaskType::Feature, &plan), Policy::default());
        w.set_answers((0..answers).map(|i| format!("answer {i}")).collect());
        let mut choices = choices.into_iter().cycle();
        let mut steps = 0;
        loop {
            steps += 1;
            prop_assert!(steps < 200, "did not terminate");
            let ch = choices.next().unwrap_or(0);
            c = match c {
                Command::Finish { .. } => break,
                Command::Route { .. } => {
                    prop_assert!(w.answered > 0);
                    w.handle(Event::Routed { decision: decision(TaskType::Feature, FEATURE) })
                }
                Command::Discard => w.handle(Event::Discarded),
                Command::Verify => w.handle(verified(ch % 3 != 0)),
                Command::CallRole { role, handoff } => {
                    prop_assert_eq!(handoff.constraints.len(), standard_constraints().len() + w.answered);
                    let out = match role {
                        Role::Architect => design(),
                        Role::Implementer => implementation(),
                        Role::Reviewer => {
                            let v = [Verdict::Approve, Verdict::RequestChanges, Verdict::Escalate][(ch % 3) as usize];
                            let f = if v == Verdict::RequestChanges { vec![finding(Severity::Blocking, &format!("f{ch}"))] } else { vec![] };
                            review(v, f)
                        }
                        Role::Navigator => nav(if ch % 2 == 0 { Some("q?") } else { None }),
                    };
                    w.handle(done(role, out))
                }
            };
        }
        prop_assert!(w.answered <= answers);
        prop_assert!(w.review_loops <= 2);
    }
}

// ---- pruning: the last two steps verbatim, older ones only as decisions and blockers ----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn pruning_never_loses_a_decision_or_an_open_blocker(plan in arb_plan(), choices in prop::collection::vec(0u8..8, 64)) {
        let (mut w, mut c) = Workflow::start(task(), &decision(TaskType::Feature, &plan), Policy::default());
        let mut choices = choices.into_iter().cycle();
        let mut outputs: Vec<(u32, Role, RoleOutput)> = Vec::new();
        let mut prev: Option<Handoff> = None;
        let mut implementer_since_prev = false;
        for _ in 0..100 {
            let ch = choices.next().unwrap_or(0);
            c = match c {
                Command::Finish { .. } | Command::Route { .. } => break,
                Command::Discard => w.handle(Event::Discarded),
                Command::Verify => w.handle(verified(ch % 3 != 0)),
                Command::CallRole { role, handoff } => {
                    let h = *handoff;
                    // The recent steps are the last two outputs, verbatim.
                    let want: Vec<StepRecord> = outputs.iter().rev().take(RECENT_STEPS).rev()
                        .map(|(seq, r, o)| StepRecord { seq: *seq, role: *r, kind: output_kind(o).into(), text: step_text(o) })
                        .collect();
                    prop_assert_eq!(&h.recent, &want);
                    prop_assert_eq!(h.summarized_steps as usize + h.recent.len(), outputs.len());
                    if let Some(p) = &prev {
                        // Every decision ever taken is still there, in order.
                        prop_assert!(h.decisions.starts_with(&p.decisions), "decisions lost: {:?} -> {:?}", p.decisions, h.decisions);
                        for b in &p.blockers {
                            let resolved = b.starts_with(EDIT_REJECTED) && implementer_since_prev;
                            prop_assert!(resolved || h.blockers.contains(b), "open blocker lost: {}", b);
                        }
                    }
                    implementer_since_prev = false;
                    let out = match role {
                        Role::Architect => design(),
                        Role::Implementer => {
                            implementer_since_prev = true;
                            RoleOutput::Implementation(Implementation {
                                summary: format!("try {ch}"),
                                applied: vec!["strutil/reverse.go".into()],
                                rejected: if ch % 2 == 0 { vec![format!("x{ch}.go: old text not found")] } else { vec![] },
                            })
                        }
                        Role::Reviewer => {
                            let v = [Verdict::Approve, Verdict::RequestChanges, Verdict::RequestChanges, Verdict::Escalate][(ch % 4) as usize];
                            let f = if v == Verdict::RequestChanges { vec![finding(Severity::Blocking, &format!("f{ch}"))] } else { vec![] };
                            review(v, f)
                        }
                        Role::Navigator => RoleOutput::Navigation(Navigation {
                            summary: "s".into(), next_steps: vec!["n".into()], blockers: vec![format!("nav blocker {ch}")],
                            question: None,
                        }),
                    };
                    outputs.push((h.seq, role, out.clone()));
                    prev = Some(h);
                    w.handle(done(role, out))
                }
            };
        }
    }
}

#[test]
fn step_text_keeps_every_field_of_an_output() {
    let t = step_text(&review(
        Verdict::RequestChanges,
        vec![finding(Severity::Blocking, "off by one")],
    ));
    assert_eq!(
        t,
        "verdict: request-changes\nreview\n\nfindings:\n- [blocking] strutil/reverse.go:3 off by one\n"
    );
    let t = step_text(&design());
    assert!(
        t.contains("Add Reverse")
            && t.contains("files in scope:\n- strutil/reverse.go")
            && t.contains("plan:\n- write it"),
        "{t}"
    );
}

#[test]
fn project_instructions_reach_every_role_in_every_handoff() {
    let note = "Project instructions from AGENTS.md: use table-driven tests".to_string();
    let policy = Policy {
        project_instructions: vec![note.clone()],
        ..Policy::default()
    };
    let (mut w, c) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        policy.clone(),
    );
    let mut c = c;
    let mut seen = Vec::new();
    for _ in 0..6 {
        match &c {
            Command::CallRole { role, handoff } => {
                assert!(
                    handoff.constraints.contains(&note),
                    "{role:?}: {:?}",
                    handoff.constraints
                );
                seen.push(*role);
                let out = match role {
                    Role::Architect => design(),
                    Role::Implementer => implementation(),
                    _ => review(Verdict::Approve, vec![]),
                };
                c = w.handle(done(*role, out));
            }
            Command::Verify => c = w.handle(verified(true)),
            _ => break,
        }
    }
    assert_eq!(
        seen,
        vec![Role::Architect, Role::Implementer, Role::Reviewer]
    );
    let (_, c) = Workflow::start_solo(task(), &decision(TaskType::Feature, FEATURE), policy);
    assert!(call_role(&c).1.constraints.contains(&note));
}

/// Issue 21: "stop if the same issue repeats twice without progress". A
/// repeated objection after a revision that left the change as it was ends
/// the run, even where the conflict table would settle it.
#[test]
fn the_same_objection_after_a_revision_that_changed_nothing_stops_the_run() {
    let run = |same: bool| {
        let (mut w, _) = Workflow::start(
            task(),
            &decision(TaskType::Feature, FEATURE),
            Policy {
                max_review_loops: 5,
                settle: crate::workflow::SETTLEABLE.to_vec(),
                ..Policy::default()
            },
        );
        let v = |w: &mut Workflow| {
            w.handle(if same {
                verified_same(true)
            } else {
                verified(true)
            })
        };
        w.handle(done(Role::Architect, design()));
        w.handle(done(Role::Implementer, implementation()));
        v(&mut w);
        let f = finding(Severity::Blocking, "Use a strings.Builder in the loop");
        w.handle(done(
            Role::Reviewer,
            review(Verdict::RequestChanges, vec![f.clone()]),
        ));
        w.handle(done(Role::Implementer, implementation()));
        v(&mut w);
        let c = w.handle(done(
            Role::Reviewer,
            review(Verdict::RequestChanges, vec![f]),
        ));
        (w, c)
    };
    let (w, c) = run(true);
    assert_eq!(expect_finish(&c), Outcome::ReviewLoopsExhausted);
    assert!(
        w.notes.iter().any(|n| n.kind == "no-progress"),
        "{:?}",
        w.notes
    );
    // With a changed revision the same objection is a conflict the
    // configured table settles.
    let (w, c) = run(false);
    assert_eq!(expect_finish(&c), Outcome::Approved);
    assert!(w.notes.iter().all(|n| n.kind != "no-progress"));
}

// ---- a failing change: fixed in place, then started over ----

/// Every try after a failed verification, as (starts over, handoff).
fn tries_after_failures(mode: Mode, repair_tries: u32, loops: u32) -> Vec<(bool, Handoff)> {
    let policy = Policy {
        max_review_loops: loops,
        repair_tries,
        ..Policy::default()
    };
    let (mut w, mut c) = match mode {
        Mode::Solo => Workflow::start_solo(task(), &decision(TaskType::Feature, FEATURE), policy),
        Mode::Mob => Workflow::start(task(), &decision(TaskType::Feature, FEATURE), policy),
    };
    let mut tries = Vec::new();
    let mut discarded = false;
    let mut implemented = false;
    loop {
        c = match c {
            Command::CallRole { role, handoff } => {
                if role == Role::Implementer && implemented {
                    tries.push((discarded, (*handoff).clone()));
                }
                discarded = false;
                let out = match role {
                    Role::Architect => design(),
                    Role::Implementer => {
                        implemented = true;
                        implementation()
                    }
                    other => panic!("no {other} on a change that never passes"),
                };
                w.handle(done(role, out))
            }
            Command::Verify => w.handle(verified(false)),
            Command::Discard => {
                assert!(!discarded, "one discard per try");
                assert_eq!(w.phase, Phase::AwaitDiscard);
                discarded = true;
                w.handle(Event::Discarded)
            }
            Command::Finish { outcome, .. } => {
                assert_eq!(outcome, Outcome::VerificationFailed);
                break;
            }
            Command::Route { .. } => panic!("no re-route"),
        };
    }
    tries
}

#[test]
fn a_failing_change_is_fixed_in_place_repair_tries_times_then_started_over() {
    for mode in [Mode::Solo, Mode::Mob] {
        for repair_tries in 0..4u32 {
            for loops in 0..6u32 {
                let tries = tries_after_failures(mode, repair_tries, loops);
                assert_eq!(
                    tries.len() as u32,
                    loops,
                    "{mode:?}: the number of tries is unchanged"
                );
                for (i, (fresh, h)) in tries.iter().enumerate() {
                    // Runs of `repair_tries` fixes in place, each followed by a start over.
                    let expect_fresh = (i as u32 + 1).is_multiple_of(repair_tries + 1);
                    assert_eq!(
                        *fresh,
                        expect_fresh,
                        "{mode:?} repair_tries={repair_tries} try {}",
                        i + 2
                    );
                    let v = h.verification.as_deref().unwrap_or_default();
                    assert!(
                        v.ends_with("passed=false"),
                        "the failures travel either way: {v}"
                    );
                    if expect_fresh {
                        assert_eq!(
                            h.diff, None,
                            "nothing of the discarded change is shown as current"
                        );
                        assert!(
                            !h.files_in_scope.iter().any(|f| f.ends_with("_test.go")),
                            "files only the discarded change brought in leave the scope: {:?}",
                            h.files_in_scope
                        );
                        assert!(v.starts_with(DISCARDED_TRY), "{v}");
                        assert!(h.goals[0].contains("discarded"), "{:?}", h.goals);
                    } else {
                        assert!(h.diff.is_some(), "a fix in place sees the change");
                        assert!(!v.contains(DISCARDED_TRY), "{v}");
                    }
                }
            }
        }
    }
}

#[test]
fn the_default_fixes_once_in_place_then_starts_over_and_notes_it() {
    let tries = tries_after_failures(Mode::Solo, Policy::default().repair_tries, 2);
    assert_eq!(tries.iter().map(|t| t.0).collect::<Vec<_>>(), [false, true]);
    let (mut w, _) = Workflow::start_solo(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    w.handle(done(Role::Implementer, implementation()));
    expect_role(&w.handle(verified(false)), Role::Implementer);
    w.handle(done(Role::Implementer, implementation()));
    assert_eq!(w.handle(verified(false)), Command::Discard);
    assert!(
        w.notes.iter().any(|n| n.kind == "change-discarded"),
        "{:?}",
        w.notes
    );
    // Only a discard answers a discard.
    let (mut w2, _) = Workflow::start_solo(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy::default(),
    );
    w2.handle(done(Role::Implementer, implementation()));
    w2.handle(verified(false));
    w2.handle(done(Role::Implementer, implementation()));
    w2.handle(verified(false));
    assert_eq!(
        expect_finish(&w2.handle(verified(true))),
        Outcome::InternalError
    );
    let h = expect_role(&w.handle(Event::Discarded), Role::Implementer);
    assert_eq!(h.attempt, 3);
}

#[test]
fn a_passing_verification_ends_the_run_of_fixes_in_place() {
    // Mob: fail, fix in place, pass, the reviewer sends it back, fail:
    // the count of fixes in a row starts again after the pass.
    let (mut w, _) = Workflow::start(
        task(),
        &decision(TaskType::Feature, FEATURE),
        Policy {
            max_review_loops: 4,
            ..Policy::default()
        },
    );
    w.handle(done(Role::Architect, design()));
    w.handle(done(Role::Implementer, implementation()));
    expect_role(&w.handle(verified(false)), Role::Implementer);
    w.handle(done(Role::Implementer, implementation()));
    expect_role(&w.handle(verified(true)), Role::Reviewer);
    let c = w.handle(done(
        Role::Reviewer,
        review(
            Verdict::RequestChanges,
            vec![finding(Severity::Blocking, "missing case")],
        ),
    ));
    expect_role(&c, Role::Implementer);
    w.handle(done(Role::Implementer, implementation()));
    let h = expect_role(&w.handle(verified(false)), Role::Implementer);
    assert!(h.diff.is_some(), "fixed in place, not discarded");
}
