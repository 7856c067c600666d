//! Recorded-style transcripts of Anthropic's streamed Messages API
//! (`POST /v1/messages`), served by [`SseScriptServer`].
//!
//! The event sequence and field layout follow real streams: `message_start`
//! (usage with cache counters, `output_tokens: 1`), `content_block_start`,
//! a `ping`, `content_block_delta`s (`text_delta` / `input_json_delta`, the
//! latter starting with an empty `partial_json` fragment),
//! `content_block_stop`, `message_delta` (stop reason, cumulative
//! `output_tokens`), `message_stop`.

use serde_json::{Value, json};

pub use crate::sse_script_server::{RecordedRequest, Reply, SseScript, SseScriptServer};
use crate::sse_script_server::{split_chars, sse_event};

/// Anthropic usage counters as they appear on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnthropicUsage {
    pub input_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub output_tokens: u64,
}

/// One assistant message to stream.
#[derive(Debug, Clone)]
pub struct AnthropicMessage {
    pub model: String,
    /// A text block (index 0) with this text, if any.
    pub text: Option<String>,
    /// A `tool_use` block named `reply` whose input JSON is streamed in
    /// `input_json_delta` fragments, if any.
    pub tool_input_json: Option<String>,
    pub stop_reason: String,
    pub usage: AnthropicUsage,
}

impl AnthropicMessage {
    pub fn text(text: impl Into<String>) -> Self {
        AnthropicMessage {
            model: "claude-sonnet-4-5-20250929".into(),
            text: Some(text.into()),
            tool_input_json: None,
            stop_reason: "end_turn".into(),
            usage: AnthropicUsage {
                input_tokens: 25,
                output_tokens: 15,
                ..Default::default()
            },
        }
    }

    /// A forced-tool (JSON mode) reply: `tool_use` `reply` with this input.
    pub fn tool_reply(input_json: impl Into<String>) -> Self {
        AnthropicMessage {
            text: None,
            tool_input_json: Some(input_json.into()),
            stop_reason: "tool_use".into(),
            ..Self::text("")
        }
    }

    pub fn stop_reason(mut self, r: impl Into<String>) -> Self {
        self.stop_reason = r.into();
        self
    }

    pub fn usage(mut self, u: AnthropicUsage) -> Self {
        self.usage = u;
        self
    }

    /// The SSE events of this message.
    pub fn events(&self) -> Vec<String> {
        let u = self.usage;
        let mut out = vec![sse_event(
            "message_start",
            &json!({"type": "message_start", "message": {
                "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
                "model": self.model, "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {
                    "input_tokens": u.input_tokens,
                    "cache_creation_input_tokens": u.cache_creation_input_tokens,
                    "cache_read_input_tokens": u.cache_read_input_tokens,
                    "output_tokens": 1,
                    "service_tier": "standard"
                }
            }}),
        )];
        let mut index = 0u64;
        if let Some(text) = &self.text {
            out.push(sse_event(
                "content_block_start",
                &json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}),
            ));
            out.push(sse_event("ping", &json!({"type": "ping"})));
            for piece in split_chars(text, 9) {
                out.push(sse_event(
                    "content_block_delta",
                    &json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}),
                ));
            }
            out.push(sse_event(
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": index}),
            ));
            index += 1;
        }
        if let Some(input) = &self.tool_input_json {
            out.push(sse_event(
                "content_block_start",
                &json!({"type": "content_block_start", "index": index, "content_block": {
                    "type": "tool_use", "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "name": "reply", "input": {}
                }}),
            ));
            if self.text.is_none() {
                out.push(sse_event("ping", &json!({"type": "ping"})));
            }
            let mut pieces = vec![String::new()];
            pieces.extend(split_chars(input, 11));
            for piece in pieces {
                out.push(sse_event(
                    "content_block_delta",
                    &json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": piece}}),
                ));
            }
            out.push(sse_event(
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": index}),
            ));
        }
        out.push(sse_event(
            "message_delta",
            &json!({"type": "message_delta",
                "delta": {"stop_reason": self.stop_reason, "stop_sequence": null},
                "usage": {"output_tokens": u.output_tokens}}),
        ));
        out.push(sse_event("message_stop", &json!({"type": "message_stop"})));
        out
    }

    pub fn script(&self) -> SseScript {
        SseScript::new(self.events())
    }
}

impl From<AnthropicMessage> for Reply {
    fn from(m: AnthropicMessage) -> Self {
        Reply::Sse(m.script())
    }
}

/// An `error` event as Anthropic sends it mid-stream.
pub fn error_event(kind: &str, message: &str) -> String {
    sse_event(
        "error",
        &json!({"type": "error", "error": {"type": kind, "message": message}}),
    )
}

/// An Anthropic HTTP error body.
pub fn error_body(kind: &str, message: &str) -> String {
    json!({"type": "error", "error": {"type": kind, "message": message}}).to_string()
}

/// Starts a server answering `POST .../v1/messages`.
pub fn start(script: Vec<Reply>) -> SseScriptServer {
    SseScriptServer::start("/v1/messages", script)
}

/// The `system` blocks' text of a recorded request, joined.
pub fn system_text(body: &Value) -> String {
    body.get("system")
        .and_then(Value::as_array)
        .map(|b| {
            b.iter()
                .filter_map(|x| x.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}
