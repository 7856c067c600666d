//! Helpers for end-to-end tests: locate the built `coop` binary and plugins,
//! make throw-away Go repositories from the examples, run commands with a
//! scrubbed environment, and fail loudly when a prerequisite is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (the workspace directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The `coop` binary built next to this test binary (target/<profile>/coop),
/// or `$COOP_BIN`.
pub fn coop_bin() -> PathBuf {
    if let Ok(p) = std::env::var("COOP_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    // target/<profile>/deps/e2e-<hash> -> target/<profile>/coop
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("coop"))
        .unwrap_or_default();
    assert!(
        bin.is_file(),
        "the coop binary is missing at {}: build it first (`cargo build -p coop-cli`, done by tests/run.sh)",
        bin.display()
    );
    bin
}

/// Directory of the built plugin components.
pub fn plugin_dir() -> PathBuf {
    let d = std::env::var("COOP_PLUGIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target/plugins"));
    for n in [
        "router",
        "architect",
        "implementer",
        "reviewer",
        "navigator",
    ] {
        assert!(
            d.join(format!("{n}.wasm")).is_file(),
            "plugin {n}.wasm is missing in {}: build the plugins first (plugins/build.sh, done by tests/run.sh)",
            d.display()
        );
    }
    d
}

/// Panics with a clear message when Docker or the verification image is
/// missing: these tests never skip silently.
pub fn require_docker() {
    let out = Command::new("docker")
        .args(["image", "inspect", coop_sandbox::DEFAULT_IMAGE])
        .output();
    match out {
        Err(e) => panic!("these tests need Docker, but the docker CLI could not run: {e}"),
        Ok(o) if !o.status.success() => panic!(
            "these tests need Docker and the image {}: {}\nbuild it with sandbox/build-image.sh (done by tests/run.sh)",
            coop_sandbox::DEFAULT_IMAGE,
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Ok(_) => {}
    }
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@localhost",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e}"));
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Stage everything in `dir` and commit it (the identity is [`git`]'s).
pub fn commit_all(dir: &Path, msg: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
}

/// Copy a directory tree (regular files and directories only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("mkdir {}: {e}", to.display()));
    for entry in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("read {}: {e}", from.display()))
        .flatten()
    {
        let p = entry.path();
        let t = to.join(entry.file_name());
        if p.is_dir() {
            copy_tree(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap_or_else(|e| panic!("copy {}: {e}", p.display()));
        }
    }
}

/// A throw-away git repository holding an example's fixture module.
pub struct ExampleRepo {
    pub dir: tempfile::TempDir,
    pub example: PathBuf,
}

impl ExampleRepo {
    pub fn new(example: &str) -> ExampleRepo {
        let example = repo_root().join("examples").join(example);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        copy_tree(&example.join("repo"), dir.path());
        git(dir.path(), &["init", "-q", "-b", "main"]);
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-q", "-m", "fixture"]);
        ExampleRepo { dir, example }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn task(&self) -> String {
        std::fs::read_to_string(self.example.join("task.md"))
            .unwrap_or_else(|e| panic!("task.md: {e}"))
    }
}

/// `coop run --solo --json` on an example repository against a model
/// server, with `config` (TOML) as the configuration file when given:
/// the exit code and the JSON summary.
pub fn run_solo(
    repo: &ExampleRepo,
    base_url: &str,
    config: Option<&str>,
) -> (Option<i32>, serde_json::Value) {
    let cfg = repo.path().join("coop-test.toml");
    let mut args: Vec<String> = Vec::new();
    if let Some(text) = config {
        std::fs::write(&cfg, text).unwrap_or_else(|e| panic!("config: {e}"));
        args.extend(["--config".into(), cfg.to_string_lossy().into_owned()]);
    }
    args.extend(
        ["run", "--solo", "--json", "--repo"]
            .iter()
            .map(|a| a.to_string()),
    );
    args.extend([
        repo.path().to_string_lossy().into_owned(),
        "--base-url".into(),
        base_url.into(),
        repo.task(),
    ]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_coop(&argv, repo.path());
    let summary = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "summary is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), summary)
}

/// Run `coop` with a scrubbed environment (no API keys, no proxies).
pub fn run_coop(args: &[&str], cwd: &Path) -> Output {
    run_coop_env(args, cwd, &[])
}

/// [`run_coop`] with extra environment variables (e.g. a fake API key).
pub fn run_coop_env(args: &[&str], cwd: &Path, envs: &[(&str, &str)]) -> Output {
    let out = Command::new(coop_bin())
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(envs.iter().copied())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "HOME",
            std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
        )
        .env("COOP_PLUGIN_DIR", plugin_dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run coop: {e}"));
    let mut roots = vec![cwd.to_path_buf()];
    for w in args.windows(2) {
        if w[0] == "--repo" || w[0] == "--report" {
            roots.push(PathBuf::from(w[1]));
        }
    }
    archive_runs(&roots);
    eprintln!(
        "--- coop {args:?} exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Where the suite keeps a copy of what every run wrote (`COOP_E2E_ARCHIVE`,
/// set by tests/run.sh), for the secret sweep that runs after the suite
/// (tests/sweep): the runs' own directories live in temporary directories
/// that are gone by then.
pub fn archive_dir() -> Option<PathBuf> {
    std::env::var_os("COOP_E2E_ARCHIVE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Copy the audit logs, model records, recordings, handoffs and artifacts
/// of every run under `roots` (their `.coop/runs`, and bench reports'
/// `work/*/repo/.coop/runs`) into the archive, when one is set.
pub fn archive_runs(roots: &[PathBuf]) {
    let Some(archive) = archive_dir() else { return };
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let mut stack: Vec<PathBuf> = roots.to_vec();
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            // Worktrees hold the user's repository (with its planted
            // secrets), not what a run wrote.
            if name == "worktrees" || name == ".git" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if p.components().any(|c| c.as_os_str() == "runs") {
                let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let to = archive.join(format!("{}-{n}-{name}", std::process::id()));
                if std::fs::create_dir_all(&archive).is_ok() {
                    let _ = std::fs::copy(&p, to);
                }
            }
        }
    }
}
