//! `coop check`: the verification a run would do, on the working tree as it
//! is or on a commit, without any model. What a new user runs first, and
//! what CI calls before anything else.

use std::path::Path;

use anyhow::{Context, Result};
use coop_core::Outcome;
use coop_sandbox::Sandbox;
use coop_workspace::Repo;

use crate::config::Config;

/// Label on the containers `coop check` starts.
const CHECK_LABEL: &str = "coop.check";

/// Verify `repo`'s working tree (uncommitted changes included), or the tree
/// of commit `rev`, and print the report: as JSON with `json`, else as the
/// summary a model gets. The exit code is 0 when verification passes and
/// [`Outcome::VerificationFailed`]'s otherwise.
pub async fn check(cfg: &Config, repo: &Path, rev: Option<&str>, json: bool) -> Result<i32> {
    let repo = Repo::open(repo).map_err(|e| crate::run::SetupError::BadInput(e.to_string()))?;
    let scratch;
    let dir = match rev {
        Some(rev) => {
            scratch = tempfile::Builder::new()
                .prefix("coop-check-")
                .tempdir()
                .context("cannot make a directory for the commit's tree")?;
            repo.export_rev(rev, scratch.path())
                .map_err(|e| crate::run::SetupError::BadInput(format!("--rev {rev}: {e}")))?;
            // The sandbox may run as nobody: the exported tree must be
            // readable by anyone, as a checkout normally is.
            crate::evidence::open_for_reading(scratch.path())?;
            scratch.path().to_path_buf()
        }
        None => repo.root().to_path_buf(),
    };
    let sandbox = Sandbox::connect(
        crate::run::sandbox_config(cfg, vec![(CHECK_LABEL.to_string(), "1".to_string())]).await,
    )
    .await?;
    sandbox.ensure_image().await?;
    let report = sandbox.verify(&dir).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let what = rev.map_or_else(|| "the working tree".to_string(), |r| format!("commit {r}"));
        println!("coop check: {} of {}", what, repo.root().display());
        print!("{}", report.summary_for_model(200_000));
        println!("({} ms, image {})", report.duration_ms, report.image);
        if let Some(t) = &report.toolchain {
            let version = t.version.as_deref().unwrap_or("unknown");
            match (&t.requirement, &t.note) {
                (_, Some(note)) => println!("Go {version}: {note}"),
                (Some(req), None) => println!("Go {version}, as {req} asks"),
                (None, None) => println!("Go {version}"),
            }
        }
    }
    Ok(if report.passed {
        0
    } else {
        Outcome::VerificationFailed.code()
    })
}
