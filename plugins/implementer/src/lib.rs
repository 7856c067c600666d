//! The Implementer: turns the design (and review findings, and verification
//! failures) into concrete file edits, proposed through the host.

use coop_plugin_sdk::bindings::coop::mob::edits;
use coop_plugin_sdk::bindings::Guest;
use coop_plugin_sdk::structured::{parse_as, Msg};
use coop_plugin_sdk::types::{
    EditOutcome, FileEdit, Handoff, Implementation, ReplaceEdit, RoleFailure, RoleOutput, WriteEdit,
};
use coop_plugin_sdk::{files_context, handoff_context, info, list_files, prompt};
use serde::Deserialize;

coop_plugin_sdk::embed_manifest!("manifest.json");

const FILE_BUDGET: usize = 32_000;
const MAX_TOKENS: u32 = 4096;

/// One edit as the model writes it.
#[derive(Debug, Deserialize, PartialEq, Clone)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum EditReply {
    Write { path: String, content: String },
    Replace { path: String, old: String, new: String },
    Delete { path: String },
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
{{\"kind\": \"write\", \"path\": \"relative/file.go\", \"content\": \"the complete new file content\"}},\n  \
{{\"kind\": \"replace\", \"path\": \"relative/file.go\", \"old\": \"exact existing text, occurring exactly once\", \"new\": \"replacement\"}},\n  \
{{\"kind\": \"delete\", \"path\": \"relative/file.go\"}}\n ]}}\n\
For a new file use \"write\" with its complete content. For an existing file use \"replace\": \"old\" is a short snippet \
copied exactly from the file (a few whole lines that occur only once) and \"new\" is what replaces it; do not repeat unchanged code. \
Use \"write\" on an existing file only when you change most of it. \
Paths are relative to the repository root.",
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
            EditReply::Write { path, .. } | EditReply::Replace { path, .. } | EditReply::Delete { path } => path,
        };
        if p.trim().is_empty() {
            return Err("every edit needs a non-empty \"path\"".into());
        }
        if let EditReply::Replace { old, .. } = e {
            if old.is_empty() {
                return Err(format!("the replace edit of {p} has an empty \"old\" text"));
            }
        }
    }
    Ok(r)
}

fn to_wit(e: &EditReply) -> FileEdit {
    match e.clone() {
        EditReply::Write { path, content } => FileEdit::Write(WriteEdit { path, content }),
        EditReply::Replace { path, old, new } => FileEdit::Replace(ReplaceEdit { path, old, new }),
        EditReply::Delete { path } => FileEdit::Delete(path),
    }
}

/// Files to show the model: those in scope, then other Go sources.
pub fn files_to_read(all: &[String], in_scope: &[String]) -> Vec<String> {
    let mut out: Vec<String> = in_scope.to_vec();
    for p in all {
        if (p.ends_with(".go") || p == "go.mod") && !out.contains(p) {
            out.push(p.clone());
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
        let all = list_files();
        let files = files_to_read(&all, &h.files_in_scope);
        let user = format!(
            "{}{}Write the edits for the task above.",
            handoff_context(&h),
            files_context(&files, FILE_BUDGET)
        );
        let mut msgs = vec![Msg::system(system_prompt()), Msg::user(user)];
        let reply = coop_plugin_sdk::ask(msgs.clone(), MAX_TOKENS, parse_reply)?;
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
        msgs.push(Msg::user(format!(
            "The host applied: {:?}. It rejected these edits (nothing was written for them):\n{}\n\
             Reply with a JSON object of the same form containing only corrected edits for the rejected ones.",
            applied,
            rejected.join("\n")
        )));
        let fix = coop_plugin_sdk::ask(msgs, MAX_TOKENS, parse_reply)?;
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
    fn rejects_empty_or_malformed_edits() {
        assert!(parse_reply(r#"{"summary":"s","edits":[]}"#).unwrap_err().contains("at least one"));
        assert!(parse_reply(r#"{"summary":"s","edits":[{"kind":"write","path":" ","content":""}]}"#).is_err());
        assert!(parse_reply(r#"{"summary":"s","edits":[{"kind":"replace","path":"a","old":"","new":"y"}]}"#).is_err());
        assert!(parse_reply(r#"{"summary":"s","edits":[{"kind":"move","path":"a"}]}"#).is_err());
        assert!(parse_reply("Sure! ```go\npackage a\n```").is_err());
    }
}
