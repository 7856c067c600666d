//! The compiled-artifact cache (`HostConfig::cache_dir`): a second load of
//! the same component is served from disk, and every way the entry can be
//! stale or damaged leads to a recompile, never to using it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use coop_core::hash::sha256_hex;
use coop_core::{EditOutcome, FileEdit, FileFact, RepoFacts, Task};
use coop_plugin_host::{
    Grants, HostConfig, LoadedPlugin, LogLevel, ModelCallError, PluginHost, PluginModelReply,
    PluginModelRequest, RoleServices, WorkspaceCallError,
};
use std::path::{Path, PathBuf};

fn router_wasm() -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins/router.wasm");
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!("default router plugin not found at {} ({e}): build the plugins with `bash plugins/build.sh`", p.display())
    })
}

fn host(dir: &Path) -> PluginHost {
    PluginHost::new(HostConfig {
        cache_dir: Some(dir.to_path_buf()),
        ..HostConfig::default()
    })
    .unwrap()
}

fn cwasm_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .collect();
    v.sort();
    v
}

struct Nothing;
impl RoleServices for Nothing {
    fn complete(
        &mut self,
        _: coop_core::Role,
        _: PluginModelRequest,
    ) -> Result<PluginModelReply, ModelCallError> {
        Err(ModelCallError::Denied("no model".into()))
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

/// The loaded router still works (whatever path its code came from).
fn routes(h: &PluginHost, p: &LoadedPlugin) {
    let task = Task {
        id: "t".into(),
        text: "add a flag to the CLI".into(),
    };
    let facts = RepoFacts {
        module_path: "example.com/m".into(),
        packages: vec![],
        files: vec![],
        has_tests: false,
    };
    let grants = Grants {
        log: true,
        ..Grants::default()
    };
    let d = h
        .route(p, &grants, Box::new(Nothing), &task, &facts)
        .unwrap();
    assert!(!d.workflow.is_empty());
    // Twice: the second call reuses the cached pre-linked instance.
    let d2 = h
        .route(p, &grants, Box::new(Nothing), &task, &facts)
        .unwrap();
    assert_eq!(d, d2);
}

#[test]
fn no_cache_dir_means_no_cache() {
    let h = PluginHost::new(HostConfig::default()).unwrap();
    let p = h.load_bytes("router.wasm", &router_wasm(), None).unwrap();
    assert!(!p.from_cache);
    assert!(h.cache_path(&p.sha256).is_none());
    routes(&h, &p);
}

#[test]
fn second_load_is_a_hit_even_from_a_new_host() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = router_wasm();
    let h = host(dir.path());
    let first = h.load_bytes("router.wasm", &bytes, None).unwrap();
    assert!(!first.from_cache, "empty cache: compiled");
    let files = cwasm_files(dir.path());
    assert_eq!(files, vec![h.cache_path(&sha256_hex(&bytes)).unwrap()]);
    let name = files[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(name.starts_with(&sha256_hex(&bytes)), "{name}");
    // No temp files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let again = h.load_bytes("router.wasm", &bytes, None).unwrap();
    assert!(again.from_cache);
    routes(&h, &again);

    drop(h);
    let h2 = host(dir.path());
    let warm = h2.load_bytes("router.wasm", &bytes, None).unwrap();
    assert!(
        warm.from_cache,
        "a fresh host with the same engine reuses the artifact"
    );
    assert_eq!(warm.imports, first.imports);
    assert_eq!(warm.exports, first.exports);
    routes(&h2, &warm);
}

#[test]
fn changed_component_bytes_miss() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = router_wasm();
    let h = host(dir.path());
    assert!(!h.load_bytes("a", &bytes, None).unwrap().from_cache);
    // Same component plus a custom section: different digest, new entry.
    let mut other = bytes.clone();
    let name = b"coop-test-padding";
    other.push(0); // custom section id
    other.push((1 + name.len() + 3) as u8);
    other.push(name.len() as u8);
    other.extend_from_slice(name);
    other.extend_from_slice(b"xyz");
    let p = h.load_bytes("b", &other, None).unwrap();
    assert!(!p.from_cache, "different bytes must not hit");
    assert_eq!(cwasm_files(dir.path()).len(), 2);
    routes(&h, &p);
    assert!(h.load_bytes("b", &other, None).unwrap().from_cache);
}

#[test]
fn corrupted_or_truncated_entries_are_recompiled_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = router_wasm();
    let h = host(dir.path());
    h.load_bytes("r", &bytes, None).unwrap();
    let path = h.cache_path(&sha256_hex(&bytes)).unwrap();
    let good = std::fs::read(&path).unwrap();

    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x55;
    let damaged: Vec<(&str, Vec<u8>)> = vec![
        ("one flipped byte in the code", flipped),
        ("truncated", good[..good.len() / 3].to_vec()),
        ("empty", vec![]),
        ("garbage", b"not a cwasm at all".to_vec()),
        (
            "raw wasmtime artifact without our header",
            good[72..].to_vec(),
        ),
    ];
    for (what, content) in damaged {
        std::fs::write(&path, &content).unwrap();
        let p = h
            .load_bytes("r", &bytes, None)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(!p.from_cache, "{what}: must recompile");
        routes(&h, &p);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            good,
            "{what}: entry rewritten"
        );
        assert!(
            h.load_bytes("r", &bytes, None).unwrap().from_cache,
            "{what}: then hits again"
        );
    }
}

#[test]
fn an_artifact_of_another_engine_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = router_wasm();
    let h = host(dir.path());
    h.load_bytes("r", &bytes, None).unwrap();
    let path = h.cache_path(&sha256_hex(&bytes)).unwrap();
    // Pretend the only entry was written by another engine (other wasmtime
    // version / target / settings): same digest, different engine hash.
    let sha = sha256_hex(&bytes);
    let foreign = dir.path().join(format!("{sha}-0000000000000000.cwasm"));
    std::fs::rename(&path, &foreign).unwrap();
    let p = h.load_bytes("r", &bytes, None).unwrap();
    assert!(!p.from_cache, "another engine's artifact must not be used");
    assert!(path.is_file());
    assert!(foreign.is_file(), "the other engine's entry is left alone");
    routes(&h, &p);
}

#[test]
fn a_pin_mismatch_fails_before_the_cache_is_consulted() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = router_wasm();
    let h = host(dir.path());
    h.load_bytes("r", &bytes, None).unwrap();
    let err = h
        .load_bytes("r", &bytes, Some(&"0".repeat(64)))
        .err()
        .unwrap();
    assert_eq!(err.kind(), "digest-mismatch");
}

#[test]
fn an_unwritable_cache_dir_does_not_fail_the_load() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let h = host(&file);
    let p = h.load_bytes("r", &router_wasm(), None).unwrap();
    assert!(!p.from_cache);
    routes(&h, &p);
}
