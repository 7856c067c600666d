//! Failures that were already there: a change's verification judged
//! against the same verification of its base commit.
//!
//! Real repositories are not always green. A test that already fails on the
//! base commit, a vet finding in a package nobody touches, a file that was
//! never gofmt'ed — none of them is the change's doing, and a run must not
//! fail (or send a model chasing them) because of them. A change that makes
//! one of them pass is credited.
//!
//! Failures are compared by what they are, not where: a diagnostic by step,
//! file and message (an edit above it moves its line), a test by package and
//! name. They are counted, so a second copy of an existing diagnostic is new.
//! What cannot be compared is never excused: a step that timed out, or tests
//! that did not run at all (the build failed), leave the change unverified.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::verify::{StepStatus, TestStatus, VerificationReport, VerifyStep};

/// One failure a report shows, comparable across two trees.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Failure {
    /// `gofmt -l` lists the file.
    Unformatted { file: String },
    /// A vet or build diagnostic.
    Diagnostic {
        step: VerifyStep,
        file: String,
        message: String,
    },
    /// A test (or subtest) that failed.
    Test { package: String, test: String },
    /// A package that failed with no failing test of its own (its test
    /// binary did not build, `TestMain` or an `init` failed).
    Package { package: String },
    /// A step that failed with nothing more specific to show.
    Step { step: VerifyStep },
    /// A project check (`[verify] commands`) that failed, by name.
    Check { name: String },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unformatted { file } => write!(f, "gofmt: {file}"),
            Failure::Diagnostic {
                step,
                file,
                message,
            } => write!(f, "{} {file}: {message}", step.as_str()),
            Failure::Test { package, test } => write!(f, "FAIL {package} {test}"),
            Failure::Package { package } => write!(f, "FAIL {package}"),
            Failure::Step { step } => write!(f, "{} failed", step.as_str()),
            Failure::Check { name } => write!(f, "check {name} failed"),
        }
    }
}

/// The failures of `r`, counted. `None` when the report holds a failure
/// that cannot be compared across trees: a step that timed out, or a test
/// step that did not run.
pub fn failures(r: &VerificationReport) -> Option<BTreeMap<Failure, usize>> {
    let mut out: BTreeMap<Failure, usize> = BTreeMap::new();
    let mut add = |f: Failure| *out.entry(f).or_insert(0) += 1;
    for s in &r.steps {
        match s.status {
            StepStatus::Passed => {}
            StepStatus::TimedOut | StepStatus::Skipped => return None,
            StepStatus::Failed => {
                let specific = match s.step {
                    VerifyStep::Gofmt => !r.unformatted.is_empty(),
                    VerifyStep::Vet | VerifyStep::Build => {
                        r.diagnostics.iter().any(|d| d.step == s.step)
                    }
                    VerifyStep::Test => r.packages.iter().any(|p| p.status == TestStatus::Fail),
                };
                if !specific {
                    add(Failure::Step { step: s.step });
                }
            }
        }
    }
    for c in &r.checks {
        match c.status {
            StepStatus::Passed => {}
            // What a check would have said cannot be compared.
            StepStatus::TimedOut | StepStatus::Skipped => return None,
            StepStatus::Failed => add(Failure::Check {
                name: c.name.clone(),
            }),
        }
    }
    for file in &r.unformatted {
        add(Failure::Unformatted { file: file.clone() });
    }
    for d in &r.diagnostics {
        // The test step's compile errors show as the package's failure;
        // only vet's and build's are compared as diagnostics.
        if matches!(d.step, VerifyStep::Vet | VerifyStep::Build) {
            add(Failure::Diagnostic {
                step: d.step,
                file: d.file.clone(),
                message: d.message.clone(),
            });
        }
    }
    for p in &r.packages {
        let mut any_test = false;
        for t in p.tests.iter().filter(|t| t.status == TestStatus::Fail) {
            any_test = true;
            add(Failure::Test {
                package: p.package.clone(),
                test: t.name.clone(),
            });
        }
        if p.status == TestStatus::Fail && !any_test {
            add(Failure::Package {
                package: p.package.clone(),
            });
        }
    }
    Some(out)
}

/// How a change's verification compares with its base commit's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseComparison {
    /// Failures of the change that the base has as often or more.
    pub preexisting: Vec<Failure>,
    /// Failures of the base the change no longer has.
    pub fixed: Vec<Failure>,
    /// Failures of the change the base does not have (or has fewer of).
    pub new: Vec<Failure>,
}

/// Compare a change's report with its base's. `None` when either holds a
/// failure that cannot be compared (see [`failures`]): then nothing is
/// excused.
pub fn compare(base: &VerificationReport, change: &VerificationReport) -> Option<BaseComparison> {
    let before = failures(base)?;
    let after = failures(change)?;
    let mut c = BaseComparison::default();
    for (f, &n) in &after {
        let had = before.get(f).copied().unwrap_or(0);
        if had >= n {
            c.preexisting.push(f.clone());
        } else {
            c.new.push(f.clone());
        }
    }
    for (f, &n) in &before {
        if after.get(f).copied().unwrap_or(0) < n {
            c.fixed.push(f.clone());
        }
    }
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{Diagnostic, PackageResult, StepResult, TestResult};

    fn step(step: VerifyStep, status: StepStatus) -> StepResult {
        StepResult {
            step,
            status,
            exit_code: Some(i64::from(status != StepStatus::Passed)),
            duration_ms: 1,
            output: String::new(),
            truncated: false,
        }
    }

    /// A report with these failing tests (package "m/a"), diagnostics and
    /// unformatted files; the steps' statuses follow from them.
    fn report(
        tests: &[&str],
        diags: &[(VerifyStep, &str, &str, u32)],
        unformatted: &[&str],
    ) -> VerificationReport {
        let failed = |b: bool| {
            if b {
                StepStatus::Failed
            } else {
                StepStatus::Passed
            }
        };
        let has = |s: VerifyStep| diags.iter().any(|d| d.0 == s);
        let steps = vec![
            step(VerifyStep::Gofmt, failed(!unformatted.is_empty())),
            step(VerifyStep::Vet, failed(has(VerifyStep::Vet))),
            step(VerifyStep::Build, failed(has(VerifyStep::Build))),
            step(VerifyStep::Test, failed(!tests.is_empty())),
        ];
        let passed = steps.iter().all(|s| s.status == StepStatus::Passed);
        let mut all = vec!["TestOK"];
        all.extend(tests);
        VerificationReport {
            passed,
            steps,
            packages: vec![PackageResult {
                package: "m/a".into(),
                status: if tests.is_empty() {
                    TestStatus::Pass
                } else {
                    TestStatus::Fail
                },
                elapsed_s: 0.0,
                tests: all
                    .iter()
                    .map(|n| TestResult {
                        name: n.to_string(),
                        status: if tests.contains(n) {
                            TestStatus::Fail
                        } else {
                            TestStatus::Pass
                        },
                        elapsed_s: 0.0,
                        output: String::new(),
                    })
                    .collect(),
                output: String::new(),
            }],
            diagnostics: diags
                .iter()
                .map(|(s, file, msg, line)| Diagnostic {
                    step: *s,
                    file: file.to_string(),
                    line: *line,
                    column: None,
                    message: msg.to_string(),
                })
                .collect(),
            unformatted: unformatted.iter().map(|s| s.to_string()).collect(),
            image: "img".into(),
            duration_ms: 1,
            missing: Vec::new(),
            evidence: None,
            masked: Vec::new(),
            base: None,
            toolchain: None,
            cgo: Vec::new(),
            checks: Vec::new(),
        }
    }

    fn test(n: &str) -> Failure {
        Failure::Test {
            package: "m/a".into(),
            test: n.into(),
        }
    }

    #[test]
    fn a_project_check_failing_on_the_base_too_is_preexisting_and_a_new_one_is_not() {
        let check = |name: &str, status| crate::verify::CheckResult {
            name: name.into(),
            status,
            exit_code: Some(1),
            duration_ms: 1,
            output: String::new(),
            truncated: false,
        };
        let mut base = report(&[], &[], &[]);
        base.checks = vec![check("lint", StepStatus::Failed)];
        let mut change = report(&[], &[], &[]);
        change.checks = vec![
            check("lint", StepStatus::Failed),
            check("integration", StepStatus::Failed),
        ];
        let c = compare(&base, &change).expect("comparable");
        assert_eq!(
            c.preexisting,
            vec![Failure::Check {
                name: "lint".into()
            }]
        );
        assert_eq!(
            c.new,
            vec![Failure::Check {
                name: "integration".into()
            }]
        );
        // A check that timed out or did not run cannot be compared.
        change.checks[1].status = StepStatus::TimedOut;
        assert!(compare(&base, &change).is_none());
        change.checks[1].status = StepStatus::Skipped;
        assert!(compare(&base, &change).is_none());
    }

    #[test]
    fn a_failure_already_on_the_base_is_preexisting_and_a_new_one_is_new() {
        let base = report(&["TestOld"], &[], &["old.go"]);
        let change = report(&["TestOld", "TestNew"], &[], &["old.go"]);
        let c = compare(&base, &change).unwrap();
        assert_eq!(
            c.preexisting,
            vec![
                Failure::Unformatted {
                    file: "old.go".into()
                },
                test("TestOld")
            ]
        );
        assert_eq!(c.new, vec![test("TestNew")]);
        assert!(c.fixed.is_empty());
    }

    #[test]
    fn a_change_that_fixes_a_base_failure_is_credited() {
        let base = report(&["TestOld", "TestOther"], &[], &[]);
        let change = report(&["TestOther"], &[], &[]);
        let c = compare(&base, &change).unwrap();
        assert_eq!(c.fixed, vec![test("TestOld")]);
        assert_eq!(c.preexisting, vec![test("TestOther")]);
        assert!(c.new.is_empty());
    }

    #[test]
    fn diagnostics_compare_without_lines_but_with_counts() {
        let d = |line| (VerifyStep::Vet, "a/a.go", "printf: wrong verb", line);
        let base = report(&[], &[d(10)], &[]);
        // The same finding, moved by an edit above it: pre-existing.
        let moved = report(&[], &[d(14)], &[]);
        let c = compare(&base, &moved).unwrap();
        assert!(c.new.is_empty() && c.preexisting.len() == 1, "{c:?}");
        // A second copy of it: new.
        let twice = report(&[], &[d(14), d(30)], &[]);
        assert_eq!(compare(&base, &twice).unwrap().new.len(), 1);
        // Another file, or another message: new.
        let other = report(
            &[],
            &[(VerifyStep::Vet, "a/b.go", "printf: wrong verb", 10)],
            &[],
        );
        assert_eq!(compare(&base, &other).unwrap().new.len(), 1);
    }

    #[test]
    fn what_cannot_be_compared_is_never_excused() {
        let base = report(&["TestOld"], &[], &[]);
        let mut timed_out = report(&["TestOld"], &[], &[]);
        timed_out.steps[3].status = StepStatus::TimedOut;
        assert_eq!(compare(&base, &timed_out), None);
        assert_eq!(compare(&timed_out, &base), None);
        // The build failed, so the tests never ran: nothing is known about them.
        let mut skipped = report(
            &[],
            &[(VerifyStep::Build, "a/a.go", "undefined: x", 3)],
            &[],
        );
        skipped.steps[3].status = StepStatus::Skipped;
        assert_eq!(compare(&skipped, &skipped.clone()), None);
    }

    #[test]
    fn a_step_failing_without_detail_compares_as_the_step() {
        let mut base = report(&[], &[], &[]);
        base.steps[1].status = StepStatus::Failed;
        base.passed = false;
        let c = compare(&base, &base.clone()).unwrap();
        assert_eq!(
            c.preexisting,
            vec![Failure::Step {
                step: VerifyStep::Vet
            }]
        );
        let clean = report(&[], &[], &[]);
        assert_eq!(compare(&clean, &base).unwrap().new.len(), 1);
    }

    #[test]
    fn a_package_failing_without_a_failing_test_compares_as_the_package() {
        let mut base = report(&[], &[], &[]);
        base.packages[0].status = TestStatus::Fail;
        base.steps[3].status = StepStatus::Failed;
        let f = failures(&base).unwrap();
        assert_eq!(
            f.keys().cloned().collect::<Vec<_>>(),
            vec![Failure::Package {
                package: "m/a".into()
            }]
        );
    }

    #[test]
    fn identical_reports_have_nothing_new_and_nothing_fixed() {
        for r in [
            report(&[], &[], &[]),
            report(
                &["TestA", "TestB"],
                &[(VerifyStep::Vet, "x.go", "m", 1)],
                &["y.go"],
            ),
        ] {
            let c = compare(&r, &r).unwrap();
            assert!(c.new.is_empty() && c.fixed.is_empty());
        }
    }

    #[test]
    fn a_report_whose_failures_were_all_there_passes_and_says_so() {
        let base = report(&["TestOld"], &[], &[]);
        let mut change = report(&["TestOld"], &[], &[]);
        change.judge_against_base(&base);
        assert!(change.passed);
        let b = change.base.clone().unwrap();
        assert_eq!(b.preexisting, vec![test("TestOld")]);
        let text = change.summary_for_model(2000);
        assert!(
            text.contains("Already failing on the base commit"),
            "{text}"
        );

        // A new failure beside it: still failing, the old one named apart.
        let mut worse = report(&["TestOld", "TestNew"], &[], &[]);
        worse.judge_against_base(&base);
        assert!(!worse.passed);
        assert_eq!(worse.base.unwrap().new, vec![test("TestNew")]);

        // A requested declaration that is missing keeps it failing.
        let mut missing = report(&["TestOld"], &[], &[]);
        missing.set_missing(vec![crate::requested::RequestedDecl {
            name: "Median".into(),
            written: "Median(xs []float64) float64".into(),
        }]);
        missing.judge_against_base(&base);
        assert!(!missing.passed);

        // A clean base changes nothing.
        let mut plain = report(&["TestNew"], &[], &[]);
        plain.judge_against_base(&report(&[], &[], &[]));
        assert!(!plain.passed && plain.base.is_none());

        // Fixing the base's failure is credited on a passing report.
        let mut fixed = report(&[], &[], &[]);
        fixed.judge_against_base(&base);
        assert!(fixed.passed);
        assert_eq!(fixed.base.unwrap().fixed, vec![test("TestOld")]);
    }
}
