//! Plugins never come from the repository being worked on, and the default
//! plugins are pinned to the build of coop (issue 19, class 7). A repository
//! can commit a `target/plugins` of its own: coop used to fall back to
//! `./target/plugins` when there were no plugins next to its binary. Every
//! refusal here happens before the sandbox or the repository is touched, so
//! these tests need no Docker.

use coop_e2e::harness::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DEFAULTS: [&str; 5] = [
    "router",
    "architect",
    "implementer",
    "reviewer",
    "navigator",
];

/// An example repository that commits the real default plugins under
/// `target/plugins` (what a hostile repository would commit, modified).
fn repo_with_committed_plugins() -> ExampleRepo {
    let repo = ExampleRepo::new("01-strutil-reverse");
    let dir = repo.path().join("target/plugins");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for n in DEFAULTS {
        let f = format!("{n}.wasm");
        std::fs::copy(plugin_dir().join(&f), dir.join(&f)).expect("copy plugin");
    }
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-q", "-m", "commit plugins"]);
    repo
}

/// `coop` from a directory with no plugins next to it (a hard link of the
/// built binary: `current_exe` is the link), without `COOP_PLUGIN_DIR`.
fn run_lonely_coop(args: &[&str], cwd: &Path) -> Output {
    let home = tempfile::tempdir_in(repo_root().join("target")).expect("tmp");
    let bin: PathBuf = home.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let exe = bin.join("coop");
    if std::fs::hard_link(coop_bin(), &exe).is_err() {
        std::fs::copy(coop_bin(), &exe).expect("copy coop");
    }
    assert!(!home.path().join("plugins").exists());
    let out = Command::new(&exe)
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "HOME",
            std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
        )
        .output()
        .expect("run coop");
    eprintln!(
        "--- lonely coop {args:?} exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn plugins_are_never_loaded_from_the_current_directory_or_the_repository() {
    let repo = repo_with_committed_plugins();
    let r = repo.path().to_str().expect("utf8");
    let committed = repo.path().join("target/plugins");
    let task = "Add func Reverse(s string) string to package strutil";

    // No plugins next to the binary and none named: a clear error, not the
    // repository's `./target/plugins`.
    for args in [
        vec!["route", "--repo", ".", "--json", task],
        vec!["run", "--repo", ".", "--json", task],
    ] {
        let out = run_lonely_coop(&args, repo.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("no plugin directory") && err.contains("--plugin-dir"),
            "{err}"
        );
    }

    // Named, but inside the repository being worked on: directly, through
    // a link from outside, or as a slot's absolute path in the config.
    let outside = tempfile::tempdir().expect("tmp");
    let link = outside.path().join("plugins");
    std::os::unix::fs::symlink(&committed, &link).expect("symlink");
    let cfg = outside.path().join("coop.toml");
    std::fs::write(
        &cfg,
        format!(
            "[router]\nplugin = \"{}\"\ngrants = {{ log = true }}\n",
            committed.join("router.wasm").display()
        ),
    )
    .expect("config");
    let committed_s = committed.to_str().expect("utf8");
    let link_s = link.to_str().expect("utf8");
    let cfg_s = cfg.to_str().expect("utf8");
    for args in [
        vec!["--plugin-dir", committed_s, "route", "--repo", r, task],
        vec!["--plugin-dir", link_s, "route", "--repo", r, task],
        vec!["--config", cfg_s, "route", "--repo", r, task],
        vec!["--plugin-dir", committed_s, "run", "--repo", r, task],
        vec!["--plugin-dir", link_s, "run", "--repo", r, task],
    ] {
        let out = run_coop(&args, repo.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("inside the repository being worked on"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(
        !repo.path().join(".coop").exists(),
        "a refused run writes nothing into the repository"
    );

    // The same repository with the plugins from outside it: fine.
    let out = run_coop(&["route", "--repo", r, "--json", task], repo.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn default_plugins_are_pinned_to_the_build_of_coop() {
    // The defaults of this build are all pinned.
    let out = run_coop(&["plugins", "list", "--json"], &repo_root());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rows.len(), 5);
    for r in &rows {
        assert_eq!(r["pinned"], true, "{r}");
    }

    // A plugin directory whose reviewer and router are other (valid)
    // components: the default slots refuse them, naming the build's pin.
    let dir = tempfile::tempdir().expect("tmp");
    for n in DEFAULTS {
        let f = format!("{n}.wasm");
        std::fs::copy(plugin_dir().join(&f), dir.path().join(&f)).expect("copy");
    }
    std::fs::copy(
        plugin_dir().join("navigator.wasm"),
        dir.path().join("reviewer.wasm"),
    )
    .expect("swap reviewer");
    std::fs::copy(
        plugin_dir().join("router-py.wasm"),
        dir.path().join("router.wasm"),
    )
    .expect("swap router");
    let d = dir.path().to_str().expect("utf8");

    let out = run_coop(
        &["--plugin-dir", d, "plugins", "list", "--json"],
        &repo_root(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    let errors: Vec<(&str, &str)> = rows
        .iter()
        .filter_map(|r| Some((r["slot"].as_str()?, r.get("error")?.as_str()?)))
        .collect();
    assert_eq!(errors.len(), 2, "{rows:?}");
    for (slot, e) in errors {
        assert!(["router", "reviewer"].contains(&slot), "{slot}");
        assert!(e.contains("this coop was built with"), "{e}");
    }

    let out = run_coop(
        &["--plugin-dir", d, "route", "Fix the panic in Parse"],
        &repo_root(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("default plugin")
            && stderr(&out).contains("this coop was built with"),
        "{}",
        stderr(&out)
    );
}
