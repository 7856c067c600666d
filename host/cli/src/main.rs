//! `coop`: the Cooperations command line. Thin: parse arguments, load
//! configuration, call the run/route code, map the outcome to an exit code.

mod approvals;
mod bench;
mod check;
mod config;
mod context;
mod evidence;
mod handoff_schema;
mod inspect;
mod pins;
mod prune;
mod resume;
mod run;
mod services;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser, Subcommand};
use config::Config;
use coop_core::{Outcome, RepoFacts, Task};
use coop_plugin_host::{HostConfig, PluginHost};
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "coop",
    version,
    about = "Run a mob of AI role agents on a Go repository"
)]
struct Cli {
    /// Configuration file (default: built-in defaults, see docs/config.md).
    #[arg(long, global = true, env = "COOP_CONFIG")]
    config: Option<PathBuf>,
    /// Directory holding the plugin components (default: `plugin_dir` of the
    /// config, else target/plugins next to the coop binary's build
    /// directory; never the current directory).
    #[arg(long, global = true, env = "COOP_PLUGIN_DIR")]
    plugin_dir: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Carry out a task on a Go module: route, design, implement, verify, review.
    Run {
        /// The Go module (a git repository with at least one commit).
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// Read the task from a file (`-` for standard input).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Serve all model calls from a recording (no network, no key).
        #[arg(long)]
        replay: Option<PathBuf>,
        /// With --replay: every request must match a recorded request hash.
        #[arg(long)]
        strict: bool,
        /// Override the base URL of every provider (an OpenAI-compatible server).
        #[arg(long)]
        base_url: Option<String>,
        /// Override the model name of every provider.
        #[arg(long)]
        model: Option<String>,
        /// Docker image for verification.
        #[arg(long)]
        image: Option<String>,
        /// One model does the whole task (the implementer's), with
        /// verification feedback but no other roles: the benchmark baseline.
        #[arg(long)]
        solo: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// Pre-approve risky-action classes (comma-separated: delete, deps,
        /// ci, outside-scope, exec, or all). Without it a run on a terminal
        /// asks, and any other run refuses them. Adds to `[run] allow`.
        #[arg(long, value_delimiter = ',')]
        allow: Vec<String>,
        /// Never ask on the terminal: refuse every risky action not pre-approved.
        #[arg(long)]
        no_input: bool,
        /// The task text.
        task: Vec<String>,
    },
    /// Run the benchmark tasks (examples/NN-*) in solo and/or mob mode, check
    /// each result with its hidden acceptance tests, and write a report
    /// (bench.json, report.md, report.html).
    Bench {
        /// Directory holding the tasks.
        #[arg(default_value = "examples")]
        examples: PathBuf,
        /// Comma-separated: solo, mob.
        #[arg(long, default_value = "solo,mob")]
        modes: String,
        /// Comma-separated task ids or numbers (e.g. 01,07); default: all.
        #[arg(long, value_delimiter = ',')]
        tasks: Vec<String>,
        /// Report directory (results.jsonl, bench.json, report.md,
        /// report.html, and each run's repository under work/).
        #[arg(long, default_value = "target/bench")]
        report: PathBuf,
        /// Continue an interrupted bench in the same report directory.
        #[arg(long)]
        resume: bool,
        /// Keep every run's model recording as a replay set in this directory.
        #[arg(long, conflicts_with = "replay_set")]
        record_set: Option<PathBuf>,
        /// Serve every model call from a recorded set and check that each run
        /// reproduces its recorded outcome and patch (exit 3 on drift).
        #[arg(long)]
        replay_set: Option<PathBuf>,
        /// Label for the report and the set: model, quantization, server, date.
        #[arg(long)]
        label: Option<String>,
        /// Runs at once. Live benches should keep 1 (a local model server
        /// answers one request at a time, so overlapping runs inflate times);
        /// replays gain from 2.
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Override the base URL of every provider.
        #[arg(long)]
        base_url: Option<String>,
        /// Override the model name of every provider.
        #[arg(long)]
        model: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Classify a task and show the workflow it would run. Calls no model.
    Route {
        /// Evaluate the configured router on a labelled JSONL set
        /// (examples/routing/tasks.jsonl) and print accuracy and the confusion matrix.
        #[arg(long, conflicts_with_all = ["file", "task"])]
        eval: Option<PathBuf>,
        /// With --eval: only this split (dev, holdout).
        #[arg(long, requires = "eval")]
        split: Option<String>,
        /// With --eval: list the misses.
        #[arg(long, requires = "eval")]
        misses: bool,
        #[arg(long)]
        repo: Option<PathBuf>,
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        task: Vec<String>,
    },
    /// Map the Go module (packages, declarations, imports, references),
    /// cached in REPO/.coop/cache/gomap.bin and refreshed by content hash;
    /// with a task, show the working set chosen for it within --budget
    /// tokens: whole files to change, then the declarations they use.
    Map {
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// Working-set budget in tokens (estimated at 3 bytes per token:
        /// Qwen2.5-Coder's tokenizer gives 3.27 on the examples' Go code).
        #[arg(long, default_value_t = 8192)]
        budget: u64,
        #[arg(long)]
        json: bool,
        /// The task text (optional).
        task: Vec<String>,
    },
    /// Run the verification a run would do (gofmt, go vet, go build,
    /// go test in the sandbox) on the working tree as it is, uncommitted
    /// changes included, or on a commit with --rev; print the report and
    /// exit 0 when it passes, 3 when it fails. Calls no model.
    ///
    /// Example: coop check --repo ~/src/mymodule
    Check {
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// Verify this commit's tree instead of the working tree.
        #[arg(long)]
        rev: Option<String>,
        /// Print the whole report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Per role: the provider and model it would use, whether its key is
    /// present, and whether the endpoint answers.
    Doctor {
        /// Skip the network probe.
        #[arg(long)]
        offline: bool,
        #[arg(long)]
        json: bool,
    },
    /// Inspect plugins.
    Plugins {
        #[command(subcommand)]
        cmd: PluginsCmd,
    },
    /// Continue a run that was killed (kill -9, power loss) or cancelled
    /// (Ctrl-C): re-executes it from its journal under the same id, without
    /// paying again for model calls already answered and without applying
    /// an edit twice, then goes on live. Same plugins required.
    Resume {
        /// Run id (under REPO/.coop/runs) or run directory.
        run: String,
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// Override the base URL of every provider (an OpenAI-compatible server).
        #[arg(long)]
        base_url: Option<String>,
        /// Override the model name of every provider.
        #[arg(long)]
        model: Option<String>,
        /// Pre-approve risky-action classes now (comma-separated, as for
        /// `coop run --allow`). The run's own decisions count only when this
        /// host sealed them; see docs/SECURITY.md.
        #[arg(long, value_delimiter = ',')]
        allow: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Answer the question of a run that ended escalated (exit 5) and let it
    /// go on: the answer is recorded (answers.json, the handoffs of every
    /// later role, the audit log) and the run continues from its journal.
    Answer {
        /// Run id (under REPO/.coop/runs) or run directory.
        run: String,
        /// The answer, as words (or `-` to read it from standard input).
        #[arg(required = true, num_args = 1..)]
        answer: Vec<String>,
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        #[arg(long)]
        base_url: Option<String>,
        #[arg(long)]
        model: Option<String>,
        /// Pre-approve risky-action classes now (comma-separated, as for
        /// `coop run --allow`). The run's own decisions count only when this
        /// host sealed them; see docs/SECURITY.md.
        #[arg(long, value_delimiter = ',')]
        allow: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// List the runs of a repository (oldest first), or prune them.
    Runs {
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// Remove the branch `coop/<id>` and any leftover worktree of every
        /// run that ended, except runs waiting for `coop answer` or
        /// `coop resume`. Run directories (journal, audit log, change.patch)
        /// are kept. Example: `coop runs --prune --dry-run`.
        #[arg(long)]
        prune: bool,
        /// With --prune: list what would be removed, remove nothing.
        #[arg(long, requires = "prune")]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script. Example (bash):
    /// `coop completions bash > ~/.local/share/bash-completion/completions/coop`
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// A run's timeline: each role with duration and tokens, verification
    /// results, verdicts, workflow decisions, escalations, the outcome.
    Show {
        /// Run id (under REPO/.coop/runs) or run directory.
        run: String,
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Check a run directory: the audit log's hash chain, every file an event
    /// references (sha256), and the head recorded in run.json. Exit 3 and
    /// one line per problem when something does not match.
    Verify {
        /// Run id (under REPO/.coop/runs) or run directory.
        run: String,
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Re-execute a recorded run from its model exchanges (no model call),
    /// with the plugins configured now, from the commit it started from, and
    /// compare: routing, handoffs, edits, verifications, verdicts, the final
    /// patch byte for byte. Exit 3 naming the first event that drifted.
    Replay {
        /// Run id (under REPO/.coop/runs) or run directory.
        run: String,
        /// The repository the run was made in.
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// Pre-approve risky-action classes now (comma-separated, as for
        /// `coop run --allow`). The run's own decisions count only when this
        /// host sealed them; see docs/SECURITY.md.
        #[arg(long, value_delimiter = ',')]
        allow: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Check the hash chain of a run's audit log.
    VerifyLog {
        /// Path of audit.jsonl or of a run directory.
        path: PathBuf,
    },
}

#[derive(Subcommand)]
enum PluginsCmd {
    /// Every configured plugin: WIT version, digest, requested and granted capabilities.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Validate a component before anyone runs it; non-zero exit on problems.
    Check {
        file: PathBuf,
        /// Largest acceptable component, bytes (runs refuse larger ones
        /// before compiling them).
        #[arg(long, default_value_t = coop_plugin_host::DEFAULT_MAX_COMPONENT_BYTES)]
        max_size: u64,
        #[arg(long)]
        json: bool,
    },
}

/// target/plugins next to the binary's build directory (target/release/coop
/// -> target/plugins). There is no fallback to the current directory: a
/// repository coop is started in can commit a `target/plugins` of its own.
fn plugins_beside_exe() -> Option<PathBuf> {
    std::env::current_exe().ok().and_then(|exe| {
        exe.parent()
            .and_then(Path::parent)
            .map(|p| p.join("plugins"))
    })
}

fn read_task(file: Option<&PathBuf>, words: &[String]) -> Result<String> {
    match file {
        Some(p) if p.as_os_str() == "-" => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read the task from standard input")?;
            Ok(s)
        }
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read task file {}", p.display())),
        None if words.len() == 1 && words[0] == "-" => read_task(Some(&PathBuf::from("-")), &[]),
        None => Ok(words.join(" ")),
    }
}

/// A plugin host for the inspection commands, using the component cache.
fn plugin_host(config: &Config) -> Result<PluginHost> {
    Ok(PluginHost::new(HostConfig {
        cache_dir: config::component_cache_dir(config),
        ..HostConfig::default()
    })?)
}

/// A plugin host with the configured router loaded (pinned by its digest
/// when the config gives one) and the router's slot (its grants), for
/// `coop route` and its evaluation.
fn router_host(
    config: &Config,
    plugin_dir: &Path,
    repo: Option<&Path>,
) -> Result<(
    PluginHost,
    coop_plugin_host::LoadedPlugin,
    config::PluginSlot,
)> {
    let host = plugin_host(config)?;
    let slot = config
        .router
        .clone()
        .context("no router plugin configured")?;
    let router = config.load_slot(&host, plugin_dir, &slot, repo)?;
    Ok((host, router, slot))
}

/// `--allow` classes add to `[run] allow`; an unknown class is an error now,
/// not at the first risky edit.
fn add_allow(config: &mut Config, allow: &[String]) -> Result<()> {
    config.run.allow.extend(allow.iter().cloned());
    coop_guard::AllowSet::parse(&config.run.allow)
        .map_err(|e| run::SetupError::BadInput(format!("--allow: {e}")))?;
    Ok(())
}

fn override_providers(config: &mut Config, base_url: Option<&String>, model: Option<&String>) {
    for p in config.providers.values_mut() {
        if let Some(u) = base_url {
            p.base_url = u.clone();
        }
        if let Some(m) = model {
            p.model = m.clone();
        }
    }
}

/// `COOP_CRASH_AFTER_EVENT=N`: a test hook that kills the process right
/// after the run's N-th audit event (see docs/ARCHITECTURE.md, Durability).
fn crash_hook() -> Result<Option<u64>> {
    match std::env::var("COOP_CRASH_AFTER_EVENT") {
        Ok(v) => Ok(Some(v.trim().parse().map_err(|_| {
            run::SetupError::BadInput(format!(
                "COOP_CRASH_AFTER_EVENT must be an event number, not {v:?}"
            ))
        })?)),
        Err(_) => Ok(None),
    }
}

fn load_config(cli: &Cli) -> Result<Config> {
    Ok(match &cli.config {
        Some(p) => Config::load(p)?,
        None => Config::defaults(),
    })
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("COOP_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let code = match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("coop: error: {e:#}");
            if e.downcast_ref::<run::SetupError>().is_some()
                || e.downcast_ref::<config::ConfigError>().is_some()
            {
                Outcome::BadInput.code()
            } else {
                Outcome::InternalError.code()
            }
        }
    };
    std::process::exit(code);
}

fn real_main(cli: Cli) -> Result<i32> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // Resolved only by the commands that load plugins, so that a missing
    // plugin directory does not stop `coop runs` or `coop verify`.
    let plugin_dir = |config: &Config| {
        config::resolve_plugin_dir(cli.plugin_dir.as_deref(), config, plugins_beside_exe())
    };
    match &cli.cmd {
        Cmd::Run {
            repo,
            file,
            replay,
            strict,
            base_url,
            model,
            image,
            solo,
            json,
            allow,
            no_input,
            task,
        } => {
            let mut config = load_config(&cli)?;
            add_allow(&mut config, allow)?;
            let text = read_task(file.as_ref(), task)?;
            override_providers(&mut config, base_url.as_ref(), model.as_ref());
            if let Some(i) = image {
                config.sandbox.image = i.clone();
            }
            let dir = plugin_dir(&config)?;
            let mut opts = run::RunOptions::new(repo.clone(), text, config, dir);
            opts.crash_after_event = crash_hook()?;
            opts.replay = replay.clone();
            opts.replay_strict = *strict;
            opts.mode = if *solo {
                coop_core::workflow::Mode::Solo
            } else {
                coop_core::workflow::Mode::Mob
            };
            if !*no_input {
                opts.approver = services::Approver::for_this_process();
            }
            let summary = rt.block_on(run::run(opts))?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                run::print_summary(&summary);
            }
            Ok(summary.exit_code)
        }
        Cmd::Bench {
            examples,
            modes,
            tasks,
            report,
            resume,
            record_set,
            replay_set,
            label,
            jobs,
            base_url,
            model,
            json,
        } => {
            let mut config = load_config(&cli)?;
            override_providers(&mut config, base_url.as_ref(), model.as_ref());
            let plugin_dir = plugin_dir(&config)?;
            let opts = bench::BenchOptions {
                examples: examples.clone(),
                modes: bench::parse_modes(modes)?,
                tasks: tasks.clone(),
                report: report.clone(),
                config,
                plugin_dir,
                resume: *resume,
                record_set: record_set.clone(),
                replay_set: replay_set.clone(),
                label: label.clone(),
                jobs: *jobs,
            };
            let r = rt.block_on(bench::bench(opts))?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&r.report)?);
            } else {
                if let Some(rec) = &r.recorded {
                    println!("Recorded live (the figures of the set being replayed):\n");
                    print!("{}", coop_bench::render_markdown(rec));
                    println!("\n---\nThis replay:\n");
                }
                print!("{}", coop_bench::render_markdown(&r.report));
                println!(
                    "\nreport: {}/report.md, report.html, bench.json",
                    r.report_dir.display()
                );
            }
            if r.interrupted {
                eprintln!(
                    "coop bench: interrupted; continue with --resume --report {}",
                    r.report_dir.display()
                );
                return Ok(Outcome::Cancelled.code());
            }
            if !r.report.drift.is_empty() {
                eprintln!(
                    "coop bench: {} run(s) did not reproduce their recording",
                    r.report.drift.len()
                );
                return Ok(Outcome::VerificationFailed.code());
            }
            Ok(0)
        }
        Cmd::Check { repo, rev, json } => {
            let config = load_config(&cli)?;
            rt.block_on(check::check(&config, repo, rev.as_deref(), *json))
        }
        Cmd::Map {
            repo,
            budget,
            json,
            task,
        } => {
            let cache = coop_workspace::coop_dir(repo, &["cache"])
                .map_err(|e| run::SetupError::BadInput(e.to_string()))?
                .join("gomap.bin");
            let t = std::time::Instant::now();
            let (map, stats) = coop_gomap::build(repo, Some(&cache))?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let text = task.join(" ");
            let ws = (!text.trim().is_empty()).then(|| {
                coop_gomap::select(
                    &map,
                    &coop_gomap::Query {
                        text: text.clone(),
                        files: Vec::new(),
                    },
                    *budget,
                    &|b| b.div_ceil(3),
                )
            });
            let decls: usize = map.files.iter().map(|f| f.decls.len()).sum();
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "module": map.module_path, "files": map.files.len(), "lines": map.lines(), "declarations": decls,
                        "build": stats, "build_ms": ms, "cache": cache.display().to_string(), "working_set": ws,
                    }))?
                );
            } else {
                println!(
                    "module {}: {} Go files, {} lines, {} declarations; map in {ms:.0} ms ({} parsed, {} re-hashed, {} unchanged) — cache {}",
                    if map.module_path.is_empty() {
                        "(no go.mod)"
                    } else {
                        &map.module_path
                    },
                    map.files.len(),
                    map.lines(),
                    decls,
                    stats.parsed,
                    stats.rehashed,
                    stats.trusted,
                    cache.display()
                );
                if let Some(ws) = ws {
                    println!(
                        "working set for the task: {} of {} tokens",
                        ws.used, ws.budget
                    );
                    for i in &ws.items {
                        let what = match &i.decl {
                            Some(d) => format!("{}:{}-{} ({d})", i.path, i.start, i.end),
                            None => format!("{} (whole file)", i.path),
                        };
                        println!("  {what:<60} {:>6} tok  {}", i.tokens, i.reason);
                    }
                    if !ws.dropped.is_empty() {
                        println!(
                            "  not included (over budget): {} item(s), e.g. {}",
                            ws.dropped.len(),
                            ws.dropped
                                .iter()
                                .take(3)
                                .map(|i| i.path.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                    }
                }
            }
            Ok(0)
        }
        Cmd::Route {
            eval: Some(set),
            split,
            misses,
            json,
            ..
        } => {
            let config = load_config(&cli)?;
            let text = std::fs::read_to_string(set)
                .with_context(|| format!("cannot read {}", set.display()))?;
            let cases = coop_router::eval::parse_jsonl(&text).map_err(run::SetupError::BadInput)?;
            let selected = coop_router::eval::select_split(&cases, split.as_deref());
            let (host, router, slot) = router_host(&config, &plugin_dir(&config)?, None)?;
            let mut failure = None;
            let report = coop_router::eval::evaluate_with(&selected, |text| {
                let task = Task {
                    id: "eval".into(),
                    text: text.to_string(),
                };
                match host.route(
                    &router,
                    &slot.grants,
                    Box::new(NullServices),
                    &task,
                    &RepoFacts::default(),
                ) {
                    Ok(d) => to_rules_decision(&d),
                    Err(e) => {
                        failure.get_or_insert(e.to_string());
                        unclear_decision()
                    }
                }
            });
            if let Some(e) = failure {
                anyhow::bail!("the router failed during evaluation: {e}");
            }
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "router": router.manifest.name, "sha256": router.sha256, "cases": report.total,
                        "type_accuracy": report.type_accuracy(), "size_accuracy": report.size_accuracy(),
                        "risk_accuracy": report.risk_accuracy(), "confusion": report.confusion,
                        "order": coop_router::eval::TYPES.iter().map(|t| coop_router::rules::name(*t)).collect::<Vec<_>>(),
                    }))?
                );
            } else {
                println!(
                    "router {} ({}), {} case(s){}",
                    router.manifest.name,
                    &router.sha256[..12],
                    report.total,
                    split
                        .as_ref()
                        .map(|s| format!(", split {s}"))
                        .unwrap_or_default()
                );
                print!("{}", report.render_text());
                if *misses {
                    print!("{}", report.render_misses());
                }
            }
            Ok(0)
        }
        Cmd::Route {
            repo,
            file,
            json,
            task,
            ..
        } => {
            let config = load_config(&cli)?;
            let text = read_task(file.as_ref(), task)?;
            if text.trim().is_empty() {
                return Err(run::SetupError::BadInput("the task text is empty".into()).into());
            }
            let facts = match repo {
                Some(r) => coop_workspace::repo_facts_at(r)
                    .map_err(|e| run::SetupError::BadInput(e.to_string()))?,
                None => RepoFacts::default(),
            };
            let root = match repo {
                Some(r) => Some(
                    coop_workspace::Repo::open(r)
                        .map_err(|e| run::SetupError::BadInput(e.to_string()))?
                        .root()
                        .to_path_buf(),
                ),
                None => None,
            };
            let (host, router, slot) =
                router_host(&config, &plugin_dir(&config)?, root.as_deref())?;
            let mut d = host.route(
                &router,
                &slot.grants,
                Box::new(NullServices),
                &Task {
                    id: "route".into(),
                    text,
                },
                &facts,
            )?;
            // The plan a mob run would run: the router's, raised to the
            // operator's floor (a rationale line says when it was).
            coop_core::floor::apply(&mut d, &config.routing);
            if *json {
                println!("{}", serde_json::to_string_pretty(&d)?);
            } else {
                println!("type:       {}", d.task_type.as_str());
                println!("size:       {:?}", d.size);
                println!("risk:       {:?}", d.risk);
                println!("confidence: {:.2}", d.confidence);
                println!(
                    "workflow:   {}",
                    d.workflow
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(" → ")
                );
                println!("rationale:");
                for r in &d.rationale {
                    println!("  - {r}");
                }
            }
            Ok(0)
        }
        Cmd::Plugins {
            cmd: PluginsCmd::List { json },
        } => {
            let config = load_config(&cli)?;
            let host = plugin_host(&config)?;
            let plugin_dir = plugin_dir(&config)?;
            let mut slots: Vec<(String, config::PluginSlot)> = Vec::new();
            if let Some(r) = &config.router {
                slots.push(("router".into(), r.clone()));
            }
            for (name, slot) in &config.roles {
                slots.push((name.clone(), slot.clone()));
            }
            let mut rows = Vec::new();
            let mut failed = false;
            for (slot_name, slot) in slots {
                let path = config.plugin_path(&plugin_dir, &slot.plugin);
                let pin = config.slot_pin(&slot)?;
                match config.load_slot(&host, &plugin_dir, &slot, None) {
                    Ok(p) => {
                        let eff = coop_plugin_host::Effective::compute(
                            &p.manifest.capabilities,
                            &slot.grants,
                        )
                        .map_err(|e| anyhow::anyhow!("{slot_name}: {e}"))?;
                        rows.push(serde_json::json!({
                            "slot": slot_name, "path": path.display().to_string(), "name": p.manifest.name,
                            "version": p.manifest.version, "world": p.manifest.world, "wit": p.manifest.wit,
                            "sha256": p.sha256, "pinned": pin.is_some(), "size_bytes": p.size_bytes,
                            "requested": p.manifest.capabilities, "granted": eff.describe(),
                            "linked": eff.linked_interfaces(), "problems": host.check(&p, 50 << 20),
                        }));
                    }
                    Err(e) => {
                        failed = true;
                        rows.push(serde_json::json!({"slot": slot_name, "path": path.display().to_string(), "error": e.to_string()}));
                    }
                }
            }
            if *json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    if let Some(e) = r.get("error") {
                        println!(
                            "{:<12} ERROR {}",
                            r["slot"].as_str().unwrap_or(""),
                            e.as_str().unwrap_or("")
                        );
                        continue;
                    }
                    println!(
                        "{:<12} {} {} ({}, {}) sha256 {}{}",
                        r["slot"].as_str().unwrap_or(""),
                        r["name"].as_str().unwrap_or(""),
                        r["version"].as_str().unwrap_or(""),
                        r["world"].as_str().unwrap_or(""),
                        r["wit"].as_str().unwrap_or(""),
                        r["sha256"].as_str().unwrap_or(""),
                        if r["pinned"] == true { " (pinned)" } else { "" }
                    );
                    println!("{:<12}   requested: {}", "", r["requested"]);
                    println!("{:<12}   granted:   {}", "", r["granted"]);
                }
            }
            Ok(if failed { Outcome::BadInput.code() } else { 0 })
        }
        Cmd::Plugins {
            cmd:
                PluginsCmd::Check {
                    file,
                    max_size,
                    json,
                },
        } => {
            let host = plugin_host(&load_config(&cli)?)?;
            let (report, ok) = match host.load(file, None) {
                Ok(p) => {
                    let problems = host.check(&p, *max_size);
                    let ok = problems.is_empty();
                    (
                        serde_json::json!({
                            "file": file.display().to_string(), "ok": ok, "name": p.manifest.name, "version": p.manifest.version,
                            "world": p.manifest.world, "wit": p.manifest.wit, "role": p.manifest.role, "sha256": p.sha256,
                            "size_bytes": p.size_bytes, "requested": p.manifest.capabilities, "imports": p.imports,
                            "exports": p.exports, "problems": problems,
                        }),
                        ok,
                    )
                }
                Err(e) => (
                    serde_json::json!({"file": file.display().to_string(), "ok": false, "problems": [e.to_string()]}),
                    false,
                ),
            };
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{}: {}", file.display(), if ok { "OK" } else { "PROBLEMS" });
                for k in [
                    "name",
                    "version",
                    "world",
                    "wit",
                    "role",
                    "sha256",
                    "size_bytes",
                    "requested",
                    "imports",
                ] {
                    if let Some(v) = report.get(k).filter(|v| !v.is_null()) {
                        println!("  {k}: {v}");
                    }
                }
                for p in report["problems"].as_array().into_iter().flatten() {
                    println!("  problem: {}", p.as_str().unwrap_or(""));
                }
            }
            Ok(if ok { 0 } else { Outcome::BadInput.code() })
        }
        Cmd::Doctor { offline, json } => {
            let config = load_config(&cli)?;
            let rows = rt.block_on(run::doctor(&config, *offline))?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    let key = match (&r.key_env, r.key_present) {
                        (Some(v), Some(true)) => format!("key ${v} present"),
                        (Some(v), _) => format!("key ${v} MISSING"),
                        (None, _) => "no key needed".into(),
                    };
                    let probe = match &r.probe {
                        None => "not probed (--offline)".to_string(),
                        Some(Ok(code)) => format!("endpoint answers (HTTP {code})"),
                        Some(Err(e)) => format!("endpoint does not answer: {e}"),
                    };
                    let model = match &r.model_check {
                        None => String::new(),
                        Some(Ok(m)) => format!("; {m}"),
                        Some(Err(e)) => format!("; PROBLEM: {e}"),
                    };
                    println!(
                        "{:<11} {} ({}) {} at {}; {key}; {probe}{model}",
                        r.role, r.provider, r.kind, r.model, r.base_url
                    );
                }
            }
            let bad = rows.iter().any(|r| {
                r.key_present == Some(false)
                    || matches!(r.probe, Some(Err(_)))
                    || matches!(r.model_check, Some(Err(_)))
            });
            Ok(if bad { Outcome::BadInput.code() } else { 0 })
        }
        Cmd::Resume {
            run,
            repo,
            base_url,
            model,
            allow,
            json,
        }
        | Cmd::Answer {
            run,
            repo,
            base_url,
            model,
            allow,
            json,
            ..
        } => {
            let mut config = load_config(&cli)?;
            override_providers(&mut config, base_url.as_ref(), model.as_ref());
            let reason = if matches!(cli.cmd, Cmd::Answer { .. }) {
                resume::Reason::Answer
            } else {
                resume::Reason::Resume
            };
            // Nothing of the run directory is used before its journal
            // verifies (prepare). The interrupted run's risky-action
            // decisions stand if this host sealed them; anything else is
            // asked (on a terminal) or refused unless pre-approved now.
            let mut c = resume::prepare(repo, run, reason)?;
            let (recorded, answers) = approvals::decisions_for(&inspect::resolve_run(repo, run)?)?;
            config.run.allow = recorded;
            add_allow(&mut config, allow)?;
            if let Cmd::Answer { answer, .. } = &cli.cmd {
                let text = read_task(None, answer)?;
                resume::record_answer(&mut c, &text)?;
            }
            let dir = plugin_dir(&config)?;
            let mut opts = run::RunOptions::new(repo.clone(), c.task.clone(), config, dir);
            opts.mode = c.mode;
            opts.crash_after_event = crash_hook()?;
            opts.continuation = Some(c);
            opts.approver = services::Approver::Recorded {
                answers: std::sync::Mutex::new(answers),
                then: Box::new(services::Approver::for_this_process()),
            };
            let summary = rt.block_on(run::run(opts))?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                run::print_summary(&summary);
            }
            Ok(summary.exit_code)
        }
        Cmd::Runs {
            repo,
            prune: true,
            dry_run,
            json,
        } => {
            let report = prune::prune(repo, *dry_run)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", prune::render(&report));
            }
            Ok(0)
        }
        Cmd::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "coop", &mut std::io::stdout());
            Ok(0)
        }
        Cmd::Runs { repo, json, .. } => {
            let runs = inspect::list_runs(repo)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
            } else if runs.is_empty() {
                println!("no runs under {}", inspect::runs_dir(repo).display());
            } else {
                for r in &runs {
                    println!(
                        "{}  {:<22} {:<4} {:>7} {:>8} tok  {}",
                        r.run_id,
                        r.outcome.as_deref().unwrap_or("(unfinished)"),
                        r.mode.as_deref().unwrap_or("mob"),
                        r.total_ms
                            .map(|t| format!("{:.1}s", t as f64 / 1000.0))
                            .unwrap_or_else(|| "–".into()),
                        r.tokens
                            .map(|t| t.to_string())
                            .unwrap_or_else(|| "–".into()),
                        r.task
                    );
                }
            }
            Ok(0)
        }
        Cmd::Show { run, repo, json } => {
            let dir = inspect::resolve_run(repo, run)?;
            let steps = inspect::timeline(&dir)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&steps)?);
            } else {
                println!("run {}", dir.display());
                for s in &steps {
                    println!("{:>7.1}s  {}", s.at_s, s.what);
                }
            }
            Ok(0)
        }
        Cmd::Verify { run, repo, json } => {
            let dir = inspect::resolve_run(repo, run)?;
            let v = inspect::verify_run(&dir)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if v.problems.is_empty() {
                println!(
                    "{}: intact ({} audit lines, {} referenced files match)",
                    v.run_dir, v.lines, v.references_checked
                );
            } else {
                for p in &v.problems {
                    println!("{}: {p}", v.run_dir);
                }
            }
            Ok(if v.problems.is_empty() {
                0
            } else {
                Outcome::VerificationFailed.code()
            })
        }
        Cmd::Replay {
            run,
            repo,
            allow,
            json,
        } => {
            let mut config = load_config(&cli)?;
            let dir = inspect::resolve_run(repo, run)?;
            inspect::refuse_unless_intact(&dir, inspect::Ending::Finished, "replay")?;
            let start = inspect::run_start(&dir)?;
            let (recorded, answers) = approvals::decisions_for(&dir)?;
            config.run.allow = recorded;
            add_allow(&mut config, allow)?;
            let recording = dir.join("model").join("recording.json");
            let task = start["task"].as_str().unwrap_or_default().to_string();
            let plugins = plugin_dir(&config)?;
            let mut opts = run::RunOptions::new(repo.clone(), task, config, plugins);
            opts.mode = match start["mode"].as_str() {
                Some("solo") => coop_core::workflow::Mode::Solo,
                _ => coop_core::workflow::Mode::Mob,
            };
            opts.base = start["base_commit"].as_str().map(str::to_string);
            if !recording.is_file() {
                return Err(run::SetupError::BadInput(format!(
                    "{} is missing: nothing to replay from",
                    recording.display()
                ))
                .into());
            }
            opts.replay = Some(recording);
            opts.replay_strict = true;
            // An answered run is replayed with the same answers.
            opts.answers = resume::read_answers(&dir)?;
            opts.approver = services::Approver::Recorded {
                answers: std::sync::Mutex::new(answers),
                then: Box::new(services::Approver::FailClosed),
            };
            let summary = rt.block_on(run::run(opts))?;
            let replayed_dir = PathBuf::from(&summary.run_dir);
            let a = inspect::normalized_events(&dir)?;
            let b = inspect::normalized_events(&replayed_dir)?;
            let drift = inspect::first_drift(&a, &b);
            let patch = |d: &Path| std::fs::read(d.join("change.patch")).ok();
            let same_patch = patch(&dir) == patch(&replayed_dir);
            let plugins_changed: Vec<String> = start["plugins"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(k, v)| summary.plugins.get(*k).map(String::as_str) != v.as_str())
                        .map(|(k, v)| {
                            format!(
                                "{k}: recorded {}, now {}",
                                v.as_str().unwrap_or("?"),
                                summary.plugins.get(k).map(String::as_str).unwrap_or("none")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let ok = drift.is_none() && same_patch;
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "recorded": dir.display().to_string(), "replayed": summary.run_dir, "reproduced": ok,
                        "events": a.len(), "same_patch": same_patch,
                        "first_drift": drift.as_ref().map(|(line, rec, rep)| serde_json::json!({"recorded_line": line, "recorded": rec, "replayed": rep})),
                        "plugins_changed": plugins_changed,
                    }))?
                );
            } else if ok {
                println!(
                    "replay {}: reproduced exactly ({} events, same patch, outcome {})",
                    summary.run_id,
                    a.len(),
                    summary.outcome.as_str()
                );
            } else {
                println!("replay {}: DRIFTED from {}", summary.run_id, dir.display());
                if let Some((line, rec, rep)) = &drift {
                    println!(
                        "  first drift at audit line {line}:\n    recorded: {rec}\n    replayed: {rep}"
                    );
                }
                if !same_patch {
                    println!("  the final patch differs");
                }
                for p in &plugins_changed {
                    println!("  plugin changed since the recording: {p}");
                }
            }
            Ok(if ok {
                0
            } else {
                Outcome::VerificationFailed.code()
            })
        }
        Cmd::VerifyLog { path } => {
            let p = if path.is_dir() {
                path.join("audit.jsonl")
            } else {
                path.clone()
            };
            let report = coop_audit::verify(&p)?;
            if report.is_ok() {
                println!(
                    "{}: {} lines, chain intact (last sha256 {})",
                    p.display(),
                    report.lines,
                    report.last_sha256.clone().unwrap_or_default()
                );
                Ok(0)
            } else {
                for i in &report.issues {
                    println!("{}: line {}: {:?}", p.display(), i.line, i.kind);
                }
                Ok(Outcome::VerificationFailed.code())
            }
        }
    }
}

/// The plugin's decision in the rule crate's types, for the evaluation report.
fn to_rules_decision(d: &coop_core::RoutingDecision) -> coop_router::rules::Decision {
    use coop_router::rules as r;
    r::Decision {
        task_type: match d.task_type {
            coop_core::TaskType::Feature => r::TaskType::Feature,
            coop_core::TaskType::Bugfix => r::TaskType::Bugfix,
            coop_core::TaskType::Refactor => r::TaskType::Refactor,
            coop_core::TaskType::Docs => r::TaskType::Docs,
            coop_core::TaskType::Test => r::TaskType::Test,
            coop_core::TaskType::Unclear => r::TaskType::Unclear,
        },
        size: match d.size {
            coop_core::Size::Small => r::Size::Small,
            coop_core::Size::Medium => r::Size::Medium,
            coop_core::Size::Large => r::Size::Large,
        },
        risk: match d.risk {
            coop_core::Risk::Low => r::Risk::Low,
            coop_core::Risk::Medium => r::Risk::Medium,
            coop_core::Risk::High => r::Risk::High,
        },
        confidence: d.confidence,
        workflow: Vec::new(),
        rationale: d.rationale.clone(),
    }
}

fn unclear_decision() -> coop_router::rules::Decision {
    use coop_router::rules as r;
    r::Decision {
        task_type: r::TaskType::Unclear,
        size: r::Size::Small,
        risk: r::Risk::Low,
        confidence: 0.0,
        workflow: Vec::new(),
        rationale: Vec::new(),
    }
}

/// Services for commands that run a router only: no model, no workspace.
struct NullServices;

impl coop_plugin_host::RoleServices for NullServices {
    fn complete(
        &mut self,
        _: coop_core::Role,
        _: coop_plugin_host::PluginModelRequest,
    ) -> Result<coop_plugin_host::PluginModelReply, coop_plugin_host::ModelCallError> {
        Err(coop_plugin_host::ModelCallError::Denied(
            "no model in this command".into(),
        ))
    }
    fn list_files(
        &mut self,
    ) -> Result<Vec<coop_core::FileFact>, coop_plugin_host::WorkspaceCallError> {
        Ok(vec![])
    }
    fn read_file(&mut self, p: &str) -> Result<String, coop_plugin_host::WorkspaceCallError> {
        Err(coop_plugin_host::WorkspaceCallError::NotFound(p.into()))
    }
    fn propose_edits(&mut self, e: Vec<coop_core::FileEdit>) -> Vec<coop_core::EditOutcome> {
        e.into_iter()
            .map(|e| coop_core::EditOutcome::Rejected {
                path: e.path().into(),
                reason: "no workspace".into(),
            })
            .collect()
    }
    fn log(&mut self, plugin: &str, _: coop_plugin_host::LogLevel, message: &str) {
        tracing::info!("{plugin}: {message}");
    }
    fn denied(&mut self, _: &str, _: &str, _: &str) {}
    fn audit_bytes(&self) -> u64 {
        // Writes no audit log.
        0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_command_line_is_consistent_and_completes_every_subcommand() {
        Cli::command().debug_assert();
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
        ] {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "coop", &mut out);
            let text = String::from_utf8(out).unwrap();
            for word in ["bench", "resume", "completions", "--prune", "--dry-run"] {
                assert!(text.contains(word), "{shell}: no `{word}`");
            }
        }
    }
}
