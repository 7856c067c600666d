#![allow(clippy::unwrap_used, clippy::expect_used)]

use coop_audit::{AuditError, AuditLog, GENESIS_PREV, IssueKind, Redactor, verify, write_atomic};
use coop_core::hash::sha256_hex;
use serde_json::{Value, json};
use std::cell::Cell;
use std::fs;
use std::path::Path;
use time::macros::datetime;

fn fixed_clock() -> impl Fn() -> time::OffsetDateTime + Send {
    || datetime!(2025-01-02 03:04:05 UTC)
}

/// A log with five events.
fn sample(path: &Path) {
    let mut log = AuditLog::create(path).unwrap().with_clock(fixed_clock());
    log.append("run.start", json!({"task": "add a flag"}))
        .unwrap();
    log.append("model.call", json!({"role": "architect", "tokens": 12}))
        .unwrap();
    log.append("edit.applied", json!({"path": "main.go"}))
        .unwrap();
    log.append("review", json!({"verdict": "approve"})).unwrap();
    log.append("run.end", Value::Null).unwrap();
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    fs::write(
        path,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
}

#[test]
fn line_format_and_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut log = AuditLog::create(&path).unwrap().with_clock(fixed_clock());
    assert!(log.head().is_none());
    let first = log.append("run.start", json!({"b": 1, "a": "x"})).unwrap();
    let second = log.append("run.end", json!({})).unwrap();
    assert_eq!(log.head(), Some(second.clone()));

    let l = lines(&path);
    assert_eq!(
        l[0],
        format!(
            r#"{{"seq":1,"ts":"2025-01-02T03:04:05Z","event":"run.start","a":"x","b":1,"prev":"{GENESIS_PREV}"}}"#
        )
    );
    assert_eq!(first.seq, 1);
    assert_eq!(first.sha256, sha256_hex(l[0].as_bytes()));
    assert_eq!(
        l[1],
        format!(
            r#"{{"seq":2,"ts":"2025-01-02T03:04:05Z","event":"run.end","prev":"{}"}}"#,
            first.sha256
        )
    );
    assert!(fs::read_to_string(&path).unwrap().ends_with('\n'));
    let report = verify(&path).unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.lines, 2);
    assert_eq!(report.last_seq, 2);
    assert_eq!(report.last_sha256, Some(second.sha256));
}

#[test]
fn deterministic_with_injected_clock() {
    let dir = tempfile::tempdir().unwrap();
    sample(&dir.path().join("a"));
    sample(&dir.path().join("b"));
    assert_eq!(
        fs::read(dir.path().join("a")).unwrap(),
        fs::read(dir.path().join("b")).unwrap()
    );

    // A stateful clock works too (and non-UTC offsets are converted).
    let tick = Cell::new(0i64);
    let clock = move || {
        tick.set(tick.get() + 1);
        datetime!(2025-01-01 00:00:00 +02:00) + time::Duration::seconds(tick.get())
    };
    let path = dir.path().join("c");
    let mut log = AuditLog::create(&path).unwrap().with_clock(clock);
    log.append("a", Value::Null).unwrap();
    log.append("b", Value::Null).unwrap();
    let l = lines(&path);
    assert!(l[0].contains(r#""ts":"2024-12-31T22:00:01Z""#), "{}", l[0]);
    assert!(l[1].contains(r#""ts":"2024-12-31T22:00:02Z""#), "{}", l[1]);
}

#[test]
fn rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut log = AuditLog::create(&path).unwrap();
    for key in ["seq", "ts", "event", "prev"] {
        assert!(
            matches!(log.append("x", json!({ key: 1 })), Err(AuditError::ReservedField(k)) if k == key)
        );
    }
    assert!(matches!(
        log.append("x", json!([1])),
        Err(AuditError::FieldsNotObject(_))
    ));
    assert!(matches!(
        log.append("x", json!("s")),
        Err(AuditError::FieldsNotObject(_))
    ));
    assert!(matches!(
        log.append("", Value::Null),
        Err(AuditError::InvalidEvent(_))
    ));
    assert!(matches!(
        log.append("a b\n", Value::Null),
        Err(AuditError::InvalidEvent(_))
    ));
    // Nothing was written by the failed appends.
    assert_eq!(fs::read_to_string(&path).unwrap(), "");
    // create never clobbers an existing log.
    assert!(matches!(
        AuditLog::create(&path),
        Err(AuditError::Io { .. })
    ));
}

#[test]
fn redacts_every_string_value_but_not_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut red = Redactor::default();
    red.add_literal("env-api-key-0123456789");
    let mut log = AuditLog::create(&path)
        .unwrap()
        .with_clock(fixed_clock())
        .with_redactor(red);
    log.redactor_mut().add_literal("late-added-secret");
    let sha = sha256_hex(b"x");
    log.append(
        "model.call",
        json!({
            "prompt": "use env-api-key-0123456789 and AKIAIOSFODNN7EXAMPLE",
            "nested": {"list": ["GITHUB_TOKEN=abc", 3, {"deep": "late-added-secret!"}]},
            "artifact_sha256": sha,
            "code": "func (s *Server) Shutdown(ctx context.Context) error",
        }),
    )
    .unwrap();
    log.append("next", Value::Null).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(!text.contains("env-api-key-0123456789"));
    assert!(!text.contains("AKIAIOSFODNN7EXAMPLE"));
    assert!(!text.contains("GITHUB_TOKEN=abc"));
    assert!(!text.contains("late-added-secret"));
    assert!(text.contains("use [REDACTED:literal] and [REDACTED:aws-access-key-id]"));
    assert!(text.contains("GITHUB_TOKEN=[REDACTED:env-secret]"));
    assert!(text.contains("[REDACTED:literal]!"));
    assert!(text.contains(&sha));
    assert!(text.contains("func (s *Server) Shutdown(ctx context.Context) error"));
    // prev hashes survive redaction and the chain verifies.
    assert!(verify(&path).unwrap().is_ok());
}

#[test]
fn open_append_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    sample(&path);
    let head = verify(&path).unwrap().last_sha256.unwrap();
    let mut log = AuditLog::open_append(&path)
        .unwrap()
        .with_clock(fixed_clock());
    assert_eq!(log.head().unwrap().seq, 5);
    let e = log.append("run.resume", Value::Null).unwrap();
    assert_eq!(e.seq, 6);
    let l = lines(&path);
    assert!(l[5].ends_with(&format!(r#""prev":"{head}"}}"#)));
    assert!(verify(&path).unwrap().is_ok());

    // An empty existing file starts at seq 1.
    let empty = dir.path().join("empty.jsonl");
    fs::write(&empty, "").unwrap();
    let mut log = AuditLog::open_append(&empty).unwrap();
    assert_eq!(log.append("a", Value::Null).unwrap().seq, 1);
    assert!(verify(&empty).unwrap().is_ok());
}

#[test]
fn open_append_refuses_damaged_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    sample(&path);
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str(r#"{"seq":6,"ts":"#);
    fs::write(&path, &text).unwrap();
    assert!(matches!(
        AuditLog::open_append(&path),
        Err(AuditError::Damaged { line: 6, .. })
    ));
}

#[test]
fn detects_altered_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    sample(&path);
    let mut l = lines(&path);
    l[2] = l[2].replace("main.go", "evil.go");
    write_lines(&path, &l);
    let report = verify(&path).unwrap();
    // Line 3 itself is well-formed; line 4's prev no longer matches it.
    assert_eq!(report.issues.len(), 1, "{report:?}");
    let issue = report.first_issue().unwrap();
    assert_eq!(issue.line, 4);
    assert!(matches!(issue.kind, IssueKind::BadPrev { .. }));

    // Altering the seq of a line is caught on that line.
    sample(&dir.path().join("b"));
    let mut l = lines(&dir.path().join("b"));
    l[1] = l[1].replace(r#""seq":2"#, r#""seq":7"#);
    write_lines(&path, &l);
    let report = verify(&path).unwrap();
    assert_eq!(report.first_issue().unwrap().line, 2);
    assert_eq!(
        report.first_issue().unwrap().kind,
        IssueKind::BadSeq {
            expected: 2,
            found: 7
        }
    );
}

#[test]
fn detects_removed_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    sample(&path);
    let mut l = lines(&path);
    l.remove(2);
    write_lines(&path, &l);
    let report = verify(&path).unwrap();
    let issue = report.first_issue().unwrap();
    assert_eq!(issue.line, 3);
    assert_eq!(
        issue.kind,
        IssueKind::BadSeq {
            expected: 3,
            found: 4
        }
    );
    assert!(report.issues.iter().all(|i| i.line == 3), "{report:?}");
    assert!(matches!(report.issues[1].kind, IssueKind::BadPrev { .. }));
}

#[test]
fn detects_reordered_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    sample(&path);
    let mut l = lines(&path);
    l.swap(1, 2);
    write_lines(&path, &l);
    let report = verify(&path).unwrap();
    assert_eq!(report.first_issue().unwrap().line, 2);
    assert_eq!(
        report.first_issue().unwrap().kind,
        IssueKind::BadSeq {
            expected: 2,
            found: 3
        }
    );
}

#[test]
fn detects_torn_and_unparsable_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    sample(&path);
    let text = fs::read_to_string(&path).unwrap();
    // Crash mid-write: the last line has no newline.
    fs::write(&path, &text[..text.len() - 10]).unwrap();
    let report = verify(&path).unwrap();
    assert_eq!(report.issues.len(), 1, "{report:?}");
    assert_eq!(report.first_issue().unwrap().line, 5);
    assert_eq!(report.first_issue().unwrap().kind, IssueKind::TornLine);
    assert_eq!(report.lines, 4);

    sample(&dir.path().join("x"));
    let mut l = lines(&dir.path().join("x"));
    l[1] = "not json".to_string();
    write_lines(&path, &l);
    let report = verify(&path).unwrap();
    assert_eq!(report.first_issue().unwrap().line, 2);
    assert!(matches!(
        report.first_issue().unwrap().kind,
        IssueKind::Unparsable(_)
    ));
    // Line 3's prev refers to the original line 2, so it is flagged too.
    assert_eq!(report.issues[1].line, 3);

    l[1] = r#"{"seq":2,"ts":"t","event":"e"}"#.to_string();
    write_lines(&path, &l);
    let report = verify(&path).unwrap();
    assert_eq!(
        report.first_issue().unwrap().kind,
        IssueKind::MissingField("prev")
    );
}

#[test]
fn write_atomic_replaces_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    write_atomic(&path, b"{\"v\":1}").unwrap();
    write_atomic(&path, b"{\"v\":2}").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"{\"v\":2}");
    // No temporary files are left behind.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(matches!(
        write_atomic(dir.path().join("missing/x"), b"x"),
        Err(AuditError::Io { .. })
    ));
}
