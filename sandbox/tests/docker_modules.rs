//! Modules with dependencies, through the real sandbox (real Docker, the
//! real image): vendored, from the user's module cache, and from coop's
//! module cache filled by the download step from a real module proxy — a
//! loopback HTTP server in this test speaking the GOPROXY protocol
//! (`@v/list`, `.info`, `.mod`, `.zip`) with module zips built here
//! (common/goproxy.rs). These tests fail (never skip) when Docker or the
//! image is missing: build the image with `sandbox/build-image.sh` first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use coop_sandbox::{DownloadConfig, GoEnv, SandboxConfig, SandboxError};

mod common;
use common::{chmod_world_readable, sandbox, snapshot};
#[path = "common/goproxy.rs"]
mod goproxy;
use goproxy::{deps, fill_cache, go_sum, other_module, proxy};

const GO_MOD: &str = "module example.com/app\n\ngo 1.27\n\nrequire example.test/greet v1.0.0\n\nrequire example.test/words v1.1.0 // indirect\n";

const MAIN_GO: &str = "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.test/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello(\"world\")) }\n";

/// Passes only with the real dependency, and checks what the container
/// shows of the module cache: nothing but the modules go.mod/go.sum name,
/// and nothing writable.
const MAIN_TEST_GO: &str = r#"package main

import (
	"os"
	"path/filepath"
	"testing"

	"example.test/greet"
)

func TestHello(t *testing.T) {
	if got := greet.Hello("world"); got != "hello, world" {
		t.Fatalf("Hello = %q", got)
	}
}

func TestCacheIsScopedAndReadOnly(t *testing.T) {
	mc := os.Getenv("GOMODCACHE")
	if os.Getenv("EXPECT_VENDOR") != "" {
		return
	}
	for _, p := range []string{"example.test/private@v1.0.0", "cache/download/example.test/private"} {
		if _, err := os.Stat(filepath.Join(mc, p)); err == nil {
			t.Errorf("%s is visible in the module cache", p)
		}
	}
	if err := os.WriteFile(filepath.Join(mc, "example.test/greet@v1.0.0/planted.go"), []byte("package greet\n"), 0o644); err == nil {
		t.Errorf("wrote into the module cache")
	}
	if err := os.WriteFile(filepath.Join(mc, "cache/download/example.test/greet/@v/planted"), nil, 0o644); err == nil {
		t.Errorf("wrote into the module cache's download dir")
	}
}
"#;

/// The app module (no vendor/), readable by the container's user.
fn app(go_sum: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (p, body) in [
        ("go.mod", GO_MOD),
        ("go.sum", go_sum),
        ("main.go", MAIN_GO),
        ("main_test.go", MAIN_TEST_GO),
    ] {
        std::fs::write(dir.path().join(p), body).unwrap();
    }
    chmod_world_readable(dir.path());
    dir
}

// ---------------------------------------------------------------- sandbox

fn cfg() -> SandboxConfig {
    SandboxConfig {
        timeout: Duration::from_secs(240),
        step_timeout: Duration::from_secs(180),
        ..Default::default()
    }
}

/// The download settings for the test proxy: the checksum database stays
/// at Go's default, and the test modules are exempt from it (there is no
/// internet here) by GONOSUMDB, as a user's private modules would be.
fn download(cache: &Path, proxy_url: &str) -> DownloadConfig {
    let env = GoEnv {
        goproxy: format!("{proxy_url},direct"),
        gonosumdb: "example.test".into(),
        ..Default::default()
    };
    DownloadConfig::new(cache.to_path_buf(), env)
}

fn summary(r: &coop_core::VerificationReport) -> String {
    r.summary_for_model(6000)
}

// ------------------------------------------------------------------ tests

#[tokio::test(flavor = "multi_thread")]
async fn vendored_dependencies_verify_offline() {
    let m = app(&go_sum());
    let root = m.path();
    let mut modules_txt = String::new();
    for d in deps() {
        modules_txt.push_str(&format!(
            "# {} {}\n## explicit; go 1.22\n{}\n",
            d.path, d.version, d.path
        ));
        for (n, body) in &d.files {
            if *n == "go.mod" {
                continue;
            }
            let p = root.join("vendor").join(d.path).join(n);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
    }
    std::fs::write(root.join("vendor/modules.txt"), modules_txt).unwrap();
    // The scoping check in the test is about caches; vendor has none.
    std::fs::write(
        root.join("main_test.go"),
        MAIN_TEST_GO.replace(
            "os.Getenv(\"EXPECT_VENDOR\") != \"\"",
            "os.Getenv(\"EXPECT_VENDOR\") == \"\"",
        ),
    )
    .unwrap();
    chmod_world_readable(root);
    let before = snapshot(root);
    // No module cache, no download: vendor/ alone must do.
    let sb = sandbox(cfg()).await;
    let t = Instant::now();
    let r = sb.verify(root).await.unwrap();
    eprintln!("vendored module verified in {:?}", t.elapsed());
    assert!(r.passed, "{}", summary(&r));
    assert_eq!(snapshot(root), before, "verification changed the worktree");

    // vendor/modules.txt that disagrees with go.mod: go's own message.
    std::fs::write(
        root.join("vendor/modules.txt"),
        "# example.test/greet v0.9.0\n## explicit; go 1.22\nexample.test/greet\n",
    )
    .unwrap();
    let r = sb.verify(root).await.unwrap();
    assert!(!r.passed);
    assert!(
        summary(&r).contains("inconsistent vendoring"),
        "{}",
        summary(&r)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_users_module_cache_is_mounted_read_only_and_scoped() {
    let cache = tempfile::tempdir().unwrap();
    let mut mods = deps();
    mods.push(other_module());
    fill_cache(cache.path(), &mods);
    let cache_before = snapshot(cache.path());
    let m = app(&go_sum());
    let before = snapshot(m.path());
    let sb = sandbox(SandboxConfig {
        module_cache: Some(cache.path().to_path_buf()),
        ..cfg()
    })
    .await;
    let t = Instant::now();
    let r = sb.verify(m.path()).await.unwrap();
    eprintln!(
        "module with dependencies verified from the user's module cache in {:?}; steps: {:?}",
        t.elapsed(),
        r.steps
            .iter()
            .map(|s| (s.step, s.duration_ms))
            .collect::<Vec<_>>()
    );
    assert!(r.passed, "{}", summary(&r));
    let tests: Vec<&str> = r
        .packages
        .iter()
        .flat_map(|p| p.tests.iter().map(|t| t.name.as_str()))
        .collect();
    assert!(tests.contains(&"TestCacheIsScopedAndReadOnly"), "{tests:?}");
    assert!(!summary(&r).contains("PRIVATE-MODULE-CANARY"));
    assert_eq!(snapshot(m.path()), before);
    assert_eq!(
        snapshot(cache.path()),
        cache_before,
        "the cache was written"
    );

    // A go.sum that does not match the cache's content: go refuses it.
    let bad = go_sum().replacen("h1:", "h1:AAAA", 1);
    let m = app(&bad);
    let r = sb.verify(m.path()).await.unwrap();
    assert!(!r.passed);
    assert!(summary(&r).contains("checksum mismatch"), "{}", summary(&r));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_download_step_fills_coops_cache_from_the_proxy_then_verification_is_offline() {
    let p = proxy(&deps()).await;
    let cache = tempfile::tempdir().unwrap();
    let m = app(&go_sum());
    let before = snapshot(m.path());
    let sb = sandbox(SandboxConfig {
        download: Some(download(cache.path(), &p.url)),
        ..cfg()
    })
    .await;

    let t = Instant::now();
    let dl = sb.download_modules(m.path()).await.unwrap();
    let download_time = t.elapsed();
    assert!(dl.ok(), "{dl:?}");
    assert_eq!(
        dl.network, "host",
        "a loopback proxy needs the host network"
    );
    assert_eq!(dl.goproxy, p.url, "direct is never used");
    let got = p.requests.lock().unwrap().clone();
    for want in [
        "/example.test/greet/@v/v1.0.0.zip",
        "/example.test/words/@v/v1.1.0.zip",
        "/example.test/greet/@v/v1.0.0.mod",
    ] {
        assert!(got.iter().any(|r| r == want), "{want} not fetched: {got:?}");
    }
    // The container ran as a non-root user (the cache, root's in this
    // test, was handed to nobody).
    let extracted = cache.path().join("example.test/greet@v1.0.0/greet.go");
    assert_ne!(std::fs::metadata(&extracted).unwrap().uid(), 0);

    // Verification: offline, the filled cache mounted read-only; no new
    // download (everything is there).
    let n = got.len();
    let t = Instant::now();
    let r = sb.verify(m.path()).await.unwrap();
    let verify_time = t.elapsed();
    assert!(r.passed, "{}", summary(&r));
    assert_eq!(
        p.requests.lock().unwrap().len(),
        n,
        "verify downloaded again"
    );
    assert_eq!(snapshot(m.path()), before);
    eprintln!(
        "download step {download_time:?} (go mod download {} ms); verification with dependencies {verify_time:?}; steps: {:?}",
        dl.duration_ms,
        r.steps
            .iter()
            .map(|s| (s.step, s.duration_ms))
            .collect::<Vec<_>>()
    );

    // From an empty cache, verify alone downloads first.
    let cache2 = tempfile::tempdir().unwrap();
    let sb2 = sandbox(SandboxConfig {
        download: Some(download(cache2.path(), &p.url)),
        ..cfg()
    })
    .await;
    let t = Instant::now();
    let r = sb2.verify(m.path()).await.unwrap();
    eprintln!(
        "download + verification from an empty cache: {:?}",
        t.elapsed()
    );
    assert!(r.passed, "{}", summary(&r));
    assert!(p.requests.lock().unwrap().len() > n);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_module_is_refused_by_the_download_step() {
    // The proxy serves a zip whose content differs from what go.sum pins.
    let mut served = deps();
    served[0].files[1].1 = served[0].files[1].1.replace("\", \"", "\"; \"");
    let p = proxy(&served).await;
    let cache = tempfile::tempdir().unwrap();
    let m = app(&go_sum());
    let sb = sandbox(SandboxConfig {
        download: Some(download(cache.path(), &p.url)),
        ..cfg()
    })
    .await;
    let e = sb.verify(m.path()).await.unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(e, SandboxError::ModulesUnavailable { .. }),
        "{msg}"
    );
    assert!(msg.contains("checksum mismatch"), "{msg}");
    assert!(!cache.path().join("example.test/greet@v1.0.0").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_modules_name_the_three_ways_to_provide_them() {
    let empty = tempfile::tempdir().unwrap();
    let m = app(&go_sum());
    let sb = sandbox(SandboxConfig {
        module_cache: Some(empty.path().to_path_buf()),
        ..cfg()
    })
    .await;
    let e = sb.verify(m.path()).await.unwrap_err();
    let msg = e.to_string();
    eprintln!("{msg}");
    assert!(
        matches!(e, SandboxError::ModulesUnavailable { .. }),
        "{msg}"
    );
    for want in [
        "module lookup disabled by GOPROXY=off",
        "lacks example.test/greet@v1.0.0",
        "the download step is off",
        "go mod vendor",
        "module_cache",
        "download_modules",
    ] {
        assert!(msg.contains(want), "{want:?} missing from: {msg}");
    }

    // A proxy that does not have the modules: the download's failure is
    // part of the message.
    let p = proxy(&[]).await;
    let cache = tempfile::tempdir().unwrap();
    let sb = sandbox(SandboxConfig {
        download: Some(download(cache.path(), &p.url)),
        ..cfg()
    })
    .await;
    let msg = sb.verify(m.path()).await.unwrap_err().to_string();
    assert!(msg.contains("the download step"), "{msg}");
    assert!(msg.contains("404"), "{msg}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_download_container_sees_only_go_mod_and_go_sum_and_writes_only_its_cache() {
    let canary = "CANARY-4f1c9e";
    let m = app(&go_sum());
    let root = m.path().canonicalize().unwrap();
    // A file of the worktree that parses as a go.mod (so `go mod edit
    // -print` would print it), at the top and in a directory that is also
    // a module (whose go.mod a `replace` may make the step read).
    let canary_mod = format!("module canary.test/{canary}\n");
    std::fs::write(root.join("canary.mod"), &canary_mod).unwrap();
    std::fs::create_dir_all(root.join("canarydir")).unwrap();
    std::fs::write(root.join("canarydir/canary.mod"), &canary_mod).unwrap();
    std::fs::write(
        root.join("canarydir/go.mod"),
        "module example.test/words\n\ngo 1.22\n",
    )
    .unwrap();
    chmod_world_readable(&root);
    let before = snapshot(&root);
    let p = proxy(&deps()).await;
    let cache = tempfile::tempdir().unwrap();
    let sb = sandbox(SandboxConfig {
        download: Some(download(cache.path(), &p.url)),
        ..cfg()
    })
    .await;
    let probe = |args: &[&str]| {
        let sb = &sb;
        let root = root.clone();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        async move {
            let (r, run) = sb
                .download_container_probe(&root, args.clone())
                .await
                .unwrap();
            let out = format!("{}{}", run.stdout, run.stderr);
            eprintln!("go {args:?} -> {:?}: {}", r.exit_code, out.trim());
            (r.exit_code, out)
        }
    };
    // The probe works: the copy of go.mod is there.
    let (code, out) = probe(&["mod", "edit", "-print", "/src/go.mod"]).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("module example.com/app"), "{out}");
    // The worktree's other files are nowhere: not at its host path, not at
    // /work, not next to the copies.
    let host_path = root.join("canary.mod").display().to_string();
    for path in [
        host_path.as_str(),
        "/work/canary.mod",
        "/src/canary.mod",
        "/src/canarydir/canary.mod",
    ] {
        let (code, out) = probe(&["mod", "edit", "-print", path]).await;
        assert_ne!(code, Some(0), "{path} was readable: {out}");
        assert!(!out.contains(canary), "{path}: {out}");
        assert!(out.contains("no such file or directory"), "{path}: {out}");
    }
    // Writes outside the cache fail: the go.mod copy, its directory, the
    // root file system (`go mod vendor -o` downloads the modules into the
    // cache, which works, then writes a vendor tree where it is told), go's
    // user configuration.
    for args in [
        &[
            "mod",
            "edit",
            "-require=example.test/x@v1.0.0",
            "/src/go.mod",
        ][..],
        &["mod", "vendor", "-o", "/src/vendor"][..],
        &["mod", "vendor", "-o", "/planted-vendor"][..],
        &["env", "-w", "GOFLAGS=-x"][..],
    ] {
        let (code, out) = probe(args).await;
        assert_ne!(code, Some(0), "{args:?} succeeded: {out}");
        // The copies are root's here (as the test runs), so the
        // permission check may refuse before the read-only mount does.
        assert!(
            out.contains("read-only file system")
                || out.contains("permission denied")
                // go env -w: $HOME (/tmp) does not exist on the read-only
                // root file system, and cannot be made.
                || out.contains("/tmp/.config/go/env: no such file"),
            "{args:?}: {out}"
        );
    }
    // A replacement by a directory of the worktree (a monorepo's `replace
    // => ./lib`): the step gets that directory's go.mod, and nothing else
    // of it, and downloads the rest.
    std::fs::write(
        root.join("go.mod"),
        format!("{GO_MOD}\nreplace example.test/words => ./canarydir\n"),
    )
    .unwrap();
    let dl = sb.download_modules(&root).await.unwrap();
    assert!(dl.ok(), "{dl:?}");
    assert!(cache.path().join("example.test/greet@v1.0.0").is_dir());
    let (code, out) = probe(&["mod", "edit", "-print", "/src/canarydir/go.mod"]).await;
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = probe(&["mod", "edit", "-print", "/src/canarydir/canary.mod"]).await;
    assert_ne!(code, Some(0), "{out}");
    assert!(!out.contains(canary), "{out}");
    // By its host path (or `..` out of the tree): not there at all.
    let abs = root.join("canarydir").display().to_string();
    for target in [abs.as_str(), "../canarydir"] {
        std::fs::write(
            root.join("go.mod"),
            format!("{GO_MOD}\nreplace example.test/words => {target}\n"),
        )
        .unwrap();
        let dl = sb.download_modules(&root).await.unwrap();
        assert!(!dl.ok(), "{dl:?}");
        assert!(!dl.error.contains(canary), "{}", dl.error);
        assert!(dl.error.contains("canarydir"), "{}", dl.error);
    }
    std::fs::write(root.join("go.mod"), GO_MOD).unwrap();
    assert_eq!(snapshot(&root), before, "the worktree changed");
    // The probes wrote nothing into the cache either; the real step wrote
    // only module files there.
    let written: Vec<String> = snapshot(cache.path()).into_keys().collect();
    assert!(
        written
            .iter()
            .all(|p| p.starts_with("cache/") || p.starts_with("example.test/")),
        "{written:?}"
    );
}

/// Layouts (sandbox/src/layout.rs): the same app in a subdirectory of the
/// repository, next to a second module of its own without a go.work. The
/// download step runs for the module that needs something, with the
/// workspace's toolchain, and verification of both is offline.
#[tokio::test(flavor = "multi_thread")]
async fn a_module_in_a_subdirectory_gets_its_dependencies_through_the_download_step() {
    let p = proxy(&deps()).await;
    let cache = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    for (path, body) in [
        ("services/app/go.mod", GO_MOD.to_string()),
        ("services/app/go.sum", go_sum()),
        ("services/app/main.go", MAIN_GO.to_string()),
        ("services/app/main_test.go", MAIN_TEST_GO.to_string()),
        (
            "tools/go.mod",
            "module example.com/tools\n\ngo 1.27\n".to_string(),
        ),
        (
            "tools/tools.go",
            "package tools\n\n// Version is the tools' version.\nconst Version = \"1\"\n"
                .to_string(),
        ),
    ] {
        let f = repo.path().join(path);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, body).unwrap();
    }
    chmod_world_readable(repo.path());
    let sb = sandbox(SandboxConfig {
        download: Some(download(cache.path(), &p.url)),
        ..cfg()
    })
    .await;
    let r = sb.verify(repo.path()).await.unwrap();
    assert!(r.passed, "{}", summary(&r));
    assert!(
        r.packages.iter().any(|p| p.package == "example.com/app"),
        "{:?}",
        r.packages
    );
    let got = p.requests.lock().unwrap().clone();
    assert!(
        got.iter().any(|r| r == "/example.test/greet/@v/v1.0.0.zip"),
        "{got:?}"
    );
    assert!(
        cache
            .path()
            .join("example.test/greet@v1.0.0/greet.go")
            .exists(),
        "the download step filled coop's cache"
    );
}
