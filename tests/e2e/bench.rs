//! `coop bench` end to end: a live bench against a loopback model server,
//! recorded as a set, resumed, replayed exactly, and caught drifting when the
//! set is tampered with; the committed local-model set replays in CI; the
//! HTML report renders in headless Chromium.

use coop_e2e::harness::*;
use coop_e2e::model_server::{ModelServer, ScriptedReply};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn bench_json(report: &Path) -> Value {
    let text = std::fs::read_to_string(report.join("bench.json")).expect("bench.json");
    serde_json::from_str(&text).expect("bench.json parses")
}

fn rows(v: &Value) -> Vec<Value> {
    v["rows"].as_array().cloned().unwrap_or_default()
}

/// The Debian chromium binary; panics (never skips) when it is missing.
fn chromium() -> PathBuf {
    for c in ["chromium", "chromium-browser"] {
        if let Ok(o) = Command::new("which").arg(c).output()
            && o.status.success()
        {
            return PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        }
    }
    panic!(
        "headless Chromium is needed to check the HTML report: apt-get install chromium (done by .ci/run)"
    );
}

/// Render the report in headless Chromium: the DOM it built, and a screenshot.
fn render(html: &Path, shot: &Path) -> String {
    let url = format!("file://{}", s(html));
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--window-size=1100,1600",
    ];
    let dom = Command::new(chromium())
        .args(common)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(
        dom.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let png = Command::new(chromium())
        .args(common)
        .arg(format!("--screenshot={}", s(shot)))
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(
        png.status.success(),
        "chromium --screenshot failed: {}",
        String::from_utf8_lossy(&png.stderr)
    );
    let bytes = std::fs::read(shot).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
    assert!(
        bytes.len() > 10_000,
        "the page rendered something ({} bytes)",
        bytes.len()
    );
    String::from_utf8_lossy(&dom.stdout).to_string()
}

/// Check the rendered DOM: summary rows per mode, the three charts, one bar
/// per value.
fn check_rendered(dom: &str, report: &Value) {
    let n_rows = rows(report).len();
    for m in report["modes"].as_array().expect("modes") {
        assert!(
            dom.contains(&format!("data-mode=\"{}\"", m.as_str().expect("mode"))),
            "summary row for {m}"
        );
    }
    for id in ["success-by-type", "time-per-task", "tokens-per-task"] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "chart {id} rendered");
    }
    let bars = dom.matches("class=\"bar\"").count();
    // time and tokens: one bar per row each; success by type: one per (type, mode).
    assert!(bars > 2 * n_rows, "{bars} bars for {n_rows} rows");
}

fn fixture_exchange(task: &str, n_th_implementer: usize) -> String {
    let text = std::fs::read_to_string(
        repo_root()
            .join("examples")
            .join(task)
            .join("fixtures/replay.json"),
    )
    .expect("fixture");
    let v: Value = serde_json::from_str(&text).expect("fixture parses");
    v["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .filter(|e| e["purpose"] == "implementer")
        .nth(n_th_implementer)
        .and_then(|e| e["text"].as_str())
        .expect("implementer exchange")
        .to_string()
}

#[test]
fn bench_live_then_resume_record_replay_and_detect_drift() {
    require_docker();
    let root = repo_root();
    let t = tempfile::tempdir().expect("tmp");
    let report = t.path().join("report");
    let set = t.path().join("set");
    let examples = root.join("examples");

    // 1. Mob, live against a loopback server speaking the OpenAI-compatible
    //    streaming protocol, recorded as a set.
    let mob =
        ModelServer::from_recording_file(&examples.join("01-strutil-reverse/fixtures/replay.json"))
            .expect("server");
    let out = run_coop(
        &[
            "bench",
            s(&examples),
            "--tasks",
            "01",
            "--modes",
            "mob",
            "--report",
            s(&report),
            "--record-set",
            s(&set),
            "--base-url",
            &mob.base_url(),
            "--label",
            "loopback test",
        ],
        &root,
    );
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[1/1] 01-strutil-reverse mob: architect"),
        "progress names task, mode and role"
    );
    assert!(stderr.contains("acceptance tests"));
    let r = bench_json(&report);
    assert_eq!(rows(&r).len(), 1);
    assert_eq!(
        r["rows"][0]["success"], true,
        "hidden acceptance tests pass on the mob's result"
    );
    assert_eq!(r["rows"][0]["outcome"], "approved");
    assert_eq!(r["rows"][0]["revision_cycles"], 1);
    assert_eq!(r["rows"][0]["routed_type"], "feature");
    assert_eq!(mob.remaining_script(), 0, "every scripted reply was used");
    let mob_requests = mob.requests().len();

    // 2. The same report directory again without --resume is refused, and
    //    nothing runs.
    let again = run_coop(
        &[
            "bench",
            s(&examples),
            "--tasks",
            "01",
            "--modes",
            "mob",
            "--report",
            s(&report),
            "--base-url",
            &mob.base_url(),
        ],
        &root,
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--resume"));
    assert_eq!(mob.requests().len(), mob_requests);

    // 3. Resume with solo added: the mob run is not redone; solo gets one
    //    model whose first change passes verification.
    let solo = ModelServer::start(vec![
        ScriptedReply::text(fixture_exchange("01-strutil-reverse", 1))
            .expect_system_contains("You are the Implementer"),
    ]);
    let out = run_coop(
        &[
            "bench",
            s(&examples),
            "--tasks",
            "01",
            "--modes",
            "solo,mob",
            "--report",
            s(&report),
            "--record-set",
            s(&set),
            "--base-url",
            &solo.base_url(),
            "--resume",
        ],
        &root,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("01-strutil-reverse mob: done earlier (resumed)")
    );
    assert_eq!(
        mob.requests().len(),
        mob_requests,
        "resume does not call the model for finished runs"
    );
    assert_eq!(solo.requests().len(), 1);
    let r = bench_json(&report);
    let rs = rows(&r);
    assert_eq!(rs.len(), 2);
    assert_eq!(
        (rs[0]["mode"].as_str(), rs[1]["mode"].as_str()),
        (Some("solo"), Some("mob")),
        "modes in the order asked"
    );
    assert_eq!(rs[0]["roles_ran"], serde_json::json!(["implementer"]));
    assert_eq!(rs[0]["success"], true);
    assert_eq!(rs[0]["routed_type"], Value::Null, "solo follows no routing");
    let md = std::fs::read_to_string(report.join("report.md")).expect("report.md");
    assert!(
        md.contains("| solo | 1 | 1/1 (100 %)") && md.contains("| mob | 1 | 1/1 (100 %)"),
        "{md}"
    );

    // 4. Replaying the set reproduces both runs exactly, without a model.
    let replay_report = t.path().join("replay");
    let out = run_coop(
        &[
            "bench",
            s(&examples),
            "--tasks",
            "01",
            "--modes",
            "solo,mob",
            "--replay-set",
            s(&set),
            "--report",
            s(&replay_report),
            "--jobs",
            "2",
        ],
        &root,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("all 2 run(s) reproduced their recording exactly")
    );
    let rr = bench_json(&replay_report);
    for (a, b) in rows(&r).iter().zip(rows(&rr).iter()) {
        assert_eq!(a["patch_sha256"], b["patch_sha256"]);
        assert_eq!(a["outcome"], b["outcome"]);
    }

    // 5. A recording changed after the fact: the replay reports the drift
    //    (which run, which field) and exits 3.
    let rec_path = set.join("01-strutil-reverse/solo.recording.json");
    let mut rec: Value =
        serde_json::from_str(&std::fs::read_to_string(&rec_path).expect("recording"))
            .expect("json");
    let text = rec["exchanges"][0]["text"]
        .as_str()
        .expect("text")
        .to_string();
    let tampered = text.replacen("// Reverse returns", "// Reverse (tampered) returns", 1);
    assert_ne!(
        text, tampered,
        "the reply has the doc comment to tamper with"
    );
    rec["exchanges"][0]["text"] = Value::String(tampered);
    std::fs::write(&rec_path, serde_json::to_string_pretty(&rec).expect("json")).expect("write");
    let out = run_coop(
        &[
            "bench",
            s(&examples),
            "--tasks",
            "01",
            "--modes",
            "solo,mob",
            "--replay-set",
            s(&set),
            "--report",
            s(&t.path().join("drift")),
        ],
        &root,
    );
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 run(s) DRIFTED"), "{stdout}");
    assert!(
        stdout.contains("01-strutil-reverse solo: patch_sha256: recorded"),
        "{stdout}"
    );

    // 6. The HTML report renders in a real browser.
    let dom = render(&report.join("report.html"), &t.path().join("report.png"));
    check_rendered(&dom, &r);
}

/// The replay set recorded from the real local model (committed under
/// examples/replays/): every run replays through the real plugins, git and
/// Docker and reproduces its recorded outcome, patch and tokens.
#[test]
fn committed_local_model_set_replays_exactly() {
    require_docker();
    let root = repo_root();
    let sets = root.join("examples/replays");
    let set = std::fs::read_dir(&sets)
        .unwrap_or_else(|e| panic!("{}: {e}", sets.display()))
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("bench.json").is_file())
        .unwrap_or_else(|| panic!("no recorded set under {}", sets.display()));
    let recorded = bench_json(&set);
    let t = tempfile::tempdir().expect("tmp");
    let report = t.path().join("replay");
    let modes: Vec<&str> = recorded["modes"]
        .as_array()
        .expect("modes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let out = run_coop(
        &[
            "bench",
            s(&root.join("examples")),
            "--modes",
            &modes.join(","),
            "--replay-set",
            s(&set),
            "--report",
            s(&report),
            "--jobs",
            "2",
        ],
        &root,
    );
    assert_eq!(out.status.code(), Some(0), "every recorded run reproduces");
    let r = bench_json(&report);
    assert_eq!(
        rows(&r).len(),
        rows(&recorded).len(),
        "every recorded run was replayed"
    );
    // Every run the set recorded is a benchmark task `coop bench` discovers
    // in a mode the set names (a set recorded task by task and mode by mode,
    // with --resume, may not cover every benchmark task in every mode yet;
    // `coop bench --replay-set` replays exactly the runs it has).
    let discovered: Vec<String> = std::fs::read_dir(root.join("examples"))
        .expect("examples")
        .flatten()
        .filter(|e| e.path().join("task.md").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let covered: std::collections::BTreeSet<(String, String)> = rows(&recorded)
        .iter()
        .map(|row| {
            (
                row["task"].as_str().unwrap_or("").to_string(),
                row["mode"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let tasks: std::collections::BTreeSet<&String> = covered.iter().map(|(t, _)| t).collect();
    assert!(!tasks.is_empty(), "the committed set records some task");
    for t in &tasks {
        assert!(
            discovered.contains(t),
            "the committed set records {t}, which is not a benchmark task"
        );
    }
    for (t, m) in &covered {
        assert!(
            modes.contains(&m.as_str()),
            "the committed set records {t} in mode {m}, which it does not name"
        );
    }
    assert!(r["drift"].as_array().expect("drift").is_empty());
    // Every run's audit log verifies.
    for row in rows(&r) {
        let dir = report.join(row["run_dir"].as_str().expect("run_dir"));
        let v = run_coop(&["verify-log", s(&dir)], &root);
        assert_eq!(v.status.code(), Some(0), "audit chain of {}", dir.display());
    }
    let dom = render(&report.join("report.html"), &t.path().join("replay.png"));
    check_rendered(&dom, &r);
}
