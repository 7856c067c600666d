//! The request's API is checked after every change: a solo run on
//! `04-stats-median` ("Add `Median(xs []float64) float64` ...") whose first
//! reply compiles, vets and passes its own tests but declares no `Median`
//! fails that verification with a message naming the signature, and the
//! retry that adds it is delivered.

use coop_e2e::harness::*;
use coop_e2e::model_server::{ModelServer, ScriptedReply};
use serde_json::Value;
use std::path::Path;

const WITHOUT: &str = "I add a helper for the middle value.

stats/middle.go
```go
package stats

import \"sort\"

// Middle returns the middle of xs after sorting a copy.
func Middle(xs []float64) float64 {
\tif len(xs) == 0 {
\t\treturn 0
\t}
\ts := append([]float64(nil), xs...)
\tsort.Float64s(s)
\tn := len(s)
\tif n%2 == 1 {
\t\treturn s[n/2]
\t}
\treturn (s[n/2-1] + s[n/2]) / 2
}
```
";

/// The retry: `Median` added, with a test that calls it (a feature's
/// test has to fail, or not compile, on the code before the change).
fn with_median() -> String {
    format!(
        "{}\n// Median returns the median of xs; 0 for an empty sample.\nfunc Median(xs []float64) float64 {{ return Middle(xs) }}\n```\n\n{}",
        WITHOUT.trim_end().trim_end_matches("```").trim_end(),
        "stats/median_test.go\n```go\npackage stats\n\nimport \"testing\"\n\nfunc TestMedian(t *testing.T) {\n\tif got := Median([]float64{3, 1, 2}); got != 2 {\n\t\tt.Fatalf(\"Median = %v, want 2\", got)\n\t}\n}\n```\n"
    )
}

#[test]
fn a_change_without_the_requested_function_fails_verification_and_the_retry_adds_it() {
    require_docker();
    let repo = ExampleRepo::new("04-stats-median");
    let server = ModelServer::start(vec![
        ScriptedReply::text(WITHOUT).expect_system_contains("You are the Implementer"),
        ScriptedReply::text(with_median()).expect_system_contains("You are the Implementer"),
    ]);
    let out = run_coop(
        &[
            "run",
            "--solo",
            "--json",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "--base-url",
            &server.base_url(),
            &repo.task(),
        ],
        repo.path(),
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "summary is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(out.status.code(), Some(0), "{summary}");
    let run_dir = Path::new(summary["run_dir"].as_str().expect("run_dir")).to_path_buf();
    let audit = std::fs::read_to_string(run_dir.join("audit.jsonl")).expect("audit");
    let verifications: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json"))
        .filter(|e| e["event"] == "verification")
        .collect();
    assert_eq!(verifications.len(), 2, "{audit}");
    assert_eq!(verifications[0]["passed"], false);
    assert_eq!(verifications[0]["missing"], serde_json::json!(["Median"]));
    assert_eq!(verifications[1]["passed"], true);
    // The second request told the model what is missing, in the request's own words.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let retry = reqs[1]["messages"].to_string();
    assert!(
        retry.contains("The task asks for `Median(xs []float64) float64`, but no Go file of the module declares or uses `Median`"),
        "{retry}"
    );
    // Each step's own tests passed: only the request check failed the first.
    let first: Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("artifacts/verify-1.json")).expect("verify-1"),
    )
    .expect("json");
    assert!(
        first["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|s| s["status"] == "passed"),
        "{first}"
    );
    assert!(
        String::from_utf8_lossy(
            &std::fs::read(summary["patch"].as_str().expect("patch")).expect("patch")
        )
        .contains("func Median(")
    );
}
