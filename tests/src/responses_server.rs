//! Recorded-style transcripts of OpenAI's streamed Responses API
//! (`POST /v1/responses`), served by [`SseScriptServer`].
//!
//! Event sequence as in real streams of a reasoning model: `response.created`,
//! `response.in_progress`, a reasoning output item (added/done), the message
//! item (`response.output_item.added`, `response.content_part.added`,
//! `response.output_text.delta`s, `response.output_text.done`,
//! `response.content_part.done`, `response.output_item.done`) or a function
//! call item (`response.function_call_arguments.delta`s / `.done`), then
//! `response.completed` or `response.incomplete` with the usage object.
//! Every payload carries `type` and `sequence_number`.

use serde_json::{Value, json};

pub use crate::sse_script_server::{RecordedRequest, Reply, SseScript, SseScriptServer};
use crate::sse_script_server::{split_chars, sse_event};

/// Responses API usage as it appears on the wire (`input_tokens` includes
/// the cached ones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResponsesUsage {
    pub input_tokens: u64,
    pub cached_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
}

#[derive(Debug, Clone)]
pub struct ResponsesReply {
    pub model: String,
    pub text: Option<String>,
    /// A function call with these arguments instead of text.
    pub function_arguments: Option<String>,
    /// Send `response.output_text.done` with the full text.
    pub send_text_done: bool,
    /// `Some(reason)`: end with `response.incomplete`.
    pub incomplete_reason: Option<String>,
    pub usage: ResponsesUsage,
}

impl ResponsesReply {
    pub fn text(text: impl Into<String>) -> Self {
        ResponsesReply {
            model: "gpt-5.2-codex".into(),
            text: Some(text.into()),
            function_arguments: None,
            send_text_done: true,
            incomplete_reason: None,
            usage: ResponsesUsage {
                input_tokens: 36,
                output_tokens: 87,
                reasoning_tokens: 64,
                cached_tokens: 0,
            },
        }
    }
    pub fn function_call(arguments: impl Into<String>) -> Self {
        ResponsesReply {
            text: None,
            function_arguments: Some(arguments.into()),
            ..Self::text("")
        }
    }
    pub fn without_text_done(mut self) -> Self {
        self.send_text_done = false;
        self
    }
    pub fn incomplete(mut self, reason: impl Into<String>) -> Self {
        self.incomplete_reason = Some(reason.into());
        self
    }
    pub fn usage(mut self, u: ResponsesUsage) -> Self {
        self.usage = u;
        self
    }

    fn response_obj(&self, status: &str, output: Value, usage: Value) -> Value {
        let mut r = json!({
            "id": "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41",
            "object": "response", "created_at": 1741476777, "status": status,
            "background": false, "error": null, "incomplete_details": null,
            "instructions": null, "max_output_tokens": null, "model": self.model,
            "output": output, "parallel_tool_calls": true, "previous_response_id": null,
            "reasoning": {"effort": "medium", "summary": null}, "store": false,
            "temperature": 1.0, "text": {"format": {"type": "text"}}, "tool_choice": "auto",
            "tools": [], "top_p": 1.0, "truncation": "disabled", "usage": usage,
            "user": null, "metadata": {}
        });
        if let (Some(reason), Some(o)) = (&self.incomplete_reason, r.as_object_mut()) {
            o.insert("incomplete_details".into(), json!({"reason": reason}));
        }
        r
    }

    pub fn events(&self) -> Vec<String> {
        let mut seq = 0u64;
        let mut out = Vec::new();
        let mut push = |out: &mut Vec<String>, name: &str, mut v: Value| {
            if let Some(o) = v.as_object_mut() {
                o.insert("type".into(), json!(name));
                o.insert("sequence_number".into(), json!(seq));
            }
            seq += 1;
            out.push(sse_event(name, &v));
        };
        push(
            &mut out,
            "response.created",
            json!({"response": self.response_obj("in_progress", json!([]), Value::Null)}),
        );
        push(
            &mut out,
            "response.in_progress",
            json!({"response": self.response_obj("in_progress", json!([]), Value::Null)}),
        );
        let reasoning = json!({"id": "rs_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41", "type": "reasoning", "summary": []});
        push(
            &mut out,
            "response.output_item.added",
            json!({"output_index": 0, "item": reasoning}),
        );
        push(
            &mut out,
            "response.output_item.done",
            json!({"output_index": 0, "item": reasoning}),
        );
        let mut output = vec![reasoning.clone()];
        if let Some(text) = &self.text {
            let id = "msg_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d42";
            push(
                &mut out,
                "response.output_item.added",
                json!({"output_index": 1, "item": {"id": id, "type": "message", "status": "in_progress", "content": [], "role": "assistant"}}),
            );
            push(
                &mut out,
                "response.content_part.added",
                json!({"item_id": id, "output_index": 1, "content_index": 0, "part": {"type": "output_text", "annotations": [], "text": ""}}),
            );
            for piece in split_chars(text, 8) {
                push(
                    &mut out,
                    "response.output_text.delta",
                    json!({"item_id": id, "output_index": 1, "content_index": 0, "delta": piece, "logprobs": []}),
                );
            }
            if self.send_text_done {
                push(
                    &mut out,
                    "response.output_text.done",
                    json!({"item_id": id, "output_index": 1, "content_index": 0, "text": text, "logprobs": []}),
                );
            }
            let part = json!({"type": "output_text", "annotations": [], "text": text});
            push(
                &mut out,
                "response.content_part.done",
                json!({"item_id": id, "output_index": 1, "content_index": 0, "part": part}),
            );
            let item = json!({"id": id, "type": "message", "status": "completed", "content": [part], "role": "assistant"});
            push(
                &mut out,
                "response.output_item.done",
                json!({"output_index": 1, "item": item}),
            );
            output.push(item);
        }
        if let Some(args) = &self.function_arguments {
            let id = "fc_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d43";
            let mut item = json!({"id": id, "type": "function_call", "status": "in_progress", "arguments": "", "call_id": "call_8bSfrkJt2Z1ziZDCtwVVbbTt", "name": "reply"});
            push(
                &mut out,
                "response.output_item.added",
                json!({"output_index": 1, "item": item}),
            );
            for piece in split_chars(args, 10) {
                push(
                    &mut out,
                    "response.function_call_arguments.delta",
                    json!({"item_id": id, "output_index": 1, "delta": piece}),
                );
            }
            push(
                &mut out,
                "response.function_call_arguments.done",
                json!({"item_id": id, "output_index": 1, "arguments": args}),
            );
            item["status"] = json!("completed");
            item["arguments"] = json!(args);
            push(
                &mut out,
                "response.output_item.done",
                json!({"output_index": 1, "item": item}),
            );
            output.push(item);
        }
        let u = self.usage;
        let usage = json!({
            "input_tokens": u.input_tokens,
            "input_tokens_details": {"cached_tokens": u.cached_tokens},
            "output_tokens": u.output_tokens,
            "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
            "total_tokens": u.input_tokens + u.output_tokens
        });
        if self.incomplete_reason.is_some() {
            push(
                &mut out,
                "response.incomplete",
                json!({"response": self.response_obj("incomplete", Value::Array(output), usage)}),
            );
        } else {
            push(
                &mut out,
                "response.completed",
                json!({"response": self.response_obj("completed", Value::Array(output), usage)}),
            );
        }
        out
    }

    pub fn script(&self) -> SseScript {
        SseScript::new(self.events())
    }
}

impl From<ResponsesReply> for Reply {
    fn from(r: ResponsesReply) -> Self {
        Reply::Sse(r.script())
    }
}

/// A top-level `error` event as the Responses API streams it.
pub fn error_event(code: &str, message: &str) -> String {
    sse_event(
        "error",
        &json!({"type": "error", "code": code, "message": message, "param": null, "sequence_number": 99}),
    )
}

/// A `response.failed` event with this error.
pub fn failed_event(code: &str, message: &str) -> String {
    sse_event(
        "response.failed",
        &json!({"type": "response.failed", "sequence_number": 98, "response": {
            "id": "resp_failed", "object": "response", "status": "failed",
            "error": {"code": code, "message": message}, "output": [], "usage": null
        }}),
    )
}

/// An OpenAI HTTP error body.
pub fn error_body(kind: &str, code: &str, message: &str) -> String {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}}).to_string()
}

/// Starts a server answering `POST .../v1/responses`.
pub fn start(script: Vec<Reply>) -> SseScriptServer {
    SseScriptServer::start("/v1/responses", script)
}
