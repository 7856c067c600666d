//! Module layouts (sandbox/src/layout.rs) against the real Docker daemon and
//! image: a module in a subdirectory, a go.work workspace, and several
//! modules without one. Paths in what verification reports stay relative to
//! the repository root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use coop_core::{StepStatus, TestStatus, VerifyStep};
mod common;
use common::{chmod_world_readable, sandbox};
use coop_sandbox::{ProjectCheck, SandboxConfig};

fn cfg() -> SandboxConfig {
    SandboxConfig {
        timeout: Duration::from_secs(180),
        step_timeout: Duration::from_secs(120),
        ..Default::default()
    }
}

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, body) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    chmod_world_readable(dir.path());
    dir
}

const A_GO: &str = "package a\n\n// A is one.\nfunc A() int { return 1 }\n";
const B_GO: &str =
    "package b\n\nimport \"example.com/a\"\n\n// B is A.\nfunc B() int { return a.A() }\n";
const B_TEST: &str = "package b\n\nimport \"testing\"\n\nfunc TestB(t *testing.T) {\n\tif B() != 1 {\n\t\tt.Fatal(\"B\")\n\t}\n}\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_module_in_a_subdirectory_is_verified_with_repository_paths() {
    let sb = sandbox(cfg()).await;
    let m = tree(&[
        ("README.md", "a repository with its Go code under go/\n"),
        ("go/svc/go.mod", "module example.com/svc\n\ngo 1.27\n"),
        (
            "go/svc/calc/calc.go",
            "package calc\n\n// Add adds.\nfunc Add(a, b int) int { return a - b }\n",
        ),
        (
            "go/svc/calc/calc_test.go",
            "package calc\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal(\"Add\")\n\t}\n}\n",
        ),
        ("go/svc/ugly.go", "package svc\nfunc  Ugly() {}\n"),
    ]);
    let r = sb.verify(m.path()).await.unwrap();
    assert!(!r.passed);
    assert_eq!(r.unformatted, vec!["go/svc/ugly.go"]);
    let calc = r
        .packages
        .iter()
        .find(|p| p.package == "example.com/svc/calc")
        .unwrap_or_else(|| panic!("{:?}", r.packages));
    assert_eq!(calc.status, TestStatus::Fail);

    // A compile error is reported at its repository path.
    let m = tree(&[
        ("go/svc/go.mod", "module example.com/svc\n\ngo 1.27\n"),
        (
            "go/svc/calc/calc.go",
            "package calc\n\n// Add adds.\nfunc Add(a, b int) int { return \"x\" }\n",
        ),
    ]);
    let r = sb.verify(m.path()).await.unwrap();
    let step = r
        .steps
        .iter()
        .find(|s| s.step == VerifyStep::Build)
        .unwrap();
    assert_eq!(step.status, StepStatus::Failed);
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.file == "go/svc/calc/calc.go" && d.line == 4),
        "{:?}",
        r.diagnostics
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_go_work_workspace_and_modules_without_one_verify_across_modules() {
    let sb = sandbox(cfg()).await;
    let files = |work: bool| {
        let mut f = vec![
            ("a/go.mod", "module example.com/a\n\ngo 1.27\n"),
            ("a/a.go", A_GO),
            (
                "b/go.mod",
                "module example.com/b\n\ngo 1.27\n\nrequire example.com/a v0.0.0\n",
            ),
            ("b/b.go", B_GO),
            ("b/b_test.go", B_TEST),
        ];
        if work {
            f.push(("go.work", "go 1.27\n\nuse (\n\t./a\n\t./b\n)\n"));
        }
        f
    };
    for work in [true, false] {
        let m = tree(&files(work));
        let r = sb.verify(m.path()).await.unwrap();
        assert!(r.passed, "go.work {work}: {}", r.summary_for_model(4000));
        let b = r
            .packages
            .iter()
            .find(|p| p.package == "example.com/b")
            .unwrap_or_else(|| panic!("{:?}", r.packages));
        assert_eq!(b.tests.len(), 1, "{b:?}");
        let want = if work {
            "go.work: go 1.27"
        } else {
            "b/go.mod: go 1.27"
        };
        let t = r.toolchain.unwrap();
        assert!(
            t.requirement.as_deref() == Some(want)
                || (!work && t.requirement.as_deref() == Some("a/go.mod: go 1.27")),
            "{t:?}"
        );
    }
    // A failure in one module fails the workspace, at its own path.
    let mut broken = files(true);
    broken.push((
        "b/b_test.go",
        "package b\n\nimport \"testing\"\n\nfunc TestB(t *testing.T) { t.Fatal(\"no\") }\n",
    ));
    broken.retain(|(p, body)| *p != "b/b_test.go" || body.contains("no\""));
    let m = tree(&broken);
    let r = sb.verify(m.path()).await.unwrap();
    assert!(!r.passed);
    assert!(
        r.packages
            .iter()
            .any(|p| p.package == "example.com/b" && p.status == TestStatus::Fail),
        "{:?}",
        r.packages
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_package_that_needs_cgo_fails_with_a_message_naming_its_files() {
    let sb = sandbox(cfg()).await;
    let m = tree(&[
        ("go.mod", "module example.com/m\n\ngo 1.27\n"),
        (
            "c/c.go",
            "package c\n\n// int two(void) { return 2; }\nimport \"C\"\n\n// Two is two, from C.\nfunc Two() int { return int(C.two()) }\n",
        ),
        (
            "c/use.go",
            "package c\n\n// Four is two twos.\nfunc Four() int { return Two() + Two() }\n",
        ),
    ]);
    let r = sb.verify(m.path()).await.unwrap();
    assert!(!r.passed);
    assert_eq!(r.cgo, vec!["c/c.go"]);
    let text = r.summary_for_model(8000);
    assert!(
        text.contains("CGO_ENABLED=0") && text.contains("c/c.go"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn packages_tags_and_project_checks_are_what_verification_runs() {
    let files = [
        ("go.mod", "module example.com/m\n\ngo 1.27\n"),
        ("a/a.go", A_GO),
        (
            "a/a_test.go",
            "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {\n\tif A() != 1 {\n\t\tt.Fatal(\"A\")\n\t}\n}\n",
        ),
        (
            "integration/it_test.go",
            "//go:build integration\n\npackage integration\n\nimport \"testing\"\n\nfunc TestIntegration(t *testing.T) { t.Fatal(\"needs the service\") }\n",
        ),
        (
            "slow/slow_test.go",
            "package slow\n\nimport \"testing\"\n\nfunc TestSlow(t *testing.T) { t.Fatal(\"slow and failing\") }\n",
        ),
    ];
    let m = tree(&files);
    let with = |packages: &[&str], tags: &[&str], checks: Vec<ProjectCheck>| SandboxConfig {
        packages: packages.iter().map(|p| p.to_string()).collect(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        checks,
        ..cfg()
    };
    let check = |name: &str, argv: &[&str]| ProjectCheck {
        name: name.into(),
        argv: argv.iter().map(|a| a.to_string()).collect(),
        timeout_ms: 60_000,
    };
    // Only ./a/...: the failing package is not verified.
    let sb = sandbox(with(&["./a/..."], &[], Vec::new())).await;
    let r = sb.verify(m.path()).await.unwrap();
    assert!(r.passed, "{}", r.summary_for_model(4000));
    assert!(
        r.packages.iter().all(|p| p.package == "example.com/m/a"),
        "{:?}",
        r.packages
    );

    // The integration tag brings in a test that fails.
    let sb = sandbox(with(
        &["./a/...", "./integration/..."],
        &["integration"],
        Vec::new(),
    ))
    .await;
    let r = sb.verify(m.path()).await.unwrap();
    assert!(!r.passed);
    assert!(
        r.packages
            .iter()
            .any(|p| p.package == "example.com/m/integration" && p.status == TestStatus::Fail),
        "{:?}",
        r.packages
    );

    // Project checks: run after the tests, in order; a failing one and one
    // whose program the image lacks fail the report and say why.
    let sb = sandbox(with(
        &["./a/..."],
        &[],
        vec![
            check(
                "unit-again",
                &["go", "test", "-count=1", "-run", "TestA", "./a/..."],
            ),
            check("slow", &["go", "test", "./slow/..."]),
            check("lint", &["staticcheck", "./..."]),
        ],
    ))
    .await;
    let r = sb.verify(m.path()).await.unwrap();
    assert!(!r.passed);
    let status: Vec<(&str, StepStatus)> = r
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.status))
        .collect();
    assert_eq!(
        status,
        vec![
            ("unit-again", StepStatus::Passed),
            ("slow", StepStatus::Failed),
            ("lint", StepStatus::Failed)
        ]
    );
    let text = r.summary_for_model(8000);
    assert!(
        text.contains("check slow failed (exit 1)") && text.contains("slow and failing"),
        "{text}"
    );
    assert!(
        text.contains("check lint failed") && text.contains("staticcheck"),
        "{text}"
    );
}
