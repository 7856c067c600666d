//! Whether a change shows, by a test, what it changes.
//!
//! A bug fix or a feature that passes verification may still do nothing: in
//! the live set recorded on 2026-12-07, 10 of the 13 solo runs that were
//! approved and then failed the hidden tests had added no test at all, and
//! in three bug fixes the only "change" was a dropped comment. Their
//! existing tests passed before the change and after it, so verification
//! could not tell. The host therefore runs the tests the change added or
//! changed against the code as it was before the change (the base commit
//! with the change's test files laid over it). A test that fails there, or
//! does not compile there because it calls what the change adds, and passes
//! on the change is the evidence. Without one the verification fails, with a
//! message saying what is missing.
//!
//! This module holds the pure parts: which test functions of a file are new
//! or changed, which task types need the evidence, and the judgement on the
//! base run. The host does the git, file and sandbox work.

use crate::types::TaskType;
use crate::verify::{TestStatus, VerificationReport};
use serde::{Deserialize, Serialize};

/// A test function the change added or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedTest {
    /// The test file, relative to the module root, `/`-separated.
    pub file: String,
    /// The function's name (`TestParseAge`).
    pub name: String,
}

/// What the base run says about the change's tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TestEvidence {
    /// At least one of the change's tests fails on the code before the
    /// change (`failing`), or its package's tests do not compile there
    /// because they use what the change adds (`not_compiling`, the
    /// packages' directories).
    Shown {
        failing: Vec<String>,
        not_compiling: Vec<String>,
    },
    /// The change adds or changes no test function.
    NoTest,
    /// Every test the change added or changed passes on the code before the
    /// change too: they do not show what it changes.
    PassesOnBase { tests: Vec<String> },
}

impl TestEvidence {
    pub fn is_shown(&self) -> bool {
        matches!(self, TestEvidence::Shown { .. })
    }

    /// What the model is told when the evidence is missing; `None` when
    /// it is there.
    pub fn message(&self) -> Option<String> {
        match self {
            TestEvidence::Shown { .. } => None,
            TestEvidence::NoTest => Some(
                "The change adds or changes no test, so nothing shows that it does what the task asks. Add a test \
                 (in a `_test.go` file of the package) that fails on the code before your change and passes with it: \
                 for a bug, a test of the case the task reports, with the result the task says is right; for a new \
                 function or option, a test that calls it."
                    .to_string(),
            ),
            TestEvidence::PassesOnBase { tests } => Some(format!(
                "Your tests ({}) also pass on the code before your change, so they do not show what the change does: \
                 the code may still have the problem the task describes. Add a test case that fails without your change \
                 (for a bug, the input the task reports and the result it says is right), and make the code pass it.",
                tests.join(", ")
            )),
        }
    }
}

/// Whether a change for a task of this type must show itself in a test.
/// Bug fixes and features change behaviour, so a test can tell; a refactor
/// keeps behaviour (its tests pass before and after by design), docs and
/// test-only tasks change none, and an unclear request is never
/// implemented.
pub fn needs_evidence(task_type: TaskType) -> bool {
    matches!(task_type, TaskType::Bugfix | TaskType::Feature)
}

/// Whether `name` is a function `go test` runs: `Test`, `Fuzz` or
/// `Example` followed by nothing or by a character that is not a lower-case
/// letter (benchmarks do not run without `-bench`).
pub fn is_test_func(name: &str) -> bool {
    ["Test", "Fuzz", "Example"].iter().any(|p| {
        name.strip_prefix(p)
            .is_some_and(|rest| rest.chars().next().is_none_or(|c| !c.is_lowercase()))
    })
}

/// The test functions of a test file a change puts in question: given the
/// file's top-level declarations before and after (name, source text; a
/// method's name carries its receiver), the test functions that are new or
/// whose text changed, in `new`'s order. When anything else in the file is
/// new or changed (a helper, a table of cases, a type), any of its tests may
/// now check something else, so all of them are. Texts are compared with
/// trailing whitespace and blank lines ignored.
pub fn changed_test_funcs(base: &[(String, String)], new: &[(String, String)]) -> Vec<String> {
    let norm = |s: &str| -> String {
        s.lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let changed = |(name, text): &&(String, String)| {
        base.iter()
            .find(|(b, _)| b == name)
            .is_none_or(|(_, bt)| norm(bt) != norm(text))
    };
    let all_tests = new
        .iter()
        .filter(|d| changed(d))
        .any(|(n, _)| !is_test_func(n));
    new.iter()
        .filter(|(name, _)| is_test_func(name))
        .filter(|d| all_tests || changed(d))
        .map(|(name, _)| name.clone())
        .collect()
}

/// A Go module of the repository: its directory (repository-relative, ``
/// for the root) and the path its go.mod declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleRoot {
    pub dir: String,
    pub path: String,
}

impl ModuleRoot {
    /// The one module of a repository with its go.mod at the root.
    pub fn at_root(path: &str) -> Vec<ModuleRoot> {
        vec![ModuleRoot {
            dir: String::new(),
            path: path.to_string(),
        }]
    }
}

/// The import path of the package in directory `dir` (repository-relative):
/// the path of the innermost module holding it, joined with the rest of
/// `dir`; `dir` itself when no module holds it.
pub fn import_path(dir: &str, modules: &[ModuleRoot]) -> String {
    let inside = |m: &&ModuleRoot| {
        m.dir.is_empty()
            || dir == m.dir
            || dir
                .strip_prefix(m.dir.as_str())
                .is_some_and(|r| r.starts_with('/'))
    };
    let Some(m) = modules.iter().filter(inside).max_by_key(|m| m.dir.len()) else {
        return dir.to_string();
    };
    let rest = dir
        .strip_prefix(m.dir.as_str())
        .unwrap_or(dir)
        .trim_start_matches('/');
    match (m.path.is_empty(), rest.is_empty()) {
        (_, true) => m.path.clone(),
        (true, false) => rest.to_string(),
        (false, false) => format!("{}/{rest}", m.path),
    }
}

/// Judge the change's tests by the run of the module at the base commit
/// with the change's test files laid over it. `modules` are the
/// repository's modules; a package of the report belongs to a test file
/// when its import path is [`import_path`] of the file's directory.
pub fn judge(
    changed: &[ChangedTest],
    modules: &[ModuleRoot],
    base_run: &VerificationReport,
) -> TestEvidence {
    if changed.is_empty() {
        return TestEvidence::NoTest;
    }
    let dir_of = |file: &str| {
        file.rfind('/')
            .map(|i| file[..i].to_string())
            .unwrap_or_default()
    };
    let import_path = |dir: &str| import_path(dir, modules);
    let mut failing: Vec<String> = Vec::new();
    let mut not_compiling: Vec<String> = Vec::new();
    for t in changed {
        let dir = dir_of(&t.file);
        let pkg_path = import_path(&dir);
        // External test packages (`package x_test`) report under the same
        // import path with `_test` appended by some Go versions.
        let Some(pkg) = base_run
            .packages
            .iter()
            .find(|p| p.package == pkg_path || p.package == format!("{pkg_path}_test"))
        else {
            continue;
        };
        let top = |name: &str| name.split('/').next().unwrap_or(name).to_string();
        let ran_any = !pkg.tests.is_empty();
        if pkg.status == TestStatus::Fail && !ran_any {
            if !not_compiling.contains(&dir) {
                not_compiling.push(dir);
            }
            continue;
        }
        if pkg
            .tests
            .iter()
            .any(|r| r.status == TestStatus::Fail && top(&r.name) == t.name)
            && !failing.contains(&t.name)
        {
            failing.push(t.name.clone());
        }
    }
    if failing.is_empty() && not_compiling.is_empty() {
        TestEvidence::PassesOnBase {
            tests: changed.iter().map(|t| t.name.clone()).collect(),
        }
    } else {
        TestEvidence::Shown {
            failing,
            not_compiling,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{PackageResult, TestResult};

    fn s(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    fn report(pkgs: Vec<PackageResult>) -> VerificationReport {
        VerificationReport {
            passed: false,
            steps: vec![],
            packages: pkgs,
            diagnostics: vec![],
            unformatted: vec![],
            image: "img".into(),
            duration_ms: 0,
            missing: vec![],
            evidence: None,
            masked: Vec::new(),
            base: None,
            toolchain: None,
            cgo: Vec::new(),
            checks: Vec::new(),
        }
    }

    fn pkg(path: &str, status: TestStatus, tests: &[(&str, TestStatus)]) -> PackageResult {
        PackageResult {
            package: path.into(),
            status,
            elapsed_s: 0.0,
            tests: tests
                .iter()
                .map(|(n, st)| TestResult {
                    name: n.to_string(),
                    status: *st,
                    elapsed_s: 0.0,
                    output: String::new(),
                })
                .collect(),
            output: String::new(),
        }
    }

    fn ct(file: &str, name: &str) -> ChangedTest {
        ChangedTest {
            file: file.into(),
            name: name.into(),
        }
    }

    #[test]
    fn packages_of_nested_and_subdirectory_modules() {
        let mods = vec![
            ModuleRoot {
                dir: "go/svc".into(),
                path: "ex.com/svc".into(),
            },
            ModuleRoot {
                dir: "go/svc/inner".into(),
                path: "ex.com/inner".into(),
            },
            ModuleRoot {
                dir: "go/svcx".into(),
                path: "ex.com/svcx".into(),
            },
        ];
        assert_eq!(import_path("go/svc", &mods), "ex.com/svc");
        assert_eq!(import_path("go/svc/a/b", &mods), "ex.com/svc/a/b");
        assert_eq!(import_path("go/svc/inner/x", &mods), "ex.com/inner/x");
        assert_eq!(import_path("go/svcx/y", &mods), "ex.com/svcx/y");
        assert_eq!(import_path("other", &mods), "other");
        assert_eq!(import_path("", &ModuleRoot::at_root("m")), "m");
        assert_eq!(import_path("a", &ModuleRoot::at_root("m")), "m/a");
    }

    #[test]
    fn test_function_names_are_the_ones_go_test_runs() {
        for n in [
            "Test",
            "TestX",
            "Test_x",
            "TestÄ",
            "FuzzParse",
            "Example",
            "ExampleReverse",
            "Example_second",
        ] {
            assert!(is_test_func(n), "{n}");
        }
        for n in [
            "Testing",
            "Testify",
            "helper",
            "BenchmarkX",
            "Examples",
            "test",
            "TesT",
        ] {
            assert!(!is_test_func(n), "{n}");
        }
    }

    #[test]
    fn new_and_changed_test_functions_are_found_and_unchanged_ones_are_not() {
        let base = vec![
            s("TestA", "func TestA(t *testing.T) {\n\tcheck(1)\n}"),
            s("TestB", "func TestB(t *testing.T) {\n\tcheck(2)\n}"),
            s("check", "func check(n int) {}"),
        ];
        let new = vec![
            // Only trailing whitespace and a blank line differ: unchanged.
            s("TestA", "func TestA(t *testing.T) {   \n\n\tcheck(1)\n}\n"),
            s(
                "TestB",
                "func TestB(t *testing.T) {\n\tcheck(2)\n\tcheck(3)\n}",
            ),
            s("TestC", "func TestC(t *testing.T) {}"),
            s("check", "func check(n int) {}"),
        ];
        assert_eq!(changed_test_funcs(&base, &new), ["TestB", "TestC"]);
        assert!(changed_test_funcs(&base, &base).is_empty());
        assert_eq!(changed_test_funcs(&[], &new), ["TestA", "TestB", "TestC"]);
    }

    #[test]
    fn a_changed_helper_or_table_puts_every_test_of_the_file_in_question() {
        let base = vec![
            s("cases", "var cases = []int{1}"),
            s("TestA", "func TestA(t *testing.T) { run(cases) }"),
            s("TestB", "func TestB(t *testing.T) {}"),
            s("BenchmarkA", "func BenchmarkA(b *testing.B) {}"),
        ];
        let mut new = base.clone();
        new[0] = s("cases", "var cases = []int{1, 2}");
        assert_eq!(changed_test_funcs(&base, &new), ["TestA", "TestB"]);
        let mut added = base.clone();
        added.push(s("helper", "func helper() {}"));
        assert_eq!(changed_test_funcs(&base, &added), ["TestA", "TestB"]);
        // A benchmark is not run by go test: changing it changes no test.
        let mut bench = base.clone();
        bench[3] = s("BenchmarkA", "func BenchmarkA(b *testing.B) { b.Fail() }");
        assert_eq!(changed_test_funcs(&base, &bench), ["TestA", "TestB"]);
    }

    #[test]
    fn only_behaviour_changing_task_types_need_evidence() {
        for t in TaskType::ALL {
            assert_eq!(
                needs_evidence(t),
                matches!(t, TaskType::Bugfix | TaskType::Feature),
                "{t:?}"
            );
        }
    }

    #[test]
    fn no_changed_test_is_no_evidence_whatever_the_base_run_says() {
        let r = report(vec![pkg(
            "m/a",
            TestStatus::Fail,
            &[("TestX", TestStatus::Fail)],
        )]);
        assert_eq!(
            judge(&[], &ModuleRoot::at_root("m"), &r),
            TestEvidence::NoTest
        );
        assert!(TestEvidence::NoTest.message().is_some());
    }

    #[test]
    fn a_changed_test_failing_on_base_is_evidence() {
        let r = report(vec![pkg(
            "example.com/m/retention",
            TestStatus::Fail,
            &[
                ("TestParseAge", TestStatus::Pass),
                ("TestBadAges", TestStatus::Fail),
                ("TestBadAges/1Od", TestStatus::Fail),
            ],
        )]);
        let changed = [ct("retention/retention_test.go", "TestBadAges")];
        let e = judge(&changed, &ModuleRoot::at_root("example.com/m"), &r);
        assert_eq!(
            e,
            TestEvidence::Shown {
                failing: vec!["TestBadAges".into()],
                not_compiling: vec![]
            }
        );
        assert!(e.is_shown() && e.message().is_none());
    }

    #[test]
    fn a_subtest_failing_on_base_counts_for_its_test_function() {
        let r = report(vec![pkg(
            "m",
            TestStatus::Fail,
            &[
                ("TestT", TestStatus::Fail),
                ("TestT/case_3", TestStatus::Fail),
            ],
        )]);
        // A test file at the module root: its package is the module path.
        let e = judge(&[ct("t_test.go", "TestT")], &ModuleRoot::at_root("m"), &r);
        assert!(e.is_shown(), "{e:?}");
    }

    #[test]
    fn tests_that_do_not_compile_on_base_are_evidence() {
        // The new test calls Median, which the base code lacks: the
        // package fails without running a test.
        let r = report(vec![pkg("example.com/t/stats", TestStatus::Fail, &[])]);
        let e = judge(
            &[ct("stats/stats_test.go", "TestMedian")],
            &ModuleRoot::at_root("example.com/t"),
            &r,
        );
        assert_eq!(
            e,
            TestEvidence::Shown {
                failing: vec![],
                not_compiling: vec!["stats".into()]
            }
        );
    }

    #[test]
    fn changed_tests_passing_on_base_are_no_evidence() {
        let r = report(vec![
            pkg("m/a", TestStatus::Pass, &[("TestA", TestStatus::Pass)]),
            // A failure elsewhere, or of an unchanged test, says nothing
            // about the change's tests.
            pkg(
                "m/b",
                TestStatus::Fail,
                &[("TestA", TestStatus::Fail), ("TestOld", TestStatus::Fail)],
            ),
        ]);
        let e = judge(&[ct("a/a_test.go", "TestA")], &ModuleRoot::at_root("m"), &r);
        assert_eq!(
            e,
            TestEvidence::PassesOnBase {
                tests: vec!["TestA".into()]
            }
        );
        let msg = e.message().expect("a message");
        assert!(msg.contains("TestA"), "{msg}");
    }

    #[test]
    fn an_external_test_package_is_matched_to_its_directory() {
        let r = report(vec![pkg(
            "m/a_test",
            TestStatus::Fail,
            &[("TestX", TestStatus::Fail)],
        )]);
        assert!(judge(&[ct("a/x_test.go", "TestX")], &ModuleRoot::at_root("m"), &r).is_shown());
    }
}
