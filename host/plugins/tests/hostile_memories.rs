//! The store-wide limits (linear memories, core instances, the memory cap
//! for all memories of a call together) through the full plugin path.
//!
//! The runtime's unit tests check the `Limiter` with hand-assembled core
//! modules in a bare store. Here the real hostile component
//! (`target/plugins-test/hostile.wasm`, built by
//! `bash plugins/hostile/build.sh`) is extended, in the test, with core
//! modules and core instances appended at the top level of the component:
//! the component keeps its `coop-manifest` section, loads through
//! `PluginHost::load_bytes`, and the host instantiates the extra instances
//! (and their memories) for the plugin call, before any guest code runs.
//! Each attack must fail as a clean `PluginError` naming the limit, and the
//! same `PluginHost` must then run a well-behaved call of the unmodified
//! component, with real grants and a real git worktree.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use coop_core::{
    EditOutcome, FileEdit, FileFact, HANDOFF_VERSION, Handoff, Navigation, Role, RoleFailure,
    RoleOutput, Task,
};
use coop_plugin_host::{
    EditGrant, Grants, HostConfig, LoadedPlugin, LogLevel, ModelCallError, ModelGrant, PluginError,
    PluginHost, PluginModelReply, PluginModelRequest, RoleServices, WorkspaceCallError,
};
use coop_workspace::{Repo, Worktree};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The plugin's memory cap (as in tests/hostile.rs).
const MEMORY: usize = 64 << 20;
const PAGE: usize = 64 << 10;
/// The host's store-wide caps (host/plugins/src/runtime.rs).
const MAX_MEMORIES: usize = 8;
const MAX_INSTANCES: usize = 100;
const CANNED: &str = "canned reply";

fn wasm_path() -> PathBuf {
    if let Ok(p) = std::env::var("COOP_HOSTILE_WASM") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins-test/hostile.wasm")
}

fn config() -> HostConfig {
    HostConfig {
        call_timeout: Duration::from_secs(2),
        memory_bytes: MEMORY,
        ..HostConfig::default()
    }
}

fn grants() -> Grants {
    Grants {
        model: Some(ModelGrant {
            max_tokens_per_call: 100,
            max_calls: 3,
        }),
        workspace_read: Some(vec!["**".into()]),
        edits: Some(EditGrant {
            globs: vec!["src/**".into()],
        }),
        log: true,
    }
}

// ---------------------------------------------------------------- encoding

fn leb(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A section: id, size, contents (the same layout in modules and components).
fn section(id: u8, contents: &[u8]) -> Vec<u8> {
    let mut s = vec![id];
    leb(contents.len(), &mut s);
    s.extend_from_slice(contents);
    s
}

/// A core module defining `memories` linear memories of `pages` 64 KiB
/// pages each (no maximum), and nothing else. Several memories in one
/// module are the multi-memory proposal, on by default in wasmtime.
fn core_module(memories: usize, pages: usize) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    if memories > 0 {
        let mut mems = Vec::new();
        leb(memories, &mut mems);
        for _ in 0..memories {
            mems.push(0x00); // limits: minimum only
            leb(pages, &mut mems);
        }
        m.extend(section(5, &mems));
    }
    m
}

/// `component` with `module` appended as one more top-level core module,
/// and `instances` core instances of it (no imports) after it. Appending
/// keeps every existing index valid; the manifest section stays as it was.
fn with_extra_instances(component: &[u8], module: &[u8], instances: usize) -> Vec<u8> {
    let types = wasmparser::Validator::new()
        .validate_all(component)
        .expect("the base component is valid");
    let module_index = types.module_count();
    let mut out = component.to_vec();
    // Component section 1: a core module.
    out.extend(section(1, module));
    // Component section 2: core instances, each `0x00 module-index args`
    // (instantiate, with an empty vector of arguments).
    let mut insts = Vec::new();
    leb(instances, &mut insts);
    for _ in 0..instances {
        insts.push(0x00);
        leb(module_index, &mut insts);
        insts.push(0x00);
    }
    out.extend(section(2, &insts));
    wasmparser::Validator::new()
        .validate_all(&out)
        .expect("the extended component is valid");
    out
}

// ---------------------------------------------------------------- services

#[derive(Debug, Default)]
struct Record {
    model_calls: u32,
    logs: Vec<String>,
    denied: Vec<String>,
    edits: Vec<FileEdit>,
    reads: Vec<String>,
}

/// Reads through a real worktree, a canned model, everything recorded.
struct Services {
    wt: Worktree,
    rec: Arc<Mutex<Record>>,
}

impl RoleServices for Services {
    fn complete(
        &mut self,
        _role: Role,
        _req: PluginModelRequest,
    ) -> Result<PluginModelReply, ModelCallError> {
        self.rec.lock().unwrap().model_calls += 1;
        Ok(PluginModelReply {
            text: CANNED.into(),
            usage: Default::default(),
            model: "canned".into(),
            truncated: false,
        })
    }
    fn list_files(&mut self) -> Result<Vec<FileFact>, WorkspaceCallError> {
        Err(WorkspaceCallError::Denied("not used by this suite".into()))
    }
    fn read_file(&mut self, path: &str) -> Result<String, WorkspaceCallError> {
        self.rec.lock().unwrap().reads.push(path.into());
        self.wt
            .read_file(path, 512 * 1024)
            .map_err(|e| WorkspaceCallError::Invalid(e.to_string()))
    }
    fn propose_edits(&mut self, edits: Vec<FileEdit>) -> Vec<EditOutcome> {
        self.rec.lock().unwrap().edits.extend(edits.iter().cloned());
        self.wt.apply_edits(&edits)
    }
    fn log(&mut self, plugin: &str, _level: LogLevel, message: &str) {
        self.rec
            .lock()
            .unwrap()
            .logs
            .push(format!("{plugin}: {message}"));
    }
    fn denied(&mut self, plugin: &str, capability: &str, detail: &str) {
        self.rec
            .lock()
            .unwrap()
            .denied
            .push(format!("{plugin}: {capability}: {detail}"));
    }
    fn audit_bytes(&self) -> u64 {
        0
    }
}

// ---------------------------------------------------------------- fixture

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Fixture {
    _tmp: tempfile::TempDir,
    wt: Worktree,
    host: PluginHost,
    /// The unmodified hostile component (the well-behaved call).
    plugin: LoadedPlugin,
    /// Its bytes, to extend.
    bytes: Vec<u8>,
}

type Outcome = Result<Result<RoleOutput, RoleFailure>, PluginError>;

impl Fixture {
    fn new() -> Fixture {
        let wasm = wasm_path();
        assert!(
            wasm.is_file(),
            "hostile test plugin not found at {}: build it with `bash plugins/hostile/build.sh` \
             (or point COOP_HOSTILE_WASM at a build of plugins/hostile)",
            wasm.display()
        );
        let tmp = tempfile::tempdir().unwrap();
        let repo_dir = tmp.path().join("repo");
        std::fs::create_dir_all(repo_dir.join("src")).unwrap();
        std::fs::write(repo_dir.join("README.md"), "# demo\n").unwrap();
        std::fs::write(repo_dir.join("src/lib.go"), "package demo\n").unwrap();
        git(&repo_dir, &["init", "--quiet", "-b", "main"]);
        git(&repo_dir, &["config", "user.name", "t"]);
        git(&repo_dir, &["config", "user.email", "t@example.com"]);
        git(&repo_dir, &["add", "--all"]);
        git(&repo_dir, &["commit", "--quiet", "-m", "init"]);
        let repo = Repo::open(&repo_dir).unwrap();
        let wt = Worktree::create(&repo, "hostile-memories").unwrap();

        let host = PluginHost::new(config()).unwrap();
        let bytes = std::fs::read(&wasm).unwrap();
        let plugin = host.load_bytes("hostile.wasm", &bytes, None).unwrap();
        assert_eq!(plugin.manifest.name, "coop-hostile");
        Fixture {
            _tmp: tmp,
            wt,
            host,
            plugin,
            bytes,
        }
    }

    fn handoff(goal: &str) -> Handoff {
        Handoff {
            version: HANDOFF_VERSION,
            seq: 1,
            task: Task {
                id: "t".into(),
                text: "attack".into(),
            },
            from: None,
            to: Role::Navigator,
            goals: vec![goal.into()],
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

    fn run(&self, plugin: &LoadedPlugin, goal: &str) -> (Outcome, Record) {
        let rec = Arc::new(Mutex::new(Record::default()));
        let services = Box::new(Services {
            wt: self.wt.clone(),
            rec: rec.clone(),
        });
        let out = self.host.run_role(
            plugin,
            &grants(),
            Role::Navigator,
            services,
            &Self::handoff(goal),
        );
        let rec = std::mem::take(&mut *rec.lock().unwrap());
        (out, rec)
    }

    /// Load the hostile component extended with `instances` core instances
    /// of `module` (through the full path: manifest, compile, type check),
    /// run its well-behaved goal, which must fail at instantiation with no
    /// guest code run; then the same host runs the unmodified component's
    /// well-behaved call. Returns the host's error.
    fn attack(&self, what: &str, module: &[u8], instances: usize) -> PluginError {
        let bytes = with_extra_instances(&self.bytes, module, instances);
        let plugin = self
            .host
            .load_bytes(&format!("{what}.wasm"), &bytes, None)
            .unwrap_or_else(|e| panic!("{what}: the extended component must load: {e}"));
        assert_eq!(plugin.manifest.name, "coop-hostile", "{what}");
        let t = Instant::now();
        let (out, rec) = self.run(&plugin, "ok");
        let took = t.elapsed();
        let err = match out {
            Err(e) => e,
            Ok(o) => panic!("{what}: expected a plugin error, got {o:?}"),
        };
        eprintln!("{what} -> PluginError::{err:?} ({took:?})");
        assert!(
            took < Duration::from_secs(5),
            "{what}: refused only after {took:?}"
        );
        // Refused while instantiating: no guest code ran, no host call.
        assert_eq!(rec.model_calls, 0, "{what}");
        assert!(rec.logs.is_empty(), "{what}: {:?}", rec.logs);
        assert!(rec.reads.is_empty(), "{what}: {:?}", rec.reads);
        assert!(rec.edits.is_empty(), "{what}");
        assert!(rec.denied.is_empty(), "{what}");
        self.still_works(what);
        // And the extended plugin is refused the same way again (the
        // pre-linked instance the host cached for it is not poisoned).
        let (again, _) = self.run(&plugin, "ok");
        assert_eq!(
            again.err().map(|e| e.to_string()),
            Some(err.to_string()),
            "{what}: second call"
        );
        err
    }

    fn still_works(&self, after: &str) {
        let (out, rec) = self.run(&self.plugin, "ok");
        let nav = navigation(out).unwrap_or_else(|e| panic!("host broken after {after:?}: {e}"));
        assert_eq!(
            nav.next_steps,
            vec![
                "ok:# demo\n".to_string(),
                format!("ok:{CANNED}"),
                "ok:done".into()
            ]
        );
        assert_eq!(rec.model_calls, 1);
        assert_eq!(
            rec.logs,
            vec!["coop-hostile: hostile plugin behaved".to_string()]
        );
        assert!(rec.denied.is_empty());
    }
}

fn navigation(out: Outcome) -> Result<Navigation, String> {
    match out {
        Ok(Ok(RoleOutput::Navigation(n))) => Ok(n),
        Ok(Ok(other)) => Err(format!("unexpected output {other:?}")),
        Ok(Err(f)) => Err(format!("role failure {f:?}")),
        Err(e) => Err(format!("plugin error {e}")),
    }
}

/// The reason of an `Instantiate` error of the hostile plugin: how the
/// host reports a limiter refusal during instantiation today.
fn instantiate_reason(what: &str, err: PluginError) -> String {
    assert_eq!(err.kind(), "instantiate", "{what}: {err:?}");
    match err {
        PluginError::Instantiate { plugin, reason } => {
            assert_eq!(plugin, "coop-hostile", "{what}");
            reason
        }
        e => panic!("{what}: expected Instantiate, got {e:?}"),
    }
}

// ---------------------------------------------------------------- tests

#[test]
fn the_extension_alone_is_harmless() {
    // Control: the same encoding within the caps instantiates and runs,
    // so the refusals below are the limits, not a broken component.
    let f = Fixture::new();
    let bytes = with_extra_instances(&f.bytes, &core_module(1, 1), 1);
    let plugin = f.host.load_bytes("one-more.wasm", &bytes, None).unwrap();
    let (out, rec) = f.run(&plugin, "ok");
    let nav = navigation(out).unwrap();
    assert_eq!(nav.next_steps.last().map(String::as_str), Some("ok:done"));
    assert_eq!(rec.model_calls, 1);
}

#[test]
fn more_memories_than_the_store_cap_fail_to_instantiate() {
    let f = Fixture::new();
    // Nine empty memories: in one module (multi-memory), and one per
    // instance in nine instances. Zero pages, so the memory cap in bytes
    // plays no part: this is the count.
    for (what, module, instances) in [
        ("nine-memories-in-one-module", core_module(9, 0), 1),
        ("nine-instances-of-one-memory", core_module(1, 0), 9),
    ] {
        let reason = instantiate_reason(what, f.attack(what, &module, instances));
        assert!(
            reason.contains("resource limit exceeded: memory count too high"),
            "{what}: {reason}"
        );
        // The count includes the component's own memories: the refusal
        // comes at the first memory over the cap, never later.
        let at: usize = reason
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{what}: no count in {reason:?}"));
        assert!(at > MAX_MEMORIES, "{what}: {reason}");
    }
}

#[test]
fn memories_under_the_cap_each_but_over_it_together_fail_to_instantiate() {
    let f = Fixture::new();
    // Four memories of 40% of the cap each: each alone fits, together they
    // are 160% of it.
    let pages = (MEMORY * 2 / 5).div_ceil(PAGE);
    assert!(pages * PAGE < MEMORY && 4 * pages * PAGE > MEMORY);
    for (what, module, instances) in [
        ("four-instances-of-40-percent", core_module(1, pages), 4),
        (
            "four-memories-of-40-percent-in-one-module",
            core_module(4, pages),
            1,
        ),
    ] {
        // Reported as the memory cap it is (the sum over all the call's
        // memories), not as an engine failure naming one memory's size.
        match f.attack(what, &module, instances) {
            PluginError::MemoryLimit {
                plugin,
                limit_bytes,
            } => {
                assert_eq!(plugin, "coop-hostile", "{what}");
                assert_eq!(limit_bytes, MEMORY, "{what}");
            }
            e => panic!("{what}: expected MemoryLimit, got {e:?}"),
        }
    }
    // One such memory alone runs (control for the sum).
    let one = with_extra_instances(&f.bytes, &core_module(1, pages), 1);
    let plugin = f
        .host
        .load_bytes("one-40-percent.wasm", &one, None)
        .unwrap();
    let (out, _) = f.run(&plugin, "ok");
    navigation(out).unwrap();
}

#[test]
fn more_core_instances_than_the_store_cap_fail_to_instantiate() {
    let f = Fixture::new();
    let what = "instances-over-the-cap";
    let reason = instantiate_reason(what, f.attack(what, &core_module(0, 0), MAX_INSTANCES + 1));
    assert!(
        reason.contains("resource limit exceeded: instance count too high"),
        "{what}: {reason}"
    );
}
