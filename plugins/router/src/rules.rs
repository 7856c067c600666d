//! The routing rules, as plain Rust (no bindings), so they are unit-tested
//! natively and can be measured against the curated set
//! (`examples/routing/tasks.jsonl`, scored by [`crate::eval`]).
//!
//! # Type
//!
//! Every rule adds to a score per type; the highest score wins (ties go to
//! the earlier of feature, bugfix, refactor, docs, test, unclear). The rules
//! read the *structure* of a request, not memorised phrases:
//!
//! - **Title prefixes.** `[Bug]`, `feat(cache):`, `proposal:`, `docs:` are tags
//!   the author chose and count strongly; Go-style scopes (`net/http:`,
//!   `x/tools/gopls:`, `windows:`) are stripped before the title is read.
//! - **Leading verb of the title** (imperative): add/implement/support →
//!   feature; fix/prevent/stop → bugfix; rename/extract/remove/unexport/
//!   replace → refactor; document/explain/clarify → docs; bump/update/upgrade
//!   of a dependency or version → refactor (maintenance). A code span first
//!   (`` `migrate down` drops ...``) is a subject, not a verb. A prohibition
//!   (`Don't log ...`) asks to stop a current behaviour → bugfix.
//! - **Imperative sentences in the body** add to what they ask for.
//! - **Evidence of wrong behaviour** → bugfix: panics, `goroutine N [running]`,
//!   `WARNING: DATA RACE`, compiler errors (`file.go:12:3:`, `undefined:`);
//!   bug-report templates (*what did you expect / see instead*, *steps to
//!   reproduce*); regressions (*no longer*, *worked in*, *after upgrading*);
//!   expected-vs-actual structure (*instead of*, *should … but we get*,
//!   *contrary to the documentation*); negations (*doesn't*, *fails to*);
//!   symptom words (*panic*, *leak*, *deadlock*, *wrong*, *injection*); a title
//!   that *states* current behaviour (`X returns 500`, `secrets printed in
//!   logs`) rather than asking for something. A body that says the code is
//!   right (*the behaviour is fine*) cancels this evidence.
//! - **Feature wishes**: feature templates (*is your feature request related*),
//!   *it would be nice*, *would it be possible*, *please add*, *there is no
//!   way to*. A wish turns a question into a request.
//! - **Refactoring**: behaviour explicitly unchanged (*no behaviour change*,
//!   *pure move*, *byte-identical*), refactoring nouns (*cleanup*,
//!   *deprecated*, *allocations*). A "fix"/"bug" whose object is a *name*,
//!   *misspelling* or *lint finding* is a rename/cleanup (or docs when the
//!   object is prose: README, comment).
//! - **Docs**: documentation nouns in the title (README, godoc, comment,
//!   example, guide, `*.md`, typo), unless the docs are only cited as the
//!   reference a bug is measured against.
//! - **Tests**: tests as the object (`add tests for`, `coverage`, `flaky`,
//!   `TestXxx ...` as the subject) and not *with tests* on another change.
//!   A flaky test is a **test** task unless the report says the code under
//!   test is at fault (*the test isn't the problem*, *real race*) → bugfix.
//! - **Unclear**: one or two words with nothing concrete, vague words
//!   (*better*, *weird*, *slow*, *everything*) without identifiers, numbers,
//!   flags, paths or code; questions that are not wishes; requests for help or
//!   discussion; problems reported with no detail to act on.
//!
//! # Size and risk
//!
//! Size grows with the prose (code blocks and stack traces are not counted),
//! the identifiers named and the files of the repository the text names;
//! *all/every* in the title or *across the/throughout/entire/codebase* in a
//! sentence that asks for work make it large. Docs and tests are at most
//! medium, unclear requests small.
//!
//! Risk is **high** for security (auth, tokens, crypto, TLS, secrets,
//! injection, untrusted input), concurrency in bug fixes and refactorings
//! (race, mutex, goroutine, deadlock, atomic), data loss in bug fixes and
//! features (delete, drop, corrupt, overwrite, prune) and public API breaks
//! (*breaking change*, removing/renaming/unexporting exported identifiers).
//! Docs and tests are always low; unclear requests low unless they name a
//! security concern. Otherwise bug fixes are medium (low for build, message
//! and display problems), features low when small and medium otherwise,
//! refactorings low (medium for performance work).
//!
//! # Confidence and workflow
//!
//! `confidence = 0.35 + min(margin / 4, 0.4)` where `margin` is the winning
//! type's score minus the runner-up's; `+0.10` when Go identifiers are named,
//! `+0.05` when repository files are named; `−0.05` for medium and `−0.15`
//! for large size; `−0.05` for high risk; clamped to [0.05, 0.95].
//!
//! Workflow per type ([`workflow_for`]):
//!
//! | type     | workflow                                   |
//! |----------|--------------------------------------------|
//! | feature  | Architect → Implementer → Reviewer          |
//! | bugfix   | Reviewer (root cause) → Architect → Implementer → Reviewer |
//! | refactor | Architect → Implementer → Reviewer          |
//! | docs     | Implementer → Reviewer                      |
//! | test     | Implementer → Reviewer                      |
//! | unclear  | Navigator                                   |
//!
//! Below [`LOW_CONFIDENCE`] (0.45) a decision that is not `unclear` gains a
//! first step: the Navigator (to check the request) when the workflow already
//! has an Architect, otherwise the Architect (to plan first).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskType {
    Feature,
    Bugfix,
    Refactor,
    Docs,
    Test,
    Unclear,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Small,
    Medium,
    Large,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Architect,
    Implementer,
    Reviewer,
    Navigator,
}

/// A repository file as the rules need it.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub path: String,
    pub bytes: u64,
    pub package: String,
}

#[derive(Debug, Clone)]
pub struct Decision {
    pub task_type: TaskType,
    pub size: Size,
    pub risk: Risk,
    pub confidence: f32,
    pub workflow: Vec<Role>,
    pub rationale: Vec<String>,
}

/// Below this confidence the workflow gains a planning step (see the module
/// documentation).
pub const LOW_CONFIDENCE: f32 = 0.45;

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches(|c| c == '-' || c == '\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

fn has_any(ws: &[String], set: &[&str]) -> Option<String> {
    ws.iter().find(|w| set.contains(&w.as_str())).cloned()
}

fn count_any(ws: &[String], set: &[&str]) -> usize {
    ws.iter().filter(|w| set.contains(&w.as_str())).count()
}

fn contains_phrase(text: &str, phrases: &[&str]) -> Option<String> {
    phrases
        .iter()
        .find(|p| text.contains(*p))
        .map(|p| p.to_string())
}

const FEATURE_VERBS: &[&str] = &[
    "add",
    "implement",
    "support",
    "introduce",
    "create",
    "allow",
    "enable",
    "provide",
    "expose",
    "build",
    "let",
    "accept",
    "extend",
    "teach",
    "offer",
    "generate",
    "publish",
    "encrypt",
    "export",
    "integrate",
];
const BUG_VERBS: &[&str] = &[
    "fix", "repair", "resolve", "correct", "prevent", "stop", "avoid",
];
const REFACTOR_VERBS: &[&str] = &[
    "refactor",
    "rename",
    "extract",
    "move",
    "split",
    "simplify",
    "deduplicate",
    "dedupe",
    "restructure",
    "reorganize",
    "reorganise",
    "inline",
    "consolidate",
    "unify",
    "replace",
    "cleanup",
    "clean",
    "tidy",
    "decouple",
    "modernize",
    "migrate",
    "remove",
    "delete",
    "drop",
    "unexport",
    "rewrite",
    "convert",
    "reduce",
    "port",
    "use",
    "switch",
    "merge",
    "reuse",
    "deprecate",
    "optimize",
    "optimise",
    "speed",
];
const DOC_VERBS: &[&str] = &[
    "document", "describe", "explain", "clarify", "mention", "reword",
];
/// Words that describe wrong behaviour on their own.
const BUG_SYMPTOMS: &[&str] = &[
    "panic",
    "panics",
    "panicking",
    "panicked",
    "crash",
    "crashes",
    "crashing",
    "bug",
    "wrong",
    "incorrect",
    "incorrectly",
    "broken",
    "fails",
    "failing",
    "regression",
    "leak",
    "leaks",
    "leaking",
    "deadlock",
    "deadlocks",
    "hang",
    "hangs",
    "hanging",
    "overflow",
    "overflows",
    "underflow",
    "off-by-one",
    "unexpected",
    "unexpectedly",
    "mismatch",
    "truncated",
    "truncates",
    "ignores",
    "ignored",
    "lost",
    "corrupt",
    "corrupted",
    "corruption",
    "infinite",
    "never",
    "segfault",
    "flaky",
    "twice",
    "misleading",
    "bypass",
    "injection",
    "traversal",
    "xss",
    "csrf",
    "vulnerability",
    "vulnerable",
    "exploit",
    "cleartext",
    "sigsegv",
    "erroneous",
    "spuriously",
    "forever",
    "false-positive",
    "false-negative",
];
/// Words that often appear in bug reports but just as often in feature or
/// refactoring requests ("return an error", "same errors as today").
const WEAK_SYMPTOMS: &[&str] = &[
    "error",
    "errors",
    "invalid",
    "nil",
    "missing",
    "duplicate",
    "duplicated",
    "timeout",
    "failure",
    "race",
    "instead",
];
/// Negated or failing behaviour ("doesn't", "no longer", "fails to").
const NEGATIONS: &[&str] = &[
    "doesn't",
    "does not",
    "don't",
    "isn't",
    "is not",
    "aren't",
    "are not",
    "wasn't",
    "weren't",
    "can't",
    "cannot",
    "won't",
    "didn't",
    "no longer",
    "fails to",
    "failed to",
    "unable to",
    "not working",
    "stopped working",
];
/// Expected-versus-actual structure.
const EXPECTED_ACTUAL: &[&str] = &[
    "instead of",
    "but got",
    "but get",
    "but we get",
    "but i get",
    "but it ",
    "but we",
    "but i ",
    "but returns",
    "should be",
    "should return",
    "should not",
    "shouldn't",
    "expected",
    "expect ",
    "contrary to",
    "according to the",
    "the docs say",
    "documentation says",
    "is supposed to",
    "when called twice",
    "out of range",
    "index out of",
];
/// Regressions: it used to work.
const REGRESSION: &[&str] = &[
    "regression",
    "no longer",
    "used to work",
    "worked in",
    "worked before",
    "it worked",
    "stopped working",
    "after upgrading",
    "since upgrading",
    "after updating",
    "after the upgrade",
    "since the upgrade",
    "bisected",
    "broke in",
    "broken in",
    "started failing",
    "after the deploy",
    "after deploying",
];
/// Issue-template headings of bug reports.
const BUG_TEMPLATE: &[&str] = &[
    "what did you expect",
    "what did you see instead",
    "expected behavior",
    "expected behaviour",
    "actual behavior",
    "actual behaviour",
    "steps to reproduce",
    "to reproduce",
    "describe the bug",
    "what happened",
    "what version of go",
    "current behavior",
    "current behaviour",
    "reproduction",
    "minimal reproduction",
    "repro:",
];
/// Issue-template headings and wishes of feature requests.
const FEATURE_WISH: &[&str] = &[
    "is your feature request related",
    "describe the solution",
    "describe alternatives",
    "feature request",
    "it would be nice",
    "it would be great",
    "it would be useful",
    "it would be helpful",
    "would be nice",
    "would be great",
    "would be useful",
    "it'd be nice",
    "i'd like",
    "we'd like",
    "i would like",
    "we would like",
    "would it be possible",
    "is it possible to",
    "could you add",
    "can you add",
    "please add",
    "please support",
    "can we have",
    "can we get",
    "can we add",
    "would you accept",
    "i propose",
    "we propose",
    "no way to",
    "there is no way",
    "there's no way",
    "currently no way",
];
const DOC_NOUNS: &[&str] = &[
    "doc",
    "docs",
    "documentation",
    "godoc",
    "readme",
    "comment",
    "comments",
    "docstring",
    "changelog",
    "example",
    "examples",
    "typo",
    "typos",
    "wording",
    "grammar",
    "md",
    "guide",
    "tutorial",
    "faq",
    "link",
    "links",
    "spelling",
    "pkg",
    "overview",
];
const TEST_NOUNS: &[&str] = &[
    "test",
    "tests",
    "testing",
    "coverage",
    "benchmark",
    "benchmarks",
    "fuzz",
    "fuzzing",
    "testcase",
    "testcases",
    "e2e",
    "subtests",
    "testdata",
    "golden",
    "flaky",
    "flakes",
];
const VAGUE: &[&str] = &[
    "improve",
    "better",
    "optimize",
    "nicer",
    "cleaner",
    "stuff",
    "things",
    "something",
    "somehow",
    "etc",
    "faster",
    "issues",
    "problems",
    "tweak",
    "look",
    "check",
    "review",
    "investigate",
    "weird",
    "strange",
    "sometimes",
    "everything",
    "mess",
    "help",
    "slow",
    "lot",
];
const QUESTION_WORDS: &[&str] = &[
    "how", "what", "why", "is", "are", "does", "do", "can", "could", "should", "will", "where",
    "when", "which", "any",
];
const SECURITY: &[&str] = &[
    "auth",
    "authentication",
    "authorization",
    "authorize",
    "password",
    "passwords",
    "token",
    "tokens",
    "secret",
    "secrets",
    "crypto",
    "cryptographic",
    "encrypt",
    "encryption",
    "decrypt",
    "tls",
    "mtls",
    "ssl",
    "certificate",
    "certificates",
    "injection",
    "sanitize",
    "sanitise",
    "xss",
    "csrf",
    "permission",
    "permissions",
    "privilege",
    "jwt",
    "oauth",
    "oauth2",
    "session",
    "cookie",
    "hmac",
    "signature",
    "traversal",
    "vulnerability",
    "vulnerable",
    "cve",
    "security",
    "secure",
    "credential",
    "credentials",
    "login",
    "untrusted",
    "malicious",
    "crafted",
    "cleartext",
    "exploit",
    "bearer",
    "keychain",
    "govulncheck",
];
const DATA_LOSS: &[&str] = &[
    "delete",
    "deletes",
    "deleted",
    "drop",
    "drops",
    "dropped",
    "truncate",
    "overwrite",
    "overwrites",
    "corrupt",
    "corrupted",
    "corruption",
    "lost",
    "wipe",
    "wipes",
    "gone",
    "prune",
];
const CONCURRENCY: &[&str] = &[
    "race",
    "concurrent",
    "concurrently",
    "concurrency",
    "mutex",
    "rwmutex",
    "goroutine",
    "goroutines",
    "deadlock",
    "deadlocks",
    "lock",
    "locks",
    "atomic",
    "waitgroup",
];
/// Phrases that say the public API breaks (adding an exported function does not).
const API_BREAK: &[&str] = &[
    "breaking change",
    "break the api",
    "breaks the api",
    "change the signature",
    "change its signature",
    "changes the signature",
    "remove the exported",
    "rename the exported",
    "incompatible change",
    "importers will break",
    "will break",
    "next major version",
    "major version",
    "hard break",
];
/// Nouns that name refactoring as the kind of work.
const REFACTOR_NOUNS: &[&str] = &[
    "refactor",
    "refactoring",
    "cleanup",
    "clean-up",
    "restructuring",
    "deduplication",
    "duplication",
    "copy-paste",
    "deprecated",
    "allocations",
    "allocs",
];
const DEPENDENCY: &[&str] = &[
    "dependency",
    "dependencies",
    "deps",
    "go.mod",
    "mod",
    "module",
    "modules",
    "version",
    "versions",
];
/// Words that say the code is fine and the problem lies elsewhere.
const CODE_IS_FINE: &[&str] = &[
    "behaviour is fine",
    "behavior is fine",
    "code is fine",
    "code under test is fine",
    "behaviour is correct",
    "behavior is correct",
    "implementation is fine",
    "implementation is correct",
    "works as intended",
    "works as designed",
];
const TEST_NOT_AT_FAULT: &[&str] = &[
    "test isn't the problem",
    "test is not the problem",
    "not a test problem",
    "not a test issue",
    "real race",
    "real bug",
    "bug in the code",
];

/// Go-looking identifiers the text names: CamelCase words, `pkg.Name`,
/// `(*T).M`, snake_case names, or file names ending in `.go`.
pub fn named_identifiers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in
        text.split(|c: char| c.is_whitespace() || c == ',' || c == '`' || c == '"' || c == ';')
    {
        let w = raw.trim_matches(|c: char| {
            !(c.is_alphanumeric() || c == '_' || c == '.' || c == '*' || c == '(' || c == ')')
        });
        let w = w.trim_end_matches('.');
        if w.len() < 2 {
            continue;
        }
        let core = w.trim_start_matches("(*").replace(')', "");
        let is_go_file = core.ends_with(".go");
        let has_dot_call = core.contains('.')
            && core.split('.').all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '*' || c == '(')
            });
        let camel = core.chars().next().is_some_and(|c| c.is_uppercase())
            && core.chars().skip(1).any(|c| c.is_uppercase())
            && core.chars().any(|c| c.is_lowercase())
            && core.chars().all(|c| c.is_alphanumeric() || c == '_');
        let lower_camel = core.chars().next().is_some_and(|c| c.is_lowercase())
            && core.chars().skip(1).any(|c| c.is_uppercase())
            && core.chars().all(|c| c.is_alphanumeric());
        let snake = core.contains('_')
            && !core.starts_with('_')
            && !core.ends_with('_')
            && core.chars().all(|c| c.is_alphanumeric() || c == '_');
        let call = raw.contains("()") || raw.ends_with('(');
        if is_go_file || has_dot_call || camel || lower_camel || snake || call {
            out.push(core.trim_matches('(').to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A request split into the parts the rules read.
struct Parsed {
    /// Lower-cased title with tags and `pkg/path:` prefixes removed.
    title: String,
    /// Tags from `[Bug]`, `feat(x):`, `Proposal:` style prefixes.
    tags: Vec<String>,
    /// Lower-cased body and title without code blocks, indented code or
    /// stack-trace lines.
    prose: String,
    /// Original-case prose (for identifiers).
    prose_orig: String,
    /// Panics, data-race reports, compiler errors.
    trace: bool,
    /// A fenced, indented or `<pre>` block.
    code_block: bool,
    /// The title ends with '?' or starts with a question word.
    question: bool,
}

const TAGS: &[&str] = &[
    "feat",
    "feature",
    "enhancement",
    "proposal",
    "request",
    "rfe",
    "fix",
    "bug",
    "bugfix",
    "regression",
    "docs",
    "doc",
    "documentation",
    "test",
    "tests",
    "testing",
    "refactor",
    "chore",
    "cleanup",
    "perf",
    "style",
    "deps",
    "build",
    "ci",
    "question",
    "help",
    "discussion",
    "security",
    "idea",
];

fn trace_line(l: &str) -> bool {
    let t = l.trim();
    t.starts_with("panic:")
        || t.starts_with("goroutine ")
        || t.starts_with("fatal error:")
        || t.starts_with("[signal ")
        || t.starts_with("warning: data race")
        || t.starts_with("created by ")
        || t.starts_with("exit status")
        || (t.contains(".go:")
            && t.split(".go:")
                .nth(1)
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())))
}

fn parse(text: &str) -> Parsed {
    let mut tags = Vec::new();
    let mut prose_orig = String::new();
    let mut in_fence = false;
    let mut code_block = false;
    let mut trace = false;
    let mut title_orig = String::new();
    for line in text.lines() {
        let t = line.trim();
        let tl = t.to_lowercase();
        if t.starts_with("```") || tl.starts_with("<pre>") || tl.starts_with("</pre>") {
            in_fence = !in_fence && !tl.starts_with("</pre>");
            code_block = true;
            continue;
        }
        if trace_line(&tl) || tl.contains("data race") || tl.contains("undefined:") {
            trace = true;
        }
        if in_fence
            || (!title_orig.is_empty() && (line.starts_with('\t') || line.starts_with("    ")))
            || trace_line(&tl)
            || t.starts_with('$')
        {
            if !t.is_empty() {
                code_block = true;
            }
            continue;
        }
        if title_orig.is_empty() {
            if t.is_empty() {
                continue;
            }
            title_orig = t.to_string();
        }
        prose_orig.push_str(line);
        prose_orig.push('\n');
    }
    // Title prefixes: "[Bug]", "feat(cache):", "proposal:", "net/http:".
    let mut title = title_orig.to_lowercase();
    loop {
        let t = title.trim_start().to_string();
        if let Some(rest) = t.strip_prefix('[')
            && let Some(end) = rest.find(']')
        {
            tags.extend(words(&rest[..end]));
            title = rest[end + 1..].to_string();
            continue;
        }
        if let Some(colon) = t.find(": ") {
            let head = &t[..colon];
            if !head.contains(' ') && !head.is_empty() {
                let base = head.split('(').next().unwrap_or(head).trim_end_matches('!');
                if TAGS.contains(&base) {
                    tags.push(base.to_string());
                }
                // A scope or package path ("net/http", "windows") is dropped too.
                title = t[colon + 2..].to_string();
                continue;
            }
        }
        title = t;
        break;
    }
    let title = title.trim().to_string();
    let question = title.ends_with('?')
        || words(&title)
            .first()
            .is_some_and(|w| QUESTION_WORDS.contains(&w.as_str()) && title.contains('?'));
    Parsed {
        prose: prose_orig.to_lowercase(),
        title,
        tags,
        prose_orig,
        trace,
        code_block,
        question,
    }
}

/// Signs that the request names something concrete: identifiers, numbers,
/// flags, paths, quoted text or code.
fn concreteness(p: &Parsed, idents: usize) -> usize {
    let mut n = idents;
    n += p
        .prose_orig
        .split_whitespace()
        .filter(|w| {
            w.chars().any(|c| c.is_ascii_digit())
                || w.starts_with("--")
                || w.starts_with('-')
                    && w.len() > 1
                    && w.chars().nth(1).is_some_and(|c| c.is_alphabetic())
                || w.contains('/')
                || w.contains('`')
                || w.contains('"')
        })
        .count();
    if p.code_block {
        n += 2;
    }
    n
}

/// Route a task.
pub fn route(text: &str, files: &[FileInfo], package_count: usize) -> Decision {
    let mut rationale = Vec::new();
    let lower = text.to_lowercase();
    let p = parse(text);
    let title = p.title.clone();
    let title_words = words(&title);
    let prose = p.prose.clone();
    let all_words = words(&prose);
    let code_first = p.title.trim_start().starts_with('`');
    let first = title_words
        .iter()
        .skip(usize::from(code_first))
        .find(|w| {
            ![
                "please", "we", "i", "should", "need", "to", "can", "you", "let's", "lets", "also",
                "just", "must", "a", "an", "the",
            ]
            .contains(&w.as_str())
        })
        .cloned()
        .unwrap_or_default();
    let idents = named_identifiers(&p.prose_orig);
    let concrete = concreteness(&p, idents.len());
    let prose_words = all_words.len();

    let mut score = [0.0f32; 6]; // feature, bugfix, refactor, docs, test, unclear
    const F: usize = 0;
    const B: usize = 1;
    const R: usize = 2;
    const D: usize = 3;
    const T: usize = 4;
    const U: usize = 5;

    // 0. Tags the author chose ("[Bug]", "feat:", "proposal:").
    for tag in &p.tags {
        let (i, w) = match tag.as_str() {
            "feat" | "feature" | "enhancement" | "proposal" | "request" | "rfe" | "idea" => {
                (F, 3.0)
            }
            "fix" | "bug" | "bugfix" | "regression" => (B, 3.0),
            "docs" | "doc" | "documentation" => (D, 3.5),
            "test" | "tests" | "testing" => (T, 3.0),
            "refactor" | "chore" | "cleanup" | "perf" | "style" | "deps" | "build" | "ci" => {
                (R, 2.5)
            }
            "question" | "help" | "discussion" => (U, 3.0),
            _ => continue,
        };
        score[i] += w;
        rationale.push(format!("tagged '{tag}'"));
    }

    // 1. The leading verb of the title says most about what is asked.
    let version_named = title.split_whitespace().any(|w| {
        w.contains('.')
            && w.chars().any(|c| c.is_ascii_digit())
            && w.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == 'v')
    });
    let dependency_bump = ["bump", "update", "upgrade"].contains(&first.as_str())
        && (has_any(&title_words, DEPENDENCY).is_some()
            || title.contains(" to v")
            || title.contains(" from ")
            || version_named);
    let prohibition =
        ["don't", "dont", "never"].contains(&first.as_str()) || title.starts_with("do not ");
    if prohibition {
        // "Don't log the password": stop a current behaviour.
        score[B] += 2.0;
        rationale.push("the title forbids a current behaviour".into());
    } else if dependency_bump {
        rationale.push("dependency update".into());
        score[R] += 3.0;
    } else if FEATURE_VERBS.contains(&first.as_str()) {
        score[F] += 2.0;
        rationale.push(format!("title starts with feature verb '{first}'"));
    } else if first == "make" {
        score[F] += 1.0;
    } else if BUG_VERBS.contains(&first.as_str()) {
        score[B] += 2.0;
        rationale.push(format!("title starts with fix verb '{first}'"));
    } else if REFACTOR_VERBS.contains(&first.as_str()) {
        let w = if [
            "use", "switch", "reduce", "optimize", "optimise", "speed", "merge", "reuse",
        ]
        .contains(&first.as_str())
        {
            1.5
        } else {
            2.5
        };
        score[R] += w;
        rationale.push(format!("title starts with refactoring verb '{first}'"));
    } else if DOC_VERBS.contains(&first.as_str()) {
        score[D] += 2.5;
        rationale.push(format!("title starts with documentation verb '{first}'"));
    }
    let imperative = FEATURE_VERBS.contains(&first.as_str())
        || BUG_VERBS.contains(&first.as_str())
        || REFACTOR_VERBS.contains(&first.as_str())
        || DOC_VERBS.contains(&first.as_str())
        || [
            "make", "write", "run", "increase", "bump", "update", "upgrade", "improve", "handle",
            "set", "change", "ensure", "keep", "return", "show", "print", "wait", "honor",
            "honour", "respect",
        ]
        .contains(&first.as_str());

    // 1b. Imperative sentences in the body ("Extract it into ...", "Make both
    //     callers use it") say what is asked as much as the title does.
    let mut body_asks = false;
    for sentence in prose.split(['.', '\n', ';', '—']).skip(1) {
        let sw = words(sentence);
        let Some(v) = sw.first() else { continue };
        let v = v.as_str();
        if v == first {
            continue;
        }
        if REFACTOR_VERBS.contains(&v) && !["use", "switch", "merge", "reduce"].contains(&v) {
            body_asks = true;
            score[R] += 1.2;
            rationale.push(format!("a sentence asks to '{v}' (refactoring)"));
        } else if BUG_VERBS.contains(&v) {
            score[B] += 0.8;
            rationale.push(format!("a sentence asks to '{v}' (fix)"));
        } else if DOC_VERBS.contains(&v) {
            score[D] += 0.8;
        } else if [
            "add",
            "implement",
            "support",
            "introduce",
            "create",
            "expose",
            "allow",
            "provide",
        ]
        .contains(&v)
        {
            score[F] += 0.6;
        }
    }

    // 2. Evidence of wrong behaviour: traces, bug templates, regressions,
    //    expected-vs-actual, negations, symptoms.
    if p.trace {
        score[B] += 3.0;
        rationale.push("panic, race report or compiler error in the text".into());
    }
    if let Some(t) = contains_phrase(&prose, BUG_TEMPLATE) {
        score[B] += 3.0;
        rationale.push(format!("bug-report structure ('{t}')"));
    }
    if let Some(r) = contains_phrase(&prose, REGRESSION) {
        score[B] += 2.0;
        rationale.push(format!("regression ('{r}')"));
    }
    let prose_sym = prose
        .replace("false positive", "false-positive")
        .replace("false negative", "false-negative");
    let symptoms: Vec<String> = words(&prose_sym)
        .into_iter()
        .filter(|w| BUG_SYMPTOMS.contains(&w.as_str()) || w.starts_with("double-"))
        .collect();
    if !symptoms.is_empty() {
        let n = symptoms.len().min(3) as f32;
        score[B] += 0.9 * n;
        rationale.push(format!(
            "bug symptoms named: {}",
            symptoms
                .iter()
                .take(3)
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let weak = count_any(&all_words, WEAK_SYMPTOMS);
    if weak > 0 {
        score[B] += 0.25 * weak.min(3) as f32;
    }
    let expected_actual = contains_phrase(&prose, EXPECTED_ACTUAL);
    if let Some(p) = &expected_actual {
        let n = EXPECTED_ACTUAL
            .iter()
            .filter(|e| prose.contains(*e))
            .count()
            .min(2);
        score[B] += 1.5 * n as f32;
        rationale.push(format!("expected-vs-actual phrasing '{p}'"));
    }
    let negation = contains_phrase(&prose, NEGATIONS);
    if let Some(n) = &negation {
        score[B] += 1.0;
        rationale.push(format!("negated behaviour '{n}'"));
    }
    // A title that states what the software does ("X returns 500", "secrets
    // printed in logs") rather than asking for something is a report.
    let declarative = !imperative
        && !p.question
        && title_words.iter().skip(1).any(|w| {
            [
                "is", "are", "was", "were", "does", "has", "gets", "got", "returns", "goes",
                "shows", "prints", "reports", "drops", "skips", "loses", "accepts", "rejects",
                "keeps", "uses", "takes", "causes", "produces", "breaks", "blocks", "sends",
                "writes", "reads", "changes", "counts",
            ]
            .contains(&w.as_str())
                || (w.len() > 4
                    && w.ends_with("ed")
                    && ![
                        "need", "based", "related", "detailed", "advanced", "embedded", "nested",
                        "red",
                    ]
                    .contains(&w.as_str()))
        });
    if declarative {
        // An observation followed by an explicit refactoring request is
        // the motivation, not the ask.
        score[B] += if body_asks { 0.5 } else { 1.2 };
        rationale.push("the title states current behaviour".into());
    }
    let sec_words = count_any(&all_words, SECURITY);
    if sec_words > 0 && !imperative && !p.question && (declarative || !symptoms.is_empty()) {
        score[B] += 1.0;
        rationale.push("security-sensitive behaviour reported".into());
    }
    if let Some(c) = contains_phrase(&prose, CODE_IS_FINE) {
        score[B] -= 3.0;
        rationale.push(format!("the code is said to be right ('{c}')"));
    }

    // 3. Feature wishes and templates.
    let wish = contains_phrase(&prose, FEATURE_WISH);
    if let Some(w) = &wish {
        score[F] += 2.0;
        rationale.push(format!("asks for something new ('{w}')"));
    }
    if let Some(n) = has_any(
        &all_words,
        &[
            "new",
            "option",
            "flag",
            "endpoint",
            "method",
            "command",
            "subcommand",
            "field",
            "parameter",
            "helper",
            "api",
            "format",
        ],
    ) {
        score[F] += 0.6;
        rationale.push(format!("names something to add ('{n}')"));
    }
    if let Some(v) = has_any(&all_words, FEATURE_VERBS)
        && v != first
    {
        score[F] += 0.4;
    }

    // 4. Refactoring intent: behaviour explicitly unchanged, dependency
    //    maintenance, renames.
    if let Some(p) = contains_phrase(
        &prose,
        &[
            "without changing",
            "must not change",
            "should not change",
            "no behavior change",
            "no behaviour change",
            "behavior unchanged",
            "behaviour unchanged",
            "keep the behavior",
            "keep the behaviour",
            "same behavior",
            "same behaviour",
            "no functional change",
            "no logic change",
            "no behaviour change",
            "pure move",
            "byte-identical",
            "no behavior change",
            "refactoring only",
        ],
    ) {
        score[R] += 2.5;
        rationale.push(format!("behaviour explicitly unchanged ('{p}')"));
    }
    if let Some(n) = has_any(&all_words, REFACTOR_NOUNS) {
        score[R] += 1.5;
        rationale.push(format!("the request names refactoring work ('{n}')"));
    } else if let Some(v) = has_any(&all_words, REFACTOR_VERBS)
        && v != first
        && !["use", "switch", "merge", "reduce"].contains(&v.as_str())
    {
        score[R] += 0.5;
        rationale.push(format!("refactoring verb '{v}' in the request"));
    }
    let security_fix = has_any(
        &all_words,
        &[
            "cve",
            "ghsa",
            "govulncheck",
            "vulnerability",
            "vulnerable",
            "security",
        ],
    )
    .is_some()
        || lower.contains("cve-")
        || lower.contains("go-20");
    if dependency_bump && security_fix {
        score[R] -= 3.0;
        score[B] += 3.0;
        rationale.push("dependency update for a vulnerability is a security fix".into());
    }
    // "Fix the name of X", "X is misspelled": a rename, or docs if prose.
    let naming = has_any(
        &title_words,
        &[
            "name",
            "naming",
            "misspelled",
            "misspelt",
            "misspelling",
            "typo",
            "typos",
            "spelling",
            "wording",
            "formatting",
            "lint",
            "linter",
            "golangci-lint",
            "indentation",
            "gofmt",
            "vet",
        ],
    );
    let lint_word = |n: &str| {
        [
            "lint",
            "linter",
            "golangci-lint",
            "gofmt",
            "vet",
            "formatting",
            "indentation",
        ]
        .contains(&n)
    };
    let naming = naming.filter(|n| {
        !lint_word(n)
            || [
                "fix", "resolve", "address", "silence", "clean", "cleanup", "tidy",
            ]
            .contains(&first.as_str())
            || has_any(&all_words, &["warnings", "findings"]).is_some()
    });
    if let Some(n) = &naming {
        let doc_target = has_any(
            &all_words,
            &[
                "readme",
                "docs",
                "doc",
                "documentation",
                "comment",
                "comments",
                "godoc",
                "md",
                "reference",
                "guide",
                "changelog",
            ],
        )
        .is_some();
        if first == "fix" || !p.tags.is_empty() || declarative || n != "name" {
            score[B] -= 3.5;
            if doc_target
                || (![
                    "name",
                    "naming",
                    "lint",
                    "linter",
                    "golangci-lint",
                    "gofmt",
                    "vet",
                    "formatting",
                    "indentation",
                ]
                .contains(&n.as_str())
                    && idents.is_empty())
            {
                score[D] += 2.5;
            } else {
                score[R] += 3.5;
            }
            rationale.push(format!("the request targets {n}, not behaviour"));
        }
    }

    // 5. Documentation: doc nouns as the object of the request, not as the
    //    reference a bug report cites ("contrary to the documentation").
    let cites_docs = contains_phrase(
        &prose,
        &[
            "contrary to the",
            "according to the",
            "the docs say",
            "documentation says",
            "readme says",
            "as documented",
            "documented default",
            "godoc of",
        ],
    )
    .is_some()
        && !title_words
            .first()
            .is_some_and(|w| DOC_NOUNS.contains(&w.as_str()) || w == "godoc");
    let doc_nouns: Vec<&String> = title_words
        .iter()
        .filter(|w| DOC_NOUNS.contains(&w.as_str()))
        .collect();
    let example_ident = idents.iter().any(|i| i.starts_with("Example"));
    if (!doc_nouns.is_empty() || example_ident) && !cites_docs {
        score[D] += 1.8 + 0.5 * (doc_nouns.len().min(2) as f32);
        rationale.push(format!(
            "documentation named in the title: {}",
            doc_nouns
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if ["write", "add", "create", "update"].contains(&first.as_str()) && !doc_nouns.is_empty() {
            score[D] += 1.0;
        }
        if contains_phrase(
            &prose,
            &[
                "outdated",
                "out of date",
                "stale",
                "still talks",
                "still says",
                "still use",
                "still passes",
                "still mention",
            ],
        )
        .is_some()
        {
            score[D] += 1.0;
        }
    } else if let Some(n) = has_any(&all_words, &["godoc", "readme", "documentation", "docs"])
        && !cites_docs
    {
        score[D] += 0.8;
        rationale.push(format!("documentation mentioned ('{n}')"));
    }

    // 6. Tests as the object of the request (not "with tests" on a feature,
    //    not the `go test` command).
    let title_no_cmd = title.replace("go test", "");
    let test_ident_subject = p.title.split_whitespace().next().is_some_and(|w| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
        w.len() > 4 && w.starts_with("test")
    }) && text.split_whitespace().any(|w| {
        w.trim_matches(|c: char| !c.is_alphanumeric() && c != '_')
            .starts_with("Test")
            && w.len() > 4
    });
    let test_in_title = words(&title_no_cmd)
        .iter()
        .any(|w| TEST_NOUNS.contains(&w.as_str()))
        || title.split_whitespace().any(|w| {
            w.starts_with("test")
                && w.len() > 4
                && text.contains(&format!(
                    "Test{}",
                    &w.get(4..5).unwrap_or("").to_uppercase()
                ))
        });
    let with_tests = [
        "with tests",
        "with a test",
        "and tests",
        "plus tests",
        "including tests",
        "with unit tests",
        "with its tests",
        "with their tests",
    ]
    .iter()
    .any(|s| prose.contains(s));
    if (test_in_title || test_ident_subject) && !with_tests {
        let test_object = [
            "add", "write", "improve", "increase", "extend", "cover", "expand", "create", "run",
            "convert", "use", "mock",
        ]
        .contains(&first.as_str())
            || title.starts_with("test")
            || title.contains("coverage")
            || title.contains("flaky")
            || title.contains("no test")
            || title.contains("missing test")
            || test_ident_subject;
        if test_object {
            score[T] += 3.5;
            rationale.push("tests are the object of the request".into());
        } else {
            score[T] += 1.5;
            rationale.push("tests mentioned in the title".into());
        }
        if let Some(f) = contains_phrase(&prose, TEST_NOT_AT_FAULT) {
            score[T] -= 3.0;
            score[B] += 2.0;
            rationale.push(format!("the failing test points at a code bug ('{f}')"));
        } else if test_ident_subject {
            // The misbehaviour described is the test's own.
            score[T] += 1.0;
            score[B] *= 0.5;
        }
    } else if with_tests {
        rationale.push("tests requested alongside the change (not a test-only task)".into());
    }

    // 7. Vague requests and questions.
    let vague = count_any(&all_words, VAGUE);
    if concrete == 0 && prose_words <= 2 {
        score[U] += 4.5;
        rationale.push(format!(
            "only {prose_words} word(s), nothing concrete named"
        ));
    } else if concrete == 0 && vague > 0 && prose_words < 14 {
        score[U] += 3.5 + 0.4 * vague as f32;
        rationale.push(format!(
            "vague: {prose_words} words, nothing concrete named"
        ));
    } else if concrete == 0
        && prose_words < 16
        && !imperative
        && doc_nouns.is_empty()
        && !test_in_title
        && p.tags.is_empty()
        && symptoms.is_empty()
        && !prohibition
    {
        score[U] += 2.5;
        rationale.push(format!(
            "short ({prose_words} words) and nothing concrete named"
        ));
    }
    if p.question && wish.is_none() && !p.trace {
        score[U] += 2.5;
        rationale.push("phrased as a question".into());
    }
    if let Some(h) = contains_phrase(
        &prose,
        &[
            "please help",
            "help needed",
            "any idea",
            "what am i doing wrong",
            "can someone",
            "contact me",
            "post your ideas",
            "review my",
        ],
    ) {
        score[U] += 2.0;
        rationale.push(format!("asks for help or discussion ('{h}')"));
    }
    if concrete == 0
        && prose_words < 25
        && score[B] > 0.0
        && !p.trace
        && expected_actual.is_none()
        && symptoms.is_empty()
        && !prohibition
    {
        score[U] += 2.0;
        rationale.push("a problem is reported without any detail to act on".into());
    }

    // Pick the best.
    let order = [
        TaskType::Feature,
        TaskType::Bugfix,
        TaskType::Refactor,
        TaskType::Docs,
        TaskType::Test,
        TaskType::Unclear,
    ];
    let mut idx: Vec<usize> = (0..6).collect();
    idx.sort_by(|a, b| {
        score[*b]
            .partial_cmp(&score[*a])
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(b))
    });
    let (best, second) = (idx[0], idx[1]);
    let mut task_type = order[best];
    if score[best] <= 0.0 {
        task_type = if concrete == 0 {
            TaskType::Unclear
        } else {
            TaskType::Feature
        };
        rationale.push("no rule fired strongly".into());
    }
    let margin = (score[best] - score[second].max(0.0)).max(0.0);

    // Size: what the request names and how broad it is, not how long the
    // stack trace is.
    let named_files: Vec<&FileInfo> = files
        .iter()
        .filter(|f| {
            let base = f.path.rsplit('/').next().unwrap_or(&f.path).to_lowercase();
            lower.contains(&base)
                || (!f.package.is_empty() && title_words.contains(&f.package.to_lowercase()))
        })
        .collect();
    let scope_bytes: u64 = named_files.iter().map(|f| f.bytes).sum();
    // Broad scope, said in the title or in a sentence that asks for work.
    let asked: String = prose
        .split(['.', '\n', ';'])
        .enumerate()
        .filter(|(i, s)| {
            *i == 0
                || words(s).first().is_some_and(|v| {
                    FEATURE_VERBS.contains(&v.as_str())
                        || REFACTOR_VERBS.contains(&v.as_str())
                        || BUG_VERBS.contains(&v.as_str())
                        || DOC_VERBS.contains(&v.as_str())
                        || ["make", "instrument", "run", "switch"].contains(&v.as_str())
                })
        })
        .map(|(_, s)| s)
        .collect::<Vec<_>>()
        .join(" ");
    let broad = has_any(&title_words, &["all", "every"])
        .or_else(|| {
            has_any(
                &words(&asked),
                &[
                    "throughout",
                    "everywhere",
                    "entire",
                    "whole",
                    "codebase",
                    "repo-wide",
                    "end-to-end",
                ],
            )
        })
        .or_else(|| {
            contains_phrase(
                &asked,
                &[
                    "across the",
                    "across all",
                    "across every",
                    "across packages",
                    "end to end",
                    "all packages",
                    "every package",
                ],
            )
        });
    let mut points = (prose_words as f32 / 45.0).min(3.0) + (idents.len() as f32 * 0.4).min(2.0);
    if matches!(task_type, TaskType::Feature | TaskType::Refactor) {
        points += 0.6;
    }
    if task_type == TaskType::Bugfix && has_any(&all_words, CONCURRENCY).is_some() {
        points += 0.6;
    }
    let mut size = if broad.is_some() || points >= 3.6 || named_files.len() > 6 {
        Size::Large
    } else if points >= 2.0 || named_files.len() > 2 || scope_bytes > 20_000 {
        Size::Medium
    } else {
        Size::Small
    };
    if matches!(task_type, TaskType::Docs | TaskType::Test) && size == Size::Large {
        size = Size::Medium;
    }
    if task_type == TaskType::Unclear {
        size = Size::Small;
    }
    rationale.push(format!(
        "size {:?}: {} words of prose, {} identifier(s) named, {} matching file(s) ({} bytes){}",
        size,
        prose_words,
        idents.len(),
        named_files.len(),
        scope_bytes,
        broad
            .map(|b| format!(", broad scope ('{b}')"))
            .unwrap_or_default()
    ));

    // Risk.
    let token_bucket = prose.contains("token bucket");
    let sec = has_any(&all_words, SECURITY)
        .filter(|s| !(token_bucket && (s == "token" || s == "tokens")));
    let conc = has_any(&all_words, CONCURRENCY);
    let loss = has_any(&all_words, DATA_LOSS);
    let exported_change = matches!(
        first.as_str(),
        "remove" | "delete" | "drop" | "unexport" | "rename" | "move"
    ) && (idents
        .iter()
        .any(|i| i.chars().next().is_some_and(|c| c.is_uppercase()))
        || has_any(&all_words, &["exported", "public", "exports", "export"]).is_some()
        || first == "unexport")
        || first == "unexport";
    let api = contains_phrase(&prose, API_BREAK).or_else(|| {
        if exported_change && task_type == TaskType::Refactor {
            Some("exported identifiers change".to_string())
        } else {
            None
        }
    });
    let risk = if matches!(task_type, TaskType::Docs | TaskType::Test) {
        Risk::Low
    } else if let Some(s) = &sec {
        rationale.push(format!("high risk: security-related ('{s}')"));
        Risk::High
    } else if task_type == TaskType::Unclear {
        Risk::Low
    } else if let (Some(c), true) = (
        &conc,
        matches!(task_type, TaskType::Bugfix | TaskType::Refactor),
    ) {
        rationale.push(format!("high risk: concurrency ('{c}')"));
        Risk::High
    } else if let (Some(l), true) = (
        &loss,
        matches!(task_type, TaskType::Bugfix | TaskType::Feature),
    ) {
        rationale.push(format!("high risk: possible data loss ('{l}')"));
        Risk::High
    } else if let Some(a) = &api {
        rationale.push(format!("high risk: public API change ('{a}')"));
        Risk::High
    } else {
        match task_type {
            TaskType::Bugfix => {
                let cosmetic = has_any(
                    &all_words,
                    &[
                        "build", "compile", "compiler", "message", "progress", "display", "color",
                        "colour", "sort", "order", "typo", "windows", "gopls", "lint", "counter",
                    ],
                )
                .is_some()
                    || p.trace && !p.prose.contains("panic") && all_words.iter().any(|w| w == "go");
                if cosmetic && !p.trace || prose.contains("go mod") || prose.contains("go build") {
                    Risk::Low
                } else {
                    Risk::Medium
                }
            }
            TaskType::Feature => {
                if size == Size::Small && conc.is_none() {
                    Risk::Low
                } else {
                    Risk::Medium
                }
            }
            _ => {
                if has_any(
                    &all_words,
                    &[
                        "allocations",
                        "allocs",
                        "performance",
                        "hot",
                        "flags",
                        "logging",
                        "log",
                        "support",
                    ],
                )
                .is_some()
                    || package_count > 8 && size != Size::Small
                {
                    Risk::Medium
                } else {
                    Risk::Low
                }
            }
        }
    };

    // Confidence: clear margins and concrete targets raise it; size and risk
    // lower it.
    let mut confidence = 0.35 + (margin / 4.0).min(0.4);
    if !idents.is_empty() {
        confidence += 0.1;
    }
    if !named_files.is_empty() {
        confidence += 0.05;
    }
    confidence -= match size {
        Size::Small => 0.0,
        Size::Medium => 0.05,
        Size::Large => 0.15,
    };
    if risk == Risk::High {
        confidence -= 0.05;
    }
    let confidence = (confidence.clamp(0.05, 0.95) * 100.0).round() / 100.0;

    let workflow = workflow_for(task_type, confidence);
    if confidence < LOW_CONFIDENCE && task_type != TaskType::Unclear {
        rationale.push(format!(
            "confidence {confidence} < {LOW_CONFIDENCE}: {:?} added first",
            workflow.first().copied().unwrap_or(Role::Navigator)
        ));
    }
    rationale.insert(
        0,
        format!(
            "type {} (score {:.1}, runner-up {} {:.1})",
            name(task_type),
            score[best],
            name(order[second]),
            score[second]
        ),
    );
    Decision {
        task_type,
        size,
        risk,
        confidence,
        workflow,
        rationale,
    }
}

/// The workflow policy: the roles each type runs, in order, and the extra
/// first step a low-confidence decision gets.
pub fn workflow_for(task_type: TaskType, confidence: f32) -> Vec<Role> {
    let mut workflow = match task_type {
        TaskType::Feature => vec![Role::Architect, Role::Implementer, Role::Reviewer],
        TaskType::Bugfix => vec![
            Role::Reviewer,
            Role::Architect,
            Role::Implementer,
            Role::Reviewer,
        ],
        TaskType::Refactor => vec![Role::Architect, Role::Implementer, Role::Reviewer],
        TaskType::Docs => vec![Role::Implementer, Role::Reviewer],
        TaskType::Test => vec![Role::Implementer, Role::Reviewer],
        TaskType::Unclear => vec![Role::Navigator],
    };
    if confidence < LOW_CONFIDENCE && task_type != TaskType::Unclear {
        if workflow.contains(&Role::Architect) {
            workflow.insert(0, Role::Navigator);
        } else {
            workflow.insert(0, Role::Architect);
        }
    }
    workflow
}

pub fn name(t: TaskType) -> &'static str {
    match t {
        TaskType::Feature => "feature",
        TaskType::Bugfix => "bugfix",
        TaskType::Refactor => "refactor",
        TaskType::Docs => "docs",
        TaskType::Test => "test",
        TaskType::Unclear => "unclear",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TaskType {
        route(s, &[], 1).task_type
    }

    #[test]
    fn classifies_typical_requests() {
        assert_eq!(
            t("Add func Reverse(s string) string to package strutil, with tests"),
            TaskType::Feature
        );
        assert_eq!(
            t("Fix the nil pointer panic in (*Server).Shutdown when called twice"),
            TaskType::Bugfix
        );
        assert_eq!(
            t("Rename parseCfg to parseConfig across the config package without changing behavior"),
            TaskType::Refactor
        );
        assert_eq!(
            t("Document the exported functions of package cache with godoc comments"),
            TaskType::Docs
        );
        assert_eq!(
            t("Add unit tests for ParseDuration edge cases"),
            TaskType::Test
        );
        assert_eq!(t("make it better"), TaskType::Unclear);
        assert_eq!(
            t("Mean() returns the wrong value for an empty slice instead of 0"),
            TaskType::Bugfix
        );
        assert_eq!(
            t("Fix the name of the helper: validateUser should be ValidateUser"),
            TaskType::Refactor
        );
    }

    #[test]
    fn workflows_follow_type() {
        let d = route(
            "Fix the nil pointer panic in (*Server).Shutdown when called twice",
            &[],
            1,
        );
        assert_eq!(d.workflow.first(), Some(&Role::Reviewer));
        assert_eq!(d.workflow.last(), Some(&Role::Reviewer));
        let d = route("make it better", &[], 1);
        assert_eq!(d.workflow, vec![Role::Navigator]);
    }

    #[test]
    fn security_is_high_risk_with_reviewer_last() {
        let d = route(
            "Fix the password comparison in CheckLogin to use constant time",
            &[],
            1,
        );
        assert_eq!(d.risk, Risk::High);
        assert_eq!(d.workflow.last(), Some(&Role::Reviewer));
    }

    #[test]
    fn confidence_in_range_and_rationale_present() {
        for s in [
            "",
            "x",
            "Add Foo",
            "???",
            "Fix all the things everywhere across every package",
        ] {
            let d = route(s, &[], 50);
            assert!((0.0..=1.0).contains(&d.confidence), "{s}");
            assert!(!d.rationale.is_empty());
            assert!(!d.workflow.is_empty());
        }
    }

    #[test]
    fn identifiers_are_found() {
        let ids = named_identifiers("Fix (*Server).Shutdown and ParseConfig() in config.go");
        assert!(ids.contains(&"Server.Shutdown".to_string()), "{ids:?}");
        assert!(ids.contains(&"ParseConfig".to_string()), "{ids:?}");
        assert!(ids.contains(&"config.go".to_string()), "{ids:?}");
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    fn t(s: &str) -> TaskType {
        route(s, &[], 1).task_type
    }

    #[test]
    fn error_words_alone_do_not_make_a_bug() {
        assert_eq!(
            t("Add a Validate method that returns an error for empty names"),
            TaskType::Feature
        );
        assert_eq!(
            t(
                "The parsing code in Load and Reload is duplicated. Extract it into a helper parseFile that returns the same errors."
            ),
            TaskType::Refactor
        );
        assert_eq!(
            t(
                "Move the retry loop out of Client.Do into its own function; this is a refactoring only"
            ),
            TaskType::Refactor
        );
    }

    #[test]
    fn adding_an_exported_function_is_not_an_api_break() {
        let d = route(
            "Add an exported function Clamp(x, lo, hi int) int to package mathx",
            &[],
            1,
        );
        assert_ne!(d.risk, Risk::High);
        let d = route(
            "Change the signature of Parse to return an error; this is a breaking change",
            &[],
            1,
        );
        assert_eq!(d.risk, Risk::High);
    }
}
