//! Running the `git` CLI with a timeout and a controlled environment.

use crate::error::WorkspaceError;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Upper bound for any single git invocation. Generous because `worktree add`
/// on a large repository checks out every file.
pub const GIT_TIMEOUT: Duration = Duration::from_secs(300);

/// Identity used for coop commits; passed explicitly so commits work on
/// machines without any git configuration.
pub(crate) const COOP_NAME: &str = "coop";
pub(crate) const COOP_EMAIL: &str = "coop@localhost";

/// Output of a finished git command.
pub(crate) struct GitOutput {
    pub success: bool,
    pub status: String,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl GitOutput {
    pub fn stdout_str(&self, args: &[&str]) -> Result<String, WorkspaceError> {
        String::from_utf8(self.stdout.clone())
            .map_err(|_| WorkspaceError::GitOutput(args.join(" ")))
    }
}

fn base_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir);
    // Variables inherited from an enclosing git process (e.g. when coop runs
    // from a hook) would redirect every command to another repository.
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_CEILING_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
    ] {
        cmd.env_remove(var);
    }
    // Stable, parseable messages and never an interactive prompt or pager.
    cmd.env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_PAGER", "cat")
        .env("GIT_AUTHOR_NAME", COOP_NAME)
        .env("GIT_AUTHOR_EMAIL", COOP_EMAIL)
        .env("GIT_COMMITTER_NAME", COOP_NAME)
        .env("GIT_COMMITTER_EMAIL", COOP_EMAIL);
    // User hooks are arbitrary code; coop must not run them on model output,
    // and signing would prompt for keys.
    cmd.args([
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "core.quotePath=false",
    ]);
    cmd
}

/// Runs `git args` in `dir`, returning the output whatever the exit status.
pub(crate) fn run(
    dir: &Path,
    args: &[&str],
    timeout: Duration,
) -> Result<GitOutput, WorkspaceError> {
    run_env(dir, args, &[], timeout)
}

/// [`run`] with extra environment variables (set after the ones
/// [`base_command`] removes, so `GIT_INDEX_FILE` can name a private index).
pub(crate) fn run_env(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
    timeout: Duration,
) -> Result<GitOutput, WorkspaceError> {
    let mut cmd = base_command(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(WorkspaceError::GitSpawn)?;

    // Drain both pipes on threads: a child blocked on a full pipe would
    // otherwise never exit and always hit the timeout.
    let out_thread = child.stdout.take().map(|mut s| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf);
            buf
        })
    });
    let err_thread = child.stderr.take().map(|mut s| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf);
            buf
        })
    });

    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait().map_err(WorkspaceError::GitSpawn)? {
            Some(status) => break status,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(WorkspaceError::GitTimeout {
                    args: args.join(" "),
                    timeout,
                });
            }
            None => thread::sleep(Duration::from_millis(5)),
        }
    };
    let stdout = out_thread.and_then(|t| t.join().ok()).unwrap_or_default();
    let stderr = err_thread.and_then(|t| t.join().ok()).unwrap_or_default();
    Ok(GitOutput {
        success: status.success(),
        status: status.to_string(),
        stdout,
        stderr: String::from_utf8_lossy(&stderr).trim().to_string(),
    })
}

/// Runs `git args` in `dir` and fails unless it exits successfully.
pub(crate) fn run_ok(dir: &Path, args: &[&str]) -> Result<GitOutput, WorkspaceError> {
    let out = run(dir, args, GIT_TIMEOUT)?;
    if out.success {
        Ok(out)
    } else {
        Err(WorkspaceError::Git {
            args: args.join(" "),
            status: out.status,
            stderr: out.stderr,
        })
    }
}

/// Runs `git args` in `dir` and returns trimmed stdout.
pub(crate) fn run_str(dir: &Path, args: &[&str]) -> Result<String, WorkspaceError> {
    Ok(run_ok(dir, args)?.stdout_str(args)?.trim().to_string())
}
