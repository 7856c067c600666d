//! `coop resume` and `coop answer`: continue a run from its journal.
//!
//! A run directory is a journal: every model exchange is in
//! `model/recording.json` (rewritten atomically after each call, before the
//! plugin sees the reply), every verification report and diff in
//! `artifacts/`, every step in the hash-chained `audit.jsonl`. Continuing a
//! run re-executes it from the start, under the same run id and from the same
//! base commit, with the same plugins:
//!
//! - model calls are answered from the journal when their request hash
//!   matches (so nothing is paid twice); the workflow is deterministic given
//!   the same replies, so it asks exactly the journal's requests in order, up
//!   to where the run stopped, and goes live from there;
//! - edits are applied again to a worktree rebuilt from the base commit (the
//!   interrupted attempt's worktree and branch are discarded), so a torn edit
//!   cannot survive and no edit lands twice;
//! - a verification whose diff the journal already verified reuses that
//!   report instead of running Docker again.
//!
//! The interrupted attempt's files are kept under `attempts/<n>/`, and the new
//! audit log says so (`run-resumed`), so nothing is lost. `coop answer` is the
//! same with one more input: the user's answer to the escalation the run
//! stopped at, kept in `answers.json` and fed to the workflow.

use crate::run::SetupError;
use anyhow::{Context, Result};
use coop_audit::write_atomic;
use coop_core::VerificationReport;
use coop_core::workflow::Mode;
use coop_providers::Recording;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a run is continued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// `coop resume`: the run was killed or cancelled.
    Resume,
    /// `coop answer`: the run waited for the user.
    Answer,
}

/// What a continued run needs from its journal.
#[derive(Debug, Clone)]
pub struct Continuation {
    pub run_id: String,
    pub run_dir: PathBuf,
    pub reason: Reason,
    /// The task text, base commit, mode and plugin digests of the run.
    pub task: String,
    pub base: String,
    pub mode: Mode,
    pub plugins: BTreeMap<String, String>,
    /// The most complete recording of the earlier attempts.
    pub journal: Option<Recording>,
    /// Verification reports by the sha256 of the diff they verified.
    pub verifications: BTreeMap<String, VerificationReport>,
    /// The test-evidence artifacts (`evidence-N.json`, as written) of those
    /// reports that carry a judgement, by the same diff sha256.
    pub evidence: BTreeMap<String, Vec<u8>>,
    /// Every answer the user gave so far, in order.
    pub answers: Vec<String>,
    /// This attempt's number (the first run was attempt 1).
    pub attempt: u32,
}

/// `answers.json`: the user's answers to a run's escalations.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Answers {
    pub answers: Vec<AnswerRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnswerRecord {
    pub answer: String,
    /// RFC 3339.
    pub at: String,
}

pub const ANSWERS_FILE: &str = "answers.json";
const ATTEMPTS_DIR: &str = "attempts";

fn bad(msg: String) -> anyhow::Error {
    SetupError::BadInput(msg).into()
}

/// The answers given to a run so far (none when the file is absent).
pub fn read_answers(run_dir: &Path) -> Result<Vec<String>> {
    let p = run_dir.join(ANSWERS_FILE);
    match std::fs::read_to_string(&p) {
        Ok(text) => {
            let a: Answers =
                serde_json::from_str(&text).map_err(|e| bad(format!("{}: {e}", p.display())))?;
            Ok(a.answers.into_iter().map(|r| r.answer).collect())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}

fn append_answer(run_dir: &Path, answer: &str) -> Result<()> {
    let p = run_dir.join(ANSWERS_FILE);
    let mut a: Answers = match std::fs::read_to_string(&p) {
        Ok(t) => serde_json::from_str(&t).map_err(|e| bad(format!("{}: {e}", p.display())))?,
        Err(_) => Answers::default(),
    };
    let at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    a.answers.push(AnswerRecord {
        answer: answer.to_string(),
        at,
    });
    write_atomic(&p, &serde_json::to_vec_pretty(&a)?)?;
    Ok(())
}

/// The run directory of `run` (an id under `repo`, or a path), even when a
/// crash left it without a top-level audit log.
fn run_dir_of(repo: &Path, run: &str) -> Result<PathBuf> {
    let as_path = PathBuf::from(run);
    if as_path.join(ATTEMPTS_DIR).is_dir() || as_path.join("audit.jsonl").is_file() {
        return Ok(as_path);
    }
    let by_id = crate::inspect::runs_dir(repo).join(run);
    if by_id.is_dir() {
        return Ok(by_id);
    }
    Err(bad(format!(
        "no run `{run}` under {}",
        crate::inspect::runs_dir(repo).display()
    )))
}

/// The earlier attempts' directories, oldest first (`attempts/1`, `attempts/2`, ...).
fn attempts(run_dir: &Path) -> Vec<(u32, PathBuf)> {
    let mut out: Vec<(u32, PathBuf)> = std::fs::read_dir(run_dir.join(ATTEMPTS_DIR))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.file_name()
                        .to_str()
                        .and_then(|n| n.parse::<u32>().ok())
                        .map(|n| (n, e.path()))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Every directory holding a journal of this run: the attempts, then the
/// top level (the newest attempt, not archived yet).
fn journals(run_dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = attempts(run_dir).into_iter().map(|(_, p)| p).collect();
    v.push(run_dir.to_path_buf());
    v
}

fn first_event(log: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(log).ok()?;
    serde_json::from_str(text.lines().next()?).ok()
}

/// Check that `run` can be continued for `reason` and gather its journal.
/// Nothing is changed on disk (an answer is recorded by [`record_answer`]).
pub fn prepare(repo: &Path, run: &str, reason: Reason) -> Result<Continuation> {
    let run_dir = run_dir_of(repo, run)?;
    let run_id = run_dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| bad(format!("{}: not a run directory", run_dir.display())))?
        .to_string();
    let dirs = journals(&run_dir);
    // Nothing of the journal is used unless it verifies: each attempt's
    // audit chain, the files it references, and run.json's head where the
    // attempt ended (a killed one has no run.json and may end in a line the
    // kill tore).
    for d in &dirs {
        if d.join("audit.jsonl").is_file() {
            crate::inspect::refuse_unless_intact(
                d,
                crate::inspect::Ending::MaybeKilled,
                "continue",
            )?;
        }
    }
    let start = dirs
        .iter()
        .rev()
        .find_map(|d| first_event(&d.join("audit.jsonl")).filter(|e| e["event"] == "run-start"))
        .ok_or_else(|| {
            bad(format!(
                "{}: no attempt of this run got as far as its first audit event; nothing to continue, start it again",
                run_dir.display()
            ))
        })?;
    if start["replay"].is_string() {
        return Err(bad(format!(
            "{run_id} is a replay of a recording; replay it again instead of resuming it"
        )));
    }
    let ended = std::fs::read_to_string(run_dir.join("run.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v["outcome"].as_str().map(str::to_string));
    match (reason, ended.as_deref()) {
        (Reason::Resume, None | Some("cancelled")) => {}
        (Reason::Resume, Some(o)) => {
            return Err(bad(format!(
                "{run_id} already ended ({o}); nothing to resume{}",
                if o == "escalated" {
                    ". It waits for an answer: coop answer RUN \"...\""
                } else {
                    ""
                }
            )));
        }
        (Reason::Answer, Some("escalated")) => {}
        (Reason::Answer, None) => {
            return Err(bad(format!(
                "{run_id} did not finish (killed or still running); resume it with coop resume first"
            )));
        }
        (Reason::Answer, Some(o)) => {
            return Err(bad(format!(
                "{run_id} is not waiting for an answer: it ended {o}"
            )));
        }
    }
    let task = start["task"].as_str().unwrap_or_default().to_string();
    let base = start["base_commit"]
        .as_str()
        .ok_or_else(|| bad(format!("{run_id}: run-start has no base commit")))?
        .to_string();
    let mode = match start["mode"].as_str() {
        Some("solo") => Mode::Solo,
        _ => Mode::Mob,
    };
    let plugins: BTreeMap<String, String> = start["plugins"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();

    // Attempts are prefixes of one deterministic run (each re-executes the
    // journal before going live), so the longest recording holds them all.
    let journal = dirs
        .iter()
        .filter_map(|d| Recording::load(&d.join("model").join("recording.json")).ok())
        .max_by_key(|r| r.exchanges.len());

    let mut verifications = BTreeMap::new();
    let mut evidence = BTreeMap::new();
    for d in &dirs {
        let Ok(text) = std::fs::read_to_string(d.join("audit.jsonl")) else {
            continue;
        };
        for line in text.lines() {
            let Ok(e) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if e["event"] != "verification" {
                continue;
            }
            let (Some(diff_sha), Some(report), Some(report_sha)) = (
                e["diff_sha256"].as_str(),
                e["report"].as_str(),
                e["report_sha256"].as_str(),
            ) else {
                continue;
            };
            // Only a report that still has the hash the journal recorded,
            // from an attempt this host made (approvals.rs): a crafted
            // journal could carry a passing report for a diff never
            // verified, and the chain alone cannot tell.
            let Ok(bytes) = std::fs::read(d.join(report)) else {
                continue;
            };
            if !crate::approvals::made_here(d) {
                continue;
            }
            if coop_core::hash::sha256_hex(&bytes) != report_sha {
                continue;
            }
            if let Ok(r) = serde_json::from_slice::<VerificationReport>(&bytes) {
                if r.evidence.is_some()
                    && let Some(n) = e["n"].as_u64()
                    && let Ok(ev) = std::fs::read(d.join(format!("artifacts/evidence-{n}.json")))
                {
                    evidence.insert(diff_sha.to_string(), ev);
                }
                verifications.insert(diff_sha.to_string(), r);
            }
        }
    }
    let attempt = attempts(&run_dir).last().map(|(n, _)| n + 1).unwrap_or(1) + 1;
    Ok(Continuation {
        run_id,
        answers: read_answers(&run_dir)?,
        run_dir,
        reason,
        task,
        base,
        mode,
        plugins,
        journal,
        verifications,
        evidence,
        attempt,
    })
}

/// Record the user's answer (before anything else happens, so it is never
/// lost) and add it to the continuation.
pub fn record_answer(c: &mut Continuation, answer: &str) -> Result<()> {
    if answer.trim().is_empty() {
        return Err(bad("the answer is empty".into()));
    }
    append_answer(&c.run_dir, answer)?;
    c.answers.push(answer.to_string());
    Ok(())
}

/// Move the interrupted attempt's files to `attempts/<n>/` (n = attempt - 1),
/// keeping `answers.json` and earlier attempts in place. Returns the
/// attempt's directory, relative to the run directory.
pub fn archive_attempt(c: &Continuation) -> Result<String> {
    let n = c.attempt - 1;
    let rel = format!("{ATTEMPTS_DIR}/{n}");
    let dst = c.run_dir.join(&rel);
    std::fs::create_dir_all(&dst).with_context(|| format!("cannot create {}", dst.display()))?;
    for entry in std::fs::read_dir(&c.run_dir)
        .with_context(|| format!("cannot read {}", c.run_dir.display()))?
    {
        let entry = entry?;
        let name = entry.file_name();
        if name == ATTEMPTS_DIR || name == ANSWERS_FILE {
            continue;
        }
        std::fs::rename(entry.path(), dst.join(&name)).with_context(|| {
            format!(
                "cannot move {} to {}",
                entry.path().display(),
                dst.display()
            )
        })?;
    }
    // Make the moves durable before the new attempt writes anything.
    std::fs::File::open(&c.run_dir)
        .and_then(|d| d.sync_all())
        .ok();
    Ok(rel)
}

/// The head of the archived attempt's audit log, for the `run-resumed` event.
pub fn archived_head(run_dir: &Path, rel: &str) -> Option<String> {
    coop_audit::verify(run_dir.join(rel).join("audit.jsonl"))
        .ok()
        .and_then(|r| r.last_sha256)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: &Path, text: &str) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// A run directory whose audit log holds a real (hash-chained)
    /// run-start line.
    fn write_start(d: &Path) {
        std::fs::create_dir_all(d).unwrap();
        let mut log = coop_audit::AuditLog::create(d.join("audit.jsonl")).unwrap();
        log.append(
            "run-start",
            serde_json::json!({"task": "t", "base_commit": "abc", "mode": "mob",
                "plugins": {"router": "r"}, "replay": null}),
        )
        .unwrap();
    }

    /// run.json of a run that ended `outcome`, recording the log's head.
    fn write_end(d: &Path, outcome: &str) {
        let head = coop_audit::verify(d.join("audit.jsonl"))
            .unwrap()
            .last_sha256;
        write(
            &d.join("run.json"),
            &serde_json::json!({"outcome": outcome, "audit_head_sha256": head}).to_string(),
        );
    }

    #[test]
    fn resume_and_answer_accept_only_runs_in_the_right_state() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("runs").join("r1");
        write_start(&d);
        // Killed: resumable, not answerable.
        assert!(prepare(t.path(), d.to_str().unwrap(), Reason::Resume).is_ok());
        let e = prepare(t.path(), d.to_str().unwrap(), Reason::Answer)
            .unwrap_err()
            .to_string();
        assert!(e.contains("did not finish"), "{e}");
        // Escalated: answerable, not resumable.
        write_end(&d, "escalated");
        let e = prepare(t.path(), d.to_str().unwrap(), Reason::Resume)
            .unwrap_err()
            .to_string();
        assert!(e.contains("waits for an answer"), "{e}");
        let mut c = prepare(t.path(), d.to_str().unwrap(), Reason::Answer).unwrap();
        assert_eq!(
            (c.task.as_str(), c.base.as_str(), c.attempt),
            ("t", "abc", 2)
        );
        assert!(record_answer(&mut c, "  ").is_err());
        record_answer(&mut c, "use runes").unwrap();
        assert_eq!(read_answers(&d).unwrap(), vec!["use runes"]);
        // Approved: neither.
        write_end(&d, "approved");
        assert!(prepare(t.path(), d.to_str().unwrap(), Reason::Resume).is_err());
        assert!(prepare(t.path(), d.to_str().unwrap(), Reason::Answer).is_err());
        // Cancelled (Ctrl-C): resumable.
        write_end(&d, "cancelled");
        assert!(prepare(t.path(), d.to_str().unwrap(), Reason::Resume).is_ok());
        // A journal changed after the fact is not continued: an edited
        // (here the last) line or a line cut off the end no longer matches
        // run.json's head.
        let log = d.join("audit.jsonl");
        let good = std::fs::read_to_string(&log).unwrap();
        std::fs::write(&log, good.replace("\"task\":\"t\"", "\"task\":\"u\"")).unwrap();
        let e = prepare(t.path(), d.to_str().unwrap(), Reason::Resume)
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not verify"), "{e}");
        std::fs::write(&log, "").unwrap();
        let e = prepare(t.path(), d.to_str().unwrap(), Reason::Resume)
            .unwrap_err()
            .to_string();
        assert!(e.contains("run.json records the audit head"), "{e}");
        // A line torn by a kill at the end of a killed run's log is not.
        std::fs::remove_file(d.join("run.json")).unwrap();
        std::fs::write(&log, format!("{good}{{\"seq\":2,\"ev")).unwrap();
        assert!(prepare(t.path(), d.to_str().unwrap(), Reason::Resume).is_ok());
    }

    #[test]
    fn archiving_keeps_answers_and_numbers_attempts_and_a_crash_mid_archive_still_resumes() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("r2");
        write_start(&d);
        write(&d.join("handoffs/001-architect.json"), "{}");
        write(
            &d.join(ANSWERS_FILE),
            r#"{"answers":[{"answer":"a","at":"x"}]}"#,
        );
        let c = prepare(t.path(), d.to_str().unwrap(), Reason::Resume).unwrap();
        assert_eq!(c.attempt, 2);
        assert_eq!(archive_attempt(&c).unwrap(), "attempts/1");
        assert!(
            d.join("attempts/1/audit.jsonl").is_file()
                && d.join("attempts/1/handoffs/001-architect.json").is_file()
        );
        assert!(d.join(ANSWERS_FILE).is_file() && !d.join("audit.jsonl").exists());
        // The next attempt was killed before writing anything: the run-start
        // is found in the archive, and the numbering goes on.
        let c = prepare(t.path(), d.to_str().unwrap(), Reason::Resume).unwrap();
        assert_eq!((c.attempt, c.answers.clone()), (3, vec!["a".to_string()]));
        let c = prepare(t.path(), "r2", Reason::Resume);
        assert!(
            c.is_err(),
            "an id resolves under the repo's runs, not the cwd"
        );
    }

    #[test]
    fn nothing_to_continue_without_a_run_start() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("r3");
        std::fs::create_dir_all(d.join("model")).unwrap();
        std::fs::write(d.join("audit.jsonl"), "").unwrap();
        let e = prepare(t.path(), d.to_str().unwrap(), Reason::Resume)
            .unwrap_err()
            .to_string();
        assert!(e.contains("start it again"), "{e}");
    }
}
