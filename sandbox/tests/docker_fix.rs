//! `Sandbox::fix` (coop-verify -fix) against the real Docker daemon and the
//! real image. Each fixable case starts from a module whose verification
//! FAILS and must PASS after the fix; the refusals prove the fixer leaves
//! alone what it must not touch. Like docker_verify.rs these fail (never
//! skip) when Docker or the image is missing: run sandbox/build-image.sh.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use coop_core::{StepStatus, VerificationReport, VerifyStep};
mod common;
use common::{chmod_world_readable, snapshot};
use coop_sandbox::{FileFix, FixReport, Sandbox, SandboxConfig, SandboxError};

/// Label put on this file's containers, to check none is left behind.
const TEST_LABEL: &str = "coop.test";

async fn sandbox(tag: &str) -> Sandbox {
    let cfg = SandboxConfig {
        timeout: Duration::from_secs(180),
        step_timeout: Duration::from_secs(120),
        labels: vec![(TEST_LABEL.to_string(), format!("docker_fix-{tag}"))],
        ..Default::default()
    };

    common::sandbox(cfg).await
}

/// Every container of this test was removed by `fix`/`verify` themselves.
async fn no_leftovers(sb: &Sandbox, tag: &str) {
    let left = sb
        .remove_labelled(TEST_LABEL, &format!("docker_fix-{tag}"))
        .await
        .unwrap();
    assert_eq!(left, 0, "containers left behind");
}

/// A Go module in `root` (created), readable by the container's user.
fn module_in(root: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(root).unwrap();
    std::fs::write(root.join("go.mod"), "module example.com/m\n\ngo 1.27\n").unwrap();
    for (path, body) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    chmod_world_readable(root);
}

fn module(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    module_in(dir.path(), files);
    dir
}

fn status(r: &VerificationReport, step: VerifyStep) -> StepStatus {
    r.steps.iter().find(|s| s.step == step).unwrap().status
}

fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap()
}

fn paths(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| s.to_string()).collect()
}

const LIB_TEST: &str = "package strutil\n\nimport \"testing\"\n\nfunc TestReverse(t *testing.T) {\n\tif got := Reverse(\"abc\"); got != \"cba\" {\n\t\tt.Fatalf(\"Reverse = %q\", got)\n\t}\n}\n";
const UGLY: &str = "package strutil\n\n// Reverse reverses s.\nfunc Reverse(s string) string {\n  r := []rune(s)\n  for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {\n r[i], r[j] = r[j], r[i] }\n  return string(r)\n}\n";
const FORMATTED: &str = "package strutil\n\n// Reverse reverses s.\nfunc Reverse(s string) string {\n\tr := []rune(s)\n\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {\n\t\tr[i], r[j] = r[j], r[i]\n\t}\n\treturn string(r)\n}\n";

/// Fix `file`, expecting exactly `want` for it, then check that verification
/// passes and a second fix has nothing left to do.
async fn fix_then_pass(sb: &Sandbox, m: &Path, file: &str, want: FileFix) -> FixReport {
    let report = sb.fix(m, &paths(&[file])).await.unwrap();
    assert_eq!(report.files, vec![want], "{report:?}");
    assert_eq!(report.changed_paths(), vec![file]);
    assert!(report.duration_ms > 0);
    let after = sb.verify(m).await.unwrap();
    assert!(
        after.passed,
        "still failing after the fix:\n{}",
        after.summary_for_model(4000)
    );
    let again = sb.fix(m, &paths(&[file])).await.unwrap();
    assert!(again.changed_paths().is_empty(), "{again:?}");
    report
}

#[tokio::test(flavor = "multi_thread")]
async fn gofmt_only_fix_makes_verify_pass() {
    let sb = sandbox("gofmt").await;
    let m = module(&[
        ("strutil/reverse.go", UGLY),
        ("strutil/reverse_test.go", LIB_TEST),
    ]);
    let before = sb.verify(m.path()).await.unwrap();
    assert!(!before.passed);
    assert_eq!(status(&before, VerifyStep::Gofmt), StepStatus::Failed);
    assert_eq!(before.unformatted, vec!["strutil/reverse.go".to_string()]);

    let want = FileFix {
        path: "strutil/reverse.go".into(),
        changed: true,
        gofmt: true,
        ..Default::default()
    };
    fix_then_pass(&sb, m.path(), "strutil/reverse.go", want).await;
    assert_eq!(read(m.path(), "strutil/reverse.go"), FORMATTED);
    // Rewritten in place: mode kept.
    let meta = std::fs::metadata(m.path().join("strutil/reverse.go")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o644);
    no_leftovers(&sb, "gofmt").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unused_import_is_removed_and_verify_passes() {
    let sb = sandbox("unused").await;
    let src = "package strutil\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\n// Upper upper-cases s.\nfunc Upper(s string) string {\n\treturn strings.ToUpper(s)\n}\n";
    let test = "package strutil\n\nimport \"testing\"\n\nfunc TestUpper(t *testing.T) {\n\tif Upper(\"a\") != \"A\" {\n\t\tt.Fatal(\"Upper\")\n\t}\n}\n";
    let m = module(&[("strutil/upper.go", src), ("strutil/upper_test.go", test)]);
    let before = sb.verify(m.path()).await.unwrap();
    assert!(!before.passed);
    assert_eq!(status(&before, VerifyStep::Build), StepStatus::Failed);
    assert!(
        before
            .diagnostics
            .iter()
            .any(|d| d.message.contains("\"fmt\" imported and not used")),
        "{:?}",
        before.diagnostics
    );

    let want = FileFix {
        path: "strutil/upper.go".into(),
        changed: true,
        gofmt: false,
        removed_imports: vec!["fmt".into()],
        ..Default::default()
    };
    fix_then_pass(&sb, m.path(), "strutil/upper.go", want).await;
    assert_eq!(
        read(m.path(), "strutil/upper.go"),
        "package strutil\n\nimport (\n\t\"strings\"\n)\n\n// Upper upper-cases s.\nfunc Upper(s string) string {\n\treturn strings.ToUpper(s)\n}\n"
    );
    no_leftovers(&sb, "unused").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_std_imports_are_added_and_verify_passes() {
    let sb = sandbox("missing").await;
    let src = "package strutil\n\n// Shout upper-cases s and adds up to two bangs.\nfunc Shout(s string) string {\n\treturn strings.ToUpper(s) + strings.Repeat(\"!\", rand.Intn(3))\n}\n";
    let test = "package strutil\n\nimport \"testing\"\n\nfunc TestShout(t *testing.T) {\n\tif got := Shout(\"a\"); got[0] != 'A' {\n\t\tt.Fatal(got)\n\t}\n}\n";
    let m = module(&[("strutil/shout.go", src), ("strutil/shout_test.go", test)]);
    let before = sb.verify(m.path()).await.unwrap();
    assert!(!before.passed);
    assert_eq!(status(&before, VerifyStep::Build), StepStatus::Failed);
    assert!(
        before
            .diagnostics
            .iter()
            .any(|d| d.message.contains("undefined: strings")),
        "{:?}",
        before.diagnostics
    );

    let want = FileFix {
        path: "strutil/shout.go".into(),
        changed: true,
        gofmt: false,
        added_imports: vec!["math/rand".into(), "strings".into()],
        ..Default::default()
    };
    fix_then_pass(&sb, m.path(), "strutil/shout.go", want).await;
    assert!(
        read(m.path(), "strutil/shout.go")
            .starts_with("package strutil\n\nimport (\n\t\"math/rand\"\n\t\"strings\"\n)\n\n"),
        "{}",
        read(m.path(), "strutil/shout.go")
    );
    no_leftovers(&sb, "missing").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fix_runs_as_a_non_root_owner_and_keeps_ownership() {
    // The usual case outside CI: the worktree belongs to an ordinary user,
    // and the fixer runs as that user.
    let sb = sandbox("owner").await;
    let m = module(&[("strutil/reverse.go", UGLY)]);
    chown_tree(m.path(), 65534, 65534);
    let report = sb
        .fix(m.path(), &paths(&["strutil/reverse.go"]))
        .await
        .unwrap();
    assert_eq!(
        report.changed_paths(),
        vec!["strutil/reverse.go"],
        "{report:?}"
    );
    assert_eq!(read(m.path(), "strutil/reverse.go"), FORMATTED);
    let meta = std::fs::metadata(m.path().join("strutil/reverse.go")).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
    assert_eq!(meta.permissions().mode() & 0o7777, 0o644);
    no_leftovers(&sb, "owner").await;
}

fn chown_tree(p: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(p, Some(uid), Some(gid)).unwrap();
    if std::fs::symlink_metadata(p).unwrap().is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            chown_tree(&e.unwrap().path(), uid, gid);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn symlinks_are_skipped_and_their_targets_untouched() {
    let sb = sandbox("symlink").await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("o.go"), UGLY).unwrap();
    chmod_world_readable(outside.path());
    let m = module(&[("strutil/reverse.go", UGLY)]);
    // A file symlink inside the module, one pointing out of it, and a
    // symlinked directory on the way to a real file.
    std::os::unix::fs::symlink("reverse.go", m.path().join("strutil/link.go")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("o.go"), m.path().join("strutil/out.go"))
        .unwrap();
    std::os::unix::fs::symlink("strutil", m.path().join("linked")).unwrap();
    let before = snapshot(m.path());

    let req = paths(&["strutil/link.go", "strutil/out.go", "linked/reverse.go"]);
    let report = sb.fix(m.path(), &req).await.unwrap();
    assert_eq!(report.files.len(), 3);
    for (f, want) in report
        .files
        .iter()
        .zip(["symlink", "symlink", "through a symlink"])
    {
        assert!(!f.changed, "{f:?}");
        let err = f.error.as_deref().unwrap_or_default();
        assert!(err.starts_with("skipped:") && err.contains(want), "{f:?}");
    }
    assert!(report.changed_paths().is_empty());
    assert_eq!(snapshot(m.path()), before, "the module changed");
    assert_eq!(read(outside.path(), "o.go"), UGLY);
    no_leftovers(&sb, "symlink").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paths_escaping_the_module_are_refused() {
    let sb = sandbox("dotdot").await;
    let parent = tempfile::tempdir().unwrap();
    std::fs::write(parent.path().join("outside.go"), UGLY).unwrap();
    let root = parent.path().join("m");
    module_in(&root, &[("strutil/reverse.go", UGLY)]);
    chmod_world_readable(parent.path());
    let before = snapshot(&root);

    let req = paths(&[
        "../outside.go",
        "strutil/../strutil/reverse.go",
        "/work/strutil/reverse.go",
        "strutil/re\0verse.go",
        "-fix",
        "go.mod",
    ]);
    let report = sb.fix(&root, &req).await.unwrap();
    let got: Vec<(&str, &str)> = report
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.error.as_deref().unwrap_or_default()))
        .collect();
    let wants = [
        "contains ..",
        "contains ..",
        "absolute",
        "NUL",
        "not a .go file",
        "not a .go file",
    ];
    assert_eq!(got.len(), wants.len(), "{got:?}");
    for ((path, err), (want_path, want)) in got.iter().zip(req.iter().zip(wants)) {
        assert_eq!(path, want_path);
        assert!(
            err.starts_with("skipped:") && err.contains(want),
            "{path}: {err}"
        );
    }
    assert!(report.changed_paths().is_empty());
    assert_eq!(snapshot(&root), before, "the module changed");
    assert_eq!(read(parent.path(), "outside.go"), UGLY);
    no_leftovers(&sb, "dotdot").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn file_that_does_not_parse_is_untouched() {
    let sb = sandbox("parse").await;
    let broken = "package strutil\n\nimport \"fmt\"\n\nfunc Reverse(s string {\n  return strings.ToUpper(s)\n}\n";
    let m = module(&[("strutil/broken.go", broken), ("strutil/reverse.go", UGLY)]);
    let report = sb
        .fix(
            m.path(),
            &paths(&["strutil/broken.go", "strutil/reverse.go"]),
        )
        .await
        .unwrap();
    let b = &report.files[0];
    assert!(!b.changed && !b.gofmt, "{b:?}");
    assert!(
        b.removed_imports.is_empty() && b.added_imports.is_empty(),
        "{b:?}"
    );
    let err = b.error.as_deref().unwrap_or_default();
    assert!(
        err.contains("does not parse") && err.contains("strutil/broken.go:5"),
        "{err}"
    );
    assert_eq!(read(m.path(), "strutil/broken.go"), broken);
    // The other file of the same run is still fixed.
    assert_eq!(report.changed_paths(), vec!["strutil/reverse.go"]);
    no_leftovers(&sb, "parse").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_to_fix_starts_no_container() {
    // The image does not exist: any container start would fail (and it is
    // used whatever Go the module asks for).
    let cfg = SandboxConfig {
        image: "coop-go:no-such-version".into(),
        match_go_version: false,
        ..Default::default()
    };
    let sb = Sandbox::connect(cfg).await.unwrap();
    let report = sb.fix(Path::new("/nonexistent"), &[]).await.unwrap();
    assert_eq!(report, FixReport::default());
    let m = module(&[("a.go", "package a\n")]);
    let err = sb.fix(m.path(), &paths(&["a.go"])).await.unwrap_err();
    assert!(matches!(err, SandboxError::ImageMissing { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn fix_needs_a_go_module() {
    let sb = sandbox("nomod").await;
    let dir = tempfile::tempdir().unwrap();
    let err = sb.fix(dir.path(), &paths(&["a.go"])).await.unwrap_err();
    assert!(matches!(err, SandboxError::Worktree { .. }), "{err:?}");
}
