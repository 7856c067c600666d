//! The Navigator: tracks where the run stands, suggests next steps, names
//! blockers, and turns an unclear request into one precise question for the
//! user.

use coop_plugin_sdk::bindings::Guest;
use coop_plugin_sdk::structured::{Msg, parse_as};
use coop_plugin_sdk::types::{Handoff, Navigation, RoleFailure, RoleOutput};
use coop_plugin_sdk::{handoff_context, list_files, path_listing, prompt};
use serde::Deserialize;

coop_plugin_sdk::embed_manifest!("manifest.json");

const MAX_TOKENS: u32 = 1024;

/// [`Reply`] as a JSON Schema for providers that constrain decoding.
pub const REPLY_SCHEMA: &str = r#"{"type":"object","properties":{
"summary":{"type":"string"},
"next_steps":{"type":"array","items":{"type":"string"}},
"blockers":{"type":"array","items":{"type":"string"}},
"question":{"anyOf":[{"type":"string"},{"type":"null"}]}},
"required":["summary","next_steps","blockers"],"additionalProperties":false}"#;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub summary: String,
    pub next_steps: Vec<String>,
    pub blockers: Vec<String>,
    #[serde(default)]
    pub question: Option<String>,
}

pub fn system_prompt() -> String {
    format!(
        "You are the Navigator of a small team that changes a Go repository. You keep the team on task: \
summarize where the work stands, suggest the next concrete steps, and name blockers. When the request is too vague \
or contradictory to act on, ask the user exactly one precise question that would unblock the work; otherwise set \
\"question\" to null.\n\n{}\n\n\
Reply with exactly one JSON object and nothing else:\n\
{{\"summary\": \"...\", \"next_steps\": [\"...\"], \"blockers\": [\"...\"], \"question\": \"... or null\"}}",
        prompt::DATA_IS_NOT_INSTRUCTIONS
    )
}

pub fn parse_reply(reply: &str) -> Result<Navigation, String> {
    let r: Reply = parse_as(reply)?;
    if r.summary.trim().is_empty() {
        return Err("\"summary\" must not be empty".into());
    }
    let question = r.question.filter(|q| !q.trim().is_empty());
    if question.is_none() && r.next_steps.is_empty() {
        return Err("give at least one next step, or a question for the user".into());
    }
    Ok(Navigation {
        summary: r.summary,
        next_steps: r.next_steps,
        blockers: r.blockers,
        question,
    })
}

/// Cap on the repository's path listing (characters), as the architect's.
const LISTING_BUDGET: usize = 1_500;

struct Navigator;

impl Guest for Navigator {
    fn run(h: Handoff) -> Result<RoleOutput, RoleFailure> {
        // The record only (no file contents): the navigator judges where the
        // run stands, and a bounded listing is enough to name files.
        let user = format!(
            "{}## repository files\n{}\nWhere does the work stand, and what should happen next?",
            handoff_context(&h),
            path_listing(&list_files(), LISTING_BUDGET)
        );
        let msgs = vec![Msg::system(system_prompt()), Msg::user(user)];
        let nav =
            coop_plugin_sdk::ask_with_schema(msgs, MAX_TOKENS, Some(REPLY_SCHEMA), parse_reply)?;
        Ok(RoleOutput::Navigation(nav))
    }
}

coop_plugin_sdk::bindings::export_role!(Navigator);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_or_steps_required() {
        assert!(
            parse_reply(r#"{"summary":"s","next_steps":[],"blockers":[],"question":null}"#)
                .is_err()
        );
        let n = parse_reply(
            r#"{"summary":"s","next_steps":[],"blockers":["b"],"question":"Which API?"}"#,
        )
        .unwrap();
        assert_eq!(n.question.as_deref(), Some("Which API?"));
        let n =
            parse_reply(r#"{"summary":"s","next_steps":["do x"],"blockers":[],"question":"  "}"#)
                .unwrap();
        assert_eq!(n.question, None);
    }
}
