//! Failures already on the base commit, end to end: a repository whose
//! base has a failing test and an unformatted file is fixed by a change that
//! leaves both alone. The change's verification fails the same way the
//! base's does, so nothing is charged to it: the run is approved, the report
//! names what was already failing, and the base's verification is kept.
//! A change that adds a failure of its own still fails. Real wasm plugins,
//! real git, real Docker.

use crate::evidence::{EXAMPLE, TEST_REPRODUCING, block, events, fixed_source, with_test};
use coop_e2e::harness::*;
use coop_e2e::model_server::{ModelServer, ScriptedReply};
use serde_json::Value;
use std::path::Path;

const BROKEN_TEST: &str = "package booking\n\nimport \"testing\"\n\nfunc TestAlreadyBroken(t *testing.T) {\n\tt.Fatal(\"broken on the base commit\")\n}\n";

/// The example with a failing test and an unformatted file committed.
fn broken_base() -> ExampleRepo {
    let repo = ExampleRepo::new(EXAMPLE);
    std::fs::write(repo.path().join("booking/broken_test.go"), BROKEN_TEST).unwrap();
    std::fs::write(
        repo.path().join("booking/ugly.go"),
        "package booking\n\nfunc   ugly( ) int { return 1 }\n",
    )
    .unwrap();
    commit_all(repo.path(), "already broken");
    repo
}

/// The exit code, summary, audit events and run directory; the repository
/// (which holds the run directory) is returned to stay alive.
fn run(
    replies: Vec<String>,
) -> (
    Option<i32>,
    Value,
    Vec<Value>,
    std::path::PathBuf,
    ExampleRepo,
) {
    require_docker();
    let repo = broken_base();
    let server = ModelServer::start(
        replies
            .into_iter()
            .map(|r| ScriptedReply::text(r).expect_system_contains("You are the Implementer"))
            .collect(),
    );
    let (code, summary) = run_solo(&repo, &server.base_url(), None);
    let run_dir = Path::new(summary["run_dir"].as_str().expect("run_dir")).to_path_buf();
    let evs = events(&run_dir);
    (code, summary, evs, run_dir, repo)
}

#[test]
fn failures_already_on_the_base_do_not_fail_a_change_that_leaves_them_alone() {
    let fix = format!(
        "{}{}",
        block("booking/booking.go", &fixed_source()),
        block("booking/booking_test.go", &with_test(TEST_REPRODUCING))
    );
    let (code, summary, evs, run_dir, _repo) = run(vec![fix]);
    assert_eq!(code, Some(0), "{summary}");
    assert_eq!(summary["outcome"], "approved");
    let v: Vec<&Value> = evs
        .iter()
        .filter(|e| e["event"] == "verification")
        .collect();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["passed"], true);
    let report: Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("artifacts/verify-1.json")).unwrap())
            .unwrap();
    let pre = report["base"]["preexisting"].to_string();
    assert!(
        pre.contains("TestAlreadyBroken") && pre.contains("booking/ugly.go"),
        "{report}"
    );
    assert_eq!(report["base"]["new"], serde_json::json!([]));
    // The base's own verification is kept, and shows the same failures.
    let base: Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("artifacts/base-verify.json")).unwrap())
            .unwrap();
    assert_eq!(base["passed"], false);
    assert!(base.to_string().contains("TestAlreadyBroken"));
    // The test evidence still holds: the reported case fails on the base.
    let judged = evs
        .iter()
        .find(|e| e["event"] == "test-evidence")
        .expect("test-evidence");
    assert_eq!(judged["evidence"]["kind"], "shown", "{judged}");
}

#[test]
fn a_change_that_adds_a_failure_of_its_own_still_fails() {
    // The fix plus a test that fails after it: a new failure.
    let own_failure =
        "func TestNewlyBroken(t *testing.T) {\n\tt.Fatal(\"broken by the change\")\n}\n";
    let reply = format!(
        "{}{}",
        block("booking/booking.go", &fixed_source()),
        block(
            "booking/booking_test.go",
            &with_test(&format!("{TEST_REPRODUCING}\n{own_failure}"))
        )
    );
    let (code, summary, evs, run_dir, _repo) = run(vec![reply.clone(), reply.clone(), reply]);
    assert_ne!(code, Some(0), "{summary}");
    let v: Vec<&Value> = evs
        .iter()
        .filter(|e| e["event"] == "verification")
        .collect();
    assert!(
        !v.is_empty() && v.iter().all(|e| e["passed"] == false),
        "{v:?}"
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("artifacts/verify-1.json")).unwrap())
            .unwrap();
    assert!(
        report["base"]["new"]
            .to_string()
            .contains("TestNewlyBroken"),
        "{report}"
    );
    assert!(
        report["base"]["preexisting"]
            .to_string()
            .contains("TestAlreadyBroken"),
        "{report}"
    );
}
