//! Choosing a working set: from what a task (and an architect's design)
//! names — files, packages, identifiers, `pkg.Name` selectors — rank the
//! module's files, take the best as whole files, add the *declarations*
//! they use from elsewhere in the module (not whole packages), and fill a
//! token budget in rank order. Nothing is cut in the middle: an item that
//! does not fit is dropped whole and reported, and a file larger than the
//! whole budget is replaced by its declarations the task names.

use crate::module::{FileEntry, ModuleMap, Sym};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What the task and design say.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Free text: the task, design notes, findings.
    pub text: String,
    /// Files the design lists as in scope.
    pub files: Vec<String>,
}

/// One piece of the working set: a whole file or one declaration's lines.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Item {
    pub path: String,
    /// `None` for a whole file, else the declaration's name.
    pub decl: Option<String>,
    /// 1-based inclusive line range.
    pub start: u32,
    pub end: u32,
    pub score: u32,
    pub tokens: u64,
    /// Why it was chosen.
    pub reason: String,
}

/// The chosen items and what did not fit.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct WorkingSet {
    pub items: Vec<Item>,
    pub dropped: Vec<Item>,
    pub budget: u64,
    pub used: u64,
}

/// Words of the text that can name code: identifiers, `pkg.Name`
/// selectors (both parts), and paths.
pub fn terms(text: &str) -> (Vec<String>, Vec<String>) {
    let mut idents = Vec::new();
    let mut paths = Vec::new();
    for raw in text.split(|c: char| c.is_whitespace() || "()[]{},;:\"'`<>!?*".contains(c)) {
        let w = raw.trim_matches(|c: char| c == '.' || c == '-');
        if w.is_empty() {
            continue;
        }
        if w.contains('/') || w.ends_with(".go") {
            paths.push(w.to_string());
            continue;
        }
        for part in w.split('.') {
            if part.len() >= 2
                && part
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_alphanumeric() || c == '_')
            {
                idents.push(part.to_string());
            }
        }
    }
    idents.sort();
    idents.dedup();
    paths.sort();
    paths.dedup();
    (idents, paths)
}

/// How strongly a word names code: `ParseHex`, `max_retries` and `ID` look
/// like identifiers; `median` may be one (if the module declares it).
fn weight(term: &str) -> u32 {
    let has_upper = term.chars().any(|c| c.is_uppercase());
    let first_upper = term.chars().next().is_some_and(|c| c.is_uppercase());
    let inner_upper = term.chars().skip(1).any(|c| c.is_uppercase());
    if term.contains('_')
        || inner_upper
        || (first_upper && term.len() > 1 && has_upper && !is_sentence_word(term))
    {
        10
    } else {
        3
    }
}

/// A capitalised English word at the start of a sentence is not a name.
fn is_sentence_word(t: &str) -> bool {
    const COMMON: &[&str] = &[
        "The", "A", "An", "Add", "Fix", "Make", "When", "If", "It", "In", "On", "For", "Use",
        "Keep", "Do", "Don", "Return", "Returns", "This", "That", "Change", "Move", "Rename",
        "Write", "Update", "Remove", "Document", "Extract", "Also", "And", "Then", "With",
        "Without", "Go", "Test", "Tests",
    ];
    COMMON.contains(&t)
}

/// Rank and fill. `tokens(bytes)` converts a byte count to tokens for the
/// receiving model (a real tokenizer's ratio or the documented estimate).
pub fn select(map: &ModuleMap, q: &Query, budget: u64, tokens: &dyn Fn(u64) -> u64) -> WorkingSet {
    let candidates = rank(map, q, budget, tokens);
    fill(candidates, budget)
}

/// The candidates of a working set, best first, without a budget: whole
/// files the task names or implies, and the declarations they use from
/// elsewhere in the module. A file whose estimate exceeds `whole_limit` is
/// also offered as its named declarations, so that something of it can fit
/// when the whole cannot. Callers that count tokens exactly (the host, with
/// the model's tokenizer) fill their own budget from this list.
pub fn rank(
    map: &ModuleMap,
    q: &Query,
    whole_limit: u64,
    tokens: &dyn Fn(u64) -> u64,
) -> Vec<Item> {
    let budget = whole_limit;
    let (idents, mut paths) = terms(&q.text);
    paths.extend(q.files.iter().cloned());
    let mut score: HashMap<usize, u32> = HashMap::new();
    let mut why: HashMap<usize, Vec<String>> = HashMap::new();
    let mut bump = |i: usize, s: u32, r: String, score: &mut HashMap<usize, u32>| {
        *score.entry(i).or_default() += s;
        let w = why.entry(i).or_default();
        if w.len() < 3 {
            w.push(r);
        }
    };
    // Named files and directories.
    for p in &paths {
        let p = p.trim_start_matches("./");
        for (i, f) in map.files.iter().enumerate() {
            if f.path == p {
                bump(i, 40, format!("named: {p}"), &mut score);
            } else if p.ends_with(".go") && f.path.ends_with(&format!("/{p}")) {
                bump(i, 30, format!("named: {p}"), &mut score);
            } else if !p.ends_with(".go") && f.dir() == p.trim_end_matches('/') && !f.is_test() {
                bump(i, 4, format!("in named package {p}"), &mut score);
            }
        }
    }
    // Declarations named by the text, and files that use them.
    let mut decl_index: HashMap<Sym, Vec<(usize, usize)>> = HashMap::new();
    for (fi, f) in map.files.iter().enumerate() {
        for (di, d) in f.decls.iter().enumerate() {
            decl_index.entry(d.name).or_default().push((fi, di));
        }
    }
    let mut named_syms: HashSet<Sym> = HashSet::new();
    for t in &idents {
        if is_sentence_word(t) {
            continue;
        }
        let Some(sym) = map.lookup(t) else { continue };
        let w = weight(t);
        if let Some(ds) = decl_index.get(&sym) {
            // A name declared in many places (a common method name) says little.
            if ds.len() > 8 && w < 10 {
                continue; // a plain word declared all over the module names nothing
            }
            let w = if ds.len() > 8 { w / 3 } else { w };
            for &(fi, _) in ds {
                bump(fi, w, format!("declares {t}"), &mut score);
            }
            named_syms.insert(sym);
        }
        // A package named by the text.
        for (fi, f) in map.files.iter().enumerate() {
            if f.package == sym
                && w >= 3
                && !f.is_test()
                && f.dir().rsplit('/').next() == Some(t.as_str())
            {
                bump(fi, 2, format!("package {t}"), &mut score);
            }
        }
    }
    if !named_syms.is_empty() {
        for (fi, f) in map.files.iter().enumerate() {
            let uses = f.refs.iter().filter(|r| named_syms.contains(r)).count() as u32;
            if uses > 0 && score.get(&fi).copied().unwrap_or(0) > 0 {
                bump(fi, uses.min(3), "uses named identifiers".into(), &mut score);
            }
        }
    }
    let mut ranked: Vec<(usize, u32)> = score.into_iter().collect();
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(map.files[a.0].path.cmp(&map.files[b.0].path))
    });

    let file_tokens = |f: &FileEntry| tokens(f.size);
    let decl_tokens = |f: &FileEntry, start: u32, end: u32| {
        let lines = u64::from(end.saturating_sub(start) + 1);
        tokens(f.size.saturating_mul(lines) / u64::from(f.lines.max(1)))
    };
    let mut candidates: Vec<Item> = Vec::new();
    let top = ranked.first().map(|r| r.1).unwrap_or(0);
    let mut targets: Vec<usize> = Vec::new();
    for &(fi, s) in &ranked {
        let f = &map.files[fi];
        let reason = why.get(&fi).map(|w| w.join("; ")).unwrap_or_default();
        // The strongest files are the ones to change: whole. Weaker ones
        // are context, ranked below the definitions the targets need.
        let target = s * 2 >= top && targets.len() < 4;
        if target {
            targets.push(fi);
        }
        candidates.push(Item {
            path: f.path.clone(),
            decl: None,
            start: 1,
            end: f.lines,
            score: if target { 1000 + s } else { s },
            tokens: file_tokens(f),
            reason,
        });
        if file_tokens(f) > budget {
            // Too big to send whole: its named declarations instead.
            for d in f.decls.iter().filter(|d| {
                named_syms.contains(&d.name) || d.recv.is_some_and(|r| named_syms.contains(&r))
            }) {
                candidates.push(Item {
                    path: f.path.clone(),
                    decl: Some(map.sym(d.name).to_string()),
                    start: d.start,
                    end: d.end,
                    score: if target { 999 } else { s },
                    tokens: decl_tokens(f, d.start, d.end),
                    reason: "named declaration of a file too large to send whole".into(),
                });
            }
        }
    }
    // Definitions the targets use from elsewhere in the module: unqualified
    // names from the same package, `pkg.Name` from the module's packages.
    let target_set: HashSet<usize> = targets.iter().copied().collect();
    let mut wanted: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    for &ti in &targets {
        let t = &map.files[ti];
        for r in &t.refs {
            if let Some(ds) = decl_index.get(r) {
                for &(fi, di) in ds {
                    if !target_set.contains(&fi)
                        && map.files[fi].dir() == t.dir()
                        && !map.files[fi].is_test()
                    {
                        *wanted.entry((fi, di)).or_default() += 1;
                    }
                }
            }
        }
        for (ipath, name) in &t.qrefs {
            let ipath = map.sym(*ipath);
            let Some(dir) = ipath
                .strip_prefix(&map.module_path)
                .map(|d| d.trim_start_matches('/'))
            else {
                continue;
            };
            if map.module_path.is_empty() {
                continue;
            }
            if let Some(ds) = decl_index.get(name) {
                for &(fi, di) in ds {
                    if map.files[fi].dir() == dir && !map.files[fi].is_test() {
                        *wanted.entry((fi, di)).or_default() += 1;
                    }
                }
            }
        }
    }
    // The tests next to each file to change (`x.go` -> `x_test.go`): a
    // role adding tests must see what exists, or it overwrites them.
    for &ti in &targets {
        let t = &map.files[ti];
        if t.is_test() {
            continue;
        }
        let Some(stem) = t.path.strip_suffix(".go") else {
            continue;
        };
        let test_path = format!("{stem}_test.go");
        if let Some(f) = map.file(&test_path) {
            if targets.iter().any(|&i| map.files[i].path == test_path) {
                continue; // already a file to change
            }
            candidates.retain(|c| c.path != test_path);
            candidates.push(Item {
                path: f.path.clone(),
                decl: None,
                start: 1,
                end: f.lines,
                score: 90,
                tokens: file_tokens(f),
                reason: format!("tests of {}", t.path),
            });
        }
    }
    for ((fi, di), uses) in wanted {
        let f = &map.files[fi];
        let d = &f.decls[di];
        let name = map.sym(d.name);
        candidates.push(Item {
            path: f.path.clone(),
            decl: Some(name.to_string()),
            start: d.start,
            end: d.end,
            score: 100 + uses.min(50),
            tokens: decl_tokens(f, d.start, d.end),
            reason: format!("used by the files to change ({uses}×)"),
        });
    }
    if candidates.is_empty() {
        candidates = overview(map, tokens);
    }
    candidates.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.path.cmp(&b.path))
            .then(a.start.cmp(&b.start))
    });
    candidates
}

/// How many files an overview offers at most.
pub const OVERVIEW_FILES: usize = 24;

/// When the text names nothing in the module (a vague task, a first
/// question), a role still needs to see what the code looks like: the
/// module's non-test sources, shallow packages first, at most
/// [`OVERVIEW_FILES`] of them. The budget decides how many are sent; in a
/// small module that is all of it, in a large one a few top-level files.
fn overview(map: &ModuleMap, tokens: &dyn Fn(u64) -> u64) -> Vec<Item> {
    let mut files: Vec<&FileEntry> = map.files.iter().filter(|f| !f.is_test()).collect();
    files.sort_by_key(|f| (f.path.matches('/').count(), f.path.as_str()));
    files
        .into_iter()
        .take(OVERVIEW_FILES)
        .enumerate()
        .map(|(i, f)| Item {
            path: f.path.clone(),
            decl: None,
            start: 1,
            end: f.lines,
            // Falling scores keep the shallow-first order through the sort.
            score: (OVERVIEW_FILES - i) as u32,
            tokens: tokens(f.size),
            reason: "overview: the task names nothing in the module".into(),
        })
        .collect()
}

/// Take candidates in order while they fit `budget`; a declaration whose
/// whole file is already in is skipped.
pub fn fill(candidates: Vec<Item>, budget: u64) -> WorkingSet {
    let mut ws = WorkingSet {
        budget,
        ..WorkingSet::default()
    };
    let mut whole: HashSet<String> = HashSet::new();
    for c in candidates {
        if c.decl.is_some() && whole.contains(&c.path) {
            continue; // already there in full
        }
        if ws.used + c.tokens <= budget {
            ws.used += c.tokens;
            if c.decl.is_none() {
                whole.insert(c.path.clone());
            }
            ws.items.push(c);
        } else {
            ws.dropped.push(c);
        }
    }
    // A declaration chosen before its whole file was: keep only the file.
    let items = std::mem::take(&mut ws.items);
    for it in items {
        if it.decl.is_some() && whole.contains(&it.path) {
            ws.used -= it.tokens;
        } else {
            ws.items.push(it);
        }
    }
    ws
}
