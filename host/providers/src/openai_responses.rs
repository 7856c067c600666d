//! OpenAI Responses API (`POST /v1/responses`, `stream: true`).
//!
//! URL: `{base_url}/v1/responses`, or `{base_url}/responses` when `base_url`
//! already ends in `/v1`; so both `https://api.openai.com` and
//! `https://api.openai.com/v1` (the SDKs' convention) work.
//!
//! Mapping of a [`CompletionRequest`]:
//! - `system` messages are joined (blank line between) into `instructions`;
//!   `user`/`assistant` messages go to `input` as `{role, content}` in order;
//! - `max_tokens` -> `max_output_tokens` (it includes reasoning tokens on
//!   reasoning models, so give those room);
//! - `temperature` is sent when set and [`OpenAiResponsesConfig::send_temperature`]
//!   is on (reasoning models such as gpt-5* reject it; turn it off there);
//! - **JSON mode**: with the plugin's schema, `text: {format: {type:
//!   "json_schema", name: "reply", strict: false, schema}}` (not strict:
//!   strict mode demands every property be required, and plugins validate
//!   anyway); without one, `text: {format: {type: "json_object"}}`. The API
//!   requires the word "JSON" somewhere in the input/instructions in this
//!   mode; the role prompts must say it;
//! - `store` is sent as configured (default `false`: coop keeps its own
//!   transcript and does not need server-side state);
//! - `reasoning: {effort}` is sent when configured.
//!
//! Prompt caching is automatic on OpenAI (prefixes >= 1024 tokens); keeping
//! `instructions` first and stable is all a client can do.
//!
//! Reply text: the `output_text` deltas of all message items in order (a
//! `response.output_text.done` replaces the accumulated text of its part
//! with the authoritative full text). If the model produced no text but
//! function-call arguments, those are returned. A refusal with no text is
//! returned as text with [`FinishReason::ContentFilter`].
//!
//! Usage: `input_tokens - cached_tokens` -> `input_tokens`,
//! `input_tokens_details.cached_tokens` -> `cached_input_tokens`,
//! `output_tokens` -> `output_tokens`,
//! `output_tokens_details.reasoning_tokens` -> `reasoning_tokens`.
//!
//! End of reply: `response.completed` (Stop; ToolCalls if only a function
//! call came), `response.incomplete` (`max_output_tokens` -> Length,
//! `content_filter` -> ContentFilter). `response.failed` and `error` events
//! become [`ProviderError::ServerEvent`] with the error's `code` as kind
//! (`server_error`, `rate_limit_exceeded` are retryable). A body that ends
//! before any of these is [`ProviderError::StreamCut`].

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::sse::SseEvent;
use crate::transport::{Limits, SseSink, Transport, join_api_url, parse_object, server_event};
use crate::{
    Completion, CompletionFuture, CompletionRequest, FinishReason, MessageRole, ModelClient,
    ProviderError, Usage,
};

/// Settings of an [`OpenAiResponsesClient`]. `Debug` never prints the key.
#[derive(Clone)]
pub struct OpenAiResponsesConfig {
    /// `https://api.openai.com/v1` (or without `/v1`).
    pub base_url: String,
    /// Sent as `Authorization: Bearer ...` when non-empty.
    pub api_key: String,
    /// Send `temperature` when the request has one (default true; set false
    /// for reasoning models, which reject it).
    pub send_temperature: bool,
    /// `reasoning.effort` (`"minimal"`, `"low"`, `"medium"`, `"high"`), if set.
    pub reasoning_effort: Option<String>,
    /// `store` (default false).
    pub store: bool,
    pub connect_timeout: Duration,
    /// From sending the request to the first body byte.
    pub first_byte_timeout: Duration,
    /// Longest silence between two body reads.
    pub idle_timeout: Duration,
    /// Cap on the raw response size.
    pub max_response_bytes: usize,
}

impl OpenAiResponsesConfig {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.openai.com/v1";

    /// Defaults: 10 s connect, 120 s first byte, **300 s idle**, 4 MiB cap,
    /// temperature sent, no reasoning effort, `store: false`.
    ///
    /// The idle bound is longer than the other clients' 60 s because a
    /// reasoning model streams `response.created`/`in_progress` at once and
    /// may then stay silent (no keep-alives) while it reasons, for minutes
    /// at high effort.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        OpenAiResponsesConfig {
            base_url: base_url.into(),
            api_key: api_key.into(),
            send_temperature: true,
            reasoning_effort: None,
            store: false,
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(300),
            max_response_bytes: 4 * 1024 * 1024,
        }
    }
}

impl fmt::Debug for OpenAiResponsesConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiResponsesConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"[REDACTED]")
            .field("send_temperature", &self.send_temperature)
            .field("reasoning_effort", &self.reasoning_effort)
            .field("store", &self.store)
            .field("connect_timeout", &self.connect_timeout)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// Client for OpenAI's streamed Responses API.
pub struct OpenAiResponsesClient {
    cfg: OpenAiResponsesConfig,
    transport: Transport,
}

impl fmt::Debug for OpenAiResponsesClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiResponsesClient")
            .field("cfg", &self.cfg)
            .field("url", &self.transport.url.as_str())
            .finish()
    }
}

impl OpenAiResponsesClient {
    pub fn new(cfg: OpenAiResponsesConfig) -> Result<Self, ProviderError> {
        let transport = Transport::new(
            &join_api_url(&cfg.base_url, "responses"),
            Some(cfg.api_key.clone()),
            Limits {
                connect_timeout: cfg.connect_timeout,
                first_byte_timeout: cfg.first_byte_timeout,
                idle_timeout: cfg.idle_timeout,
                max_response_bytes: cfg.max_response_bytes,
            },
        )?;
        Ok(OpenAiResponsesClient { cfg, transport })
    }

    pub fn config(&self) -> &OpenAiResponsesConfig {
        &self.cfg
    }

    /// The JSON body sent for `req`.
    pub fn request_body(&self, req: &CompletionRequest) -> Value {
        let instructions: Vec<&str> = req
            .messages
            .iter()
            .filter(|m| m.role == MessageRole::System)
            .map(|m| m.content.as_str())
            .collect();
        let input: Vec<Value> = req
            .messages
            .iter()
            .filter(|m| m.role != MessageRole::System)
            .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
            .collect();
        let mut body = json!({
            "model": req.model,
            "input": input,
            "max_output_tokens": req.max_tokens,
            "stream": true,
            "store": self.cfg.store,
        });
        if let Some(obj) = body.as_object_mut() {
            if !instructions.is_empty() {
                obj.insert("instructions".into(), json!(instructions.join("\n\n")));
            }
            if let Some(t) = req.temperature.filter(|_| self.cfg.send_temperature) {
                obj.insert("temperature".into(), json!(t));
            }
            if let Some(e) = &self.cfg.reasoning_effort {
                obj.insert("reasoning".into(), json!({"effort": e}));
            }
            if let Some(schema) = req.schema_value() {
                obj.insert(
                    "text".into(),
                    json!({"format": {"type": "json_schema", "name": "reply", "strict": false, "schema": schema}}),
                );
            } else if req.json {
                obj.insert("text".into(), json!({"format": {"type": "json_object"}}));
            }
        }
        body
    }

    async fn run(
        &self,
        req: &CompletionRequest,
        cancel: &CancellationToken,
    ) -> Result<Completion, ProviderError> {
        let request_body = crate::encode_body(&self.request_body(req), req)?;
        let mut rb = self
            .transport
            .http
            .post(self.transport.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "text/event-stream")
            .body(request_body.clone());
        if !self.cfg.api_key.is_empty() {
            let mut auth = HeaderValue::from_str(&format!("Bearer {}", self.cfg.api_key))
                .map_err(|_| ProviderError::Config("api_key is not a valid header value".into()))?;
            auth.set_sensitive(true);
            rb = rb.header(AUTHORIZATION, auth);
        }
        tracing::debug!(provider = "openai-responses", purpose = %req.purpose, model = %req.model, "sending model request");
        let mut state = ResponseState::default();
        let raw = self.transport.stream(rb, cancel, &mut state).await?;
        let Some(finish) = state.finish.clone() else {
            return Err(ProviderError::StreamCut {
                received_bytes: raw.len(),
                detail: Some("no response.completed".into()),
            });
        };
        Ok(Completion {
            text: state.reply_text(),
            usage_reported: state.usage.is_some(),
            usage: state.usage.unwrap_or_default(),
            model: state.model.unwrap_or_else(|| req.model.clone()),
            finish_reason: finish,
            request_body,
            response_raw: String::from_utf8_lossy(&raw).into_owned(),
        })
    }
}

impl ModelClient for OpenAiResponsesClient {
    fn name(&self) -> &str {
        "openai-responses"
    }

    fn complete<'a>(
        &'a self,
        req: &'a CompletionRequest,
        cancel: &'a CancellationToken,
    ) -> CompletionFuture<'a> {
        Box::pin(self.run(req, cancel))
    }
}

/// Accumulates one streamed response.
#[derive(Debug, Default)]
struct ResponseState {
    /// Text per `(output_index, content_index)`, in arrival order.
    texts: Vec<((u64, u64), String)>,
    /// Function-call arguments per `output_index`.
    args: Vec<(u64, String)>,
    refusal: String,
    usage: Option<Usage>,
    model: Option<String>,
    finish: Option<FinishReason>,
}

fn slot<K: PartialEq + Copy>(v: &mut Vec<(K, String)>, k: K) -> &mut String {
    let pos = match v.iter().position(|(key, _)| *key == k) {
        Some(p) => p,
        None => {
            v.push((k, String::new()));
            v.len() - 1
        }
    };
    &mut v[pos].1
}

impl ResponseState {
    fn reply_text(&self) -> String {
        let text: String = self.texts.iter().map(|(_, t)| t.as_str()).collect();
        if !text.is_empty() {
            return text;
        }
        if let Some((_, a)) = self.args.iter().find(|(_, a)| !a.is_empty()) {
            return a.clone();
        }
        self.refusal.clone()
    }

    /// Takes model and usage from a `response` object.
    fn absorb_response(&mut self, r: &Value) {
        if let Some(m) = r.get("model").and_then(Value::as_str) {
            self.model = Some(m.to_string());
        }
        if let Some(u) = r.get("usage").filter(|u| u.is_object()) {
            self.usage = Some(parse_usage(u));
        }
    }

    fn handle_value(&mut self, v: &Value, event_name: Option<&str>) -> Result<(), ProviderError> {
        let ty = v
            .get("type")
            .and_then(Value::as_str)
            .or(event_name)
            .unwrap_or_default();
        let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
        let resp = v.get("response").cloned().unwrap_or(Value::Null);
        match ty {
            "response.created" | "response.in_progress" | "response.queued" => {
                self.absorb_response(&resp);
            }
            "response.output_text.delta" => {
                slot(&mut self.texts, (n("output_index"), n("content_index"))).push_str(s("delta"));
            }
            "response.output_text.done" => {
                if let Some(t) = v.get("text").and_then(Value::as_str) {
                    *slot(&mut self.texts, (n("output_index"), n("content_index"))) = t.to_string();
                }
            }
            "response.refusal.delta" => self.refusal.push_str(s("delta")),
            "response.refusal.done" => {
                if let Some(t) = v.get("refusal").and_then(Value::as_str) {
                    self.refusal = t.to_string();
                }
            }
            "response.function_call_arguments.delta" => {
                slot(&mut self.args, n("output_index")).push_str(s("delta"));
            }
            "response.function_call_arguments.done" => {
                if let Some(a) = v.get("arguments").and_then(Value::as_str) {
                    *slot(&mut self.args, n("output_index")) = a.to_string();
                }
            }
            "response.completed" => {
                self.absorb_response(&resp);
                let no_text = self.texts.iter().all(|(_, t)| t.is_empty());
                self.finish = Some(if no_text && !self.refusal.is_empty() {
                    FinishReason::ContentFilter
                } else if no_text && self.args.iter().any(|(_, a)| !a.is_empty()) {
                    FinishReason::ToolCalls
                } else {
                    FinishReason::Stop
                });
            }
            "response.incomplete" => {
                self.absorb_response(&resp);
                let reason = resp
                    .get("incomplete_details")
                    .and_then(|d| d.get("reason"))
                    .and_then(Value::as_str)
                    .unwrap_or("incomplete");
                self.finish = Some(match reason {
                    "max_output_tokens" => FinishReason::Length,
                    "content_filter" => FinishReason::ContentFilter,
                    other => FinishReason::Other(other.to_string()),
                });
            }
            "response.failed" => {
                let err = resp.get("error").filter(|e| e.is_object());
                return Err(match err {
                    Some(e) => server_event(e),
                    None => ProviderError::ServerEvent {
                        kind: "response_failed".into(),
                        message: "response.failed without error details".into(),
                    },
                });
            }
            "error" => {
                return Err(server_event(
                    v.get("error").filter(|e| e.is_object()).unwrap_or(v),
                ));
            }
            _ => {} // output_item.*, content_part.*, reasoning summaries, ...
        }
        Ok(())
    }
}

impl SseSink for ResponseState {
    fn event(&mut self, ev: &SseEvent) -> Result<(), ProviderError> {
        let data = ev.data.trim();
        if data.is_empty() || data == "[DONE]" {
            return Ok(());
        }
        let v = parse_object(data)?;
        self.handle_value(&v, ev.event.as_deref())
    }

    /// A non-streamed response object, or `{"error": {...}}`.
    fn json_body(&mut self, body: &[u8]) -> Result<(), ProviderError> {
        let v = parse_object(&String::from_utf8_lossy(body))?;
        if let Some(e) = v.get("error").filter(|e| e.is_object()) {
            return Err(server_event(e));
        }
        for (oi, item) in v
            .get("output")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            match item.get("type").and_then(Value::as_str) {
                Some("message") => {
                    for (ci, part) in item
                        .get("content")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        match part.get("type").and_then(Value::as_str) {
                            Some("output_text") => {
                                *slot(&mut self.texts, (oi as u64, ci as u64)) = part
                                    .get("text")
                                    .and_then(Value::as_str)
                                    .unwrap_or_default()
                                    .to_string();
                            }
                            Some("refusal") => {
                                self.refusal = part
                                    .get("refusal")
                                    .and_then(Value::as_str)
                                    .unwrap_or_default()
                                    .to_string();
                            }
                            _ => {}
                        }
                    }
                }
                Some("function_call") => {
                    *slot(&mut self.args, oi as u64) = item
                        .get("arguments")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                }
                _ => {}
            }
        }
        let status = v
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("completed");
        let ty = match status {
            "incomplete" => "response.incomplete",
            "failed" => "response.failed",
            _ => "response.completed",
        };
        self.handle_value(&json!({"type": ty, "response": v}), None)
    }

    fn finished(&self) -> bool {
        self.finish.is_some()
    }
}

/// `input_tokens` includes the cached part; [`Usage::input_tokens`] counts
/// only the tokens billed at the normal rate.
fn parse_usage(u: &Value) -> Usage {
    let n = |v: Option<&Value>| v.and_then(Value::as_u64).unwrap_or(0);
    let input = n(u.get("input_tokens"));
    let cached = n(u
        .get("input_tokens_details")
        .and_then(|d| d.get("cached_tokens")));
    Usage {
        input_tokens: input.saturating_sub(cached),
        output_tokens: n(u.get("output_tokens")),
        cached_input_tokens: cached,
        cache_creation_input_tokens: 0,
        reasoning_tokens: n(u
            .get("output_tokens_details")
            .and_then(|d| d.get("reasoning_tokens"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChatMessage;

    #[test]
    fn body_shape() {
        let c =
            OpenAiResponsesClient::new(OpenAiResponsesConfig::new("http://127.0.0.1:1/v1", "sk-x"));
        let Ok(c) = c else { panic!("client") };
        assert_eq!(c.transport.url.as_str(), "http://127.0.0.1:1/v1/responses");
        let req = CompletionRequest {
            model: "gpt-5-mini".into(),
            messages: vec![
                ChatMessage::system("Sys A"),
                ChatMessage::system("Sys B"),
                ChatMessage::user("hi"),
            ],
            max_tokens: 50,
            temperature: Some(0.5),
            json: true,
            json_schema: None,
            purpose: "p".into(),
        };
        let b = c.request_body(&req);
        assert_eq!(b["instructions"], "Sys A\n\nSys B");
        assert_eq!(b["input"][0]["role"], "user");
        assert_eq!(b["max_output_tokens"], 50);
        assert_eq!(b["text"]["format"]["type"], "json_object");
        assert_eq!(b["store"], false);
        assert!(b.get("temperature").is_some());
        assert!(!format!("{c:?}").contains("sk-x"));
    }

    #[test]
    fn usage_subtracts_cached() {
        let u = parse_usage(&json!({"input_tokens": 100, "output_tokens": 30,
            "input_tokens_details": {"cached_tokens": 60},
            "output_tokens_details": {"reasoning_tokens": 10}}));
        assert_eq!(
            (
                u.input_tokens,
                u.cached_input_tokens,
                u.output_tokens,
                u.reasoning_tokens
            ),
            (40, 60, 30, 10)
        );
    }
}
