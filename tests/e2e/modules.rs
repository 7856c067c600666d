//! `coop run` on a module with dependencies, end to end: the example
//! repository made to require `example.test/greet` (which requires
//! `example.test/words`), served by a real module proxy on 127.0.0.1 (the
//! GOPROXY protocol, module zips built in the test:
//! sandbox/tests/common/goproxy.rs). With `[sandbox] go_env` naming the
//! proxy, the download step fills coop's module cache and the run verifies
//! offline and is approved; with no way to get the modules, the run stops
//! with a message naming the three ways to provide them.

use coop_e2e::harness::*;
use coop_e2e::model_server::{ModelServer, ScriptedReply};
use serde_json::Value;
use std::path::Path;

#[path = "../../sandbox/tests/common/goproxy.rs"]
mod goproxy;

const REPLY: &str = "I add Reverse and a test.

strutil/reverse.go
```go
package strutil

// Reverse returns s with its runes in reverse order.
func Reverse(s string) string {
\tr := []rune(s)
\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
\t\tr[i], r[j] = r[j], r[i]
\t}
\treturn string(r)
}
```

strutil/reverse_test.go
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

/// The example repository with a package that needs `example.test/greet`.
fn repo_with_dependencies() -> ExampleRepo {
    let repo = ExampleRepo::new("01-strutil-reverse");
    let root = repo.path();
    let go_mod = std::fs::read_to_string(root.join("go.mod")).expect("go.mod");
    std::fs::write(
        root.join("go.mod"),
        format!(
            "{go_mod}\nrequire example.test/greet v1.0.0\n\nrequire example.test/words v1.1.0 // indirect\n"
        ),
    )
    .expect("go.mod");
    std::fs::write(root.join("go.sum"), goproxy::go_sum()).expect("go.sum");
    std::fs::create_dir_all(root.join("welcome")).expect("mkdir");
    std::fs::write(
        root.join("welcome/welcome.go"),
        "// Package welcome welcomes.\npackage welcome\n\nimport \"example.test/greet\"\n\n// Message is the welcome message.\nfunc Message() string { return greet.Hello(\"coop\") }\n",
    )
    .expect("welcome.go");
    std::fs::write(
        root.join("welcome/welcome_test.go"),
        "package welcome\n\nimport \"testing\"\n\nfunc TestMessage(t *testing.T) {\n\tif got := Message(); got != \"hello, coop\" {\n\t\tt.Fatalf(\"Message = %q\", got)\n\t}\n}\n",
    )
    .expect("welcome_test.go");
    commit_all(root, "depend on example.test/greet");
    repo
}

fn server() -> ModelServer {
    ModelServer::start(
        (0..3)
            .map(|_| ScriptedReply::text(REPLY).expect_system_contains("You are the Implementer"))
            .collect(),
    )
}

fn events(summary: &Value) -> Vec<Value> {
    let run_dir = Path::new(summary["run_dir"].as_str().expect("run_dir"));
    std::fs::read_to_string(run_dir.join("audit.jsonl"))
        .expect("audit.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect()
}

#[test]
fn a_module_with_dependencies_is_downloaded_then_verified_offline() {
    require_docker();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    // The proxy runs on the runtime's worker threads while coop runs.
    let proxy = rt.block_on(goproxy::proxy(&goproxy::deps()));
    let cache = tempfile::tempdir().expect("tempdir");
    let repo = repo_with_dependencies();
    let server = server();
    let config = format!(
        "[sandbox]\nmodule_cache = \"off\"\nmodule_download_dir = \"{}\"\ngo_env = {{ GOPROXY = \"{},direct\", GONOSUMDB = \"example.test\" }}\n",
        cache.path().display(),
        proxy.url
    );
    let (code, summary) = run_solo(&repo, &server.base_url(), Some(&config));
    let evs = events(&summary);
    let verifications: Vec<&Value> = evs
        .iter()
        .filter(|e| e["event"] == "verification")
        .collect();
    assert_eq!(code, Some(0), "{summary}\n{verifications:?}");
    assert_eq!(summary["outcome"], "approved");
    assert_eq!(
        verifications.first().map(|v| &v["passed"]),
        Some(&Value::Bool(true))
    );
    let fetched = proxy.requests.lock().expect("lock").clone();
    assert!(
        fetched
            .iter()
            .any(|r| r == "/example.test/greet/@v/v1.0.0.zip"),
        "{fetched:?}"
    );
    assert!(
        cache
            .path()
            .join("example.test/greet@v1.0.0/greet.go")
            .is_file()
    );
}

#[test]
fn a_run_without_a_way_to_get_the_modules_says_how_to_provide_them() {
    require_docker();
    let repo = repo_with_dependencies();
    let server = server();
    let (code, summary) = run_solo(
        &repo,
        &server.base_url(),
        Some("[sandbox]\nmodule_cache = \"off\"\ndownload_modules = false\n"),
    );
    assert_ne!(code, Some(0), "{summary}");
    let text = summary.to_string();
    for want in [
        "not available offline",
        "module lookup disabled by GOPROXY=off",
        "go mod vendor",
        "module_cache",
        "download_modules",
    ] {
        assert!(text.contains(want), "{want:?} missing from {summary}");
    }
}
