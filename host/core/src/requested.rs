//! Declarations a request asks for by signature.
//!
//! Users write the API they want in code: "Add `Median(xs []float64)
//! float64` to package stats", a fenced `func Allocate(total Cents, weights
//! []int) ([]Cents, error)`, "a new `type SKUTotal struct`". A change that
//! compiles and passes its own tests but never declares that name is not
//! what was asked (a live run lost `NormalizeEmail` this way and was
//! approved). The host checks the names after each change and reports the
//! missing ones as a verification failure the model can act on.
//!
//! Only names that look like an API written out are taken: exported
//! identifiers in code (inline spans or fenced blocks) after `func`, after
//! a method receiver, after `type`, or opening an inline span as
//! `Name(...)`. Qualified names (`strings.Fields(s)`) belong to other
//! packages and are skipped. The caller drops names the module already
//! declared before the change: a bug report that quotes an existing call
//! (or a task that removes a function) asks for nothing new.

use serde::{Deserialize, Serialize};

/// A declaration the request names, as it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedDecl {
    /// The identifier (`Median`).
    pub name: String,
    /// The code it was found in, trimmed to one line (`Median(xs []float64) float64`).
    pub written: String,
}

/// The exported declarations `task` asks for by signature, first mention
/// of each name, in order.
pub fn requested_decls(task: &str) -> Vec<RequestedDecl> {
    let mut out: Vec<RequestedDecl> = Vec::new();
    let mut push = |name: &str, written: &str| {
        if out.iter().all(|r| r.name != name) {
            out.push(RequestedDecl {
                name: name.to_string(),
                written: one_line(written),
            });
        }
    };
    for (code, inline) in code_regions(task) {
        if inline && let Some(name) = span_call_name(code) {
            push(name, code);
            continue;
        }
        for line in code.lines() {
            if let Some(name) = declared_name(line) {
                push(name, line);
            }
        }
    }
    out
}

/// Fenced blocks (`false`) and inline code spans (`true`) of a Markdown
/// text, in text order. Spans do not cross blank lines; fences run to their
/// closing fence (or the end of the text).
fn code_regions(text: &str) -> Vec<(&str, bool)> {
    let offset = |s: &str| s.as_ptr() as usize - text.as_ptr() as usize;
    let mut out: Vec<(&str, bool)> = Vec::new();
    let mut prose: Vec<&str> = Vec::new();
    let mut prose_start = 0usize;
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(l) = lines.next() {
        let t = l.trim_start();
        if !(t.starts_with("```") || t.starts_with("~~~")) {
            continue;
        }
        let fence = &t[..3];
        let start = offset(l);
        prose.push(&text[prose_start..start]);
        let body_start = start + l.len();
        let mut body_end = text.len();
        prose_start = text.len();
        for m in lines.by_ref() {
            if m.trim_start().starts_with(fence) {
                body_end = offset(m);
                prose_start = body_end + m.len();
                break;
            }
        }
        out.push((&text[body_start..body_end], false));
    }
    prose.push(&text[prose_start..]);
    for chunk in prose {
        for para in chunk.split("\n\n") {
            let parts: Vec<&str> = para.split('`').collect();
            // Odd parts are inside backticks; an unclosed one is dropped.
            for k in (1..parts.len()).step_by(2) {
                if k + 1 < parts.len() {
                    out.push((parts[k], true));
                }
            }
        }
    }
    out.sort_by_key(|(s, _)| offset(s));
    out
}

/// `Name(` opening an inline span, or `(*T).Name(` / `(T).Name(`: the API
/// written as a call or signature. The span must close its parenthesis.
fn span_call_name(span: &str) -> Option<&str> {
    let s = span.trim();
    let s = s.strip_prefix("func ").map(str::trim_start).unwrap_or(s);
    let s = if s.starts_with('(') {
        // A receiver: `(*Ring).Last(...)` or `(r *Ring) Last(...)`.
        let close = s.find(')')?;
        s[close + 1..].trim_start().trim_start_matches('.')
    } else {
        s
    };
    let (name, rest) = split_ident(s)?;
    if !rest.starts_with('(') || !rest.contains(')') || !is_exported(name) {
        return None;
    }
    Some(name)
}

/// The name a line of Go code declares with `func`, a method receiver or
/// `type`, when it is exported.
fn declared_name(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let rest = if let Some(r) = t.strip_prefix("func ") {
        let r = r.trim_start();
        if r.starts_with('(') {
            let close = r.find(')')?;
            r[close + 1..].trim_start()
        } else {
            r
        }
    } else if let Some(r) = t.strip_prefix("type ") {
        let r = r.trim_start();
        let (name, after) = split_ident(r)?;
        return (is_exported(name)
            && !after.trim().is_empty()
            && !after.trim_start().starts_with('('))
        .then_some(name);
    } else {
        return None;
    };
    let (name, after) = split_ident(rest)?;
    (is_exported(name) && (after.starts_with('(') || after.starts_with('['))).then_some(name)
}

/// A Go identifier at the start of `s`, and what follows it.
fn split_ident(s: &str) -> Option<(&str, &str)> {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let name = &s[..end];
    let first = name.chars().next()?;
    (first.is_alphabetic() || first == '_').then_some((name, &s[end..]))
}

fn is_exported(name: &str) -> bool {
    name.chars().next().is_some_and(char::is_uppercase)
}

fn one_line(s: &str) -> String {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let t = t.trim_end_matches('{').trim_end();
    if t.chars().count() > 120 {
        format!("{}…", t.chars().take(119).collect::<String>())
    } else {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(task: &str) -> Vec<String> {
        requested_decls(task).into_iter().map(|r| r.name).collect()
    }

    #[test]
    fn inline_signatures_and_fenced_declarations() {
        let t = "Add `Median(xs []float64) float64` to package `stats`, with tests.\n\n\
                 Please add\n\n```go\nfunc Compact(d time.Duration) string\n```\n\nand a method \
                 `(*Ring).Last(n int) []float64`, plus\n```go\nfunc (c *Calendar) AddWorkdays(t time.Time, n int) time.Time\ntype SKUTotal struct {\n\tSKU string\n}\n```\n";
        assert_eq!(
            names(t),
            ["Median", "Compact", "Last", "AddWorkdays", "SKUTotal"]
        );
        let r = requested_decls(t);
        assert_eq!(r[0].written, "Median(xs []float64) float64");
        assert_eq!(
            r[3].written,
            "func (c *Calendar) AddWorkdays(t time.Time, n int) time.Time"
        );
        assert_eq!(r[4].written, "type SKUTotal struct");
    }

    #[test]
    fn prose_qualified_names_unexported_and_bare_names_are_not_requests() {
        let t = "`redact.Name(\"Émile Zola\")` gives garbage; `deploy --help` wraps early. The `Clock` \
                 function and `len(s)` are fine, see `strings.Fields(s)`. NormalizeEmail(x) in prose is not code.";
        assert_eq!(names(t), Vec::<String>::new());
    }

    #[test]
    fn a_call_example_names_the_function_once() {
        let t = "Add `Allocate(total Cents, weights []int) ([]Cents, error)`. Example: `Allocate(10, []int{1, 2})` is `[3, 7]`.";
        assert_eq!(names(t), ["Allocate"]);
    }

    #[test]
    fn generic_functions_and_types() {
        let t = "```go\nfunc Map[T, U any](xs []T, f func(T) U) []U\ntype Set[T comparable] map[T]struct{}\ntype (\n```";
        assert_eq!(names(t), ["Map", "Set"]);
    }

    #[test]
    fn unclosed_spans_and_fences_do_not_panic_or_invent_names() {
        for t in [
            "`Open(",
            "``",
            "```go\nfunc X(",
            "a ` b `` c ```",
            "`(*T).`",
            "`()`",
            "`func (`",
            "é`É(é)`",
        ] {
            let _ = requested_decls(t);
        }
        assert_eq!(names("text `Half(x int) int"), Vec::<String>::new());
        assert_eq!(names("```go\nfunc Whole(x int) int {\n"), ["Whole"]);
        assert_eq!(names("é`Éa(é int)`"), ["Éa"]);
    }

    #[test]
    fn spans_do_not_cross_paragraphs() {
        let t = "A stray ` here.\n\nThen `Parse(s string) (Set, error)` is wanted.";
        assert_eq!(names(t), ["Parse"]);
    }

    proptest::proptest! {
        /// Arbitrary text (backticks, fences, Unicode) never panics, and
        /// every name found is an exported identifier the text contains.
        #[test]
        fn arbitrary_text_is_safe(t in "([`(){}* \\n.éÉa-zA-Z0-9_]|func |type |```go\\n){0,80}") {
            for r in requested_decls(&t) {
                proptest::prop_assert!(is_exported(&r.name));
                proptest::prop_assert!(t.contains(&r.name));
            }
        }
    }
}
