//! Host calls have a time and disk bound (issue 19, class 4), through the
//! real binary: a plugin looping on `log` or on denied calls ends its run
//! with exit 7 and one `plugin-failure` event naming the cap, the audit log
//! stays within the cap and verifies; a run whose wall clock is spent ends
//! before its next step. Real wasm (the hostile plugin as the implementer),
//! real git, real Docker.

use coop_e2e::harness::*;
use coop_e2e::model_server::{ModelServer, ScriptedReply};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn hostile_wasm() -> PathBuf {
    let p = repo_root().join("target/plugins-test/hostile.wasm");
    assert!(
        p.is_file(),
        "{} is missing: build it with plugins/hostile/build.sh (done by tests/run.sh)",
        p.display()
    );
    p
}

/// The hostile plugin plays the implementer, with everything it asks for.
fn hostile_implementer(run: &str) -> String {
    format!(
        "[run]\n{run}\n\n[roles.implementer]\nplugin = \"{}\"\nprovider = \"local\"\n\
         [roles.implementer.grants]\nmodel = {{ max_tokens_per_call = 100, max_calls = 2 }}\n\
         workspace_read = [\"**\"]\nedits = {{ globs = [\"**\"] }}\nlog = true\n",
        hostile_wasm().display()
    )
}

fn lines(run_dir: &Path) -> Vec<(String, Value)> {
    std::fs::read_to_string(run_dir.join("audit.jsonl"))
        .expect("audit.jsonl")
        .lines()
        .map(|l| (l.to_string(), serde_json::from_str(l).expect("JSON line")))
        .collect()
}

fn run_attack(attack: &str, run: &str) -> (Option<i32>, Value, Vec<(String, Value)>, ExampleRepo) {
    require_docker();
    let repo = ExampleRepo::new("01-strutil-reverse");
    let cfg = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(cfg.path(), hostile_implementer(run)).expect("config");
    let out = run_coop(
        &[
            "--config",
            cfg.path().to_str().expect("utf8"),
            "run",
            "--solo",
            "--json",
            "--repo",
            repo.path().to_str().expect("utf8"),
            // Nothing listens there: these attacks never reach a model.
            "--base-url",
            "http://127.0.0.1:9/v1",
            &format!("hostile:{attack}"),
        ],
        repo.path(),
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    let run_dir = PathBuf::from(summary["run_dir"].as_str().expect("run_dir"));
    let evs = lines(&run_dir);
    // Losing nothing: the journal verifies (chain, files, head).
    let v = run_coop(
        &[
            "verify",
            summary["run_id"].as_str().expect("run_id"),
            "--repo",
            repo.path().to_str().expect("utf8"),
        ],
        repo.path(),
    );
    assert_eq!(v.status.code(), Some(0), "coop verify after {attack}");
    (out.status.code(), summary, evs, repo)
}

fn failures(evs: &[(String, Value)]) -> Vec<&Value> {
    evs.iter()
        .map(|(_, e)| e)
        .filter(|e| e["event"] == "plugin-failure")
        .collect()
}

#[test]
fn a_plugin_looping_on_log_stops_at_the_audit_bytes_cap_with_one_event() {
    const CAP: u64 = 64 << 10;
    let (code, summary, evs, _repo) = run_attack(
        "log-flood:5000:64",
        &format!("plugin_max_audit_bytes = {CAP}"),
    );
    assert_eq!(code, Some(7), "a plugin limit is a role failure: {summary}");
    assert_eq!(summary["outcome"], "role-failed");
    assert!(
        summary["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("audit-bytes cap"),
        "{}",
        summary["reason"]
    );
    let f = failures(&evs);
    assert_eq!(f.len(), 1, "one event records the cap");
    assert_eq!(f[0]["kind"], "audit-limit");
    let logged: Vec<&String> = evs
        .iter()
        .filter(|(_, e)| e["event"] == "plugin-log" && e["plugin"] == "coop-hostile")
        .map(|(l, _)| l)
        .collect();
    let bytes: u64 = logged.iter().map(|l| l.len() as u64 + 1).sum();
    assert!(logged.len() > 100, "it did log: {}", logged.len());
    assert!(bytes <= CAP, "{bytes} bytes of plugin logs, above the cap");
    assert!(summary["commit"].is_null());
}

#[test]
fn a_plugin_looping_on_denied_calls_stops_at_the_host_call_cap_with_one_event() {
    const CAP: usize = 300;
    let (code, summary, evs, _repo) =
        run_attack("deny-flood:5000", &format!("plugin_max_host_calls = {CAP}"));
    assert_eq!(code, Some(7), "{summary}");
    assert!(
        summary["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("host-call cap"),
        "{}",
        summary["reason"]
    );
    let denied = evs
        .iter()
        .filter(|(_, e)| e["event"] == "denied" && e["plugin"] == "coop-hostile")
        .count();
    assert_eq!(
        denied, CAP,
        "the calls up to the cap, and no line per excess call"
    );
    let f = failures(&evs);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["kind"], "host-call-limit");
}

#[test]
fn a_run_whose_wall_clock_is_spent_ends_before_its_next_step() {
    require_docker();
    let repo = ExampleRepo::new("12-bugfix-booking-adjacent-slots");
    let src = std::fs::read_to_string(repo.path().join("booking/booking.go")).expect("source");
    // A reply the implementer applies (the fix): the next step,
    // verification, is what the spent clock must stop.
    let fixed = src.replace(
        "return !s.Start.After(o.End) && !o.Start.After(s.End)",
        "return s.Start.Before(o.End) && o.Start.Before(s.End)",
    );
    assert_ne!(fixed, src);
    let reply = format!("booking/booking.go\n```go\n{fixed}```\n");
    let server = ModelServer::start(vec![
        ScriptedReply::text(reply).delay_first_byte(Duration::from_secs(4)),
    ]);
    let (code, summary) = run_solo(
        &repo,
        &server.base_url(),
        Some("[run]\nwall_clock_secs = 2\n"),
    );
    assert_eq!(
        code,
        Some(6),
        "a spent wall clock is a spent budget: {summary}"
    );
    assert_eq!(summary["outcome"], "budget-exceeded");
    assert!(
        summary["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("wall_clock_secs"),
        "{}",
        summary["reason"]
    );
    let run_dir = PathBuf::from(summary["run_dir"].as_str().expect("run_dir"));
    let evs = lines(&run_dir);
    let clocks: Vec<&Value> = evs
        .iter()
        .map(|(_, e)| e)
        .filter(|e| e["event"] == "run-wall-clock")
        .collect();
    assert_eq!(clocks.len(), 1);
    assert_eq!(
        server.remaining_script(),
        0,
        "the implementer's step ran (its model call took the clock)"
    );
    assert!(
        evs.iter()
            .any(|(_, e)| e["event"] == "role-output" && e["role"] == "implementer"),
        "the step in flight finished"
    );
    assert!(
        !evs.iter()
            .any(|(_, e)| e["event"] == "verification" || e["event"] == "mechanical-fix"),
        "no step after the clock ran out"
    );
}
