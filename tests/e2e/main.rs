#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end tests: the real `coop` binary, real wasm plugins, real git,
//! real Docker; the model is a loopback HTTP server speaking the
//! OpenAI-compatible streaming protocol, replaying hand-written fixtures.

mod baseline;
mod bench;
mod evidence;
mod fixes;
mod injection;
mod layouts;
mod modules;
mod ollama;
mod plugin_limits;
mod plugin_trust;
mod requested;
mod resume;
mod run_dirs;
mod start_over;

use coop_e2e::harness::*;
use coop_e2e::model_server::{ModelServer, ScriptedReply};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn audit_events(run_dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(run_dir.join("audit.jsonl")).expect("audit.jsonl");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect()
}

fn summary(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("summary is not JSON ({e})"))
}

/// Run the hidden acceptance tests of an example on a commit, in the sandbox.
fn acceptance(repo: &ExampleRepo, commit: &str) -> coop_core::VerificationReport {
    let wt = tempfile::tempdir().expect("tempdir");
    let dir = wt.path().join("wt");
    git(
        repo.path(),
        &[
            "worktree",
            "add",
            "-q",
            "--detach",
            dir.to_str().expect("utf8"),
            commit,
        ],
    );
    copy_tree(&repo.example.join("acceptance"), &dir);
    std::process::Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(wt.path())
        .status()
        .expect("chmod");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let report = rt.block_on(async {
        let sb = coop_sandbox::Sandbox::connect(coop_sandbox::SandboxConfig::default())
            .await
            .expect("docker");
        sb.verify(&dir).await.expect("verify")
    });
    git(
        repo.path(),
        &["worktree", "remove", "--force", dir.to_str().expect("utf8")],
    );
    report
}

fn acceptance_tests_passed(r: &coop_core::VerificationReport) -> usize {
    r.packages
        .iter()
        .flat_map(|p| p.tests.iter())
        .filter(|t| t.name.starts_with("TestAcceptance") && t.status == coop_core::TestStatus::Pass)
        .count()
}

fn run_example(name: &str, expected_roles: &[&str]) {
    require_docker();
    let repo = ExampleRepo::new(name);
    let head_before = git(repo.path(), &["rev-parse", "HEAD"]);
    let fixture = repo.example.join("fixtures/replay.json");
    let server = ModelServer::from_recording_file(&fixture).expect("model server");
    let task_file = repo.example.join("task.md");
    let out = run_coop(
        &[
            "run",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "--base-url",
            &server.base_url(),
            "--json",
            "--file",
            task_file.to_str().expect("utf8"),
        ],
        repo.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "coop run must succeed on {name}"
    );
    let s = summary(&out);
    assert_eq!(s["outcome"], "approved");
    assert_eq!(s["verification_passed"], true);
    assert_eq!(s["review_verdict"], "approve");
    let roles: Vec<&str> = s["roles_ran"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(roles, expected_roles);

    // Every scripted reply was consumed, over the streaming protocol.
    assert_eq!(server.remaining_script(), 0, "all fixture replies used");
    let reqs = server.requests();
    // JSON mode with each role's reply schema (constrained decoding), except
    // the implementer's: code travels as plain text (fenced files).
    let is_implementer = |r: &Value| {
        r["messages"][0]["content"]
            .as_str()
            .is_some_and(|c| c.contains("You are the Implementer"))
    };
    assert!(reqs.iter().all(|r| r["stream"] == true));
    assert!(
        reqs.iter()
            .filter(|r| !is_implementer(r))
            .all(|r| r["response_format"]["type"] == "json_schema"
                && r["response_format"]["json_schema"]["schema"]["type"] == "object")
    );
    assert!(
        reqs.iter()
            .filter(|r| is_implementer(r))
            .all(|r| r.get("response_format").is_none()),
        "the implementer asks for text"
    );

    // The user's checkout is untouched; the change is on coop/<id>.
    assert_eq!(git(repo.path(), &["rev-parse", "HEAD"]), head_before);
    assert_eq!(
        git(repo.path(), &["rev-parse", "--abbrev-ref", "HEAD"]),
        "main"
    );
    assert_eq!(git(repo.path(), &["status", "--porcelain"]), "");
    let branch = s["branch"].as_str().expect("branch");
    let commit = s["commit"].as_str().expect("commit");
    assert_eq!(git(repo.path(), &["rev-parse", branch]), commit);
    let run_dir = Path::new(s["run_dir"].as_str().expect("run_dir")).to_path_buf();
    let patch = std::fs::read_to_string(s["patch"].as_str().expect("patch")).expect("patch file");
    assert!(patch.contains("diff --git"));
    assert!(
        !run_dir
            .parent()
            .and_then(Path::parent)
            .expect("coop dir")
            .join("worktrees")
            .join(s["run_id"].as_str().expect("id"))
            .exists(),
        "worktree removed"
    );

    // The run directory has handoffs, artifacts, model records and an audit log.
    let events = audit_events(&run_dir);
    let kinds: BTreeSet<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    for k in [
        "run-start",
        "routing",
        "handoff",
        "model-call",
        "edit-applied",
        "verification",
        "review-verdict",
        "role-output",
        "run-end",
    ] {
        assert!(
            kinds.contains(k),
            "audit log lacks a `{k}` event: {kinds:?}"
        );
    }
    let routing = events
        .iter()
        .find(|e| e["event"] == "routing")
        .expect("routing");
    assert!(
        !routing["rationale"]
            .as_array()
            .expect("rationale")
            .is_empty()
    );
    let calls: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "model-call")
        .collect();
    assert_eq!(calls.len(), reqs.len(), "one audit event per model request");
    for c in &calls {
        for f in [
            "provider",
            "model",
            "request_sha256",
            "response_sha256",
            "usage",
            "duration_ms",
            "record",
        ] {
            assert!(!c[f].is_null(), "model-call lacks {f}: {c}");
        }
        assert!(
            run_dir
                .join(c["record"].as_str().expect("record"))
                .is_file()
        );
    }
    for e in events.iter().filter(|e| e["event"] == "handoff") {
        let p = run_dir.join(e["path"].as_str().expect("path"));
        let h: coop_core::Handoff =
            serde_json::from_slice(&std::fs::read(&p).expect("handoff")).expect("handoff parses");
        assert_eq!(h.task.text, repo.task(), "the task text travels unchanged");
        let c = h
            .context
            .as_ref()
            .expect("every handoff records how it was fitted into the model's window");
        assert!(
            c.dropped.is_empty(),
            "the default 16k window holds a small example whole: {:?}",
            c.dropped
        );
        if h.to == coop_core::Role::Implementer {
            assert!(
                !c.working_set.is_empty(),
                "the implementer gets a working set from the module map"
            );
        }
        assert_eq!(
            coop_core::hash::sha256_hex(&std::fs::read(&p).expect("read")),
            e["sha256"].as_str().expect("sha")
        );
    }
    for e in events.iter().filter(|e| e["event"] == "verification") {
        assert!(
            run_dir
                .join(e["report"].as_str().expect("report"))
                .is_file()
        );
    }
    assert_eq!(events.last().expect("events")["event"], "run-end");
    let v = run_coop(
        &["verify-log", run_dir.to_str().expect("utf8")],
        repo.path(),
    );
    assert_eq!(v.status.code(), Some(0), "audit chain verifies");

    // Hidden acceptance tests: fail on the original, pass on the result.
    let before = acceptance(&repo, &head_before);
    assert!(
        !before.passed,
        "acceptance must fail before the change (else it proves nothing)"
    );
    let after = acceptance(&repo, commit);
    assert!(
        after.passed,
        "acceptance tests must pass on the result:\n{}",
        after.summary_for_model(4000)
    );
    assert!(acceptance_tests_passed(&after) > 0, "acceptance tests ran");
}

#[test]
fn example_01_feature_with_a_broken_reply_and_a_review_loop() {
    run_example(
        "01-strutil-reverse",
        &[
            "architect",
            "implementer",
            "reviewer",
            "implementer",
            "reviewer",
        ],
    );
}

#[test]
fn example_02_bugfix_starts_with_root_cause() {
    run_example(
        "02-bugfix-pagination-last-page",
        &["reviewer", "architect", "implementer", "reviewer"],
    );
}

#[test]
fn example_03_refactor() {
    run_example(
        "03-refactor-extract-email-normalization",
        &["architect", "implementer", "reviewer"],
    );
}

#[test]
fn example_07_docs_runs_the_docs_workflow() {
    run_example("07-docs-semver-comments", &["implementer", "reviewer"]);
}

#[test]
fn a_reply_that_never_parses_is_a_structured_failure() {
    require_docker();
    let repo = ExampleRepo::new("01-strutil-reverse");
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    let server = ModelServer::start(vec![
        ScriptedReply::text("Sure! Here is my design: add a Reverse function.")
            .expect_system_contains("You are the Architect"),
        ScriptedReply::text("{\"notes\": \"still missing fields\"}")
            .expect_system_contains("You are the Architect"),
    ]);
    let out = run_coop(
        &[
            "run",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "--base-url",
            &server.base_url(),
            "--json",
            "Add func Reverse to strutil",
        ],
        repo.path(),
    );
    assert_eq!(out.status.code(), Some(7), "role failure has exit code 7");
    let s = summary(&out);
    assert_eq!(s["outcome"], "role-failed");
    assert!(
        s["reason"]
            .as_str()
            .expect("reason")
            .contains("UnparseableReply"),
        "{}",
        s["reason"]
    );
    assert_eq!(server.remaining_script(), 0, "exactly one retry");
    assert!(s["commit"].is_null(), "nothing committed");
    // The retry request showed the model its parse error.
    let reqs = server.requests();
    let retry = reqs[1]["messages"].as_array().expect("messages");
    assert!(
        retry.last().expect("last")["content"]
            .as_str()
            .expect("content")
            .contains("could not be used")
    );
    let run_dir = Path::new(s["run_dir"].as_str().expect("dir")).to_path_buf();
    let events = audit_events(&run_dir);
    let f = events
        .iter()
        .find(|e| e["event"] == "role-failure")
        .expect("role-failure event");
    assert_eq!(f["kind"], "unparseable-reply");
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "plugin-log" && e["level"] == "warn")
    );
    assert_eq!(git(repo.path(), &["rev-parse", "HEAD"]), head);
}

#[test]
fn bad_input_has_its_own_exit_code() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = run_coop(
        &[
            "run",
            "--repo",
            dir.path().to_str().expect("utf8"),
            "do something",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "not a git repository");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"));

    git(dir.path(), &["init", "-q"]);
    std::fs::write(dir.path().join("README.md"), "x").expect("write");
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "x"]);
    let out = run_coop(
        &[
            "run",
            "--repo",
            dir.path().to_str().expect("utf8"),
            "do something",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "no go.mod");
    assert!(String::from_utf8_lossy(&out.stderr).contains("go.mod"));

    let repo = ExampleRepo::new("01-strutil-reverse");
    let out = run_coop(
        &["run", "--repo", repo.path().to_str().expect("utf8"), "  "],
        repo.path(),
    );
    assert_eq!(out.status.code(), Some(2), "empty task");

    let cfg = repo.path().join("bad.toml");
    std::fs::write(&cfg, "[roles.boss]\nplugin = \"x.wasm\"\n").expect("write");
    let out = run_coop(
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "run",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "x",
        ],
        repo.path(),
    );
    assert_eq!(out.status.code(), Some(2), "malformed config");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role"));
}

#[test]
fn route_prints_a_decision_without_calling_a_model() {
    let out = run_coop(
        &[
            "route",
            "--json",
            "Fix the nil pointer panic in (*Server).Shutdown when called twice",
        ],
        &repo_root(),
    );
    assert_eq!(out.status.code(), Some(0));
    let d: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(d["type"], "bugfix");
    assert_eq!(d["workflow"][0], "reviewer");
    assert!(d["confidence"].as_f64().expect("confidence") > 0.0);
    assert!(!d["rationale"].as_array().expect("rationale").is_empty());
}

/// `coop runs`, `coop show` and `coop verify` on a real run, and `verify`
/// naming exactly what was changed in a tampered run directory.
#[test]
fn runs_show_and_verify_inspect_a_run_and_name_what_was_tampered_with() {
    require_docker();
    let repo = ExampleRepo::new("02-bugfix-pagination-last-page");
    let server = ModelServer::from_recording_file(&repo.example.join("fixtures/replay.json"))
        .expect("server");
    let out = run_coop(
        &[
            "run",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "--base-url",
            &server.base_url(),
            "--json",
            &repo.task(),
        ],
        repo.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let s = summary(&out);
    let run_id = s["run_id"].as_str().expect("id").to_string();
    let run_dir = Path::new(s["run_dir"].as_str().expect("dir")).to_path_buf();
    let rp = repo.path().to_str().expect("utf8");

    let runs = run_coop(&["runs", "--repo", rp, "--json"], repo.path());
    assert_eq!(runs.status.code(), Some(0));
    let list: Value = serde_json::from_slice(&runs.stdout).expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["run_id"], run_id.as_str());
    assert_eq!(list[0]["outcome"], "approved");
    assert!(list[0]["tokens"].as_u64().unwrap_or(0) > 0);

    let show = run_coop(&["show", &run_id, "--repo", rp], repo.path());
    assert_eq!(show.status.code(), Some(0));
    let text = String::from_utf8_lossy(&show.stdout);
    for needle in [
        "routed: bugfix",
        "reviewer model call",
        "verification 1: passed",
        "verdict approve",
        "end: approved (exit 0)",
    ] {
        assert!(text.contains(needle), "timeline lacks {needle:?}:\n{text}");
    }

    let ok = run_coop(&["verify", &run_id, "--repo", rp], repo.path());
    assert_eq!(ok.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact"));

    // Replay from the recorded exchanges: same events, same patch, no model.
    drop(server);
    let replay = run_coop(&["replay", &run_id, "--repo", rp, "--json"], repo.path());
    assert_eq!(replay.status.code(), Some(0), "the run reproduces");
    let r: Value = serde_json::from_slice(&replay.stdout).expect("json");
    assert_eq!(r["reproduced"], true);
    assert_eq!(r["same_patch"], true);
    // A recording changed after the fact: the first drifting event is named.
    let rec_path = run_dir.join("model/recording.json");
    let rec_text = std::fs::read_to_string(&rec_path).expect("recording");
    let mut rec: Value = serde_json::from_str(&rec_text).expect("json");
    let last = rec["exchanges"]
        .as_array()
        .map(Vec::len)
        .expect("exchanges")
        - 1;
    rec["exchanges"][last]["text"] = Value::String(
        r#"{"verdict":"request-changes","summary":"no","findings":[{"severity":"blocking","message":"changed after the fact"}]}"#.into(),
    );
    std::fs::write(&rec_path, serde_json::to_string(&rec).expect("json")).expect("write");
    let drifted = run_coop(&["replay", &run_id, "--repo", rp], repo.path());
    assert_eq!(drifted.status.code(), Some(3));
    let text = String::from_utf8_lossy(&drifted.stdout);
    assert!(
        text.contains("DRIFTED") && text.contains("first drift at audit line"),
        "{text}"
    );
    assert!(
        text.contains("\"event\":\"model-call\""),
        "the drift starts at the changed model reply: {text}"
    );
    std::fs::write(&rec_path, rec_text).expect("restore");

    // A handoff edited after the fact: named with its audit line.
    let handoff = run_dir.join("handoffs/001-reviewer.json");
    let body = std::fs::read_to_string(&handoff).expect("handoff");
    std::fs::write(&handoff, body.replacen("pagination", "PAGINATION", 1)).expect("write");
    let bad = run_coop(&["verify", run_dir.to_str().expect("utf8")], repo.path());
    assert_eq!(bad.status.code(), Some(3));
    let text = String::from_utf8_lossy(&bad.stdout);
    assert!(
        text.contains("(handoff): handoffs/001-reviewer.json: sha256"),
        "{text}"
    );
    std::fs::write(&handoff, body).expect("restore");

    // The patch removed; the last audit line cut off (the chain alone cannot
    // see that; run.json's recorded head can).
    std::fs::remove_file(run_dir.join("change.patch")).expect("rm patch");
    let log = run_dir.join("audit.jsonl");
    let text = std::fs::read_to_string(&log).expect("log");
    let cut: String = text
        .lines()
        .take(text.lines().count() - 1)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&log, cut).expect("write");
    let bad = run_coop(&["verify", &run_id, "--repo", rp], repo.path());
    assert_eq!(bad.status.code(), Some(3));
    let text = String::from_utf8_lossy(&bad.stdout);
    assert!(
        text.contains("lines were removed from or added to the end"),
        "{text}"
    );
    // The run-end line (which referenced change.patch) is gone with the cut,
    // so the missing patch shows only through the head mismatch.
    assert_eq!(text.lines().count(), 1, "{text}");

    let missing = run_coop(&["show", "no-such-run", "--repo", rp], repo.path());
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn a_tampered_audit_log_is_detected() {
    require_docker();
    let repo = ExampleRepo::new("03-refactor-extract-email-normalization");
    let server = ModelServer::from_recording_file(&repo.example.join("fixtures/replay.json"))
        .expect("server");
    let out = run_coop(
        &[
            "run",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "--base-url",
            &server.base_url(),
            "--json",
            &repo.task(),
        ],
        repo.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let s = summary(&out);
    let log = Path::new(s["run_dir"].as_str().expect("dir")).join("audit.jsonl");
    let text = std::fs::read_to_string(&log).expect("log");
    let tampered = text.replacen(
        "\"verdict\":\"approve\"",
        "\"verdict\":\"request-changes\"",
        1,
    );
    assert_ne!(text, tampered);
    std::fs::write(&log, tampered).expect("write");
    let v = run_coop(&["verify-log", log.to_str().expect("utf8")], repo.path());
    assert_ne!(v.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&v.stdout).contains("line"));
}

#[test]
fn plugins_list_and_check() {
    let out = run_coop(&["plugins", "list", "--json"], &repo_root());
    assert_eq!(out.status.code(), Some(0));
    let rows: Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), 5, "router + four roles");
    for r in rows {
        assert_eq!(r["wit"], "coop:mob@0.2.1");
        assert_eq!(r["sha256"].as_str().expect("sha").len(), 64);
        assert_eq!(r["problems"].as_array().expect("problems").len(), 0, "{r}");
        let edits_granted = !r["granted"]["edits"].is_null();
        assert_eq!(
            edits_granted,
            r["slot"] == "implementer",
            "only the implementer may edit: {r}"
        );
    }
    let reviewer = plugin_dir().join("reviewer.wasm");
    let out = run_coop(
        &[
            "plugins",
            "check",
            "--json",
            reviewer.to_str().expect("utf8"),
        ],
        &repo_root(),
    );
    assert_eq!(out.status.code(), Some(0));
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(r["world"], "role");
    assert!(
        !r["imports"]
            .as_array()
            .expect("imports")
            .iter()
            .any(|i| i.as_str().unwrap_or("").starts_with("coop:mob/edits"))
    );

    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("bad.wasm");
    std::fs::write(&bad, b"not wasm").expect("write");
    let out = run_coop(
        &["plugins", "check", bad.to_str().expect("utf8")],
        &repo_root(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not a valid WebAssembly binary"));

    // A pinned digest that does not match refuses to load.
    let cfg = dir.path().join("coop.toml");
    std::fs::write(&cfg, "[roles.reviewer]\nplugin = \"reviewer.wasm\"\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\nprovider = \"local\"\n").expect("write");
    let out = run_coop(
        &["--config", cfg.to_str().expect("utf8"), "plugins", "list"],
        &repo_root(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("pins"));
}

#[test]
fn hosted_providers_anthropic_and_openai_responses_with_costs() {
    use coop_e2e::anthropic_server::{self, AnthropicMessage, AnthropicUsage};
    use coop_e2e::responses_server::{self, ResponsesReply, ResponsesUsage};
    use coop_e2e::sse_script_server::Reply;
    require_docker();
    let repo = ExampleRepo::new("03-refactor-extract-email-normalization");
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(repo.example.join("fixtures/replay.json")).expect("fixture"),
    )
    .expect("json");
    let text_of = |purpose: &str| -> String {
        fixture["exchanges"]
            .as_array()
            .expect("exchanges")
            .iter()
            .find(|e| e["purpose"] == purpose)
            .expect("purpose")["text"]
            .as_str()
            .expect("text")
            .to_string()
    };
    let opus = |json: String, cache_read: u64| {
        let mut m = AnthropicMessage::tool_reply(json).usage(AnthropicUsage {
            input_tokens: 1200,
            cache_creation_input_tokens: if cache_read == 0 { 900 } else { 0 },
            cache_read_input_tokens: cache_read,
            output_tokens: 300,
        });
        m.model = "claude-opus-4-5".into();
        Reply::Sse(m.script())
    };
    // Architect and reviewer on Anthropic; the first attempt is overloaded (529).
    let anthropic = anthropic_server::start(vec![
        Reply::status(
            529,
            anthropic_server::error_body("overloaded_error", "Overloaded"),
        ),
        opus(text_of("architect"), 0),
        opus(text_of("reviewer"), 900),
    ]);
    let mut r = ResponsesReply::text(text_of("implementer"));
    r = r.usage(ResponsesUsage {
        input_tokens: 3000,
        cached_tokens: 1000,
        output_tokens: 800,
        reasoning_tokens: 200,
    });
    let responses = responses_server::start(vec![Reply::Sse(r.script())]);

    let cfg = repo.path().join("hosted.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"
[providers.anthropic]
kind = "anthropic"
base_url = "{}"
model = "claude-opus-4-5"
api_key_env = "ANTHROPIC_API_KEY"
[providers.openai]
kind = "openai-responses"
base_url = "{}"
model = "gpt-5.2-codex"
api_key_env = "OPENAI_API_KEY"
send_temperature = false
[roles.architect]
plugin = "architect.wasm"
provider = "anthropic"
grants = {{ model = {{ max_tokens_per_call = 2048, max_calls = 6 }}, workspace_read = ["**"], log = true }}
[roles.reviewer]
plugin = "reviewer.wasm"
provider = "anthropic"
grants = {{ model = {{ max_tokens_per_call = 2048, max_calls = 8 }}, workspace_read = ["**"], log = true }}
[roles.implementer]
plugin = "implementer.wasm"
provider = "openai"
grants = {{ model = {{ max_tokens_per_call = 4096, max_calls = 12 }}, workspace_read = ["**"], edits = {{ globs = ["**"] }}, log = true }}
"#,
            anthropic.base_url(),
            responses.base_url()
        ),
    )
    .expect("config");
    let secret_a = "sk-ant-api03-TESTKEYaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let secret_o = "sk-proj-TESTKEYbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    let out = run_coop_env(
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "run",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "--json",
            &repo.task(),
        ],
        repo.path(),
        &[
            ("ANTHROPIC_API_KEY", secret_a),
            ("OPENAI_API_KEY", secret_o),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let s = summary(&out);
    assert_eq!(s["outcome"], "approved");
    for role in ["architect", "implementer", "reviewer"] {
        let c = s["per_role"][role]["cost_usd"].as_f64().unwrap_or(0.0);
        assert!(c > 0.0, "{role} has a cost: {}", s["per_role"][role]);
    }
    assert_eq!(
        s["per_role"]["reviewer"]["usage"]["cached_input_tokens"],
        900
    );
    assert_eq!(
        s["per_role"]["implementer"]["usage"]["reasoning_tokens"],
        200
    );
    // The key went to the servers in headers, and nowhere into the run directory.
    let run_dir = Path::new(s["run_dir"].as_str().expect("dir")).to_path_buf();
    let events = audit_events(&run_dir);
    let calls: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "model-call")
        .collect();
    assert_eq!(calls.len(), 3);
    assert!(
        calls
            .iter()
            .all(|c| c["cost_usd"].as_f64().unwrap_or(0.0) > 0.0)
    );
    assert_eq!(calls[0]["attempts"], 2, "529 retried once");
    let mut stack = vec![run_dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let t = String::from_utf8_lossy(&std::fs::read(&p).expect("read")).to_string();
                assert!(
                    !t.contains(secret_a) && !t.contains(secret_o),
                    "a key leaked into {}",
                    p.display()
                );
            }
        }
    }
    let areq = anthropic.recorded_requests();
    assert_eq!(areq.len(), 3);
    assert_eq!(areq[1].header("x-api-key"), Some(secret_a));
    assert_eq!(areq[1].body["tool_choice"]["name"], "reply");
    assert_eq!(
        areq[1].body["system"][0]["cache_control"]["type"],
        "ephemeral"
    );
    let oreq = responses.recorded_requests();
    assert_eq!(oreq.len(), 1);
    assert!(oreq[0].body.get("temperature").is_none());
}

#[test]
fn route_eval_measures_the_configured_router_plugin() {
    let set = repo_root().join("examples/routing/tasks.jsonl");
    let out = run_coop(
        &["route", "--eval", set.to_str().expect("utf8"), "--json"],
        &repo_root(),
    );
    assert_eq!(out.status.code(), Some(0));
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(r["cases"].as_u64().expect("cases") >= 120);
    let acc = r["type_accuracy"].as_f64().expect("acc");
    assert!(
        acc >= 0.90,
        "type accuracy of the router plugin on the curated set: {acc}"
    );
    let m = r["confusion"].as_array().expect("matrix");
    let total: u64 = m
        .iter()
        .flat_map(|row| row.as_array().expect("row").iter())
        .map(|v| v.as_u64().expect("n"))
        .sum();
    assert_eq!(total, r["cases"].as_u64().expect("cases"));
}

#[test]
fn ctrl_c_cancels_the_call_in_flight_and_keeps_the_journal() {
    require_docker();
    let repo = ExampleRepo::new("01-strutil-reverse");
    // The model never answers in time: the first byte is 60 s away.
    let server = ModelServer::start(vec![
        ScriptedReply::text("{}").delay_first_byte(std::time::Duration::from_secs(60)),
    ]);
    let child = std::process::Command::new(coop_bin())
        .args([
            "run",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "--base-url",
            &server.base_url(),
            "--json",
            "Add func Reverse to strutil",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // HOME gives the component cache: without it every plugin is
        // compiled cold, which on a loaded 2-core machine can take a minute.
        .env(
            "HOME",
            std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
        )
        .env("COOP_PLUGIN_DIR", plugin_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn coop");
    // Wait until the model request is in flight, then send SIGINT.
    let t0 = std::time::Instant::now();
    while server.requests().is_empty() {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(240),
            "coop never called the model"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let sent = std::time::Instant::now();
    let st = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
    let out = child.wait_with_output().expect("wait");
    let took = sent.elapsed();
    eprintln!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(130), "Ctrl-C has its own exit code");
    assert!(
        took < std::time::Duration::from_secs(15),
        "cancelled promptly, took {took:?}"
    );
    let s = summary(&out);
    assert_eq!(s["outcome"], "cancelled");
    let run_dir = Path::new(s["run_dir"].as_str().expect("dir")).to_path_buf();
    let events = audit_events(&run_dir);
    assert!(events.iter().any(|e| e["event"] == "model-call-failed"));
    assert_eq!(events.last().expect("events")["event"], "run-end");
    let v = run_coop(
        &["verify-log", run_dir.to_str().expect("utf8")],
        repo.path(),
    );
    assert_eq!(v.status.code(), Some(0), "journal intact");
}

#[test]
fn doctor_reports_keys_and_endpoints_without_printing_keys() {
    let server = ModelServer::start(vec![]);
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("coop.toml");
    std::fs::write(
        &cfg,
        format!(
            "[providers.local]\nkind = \"openai-compat\"\nbase_url = \"{}\"\nmodel = \"m\"\n[providers.anthropic]\nkind = \"anthropic\"\nbase_url = \"http://127.0.0.1:9\"\nmodel = \"claude-opus-4-5\"\napi_key_env = \"ANTHROPIC_API_KEY\"\n[roles.reviewer]\nplugin = \"reviewer.wasm\"\nprovider = \"anthropic\"\n",
            server.base_url()
        ),
    )
    .expect("write");
    let secret = "sk-ant-api03-DOCTORSECRETxxxxxxxxxxxxxxxxxxxxxxxxx";
    let out = run_coop_env(
        &["--config", cfg.to_str().expect("utf8"), "doctor", "--json"],
        dir.path(),
        &[("ANTHROPIC_API_KEY", secret)],
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(secret));
    let rows: Value = serde_json::from_slice(&out.stdout).expect("json");
    let row = |role: &str| {
        rows.as_array()
            .expect("rows")
            .iter()
            .find(|r| r["role"] == role)
            .expect("role")
            .clone()
    };
    assert!(
        row("architect")["probe"]["Ok"].is_u64(),
        "the local server answers: {}",
        row("architect")
    );
    assert_eq!(row("reviewer")["key_present"], true);
    assert!(
        row("reviewer")["probe"]["Err"].is_string(),
        "nothing listens on port 9"
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unreachable endpoint is a problem"
    );
    let out = run_coop(
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "doctor",
            "--offline",
            "--json",
        ],
        dir.path(),
    );
    let rows: Value = serde_json::from_slice(&out.stdout).expect("json");
    let reviewer = rows
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["role"] == "reviewer")
        .expect("r")
        .clone();
    assert_eq!(reviewer["key_present"], false);
    assert!(reviewer["probe"].is_null());
    assert_eq!(out.status.code(), Some(2), "a missing key is a problem");
}

#[test]
fn budgets_in_tokens_and_money_stop_the_run_before_the_call() {
    require_docker();
    let repo = ExampleRepo::new("01-strutil-reverse");
    // Tokens: the architect's first prompt alone is above 100 tokens.
    let server = ModelServer::start(vec![ScriptedReply::text("{}")]);
    let cfg = repo.path().join("tokens.toml");
    std::fs::write(&cfg, "[run]\nbudget_tokens = 100\n").expect("write");
    let out = run_coop(
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "run",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "--base-url",
            &server.base_url(),
            "--json",
            &repo.task(),
        ],
        repo.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(6),
        "budget exceeded has exit code 6"
    );
    assert!(server.requests().is_empty(), "no call was made");
    let s = summary(&out);
    let events = audit_events(Path::new(s["run_dir"].as_str().expect("dir")));
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "budget-exceeded" && e["kind"] == "tokens")
    );

    // Money: a priced model whose worst case exceeds $0.001.
    let anthropic = coop_e2e::anthropic_server::start(vec![]);
    let cfg = repo.path().join("money.toml");
    std::fs::write(
        &cfg,
        format!(
            "[run]\nbudget_usd = 0.001\n[providers.anthropic]\nkind = \"anthropic\"\nbase_url = \"{}\"\nmodel = \"claude-opus-4-5\"\napi_key_env = \"ANTHROPIC_API_KEY\"\n[roles.architect]\nplugin = \"architect.wasm\"\nprovider = \"anthropic\"\ngrants = {{ model = {{ max_tokens_per_call = 2048, max_calls = 6 }}, workspace_read = [\"**\"], log = true }}\n",
            anthropic.base_url()
        ),
    )
    .expect("write");
    let out = run_coop_env(
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "run",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "--json",
            &repo.task(),
        ],
        repo.path(),
        &[("ANTHROPIC_API_KEY", "sk-ant-test-0000000000000000000000")],
    );
    assert_eq!(out.status.code(), Some(6));
    assert!(anthropic.requests().is_empty(), "no call was made");
    let s = summary(&out);
    let events = audit_events(Path::new(s["run_dir"].as_str().expect("dir")));
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "budget-exceeded" && e["kind"] == "money")
    );
}

/// A third-party router written in Python (plugins/router-py, built by
/// plugins/router-py/build.sh) becomes the router with one config section.
#[test]
fn python_router_plugin_routes_a_task() {
    let wasm = plugin_dir().join("router-py.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: build it first (plugins/router-py/build.sh, done by tests/run.sh)",
        wasm.display()
    );
    let out = run_coop(
        &[
            "--config",
            "plugins/router-py/coop.toml",
            "route",
            "--json",
            "Fix the panic in Parse when input is empty",
        ],
        &repo_root(),
    );
    assert_eq!(out.status.code(), Some(0));
    let d: Value = serde_json::from_slice(&out.stdout).expect("decision is JSON");
    assert_eq!(d["type"], "bugfix");
    assert_eq!(
        d["workflow"],
        serde_json::json!(["reviewer", "architect", "implementer", "reviewer"])
    );
    let rationale: Vec<&str> = d["rationale"]
        .as_array()
        .expect("rationale")
        .iter()
        .map(|r| r.as_str().expect("line"))
        .collect();
    assert!(
        rationale[0].starts_with("router-py:"),
        "not the Python router: {rationale:?}"
    );
    assert!(
        rationale[1..]
            .iter()
            .all(|r| r.starts_with("python router:")),
        "{rationale:?}"
    );
}

/// Issue 21: a third-party router's plan is not taken wholesale. The
/// Python router plans docs work as implementer → reviewer; an operator
/// floor that wants an architect and a reviewer at every risk level raises
/// that plan, says so in the rationale, and `coop route` shows the plan a
/// run would use.
#[test]
fn the_operator_floor_corrects_a_third_party_routers_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("coop.toml");
    std::fs::write(
        &cfg,
        format!(
            "plugin_dir = {:?}\n\n[router]\nplugin = \"router-py.wasm\"\ngrants = {{ log = true }}\n\n[routing]\nlow = [\"architect\", \"reviewer\"]\nmedium = [\"architect\", \"reviewer\"]\nhigh = [\"architect\", \"reviewer\"]\nmax_steps = 4\n",
            plugin_dir().to_string_lossy()
        ),
    )
    .expect("config");
    let route = |cfg: &Path| {
        let out = run_coop(
            &[
                "--config",
                &cfg.to_string_lossy(),
                "route",
                "--json",
                "Document the retry options in the README",
            ],
            &repo_root(),
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).expect("decision is JSON")
    };
    let d = route(&cfg);
    assert_eq!(d["type"], "docs");
    assert!(
        d["rationale"][0]
            .as_str()
            .unwrap_or("")
            .starts_with("router-py:"),
        "not the Python router: {d}"
    );
    assert_eq!(
        d["workflow"],
        serde_json::json!(["architect", "implementer", "reviewer"])
    );
    assert!(
        d["rationale"]
            .as_array()
            .expect("rationale")
            .iter()
            .any(|r| r == "plan floor: implementer,reviewer -> architect,implementer,reviewer"),
        "{d}"
    );
    // The router's own plan, without the floor (the defaults ask nothing of
    // low-risk docs work).
    std::fs::write(
        &cfg,
        format!(
            "plugin_dir = {:?}\n\n[router]\nplugin = \"router-py.wasm\"\ngrants = {{ log = true }}\n",
            plugin_dir().to_string_lossy()
        ),
    )
    .expect("config");
    let d = route(&cfg);
    assert_eq!(
        d["workflow"],
        serde_json::json!(["implementer", "reviewer"]),
        "{d}"
    );
}

/// `coop run` (mob) on an example repository, the model replies served
/// from the example's recorded fixture in order.
fn run_recorded(repo: &ExampleRepo) -> (std::process::Output, ModelServer) {
    let server = ModelServer::from_recording_file(&repo.example.join("fixtures/replay.json"))
        .expect("server");
    let task_file = repo.example.join("task.md");
    let out = run_coop(
        &[
            "run",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "--base-url",
            &server.base_url(),
            "--json",
            "--file",
            task_file.to_str().expect("utf8"),
        ],
        repo.path(),
    );
    (out, server)
}

#[test]
fn secret_files_are_never_listed_or_read_for_a_model() {
    require_docker();
    let repo = ExampleRepo::new("01-strutil-reverse");
    // A committed .env and a key file: secret whatever their content.
    let token = "unit-canary-7f3a9c2e41d0b8";
    std::fs::write(repo.path().join(".env"), format!("SERVICE_TOKEN={token}\n")).expect("write");
    std::fs::create_dir_all(repo.path().join("deploy")).expect("mkdir");
    std::fs::write(
        repo.path().join("deploy/tls.key"),
        format!("not-a-pem-{token}\n"),
    )
    .expect("write");
    commit_all(repo.path(), "secrets");
    let (out, server) = run_recorded(&repo);
    assert_eq!(out.status.code(), Some(0));
    let bodies: Vec<String> = server.requests().iter().map(Value::to_string).collect();
    assert!(!bodies.is_empty());
    for b in &bodies {
        assert!(
            !b.contains(token),
            "a secret file's content reached the model"
        );
        assert!(
            !b.contains("tls.key") && !b.contains("\\\".env\\\""),
            "a secret file's name was offered to the model"
        );
    }
    // The file listing the plugins got did include the ordinary files.
    assert!(
        bodies.iter().any(|b| b.contains("strutil/strutil.go")),
        "the prompts do list repository files"
    );
    let run_dir = Path::new(summary(&out)["run_dir"].as_str().expect("dir")).to_path_buf();
    let all = std::fs::read_to_string(run_dir.join("audit.jsonl")).expect("audit");
    assert!(!all.contains(token));
}

/// Issue 18: `coop check` runs the verification a run would, on the working
/// tree (uncommitted changes included) or on a commit, and exits by the
/// result; no model, no run directory.
#[test]
fn check_verifies_the_working_tree_or_a_commit() {
    require_docker();
    let repo = ExampleRepo::new("01-strutil-reverse");
    let check = |extra: &[&str]| {
        let mut args = vec!["check", "--repo", repo.path().to_str().expect("utf8")];
        args.extend(extra);
        run_coop(&args, repo.path())
    };
    let out = check(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("the working tree") && text.contains("Verification PASSED"),
        "{text}"
    );
    // An uncommitted broken test is seen.
    let broken = repo.path().join("strutil/broken_test.go");
    std::fs::write(
        &broken,
        "package strutil\n\nimport \"testing\"\n\nfunc TestBroken(t *testing.T) { t.Fatal(\"no\") }\n",
    )
    .expect("write");
    let out = check(&["--json"]);
    assert_eq!(out.status.code(), Some(3));
    let report: Value = serde_json::from_slice(&out.stdout).expect("report is JSON");
    assert_eq!(report["passed"], false);
    assert!(report.to_string().contains("TestBroken"));
    // Committed, then the commit before it checks clean, and HEAD does not.
    commit_all(repo.path(), "broken");
    std::fs::remove_file(&broken).expect("rm");
    assert_eq!(check(&["--rev", "HEAD~1"]).status.code(), Some(0));
    assert_eq!(check(&["--rev", "HEAD"]).status.code(), Some(3));
    // A rev that is not a commit is bad input.
    assert_eq!(check(&["--rev", "no-such-rev"]).status.code(), Some(2));
    assert!(
        !repo.path().join(".coop/runs").exists(),
        "check leaves no run behind"
    );
}

/// Issue 18: the go line of go.mod picks the Go that verifies the module
/// (its image built on first need when absent): a test of the module that
/// passes only under Go 1.23 passes, and the report and the text say which
/// Go ran and why.
#[test]
fn check_verifies_with_the_go_version_the_module_asks_for() {
    require_docker();
    let repo = ExampleRepo::new("01-strutil-reverse");
    let go_mod = repo.path().join("go.mod");
    let text = std::fs::read_to_string(&go_mod).expect("go.mod");
    std::fs::write(&go_mod, text.replace("go 1.27", "go 1.23")).expect("write");
    std::fs::write(
        repo.path().join("strutil/toolchain_test.go"),
        "package strutil\n\nimport (\n\t\"runtime\"\n\t\"strings\"\n\t\"testing\"\n)\n\nfunc TestToolchain(t *testing.T) {\n\tif !strings.HasPrefix(runtime.Version(), \"go1.23.\") {\n\t\tt.Fatalf(\"built with %s\", runtime.Version())\n\t}\n}\n",
    )
    .expect("write");
    let dir = repo.path().to_str().expect("utf8");
    let out = run_coop(&["check", "--repo", dir, "--json"], repo.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("report is JSON");
    assert_eq!(report["toolchain"]["version"], "go1.23.9", "{report}");
    assert_eq!(report["toolchain"]["requirement"], "go.mod: go 1.23");
    assert_eq!(report["image"], "coop-go:1.23.9");
    let out = run_coop(&["check", "--repo", dir], repo.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Go go1.23.9, as go.mod: go 1.23 asks"),
        "{text}"
    );

    // The same module with the matching turned off: Go 1.27 runs it, and
    // the module's own test says so.
    std::fs::write(
        repo.path().join("coop.toml"),
        "[sandbox]\nmatch_go_version = false\n",
    )
    .expect("write");
    let out = run_coop(
        &[
            "--config",
            repo.path().join("coop.toml").to_str().expect("utf8"),
            "check",
            "--repo",
            dir,
        ],
        repo.path(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("built with go1.27.3") && text.contains("match_go_version"),
        "{text}"
    );
}

/// Issue 20: the project's own instruction files (AGENTS.md, then
/// CLAUDE.md, ...) reach every role as required context, redacted and cut
/// to size, and are audited with their sha256.
#[test]
fn project_instruction_files_reach_every_role() {
    require_docker();
    let repo = ExampleRepo::new("01-strutil-reverse");
    let rule = "Name table-driven test cases with a want field (agents-rule-4c1d)";
    let token = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
    std::fs::write(
        repo.path().join("AGENTS.md"),
        format!("# Conventions\n\n{rule}.\nCI token: {token}\n"),
    )
    .expect("write");
    // Longer than what is left of the 4096-byte allowance: cut.
    std::fs::write(
        repo.path().join("CLAUDE.md"),
        format!("claude-rule-9e2f\n{}", "x".repeat(8000)),
    )
    .expect("write");
    commit_all(repo.path(), "instructions");
    let (out, server) = run_recorded(&repo);
    let bodies: Vec<String> = server.requests().iter().map(Value::to_string).collect();
    assert!(
        !bodies.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for b in &bodies {
        assert!(
            b.contains(rule),
            "a request without the project's AGENTS.md"
        );
        assert!(
            b.contains("claude-rule-9e2f"),
            "a request without CLAUDE.md"
        );
        assert!(!b.contains(token), "the instruction file was not redacted");
    }
    let run_dir = Path::new(summary(&out)["run_dir"].as_str().expect("dir")).to_path_buf();
    let events: Vec<Value> = std::fs::read_to_string(run_dir.join("audit.jsonl"))
        .expect("audit")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let audited: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "project-instructions")
        .collect();
    assert_eq!(audited.len(), 2, "{audited:?}");
    assert_eq!(audited[0]["file"], "AGENTS.md");
    assert_eq!(audited[0]["cut"], false);
    assert_eq!(
        audited[0]["sha256"],
        coop_core::hash::sha256_hex(&std::fs::read(repo.path().join("AGENTS.md")).expect("read"))
    );
    assert_eq!(audited[1]["file"], "CLAUDE.md");
    assert_eq!(audited[1]["cut"], true);
    let kept: u64 = audited
        .iter()
        .map(|e| e["kept_bytes"].as_u64().expect("kept"))
        .sum();
    assert!(kept <= 4096, "{kept}");
}

/// Every file a run leaves (audit log, handoffs, model records, recording,
/// artifacts, patch) and every request the model server received.
fn everything_written(run_dir: &Path, server: &ModelServer) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = server
        .requests()
        .iter()
        .map(|r| ("request".to_string(), r.to_string()))
        .collect();
    let mut stack = vec![run_dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.display().to_string(),
                    String::from_utf8_lossy(&std::fs::read(&p).expect("read")).into_owned(),
                ));
            }
        }
    }
    out
}

#[test]
fn secrets_in_repository_code_never_reach_the_model_or_the_run_directory() {
    require_docker();
    let repo = ExampleRepo::new("01-strutil-reverse");
    // Fake credentials of several kinds in ordinary Go code the plugins read.
    let secrets = [
        "AKIAZ7QX4M2PLK9RT3VW",
        "ghp_Q8x2Lm4Nv7Rt1Ws9Yb3Kd6Hf0Jc5Pg2Zq8Xa",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc9Xq",
        "xoxb-283749102837-1938475610293-Zk3mQ8vN2pL7xR4tW9yB6cD1",
        "AIzaSyD8x3Kq9LmN2vR7tW4yB6cD1fG5hJ0kP3s",
        "glpat-x8Kq2LmN4vR7tW9yB3cD",
        "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",
        "Vq8#xL2mN4vR7tW9yB3c",
    ];
    let go = format!(
        "package strutil\n\n// Upstream credentials (fake, for the test).\nconst (\n\tawsKeyID = \"{}\"\n\tgithubToken = \"{}\"\n\tstripeKey = \"{}\"\n\tslackBot = \"{}\"\n\tgoogleKey = \"{}\"\n\tgitlabToken = \"{}\"\n\thfToken = \"{}\"\n)\n\nvar dbPassword = \"{}\"\n",
        secrets[0],
        secrets[1],
        secrets[2],
        secrets[3],
        secrets[4],
        secrets[5],
        secrets[6],
        secrets[7]
    );
    std::fs::write(repo.path().join("strutil/credentials.go"), go).expect("write");
    // And one secret of every kind of the redaction corpus, in its context
    // (config lines, logs, Go), verbatim inside a block comment.
    let mut seen = BTreeSet::new();
    let planted: Vec<(String, String, String)> = coop_e2e::secret_corpus::corpus()
        .into_iter()
        .filter(|(k, _, _)| seen.insert(k.clone()))
        .collect();
    assert!(planted.len() >= 40);
    let block: String = planted
        .iter()
        .map(|(_, _, text)| {
            text.replace("package svc", "")
                .replace("func handler", "// func handler")
        })
        .collect();
    std::fs::write(
        repo.path().join("strutil/zz_corpus.go"),
        format!("package strutil\n\n/*\n{block}\n*/\n"),
    )
    .expect("write");
    commit_all(repo.path(), "credentials");
    let (out, server) = run_recorded(&repo);
    assert!(out.status.code().is_some());
    let run_dir = Path::new(summary(&out)["run_dir"].as_str().expect("dir")).to_path_buf();
    let all = everything_written(&run_dir, &server);
    assert!(
        all.iter().any(|(_, t)| t.contains("credentials.go")),
        "the file with the secrets was part of the run"
    );
    assert!(
        all.iter().any(|(_, t)| t.contains("[REDACTED:")),
        "and its secrets were redacted"
    );
    for s in secrets {
        for (where_, text) in &all {
            assert!(!text.contains(s), "secret {s} found in {where_}");
        }
    }
    assert!(
        all.iter().any(|(_, t)| t.contains("zz_corpus.go")),
        "the corpus file was part of the run"
    );
    let markers = server
        .requests()
        .iter()
        .map(|r| r.to_string().matches("[REDACTED:").count())
        .max()
        .unwrap_or(0);
    assert!(
        markers >= planted.len(),
        "a request carried the corpus, redacted ({markers} markers)"
    );
    for (kind, secret, _) in &planted {
        for (where_, text) in &all {
            assert!(
                !coop_e2e::secret_corpus::leaked(text, secret) && !text.contains(secret.as_str()),
                "{kind} secret found in {where_}"
            );
        }
    }
}

#[test]
fn map_builds_a_cached_module_map_and_chooses_a_working_set() {
    let repo = ExampleRepo::new("13-refactor-digest-sender-interface");
    let task = repo.task();
    let p = repo.path().to_str().expect("utf8");
    let first = run_coop(&["map", "--repo", p, "--json", &task], repo.path());
    assert_eq!(first.status.code(), Some(0));
    let v = summary(&first);
    assert_eq!(v["module"], "example.com/newsletter");
    assert_eq!(v["build"]["parsed"], 3);
    let items = v["working_set"]["items"].as_array().expect("items");
    assert_eq!(
        items[0]["path"], "digest/digest.go",
        "the file the task is about comes first"
    );
    assert!(v["working_set"]["used"].as_u64().expect("used") <= 8192);
    // Second time: nothing re-read, the cache (by size, mtime, content hash) answers.
    let second = summary(&run_coop(&["map", "--repo", p, "--json"], repo.path()));
    assert_eq!(
        (
            second["build"]["parsed"].as_u64(),
            second["build"]["trusted"].as_u64()
        ),
        (Some(0), Some(3))
    );
    // A tiny budget: nothing is cut in the middle; what does not fit is reported.
    let tight = summary(&run_coop(
        &["map", "--repo", p, "--json", "--budget", "50", &task],
        repo.path(),
    ));
    assert!(tight["working_set"]["used"].as_u64().expect("used") <= 50);
    assert!(
        !tight["working_set"]["dropped"]
            .as_array()
            .expect("dropped")
            .is_empty()
    );
}

/// Context budgets (issue 6): with a small context window the host drops
/// whole pieces of the handoffs (never a part of one), names each in a
/// `context-dropped` event and in the handoff, keeps the full text in the
/// run directory, and every handoff still validates; with a window too
/// small for the task itself the run stops before any model call.
#[test]
fn context_budgets_drop_whole_pieces_and_say_so() {
    require_docker();
    let repo = ExampleRepo::new("01-strutil-reverse");
    let fixture = repo.example.join("fixtures/replay.json");
    let server = ModelServer::from_recording_file(&fixture).expect("model server");
    // Implementer: 6200 - 4096 (reply) - 1024 (instructions) = 1080 input
    // tokens: 270 persistent, 270 recent, the rest working set.
    let cfg = repo.path().join("small.toml");
    std::fs::write(
        &cfg,
        format!("[providers.local]\nkind = \"openai-compat\"\nbase_url = \"{}\"\nmodel = \"m\"\ncontext_window = 6200\n", server.base_url()),
    )
    .expect("write");
    let task_file = repo.example.join("task.md");
    let out = run_coop(
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "run",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "--json",
            "--file",
            task_file.to_str().expect("utf8"),
        ],
        repo.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&out);
    let run_dir = Path::new(s["run_dir"].as_str().expect("dir")).to_path_buf();
    let events = audit_events(&run_dir);
    let handoffs: Vec<&Value> = events.iter().filter(|e| e["event"] == "handoff").collect();
    let contexts: Vec<&Value> = events.iter().filter(|e| e["event"] == "context").collect();
    assert_eq!(
        handoffs.len(),
        contexts.len(),
        "one context event per handoff"
    );
    let dropped: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "context-dropped")
        .collect();
    assert!(
        !dropped.is_empty(),
        "a 1080-token implementer budget drops something"
    );
    let mut total_dropped = 0;
    for e in &handoffs {
        let h: coop_core::Handoff = serde_json::from_slice(
            &std::fs::read(run_dir.join(e["path"].as_str().expect("path"))).expect("read"),
        )
        .expect("parses");
        let c = h.context.expect("every handoff records its context");
        let b = c.budget;
        assert_eq!(b.input, b.window - b.output_reserve - b.prompt_reserve);
        assert!(
            b.persistent.used + b.working.used + b.recent.used <= b.input,
            "seq {}: over budget: {b:?}",
            h.seq
        );
        assert!(
            b.recent.used <= b.recent.share,
            "recent steps over their 25 %"
        );
        for d in &c.dropped {
            total_dropped += 1;
            // Dropped whole: nothing of it is left in the handoff.
            match d.what.as_str() {
                "diff" => assert!(h.diff.is_none()),
                "verification output" => assert!(h.verification.is_none()),
                "design notes" => assert!(h.design_notes.is_none()),
                w if w.starts_with("step ") => assert!(
                    h.recent
                        .iter()
                        .all(|r| !w.starts_with(&format!("step {} ", r.seq)))
                ),
                w if w.starts_with("file ") => assert!(c.working_set.iter().all(|i| format!(
                    "file {}",
                    i.path
                ) != w
                    || i.decl.is_some())),
                _ => {}
            }
            if let Some(a) = &d.artifact {
                assert!(
                    run_dir.join(a).is_file(),
                    "the full text of {} is kept at {a}",
                    d.what
                );
            }
        }
        for i in &c.working_set {
            let file = std::fs::read_to_string(repo.path().join(&i.path)).unwrap_or_default();
            // Whole lines of a file as it was then (the base, or after edits).
            assert!(
                i.content.ends_with('\n') && (file.is_empty() || !i.content.is_empty()),
                "{i:?}"
            );
        }
    }
    assert_eq!(
        total_dropped,
        dropped.len(),
        "every drop is in its handoff and in the audit log"
    );
    // The roles show the model only what the host chose and counted: every
    // repository file in a prompt is in some handoff's working set (the
    // plugins read no file contents themselves).
    let mut chosen: Vec<String> = Vec::new();
    for e in &handoffs {
        let h: coop_core::Handoff = serde_json::from_slice(
            &std::fs::read(run_dir.join(e["path"].as_str().expect("path"))).expect("read"),
        )
        .expect("parses");
        chosen.extend(
            h.context
                .expect("context")
                .working_set
                .into_iter()
                .map(|i| i.path),
        );
    }
    let mut shown = 0;
    for r in server.requests() {
        for m in r["messages"].as_array().expect("messages") {
            let text = m["content"].as_str().unwrap_or_default();
            for line in text.lines().filter(|l| {
                l.starts_with("~~~ DATA ") && l.ends_with("(source: repository content)")
            }) {
                shown += 1;
                let label = line
                    .trim_start_matches("~~~ DATA ")
                    .trim_start_matches("file ");
                let path = label.split(' ').next().expect("a path");
                assert!(
                    chosen.iter().any(|c| c == path),
                    "{path} reached a prompt without being in a working set: {line}"
                );
            }
        }
    }
    assert!(shown > 0, "the working set reaches the prompts");

    // Too small for the task, goals and constraints themselves: exit 6, no call.
    let server = ModelServer::start(vec![ScriptedReply::text("{}")]);
    std::fs::write(
        &cfg,
        format!("[providers.local]\nkind = \"openai-compat\"\nbase_url = \"{}\"\nmodel = \"m\"\ncontext_window = 3200\n", server.base_url()),
    )
    .expect("write");
    let out = run_coop(
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "run",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "--json",
            &repo.task(),
        ],
        repo.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(server.requests().is_empty(), "no call was made");
    let s = summary(&out);
    assert!(
        s["reason"]
            .as_str()
            .expect("reason")
            .contains("does not fit its model"),
        "{s}"
    );
    let events = audit_events(Path::new(s["run_dir"].as_str().expect("dir")));
    assert!(events.iter().any(|e| e["event"] == "context-overflow"));
}
