//! The structured-reply loop: ask for one JSON object, validate it, retry once
//! with the parse error shown to the model, then fail. A reply that does not
//! validate is never accepted.

use std::fmt;

/// Speaker of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgRole {
    System,
    User,
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub role: MsgRole,
    pub content: String,
}

impl Msg {
    pub fn system(s: impl Into<String>) -> Msg {
        Msg {
            role: MsgRole::System,
            content: s.into(),
        }
    }
    pub fn user(s: impl Into<String>) -> Msg {
        Msg {
            role: MsgRole::User,
            content: s.into(),
        }
    }
    pub fn assistant(s: impl Into<String>) -> Msg {
        Msg {
            role: MsgRole::Assistant,
            content: s.into(),
        }
    }
}

/// A model reply as the structured loop sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub text: String,
    /// Generation stopped at the output-token limit, so the reply is cut off.
    pub truncated: bool,
}

impl From<String> for Answer {
    fn from(text: String) -> Answer {
        Answer {
            text,
            truncated: false,
        }
    }
}

/// How much of a cut-off reply is shown back to the model on the retry:
/// enough to recognise it, not so much that the retry overflows again.
const TRUNCATED_ECHO_CHARS: usize = 400;

/// Why the model could not be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AskError {
    Denied(String),
    Budget(String),
    Model(String),
}

/// Why no structured reply was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StructuredError {
    Ask(AskError),
    /// Both the first reply and the retry failed validation.
    Unparseable {
        first: String,
        second: String,
    },
}

impl fmt::Display for StructuredError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StructuredError::Ask(AskError::Denied(m)) => write!(f, "model access denied: {m}"),
            StructuredError::Ask(AskError::Budget(m)) => write!(f, "budget exceeded: {m}"),
            StructuredError::Ask(AskError::Model(m)) => write!(f, "model call failed: {m}"),
            StructuredError::Unparseable { first, second } => write!(
                f,
                "the model's reply did not match the required structure twice; first: {first}; after retry: {second}"
            ),
        }
    }
}

/// Ask with `messages`; parse with `parse`; on a parse error, show the error
/// to the model once and ask again. Returns the parsed value and the number of
/// model calls made.
pub fn ask_structured<T, A: Into<Answer>>(
    ask: impl FnMut(&[Msg]) -> Result<A, AskError>,
    messages: Vec<Msg>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<(T, u32), StructuredError> {
    ask_structured_with(ask, messages, parse, |_| {})
}

/// [`ask_structured`] with a callback told the parse error before the retry
/// (plugins log it, so the audit log shows why a second call was made).
///
/// A reply cut off at the output limit is not retried with the same request
/// (it would be cut off again): the retry shows only the start of the cut
/// reply and asks for a much shorter one. In the text-edit form the
/// complete blocks before the cut are used when they parse, and a retry
/// shows none of the cut reply.
pub fn ask_structured_with<T, A: Into<Answer>>(
    ask: impl FnMut(&[Msg]) -> Result<A, AskError>,
    messages: Vec<Msg>,
    parse: impl Fn(&str) -> Result<T, String>,
    on_retry: impl FnMut(&str),
) -> Result<(T, u32), StructuredError> {
    ask_structured_as(ask, messages, parse, on_retry, ReplyForm::Json)
}

/// The form a structured reply takes, for the words of the retry request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyForm {
    /// One JSON object (routing, designs, reviews).
    Json,
    /// Files in fenced blocks ([`crate::edits`]).
    TextEdits,
}

/// [`ask_structured_with`] for a reply of the given form.
pub fn ask_structured_as<T, A: Into<Answer>>(
    mut ask: impl FnMut(&[Msg]) -> Result<A, AskError>,
    mut messages: Vec<Msg>,
    parse: impl Fn(&str) -> Result<T, String>,
    mut on_retry: impl FnMut(&str),
    form: ReplyForm,
) -> Result<(T, u32), StructuredError> {
    let (again, shorter, exact) = match form {
        ReplyForm::Json => (
            "Reply again with only the JSON object described in the instructions",
            "for existing files, change only the lines that must change instead of repeating whole files",
            "no prose, no markdown, every required field present",
        ),
        ReplyForm::TextEdits => (
            "Reply again in the format described in the instructions: each file's path on a line of its own, then the file in a fenced code block",
            "for long existing files, use SEARCH/REPLACE blocks for the lines that change instead of repeating the whole file",
            "every code block closed and preceded by its file's path",
        ),
    };
    let first: Answer = ask(&messages).map_err(StructuredError::Ask)?.into();
    let first_err = match parse(&first.text) {
        Ok(v) => return Ok((v, 1)),
        Err(e) if first.truncated => format!(
            "the reply was cut off before its end: too long, or it kept repeating itself ({e})"
        ),
        Err(e) => e,
    };
    // Files given in full before the cut stand: a reply in the text form
    // is a sequence of independent blocks, and only the last, unfinished
    // one is lost. (Asked again "much shorter", a small model gave the same
    // long reply, or echoed the cut one.)
    if first.truncated
        && form == ReplyForm::TextEdits
        && let Some(v) = complete_blocks(&first.text).and_then(|head| parse(&head).ok())
    {
        return Ok((v, 1));
    }
    on_retry(&first_err);
    if first.truncated && form == ReplyForm::TextEdits {
        // No echo of the cut reply: small models copy it back verbatim.
        messages.push(Msg::user(format!(
            "Your reply could not be used: {first_err}.\n{again}, and make it much shorter: leave out anything not needed; {shorter}."
        )));
    } else if first.truncated {
        let head: String = first.text.chars().take(TRUNCATED_ECHO_CHARS).collect();
        messages.push(Msg::assistant(format!("{head} [... cut off]")));
        messages.push(Msg::user(format!(
            "Your reply could not be used: {first_err}.\n{again}, and make it much shorter: leave out anything not needed; {shorter}."
        )));
    } else {
        messages.push(Msg::assistant(first.text));
        messages.push(Msg::user(format!(
            "Your reply could not be used: {first_err}\n{again}: {exact}."
        )));
    }
    let second: Answer = ask(&messages).map_err(StructuredError::Ask)?.into();
    let second_reply = second.text;
    match parse(&second_reply) {
        Ok(v) => Ok((v, 2)),
        Err(second_err) => Err(StructuredError::Unparseable {
            first: first_err,
            second: second_err,
        }),
    }
}

/// A cut-off reply up to the end of its last closed code fence, when it has
/// one: the part of it whose blocks are complete.
pub fn complete_blocks(text: &str) -> Option<String> {
    let mut open: Option<(char, usize)> = None;
    let mut end = None;
    let mut at = 0usize;
    for line in text.split_inclusive('\n') {
        at += line.len();
        let t = line.trim();
        let c = t.chars().next().unwrap_or(' ');
        let run = t.chars().take_while(|&x| x == c).count();
        if (c == '`' || c == '~') && run >= 3 {
            match open {
                Some((oc, on)) if oc == c && run >= on && t.chars().all(|x| x == c) => {
                    open = None;
                    end = Some(at);
                }
                None => open = Some((c, run)),
                _ => {}
            }
        }
    }
    end.map(|e| text[..e].to_string())
}

/// Extract the single JSON object a reply must consist of.
///
/// Accepted: the whole reply is one JSON object (surrounding whitespace
/// allowed), or the whole reply is one fenced code block holding one. Prose
/// around the object is rejected: the instructions ask for the object alone,
/// and guessing which braces the model meant is how wrong output slips in.
pub fn extract_json_object(reply: &str) -> Result<serde_json::Value, String> {
    let t = reply.trim();
    let body = if let Some(rest) = t.strip_prefix("```") {
        let rest = rest.strip_prefix("json").unwrap_or(rest);
        match rest.strip_suffix("```") {
            Some(inner) => inner.trim(),
            None => return Err("the reply opens a code fence that is never closed".into()),
        }
    } else {
        t
    };
    if body.is_empty() {
        return Err("the reply is empty".into());
    }
    if !body.starts_with('{') {
        return Err(
            "the reply must be a single JSON object, but it does not start with '{'".into(),
        );
    }
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("the reply is not valid JSON: {e}"))?;
    if !v.is_object() {
        return Err("the reply must be a JSON object".into());
    }
    Ok(v)
}

/// Deserialize a validated object into `T`, with serde's message as the error.
pub fn parse_as<T: serde::de::DeserializeOwned>(reply: &str) -> Result<T, String> {
    let v = extract_json_object(reply)?;
    serde_json::from_value(v).map_err(|e| format!("the JSON object does not match the schema: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct X {
        a: u32,
    }

    #[test]
    fn accepts_bare_and_fenced_objects() {
        assert_eq!(parse_as::<X>(" {\"a\": 1}\n").unwrap(), X { a: 1 });
        assert_eq!(
            parse_as::<X>("```json\n{\"a\": 2}\n```").unwrap(),
            X { a: 2 }
        );
    }

    #[test]
    fn rejects_prose_arrays_and_wrong_fields() {
        assert!(parse_as::<X>("Here you go: {\"a\": 1}").is_err());
        assert!(parse_as::<X>("[1]").is_err());
        assert!(parse_as::<X>("{\"b\": 1}").unwrap_err().contains("schema"));
        assert!(parse_as::<X>("```json\n{\"a\": 1}").is_err());
        assert!(parse_as::<X>("").is_err());
    }

    #[test]
    fn retries_once_with_error_then_succeeds() {
        let mut calls = Vec::new();
        let replies = ["not json", "{\"a\": 3}"];
        let r = ask_structured(
            |m: &[Msg]| {
                calls.push(m.to_vec());
                Ok(replies[calls.len() - 1].to_string())
            },
            vec![Msg::system("s"), Msg::user("u")],
            parse_as::<X>,
        )
        .unwrap();
        assert_eq!(r, (X { a: 3 }, 2));
        assert_eq!(calls.len(), 2);
        let retry = &calls[1];
        assert_eq!(retry.len(), 4);
        assert_eq!(retry[2], Msg::assistant("not json"));
        assert!(retry[3].content.contains("could not be used"));
        assert!(retry[3].content.contains("does not start with"));
    }

    #[test]
    fn fails_after_second_bad_reply_and_never_asks_a_third_time() {
        let mut n = 0;
        let r = ask_structured(
            |_m: &[Msg]| {
                n += 1;
                Ok("nope".to_string())
            },
            vec![Msg::user("u")],
            parse_as::<X>,
        );
        assert!(matches!(r, Err(StructuredError::Unparseable { .. })));
        assert_eq!(n, 2);
    }

    #[test]
    fn a_cut_off_reply_is_retried_with_a_short_echo_and_a_request_to_be_brief() {
        let mut calls = Vec::new();
        let long = format!("{{\"a\": \"{}", "x".repeat(5000));
        let r = ask_structured(
            |m: &[Msg]| {
                calls.push(m.to_vec());
                Ok(if calls.len() == 1 {
                    Answer {
                        text: long.clone(),
                        truncated: true,
                    }
                } else {
                    Answer {
                        text: "{\"a\": 4}".into(),
                        truncated: false,
                    }
                })
            },
            vec![Msg::user("u")],
            parse_as::<X>,
        )
        .unwrap();
        assert_eq!(r, (X { a: 4 }, 2));
        let retry = &calls[1];
        assert!(
            retry[1].content.len() < 500,
            "only the head of the cut reply is echoed"
        );
        assert!(retry[1].content.ends_with("[... cut off]"));
        assert!(retry[2].content.contains("cut off before its end"));
        assert!(retry[2].content.contains("much shorter"));
    }

    #[test]
    fn a_cut_off_text_reply_keeps_its_complete_blocks_or_is_asked_again_without_an_echo() {
        let cut = "a.go\n```go\npackage a\n```\n\nb.go\n```go\npackage b\nfunc B() {";
        assert_eq!(
            complete_blocks(cut).as_deref(),
            Some("a.go\n```go\npackage a\n```\n")
        );
        assert_eq!(complete_blocks("```go\npackage a\n"), None);
        assert_eq!(
            complete_blocks("````\n```\n````\n").as_deref(),
            Some("````\n```\n````\n"),
            "a longer fence closes only on its length"
        );
        // Complete blocks before the cut: used, no second call.
        let mut n = 0;
        let parse = |t: &str| {
            if t.contains("```") && t.matches("```").count().is_multiple_of(2) {
                Ok(t.to_string())
            } else {
                Err("unclosed".to_string())
            }
        };
        let r = ask_structured_as(
            |_m: &[Msg]| {
                n += 1;
                Ok::<_, AskError>(Answer {
                    text: cut.into(),
                    truncated: true,
                })
            },
            vec![Msg::user("u")],
            parse,
            |_| {},
            ReplyForm::TextEdits,
        )
        .unwrap();
        assert_eq!(
            (r.0.as_str(), r.1, n),
            ("a.go\n```go\npackage a\n```\n", 1, 1)
        );
        // Nothing complete: asked again, without the cut reply as a turn.
        let mut calls = Vec::new();
        let r = ask_structured_as(
            |m: &[Msg]| {
                calls.push(m.to_vec());
                Ok::<_, AskError>(if calls.len() == 1 {
                    Answer {
                        text: "```go\npackage a\n".into(),
                        truncated: true,
                    }
                } else {
                    Answer {
                        text: "```go\npackage a\n```".into(),
                        truncated: false,
                    }
                })
            },
            vec![Msg::user("u")],
            parse,
            |_| {},
            ReplyForm::TextEdits,
        )
        .unwrap();
        assert_eq!(r.1, 2);
        assert_eq!(calls[1].len(), 2, "the first request plus one user turn");
        assert!(calls[1].iter().all(|m| m.role != MsgRole::Assistant));
        assert!(calls[1][1].content.contains("much shorter"));
    }

    #[test]
    fn ask_errors_are_not_retried() {
        let mut n = 0;
        let r = ask_structured(
            |_m: &[Msg]| {
                n += 1;
                Err::<String, _>(AskError::Denied("no".into()))
            },
            vec![Msg::user("u")],
            parse_as::<X>,
        );
        assert_eq!(r, Err(StructuredError::Ask(AskError::Denied("no".into()))));
        assert_eq!(n, 1);
    }
}
