//! Anthropic Messages API (`POST /v1/messages`, `stream: true`).
//!
//! Mapping of a [`CompletionRequest`]:
//! - every `system` message is hoisted into the top-level `system` array as
//!   one text block each (Anthropic has no system role in `messages`);
//!   `user`/`assistant` messages go to `messages` in order;
//! - **prompt caching**: the *last* system block carries
//!   `cache_control: {"type": "ephemeral"}` (when
//!   [`AnthropicConfig::cache_system_prompt`] is on, the default). A cache
//!   breakpoint caches everything before it in the order tools -> system ->
//!   messages, so this caches the forced `reply` tool (JSON mode) plus the
//!   role's system prompt: the part that is identical across the calls of
//!   one role. Conversation messages vary per call and are not marked.
//!   Anthropic ignores breakpoints on prefixes shorter than the model's
//!   minimum cacheable length (1024 tokens for Sonnet/Opus), so short prompts
//!   just run uncached; a cache write costs 1.25x input, a hit 0.1x;
//! - **JSON mode** (`req.json`): a single tool `reply` with
//!   `input_schema: {"type": "object"}` is forced with
//!   `tool_choice: {"type": "tool", "name": "reply"}`; the tool's input, as
//!   accumulated from `input_json_delta.partial_json` fragments, is returned
//!   verbatim as [`Completion::text`] and the finish reason `tool_use` is
//!   reported as [`FinishReason::Stop`] (the tool call *is* the answer);
//! - `temperature` is sent only when set.
//!
//! Usage: `input_tokens` -> `input_tokens` (Anthropic already excludes cached
//! tokens from it), `cache_read_input_tokens` -> `cached_input_tokens`,
//! `cache_creation_input_tokens` -> `cache_creation_input_tokens`,
//! `output_tokens` (from the final `message_delta`, which is cumulative) ->
//! `output_tokens`.
//!
//! Errors: HTTP 429 (with `retry-after`), 500, 529 `overloaded_error` etc. are
//! [`ProviderError::Http`] (retryable per [`ProviderError::is_retryable`]);
//! an `error` event mid-stream becomes [`ProviderError::ServerEvent`] with
//! the error's `type` as kind (`overloaded_error`/`api_error` retryable).
//! A stream that ends without `message_stop` and without a `stop_reason` is
//! [`ProviderError::StreamCut`]. Unknown event types are ignored, as
//! Anthropic's versioning policy asks.

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::sse::SseEvent;
use crate::transport::{Limits, SseSink, Transport, join_api_url, parse_object, server_event};
use crate::{
    Completion, CompletionFuture, CompletionRequest, FinishReason, MessageRole, ModelClient,
    ProviderError, Usage,
};

/// Settings of an [`AnthropicClient`]. `Debug` never prints the key.
#[derive(Clone)]
pub struct AnthropicConfig {
    /// `https://api.anthropic.com` (a trailing `/v1` is accepted too).
    pub base_url: String,
    /// Sent as `x-api-key`.
    pub api_key: String,
    /// Sent as `anthropic-version`; default `2023-06-01`.
    pub anthropic_version: String,
    /// Put `cache_control: ephemeral` on the last system block (default on).
    pub cache_system_prompt: bool,
    pub connect_timeout: Duration,
    /// From sending the request to the first body byte.
    pub first_byte_timeout: Duration,
    /// Longest silence between two body reads (Anthropic pings every ~10-15 s
    /// while a stream is idle, so 60 s is generous).
    pub idle_timeout: Duration,
    pub max_response_bytes: usize,
}

impl AnthropicConfig {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.anthropic.com";

    /// Defaults: 10 s connect, 120 s first byte, 60 s idle, 4 MiB cap,
    /// version `2023-06-01`, system prompt cached.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        AnthropicConfig {
            base_url: base_url.into(),
            api_key: api_key.into(),
            anthropic_version: "2023-06-01".into(),
            cache_system_prompt: true,
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(60),
            max_response_bytes: 4 * 1024 * 1024,
        }
    }
}

impl fmt::Debug for AnthropicConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"[REDACTED]")
            .field("anthropic_version", &self.anthropic_version)
            .field("cache_system_prompt", &self.cache_system_prompt)
            .field("connect_timeout", &self.connect_timeout)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// Client for Anthropic's streamed Messages API.
pub struct AnthropicClient {
    cfg: AnthropicConfig,
    transport: Transport,
}

impl fmt::Debug for AnthropicClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicClient")
            .field("cfg", &self.cfg)
            .field("url", &self.transport.url.as_str())
            .finish()
    }
}

/// Name of the forced tool in JSON mode.
pub const REPLY_TOOL: &str = "reply";

impl AnthropicClient {
    pub fn new(cfg: AnthropicConfig) -> Result<Self, ProviderError> {
        if cfg.api_key.is_empty() {
            return Err(ProviderError::Config("anthropic api_key is empty".into()));
        }
        let transport = Transport::new(
            &join_api_url(&cfg.base_url, "messages"),
            Some(cfg.api_key.clone()),
            Limits {
                connect_timeout: cfg.connect_timeout,
                first_byte_timeout: cfg.first_byte_timeout,
                idle_timeout: cfg.idle_timeout,
                max_response_bytes: cfg.max_response_bytes,
            },
        )?;
        Ok(AnthropicClient { cfg, transport })
    }

    pub fn config(&self) -> &AnthropicConfig {
        &self.cfg
    }

    /// The JSON body sent for `req` (`cache_system_prompt` as configured).
    pub fn request_body(&self, req: &CompletionRequest) -> Value {
        build_body(req, self.cfg.cache_system_prompt)
    }

    async fn run(
        &self,
        req: &CompletionRequest,
        cancel: &CancellationToken,
    ) -> Result<Completion, ProviderError> {
        let request_body = crate::encode_body(&self.request_body(req), req)?;
        let mut key = HeaderValue::from_str(&self.cfg.api_key).map_err(|_| {
            ProviderError::Config("anthropic api_key is not a valid header value".into())
        })?;
        key.set_sensitive(true);
        let rb = self
            .transport
            .http
            .post(self.transport.url.clone())
            .header("x-api-key", key)
            .header("anthropic-version", &self.cfg.anthropic_version)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "text/event-stream")
            .body(request_body.clone());
        tracing::debug!(provider = "anthropic", purpose = %req.purpose, model = %req.model, "sending model request");
        let mut state = MessageState::default();
        let raw = self.transport.stream(rb, cancel, &mut state).await?;
        let finish = match (&state.stop_reason, state.stopped) {
            (Some(r), _) => map_stop_reason(r, req.json),
            (None, true) => FinishReason::Other("unspecified".into()),
            (None, false) => {
                return Err(ProviderError::StreamCut {
                    received_bytes: raw.len(),
                    detail: Some("no message_stop".into()),
                });
            }
        };
        Ok(Completion {
            text: state.reply_text(req.json),
            usage_reported: state.usage_seen,
            usage: state.usage,
            model: state.model.unwrap_or_else(|| req.model.clone()),
            finish_reason: finish,
            request_body,
            response_raw: String::from_utf8_lossy(&raw).into_owned(),
        })
    }
}

impl ModelClient for AnthropicClient {
    fn name(&self) -> &str {
        "anthropic"
    }

    fn complete<'a>(
        &'a self,
        req: &'a CompletionRequest,
        cancel: &'a CancellationToken,
    ) -> CompletionFuture<'a> {
        Box::pin(self.run(req, cancel))
    }
}

fn build_body(req: &CompletionRequest, cache_system: bool) -> Value {
    let mut system: Vec<Value> = req
        .messages
        .iter()
        .filter(|m| m.role == MessageRole::System)
        .map(|m| json!({"type": "text", "text": m.content}))
        .collect();
    if cache_system && let Some(Value::Object(last)) = system.last_mut() {
        last.insert("cache_control".into(), json!({"type": "ephemeral"}));
    }
    let messages: Vec<Value> = req
        .messages
        .iter()
        .filter(|m| m.role != MessageRole::System)
        .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
        .collect();
    let mut body = json!({
        "model": req.model,
        "max_tokens": req.max_tokens,
        "messages": messages,
        "stream": true,
    });
    if let Some(obj) = body.as_object_mut() {
        if !system.is_empty() {
            obj.insert("system".into(), Value::Array(system));
        }
        if let Some(t) = req.temperature {
            obj.insert("temperature".into(), json!(t));
        }
        if req.json {
            obj.insert(
                "tools".into(),
                json!([{
                    "name": REPLY_TOOL,
                    "description": "Give your complete answer as this tool's input: one JSON object in the format the instructions ask for.",
                    "input_schema": req.schema_value().unwrap_or_else(|| json!({"type": "object"})),
                }]),
            );
            obj.insert(
                "tool_choice".into(),
                json!({"type": "tool", "name": REPLY_TOOL}),
            );
        }
    }
    body
}

fn map_stop_reason(r: &str, json_mode: bool) -> FinishReason {
    match r {
        "tool_use" if json_mode => FinishReason::Stop,
        "refusal" => FinishReason::ContentFilter,
        other => FinishReason::from_wire(other),
    }
}

#[derive(Debug)]
enum Block {
    Text(String),
    ToolUse {
        name: String,
        /// Accumulated `partial_json`.
        json: String,
        /// `input` of `content_block_start` (used if no delta came).
        initial: Value,
    },
    Other,
}

/// Accumulates one streamed message.
#[derive(Debug, Default)]
struct MessageState {
    blocks: Vec<(u64, Block)>,
    usage: Usage,
    usage_seen: bool,
    model: Option<String>,
    stop_reason: Option<String>,
    stopped: bool,
}

impl MessageState {
    fn block_mut(&mut self, index: u64) -> Option<&mut Block> {
        self.blocks
            .iter_mut()
            .find(|(i, _)| *i == index)
            .map(|(_, b)| b)
    }

    fn absorb_usage(&mut self, u: &Value) {
        let n = |k: &str| u.get(k).and_then(Value::as_u64);
        self.usage_seen = true;
        if let Some(x) = n("input_tokens") {
            self.usage.input_tokens = x;
        }
        if let Some(x) = n("cache_read_input_tokens") {
            self.usage.cached_input_tokens = x;
        }
        if let Some(x) = n("cache_creation_input_tokens") {
            self.usage.cache_creation_input_tokens = x;
        }
        if let Some(x) = n("output_tokens") {
            self.usage.output_tokens = x;
        }
    }

    fn start_block(&mut self, index: u64, cb: &Value) {
        let block = match cb.get("type").and_then(Value::as_str) {
            Some("text") => Block::Text(
                cb.get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ),
            Some("tool_use") => Block::ToolUse {
                name: cb
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                json: String::new(),
                initial: cb.get("input").cloned().unwrap_or(Value::Null),
            },
            _ => Block::Other, // thinking, redacted_thinking, server tools...
        };
        self.blocks.retain(|(i, _)| *i != index);
        self.blocks.push((index, block));
    }

    /// The completion text: the `reply` tool's input in JSON mode (any tool
    /// if the model named it differently; the text blocks if it used none),
    /// else the text blocks joined.
    fn reply_text(&self, json_mode: bool) -> String {
        if json_mode {
            let mut tools = self.blocks.iter().filter_map(|(_, b)| match b {
                Block::ToolUse {
                    name,
                    json,
                    initial,
                } => Some((name, json, initial)),
                _ => None,
            });
            let all: Vec<_> = tools.by_ref().collect();
            let pick = all
                .iter()
                .find(|(n, _, _)| n.as_str() == REPLY_TOOL)
                .or_else(|| all.first());
            if let Some((_, json, initial)) = pick {
                return if json.trim().is_empty() {
                    initial.to_string()
                } else {
                    json.to_string()
                };
            }
        }
        self.blocks
            .iter()
            .filter_map(|(_, b)| match b {
                Block::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    fn handle_value(&mut self, v: &Value, event_name: Option<&str>) -> Result<(), ProviderError> {
        let ty = v
            .get("type")
            .and_then(Value::as_str)
            .or(event_name)
            .unwrap_or_default();
        let index = v.get("index").and_then(Value::as_u64).unwrap_or(0);
        match ty {
            "message_start" => {
                if let Some(m) = v.get("message") {
                    if let Some(model) = m.get("model").and_then(Value::as_str) {
                        self.model = Some(model.to_string());
                    }
                    if let Some(u) = m.get("usage").filter(|u| u.is_object()) {
                        self.absorb_usage(u);
                    }
                }
            }
            "content_block_start" => {
                let cb = v.get("content_block").cloned().unwrap_or(Value::Null);
                self.start_block(index, &cb);
            }
            "content_block_delta" => {
                let d = v.get("delta").cloned().unwrap_or(Value::Null);
                let dtype = d.get("type").and_then(Value::as_str).unwrap_or_default();
                match (dtype, self.block_mut(index)) {
                    ("text_delta", Some(Block::Text(t))) => {
                        t.push_str(d.get("text").and_then(Value::as_str).unwrap_or_default());
                    }
                    ("input_json_delta", Some(Block::ToolUse { json, .. })) => {
                        json.push_str(
                            d.get("partial_json")
                                .and_then(Value::as_str)
                                .unwrap_or_default(),
                        );
                    }
                    ("text_delta" | "input_json_delta", None) => {
                        return Err(ProviderError::MalformedEvent {
                            message: format!("{dtype} for unknown content block {index}"),
                            data_excerpt: crate::openai_compat::excerpt(&v.to_string()),
                        });
                    }
                    _ => {} // thinking/signature/citations deltas
                }
            }
            "content_block_stop" | "ping" => {}
            "message_delta" => {
                if let Some(r) = v
                    .get("delta")
                    .and_then(|d| d.get("stop_reason"))
                    .and_then(Value::as_str)
                {
                    self.stop_reason = Some(r.to_string());
                }
                if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
                    self.absorb_usage(u);
                }
            }
            "message_stop" => self.stopped = true,
            "error" => {
                return Err(server_event(v.get("error").unwrap_or(v)));
            }
            _ => {}
        }
        Ok(())
    }
}

impl SseSink for MessageState {
    fn event(&mut self, ev: &SseEvent) -> Result<(), ProviderError> {
        let data = ev.data.trim();
        if data.is_empty() {
            return Ok(());
        }
        let v = parse_object(data)?;
        self.handle_value(&v, ev.event.as_deref())
    }

    /// A non-streamed Message (`{"type": "message", "content": [...]}`) or
    /// an error object.
    fn json_body(&mut self, body: &[u8]) -> Result<(), ProviderError> {
        let v = parse_object(&String::from_utf8_lossy(body))?;
        if v.get("type").and_then(Value::as_str) == Some("error") {
            return Err(server_event(v.get("error").unwrap_or(&v)));
        }
        if let Some(m) = v.get("model").and_then(Value::as_str) {
            self.model = Some(m.to_string());
        }
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            self.absorb_usage(u);
        }
        for (i, cb) in v
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            self.start_block(i as u64, cb);
        }
        self.stop_reason = v
            .get("stop_reason")
            .and_then(Value::as_str)
            .map(str::to_string);
        self.stopped = true;
        Ok(())
    }

    fn finished(&self) -> bool {
        self.stopped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChatMessage;

    fn req(json: bool) -> CompletionRequest {
        CompletionRequest {
            model: "claude-sonnet-4-5".into(),
            messages: vec![
                ChatMessage::system("You are the Architect."),
                ChatMessage::user("Plan."),
            ],
            max_tokens: 100,
            temperature: None,
            json,
            json_schema: None,
            purpose: "architect".into(),
        }
    }

    #[test]
    fn body_hoists_system_and_marks_cache() {
        let b = build_body(&req(false), true);
        assert_eq!(b["system"][0]["text"], "You are the Architect.");
        assert_eq!(b["system"][0]["cache_control"]["type"], "ephemeral");
        assert_eq!(b["messages"].as_array().map(Vec::len), Some(1));
        assert_eq!(b["messages"][0]["role"], "user");
        assert!(b.get("temperature").is_none());
        assert!(b.get("tools").is_none());
        let b = build_body(&req(true), false);
        assert!(b["system"][0].get("cache_control").is_none());
        assert_eq!(b["tool_choice"]["name"], "reply");
        assert_eq!(b["tools"][0]["input_schema"]["type"], "object");
    }

    #[test]
    fn json_body_message() {
        let mut s = MessageState::default();
        let r = s.json_body(br#"{"type":"message","model":"m","content":[{"type":"tool_use","name":"reply","input":{"a":1}}],"stop_reason":"tool_use","usage":{"input_tokens":3,"output_tokens":4}}"#);
        assert!(r.is_ok());
        assert_eq!(s.reply_text(true), r#"{"a":1}"#);
        assert_eq!(map_stop_reason("tool_use", true), FinishReason::Stop);
        assert_eq!(map_stop_reason("max_tokens", false), FinishReason::Length);
        assert_eq!(s.usage.output_tokens, 4);
    }

    #[test]
    fn debug_hides_key() {
        let c = AnthropicConfig::new("http://127.0.0.1:1", "sk-ant-secret");
        assert!(!format!("{c:?}").contains("sk-ant-secret"));
        let cl = AnthropicClient::new(c);
        assert!(!format!("{cl:?}").contains("sk-ant-secret"));
    }
}
