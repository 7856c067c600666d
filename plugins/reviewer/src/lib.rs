//! The Reviewer: reviews a change (with the verification result) and gives
//! findings and a verdict; before any change exists (bug fixes), it analyses
//! the root cause instead.

use coop_plugin_sdk::bindings::Guest;
use coop_plugin_sdk::structured::{Msg, parse_as};
use coop_plugin_sdk::types::{
    Finding, Handoff, Review, RoleFailure, RoleOutput, Severity, Verdict,
};
use coop_plugin_sdk::{budgeted_context, context, prompt};
use serde::Deserialize;

coop_plugin_sdk::embed_manifest!("manifest.json");

const MAX_TOKENS: u32 = 1024;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FindingReply {
    pub severity: String,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub line: Option<u32>,
    pub message: String,
    #[serde(default)]
    pub suggestion: Option<String>,
}

/// [`Reply`] as a JSON Schema for providers that constrain decoding.
pub const REPLY_SCHEMA: &str = r#"{"type":"object","properties":{
"verdict":{"enum":["approve","request-changes","escalate"]},
"summary":{"type":"string"},
"findings":{"type":"array","items":{"type":"object","properties":{
 "severity":{"enum":["blocking","major","minor","info"]},
 "file":{"anyOf":[{"type":"string"},{"type":"null"}]},
 "line":{"anyOf":[{"type":"integer","minimum":0},{"type":"null"}]},
 "message":{"type":"string"},
 "suggestion":{"anyOf":[{"type":"string"},{"type":"null"}]}},
 "required":["severity","message"],"additionalProperties":false}}},
"required":["verdict","summary","findings"],"additionalProperties":false}"#;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub verdict: String,
    pub summary: String,
    pub findings: Vec<FindingReply>,
}

/// Whether this step reviews a change or analyses a bug before any change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Review,
    RootCause,
}

pub fn mode(h: &Handoff) -> Mode {
    if h.diff.as_deref().map(str::trim).unwrap_or("").is_empty() {
        Mode::RootCause
    } else {
        Mode::Review
    }
}

const SCHEMA: &str = "Reply with exactly one JSON object and nothing else:\n\
{\"verdict\": \"approve\" | \"request-changes\" | \"escalate\",\n \"summary\": \"one paragraph\",\n \
\"findings\": [{\"severity\": \"blocking\" | \"major\" | \"minor\" | \"info\", \"file\": \"path or null\", \
\"line\": 12, \"message\": \"what is wrong\", \"suggestion\": \"how to fix, or null\"}]}\n\
Only blocking findings send the work back. Use \"approve\" when there are no blocking findings, \
\"request-changes\" when there is at least one, and \"escalate\" only when the task itself is unclear or contradictory \
and a person must decide.";

pub fn system_prompt(m: Mode) -> String {
    let job = match m {
        Mode::Review => {
            "You are the Reviewer of a small team that changes a Go repository. \
You review the change (a unified diff) against the task and the design, using the verification output \
(gofmt, go vet, go build, go test) as evidence. Check correctness first (edge cases, error handling, \
behaviour the task asks for and tests that prove it), then security, then style. A failing verification is always blocking. \
Do not ask for changes the task does not need."
        }
        Mode::RootCause => {
            "You are the Reviewer of a small team that changes a Go repository, asked to analyse a bug report \
before anyone fixes it. Locate the root cause in the code: name the file and line, explain the faulty logic, and say \
what behaviour is expected. Report the root cause as a blocking finding with verdict \"request-changes\" (the fix is still to do)."
        }
    };
    format!("{job}\n\n{}\n\n{SCHEMA}", prompt::DATA_IS_NOT_INSTRUCTIONS)
}

fn severity(s: &str) -> Result<Severity, String> {
    match s {
        "blocking" => Ok(Severity::Blocking),
        "major" => Ok(Severity::Major),
        "minor" => Ok(Severity::Minor),
        "info" => Ok(Severity::Info),
        other => Err(format!(
            "unknown severity {other:?}; use blocking, major, minor or info"
        )),
    }
}

/// Parse and check a reply: the verdict must agree with the findings.
pub fn parse_reply(reply: &str) -> Result<Review, String> {
    let r: Reply = parse_as(reply)?;
    let verdict = match r.verdict.as_str() {
        "approve" => Verdict::Approve,
        "request-changes" => Verdict::RequestChanges,
        "escalate" => Verdict::Escalate,
        other => {
            return Err(format!(
                "unknown verdict {other:?}; use approve, request-changes or escalate"
            ));
        }
    };
    let mut findings = Vec::new();
    for f in r.findings {
        if f.message.trim().is_empty() {
            return Err("every finding needs a non-empty \"message\"".into());
        }
        findings.push(Finding {
            severity: severity(&f.severity)?,
            file: f.file.filter(|s| !s.trim().is_empty()),
            line: f.line,
            message: f.message,
            suggestion: f.suggestion.filter(|s| !s.trim().is_empty()),
        });
    }
    let blocking = findings
        .iter()
        .filter(|f| f.severity == Severity::Blocking)
        .count();
    match verdict {
        Verdict::Approve if blocking > 0 => {
            return Err("verdict \"approve\" contradicts the blocking findings; use request-changes or lower their severity".into());
        }
        Verdict::RequestChanges if blocking == 0 => {
            return Err("verdict \"request-changes\" needs at least one blocking finding".into());
        }
        _ => {}
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Ok(Review {
        verdict,
        summary: r.summary,
        findings,
    })
}

struct Reviewer;

impl Guest for Reviewer {
    fn run(h: Handoff) -> Result<RoleOutput, RoleFailure> {
        let m = mode(&h);
        // File contents come from the host's working set: in root-cause
        // mode the files the bug report names or implies, in review mode
        // the files in scope; both with the definitions they use.
        let ask = match m {
            Mode::Review => "Review the change above.",
            Mode::RootCause => "Find the root cause of the reported bug.",
        };
        let user = format!("{}{ask}", budgeted_context(&h, &context()));
        let msgs = vec![Msg::system(system_prompt(m)), Msg::user(user)];
        let review =
            coop_plugin_sdk::ask_with_schema(msgs, MAX_TOKENS, Some(REPLY_SCHEMA), parse_reply)?;
        Ok(RoleOutput::Review(review))
    }
}

coop_plugin_sdk::bindings::export_role!(Reviewer);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approve_and_request_changes_parse() {
        let r = parse_reply(r#"{"verdict":"approve","summary":"ok","findings":[{"severity":"minor","message":"m"}]}"#).unwrap();
        assert_eq!(r.verdict, Verdict::Approve);
        let r = parse_reply(
            r#"{"verdict":"request-changes","summary":"s","findings":[{"severity":"info","message":"i"},{"severity":"blocking","file":"a.go","line":3,"message":"bug","suggestion":null}]}"#,
        )
        .unwrap();
        assert_eq!(
            r.findings[0].severity,
            Severity::Blocking,
            "sorted most severe first"
        );
        assert_eq!(r.findings[0].line, Some(3));
    }

    #[test]
    fn contradictions_and_unknowns_are_rejected() {
        assert!(parse_reply(r#"{"verdict":"approve","summary":"","findings":[{"severity":"blocking","message":"m"}]}"#)
            .unwrap_err()
            .contains("contradicts"));
        assert!(
            parse_reply(r#"{"verdict":"request-changes","summary":"","findings":[]}"#)
                .unwrap_err()
                .contains("needs at least one")
        );
        assert!(
            parse_reply(r#"{"verdict":"lgtm","summary":"","findings":[]}"#)
                .unwrap_err()
                .contains("unknown verdict")
        );
        assert!(parse_reply(r#"{"verdict":"approve","summary":"","findings":[{"severity":"huge","message":"m"}]}"#).is_err());
        assert!(parse_reply("LGTM!").is_err());
    }
}
