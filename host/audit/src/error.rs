use std::path::PathBuf;

/// Errors of the audit crate.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid event name {0:?}: use 1-64 characters of [a-z0-9._-]")]
    InvalidEvent(String),
    #[error("audit fields must be a JSON object (or null), got {0}")]
    FieldsNotObject(&'static str),
    #[error("field name {0:?} is reserved")]
    ReservedField(String),
    #[error("could not serialize audit line: {0}")]
    Json(#[from] serde_json::Error),
    #[error("could not format timestamp: {0}")]
    Time(#[from] time::error::Format),
    #[error("audit log {path} is damaged (line {line}: {issue}); refusing to append")]
    Damaged {
        path: PathBuf,
        line: u64,
        issue: String,
    },
}

impl AuditError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AuditError::Io {
            path: path.into(),
            source,
        }
    }
}
