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
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
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
                let first = next_lines
                    .iter()
                    .map(|l| l.trim())
                    .find(|l| !l.is_empty() && !l.starts_with("//"))?;
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
    ["func ", "type ", "var ", "const "]
        .iter()
        .any(|k| l.starts_with(k))
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
            let end = (i..lines.len())
                .find(|&j| !lines[j].trim().starts_with("//"))
                .unwrap_or(lines.len());
            if lines.get(end).is_some_and(|n| is_decl_start(n)) {
                break;
            }
            i = end;
            continue;
        }
        if l == "import (" {
            let end = (i + 1..lines.len()).find(|&j| lines[j].trim() == ")")?;
            imports.extend(
                lines[i + 1..end]
                    .iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty() && !s.starts_with("//"))
                    .map(str::to_string),
            );
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
    if lines[i..first]
        .iter()
        .any(|l| !l.trim().is_empty() && !l.starts_with("//"))
    {
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
    Some(GoFile {
        package,
        imports,
        decls,
    })
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
    if parts.len() > 1
        && parts.last().is_some_and(|l| {
            l.len() > 1 && l.starts_with('v') && l[1..].chars().all(|c| c.is_ascii_digit())
        })
    {
        parts.pop();
    }
    parts
        .last()
        .map(|s| s.trim_start_matches("go-").to_string())
        .unwrap_or_default()
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
pub fn merge_whole_file(
    old: &str,
    new: &str,
    may_drop: &dyn Fn(&str, &str) -> bool,
) -> Option<Merged> {
    let o = parse(old)?;
    let n = parse(new)?;
    if o.package.lines().last() != n.package.lines().last() {
        return None;
    }
    let new_keys: BTreeSet<&str> = n.decls.iter().map(|d| d.key.as_str()).collect();
    let kept: Vec<&Decl> = o
        .decls
        .iter()
        .filter(|d| !new_keys.contains(d.key.as_str()) && !may_drop(&d.key, &d.name))
        .collect();
    if kept.is_empty() {
        return None;
    }
    let mut out = String::new();
    // The package doc comment and build tags: the reply's when it has any.
    out.push_str(if n.package.lines().count() > 1 {
        &n.package
    } else {
        &o.package
    });
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
    for d in n
        .decls
        .iter()
        .filter(|d| !old_keys.contains(d.key.as_str()))
    {
        out.push('\n');
        out.push_str(&d.text);
        out.push('\n');
    }
    Some(Merged {
        content: out,
        kept: kept.iter().map(|d| d.key.clone()).collect(),
    })
}

/// One piece of a declaration snippet ([`split_snippet`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetPart {
    /// The declaration's key (`func Name`, `func T.Name`, `type Name`, …);
    /// `None` for a package doc comment.
    pub key: Option<String>,
    /// The part as written, with its doc comment.
    pub text: String,
}

/// Split a Go block that has no package clause into top-level
/// declarations (and a leading `// Package name …` comment): what a model
/// writes when it gives only the functions it changes. `None` when the
/// block is not made of declarations (statements, prose, a diff) or has a
/// package clause (then it is a whole file).
pub fn split_snippet(content: &str) -> Option<Vec<SnippetPart>> {
    if content.lines().any(|l| l.starts_with("package ")) {
        return None;
    }
    // Models indent a snippet as a whole inside a list item; gofmt's
    // layout starts declarations at column 0.
    let indent = content
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let lines: Vec<&str> = content
        .lines()
        .map(|l| {
            if l.len() >= indent {
                &l[indent..]
            } else {
                l.trim_start()
            }
        })
        .collect();
    let mut parts = Vec::new();
    let mut i = 0;
    // A leading comment run not followed by a declaration: the package doc.
    let lead = lines
        .iter()
        .position(|l| !l.trim().is_empty() && !l.starts_with("//"))
        .unwrap_or(lines.len());
    let doc: Vec<&str> = lines[..lead]
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let doc_is_package = doc.first().is_some_and(|l| {
        l.trim_start_matches('/')
            .trim_start()
            .starts_with("Package ")
    });
    if doc_is_package {
        // The package doc runs to the first blank line; a comment after it
        // is the first declaration's doc.
        let end = (0..lead)
            .find(|&j| {
                lines[j].trim().is_empty()
                    && j > 0
                    && lines[..j].iter().any(|l| !l.trim().is_empty())
            })
            .unwrap_or(lead);
        let text = lines[..end]
            .iter()
            .copied()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        parts.push(SnippetPart { key: None, text });
        i = end;
    }
    let body = lines[i..].join("\n");
    if body.trim().is_empty() {
        return (!parts.is_empty()).then_some(parts);
    }
    let file = parse(&format!("package snippet\n\n{body}\n"))?;
    if file.decls.is_empty() {
        return None;
    }
    parts.extend(file.decls.into_iter().map(|d| SnippetPart {
        key: Some(d.key),
        text: d.text,
    }));
    Some(parts)
}

/// The import specs a snippet (or a whole file) writes out.
pub fn snippet_imports(content: &str) -> Vec<String> {
    let body = if content.lines().any(|l| l.starts_with("package ")) {
        content.to_string()
    } else {
        format!("package snippet\n\n{content}\n")
    };
    parse(&body).map(|f| f.imports).unwrap_or_default()
}

/// A whole Go file split like a snippet: its package doc comment (when it
/// has one) and its declarations. For a path-less block whose package has
/// several files: each declaration can still go to the file that has it.
pub fn split_file(content: &str) -> Option<Vec<SnippetPart>> {
    let file = parse(content)?;
    let doc: Vec<&str> = file
        .package
        .lines()
        .filter(|l| l.starts_with("//") && !l.starts_with("//go:build"))
        .collect();
    let mut parts = Vec::new();
    if doc.first().is_some_and(|l| {
        l.trim_start_matches('/')
            .trim_start()
            .starts_with("Package ")
    }) {
        parts.push(SnippetPart {
            key: None,
            text: doc.join("\n"),
        });
    }
    parts.extend(file.decls.into_iter().map(|d| SnippetPart {
        key: Some(d.key),
        text: d.text,
    }));
    (!parts.is_empty()).then_some(parts)
}

/// Render snippet parts (with the imports they need) as one block that
/// [`split_snippet`] and [`snippet_imports`] read back.
pub fn render_snippet(imports: &[String], parts: &[&SnippetPart]) -> String {
    let mut out = String::new();
    // The package doc first: split_snippet reads it only at the top.
    for p in parts.iter().filter(|p| p.key.is_none()) {
        out.push_str(&p.text);
        out.push_str("\n\n");
    }
    if !imports.is_empty() {
        out.push_str("import (\n");
        for i in imports {
            out.push_str(&format!("\t{i}\n"));
        }
        out.push_str(")\n\n");
    }
    for p in parts.iter().filter(|p| p.key.is_some()) {
        out.push_str(&p.text);
        out.push_str("\n\n");
    }
    out
}

/// The keys of a Go file's top-level declarations (empty when it cannot be
/// split).
pub fn decl_keys(src: &str) -> Vec<String> {
    parse(src)
        .map(|f| f.decls.into_iter().map(|d| d.key).collect())
        .unwrap_or_default()
}

/// A function or method whose body is only a placeholder (`// ...`, `...`,
/// comments, nothing): the model gave the signature to show a new doc
/// comment, not new code.
fn placeholder_body(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    let Some(head) = lines.iter().position(|l| is_decl_start(l)) else {
        return false;
    };
    if !lines[head].starts_with("func ") {
        return false;
    }
    let Some(open) = (head..lines.len()).find(|&j| lines[j].trim_end().ends_with('{')) else {
        let l = lines[head].trim_end();
        return match (l.rfind('{'), l.ends_with('}')) {
            // `func F() { ... }` on one line.
            (Some(b), true) => {
                let inner = l[b + 1..l.len() - 1].trim();
                inner == "..." || inner == "…" || inner.starts_with("//") || inner.starts_with("/*")
            }
            // `func F()` alone, no body at all.
            (None, _) => lines.len() == head + 1,
            _ => false,
        };
    };
    let inner = &lines[open + 1..];
    let inner = match inner.last() {
        Some(l) if l.trim() == "}" => &inner[..inner.len() - 1],
        _ => return false,
    };
    inner.iter().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with("//") || t == "..." || t == "…"
    })
}

/// The doc comment lines at the top of a declaration's text, and the rest.
fn doc_and_rest(text: &str) -> (Vec<&str>, Vec<&str>) {
    let lines: Vec<&str> = text.lines().collect();
    let k = lines
        .iter()
        .position(|l| !l.starts_with("//"))
        .unwrap_or(lines.len());
    (lines[..k].to_vec(), lines[k..].to_vec())
}

/// Apply snippet parts to Go source `current`: a declaration the file has
/// is replaced (or, when the snippet's body is a placeholder, only its doc
/// comment is); a new one is added at the end; a package doc comment
/// replaces the file's; `imports` missing from the file are added.
/// Returns the new content and one note per part.
pub fn apply_snippet(
    current: &str,
    parts: &[SnippetPart],
    imports: &[String],
) -> Result<(String, Vec<String>), String> {
    let mut file = parse(current)
        .ok_or_else(|| "the current file cannot be split into declarations".to_string())?;
    let mut notes = Vec::new();
    // Imports the snippet brings: added when missing (unused ones are
    // removed by the mechanical fixes before verification).
    for i in imports {
        if !file.imports.contains(i) {
            file.imports.push(i.clone());
        }
    }
    for p in parts {
        match &p.key {
            None => {
                let clause = file.package.lines().last().unwrap_or_default().to_string();
                let kept: Vec<&str> = file
                    .package
                    .lines()
                    .filter(|l| l.starts_with("//go:build") || l.starts_with("// +build"))
                    .collect();
                let mut pkg = kept.join("\n");
                if !pkg.is_empty() {
                    pkg.push_str("\n\n");
                }
                pkg.push_str(&format!("{}\n{clause}", p.text));
                file.package = pkg;
                notes.push("package doc comment".to_string());
            }
            Some(key) => match file.decls.iter_mut().find(|d| &d.key == key) {
                Some(old) if placeholder_body(&p.text) => {
                    let (doc, _) = doc_and_rest(&p.text);
                    let (_, rest) = doc_and_rest(&old.text);
                    if !doc.is_empty() {
                        old.text = format!("{}\n{}", doc.join("\n"), rest.join("\n"));
                        notes.push(format!("{key}: doc comment"));
                    }
                }
                Some(old) => {
                    let (doc, rest) = doc_and_rest(&p.text);
                    // A snippet without a doc comment keeps the old one.
                    let (old_doc, _) = doc_and_rest(&old.text);
                    let doc = if doc.is_empty() { old_doc } else { doc };
                    old.text = doc
                        .iter()
                        .chain(rest.iter())
                        .copied()
                        .collect::<Vec<_>>()
                        .join("\n");
                    notes.push(format!("{key}: replaced"));
                }
                None if placeholder_body(&p.text) => {
                    return Err(format!(
                        "`{key}` is not in the file, and the block gives no body for it: write it in full"
                    ));
                }
                None => {
                    let name = key
                        .rsplit(['.', ' ', '('])
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    file.decls.push(Decl {
                        key: key.clone(),
                        name,
                        text: p.text.clone(),
                    });
                    notes.push(format!("{key}: added"));
                }
            },
        }
    }
    // The header is written anew (imports as one block), as
    // [`merge_whole_file`] does; the mechanical fixes format it.
    let mut out = format!("{}\n", file.package);
    if !file.imports.is_empty() {
        out.push_str("\nimport (\n");
        for s in &file.imports {
            out.push_str(&format!("\t{s}\n"));
        }
        out.push_str(")\n");
    }
    for d in &file.decls {
        out.push('\n');
        out.push_str(&d.text);
        out.push('\n');
    }
    Ok((out, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_line_doc_comment_of_the_first_declaration_stays_whole() {
        let old = "package s\n\n// A does a.\n// It is old.\nfunc A() {}\n";
        let m = merge_whole_file(old, "package s\n\nfunc B() {}\n", &never).expect("merged");
        assert!(
            m.content
                .contains("// A does a.\n// It is old.\nfunc A() {}"),
            "{}",
            m.content
        );
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
        let new =
            "package s\n\n// Reverse reverses s.\nfunc Reverse(s string) string {\n\treturn s\n}\n";
        let m = merge_whole_file(OLD, new, &never).expect("merged");
        assert_eq!(
            m.kept,
            ["func Capitalize", "func IsUpper", "type T", "func T.N"]
        );
        assert!(m.content.starts_with("// Package s has helpers.\npackage s\n\nimport (\n\t\"strings\"\n\t\"unicode\"\n)\n"), "{}", m.content);
        for d in [
            "// Capitalize upper-cases",
            "func IsUpper",
            "type T struct",
            "func (t *T) N()",
            "// Reverse reverses s.\nfunc Reverse",
        ] {
            assert!(m.content.contains(d), "{d} in\n{}", m.content);
        }
        assert!(
            m.content.find("func (t *T) N()").unwrap() < m.content.find("func Reverse").unwrap(),
            "new code after the old"
        );
    }

    #[test]
    fn a_changed_declaration_replaces_the_old_one_in_place() {
        let new = "package s\n\nimport \"strings\"\n\nfunc Capitalize(s string) string {\n\treturn strings.Title(s)\n}\n";
        let m = merge_whole_file(OLD, new, &never).expect("merged");
        assert_eq!(m.content.matches("func Capitalize").count(), 1);
        assert!(m.content.contains("strings.Title") && !m.content.contains("ToUpper(s[:1])"));
        assert!(
            m.content.contains("\t\"unicode\"\n"),
            "kept code's import kept: {}",
            m.content
        );
    }

    #[test]
    fn a_complete_reply_stands_and_named_declarations_may_go() {
        assert_eq!(merge_whole_file(OLD, OLD, &never), None);
        let new = OLD.replace("// IsUpper reports whether r is upper case.\nfunc IsUpper(r rune) bool { return unicode.IsUpper(r) }\n", "");
        assert_eq!(
            merge_whole_file(OLD, &new, &|_, name| name == "IsUpper"),
            None,
            "the task named it"
        );
        let m = merge_whole_file(OLD, &new, &never).expect("merged");
        assert_eq!(m.kept, ["func IsUpper"]);
    }

    #[test]
    fn files_it_cannot_split_are_left_alone() {
        assert_eq!(merge_whole_file("not go", "package s\n", &never), None);
        assert_eq!(
            merge_whole_file(OLD, "package other\n\nfunc X() {}\n", &never),
            None,
            "another package"
        );
        assert_eq!(merge_whole_file(OLD, "package s\n\nx := 1\n", &never), None);
    }

    #[test]
    fn a_snippet_is_split_into_its_declarations_and_package_doc() {
        let parts =
            split_snippet("// Package s does things.\n\n// A is new.\nfunc A() {}\n\ntype T int\n")
                .expect("a snippet");
        let keys: Vec<Option<&str>> = parts.iter().map(|p| p.key.as_deref()).collect();
        assert_eq!(keys, [None, Some("func A"), Some("type T")]);
        assert_eq!(parts[1].text, "// A is new.\nfunc A() {}");
        // Indented as a whole inside a list item.
        let parts =
            split_snippet("   func (t *T) N() int {\n       return 1\n   }\n").expect("indented");
        assert_eq!(parts[0].key.as_deref(), Some("func T.N"));
        assert!(parts[0].text.starts_with("func (t *T)"));
        // Whole files, statements and imports are not snippets.
        assert_eq!(split_snippet("package s\n\nfunc A() {}\n"), None);
        assert_eq!(split_snippet("x := 1\nfmt.Println(x)\n"), None);
        // A snippet may bring its imports.
        let with_import = "import \"fmt\"\n\nfunc A() { fmt.Println() }\n";
        assert_eq!(split_snippet(with_import).map(|p| p.len()), Some(1));
        assert_eq!(snippet_imports(with_import), ["\"fmt\""]);
        let parts = split_snippet(with_import).unwrap();
        let back = render_snippet(
            &snippet_imports(with_import),
            &parts.iter().collect::<Vec<_>>(),
        );
        assert_eq!(
            (split_snippet(&back), snippet_imports(&back)),
            (Some(parts), vec!["\"fmt\"".to_string()])
        );
        // A whole file splits into its package doc and declarations.
        let f =
            split_file("// Package s is s.\npackage s\n\nimport \"fmt\"\n\nfunc A() {}\n").unwrap();
        assert_eq!(
            f.iter().map(|p| p.key.as_deref()).collect::<Vec<_>>(),
            [None, Some("func A")]
        );
        assert_eq!(f[0].text, "// Package s is s.");
        assert_eq!(split_file("package s\n"), None);
        assert_eq!(split_snippet(""), None);
    }

    #[test]
    fn a_snippet_with_placeholder_bodies_changes_only_doc_comments() {
        let parts = split_snippet(
            "// Package s has string helpers.\n\n// Capitalize makes the first letter upper case.\nfunc Capitalize(s string) string {\n\t// ...\n}\n\n// N is n.\nfunc (t *T) N() int { ... }\n",
        )
        .unwrap();
        let (out, notes) = apply_snippet(OLD, &parts, &[]).expect("applied");
        assert_eq!(
            notes,
            [
                "package doc comment",
                "func Capitalize: doc comment",
                "func T.N: doc comment"
            ]
        );
        assert!(
            out.contains("// N is n.\nfunc (t *T) N() int { return t.n }"),
            "{out}"
        );
        assert!(
            out.starts_with("// Package s has string helpers.\npackage s\n"),
            "{out}"
        );
        assert!(out.contains("// Capitalize makes the first letter upper case.\nfunc Capitalize(s string) string {\n\treturn strings.ToUpper(s[:1]) + s[1:]\n}"), "{out}");
        assert!(
            !out.contains("upper-cases the first letter"),
            "the old doc is replaced: {out}"
        );
        for d in ["// IsUpper reports", "type T struct", "\t\"unicode\"\n"] {
            assert!(out.contains(d), "{d} kept in\n{out}");
        }
    }

    #[test]
    fn a_snippet_replaces_or_adds_whole_declarations() {
        let parts = split_snippet("func IsUpper(r rune) bool {\n\treturn r >= 'A' && r <= 'Z'\n}\n\n// Lower lowers.\nfunc Lower(s string) string { return s }\n").unwrap();
        let (out, notes) = apply_snippet(
            OLD,
            &parts,
            &["\"math\"".to_string(), "\"strings\"".to_string()],
        )
        .expect("applied");
        assert_eq!(notes, ["func IsUpper: replaced", "func Lower: added"]);
        assert!(
            out.contains("import (\n\t\"strings\"\n\t\"unicode\"\n\t\"math\"\n)"),
            "only the missing import added: {out}"
        );
        assert!(out.contains("// IsUpper reports whether r is upper case.\nfunc IsUpper(r rune) bool {\n\treturn r >= 'A'"), "old doc kept: {out}");
        assert!(
            out.trim_end()
                .ends_with("// Lower lowers.\nfunc Lower(s string) string { return s }"),
            "{out}"
        );
        assert_eq!(out.matches("func IsUpper").count(), 1);
        // A placeholder for a declaration the file lacks adds nothing.
        let e = apply_snippet(
            OLD,
            &split_snippet("func Gone() {\n\t// ...\n}\n").unwrap(),
            &[],
        )
        .unwrap_err();
        assert!(e.contains("`func Gone` is not in the file"), "{e}");
        assert!(apply_snippet("not go", &parts, &[]).is_err());
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

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(a in "\\PC{0,300}", b in "\\PC{0,300}") {
            let _ = (split_snippet(&a), split_file(&a), snippet_imports(&a), decl_keys(&a));
            let _ = crate::structured::complete_blocks(&a);
            if let Some(parts) = split_snippet(&b) {
                let _ = apply_snippet(&a, &parts, &snippet_imports(&b));
                let _ = apply_snippet(OLD, &parts, &[]);
            }
        }

        #[test]
        fn doc_only_snippets_change_doc_comments_and_nothing_else(
            bodies in prop::collection::vec("[a-z]{1,8}", 1..6),
            pick in prop::collection::vec(any::<bool>(), 6),
            placeholder in prop::sample::select(vec!["\t// ...", "\t// ... existing code ...", "\t...", ""]),
        ) {
            let mut file = String::from("package p\n\nimport \"fmt\"\n");
            let mut snippet = String::new();
            for (i, b) in bodies.iter().enumerate() {
                file.push_str(&format!("\n// F{i} is old.\nfunc F{i}() {{\n\tfmt.Println(\"{b}\")\n}}\n"));
                if pick[i] {
                    snippet.push_str(&format!("// F{i} is new.\nfunc F{i}() {{\n{placeholder}\n}}\n\n"));
                }
            }
            prop_assume!(!snippet.is_empty());
            let parts = split_snippet(&snippet).ok_or_else(|| TestCaseError::fail("not a snippet"))?;
            let (out, _) = apply_snippet(&file, &parts, &[]).map_err(TestCaseError::fail)?;
            // Code lines, with the import block's layout set aside.
            let code = |s: &str| {
                s.lines()
                    .filter(|l| !l.starts_with("//") && !l.trim().is_empty() && !l.starts_with("import") && *l != ")" && !l.trim().starts_with('"'))
                    .map(|l| l.trim())
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            prop_assert_eq!(code(&out), code(&file));
            for (i, _) in bodies.iter().enumerate() {
                let want = if pick[i] { format!("// F{i} is new.\nfunc F{i}()") } else { format!("// F{i} is old.\nfunc F{i}()") };
                prop_assert!(out.contains(&want), "{} in\n{}", want, out);
            }
        }
    }
}
