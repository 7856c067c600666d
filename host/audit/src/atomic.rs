use crate::error::AuditError;
use std::fs;
use std::io::Write;
use std::path::Path;

/// Replaces `path` with `bytes` so that a reader (or a crash) sees either the
/// old content or the new, never a mix: temporary file in the same
/// directory, fsync, rename, then fsync of the directory so the rename
/// itself is durable.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), AuditError> {
    let path = path.as_ref();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| AuditError::io(dir, e))?;
    tmp.write_all(bytes)
        .map_err(|e| AuditError::io(tmp.path(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| AuditError::io(tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| AuditError::io(path, e.error))?;
    sync_dir(dir)
}

#[cfg(unix)]
pub(crate) fn sync_dir(dir: &Path) -> Result<(), AuditError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| AuditError::io(dir, e))
}

#[cfg(not(unix))]
pub(crate) fn sync_dir(_dir: &Path) -> Result<(), AuditError> {
    // Directories cannot be opened for fsync off unix; rename is as durable
    // as the platform makes it.
    Ok(())
}
