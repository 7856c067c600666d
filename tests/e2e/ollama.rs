//! Issue 20: Ollama as a provider kind of its own, end to end: a solo run
//! through the real plugin and sandbox against a loopback server speaking
//! Ollama's API is approved, every request carrying the configured context
//! window as `options.num_ctx`; `coop doctor` says whether the model is
//! pulled and whether its context holds that window.

use crate::fixes::TEST;
use coop_e2e::harness::*;
use coop_e2e::ollama_server::{OllamaReply, OllamaServer};
use serde_json::Value;

const MODEL: &str = "qwen2.5-coder:1.5b";

fn config(server: &OllamaServer, model: &str, window: u64) -> String {
    format!(
        "[providers.local]\nkind = \"ollama\"\nbase_url = \"{}\"\nmodel = \"{model}\"\ncontext_window = {window}\n",
        server.base_url()
    )
}

#[test]
fn a_solo_run_on_ollama_sends_the_context_window_and_is_approved() {
    require_docker();
    let repo = ExampleRepo::new("01-strutil-reverse");
    let reverse = "strutil/reverse.go\n```go\npackage strutil\n\n// Reverse returns s with its runes in reverse order.\nfunc Reverse(s string) string {\n\tr := []rune(s)\n\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {\n\t\tr[i], r[j] = r[j], r[i]\n\t}\n\treturn string(r)\n}\n```\n";
    let server = OllamaServer::start(
        &[(MODEL, 32768)],
        vec![
            OllamaReply::text(format!("Reverse and its test.\n\n{reverse}\n{TEST}"))
                .expect_system_contains("You are the Implementer"),
        ],
    );
    let (code, summary) = run_solo(
        &repo,
        &server.base_url(),
        Some(&config(&server, MODEL, 8192)),
    );
    assert_eq!(code, Some(0), "{summary}");
    assert_eq!(summary["outcome"], "approved");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0]["options"]["num_ctx"], 8192, "{}", reqs[0]);
    assert_eq!(reqs[0]["model"], MODEL);
}

#[test]
fn doctor_checks_the_model_is_pulled_and_its_context_holds_the_window() {
    let server = OllamaServer::start(&[(MODEL, 32768)], Vec::new());
    let dir = tempfile::tempdir().expect("tempdir");
    let doctor = |model: &str, window: u64| {
        let cfg = dir.path().join("coop.toml");
        std::fs::write(&cfg, config(&server, model, window)).expect("write");
        run_coop(
            &["--config", cfg.to_str().expect("utf8"), "doctor", "--json"],
            dir.path(),
        )
    };
    let out = doctor(MODEL, 16384);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let check = rows[0]["model_check"]["Ok"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(check.contains("32768") && check.contains("16384"), "{rows}");

    let out = doctor(MODEL, 65536);
    assert_eq!(out.status.code(), Some(2));
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let err = rows[0]["model_check"]["Err"].as_str().unwrap_or_default();
    assert!(err.contains("context_window = 32768"), "{rows}");

    let out = doctor("mistral", 16384);
    assert_eq!(out.status.code(), Some(2));
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let err = rows[0]["model_check"]["Err"].as_str().unwrap_or_default();
    assert!(err.contains("ollama pull mistral"), "{rows}");
}
