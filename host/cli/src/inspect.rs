//! Read-only inspection of run directories: `coop runs`, `coop show RUN`,
//! `coop verify RUN`. Nothing here writes.

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where runs of `repo` live.
pub fn runs_dir(repo: &Path) -> PathBuf {
    repo.join(".coop").join("runs")
}

/// A run given as a directory, or as a run id under `repo`'s runs.
pub fn resolve_run(repo: &Path, run: &str) -> Result<PathBuf> {
    let as_path = PathBuf::from(run);
    if as_path.join("audit.jsonl").is_file() {
        return Ok(as_path);
    }
    let by_id = runs_dir(repo).join(run);
    if by_id.join("audit.jsonl").is_file() {
        return Ok(by_id);
    }
    Err(crate::run::SetupError::BadInput(format!(
        "no run `{run}`: neither a run directory nor a run id under {}",
        runs_dir(repo).display()
    ))
    .into())
}

/// One line of `coop runs`.
#[derive(Debug, Serialize)]
pub struct RunListing {
    pub run_id: String,
    pub dir: String,
    /// From run.json; None for a run that never finished (killed).
    pub outcome: Option<String>,
    pub mode: Option<String>,
    pub task: String,
    pub roles_ran: Vec<String>,
    pub total_ms: Option<u64>,
    pub tokens: Option<u64>,
}

fn read_json(p: &Path) -> Option<Value> {
    std::fs::read_to_string(p)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
}

fn first_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .chars()
        .take(80)
        .collect()
}

/// Every run of `repo`, oldest first (run ids start with their UTC time).
pub fn list_runs(repo: &Path) -> Result<Vec<RunListing>> {
    let dir = runs_dir(repo);
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    for e in entries.flatten() {
        let p = e.path();
        if !p.join("audit.jsonl").is_file() {
            continue;
        }
        let run_id = e.file_name().to_string_lossy().to_string();
        let summary = read_json(&p.join("run.json"));
        let start = first_event(&p.join("audit.jsonl"));
        let task = summary
            .as_ref()
            .and_then(|s| s["task"].as_str().map(first_line))
            .or_else(|| {
                start
                    .as_ref()
                    .and_then(|s| s["task"].as_str().map(first_line))
            })
            .unwrap_or_default();
        let tokens = summary
            .as_ref()
            .and_then(|s| s["per_role"].as_object())
            .map(|roles| {
                roles
                    .values()
                    .map(|r| {
                        let u = &r["usage"];
                        [
                            "input_tokens",
                            "output_tokens",
                            "cached_input_tokens",
                            "cache_creation_input_tokens",
                        ]
                        .iter()
                        .map(|k| u[*k].as_u64().unwrap_or(0))
                        .sum::<u64>()
                    })
                    .sum()
            });
        out.push(RunListing {
            run_id,
            dir: p.display().to_string(),
            outcome: summary
                .as_ref()
                .and_then(|s| s["outcome"].as_str().map(str::to_string)),
            mode: summary
                .as_ref()
                .and_then(|s| s["mode"].as_str().map(str::to_string))
                .or_else(|| {
                    start
                        .as_ref()
                        .and_then(|s| s["mode"].as_str().map(str::to_string))
                }),
            task,
            roles_ran: summary
                .as_ref()
                .and_then(|s| {
                    s["roles_ran"].as_array().map(|a| {
                        a.iter()
                            .filter_map(|r| r.as_str().map(str::to_string))
                            .collect()
                    })
                })
                .unwrap_or_default(),
            total_ms: summary
                .as_ref()
                .and_then(|s| s["timing_ms"]["total"].as_u64()),
            tokens,
        });
    }
    out.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    Ok(out)
}

fn first_event(log: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(log).ok()?;
    serde_json::from_str(text.lines().next()?).ok()
}

/// One step of a run's timeline.
#[derive(Debug, Serialize)]
pub struct Step {
    /// Seconds since the run started.
    pub at_s: f64,
    pub event: String,
    pub what: String,
}

fn ts_secs(v: &Value) -> Option<f64> {
    let ts = v["ts"].as_str()?;
    let t = time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).ok()?;
    Some(t.unix_timestamp_nanos() as f64 / 1e9)
}

/// The run's timeline from its audit log: roles with duration and tokens,
/// verifications, verdicts, workflow decisions, escalations, the end.
pub fn timeline(run_dir: &Path) -> Result<Vec<Step>> {
    let log = run_dir.join("audit.jsonl");
    let text =
        std::fs::read_to_string(&log).with_context(|| format!("cannot read {}", log.display()))?;
    let events: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let t0 = events.first().and_then(ts_secs).unwrap_or(0.0);
    let mut steps = Vec::new();
    for e in &events {
        let at_s = ts_secs(e).map(|t| t - t0).unwrap_or(0.0);
        let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
        let what = match e["event"].as_str().unwrap_or("") {
            "run-start" => format!(
                "{} run: {}",
                e["mode"].as_str().unwrap_or("mob"),
                first_line(&s("task"))
            ),
            "routing" => format!(
                "routed: {} ({}), workflow {}",
                s("type"),
                e["confidence"]
                    .as_f64()
                    .map(|c| format!("confidence {c:.2}"))
                    .unwrap_or_default(),
                e["workflow"]
                    .as_array()
                    .map(|w| w
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" → "))
                    .unwrap_or_default()
            ),
            "handoff" => format!(
                "handoff {} → {}",
                e["from"].as_str().unwrap_or("task"),
                s("to")
            ),
            "model-call" => format!(
                "{} model call: {} in + {} out tokens, {:.1} s{}",
                s("role"),
                e["usage"]["input_tokens"].as_u64().unwrap_or(0)
                    + e["usage"]["cached_input_tokens"].as_u64().unwrap_or(0),
                e["usage"]["output_tokens"].as_u64().unwrap_or(0),
                e["duration_ms"].as_u64().unwrap_or(0) as f64 / 1000.0,
                e["cost_usd"]
                    .as_f64()
                    .map(|c| format!(", ${c:.4}"))
                    .unwrap_or_default()
            ),
            "model-call-failed" => format!("{} model call FAILED: {}", s("role"), s("error")),
            "edit-applied" => format!("edit applied: {} {}", s("kind"), s("path")),
            "edit-rejected" => format!(
                "edit rejected: {} {}: {}",
                s("kind"),
                s("path"),
                s("reason")
            ),
            "role-output" => format!(
                "{} done in {:.1} s",
                s("role"),
                e["duration_ms"].as_u64().unwrap_or(0) as f64 / 1000.0
            ),
            "role-failure" | "plugin-failure" => {
                format!("{} FAILED ({}): {}", s("role"), s("kind"), s("message"))
            }
            "verification" => format!(
                "verification {}: {} in {:.1} s{}",
                e["n"].as_u64().unwrap_or(0),
                if e["passed"] == true {
                    "passed"
                } else {
                    "FAILED"
                },
                e["duration_ms"].as_u64().unwrap_or(0) as f64 / 1000.0,
                match e["tests_failed"].as_u64() {
                    Some(n) if n > 0 => format!(", {n} test(s) failed"),
                    _ => String::new(),
                }
            ),
            "review-verdict" => format!(
                "verdict {} ({} blocking of {} finding(s))",
                s("verdict"),
                e["blocking"],
                e["findings"]
            ),
            "workflow-decision" => format!("workflow decision ({}): {}", s("kind"), s("rationale")),
            "budget-exceeded" => format!("budget exceeded ({}) for {}", s("kind"), s("role")),
            "run-resumed" => format!(
                "continued ({}), attempt {}: {} journal exchange(s), earlier attempt kept in {}",
                s("reason"),
                e["attempt"],
                e["journal_exchanges"],
                s("previous")
            ),
            "run-end" => format!(
                "end: {} (exit {}): {}",
                s("outcome"),
                e["exit_code"],
                s("reason")
            ),
            _ => continue,
        };
        steps.push(Step {
            at_s,
            event: e["event"].as_str().unwrap_or("").to_string(),
            what,
        });
    }
    Ok(steps)
}

/// What `coop verify RUN` found.
#[derive(Debug, Serialize)]
pub struct RunVerification {
    pub run_dir: String,
    pub lines: u64,
    pub references_checked: usize,
    /// Every problem, each a complete sentence naming line, file and what differs.
    pub problems: Vec<String>,
}

/// Check a run directory: the audit chain, every file an event references
/// (by sha256), and that run.json's recorded head is the log's last line
/// (which catches lines cut off the end, which the chain alone cannot).
pub fn verify_run(run_dir: &Path) -> Result<RunVerification> {
    verify_journal(run_dir, Ending::Finished)
}

/// How a run directory is expected to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It finished: run.json exists and records the log's head.
    Finished,
    /// It may have been killed: run.json may be missing (checked when
    /// present), and the log may end in one line torn by the kill.
    MaybeKilled,
}

/// [`verify_run`] for a run that may have been killed (`coop resume`).
pub fn verify_journal(run_dir: &Path, ending: Ending) -> Result<RunVerification> {
    let log = run_dir.join("audit.jsonl");
    let chain = coop_audit::verify(&log)?;
    let torn_tail = |i: &coop_audit::Issue| {
        ending == Ending::MaybeKilled
            && i.kind == coop_audit::IssueKind::TornLine
            && i.line == chain.lines + 1
    };
    let mut problems: Vec<String> = chain
        .issues
        .iter()
        .filter(|i| !torn_tail(i))
        .map(|i| format!("audit.jsonl {i}"))
        .collect();
    let refs = coop_audit::verify_references(run_dir)?;
    problems.extend(refs.issues.iter().map(|i| format!("audit.jsonl {i}")));
    match read_json(&run_dir.join("run.json")) {
        Some(s) => {
            let recorded = s["audit_head_sha256"].as_str().map(str::to_string);
            if recorded != chain.last_sha256 {
                problems.push(format!(
                    "run.json records the audit head {}, but the log's last line hashes to {}: lines were removed from or added to the end",
                    recorded.unwrap_or_else(|| "none".into()),
                    chain.last_sha256.clone().unwrap_or_else(|| "none".into())
                ));
            }
        }
        None if ending == Ending::MaybeKilled && !run_dir.join("run.json").exists() => {}
        None => problems.push(
            "run.json is missing or unreadable: the run did not finish, or the file was removed"
                .into(),
        ),
    }
    Ok(RunVerification {
        run_dir: run_dir.display().to_string(),
        lines: chain.lines,
        references_checked: refs.checked,
        problems,
    })
}

/// Refuse (bad input, exit 2) to use anything of a run directory whose
/// journal does not verify: `coop replay` and `coop resume` act on what it
/// records, so a directory edited after the fact is not acted on.
pub fn refuse_unless_intact(run_dir: &Path, ending: Ending, what: &str) -> Result<()> {
    let v = verify_journal(run_dir, ending)?;
    if v.problems.is_empty() {
        return Ok(());
    }
    Err(crate::run::SetupError::BadInput(format!(
        "refusing to {what} {}: its journal does not verify (changed after the run wrote it?):\n  {}\n(`coop verify` checks a run directory)",
        run_dir.display(),
        v.problems.join("\n  ")
    ))
    .into())
}

/// An audit event reduced to what a replay must reproduce: no times, run
/// ids, paths of the run, durations; handoffs by their content without the
/// run id.
pub fn normalized_events(run_dir: &Path) -> Result<Vec<(u64, Value)>> {
    let log = run_dir.join("audit.jsonl");
    let text =
        std::fs::read_to_string(&log).with_context(|| format!("cannot read {}", log.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Ok(e) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let ev = e["event"].as_str().unwrap_or("").to_string();
        // A continued run says so once; everything else must match the
        // uninterrupted run.
        if ev == "run-resumed" {
            continue;
        }
        let pick = |keys: &[&str]| {
            let mut m = serde_json::Map::new();
            m.insert("event".into(), Value::String(ev.clone()));
            for k in keys {
                m.insert((*k).into(), e[*k].clone());
            }
            Value::Object(m)
        };
        let n = match ev.as_str() {
            "run-start" => pick(&["task", "base_commit", "mode", "plugins"]),
            "routing" => pick(&["type", "size", "risk", "workflow", "reroute"]),
            "handoff" => {
                let mut v = pick(&["handoff_seq", "from", "to"]);
                let content = e["path"]
                    .as_str()
                    .and_then(|p| read_json(&run_dir.join(p)))
                    .map(|mut h| {
                        h["task"]["id"] = Value::Null;
                        // A replay counts with the run's recorded counts, not
                        // its tokenizer: the same numbers, another name.
                        if h.get("context").is_some_and(|c| c.is_object()) {
                            h["context"]["counter"] = Value::Null;
                        }
                        // Verification reports carry durations, so their
                        // hashes differ run to run; their content that
                        // matters is compared on the verification event.
                        if let Some(arts) = h["artifacts"].as_array_mut() {
                            for a in arts.iter_mut().filter(|a| a["kind"] == "verification") {
                                a["sha256"] = Value::Null;
                            }
                        }
                        coop_core::hash::sha256_hex(h.to_string().as_bytes())
                    });
                v["content_sha256"] = content.map(Value::String).unwrap_or(Value::Null);
                v
            }
            "model-call" => pick(&["role", "request_sha256", "response_sha256", "usage"]),
            "model-call-failed" => pick(&["role", "request_sha256", "error"]),
            "edit-applied" => pick(&["path", "kind", "content_sha256"]),
            "edit-rejected" => pick(&["path", "kind", "reason"]),
            "role-output" => pick(&["role", "handoff_seq", "sha256"]),
            "role-failure" | "plugin-failure" => pick(&["role", "kind"]),
            "review-verdict" => pick(&["verdict", "blocking", "findings"]),
            "verification" => pick(&[
                "n",
                "passed",
                "diff_sha256",
                "tests_failed",
                "diagnostics",
                "unformatted",
            ]),
            "workflow-decision" => pick(&["kind", "rationale"]),
            "plugin-log" => pick(&["plugin", "level", "message"]),
            "denied" | "read-denied" | "budget-exceeded" => {
                pick(&["plugin", "role", "capability", "path", "kind"])
            }
            "run-end" => pick(&["outcome", "exit_code", "patch_sha256"]),
            _ => pick(&[]),
        };
        out.push((i as u64 + 1, n));
    }
    Ok(out)
}

/// Where two runs' normalized events first differ: (recorded line, recorded
/// event, replayed event); None when they are the same.
pub fn first_drift(
    recorded: &[(u64, Value)],
    replayed: &[(u64, Value)],
) -> Option<(u64, Value, Value)> {
    for (i, (line, a)) in recorded.iter().enumerate() {
        match replayed.get(i) {
            Some((_, b)) if b == a => continue,
            Some((_, b)) => return Some((*line, a.clone(), b.clone())),
            None => return Some((*line, a.clone(), Value::Null)),
        }
    }
    replayed.get(recorded.len()).map(|(_, b)| {
        (
            recorded.last().map(|(l, _)| l + 1).unwrap_or(1),
            Value::Null,
            b.clone(),
        )
    })
}

/// The recorded run's start: task, base commit, mode, plugin digests.
pub fn run_start(run_dir: &Path) -> Result<Value> {
    first_event(&run_dir.join("audit.jsonl"))
        .filter(|e| e["event"] == "run-start")
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: the audit log does not start with run-start",
                run_dir.display()
            )
        })
}

/// What a run directory *says* its user decided about risky actions: the
/// classes pre-approved (`allow` of run-start) and the answers given when
/// asked, in order. Anyone can write that; a replay or a resume uses it only
/// through `approvals::decisions_for`, which honours what this host sealed.
pub fn recorded_risk_decisions(
    run_dir: &Path,
) -> Result<(Vec<String>, std::collections::VecDeque<bool>)> {
    let start = run_start(run_dir)?;
    let allow = start["allow"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let text = std::fs::read_to_string(run_dir.join("audit.jsonl"))?;
    let answers = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event"] == "risky-action" && e["by"] == "user")
        .map(|e| e["decision"] == "approved")
        .collect();
    Ok((allow, answers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(v: Value) -> (u64, Value) {
        (1, v)
    }

    #[test]
    fn drift_is_the_first_differing_event_or_a_missing_tail() {
        let a = vec![
            ev(serde_json::json!({"event":"routing","type":"feature"})),
            (
                2,
                serde_json::json!({"event":"run-end","outcome":"approved"}),
            ),
        ];
        assert_eq!(first_drift(&a, &a), None);
        let mut b = a.clone();
        b[1].1["outcome"] = Value::String("verification-failed".into());
        let (line, rec, rep) = first_drift(&a, &b).unwrap();
        assert_eq!(line, 2);
        assert_eq!(rec["outcome"], "approved");
        assert_eq!(rep["outcome"], "verification-failed");
        let (line, _, rep) = first_drift(&a, &a[..1]).unwrap();
        assert_eq!((line, rep), (2, Value::Null), "replay stopped early");
        let mut longer = a.clone();
        longer.push((3, serde_json::json!({"event":"extra"})));
        let (_, rec, rep) = first_drift(&a, &longer).unwrap();
        assert_eq!(
            (rec, rep["event"].clone()),
            (Value::Null, Value::String("extra".into()))
        );
    }

    #[test]
    fn normalization_drops_times_ids_and_durations_and_reads_handoffs_without_the_run_id() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::create_dir_all(d.join("handoffs")).unwrap();
        std::fs::write(
            d.join("handoffs/001-architect.json"),
            r#"{"task":{"id":"run-A","text":"x"},"seq":1}"#,
        )
        .unwrap();
        let log = [
            r#"{"seq":1,"ts":"2026-01-01T00:00:00Z","event":"run-start","run_id":"run-A","task":"x","mode":"mob","base_commit":"abc","prev":"0"}"#,
            r#"{"seq":2,"ts":"2026-01-01T00:00:01Z","event":"handoff","to":"architect","handoff_seq":1,"path":"handoffs/001-architect.json","sha256":"zz","prev":"1"}"#,
            r#"{"seq":3,"ts":"2026-01-01T00:00:09Z","event":"model-call","role":"architect","request_sha256":"r","response_sha256":"s","duration_ms":812,"prev":"2"}"#,
        ];
        std::fs::write(d.join("audit.jsonl"), log.join("\n") + "\n").unwrap();
        let a = normalized_events(d).unwrap();
        assert!(a[0].1.get("run_id").is_none() && a[0].1.get("ts").is_none());
        assert!(a[2].1.get("duration_ms").is_none());
        // The same run under another id normalizes identically.
        std::fs::write(
            d.join("handoffs/001-architect.json"),
            r#"{"task":{"id":"run-B","text":"x"},"seq":1}"#,
        )
        .unwrap();
        let b = normalized_events(d).unwrap();
        assert_eq!(first_drift(&a, &b), None);
        // Different handoff content does not.
        std::fs::write(
            d.join("handoffs/001-architect.json"),
            r#"{"task":{"id":"run-B","text":"y"},"seq":1}"#,
        )
        .unwrap();
        let c = normalized_events(d).unwrap();
        assert_eq!(first_drift(&a, &c).map(|x| x.0), Some(2));
    }
}
