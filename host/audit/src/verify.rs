//! Chain verification.

use crate::error::AuditError;
use crate::log::GENESIS_PREV;
use coop_core::hash::sha256_hex;
use serde_json::Value;
use std::fmt;
use std::path::Path;

/// Result of [`verify`]. Line numbers are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Complete lines read (valid or not; a torn last line is not counted).
    pub lines: u64,
    /// `seq` of the last complete line that parsed (0 if none).
    pub last_seq: u64,
    /// sha256 of the last complete line; compare with an
    /// [`crate::AuditEntryRef`] stored elsewhere to detect truncation or an
    /// edit of the final line.
    pub last_sha256: Option<String>,
    /// Every problem found, in file order. Empty means the chain is intact.
    pub issues: Vec<Issue>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.issues.is_empty()
    }
    pub fn first_issue(&self) -> Option<&Issue> {
        self.issues.first()
    }
}

/// A problem at one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub line: u64,
    pub kind: IssueKind,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.kind)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueKind {
    /// The file ends without a newline: the last write was cut short.
    TornLine,
    /// Not a JSON object, not UTF-8, or empty.
    Unparsable(String),
    /// A required key is missing or has the wrong type.
    MissingField(&'static str),
    /// `seq` is not one more than the previous line's (line removed,
    /// duplicated or reordered).
    BadSeq { expected: u64, found: u64 },
    /// `prev` is not the hash of the previous line: the previous line was
    /// altered, or lines were removed or reordered.
    BadPrev { expected: String, found: String },
}

impl fmt::Display for IssueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssueKind::TornLine => f.write_str("torn line (no trailing newline)"),
            IssueKind::Unparsable(why) => write!(f, "unparsable line: {why}"),
            IssueKind::MissingField(key) => write!(f, "missing or mistyped field {key:?}"),
            IssueKind::BadSeq { expected, found } => write!(f, "seq {found}, expected {expected}"),
            IssueKind::BadPrev { expected, found } => {
                write!(
                    f,
                    "prev {found} does not match the previous line's hash {expected}"
                )
            }
        }
    }
}

/// Recomputes the hash chain of the log at `path`. I/O failures are errors;
/// damage is reported in the [`VerifyReport`]. After an issue, checking
/// resynchronizes on the damaged line, so one edit yields one or two issues
/// rather than one per following line.
pub fn verify(path: impl AsRef<Path>) -> Result<VerifyReport, AuditError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| AuditError::io(path, e))?;
    let mut report = VerifyReport::default();
    let mut expected_seq = 1u64;
    let mut expected_prev = GENESIS_PREV.to_string();

    let mut chunks: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    // `split` yields a final empty chunk after a trailing newline; anything
    // else there is a line whose newline never made it to disk.
    let tail = chunks.pop().unwrap_or_default();
    for (i, line) in chunks.iter().enumerate() {
        let line_no = i as u64 + 1;
        report.lines = line_no;
        let mut issue = |kind| {
            report.issues.push(Issue {
                line: line_no,
                kind,
            })
        };
        match parse_line(line) {
            Err(kind) => {
                issue(kind);
                expected_seq += 1;
            }
            Ok((seq, prev)) => {
                if seq != expected_seq {
                    issue(IssueKind::BadSeq {
                        expected: expected_seq,
                        found: seq,
                    });
                }
                if prev != expected_prev {
                    issue(IssueKind::BadPrev {
                        expected: expected_prev.clone(),
                        found: prev,
                    });
                }
                report.last_seq = seq;
                expected_seq = seq.saturating_add(1);
            }
        }
        let sha = sha256_hex(line);
        expected_prev = sha.clone();
        report.last_sha256 = Some(sha);
    }
    if !tail.is_empty() {
        report.issues.push(Issue {
            line: chunks.len() as u64 + 1,
            kind: IssueKind::TornLine,
        });
    }
    Ok(report)
}

fn parse_line(line: &[u8]) -> Result<(u64, String), IssueKind> {
    if line.is_empty() {
        return Err(IssueKind::Unparsable("empty line".to_string()));
    }
    let value: Value =
        serde_json::from_slice(line).map_err(|e| IssueKind::Unparsable(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(IssueKind::Unparsable("not a JSON object".to_string()));
    };
    let seq = map
        .get("seq")
        .and_then(Value::as_u64)
        .ok_or(IssueKind::MissingField("seq"))?;
    map.get("ts")
        .and_then(Value::as_str)
        .ok_or(IssueKind::MissingField("ts"))?;
    map.get("event")
        .and_then(Value::as_str)
        .ok_or(IssueKind::MissingField("event"))?;
    let prev = map
        .get("prev")
        .and_then(Value::as_str)
        .ok_or(IssueKind::MissingField("prev"))?;
    Ok((seq, prev.to_string()))
}
