//! The routing rules, as plain Rust (no bindings), so they are unit-tested
//! natively and can be measured against the curated set.

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

/// Below this confidence the workflow gains a planning step (documented in
/// docs/routing.md).
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

fn contains_phrase(text: &str, phrases: &[&str]) -> Option<String> {
    phrases.iter().find(|p| text.contains(*p)).map(|p| p.to_string())
}

const FEATURE_VERBS: &[&str] = &[
    "add", "implement", "support", "introduce", "create", "allow", "enable", "provide", "expose", "build",
    "make", "let", "accept", "extend", "teach", "offer",
];
const BUG_VERBS: &[&str] = &["fix", "repair", "resolve", "correct", "handle", "prevent", "stop", "avoid"];
const REFACTOR_VERBS: &[&str] = &[
    "refactor", "rename", "extract", "move", "split", "simplify", "deduplicate", "dedupe", "restructure",
    "reorganize", "reorganise", "inline", "consolidate", "unify", "replace", "cleanup", "clean", "tidy",
    "decouple", "modernize", "migrate",
];
const DOC_VERBS: &[&str] = &["document", "describe", "explain", "clarify"];
/// Words that describe wrong behaviour on their own.
const BUG_SYMPTOMS: &[&str] = &[
    "panic", "panics", "panicking", "crash", "crashes", "bug", "wrong", "incorrect", "incorrectly", "broken",
    "fails", "failing", "regression", "leak", "leaks", "deadlock", "deadlocks", "hang", "hangs",
    "overflow", "underflow", "off-by-one", "unexpected", "unexpectedly", "mismatch", "truncated", "truncates",
    "ignores", "lost", "corrupt", "corrupted", "infinite", "never", "segfault", "flaky",
];
/// Words that often appear in bug reports but just as often in feature or
/// refactoring requests ("return an error", "same errors as today").
const WEAK_SYMPTOMS: &[&str] = &["error", "errors", "invalid", "nil", "missing", "duplicate", "duplicated", "timeout", "failure", "race", "instead"];
const BUG_PHRASES: &[&str] = &[
    "doesn't", "does not", "don't", "do not work", "isn't", "is not", "should be", "should return",
    "should not", "shouldn't", "expected", "instead of", "but got", "but it", "not working", "no longer",
    "stopped working", "when called twice", "off by one", "out of range", "index out of",
];
const DOC_NOUNS: &[&str] = &[
    "doc", "docs", "documentation", "godoc", "readme", "comment", "comments", "docstring", "changelog",
    "example", "examples", "typo", "typos", "wording", "grammar",
];
const TEST_NOUNS: &[&str] = &["test", "tests", "testing", "coverage", "benchmark", "benchmarks", "fuzz", "testcase", "testcases"];
const VAGUE: &[&str] = &[
    "improve", "better", "optimize", "nicer", "cleaner", "stuff", "things", "something", "somehow", "etc",
    "faster", "issues", "problems", "update", "tweak", "look", "check", "review", "investigate",
];
const SECURITY: &[&str] = &[
    "auth", "authentication", "authorization", "authorize", "password", "passwords", "token", "tokens",
    "secret", "secrets", "crypto", "cryptographic", "encrypt", "encryption", "decrypt", "tls", "ssl",
    "certificate", "certificates", "injection", "sanitize", "sanitise", "escape", "xss", "csrf", "sql",
    "permission", "permissions", "privilege", "jwt", "oauth", "session", "cookie", "hash", "hmac", "signature",
    "traversal", "vulnerability", "cve", "security", "credential", "credentials", "login", "untrusted",
];
const DATA_LOSS: &[&str] = &["delete", "deletes", "remove", "drop", "truncate", "overwrite", "migration", "corrupt", "corrupted", "lost", "wipe"];
const CONCURRENCY: &[&str] = &[
    "race", "concurrent", "concurrency", "mutex", "goroutine", "goroutines", "deadlock", "lock", "locks",
    "channel", "channels", "atomic", "parallel", "sync", "waitgroup",
];
/// Phrases that say the public API breaks (adding an exported function does not).
const API_BREAK: &[&str] = &[
    "breaking change", "break the api", "breaks the api", "change the signature", "change its signature",
    "changes the signature", "remove the exported", "rename the exported", "deprecate", "incompatible change",
    "drop support",
];
/// Nouns that name refactoring as the kind of work.
const REFACTOR_NOUNS: &[&str] = &["refactor", "refactoring", "cleanup", "clean-up", "restructuring", "deduplication", "duplication", "copy-paste"];

/// Go-looking identifiers the text names: CamelCase words, `pkg.Name`,
/// `(*T).M`, snake or file names ending in `.go`.
pub fn named_identifiers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split(|c: char| c.is_whitespace() || c == ',' || c == '`' || c == '"' || c == ';') {
        let w = raw.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '*' || c == '(' || c == ')'));
        let w = w.trim_end_matches('.');
        if w.len() < 2 {
            continue;
        }
        let core = w.trim_start_matches("(*").replace(')', "");
        let is_go_file = core.ends_with(".go");
        let has_dot_call = core.contains('.') && core.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '*' || c == '('));
        let camel = core.chars().next().is_some_and(|c| c.is_uppercase())
            && core.chars().skip(1).any(|c| c.is_uppercase())
            && core.chars().all(|c| c.is_alphanumeric() || c == '_');
        let call = raw.contains("()") || raw.ends_with('(');
        if is_go_file || has_dot_call || camel || call {
            out.push(core.trim_matches('(').to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Route a task.
pub fn route(text: &str, files: &[FileInfo], package_count: usize) -> Decision {
    let mut rationale = Vec::new();
    let lower = text.to_lowercase();
    let title = lower.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
    let title_words = words(&title);
    let all_words = words(&lower);
    let first = title_words.iter().find(|w| !["please", "we", "i", "should", "need", "to", "can", "you", "let's", "lets"].contains(&w.as_str())).cloned().unwrap_or_default();
    let idents = named_identifiers(text);

    let mut score = [0.0f32; 6]; // feature, bugfix, refactor, docs, test, unclear
    const F: usize = 0;
    const B: usize = 1;
    const R: usize = 2;
    const D: usize = 3;
    const T: usize = 4;
    const U: usize = 5;

    // 1. The leading verb of the title says most about what is asked.
    if FEATURE_VERBS.contains(&first.as_str()) {
        score[F] += 2.0;
        rationale.push(format!("title starts with feature verb '{first}'"));
    } else if BUG_VERBS.contains(&first.as_str()) {
        score[B] += 2.0;
        rationale.push(format!("title starts with fix verb '{first}'"));
    } else if REFACTOR_VERBS.contains(&first.as_str()) {
        score[R] += 2.5;
        rationale.push(format!("title starts with refactoring verb '{first}'"));
    } else if DOC_VERBS.contains(&first.as_str()) {
        score[D] += 2.5;
        rationale.push(format!("title starts with documentation verb '{first}'"));
    }

    // 1b. Imperative sentences in the body ("Extract it into ...", "Make both
    //     callers use it") say what is asked as much as the title does.
    for sentence in lower.split(|c: char| c == '.' || c == '\n' || c == ';').skip(1) {
        let sw = words(sentence);
        let Some(v) = sw.first() else { continue };
        let v = v.as_str();
        if v == first {
            continue;
        }
        if REFACTOR_VERBS.contains(&v) {
            score[R] += 1.2;
            rationale.push(format!("a sentence asks to '{v}' (refactoring)"));
        } else if BUG_VERBS.contains(&v) && v != "handle" {
            score[B] += 0.8;
            rationale.push(format!("a sentence asks to '{v}' (fix)"));
        } else if DOC_VERBS.contains(&v) {
            score[D] += 0.8;
        } else if ["add", "implement", "support", "introduce", "create", "expose"].contains(&v) {
            score[F] += 0.6;
        }
    }

    // 2. Symptoms of wrong behaviour make it a bug report; generic words
    //    count for little on their own.
    let symptoms: Vec<&String> = all_words.iter().filter(|w| BUG_SYMPTOMS.contains(&w.as_str())).collect();
    if !symptoms.is_empty() {
        let n = symptoms.len().min(3) as f32;
        score[B] += 0.9 * n;
        rationale.push(format!("bug symptoms named: {}", symptoms.iter().take(3).map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
    }
    let weak = all_words.iter().filter(|w| WEAK_SYMPTOMS.contains(&w.as_str())).count();
    if weak > 0 {
        score[B] += 0.25 * weak.min(3) as f32;
    }
    if let Some(p) = contains_phrase(&lower, BUG_PHRASES) {
        score[B] += 1.2;
        rationale.push(format!("expected-vs-actual phrasing '{p}'"));
    }

    // 3. Refactoring intent: behaviour explicitly unchanged.
    if let Some(p) = contains_phrase(
        &lower,
        &["without changing", "must not change", "should not change", "no behavior change", "no behaviour change", "behavior unchanged", "behaviour unchanged", "keep the behavior", "keep the behaviour", "same behavior", "same behaviour", "no functional change"],
    ) {
        score[R] += 2.5;
        rationale.push(format!("behaviour explicitly unchanged ('{p}')"));
    }
    if let Some(n) = has_any(&all_words, REFACTOR_NOUNS) {
        score[R] += 2.0;
        rationale.push(format!("the request calls itself a refactoring ('{n}')"));
    } else if let Some(v) = has_any(&all_words, REFACTOR_VERBS) {
        if v != first {
            score[R] += 0.6;
            rationale.push(format!("refactoring verb '{v}' in the request"));
        }
    }
    // "Fix the name of X" / "fix typo in X" is a rename or docs change, not a bug.
    if first == "fix" {
        if let Some(n) = has_any(&title_words, &["name", "naming", "typo", "typos", "spelling", "wording", "formatting", "lint", "indentation"]) {
            score[B] -= 2.0;
            if ["typo", "typos", "spelling", "wording"].contains(&n.as_str()) {
                score[D] += 1.5;
            } else {
                score[R] += 2.0;
            }
            rationale.push(format!("'fix' targets {n}, not behaviour"));
        }
    }

    // 4. Documentation: doc nouns as the object of the request.
    let doc_nouns: Vec<&String> = title_words.iter().filter(|w| DOC_NOUNS.contains(&w.as_str())).collect();
    if !doc_nouns.is_empty() {
        score[D] += 1.5 + 0.5 * (doc_nouns.len().min(2) as f32);
        rationale.push(format!("documentation named in the title: {}", doc_nouns.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
    } else if let Some(n) = has_any(&all_words, &["godoc", "readme", "documentation", "docs"]) {
        score[D] += 0.8;
        rationale.push(format!("documentation mentioned ('{n}')"));
    }

    // 5. Tests as the object of the request (not "with tests" on a feature).
    let test_in_title = title_words.iter().any(|w| TEST_NOUNS.contains(&w.as_str()));
    let with_tests = lower.contains("with tests") || lower.contains("with a test") || lower.contains("and tests") || lower.contains("plus tests") || lower.contains("including tests") || lower.contains("with unit tests");
    if test_in_title && !with_tests {
        let test_object = ["add", "write", "improve", "increase", "extend", "cover", "expand", "create"].contains(&first.as_str())
            || title.starts_with("test")
            || title.contains("coverage")
            || title.contains("flaky");
        if test_object {
            score[T] += 3.0;
            rationale.push("tests are the object of the request".into());
        } else {
            score[T] += 1.0;
            rationale.push("tests mentioned in the title".into());
        }
        if title.contains("flaky") || title.contains("flakes") {
            score[B] += 0.5;
        }
    } else if with_tests {
        rationale.push("tests requested alongside the change (not a test-only task)".into());
    }

    // 6. Feature nouns.
    if let Some(n) = has_any(&all_words, &["new", "option", "flag", "endpoint", "method", "function", "func", "command", "subcommand", "field", "parameter", "helper", "api"]) {
        score[F] += 0.6;
        rationale.push(format!("names something to add ('{n}')"));
    }
    if let Some(v) = has_any(&all_words, FEATURE_VERBS) {
        if v != first {
            score[F] += 0.5;
        }
    }

    // 7. Vague requests.
    let content_words = all_words.len();
    let vague = all_words.iter().filter(|w| VAGUE.contains(&w.as_str())).count();
    if idents.is_empty() && (content_words < 5 || (vague > 0 && content_words < 14)) {
        score[U] += 2.6 + 0.4 * vague as f32;
        rationale.push(format!("vague: {content_words} words, no identifier or file named"));
    }
    if lower.contains('?') && idents.is_empty() && content_words < 20 {
        score[U] += 1.0;
        rationale.push("phrased as a question without a concrete target".into());
    }

    // Pick the best; a fix verb with symptoms beats a feature verb.
    let order = [TaskType::Feature, TaskType::Bugfix, TaskType::Refactor, TaskType::Docs, TaskType::Test, TaskType::Unclear];
    let mut idx: Vec<usize> = (0..6).collect();
    idx.sort_by(|a, b| score[*b].partial_cmp(&score[*a]).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(b)));
    let (best, second) = (idx[0], idx[1]);
    let mut task_type = order[best];
    if score[best] <= 0.0 {
        task_type = if idents.is_empty() { TaskType::Unclear } else { TaskType::Feature };
        rationale.push("no rule fired strongly".into());
    }
    let margin = (score[best] - score[second].max(0.0)).max(0.0);

    // Size: what the request names and how big it is there.
    let named_files: Vec<&FileInfo> = files
        .iter()
        .filter(|f| {
            let base = f.path.rsplit('/').next().unwrap_or(&f.path).to_lowercase();
            lower.contains(&base) || (!f.package.is_empty() && title_words.contains(&f.package.to_lowercase()))
        })
        .collect();
    let scope_bytes: u64 = named_files.iter().map(|f| f.bytes).sum();
    let broad = has_any(&all_words, &["all", "every", "across", "throughout", "everywhere", "entire", "whole", "codebase", "packages"]);
    let size = if broad.is_some() || idents.len() > 6 || named_files.len() > 6 || lower.len() > 1500 {
        Size::Large
    } else if idents.len() > 3 || named_files.len() > 2 || scope_bytes > 20_000 || lower.len() > 600 {
        Size::Medium
    } else {
        Size::Small
    };
    rationale.push(format!(
        "size {:?}: {} identifier(s) named, {} matching file(s) ({} bytes){}",
        size,
        idents.len(),
        named_files.len(),
        scope_bytes,
        broad.map(|b| format!(", broad scope ('{b}')")).unwrap_or_default()
    ));

    // Risk.
    let sec = has_any(&all_words, SECURITY);
    let conc = has_any(&all_words, CONCURRENCY);
    let loss = has_any(&all_words, DATA_LOSS);
    let api = contains_phrase(&lower, API_BREAK);
    let risk = if let Some(s) = &sec {
        rationale.push(format!("high risk: security-related ('{s}')"));
        Risk::High
    } else if let (Some(c), true) = (&conc, matches!(task_type, TaskType::Bugfix | TaskType::Refactor | TaskType::Feature)) {
        rationale.push(format!("high risk: concurrency ('{c}')"));
        Risk::High
    } else if let (Some(l), true) = (&loss, task_type == TaskType::Bugfix) {
        rationale.push(format!("high risk: possible data loss ('{l}')"));
        Risk::High
    } else if let Some(a) = &api {
        rationale.push(format!("high risk: public API change ('{a}')"));
        Risk::High
    } else if matches!(task_type, TaskType::Docs | TaskType::Test) {
        Risk::Low
    } else if size != Size::Small || loss.is_some() || package_count > 8 {
        Risk::Medium
    } else {
        Risk::Low
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

    let mut workflow = match task_type {
        TaskType::Feature => vec![Role::Architect, Role::Implementer, Role::Reviewer],
        TaskType::Bugfix => vec![Role::Reviewer, Role::Architect, Role::Implementer, Role::Reviewer],
        TaskType::Refactor => vec![Role::Architect, Role::Implementer, Role::Reviewer],
        TaskType::Docs => vec![Role::Implementer, Role::Reviewer],
        TaskType::Test => vec![Role::Implementer, Role::Reviewer],
        TaskType::Unclear => vec![Role::Navigator],
    };
    if confidence < LOW_CONFIDENCE && task_type != TaskType::Unclear {
        if !workflow.contains(&Role::Architect) {
            workflow.insert(0, Role::Architect);
            rationale.push(format!("confidence {confidence} < {LOW_CONFIDENCE}: architect added to plan first"));
        } else {
            workflow.insert(0, Role::Navigator);
            rationale.push(format!("confidence {confidence} < {LOW_CONFIDENCE}: navigator added to check the request first"));
        }
    }
    rationale.insert(0, format!("type {} (score {:.1}, runner-up {} {:.1})", name(task_type), score[best], name(order[second]), score[second]));
    Decision { task_type, size, risk, confidence, workflow, rationale }
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
        assert_eq!(t("Add func Reverse(s string) string to package strutil, with tests"), TaskType::Feature);
        assert_eq!(t("Fix the nil pointer panic in (*Server).Shutdown when called twice"), TaskType::Bugfix);
        assert_eq!(t("Rename parseCfg to parseConfig across the config package without changing behavior"), TaskType::Refactor);
        assert_eq!(t("Document the exported functions of package cache with godoc comments"), TaskType::Docs);
        assert_eq!(t("Add unit tests for ParseDuration edge cases"), TaskType::Test);
        assert_eq!(t("make it better"), TaskType::Unclear);
        assert_eq!(t("Mean() returns the wrong value for an empty slice instead of 0"), TaskType::Bugfix);
        assert_eq!(t("Fix the name of the helper: validateUser should be ValidateUser"), TaskType::Refactor);
    }

    #[test]
    fn workflows_follow_type() {
        let d = route("Fix the nil pointer panic in (*Server).Shutdown when called twice", &[], 1);
        assert_eq!(d.workflow.first(), Some(&Role::Reviewer));
        assert_eq!(d.workflow.last(), Some(&Role::Reviewer));
        let d = route("make it better", &[], 1);
        assert_eq!(d.workflow, vec![Role::Navigator]);
    }

    #[test]
    fn security_is_high_risk_with_reviewer_last() {
        let d = route("Fix the password comparison in CheckLogin to use constant time", &[], 1);
        assert_eq!(d.risk, Risk::High);
        assert_eq!(d.workflow.last(), Some(&Role::Reviewer));
    }

    #[test]
    fn confidence_in_range_and_rationale_present() {
        for s in ["", "x", "Add Foo", "???", "Fix all the things everywhere across every package"] {
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
        assert_eq!(t("Add a Validate method that returns an error for empty names"), TaskType::Feature);
        assert_eq!(
            t("The parsing code in Load and Reload is duplicated. Extract it into a helper parseFile that returns the same errors."),
            TaskType::Refactor
        );
        assert_eq!(t("Move the retry loop out of Client.Do into its own function; this is a refactoring only"), TaskType::Refactor);
    }

    #[test]
    fn adding_an_exported_function_is_not_an_api_break() {
        let d = route("Add an exported function Clamp(x, lo, hi int) int to package mathx", &[], 1);
        assert_ne!(d.risk, Risk::High);
        let d = route("Change the signature of Parse to return an error; this is a breaking change", &[], 1);
        assert_eq!(d.risk, Risk::High);
    }
}
