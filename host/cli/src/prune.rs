//! `coop runs --prune`: remove what finished runs leave in git.
//!
//! A finished run's worktree is removed when it ends, but its branch
//! `coop/<id>` stays (it holds the change), and a run killed between its
//! last step and the end leaves its worktree too. Over weeks these pile up
//! in `git branch` and `git worktree list`. Pruning removes the branch and
//! any worktree of every run that has ended, except runs that wait for the
//! user (escalated: `coop answer` continues them) and runs that never
//! ended (killed: `coop resume` continues them). The run directory stays:
//! its journal, audit log and `change.patch` (apply it with `git apply`)
//! are the record of what was done.

use crate::inspect::{RunListing, list_runs};
use anyhow::{Context, Result};
use coop_workspace::{Repo, Worktree};
use serde::Serialize;
use std::path::Path;

/// What pruning did (or, with `dry_run`, would do) to one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pruned {
    pub run_id: String,
    pub outcome: String,
    /// The branch `coop/<id>` existed and is (or would be) deleted.
    pub branch: bool,
    /// A worktree directory existed and is (or would be) removed.
    pub worktree: bool,
}

/// Runs pruning leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kept {
    pub run_id: String,
    pub why: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    pub dry_run: bool,
    pub pruned: Vec<Pruned>,
    pub kept: Vec<Kept>,
}

/// Why a run must be kept, if it must.
fn keep_reason(run: &RunListing, current_branch: Option<&str>) -> Option<&'static str> {
    match run.outcome.as_deref() {
        None => Some("never ended: `coop resume` continues it"),
        Some("escalated") => Some("waits for the user: `coop answer` continues it"),
        Some(_) if current_branch == Some(format!("coop/{}", run.run_id).as_str()) => {
            Some("its branch is checked out")
        }
        Some(_) => None,
    }
}

/// Prune the finished runs of the repository at `repo_path`.
pub fn prune(repo_path: &Path, dry_run: bool) -> Result<PruneReport> {
    let repo = Repo::open(repo_path)?;
    let current = repo.current_branch()?;
    let mut report = PruneReport {
        dry_run,
        pruned: Vec::new(),
        kept: Vec::new(),
    };
    for run in list_runs(repo.root())? {
        if let Some(why) = keep_reason(&run, current.as_deref()) {
            report.kept.push(Kept {
                run_id: run.run_id,
                why,
            });
            continue;
        }
        let branch = repo.has_branch(&format!("coop/{}", run.run_id))?;
        let worktree = repo.worktree_path(&run.run_id).symlink_metadata().is_ok();
        if !branch && !worktree {
            continue;
        }
        if !dry_run {
            Worktree::discard(&repo, &run.run_id)
                .with_context(|| format!("pruning run {}", run.run_id))?;
        }
        report.pruned.push(Pruned {
            run_id: run.run_id,
            outcome: run.outcome.unwrap_or_default(),
            branch,
            worktree,
        });
    }
    Ok(report)
}

/// The report as lines for a terminal.
pub fn render(r: &PruneReport) -> String {
    let (verb, done) = if r.dry_run {
        ("would remove", "would be pruned")
    } else {
        ("removed", "pruned")
    };
    let mut out = String::new();
    for p in &r.pruned {
        let what: Vec<&str> = [(p.branch, "branch"), (p.worktree, "worktree")]
            .iter()
            .filter(|(has, _)| *has)
            .map(|(_, w)| *w)
            .collect();
        out.push_str(&format!(
            "{}  {:<22} {verb} {}\n",
            p.run_id,
            p.outcome,
            what.join(" and ")
        ));
    }
    for k in &r.kept {
        out.push_str(&format!("{}  kept: {}\n", k.run_id, k.why));
    }
    out.push_str(&format!(
        "{} run(s) {done}; run directories (journal, audit log, change.patch) are kept\n",
        r.pruned.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .current_dir(dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    /// A run directory as `coop run` leaves it; `outcome` None: killed.
    fn run_dir(repo: &Path, id: &str, outcome: Option<&str>) {
        let d = repo.join(".coop/runs").join(id);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("audit.jsonl"),
            "{\"event\":\"run-start\",\"task\":\"t\"}\n",
        )
        .unwrap();
        if let Some(o) = outcome {
            std::fs::write(
                d.join("run.json"),
                format!("{{\"outcome\":\"{o}\",\"task\":\"t\"}}"),
            )
            .unwrap();
        }
    }

    #[test]
    fn prunes_branches_and_worktrees_of_ended_runs_and_keeps_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        std::fs::create_dir_all(&root).unwrap();
        git(&root, &["init", "-q", "-b", "main"]);
        std::fs::write(root.join("a.go"), "package a\n").unwrap();
        git(&root, &["add", "-A"]);
        git(&root, &["commit", "-q", "-m", "init"]);
        let repo = Repo::open(&root).unwrap();
        let ids = [
            "20260101-000000-aaaa",
            "20260101-000000-bbbb",
            "20260101-000000-cccc",
            "20260101-000000-dddd",
        ];
        for id in ids {
            Worktree::create(&repo, id).unwrap();
        }
        // Ended: approved (worktree already removed, branch left), and
        // failed (killed before its worktree went). Waiting: escalated, and
        // a run that never ended.
        Worktree::open(&repo, ids[0], &repo.head_commit().unwrap())
            .unwrap()
            .remove()
            .unwrap();
        run_dir(&root, ids[0], Some("approved"));
        run_dir(&root, ids[1], Some("verification-failed"));
        run_dir(&root, ids[2], Some("escalated"));
        run_dir(&root, ids[3], None);

        let dry = prune(&root, true).unwrap();
        assert_eq!(dry.pruned.len(), 2);
        for id in ids {
            assert!(
                repo.has_branch(&format!("coop/{id}")).unwrap(),
                "a dry run removes nothing"
            );
        }
        assert!(render(&dry).contains("would be pruned"));

        let r = prune(&root, false).unwrap();
        assert_eq!(
            r.pruned,
            vec![
                Pruned {
                    run_id: ids[0].into(),
                    outcome: "approved".into(),
                    branch: true,
                    worktree: false
                },
                Pruned {
                    run_id: ids[1].into(),
                    outcome: "verification-failed".into(),
                    branch: true,
                    worktree: true
                },
            ]
        );
        assert_eq!(
            r.kept.iter().map(|k| k.run_id.as_str()).collect::<Vec<_>>(),
            [ids[2], ids[3]]
        );
        assert!(!repo.has_branch(&format!("coop/{}", ids[0])).unwrap());
        assert!(!repo.has_branch(&format!("coop/{}", ids[1])).unwrap());
        assert!(!repo.worktree_path(ids[1]).exists());
        assert!(repo.has_branch(&format!("coop/{}", ids[2])).unwrap());
        assert!(
            repo.worktree_path(ids[3]).exists(),
            "a killed run stays resumable"
        );
        assert!(
            root.join(".coop/runs")
                .join(ids[0])
                .join("run.json")
                .exists(),
            "run directories stay"
        );
        assert_eq!(repo.current_branch().unwrap().as_deref(), Some("main"));
        // Nothing left to prune.
        assert!(prune(&root, false).unwrap().pruned.is_empty());
    }
}
