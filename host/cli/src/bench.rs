//! `coop bench`: run the benchmark tasks of `examples/` in solo and mob
//! mode, check each result with the task's hidden acceptance tests in the
//! sandbox, and write the report (JSON, Markdown, HTML).
//!
//! Each (task, mode) gets a fresh copy of the task's `repo/` as a git
//! repository under `<report>/work/`, and a normal `coop run` on it, so its
//! run directory (audit log, handoffs, recordings) stays inspectable. After
//! each run its row is appended to `<report>/results.jsonl` (synced), which
//! is what `--resume` continues from.
//!
//! `--record-set DIR` keeps every run's model recording as a replay set;
//! `--replay-set DIR` serves every model call from such a set (strict
//! request matching) and checks that each run reproduces its recorded
//! outcome, patch and figures.

use crate::config::Config;
use crate::run::{self, RunOptions, RunSummary, SetupError};
use anyhow::{Context, Result, bail};
use coop_bench::{
    BENCH_FORMAT, Meta, Report, RoleFigures, Row, compare_all, render_html, render_markdown,
};
use coop_core::workflow::Mode;
use coop_core::{StepStatus, TestStatus, VerifyStep};
use coop_providers::CancellationToken;
use coop_sandbox::{Sandbox, SandboxConfig};
use futures_util::StreamExt;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as Proc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct BenchOptions {
    pub examples: PathBuf,
    pub modes: Vec<Mode>,
    /// Task filters: a task runs when its id equals a filter or starts with
    /// `filter-` (so `07` selects `07-...`). Empty: all tasks.
    pub tasks: Vec<String>,
    pub report: PathBuf,
    pub config: Config,
    pub plugin_dir: PathBuf,
    pub resume: bool,
    pub record_set: Option<PathBuf>,
    pub replay_set: Option<PathBuf>,
    pub label: Option<String>,
    /// How many runs at once (replays: overlap Docker time; live: keep 1).
    pub jobs: usize,
}

/// One benchmark task as found under `examples/`.
#[derive(Debug, Clone)]
pub struct TaskSpec {
    pub id: String,
    pub dir: PathBuf,
    pub text: String,
    pub expected_type: String,
    /// Risky-action classes the task's author pre-approves (expected.json
    /// `allow`): a benchmark run is non-interactive, so anything else risky
    /// is refused, as it would be for any unattended run.
    pub allow: Vec<String>,
}

#[derive(Deserialize)]
struct Expected {
    #[serde(rename = "type")]
    task_type: String,
    #[serde(default)]
    allow: Vec<String>,
}

pub fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Mob => "mob",
        Mode::Solo => "solo",
    }
}

pub fn parse_modes(s: &str) -> Result<Vec<Mode>, SetupError> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let m = match part {
            "mob" => Mode::Mob,
            "solo" => Mode::Solo,
            other => {
                return Err(SetupError::BadInput(format!(
                    "unknown mode `{other}` (solo, mob)"
                )));
            }
        };
        if !out.contains(&m) {
            out.push(m);
        }
    }
    if out.is_empty() {
        return Err(SetupError::BadInput("--modes lists no mode".into()));
    }
    Ok(out)
}

fn selected(id: &str, filters: &[String]) -> bool {
    filters.is_empty()
        || filters
            .iter()
            .any(|f| id == f || id.starts_with(&format!("{f}-")))
}

/// The tasks under `examples`: directories named `NN-...` holding task.md,
/// expected.json, repo/ and acceptance/, in name order.
pub fn discover(examples: &Path, filters: &[String]) -> Result<Vec<TaskSpec>> {
    let entries = std::fs::read_dir(examples)
        .map_err(|e| SetupError::BadInput(format!("cannot read {}: {e}", examples.display())))?;
    let mut out = Vec::new();
    for e in entries {
        let e = e?;
        let id = e.file_name().to_string_lossy().to_string();
        let b = id.as_bytes();
        if !(b.len() > 3
            && b[0].is_ascii_digit()
            && b[1].is_ascii_digit()
            && b[2] == b'-'
            && e.path().is_dir())
        {
            continue;
        }
        if !selected(&id, filters) {
            continue;
        }
        let dir = e.path();
        for need in ["task.md", "expected.json", "repo", "acceptance"] {
            if !dir.join(need).exists() {
                return Err(SetupError::BadInput(format!("task {id} has no {need}")).into());
            }
        }
        let text = std::fs::read_to_string(dir.join("task.md"))?;
        let exp: Expected =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json"))?)
                .map_err(|e| SetupError::BadInput(format!("{id}/expected.json: {e}")))?;
        coop_guard::AllowSet::parse(&exp.allow)
            .map_err(|e| SetupError::BadInput(format!("{id}/expected.json allow: {e}")))?;
        out.push(TaskSpec {
            id,
            dir,
            text,
            expected_type: exp.task_type,
            allow: exp.allow,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    if out.is_empty() {
        return Err(SetupError::BadInput(format!(
            "no benchmark task{} under {}",
            if filters.is_empty() {
                String::new()
            } else {
                format!(" matching {}", filters.join(","))
            },
            examples.display()
        ))
        .into());
    }
    if let Some(f) = filters
        .iter()
        .find(|f| !out.iter().any(|t| selected(&t.id, std::slice::from_ref(f))))
    {
        return Err(SetupError::BadInput(format!("no task matches `{f}`")).into());
    }
    Ok(out)
}

/// Copy a directory tree (regular files and directories; symlinks are
/// skipped, fixtures have none).
pub fn copy_tree(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dst)?;
    for e in std::fs::read_dir(src)? {
        let e = e?;
        let ft = e.file_type()?;
        let to = dst.join(e.file_name());
        if ft.is_dir() {
            copy_tree(&e.path(), &to)?;
        } else if ft.is_file() {
            std::fs::copy(e.path(), &to)?;
        }
    }
    Ok(())
}

fn git(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<String> {
    let out = Proc::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .with_context(|| format!("cannot run git {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Fixed identity and dates, so the fixture commit is the same commit every
/// time (a recorded run replays on an identical repository).
const FIXTURE_ENV: [(&str, &str); 6] = [
    ("GIT_AUTHOR_NAME", "coop bench"),
    ("GIT_AUTHOR_EMAIL", "bench@localhost"),
    ("GIT_COMMITTER_NAME", "coop bench"),
    ("GIT_COMMITTER_EMAIL", "bench@localhost"),
    ("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z"),
    ("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z"),
];

/// A fresh git repository holding the task's `repo/`, one commit on main.
pub fn prepare_repo(task: &TaskSpec, dst: &Path) -> Result<()> {
    if dst.exists() {
        std::fs::remove_dir_all(dst).with_context(|| format!("cannot clear {}", dst.display()))?;
    }
    copy_tree(&task.dir.join("repo"), dst)
        .with_context(|| format!("cannot copy {}/repo", task.id))?;
    git(dst, &["init", "-q", "-b", "main"], &FIXTURE_ENV)?;
    git(dst, &["add", "-A"], &FIXTURE_ENV)?;
    git(
        dst,
        &[
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "-m",
            "fixture",
        ],
        &FIXTURE_ENV,
    )?;
    Ok(())
}

/// Check the run's result with the task's hidden acceptance tests: the tree
/// at `rev` plus `acceptance/`, verified in the sandbox. Passing is go vet,
/// go build and go test passing (formatting is the run's business, not the
/// task's). Returns what failed, empty when it passed. The tree is checked
/// whatever the run's outcome, so that a rejected run whose tree passes is
/// seen (the row counts it apart from successes).
async fn acceptance(
    sandbox: &Sandbox,
    task: &TaskSpec,
    repo: &Path,
    rev: &str,
    dst: &Path,
) -> Result<Vec<String>> {
    if dst.exists() {
        std::fs::remove_dir_all(dst)?;
    }
    std::fs::create_dir_all(dst)?;
    let index = dst.with_extension("index");
    let dst_s = dst.to_string_lossy().to_string();
    let index_s = index.to_string_lossy().to_string();
    // A separate index file leaves the repository's own index alone.
    git(
        repo,
        &[&format!("--work-tree={dst_s}"), "checkout", rev, "--", "."],
        &[("GIT_INDEX_FILE", index_s.as_str())],
    )?;
    let _ = std::fs::remove_file(&index);
    copy_tree(&task.dir.join("acceptance"), dst)?;
    let report = sandbox.verify(dst).await?;
    let mut failures = Vec::new();
    for s in &report.steps {
        if s.step != VerifyStep::Gofmt && s.status != StepStatus::Passed {
            failures.push(format!("{} {:?}", s.step.as_str(), s.status).to_lowercase());
        }
    }
    for p in &report.packages {
        for t in p.tests.iter().filter(|t| t.status == TestStatus::Fail) {
            failures.push(format!("{} {}", p.package, t.name));
        }
    }
    Ok(failures)
}

fn row_from(task: &TaskSpec, mode: Mode, s: &RunSummary, report_dir: &Path) -> Row {
    let per_role: BTreeMap<String, RoleFigures> = s
        .per_role
        .iter()
        .filter(|(_, st)| st.calls > 0 || st.steps > 0)
        .map(|(role, st)| {
            (
                role.clone(),
                RoleFigures {
                    calls: st.calls,
                    tokens_in: st.usage.input_tokens
                        + st.usage.cached_input_tokens
                        + st.usage.cache_creation_input_tokens,
                    tokens_out: st.usage.output_tokens,
                    cost_usd: st.cost_usd,
                    model_ms: st.model_ms,
                },
            )
        })
        .collect();
    Row {
        task: task.id.clone(),
        mode: mode_name(mode).into(),
        expected_type: task.expected_type.clone(),
        // Solo follows no routing, so routing is judged on mob runs only.
        routed_type: match mode {
            Mode::Mob => s.routing.as_ref().map(|d| d.task_type.as_str().to_string()),
            Mode::Solo => None,
        },
        outcome: s.outcome.as_str().into(),
        exit_code: s.exit_code,
        reason: s.reason.clone(),
        // Set by the acceptance check that follows.
        acceptance_passed: false,
        acceptance_failures: Vec::new(),
        time_ms: s.timing_ms.total,
        model_ms: s.timing_ms.model,
        docker_ms: s.timing_ms.docker,
        per_role,
        revision_cycles: s.review_loops,
        escalated: s.outcome == coop_core::Outcome::Escalated,
        roles_ran: s.roles_ran.clone(),
        patch_sha256: s.patch_sha256.clone(),
        run_dir: Path::new(&s.run_dir)
            .strip_prefix(report_dir)
            .ok()
            .map(|p| p.display().to_string()),
    }
}

fn error_row(task: &TaskSpec, mode: Mode, err: &anyhow::Error, time_ms: u64) -> Row {
    Row {
        task: task.id.clone(),
        mode: mode_name(mode).into(),
        expected_type: task.expected_type.clone(),
        routed_type: None,
        outcome: "error".into(),
        exit_code: coop_core::Outcome::InternalError.code(),
        reason: format!("{err:#}"),
        acceptance_passed: false,
        acceptance_failures: vec!["the run did not start".into()],
        time_ms,
        model_ms: 0,
        docker_ms: 0,
        per_role: BTreeMap::new(),
        revision_cycles: 0,
        escalated: false,
        roles_ran: Vec::new(),
        patch_sha256: None,
        run_dir: None,
    }
}

/// Rows already in `results.jsonl`; a torn last line (a crash mid-write)
/// is ignored, so that run is simply done again.
pub fn load_results(path: &Path) -> Result<Vec<Row>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut rows = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        match serde_json::from_str::<Row>(l) {
            Ok(r) => rows.push(r),
            Err(_) if i + 1 == lines.len() => {
                tracing::warn!("ignoring a torn last line of {}", path.display())
            }
            Err(e) => bail!("{} line {}: {e}", path.display(), i + 1),
        }
    }
    Ok(rows)
}

fn append_result(path: &Path, row: &Row) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut line = serde_json::to_string(row)?;
    line.push('\n');
    f.write_all(line.as_bytes())?;
    f.sync_data()?;
    Ok(())
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Where a set keeps the recording of one run.
pub fn set_recording(set: &Path, task: &str, mode: &str) -> PathBuf {
    set.join(task).join(format!("{mode}.recording.json"))
}

/// Prints progress lines: which task of how many, which step, elapsed time;
/// and a "still running" line every 30 s while a step lasts.
struct Ticker {
    state: Arc<Mutex<(String, Instant)>>,
    handle: tokio::task::JoinHandle<()>,
}

impl Ticker {
    fn start(prefix: String) -> Ticker {
        let state = Arc::new(Mutex::new((String::from("starting"), Instant::now())));
        let st = state.clone();
        let t0 = Instant::now();
        let handle = tokio::spawn(async move {
            let mut iv = tokio::time::interval(Duration::from_secs(30));
            iv.tick().await;
            loop {
                iv.tick().await;
                let (step, since) = st
                    .lock()
                    .map(|g| g.clone())
                    .unwrap_or_else(|e| e.into_inner().clone());
                eprintln!(
                    "{prefix}: still in {step} ({:.0} s in this step, {:.0} s in this run)",
                    since.elapsed().as_secs_f64(),
                    t0.elapsed().as_secs_f64()
                );
            }
        });
        Ticker { state, handle }
    }

    fn progress(&self, prefix: String) -> run::Progress {
        let st = self.state.clone();
        let t0 = Instant::now();
        Arc::new(move |step: &str| {
            eprintln!("{prefix}: {step} (t+{:.0} s)", t0.elapsed().as_secs_f64());
            if let Ok(mut g) = st.lock() {
                *g = (step.to_string(), Instant::now());
            }
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// What `coop bench` ends with.
pub struct BenchResult {
    pub report: Report,
    pub report_dir: PathBuf,
    /// The recorded report, when replaying a set.
    pub recorded: Option<Report>,
    pub interrupted: bool,
}

pub async fn bench(opts: BenchOptions) -> Result<BenchResult> {
    let mut tasks = discover(&opts.examples, &opts.tasks)?;
    if opts.record_set.is_some() && opts.replay_set.is_some() {
        return Err(SetupError::BadInput(
            "--record-set and --replay-set exclude each other".into(),
        )
        .into());
    }
    let recorded: Option<Report> = match &opts.replay_set {
        Some(set) => {
            let p = set.join("bench.json");
            let text = std::fs::read_to_string(&p).map_err(|e| {
                SetupError::BadInput(format!("cannot read the replay set's {}: {e}", p.display()))
            })?;
            let mut rec: Report = serde_json::from_str(&text)
                .map_err(|e| SetupError::BadInput(format!("{}: {e}", p.display())))?;
            // A set recorded by an older coop carries figures computed with
            // the old success; printed next to this replay's, they must mean
            // the same thing.
            rec.resummarize();
            Some(rec)
        }
        None => None,
    };
    if let (Some(rec), true) = (&recorded, opts.tasks.is_empty()) {
        // Without --tasks, a replay covers the tasks the set recorded.
        tasks.retain(|t| rec.rows.iter().any(|r| r.task == t.id));
    }
    std::fs::create_dir_all(&opts.report)
        .with_context(|| format!("cannot create {}", opts.report.display()))?;
    let report_dir = opts.report.canonicalize()?;
    let results = report_dir.join("results.jsonl");
    let mut rows = if opts.resume {
        load_results(&results)?
    } else {
        Vec::new()
    };
    if !opts.resume && results.exists() && std::fs::metadata(&results)?.len() > 0 {
        return Err(SetupError::BadInput(format!(
            "{} holds results of an earlier bench; continue it with --resume, or choose another --report directory",
            results.display()
        ))
        .into());
    }
    if let Some(set) = &opts.record_set {
        std::fs::create_dir_all(set)?;
    }

    let sandbox = Sandbox::connect(SandboxConfig {
        image: opts.config.sandbox.image.clone(),
        timeout: Duration::from_secs(opts.config.sandbox.timeout_secs),
        // Secret files a model may be sent anyway need no hiding from tests.
        mask_secret_files: !opts.config.run.send_secret_files,
        match_go_version: opts.config.sandbox.match_go_version,
        build_missing_images: opts.config.sandbox.build_images,
        ..SandboxConfig::default()
    })
    .await?;
    sandbox.ensure_image().await?;

    let cancel = CancellationToken::new();
    {
        let c = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                c.cancel();
            }
        });
    }

    let jobs: Vec<(&TaskSpec, Mode)> = tasks
        .iter()
        .flat_map(|t| opts.modes.iter().map(move |m| (t, *m)))
        .collect();
    let n = jobs.len();
    let mut pending = Vec::new();
    for (i, (task, mode)) in jobs.iter().enumerate() {
        let mname = mode_name(*mode);
        if rows.iter().any(|r| r.task == task.id && r.mode == mname) {
            eprintln!(
                "[{}/{n}] {} {mname}: done earlier (resumed)",
                i + 1,
                task.id
            );
            continue;
        }
        if let (Some(rec), true) = (&recorded, opts.tasks.is_empty()) {
            // A set recorded mode by mode may hold one mode of a task only;
            // without --tasks a replay covers exactly the runs it recorded.
            if !rec
                .rows
                .iter()
                .any(|r| r.task == task.id && r.mode == mname)
            {
                eprintln!(
                    "[{}/{n}] {} {mname}: not in the replay set (skipped)",
                    i + 1,
                    task.id
                );
                continue;
            }
        }
        let replay = match &opts.replay_set {
            Some(set) => {
                let p = set_recording(set, &task.id, mname);
                if !p.exists() {
                    return Err(SetupError::BadInput(format!(
                        "the replay set has no recording {}",
                        p.display()
                    ))
                    .into());
                }
                Some(p)
            }
            None => None,
        };
        pending.push(Job {
            index: i + 1,
            total: n,
            task: (*task).clone(),
            mode: *mode,
            replay,
        });
    }
    let ctx = JobCtx {
        opts: &opts,
        report_dir: &report_dir,
        sandbox: &sandbox,
        cancel: &cancel,
        results: &results,
    };
    // Runs are independent (own repository copy, own run directory), so a
    // replay can overlap one run's Docker time with another's; live benches
    // keep --jobs 1 so that times are not inflated by queueing at the model.
    let outcomes: Vec<Result<Option<Row>>> =
        futures_util::stream::iter(pending.into_iter().map(|job| run_job(&ctx, job)))
            .buffer_unordered(opts.jobs.max(1))
            .collect()
            .await;
    let mut interrupted = false;
    for o in outcomes {
        match o? {
            Some(row) => rows.push(row),
            None => interrupted = true,
        }
    }

    // Rows in task order, modes in the order asked for.
    let order = |r: &Row| {
        (
            r.task.clone(),
            opts.modes
                .iter()
                .position(|m| mode_name(*m) == r.mode)
                .unwrap_or(usize::MAX),
        )
    };
    rows.retain(|r| {
        tasks.iter().any(|t| t.id == r.task) && opts.modes.iter().any(|m| mode_name(*m) == r.mode)
    });
    rows.sort_by_key(order);
    let models = match (&opts.replay_set, &recorded) {
        (Some(set), Some(rec)) => format!("replay of {} ({})", set.display(), rec.meta.models),
        _ => describe_models(&opts.config),
    };
    let meta = Meta {
        format: BENCH_FORMAT,
        models,
        label: opts
            .label
            .clone()
            .or_else(|| recorded.as_ref().and_then(|r| r.meta.label.clone())),
        started_at: now_rfc3339(),
        coop_version: env!("CARGO_PKG_VERSION").into(),
        replayed_from: opts.replay_set.as_ref().map(|p| p.display().to_string()),
    };
    let mut report = Report::new(
        meta,
        opts.modes
            .iter()
            .map(|m| mode_name(*m).to_string())
            .collect(),
        rows,
    );
    if let Some(rec) = &recorded {
        report.drift = compare_all(&rec.rows, &report.rows);
    }
    coop_audit::write_atomic(
        report_dir.join("bench.json"),
        &serde_json::to_vec_pretty(&report)?,
    )?;
    coop_audit::write_atomic(
        report_dir.join("report.md"),
        render_markdown(&report).as_bytes(),
    )?;
    coop_audit::write_atomic(
        report_dir.join("report.html"),
        render_html(&report).as_bytes(),
    )?;
    if let Some(set) = &opts.record_set
        && !interrupted
    {
        let mut r = report.clone();
        for row in &mut r.rows {
            row.run_dir = None;
        }
        coop_audit::write_atomic(set.join("bench.json"), &serde_json::to_vec_pretty(&r)?)?;
        coop_audit::write_atomic(set.join("report.md"), render_markdown(&r).as_bytes())?;
    }
    Ok(BenchResult {
        report,
        report_dir,
        recorded,
        interrupted,
    })
}

struct Job {
    index: usize,
    total: usize,
    task: TaskSpec,
    mode: Mode,
    replay: Option<PathBuf>,
}

struct JobCtx<'a> {
    opts: &'a BenchOptions,
    report_dir: &'a Path,
    sandbox: &'a Sandbox,
    cancel: &'a CancellationToken,
    results: &'a Path,
}

/// One (task, mode): fresh repository, `coop run`, acceptance, recording,
/// result appended. `None` when the run was cancelled (not kept, so
/// `--resume` runs it again).
async fn run_job(ctx: &JobCtx<'_>, job: Job) -> Result<Option<Row>> {
    let (task, mode) = (&job.task, job.mode);
    let mname = mode_name(mode);
    let prefix = format!("[{}/{}] {} {mname}", job.index, job.total, task.id);
    if ctx.cancel.is_cancelled() {
        return Ok(None);
    }
    let work = ctx
        .report_dir
        .join("work")
        .join(format!("{}-{mname}", task.id));
    let repo = work.join("repo");
    prepare_repo(task, &repo)?;
    let ticker = Ticker::start(prefix.clone());
    let mut config = ctx.opts.config.clone();
    config.run.allow.extend(task.allow.iter().cloned());
    let mut ro = RunOptions::new(
        repo.clone(),
        task.text.clone(),
        config,
        ctx.opts.plugin_dir.clone(),
    );
    ro.mode = mode;
    ro.replay_strict = job.replay.is_some();
    ro.replay = job.replay.clone();
    ro.cancel = Some(ctx.cancel.clone());
    ro.progress = Some(ticker.progress(prefix.clone()));
    eprintln!("{prefix}: starting");
    let t0 = Instant::now();
    let res = run::run(ro).await;
    drop(ticker);
    let row = match res {
        Ok(s) => {
            if s.outcome == coop_core::Outcome::Cancelled {
                eprintln!(
                    "{prefix}: cancelled; its result is not kept (run it again with --resume)"
                );
                return Ok(None);
            }
            let mut row = row_from(task, mode, &s, ctx.report_dir);
            let rev = s.commit.clone().unwrap_or_else(|| "HEAD".into());
            eprintln!("{prefix}: acceptance tests");
            match acceptance(ctx.sandbox, task, &repo, &rev, &work.join("acceptance")).await {
                Ok(f) => row.set_acceptance(f),
                Err(e) => row.set_acceptance(vec![format!("acceptance could not run: {e:#}")]),
            }
            if let Some(set) = &ctx.opts.record_set {
                let src = Path::new(&s.run_dir).join("model").join("recording.json");
                let dst = set_recording(set, &task.id, mname);
                if let Some(parent) = dst.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                if src.exists() {
                    std::fs::copy(&src, &dst)?;
                } else {
                    // No model call was made (e.g. the router escalated):
                    // an empty recording replays that too.
                    let empty = coop_providers::Recording::new(coop_providers::RecordingMeta {
                        kind: coop_providers::RecordingKind::Recording,
                        note: "no model call in this run".into(),
                        model: None,
                        server: None,
                        recorded_at: Some(now_rfc3339()),
                    });
                    std::fs::write(&dst, empty.to_json_pretty()?)?;
                }
            }
            row
        }
        Err(e) => error_row(task, mode, &e, t0.elapsed().as_millis() as u64),
    };
    eprintln!(
        "{prefix}: {} — {} in {:.1} s, {} tokens, {} revision(s)",
        verdict(&row),
        row.outcome,
        row.time_ms as f64 / 1000.0,
        row.tokens(),
        row.revision_cycles
    );
    append_result(ctx.results, &row)?;
    Ok(Some(row))
}

/// A finished run's verdict on the progress line, in the report's terms.
fn verdict(row: &Row) -> &'static str {
    if row.success() {
        "PASS"
    } else if row.rejected_but_passing() {
        "FAIL (not delivered; its tree passes the acceptance tests)"
    } else {
        "FAIL"
    }
}

fn describe_models(cfg: &Config) -> String {
    let mut parts = Vec::new();
    for r in coop_core::Role::ALL {
        if let Ok(slot) = cfg.role_slot(r)
            && let Some(p) = slot.provider.as_ref().and_then(|p| cfg.providers.get(p))
        {
            parts.push(format!(
                "{}: {} ({} at {})",
                r.as_str(),
                p.model,
                p.kind,
                p.base_url
            ));
        }
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_dedupe_and_reject_unknown() {
        assert_eq!(
            parse_modes("solo,mob").unwrap(),
            vec![Mode::Solo, Mode::Mob]
        );
        assert_eq!(parse_modes(" mob , mob ").unwrap(), vec![Mode::Mob]);
        assert!(parse_modes("duo").is_err());
        assert!(parse_modes(",").is_err());
    }

    #[test]
    fn filters_match_ids_and_number_prefixes() {
        assert!(selected("07-bugfix-x", &[]));
        assert!(selected("07-bugfix-x", &["07".into()]));
        assert!(selected("07-bugfix-x", &["07-bugfix-x".into()]));
        assert!(!selected("17-x", &["7".into()]));
        assert!(!selected("07-bugfix-x", &["08".into()]));
    }

    fn write_task(root: &Path, id: &str, ty: &str) {
        let d = root.join(id);
        std::fs::create_dir_all(d.join("repo")).unwrap();
        std::fs::create_dir_all(d.join("acceptance")).unwrap();
        std::fs::write(d.join("task.md"), format!("do {id}\n")).unwrap();
        std::fs::write(
            d.join("expected.json"),
            format!("{{\"id\":\"{id}\",\"type\":\"{ty}\"}}"),
        )
        .unwrap();
        std::fs::write(d.join("repo/go.mod"), "module example.com/x\n\ngo 1.22\n").unwrap();
    }

    #[test]
    fn discovery_finds_numbered_tasks_in_order_and_checks_their_parts() {
        let t = tempfile::tempdir().unwrap();
        write_task(t.path(), "02-b", "bugfix");
        write_task(t.path(), "01-a", "feature");
        std::fs::create_dir_all(t.path().join("routing")).unwrap();
        std::fs::create_dir_all(t.path().join("local-model")).unwrap();
        let all = discover(t.path(), &[]).unwrap();
        assert_eq!(
            all.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            ["01-a", "02-b"]
        );
        assert_eq!(all[1].expected_type, "bugfix");
        assert_eq!(discover(t.path(), &["02".into()]).unwrap().len(), 1);
        let e = discover(t.path(), &["01".into(), "09".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no task matches `09`"), "{e}");
        std::fs::remove_dir_all(t.path().join("02-b/acceptance")).unwrap();
        let e = discover(t.path(), &[]).unwrap_err().to_string();
        assert!(e.contains("02-b has no acceptance"), "{e}");
    }

    #[test]
    fn prepared_repo_is_the_same_commit_every_time() {
        let t = tempfile::tempdir().unwrap();
        write_task(t.path(), "01-a", "feature");
        let task = discover(t.path(), &[]).unwrap().remove(0);
        prepare_repo(&task, &t.path().join("w1")).unwrap();
        prepare_repo(&task, &t.path().join("w2")).unwrap();
        let h1 = git(&t.path().join("w1"), &["rev-parse", "HEAD"], &[]).unwrap();
        let h2 = git(&t.path().join("w2"), &["rev-parse", "HEAD"], &[]).unwrap();
        assert_eq!(h1, h2);
        // Preparing again over an existing directory starts clean.
        std::fs::write(t.path().join("w1/stray.go"), "package x").unwrap();
        prepare_repo(&task, &t.path().join("w1")).unwrap();
        assert!(!t.path().join("w1/stray.go").exists());
    }

    #[test]
    fn results_survive_a_torn_last_line_but_not_a_corrupt_middle() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("results.jsonl");
        assert!(load_results(&p).unwrap().is_empty());
        let task = TaskSpec {
            id: "01-a".into(),
            dir: t.path().into(),
            text: "x".into(),
            expected_type: "feature".into(),
            allow: Vec::new(),
        };
        let row = error_row(&task, Mode::Mob, &anyhow::anyhow!("boom"), 5);
        append_result(&p, &row).unwrap();
        append_result(&p, &row).unwrap();
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str("{\"task\": \"02");
        std::fs::write(&p, &text).unwrap();
        assert_eq!(load_results(&p).unwrap().len(), 2);
        std::fs::write(
            &p,
            format!("garbage\n{}", serde_json::to_string(&row).unwrap()),
        )
        .unwrap();
        assert!(load_results(&p).is_err());
    }

    #[test]
    fn resume_reads_rows_written_before_acceptance_passed_and_judges_them_anew() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("results.jsonl");
        let task = TaskSpec {
            id: "01-a".into(),
            dir: t.path().into(),
            text: "x".into(),
            expected_type: "feature".into(),
            allow: Vec::new(),
        };
        let mut row = error_row(&task, Mode::Solo, &anyhow::anyhow!("x"), 5);
        row.outcome = "verification-failed".into();
        row.exit_code = 3;
        row.set_acceptance(Vec::new());
        // As format 1 wrote it: `success` was the acceptance result alone.
        let mut v = serde_json::to_value(&row).unwrap();
        let m = v.as_object_mut().unwrap();
        m.remove("acceptance_passed");
        m.insert("success".into(), serde_json::Value::Bool(true));
        std::fs::write(&p, format!("{v}\n")).unwrap();
        let rows = load_results(&p).unwrap();
        assert_eq!(rows, [row.clone()]);
        assert!(!rows[0].success() && rows[0].rejected_but_passing());
        assert!(verdict(&rows[0]).starts_with("FAIL (not delivered"));
        row.outcome = "approved".into();
        row.exit_code = 0;
        assert_eq!(verdict(&row), "PASS");
        row.set_acceptance(vec!["test failed".into()]);
        assert_eq!(verdict(&row), "FAIL");
    }
}
