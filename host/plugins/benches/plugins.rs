//! Plugin-host latency benchmark (plain `main`, prints a table).
//!
//! `cargo bench -p coop-plugin-host --bench plugins`
//!
//! Needs the default plugins in `target/plugins/*.wasm` (`bash plugins/build.sh`);
//! the model-import overhead row also uses `target/plugins-test/hostile.wasm`
//! (`bash plugins/hostile/build.sh`) and is skipped without it.
//! `COOP_BENCH_ITERS` overrides the iteration count (default 50).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use coop_core::{
    EditOutcome, FileEdit, FileFact, HANDOFF_VERSION, Handoff, RepoFacts, Role, RoleOutput, Task,
    Usage,
};
use coop_plugin_host::{
    EditGrant, Grants, HostConfig, LoadedPlugin, LogLevel, ModelCallError, ModelGrant, PluginHost,
    PluginModelReply, PluginModelRequest, RoleServices, WorkspaceCallError,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const DEFAULT_PLUGINS: [&str; 5] = [
    "router",
    "navigator",
    "architect",
    "implementer",
    "reviewer",
];
const NAV_REPLY: &str = r#"{"summary":"s","next_steps":["x"],"blockers":[],"question":null}"#;

/// Services that answer at once: a canned model reply, an empty workspace.
struct Stub {
    reply: &'static str,
}

impl RoleServices for Stub {
    fn complete(
        &mut self,
        _: Role,
        _: PluginModelRequest,
    ) -> Result<PluginModelReply, ModelCallError> {
        Ok(PluginModelReply {
            text: self.reply.into(),
            usage: Usage::default(),
            model: "stub".into(),
            truncated: false,
        })
    }
    fn list_files(&mut self) -> Result<Vec<FileFact>, WorkspaceCallError> {
        Ok(vec![])
    }
    fn read_file(&mut self, p: &str) -> Result<String, WorkspaceCallError> {
        Err(WorkspaceCallError::NotFound(p.into()))
    }
    fn propose_edits(&mut self, _: Vec<FileEdit>) -> Vec<EditOutcome> {
        vec![]
    }
    fn log(&mut self, _: &str, _: LogLevel, _: &str) {}
    fn denied(&mut self, _: &str, _: &str, _: &str) {}
    fn audit_bytes(&self) -> u64 {
        // Writes no audit log.
        0
    }
}

fn services(reply: &'static str) -> Box<dyn RoleServices> {
    Box::new(Stub { reply })
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn time<R>(f: impl FnOnce() -> R) -> (Duration, R) {
    let t = Instant::now();
    let r = f();
    (t.elapsed(), r)
}

fn host(cache: &Path) -> PluginHost {
    PluginHost::new(HostConfig {
        cache_dir: Some(cache.to_path_buf()),
        ..HostConfig::default()
    })
    .unwrap()
}

fn load_all(h: &PluginHost, wasm: &[(String, Vec<u8>)]) -> Vec<LoadedPlugin> {
    wasm.iter()
        .map(|(p, b)| h.load_bytes(p, b, None).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn handoff(to: Role) -> Handoff {
    Handoff {
        version: HANDOFF_VERSION,
        seq: 1,
        task: Task {
            id: "t".into(),
            text: "add a --verbose flag to the CLI".into(),
        },
        from: None,
        to,
        goals: vec!["ok".into()],
        constraints: vec![],
        files_in_scope: vec![],
        decisions: vec![],
        next_actions: vec![],
        blockers: vec![],
        artifacts: vec![],
        design_notes: None,
        verification: None,
        diff: None,
        findings: vec![],
        attempt: 1,
        recent: vec![],
        summarized_steps: 0,
        context: None,
    }
}

fn all_grants(max_calls: u32) -> Grants {
    Grants {
        model: Some(ModelGrant {
            max_tokens_per_call: 4096,
            max_calls,
        }),
        workspace_read: Some(vec!["**".into()]),
        edits: None,
        log: true,
    }
}

struct Table(Vec<(String, String, String)>);

impl Table {
    fn row(&mut self, what: &str, value: String, note: String) {
        println!("  {what:<58} {value:>12}   {note}");
        self.0.push((what.into(), value, note));
    }
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let iters: usize = std::env::var("COOP_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
        .max(1);
    let dir = root().join("plugins");
    let mut wasm = Vec::new();
    for name in DEFAULT_PLUGINS {
        let p = dir.join(format!("{name}.wasm"));
        match std::fs::read(&p) {
            Ok(b) => wasm.push((p.display().to_string(), b)),
            Err(e) => {
                eprintln!(
                    "error: default plugin {} is missing ({e}).\nBuild the default plugins first: `bash plugins/build.sh` (from the repository root).",
                    p.display()
                );
                std::process::exit(2);
            }
        }
    }
    let total_kib: usize = wasm.iter().map(|(_, b)| b.len()).sum::<usize>() / 1024;
    println!(
        "coop plugin host benchmark: {} default plugins ({total_kib} KiB of components), {iters} iterations, medians",
        wasm.len()
    );
    println!();
    let mut t = Table(vec![]);

    // ---- load: cold (compile + write the cache) vs warm (from the cache).
    let cold_iters = iters.clamp(1, 5);
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let mut nocache = Vec::new();
    for _ in 0..cold_iters {
        let cache = tempfile::tempdir().unwrap();
        let h = host(cache.path());
        let (d, ps) = time(|| load_all(&h, &wasm));
        assert!(ps.iter().all(|p| !p.from_cache));
        cold.push(d);
        drop(h);
        // Warm: fresh host (fresh engine), same cache dir.
        for _ in 0..(iters / cold_iters).max(1) {
            let h = host(cache.path());
            let (d, ps) = time(|| load_all(&h, &wasm));
            assert!(
                ps.iter().all(|p| p.from_cache),
                "warm load did not hit the cache"
            );
            warm.push(d);
        }
    }
    {
        let h = PluginHost::new(HostConfig::default()).unwrap();
        for _ in 0..cold_iters {
            nocache.push(time(|| load_all(&h, &wasm)).0);
        }
    }
    let (cold, warm, nocache) = (median(cold), median(warm), median(nocache));
    println!(
        "load (all {} plugins, digest + manifest + code):",
        wasm.len()
    );
    t.row(
        "cold: compile, no cache",
        ms(nocache),
        format!("({cold_iters} runs)"),
    );
    t.row(
        "cold: compile + write cache (empty cache dir)",
        ms(cold),
        format!(
            "{:.2}x no-cache",
            cold.as_secs_f64() / nocache.as_secs_f64()
        ),
    );
    let goal = Duration::from_millis(50);
    t.row(
        "warm: from the on-disk cache (fresh PluginHost)",
        ms(warm),
        format!(
            "{:.1}x faster than cold; goal <= 50 ms: {}",
            cold.as_secs_f64() / warm.as_secs_f64(),
            if warm <= goal { "MET" } else { "MISSED" }
        ),
    );
    println!();

    // ---- calls on a warm host (pre-linked instance cached after the first call).
    let cache = tempfile::tempdir().unwrap();
    let h = host(cache.path());
    let plugins = load_all(&h, &wasm);
    let router = &plugins[0];
    let nav = &plugins[1];
    let task = Task {
        id: "t".into(),
        text: "add a --verbose flag to the CLI".into(),
    };
    let facts = RepoFacts {
        module_path: "example.com/m".into(),
        packages: vec!["main".into()],
        files: vec![],
        has_tests: true,
    };
    let rgrants = Grants {
        log: true,
        ..Grants::default()
    };

    let (first_route, _) = time(|| {
        h.route(router, &rgrants, services(""), &task, &facts)
            .unwrap()
    });
    let mut route = Vec::new();
    for _ in 0..iters {
        route.push(
            time(|| {
                h.route(router, &rgrants, services(""), &task, &facts)
                    .unwrap()
            })
            .0,
        );
    }
    let route = median(route);
    let ngrants = all_grants(6);
    let nav_call = || match h
        .run_role(
            nav,
            &ngrants,
            Role::Navigator,
            services(NAV_REPLY),
            &handoff(Role::Navigator),
        )
        .unwrap()
    {
        Ok(RoleOutput::Navigation(n)) => assert_eq!(n.summary, "s"),
        other => panic!("navigator: unexpected {other:?}"),
    };
    let (first_nav, _) = time(nav_call);
    let mut navs = Vec::new();
    for _ in 0..iters {
        navs.push(time(nav_call).0);
    }
    let navs = median(navs);
    let goal = Duration::from_millis(1);
    let met = |d: Duration| if d <= goal { "MET" } else { "MISSED" };
    println!("instantiate + one round-trip call (fresh Store each call, warm InstancePre):");
    t.row(
        "router `route` (first call: link + type-check + call)",
        ms(first_route),
        String::new(),
    );
    t.row(
        "router `route` (warm)",
        ms(route),
        format!(
            "{:.1}x faster than first; goal <= 1 ms: {}",
            first_route.as_secs_f64() / route.as_secs_f64(),
            met(route)
        ),
    );
    t.row(
        "navigator `run`, 1 instant model call (first call)",
        ms(first_nav),
        String::new(),
    );
    t.row(
        "navigator `run`, 1 instant model call (warm)",
        ms(navs),
        format!(
            "{:.1}x faster than first; goal <= 1 ms: {}",
            first_nav.as_secs_f64() / navs.as_secs_f64(),
            met(navs)
        ),
    );
    println!();

    // ---- host-call overhead of one model-import call (model excluded).
    let hostile = root().join("plugins-test/hostile.wasm");
    match std::fs::read(&hostile) {
        Err(e) => println!(
            "model-import overhead: skipped ({} missing: {e}; `bash plugins/hostile/build.sh`)",
            hostile.display()
        ),
        Ok(bytes) => {
            const N: u32 = 201;
            let p = h.load_bytes("hostile.wasm", &bytes, None).unwrap();
            // The hostile plugin imports every interface: grant them all.
            let g = Grants {
                edits: Some(EditGrant { globs: vec![] }),
                ..all_grants(N)
            };
            let run = |n: u32| {
                let hand = Handoff {
                    goals: vec![format!("model-flood:{n}")],
                    ..handoff(Role::Navigator)
                };
                match h
                    .run_role(&p, &g, Role::Navigator, services("x"), &hand)
                    .unwrap()
                {
                    Ok(RoleOutput::Navigation(nv)) => assert_eq!(nv.next_steps.len() as u32, n),
                    other => panic!("hostile: unexpected {other:?}"),
                }
            };
            run(1);
            run(N);
            let mut one = Vec::new();
            let mut many = Vec::new();
            for _ in 0..iters {
                one.push(time(|| run(1)).0);
                many.push(time(|| run(N)).0);
            }
            let (one, many) = (median(one), median(many));
            let per = many.saturating_sub(one) / (N - 1);
            println!(
                "model-import host-call overhead (instant stub model; hostile plugin `model-flood`):"
            );
            t.row("run with 1 model call", ms(one), String::new());
            t.row(
                &format!("run with {N} model calls"),
                ms(many),
                String::new(),
            );
            t.row(
                "per model call, model excluded ((N-1 extra) / (N-1))",
                us(per),
                format!(
                    "{:.2}% of a warm navigator run",
                    100.0 * per.as_secs_f64() / navs.as_secs_f64()
                ),
            );
        }
    }
    println!();
    println!(
        "(\"first call\" = what every call cost before the InstancePre cache: linker build + type-check + instantiate + call)"
    );
    println!(
        "(cache dir entries: {} .cwasm files, {} KiB)",
        std::fs::read_dir(cache.path()).unwrap().count(),
        std::fs::read_dir(cache.path())
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum::<u64>()
            / 1024
    );
    let _ = t.0.len();
}
