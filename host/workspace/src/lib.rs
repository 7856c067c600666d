//! `coop-workspace`: one git worktree per run, path-confined atomic edits and
//! repository facts.
//!
//! Every run works on its own branch `coop/<run-id>` checked out in
//! `<repo>/.coop/worktrees/<run-id>`, so the user's checkout, index and
//! current branch are never touched. All reads and edits go through
//! [`resolve_confined`], which is the single place that decides whether a
//! model-supplied path may be used.

mod confine;
mod error;
mod facts;
mod git;
mod worktree;

pub use confine::{PathError, resolve_confined};
pub use coop_core::secrets::is_secret_file;
pub use error::WorkspaceError;
pub use facts::{parse_module_path, parse_package_clause, repo_facts, repo_facts_at};
pub use git::GIT_TIMEOUT;
pub use worktree::{MAX_EDIT_BYTES, Repo, Worktree, coop_dir};
