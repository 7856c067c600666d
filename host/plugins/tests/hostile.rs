//! The hostile-plugin suite: a deliberately malicious component
//! (`plugins/hostile`, built by `plugins/hostile/build.sh` into
//! `target/plugins-test/hostile.wasm`) attacks the plugin host, and every
//! attack must be contained with the exact expected error, nothing changed on
//! disk (inside or outside the worktree), and the same `PluginHost` still
//! running a well-behaved call afterwards.
//!
//! Path confinement is the real thing: the services delegate to a real
//! `coop_workspace::Worktree` of a temporary git repository.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use coop_core::hash::sha256_hex;
use coop_core::{
    EditOutcome, FileEdit, FileFact, HANDOFF_VERSION, Handoff, Navigation, Role, RoleFailure,
    RoleOutput, Task,
};
use coop_plugin_host::{
    DEFAULT_MAX_AUDIT_BYTES, EditGrant, Grants, HostConfig, LoadedPlugin, LogLevel, ModelCallError,
    ModelGrant, PluginError, PluginHost, PluginModelReply, PluginModelRequest, RoleServices,
    WorkspaceCallError,
};
use coop_workspace::{Repo, WorkspaceError, Worktree};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MEMORY: usize = 64 << 20;
const OUTPUT_CAP: usize = 1 << 20;
const TIMEOUT: Duration = Duration::from_secs(2);
const MAX_CALLS: u32 = 3;
const MAX_TOKENS: u32 = 100;
const SECRET: &str = "top secret: outside the worktree\n";
const CANNED: &str = "canned reply";

fn wasm_path() -> PathBuf {
    if let Ok(p) = std::env::var("COOP_HOSTILE_WASM") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins-test/hostile.wasm")
}

fn config() -> HostConfig {
    HostConfig {
        call_timeout: TIMEOUT,
        memory_bytes: MEMORY,
        max_output_bytes: OUTPUT_CAP,
        ..HostConfig::default()
    }
}

/// Everything the plugin asked for, reads wide open (`**`), edits only `src/**`.
fn grants() -> Grants {
    Grants {
        model: Some(ModelGrant {
            max_tokens_per_call: MAX_TOKENS,
            max_calls: MAX_CALLS,
        }),
        workspace_read: Some(vec!["**".into()]),
        edits: Some(EditGrant {
            globs: vec!["src/**".into()],
        }),
        log: true,
    }
}

/// Reads limited to `src/**` and `README.md` (so `.env` is excluded).
fn narrow_read() -> Grants {
    Grants {
        workspace_read: Some(vec!["src/**".into(), "README.md".into()]),
        ..grants()
    }
}

/// Edits granted everywhere: only the worktree's own confinement stands
/// between the plugin and `.git`, `..`, absolute paths and symlinks.
fn wide_edits() -> Grants {
    Grants {
        edits: Some(EditGrant {
            globs: vec!["**".into()],
        }),
        ..grants()
    }
}

// ---------------------------------------------------------------- services

#[derive(Debug, Default)]
struct Record {
    model_calls: u32,
    max_tokens_seen: Vec<u32>,
    denied: Vec<(String, String, String)>,
    logs: Vec<String>,
    edits_reaching_worktree: Vec<FileEdit>,
    /// What an audit log would have grown by: each log line and denial,
    /// plus a line's fixed fields (seq, time, chain hash).
    audit_bytes: u64,
}

/// The fixed part of an audit line (seq, ts, event, prev hash).
const AUDIT_LINE_OVERHEAD: usize = 160;

/// Test `RoleServices`: reads, lists and edits through the real worktree
/// (like host/cli/src/services.rs), a canned model, everything recorded.
struct Services {
    wt: Worktree,
    rec: Arc<Mutex<Record>>,
    /// How long each `log` takes (a slow disk's fsync).
    log_delay: Duration,
}

fn ws_err(e: WorkspaceError) -> WorkspaceCallError {
    match e {
        WorkspaceError::Path(p) => WorkspaceCallError::Denied(p.to_string()),
        WorkspaceError::TooLarge { size, .. } => WorkspaceCallError::TooLarge(size),
        WorkspaceError::NotAFile(p) => WorkspaceCallError::NotFound(p),
        WorkspaceError::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
            WorkspaceCallError::NotFound(path.display().to_string())
        }
        other => WorkspaceCallError::Invalid(other.to_string()),
    }
}

impl RoleServices for Services {
    fn complete(
        &mut self,
        _role: Role,
        req: PluginModelRequest,
    ) -> Result<PluginModelReply, ModelCallError> {
        let mut r = self.rec.lock().unwrap();
        r.model_calls += 1;
        r.max_tokens_seen.push(req.max_tokens);
        Ok(PluginModelReply {
            text: CANNED.into(),
            usage: Default::default(),
            model: "canned".into(),
            truncated: false,
        })
    }
    fn list_files(&mut self) -> Result<Vec<FileFact>, WorkspaceCallError> {
        let files = self.wt.list_files().map_err(ws_err)?;
        Ok(files
            .into_iter()
            .map(|path| FileFact {
                path,
                bytes: 0,
                package: String::new(),
                is_test: false,
            })
            .collect())
    }
    fn read_file(&mut self, path: &str) -> Result<String, WorkspaceCallError> {
        self.wt.read_file(path, 512 * 1024).map_err(ws_err)
    }
    fn propose_edits(&mut self, edits: Vec<FileEdit>) -> Vec<EditOutcome> {
        self.rec
            .lock()
            .unwrap()
            .edits_reaching_worktree
            .extend(edits.iter().cloned());
        self.wt.apply_edits(&edits)
    }
    fn log(&mut self, plugin: &str, _level: LogLevel, message: &str) {
        std::thread::sleep(self.log_delay);
        let mut r = self.rec.lock().unwrap();
        r.audit_bytes += (AUDIT_LINE_OVERHEAD + plugin.len() + message.len()) as u64;
        r.logs.push(format!("{plugin}: {message}"));
    }
    fn denied(&mut self, plugin: &str, capability: &str, detail: &str) {
        let mut r = self.rec.lock().unwrap();
        r.audit_bytes +=
            (AUDIT_LINE_OVERHEAD + plugin.len() + capability.len() + detail.len()) as u64;
        r.denied
            .push((plugin.into(), capability.into(), detail.into()));
    }
    fn audit_bytes(&self) -> u64 {
        self.rec.lock().unwrap().audit_bytes
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

/// Every entry under `root` (not following links): path → content sha256,
/// `link:<target>` or `dir`.
fn snapshot(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let ft = e.file_type().unwrap();
            if ft.is_symlink() {
                out.insert(
                    rel,
                    format!("link:{}", std::fs::read_link(&p).unwrap().display()),
                );
            } else if ft.is_dir() {
                out.insert(rel, "dir".into());
                walk(root, &p, out);
            } else {
                out.insert(rel, sha256_hex(&std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

struct Fixture {
    tmp: tempfile::TempDir,
    secret: PathBuf,
    wt: Worktree,
    host: PluginHost,
    plugin: LoadedPlugin,
    log_delay: Duration,
}

type Outcome = Result<Result<RoleOutput, RoleFailure>, PluginError>;

impl Fixture {
    fn new() -> Fixture {
        Fixture::with_config(config())
    }

    fn with_config(cfg: HostConfig) -> Fixture {
        let wasm = wasm_path();
        assert!(
            wasm.is_file(),
            "hostile test plugin not found at {}: build it with `bash plugins/hostile/build.sh` \
             (or point COOP_HOSTILE_WASM at a build of plugins/hostile)",
            wasm.display()
        );
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let secret = outside.join("secret.txt");
        std::fs::write(&secret, SECRET).unwrap();

        let repo_dir = tmp.path().join("repo");
        std::fs::create_dir_all(repo_dir.join("src")).unwrap();
        std::fs::write(repo_dir.join("README.md"), "# demo\n").unwrap();
        std::fs::write(repo_dir.join("src/lib.go"), "package demo\n").unwrap();
        std::fs::write(repo_dir.join(".env"), "API_KEY=hunter2\n").unwrap();
        std::os::unix::fs::symlink(&secret, repo_dir.join("link")).unwrap();
        std::os::unix::fs::symlink(&outside, repo_dir.join("linkdir")).unwrap();
        std::os::unix::fs::symlink(&secret, repo_dir.join("src/inner-link")).unwrap();
        git(&repo_dir, &["init", "--quiet", "-b", "main"]);
        git(&repo_dir, &["config", "user.name", "t"]);
        git(&repo_dir, &["config", "user.email", "t@example.com"]);
        git(&repo_dir, &["add", "--all"]);
        git(&repo_dir, &["commit", "--quiet", "-m", "init"]);
        let repo = Repo::open(&repo_dir).unwrap();
        let wt = Worktree::create(&repo, "hostile").unwrap();
        assert!(
            wt.root()
                .join("link")
                .symlink_metadata()
                .unwrap()
                .file_type()
                .is_symlink()
        );

        let host = PluginHost::new(cfg).unwrap();
        let plugin = host.load(&wasm, None).unwrap();
        assert_eq!(plugin.manifest.name, "coop-hostile");
        Fixture {
            tmp,
            secret,
            wt,
            host,
            plugin,
            log_delay: Duration::ZERO,
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

    fn run(&self, grants: &Grants, goal: &str) -> (Outcome, Record) {
        let rec = Arc::new(Mutex::new(Record::default()));
        let services = Box::new(Services {
            wt: self.wt.clone(),
            rec: rec.clone(),
            log_delay: self.log_delay,
        });
        let out = self.host.run_role(
            &self.plugin,
            grants,
            Role::Navigator,
            services,
            &Self::handoff(goal),
        );
        let rec = std::mem::take(&mut *rec.lock().unwrap());
        (out, rec)
    }

    /// Run one attack: the disk (repository, worktree, outside directory) is
    /// unchanged afterwards, and the same host then runs a well-behaved call.
    fn attack(&self, grants: &Grants, goal: &str) -> (Outcome, Record) {
        let before = snapshot(self.tmp.path());
        let res = self.run(grants, goal);
        let shown = match &res.0 {
            Ok(Ok(RoleOutput::Navigation(n))) => format!("guest saw: {}", n.next_steps.join(" | ")),
            Ok(other) => format!("{other:?}"),
            Err(e) => format!("PluginError::{:?}", e),
        };
        eprintln!(
            "attack {goal:?} -> {}",
            shown.chars().take(400).collect::<String>()
        );
        let after = snapshot(self.tmp.path());
        assert_eq!(before, after, "attack {goal:?} changed the disk");
        assert_eq!(
            std::fs::read_to_string(&self.secret).unwrap(),
            SECRET,
            "attack {goal:?}: secret changed"
        );
        self.still_works(goal);
        res
    }

    fn still_works(&self, after: &str) {
        let (out, rec) = self.run(&grants(), "ok");
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

/// The plugin's report (its `Navigation` output), or the host's error.
fn navigation(out: Outcome) -> Result<Navigation, String> {
    match out {
        Ok(Ok(RoleOutput::Navigation(n))) => Ok(n),
        Ok(Ok(other)) => Err(format!("unexpected output {other:?}")),
        Ok(Err(f)) => Err(format!("role failure {f:?}")),
        Err(e) => Err(format!("plugin error {e}")),
    }
}

fn report(out: Outcome) -> String {
    navigation(out).unwrap().summary
}

fn host_error(out: Outcome) -> PluginError {
    match out {
        Err(e) => e,
        Ok(o) => panic!("expected a plugin error, got {o:?}"),
    }
}

// ---------------------------------------------------------------- reads

#[test]
fn reads_outside_the_worktree_are_denied_by_confinement() {
    let f = Fixture::new();
    // Reads granted as `**`: the worktree's confinement is what refuses.
    let cases = [
        ("read:link", r#"denied:"link": "link" is a symbolic link"#),
        (
            "read:linkdir/secret.txt",
            r#"denied:"linkdir/secret.txt": "linkdir" is a symbolic link"#,
        ),
        (
            "read:src/inner-link",
            r#"denied:"src/inner-link": "inner-link" is a symbolic link"#,
        ),
        (
            "read:.git/config",
            r#"denied:".git/config": paths inside .git are not allowed"#,
        ),
        (
            "read:.git",
            r#"denied:".git": paths inside .git are not allowed"#,
        ),
        (
            "read:.GIT/config",
            r#"denied:".GIT/config": paths inside .git are not allowed"#,
        ),
    ];
    for (goal, expected) in cases {
        let (out, rec) = f.attack(&grants(), goal);
        assert_eq!(report(out), expected, "{goal}");
        assert!(
            rec.denied.is_empty(),
            "{goal}: the grant allowed it, the worktree refused"
        );
    }
    // No leak of the secret through the listing either: links are not files.
    let (out, _) = f.attack(&grants(), "list");
    let listed = navigation(out).unwrap().next_steps;
    assert_eq!(
        listed,
        vec!["file:.env", "file:README.md", "file:src/lib.go"]
    );
}

#[test]
fn reads_outside_the_granted_globs_are_denied_and_audited() {
    let f = Fixture::new();
    // `**` includes dot files: with the wide grant `.env` is readable ...
    let (out, _) = f.attack(&grants(), "read:.env");
    assert_eq!(report(out), "ok:API_KEY=hunter2\n");
    // ... and a grant that leaves it out denies it, with a `denied` audit.
    for (goal, path) in [("read:.env", ".env"), ("read:link", "link")] {
        let (out, rec) = f.attack(&narrow_read(), goal);
        let msg = format!("{path} is outside the granted read globs");
        assert_eq!(report(out), format!("denied:{msg}"), "{goal}");
        assert_eq!(
            rec.denied,
            vec![(
                "coop-hostile".to_string(),
                "workspace.read".to_string(),
                msg
            )],
            "{goal}"
        );
    }
    let (out, _) = f.attack(&narrow_read(), "list");
    assert_eq!(
        navigation(out).unwrap().next_steps,
        vec!["file:README.md", "file:src/lib.go"]
    );
}

// ---------------------------------------------------------------- edits

#[test]
fn edits_outside_the_edit_globs_are_denied_before_the_worktree() {
    let f = Fixture::new();
    for goal in [
        "write:README.md",
        "delete:README.md",
        "write:.env",
        "write:.git/config",
        "replace:.git/config",
        "delete:.git/config",
        "write:link",
    ] {
        let path = goal.split_once(':').unwrap().1;
        let (out, rec) = f.attack(&grants(), goal);
        let msg = format!("{path} is outside the granted edit globs");
        assert_eq!(report(out), format!("rejected:{path}:{msg}"), "{goal}");
        assert_eq!(
            rec.denied,
            vec![("coop-hostile".to_string(), "edits".to_string(), msg)],
            "{goal}"
        );
        assert!(rec.edits_reaching_worktree.is_empty(), "{goal}");
    }
}

/// Paths with no canonical form (absolute, `..`, control characters that
/// could redraw a confirmation prompt, invisible formatting characters) are
/// refused where they enter the host, audited, and reach neither the grant
/// check nor the worktree.
#[test]
fn paths_without_a_canonical_form_are_refused_where_they_enter() {
    let f = Fixture::new();
    for path in [
        "../pwned",
        "src/../../pwned",
        "/tmp/pwned",
        "src/a\nb.go",
        "src/\u{1b}[2Ka.go",
        "src/a\u{202E}og.go",
        "src\\a.go",
    ] {
        for grants in [grants(), wide_edits()] {
            let (out, rec) = f.attack(&grants, &format!("write:{path}"));
            let shown = report(out);
            assert!(
                shown.starts_with(&format!("rejected:{}:invalid path: ", path.escape_debug())),
                "{path:?}: {shown}"
            );
            assert!(
                !shown.contains('\u{1b}') && !shown.contains('\n'),
                "{path:?}: shown raw: {shown:?}"
            );
            assert!(rec.edits_reaching_worktree.is_empty(), "{path:?}");
            assert_eq!(rec.denied.len(), 1, "{path:?}: {:?}", rec.denied);
            assert_eq!(rec.denied[0].1, "edits");
            let (out, rec) = f.attack(&grants, &format!("read:{path}"));
            let shown = report(out);
            assert!(
                shown.starts_with("denied:invalid path: "),
                "{path:?}: {shown}"
            );
            assert_eq!(rec.denied.len(), 1, "{path:?}");
            assert_eq!(rec.denied[0].1, "workspace.read");
        }
    }
}

/// Every check after the boundary sees one spelling of a path: the grant
/// (`./src/a.go` is inside `src/**`), and the worktree's callers, where the
/// risk classifier and the secret-file rule run (`go.mod/` arrives as
/// `go.mod`, `./.github/workflows/x.yml` as `.github/workflows/x.yml`).
#[test]
fn every_check_sees_the_canonical_spelling_of_a_path() {
    let f = Fixture::new();
    let (out, rec) = f.run(&grants(), "write:./src//a.go/");
    assert_eq!(report(out), "applied:src/a.go");
    assert_eq!(
        rec.edits_reaching_worktree
            .iter()
            .map(|e| e.path())
            .collect::<Vec<_>>(),
        ["src/a.go"]
    );
    for (raw, canonical) in [
        ("go.mod/", "go.mod"),
        ("./.github/workflows/x.yml", ".github/workflows/x.yml"),
        (".env/", ".env"),
    ] {
        let (_, rec) = f.run(&wide_edits(), &format!("write:{raw}"));
        assert_eq!(
            rec.edits_reaching_worktree
                .iter()
                .map(|e| e.path())
                .collect::<Vec<_>>(),
            [canonical],
            "{raw}"
        );
    }
    let (out, _) = f.attack(&narrow_read(), "read:./src/lib.go");
    assert!(
        report(out).starts_with("ok:package"),
        "the read grant sees src/lib.go"
    );
    let (out, _) = f.attack(&narrow_read(), "read:.env/");
    assert_eq!(report(out), "denied:.env is outside the granted read globs");
}

#[test]
fn edits_into_git_absolute_parent_or_symlinks_are_refused_by_confinement() {
    let f = Fixture::new();
    // Edits granted as `**`: the worktree's confinement is what refuses.
    let cases = [
        (
            "write:.git/config",
            r#"".git/config": paths inside .git are not allowed"#,
        ),
        (
            "replace:.git/config",
            r#"".git/config": paths inside .git are not allowed"#,
        ),
        (
            "delete:.git/config",
            r#"".git/config": paths inside .git are not allowed"#,
        ),
        (
            "write:.git/hooks/pre-commit",
            r#"".git/hooks/pre-commit": paths inside .git are not allowed"#,
        ),
        (
            "write:src/.git/config",
            r#""src/.git/config": paths inside .git are not allowed"#,
        ),
        ("write:link", r#""link": "link" is a symbolic link"#),
        ("delete:link", r#""link": "link" is a symbolic link"#),
        (
            "write:linkdir/secret.txt",
            r#""linkdir/secret.txt": "linkdir" is a symbolic link"#,
        ),
        (
            "write:linkdir/new.txt",
            r#""linkdir/new.txt": "linkdir" is a symbolic link"#,
        ),
        (
            "write:src/inner-link",
            r#""src/inner-link": "inner-link" is a symbolic link"#,
        ),
    ];
    for (goal, reason) in cases {
        let path = goal.split_once(':').unwrap().1;
        let (out, rec) = f.attack(&wide_edits(), goal);
        assert_eq!(report(out), format!("rejected:{path}:{reason}"), "{goal}");
        assert!(
            rec.denied.is_empty(),
            "{goal}: the grant allowed it, the worktree refused"
        );
        assert_eq!(rec.edits_reaching_worktree.len(), 1, "{goal}");
    }
}

#[test]
fn an_import_that_is_not_granted_fails_naming_it() {
    let f = Fixture::new();
    let no_edits = Grants {
        edits: None,
        ..grants()
    };
    let (out, rec) = f.attack(&no_edits, "write:src/x.go");
    match host_error(out) {
        PluginError::ImportNotGranted { plugin, import } => {
            assert_eq!(plugin, "coop-hostile");
            assert_eq!(import, "coop:mob/edits@0.2.1");
        }
        e => panic!("expected ImportNotGranted, got {e:?}"),
    }
    assert_eq!(rec.edits_reaching_worktree.len(), 0);
    // Same for every other interface it imports, and for the empty default grant.
    for (g, iface) in [
        (
            Grants {
                model: None,
                ..grants()
            },
            "model",
        ),
        (
            Grants {
                workspace_read: None,
                ..grants()
            },
            "workspace",
        ),
        (
            Grants {
                log: false,
                ..grants()
            },
            "log",
        ),
        (Grants::default(), "model"),
    ] {
        let (out, _) = f.attack(&g, "ok");
        match host_error(out) {
            PluginError::ImportNotGranted { import, .. } => {
                assert_eq!(import, format!("coop:mob/{iface}@0.2.1"))
            }
            e => panic!("expected ImportNotGranted for {iface}, got {e:?}"),
        }
    }
}

// ---------------------------------------------------------------- limits

fn assert_timeout(f: &Fixture, goal: &str) {
    let t = Instant::now();
    let (out, _) = f.attack(&grants(), goal);
    let took = t.elapsed();
    match host_error(out) {
        PluginError::Timeout { plugin, limit_ms } => {
            assert_eq!(plugin, "coop-hostile");
            assert_eq!(limit_ms, 2000);
        }
        e => panic!("{goal}: expected Timeout, got {e:?}"),
    }
    // `attack` also ran the well-behaved call; both together stay well
    // within a few seconds of the 2 s limit.
    assert!(
        took >= TIMEOUT,
        "{goal}: returned after {took:?}, before the limit"
    );
    assert!(
        took < Duration::from_secs(8),
        "{goal}: returned only after {took:?}"
    );
}

#[test]
fn an_endless_loop_times_out() {
    let f = Fixture::new();
    assert_timeout(&f, "loop");
}

#[test]
fn a_wasi_sleep_cannot_outlast_the_deadline() {
    let f = Fixture::new();
    // An hour, then one so long that wasmtime-wasi would wait forever.
    assert_timeout(&f, "sleep:3600");
    assert_timeout(&f, "sleep:18446744073");
    // A short sleep within the limit is fine.
    let (out, _) = f.attack(&grants(), "sleep:0");
    assert_eq!(report(out), "ok:woke up");
}

#[test]
fn unbounded_allocation_hits_the_memory_limit() {
    let f = Fixture::new();
    let (out, _) = f.attack(&grants(), "alloc");
    match host_error(out) {
        PluginError::MemoryLimit {
            plugin,
            limit_bytes,
        } => {
            assert_eq!(plugin, "coop-hostile");
            assert_eq!(limit_bytes, MEMORY);
        }
        e => panic!("expected MemoryLimit, got {e:?}"),
    }
}

#[test]
fn a_huge_return_value_is_refused() {
    let f = Fixture::new();
    // 100 MB cannot even be built inside a 64 MiB instance.
    let (out, _) = f.attack(&grants(), "huge:104857600");
    match host_error(out) {
        PluginError::MemoryLimit { limit_bytes, .. } => assert_eq!(limit_bytes, MEMORY),
        e => panic!("expected MemoryLimit, got {e:?}"),
    }
    // 2 MiB fits in memory but not under the 1 MiB output cap.
    let (out, _) = f.attack(&grants(), "huge:2097152");
    match host_error(out) {
        PluginError::OutputTooLarge { plugin, bytes, cap } => {
            assert_eq!(plugin, "coop-hostile");
            assert_eq!(cap, OUTPUT_CAP);
            assert!(
                bytes > 2 * 2_097_152,
                "summary and next-steps both carry it: {bytes}"
            );
        }
        e => panic!("expected OutputTooLarge, got {e:?}"),
    }
}

#[test]
fn a_panic_is_a_trap() {
    let f = Fixture::new();
    let (out, _) = f.attack(&grants(), "panic");
    match host_error(out) {
        PluginError::Trap { plugin, reason } => {
            assert_eq!(plugin, "coop-hostile");
            // std's panic handler aborts; the panic message went to the
            // discarded stderr.
            assert!(
                reason.contains("wasm `unreachable` instruction executed"),
                "{reason}"
            );
            assert!(
                reason.len() < 8 << 10,
                "the backtrace is capped: {} bytes",
                reason.len()
            );
        }
        e => panic!("expected Trap, got {e:?}"),
    }
}

#[test]
fn a_stack_overflow_is_a_trap() {
    let f = Fixture::new();
    let (out, _) = f.attack(&grants(), "recurse");
    match host_error(out) {
        PluginError::Trap { plugin, reason } => {
            assert_eq!(plugin, "coop-hostile");
            // The shadow stack runs off the bottom of linear memory.
            assert!(reason.contains("out of bounds memory access"), "{reason}");
            assert!(
                reason.len() < 8 << 10,
                "the backtrace is capped: {} bytes",
                reason.len()
            );
        }
        e => panic!("expected Trap, got {e:?}"),
    }
}

// ---------------------------------------------------------------- model

#[test]
fn more_model_calls_than_granted_are_denied() {
    let f = Fixture::new();
    let (out, rec) = f.attack(&grants(), "model-flood:5");
    let msg = format!("the grant allows {MAX_CALLS} model calls per step; all are used");
    let mut expected = vec![format!("ok:{CANNED}"); 3];
    expected.extend([format!("denied:{msg}"), format!("denied:{msg}")]);
    assert_eq!(navigation(out).unwrap().next_steps, expected);
    assert_eq!(
        rec.model_calls, MAX_CALLS,
        "denied calls never reach the model"
    );
    let d = ("coop-hostile".to_string(), "model".to_string(), msg);
    assert_eq!(rec.denied, vec![d.clone(), d]);
}

#[test]
fn max_tokens_above_the_grant_are_denied() {
    let f = Fixture::new();
    let (out, rec) = f.attack(&grants(), "model-big:1000");
    let msg = format!("max-tokens 1000 is above the grant of {MAX_TOKENS} per call");
    assert_eq!(report(out), format!("denied:{msg}"));
    assert_eq!(rec.model_calls, 0);
    assert_eq!(
        rec.denied,
        vec![("coop-hostile".to_string(), "model".to_string(), msg)]
    );
    // At the grant exactly is fine.
    let (out, rec) = f.attack(&grants(), &format!("model-big:{MAX_TOKENS}"));
    assert_eq!(report(out), format!("ok:{CANNED}"));
    assert_eq!(rec.max_tokens_seen, vec![MAX_TOKENS]);
}

// ---------------------------------------------------------------- host-call caps

/// A plugin looping on `log` or on calls the grant refuses: each is host
/// time (which the guest deadline does not count) and, in coop, an fsync'd
/// audit line. The host-call cap ends the call at the first call over the
/// cap, before that call does anything: exactly the cap's worth reached the
/// services, and the cap itself adds no line per excess call.
#[test]
fn a_plugin_looping_on_log_or_denied_calls_hits_the_host_call_cap() {
    const CAP: u64 = 500;
    let f = Fixture::with_config(HostConfig {
        max_host_calls: CAP,
        ..config()
    });
    for goal in ["log-flood:100000:1", "deny-flood:100000"] {
        let (out, rec) = f.attack(&grants(), goal);
        let e = host_error(out);
        assert!(e.to_string().contains("host-call cap"), "{goal}: {e}");
        assert_eq!(e.kind(), "host-call-limit");
        match e {
            PluginError::HostCallLimit { plugin, limit } => {
                assert_eq!(plugin, "coop-hostile");
                assert_eq!(limit, CAP);
            }
            e => panic!("{goal}: expected HostCallLimit, got {e:?}"),
        }
        let reached = (rec.logs.len() + rec.denied.len()) as u64;
        assert_eq!(reached, CAP, "{goal}: calls that reached the services");
        assert_eq!(
            rec.model_calls, 0,
            "{goal}: denied calls never reach the model"
        );
    }
    // One proposed edit is one host call: a single batch cannot carry more
    // than the cap (each edit outside the globs would be a denial line) ...
    let (out, rec) = f.attack(&grants(), &format!("edit-batch:{}", CAP + 1));
    assert!(matches!(host_error(out), PluginError::HostCallLimit { .. }));
    assert!(rec.denied.is_empty() && rec.edits_reaching_worktree.is_empty());
    // ... and one within it is handled as before.
    let (out, rec) = f.attack(&grants(), &format!("edit-batch:{CAP}"));
    assert_eq!(report(out), format!("ok:{CAP} outcomes"));
    assert_eq!(rec.denied.len() as u64, CAP);
}

/// The audit bytes one plugin call can cause are capped (default 1 MiB):
/// big log lines, denials that echo a long path, and small lines in great
/// number all stop at the cap, not at the disk's end. A path longer than
/// any file system takes is refused without being echoed.
#[test]
fn the_audit_bytes_a_plugin_call_causes_are_capped() {
    let f = Fixture::new();
    let cap = DEFAULT_MAX_AUDIT_BYTES;
    assert_eq!(
        config().max_audit_bytes,
        cap,
        "the tests run on the default"
    );
    for (g, goal) in [
        (grants(), "log-flood:1000:8000"),
        (narrow_read(), "read-flood:1000:4000"),
        // 1-byte lines: the audit-bytes cap comes before the host-call cap.
        (grants(), "log-flood:100000:1"),
    ] {
        let (out, rec) = f.attack(&g, goal);
        let e = host_error(out);
        assert!(e.to_string().contains("audit-bytes cap"), "{goal}: {e}");
        match e {
            PluginError::AuditLimit {
                plugin,
                limit_bytes,
            } => {
                assert_eq!(plugin, "coop-hostile");
                assert_eq!(limit_bytes, cap);
            }
            e => panic!("{goal}: expected AuditLimit, got {e:?}"),
        }
        assert!(
            rec.audit_bytes <= cap,
            "{goal}: {} audit bytes written, above the cap",
            rec.audit_bytes
        );
        assert!(
            rec.audit_bytes > cap - 10_000,
            "{goal}: stopped at {} bytes, well before the cap",
            rec.audit_bytes
        );
    }
    // A 100 kB path is refused where it enters, and the denial is short.
    let (out, rec) = f.attack(&grants(), "read-flood:1:100000");
    let msg = "invalid path: 100000 bytes, longer than 4096";
    assert_eq!(report(out), format!("ok:1 calls, last denied:{msg}"));
    assert_eq!(
        rec.denied,
        vec![(
            "coop-hostile".to_string(),
            "workspace.read".to_string(),
            msg.to_string()
        )]
    );
}

/// The guest deadline counts guest time only; host calls are excluded (a
/// model call may take minutes). The wall clock counts them: a plugin whose
/// host calls are slow (here a `log` that takes 20 ms, a slow disk's fsync)
/// is stopped when the call's wall clock is spent, though its guest time is
/// nearly nothing and it is far under the host-call cap.
#[test]
fn the_wall_clock_of_a_plugin_call_counts_time_inside_host_calls() {
    let wall = Duration::from_secs(1);
    let mut f = Fixture::with_config(HostConfig {
        call_wall_clock: wall,
        ..config()
    });
    f.log_delay = Duration::from_millis(20);
    let t = Instant::now();
    // 250 logs of 20 ms: 5 s of host time.
    let (out, rec) = f.attack(&grants(), "log-flood:250:1");
    let took = t.elapsed();
    let e = host_error(out);
    assert!(e.to_string().contains("wall clock"), "{e}");
    match e {
        PluginError::WallClock { plugin, limit_ms } => {
            assert_eq!(plugin, "coop-hostile");
            assert_eq!(limit_ms, 1000);
        }
        e => panic!("expected WallClock, got {e:?}"),
    }
    assert!(
        took >= wall,
        "returned after {took:?}, before the wall clock"
    );
    assert!(
        took < Duration::from_secs(5),
        "returned only after {took:?}"
    );
    // Each log takes at least 20 ms, so at most 50 fit in the second; a
    // loaded machine fits fewer.
    assert!(
        (10..=50).contains(&rec.logs.len()),
        "a second's worth of 20 ms logs: {}",
        rec.logs.len()
    );
}

// ---------------------------------------------------------------- all in a row

/// Every attack against one host, one after the other, then a good call.
#[test]
fn one_host_survives_every_attack_in_a_row() {
    let f = Fixture::new();
    for goal in [
        "loop",
        "alloc",
        "huge:104857600",
        "huge:2097152",
        "panic",
        "recurse",
        "sleep:3600",
        "model-flood:9",
        "log-flood:100000:1",
        "deny-flood:100000",
        "read:../x",
        "write:.git/config",
    ] {
        let _ = f.attack(&wide_edits(), goal);
    }
    f.still_works("everything");
}

// ---------------------------------------------------------------- manifests

/// A core module holding only custom sections (name, data).
fn module_with_sections(sections: &[(&str, &[u8])]) -> Vec<u8> {
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
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    for (name, data) in sections {
        let mut body = Vec::new();
        leb(name.len(), &mut body);
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(data);
        m.push(0);
        leb(body.len(), &mut m);
        m.extend(body);
    }
    m
}

const GOOD_MANIFEST: &str = r#"{"name":"tiny","version":"0.1.0","world":"role","wit":"coop:mob@0.2.1","capabilities":{"log":true}}"#;

fn manifest_error(host: &PluginHost, bytes: &[u8]) -> String {
    match host.load_bytes("tiny.wasm", bytes, None) {
        Err(PluginError::Manifest { path, reason }) => {
            assert_eq!(path, "tiny.wasm");
            reason
        }
        Err(e) => panic!("expected a manifest error, got {e:?}"),
        Ok(p) => panic!("expected a manifest error, loaded {}", p.manifest.name),
    }
}

#[test]
fn the_real_component_with_another_wit_version_is_refused() {
    let wasm = wasm_path();
    assert!(
        wasm.is_file(),
        "build plugins/hostile first: bash plugins/hostile/build.sh"
    );
    let bytes = std::fs::read(&wasm).unwrap();
    // Same length, so every enclosing section size stays valid.
    let (from, to) = (br#""wit": "coop:mob@0.2.1""#, br#""wit": "coop:mob@0.0.9""#);
    // The manifest text also sits in the data segment; patch the copy in the
    // custom section, which follows the section's name.
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let name =
        find(&bytes, coop_plugin_host::manifest::SECTION.as_bytes()).expect("manifest section");
    let at = name + find(&bytes[name..], from).expect("manifest in the section");
    let mut patched = bytes.clone();
    patched[at..at + to.len()].copy_from_slice(to);
    let host = PluginHost::new(config()).unwrap();
    assert_eq!(
        manifest_error(&host, &patched),
        "built against WIT `coop:mob@0.0.9`, but this host implements `coop:mob@0.2.1` (and the 0.2 versions before it)"
    );
    // And a pin on the original digest refuses the patched file outright.
    let pin = sha256_hex(&bytes);
    match host.load_bytes("patched.wasm", &patched, Some(&pin)) {
        Err(PluginError::DigestMismatch {
            expected, actual, ..
        }) => {
            assert_eq!(expected, pin);
            assert_eq!(actual, sha256_hex(&patched));
        }
        other => panic!("expected DigestMismatch, got {:?}", other.err()),
    }
    // The unpatched component with its pin loads.
    host.load_bytes("hostile.wasm", &bytes, Some(&pin)).unwrap();
}

#[test]
fn manifest_extraction_refuses_bad_manifests() {
    let host = PluginHost::new(config()).unwrap();
    let sec = coop_plugin_host::manifest::SECTION;
    // Sanity: the good manifest passes extraction (then fails to compile,
    // since this is a core module, not a component).
    assert!(matches!(
        host.load_bytes(
            "tiny.wasm",
            &module_with_sections(&[(sec, GOOD_MANIFEST.as_bytes())]),
            None
        ),
        Err(PluginError::Compile { .. })
    ));
    let old = GOOD_MANIFEST.replace("coop:mob@0.2.1", "coop:mob@0.0.9");
    assert_eq!(
        manifest_error(&host, &module_with_sections(&[(sec, old.as_bytes())])),
        "built against WIT `coop:mob@0.0.9`, but this host implements `coop:mob@0.2.1` (and the 0.2 versions before it)"
    );
    assert_eq!(
        manifest_error(&host, &module_with_sections(&[("other", b"x")])),
        "no `coop-manifest` custom section: the component carries no manifest"
    );
    assert_eq!(
        manifest_error(
            &host,
            &module_with_sections(&[
                (sec, GOOD_MANIFEST.as_bytes()),
                (sec, GOOD_MANIFEST.as_bytes())
            ])
        ),
        "more than one `coop-manifest` custom section"
    );
    let unknown = GOOD_MANIFEST.replace(r#""log":true"#, r#""log":true,"network":true"#);
    let reason = manifest_error(&host, &module_with_sections(&[(sec, unknown.as_bytes())]));
    assert!(
        reason.starts_with("manifest is not valid: unknown field `network`"),
        "{reason}"
    );
    let router = GOOD_MANIFEST
        .replace(r#""world":"role""#, r#""world":"router""#)
        .replace(r#""log":true"#, r#""log":true,"edits":{"globs":["**"]}"#);
    assert_eq!(
        manifest_error(&host, &module_with_sections(&[(sec, router.as_bytes())])),
        "a router plugin may only request `log`"
    );
    let reason = manifest_error(&host, b"\0asm\x01\0\0\0\x00\xff");
    assert!(
        reason.starts_with("not a valid WebAssembly binary"),
        "{reason}"
    );
}

// ---------------------------------------------------------------- context (WIT 0.2.1)

fn with_context(goal: &str) -> Handoff {
    use coop_core::{ContextBudget, ContextItem, ContextPack, SectionBudget, StepRecord};
    let item = |path: &str, decl: Option<&str>| ContextItem {
        path: path.into(),
        decl: decl.map(str::to_string),
        start_line: 1,
        end_line: 1,
        tokens: 7,
        reason: "named".into(),
        content: "x\n".into(),
    };
    Handoff {
        recent: vec![StepRecord {
            seq: 2,
            role: Role::Reviewer,
            kind: "review".into(),
            text: "verdict: approve\n".into(),
        }],
        summarized_steps: 1,
        context: Some(ContextPack {
            counter: "estimate".into(),
            budget: ContextBudget {
                input: 900,
                working: SectionBudget {
                    share: 450,
                    limit: 600,
                    used: 14,
                },
                ..Default::default()
            },
            working_set: vec![item("src/lib.go", None), item(".env", Some("KEY"))],
            dropped: vec![],
        }),
        ..Fixture::handoff(goal)
    }
}

#[test]
fn the_context_import_serves_the_hosts_pack_within_the_read_grant() {
    let f = Fixture::new();
    let run = |grants: &Grants| {
        let rec = Arc::new(Mutex::new(Record::default()));
        let services = Box::new(Services {
            wt: f.wt.clone(),
            rec,
            log_delay: Duration::ZERO,
        });
        f.host.run_role(
            &f.plugin,
            grants,
            Role::Navigator,
            services,
            &with_context("context"),
        )
    };
    let nav = navigation(run(&grants())).unwrap();
    assert_eq!(
        nav.next_steps,
        [
            "item:src/lib.go::7",
            "item:.env:KEY:7",
            "recent:2:review",
            "ok:input=900 working-used=14 summarized=1"
        ]
    );
    // The same globs as every read: `.env` is outside the narrow grant.
    let nav = navigation(run(&narrow_read())).unwrap();
    assert_eq!(
        nav.next_steps,
        [
            "item:src/lib.go::7",
            "recent:2:review",
            "ok:input=900 working-used=14 summarized=1"
        ]
    );
    // Without a read grant neither `workspace` nor `context` is linked.
    let e = host_error(run(&Grants {
        workspace_read: None,
        ..grants()
    }));
    assert!(
        matches!(&e, PluginError::ImportNotGranted { import, .. } if import == "coop:mob/workspace@0.2.1" || import == "coop:mob/context@0.2.1"),
        "{e}"
    );
    assert!(
        f.plugin
            .imports
            .iter()
            .any(|i| i == "coop:mob/context@0.2.1"),
        "{:?}",
        f.plugin.imports
    );
}

/// A component built against the frozen WIT 0.2.0 (plugins/compat-0.2.0)
/// loads, passes `coop plugins check`, links and runs on this 0.2.1 host.
#[test]
fn a_plugin_built_against_wit_0_2_0_still_runs() {
    let f = Fixture::new();
    let path = wasm_path().with_file_name("compat-0.2.0.wasm");
    assert!(
        path.is_file(),
        "{} missing: bash plugins/hostile/build.sh builds it",
        path.display()
    );
    let old = f.host.load(&path, None).unwrap();
    assert_eq!(old.manifest.wit, "coop:mob@0.2.0");
    assert!(
        old.imports.iter().any(|i| i == "coop:mob/workspace@0.2.0"),
        "{:?}",
        old.imports
    );
    assert!(
        old.imports.iter().all(|i| !i.contains("@0.2.1")),
        "{:?}",
        old.imports
    );
    assert_eq!(f.host.check(&old, 10 << 20), Vec::<String>::new());
    let rec = Arc::new(Mutex::new(Record::default()));
    let services = Box::new(Services {
        wt: f.wt.clone(),
        rec: rec.clone(),
        log_delay: Duration::ZERO,
    });
    let out = f.host.run_role(
        &old,
        &grants(),
        Role::Navigator,
        services,
        &with_context("anything"),
    );
    assert_eq!(report(out), "compat-0.2.0 seq 1: ok:# demo");
    assert_eq!(
        rec.lock().unwrap().logs,
        ["coop-compat-0.2.0: compat 0.2.0 plugin ran"]
    );
}

/// Class 9 of the security review: `coop plugins check` refused oversized
/// components, but a run compiled whatever it was given. Every load now
/// checks the size first (a file's before it is read), so an oversized
/// component is neither read whole nor compiled.
#[test]
fn an_oversized_component_is_refused_before_it_is_read_or_compiled() {
    let wasm = wasm_path();
    let len = std::fs::metadata(&wasm).unwrap().len();
    let host = PluginHost::new(HostConfig {
        max_component_bytes: len - 1,
        ..config()
    })
    .unwrap();
    let t = Instant::now();
    for e in [
        host.load(&wasm, None).err(),
        host.load_bytes("hostile.wasm", &std::fs::read(&wasm).unwrap(), None)
            .err(),
    ] {
        match e {
            Some(PluginError::TooLarge { bytes, cap, .. }) => {
                assert_eq!((bytes, cap), (len, len - 1));
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }
    // Refused in well under the time a compile takes.
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    // At its own size it loads.
    let host = PluginHost::new(HostConfig {
        max_component_bytes: len,
        ..config()
    })
    .unwrap();
    host.load(&wasm, None).unwrap();
}
