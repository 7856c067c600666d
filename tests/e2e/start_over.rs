//! A change that keeps failing verification is fixed in place once, then
//! discarded: the next try starts from the base commit (`[run]
//! repair_tries`). End to end: the real implementer plugin, real git, the
//! real sandbox, a scripted model.

use crate::fixes::{TEST, events};
use coop_e2e::harness::*;
use coop_e2e::model_server::{ModelServer, ScriptedReply};
use serde_json::Value;
use std::path::Path;

/// A file only the failing tries write: it must not outlive them.
const LEFTOVER: &str = "strutil/leftover.go
```go
package strutil

// leftoverMarker is written by the failing tries only.
const leftoverMarker = \"stale\"
```
";

/// A try whose `Reverse` does not build.
fn failing() -> String {
    format!(
        "strutil/reverse.go\n```go\npackage strutil\n\n// Reverse reverses s.\nfunc Reverse(s string) string {{\n\treturn s + 1\n}}\n```\n\n{LEFTOVER}\n{TEST}"
    )
}

/// A try that passes: `Reverse` and its test, nothing else.
fn passing() -> String {
    format!(
        "strutil/reverse.go\n```go\npackage strutil\n\n// Reverse returns s with its runes in reverse order.\nfunc Reverse(s string) string {{\n\tr := []rune(s)\n\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {{\n\t\tr[i], r[j] = r[j], r[i]\n\t}}\n\treturn string(r)\n}}\n```\n\n{TEST}"
    )
}

/// A solo run with two failing tries, then a passing one. Returns the exit
/// code, the summary, the audit events, the delivered patch and the user
/// turn of every model request.
fn run(repair_tries: u32) -> (Option<i32>, Value, Vec<Value>, String, Vec<String>) {
    let repo = ExampleRepo::new("01-strutil-reverse");
    let server = ModelServer::start(
        [failing(), failing(), passing()]
            .into_iter()
            .map(|r| ScriptedReply::text(r).expect_system_contains("You are the Implementer"))
            .collect(),
    );
    let (code, summary) = run_solo(
        &repo,
        &server.base_url(),
        Some(&format!("[run]\nrepair_tries = {repair_tries}\n")),
    );
    let run_dir = Path::new(summary["run_dir"].as_str().expect("run_dir")).to_path_buf();
    let events = events(&run_dir);
    let patch =
        std::fs::read_to_string(summary["patch"].as_str().unwrap_or_default()).unwrap_or_default();
    let discarded =
        std::fs::read_to_string(run_dir.join("artifacts/diff-2.patch")).unwrap_or_default();
    let users: Vec<String> = server
        .requests()
        .iter()
        .map(|r| {
            r["messages"]
                .as_array()
                .expect("messages")
                .iter()
                .filter(|m| m["role"] == "user")
                .map(|m| m["content"].as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    assert!(
        discarded.contains("leftoverMarker"),
        "the second try's change is kept as an artifact: {discarded}"
    );
    (code, summary, events, patch, users)
}

#[test]
fn a_change_failing_twice_is_discarded_and_the_third_try_starts_from_the_base() {
    require_docker();
    let (code, summary, events, patch, users) = run(1);
    assert_eq!(code, Some(0), "{summary}");
    assert_eq!(users.len(), 3);
    assert!(
        users[1].contains("leftover.go") && !users[1].contains("discarded"),
        "the second try fixes the change in place and sees its files"
    );
    assert!(
        users[2].contains("discarded") && users[2].contains("as they were"),
        "the third try is told it starts over"
    );
    assert!(
        !users[2].contains("leftoverMarker") && !users[2].contains("- strutil/leftover.go"),
        "the discarded change's files are neither shown nor in scope"
    );
    assert!(
        users[2].contains("return s + 1") || users[2].contains("mismatched types"),
        "it still sees what made the discarded try fail"
    );
    let discards: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "change-discarded")
        .collect();
    assert_eq!(discards.len(), 1, "one discard, audited");
    assert_eq!(discards[0]["diff"], "artifacts/diff-2.patch");
    assert!(
        patch.contains("strutil/reverse.go") && !patch.contains("leftover"),
        "the delivered change holds nothing of the discarded tries: {patch}"
    );
}

#[test]
fn with_repairs_only_the_failing_tries_leave_their_files_in_the_change() {
    require_docker();
    let (code, summary, events, patch, users) = run(u32::MAX);
    assert_eq!(code, Some(0), "{summary}");
    assert!(!users[2].contains("discarded"));
    assert!(events.iter().all(|e| e["event"] != "change-discarded"));
    assert!(
        patch.contains("leftoverMarker"),
        "fixing in place keeps what the failing tries wrote: {patch}"
    );
}

/// Edits the user has not committed are not part of a run (it starts from
/// HEAD): the run says so on stderr and in its audit log. Afterwards
/// `coop runs --prune` removes the finished run's branch, keeps its
/// directory, and leaves the user's edits alone.
#[test]
fn a_run_warns_about_uncommitted_edits_and_prune_removes_its_branch() {
    require_docker();
    let repo = ExampleRepo::new("01-strutil-reverse");
    std::fs::write(repo.path().join("strutil/wip.go"), "package strutil\n").expect("wip");
    let server = ModelServer::start(vec![ScriptedReply::text(passing())]);
    let out = run_coop(
        &[
            "run",
            "--solo",
            "--json",
            "--repo",
            s(repo.path()),
            "--base-url",
            &server.base_url(),
            "Add a function `Reverse(s string) string` to package `strutil`, with tests.",
        ],
        repo.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("1 uncommitted change(s)") && stderr.contains("strutil/wip.go"),
        "{stderr}"
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("summary");
    let run_dir = Path::new(summary["run_dir"].as_str().expect("run_dir")).to_path_buf();
    let ev: Value = events(&run_dir)
        .into_iter()
        .find(|e| e["event"] == "uncommitted-changes")
        .expect("an uncommitted-changes event");
    assert_eq!(ev["count"], 1);
    let run_id = run_dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("id")
        .to_string();
    let branch = format!("coop/{run_id}");
    let has_branch = || {
        std::process::Command::new("git")
            .current_dir(repo.path())
            .args([
                "show-ref",
                "--verify",
                "--quiet",
                &format!("refs/heads/{branch}"),
            ])
            .status()
            .expect("git")
            .success()
    };
    assert!(has_branch());
    let dry = run_coop(
        &["runs", "--prune", "--dry-run", "--repo", s(repo.path())],
        repo.path(),
    );
    assert!(String::from_utf8_lossy(&dry.stdout).contains("would be pruned"));
    assert!(has_branch(), "a dry run removes nothing");
    let pruned = run_coop(
        &["runs", "--prune", "--json", "--repo", s(repo.path())],
        repo.path(),
    );
    assert_eq!(pruned.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&pruned.stdout).expect("prune report");
    assert_eq!(report["pruned"][0]["run_id"], run_id.as_str());
    assert!(!has_branch(), "the finished run's branch is gone");
    assert!(
        run_dir.join("change.patch").is_file(),
        "its directory stays"
    );
    assert!(
        repo.path().join("strutil/wip.go").is_file(),
        "the user's edits stay"
    );
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
