//! The plain-text edit format and the mechanical fixes, end to end: a solo
//! run whose implementer answers in fenced whole files (through the real
//! wasm plugin), verified in the real sandbox. Each mechanical defect alone
//! fails verification with the fixes switched off (`[sandbox]
//! mechanical_fixes = false`, exit 3) and passes with them (exit 0), the fix
//! audited as its own event and part of the delivered patch.

use coop_e2e::harness::*;
use coop_e2e::model_server::{ModelServer, ScriptedReply};
use serde_json::Value;
use std::path::Path;

const REVERSE: &str = "// Reverse returns s with its runes in reverse order.
func Reverse(s string) string {
\tr := []rune(s)
\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
\t\tr[i], r[j] = r[j], r[i]
\t}
\treturn string(r)
}
";

pub(crate) const TEST: &str = "strutil/reverse_test.go
```go
package strutil

import \"testing\"

func TestReverse(t *testing.T) {
\tif got := Reverse(\"héllo\"); got != \"olléh\" {
\t\tt.Fatalf(\"Reverse = %q\", got)
\t}
}
```
";

/// The implementer's reply: `reverse.go` with one mechanical defect.
fn reply(defect: &str) -> String {
    let file = match defect {
        // Spaces for indentation and a misaligned brace: gofmt -l lists it.
        "gofmt" => format!(
            "package strutil\n\n{}",
            REVERSE
                .replace('\t', "    ")
                .replace("string {\n", "string  {\n")
        ),
        // "fmt" is imported and not used: the build fails.
        "unused-import" => format!("package strutil\n\nimport \"fmt\"\n\n{REVERSE}"),
        // strings.ToUpper without importing "strings": the build fails.
        "missing-import" => format!(
            "package strutil\n\n{REVERSE}\n// Shout returns s in upper case.\nfunc Shout(s string) string {{ return strings.ToUpper(s) }}\n"
        ),
        other => panic!("unknown defect {other}"),
    };
    format!("I add Reverse and a test.\n\nstrutil/reverse.go\n```go\n{file}```\n\n{TEST}")
}

pub(crate) fn events(run_dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(run_dir.join("audit.jsonl")).expect("audit.jsonl");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect()
}

fn solo(defect: &str, fixes: bool) -> (Option<i32>, Value, ModelServer) {
    let repo = ExampleRepo::new("01-strutil-reverse");
    // One reply per try: the first, then the retries after failed verification.
    let server = ModelServer::start(
        (0..3)
            .map(|_| {
                ScriptedReply::text(reply(defect)).expect_system_contains("You are the Implementer")
            })
            .collect(),
    );
    let (code, summary) = run_solo(
        &repo,
        &server.base_url(),
        Some(&format!("[sandbox]\nmechanical_fixes = {fixes}\n")),
    );
    let run_dir = Path::new(summary["run_dir"].as_str().expect("run_dir")).to_path_buf();
    let evs = events(&run_dir);
    let patch =
        std::fs::read_to_string(summary["patch"].as_str().unwrap_or_default()).unwrap_or_default();
    drop(repo);
    (
        code,
        serde_json::json!({"summary": summary, "events": evs, "patch": patch}),
        server,
    )
}

fn check(defect: &str, fixed: &dyn Fn(&Value, &str)) {
    require_docker();
    // Without the fixes: every try fails verification on the defect.
    let (code, r, _server) = solo(defect, false);
    assert_eq!(
        code,
        Some(3),
        "{defect}: verification fails without the fixes"
    );
    assert_eq!(r["summary"]["outcome"], "verification-failed");
    let evs = r["events"].as_array().expect("events");
    assert!(
        evs.iter().all(|e| e["event"] != "mechanical-fix"),
        "switched off: no fix ran"
    );

    // With them: the same reply passes, the fix is audited and delivered.
    let (code, r, server) = solo(defect, true);
    assert_eq!(code, Some(0), "{defect}: the fixed change passes");
    assert_eq!(r["summary"]["outcome"], "approved");
    assert_eq!(
        server.remaining_script(),
        2,
        "{defect}: one implementer call was enough"
    );
    let req = &server.requests()[0];
    assert!(
        req.get("response_format").is_none(),
        "the implementer asks for plain text, not JSON: {req}"
    );
    let evs = r["events"].as_array().expect("events");
    let fix = evs
        .iter()
        .find(|e| e["event"] == "mechanical-fix")
        .expect("a mechanical-fix event");
    let changed = fix["changed"].as_array().expect("changed");
    assert_eq!(changed.len(), 1, "{fix}");
    assert_eq!(
        changed[0]["path"], "strutil/reverse.go",
        "only the defective file changed: {fix}"
    );
    fixed(&changed[0], r["patch"].as_str().unwrap_or_default());
    let v = evs
        .iter()
        .find(|e| e["event"] == "verification")
        .expect("verification");
    assert_eq!(v["passed"], true);
}

#[test]
fn gofmt_fix_turns_a_failing_run_into_a_passing_one() {
    check("gofmt", &|c, patch| {
        assert_eq!(c["gofmt"], true, "{c}");
        assert_eq!(c["removed_imports"], serde_json::json!([]));
        assert!(
            patch.contains("+\tr := []rune(s)") && !patch.contains("    r := "),
            "the patch has the formatted file:\n{patch}"
        );
    });
}

#[test]
fn unused_import_fix_turns_a_failing_run_into_a_passing_one() {
    check("unused-import", &|c, patch| {
        assert_eq!(c["removed_imports"], serde_json::json!(["fmt"]), "{c}");
        assert!(!patch.contains("\"fmt\""), "{patch}");
    });
}

#[test]
fn missing_stdlib_import_fix_turns_a_failing_run_into_a_passing_one() {
    check("missing-import", &|c, patch| {
        assert_eq!(c["added_imports"], serde_json::json!(["strings"]), "{c}");
        assert!(patch.contains("+import \"strings\""), "{patch}");
    });
}
