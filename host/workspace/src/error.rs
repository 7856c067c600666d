use crate::confine::PathError;
use std::path::PathBuf;
use std::time::Duration;

/// Errors of the workspace crate.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{0} is not inside a git repository")]
    NotARepo(PathBuf),
    #[error("{0} is a bare repository; a work tree is required")]
    BareRepo(PathBuf),
    #[error("repository at {0} has no commits yet")]
    NoCommits(PathBuf),
    #[error("invalid run id {id:?}: {reason}")]
    InvalidRunId { id: String, reason: String },
    #[error("branch {0} already exists")]
    BranchExists(String),
    #[error("worktree directory {0} already exists")]
    WorktreeExists(PathBuf),
    #[error("no coop worktree at {0}")]
    NoWorktree(PathBuf),
    #[error("`git {args}` failed ({status}): {stderr}")]
    Git {
        args: String,
        status: String,
        stderr: String,
    },
    #[error("`git {args}` timed out after {timeout:?}")]
    GitTimeout { args: String, timeout: Duration },
    #[error("could not run git: {0}")]
    GitSpawn(#[source] std::io::Error),
    #[error("git output is not valid UTF-8 for `git {0}`")]
    GitOutput(String),
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("{path}: {size} bytes exceeds the limit of {max} bytes")]
    TooLarge { path: String, size: u64, max: u64 },
    #[error("{0} is not a regular file")]
    NotAFile(String),
    #[error("{0} is not valid UTF-8")]
    NotUtf8(String),
    /// A path coop writes under `.coop/` is a symlink (committed by the
    /// repository, say) or not a directory; nothing was written through it.
    #[error(
        "{path} is {found}: coop writes its run directories, worktrees and cache only into real directories under .coop/, never through a symlink; remove or rename it (the repository may have committed it)"
    )]
    UnsafeCoopPath { path: PathBuf, found: &'static str },
    #[error("nothing to commit")]
    NothingToCommit,
    #[error("invalid commit message: {0}")]
    InvalidMessage(String),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl WorkspaceError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        WorkspaceError::Io {
            path: path.into(),
            source,
        }
    }
}
