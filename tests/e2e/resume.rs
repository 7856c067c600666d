//! Durability and escalation end to end: a run killed (SIGKILL) at every
//! step boundary, in the middle of a model stream and in the middle of a
//! verification resumes with `coop resume` to the same branch, patch and
//! audit log as an uninterrupted run, without paying for a model call twice;
//! an escalated run continues with `coop answer`; each escalation rule is
//! reached through the real binary.

use super::{audit_events, summary};
use coop_e2e::harness::*;
use coop_e2e::model_server::{ModelServer, ScriptedReply};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn runs_dir(repo: &Path) -> PathBuf {
    repo.join(".coop").join("runs")
}

fn run_ids(repo: &Path) -> BTreeSet<String> {
    std::fs::read_dir(runs_dir(repo))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The one run id that is in `after` but not in `before`.
fn new_run(before: &BTreeSet<String>, after: &BTreeSet<String>) -> String {
    let new: Vec<&String> = after.difference(before).collect();
    assert_eq!(new.len(), 1, "exactly one new run: {new:?}");
    new[0].clone()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .expect("json")
}

/// An audit log with what legitimately differs between two executions of
/// the same run removed: times, sequence and chain fields, durations, the
/// run id and the paths and commit ids that contain it or a clock, the hashes
/// of files that hold durations (model records, verification reports), and
/// the one `run-resumed` line. Handoffs are compared by content (without the
/// run id). Everything else — routing, every model request and response
/// hash, every edit, verification verdicts and diffs, review verdicts,
/// workflow decisions, the outcome and the patch hash — must be equal.
fn normalized(run_dir: &Path) -> Vec<Value> {
    const DROP: &[&str] = &[
        "seq",
        "ts",
        "prev",
        "duration_ms",
        "run_id",
        "repo",
        "worktree",
        "branch",
        "commit",
        "record_sha256",
        "report_sha256",
        "steps",
        "attempts",
        "sha256",
    ];
    audit_events(run_dir)
        .into_iter()
        .filter(|e| e["event"] != "run-resumed")
        .map(|mut e| {
            let handoff = (e["event"] == "handoff").then(|| {
                let mut h = read_json(&run_dir.join(e["path"].as_str().expect("handoff path")));
                h["task"]["id"] = Value::Null;
                if let Some(arts) = h["artifacts"].as_array_mut() {
                    for a in arts.iter_mut().filter(|a| a["kind"] == "verification") {
                        a["sha256"] = Value::Null;
                    }
                }
                h
            });
            let m = e.as_object_mut().expect("object");
            for k in DROP {
                m.remove(*k);
            }
            if let Some(h) = handoff {
                m.insert("handoff".into(), h);
            }
            e
        })
        .collect()
}

struct Finished {
    run_id: String,
    run_dir: PathBuf,
    tree: String,
    patch: Vec<u8>,
    events: Vec<Value>,
    requests: usize,
}

fn finished(repo: &Path, out: &std::process::Output, requests: usize) -> Finished {
    let sm = summary(out);
    let run_id = sm["run_id"].as_str().expect("run id").to_string();
    let run_dir = PathBuf::from(sm["run_dir"].as_str().expect("run dir"));
    let tree = git(repo, &["rev-parse", &format!("coop/{run_id}^{{tree}}")]);
    let patch = std::fs::read(run_dir.join("change.patch")).expect("change.patch");
    Finished {
        events: normalized(&run_dir),
        run_id,
        run_dir,
        tree,
        patch,
        requests,
    }
}

fn assert_same(base: &Finished, got: &Finished, what: &str) {
    assert_eq!(
        got.tree, base.tree,
        "{what}: the final branch's tree differs"
    );
    assert_eq!(got.patch, base.patch, "{what}: the patch differs");
    if let Some(i) = (0..base.events.len().max(got.events.len()))
        .find(|i| base.events.get(*i) != got.events.get(*i))
    {
        panic!(
            "{what}: the audit log differs from the uninterrupted run's at event {}:\n  uninterrupted: {}\n  resumed:       {}",
            i + 1,
            base.events
                .get(i)
                .map(Value::to_string)
                .unwrap_or_else(|| "(none)".into()),
            got.events
                .get(i)
                .map(Value::to_string)
                .unwrap_or_else(|| "(none)".into())
        );
    }
    assert_eq!(
        got.requests, base.requests,
        "{what}: model requests across crash and resume (a call paid twice?)"
    );
}

fn task_file(repo: &ExampleRepo) -> PathBuf {
    repo.example.join("task.md")
}

fn run_args<'a>(repo: &'a Path, url: &'a str, task: &'a Path) -> Vec<&'a str> {
    vec![
        "run",
        "--repo",
        s(repo),
        "--base-url",
        url,
        "--json",
        "--file",
        s(task),
    ]
}

fn resume(repo: &Path, id: &str, url: &str) -> std::process::Output {
    run_coop(
        &["resume", id, "--repo", s(repo), "--base-url", url, "--json"],
        repo,
    )
}

/// After a resume: the run verifies, the interrupted attempt is archived and
/// the new log says it was resumed.
fn check_resumed(f: &Finished) {
    let v = run_coop(
        &[
            "verify",
            &f.run_id,
            "--repo",
            s(f.run_dir
                .parent()
                .and_then(Path::parent)
                .and_then(Path::parent)
                .expect("repo")),
        ],
        &f.run_dir,
    );
    assert_eq!(
        v.status.code(),
        Some(0),
        "coop verify passes on the resumed run"
    );
    assert!(
        f.run_dir.join("attempts/1/audit.jsonl").is_file(),
        "the killed attempt is kept"
    );
    let raw = audit_events(&f.run_dir);
    assert_eq!(raw[1]["event"], "run-resumed", "{:?}", raw[1]);
}

#[test]
fn a_run_killed_at_every_step_boundary_resumes_to_the_same_branch_patch_and_audit_log() {
    require_docker();
    let ex = ExampleRepo::new("01-strutil-reverse");
    let repo = ex.path();
    let fixture = ex.example.join("fixtures/replay.json");
    let task = task_file(&ex);

    let server = ModelServer::from_recording_file(&fixture).expect("server");
    let url = server.base_url();
    let out = run_coop(&run_args(repo, &url, &task), repo);
    assert_eq!(out.status.code(), Some(0));
    let base = finished(repo, &out, server.requests().len());
    let n = base.events.len();
    assert!(
        n >= 20,
        "a run with a retry and a review loop has many steps ({n})"
    );
    let kinds: BTreeSet<String> = base
        .events
        .iter()
        .filter_map(|e| e["event"].as_str().map(str::to_string))
        .collect();
    for k in [
        "handoff",
        "model-call",
        "edit-applied",
        "verification",
        "role-output",
        "review-verdict",
        "run-end",
    ] {
        assert!(
            kinds.contains(k),
            "the run crosses a {k} boundary: {kinds:?}"
        );
    }

    let t0 = Instant::now();
    for k in 1..=n as u64 {
        let server = ModelServer::from_recording_file(&fixture).expect("server");
        let url = server.base_url();
        let before = run_ids(repo);
        let crashed = run_coop_env(
            &run_args(repo, &url, &task),
            repo,
            &[("COOP_CRASH_AFTER_EVENT", &k.to_string())],
        );
        assert_eq!(
            crashed.status.signal(),
            Some(9),
            "killed by SIGKILL after event {k}"
        );
        let id = new_run(&before, &run_ids(repo));
        assert!(
            !runs_dir(repo).join(&id).join("run.json").exists(),
            "a killed run has no run.json"
        );
        let out = resume(repo, &id, &url);
        assert_eq!(out.status.code(), Some(0), "resume after event {k}");
        let got = finished(repo, &out, server.requests().len());
        assert_eq!(got.run_id, id, "same run id");
        assert_same(&base, &got, &format!("killed after event {k}"));
        check_resumed(&got);
        let resumed = &audit_events(&got.run_dir)[1];
        assert!(resumed["journal_exchanges"].as_u64().is_some(), "{resumed}");
    }
    eprintln!(
        "{n} crash points, each killed and resumed, in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
}

/// Replies of the fixture whose purpose is known, to cut the script.
fn fixture_purposes(fixture: &Path) -> Vec<String> {
    read_json(fixture)["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .map(|e| e["purpose"].as_str().unwrap_or("").to_string())
        .collect()
}

fn spawn_coop(args: &[&str], cwd: &Path) -> std::process::Child {
    Command::new(coop_bin())
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "HOME",
            std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
        )
        .env("COOP_PLUGIN_DIR", plugin_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn coop")
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn containers(id: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("label=coop.run={id}")])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_run_killed_mid_stream_or_mid_verification_resumes_to_the_same_result() {
    require_docker();
    let ex = ExampleRepo::new("01-strutil-reverse");
    let repo = ex.path();
    let fixture = ex.example.join("fixtures/replay.json");
    let task = task_file(&ex);
    let script = ModelServer::script_from_recording_file(&fixture).expect("script");

    let server = ModelServer::start(script.clone());
    let out = run_coop(&run_args(repo, &server.base_url(), &task), repo);
    assert_eq!(out.status.code(), Some(0));
    let base = finished(repo, &out, server.requests().len());

    // In the middle of a model stream: the reviewer's reply stalls after a
    // few events, and the host is killed while it waits.
    let j = fixture_purposes(&fixture)
        .iter()
        .position(|p| p == "reviewer")
        .expect("a reviewer reply");
    let mut stalled = script.clone();
    stalled[j] = stalled[j]
        .clone()
        .stall_after_events(3, Duration::from_secs(120));
    let first = ModelServer::start(stalled);
    let before = run_ids(repo);
    let url = first.base_url();
    let mut child = spawn_coop(&run_args(repo, &url, &task), repo);
    wait_for("the stalled reviewer request", || {
        first.requests().len() > j
    });
    std::thread::sleep(Duration::from_millis(300));
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    let id = new_run(&before, &run_ids(repo));
    // The reply cut off mid-stream was never recorded: it is asked again, of
    // a server that serves the rest of the script.
    let rest = ModelServer::start(script[j..].to_vec());
    let out = resume(repo, &id, &rest.base_url());
    assert_eq!(out.status.code(), Some(0));
    let got = finished(repo, &out, j + rest.requests().len());
    assert_same(&base, &got, "killed mid-stream");
    assert_eq!(
        first.requests().len(),
        j + 1,
        "only the interrupted call is asked twice"
    );
    check_resumed(&got);
    // A resumed run replays exactly, like any other.
    let rp = run_coop(&["replay", &got.run_id, "--repo", s(repo), "--json"], repo);
    assert_eq!(
        rp.status.code(),
        Some(0),
        "the resumed run reproduces on replay"
    );

    // In the middle of a verification: killed while its container exists;
    // resume removes the orphaned container and reaches the same result.
    let server = ModelServer::start(script.clone());
    let before = run_ids(repo);
    let url = server.base_url();
    let mut child = spawn_coop(&run_args(repo, &url, &task), repo);
    let mut id = String::new();
    wait_for("a verification container", || {
        let now = run_ids(repo);
        match now.difference(&before).next() {
            Some(i) => {
                id = i.clone();
                !containers(i).is_empty()
            }
            None => false,
        }
    });
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    assert!(
        !containers(&id).is_empty(),
        "the killed host left its container behind"
    );
    let out = resume(repo, &id, &url);
    assert_eq!(out.status.code(), Some(0));
    let got = finished(repo, &out, server.requests().len());
    assert_same(&base, &got, "killed mid-verification");
    check_resumed(&got);
    assert!(
        containers(&id).is_empty(),
        "no container of the run is left"
    );
    let resumed = &audit_events(&got.run_dir)[1];
    assert!(
        resumed["stale_containers_removed"].as_u64().unwrap_or(0) >= 1,
        "{resumed}"
    );

    // Nothing to resume in a finished run; an unknown run is bad input.
    let again = resume(repo, &id, &url);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already ended (approved)"));
    assert_eq!(resume(repo, "no-such-run", &url).status.code(), Some(2));
}

fn reply(v: Value) -> ScriptedReply {
    ScriptedReply::text(v.to_string())
}

#[test]
fn an_unclear_request_escalates_and_coop_answer_continues_it_with_the_answer_recorded() {
    require_docker();
    let ex = ExampleRepo::new("01-strutil-reverse");
    let repo = ex.path();
    let vague = "Make it better.";
    let route = run_coop(&["route", "--repo", s(repo), "--json", vague], repo);
    let decision: Value = serde_json::from_slice(&route.stdout).expect("route json");
    assert_eq!(
        decision["workflow"],
        json!(["navigator"]),
        "a vague request goes to the navigator: {decision}"
    );

    let question = "Which function should change, and what should it do?";
    let first = ModelServer::start(vec![
        reply(json!({
            "summary": "The request names no package, function or behaviour.",
            "next_steps": [], "blockers": ["the goal is unknown"], "question": question,
        }))
        .expect_system_contains("You are the Navigator"),
    ]);
    let out = run_coop(
        &[
            "run",
            "--repo",
            s(repo),
            "--base-url",
            &first.base_url(),
            "--json",
            vague,
        ],
        repo,
    );
    assert_eq!(
        out.status.code(),
        Some(5),
        "escalated has its own exit code"
    );
    let sm = summary(&out);
    assert_eq!(sm["outcome"], "escalated");
    assert!(sm["reason"].as_str().unwrap_or("").contains(question));
    let id = sm["run_id"].as_str().expect("id").to_string();
    // It waits for an answer, not a resume.
    let r = resume(repo, &id, &first.base_url());
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("coop answer"));

    // The answer: the navigator's call comes from the journal; the rest of
    // the work (re-routed as a feature) is served by the feature fixture.
    let second =
        ModelServer::from_recording_file(&ex.example.join("fixtures/replay.json")).expect("server");
    let answer =
        "Add func Reverse(s string) string to package strutil, reversing by runes, with tests.";
    let out = run_coop(
        &[
            "answer",
            &id,
            answer,
            "--repo",
            s(repo),
            "--base-url",
            &second.base_url(),
            "--json",
        ],
        repo,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "the answered run goes on to an approved change"
    );
    let sm = summary(&out);
    assert_eq!(sm["run_id"], id.as_str());
    assert_eq!(
        first.requests().len(),
        1,
        "the navigator was not asked (or paid) again"
    );
    assert_eq!(second.remaining_script(), 0);
    let run_dir = PathBuf::from(sm["run_dir"].as_str().expect("dir"));
    let answers = read_json(&run_dir.join("answers.json"));
    assert_eq!(answers["answers"][0]["answer"], answer);

    let events = audit_events(&run_dir);
    assert!(
        events.iter().any(|e| e["event"] == "workflow-decision"
            && e["kind"] == "user-answer"
            && e["rationale"].as_str().unwrap_or("").contains(answer)),
        "the answer is in the audit log"
    );
    let reroute = events
        .iter()
        .find(|e| e["event"] == "routing" && e["reroute"] == true)
        .expect("re-routed");
    assert_eq!(reroute["type"], "feature");
    let mut architect_seen = false;
    for e in events.iter().filter(|e| e["event"] == "handoff") {
        let h = read_json(&run_dir.join(e["path"].as_str().expect("path")));
        assert_eq!(h["task"]["text"], vague, "the task text travels unchanged");
        if h["to"] == "architect" {
            architect_seen = true;
            let c = h["constraints"].to_string();
            assert!(
                c.contains(answer) && c.contains(question),
                "the answer reaches the architect: {c}"
            );
        }
    }
    assert!(architect_seen);
    let v = run_coop(&["verify", &id, "--repo", s(repo)], repo);
    assert_eq!(v.status.code(), Some(0));
    // The answered run replays exactly, answers included, without a model.
    drop(second);
    let rp = run_coop(&["replay", &id, "--repo", s(repo), "--json"], repo);
    assert_eq!(rp.status.code(), Some(0), "the answered run reproduces");
    // Answering a run that no longer waits is refused.
    let again = run_coop(&["answer", &id, "more", "--repo", s(repo)], repo);
    assert_eq!(again.status.code(), Some(2));
}

/// The fixture's replies by purpose, in order.
fn fixture_texts(fixture: &Path, purpose: &str) -> Vec<String> {
    read_json(fixture)["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .filter(|e| e["purpose"] == purpose)
        .map(|e| e["text"].as_str().unwrap_or("").to_string())
        .collect()
}

fn changes(msg: &str) -> ScriptedReply {
    reply(json!({"verdict": "request-changes", "summary": msg,
        "findings": [{"severity": "blocking", "file": "strutil/reverse.go", "line": 3, "message": msg}]}))
    .expect_system_contains("You are the Reviewer")
}

/// Architect and a valid implementation from the feature fixture, then the
/// reviewer replies given.
fn feature_script(ex: &ExampleRepo, reviews: Vec<ScriptedReply>) -> Vec<ScriptedReply> {
    let fixture = ex.example.join("fixtures/replay.json");
    let architect = fixture_texts(&fixture, "architect").remove(0);
    // The first implementer reply that is JSON: it writes both files.
    let implementation: Value = fixture_texts(&fixture, "implementer")
        .iter()
        .find_map(|t| serde_json::from_str(t).ok())
        .expect("a JSON implementer reply");
    let mut script = vec![ScriptedReply::text(architect)];
    for (k, r) in reviews.into_iter().enumerate() {
        // Each revision changes something (the implementer refuses a no-op).
        let mut i = implementation.clone();
        let content = i["edits"][0]["content"]
            .as_str()
            .expect("content")
            .to_string();
        i["edits"][0]["content"] = Value::String(format!("{content}\n// Revision {k}.\n"));
        script.push(reply(i).expect_system_contains("You are the Implementer"));
        script.push(r);
    }
    script
}

#[test]
fn review_loops_run_out_with_their_own_exit_code() {
    require_docker();
    let ex = ExampleRepo::new("01-strutil-reverse");
    let repo = ex.path();
    // Three different blocking findings: two loops back, then the limit.
    let server = ModelServer::start(feature_script(
        &ex,
        vec![
            changes("Reverse lacks a doc example"),
            changes("Test the empty string"),
            changes("Name the loop variables i and j"),
        ],
    ));
    let out = run_coop(&run_args(repo, &server.base_url(), &task_file(&ex)), repo);
    assert_eq!(out.status.code(), Some(4), "review-loops-exhausted");
    let sm = summary(&out);
    assert_eq!(sm["outcome"], "review-loops-exhausted");
    assert_eq!(sm["review_loops"], 2, "at most two review loops");
    assert!(
        sm["reason"]
            .as_str()
            .unwrap_or("")
            .contains("after 2 review loop(s)"),
        "{sm}"
    );
    assert_eq!(server.remaining_script(), 0);
}

#[test]
fn the_same_finding_twice_without_progress_is_settled_by_the_conflict_table() {
    require_docker();
    let ex = ExampleRepo::new("01-strutil-reverse");
    let repo = ex.path();
    // Unclear requirements, repeated (line and case differ: same fingerprint):
    // the navigator reads the request against the disagreement first (the
    // table's primary tiebreaker), and here it cannot settle it: the user
    // decides.
    let mut script = feature_script(
        &ex,
        vec![
            changes("The requirement is ambiguous about combining characters at line 3"),
            changes("THE REQUIREMENT IS AMBIGUOUS ABOUT COMBINING CHARACTERS AT LINE 7"),
        ],
    );
    script.push(
        reply(
            json!({"summary": "The request does not say how combining characters are reversed.",
            "next_steps": [], "blockers": [],
            "question": "Should Reverse keep a combining character with its base character?"}),
        )
        .expect_system_contains("You are the Navigator"),
    );
    let server = ModelServer::start(script);
    let out = run_coop(&run_args(repo, &server.base_url(), &task_file(&ex)), repo);
    assert_eq!(out.status.code(), Some(5));
    let sm = summary(&out);
    assert!(
        sm["reason"]
            .as_str()
            .unwrap_or("")
            .contains("the navigator asks: Should Reverse keep a combining character"),
        "{sm}"
    );
    assert_eq!(server.remaining_script(), 0, "the navigator was asked");
    let events = audit_events(Path::new(sm["run_dir"].as_str().expect("dir")));
    assert!(
        events.iter().any(|e| e["event"] == "workflow-decision"
            && e["kind"] == "conflict"
            && e["rationale"]
                .as_str()
                .unwrap_or("")
                .contains("UnclearRequirements")),
        "the conflict is audited"
    );
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "workflow-decision" && e["kind"] == "conflict-navigator"),
        "the hand-off to the navigator is audited"
    );

    // An implementation detail, repeated: by default the reviewer's
    // objection stands and the user decides (issue 21: it used to be
    // approved over the objection) ...
    let ex = ExampleRepo::new("01-strutil-reverse");
    let script = || {
        feature_script(
            &ex,
            vec![
                changes("Use a strings.Builder instead of a rune slice"),
                changes("Use a strings.Builder instead of a rune slice"),
            ],
        )
    };
    let server = ModelServer::start(script());
    let out = run_coop(
        &run_args(ex.path(), &server.base_url(), &task_file(&ex)),
        ex.path(),
    );
    assert_eq!(out.status.code(), Some(5), "escalated");
    let sm = summary(&out);
    assert!(
        sm["reason"]
            .as_str()
            .unwrap_or("")
            .contains("needs the user's decision"),
        "{sm}"
    );
    let events = audit_events(Path::new(sm["run_dir"].as_str().expect("dir")));
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "workflow-decision" && e["kind"] == "conflict-escalated"),
        "the escalation is audited"
    );

    // ... and with `[run] settle = ["implementation-detail"]` the
    // implementer's choice stands, as the conflict table says.
    let ex = ExampleRepo::new("01-strutil-reverse");
    let server = ModelServer::start(script());
    let cfg = ex.path().join("coop-settle.toml");
    std::fs::write(&cfg, "[run]\nsettle = [\"implementation-detail\"]\n").unwrap();
    let mut args = vec!["--config", s(&cfg)];
    let task = task_file(&ex);
    let url = server.base_url();
    args.extend(run_args(ex.path(), &url, &task));
    let out = run_coop(&args, ex.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(
        summary(&out)["reason"]
            .as_str()
            .unwrap_or("")
            .contains("settled for the implementer")
    );
}
