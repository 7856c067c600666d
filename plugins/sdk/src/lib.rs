//! Guest-side SDK for Cooperations role plugins.
//!
//! A role plugin is judgement only: how to prompt, how to read the reply.
//! This crate carries the rest:
//! - [`bindings`]: the wit-bindgen bindings of the `coop:mob` `role` world,
//!   and the `export_role!` macro a plugin uses to export itself;
//! - [`structured`]: the "ask for JSON, validate, retry once with the parse
//!   error, then fail" loop every role uses;
//! - [`prompt`]: rendering handoffs and repository content as fenced,
//!   provenance-labelled data, never as instructions.
//!
//! Everything except the raw import calls is plain Rust, so plugins unit-test
//! their prompts and parsers natively with `cargo test`.

pub mod edits;
pub mod gomerge;
pub mod manifest;
pub mod prompt;
pub mod structured;

/// Bindings for the `role` world of `wit/mob.wit`.
#[allow(clippy::all, unsafe_code, missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "role",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "export_role",
        default_bindings_module: "coop_plugin_sdk::bindings",
    });
}

pub use bindings::coop::mob::types;
use bindings::coop::mob::{log, model};

/// Send a conversation to the model the host assigned to this role.
///
/// The host picks provider and model, enforces the grant and the budget, and
/// records the exchange; a denial comes back as a typed error.
pub fn complete(
    messages: &[structured::Msg],
    max_tokens: u32,
    json: bool,
) -> Result<String, structured::AskError> {
    complete_answer(messages, max_tokens, json, None, 0.0).map(|a| a.text)
}

/// [`complete`], also telling whether the reply was cut off at `max_tokens`;
/// `schema` (JSON Schema text) asks the provider to constrain the reply's
/// shape where it can.
pub fn complete_answer(
    messages: &[structured::Msg],
    max_tokens: u32,
    json: bool,
    schema: Option<&str>,
    temperature: f32,
) -> Result<structured::Answer, structured::AskError> {
    let req = model::CompletionRequest {
        messages: messages
            .iter()
            .map(|m| model::Message {
                role: match m.role {
                    structured::MsgRole::System => model::MessageRole::System,
                    structured::MsgRole::User => model::MessageRole::User,
                    structured::MsgRole::Assistant => model::MessageRole::Assistant,
                },
                content: m.content.clone(),
            })
            .collect(),
        max_tokens,
        temperature: Some(temperature),
        json,
        json_schema: schema.map(str::to_string),
    };
    match model::complete(&req) {
        Ok(c) => Ok(structured::Answer {
            text: c.text,
            truncated: c.truncated,
        }),
        Err(model::ModelError::Denied(m)) => Err(structured::AskError::Denied(m)),
        Err(model::ModelError::BudgetExceeded(m)) => Err(structured::AskError::Budget(m)),
        Err(model::ModelError::Provider(m)) => Err(structured::AskError::Model(m)),
        Err(model::ModelError::Cancelled) => Err(structured::AskError::Model("cancelled".into())),
    }
}

/// Sampling temperature of the one retry after an unusable reply.
pub const RETRY_TEMPERATURE: f32 = 0.6;

/// Ask the model for a structured reply: JSON mode, validated by `parse`,
/// retried once with the parse error shown to the model (and logged).
pub fn ask<T>(
    messages: Vec<structured::Msg>,
    max_tokens: u32,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, types::RoleFailure> {
    ask_with_schema(messages, max_tokens, None, parse)
}

/// [`ask`] with a JSON Schema of the reply, sent to the provider so it can
/// constrain decoding (see `json-schema` in the WIT). `parse` still decides.
pub fn ask_with_schema<T>(
    messages: Vec<structured::Msg>,
    max_tokens: u32,
    schema: Option<&str>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, types::RoleFailure> {
    // The retry samples at a higher temperature: at 0 a model given its own
    // bad reply and the error often repeats the same reply token for token.
    let mut calls = 0u32;
    let ask = |m: &[structured::Msg]| {
        calls += 1;
        complete_answer(
            m,
            max_tokens,
            true,
            schema,
            if calls == 1 { 0.0 } else { RETRY_TEMPERATURE },
        )
    };
    structured::ask_structured_with(ask, messages, parse, |e| {
        log::write(
            log::Level::Warn,
            &format!("model reply rejected, retrying once: {e}"),
        );
    })
    .map(|(v, _)| v)
    .map_err(failure)
}

/// Ask the model for a reply in the plain-text edit format
/// ([`edits::parse_text_edits`]; `parse` gets the raw reply and decides):
/// no JSON mode, no schema; an unusable reply is retried once with the
/// exact parse error, at [`RETRY_TEMPERATURE`].
pub fn ask_text_edits<T>(
    messages: Vec<structured::Msg>,
    max_tokens: u32,
    temperature: f32,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, types::RoleFailure> {
    let mut calls = 0u32;
    let ask = |m: &[structured::Msg]| {
        calls += 1;
        complete_answer(
            m,
            max_tokens,
            false,
            None,
            if calls == 1 {
                temperature
            } else {
                RETRY_TEMPERATURE
            },
        )
    };
    structured::ask_structured_as(
        ask,
        messages,
        parse,
        |e| {
            log::write(
                log::Level::Warn,
                &format!("model reply rejected, retrying once: {e}"),
            )
        },
        structured::ReplyForm::TextEdits,
    )
    .map(|(v, _)| v)
    .map_err(failure)
}

/// Log a line into the run's audit log (if the plugin was granted `log`).
pub fn info(msg: &str) {
    log::write(log::Level::Info, msg);
}

/// Map an [`structured::AskError`] or parse failure onto the WIT failure type.
pub fn failure(err: structured::StructuredError) -> types::RoleFailure {
    use structured::{AskError, StructuredError};
    let kind = match &err {
        StructuredError::Ask(AskError::Denied(_)) => types::FailureKind::Denied,
        StructuredError::Ask(AskError::Budget(_)) => types::FailureKind::BudgetExceeded,
        StructuredError::Ask(AskError::Model(_)) => types::FailureKind::ModelError,
        StructuredError::Unparseable { .. } => types::FailureKind::UnparseableReply,
    };
    types::RoleFailure {
        kind,
        message: err.to_string(),
    }
}

/// Render the parts of a handoff every role needs, as fenced data.
pub fn handoff_context(h: &types::Handoff) -> String {
    let mut sections: Vec<prompt::Section> = Vec::new();
    sections.push(prompt::Section::data(
        "task",
        "the user's request",
        &h.task.text,
    ));
    if !h.goals.is_empty() {
        sections.push(prompt::Section::list("goals for this step", &h.goals));
    }
    if !h.constraints.is_empty() {
        sections.push(prompt::Section::list("constraints", &h.constraints));
    }
    if !h.files_in_scope.is_empty() {
        sections.push(prompt::Section::list("files in scope", &h.files_in_scope));
    }
    if !h.decisions.is_empty() {
        let lines: Vec<String> = h
            .decisions
            .iter()
            .map(|d| format!("{} decided: {} (why: {})", role_name(d.by), d.what, d.why))
            .collect();
        sections.push(prompt::Section::list("decisions so far", &lines));
    }
    if !h.blockers.is_empty() {
        sections.push(prompt::Section::list("open blockers", &h.blockers));
    }
    if !h.next_actions.is_empty() {
        sections.push(prompt::Section::list("next actions", &h.next_actions));
    }
    if let Some(notes) = &h.design_notes {
        sections.push(prompt::Section::data(
            "design",
            "the architect's design notes",
            notes,
        ));
    }
    if let Some(v) = &h.verification {
        sections.push(prompt::Section::data(
            "verification",
            "output of gofmt/go vet/go build/go test",
            v,
        ));
    }
    if let Some(d) = &h.diff {
        sections.push(prompt::Section::data(
            "diff",
            "the current change as a unified diff",
            d,
        ));
    }
    if !h.findings.is_empty() {
        let lines: Vec<String> = h.findings.iter().map(finding_line).collect();
        sections.push(prompt::Section::list("review findings to address", &lines));
    }
    prompt::render(&sections)
}

/// Read the files in scope (as far as the grant allows) as fenced data.
/// Files that cannot be read are listed with the reason instead.
pub fn files_context(paths: &[String], max_total_chars: usize) -> String {
    use bindings::coop::mob::workspace;
    let mut sections = Vec::new();
    let mut used = 0usize;
    for p in paths {
        match workspace::read_file(p) {
            Ok(text) => {
                if used + text.len() > max_total_chars {
                    sections.push(prompt::Section::note(&format!(
                        "file {p} omitted: the prompt's file budget is spent"
                    )));
                    continue;
                }
                used += text.len();
                sections.push(prompt::Section::data(
                    &format!("file {p}"),
                    "repository content",
                    &text,
                ));
            }
            Err(workspace::WorkspaceError::NotFound(_)) => {
                sections.push(prompt::Section::note(&format!(
                    "file {p} does not exist yet"
                )));
            }
            Err(e) => {
                sections.push(prompt::Section::note(&format!(
                    "file {p} could not be read: {e:?}"
                )));
            }
        }
    }
    prompt::render(&sections)
}

/// The host's budgeted context for this step (`coop:mob/context`, since
/// WIT 0.2.1): the working set the host chose from the Go module map, the
/// run's last two steps verbatim, and the token budget they were fitted
/// into. Linked with the `workspace` read grant; calling it makes the
/// component import `context`.
pub fn context() -> types::ContextPack {
    bindings::coop::mob::context::get()
}

/// Render a context pack's recent steps and working set as fenced data,
/// with a note for each piece the host left out.
pub fn context_sections(p: &types::ContextPack) -> String {
    render_context(p, false)
}

/// The prompt's repository and history part for handoff `h`: the
/// persistent part ([`handoff_context`]) then the host's budgeted pack
/// ([`context_sections`]). A recent design step is not repeated when the
/// handoff already carries its design notes (the same text).
pub fn budgeted_context(h: &types::Handoff, p: &types::ContextPack) -> String {
    format!(
        "{}{}",
        handoff_context(h),
        render_context(p, h.design_notes.is_some())
    )
}

fn render_context(p: &types::ContextPack, skip_design_step: bool) -> String {
    let mut sections: Vec<prompt::Section> = Vec::new();
    for s in p
        .recent
        .iter()
        .filter(|s| !(skip_design_step && s.kind == "design"))
    {
        sections.push(prompt::Section::data(
            &format!("step {} ({} {})", s.seq, role_name(s.role), s.kind),
            "an earlier role's output",
            &s.text,
        ));
    }
    for i in &p.working_set {
        let label = match &i.decl {
            Some(d) => format!("{} {d} (lines {}-{})", i.path, i.start_line, i.end_line),
            None => format!("file {}", i.path),
        };
        sections.push(prompt::Section::data(
            &label,
            "repository content",
            &i.content,
        ));
    }
    for d in &p.dropped {
        sections.push(prompt::Section::note(&format!(
            "{} left out ({} tokens): {}",
            d.what, d.tokens, d.reason
        )));
    }
    prompt::render(&sections)
}

/// The repository's paths as one listing of at most `max_chars`
/// characters: Go sources and `go.mod` first, shallow before deep; what
/// does not fit is counted, not cut mid-name. The host's context budget
/// does not cover this listing, so callers keep `max_chars` well inside the
/// prompt reserve.
pub fn path_listing(all: &[String], max_chars: usize) -> String {
    let mut paths: Vec<&String> = all.iter().collect();
    paths.sort_by_key(|p| {
        (
            !(p.ends_with(".go") || p.as_str() == "go.mod"),
            p.matches('/').count(),
            p.as_str(),
        )
    });
    let mut out = String::new();
    let mut left = 0usize;
    for p in paths {
        if left > 0 || out.len() + p.len() + 1 > max_chars {
            left += 1;
            continue;
        }
        out.push_str(p);
        out.push('\n');
    }
    if left > 0 {
        out.push_str(&format!("(and {left} more paths)\n"));
    }
    out
}

/// List the repository's files (paths only) if the grant allows.
pub fn list_files() -> Vec<String> {
    use bindings::coop::mob::workspace;
    match workspace::list_files() {
        Ok(files) => files.into_iter().map(|f| f.path).collect(),
        Err(_) => Vec::new(),
    }
}

pub fn role_name(r: types::Role) -> &'static str {
    match r {
        types::Role::Architect => "architect",
        types::Role::Implementer => "implementer",
        types::Role::Reviewer => "reviewer",
        types::Role::Navigator => "navigator",
    }
}

pub fn finding_line(f: &types::Finding) -> String {
    let sev = match f.severity {
        types::Severity::Info => "info",
        types::Severity::Minor => "minor",
        types::Severity::Major => "major",
        types::Severity::Blocking => "blocking",
    };
    let loc = match (&f.file, f.line) {
        (Some(file), Some(line)) => format!(" {file}:{line}"),
        (Some(file), None) => format!(" {file}"),
        _ => String::new(),
    };
    let sugg = f
        .suggestion
        .as_deref()
        .map(|s| format!(" (suggestion: {s})"))
        .unwrap_or_default();
    format!("[{sev}]{loc} {}{sugg}", f.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_sections_fence_steps_and_files_and_name_what_was_left_out() {
        let z = types::SectionBudget {
            share: 0,
            limit: 0,
            used: 0,
        };
        let p = types::ContextPack {
            counter: "estimate".into(),
            budget: types::ContextBudget {
                window: 0,
                output_reserve: 0,
                prompt_reserve: 0,
                input: 0,
                persistent: z,
                working: z,
                recent: z,
            },
            working_set: vec![types::ContextItem {
                path: "a/b.go".into(),
                decl: Some("F".into()),
                start_line: 3,
                end_line: 5,
                tokens: 9,
                reason: "named".into(),
                content: "func F() {}\n".into(),
            }],
            recent: vec![types::StepRecord {
                seq: 2,
                role: types::Role::Reviewer,
                kind: "review".into(),
                text: "verdict: approve\n".into(),
            }],
            summarized_steps: 1,
            dropped: vec![types::DroppedItem {
                section: types::Section::Working,
                what: "file c.go".into(),
                tokens: 900,
                reason: "too big".into(),
            }],
        };
        let r = context_sections(&p);
        assert!(r.contains("~~~ DATA step 2 (reviewer review) (source: an earlier role's output)\nverdict: approve\n~~~ END DATA"), "{r}");
        assert!(
            r.contains("~~~ DATA a/b.go F (lines 3-5) (source: repository content)\nfunc F() {}\n"),
            "{r}"
        );
        assert!(
            r.contains("Note: file c.go left out (900 tokens): too big"),
            "{r}"
        );
        // A design step is not repeated when the handoff carries the notes.
        let mut p2 = p.clone();
        p2.recent[0].kind = "design".into();
        assert!(render_context(&p2, true).find("step 2").is_none());
        assert!(render_context(&p2, false).contains("step 2 (reviewer design)"));
    }

    #[test]
    fn path_listing_puts_go_first_and_counts_what_does_not_fit() {
        let all: Vec<String> = [
            "README.md",
            "x/y/z.go",
            "a.go",
            "go.mod",
            "docs/long-name.md",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            path_listing(&all, 1000),
            "a.go\ngo.mod\nx/y/z.go\nREADME.md\ndocs/long-name.md\n"
        );
        assert_eq!(path_listing(&all, 14), "a.go\ngo.mod\n(and 3 more paths)\n");
        assert_eq!(path_listing(&all, 0), "(and 5 more paths)\n");
    }
}
