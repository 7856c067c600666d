//! `coop-audit`: the run's append-only, hash-chained JSONL audit log,
//! secret redaction on the way out, chain verification and atomic file
//! writes for the other run-directory files.
//!
//! Line format (one JSON object per line, keys in this order):
//! `{"seq":n,"ts":"<RFC3339 UTC>","event":"<kind>",<fields...>,"prev":"<hex>"}`
//! where `prev` is the sha256 of the previous line's bytes (without its
//! trailing newline), or 64 zeros on the first line.

mod atomic;
mod error;
mod log;
mod redact;
mod refs;
mod verify;

pub use atomic::write_atomic;
pub use error::AuditError;
pub use log::{AuditEntryRef, AuditLog, Clock, GENESIS_PREV, RESERVED_FIELDS, SystemClock};
pub use redact::{RedactionRule, Redactor, entropy};
pub use refs::{REFERENCE_FIELDS, RefIssue, RefIssueKind, RefReport, verify_references};
pub use verify::{Issue, IssueKind, VerifyReport, verify};
