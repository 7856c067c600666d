//! Which risky-action approvals recorded in a run directory are honoured.
//!
//! `coop replay`, `coop resume` and `coop answer` decide risky actions as the
//! user did in the run they continue: the classes pre-approved with
//! `--allow` and the answers given on the terminal. Those decisions are in
//! the run directory, which anyone can write: a repository can commit one, a
//! colleague can send one, and the audit log's hash chain is unkeyed, so a
//! crafted log verifies as well as a real one. So the decisions are honoured
//! only when this host can show it wrote them itself.
//!
//! Mechanism: a key of 32 random bytes in the user's coop state directory
//! (`$COOP_STATE_DIR`, else `$XDG_STATE_HOME/coop`, else
//! `~/.local/state/coop`; file `approvals.key`, mode 0600), made on first
//! use. Every run keeps `approvals.json` in its run directory: the run id,
//! the sha256 of its `run-start` audit line (which names the task, base
//! commit, mode, plugins and `allow`), the pre-approved classes and the
//! user's answers in order, sealed with HMAC-SHA256 under that key and
//! rewritten after every answer (before the answer is acted on). A replay or
//! continuation honours the sealed decisions only when the seal verifies
//! under this host's key and the run-start line is the one sealed;
//! otherwise it honours none, says so, and asks again (on a terminal) or
//! refuses (elsewhere; `--allow` pre-approves anew).
//!
//! Why this and not a list of run ids kept in the state directory: one small
//! file of state, nothing to look up or prune, and the seal travels with the
//! run directory (moved or archived within the machine, it still verifies;
//! copied to another machine or user, it does not, which is the point).
//! The same seal decides whether `coop resume` may reuse an attempt's
//! verification reports instead of running Docker again ([`made_here`]). It
//! does not vouch for the rest of the directory (recorded model replies,
//! handoffs): those are checked by the audit chain, the file hashes and
//! run.json's head before use (`inspect::verify_journal`), and whatever they
//! make a run do goes through the same risk gate as a live model's replies.

use coop_core::hash::{constant_time_eq, hmac_sha256_hex, sha256_hex};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The sealed decisions of a run, in its run directory.
pub const APPROVALS_FILE: &str = "approvals.json";
const KEY_FILE: &str = "approvals.key";
const KEY_LEN: usize = 32;
/// Domain separation: this key seals nothing else, but a MAC over a
/// versioned label cannot be mistaken for one over another format.
const MAC_LABEL: &[u8] = b"coop approvals v1\n";

#[derive(Debug, thiserror::Error)]
pub enum ApprovalsError {
    #[error(
        "no state directory for coop's approvals key: set COOP_STATE_DIR, XDG_STATE_HOME or HOME"
    )]
    NoStateDir,
    #[error("approvals key {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "approvals key {0} is not {KEY_LEN} bytes; remove it to have a new one made (runs sealed with it will ask again)"
    )]
    BadKey(PathBuf),
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ApprovalsError + '_ {
    move |source| ApprovalsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The user's coop state directory (not the repository, not a run
/// directory: nothing a repository or a run directory controls).
pub fn state_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = var("COOP_STATE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(x) = var("XDG_STATE_HOME") {
        return Some(PathBuf::from(x).join("coop"));
    }
    var("HOME").map(|h| PathBuf::from(h).join(".local/state/coop"))
}

/// The host's sealing key.
pub struct Key([u8; KEY_LEN]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    /// The key in [`state_dir`], made if there is none.
    pub fn load_or_create() -> Result<Key, ApprovalsError> {
        Key::load_or_create_in(&state_dir().ok_or(ApprovalsError::NoStateDir)?)
    }

    /// The key in `dir`, made if there is none. Two processes making it at
    /// once agree on one: each writes a complete private file and links it
    /// into place, which fails for all but the first.
    pub fn load_or_create_in(dir: &Path) -> Result<Key, ApprovalsError> {
        let path = dir.join(KEY_FILE);
        if path.symlink_metadata().is_err() {
            create_private_dir(dir)?;
            let bytes: [u8; KEY_LEN] = rand::random();
            let mut tmp = tempfile::Builder::new()
                .prefix(".approvals-key-")
                .tempfile_in(dir)
                .map_err(io_err(dir))?;
            // tempfile creates the file 0600.
            tmp.write_all(&bytes).map_err(io_err(tmp.path()))?;
            tmp.as_file().sync_all().map_err(io_err(tmp.path()))?;
            match std::fs::hard_link(tmp.path(), &path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        let key: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| ApprovalsError::BadKey(path.clone()))?;
        Ok(Key(key))
    }

    fn seal(&self, a: &Approvals) -> String {
        // Serializing a struct is deterministic (field order, no maps).
        let body = serde_json::to_vec(a).unwrap_or_default();
        let mut msg = MAC_LABEL.to_vec();
        msg.extend_from_slice(&body);
        hmac_sha256_hex(&self.0, &msg)
    }
}

fn create_private_dir(dir: &Path) -> Result<(), ApprovalsError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(io_err(dir))
}

/// What a run's user decided, as sealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Approvals {
    version: u32,
    run_id: String,
    /// sha256 of the run's first audit line, its `run-start` event.
    run_start_sha256: String,
    /// Pre-approved risky-action classes (`--allow`, `[run] allow`).
    allow: Vec<String>,
    /// The user's answers when asked, in order (true = approved).
    answers: Vec<bool>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sealed {
    approvals: Approvals,
    /// HMAC-SHA256 of [`MAC_LABEL`] + `approvals` as serialized here.
    mac: String,
}

/// Keeps a live run's `approvals.json` up to date.
#[derive(Debug)]
pub struct Sealer {
    key: Option<Key>,
    path: PathBuf,
    approvals: Approvals,
    started: bool,
}

impl Sealer {
    /// A sealer for the run `run_id` in `run_dir` with the pre-approved
    /// classes `allow`; nothing is written before [`Sealer::begin`]. Without
    /// a key (no state directory), nothing is ever written and a later
    /// replay asks again.
    pub fn new(key: Option<Key>, run_dir: &Path, run_id: &str, allow: Vec<String>) -> Sealer {
        Sealer {
            key,
            path: run_dir.join(APPROVALS_FILE),
            approvals: Approvals {
                version: 1,
                run_id: run_id.to_string(),
                run_start_sha256: String::new(),
                allow,
                answers: Vec::new(),
            },
            started: false,
        }
    }

    /// Seal the pre-approvals once the run-start line (sha256
    /// `run_start_sha256`) is on disk.
    pub fn begin(&mut self, run_start_sha256: &str) -> Result<(), ApprovalsError> {
        self.approvals.run_start_sha256 = run_start_sha256.to_string();
        self.started = true;
        self.write()
    }

    /// Add one answer of the user's and seal again.
    pub fn record_answer(&mut self, approved: bool) -> Result<(), ApprovalsError> {
        self.approvals.answers.push(approved);
        self.write()
    }

    fn write(&self) -> Result<(), ApprovalsError> {
        let Some(key) = &self.key else { return Ok(()) };
        if !self.started {
            return Ok(());
        }
        let sealed = Sealed {
            mac: key.seal(&self.approvals),
            approvals: self.approvals.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&sealed).map_err(|e| ApprovalsError::Write {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        coop_audit::write_atomic(&self.path, &bytes).map_err(|e| ApprovalsError::Write {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }
}

/// The decisions a replay or continuation of the run in `run_dir` may use.
#[derive(Debug, PartialEq)]
pub enum Trust {
    /// Sealed by this host for this run.
    Honoured {
        allow: Vec<String>,
        answers: VecDeque<bool>,
    },
    /// Not shown to be this host's: none are used. `claimed` says what the
    /// directory claims, `why` why it is not believed.
    Dropped { claimed: String, why: String },
}

/// Decide whether the decisions recorded in `run_dir` are honoured, under
/// `key` (none: nothing is). `claimed_allow` and `claimed_answers` are what
/// the audit log says (for the message, and so a run that decided nothing
/// has nothing to drop).
pub fn trust(
    run_dir: &Path,
    key: Option<&Key>,
    claimed_allow: &[String],
    claimed_answers: usize,
) -> Trust {
    let claimed = format!(
        "pre-approved classes [{}], {claimed_answers} recorded answer(s)",
        claimed_allow.join(", ")
    );
    let dropped = |why: String| Trust::Dropped {
        claimed: claimed.clone(),
        why,
    };
    match verify_seal(run_dir, key) {
        Ok(a) => Trust::Honoured {
            allow: a.allow,
            answers: a.answers.into(),
        },
        Err(_) if claimed_allow.is_empty() && claimed_answers == 0 => Trust::Honoured {
            allow: Vec::new(),
            answers: VecDeque::new(),
        },
        Err(why) => dropped(why),
    }
}

/// The decisions sealed in `run_dir`, when this host (`key`) sealed them for
/// the run-start line of `run_dir`'s audit log; else why not.
fn verify_seal(run_dir: &Path, key: Option<&Key>) -> Result<Approvals, String> {
    let key = key.ok_or("this host has no approvals key")?;
    let path = run_dir.join(APPROVALS_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{} cannot be read ({e})", path.display()))?;
    let sealed: Sealed = serde_json::from_str(&text)
        .map_err(|e| format!("{} is malformed ({e})", path.display()))?;
    if !constant_time_eq(&key.seal(&sealed.approvals), &sealed.mac) {
        return Err(format!(
            "{} was not sealed by this host (made elsewhere, by another user, or edited)",
            path.display()
        ));
    }
    let start =
        first_line(&run_dir.join("audit.jsonl")).ok_or("the audit log has no first line")?;
    if sha256_hex(&start) != sealed.approvals.run_start_sha256 {
        return Err(format!(
            "{} was sealed for another run-start than this audit log's",
            path.display()
        ));
    }
    Ok(sealed.approvals)
}

/// Whether this host made the run (attempt) in `run_dir`: its seal verifies
/// under this host's key. `coop resume` reuses an earlier verification
/// report (instead of running Docker again) only from such a directory: a
/// crafted one could carry a passing report for a change never verified.
pub fn made_here(run_dir: &Path) -> bool {
    Key::load_or_create()
        .ok()
        .is_some_and(|k| verify_seal(run_dir, Some(&k)).is_ok())
}

fn first_line(log: &Path) -> Option<Vec<u8>> {
    let bytes = std::fs::read(log).ok()?;
    let end = bytes.iter().position(|b| *b == b'\n')?;
    Some(bytes[..end].to_vec())
}

/// [`trust`] under this host's key, for `coop replay`, `coop resume` and
/// `coop answer`: the decisions to use, after telling the user on stderr
/// when the recorded ones are not honoured.
pub fn honoured(
    run_dir: &Path,
    claimed_allow: &[String],
    claimed_answers: usize,
) -> (Vec<String>, VecDeque<bool>) {
    let key = match Key::load_or_create() {
        Ok(k) => Some(k),
        Err(e) => {
            tracing::warn!("{e}");
            None
        }
    };
    match trust(run_dir, key.as_ref(), claimed_allow, claimed_answers) {
        Trust::Honoured { allow, answers } => (allow, answers),
        Trust::Dropped { claimed, why } => {
            eprintln!(
                "coop: not honouring the risky-action decisions recorded in {} ({claimed}): {why}. \
                 Only decisions this host sealed for this run are honoured: each risky edit is asked again on a terminal, \
                 and refused elsewhere unless pre-approved now with --allow CLASS,...",
                run_dir.display()
            );
            (Vec::new(), VecDeque::new())
        }
    }
}

/// The risky-action decisions a replay or continuation of the run in
/// `run_dir` uses: those the run recorded, if this host sealed them; else
/// none (see [`honoured`]).
pub fn decisions_for(run_dir: &Path) -> anyhow::Result<(Vec<String>, VecDeque<bool>)> {
    let (allow, answers) = crate::inspect::recorded_risk_decisions(run_dir)?;
    Ok(honoured(run_dir, &allow, answers.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_dir(start: &str) -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("audit.jsonl"), format!("{start}\n{{}}\n")).unwrap();
        t
    }

    #[test]
    fn only_decisions_this_host_sealed_for_this_run_are_honoured() {
        let state = tempfile::tempdir().unwrap();
        let key = Key::load_or_create_in(state.path()).unwrap();
        let again = Key::load_or_create_in(state.path()).unwrap();
        assert_eq!(key.0, again.0, "the key is made once");
        let d = run_dir(r#"{"event":"run-start"}"#);
        let mut s = Sealer::new(
            Some(Key::load_or_create_in(state.path()).unwrap()),
            d.path(),
            "r1",
            vec!["delete".into()],
        );
        s.begin(&sha256_hex(br#"{"event":"run-start"}"#)).unwrap();
        s.record_answer(true).unwrap();
        let claimed = vec!["delete".to_string()];
        assert_eq!(
            trust(d.path(), Some(&key), &claimed, 1),
            Trust::Honoured {
                allow: claimed.clone(),
                answers: VecDeque::from([true])
            }
        );

        // Another host's key (another machine, another user).
        let other = tempfile::tempdir().unwrap();
        let other = Key::load_or_create_in(other.path()).unwrap();
        assert!(matches!(
            trust(d.path(), Some(&other), &claimed, 1),
            Trust::Dropped { .. }
        ));
        assert!(matches!(
            trust(d.path(), None, &claimed, 1),
            Trust::Dropped { .. }
        ));

        // An edited seal: another class added, or a refusal turned into a yes.
        let path = d.path().join(APPROVALS_FILE);
        let good = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, good.replace("\"delete\"", "\"delete\", \"ci\"")).unwrap();
        assert!(matches!(
            trust(d.path(), Some(&key), &claimed, 1),
            Trust::Dropped { .. }
        ));
        std::fs::write(&path, &good).unwrap();

        // The sealed file moved next to another run's audit log.
        std::fs::write(
            d.path().join("audit.jsonl"),
            "{\"event\":\"run-start\",\"task\":\"other\"}\n",
        )
        .unwrap();
        let Trust::Dropped { why, .. } = trust(d.path(), Some(&key), &claimed, 1) else {
            panic!("a seal for another run-start was honoured");
        };
        assert!(why.contains("another run-start"), "{why}");

        // No seal at all: nothing claimed, nothing to drop.
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            trust(d.path(), Some(&key), &[], 0),
            Trust::Honoured { .. }
        ));
        assert!(matches!(
            trust(d.path(), Some(&key), &claimed, 0),
            Trust::Dropped { .. }
        ));
    }

    #[test]
    fn a_key_of_the_wrong_size_is_an_error_not_a_new_key() {
        let state = tempfile::tempdir().unwrap();
        std::fs::write(state.path().join(KEY_FILE), b"short").unwrap();
        assert!(matches!(
            Key::load_or_create_in(state.path()),
            Err(ApprovalsError::BadKey(_))
        ));
    }
}
