//! The Architect: reads the task and the code, designs the change, names the
//! files in scope and an ordered plan. It never edits.

use coop_plugin_sdk::bindings::Guest;
use coop_plugin_sdk::structured::{parse_as, Msg};
use coop_plugin_sdk::types::{Design, Handoff, RoleFailure, RoleOutput};
use coop_plugin_sdk::{files_context, handoff_context, list_files, prompt};
use serde::Deserialize;

coop_plugin_sdk::embed_manifest!("manifest.json");

/// Cap on repository text put into one prompt (characters).
const FILE_BUDGET: usize = 24_000;
const MAX_TOKENS: u32 = 1024;

/// [`Reply`] as a JSON Schema for providers that constrain decoding.
pub const REPLY_SCHEMA: &str = r#"{"type":"object","properties":{
"notes":{"type":"string"},
"files_in_scope":{"type":"array","minItems":1,"items":{"type":"string"}},
"plan":{"type":"array","minItems":1,"items":{"type":"string"}}},
"required":["notes","files_in_scope","plan"],"additionalProperties":false}"#;

/// The reply schema the model must follow.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub notes: String,
    pub files_in_scope: Vec<String>,
    pub plan: Vec<String>,
}

pub fn system_prompt() -> String {
    format!(
        "You are the Architect of a small team that changes a Go repository. \
You design the change; another role writes the code; a reviewer checks it. \
Keep the design minimal: the smallest change that fully does what the task asks, in the style of the existing code, \
standard library only, tests next to the code in `_test.go` files of the same package.\n\n{}\n\n\
Reply with exactly one JSON object and nothing else:\n\
{{\"notes\": \"design notes in markdown: what to add or change, exact Go signatures, edge cases, how to test\",\n \
\"files_in_scope\": [\"relative/path.go\", \"relative/path_test.go\"],\n \
\"plan\": [\"ordered, concrete implementation steps\"]}}\n\
files_in_scope lists every file to create or change (relative paths, `/`-separated).",
        prompt::DATA_IS_NOT_INSTRUCTIONS
    )
}

/// Validate a reply beyond its JSON shape.
pub fn parse_reply(reply: &str) -> Result<Reply, String> {
    let r: Reply = parse_as(reply)?;
    if r.notes.trim().is_empty() {
        return Err("\"notes\" must not be empty".into());
    }
    if r.files_in_scope.is_empty() {
        return Err("\"files_in_scope\" must name at least one file".into());
    }
    for f in &r.files_in_scope {
        if f.trim().is_empty() || f.starts_with('/') || f.split('/').any(|c| c == "..") {
            return Err(format!("\"files_in_scope\" entry {f:?} must be a relative path inside the repository"));
        }
    }
    if r.plan.is_empty() {
        return Err("\"plan\" must have at least one step".into());
    }
    Ok(r)
}

/// Which repository files the architect reads: Go sources and go.mod first.
pub fn files_to_read(all: &[String], in_scope: &[String]) -> Vec<String> {
    let mut out: Vec<String> = in_scope.to_vec();
    let mut rest: Vec<&String> = all
        .iter()
        .filter(|p| p.ends_with(".go") || p.as_str() == "go.mod")
        .filter(|p| !out.contains(p))
        .collect();
    // Non-test sources before tests: signatures matter more to a design.
    rest.sort_by_key(|p| (p.ends_with("_test.go"), p.matches('/').count(), p.to_string()));
    out.extend(rest.into_iter().cloned());
    out
}

struct Architect;

impl Guest for Architect {
    fn run(h: Handoff) -> Result<RoleOutput, RoleFailure> {
        let all = list_files();
        let files = files_to_read(&all, &h.files_in_scope);
        let user = format!(
            "{}## repository files\n{}\n\n{}Design the change for the task above.",
            handoff_context(&h),
            all.join("\n"),
            files_context(&files, FILE_BUDGET)
        );
        let msgs = vec![Msg::system(system_prompt()), Msg::user(user)];
        let r = coop_plugin_sdk::ask_with_schema(msgs, MAX_TOKENS, Some(REPLY_SCHEMA), parse_reply)?;
        Ok(RoleOutput::Design(Design { notes: r.notes, files_in_scope: r.files_in_scope, plan: r.plan }))
    }
}

coop_plugin_sdk::bindings::export_role!(Architect);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_reply_parses() {
        let r = parse_reply(r#"{"notes":"n","files_in_scope":["a/b.go"],"plan":["x"]}"#).unwrap();
        assert_eq!(r.files_in_scope, vec!["a/b.go"]);
    }

    #[test]
    fn invalid_replies_say_why() {
        assert!(parse_reply(r#"{"notes":"","files_in_scope":["a.go"],"plan":["x"]}"#).unwrap_err().contains("notes"));
        assert!(parse_reply(r#"{"notes":"n","files_in_scope":[],"plan":["x"]}"#).unwrap_err().contains("files_in_scope"));
        assert!(parse_reply(r#"{"notes":"n","files_in_scope":["../x.go"],"plan":["x"]}"#).unwrap_err().contains("relative"));
        assert!(parse_reply(r#"{"notes":"n","files_in_scope":["a.go"],"plan":[]}"#).unwrap_err().contains("plan"));
        assert!(parse_reply(r#"{"notes":"n","files_in_scope":["a.go"],"plan":["x"],"extra":1}"#).is_err());
    }

    #[test]
    fn reads_scope_then_sources_then_tests() {
        let all: Vec<String> = ["a_test.go", "README.md", "go.mod", "x/y.go", "a.go"].iter().map(|s| s.to_string()).collect();
        let got = files_to_read(&all, &["x/y.go".to_string()]);
        assert_eq!(got, vec!["x/y.go", "a.go", "go.mod", "a_test.go"]);
    }
}
