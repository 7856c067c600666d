//! Checking what an audit log refers to: every artifact, handoff, model
//! record, verification report and patch an event names by path, with the
//! sha256 it had when the event was written.

use crate::error::AuditError;
use coop_core::hash::sha256_hex;
use serde_json::Value;
use std::fmt;
use std::path::{Component, Path};

/// The (path field, hash field) pairs events use to reference files.
pub const REFERENCE_FIELDS: [(&str, &str); 5] = [
    ("path", "sha256"),
    ("record", "record_sha256"),
    ("report", "report_sha256"),
    ("diff", "diff_sha256"),
    ("patch", "patch_sha256"),
];

/// One referenced file that does not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefIssue {
    /// 1-based line of the audit log.
    pub line: u64,
    pub event: String,
    pub path: String,
    pub kind: RefIssueKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefIssueKind {
    Missing,
    Mismatch {
        recorded: String,
        actual: String,
    },
    /// The reference is absolute or climbs out of the run directory.
    OutsideRunDir,
}

impl fmt::Display for RefIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} ({}): {}: ", self.line, self.event, self.path)?;
        match &self.kind {
            RefIssueKind::Missing => f.write_str("file is missing"),
            RefIssueKind::Mismatch { recorded, actual } => {
                write!(f, "sha256 {actual} does not match the recorded {recorded}")
            }
            RefIssueKind::OutsideRunDir => {
                f.write_str("reference points outside the run directory")
            }
        }
    }
}

/// How many references were checked, and what did not match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefReport {
    pub checked: usize,
    pub issues: Vec<RefIssue>,
}

fn inside(rel: &str) -> bool {
    let p = Path::new(rel);
    !rel.is_empty()
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Check every file the log at `run_dir/audit.jsonl` references. Lines that
/// do not parse are skipped here (the chain check reports them).
pub fn verify_references(run_dir: &Path) -> Result<RefReport, AuditError> {
    let log = run_dir.join("audit.jsonl");
    let text = std::fs::read_to_string(&log).map_err(|e| AuditError::io(&log, e))?;
    let mut report = RefReport::default();
    for (i, line) in text.lines().enumerate() {
        let Ok(Value::Object(ev)) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let event = ev
            .get("event")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        for (pf, hf) in REFERENCE_FIELDS {
            let (Some(rel), Some(recorded)) = (
                ev.get(pf).and_then(Value::as_str),
                ev.get(hf).and_then(Value::as_str),
            ) else {
                continue;
            };
            report.checked += 1;
            let issue = |kind| RefIssue {
                line: i as u64 + 1,
                event: event.clone(),
                path: rel.to_string(),
                kind,
            };
            if !inside(rel) {
                report.issues.push(issue(RefIssueKind::OutsideRunDir));
                continue;
            }
            match std::fs::read(run_dir.join(rel)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    report.issues.push(issue(RefIssueKind::Missing))
                }
                Err(e) => return Err(AuditError::io(run_dir.join(rel), e)),
                Ok(bytes) => {
                    let actual = sha256_hex(&bytes);
                    if actual != recorded {
                        report.issues.push(issue(RefIssueKind::Mismatch {
                            recorded: recorded.to_string(),
                            actual,
                        }));
                    }
                }
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, body: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }

    #[test]
    fn finds_missing_changed_and_escaping_references() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        write(d, "handoffs/001-architect.json", "{}");
        write(d, "artifacts/verify-1.json", "report");
        write(d, "change.patch", "diff");
        let log = [
            serde_json::json!({"seq":1,"event":"handoff","path":"handoffs/001-architect.json","sha256":sha256_hex(b"{}")}),
            serde_json::json!({"seq":2,"event":"verification","report":"artifacts/verify-1.json","report_sha256":sha256_hex(b"report"),
                               "diff":"artifacts/diff-1.patch","diff_sha256":sha256_hex(b"x")}),
            serde_json::json!({"seq":3,"event":"run-end","patch":"change.patch","patch_sha256":sha256_hex(b"other")}),
            serde_json::json!({"seq":4,"event":"role-output","path":"../../etc/passwd","sha256":"00"}),
            serde_json::json!({"seq":5,"event":"routing","path":"no hash, not a reference"}),
        ];
        let text: String = log.iter().map(|v| format!("{v}\n")).collect();
        std::fs::write(d.join("audit.jsonl"), text).unwrap();
        let r = verify_references(d).unwrap();
        assert_eq!(r.checked, 5);
        let kinds: Vec<(u64, &str, &RefIssueKind)> = r
            .issues
            .iter()
            .map(|i| (i.line, i.path.as_str(), &i.kind))
            .collect();
        assert_eq!(kinds.len(), 3, "{kinds:?}");
        assert_eq!(
            (kinds[0].0, kinds[0].1, kinds[0].2),
            (2, "artifacts/diff-1.patch", &RefIssueKind::Missing)
        );
        assert!(matches!(
            kinds[1],
            (3, "change.patch", RefIssueKind::Mismatch { .. })
        ));
        assert_eq!((kinds[2].0, kinds[2].2), (4, &RefIssueKind::OutsideRunDir));
        assert!(
            r.issues[1]
                .to_string()
                .contains("line 3 (run-end): change.patch: sha256")
        );
    }
}
