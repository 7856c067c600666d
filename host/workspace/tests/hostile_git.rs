//! A hostile repository against the real git: programs its configuration
//! names (fsmonitor, filter drivers of any name, LFS, per-protocol
//! exceptions) never run during what coop does with it, and `.coop/` paths it
//! commits as symlinks are refused before anything is written through them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use coop_core::FileEdit;
use coop_workspace::{Repo, WorkspaceError, Worktree, coop_dir};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.hooksPath=/dev/null",
        ])
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Writes an executable script that leaves a marker `markers/<name>-<pid>`
/// and then behaves as its kind of program would (a filter passes content
/// through; fsmonitor and a process filter fail, which git tolerates or
/// reports).
fn script(dir: &Path, markers: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(format!("{name}.sh"));
    fs::write(
        &p,
        format!(
            "#!/bin/sh\ntouch '{}/{name}-'$$\n{body}\n",
            markers.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn markers(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A Go module whose `.git/config` names a program for every hook point
/// coop's git commands could reach, each writing a marker when run.
fn hostile_repo() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    let bin = tmp.path().join("bin");
    let m = tmp.path().join("markers");
    for d in [&root, &bin, &m] {
        fs::create_dir_all(d).unwrap();
    }
    git(&root, &["init", "-q", "-b", "main"]);
    fs::write(root.join("go.mod"), "module example.com/h\n\ngo 1.22\n").unwrap();
    fs::write(root.join("h.go"), "package h\n\nvar X = 1\n").unwrap();
    fs::write(root.join("notes.txt"), "notes\n").unwrap();
    fs::write(root.join("data.bin"), "pointer\n").unwrap();
    fs::write(root.join("doc.md"), "doc\n").unwrap();
    // Every file goes through a filter; the names are free-form, one with a
    // dot and capitals, one LFS.
    fs::write(
        root.join(".gitattributes"),
        "*.go filter=evil\n*.txt filter=proc\n*.bin filter=lfs\n*.md filter=Odd.Name\n",
    )
    .unwrap();
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "init"]);

    let pass = "cat";
    let fail = "exit 1";
    let fsmonitor = script(&bin, &m, "fsmonitor", fail);
    let clean = script(&bin, &m, "clean", pass);
    let smudge = script(&bin, &m, "smudge", pass);
    let process = script(&bin, &m, "process", fail);
    let lfs = script(&bin, &m, "lfs", pass);
    let odd = script(&bin, &m, "odd", pass);
    let ssh = script(&bin, &m, "ssh", fail);
    let hook = script(&bin, &m, "hook", "exit 0");
    let s = |p: &PathBuf| p.display().to_string();
    for (k, v) in [
        ("core.fsmonitor", s(&fsmonitor)),
        ("filter.evil.clean", s(&clean)),
        ("filter.evil.smudge", s(&smudge)),
        ("filter.evil.required", "true".into()),
        ("filter.proc.process", s(&process)),
        ("filter.lfs.clean", s(&lfs)),
        ("filter.lfs.smudge", s(&lfs)),
        ("filter.lfs.process", s(&lfs)),
        ("filter.Odd.Name.smudge", s(&odd)),
        ("filter.Odd.Name.clean", s(&odd)),
        ("core.sshCommand", s(&ssh)),
        ("protocol.ext.allow", "always".into()),
        ("submodule.recurse", "true".into()),
    ] {
        git(&root, &["config", k, &v]);
    }
    // Hooks too, the way they were already neutralised.
    let hooks = root.join(".git/hooks");
    for h in [
        "post-checkout",
        "pre-commit",
        "post-commit",
        "post-index-change",
    ] {
        fs::copy(&hook, hooks.join(h)).unwrap();
    }
    (tmp, root.canonicalize().unwrap(), m)
}

#[test]
fn programs_the_repository_configures_never_run_during_coops_git_operations() {
    let (_tmp, root, m) = hostile_repo();
    // The fixture is live: plain git runs the repository's programs (and
    // may fail on the failing process filter; only the marker matters).
    let _ = Command::new("git")
        .current_dir(&root)
        .args(["status", "--porcelain"])
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    let before = markers(&m);
    assert!(
        before.iter().any(|n| n.starts_with("fsmonitor-")),
        "plain git status must run the fixture's fsmonitor: {before:?}"
    );
    for e in fs::read_dir(&m).unwrap() {
        fs::remove_file(e.unwrap().path()).unwrap();
    }

    let repo = Repo::open(&root).unwrap();
    repo.uncommitted().unwrap();
    let wt = Worktree::create(&repo, "hostile-1")
        .unwrap_or_else(|e| panic!("{e}; programs that ran: {:?}", markers(&m)));
    assert_eq!(
        fs::read_to_string(wt.root().join("h.go")).unwrap(),
        "package h\n\nvar X = 1\n",
        "checked out without a filter"
    );
    let out = wt.apply_edits(&[
        FileEdit::Write {
            path: "h.go".into(),
            content: "package h\n\nvar X = 2\n".into(),
        },
        FileEdit::Write {
            path: "more.txt".into(),
            content: "more\n".into(),
        },
        FileEdit::Write {
            path: "big.bin".into(),
            content: "blob\n".into(),
        },
        FileEdit::Write {
            path: "doc.md".into(),
            content: "doc 2\n".into(),
        },
    ]);
    assert!(
        out.iter()
            .all(|o| matches!(o, coop_core::EditOutcome::Applied { .. })),
        "{out:?}"
    );
    let diff = wt.diff().unwrap();
    assert!(diff.contains("+var X = 2"), "{diff}");
    let changed = wt.changed_files().unwrap();
    assert_eq!(changed, vec!["big.bin", "doc.md", "h.go", "more.txt"]);
    assert!(wt.list_files().unwrap().contains(&"h.go".to_string()));
    assert!(wt.base_file("h.go", 1 << 20).unwrap().is_some());
    let export = tempfile::tempdir().unwrap();
    wt.export_base(export.path()).unwrap();
    wt.reset_to_base().unwrap();
    assert_eq!(wt.diff().unwrap(), "", "back at the base commit");
    wt.apply_edits(&[FileEdit::Write {
        path: "h.go".into(),
        content: "package h\n\nvar X = 3\n".into(),
    }]);
    wt.commit("coop: hostile").unwrap();
    let patch = wt.root().parent().unwrap().join("hostile.patch");
    wt.write_patch(&patch).unwrap();
    assert_eq!(repo.current_branch().unwrap().as_deref(), Some("main"));
    wt.remove().unwrap();
    Worktree::discard(&repo, "hostile-1").unwrap();

    assert_eq!(
        markers(&m),
        Vec::<String>::new(),
        "a program named by the repository's configuration ran"
    );
}

#[test]
fn a_committed_coop_symlink_is_refused_before_anything_is_written_through_it() {
    // Each `.coop` path coop writes to, committed as a symlink to a
    // directory outside the repository.
    for link in [".coop", ".coop/runs", ".coop/worktrees", ".coop/cache"] {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        let elsewhere = tmp.path().join("elsewhere");
        fs::create_dir_all(&root).unwrap();
        fs::create_dir_all(&elsewhere).unwrap();
        git(&root, &["init", "-q", "-b", "main"]);
        fs::write(root.join("go.mod"), "module example.com/s\n").unwrap();
        let at = root.join(link);
        fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &at).unwrap();
        git(&root, &["add", "-A"]);
        git(&root, &["commit", "-q", "-m", "init"]);
        assert!(
            git(&root, &["ls-files", "-s", link]).starts_with("120000"),
            "{link} is committed as a symlink"
        );

        let repo = Repo::open(&root).unwrap();
        let err = repo.prepare_coop_dir().unwrap_err();
        assert!(
            matches!(&err, WorkspaceError::UnsafeCoopPath { path, .. } if path.ends_with(link)),
            "{link}: {err}"
        );
        assert!(err.to_string().contains("symlink"), "{err}");
        let err = Worktree::create(&repo, "r1").unwrap_err();
        assert!(
            matches!(err, WorkspaceError::UnsafeCoopPath { .. }),
            "{link}: {err}"
        );
        for parts in [&["runs", "r1", "model"][..], &["cache"], &["worktrees"]] {
            let r = coop_dir(&root, parts);
            if link == ".coop" || link.ends_with(parts[0]) {
                assert!(
                    matches!(r, Err(WorkspaceError::UnsafeCoopPath { .. })),
                    "{link}: {parts:?}: {r:?}"
                );
            }
        }
        assert!(
            fs::read_dir(&elsewhere).unwrap().next().is_none(),
            "{link}: something was written through the symlink"
        );
    }

    // `.coop/.gitignore` as a symlink to a file elsewhere is not written
    // through either.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    fs::create_dir_all(root.join(".coop")).unwrap();
    let target = tmp.path().join("victim");
    fs::write(&target, "precious\n").unwrap();
    git(&root, &["init", "-q", "-b", "main"]);
    std::os::unix::fs::symlink(&target, root.join(".coop/.gitignore")).unwrap();
    fs::write(root.join("go.mod"), "module example.com/s\n").unwrap();
    git(&root, &["add", "-A", "-f"]);
    git(&root, &["commit", "-q", "-m", "init"]);
    let repo = Repo::open(&root).unwrap();
    assert!(matches!(
        repo.prepare_coop_dir(),
        Err(WorkspaceError::UnsafeCoopPath { .. })
    ));
    assert_eq!(fs::read_to_string(&target).unwrap(), "precious\n");
}

#[test]
fn a_filter_name_that_is_not_utf8_is_refused_not_run() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    let m = tmp.path().join("markers");
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&m).unwrap();
    git(&root, &["init", "-q", "-b", "main"]);
    fs::write(root.join("go.mod"), "module example.com/l\n").unwrap();
    fs::write(root.join("x.dat"), "x\n").unwrap();
    fs::write(root.join(".gitattributes"), b"*.dat filter=caf\xe9\n").unwrap();
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "latin1"]);
    // Configured after the commit: the name is not valid UTF-8, so a lossy
    // reading of it would neutralise another name and leave this one live.
    let smudge = script(tmp.path(), &m, "latin1", "cat");
    let out = Command::new("git")
        .current_dir(&root)
        .arg("config")
        .arg(OsStr::from_bytes(b"filter.caf\xe9.smudge"))
        .arg(&smudge)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Coop's first git call on it already fails closed.
    let err = Repo::open(&root)
        .and_then(|repo| Worktree::create(&repo, "latin1"))
        .unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");
    assert_eq!(markers(&m), Vec::<String>::new());
}
