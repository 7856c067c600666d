//! Fitting each handoff into the receiving model's context window: the I/O
//! side of `coop_core::context`. For every role step this counts the
//! handoff's pieces with the model's tokenizer, chooses the Go-aware working
//! set from the module map (`coop_gomap`), lets the pure packer decide what
//! fits the 25 / 50 / 25 % split, and applies the decision to the handoff:
//! what does not fit is removed whole and named, never cut.

use coop_core::context::{Limits, PackError, Piece, pack};
use coop_core::hash::sha256_hex;
use coop_core::workflow::finding_text;
use coop_core::{ContextItem, ContextPack, DroppedItem, Handoff, Section};
use coop_providers::{CancellationToken, Recorder, TokenCounter, estimate};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// Fence, label and provenance a plugin renders around each piece: counted
/// with the piece so that many small pieces cannot overflow the budget.
pub const PIECE_OVERHEAD_TOKENS: u64 = 16;

/// Counts prompt tokens for one model: the recorded count of a text when a
/// replay or resume has one, else the model's tokenizer; the documented
/// estimate when the tokenizer cannot be reached (once it failed, for the
/// rest of the run).
pub struct Tokens {
    live: Option<TokenCounter>,
    recorded: BTreeMap<String, u64>,
    cache: Mutex<HashMap<String, u64>>,
    failed: Mutex<Option<String>>,
}

impl Tokens {
    /// `live`: the model's tokenizer (`None` in a replay: recorded counts or
    /// the estimate). `recorded`: counts a recording or journal holds.
    pub fn new(live: Option<TokenCounter>, recorded: BTreeMap<String, u64>) -> Tokens {
        Tokens {
            live,
            recorded,
            cache: Mutex::new(HashMap::new()),
            failed: Mutex::new(None),
        }
    }

    /// How this counter counts, for the handoff's record.
    pub fn describe(&self) -> String {
        let fallback = self
            .failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match (&self.live, fallback) {
            (Some(c), None) => c.describe(),
            (Some(c), Some(why)) => format!(
                "{} ({} failed: {why})",
                TokenCounter::Estimate.describe(),
                c.describe()
            ),
            (None, _) if !self.recorded.is_empty() => "recorded counts of the replayed run".into(),
            (None, _) => TokenCounter::Estimate.describe(),
        }
    }

    pub async fn count(&self, text: &str, cancel: &CancellationToken, recorder: &Recorder) -> u64 {
        let key = sha256_hex(text.as_bytes());
        if let Some(n) = self.recorded.get(&key) {
            // Kept in this run's recording too: a replay of a resumed or
            // answered run reads only its last attempt's recording.
            recorder.record_count(&key, *n);
            return *n;
        }
        if let Some(n) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return *n;
        }
        let gave_up = self
            .failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some();
        let live = self
            .live
            .as_ref()
            .filter(|c| !matches!(c, TokenCounter::Estimate) && !gave_up);
        let n = match live {
            None => estimate(text),
            Some(c) => match c.count(text, cancel).await {
                Ok(n) => {
                    // Real counts are kept so a replay budgets the same way.
                    recorder.record_count(&key, n);
                    n
                }
                Err(e) => {
                    tracing::warn!("token counting falls back to the estimate: {e}");
                    *self.failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
                    estimate(text)
                }
            },
        };
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, n);
        n
    }
}

/// What the packer needs to know about the receiving role.
pub struct RoleLimits {
    pub limits: Limits,
    /// The role's read grant: working-set files must match (`None`: no read
    /// grant, so no files).
    pub read_globs: Option<globset::GlobSet>,
    /// Whether secret files (.env, keys) may be sent.
    pub send_secret_files: bool,
}

/// Where the run directory keeps the full text of what may be dropped.
#[derive(Debug, Default, Clone)]
pub struct Artifacts {
    /// The architect's latest output (design notes).
    pub design: Option<String>,
}

/// A piece with the text that was counted and what to do with it.
struct Candidate {
    piece: Piece,
    what: String,
    text: String,
    kind: Kind,
    artifact: Option<String>,
}

impl Candidate {
    fn new(
        section: Section,
        required: bool,
        what: String,
        text: String,
        kind: Kind,
        artifact: Option<String>,
    ) -> Candidate {
        Candidate {
            piece: Piece {
                section,
                tokens: 0,
                required,
            },
            what,
            text,
            kind,
            artifact,
        }
    }
}

enum Kind {
    Fixed,
    DesignNotes,
    NextActions,
    Recent(u32),
    Diff,
    Verification,
    File(coop_gomap::Item),
}

/// Build the pack for `h` and apply it: drop what does not fit from the
/// handoff, add the working set. `read(path)` reads a worktree file
/// (confined; `None` when it cannot be read).
#[allow(clippy::too_many_arguments)]
pub async fn fit(
    h: &mut Handoff,
    role_limits: &RoleLimits,
    map: Option<&coop_gomap::ModuleMap>,
    tokens: &Tokens,
    artifacts: &Artifacts,
    read: &dyn Fn(&str) -> Option<String>,
    cancel: &CancellationToken,
    recorder: &Recorder,
) -> Result<ContextPack, PackError> {
    let mut cands: Vec<Candidate> = Vec::new();
    let fixed = |what: &str, text: String| {
        Candidate::new(
            Section::Persistent,
            true,
            what.into(),
            text,
            Kind::Fixed,
            None,
        )
    };
    // Persistent context: what every step must carry (the task even when
    // empty, the lists when they have entries).
    let decisions: Vec<String> = h
        .decisions
        .iter()
        .map(|d| format!("{} decided: {} (why: {})", d.by, d.what, d.why))
        .collect();
    let findings: Vec<String> = h.findings.iter().map(finding_text).collect();
    cands.push(fixed("task", h.task.text.clone()));
    for (what, list) in [
        ("goals", &h.goals),
        ("constraints", &h.constraints),
        ("files in scope", &h.files_in_scope),
        ("decisions", &decisions),
        ("blockers", &h.blockers),
        ("findings", &findings),
    ] {
        if !list.is_empty() {
            cands.push(fixed(what, list.join("\n")));
        }
    }
    if let Some(d) = &h.design_notes {
        cands.push(Candidate::new(
            Section::Persistent,
            false,
            "design notes".into(),
            d.clone(),
            Kind::DesignNotes,
            artifacts.design.clone(),
        ));
    }
    if !h.next_actions.is_empty() {
        cands.push(Candidate::new(
            Section::Persistent,
            false,
            "next actions".into(),
            h.next_actions.join("\n"),
            Kind::NextActions,
            None,
        ));
    }
    // Recent steps, newest first: the older one goes first when they do not fit.
    for s in h.recent.iter().rev() {
        cands.push(Candidate::new(
            Section::Recent,
            false,
            format!("step {} ({})", s.seq, s.role),
            s.text.clone(),
            Kind::Recent(s.seq),
            Some(format!("artifacts/{:03}-{}-output.json", s.seq, s.role)),
        ));
    }
    // Working set: the change and its verification, then the module's
    // files and declarations the task and design name.
    let artifact_of = |kind: &str| {
        h.artifacts
            .iter()
            .rev()
            .find(|a| a.kind == kind)
            .map(|a| a.path.clone())
    };
    if let Some(d) = &h.diff {
        cands.push(Candidate::new(
            Section::Working,
            false,
            "diff".into(),
            d.clone(),
            Kind::Diff,
            artifact_of("diff"),
        ));
    }
    if let Some(v) = &h.verification {
        cands.push(Candidate::new(
            Section::Working,
            false,
            "verification output".into(),
            v.clone(),
            Kind::Verification,
            artifact_of("verification"),
        ));
    }
    if let (Some(map), Some(globs)) = (map, role_limits.read_globs.as_ref()) {
        let mut query = coop_gomap::Query {
            text: h.task.text.clone(),
            files: h.files_in_scope.clone(),
        };
        for extra in [h.design_notes.as_deref(), h.verification.as_deref()]
            .into_iter()
            .flatten()
        {
            query.text.push('\n');
            query.text.push_str(extra);
        }
        for f in &h.findings {
            query.text.push('\n');
            query.text.push_str(&finding_text(f));
        }
        let input = role_limits
            .limits
            .window
            .saturating_sub(role_limits.limits.output_reserve + role_limits.limits.prompt_reserve);
        let whole_limit = coop_core::context::shares(input).1;
        // In a large module the ranking reaches far beyond any budget: stop
        // reading and counting candidates once their estimate is twice the
        // whole input (what lies beyond could never be sent).
        let mut estimated = 0u64;
        // A file offered as several declarations is read once.
        let mut files: HashMap<String, Option<String>> = HashMap::new();
        for item in coop_gomap::rank(map, &query, whole_limit, &|b| {
            b.div_ceil(coop_providers::ESTIMATE_BYTES_PER_TOKEN)
        }) {
            if !globs.is_match(&item.path)
                || (!role_limits.send_secret_files && coop_workspace::is_secret_file(&item.path))
            {
                continue;
            }
            // (An item bigger than the whole input is still offered, so that
            // its drop is reported, but does not use up the cut-off.)
            if item.tokens <= input {
                estimated += item.tokens;
                if estimated > input.saturating_mul(2) {
                    break;
                }
            }
            let file = files
                .entry(item.path.clone())
                .or_insert_with(|| read(&item.path));
            let Some(file) = file.as_deref() else {
                continue;
            };
            let text = lines(file, item.start, item.end);
            let what = match &item.decl {
                Some(d) => format!("{} {d} (lines {}-{})", item.path, item.start, item.end),
                None => format!("file {}", item.path),
            };
            cands.push(Candidate::new(
                Section::Working,
                false,
                what,
                text,
                Kind::File(item),
                None,
            ));
        }
    }
    for c in cands.iter_mut() {
        c.piece.tokens = tokens.count(&c.text, cancel, recorder).await + PIECE_OVERHEAD_TOKENS;
    }
    let pieces: Vec<Piece> = cands.iter().map(|c| c.piece.clone()).collect();
    let plan = pack(role_limits.limits, &pieces)?;

    let mut working_set = Vec::new();
    let mut whole_files: Vec<String> = Vec::new();
    for (c, keep) in cands.iter().zip(&plan.keep) {
        if let (Kind::File(item), true) = (&c.kind, keep)
            && item.decl.is_none()
        {
            whole_files.push(item.path.clone());
        }
    }
    let mut dropped = Vec::new();
    let mut budget = plan.budget;
    for (i, (c, keep)) in cands.into_iter().zip(plan.keep.iter()).enumerate() {
        if *keep {
            if let Kind::File(item) = c.kind {
                // A declaration whose whole file is in already adds nothing,
                // and is not sent, so it does not count as used either.
                if item.decl.is_some() && whole_files.contains(&item.path) {
                    budget.working.used = budget.working.used.saturating_sub(c.piece.tokens);
                    continue;
                }
                working_set.push(ContextItem {
                    path: item.path,
                    decl: item.decl,
                    start_line: item.start,
                    end_line: item.end,
                    tokens: c.piece.tokens,
                    reason: item.reason,
                    content: c.text,
                });
            }
            continue;
        }
        match c.kind {
            Kind::DesignNotes => h.design_notes = None,
            Kind::NextActions => h.next_actions.clear(),
            Kind::Recent(seq) => h.recent.retain(|s| s.seq != seq),
            Kind::Diff => h.diff = None,
            Kind::Verification => h.verification = None,
            Kind::File(_) | Kind::Fixed => {}
        }
        let reason = plan
            .dropped
            .iter()
            .find(|d| d.index == i)
            .map(|d| d.reason.clone())
            .unwrap_or_default();
        dropped.push(DroppedItem {
            section: c.piece.section,
            what: c.what,
            tokens: c.piece.tokens,
            reason,
            artifact: c.artifact,
        });
    }
    Ok(ContextPack {
        counter: tokens.describe(),
        budget,
        working_set,
        dropped,
    })
}

/// Lines `start..=end` (1-based) of `text`, with their line ends.
fn lines(text: &str, start: u32, end: u32) -> String {
    text.split_inclusive('\n')
        .skip(start.saturating_sub(1) as usize)
        .take((end.saturating_sub(start) + 1) as usize)
        .collect()
}

/// The read grant's globs as a matcher (`None`: no read grant).
pub fn read_globs(globs: Option<&[String]>) -> Option<globset::GlobSet> {
    let globs = globs?;
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        b.add(globset::Glob::new(g).ok()?);
    }
    b.build().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use coop_core::{Decision, Role, StepRecord, Task};
    use coop_providers::{RecordingKind, RecordingMeta};

    fn recorder() -> Recorder {
        Recorder::new(RecordingMeta {
            kind: RecordingKind::Recording,
            note: String::new(),
            model: None,
            server: None,
            recorded_at: None,
        })
    }

    fn handoff() -> Handoff {
        Handoff {
            version: coop_core::HANDOFF_VERSION,
            seq: 4,
            task: Task {
                id: "r".into(),
                text: "Fix Clamp in mathx so that it never returns a value above max".into(),
            },
            from: Some(Role::Reviewer),
            to: Role::Implementer,
            goals: vec!["Address every blocking finding".into()],
            constraints: vec!["Go only".into()],
            files_in_scope: vec!["mathx/clamp.go".into()],
            decisions: vec![Decision {
                by: Role::Architect,
                what: "design".into(),
                why: "clamp".into(),
            }],
            next_actions: vec!["edit Clamp".into()],
            blockers: vec![],
            artifacts: vec![],
            design_notes: Some("Change Clamp to compare with max first.".into()),
            verification: Some("Verification FAILED: go test".into()),
            diff: Some("diff --git a/mathx/clamp.go b/mathx/clamp.go\n".into()),
            findings: vec![],
            attempt: 2,
            recent: vec![
                StepRecord {
                    seq: 2,
                    role: Role::Implementer,
                    kind: "implementation".into(),
                    text: "x".repeat(300),
                },
                StepRecord {
                    seq: 3,
                    role: Role::Reviewer,
                    kind: "review".into(),
                    text: "y".repeat(90),
                },
            ],
            summarized_steps: 1,
            context: None,
        }
    }

    fn module(dir: &std::path::Path, big_lines: usize) -> coop_gomap::ModuleMap {
        std::fs::create_dir_all(dir.join("mathx")).unwrap();
        std::fs::write(dir.join("go.mod"), "module example.com/m\n\ngo 1.22\n").unwrap();
        let mut clamp = String::from(
            "package mathx\n\n// Clamp limits v to [min, max].\nfunc Clamp(v, min, max int) int {\n\tif v < min {\n\t\treturn min\n\t}\n\treturn v\n}\n",
        );
        for i in 0..big_lines {
            clamp.push_str(&format!(
                "\n// Helper{i} is filler.\nfunc Helper{i}() int {{ return {i} }}\n"
            ));
        }
        std::fs::write(dir.join("mathx/clamp.go"), clamp).unwrap();
        std::fs::write(dir.join("mathx/other.go"), "package mathx\n\n// Max is the larger.\nfunc Max(a, b int) int {\n\tif a > b {\n\t\treturn a\n\t}\n\treturn b\n}\n").unwrap();
        coop_gomap::build(dir, None).unwrap().0
    }

    fn limits(window: u64) -> RoleLimits {
        RoleLimits {
            limits: Limits {
                window,
                output_reserve: 0,
                prompt_reserve: 0,
            },
            read_globs: read_globs(Some(&["**".to_string()])),
            send_secret_files: false,
        }
    }

    async fn run_fit(
        h: &mut Handoff,
        l: &RoleLimits,
        map: &coop_gomap::ModuleMap,
        dir: &std::path::Path,
    ) -> Result<ContextPack, PackError> {
        let read = |p: &str| std::fs::read_to_string(dir.join(p)).ok();
        fit(
            h,
            l,
            Some(map),
            &Tokens::new(Some(TokenCounter::Estimate), BTreeMap::new()),
            &Artifacts::default(),
            &read,
            &CancellationToken::new(),
            &recorder(),
        )
        .await
    }

    #[tokio::test]
    async fn a_roomy_window_keeps_everything_and_adds_the_named_file() {
        let t = tempfile::tempdir().unwrap();
        let map = module(t.path(), 0);
        let mut h = handoff();
        let before = h.clone();
        let p = run_fit(&mut h, &limits(16_000), &map, t.path())
            .await
            .unwrap();
        assert!(p.dropped.is_empty(), "{:?}", p.dropped);
        assert_eq!(
            (h.recent.len(), h.diff.is_some(), h.design_notes.is_some()),
            (2, true, true)
        );
        assert_eq!(h, before, "nothing removed");
        assert_eq!(p.working_set[0].path, "mathx/clamp.go");
        assert!(p.working_set[0].content.contains("func Clamp"));
        assert!(
            p.budget.persistent.used + p.budget.working.used + p.budget.recent.used
                <= p.budget.input
        );
        assert_eq!(p.counter, "estimate: 3 bytes per token");
    }

    #[tokio::test]
    async fn the_older_recent_step_goes_first_and_is_named_with_its_artifact() {
        let t = tempfile::tempdir().unwrap();
        let map = module(t.path(), 0);
        let mut h = handoff();
        // Recent share: 25 % of 1000 = 250. The reviewer step (90 bytes = 30
        // tokens + 16) fits, the implementer step (100 + 16) does not.
        let p = run_fit(&mut h, &limits(1000), &map, t.path())
            .await
            .unwrap();
        assert_eq!(
            h.recent.iter().map(|s| s.seq).collect::<Vec<_>>(),
            [2, 3],
            "both fit in 250"
        );
        assert!(p.dropped.iter().all(|d| d.section != Section::Recent));
        let p2 = run_fit(&mut handoff(), &limits(600), &map, t.path())
            .await
            .unwrap();
        let _ = p;
        let d = p2
            .dropped
            .iter()
            .find(|d| d.section == Section::Recent)
            .expect("a recent step dropped");
        assert_eq!(d.what, "step 2 (implementer)");
        assert_eq!(d.tokens, 100 + PIECE_OVERHEAD_TOKENS);
        assert_eq!(
            d.artifact.as_deref(),
            Some("artifacts/002-implementer-output.json")
        );
    }

    #[tokio::test]
    async fn a_file_larger_than_the_whole_working_set_is_replaced_by_its_named_declaration() {
        let t = tempfile::tempdir().unwrap();
        // ~400 helpers: clamp.go is ~16 KB, ~5,400 tokens by the estimate.
        let map = module(t.path(), 400);
        let mut h = handoff();
        h.recent.clear();
        let p = run_fit(&mut h, &limits(4000), &map, t.path())
            .await
            .unwrap();
        let whole = p
            .dropped
            .iter()
            .find(|d| d.what == "file mathx/clamp.go")
            .expect("the big file is dropped whole");
        assert!(
            whole
                .reason
                .contains("more than the whole working-set budget"),
            "{}",
            whole.reason
        );
        let decl = p
            .working_set
            .iter()
            .find(|i| i.decl.as_deref() == Some("Clamp"))
            .expect("its declaration is sent instead");
        assert!(
            decl.content.starts_with("// Clamp limits") && decl.content.ends_with("}\n"),
            "{:?}",
            decl.content
        );
        assert!(
            p.working_set
                .iter()
                .all(|i| !(i.path == "mathx/clamp.go" && i.decl.is_none()))
        );
    }

    #[tokio::test]
    async fn a_file_offered_whole_and_as_declarations_is_read_once() {
        let t = tempfile::tempdir().unwrap();
        let map = module(t.path(), 400);
        let mut h = handoff();
        h.task.text.push_str(" and Helper1, Helper2");
        let reads = Mutex::new(Vec::<String>::new());
        let read = |p: &str| {
            reads.lock().unwrap().push(p.to_string());
            std::fs::read_to_string(t.path().join(p)).ok()
        };
        let tokens = Tokens::new(Some(TokenCounter::Estimate), BTreeMap::new());
        let p = fit(
            &mut h,
            &limits(4000),
            Some(&map),
            &tokens,
            &Artifacts::default(),
            &read,
            &CancellationToken::new(),
            &recorder(),
        )
        .await
        .unwrap();
        let decls = p
            .working_set
            .iter()
            .filter(|i| i.path == "mathx/clamp.go" && i.decl.is_some())
            .count();
        assert!(
            decls >= 3,
            "Clamp, Helper1 and Helper2 sent as declarations: {:?}",
            p.working_set
        );
        let reads = reads.into_inner().unwrap();
        assert_eq!(
            reads.iter().filter(|r| *r == "mathx/clamp.go").count(),
            1,
            "{reads:?}"
        );
    }

    #[tokio::test]
    async fn candidates_far_beyond_the_budget_are_not_read_or_counted() {
        let t = tempfile::tempdir().unwrap();
        let map = module(t.path(), 0);
        // 60 more files of the package the task names, ~100 tokens each.
        for i in 0..60 {
            let body = format!(
                "package mathx\n\n// F{i} is filler.\nfunc F{i}() int {{ return {i} + {} }}\n",
                "1 + ".repeat(60)
            );
            std::fs::write(t.path().join(format!("mathx/f{i:02}.go")), body).unwrap();
        }
        let map2 = coop_gomap::build(t.path(), None).unwrap().0;
        assert!(map2.files.len() > map.files.len() + 50);
        let mut h = handoff();
        h.recent.clear();
        let p = run_fit(&mut h, &limits(1000), &map2, t.path())
            .await
            .unwrap();
        let offered = p.working_set.len()
            + p.dropped
                .iter()
                .filter(|d| d.section == Section::Working)
                .count();
        assert!(
            offered < 25,
            "only about twice the input budget is considered, not all 62 files: {offered}"
        );
        assert!(!p.working_set.is_empty());
    }

    #[tokio::test]
    async fn required_context_that_does_not_fit_is_an_error_not_a_cut() {
        let t = tempfile::tempdir().unwrap();
        let map = module(t.path(), 0);
        let mut h = handoff();
        h.task.text = "word ".repeat(2000);
        let e = run_fit(&mut h, &limits(1000), &map, t.path())
            .await
            .unwrap_err();
        assert!(matches!(e, PackError::RequiredTooLarge { .. }), "{e}");
    }

    #[tokio::test]
    async fn without_a_read_grant_no_file_is_chosen() {
        let t = tempfile::tempdir().unwrap();
        let map = module(t.path(), 0);
        let mut l = limits(16_000);
        l.read_globs = None;
        let p = run_fit(&mut handoff(), &l, &map, t.path()).await.unwrap();
        assert!(p.working_set.is_empty());
        l.read_globs = read_globs(Some(&["other/**".to_string()]));
        let p = run_fit(&mut handoff(), &l, &map, t.path()).await.unwrap();
        assert!(p.working_set.is_empty(), "mathx/ is outside the grant");
    }

    #[tokio::test]
    async fn recorded_counts_win_over_the_tokenizer() {
        let mut rec = BTreeMap::new();
        rec.insert(sha256_hex(b"hello"), 42);
        let t = Tokens::new(Some(TokenCounter::Estimate), rec);
        assert_eq!(
            t.count("hello", &CancellationToken::new(), &recorder())
                .await,
            42
        );
        assert_eq!(
            t.count("hello!", &CancellationToken::new(), &recorder())
                .await,
            2
        );
        // A tokenizer that cannot be reached: the estimate, said so once.
        let gone = Tokens::new(
            Some(TokenCounter::llama_cpp("http://127.0.0.1:9/v1")),
            BTreeMap::new(),
        );
        let r = recorder();
        assert_eq!(gone.count("abcdef", &CancellationToken::new(), &r).await, 2);
        assert!(gone.describe().starts_with("estimate: 3 bytes per token (llama.cpp server tokenizer (/tokenize) failed: tokenize request to http://127.0.0.1:9/tokenize failed"), "{}", gone.describe());
        assert!(
            r.snapshot().token_counts.is_empty(),
            "estimates are not recorded"
        );
    }
}
