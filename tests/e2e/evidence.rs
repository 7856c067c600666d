//! The test-evidence check, end to end: a bug fix that passes verification
//! but shows nothing in a test (no test at all, or tests that pass on the
//! code before the change too) fails verification with a message saying
//! what is missing, and the model's next try sees it; a fix with a test that
//! fails on the base commit passes. With `[sandbox] test_evidence = false`
//! the same first reply is approved, which is what the check exists to stop.
//! Real wasm plugins, real git, real Docker.

use coop_e2e::harness::*;
use coop_e2e::model_server::{ModelServer, ScriptedReply};
use serde_json::Value;
use std::path::Path;

pub(crate) const EXAMPLE: &str = "12-bugfix-booking-adjacent-slots";

pub(crate) fn original(file: &str) -> String {
    std::fs::read_to_string(
        repo_root()
            .join("examples")
            .join(EXAMPLE)
            .join("repo")
            .join(file),
    )
    .unwrap_or_else(|e| panic!("{file}: {e}"))
}

pub(crate) fn block(path: &str, content: &str) -> String {
    format!("{path}\n```go\n{content}```\n\n")
}

/// The source without its package doc comment: what the live model sent
/// back as its "fix" in three of the recorded bug-fix runs.
fn no_op_source() -> String {
    let src = original("booking/booking.go");
    let start = src.find("package booking").expect("package clause");
    src[start..].to_string()
}

pub(crate) fn fixed_source() -> String {
    let src = original("booking/booking.go");
    let old = "return !s.Start.After(o.End) && !o.Start.After(s.End)";
    assert!(
        src.contains(old),
        "the example's bug is where the test expects it"
    );
    src.replace(old, "return s.Start.Before(o.End) && o.Start.Before(s.End)")
}

pub(crate) fn with_test(test: &str) -> String {
    format!("{}\n{test}", original("booking/booking_test.go"))
}

/// A test that passes before the fix too: it checks a genuine overlap.
const TEST_PASSING_ON_BASE: &str = "func TestGenuineOverlapRefused(t *testing.T) {
\tvar c Calendar
\tif err := c.Book(Booking{Room: \"Atlas\", Title: \"standup\", Slot: slot(\"10:00\", \"10:30\")}); err != nil {
\t\tt.Fatal(err)
\t}
\tif err := c.Book(Booking{Room: \"Atlas\", Title: \"x\", Slot: slot(\"10:15\", \"10:45\")}); !errors.Is(err, ErrConflict) {
\t\tt.Fatalf(\"10:15-10:45 over the standup: err = %v, want ErrConflict\", err)
\t}
}
";

/// The reported case: it fails before the fix.
pub(crate) const TEST_REPRODUCING: &str = "func TestBackToBack(t *testing.T) {
\tvar c Calendar
\tif err := c.Book(Booking{Room: \"Atlas\", Title: \"standup\", Slot: slot(\"10:00\", \"10:30\")}); err != nil {
\t\tt.Fatal(err)
\t}
\tif err := c.Book(Booking{Room: \"Atlas\", Title: \"after\", Slot: slot(\"10:30\", \"11:00\")}); err != nil {
\t\tt.Fatalf(\"10:30-11:00 right after the standup: %v\", err)
\t}
}
";

pub(crate) fn events(run_dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(run_dir.join("audit.jsonl")).expect("audit.jsonl");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect()
}

fn solo(replies: Vec<String>, evidence: bool) -> (Option<i32>, Value, Vec<Value>, ModelServer) {
    require_docker();
    let repo = ExampleRepo::new(EXAMPLE);
    let server = ModelServer::start(
        replies
            .into_iter()
            .map(|r| ScriptedReply::text(r).expect_system_contains("You are the Implementer"))
            .collect(),
    );
    let (code, summary) = run_solo(
        &repo,
        &server.base_url(),
        Some(&format!("[sandbox]\ntest_evidence = {evidence}\n")),
    );
    let run_dir = Path::new(summary["run_dir"].as_str().expect("run_dir")).to_path_buf();
    let evs = events(&run_dir);
    let mut summary = summary;
    summary["patch_text"] = std::fs::read_to_string(summary["patch"].as_str().unwrap_or_default())
        .unwrap_or_default()
        .into();
    if let Ok(bytes) = std::fs::read(run_dir.join("artifacts/evidence-3.json")) {
        summary["evidence_3"] = serde_json::from_slice(&bytes).expect("evidence artifact is JSON");
    }
    (code, summary, evs, server)
}

#[test]
fn a_bug_fix_must_show_itself_in_a_test_that_fails_before_it() {
    let replies = vec![
        // 1. The no-op "fix", no test.
        format!(
            "I fixed the overlap check.\n\n{}",
            block("booking/booking.go", &no_op_source())
        ),
        // 2. The same, with a test that passes before the change as well.
        format!(
            "{}{}",
            block("booking/booking.go", &no_op_source()),
            block("booking/booking_test.go", &with_test(TEST_PASSING_ON_BASE))
        ),
        // 3. The real fix with the reported case as a test.
        format!(
            "{}{}",
            block("booking/booking.go", &fixed_source()),
            block("booking/booking_test.go", &with_test(TEST_REPRODUCING))
        ),
    ];
    let (code, summary, evs, server) = solo(replies, true);
    assert_eq!(code, Some(0), "the third try passes: {summary}");
    assert_eq!(summary["outcome"], "approved");
    assert_eq!(server.remaining_script(), 0, "three implementer calls");
    let routing = evs
        .iter()
        .find(|e| e["event"] == "routing")
        .expect("routing");
    assert_eq!(routing["type"], "bugfix");

    let judged: Vec<&Value> = evs
        .iter()
        .filter(|e| e["event"] == "test-evidence")
        .collect();
    let kinds: Vec<&str> = judged
        .iter()
        .map(|e| e["evidence"]["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["no-test", "passes-on-base", "shown"], "{judged:?}");
    assert_eq!(
        judged[1]["changed"],
        serde_json::json!(["booking/booking_test.go:TestGenuineOverlapRefused"])
    );
    assert_eq!(
        judged[2]["evidence"]["failing"],
        serde_json::json!(["TestBackToBack"])
    );
    let verifications: Vec<(bool, Option<&str>)> = evs
        .iter()
        .filter(|e| e["event"] == "verification")
        .map(|e| {
            (
                e["passed"].as_bool().unwrap_or(true),
                e["evidence"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        verifications,
        [
            (false, Some("missing")),
            (false, Some("missing")),
            (true, Some("shown"))
        ]
    );
    // The base run is kept: the reported case failed on the base commit.
    let base = &summary["evidence_3"]["base_run"];
    let failed: Vec<&str> = base["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .flat_map(|p| p["tests"].as_array().into_iter().flatten())
        .filter(|t| t["status"] == "fail")
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(failed, ["TestBackToBack"], "{base}");

    // Each failed try's message reached the next request.
    let reqs = server.requests();
    let text = |i: usize| serde_json::to_string(&reqs[i]["messages"]).expect("messages");
    assert!(text(1).contains("adds or changes no test"), "{}", text(1));
    assert!(
        text(2).contains("TestGenuineOverlapRefused")
            && text(2).contains("also pass on the code before your change"),
        "{}",
        text(2)
    );
    let patch = summary["patch_text"].as_str().unwrap_or_default();
    assert!(patch.contains("+func TestBackToBack"), "{patch}");
}

#[test]
fn without_the_check_a_no_op_fix_is_approved() {
    let reply = format!(
        "I fixed it.\n\n{}",
        block("booking/booking.go", &no_op_source())
    );
    let (code, summary, evs, server) = solo(vec![reply], false);
    assert_eq!(code, Some(0), "{summary}");
    assert_eq!(summary["outcome"], "approved");
    assert_eq!(server.remaining_script(), 0);
    assert!(evs.iter().all(|e| e["event"] != "test-evidence"));
}
