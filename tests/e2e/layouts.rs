//! Issue 18, layouts: a repository whose Go module is not at the root (a
//! monorepo's `go/` directory) and one with a go.work, through the real
//! binary, plugin and sandbox: `coop check` verifies them, and a solo run
//! on the subdirectory module is approved with its test counted as evidence.

use crate::fixes::{TEST, events};
use coop_e2e::harness::*;
use coop_e2e::model_server::{ModelServer, ScriptedReply};
use serde_json::Value;
use std::path::Path;

/// Example 01 with its module moved under `go/` and a README at the root.
fn monorepo() -> ExampleRepo {
    let repo = ExampleRepo::new("01-strutil-reverse");
    let root = repo.path();
    std::fs::create_dir_all(root.join("go")).expect("mkdir");
    git(root, &["mv", "go.mod", "strutil", "go/"]);
    std::fs::write(
        root.join("README.md"),
        "Docs, a web app, and the Go code in go/.\n",
    )
    .expect("write");
    commit_all(root, "move the module under go/");
    repo
}

#[test]
fn check_verifies_a_module_in_a_subdirectory_and_a_go_work_workspace() {
    require_docker();
    let repo = monorepo();
    let dir = repo.path().to_str().expect("utf8");
    let out = run_coop(&["check", "--repo", dir, "--json"], repo.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["toolchain"]["requirement"], "go/go.mod: go 1.27");
    assert!(
        report.to_string().contains("example.com/textkit/strutil"),
        "{report}"
    );
    // A broken test in the module fails the check at its repository path.
    std::fs::write(
        repo.path().join("go/strutil/broken_test.go"),
        "package strutil\n\nimport \"testing\"\n\nfunc TestBroken(t *testing.T) { t.Fatal(\"no\") }\n",
    )
    .expect("write");
    let out = run_coop(&["check", "--repo", dir], repo.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("TestBroken"), "{text}");
    std::fs::remove_file(repo.path().join("go/strutil/broken_test.go")).expect("rm");

    // The same tree with a go.work at the root naming the module.
    std::fs::write(repo.path().join("go.work"), "go 1.27\n\nuse ./go\n").expect("write");
    let out = run_coop(&["check", "--repo", dir, "--json"], repo.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["toolchain"]["requirement"], "go.work: go 1.27");

    // A go.work reaching outside the repository is refused with the reason.
    std::fs::write(repo.path().join("go.work"), "go 1.27\n\nuse ../elsewhere\n").expect("write");
    let out = run_coop(&["check", "--repo", dir], repo.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(err.contains("outside the repository"), "{err}");
}

#[test]
fn a_solo_run_on_a_subdirectory_module_is_approved_with_its_test_as_evidence() {
    require_docker();
    let repo = monorepo();
    let reverse = "go/strutil/reverse.go\n```go\npackage strutil\n\n// Reverse returns s with its runes in reverse order.\nfunc Reverse(s string) string {\n\tr := []rune(s)\n\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {\n\t\tr[i], r[j] = r[j], r[i]\n\t}\n\treturn string(r)\n}\n```\n";
    let test = format!("go/{TEST}");
    let server = ModelServer::start(vec![
        ScriptedReply::text(format!("Reverse and its test.\n\n{reverse}\n{test}"))
            .expect_system_contains("You are the Implementer"),
    ]);
    let (code, summary) = run_solo(&repo, &server.base_url(), None);
    assert_eq!(code, Some(0), "{summary}");
    assert_eq!(summary["outcome"], "approved");
    let run_dir = Path::new(summary["run_dir"].as_str().expect("run_dir")).to_path_buf();
    let evs = events(&run_dir);
    let evidence = evs
        .iter()
        .find(|e| e["event"] == "test-evidence")
        .unwrap_or_else(|| panic!("no test-evidence event: {evs:?}"));
    assert_eq!(evidence["evidence"]["kind"], "shown", "{evidence}");
    let patch = std::fs::read_to_string(summary["patch"].as_str().expect("patch")).expect("patch");
    assert!(patch.contains("go/strutil/reverse.go"), "{patch}");
}
