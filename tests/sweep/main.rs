#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The secret sweep: after the whole suite has run (tests/run.sh runs this
//! last, with `COOP_E2E_ARCHIVE` set for the suite), grep every audit log,
//! model record, recording, handoff and artifact the suite's runs wrote for
//! every secret of the redaction corpus and every canary the end-to-end
//! tests plant. Ignored in a plain `cargo test`, which has no archive.

use coop_e2e::harness::archive_dir;
use coop_e2e::secret_corpus::{corpus, leaked};

/// Canaries planted by the end-to-end tests (secret files and the hostile
/// corpus's .env).
const CANARIES: &[&str] = &[
    "unit-canary-7f3a9c2e41d0b8",
    "clampy-canary-5d1e8f2a9b7c4e60",
];

#[test]
#[ignore = "runs after the suite, from tests/run.sh"]
fn no_secret_in_anything_the_suite_runs_wrote() {
    let dir = archive_dir().expect("COOP_E2E_ARCHIVE names the archive of the suite's runs");
    let secrets: Vec<(String, String)> = corpus()
        .into_iter()
        .map(|(kind, secret, _)| (kind, secret))
        .chain(
            CANARIES
                .iter()
                .map(|c| ("canary".to_string(), c.to_string())),
        )
        .collect();
    // Every needle `leaked` looks for, in one automaton: a file is checked
    // secret by secret only when one of them occurs. (Hundreds of plain
    // `contains` scans per file over the ~100k files the suite writes took
    // minutes.)
    let needles: Vec<&str> = secrets
        .iter()
        .flat_map(|(_, s)| {
            std::iter::once(s.as_str()).chain(
                s.lines()
                    .filter(|l| l.len() >= 8 && !l.starts_with("-----")),
            )
        })
        .collect();
    let any = aho_corasick::AhoCorasick::new(&needles).expect("automaton");
    let (mut files, mut bytes, mut audit_logs, mut recordings) = (0usize, 0usize, 0usize, 0usize);
    let mut found = Vec::new();
    for e in std::fs::read_dir(&dir).expect("archive").flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let text = String::from_utf8_lossy(&std::fs::read(e.path()).expect("read")).into_owned();
        files += 1;
        bytes += text.len();
        audit_logs += usize::from(name.ends_with("audit.jsonl"));
        recordings += usize::from(name.ends_with("recording.json"));
        if !any.is_match(&text) {
            continue;
        }
        for (kind, s) in &secrets {
            if leaked(&text, s) || text.contains(s.as_str()) {
                found.push(format!("{kind} secret in {name}"));
            }
        }
    }
    eprintln!(
        "secret sweep: {} secrets and canaries looked for in {files} files ({:.1} MB) written by the suite's runs, {audit_logs} audit logs and {recordings} recordings among them: {} found",
        secrets.len(),
        bytes as f64 / 1e6,
        found.len()
    );
    assert!(
        audit_logs >= 20 && recordings >= 20,
        "the archive is too small to mean anything"
    );
    assert!(found.is_empty(), "{found:#?}");
}
