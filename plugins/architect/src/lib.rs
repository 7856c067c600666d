//! The Architect: reads the task and the code, designs the change, names the
//! files in scope and an ordered plan. It never edits.

use coop_plugin_sdk::bindings::Guest;
use coop_plugin_sdk::structured::{Msg, parse_as};
use coop_plugin_sdk::types::{Design, Handoff, RoleFailure, RoleOutput};
use coop_plugin_sdk::{budgeted_context, context, list_files, path_listing, prompt};
use serde::Deserialize;

coop_plugin_sdk::embed_manifest!("manifest.json");

/// Cap on the repository's path listing (characters). The host's context
/// budget covers file contents, not this listing, so it stays well inside
/// the host's 1,024-token instruction reserve.
const LISTING_BUDGET: usize = 1_500;
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
            return Err(format!(
                "\"files_in_scope\" entry {f:?} must be a relative path inside the repository"
            ));
        }
    }
    if r.plan.is_empty() {
        return Err("\"plan\" must have at least one step".into());
    }
    Ok(r)
}

struct Architect;

impl Guest for Architect {
    fn run(h: Handoff) -> Result<RoleOutput, RoleFailure> {
        // File contents come from the host's working set, chosen from the
        // Go module map and fitted to this model's window; the listing lets
        // the design name files the working set did not include.
        let user = format!(
            "{}## repository files\n{}\nDesign the change for the task above.",
            budgeted_context(&h, &context()),
            path_listing(&list_files(), LISTING_BUDGET),
        );
        let msgs = vec![Msg::system(system_prompt()), Msg::user(user)];
        let r =
            coop_plugin_sdk::ask_with_schema(msgs, MAX_TOKENS, Some(REPLY_SCHEMA), parse_reply)?;
        Ok(RoleOutput::Design(Design {
            notes: r.notes,
            files_in_scope: r.files_in_scope,
            plan: r.plan,
        }))
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
        assert!(
            parse_reply(r#"{"notes":"","files_in_scope":["a.go"],"plan":["x"]}"#)
                .unwrap_err()
                .contains("notes")
        );
        assert!(
            parse_reply(r#"{"notes":"n","files_in_scope":[],"plan":["x"]}"#)
                .unwrap_err()
                .contains("files_in_scope")
        );
        assert!(
            parse_reply(r#"{"notes":"n","files_in_scope":["../x.go"],"plan":["x"]}"#)
                .unwrap_err()
                .contains("relative")
        );
        assert!(
            parse_reply(r#"{"notes":"n","files_in_scope":["a.go"],"plan":[]}"#)
                .unwrap_err()
                .contains("plan")
        );
        assert!(
            parse_reply(r#"{"notes":"n","files_in_scope":["a.go"],"plan":["x"],"extra":1}"#)
                .is_err()
        );
    }
}
