//! The host's side of the test-evidence check ([`coop_core::evidence`]):
//! find the test functions a change added or changed, run them against the
//! code before the change in the sandbox, and judge.

use coop_core::VerificationReport;
use coop_core::evidence::{ChangedTest, ModuleRoot, TestEvidence, changed_test_funcs, judge};
use coop_sandbox::Sandbox;
use coop_workspace::{MAX_EDIT_BYTES, Worktree, parse_module_path};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What the check found, kept as the run's `evidence-N.json` artifact.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct EvidenceRecord {
    pub evidence: TestEvidence,
    /// The test functions the change added or changed.
    pub changed: Vec<ChangedTest>,
    /// The run of the base commit with the change's test files laid over
    /// it; absent when there was no test to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_run: Option<VerificationReport>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum EvidenceError {
    #[error("workspace: {0}")]
    Workspace(#[from] coop_workspace::WorkspaceError),
    #[error("sandbox: {0}")]
    Sandbox(#[from] coop_sandbox::SandboxError),
    #[error("preparing the base tree at {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Whether `go test` compiles the files of `path`'s directory: not under
/// `testdata`, `vendor` or a directory starting with `.` or `_`.
fn in_test_package(path: &str) -> bool {
    let mut dirs: Vec<&str> = path.split('/').collect();
    dirs.pop();
    dirs.first() != Some(&"vendor")
        && !dirs
            .iter()
            .any(|d| *d == "testdata" || d.starts_with('.') || d.starts_with('_'))
}

/// A Go file's top-level declarations as (name, text): a method's name
/// carries its receiver, so `T.Run` and `Run` stay apart.
fn decls(src: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = src.lines().collect();
    coop_gomap::parse::parse(src)
        .decls
        .iter()
        .map(|d| {
            let name = match d.recv {
                Some(r) => format!("{r}.{}", d.name),
                None => d.name.to_string(),
            };
            let from = (d.start as usize).saturating_sub(1);
            let to = (d.end as usize).min(lines.len());
            let text = lines
                .get(from..to)
                .map(|l| l.join("\n"))
                .unwrap_or_default();
            (name, text)
        })
        .collect()
}

/// The test functions the change in `worktree` added or changed.
pub(crate) fn changed_tests(worktree: &Worktree) -> Result<Vec<ChangedTest>, EvidenceError> {
    let mut out = Vec::new();
    for file in worktree.changed_files()? {
        if !file.ends_with("_test.go") || !in_test_package(&file) {
            continue;
        }
        let Ok(new) = worktree.read_file(&file, MAX_EDIT_BYTES) else {
            continue;
        };
        let base = worktree
            .base_file(&file, MAX_EDIT_BYTES)?
            .unwrap_or_default();
        for name in changed_test_funcs(&decls(&base), &decls(&new)) {
            out.push(ChangedTest {
                file: file.clone(),
                name,
            });
        }
    }
    Ok(out)
}

/// The same verification on the base commit's tree (exported apart; the
/// worktree is untouched), so failures already there are not charged to the
/// change ([`VerificationReport::judge_against_base`]).
pub(crate) async fn verify_base(
    sandbox: &Sandbox,
    worktree: &Worktree,
) -> Result<VerificationReport, EvidenceError> {
    let scratch = scratch_dir("coop-base-")?;
    let dir = scratch.path();
    worktree.export_base(dir)?;
    open_for_reading(dir)?;
    Ok(sandbox.verify(dir).await?)
}

/// The modules of the tree at `dir` as verification sees them (the
/// sandbox's layout: the root's go.mod, go.work's modules, or those below
/// the root), each with its go.mod's module path.
fn module_roots(dir: &Path) -> Vec<ModuleRoot> {
    let Ok(layout) = coop_sandbox::layout::detect(dir) else {
        return Vec::new();
    };
    layout
        .modules()
        .into_iter()
        .map(|m| {
            let path = std::fs::read_to_string(dir.join(&m).join("go.mod"))
                .ok()
                .and_then(|t| parse_module_path(&t))
                .unwrap_or_default();
            let dir = if m == "." { String::new() } else { m };
            ModuleRoot { dir, path }
        })
        .collect()
}

fn scratch_dir(prefix: &str) -> Result<tempfile::TempDir, EvidenceError> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| EvidenceError::Io {
            path: std::env::temp_dir(),
            source: e,
        })
}

/// Runs the check on a change that passed verification.
pub(crate) async fn check(
    sandbox: &Sandbox,
    worktree: &Worktree,
) -> Result<EvidenceRecord, EvidenceError> {
    let changed = changed_tests(worktree)?;
    if changed.is_empty() {
        return Ok(EvidenceRecord {
            evidence: TestEvidence::NoTest,
            changed,
            base_run: None,
        });
    }
    let scratch = scratch_dir("coop-evidence-")?;
    let dir = scratch.path();
    worktree.export_base(dir)?;
    let mut files: Vec<&str> = changed.iter().map(|t| t.file.as_str()).collect();
    files.dedup();
    for file in files {
        let text = worktree.read_file(file, MAX_EDIT_BYTES)?;
        let dest = coop_workspace::resolve_confined(dir, file).map_err(|e| EvidenceError::Io {
            path: dir.join(file),
            source: std::io::Error::other(e.to_string()),
        })?;
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&dest, text).map_err(|e| io(&dest, e))?;
    }
    // The sandbox may run as nobody (when the files belong to root): the
    // tree must be readable by anyone, as a checkout normally is.
    open_for_reading(dir)?;
    let modules = module_roots(dir);
    let base_run = sandbox.verify(dir).await?;
    Ok(EvidenceRecord {
        evidence: judge(&changed, &modules, &base_run),
        changed,
        base_run: Some(base_run),
    })
}

fn io(path: &Path, source: std::io::Error) -> EvidenceError {
    EvidenceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `chmod -R a+rX` on a tree coop wrote itself (symlinks are left alone).
pub(crate) fn open_for_reading(dir: &Path) -> Result<(), EvidenceError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(dir).map_err(|e| io(dir, e))?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let mode = meta.permissions().mode();
    let add = if meta.is_dir() || mode & 0o100 != 0 {
        0o555
    } else {
        0o444
    };
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | add))
        .map_err(|e| io(dir, e))?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
            let entry = entry.map_err(|e| io(dir, e))?;
            open_for_reading(&entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_files_outside_packages_are_not_compiled() {
        for p in ["a_test.go", "pkg/a_test.go", "internal/x/a_test.go"] {
            assert!(in_test_package(p), "{p}");
        }
        for p in [
            "testdata/a_test.go",
            "pkg/testdata/a_test.go",
            "vendor/m/a_test.go",
            ".x/a_test.go",
            "_old/a_test.go",
        ] {
            assert!(!in_test_package(p), "{p}");
        }
    }

    #[test]
    fn declarations_carry_their_doc_and_receiver() {
        let src = "package p\n\n// T is a type.\ntype T struct{}\n\nfunc (t T) Run() {}\n\n// Run runs.\nfunc Run() {\n\treturn\n}\n";
        let d = decls(src);
        let names: Vec<&str> = d.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["T", "T.Run", "Run"]);
        assert_eq!(d[2].1, "// Run runs.\nfunc Run() {\n\treturn\n}");
    }
}
