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
    pub status_code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl GitOutput {
    pub fn stdout_str(&self, args: &[&str]) -> Result<String, WorkspaceError> {
        String::from_utf8(self.stdout.clone())
            .map_err(|_| WorkspaceError::GitOutput(args.join(" ")))
    }
}

/// Configuration coop sets on every git invocation, above any file the
/// repository (or the user) controls. Each entry stops git from running a
/// program it would otherwise take from configuration:
/// - hooks (`core.hooksPath`): arbitrary code, and coop must not run them on
///   model output;
/// - the file-system monitor (`core.fsmonitor`): a command git runs on every
///   index refresh (`status`, `add`, `worktree add`, `commit`);
/// - every remote transport (`protocol.allow`), so no lazy fetch of a
///   partial clone and no submodule clone runs `ssh`, `core.sshCommand`,
///   `core.gitProxy`, a credential helper or `ext::` commands; coop never
///   needs the network for what it does;
/// - submodule recursion, automatic gc and maintenance: child processes coop
///   does not need;
/// - signing, which would run `gpg.program` and prompt for keys.
///
/// `core.quotePath=false` keeps non-ASCII paths readable in output.
const FIXED_CONFIG: &[(&str, &str)] = &[
    ("core.hooksPath", "/dev/null"),
    ("core.fsmonitor", "false"),
    ("protocol.allow", "never"),
    ("submodule.recurse", "false"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("commit.gpgsign", "false"),
    ("tag.gpgsign", "false"),
    ("core.quotePath", "false"),
];

/// What git reads from configuration that names a driver by a free-form
/// name: `filter.<name>.clean|smudge|process` (content filters such as Git
/// LFS, selected by `.gitattributes`, which the repository controls) and
/// `protocol.<name>.allow` (a per-protocol exception to `protocol.allow`).
const NAMED_SECTIONS_REGEX: &str = r"^(filter|protocol)\.";

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
        "GIT_EXTERNAL_DIFF",
    ] {
        cmd.env_remove(var);
    }
    // Command-scope configuration is coop's alone (see [`neutralising_config`]):
    // an inherited `GIT_CONFIG_PARAMETERS` would be read after coop's
    // `GIT_CONFIG_COUNT` entries and could turn a driver back on.
    for (var, _) in std::env::vars_os() {
        let name = var.to_string_lossy();
        if name == "GIT_CONFIG_PARAMETERS"
            || name == "GIT_CONFIG_COUNT"
            || name.starts_with("GIT_CONFIG_KEY_")
            || name.starts_with("GIT_CONFIG_VALUE_")
        {
            cmd.env_remove(&var);
        }
    }
    // Stable, parseable messages and never an interactive prompt or pager.
    cmd.env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_PAGER", "cat")
        .env("GIT_AUTHOR_NAME", COOP_NAME)
        .env("GIT_AUTHOR_EMAIL", COOP_EMAIL)
        .env("GIT_COMMITTER_NAME", COOP_NAME)
        .env("GIT_COMMITTER_EMAIL", COOP_EMAIL);
    cmd
}

/// The configuration that disables every program git could take from the
/// configuration `git` would read in `dir`: [`FIXED_CONFIG`], plus, for each
/// filter name configured anywhere (system, global, repository, worktree,
/// includes), an empty `clean`, `smudge` and `process` and `required=false`
/// (an empty command is no command: the content passes through unchanged),
/// and `never` for each per-protocol exception.
///
/// Filter names are free-form, so they cannot be listed in advance; they
/// are read with `git config --get-regexp` under the same environment as the
/// command itself, so the list is exactly what that command would see.
/// (Diff drivers, `diff.<name>.command|textconv` and `diff.external`, cannot
/// be emptied this way: an empty command is an error there. Coop's content
/// diffs pass `--no-ext-diff --no-textconv`, and its other diffs, `--quiet`
/// and `--name-only`, never run a driver.)
fn neutralising_config(
    dir: &Path,
    timeout: Duration,
) -> Result<Vec<(String, String)>, WorkspaceError> {
    let args = [
        "config",
        "--null",
        "--name-only",
        "--get-regexp",
        NAMED_SECTIONS_REGEX,
    ];
    let mut cmd = base_command(dir);
    cmd.args(args);
    let out = collect(cmd, &args, timeout)?;
    let mut config: Vec<(String, String)> = FIXED_CONFIG
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    // Exit status 1: no such key anywhere, nothing to neutralise.
    if !out.success && out.status_code != Some(1) {
        return Err(WorkspaceError::Git {
            args: args.join(" "),
            status: out.status,
            stderr: out.stderr,
        });
    }
    // A name that is not UTF-8 cannot be lost to lossy decoding (the
    // override would then name another filter): such a configuration is
    // refused instead.
    let keys = String::from_utf8(out.stdout).map_err(|_| {
        WorkspaceError::GitOutput(format!(
            "{}: a filter or protocol name in the git configuration is not UTF-8",
            args.join(" ")
        ))
    })?;
    for key in keys.split('\0').filter(|k| !k.is_empty()) {
        // Section and variable names come back lower-cased; the name in
        // between (the subsection) keeps its spelling and may contain dots.
        let Some((section, rest)) = key.split_once('.') else {
            continue;
        };
        let Some((name, _variable)) = rest.rsplit_once('.') else {
            continue;
        };
        match section {
            "filter" => {
                for (var, value) in [
                    ("clean", ""),
                    ("smudge", ""),
                    ("process", ""),
                    ("required", "false"),
                ] {
                    config.push((format!("filter.{name}.{var}"), value.to_string()));
                }
            }
            "protocol" => config.push((format!("protocol.{name}.allow"), "never".to_string())),
            _ => {}
        }
    }
    config.sort();
    config.dedup();
    Ok(config)
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
    // Set through GIT_CONFIG_COUNT/KEY/VALUE rather than `-c`: a key is
    // never re-parsed there, so a filter name containing `=` stays one key.
    let config = neutralising_config(dir, timeout)?;
    let mut cmd = base_command(dir);
    cmd.env("GIT_CONFIG_COUNT", config.len().to_string());
    for (i, (key, value)) in config.iter().enumerate() {
        cmd.env(format!("GIT_CONFIG_KEY_{i}"), key)
            .env(format!("GIT_CONFIG_VALUE_{i}"), value);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args);
    collect(cmd, args, timeout)
}

/// Runs `cmd` (stdin closed) to completion or `timeout`, collecting its output.
fn collect(
    mut cmd: Command,
    args: &[&str],
    timeout: Duration,
) -> Result<GitOutput, WorkspaceError> {
    let mut child = cmd
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
        status_code: status.code(),
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
