//! The JSONL writer.

use crate::atomic::sync_dir;
use crate::error::AuditError;
use crate::redact::Redactor;
use crate::verify::verify;
use coop_core::hash::sha256_hex;
use serde_json::{Map, Value};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `prev` of the first line.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Keys the log writes itself; callers' fields may not use them.
pub const RESERVED_FIELDS: [&str; 4] = ["seq", "ts", "event", "prev"];

/// Source of timestamps, injectable so tests produce byte-identical logs.
/// Any `Fn() -> OffsetDateTime + Send` is a clock.
pub trait Clock: Send {
    fn now(&self) -> OffsetDateTime;
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

impl<F: Fn() -> OffsetDateTime + Send> Clock for F {
    fn now(&self) -> OffsetDateTime {
        self()
    }
}

/// Identifies a written line: its sequence number and the sha256 of its
/// bytes (what the next line's `prev` will be). Storing the last one
/// elsewhere (e.g. run.json) lets a reader detect truncation or an edit of
/// the final line, which the chain alone cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntryRef {
    pub seq: u64,
    pub sha256: String,
}

/// Append-only, hash-chained JSONL audit log. Not shared between threads;
/// the owner serializes appends (wrap it in a mutex if needed).
pub struct AuditLog {
    path: PathBuf,
    file: File,
    next_seq: u64,
    prev: String,
    clock: Box<dyn Clock>,
    redactor: Redactor,
    /// Set after a failed write: the file may now end in a partial line, and
    /// appending more would bury it mid-file.
    poisoned: bool,
    /// Bytes this handle has appended (lines and newlines): lets the host
    /// bound what one plugin call makes it write.
    appended: u64,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("path", &self.path)
            .field("next_seq", &self.next_seq)
            .field("prev", &self.prev)
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Creates a new log; fails if `path` already exists so an existing log
    /// is never truncated. Uses the system clock and the default redactor.
    pub fn create(path: impl AsRef<Path>) -> Result<AuditLog, AuditError> {
        let path = path.as_ref();
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(path)
            .map_err(|e| AuditError::io(path, e))?;
        // Make the new directory entry durable, not just the future lines.
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(dir)?;
        }
        Ok(AuditLog::new(path, file, 1, GENESIS_PREV.to_string()))
    }

    /// Opens an existing log to continue it (e.g. on resume). The whole
    /// chain is verified first; a damaged log (including a torn last line
    /// left by a crash) is refused with [`AuditError::Damaged`] rather than
    /// extended, so damage is never hidden under new lines.
    pub fn open_append(path: impl AsRef<Path>) -> Result<AuditLog, AuditError> {
        let path = path.as_ref();
        let report = verify(path)?;
        if let Some(issue) = report.issues.first() {
            return Err(AuditError::Damaged {
                path: path.to_path_buf(),
                line: issue.line,
                issue: issue.kind.to_string(),
            });
        }
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| AuditError::io(path, e))?;
        let prev = report
            .last_sha256
            .unwrap_or_else(|| GENESIS_PREV.to_string());
        Ok(AuditLog::new(path, file, report.last_seq + 1, prev))
    }

    fn new(path: &Path, file: File, next_seq: u64, prev: String) -> AuditLog {
        AuditLog {
            path: path.to_path_buf(),
            file,
            next_seq,
            prev,
            clock: Box::new(SystemClock),
            redactor: Redactor::default(),
            poisoned: false,
            appended: 0,
        }
    }

    /// Replaces the time source.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> AuditLog {
        self.clock = Box::new(clock);
        self
    }

    /// Replaces the redactor.
    pub fn with_redactor(mut self, redactor: Redactor) -> AuditLog {
        self.redactor = redactor;
        self
    }

    /// The redactor, e.g. to register API keys with `add_literal`.
    pub fn redactor_mut(&mut self) -> &mut Redactor {
        &mut self.redactor
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes appended through this handle since it was created or opened.
    pub fn bytes_appended(&self) -> u64 {
        self.appended
    }

    /// The last written line, or `None` for an empty log.
    pub fn head(&self) -> Option<AuditEntryRef> {
        (self.next_seq > 1).then(|| AuditEntryRef {
            seq: self.next_seq - 1,
            sha256: self.prev.clone(),
        })
    }

    /// Appends one event. `fields` must be a JSON object (or null) and may
    /// not use the reserved keys; every string in it is redacted. The line
    /// is written with a single `write_all` and synced before returning.
    pub fn append(&mut self, event: &str, fields: Value) -> Result<AuditEntryRef, AuditError> {
        if self.poisoned {
            return Err(AuditError::Damaged {
                path: self.path.clone(),
                line: self.next_seq,
                issue: "an earlier write failed".to_string(),
            });
        }
        validate_event(event)?;
        let fields = match fields {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => return Err(AuditError::FieldsNotObject(json_type(&other))),
        };
        if let Some(key) = fields
            .keys()
            .find(|k| RESERVED_FIELDS.contains(&k.as_str()))
        {
            return Err(AuditError::ReservedField(key.clone()));
        }
        let ts = self
            .clock
            .now()
            .to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)?;

        // Built by hand so the key order is fixed (seq, ts, event, fields in
        // sorted order, prev) whatever serde_json's map features are.
        let mut parts = vec![
            format!("\"seq\":{}", self.next_seq),
            format!("\"ts\":{}", serde_json::to_string(&ts)?),
            format!(
                "\"event\":{}",
                serde_json::to_string(&self.redactor.redact(event))?
            ),
        ];
        for (key, value) in fields {
            let value = redact_value(&self.redactor, value);
            parts.push(format!(
                "{}:{}",
                serde_json::to_string(&key)?,
                serde_json::to_string(&value)?
            ));
        }
        parts.push(format!("\"prev\":\"{}\"", self.prev));
        let line = format!("{{{}}}", parts.join(","));
        let sha256 = sha256_hex(line.as_bytes());

        let mut bytes = line.into_bytes();
        bytes.push(b'\n');
        let written = self
            .file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            self.poisoned = true;
            return Err(AuditError::io(&self.path, e));
        }
        let entry = AuditEntryRef {
            seq: self.next_seq,
            sha256: sha256.clone(),
        };
        self.next_seq += 1;
        self.prev = sha256;
        self.appended += bytes.len() as u64;
        Ok(entry)
    }
}

/// Event kinds are short identifiers like `model.call` or `edit.rejected`.
fn validate_event(event: &str) -> Result<(), AuditError> {
    let ok = !event.is_empty()
        && event.len() <= 64
        && event
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'));
    if ok {
        Ok(())
    } else {
        Err(AuditError::InvalidEvent(event.to_string()))
    }
}

fn redact_value(redactor: &Redactor, value: Value) -> Value {
    match value {
        Value::String(s) => match redactor.redact(&s) {
            std::borrow::Cow::Borrowed(_) => Value::String(s),
            std::borrow::Cow::Owned(r) => Value::String(r),
        },
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| redact_value(redactor, v))
                .collect(),
        ),
        // Keys are caller-chosen identifiers and stay as they are; values
        // carry the data.
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, redact_value(redactor, v)))
                .collect(),
        ),
        other => other,
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
