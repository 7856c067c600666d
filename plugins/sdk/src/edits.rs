//! Plain-text edit formats: how code travels from a model to the host.
//!
//! Models write better code as plain text than inside JSON strings (aider's
//! 2024 measurement "LLMs are bad at returning code in JSON" found this for
//! every model it tried; on Qwen2.5-Coder-1.5B our JSON replies came back
//! with broken quoting and lost braces). A reply therefore names each file
//! on a line of its own and gives it in a fenced code block, either
//!
//! - **whole**: the complete new content of the file, or
//! - **search/replace**: one or more blocks
//!   `<<<<<<< SEARCH` / exact old lines / `=======` / new lines / `>>>>>>> REPLACE`, or
//! - **declarations**: a Go block without a package clause that holds only
//!   top-level declarations; each replaces the file's declaration of the
//!   same name (only its doc comment when the body is a `// ...`
//!   placeholder) or is added ([`crate::gomerge::apply_snippet`]). The
//!   prompt never asks for it; small models write it anyway.
//!
//! The fence grammar is the structure: prose outside fences is the reply's
//! summary and is never parsed for control markers. The parser is tolerant
//! of how models decorate the path line (bold, backticks, a heading, a
//! `File:` prefix, the path in the fence's info string or as a first-line
//! comment) and strict about everything that would change the code: an
//! unterminated fence, a block without a path, a diff where a file was
//! asked for, or a Go file without a package clause is an error whose text
//! is shown to the model on its one retry.

use std::fmt;

/// One edit as parsed from a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextEdit {
    /// The file's complete new content (ends with one newline).
    Whole { path: String, content: String },
    /// Replace `search` (lines copied from the file) by `replace`. An empty
    /// `search` adds `replace` at the end of the file (creating it).
    SearchReplace {
        path: String,
        search: String,
        replace: String,
    },
    /// Top-level declarations without a package clause (a Go block that
    /// gives only the functions it adds or changes): each replaces the
    /// file's declaration of the same name, or is added at its end
    /// ([`crate::gomerge::apply_snippet`]).
    Decls { path: String, content: String },
}

impl TextEdit {
    pub fn path(&self) -> &str {
        match self {
            TextEdit::Whole { path, .. }
            | TextEdit::SearchReplace { path, .. }
            | TextEdit::Decls { path, .. } => path,
        }
    }
}

/// A parsed reply: the prose outside the blocks and the edits in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextReply {
    pub summary: String,
    pub edits: Vec<TextEdit>,
    /// Code blocks no path named, with their 1-based line: the caller may
    /// know where they belong ([`unnamed_error`] otherwise).
    pub unnamed: Vec<(usize, String)>,
}

/// The error for a code block whose file could not be told.
pub fn unnamed_error(line: usize) -> FormatError {
    err(
        line,
        "this code block has no file path: write the file's path on the line just before the opening ```",
    )
}

/// A reply that is not in the edit format, with the line it went wrong on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// 1-based line of the reply, 0 for the reply as a whole.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {} of your reply: {}", self.line, self.message)
        }
    }
}

fn err(line: usize, message: impl Into<String>) -> FormatError {
    FormatError {
        line,
        message: message.into(),
    }
}

/// A prose line right before a block that names exactly one file in
/// backticks ("Changes to `a/b.go`:", "The file `a/b.go` becomes:").
fn path_in_prose(line: &str) -> Option<String> {
    let mut found: Option<String> = None;
    for (k, part) in line.split('`').enumerate() {
        if k % 2 == 1
            && let Some(p) = path_of_line(part).filter(|p| p.contains('/') || p.contains('.'))
        {
            if found.as_ref().is_some_and(|f| *f != p) {
                return None;
            }
            found = Some(p);
        }
    }
    found
}

/// A fence opening line: its character, length and info string.
fn fence_open(line: &str) -> Option<(char, usize, &str)> {
    let t = line.trim_start();
    // Indented by 4+ spaces is code, not a fence (CommonMark), but models
    // indent fences inside list items: accept up to 3 spaces or any tabs.
    if line.len() - t.len() > 3 && !line.starts_with('\t') {
        return None;
    }
    let c = t.chars().next()?;
    if c != '`' && c != '~' {
        return None;
    }
    let n = t.chars().take_while(|&x| x == c).count();
    if n < 3 {
        return None;
    }
    let info = t[n..].trim();
    // A backtick fence's info string cannot contain backticks (CommonMark);
    // "```go```" on one line is no fence.
    if c == '`' && info.contains('`') {
        return None;
    }
    Some((c, n, info))
}

fn is_fence_close(line: &str, c: char, n: usize) -> bool {
    let t = line.trim();
    let run = t.chars().take_while(|&x| x == c).count();
    // A model that mimics the prompt's own `~~~ DATA ...` fences closes
    // them the same way: `~~~ END DATA ...`.
    run >= n
        && (run == t.chars().count() || (c == '~' && t[run..].trim_start().starts_with("END DATA")))
}

/// The path a line names, when the whole line is a path (with the
/// decorations models put around it).
fn path_of_line(line: &str) -> Option<String> {
    let mut t = line.trim();
    for p in ["#", "*", "`", "'", "\""] {
        t = t.trim_start_matches(p).trim_start();
    }
    let lower = t.to_ascii_lowercase();
    for prefix in ["file:", "filename:", "path:", "file "] {
        if lower.starts_with(prefix) {
            t = t[prefix.len()..].trim_start();
            break;
        }
    }
    for p in ["*", "`", "'", "\""] {
        t = t.trim_start_matches(p);
    }
    let t = t
        .trim_end()
        .trim_end_matches([':', '*', '`', '\'', '"'])
        .trim_end();
    looks_like_path(t).then(|| t.trim_start_matches("./").to_string())
}

/// A repository-relative file path: no spaces, a file name with an
/// extension (or a well-known extensionless name), path characters only.
fn looks_like_path(t: &str) -> bool {
    if t.is_empty() || t.len() > 400 || t.starts_with('/') || t.contains("//") {
        return false;
    }
    if !t
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '/' | '_' | '-' | '+' | '@'))
    {
        return false;
    }
    let name = t.rsplit('/').next().unwrap_or(t);
    if t.split('/').any(|s| s == ".." || s.is_empty()) {
        return false;
    }
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return matches!(name, "Makefile" | "Dockerfile" | "LICENSE");
    };
    // A bare word with a dot ("fmt.Println", "v1.2") is a path only with an
    // extension files have; with a directory part any extension will do.
    const EXTS: &[&str] = &[
        "go", "mod", "sum", "work", "md", "txt", "json", "yaml", "yml", "toml", "sh", "s", "c",
        "h", "proto", "tmpl", "html", "css", "js", "sql", "csv", "xml", "cfg", "ini", "golden",
        "in", "out",
    ];
    !ext.is_empty()
        && ext.chars().all(|c| c.is_ascii_alphanumeric())
        && (!stem.is_empty() || name == ".gitignore")
        && (t.contains('/') || EXTS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// A path in a fence's info string: "go path/x.go", "go:path/x.go",
/// "path/x.go", "go title=path/x.go".
fn path_of_info(info: &str) -> Option<String> {
    for word in info.split(|c: char| c.is_whitespace()) {
        let w = word
            .trim_start_matches("title=")
            .trim_start_matches("file=")
            .trim_start_matches("path=");
        let w = w.trim_matches(['"', '\'']);
        let w = w
            .split_once(':')
            .map(|(lang, p)| if lang.contains('.') { w } else { p })
            .unwrap_or(w);
        if let Some(p) = path_of_line(w).filter(|p| p.contains('.') || p.contains('/')) {
            // "go" alone or "golang" is a language, never a path.
            if p.contains('.') {
                return Some(p);
            }
        }
    }
    None
}

/// A first line of a block that only names the file: `// path/x.go` or
/// `// File: path/x.go`.
fn path_of_comment(line: &str) -> Option<String> {
    let t = line.trim();
    let rest = t.strip_prefix("//").or_else(|| t.strip_prefix('#'))?;
    path_of_line(rest)
}

fn is_search(l: &str) -> bool {
    let t = l.trim();
    let n = t.chars().take_while(|&c| c == '<').count();
    (5..=9).contains(&n) && t[n..].trim().eq_ignore_ascii_case("SEARCH")
}
fn is_divider(l: &str) -> bool {
    let t = l.trim();
    (5..=9).contains(&t.len()) && t.chars().all(|c| c == '=')
}
fn is_replace(l: &str) -> bool {
    let t = l.trim();
    let n = t.chars().take_while(|&c| c == '>').count();
    (5..=9).contains(&n) && t[n..].trim().eq_ignore_ascii_case("REPLACE")
}

fn join(lines: &[&str]) -> String {
    let mut s = lines.join("\n");
    if !lines.is_empty() {
        s.push('\n');
    }
    s
}

/// Parse search/replace blocks from `lines` (1-based line numbers start at
/// `first`). Text between blocks must be blank.
fn parse_search_replace(
    path: &str,
    lines: &[&str],
    first: usize,
) -> Result<Vec<TextEdit>, FormatError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            i += 1;
            continue;
        }
        if !is_search(lines[i]) {
            return Err(err(
                first + i,
                format!(
                    "expected `<<<<<<< SEARCH` in the block of {path}, found `{}`",
                    clip(lines[i])
                ),
            ));
        }
        let start = i + 1;
        let Some(div) = (start..lines.len()).find(|&j| is_divider(lines[j])) else {
            return Err(err(
                first + i,
                format!("the SEARCH block of {path} has no `=======` line"),
            ));
        };
        let Some(end) = (div + 1..lines.len()).find(|&j| is_replace(lines[j])) else {
            return Err(err(
                first + div,
                format!("the SEARCH block of {path} has no `>>>>>>> REPLACE` line"),
            ));
        };
        if let Some(j) = (start..div)
            .chain(div + 1..end)
            .find(|&j| is_search(lines[j]) || is_divider(lines[j]))
        {
            return Err(err(
                first + j,
                format!("a SEARCH/REPLACE block of {path} is not closed before the next marker"),
            ));
        }
        out.push(TextEdit::SearchReplace {
            path: path.to_string(),
            search: join(&lines[start..div]),
            replace: join(&lines[div + 1..end]),
        });
        i = end + 1;
    }
    Ok(out)
}

fn clip(s: &str) -> String {
    let t = s.trim();
    if t.chars().count() > 60 {
        format!("{}…", t.chars().take(60).collect::<String>())
    } else {
        t.to_string()
    }
}

/// Lines that stand for code left out ("// ... rest unchanged"): a whole
/// file with such a line would delete that code.
fn elision(content: &str) -> Option<&str> {
    content.lines().find(|l| {
        let t = l.trim().to_ascii_lowercase();
        let comment = t.starts_with("//") || t.starts_with("/*");
        comment
            && (t.contains("...") || t.contains('…'))
            && [
                "existing",
                "unchanged",
                "rest of",
                "remains",
                "same as",
                "other",
                "previous",
            ]
            .iter()
            .any(|w| t.contains(w))
    })
}

/// Checks a whole-file block can stand for the file: Go files need a
/// package clause (prose or a diff written as a file's content fails here).
fn check_whole(path: &str, content: &str, line: usize) -> Result<(), FormatError> {
    if let Some(l) = elision(content) {
        return Err(err(
            line,
            format!(
                "the block of {path} leaves code out (`{}`); write the complete file, or use SEARCH/REPLACE blocks",
                clip(l)
            ),
        ));
    }
    if path.ends_with(".go") {
        let has_package = content.lines().any(|l| {
            let t = l.trim_start();
            t.starts_with("package ")
                && t[8..]
                    .trim()
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .is_some_and(|n| !n.is_empty())
        });
        if !has_package {
            if content
                .lines()
                .any(|l| l.starts_with("--- ") || l.starts_with("+++ ") || l.starts_with("@@ "))
            {
                return Err(err(
                    line,
                    format!(
                        "the block of {path} is a diff; give the complete file or SEARCH/REPLACE blocks"
                    ),
                ));
            }
            return Err(err(
                line,
                format!(
                    "the block of {path} is not a Go file (no `package` clause); give the complete file"
                ),
            ));
        }
    }
    Ok(())
}

/// Parse a reply in the plain-text edit format.
///
/// Every fenced block should belong to a file: its path on the nearest
/// non-blank line before the fence (decorated as models write it), in the
/// fence's info string, or as the block's first-line comment; blocks without
/// one are returned apart (`unnamed`) for the caller to place. A fence whose
/// language is a shell or prose (`bash`, `sh`, `text`, `console`, `output`)
/// and that no path names is an example, not an edit, and is skipped.
/// Search/replace blocks may also stand without a fence right after the
/// path line.
pub fn parse_text_edits(reply: &str) -> Result<TextReply, FormatError> {
    let lines: Vec<&str> = reply.lines().collect();
    let mut edits: Vec<TextEdit> = Vec::new();
    let mut unnamed: Vec<(usize, String)> = Vec::new();
    let mut summary: Vec<&str> = Vec::new();
    // The nearest non-blank line before a fence, if it named a path.
    let mut pending: Option<String> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some((c, n, info)) = fence_open(line) {
            let close = (i + 1..lines.len()).find(|&j| is_fence_close(lines[j], c, n));
            let Some(close) = close else {
                return Err(err(
                    i + 1,
                    "this code block is never closed (no closing ``` line); the reply may have been cut off",
                ));
            };
            // A block inside a list item is indented with its fence: the
            // content loses that indentation (CommonMark).
            let indent = line.len() - line.trim_start().len();
            let dedented: Vec<&str> = lines[i + 1..close]
                .iter()
                .map(|l| {
                    let k = l.len() - l.trim_start_matches(' ').len();
                    &l[k.min(indent)..]
                })
                .collect();
            let mut body: &[&str] = &dedented;
            // A block that only lists file names is prose, not a file.
            if !body.is_empty()
                && body
                    .iter()
                    .all(|l| l.trim().is_empty() || path_of_line(l).is_some())
            {
                pending = None;
                i = close + 1;
                continue;
            }
            let mut path = path_of_info(info).or_else(|| pending.take());
            if let Some(first) = body.first().and_then(|l| path_of_comment(l))
                && (path.is_none() || path.as_deref() == Some(first.as_str()))
            {
                path = Some(first);
                body = &body[1..];
            }
            pending = None;
            let lang = info
                .split(|c: char| c.is_whitespace() || c == ':')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            match path {
                None if matches!(
                    lang.as_str(),
                    "bash" | "sh" | "shell" | "console" | "text" | "output" | "txt"
                ) => {}
                None => {
                    if body.iter().any(|l| is_search(l)) {
                        return Err(unnamed_error(i + 1));
                    }
                    unnamed.push((i + 1, join(body)));
                }
                Some(path) => {
                    if body.iter().any(|l| is_search(l)) {
                        edits.extend(parse_search_replace(&path, body, i + 2)?);
                    } else if lang == "diff" || lang == "patch" {
                        return Err(err(
                            i + 1,
                            format!(
                                "the block of {path} is a diff; give the complete file or SEARCH/REPLACE blocks"
                            ),
                        ));
                    } else {
                        let content = join(body);
                        if path.ends_with(".go")
                            && crate::gomerge::split_snippet(&content).is_some()
                        {
                            edits.push(TextEdit::Decls { path, content });
                        } else {
                            check_whole(&path, &content, i + 1)?;
                            edits.push(TextEdit::Whole { path, content });
                        }
                    }
                }
            }
            i = close + 1;
            continue;
        }
        if is_search(line) {
            // Search/replace without a fence, right after its path line.
            let Some(path) = pending.take() else {
                return Err(err(
                    i + 1,
                    "this SEARCH block has no file path: write the path on the line before it",
                ));
            };
            let end = (i..lines.len())
                .find(|&j| is_replace(lines[j]))
                .map(|j| j + 1)
                .unwrap_or(lines.len());
            // Consecutive unfenced blocks of the same file.
            let mut stop = end;
            while let Some(next) = (stop..lines.len()).find(|&j| !lines[j].trim().is_empty()) {
                if !is_search(lines[next]) {
                    break;
                }
                stop = (next..lines.len())
                    .find(|&j| is_replace(lines[j]))
                    .map(|j| j + 1)
                    .unwrap_or(lines.len());
            }
            edits.extend(parse_search_replace(&path, &lines[i..stop], i + 1)?);
            pending = Some(path);
            i = stop;
            continue;
        }
        if !line.trim().is_empty() {
            match path_of_line(line).or_else(|| path_in_prose(line)) {
                Some(p) => {
                    pending = Some(p);
                    if path_of_line(line).is_none() {
                        summary.push(line.trim());
                    }
                }
                None => {
                    pending = None;
                    summary.push(line.trim());
                }
            }
        }
        i += 1;
    }
    if edits.is_empty() && unnamed.is_empty() {
        return Err(err(
            0,
            "the reply contains no file: give each file's path on a line of its own, then the file in a fenced code block",
        ));
    }
    Ok(TextReply {
        summary: summary.join(" "),
        edits,
        unnamed,
    })
}

/// Where a search text matches a file, with the file's exact text there.
///
/// Tried in order, each only when the previous found nothing: an exact
/// match; a match ignoring trailing whitespace per line; a match ignoring
/// each line's indentation (the replacement is then re-indented by the
/// difference, as models often drop or add one level). The match must be
/// unique at the first level that finds any.
pub fn resolve_search(file: &str, search: &str, replace: &str) -> Result<(String, String), String> {
    if search.trim().is_empty() {
        return Err("the SEARCH part is empty".into());
    }
    match file.matches(search).count() {
        1 => return Ok((search.to_string(), replace.to_string())),
        n if n > 1 => {
            return Err(format!(
                "the SEARCH text occurs {n} times; include more lines so it occurs once"
            ));
        }
        _ => {}
    }
    let flines: Vec<&str> = file.lines().collect();
    let slines: Vec<&str> = search.lines().collect();
    // Blank lines at either end of the search text carry no anchor.
    let s0 = slines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(0);
    let s1 = slines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map(|x| x + 1)
        .unwrap_or(slines.len());
    let slines = &slines[s0..s1];
    if slines.is_empty() || slines.len() > flines.len() {
        return Err("the SEARCH text is not in the file".into());
    }
    type Eq = fn(&str, &str) -> bool;
    let levels: [Eq; 2] = [
        |a, b| a.trim_end() == b.trim_end(),
        |a, b| a.trim() == b.trim(),
    ];
    for (level, eq) in levels.iter().enumerate() {
        let hits: Vec<usize> = (0..=flines.len() - slines.len())
            .filter(|&k| slines.iter().enumerate().all(|(j, s)| eq(flines[k + j], s)))
            .collect();
        match hits.len() {
            0 => continue,
            1 => {
                let k = hits[0];
                let old = join(&flines[k..k + slines.len()]);
                let new = if level == 0 {
                    replace.to_string()
                } else {
                    reindent(replace, slines[0], flines[k])
                };
                // `old` ends with a newline; the file's last line may not.
                let old = if file.contains(&old) {
                    old
                } else {
                    old.trim_end_matches('\n').to_string()
                };
                let new = if old.ends_with('\n') || new.is_empty() {
                    new
                } else {
                    new.trim_end_matches('\n').to_string()
                };
                return Ok((old, new));
            }
            n => {
                return Err(format!(
                    "the SEARCH text matches {n} places; include more lines so it matches once"
                ));
            }
        }
    }
    Err("the SEARCH text is not in the file: copy the lines exactly as the file has them".into())
}

fn indent_of(l: &str) -> &str {
    &l[..l.len() - l.trim_start().len()]
}

/// Shift `text`'s indentation from `from`'s indent to `to`'s.
fn reindent(text: &str, from: &str, to: &str) -> String {
    let (fi, ti) = (indent_of(from), indent_of(to));
    if fi == ti {
        return text.to_string();
    }
    let mut out = String::new();
    for l in text.lines() {
        if l.trim().is_empty() {
            out.push('\n');
            continue;
        }
        let body = l
            .strip_prefix(fi)
            .unwrap_or_else(|| l.trim_start_matches([' ', '\t']));
        out.push_str(ti);
        out.push_str(body);
        out.push('\n');
    }
    out
}

/// `existing` followed by `addition`, separated by one blank line.
pub fn appended(existing: &str, addition: &str) -> String {
    let mut out = existing.trim_end_matches('\n').to_string();
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(addition.trim_start_matches('\n'));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
