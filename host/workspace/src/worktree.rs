//! The user's repository and the per-run worktree.

use crate::confine::resolve_confined;
use crate::error::WorkspaceError;
use crate::git::{run, run_ok, run_str};
use coop_core::{EditOutcome, FileEdit};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Largest file content an edit may produce (and a `Replace` may read).
pub const MAX_EDIT_BYTES: u64 = 1024 * 1024;

/// Directory (relative to the repository root) that holds coop's worktrees.
const COOP_DIR: &str = ".coop";

/// A non-bare git repository with at least one commit.
#[derive(Debug, Clone)]
pub struct Repo {
    root: PathBuf,
}

impl Repo {
    /// Opens the repository containing `path` (any directory of its work
    /// tree).
    pub fn open(path: impl AsRef<Path>) -> Result<Repo, WorkspaceError> {
        let path = path.as_ref();
        let dir = path
            .canonicalize()
            .map_err(|e| WorkspaceError::io(path, e))?;
        let bare = run(
            &dir,
            &["rev-parse", "--is-bare-repository"],
            crate::GIT_TIMEOUT,
        )?;
        if !bare.success {
            return Err(WorkspaceError::NotARepo(dir));
        }
        if bare.stdout_str(&["rev-parse"])?.trim() == "true" {
            return Err(WorkspaceError::BareRepo(dir));
        }
        let top = run(&dir, &["rev-parse", "--show-toplevel"], crate::GIT_TIMEOUT)?;
        if !top.success {
            // Inside a .git directory, for example.
            return Err(WorkspaceError::NotARepo(dir));
        }
        let top = PathBuf::from(top.stdout_str(&["rev-parse", "--show-toplevel"])?.trim());
        let root = top
            .canonicalize()
            .map_err(|e| WorkspaceError::io(&top, e))?;
        let head = run(
            &root,
            &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
            crate::GIT_TIMEOUT,
        )?;
        if !head.success {
            return Err(WorkspaceError::NoCommits(root));
        }
        Ok(Repo { root })
    }

    /// Canonical path of the work tree's top-level directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes the tree of commit `rev` (anything `git rev-parse` takes as a
    /// commit) into `dest`, an existing empty directory, without touching
    /// the work tree or the repository's index (see [`export_tree`]).
    pub fn export_rev(&self, rev: &str, dest: &Path) -> Result<(), WorkspaceError> {
        // `--end-of-options`: a rev starting with '-' is a rev, not a flag.
        let spec = format!("{rev}^{{commit}}");
        let sha = run_str(
            &self.root,
            &["rev-parse", "--verify", "--end-of-options", &spec],
        )?;
        export_tree(&self.root, sha.trim(), dest)
    }

    /// Sha of the commit HEAD points to.
    pub fn head_commit(&self) -> Result<String, WorkspaceError> {
        run_str(&self.root, &["rev-parse", "--verify", "HEAD^{commit}"])
    }

    /// Name of the checked-out branch, or `None` on a detached HEAD.
    pub fn current_branch(&self) -> Result<Option<String>, WorkspaceError> {
        let out = run(
            &self.root,
            &["symbolic-ref", "--quiet", "--short", "HEAD"],
            crate::GIT_TIMEOUT,
        )?;
        if out.success {
            Ok(Some(out.stdout_str(&["symbolic-ref"])?.trim().to_string()))
        } else {
            Ok(None)
        }
    }

    /// Whether the local branch `name` exists.
    pub fn has_branch(&self, name: &str) -> Result<bool, WorkspaceError> {
        let out = run(
            &self.root,
            &[
                "show-ref",
                "--verify",
                "--quiet",
                &format!("refs/heads/{name}"),
            ],
            crate::GIT_TIMEOUT,
        )?;
        Ok(out.success)
    }

    /// Uncommitted changes of the working tree a run does not see (it
    /// starts from the HEAD commit): modified, staged, deleted and
    /// untracked paths, coop's own `.coop/` left out, sorted.
    pub fn uncommitted(&self) -> Result<Vec<String>, WorkspaceError> {
        let args = [
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--no-renames",
            "--",
            ".",
            ":(exclude).coop",
        ];
        let out = run_ok(&self.root, &args)?.stdout_str(&args)?;
        let mut paths: Vec<String> = out
            .split('\0')
            .filter(|e| e.len() > 3)
            .map(|e| e[3..].to_string())
            .collect();
        paths.sort();
        paths.dedup();
        Ok(paths)
    }

    /// Where the worktree of `run_id` lives.
    pub fn worktree_path(&self, run_id: &str) -> PathBuf {
        self.root.join(COOP_DIR).join("worktrees").join(run_id)
    }

    /// The directory `.coop/<parts...>` of this repository, created where
    /// missing; see [`coop_dir`].
    pub fn coop_dir(&self, parts: &[&str]) -> Result<PathBuf, WorkspaceError> {
        coop_dir(&self.root, parts)
    }

    /// Makes sure `.coop/` and the directories coop writes in it (`runs`,
    /// `worktrees`, `cache`) exist as real directories and that `.coop/` is
    /// ignored; refuses ([`WorkspaceError::UnsafeCoopPath`]) a symlink at any
    /// of them before anything is written. A `.gitignore` inside the
    /// directory itself keeps the user's own `.gitignore` untouched; `*` also
    /// matches that file, so `git status` stays clean.
    pub fn prepare_coop_dir(&self) -> Result<(), WorkspaceError> {
        for sub in ["runs", "worktrees", "cache"] {
            self.coop_dir(&[sub])?;
        }
        let ignore = self.coop_dir(&[])?.join(".gitignore");
        match ignore.symlink_metadata() {
            Ok(m) if m.is_file() => Ok(()),
            // A committed `.coop/.gitignore` symlink would be written through.
            Ok(_) => Err(WorkspaceError::UnsafeCoopPath {
                path: ignore,
                found: "not a regular file",
            }),
            Err(_) => {
                // `create_new` never follows a symlink created in between.
                let mut f = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&ignore)
                    .map_err(|e| WorkspaceError::io(&ignore, e))?;
                f.write_all(b"*\n")
                    .map_err(|e| WorkspaceError::io(&ignore, e))
            }
        }
    }
}

/// The directory `<root>/.coop/<parts...>`, every component of it checked to
/// be a real directory (created when missing), never a symlink.
///
/// Everything coop writes into a repository lives under `.coop/` (run
/// directories, worktrees, the module-map cache), and a repository can
/// commit `.coop` or any path under it as a symlink to somewhere else
/// (`~/.ssh`, another repository): writing through it would put coop's files,
/// or `git worktree add`'s checkout, outside the repository. So every writer
/// gets its directory from here, which refuses such a path before anything
/// is written. Each component is created with `create_dir` (which does not
/// follow a symlink at the final component) and then checked again with
/// `symlink_metadata`, so a symlink is refused whether it was there before
/// or not. `parts` are single path components (no `/`, `.` or `..`).
pub fn coop_dir(root: &Path, parts: &[&str]) -> Result<PathBuf, WorkspaceError> {
    let mut dir = root.to_path_buf();
    for part in std::iter::once(COOP_DIR).chain(parts.iter().copied()) {
        if part.is_empty() || part == "." || part == ".." || part.contains(['/', '\\', '\0']) {
            return Err(WorkspaceError::NotAFile(format!(
                "{}: {part:?} is not a single path component",
                dir.display()
            )));
        }
        dir.push(part);
        match fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(WorkspaceError::io(&dir, e)),
        }
        let meta = dir
            .symlink_metadata()
            .map_err(|e| WorkspaceError::io(&dir, e))?;
        if meta.file_type().is_symlink() {
            return Err(WorkspaceError::UnsafeCoopPath {
                path: dir,
                found: "a symlink",
            });
        }
        if !meta.is_dir() {
            return Err(WorkspaceError::UnsafeCoopPath {
                path: dir,
                found: "not a directory",
            });
        }
    }
    Ok(dir)
}

/// A run's private checkout on branch `coop/<run-id>`.
#[derive(Debug, Clone)]
pub struct Worktree {
    repo_root: PathBuf,
    root: PathBuf,
    run_id: String,
    branch: String,
    base: String,
}

impl Worktree {
    /// Creates branch `coop/<run_id>` at the repository's HEAD commit and
    /// checks it out in `<repo>/.coop/worktrees/<run_id>`. The user's
    /// checkout, index and current branch are not touched.
    pub fn create(repo: &Repo, run_id: &str) -> Result<Worktree, WorkspaceError> {
        Worktree::create_at(repo, run_id, None)
    }

    /// [`Worktree::create`] at commit `base` instead of HEAD (a replay
    /// starts from the commit the recorded run started from).
    pub fn create_at(
        repo: &Repo,
        run_id: &str,
        base: Option<&str>,
    ) -> Result<Worktree, WorkspaceError> {
        validate_run_id(run_id)?;
        let branch = format!("coop/{run_id}");
        let exists = run(
            repo.root(),
            &[
                "show-ref",
                "--verify",
                "--quiet",
                &format!("refs/heads/{branch}"),
            ],
            crate::GIT_TIMEOUT,
        )?;
        if exists.success {
            return Err(WorkspaceError::BranchExists(branch));
        }
        let path = repo.worktree_path(run_id);
        if path.symlink_metadata().is_ok() {
            return Err(WorkspaceError::WorktreeExists(path));
        }
        let base = match base {
            Some(b) => run_str(
                repo.root(),
                &["rev-parse", "--verify", &format!("{b}^{{commit}}")],
            )?,
            None => repo.head_commit()?,
        };
        repo.prepare_coop_dir()?;
        let path_str = path
            .to_str()
            .ok_or_else(|| WorkspaceError::NotUtf8(path.display().to_string()))?;
        run_ok(
            repo.root(),
            &["worktree", "add", "--quiet", "-b", &branch, path_str, &base],
        )?;
        let root = path
            .canonicalize()
            .map_err(|e| WorkspaceError::io(&path, e))?;
        Ok(Worktree {
            repo_root: repo.root().to_path_buf(),
            root,
            run_id: run_id.to_string(),
            branch,
            base,
        })
    }

    /// Removes whatever a run `run_id` left: its worktree directory (possibly
    /// half-written by a killed process) and its branch `coop/<run_id>`.
    /// A resumed run rebuilds both from the journal, so nothing of an
    /// interrupted attempt (a torn edit, a stale commit) can leak into it.
    /// Missing pieces are fine.
    pub fn discard(repo: &Repo, run_id: &str) -> Result<(), WorkspaceError> {
        validate_run_id(run_id)?;
        // Never remove through a `.coop/worktrees` the repository committed
        // as a symlink.
        repo.coop_dir(&["worktrees"])?;
        let path = repo.worktree_path(run_id);
        if path.symlink_metadata().is_ok() {
            let path_str = path
                .to_str()
                .ok_or_else(|| WorkspaceError::NotUtf8(path.display().to_string()))?;
            // `worktree remove` refuses a worktree git no longer knows; then
            // the directory is removed by hand and pruned below.
            let removed = run(
                repo.root(),
                &["worktree", "remove", "--force", path_str],
                crate::GIT_TIMEOUT,
            )?;
            if !removed.success && path.symlink_metadata().is_ok() {
                std::fs::remove_dir_all(&path).map_err(|e| WorkspaceError::io(&path, e))?;
            }
        }
        run_ok(repo.root(), &["worktree", "prune"])?;
        let branch = format!("refs/heads/coop/{run_id}");
        let exists = run(
            repo.root(),
            &["show-ref", "--verify", "--quiet", &branch],
            crate::GIT_TIMEOUT,
        )?;
        if exists.success {
            run_ok(repo.root(), &["branch", "-D", &format!("coop/{run_id}")])?;
        }
        Ok(())
    }

    /// Reattaches to an existing worktree of `run_id` (e.g. on resume).
    /// `base` is the base commit recorded when the worktree was created.
    pub fn open(repo: &Repo, run_id: &str, base: &str) -> Result<Worktree, WorkspaceError> {
        validate_run_id(run_id)?;
        let path = repo.worktree_path(run_id);
        let root = path
            .canonicalize()
            .map_err(|_| WorkspaceError::NoWorktree(path.clone()))?;
        let branch = format!("coop/{run_id}");
        let current = run(
            &root,
            &["symbolic-ref", "--quiet", "--short", "HEAD"],
            crate::GIT_TIMEOUT,
        )?;
        if !current.success || current.stdout_str(&["symbolic-ref"])?.trim() != branch {
            return Err(WorkspaceError::NoWorktree(path));
        }
        let base = run_str(
            &root,
            &["rev-parse", "--verify", &format!("{base}^{{commit}}")],
        )?;
        Ok(Worktree {
            repo_root: repo.root().to_path_buf(),
            root,
            run_id: run_id.to_string(),
            branch,
            base,
        })
    }

    /// Canonical path of the worktree.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// Root of the user's repository.
    pub fn repo_root(&self) -> &Path {
        &self.repo_root
    }
    pub fn run_id(&self) -> &str {
        &self.run_id
    }
    /// `coop/<run-id>`.
    pub fn branch(&self) -> &str {
        &self.branch
    }
    /// The commit the run started from.
    pub fn base_commit(&self) -> &str {
        &self.base
    }

    /// Resolves `rel` inside this worktree (see [`resolve_confined`]).
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, WorkspaceError> {
        Ok(resolve_confined(&self.root, rel)?)
    }

    /// Reads a UTF-8 file of at most `max_bytes` bytes. Larger files are an
    /// error rather than silently truncated, so callers never reason about
    /// half a file without knowing it.
    pub fn read_file(&self, rel: &str, max_bytes: u64) -> Result<String, WorkspaceError> {
        let path = self.resolve(rel)?;
        read_regular(&path, rel, max_bytes)
    }

    /// The text of `rel` at the base commit: `None` when the base has no
    /// such file (or it is not UTF-8, or larger than `max_bytes`).
    pub fn base_file(&self, rel: &str, max_bytes: u64) -> Result<Option<String>, WorkspaceError> {
        let spec = format!("{}:{rel}", self.base);
        let out = run(
            &self.root,
            &["cat-file", "blob", &spec],
            crate::git::GIT_TIMEOUT,
        )?;
        if !out.success || out.stdout.len() as u64 > max_bytes {
            return Ok(None);
        }
        Ok(String::from_utf8(out.stdout).ok())
    }

    /// Writes the base commit's tree into `dest` (an existing, empty
    /// directory) without touching the worktree, its index or the
    /// repository's: a private index is read from the base commit and
    /// checked out under `dest`.
    pub fn export_base(&self, dest: &Path) -> Result<(), WorkspaceError> {
        export_tree(&self.root, &self.base, dest)
    }

    /// Tracked and untracked-but-not-ignored files that exist as regular
    /// files, as sorted '/'-separated relative paths.
    pub fn list_files(&self) -> Result<Vec<String>, WorkspaceError> {
        list_files_in(&self.root)
    }

    /// Applies `edits` in order and reports one outcome per edit.
    ///
    /// Batch semantics: edits are independent, not all-or-nothing. First every
    /// edit's path and size are validated; then the edits that passed are
    /// applied in order, each checked against the current file state (so a
    /// `Replace` may follow a `Write` of the same file). An edit that fails
    /// any check writes nothing, and a successful write is atomic (temporary
    /// file in the same directory, fsync, rename), so no file is ever left
    /// half-written.
    pub fn apply_edits(&self, edits: &[FileEdit]) -> Vec<EditOutcome> {
        let validated: Vec<Result<PathBuf, String>> =
            edits.iter().map(|e| self.validate_edit(e)).collect();
        edits
            .iter()
            .zip(validated)
            .map(|(edit, valid)| {
                let path = edit.path().to_string();
                match valid.and_then(|abs| apply_one(edit, &abs)) {
                    Ok(()) => EditOutcome::Applied { path },
                    Err(reason) => EditOutcome::Rejected { path, reason },
                }
            })
            .collect()
    }

    fn validate_edit(&self, edit: &FileEdit) -> Result<PathBuf, String> {
        let abs = resolve_confined(&self.root, edit.path()).map_err(|e| e.to_string())?;
        match edit {
            FileEdit::Write { content, .. } if content.len() as u64 > MAX_EDIT_BYTES => {
                Err(format!(
                    "content is {} bytes, limit is {MAX_EDIT_BYTES}",
                    content.len()
                ))
            }
            FileEdit::Replace { old, .. } if old.is_empty() => {
                Err("replace: `old` is empty".to_string())
            }
            _ => Ok(abs),
        }
    }

    /// Unified diff of the worktree (committed or not, including new files)
    /// against the base commit. Stages everything in the worktree's own
    /// index, which belongs to coop alone.
    pub fn diff(&self) -> Result<String, WorkspaceError> {
        run_ok(&self.root, &["add", "--all"])?;
        let args = [
            "diff",
            "--cached",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            &self.base,
            "--",
        ];
        run_ok(&self.root, &args)?.stdout_str(&args)
    }

    /// Puts the worktree back exactly as it was at the base commit: every
    /// change undone, every file the run added (ignored ones too) removed.
    /// A run that starts a try over calls it; the change it throws away is
    /// kept with the verification that rejected it.
    pub fn reset_to_base(&self) -> Result<(), WorkspaceError> {
        run_ok(&self.root, &["reset", "--quiet", "--hard", &self.base])?;
        run_ok(&self.root, &["clean", "-q", "-f", "-f", "-d", "-x"])?;
        Ok(())
    }

    /// Paths (repository-relative) that exist in the worktree and differ
    /// from the base commit: added, modified, renamed-to. Deleted files are
    /// not listed.
    pub fn changed_files(&self) -> Result<Vec<String>, WorkspaceError> {
        run_ok(&self.root, &["add", "--all"])?;
        let args = [
            "diff",
            "--cached",
            "--name-only",
            "--no-renames",
            "--diff-filter=ACMRT",
            "-z",
            &self.base,
            "--",
        ];
        let out = run_ok(&self.root, &args)?.stdout_str(&args)?;
        Ok(out
            .split('\0')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect())
    }

    /// Commits every change in the worktree on the coop branch as
    /// `coop <coop@localhost>` and returns the new commit's sha.
    /// Fails with [`WorkspaceError::NothingToCommit`] when there is no change.
    pub fn commit(&self, message: &str) -> Result<String, WorkspaceError> {
        if message.trim().is_empty() {
            return Err(WorkspaceError::InvalidMessage("empty".to_string()));
        }
        if message.contains('\0') {
            return Err(WorkspaceError::InvalidMessage(
                "contains a NUL byte".to_string(),
            ));
        }
        run_ok(&self.root, &["add", "--all"])?;
        let staged = run(
            &self.root,
            &["diff", "--cached", "--quiet", "HEAD", "--"],
            crate::GIT_TIMEOUT,
        )?;
        if staged.success {
            return Err(WorkspaceError::NothingToCommit);
        }
        let author = format!("{} <{}>", crate::git::COOP_NAME, crate::git::COOP_EMAIL);
        run_ok(
            &self.root,
            &[
                "commit",
                "--quiet",
                "--no-verify",
                "--author",
                &author,
                "-m",
                message,
            ],
        )?;
        run_str(&self.root, &["rev-parse", "--verify", "HEAD^{commit}"])
    }

    /// Writes [`Worktree::diff`] to `path` atomically.
    pub fn write_patch(&self, path: impl AsRef<Path>) -> Result<(), WorkspaceError> {
        let diff = self.diff()?;
        let path = path.as_ref();
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        write_atomic_in(dir, path, diff.as_bytes(), None).map_err(|e| WorkspaceError::io(path, e))
    }

    /// Removes the worktree directory (and its administrative files) but
    /// keeps the branch, so the result stays reachable as `coop/<run-id>`.
    pub fn remove(&self) -> Result<(), WorkspaceError> {
        let path = self
            .root
            .to_str()
            .ok_or_else(|| WorkspaceError::NotUtf8(self.root.display().to_string()))?;
        run_ok(&self.repo_root, &["worktree", "remove", "--force", path])?;
        run_ok(&self.repo_root, &["worktree", "prune"])?;
        Ok(())
    }
}

/// Run ids become branch and directory names, so only a conservative
/// character set is allowed.
fn validate_run_id(id: &str) -> Result<(), WorkspaceError> {
    let bad = |reason: &str| {
        Err(WorkspaceError::InvalidRunId {
            id: id.to_string(),
            reason: reason.to_string(),
        })
    };
    if id.is_empty() || id.len() > 100 {
        return bad("must be 1 to 100 characters");
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return bad("only ASCII letters, digits, '-', '_' and '.' are allowed");
    }
    if id.starts_with(['.', '-']) || id.ends_with('.') || id.contains("..") || id.ends_with(".lock")
    {
        return bad("not a valid branch or directory name");
    }
    Ok(())
}

pub(crate) fn read_regular(
    path: &Path,
    rel: &str,
    max_bytes: u64,
) -> Result<String, WorkspaceError> {
    let meta = path
        .symlink_metadata()
        .map_err(|e| WorkspaceError::io(path, e))?;
    if !meta.is_file() {
        return Err(WorkspaceError::NotAFile(rel.to_string()));
    }
    if meta.len() > max_bytes {
        return Err(WorkspaceError::TooLarge {
            path: rel.to_string(),
            size: meta.len(),
            max: max_bytes,
        });
    }
    let bytes = fs::read(path).map_err(|e| WorkspaceError::io(path, e))?;
    // The file may have grown since the metadata call.
    if bytes.len() as u64 > max_bytes {
        return Err(WorkspaceError::TooLarge {
            path: rel.to_string(),
            size: bytes.len() as u64,
            max: max_bytes,
        });
    }
    String::from_utf8(bytes).map_err(|_| WorkspaceError::NotUtf8(rel.to_string()))
}

/// Applies one validated edit to `abs`. Errors are the rejection reason.
fn apply_one(edit: &FileEdit, abs: &Path) -> Result<(), String> {
    let existing = abs.symlink_metadata().ok();
    if let Some(meta) = &existing
        && !meta.is_file()
    {
        return Err("target exists and is not a regular file".to_string());
    }
    match edit {
        FileEdit::Write { content, .. } => write_file(abs, content.as_bytes(), existing.as_ref()),
        FileEdit::Replace { path, old, new } => {
            let Some(meta) = &existing else {
                return Err("file does not exist".to_string());
            };
            let current = read_regular(abs, path, MAX_EDIT_BYTES).map_err(|e| e.to_string())?;
            match current.matches(old.as_str()).count() {
                0 => Err("not found: `old` does not occur in the file".to_string()),
                1 => {
                    let updated = current.replacen(old.as_str(), new, 1);
                    if updated.len() as u64 > MAX_EDIT_BYTES {
                        return Err(format!(
                            "result is {} bytes, limit is {MAX_EDIT_BYTES}",
                            updated.len()
                        ));
                    }
                    write_file(abs, updated.as_bytes(), Some(meta))
                }
                n => Err(format!(
                    "{n} occurrences of `old`; it must occur exactly once"
                )),
            }
        }
        FileEdit::Delete { .. } => match existing {
            None => Err("file does not exist".to_string()),
            Some(_) => fs::remove_file(abs).map_err(|e| format!("delete failed: {e}")),
        },
    }
}

fn write_file(abs: &Path, bytes: &[u8], existing: Option<&fs::Metadata>) -> Result<(), String> {
    let dir = abs
        .parent()
        .ok_or_else(|| "path has no parent directory".to_string())?;
    fs::create_dir_all(dir).map_err(|e| format!("cannot create directory: {e}"))?;
    write_atomic_in(dir, abs, bytes, existing).map_err(|e| format!("write failed: {e}"))
}

/// Writes `bytes` to a temporary file in `dir`, fsyncs it and renames it over
/// `target`. Keeps the permissions of the file being replaced; new files get
/// 0644 instead of the temporary file's 0600.
fn write_atomic_in(
    dir: &Path,
    target: &Path,
    bytes: &[u8],
    existing: Option<&fs::Metadata>,
) -> io::Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".coop-tmp-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    match existing {
        Some(meta) => tmp.as_file().set_permissions(meta.permissions())?,
        None => set_new_file_permissions(tmp.as_file())?,
    }
    tmp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn set_new_file_permissions(file: &fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_new_file_permissions(_file: &fs::File) -> io::Result<()> {
    // Temporary files are already ordinary writable files off unix.
    Ok(())
}

/// Tracked and untracked-but-not-ignored regular files under `root`.
/// Writes commit `commit`'s tree into `dest` (an existing, empty
/// directory): a private index is read from the commit and checked out under
/// `dest`, so neither a work tree nor a repository index is touched.
fn export_tree(root: &Path, commit: &str, dest: &Path) -> Result<(), WorkspaceError> {
    let scratch = tempfile::tempdir().map_err(|e| WorkspaceError::io(dest, e))?;
    let index = scratch.path().join("index");
    let index_arg = format!("--index-output={}", index.display());
    run_ok(root, &["read-tree", &index_arg, commit])?;
    let prefix = format!("{}/", dest.display());
    let prefix_arg = format!("--prefix={prefix}");
    let args = ["checkout-index", "--all", "--force", &prefix_arg];
    let out = crate::git::run_env(
        root,
        &args,
        &[("GIT_INDEX_FILE", index.as_os_str())],
        crate::git::GIT_TIMEOUT,
    )?;
    if !out.success {
        return Err(WorkspaceError::Git {
            args: args.join(" "),
            status: out.status,
            stderr: out.stderr,
        });
    }
    Ok(())
}

pub(crate) fn list_files_in(root: &Path) -> Result<Vec<String>, WorkspaceError> {
    let args = [
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ];
    let out = run_ok(root, &args)?.stdout_str(&args)?;
    let mut files: Vec<String> = out
        .split('\0')
        .filter(|p| !p.is_empty())
        // A name with no canonical form (a newline, an escape sequence, a
        // bidirectional override) would reach prompts, where it could close
        // the data fence around repository text or redraw a terminal; such
        // a file is not shown to plugins at all (and no edit can name it).
        .filter(|p| coop_core::path::canonical_path(p).as_deref() == Ok(*p))
        // `--cached` still lists files deleted from the work tree, and
        // tracked symlinks are not files an agent may read.
        .filter(|p| {
            root.join(p)
                .symlink_metadata()
                .map(|m| m.is_file())
                .unwrap_or(false)
        })
        .map(str::to_string)
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}
