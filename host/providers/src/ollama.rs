//! Ollama's own chat API (`POST /api/chat`, streamed as newline-delimited
//! JSON). Unlike its OpenAI-compatible endpoint, this one takes
//! `options.num_ctx`: without it Ollama runs a model with its default
//! context (2048-4096 tokens) and silently drops the start of a longer
//! prompt, which is where coop puts the task and the rules.
//!
//! Request: `{"model", "messages", "stream": true, "options": {"num_ctx",
//! "num_predict", "temperature"}, "format"}` (`format`: the JSON schema,
//! or `"json"`). Reply lines: `{"message": {"content": ...}, "done": false}`
//! ... then `{"done": true, "done_reason": "stop" | "length",
//! "prompt_eval_count", "eval_count"}`; an `{"error": ...}` line or body is
//! a server error.

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::openai_compat::excerpt;
use crate::repetition::RepetitionGuard;
use crate::sse::SseEvent;
use crate::transport::{Limits, SseSink, Transport, parse_object};
use crate::{
    Completion, CompletionFuture, CompletionRequest, FinishReason, ModelClient, ProviderError,
    Usage,
};

/// Settings of an [`OllamaClient`].
#[derive(Clone)]
pub struct OllamaConfig {
    /// The server, without an API path: `http://127.0.0.1:11434`.
    pub base_url: String,
    /// `options.num_ctx`: the context window coop fills (the provider's
    /// `context_window`). `None` leaves Ollama's default, which truncates.
    pub num_ctx: Option<u64>,
    pub connect_timeout: Duration,
    /// Ollama loads the model on the first request; that can take a while.
    pub first_byte_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_response_bytes: usize,
    /// Stop reading a reply that loops (see `repetition.rs`).
    pub stop_repetition: bool,
}

impl OllamaConfig {
    /// Defaults: 10 s connect, 300 s first byte, 60 s idle, 4 MiB cap.
    pub fn new(base_url: impl Into<String>) -> Self {
        OllamaConfig {
            base_url: base_url.into(),
            num_ctx: None,
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(300),
            idle_timeout: Duration::from_secs(60),
            max_response_bytes: 4 * 1024 * 1024,
            stop_repetition: true,
        }
    }
}

impl fmt::Debug for OllamaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OllamaConfig")
            .field("base_url", &self.base_url)
            .field("num_ctx", &self.num_ctx)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

/// The server's root from a configured base URL: a trailing `/` and an
/// `/api` or `/v1` suffix (the OpenAI-compatible prefix people copy) are
/// dropped.
pub fn ollama_root(base_url: &str) -> String {
    let b = base_url.trim_end_matches('/');
    let b = b
        .strip_suffix("/api")
        .or_else(|| b.strip_suffix("/v1"))
        .unwrap_or(b);
    b.trim_end_matches('/').to_string()
}

/// Client for `POST {base}/api/chat`.
pub struct OllamaClient {
    cfg: OllamaConfig,
    transport: Transport,
}

impl fmt::Debug for OllamaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OllamaClient")
            .field("cfg", &self.cfg)
            .finish()
    }
}

impl OllamaClient {
    pub fn new(cfg: OllamaConfig) -> Result<Self, ProviderError> {
        let url = format!("{}/api/chat", ollama_root(&cfg.base_url));
        let limits = Limits {
            connect_timeout: cfg.connect_timeout,
            first_byte_timeout: cfg.first_byte_timeout,
            idle_timeout: cfg.idle_timeout,
            max_response_bytes: cfg.max_response_bytes,
        };
        let transport = Transport::new(&url, None, limits)?;
        Ok(OllamaClient { cfg, transport })
    }

    /// The JSON body sent for `req` with context `num_ctx`.
    pub fn request_body(req: &CompletionRequest, num_ctx: Option<u64>) -> Value {
        let messages: Vec<Value> = req
            .messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
            .collect();
        let mut options = serde_json::Map::new();
        if let Some(n) = num_ctx {
            options.insert("num_ctx".into(), json!(n));
        }
        options.insert("num_predict".into(), json!(req.max_tokens));
        if let Some(t) = req.temperature {
            options.insert("temperature".into(), json!(t));
        }
        let mut body = json!({
            "model": req.model,
            "messages": messages,
            "stream": true,
            "options": options,
        });
        if let Some(obj) = body.as_object_mut() {
            if let Some(schema) = req.schema_value() {
                // Ollama constrains decoding to a JSON schema given as
                // `format` (since 0.5), or to any JSON with "json".
                obj.insert("format".into(), schema);
            } else if req.json {
                obj.insert("format".into(), json!("json"));
            }
        }
        body
    }

    async fn run(
        &self,
        req: &CompletionRequest,
        cancel: &CancellationToken,
    ) -> Result<Completion, ProviderError> {
        let request_body = crate::encode_body(&Self::request_body(req, self.cfg.num_ctx), req)?;
        let rb = self
            .transport
            .http
            .post(self.transport.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/x-ndjson")
            .body(request_body.clone());
        tracing::debug!(provider = "ollama", purpose = %req.purpose, model = %req.model, "sending model request");
        let mut state = ChatState {
            guard: self.cfg.stop_repetition.then(RepetitionGuard::default),
            ..ChatState::default()
        };
        let raw = self.transport.stream(rb, cancel, &mut state).await?;
        let Some(finish) = state.finish.take() else {
            return Err(ProviderError::StreamCut {
                received_bytes: raw.len(),
                detail: None,
            });
        };
        Ok(Completion {
            text: state.text,
            usage_reported: state.usage.is_some(),
            usage: state.usage.unwrap_or_default(),
            model: state.model.unwrap_or_else(|| req.model.clone()),
            finish_reason: finish,
            request_body,
            response_raw: String::from_utf8_lossy(&raw).into_owned(),
        })
    }
}

impl ModelClient for OllamaClient {
    fn name(&self) -> &str {
        "ollama"
    }

    fn complete<'a>(
        &'a self,
        req: &'a CompletionRequest,
        cancel: &'a CancellationToken,
    ) -> CompletionFuture<'a> {
        Box::pin(self.run(req, cancel))
    }
}

/// The reply as its lines arrive.
#[derive(Debug, Default)]
struct ChatState {
    text: String,
    model: Option<String>,
    usage: Option<Usage>,
    /// Set by the `done: true` line (or a loop cut).
    finish: Option<FinishReason>,
    guard: Option<RepetitionGuard>,
}

impl SseSink for ChatState {
    fn event(&mut self, ev: &SseEvent) -> Result<(), ProviderError> {
        let v = parse_object(&ev.data)?;
        self.absorb(&v)
    }

    // `stream: false` by a proxy, or an error body sent as JSON.
    fn json_body(&mut self, body: &[u8]) -> Result<(), ProviderError> {
        let v: Value = serde_json::from_slice(body).map_err(|e| ProviderError::MalformedEvent {
            message: format!("non-streamed body: {e}"),
            data_excerpt: excerpt(&String::from_utf8_lossy(body)),
        })?;
        self.absorb(&v)
    }

    fn finished(&self) -> bool {
        self.finish.is_some()
    }
}

impl ChatState {
    fn absorb(&mut self, v: &Value) -> Result<(), ProviderError> {
        if let Some(err) = v.get("error") {
            let message = err
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| excerpt(&err.to_string()));
            return Err(ProviderError::ServerEvent {
                kind: "ollama".into(),
                message,
            });
        }
        if let Some(m) = v.get("model").and_then(Value::as_str) {
            self.model = Some(m.to_string());
        }
        if let Some(s) = v
            .get("message")
            .and_then(|m| m.get("content"))
            .and_then(Value::as_str)
        {
            self.text.push_str(s);
            if let Some(l) = self.guard.as_mut().and_then(|g| g.check(&self.text)) {
                tracing::warn!(
                    period = l.period,
                    kept = l.keep,
                    "model reply repeats itself; stopped reading"
                );
                self.text.truncate(l.keep);
                self.finish = Some(FinishReason::Repetition);
                return Ok(());
            }
        }
        match v.get("done") {
            Some(Value::Bool(true)) => {
                let n = |k: &str| v.get(k).and_then(Value::as_u64);
                let (prompt, eval) = (n("prompt_eval_count"), n("eval_count"));
                if prompt.is_some() || eval.is_some() {
                    self.usage = Some(Usage {
                        input_tokens: prompt.unwrap_or(0),
                        output_tokens: eval.unwrap_or(0),
                        ..Usage::default()
                    });
                }
                self.finish = Some(match v.get("done_reason").and_then(Value::as_str) {
                    None | Some("stop") => FinishReason::Stop,
                    Some(other) => FinishReason::from_wire(other),
                });
            }
            None | Some(Value::Bool(false)) => {}
            Some(other) => {
                return Err(ProviderError::MalformedEvent {
                    message: "`done` is not a boolean".into(),
                    data_excerpt: excerpt(&other.to_string()),
                });
            }
        }
        Ok(())
    }
}

/// What an Ollama server says about one model (`coop doctor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OllamaModel {
    /// `/api/tags` lists it (`name` as given, or `name:latest`).
    pub served: bool,
    /// `/api/show`'s `<architecture>.context_length`, when served and
    /// reported: the most `num_ctx` can usefully be.
    pub context_length: Option<u64>,
}

/// Ask the Ollama server at `base_url` whether it serves `model` and with
/// what context length; each request bounded by `timeout`.
pub async fn ollama_model(
    base_url: &str,
    model: &str,
    timeout: Duration,
) -> Result<OllamaModel, ProviderError> {
    let root = ollama_root(base_url);
    let http = reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
        .map_err(|e| ProviderError::Config(e.to_string()))?;
    let get_json = |rb: reqwest::RequestBuilder| async move {
        let resp = rb
            .send()
            .await
            .map_err(|e| ProviderError::Connect(e.without_url().to_string()))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| ProviderError::Transport(e.without_url().to_string()))?;
        if !status.is_success() {
            return Err(ProviderError::Http {
                status: status.as_u16(),
                body: excerpt(&String::from_utf8_lossy(&body)),
                retry_after: None,
            });
        }
        serde_json::from_slice::<Value>(&body).map_err(|e| ProviderError::MalformedEvent {
            message: e.to_string(),
            data_excerpt: excerpt(&String::from_utf8_lossy(&body)),
        })
    };
    let tags = get_json(http.get(format!("{root}/api/tags"))).await?;
    let latest = format!("{model}:latest");
    let served = tags
        .get("models")
        .and_then(Value::as_array)
        .is_some_and(|ms| {
            ms.iter().any(|m| {
                ["name", "model"].iter().any(|k| {
                    m.get(*k)
                        .and_then(Value::as_str)
                        .is_some_and(|n| n == model || n == latest)
                })
            })
        });
    if !served {
        return Ok(OllamaModel {
            served,
            context_length: None,
        });
    }
    let show = get_json(
        http.post(format!("{root}/api/show"))
            .json(&json!({"model": model})),
    )
    .await?;
    let context_length = show
        .get("model_info")
        .and_then(Value::as_object)
        .and_then(|info| {
            info.iter()
                .find(|(k, _)| k.ends_with(".context_length"))
                .and_then(|(_, v)| v.as_u64())
        });
    Ok(OllamaModel {
        served,
        context_length,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChatMessage;

    #[test]
    fn roots_of_configured_urls() {
        for b in [
            "http://127.0.0.1:11434",
            "http://127.0.0.1:11434/",
            "http://127.0.0.1:11434/api",
            "http://127.0.0.1:11434/v1/",
        ] {
            assert_eq!(ollama_root(b), "http://127.0.0.1:11434", "{b}");
        }
    }

    #[test]
    fn the_body_carries_the_context_window_and_the_schema_as_format() {
        let mut req = CompletionRequest {
            model: "qwen2.5-coder:1.5b".into(),
            messages: vec![ChatMessage::system("s"), ChatMessage::user("u")],
            max_tokens: 512,
            temperature: Some(0.0),
            json: true,
            json_schema: Some(r#"{"type":"object","properties":{"b":{},"a":{}}}"#.into()),
            purpose: "implementer".into(),
        };
        let text = crate::encode_body(&OllamaClient::request_body(&req, Some(16384)), &req)
            .expect("encode");
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["options"]["num_ctx"], 16384);
        assert_eq!(v["options"]["num_predict"], 512);
        assert_eq!(v["options"]["temperature"], 0.0);
        assert_eq!(v["stream"], true);
        assert_eq!(v["messages"][0]["role"], "system");
        // The schema verbatim, its key order kept.
        assert!(text.contains(r#""format":{"type":"object","properties":{"b":{},"a":{}}}"#));
        req.json_schema = None;
        assert_eq!(OllamaClient::request_body(&req, None)["format"], "json");
        req.json = false;
        let v = OllamaClient::request_body(&req, None);
        assert!(v.get("format").is_none() && v["options"].get("num_ctx").is_none());
    }

    #[test]
    fn lines_make_the_reply_and_the_done_line_its_usage_and_reason() {
        let mut s = ChatState::default();
        for l in [
            r#"{"model":"m","message":{"role":"assistant","content":"Hel"},"done":false}"#,
            r#"{"model":"m","message":{"role":"assistant","content":"lo"},"done":false}"#,
        ] {
            s.absorb(&serde_json::from_str(l).expect("json"))
                .expect("line");
            assert!(!s.finished());
        }
        s.absorb(&json!({"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"length","prompt_eval_count":26,"eval_count":298}))
            .expect("done");
        assert_eq!(s.text, "Hello");
        assert_eq!(s.finish, Some(FinishReason::Length));
        let u = s.usage.expect("usage");
        assert_eq!((u.input_tokens, u.output_tokens), (26, 298));
        let err = ChatState::default()
            .absorb(&json!({"error": "model \"x\" not found, try pulling it first"}))
            .expect_err("error");
        assert!(err.to_string().contains("not found"), "{err}");
        assert!(
            ChatState::default()
                .absorb(&json!({"done": "yes"}))
                .is_err()
        );
    }
}
