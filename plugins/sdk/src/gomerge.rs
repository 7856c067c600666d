//! Keeping what a whole-file reply left out of a Go file.
//!
//! Asked for the whole new content of an existing file, small models often
//! write only the code they add or change: the file's other functions and
//! tests would be deleted, the build breaks, and the task is lost for a
//! reason that has nothing to do with the task. This module merges such a
//! reply into the current file at the level of top-level declarations: the
//! reply's version of every declaration it gives, the current version of
//! every declaration it leaves out, the reply's new declarations after them.
//!
//! Declarations are found line by line, the way gofmt lays them out: a
//! declaration starts at column 0 with `func`, `type`, `var` or `const`
//! (with its doc comment directly above) and runs to the next one. That is
//! not a Go parser, and it need not be: a file it cannot split cleanly
//! (no package clause, a declaration it cannot name) is left as the reply
//! gave it.

use std::collections::BTreeSet;

/// One top-level declaration: its key (`func Name`, `func T.Name`,
/// `type Name`, `var Name`, `const Name`) and its text with its doc comment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decl {
    key: String,
    name: String,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct GoFile {
    package: String,
    /// Import specs as written (`"fmt"`, `str "strings"`).
    imports: Vec<String>,
    /// Anything between the package clause and the first declaration that
    /// is not an import (comments, build tags stay with the package clause).
    decls: Vec<Decl>,
}

fn ident(s: &str) -> String {
    s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// The key and bare name of a declaration's first line.
fn key_of(line: &str, next_lines: &[&str]) -> Option<(String, String)> {
    let (kw, rest) = line.split_once(' ')?;
    let rest = rest.trim_start();
    match kw {
        "func" => {
            if let Some(r) = rest.strip_prefix('(') {
                // Method: (r *T) Name or (T) Name or (r T[K]) Name.
                let close = r.find(')')?;
                let recv = &r[..close];
                let ty = recv.split_whitespace().last()?.trim_start_matches('*');
                let ty = ident(ty);
                let name = ident(r[close + 1..].trim_start());
                (!ty.is_empty() && !name.is_empty()).then(|| (format!("func {ty}.{name}"), name))
            } else {
                let name = ident(rest);
                (!name.is_empty()).then(|| (format!("func {name}"), name))
            }
        }
        "type" | "var" | "const" => {
            if rest.starts_with('(') {
                // A block: named by its first spec.
                let first = next_lines.iter().map(|l| l.trim()).find(|l| !l.is_empty() && !l.starts_with("//"))?;
                let name = ident(first);
                (!name.is_empty()).then(|| (format!("{kw} ({name}"), name))
            } else {
                let name = ident(rest);
                (!name.is_empty()).then(|| (format!("{kw} {name}"), name))
            }
        }
        _ => None,
    }
}

fn is_decl_start(l: &str) -> bool {
    ["func ", "type ", "var ", "const "].iter().any(|k| l.starts_with(k))
}

fn parse(src: &str) -> Option<GoFile> {
    let lines: Vec<&str> = src.lines().collect();
    let pkg_at = lines.iter().position(|l| l.starts_with("package "))?;
    let package = lines[..=pkg_at].join("\n");
    let mut imports = Vec::new();
    let mut i = pkg_at + 1;
    // Imports: single lines and blocks, with blank lines and comments between.
    while i < lines.len() {
        let l = lines[i].trim();
        if l.is_empty() {
            i += 1;
            continue;
        }
        if l.starts_with("//") {
            // A comment run: the first declaration's doc comment stays with it.
            let end = (i..lines.len()).find(|&j| !lines[j].trim().starts_with("//")).unwrap_or(lines.len());
            if lines.get(end).is_some_and(|n| is_decl_start(n)) {
                break;
            }
            i = end;
            continue;
        }
        if l == "import (" {
            let end = (i + 1..lines.len()).find(|&j| lines[j].trim() == ")")?;
            imports.extend(lines[i + 1..end].iter().map(|s| s.trim()).filter(|s| !s.is_empty() && !s.starts_with("//")).map(str::to_string));
            i = end + 1;
            continue;
        }
        if let Some(spec) = l.strip_prefix("import ") {
            imports.push(spec.trim().to_string());
            i += 1;
            continue;
        }
        break;
    }
    // Declarations.
    let mut starts: Vec<usize> = Vec::new();
    for (j, l) in lines.iter().enumerate().skip(i) {
        if is_decl_start(l) {
            let mut s = j;
            while s > i && lines[s - 1].starts_with("//") {
                s -= 1;
            }
            starts.push(s);
        }
    }
    // Something at the top level before the first declaration that is not
    // one (or no declaration at all after such a thing): not split.
    let first = starts.first().copied().unwrap_or(lines.len());
    if lines[i..first].iter().any(|l| !l.trim().is_empty() && !l.starts_with("//")) {
        return None;
    }
    let mut decls = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(lines.len());
        let body: Vec<&str> = lines[s..end].to_vec();
        let head = body.iter().position(|l| is_decl_start(l))?;
        let (key, name) = key_of(body[head], &body[head + 1..])?;
        let text = body.join("\n").trim_end().to_string();
        decls.push(Decl { key, name, text });
    }
    Some(GoFile { package, imports, decls })
}

/// The package name an import spec binds: its alias, or the path's last
/// element (without a `/vN` suffix).
fn import_name(spec: &str) -> String {
    let (alias, path) = match spec.split_once(' ') {
        Some((a, p)) if !a.starts_with('"') => (Some(a), p.trim()),
        _ => (None, spec),
    };
    if let Some(a) = alias {
        return a.to_string();
    }
    let path = path.trim_matches('"');
    let mut parts: Vec<&str> = path.split('/').collect();
    if parts.len() > 1 && parts.last().is_some_and(|l| l.len() > 1 && l.starts_with('v') && l[1..].chars().all(|c| c.is_ascii_digit())) {
        parts.pop();
    }
    parts.last().map(|s| s.trim_start_matches("go-").to_string()).unwrap_or_default()
}

/// What [`merge_whole_file`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub content: String,
    /// Keys of the current file's declarations kept because the reply left
    /// them out.
    pub kept: Vec<String>,
}

/// Merge a whole-file reply `new` for a Go file whose current content is
/// `old`. Declarations of `old` that `new` leaves out are kept, unless
/// `may_drop` says the change may remove them (the task names them, or the
/// reply puts them in another file). `None` when nothing was left out or
/// either file cannot be split into declarations: then `new` stands.
pub fn merge_whole_file(old: &str, new: &str, may_drop: &dyn Fn(&str, &str) -> bool) -> Option<Merged> {
    let o = parse(old)?;
    let n = parse(new)?;
    if o.package.lines().last() != n.package.lines().last() {
        return None;
    }
    let new_keys: BTreeSet<&str> = n.decls.iter().map(|d| d.key.as_str()).collect();
    let kept: Vec<&Decl> = o.decls.iter().filter(|d| !new_keys.contains(d.key.as_str()) && !may_drop(&d.key, &d.name)).collect();
    if kept.is_empty() {
        return None;
    }
    let mut out = String::new();
    // The package doc comment and build tags: the reply's when it has any.
    out.push_str(if n.package.lines().count() > 1 { &n.package } else { &o.package });
    out.push('\n');
    // The reply's imports, and the current file's that the kept code uses.
    let mut imports: Vec<String> = n.imports.clone();
    for spec in &o.imports {
        let name = import_name(spec);
        let used = kept.iter().any(|d| d.text.contains(&format!("{name}.")));
        if used && !imports.contains(spec) {
            imports.push(spec.clone());
        }
    }
    if !imports.is_empty() {
        out.push_str("\nimport (\n");
        for s in &imports {
            out.push_str(&format!("\t{s}\n"));
        }
        out.push_str(")\n");
    }
    let new_by_key = |k: &str| n.decls.iter().find(|d| d.key == k);
    for d in &o.decls {
        let text = match new_by_key(&d.key) {
            Some(nd) => &nd.text,
            None if kept.iter().any(|k| k.key == d.key) => &d.text,
            None => continue,
        };
        out.push('\n');
        out.push_str(text);
        out.push('\n');
    }
    let old_keys: BTreeSet<&str> = o.decls.iter().map(|d| d.key.as_str()).collect();
    for d in n.decls.iter().filter(|d| !old_keys.contains(d.key.as_str())) {
        out.push('\n');
        out.push_str(&d.text);
        out.push('\n');
    }
    Some(Merged { content: out, kept: kept.iter().map(|d| d.key.clone()).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_line_doc_comment_of_the_first_declaration_stays_whole() {
        let old = "package s\n\n// A does a.\n// It is old.\nfunc A() {}\n";
        let m = merge_whole_file(old, "package s\n\nfunc B() {}\n", &never).expect("merged");
        assert!(m.content.contains("// A does a.\n// It is old.\nfunc A() {}"), "{}", m.content);
    }

    const OLD: &str = "// Package s has helpers.
package s

import (
\t\"strings\"
\t\"unicode\"
)

// Capitalize upper-cases the first letter.
func Capitalize(s string) string {
\treturn strings.ToUpper(s[:1]) + s[1:]
}

// IsUpper reports whether r is upper case.
func IsUpper(r rune) bool { return unicode.IsUpper(r) }

type T struct{ n int }

// N returns n.
func (t *T) N() int { return t.n }
";

    fn never(_: &str, _: &str) -> bool {
        false
    }

    #[test]
    fn a_reply_with_only_the_new_function_keeps_the_rest() {
        let new = "package s\n\n// Reverse reverses s.\nfunc Reverse(s string) string {\n\treturn s\n}\n";
        let m = merge_whole_file(OLD, new, &never).expect("merged");
        assert_eq!(m.kept, ["func Capitalize", "func IsUpper", "type T", "func T.N"]);
        assert!(m.content.starts_with("// Package s has helpers.\npackage s\n\nimport (\n\t\"strings\"\n\t\"unicode\"\n)\n"), "{}", m.content);
        for d in ["// Capitalize upper-cases", "func IsUpper", "type T struct", "func (t *T) N()", "// Reverse reverses s.\nfunc Reverse"] {
            assert!(m.content.contains(d), "{d} in\n{}", m.content);
        }
        assert!(m.content.find("func (t *T) N()").unwrap() < m.content.find("func Reverse").unwrap(), "new code after the old");
    }

    #[test]
    fn a_changed_declaration_replaces_the_old_one_in_place() {
        let new = "package s\n\nimport \"strings\"\n\nfunc Capitalize(s string) string {\n\treturn strings.Title(s)\n}\n";
        let m = merge_whole_file(OLD, new, &never).expect("merged");
        assert_eq!(m.content.matches("func Capitalize").count(), 1);
        assert!(m.content.contains("strings.Title") && !m.content.contains("ToUpper(s[:1])"));
        assert!(m.content.contains("\t\"unicode\"\n"), "kept code's import kept: {}", m.content);
    }

    #[test]
    fn a_complete_reply_stands_and_named_declarations_may_go() {
        assert_eq!(merge_whole_file(OLD, OLD, &never), None);
        let new = OLD.replace("// IsUpper reports whether r is upper case.\nfunc IsUpper(r rune) bool { return unicode.IsUpper(r) }\n", "");
        assert_eq!(merge_whole_file(OLD, &new, &|_, name| name == "IsUpper"), None, "the task named it");
        let m = merge_whole_file(OLD, &new, &never).expect("merged");
        assert_eq!(m.kept, ["func IsUpper"]);
    }

    #[test]
    fn files_it_cannot_split_are_left_alone() {
        assert_eq!(merge_whole_file("not go", "package s\n", &never), None);
        assert_eq!(merge_whole_file(OLD, "package other\n\nfunc X() {}\n", &never), None, "another package");
        assert_eq!(merge_whole_file(OLD, "package s\n\nx := 1\n", &never), None);
    }

    #[test]
    fn blocks_and_import_names() {
        let old = "package s\n\nconst (\n\tA = 1\n\tB = 2\n)\n\nvar x = 1\n";
        let m = merge_whole_file(old, "package s\n\nvar x = 2\n", &never).expect("merged");
        assert_eq!(m.kept, ["const (A"]);
        assert!(m.content.contains("var x = 2") && !m.content.contains("var x = 1"));
        assert_eq!(import_name("\"math/rand/v2\""), "rand");
        assert_eq!(import_name("str \"strings\""), "str");
        assert_eq!(import_name("\"github.com/x/go-yaml\""), "yaml");
    }
}
