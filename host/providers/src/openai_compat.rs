//! OpenAI-compatible chat completions over a streamed response, as spoken by
//! llama.cpp's server, Ollama and vLLM.

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::repetition::RepetitionGuard;
use crate::sse::SseEvent;
use crate::transport::{Limits, SseSink, Transport};
use crate::{
    Completion, CompletionFuture, CompletionRequest, FinishReason, ModelClient, ProviderError,
    Usage,
};

/// Error bodies are for humans and logs; a few KiB say everything.
pub(crate) const MAX_ERROR_BODY_BYTES: usize = 16 * 1024;

/// Settings of an [`OpenAiCompatClient`]. `Debug` never prints the key.
#[derive(Clone)]
pub struct OpenAiCompatConfig {
    /// Base URL including the API prefix, e.g. `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer ...` when set. Local servers need none.
    pub api_key: Option<String>,
    /// TCP/TLS connect bound.
    pub connect_timeout: Duration,
    /// From sending the request to the first body byte; generous because a
    /// local model may process a long prompt before emitting anything.
    pub first_byte_timeout: Duration,
    /// Longest silence between two body reads once the stream is flowing.
    pub idle_timeout: Duration,
    /// Cap on the raw response size; protects memory from a runaway server.
    pub max_response_bytes: usize,
    /// Stop reading a reply that repeats the same unit over and over (see
    /// `repetition.rs`); small local models loop until the token limit.
    pub stop_repetition: bool,
}

impl OpenAiCompatConfig {
    /// Defaults: 10 s connect, 120 s first byte, 60 s idle, 4 MiB cap, no key.
    pub fn new(base_url: impl Into<String>) -> Self {
        OpenAiCompatConfig {
            base_url: base_url.into(),
            api_key: None,
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(60),
            max_response_bytes: 4 * 1024 * 1024,
            stop_repetition: true,
        }
    }
}

impl fmt::Debug for OpenAiCompatConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiCompatConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .field("connect_timeout", &self.connect_timeout)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("stop_repetition", &self.stop_repetition)
            .finish()
    }
}

/// Client for `POST {base_url}/chat/completions` with `stream: true`.
pub struct OpenAiCompatClient {
    cfg: OpenAiCompatConfig,
    /// Timeouts, cancellation, size cap and key redaction, shared with the
    /// hosted clients.
    transport: Transport,
}

impl fmt::Debug for OpenAiCompatClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiCompatClient")
            .field("cfg", &self.cfg)
            .finish()
    }
}

impl OpenAiCompatClient {
    pub fn new(cfg: OpenAiCompatConfig) -> Result<Self, ProviderError> {
        // Unlike the hosted APIs, base_url already includes the API prefix.
        let url = format!("{}/chat/completions", cfg.base_url.trim_end_matches('/'));
        let limits = Limits {
            connect_timeout: cfg.connect_timeout,
            first_byte_timeout: cfg.first_byte_timeout,
            idle_timeout: cfg.idle_timeout,
            max_response_bytes: cfg.max_response_bytes,
        };
        let transport = Transport::new(&url, cfg.api_key.clone(), limits)?;
        Ok(OpenAiCompatClient { cfg, transport })
    }

    pub fn config(&self) -> &OpenAiCompatConfig {
        &self.cfg
    }

    /// The JSON body sent for `req` (exposed for recording and tests).
    pub fn request_body(req: &CompletionRequest) -> Value {
        let messages: Vec<Value> = req
            .messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
            .collect();
        let mut body = json!({
            "model": req.model,
            "messages": messages,
            "max_tokens": req.max_tokens,
            "stream": true,
            "stream_options": {"include_usage": true},
        });
        if let Some(obj) = body.as_object_mut() {
            if let Some(t) = req.temperature {
                obj.insert("temperature".into(), json!(t));
            }
            if let Some(schema) = req.schema_value() {
                // llama.cpp compiles the schema into a grammar; OpenAI and vLLM
                // accept the same form.
                obj.insert(
                    "response_format".into(),
                    json!({"type": "json_schema", "json_schema": {"name": "reply", "strict": false, "schema": schema}}),
                );
            } else if req.json {
                obj.insert("response_format".into(), json!({"type": "json_object"}));
            }
        }
        body
    }

    async fn run(
        &self,
        req: &CompletionRequest,
        cancel: &CancellationToken,
    ) -> Result<Completion, ProviderError> {
        let request_body = crate::encode_body(&Self::request_body(req), req)?;
        let mut rb = self
            .transport
            .http
            .post(self.transport.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "text/event-stream")
            .body(request_body.clone());
        if let Some(key) = self.cfg.api_key.as_ref().filter(|k| !k.is_empty()) {
            rb = rb.bearer_auth(key);
        }
        tracing::debug!(provider = "openai-compat", purpose = %req.purpose, model = %req.model, "sending model request");
        let mut state = StreamState {
            guard: self.cfg.stop_repetition.then(RepetitionGuard::default),
            ..StreamState::default()
        };
        let raw = self.transport.stream(rb, cancel, &mut state).await?;
        let finish_reason = match (&state.finish, state.done) {
            (Some(f), _) => FinishReason::from_wire(f),
            // `[DONE]` without a finish reason: the server considered the
            // reply complete but did not say why.
            (None, true) => FinishReason::Other("unspecified".into()),
            (None, false) => {
                return Err(ProviderError::StreamCut {
                    received_bytes: raw.len(),
                    detail: None,
                });
            }
        };
        Ok(Completion {
            text: state.text,
            usage_reported: state.usage.is_some(),
            usage: state.usage.unwrap_or_default(),
            model: state.model.unwrap_or_else(|| req.model.clone()),
            finish_reason,
            request_body,
            response_raw: String::from_utf8_lossy(&raw).into_owned(),
        })
    }
}

impl ModelClient for OpenAiCompatClient {
    fn name(&self) -> &str {
        "openai-compat"
    }

    fn complete<'a>(
        &'a self,
        req: &'a CompletionRequest,
        cancel: &'a CancellationToken,
    ) -> CompletionFuture<'a> {
        Box::pin(self.run(req, cancel))
    }
}

/// `Display` of a reqwest error plus its sources ("connection refused" is
/// only in the source chain). Never includes headers, so never the key.
pub(crate) fn error_chain(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

/// `retry-after-ms` (OpenAI) wins over `retry-after`; seconds may be
/// fractional. HTTP-date values are not supported (returns `None`).
pub(crate) fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let positive = |x: f64| {
        if x.is_finite() && x >= 0.0 {
            Some(x)
        } else {
            None
        }
    };
    if let Some(ms) = get("retry-after-ms")
        .and_then(|s| s.parse::<f64>().ok())
        .and_then(positive)
    {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    get("retry-after")
        .and_then(|s| s.parse::<f64>().ok())
        .and_then(positive)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
}

pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 200;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// Accumulates the reply from chunk events.
#[derive(Debug, Default)]
struct StreamState {
    text: String,
    finish: Option<String>,
    usage: Option<Usage>,
    model: Option<String>,
    done: bool,
    /// Present when loops are stopped.
    guard: Option<RepetitionGuard>,
}

impl SseSink for StreamState {
    fn event(&mut self, ev: &SseEvent) -> Result<(), ProviderError> {
        self.handle(ev)
    }
    // Some servers ignore `stream: true` (or a proxy buffers); accept a
    // plain JSON completion too.
    fn json_body(&mut self, body: &[u8]) -> Result<(), ProviderError> {
        self.handle_json_body(body)
    }
    // `[DONE]` ends the reply even if the server keeps the connection open.
    fn finished(&self) -> bool {
        self.done
    }
}

impl StreamState {
    fn handle(&mut self, ev: &SseEvent) -> Result<(), ProviderError> {
        let data = ev.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        let v: Value = serde_json::from_str(data).map_err(|e| ProviderError::MalformedEvent {
            message: e.to_string(),
            data_excerpt: excerpt(data),
        })?;
        if !v.is_object() {
            return Err(ProviderError::MalformedEvent {
                message: "event payload is not a JSON object".into(),
                data_excerpt: excerpt(data),
            });
        }
        if let Some(err) = v.get("error") {
            return Err(server_error(err));
        }
        if ev.event.as_deref() == Some("error") {
            return Err(server_error(&v));
        }
        self.absorb(&v, "delta")
    }

    /// Takes model, usage, text and finish reason from one chunk (`delta`)
    /// or from a whole non-streamed completion (`message`).
    fn absorb(&mut self, v: &Value, content_key: &str) -> Result<(), ProviderError> {
        if let Some(m) = v.get("model").and_then(Value::as_str) {
            self.model = Some(m.to_string());
        }
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            self.usage = Some(parse_usage(u));
        }
        match v.get("choices") {
            None | Some(Value::Null) => {}
            Some(Value::Array(choices)) => {
                // We never ask for n > 1, so only the first choice matters.
                if let Some(c0) = choices.first() {
                    if let Some(s) = c0
                        .get(content_key)
                        .and_then(|d| d.get("content"))
                        .and_then(Value::as_str)
                    {
                        self.text.push_str(s);
                        if let Some(l) = self.guard.as_mut().and_then(|g| g.check(&self.text)) {
                            tracing::warn!(
                                period = l.period,
                                kept = l.keep,
                                read = self.text.len(),
                                "model reply repeats itself; stopped reading"
                            );
                            self.text.truncate(l.keep);
                            self.finish = Some(FinishReason::Repetition.as_str().to_string());
                            self.done = true;
                            return Ok(());
                        }
                    }
                    if let Some(f) = c0.get("finish_reason").and_then(Value::as_str) {
                        self.finish = Some(f.to_string());
                    }
                }
            }
            Some(_) => {
                return Err(ProviderError::MalformedEvent {
                    message: "`choices` is not an array".into(),
                    data_excerpt: excerpt(&v.to_string()),
                });
            }
        }
        Ok(())
    }

    fn handle_json_body(&mut self, raw: &[u8]) -> Result<(), ProviderError> {
        let text = String::from_utf8_lossy(raw);
        let v: Value = serde_json::from_slice(raw).map_err(|e| ProviderError::MalformedEvent {
            message: format!("non-streamed body: {e}"),
            data_excerpt: excerpt(&text),
        })?;
        if let Some(err) = v.get("error") {
            return Err(server_error(err));
        }
        self.absorb(&v, "message")?;
        self.done = true;
        Ok(())
    }
}

fn server_error(err: &Value) -> ProviderError {
    let kind = err
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            err.get("code").map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| c.to_string())
            })
        })
        .unwrap_or_else(|| "error".into());
    let message = err
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| excerpt(&err.to_string()));
    ProviderError::ServerEvent { kind, message }
}

/// OpenAI's `prompt_tokens` includes cached tokens; [`Usage::input_tokens`]
/// counts only the tokens billed at the normal rate, so the cached part is
/// moved to `cached_input_tokens`.
fn parse_usage(u: &Value) -> Usage {
    let n = |v: Option<&Value>| v.and_then(Value::as_u64).unwrap_or(0);
    let prompt = n(u.get("prompt_tokens"));
    let cached = n(u
        .get("prompt_tokens_details")
        .and_then(|d| d.get("cached_tokens")));
    Usage {
        input_tokens: prompt.saturating_sub(cached),
        output_tokens: n(u.get("completion_tokens")),
        cached_input_tokens: cached,
        cache_creation_input_tokens: 0,
        reasoning_tokens: n(u
            .get("completion_tokens_details")
            .and_then(|d| d.get("reasoning_tokens"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_moves_cached_tokens() {
        let u = parse_usage(&json!({
            "prompt_tokens": 100, "completion_tokens": 20,
            "prompt_tokens_details": {"cached_tokens": 30},
            "completion_tokens_details": {"reasoning_tokens": 5}
        }));
        assert_eq!(
            (
                u.input_tokens,
                u.cached_input_tokens,
                u.output_tokens,
                u.reasoning_tokens
            ),
            (70, 30, 20, 5)
        );
    }

    #[test]
    fn retry_after_headers() {
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            reqwest::header::HeaderValue::from_static("2"),
        );
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(
            "retry-after-ms",
            reqwest::header::HeaderValue::from_static("1500"),
        );
        assert_eq!(parse_retry_after(&h), Some(Duration::from_millis(1500)));
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            reqwest::header::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn debug_hides_key() {
        let mut c = OpenAiCompatConfig::new("http://127.0.0.1:1/v1");
        c.api_key = Some("sk-secret-123".into());
        assert!(!format!("{c:?}").contains("sk-secret"));
    }

    #[test]
    fn server_event_parsing() {
        let e = server_error(&json!({"type": "overloaded_error", "message": "busy"}));
        assert!(e.is_retryable());
        let e = server_error(&json!({"code": 500, "message": "boom"}));
        assert!(matches!(e, ProviderError::ServerEvent { ref kind, .. } if kind == "500"));
    }
}
