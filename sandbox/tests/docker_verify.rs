//! Verification against the real Docker daemon and the real image. These
//! tests fail (never skip) when Docker or the image is missing: build the
//! image with `sandbox/build-image.sh` first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use coop_core::{StepStatus, TestStatus, VerificationReport, VerifyStep};
mod common;
use common::{chmod_world_readable, sandbox};
use coop_sandbox::{Sandbox, SandboxConfig, SandboxError};

fn default_cfg() -> SandboxConfig {
    SandboxConfig {
        timeout: Duration::from_secs(180),
        step_timeout: Duration::from_secs(120),
        ..Default::default()
    }
}

/// A Go module in a temp dir, readable by the container's unprivileged user.
fn module(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("go.mod"),
        "module example.com/m\n\ngo 1.27\n",
    )
    .unwrap();
    for (path, body) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    chmod_world_readable(dir.path());
    dir
}

/// Every file with its content and mode, to prove verification wrote nothing.
fn snapshot(root: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let meta = std::fs::metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if meta.is_dir() {
                out.insert(rel + "/", (Vec::new(), meta.permissions().mode()));
                stack.push(p);
            } else {
                out.insert(rel, (std::fs::read(&p).unwrap(), meta.permissions().mode()));
            }
        }
    }
    out
}

fn status(r: &VerificationReport, step: VerifyStep) -> StepStatus {
    r.steps.iter().find(|s| s.step == step).unwrap().status
}

const LIB: &str = "package strutil\n\n// Reverse reverses s.\nfunc Reverse(s string) string {\n\tr := []rune(s)\n\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {\n\t\tr[i], r[j] = r[j], r[i]\n\t}\n\treturn string(r)\n}\n";
const LIB_TEST: &str = "package strutil\n\nimport \"testing\"\n\nfunc TestReverse(t *testing.T) {\n\tif got := Reverse(\"abc\"); got != \"cba\" {\n\t\tt.Fatalf(\"Reverse = %q\", got)\n\t}\n}\n";
const MAIN: &str = "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/m/strutil\"\n)\n\nfunc main() {\n\tfmt.Println(strutil.Reverse(\"hello\"))\n}\n";

#[tokio::test(flavor = "multi_thread")]
async fn passing_module_passes_and_worktree_is_untouched() {
    let sb = sandbox(default_cfg()).await;
    let m = module(&[
        ("strutil/reverse.go", LIB),
        ("strutil/reverse_test.go", LIB_TEST),
        ("cmd/rev/main.go", MAIN),
    ]);
    let before = snapshot(m.path());
    let t = Instant::now();
    let r = sb.verify(m.path()).await.unwrap();
    eprintln!(
        "passing module verified in {:?}; steps: {:?}",
        t.elapsed(),
        r.steps
            .iter()
            .map(|s| (s.step, s.duration_ms))
            .collect::<Vec<_>>()
    );
    assert!(r.passed, "{}", r.summary_for_model(4000));
    assert_eq!(r.steps.len(), 4);
    assert!(r.steps.iter().all(|s| s.status == StepStatus::Passed));
    assert!(r.diagnostics.is_empty());
    assert!(r.unformatted.is_empty());
    let p = r
        .packages
        .iter()
        .find(|p| p.package == "example.com/m/strutil")
        .unwrap();
    assert_eq!(p.status, TestStatus::Pass);
    assert_eq!(p.tests.len(), 1);
    assert_eq!(p.tests[0].name, "TestReverse");
    assert_eq!(p.tests[0].status, TestStatus::Pass);
    assert_eq!(r.image, coop_sandbox::DEFAULT_IMAGE);
    assert_eq!(
        snapshot(m.path()),
        before,
        "verification changed the worktree"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_test_is_reported() {
    let sb = sandbox(default_cfg()).await;
    let bad_test = "package strutil\n\nimport \"testing\"\n\nfunc TestReverse(t *testing.T) {\n\tif got := Reverse(\"abc\"); got != \"abc\" {\n\t\tt.Errorf(\"Reverse = %q, want %q\", got, \"abc\")\n\t}\n}\n\nfunc TestOK(t *testing.T) {}\n";
    let m = module(&[
        ("strutil/reverse.go", LIB),
        ("strutil/reverse_test.go", bad_test),
    ]);
    let r = sb.verify(m.path()).await.unwrap();
    assert!(!r.passed);
    assert_eq!(status(&r, VerifyStep::Gofmt), StepStatus::Passed);
    assert_eq!(status(&r, VerifyStep::Vet), StepStatus::Passed);
    assert_eq!(status(&r, VerifyStep::Build), StepStatus::Passed);
    assert_eq!(status(&r, VerifyStep::Test), StepStatus::Failed);
    let p = r
        .packages
        .iter()
        .find(|p| p.package == "example.com/m/strutil")
        .unwrap();
    assert_eq!(p.status, TestStatus::Fail);
    let bad = p.tests.iter().find(|t| t.name == "TestReverse").unwrap();
    assert_eq!(bad.status, TestStatus::Fail);
    assert!(
        bad.output.contains("Reverse = \"cba\", want \"abc\""),
        "{}",
        bad.output
    );
    assert_eq!(
        p.tests.iter().find(|t| t.name == "TestOK").unwrap().status,
        TestStatus::Pass
    );
    let summary = r.summary_for_model(4000);
    assert!(
        summary.contains("FAIL example.com/m/strutil TestReverse"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn compile_error_gives_diagnostics_and_skips_tests() {
    let sb = sandbox(default_cfg()).await;
    let broken = "package strutil\n\nfunc Reverse(s string) string {\n\treturn x\n}\n";
    let m = module(&[
        ("strutil/reverse.go", broken),
        ("strutil/reverse_test.go", LIB_TEST),
    ]);
    let r = sb.verify(m.path()).await.unwrap();
    assert!(!r.passed);
    assert_eq!(status(&r, VerifyStep::Build), StepStatus::Failed);
    assert_eq!(status(&r, VerifyStep::Test), StepStatus::Skipped);
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.step == VerifyStep::Build)
        .unwrap_or_else(|| panic!("no build diagnostic: {:?}", r.diagnostics));
    assert_eq!(d.file, "strutil/reverse.go");
    assert_eq!(d.line, 4);
    assert_eq!(d.column, Some(9));
    assert!(d.message.contains("undefined: x"), "{}", d.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn vet_finding_is_a_diagnostic() {
    let sb = sandbox(default_cfg()).await;
    let vetbad = "package strutil\n\nimport \"fmt\"\n\n// Show formats s wrongly.\nfunc Show(s string) string {\n\treturn fmt.Sprintf(\"%d\", s)\n}\n";
    let m = module(&[("strutil/show.go", vetbad)]);
    let r = sb.verify(m.path()).await.unwrap();
    assert!(!r.passed);
    assert_eq!(status(&r, VerifyStep::Vet), StepStatus::Failed);
    assert_eq!(status(&r, VerifyStep::Build), StepStatus::Passed);
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.step == VerifyStep::Vet)
        .unwrap();
    assert_eq!((d.file.as_str(), d.line), ("strutil/show.go", 7));
    assert!(d.message.contains("%d"), "{}", d.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn unformatted_file_fails_gofmt_only() {
    let sb = sandbox(default_cfg()).await;
    let ugly = "package strutil\n\nfunc Reverse(s string) string {\n  r := []rune(s)\n  for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 { r[i], r[j] = r[j], r[i] }\n  return string(r)\n}\n";
    let m = module(&[
        ("strutil/reverse.go", ugly),
        ("strutil/reverse_test.go", LIB_TEST),
    ]);
    let r = sb.verify(m.path()).await.unwrap();
    assert!(!r.passed);
    assert_eq!(r.unformatted, vec!["strutil/reverse.go".to_string()]);
    assert_eq!(status(&r, VerifyStep::Gofmt), StepStatus::Failed);
    assert_eq!(status(&r, VerifyStep::Vet), StepStatus::Passed);
    assert_eq!(status(&r, VerifyStep::Build), StepStatus::Passed);
    assert_eq!(status(&r, VerifyStep::Test), StepStatus::Passed);
}

const HANG_TEST: &str =
    "package strutil\n\nimport \"testing\"\n\nfunc TestHang(t *testing.T) {\n\tfor {\n\t}\n}\n";

#[tokio::test(flavor = "multi_thread")]
async fn hanging_test_hits_the_step_timeout() {
    // go test gets -timeout 6s (3/4 of the step timeout) and names the test.
    let cfg = SandboxConfig {
        step_timeout: Duration::from_secs(8),
        timeout: Duration::from_secs(120),
        ..Default::default()
    };
    let sb = sandbox(cfg).await;
    let m = module(&[
        ("strutil/reverse.go", LIB),
        ("strutil/hang_test.go", HANG_TEST),
    ]);
    let t = Instant::now();
    let r = sb.verify(m.path()).await.unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(60),
        "took {:?}",
        t.elapsed()
    );
    assert!(!r.passed);
    assert_eq!(status(&r, VerifyStep::Build), StepStatus::Passed);
    assert_eq!(
        status(&r, VerifyStep::Test),
        StepStatus::TimedOut,
        "{}",
        r.summary_for_model(4000)
    );
    let p = r
        .packages
        .iter()
        .find(|p| p.package == "example.com/m/strutil")
        .unwrap();
    assert_eq!(p.status, TestStatus::Fail);
    let hang = p.tests.iter().find(|t| t.name == "TestHang").unwrap();
    assert_eq!(hang.status, TestStatus::Fail);
}

#[tokio::test(flavor = "multi_thread")]
async fn container_wall_clock_kills_and_reports() {
    // The step timeout is long, so only the host's wall clock can stop it.
    // The clock leaves gofmt room on a loaded machine (6 s was once too
    // short for it while other containers started beside it).
    let cfg = SandboxConfig {
        step_timeout: Duration::from_secs(300),
        timeout: Duration::from_secs(20),
        ..Default::default()
    };
    let sb = sandbox(cfg).await;
    let m = module(&[
        ("strutil/reverse.go", LIB),
        ("strutil/hang_test.go", HANG_TEST),
    ]);
    let t = Instant::now();
    let r = sb.verify(m.path()).await.unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(60),
        "took {:?}",
        t.elapsed()
    );
    assert!(!r.passed);
    let timed_out: Vec<_> = r
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::TimedOut)
        .collect();
    assert_eq!(timed_out.len(), 1, "{:?}", r.steps);
    assert_eq!(status(&r, VerifyStep::Gofmt), StepStatus::Passed);
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_image_is_a_clear_error() {
    let sb = sandbox(default_cfg()).await;
    let cfg = SandboxConfig {
        image: "coop-go:no-such-version".into(),
        ..default_cfg()
    };
    let missing = Sandbox::connect(cfg).await.unwrap();
    let err = missing.ensure_image().await.unwrap_err();
    assert!(matches!(err, SandboxError::ImageMissing { .. }), "{err:?}");
    assert!(err.to_string().contains("sandbox/build-image.sh"), "{err}");
    drop(sb);
}

#[tokio::test(flavor = "multi_thread")]
async fn worktree_without_go_mod_is_rejected() {
    let sb = sandbox(default_cfg()).await;
    let dir = tempfile::tempdir().unwrap();
    let err = sb.verify(dir.path()).await.unwrap_err();
    assert!(matches!(err, SandboxError::Worktree { .. }), "{err:?}");
}
