//! The Implementer: turns the design (and review findings, and verification
//! failures) into concrete file edits, proposed through the host.

use coop_plugin_sdk::bindings::Guest;
use coop_plugin_sdk::bindings::coop::mob::edits;
use coop_plugin_sdk::edits::{
    TextEdit, TextReply, appended, parse_text_edits, resolve_search, unnamed_error,
};
use coop_plugin_sdk::gomerge::{self, merge_whole_file};
use coop_plugin_sdk::structured::{Msg, parse_as};
use coop_plugin_sdk::types::{
    EditOutcome, FileEdit, Handoff, Implementation, RoleFailure, RoleOutput, WriteEdit,
};
use coop_plugin_sdk::{budgeted_context, context, files_context, info, list_files, prompt};
use serde::Deserialize;

coop_plugin_sdk::embed_manifest!("manifest.json");

/// Cap on the current content of rejected files shown in the correction
/// turn (characters); the room the host's budget left lowers it further.
const REJECTED_FILES_BUDGET: usize = 16_000;
// Whole files travel in the reply: room for a few files of a small module.
// Lower than the plain baseline's 4096: a small model caught in a repetition
// loop runs to the limit, which costs about 5 minutes at 10 tokens/s.
const MAX_TOKENS: u32 = 3072;

/// One edit as the model writes it.
#[derive(Debug, Deserialize, PartialEq, Clone)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum EditReply {
    Write {
        path: String,
        content: String,
    },
    Replace {
        path: String,
        old: String,
        new: String,
    },
    /// Add `content` at the end of a file (created when missing). Needs no
    /// anchor text, so it is the reliable way for a model to add a new
    /// function or test to an existing file.
    Append {
        path: String,
        content: String,
    },
    Delete {
        path: String,
    },
}

/// The earlier JSON form of a reply (see [`parse_any`]).
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub summary: String,
    pub edits: Vec<EditReply>,
}

/// Files longer than this many lines are changed with SEARCH/REPLACE
/// blocks: rewriting them whole costs the model many output tokens and
/// risks dropping code it did not mean to touch.
pub const WHOLE_FILE_MAX_LINES: usize = 250;

/// The system prompt. `partial` lists existing files the model may change
/// only with SEARCH/REPLACE blocks (shown in part, or long); when it is
/// empty the prompt asks for whole files only, the format small models
/// follow best.
pub fn system_prompt(partial: &[String], example: &(String, String)) -> String {
    let (example_path, example_pkg) = example;
    let sr = if partial.is_empty() {
        String::new()
    } else {
        format!(
            "\n\nThese existing files were shown to you only in part or are long: {}. Change them only with \
SEARCH/REPLACE blocks, never as a whole file. Put the path line, then a fenced block holding one or more of:\n\
<<<<<<< SEARCH\n\
(a few whole lines copied exactly from the file, enough to occur only once)\n\
=======\n\
(the lines that replace them)\n\
>>>>>>> REPLACE\n\
An empty SEARCH part adds the REPLACE part at the end of the file.",
            partial.join(", ")
        )
    };
    format!(
        "You are the Implementer of a small team that changes a Go repository. \
You write the code for the task and design you are given, fix every blocking review finding and every verification failure, \
and keep the change as small as the task allows. Write idiomatic Go, standard library only, with doc comments on exported \
identifiers, and tests in `_test.go` files of the same package. A bug fix or a new feature comes with a test that fails on \
the code as it was and passes with your change: for a bug, the case the task reports, checked against the result the task \
says is right. Keep every existing function and test unless the task says to remove it.\n\n{}\n\n\
How to reply: for every file you create or change, write its path relative to the repository root on a line of its own \
(exactly as the files are labelled below), and under it the complete new content of that file in a fenced code block (```go). \
Write each file in full, every line of it, including the functions and tests you do not change. The path line always comes \
right before its code block. Do not write files you leave unchanged, and do not write diffs. No introduction, no plan and \
nothing after the last code block: the first line of your reply is the path of the first file. For example:\n\n\
{example_path}\n```go\npackage {example_pkg}\n\n(the whole file)\n```{sr}",
        prompt::DATA_IS_NOT_INSTRUCTIONS
    )
}

/// The host's pack without the implementer's own earlier steps. Such a
/// step holds only the prose of an earlier reply and the list of files it
/// wrote (the code itself is in the files shown), and a small model given
/// that prose writes it back instead of code: in the live set recorded on
/// 2026-12-07, 7 of the 10 runs that failed on an unusable reply had
/// echoed their own earlier summary and its `applied:` list.
pub fn without_own_steps(
    mut pack: coop_plugin_sdk::types::ContextPack,
) -> coop_plugin_sdk::types::ContextPack {
    pack.recent
        .retain(|s| s.role != coop_plugin_sdk::types::Role::Implementer);
    pack
}

/// The user turn's last line. On a revision (verification output or
/// review findings in the handoff) it says that the files shown already
/// hold the earlier change, so the reply is code, not a report of it.
///
/// A try that starts over (the host discarded the failing change: the
/// handoff has its verification but no current diff) is asked for the
/// change again, from the files as they were.
pub fn closing_request(h: &Handoff, partial: &[String]) -> &'static str {
    if h.verification.is_some() && h.diff.is_none() && h.findings.is_empty() {
        return "The earlier try was discarded: the files above are as they were before it. Write the change for the \
                task above again, in the format described, and avoid what made the earlier try fail.";
    }
    match (
        h.verification.is_some() || !h.findings.is_empty(),
        partial.is_empty(),
    ) {
        (false, _) => "Write the change for the task above, in the format described.",
        (true, true) => {
            "The files above are the current content, with the earlier change already in them. Fix what the verification \
             output and the findings above report: write every file you change again, whole, each under its path line, \
             in the format described. Do not describe the earlier change."
        }
        (true, false) => {
            "The files above are the current content, with the earlier change already in them. Fix what the verification \
             output and the findings above report: write the files you change under their path lines, in the format \
             described (SEARCH/REPLACE blocks for the files it names). Do not describe the earlier change."
        }
    }
}

/// A file the task is about, and its package, to show the reply format
/// with: the first non-test Go file in scope or shown to the model.
pub fn example_file(layout: &Layout, in_scope: &[String]) -> (String, String) {
    let shown: Vec<&str> = layout.decls.iter().map(|(p, _)| p.as_str()).collect();
    let path = in_scope
        .iter()
        .map(String::as_str)
        .chain(shown.iter().copied())
        .find(|p| p.ends_with(".go") && !p.ends_with("_test.go"))
        .unwrap_or("pkg/file.go");
    let pkg = layout
        .packages
        .iter()
        .find(|(d, _)| *d == path.rsplit_once('/').map(|(d, _)| d).unwrap_or(""))
        .map(|(_, p)| p.as_str())
        .unwrap_or("name");
    (path.to_string(), pkg.to_string())
}

/// For a reply with no file in it (a plan in prose, a path alone in a
/// fence): what a file looks like in the format, with the path of a file
/// the task is about, so the retry has a concrete pattern to follow.
pub fn no_file_hint(layout: &Layout, in_scope: &[String], partial: &[String]) -> String {
    let (path, pkg) = example_file(layout, in_scope);
    if partial.contains(&path) {
        format!(
            "Write code, not a plan. For example:\n\n{path}\n```go\n<<<<<<< SEARCH\n(lines copied from the file)\n=======\n(the new lines)\n>>>>>>> REPLACE\n```"
        )
    } else {
        format!(
            "Write code, not a plan. For example:\n\n{path}\n```go\npackage {pkg}\n\n(the whole file, with your change in it)\n```"
        )
    }
}

/// Existing files the model must change with SEARCH/REPLACE blocks: those
/// the working set shows only as declarations, and long ones.
pub fn partial_files(
    pack: &[coop_plugin_sdk::types::ContextItem],
    existing: &[String],
) -> Vec<String> {
    let mut whole: Vec<&str> = Vec::new();
    let mut partial: Vec<String> = Vec::new();
    for i in pack {
        if i.decl.is_none() && i.content.lines().count() <= WHOLE_FILE_MAX_LINES {
            whole.push(&i.path);
        }
    }
    for i in pack {
        if !whole.contains(&i.path.as_str())
            && existing.contains(&i.path)
            && !partial.contains(&i.path)
        {
            partial.push(i.path.clone());
        }
    }
    partial
}

/// One file's change as the host will receive it.
#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    Write { path: String, content: String },
    Delete { path: String },
}

/// Turn parsed text edits into one write per file: whole files as given,
/// search/replace blocks applied in order to the file's current content
/// (`read`, `None` for a file that does not exist). A file whose blocks do
/// not apply is left out and reported as `path: reason`, for the
/// correction turn.
///
/// A whole Go file that leaves out declarations the current file has is
/// merged with it ([`merge_whole_file`]): what it left out is kept unless
/// the task asks for its removal ([`task_removes`]) or another file of the
/// reply declares it. Each
/// such merge is reported in the third list.
pub fn plan_text_edits(
    edits: &[TextEdit],
    read: &mut dyn FnMut(&str) -> Option<String>,
    task: &str,
) -> (Vec<Planned>, Vec<String>, Vec<String>) {
    let mut merged_notes = Vec::new();
    let mut order: Vec<String> = Vec::new();
    let mut state: std::collections::BTreeMap<String, Result<Option<String>, String>> =
        Default::default();
    // Each file as it was before this reply: only what it already declared
    // may be dropped because the task names it.
    let mut original: std::collections::BTreeMap<String, String> = Default::default();
    for e in edits {
        let path = e.path().to_string();
        if !order.contains(&path) {
            order.push(path.clone());
            let current = read(&path);
            original.insert(path.clone(), current.clone().unwrap_or_default());
            state.insert(path.clone(), Ok(current));
        }
        let Some(slot) = state.get_mut(&path) else {
            continue;
        };
        let Ok(content) = slot else { continue };
        let next = match e {
            TextEdit::Whole { content: c, .. } if path.ends_with(".go") && content.is_some() => {
                let cur = content.as_deref().unwrap_or("");
                let before = original.get(&path).map(String::as_str).unwrap_or("");
                // Another file of the reply declares it: moved, not lost.
                // (Using it is not enough: a test file uses every function
                // it tests.)
                let elsewhere = |key: &str| {
                    edits.iter().any(|o| {
                        matches!(o, TextEdit::Whole { path: p, content } if *p != path && gomerge::decl_keys(content).iter().any(|k| k == key))
                    })
                };
                // A declaration an earlier block of this same reply added
                // (models write one file in stages, the last stage without
                // the first one's new function) is never dropped because
                // the task names it: the task asked for it.
                let may_drop = |key: &str, name: &str| {
                    (has_word(before, name) && task_removes(task, name)) || elsewhere(key)
                };
                match merge_whole_file(cur, c, &may_drop) {
                    Some(m) => {
                        merged_notes.push(format!(
                            "{path}: kept {} (the reply left them out)",
                            m.kept.join(", ")
                        ));
                        Ok(m.content)
                    }
                    None => Ok(c.clone()),
                }
            }
            TextEdit::Whole { content: c, .. } => Ok(c.clone()),
            TextEdit::Decls { content: c, .. } => match content.as_deref() {
                None => Err(format!(
                    "{path}: the file does not exist and the block has no `package` clause; give the new file whole"
                )),
                Some(cur) => {
                    let parts = gomerge::split_snippet(c).unwrap_or_default();
                    gomerge::apply_snippet(cur, &parts, &gomerge::snippet_imports(c))
                        .map(|(next, notes)| {
                            merged_notes.push(format!("{path}: {}", notes.join(", ")));
                            next
                        })
                        .map_err(|why| format!("{path}: {why}"))
                }
            },
            TextEdit::SearchReplace {
                search, replace, ..
            } if search.trim().is_empty() => {
                Ok(appended(content.as_deref().unwrap_or(""), replace))
            }
            TextEdit::SearchReplace {
                search, replace, ..
            } => match content.as_deref() {
                None => Err(format!(
                    "{path}: the file does not exist, so there is nothing to SEARCH in; give the new file whole"
                )),
                Some(cur) => resolve_search(cur, search, replace)
                    .map(|(old, new)| cur.replacen(&old, &new, 1))
                    .map_err(|why| format!("{path}: {why}")),
            },
        };
        *slot = next.map(Some);
    }
    let mut planned = Vec::new();
    let mut rejected = Vec::new();
    for path in order {
        match state.remove(&path) {
            Some(Ok(Some(content))) => {
                let content = if content.ends_with('\n') {
                    content
                } else {
                    format!("{content}\n")
                };
                planned.push(Planned::Write { path, content });
            }
            Some(Err(why)) => rejected.push(why),
            _ => {}
        }
    }
    (planned, rejected, merged_notes)
}

/// Whether the task asks for `name` to go: a sentence of it names `name`
/// and says remove, delete, drop, replace, rename, inline or the like. A
/// task that only mentions a function ("Mean gets skewed, so add Median")
/// does not let a whole-file reply that left it out delete it.
pub fn task_removes(task: &str, name: &str) -> bool {
    const GO: &[&str] = &[
        "remov",
        "delet",
        "drop",
        "replac",
        "renam",
        "inlin",
        "get rid",
        "unexport",
        "obsolete",
        "no longer needed",
        "merge",
    ];
    task.split(['\n', ';', '!', '?'])
        .flat_map(|l| l.split(". "))
        .filter(|sentence| has_word(sentence, name))
        .any(|sentence| {
            let l = sentence.to_lowercase();
            GO.iter().any(|w| l.contains(w))
        })
}

/// Whether `word` occurs in `text` as a whole identifier.
fn has_word(text: &str, word: &str) -> bool {
    !word.is_empty()
        && text.match_indices(word).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + word.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
}

/// Whole-file blocks for existing files the model saw only in part would
/// delete the rest of the file: refused before anything is applied, so the
/// retry can use SEARCH/REPLACE instead.
pub fn check_reply(reply: TextReply, partial: &[String]) -> Result<TextReply, String> {
    for e in &reply.edits {
        if let TextEdit::Whole { path, .. } = e
            && partial.contains(path)
        {
            return Err(format!(
                "{path} was shown to you only in part (or is long), so a whole-file block would delete the rest of it; \
                     change it with SEARCH/REPLACE blocks"
            ));
        }
    }
    Ok(reply)
}

/// The model's edits in the earlier JSON form, still accepted: a model (or
/// a scripted reply) that answers with the JSON object loses nothing.
pub fn from_json(r: Reply) -> (TextReply, Vec<String>) {
    let mut deletes = Vec::new();
    let edits = r
        .edits
        .into_iter()
        .filter_map(|e| match e {
            EditReply::Write { path, content } => Some(TextEdit::Whole { path, content }),
            EditReply::Replace { path, old, new } => Some(TextEdit::SearchReplace {
                path,
                search: old,
                replace: new,
            }),
            EditReply::Append { path, content } => Some(TextEdit::SearchReplace {
                path,
                search: String::new(),
                replace: content,
            }),
            EditReply::Delete { path } => {
                deletes.push(path);
                None
            }
        })
        .collect();
    (
        TextReply {
            summary: r.summary,
            edits,
            unnamed: Vec::new(),
        },
        deletes,
    )
}

/// A reply in the text format, or in the earlier JSON form (a reply that
/// starts with `{` and parses as it).
#[derive(Debug)]
pub struct Parsed {
    pub reply: TextReply,
    pub deletes: Vec<String>,
}

/// What the implementer knows of the repository's Go files, to place a
/// code block the model gave without a path.
#[derive(Debug, Default, Clone)]
pub struct Layout {
    /// Every file of the repository.
    pub files: Vec<String>,
    /// Directory (`""` for the root) and package name of the Go files the
    /// working set showed whole.
    pub packages: Vec<(String, String)>,
    /// The top-level declaration keys (`func Name`, `type T`, …) of each Go
    /// file the working set showed, whole or in part.
    pub decls: Vec<(String, Vec<String>)>,
}

impl Layout {
    pub fn new(files: Vec<String>, pack: &[coop_plugin_sdk::types::ContextItem]) -> Layout {
        let mut packages: Vec<(String, String)> = Vec::new();
        for i in pack
            .iter()
            .filter(|i| i.decl.is_none() && i.path.ends_with(".go"))
        {
            if let Some(p) = package_of(&i.content) {
                let p = p.trim_end_matches("_test").to_string();
                let d = dir_of(&i.path).to_string();
                if !packages.contains(&(d.clone(), p.clone())) {
                    packages.push((d, p));
                }
            }
        }
        let mut decls: Vec<(String, Vec<String>)> = Vec::new();
        for i in pack.iter().filter(|i| i.path.ends_with(".go")) {
            let keys = match &i.decl {
                None => gomerge::decl_keys(&i.content),
                Some(_) => gomerge::split_snippet(&i.content)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| p.key)
                    .collect(),
            };
            match decls.iter_mut().find(|(p, _)| *p == i.path) {
                Some((_, k)) => k.extend(keys),
                None => decls.push((i.path.clone(), keys)),
            }
        }
        Layout {
            files,
            packages,
            decls,
        }
    }

    /// The one file shown to the model that declares `key`.
    fn file_declaring(&self, key: &str) -> Option<&str> {
        let mut it = self
            .decls
            .iter()
            .filter(|(_, k)| k.iter().any(|k| k == key));
        match (it.next(), it.next()) {
            (Some((p, _)), None) => Some(p),
            _ => None,
        }
    }

    /// Route the parts of a declaration snippet to files: a declaration
    /// the shown files have goes to the one file that has it; a new one
    /// (and a package doc comment) to `named` when the model named a
    /// file, else to the one package's file of its kind. `None` when a
    /// part has no unambiguous home.
    pub fn route_snippet(
        &self,
        content: &str,
        parts: &[gomerge::SnippetPart],
        named: Option<&str>,
    ) -> Option<Vec<(String, String)>> {
        let mut out: Vec<(String, Vec<&gomerge::SnippetPart>)> = Vec::new();
        for part in parts {
            let existing = part.key.as_deref().and_then(|k| self.file_declaring(k));
            let path = match (existing, named) {
                (Some(p), _) => p.to_string(),
                (None, Some(n)) => n.to_string(),
                (None, None) => {
                    let [(_, pkg)] = self.packages.as_slice() else {
                        return None;
                    };
                    let is_test = part.key.as_deref().is_some_and(|k| {
                        ["func Test", "func Benchmark", "func Example", "func Fuzz"]
                            .iter()
                            .any(|t| k.starts_with(t))
                    });
                    let header = if is_test {
                        format!("package {pkg}\n\nimport \"testing\"\n")
                    } else {
                        format!("package {pkg}\n")
                    };
                    match part.key {
                        // The package doc goes to the file named after the
                        // package (or doc.go) when there is one.
                        None => self
                            .files
                            .iter()
                            .find(|f| {
                                let (d, name) = (dir_of(f), f.rsplit('/').next().unwrap_or(f));
                                self.packages.iter().any(|(pd, _)| pd == d)
                                    && (name == format!("{pkg}.go") || name == "doc.go")
                            })
                            .cloned()
                            .or_else(|| self.place(&header))?,
                        Some(_) => self.place(&header)?,
                    }
                }
            };
            match out.iter_mut().find(|(p, _)| *p == path) {
                Some((_, ps)) => ps.push(part),
                None => out.push((path, vec![part])),
            }
        }
        // Each file's part of the snippet, with the snippet's imports.
        let imports = gomerge::snippet_imports(content);
        Some(
            out.into_iter()
                .map(|(path, ps)| (path, gomerge::render_snippet(&imports, &ps)))
                .collect(),
        )
    }

    /// The file a path-less Go block belongs to: the one directory whose
    /// package it declares, and there the one existing test or non-test
    /// file of its kind (a test block may also start `<pkg>_test.go`).
    /// Writing into an existing file is safe: a whole file that leaves code
    /// out is merged ([`plan_text_edits`]).
    pub fn place(&self, content: &str) -> Option<String> {
        let pkg = package_of(content)?;
        let base = pkg.trim_end_matches("_test");
        let dirs: Vec<&str> = self
            .packages
            .iter()
            .filter(|(_, p)| p == base)
            .map(|(d, _)| d.as_str())
            .collect();
        let [dir] = dirs.as_slice() else { return None };
        let is_test = pkg.ends_with("_test") || looks_like_test(content);
        let mut kind = self.files.iter().filter(|f| {
            dir_of(f) == *dir
                && f.ends_with(".go")
                && f.ends_with("_test.go") == is_test
                && f.rsplit('/').next() != Some("doc.go")
        });
        match (kind.next(), kind.next()) {
            (Some(f), None) => Some(f.clone()),
            (None, _) if is_test => Some(if dir.is_empty() {
                format!("{base}_test.go")
            } else {
                format!("{dir}/{base}_test.go")
            }),
            _ => None,
        }
    }
}

/// Go source that is a test file: it imports "testing" or declares a test.
fn looks_like_test(content: &str) -> bool {
    content.contains("\"testing\"")
        || content
            .lines()
            .any(|l| l.starts_with("func Test") || l.starts_with("func Benchmark"))
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// The package name of Go source's package clause.
fn package_of(content: &str) -> Option<String> {
    let l = content
        .lines()
        .map(str::trim_start)
        .find(|l| l.starts_with("package "))?;
    let name: String = l[8..]
        .trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Parse either form; text-format errors are the ones reported, since the
/// prompt asks for text. Code blocks without a path are placed by
/// `layout` where that is unambiguous; otherwise the reply is refused with
/// the line of the block.
pub fn parse_any(text: &str, partial: &[String], layout: &Layout) -> Result<Parsed, String> {
    if text.trim_start().starts_with('{')
        && let Ok(r) = parse_reply(text)
    {
        let (reply, deletes) = from_json(r);
        return Ok(Parsed {
            reply: check_reply(reply, &[])?,
            deletes,
        });
    }
    let mut reply = parse_text_edits(text).map_err(|e| e.to_string())?;
    // A Go block whose content says it is a test file (or is not) while its
    // path says the opposite was put under the wrong path line (models
    // name both files in prose, then give one block): placed by content.
    let mut misplaced = Vec::new();
    reply.edits.retain(|e| match e {
        TextEdit::Whole { path, content }
            if path.ends_with(".go") && looks_like_test(content) != path.ends_with("_test.go") =>
        {
            misplaced.push((0, content.clone()));
            false
        }
        _ => true,
    });
    reply.unnamed.splice(0..0, misplaced);
    // Declaration snippets (Go blocks without a package clause): each
    // declaration goes to the file that has it, new ones to the named file
    // or the package's one file of their kind.
    let mut routed: Vec<TextEdit> = Vec::new();
    let mut rest = Vec::new();
    for e in std::mem::take(&mut reply.edits) {
        match e {
            TextEdit::Decls { path, content } => {
                let parts = gomerge::split_snippet(&content).unwrap_or_default();
                match layout.route_snippet(&content, &parts, Some(&path)) {
                    Some(r) => routed.extend(
                        r.into_iter()
                            .map(|(path, content)| TextEdit::Decls { path, content }),
                    ),
                    None => rest.push(TextEdit::Decls { path, content }),
                }
            }
            e => rest.push(e),
        }
    }
    reply.edits = rest;
    reply.edits.extend(routed);
    let mut unnamed = Vec::new();
    for (line, content) in std::mem::take(&mut reply.unnamed) {
        match gomerge::split_snippet(&content) {
            Some(parts) => match layout.route_snippet(&content, &parts, None) {
                Some(r) => reply.edits.extend(
                    r.into_iter()
                        .map(|(path, content)| TextEdit::Decls { path, content }),
                ),
                None => return Err(unnamed_error(line).to_string()),
            },
            None => unnamed.push((line, content)),
        }
    }
    for (line, content) in unnamed {
        let refuse = || {
            if line == 0 {
                "a code block does not fit the file named before it (test code under a non-test file, or the reverse): \
                 write each file's own path right before its block"
                    .to_string()
            } else {
                unnamed_error(line).to_string()
            }
        };
        let Some(path) = layout.place(&content) else {
            // A package of several files: each declaration of the block
            // goes to the file that has it (a new one cannot be placed).
            let routed = gomerge::split_file(&content)
                .and_then(|parts| layout.route_snippet(&content, &parts, None));
            match routed {
                Some(r) if line != 0 => {
                    reply.edits.extend(
                        r.into_iter()
                            .map(|(path, content)| TextEdit::Decls { path, content }),
                    );
                    continue;
                }
                _ => return Err(refuse()),
            }
        };
        if reply.edits.iter().any(|e| e.path() == path) {
            return Err(refuse());
        }
        reply.edits.push(TextEdit::Whole { path, content });
    }
    Ok(Parsed {
        reply: check_reply(reply, partial)?,
        deletes: Vec::new(),
    })
}

pub fn parse_reply(reply: &str) -> Result<Reply, String> {
    let r: Reply = parse_as(reply)?;
    if r.edits.is_empty() {
        return Err("\"edits\" must contain at least one edit".into());
    }
    for e in &r.edits {
        let p = match e {
            EditReply::Write { path, .. }
            | EditReply::Replace { path, .. }
            | EditReply::Append { path, .. }
            | EditReply::Delete { path } => path,
        };
        if p.trim().is_empty() {
            return Err("every edit needs a non-empty \"path\"".into());
        }
        if let EditReply::Replace { old, new, .. } = e {
            if old.is_empty() {
                return Err(format!("the replace edit of {p} has an empty \"old\" text"));
            }
            if old == new {
                return Err(format!(
                    "the replace edit of {p} changes nothing (\"old\" equals \"new\")"
                ));
            }
        }
    }
    Ok(r)
}

fn to_wit(p: &Planned) -> FileEdit {
    match p.clone() {
        Planned::Write { path, content } => FileEdit::Write(WriteEdit { path, content }),
        Planned::Delete { path } => FileEdit::Delete(path),
    }
}

fn read_current(path: &str) -> Option<String> {
    coop_plugin_sdk::bindings::coop::mob::workspace::read_file(path).ok()
}

/// Plan a parsed reply against the workspace and propose it: returns the
/// applied paths and the rejections (the plugin's own, then the host's).
fn apply(parsed: &Parsed, task: &str) -> (Vec<String>, Vec<String>) {
    let (mut planned, mut rejected, merged) =
        plan_text_edits(&parsed.reply.edits, &mut read_current, task);
    for m in merged {
        info(&m);
    }
    planned.extend(
        parsed
            .deletes
            .iter()
            .map(|p| Planned::Delete { path: p.clone() }),
    );
    let wit: Vec<FileEdit> = planned.iter().map(to_wit).collect();
    let (applied, host_rejected) = split(if wit.is_empty() {
        Vec::new()
    } else {
        edits::propose(&wit)
    });
    rejected.extend(host_rejected);
    (applied, rejected)
}

/// Characters of file content the correction turn may add: what the
/// host's input budget left unused by the first prompt, at the documented
/// 3 bytes per token, at most [`REJECTED_FILES_BUDGET`]. (The turn also
/// carries the first reply's summary, which the prompt reserve covers.)
pub fn correction_room(b: &coop_plugin_sdk::types::ContextBudget) -> usize {
    let used = b.persistent.used + b.working.used + b.recent.used;
    let room = b.input.saturating_sub(used).saturating_mul(3);
    usize::try_from(room)
        .unwrap_or(usize::MAX)
        .min(REJECTED_FILES_BUDGET)
}

/// Paths of rejected edits (the part before the first `": "`).
fn rejected_paths(rejected: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rejected {
        let p = r.split(": ").next().unwrap_or("").to_string();
        if !p.is_empty() && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// Split outcomes into applied paths and rejection messages.
fn split(outcomes: Vec<EditOutcome>) -> (Vec<String>, Vec<String>) {
    let mut applied = Vec::new();
    let mut rejected = Vec::new();
    for o in outcomes {
        match o {
            EditOutcome::Applied(p) => applied.push(p),
            EditOutcome::Rejected(r) => rejected.push(format!("{}: {}", r.path, r.reason)),
        }
    }
    (applied, rejected)
}

struct Implementer;

impl Guest for Implementer {
    fn run(h: Handoff) -> Result<RoleOutput, RoleFailure> {
        // File contents come from the host's working set (files in scope
        // whole, the definitions they use), fitted to this model's window.
        let pack = without_own_steps(context());
        let all = list_files();
        let partial = partial_files(&pack.working_set, &all);
        let user = format!(
            "{}{}",
            budgeted_context(&h, &pack),
            closing_request(&h, &partial)
        );
        let layout = Layout::new(all.clone(), &pack.working_set);
        let mut msgs = vec![
            Msg::system(system_prompt(
                &partial,
                &example_file(&layout, &h.files_in_scope),
            )),
            Msg::user(user),
        ];
        let hint = no_file_hint(&layout, &h.files_in_scope, &partial);
        let parse = |t: &str| {
            parse_any(t, &partial, &layout).map_err(|e| {
                if e.contains("contains no file") {
                    format!("{e}. {hint}")
                } else {
                    e
                }
            })
        };
        let (first, raw) = ask_text(msgs.clone(), temperature_for(h.attempt), &parse)?;
        let (mut applied, rejected) = apply(&first, &h.task.text);
        // The prompt asks for files only; a reply without prose is
        // summarised by what it wrote.
        let mut summary = if first.reply.summary.trim().is_empty() {
            format!(
                "Wrote {}.",
                if applied.is_empty() {
                    "nothing".to_string()
                } else {
                    applied.join(", ")
                }
            )
        } else {
            first.reply.summary.clone()
        };
        if rejected.is_empty() {
            return Ok(RoleOutput::Implementation(Implementation {
                summary,
                applied,
                rejected,
            }));
        }
        // Some files could not be changed: show why and their current
        // content once, and let the model correct them. What was applied
        // stays applied.
        info(&format!(
            "{} edit(s) rejected; asking the model once to correct them",
            rejected.len()
        ));
        msgs.push(Msg::assistant(raw));
        let current = files_context(&rejected_paths(&rejected), correction_room(&pack.budget));
        msgs.push(Msg::user(format!(
            "Applied: {}. These changes could not be applied (nothing was written for them):\n{}\n\n{}\
             Reply again, in the same format, with only the files that were not applied. Copy any SEARCH text exactly \
             from the current content shown above, or give the whole file.",
            if applied.is_empty() { "nothing".to_string() } else { applied.join(", ") },
            rejected.join("\n"),
            current
        )));
        let (fix, _) = ask_text(msgs, temperature_for(h.attempt), &parse)?;
        let (applied2, rejected2) = apply(&fix, &h.task.text);
        for p in applied2 {
            if !applied.contains(&p) {
                applied.push(p);
            }
        }
        if !fix.reply.summary.is_empty() {
            summary.push_str(&format!("\n{}", fix.reply.summary));
        }
        Ok(RoleOutput::Implementation(Implementation {
            summary,
            applied,
            rejected: rejected2,
        }))
    }
}

/// Ask for edits in the text format; returns the parsed reply and its text
/// (for the correction turn's history).
fn ask_text(
    msgs: Vec<Msg>,
    temperature: f32,
    parse: &dyn Fn(&str) -> Result<Parsed, String>,
) -> Result<(Parsed, String), RoleFailure> {
    coop_plugin_sdk::ask_text_edits(msgs, MAX_TOKENS, temperature, |raw| {
        parse(raw).map(|p| (p, raw.to_string()))
    })
}

/// The sampling temperature of a step: 0 for the first attempt, the SDK's
/// retry temperature for a revision. At 0 a revision whose prompt differs
/// little from the last one gets the same reply: in the live set recorded
/// on 2026-12-07 every run that reached a third attempt got its second
/// reply again, token for token, and the third try was wasted.
pub fn temperature_for(attempt: u32) -> f32 {
    if attempt <= 1 {
        0.0
    } else {
        coop_plugin_sdk::RETRY_TEMPERATURE
    }
}

coop_plugin_sdk::bindings::export_role!(Implementer);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_edit_kinds() {
        let r = parse_reply(
            r#"{"summary":"s","edits":[{"kind":"write","path":"a.go","content":"package a\n"},
               {"kind":"replace","path":"b.go","old":"x","new":"y"},{"kind":"delete","path":"c.go"}]}"#,
        )
        .unwrap();
        assert_eq!(r.edits.len(), 3);
        assert_eq!(
            r.edits[2],
            EditReply::Delete {
                path: "c.go".into()
            }
        );
    }

    fn reader(files: &[(&str, &str)]) -> impl FnMut(&str) -> Option<String> {
        let files: Vec<(String, String)> = files
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect();
        move |p: &str| files.iter().find(|(q, _)| q == p).map(|(_, c)| c.clone())
    }

    #[test]
    fn a_whole_file_that_drops_functions_keeps_them_unless_the_task_names_them() {
        let cur = "package a\n\n// A is old.\nfunc A() {}\n\nfunc B() {}\n";
        let edits = parse_text_edits("a.go\n```go\npackage a\n\nfunc C() {}\n```\n")
            .unwrap()
            .edits;
        let (planned, _, notes) = plan_text_edits(&edits, &mut reader(&[("a.go", cur)]), "Add C.");
        assert_eq!(
            planned,
            vec![Planned::Write {
                path: "a.go".into(),
                content: "package a\n\n// A is old.\nfunc A() {}\n\nfunc B() {}\n\nfunc C() {}\n"
                    .into()
            }]
        );
        assert_eq!(
            notes,
            ["a.go: kept func A, func B (the reply left them out)"]
        );
        // The task names B: its removal stands.
        let (planned, _, notes) =
            plan_text_edits(&edits, &mut reader(&[("a.go", cur)]), "Replace B by C.");
        assert_eq!(
            planned,
            vec![Planned::Write {
                path: "a.go".into(),
                content: "package a\n\n// A is old.\nfunc A() {}\n\nfunc C() {}\n".into()
            }]
        );
        assert_eq!(notes, ["a.go: kept func A (the reply left them out)"]);
        // Moved to another file of the reply: not kept twice.
        let moved = parse_text_edits("a.go\n```go\npackage a\n\nfunc A() {}\n```\nb.go\n```go\npackage a\n\nfunc B() {}\n```\n").unwrap().edits;
        let (_, _, notes) =
            plan_text_edits(&moved, &mut reader(&[("a.go", cur)]), "Split the file.");
        assert!(notes.is_empty(), "{notes:?}");
        assert!(has_word("x B y", "B") && !has_word("xB", "B") && !has_word("B_", "B"));
    }

    /// A working-set item showing `path` whole.
    fn item(path: &str, content: &str) -> coop_plugin_sdk::types::ContextItem {
        coop_plugin_sdk::types::ContextItem {
            path: path.into(),
            decl: None,
            start_line: 1,
            end_line: 1,
            tokens: 1,
            reason: String::new(),
            content: content.into(),
        }
    }

    #[test]
    fn blocks_without_a_path_go_to_the_one_file_of_their_kind_in_their_package() {
        let files: Vec<String> = ["go.mod", "s/s.go", "s/s_test.go", "t/a.go", "t/b.go"]
            .map(String::from)
            .to_vec();
        let layout = Layout::new(
            files,
            &[
                item("s/s.go", "package s\n"),
                item("t/a.go", "package t\n"),
                item("t/b.go", "package t\n"),
            ],
        );
        let reply = "I add R.\n```go\npackage s\n\nfunc R() {}\n```\n```go\npackage s\n\nimport \"testing\"\n\nfunc TestR(t *testing.T) {}\n```\n";
        let p = parse_any(reply, &[], &layout).unwrap();
        let paths: Vec<&str> = p.reply.edits.iter().map(|e| e.path()).collect();
        assert_eq!(paths, ["s/s.go", "s/s_test.go"]);
        // Package t has two non-test files: no guess, the model is asked again.
        let e = parse_any("```go\npackage t\n\nfunc X() {}\n```", &[], &layout).unwrap_err();
        assert!(e.contains("line 1") && e.contains("no file path"), "{e}");
        // A test block for t starts t/t_test.go; an unknown package is refused.
        assert_eq!(
            layout.place("package t\n\nimport \"testing\"\n"),
            Some("t/t_test.go".into())
        );
        assert_eq!(layout.place("package zz\n"), None);
        // Two path-less blocks for the same file: refused, not overwritten.
        assert!(
            parse_any(
                "```go\npackage s\nfunc A() {}\n```\n```go\npackage s\nfunc B() {}\n```",
                &[],
                &layout
            )
            .is_err()
        );
    }

    fn handoff(verification: Option<&str>) -> Handoff {
        use coop_plugin_sdk::types::{Role, Task};
        Handoff {
            version: 1,
            seq: 3,
            task: Task {
                id: "t".into(),
                text: "Add Median.".into(),
            },
            from: Some(Role::Implementer),
            to: Role::Implementer,
            goals: vec![],
            constraints: vec![],
            files_in_scope: vec![],
            decisions: vec![],
            next_actions: vec![],
            blockers: vec![],
            artifacts: vec![],
            design_notes: None,
            verification: verification.map(String::from),
            // A verified change has a diff; see `starting_over` below.
            diff: verification.map(|_| "diff --git a/s.go b/s.go\n".to_string()),
            findings: vec![],
            attempt: 1,
        }
    }

    #[test]
    fn a_revision_shows_no_earlier_implementer_prose_and_asks_for_code() {
        use coop_plugin_sdk::types::{ContextBudget, ContextPack, Role, SectionBudget, StepRecord};
        let z = SectionBudget {
            share: 0,
            limit: 0,
            used: 0,
        };
        let step = |seq, role, kind: &str, text: &str| StepRecord {
            seq,
            role,
            kind: kind.into(),
            text: text.into(),
        };
        let pack = ContextPack {
            counter: "estimate".into(),
            budget: ContextBudget {
                window: 0,
                output_reserve: 0,
                prompt_reserve: 0,
                input: 0,
                persistent: z,
                working: z,
                recent: z,
            },
            working_set: vec![],
            recent: vec![
                step(
                    1,
                    Role::Implementer,
                    "implementation",
                    "### Change for the Task\n\napplied:\n- stats/stats.go\n",
                ),
                step(2, Role::Reviewer, "review", "verdict: revise\n"),
            ],
            summarized_steps: 0,
            dropped: vec![],
        };
        let shown = coop_plugin_sdk::budgeted_context(
            &handoff(Some("--- FAIL: TestMedian")),
            &without_own_steps(pack),
        );
        assert!(
            !shown.contains("applied:") && !shown.contains("Change for the Task"),
            "{shown}"
        );
        assert!(
            shown.contains("verdict: revise") && shown.contains("--- FAIL: TestMedian"),
            "{shown}"
        );
        let first = closing_request(&handoff(None), &[]);
        let again = closing_request(&handoff(Some("FAIL")), &[]);
        assert!(first.starts_with("Write the change") && !first.contains("earlier change"));
        assert!(
            again.contains("earlier change already in them") && again.contains("whole"),
            "{again}"
        );
        let partial = closing_request(&handoff(Some("FAIL")), &["big.go".to_string()]);
        assert!(
            partial.contains("SEARCH/REPLACE") && !partial.contains("whole"),
            "{partial}"
        );
        // The host discarded the failing change: its verification, no diff.
        let starting_over = Handoff {
            diff: None,
            ..handoff(Some("FAIL"))
        };
        for p in [&[][..], &["big.go".to_string()][..]] {
            let over = closing_request(&starting_over, p);
            assert!(
                over.contains("discarded")
                    && over.contains("as they were")
                    && !over.contains("already in them"),
                "{over}"
            );
        }
    }

    #[test]
    fn a_reply_without_files_is_shown_the_pattern_with_a_real_path() {
        let layout = Layout::new(
            ["settings/settings.go", "settings/settings_test.go"]
                .map(String::from)
                .to_vec(),
            &[
                item("settings/settings_test.go", "package settings\n"),
                item("settings/settings.go", "package settings\n"),
            ],
        );
        let hint = no_file_hint(&layout, &[], &[]);
        assert!(hint.ends_with("settings/settings.go\n```go\npackage settings\n\n(the whole file, with your change in it)\n```"), "{hint}");
        let sr = no_file_hint(
            &layout,
            &["settings/settings.go".into()],
            &["settings/settings.go".into()],
        );
        assert!(
            sr.contains("settings/settings.go\n```go\n<<<<<<< SEARCH"),
            "{sr}"
        );
        assert!(no_file_hint(&Layout::default(), &[], &[]).contains("pkg/file.go"));
    }

    #[test]
    fn a_revision_is_sampled_not_greedy() {
        assert_eq!(temperature_for(0), 0.0);
        assert_eq!(temperature_for(1), 0.0);
        assert!(temperature_for(2) > 0.0 && temperature_for(3) == temperature_for(2));
    }

    #[test]
    fn only_a_task_that_asks_for_removal_lets_a_declaration_go() {
        assert!(task_removes("Replace B by C.", "B"));
        assert!(task_removes(
            "Please remove the deprecated `Old` helper; nothing calls it.",
            "Old"
        ));
        assert!(task_removes("rename Foo to Bar", "Foo"));
        assert!(!task_removes(
            "Mean gets skewed by slow requests, so add Median.",
            "Mean"
        ));
        assert!(
            !task_removes("Remove the flicker. Mean stays as it is.", "Mean"),
            "another sentence"
        );
        assert!(!task_removes("Replace B by C.", "C2"));
    }

    #[test]
    fn plans_one_write_per_file_applying_blocks_in_order() {
        let edits = parse_text_edits(
            "a.go\n```go\n<<<<<<< SEARCH\nfunc A() {}\n=======\nfunc A() { B() }\n>>>>>>> REPLACE\n<<<<<<< SEARCH\n=======\nfunc B() {}\n>>>>>>> REPLACE\n```\nnew.go\n```go\npackage a\n```\n",
        )
        .unwrap()
        .edits;
        let (planned, rejected, _) = plan_text_edits(
            &edits,
            &mut reader(&[("a.go", "package a\n\nfunc A() {}\n")]),
            "",
        );
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(
            planned,
            vec![
                Planned::Write {
                    path: "a.go".into(),
                    content: "package a\n\nfunc A() { B() }\n\nfunc B() {}\n".into()
                },
                Planned::Write {
                    path: "new.go".into(),
                    content: "package a\n".into()
                },
            ]
        );
    }

    #[test]
    fn a_block_that_does_not_apply_leaves_its_file_out_and_says_why() {
        let edits = vec![
            TextEdit::SearchReplace {
                path: "a.go".into(),
                search: "nope\n".into(),
                replace: "x\n".into(),
            },
            TextEdit::SearchReplace {
                path: "gone.go".into(),
                search: "x\n".into(),
                replace: "y\n".into(),
            },
            TextEdit::Whole {
                path: "b.go".into(),
                content: "package b".into(),
            },
        ];
        let (planned, rejected, _) =
            plan_text_edits(&edits, &mut reader(&[("a.go", "package a\n")]), "");
        assert_eq!(
            planned,
            vec![Planned::Write {
                path: "b.go".into(),
                content: "package b\n".into()
            }]
        );
        assert_eq!(rejected.len(), 2);
        assert!(
            rejected[0].starts_with("a.go: ") && rejected[0].contains("not in the file"),
            "{rejected:?}"
        );
        assert!(
            rejected[1].starts_with("gone.go: the file does not exist"),
            "{rejected:?}"
        );
        assert_eq!(rejected_paths(&rejected), ["a.go", "gone.go"]);
    }

    #[test]
    fn files_shown_in_part_must_use_search_replace() {
        use coop_plugin_sdk::types::ContextItem;
        let item = |path: &str, decl: Option<&str>, lines: usize| ContextItem {
            path: path.into(),
            decl: decl.map(String::from),
            start_line: 1,
            end_line: 1,
            tokens: 1,
            reason: String::new(),
            content: "x\n".repeat(lines),
        };
        let pack = vec![
            item("a.go", None, 10),
            item("b.go", Some("F"), 5),
            item("c.go", None, WHOLE_FILE_MAX_LINES + 1),
        ];
        let existing: Vec<String> = ["a.go", "b.go", "c.go"].map(String::from).to_vec();
        let partial = partial_files(&pack, &existing);
        assert_eq!(partial, ["b.go", "c.go"]);
        let ex = ("a.go".to_string(), "a".to_string());
        assert!(system_prompt(&partial, &ex).contains("<<<<<<< SEARCH"));
        assert!(
            !system_prompt(&[], &ex).contains("SEARCH"),
            "whole files only when every file was shown whole"
        );
        assert!(system_prompt(&[], &ex).contains("For example:\n\na.go\n```go\npackage a\n"));
        let whole_b = "b.go\n```go\npackage b\n```\n";
        assert!(
            parse_any(whole_b, &partial, &Layout::default())
                .unwrap_err()
                .contains("only in part")
        );
        assert!(parse_any(whole_b, &[], &Layout::default()).is_ok());
    }

    #[test]
    fn the_earlier_json_form_is_still_understood() {
        let p = parse_any(
            r#"{"summary":"s","edits":[{"kind":"write","path":"a.go","content":"package a\n"},{"kind":"append","path":"b.go","content":"func B() {}"},{"kind":"delete","path":"c.go"}]}"#,
            &[],
            &Layout::default(),
        )
        .unwrap();
        assert_eq!(p.deletes, ["c.go"]);
        assert_eq!(p.reply.edits.len(), 2);
        assert_eq!(p.reply.summary, "s");
        let (planned, _, _) =
            plan_text_edits(&p.reply.edits, &mut reader(&[("b.go", "package a\n")]), "");
        assert_eq!(
            planned[1],
            Planned::Write {
                path: "b.go".into(),
                content: "package a\n\nfunc B() {}\n".into()
            }
        );
        // Text that is neither form reports the text format's error.
        assert!(
            parse_any("{ not json", &[], &Layout::default())
                .unwrap_err()
                .contains("no file")
        );
    }

    #[test]
    fn correction_room_is_what_the_budget_left_capped() {
        use coop_plugin_sdk::types::{ContextBudget, SectionBudget};
        let s = |used| SectionBudget {
            share: 0,
            limit: 0,
            used,
        };
        let b = |input, used| ContextBudget {
            window: 0,
            output_reserve: 0,
            prompt_reserve: 0,
            input,
            persistent: s(used),
            working: s(used),
            recent: s(0),
        };
        assert_eq!(
            correction_room(&b(10_000, 4_000)),
            6_000,
            "2,000 tokens left"
        );
        assert_eq!(correction_room(&b(10_000, 5_000)), 0, "nothing left");
        assert_eq!(
            correction_room(&b(10_000, 6_000)),
            0,
            "over-used never underflows"
        );
        assert_eq!(correction_room(&b(100_000, 0)), REJECTED_FILES_BUDGET);
    }

    #[test]
    fn rejected_paths_are_deduplicated_in_order() {
        let r = vec![
            "a.go: not found".to_string(),
            "b.go: file does not exist".into(),
            "a.go: again".into(),
        ];
        assert_eq!(rejected_paths(&r), ["a.go", "b.go"]);
    }

    #[test]
    fn rejects_empty_or_malformed_edits() {
        assert!(
            parse_reply(r#"{"summary":"s","edits":[]}"#)
                .unwrap_err()
                .contains("at least one")
        );
        assert!(
            parse_reply(r#"{"summary":"s","edits":[{"kind":"write","path":" ","content":""}]}"#)
                .is_err()
        );
        assert!(
            parse_reply(
                r#"{"summary":"s","edits":[{"kind":"replace","path":"a","old":"","new":"y"}]}"#
            )
            .is_err()
        );
        assert!(parse_reply(r#"{"summary":"s","edits":[{"kind":"move","path":"a"}]}"#).is_err());
        assert!(
            parse_reply(r#"{"summary":"s","edits":[{"kind":"append","path":"a.go"}]}"#).is_err(),
            "append needs content"
        );
        assert!(parse_reply("Sure! ```go\npackage a\n```").is_err());
    }
}
