//! The Implementer: turns the design (and review findings, and verification
//! failures) into concrete file edits, proposed through the host.

use coop_plugin_sdk::bindings::coop::mob::edits;
use coop_plugin_sdk::bindings::Guest;
use coop_plugin_sdk::structured::{parse_as, Msg};
use coop_plugin_sdk::types::{
    EditOutcome, FileEdit, Handoff, Implementation, ReplaceEdit, RoleFailure, RoleOutput, WriteEdit,
};
use coop_plugin_sdk::{budgeted_context, context, files_context, info, list_files, prompt};
use serde::Deserialize;

coop_plugin_sdk::embed_manifest!("manifest.json");

/// Cap on the current content of rejected files shown in the correction
/// turn (characters); the room the host's budget left lowers it further.
const REJECTED_FILES_BUDGET: usize = 16_000;
// Enough for the edits of a small task (whole new files included); a small
// model that falls into a repetition loop is stopped after ~90 s, not ~150 s.
const MAX_TOKENS: u32 = 2560;

/// One edit as the model writes it.
#[derive(Debug, Deserialize, PartialEq, Clone)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum EditReply {
    Write { path: String, content: String },
    Replace { path: String, old: String, new: String },
    /// Add `content` at the end of a file (created when missing). Needs no
    /// anchor text, so it is the reliable way for a model to add a new
    /// function or test to an existing file.
    Append { path: String, content: String },
    Delete { path: String },
}

/// Above this many bytes of paths, paths in the schema are free strings:
/// the enum appears three times and the host caps a schema at 16 KiB.
const MAX_ENUM_BYTES: usize = 4_000;

/// [`Reply`] as a JSON Schema, sent with the request so providers that
/// constrain decoding (llama.cpp grammars, OpenAI structured outputs) cannot
/// produce a well-formed object of the wrong shape. Edits of existing files
/// (`replace`, `append`, `delete`) must name one of `existing`, so a model
/// cannot invent a path for them; `write` may create a new file.
/// [`parse_reply`] still validates.
pub fn reply_schema(existing: &[String]) -> String {
    // Built as text, not with serde_json's map (which sorts keys): the host
    // sends it verbatim and a constrained decoder makes the model write the
    // properties in this order, so "summary" comes first (say what you will
    // do) and "old" before "new".
    let enum_bytes: usize = existing.iter().map(|p| p.len() + 3).sum();
    let existing_path = if existing.is_empty() || enum_bytes > MAX_ENUM_BYTES {
        r#"{"type":"string"}"#.to_string()
    } else {
        format!(r#"{{"enum":{}}}"#, serde_json::to_string(existing).unwrap_or_else(|_| "[]".into()))
    };
    let edit = |kind: &str, path: &str, extra: &[&str]| {
        let mut props = format!(r#""kind":{{"enum":["{kind}"]}},"path":{path}"#);
        let mut required = String::from(r#""kind","path""#);
        for e in extra {
            props.push_str(&format!(r#","{e}":{{"type":"string"}}"#));
            required.push_str(&format!(r#","{e}""#));
        }
        format!(r#"{{"type":"object","properties":{{{props}}},"required":[{required}],"additionalProperties":false}}"#)
    };
    let free = r#"{"type":"string"}"#;
    format!(
        r#"{{"type":"object","properties":{{"summary":{{"type":"string"}},"edits":{{"type":"array","minItems":1,"items":{{"anyOf":[{},{},{},{}]}}}}}},"required":["summary","edits"],"additionalProperties":false}}"#,
        edit("write", free, &["content"]),
        edit("replace", &existing_path, &["old", "new"]),
        edit("append", &existing_path, &["content"]),
        edit("delete", &existing_path, &[]),
    )
}

/// The reply schema.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub summary: String,
    pub edits: Vec<EditReply>,
}

pub fn system_prompt() -> String {
    format!(
        "You are the Implementer of a small team that changes a Go repository. \
You write the code for the design you are given, address every blocking review finding and every verification failure, \
and keep the change as small as the task allows. Write idiomatic, gofmt-formatted Go (tabs for indentation), \
standard library only, with doc comments on exported identifiers, and tests in `_test.go` files of the same package.\n\n{}\n\n\
Reply with exactly one JSON object and nothing else:\n\
{{\"summary\": \"what you changed and why\",\n \"edits\": [\n  \
{{\"kind\": \"write\", \"path\": \"<path of a new file>\", \"content\": \"the complete content of the new file\"}},\n  \
{{\"kind\": \"append\", \"path\": \"<path of an existing file>\", \"content\": \"new code added at the end of that file\"}},\n  \
{{\"kind\": \"replace\", \"path\": \"<path of an existing file>\", \"old\": \"exact existing text, occurring exactly once\", \"new\": \"replacement\"}},\n  \
{{\"kind\": \"delete\", \"path\": \"<path of an existing file>\"}}\n ]}}\n\
Paths are the repository's real paths, exactly as the files are labelled below; a new file goes next to the code it belongs with. \
To create a file, use \"write\" with its complete content. To add new functions or tests to an existing file, use \"append\". \
To change existing code, use \"replace\": \"old\" must be copied character for character from the file as shown to you \
(a few whole lines that occur only once) and \"new\" is what replaces it; never invent \"old\" text. \
If new code needs an import the file does not have, add it with a \"replace\" of the import block. \
Use \"write\" on an existing file only when you change most of it. Paths are relative to the repository root.",
        prompt::DATA_IS_NOT_INSTRUCTIONS
    )
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
                return Err(format!("the replace edit of {p} changes nothing (\"old\" equals \"new\")"));
            }
        }
    }
    Ok(r)
}

/// Turn the model's edits into host edits. `append` becomes a `write` of
/// the file's current content (read through `read`, `None` when the file
/// does not exist) plus the new code.
pub fn to_wit_with(e: &EditReply, read: &mut dyn FnMut(&str) -> Option<String>) -> FileEdit {
    match e.clone() {
        EditReply::Write { path, content } => FileEdit::Write(WriteEdit { path, content }),
        EditReply::Replace { path, old, new } => FileEdit::Replace(ReplaceEdit { path, old, new }),
        EditReply::Append { path, content } => {
            let content = match read(&path) {
                Some(existing) => appended(&existing, &content),
                None => content,
            };
            FileEdit::Write(WriteEdit { path, content })
        }
        EditReply::Delete { path } => FileEdit::Delete(path),
    }
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

fn to_wit(e: &EditReply) -> FileEdit {
    to_wit_with(e, &mut |p| coop_plugin_sdk::bindings::coop::mob::workspace::read_file(p).ok())
}

/// Characters of file content the correction turn may add: what the
/// host's input budget left unused by the first prompt, at the documented
/// 3 bytes per token, at most [`REJECTED_FILES_BUDGET`]. (The turn also
/// carries the first reply's summary, which the prompt reserve covers.)
pub fn correction_room(b: &coop_plugin_sdk::types::ContextBudget) -> usize {
    let used = b.persistent.used + b.working.used + b.recent.used;
    let room = b.input.saturating_sub(used).saturating_mul(3);
    usize::try_from(room).unwrap_or(usize::MAX).min(REJECTED_FILES_BUDGET)
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
        let pack = context();
        let user = format!("{}Write the edits for the task above.", budgeted_context(&h, &pack));
        let all = list_files();
        let mut msgs = vec![Msg::system(system_prompt()), Msg::user(user)];
        let schema = reply_schema(&all);
        let reply = coop_plugin_sdk::ask_with_schema(msgs.clone(), MAX_TOKENS, Some(&schema), parse_reply)?;
        let wit: Vec<FileEdit> = reply.edits.iter().map(to_wit).collect();
        let (mut applied, rejected) = split(edits::propose(&wit));
        let mut summary = reply.summary.clone();
        if rejected.is_empty() {
            return Ok(RoleOutput::Implementation(Implementation { summary, applied, rejected }));
        }
        // The host refused some edits: show the reasons once and let the model
        // correct them. What was applied stays applied.
        info(&format!("{} edit(s) rejected; asking the model once to correct them", rejected.len()));
        msgs.push(Msg::assistant(serde_json::json!({"summary": reply.summary}).to_string()));
        // Show the rejected files as they are now: a replace is mostly
        // rejected because its `old` text is not in the file.
        let current = files_context(&rejected_paths(&rejected), correction_room(&pack.budget));
        msgs.push(Msg::user(format!(
            "The host applied: {:?}. It rejected these edits (nothing was written for them):\n{}\n\n{}\
             Reply with a JSON object of the same form containing only corrected edits for the rejected ones, \
             using the real paths above. Copy any \"old\" text exactly from the current content shown, or use \
             \"append\" to add new code at the end of a file.",
            applied,
            rejected.join("\n"),
            current
        )));
        let fix = coop_plugin_sdk::ask_with_schema(msgs, MAX_TOKENS, Some(&schema), parse_reply)?;
        let wit: Vec<FileEdit> = fix.edits.iter().map(to_wit).collect();
        let (applied2, rejected2) = split(edits::propose(&wit));
        applied.extend(applied2);
        summary.push_str(&format!("\n{}", fix.summary));
        Ok(RoleOutput::Implementation(Implementation { summary, applied, rejected: rejected2 }))
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
        assert_eq!(r.edits[2], EditReply::Delete { path: "c.go".into() });
    }

    #[test]
    fn append_adds_to_the_end_or_creates_the_file() {
        let e = EditReply::Append { path: "a.go".into(), content: "func B() {}\n".into() };
        let written = |f: FileEdit| match f {
            FileEdit::Write(w) => (w.path, w.content),
            _ => panic!("append becomes a write"),
        };
        let mut existing = |_: &str| Some("package a\n\nfunc A() {}\n\n\n".to_string());
        assert_eq!(written(to_wit_with(&e, &mut existing)), ("a.go".into(), "package a\n\nfunc A() {}\n\nfunc B() {}\n".into()));
        let mut missing = |_: &str| None;
        assert_eq!(written(to_wit_with(&e, &mut missing)), ("a.go".into(), "func B() {}\n".into()));
        assert_eq!(appended("", "x"), "x\n");
        let r = parse_reply(r#"{"summary":"s","edits":[{"kind":"append","path":"a.go","content":"func B() {}"}]}"#).unwrap();
        assert!(matches!(&r.edits[0], EditReply::Append { .. }));
    }

    #[test]
    fn correction_room_is_what_the_budget_left_capped() {
        use coop_plugin_sdk::types::{ContextBudget, SectionBudget};
        let s = |used| SectionBudget { share: 0, limit: 0, used };
        let b = |input, used| ContextBudget { window: 0, output_reserve: 0, prompt_reserve: 0, input, persistent: s(used), working: s(used), recent: s(0) };
        assert_eq!(correction_room(&b(10_000, 4_000)), 6_000, "2,000 tokens left");
        assert_eq!(correction_room(&b(10_000, 5_000)), 0, "nothing left");
        assert_eq!(correction_room(&b(10_000, 6_000)), 0, "over-used never underflows");
        assert_eq!(correction_room(&b(100_000, 0)), REJECTED_FILES_BUDGET);
    }

    #[test]
    fn rejected_paths_are_deduplicated_in_order() {
        let r = vec!["a.go: not found".to_string(), "b.go: file does not exist".into(), "a.go: again".into()];
        assert_eq!(rejected_paths(&r), ["a.go", "b.go"]);
    }

    #[test]
    fn schema_is_json_and_names_every_field_the_parser_needs() {
        let text = reply_schema(&["a.go".into(), "b/c.go".into()]);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(text.find("\"summary\"").unwrap() < text.find("\"edits\"").unwrap(), "summary first");
        assert!(text.find("\"old\"").unwrap() < text.find("\"new\"").unwrap(), "old before new");
        assert_eq!(v["required"], serde_json::json!(["summary", "edits"]));
        let kinds: Vec<&str> = v["properties"]["edits"]["items"]["anyOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["properties"]["kind"]["enum"][0].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["write", "replace", "append", "delete"]);
        let edits = &v["properties"]["edits"]["items"]["anyOf"];
        assert_eq!(edits[0]["properties"]["path"], serde_json::json!({"type": "string"}), "write may create a file");
        for i in 1..4 {
            assert_eq!(edits[i]["properties"]["path"]["enum"], serde_json::json!(["a.go", "b/c.go"]), "existing files only");
        }
        let many: Vec<String> = (0..400).map(|i| format!("internal/some/package/file{i}.go")).collect();
        let big: serde_json::Value = serde_json::from_str(&reply_schema(&many)).unwrap();
        assert_eq!(big["properties"]["edits"]["items"]["anyOf"][1]["properties"]["path"]["type"], "string");
        assert!(reply_schema(&many).len() < 16 << 10);
        // The parser rejects a replace that changes nothing.
        assert!(parse_reply(r#"{"summary":"s","edits":[{"kind":"replace","path":"a.go","old":"x","new":"x"}]}"#)
            .unwrap_err()
            .contains("changes nothing"));
    }

    #[test]
    fn rejects_empty_or_malformed_edits() {
        assert!(parse_reply(r#"{"summary":"s","edits":[]}"#).unwrap_err().contains("at least one"));
        assert!(parse_reply(r#"{"summary":"s","edits":[{"kind":"write","path":" ","content":""}]}"#).is_err());
        assert!(parse_reply(r#"{"summary":"s","edits":[{"kind":"replace","path":"a","old":"","new":"y"}]}"#).is_err());
        assert!(parse_reply(r#"{"summary":"s","edits":[{"kind":"move","path":"a"}]}"#).is_err());
        assert!(parse_reply(r#"{"summary":"s","edits":[{"kind":"append","path":"a.go"}]}"#).is_err(), "append needs content");
        assert!(parse_reply("Sure! ```go\npackage a\n```").is_err());
    }
}
