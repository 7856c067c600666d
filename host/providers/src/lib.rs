//! coop-providers: the model-client trait and its implementations.
//!
//! The host talks to every model through [`ModelClient`]. A client turns one
//! [`CompletionRequest`] into one [`Completion`] (or a typed [`ProviderError`]
//! that says whether retrying can help). Retrying is done outside the clients,
//! by [`complete_with_retry`], so that every client gets the same policy and
//! the same cancellation behaviour.
//!
//! Implementations:
//! - [`OpenAiCompatClient`]: OpenAI-compatible chat completions, streamed
//!   (llama.cpp's server, Ollama, vLLM).
//! - [`AnthropicClient`]: Anthropic Messages API, streamed (system prompt
//!   hoisted and cached, JSON via a forced `reply` tool).
//! - [`OpenAiResponsesClient`]: OpenAI Responses API, streamed.
//! - [`OllamaClient`]: Ollama's own chat API, streamed as NDJSON, with the
//!   context window sent as `options.num_ctx`.
//! - [`ReplayClient`]: serves a [`Recording`] without network, for tests and
//!   for replaying a run.
//!
//! System prompts are ordinary messages (a client may hoist them into a
//! top-level field), the JSON wish is a flag (each client maps it to its own
//! mechanism), and [`Usage`] carries cache and reasoning counters, which
//! [`PriceTable`] turns into a cost.

mod anthropic;
mod error;
mod ollama;
mod openai_compat;
mod openai_responses;
pub mod pricing;
mod probe;
mod repetition;
mod replay;
mod retry;
pub mod sse;
pub mod tokens;
mod transport;

use std::future::Future;
use std::pin::Pin;

pub use anthropic::{AnthropicClient, AnthropicConfig};
pub use coop_core::Usage;
pub use error::{ProviderError, TimeoutPhase};
pub use ollama::{OllamaClient, OllamaConfig, OllamaModel, ollama_model, ollama_root};
pub use openai_compat::{OpenAiCompatClient, OpenAiCompatConfig};
pub use openai_responses::{OpenAiResponsesClient, OpenAiResponsesConfig};
pub use pricing::{ModelPrice, PriceTable};
pub use probe::probe;
pub use replay::{
    Exchange, JournalClient, Recorder, Recording, RecordingError, RecordingKind, RecordingMeta,
    ReplayClient, ReplayMode, canonical_request_json, canonical_request_sha256, journal,
};
pub use retry::{RetryPolicy, complete_with_retry};
pub use tokens::{ESTIMATE_BYTES_PER_TOKEN, TokenCounter, TokenizeError, estimate};
pub use tokio_util::sync::CancellationToken;

/// Who wrote a message of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    System,
    User,
    Assistant,
}

impl MessageRole {
    /// The wire name used by both OpenAI APIs and Anthropic Messages.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageRole::System => "system",
            MessageRole::User => "user",
            MessageRole::Assistant => "assistant",
        }
    }
}

/// One message of the conversation sent to the model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChatMessage {
    pub role: MessageRole,
    pub content: String,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage {
            role: MessageRole::System,
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage {
            role: MessageRole::User,
            content: content.into(),
        }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage {
            role: MessageRole::Assistant,
            content: content.into(),
        }
    }
}

/// One model call, provider-neutral.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionRequest {
    /// Provider-specific model name, e.g. `qwen2.5-coder-7b`.
    pub model: String,
    pub messages: Vec<ChatMessage>,
    /// Upper bound on generated tokens.
    pub max_tokens: u32,
    /// `None` leaves the provider's default.
    pub temperature: Option<f32>,
    /// Ask for a reply that is one JSON object (OpenAI-compat:
    /// `response_format: {"type": "json_object"}`).
    pub json: bool,
    /// With `json`: a JSON Schema (JSON text) the reply should satisfy.
    /// Clients that can constrain decoding to it send it; others send plain
    /// JSON mode. Never trusted: callers validate the reply.
    pub json_schema: Option<String>,
    /// What the call is for, e.g. `"architect"`. Never sent on the wire; used
    /// by replay matching and in logs.
    pub purpose: String,
}

/// Why the model stopped generating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    /// Natural end of the reply (or a stop sequence).
    Stop,
    /// `max_tokens` reached; the reply is truncated.
    Length,
    ContentFilter,
    ToolCalls,
    /// The client stopped reading because the reply had fallen into a loop
    /// (the same unit repeated many times; see `repetition.rs`). The text
    /// keeps one copy of the unit; like [`FinishReason::Length`], the reply
    /// is cut off.
    Repetition,
    /// Anything else the provider reported, verbatim.
    Other(String),
}

impl FinishReason {
    /// Maps the OpenAI/llama.cpp wire value (Anthropic's `end_turn` and
    /// `max_tokens` are accepted too so later clients can share this).
    pub fn from_wire(s: &str) -> Self {
        match s {
            "stop" | "end_turn" | "stop_sequence" => FinishReason::Stop,
            "length" | "max_tokens" => FinishReason::Length,
            "content_filter" => FinishReason::ContentFilter,
            "tool_calls" | "function_call" | "tool_use" => FinishReason::ToolCalls,
            "repetition" => FinishReason::Repetition,
            other => FinishReason::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::Repetition => "repetition",
            FinishReason::Other(s) => s,
        }
    }
}

/// The result of one successful model call.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The reassembled reply text.
    pub text: String,
    /// Token counts; fields the provider did not report are 0.
    pub usage: Usage,
    /// False when the provider sent no usage at all (normal for llama.cpp
    /// streams without `include_usage` support); `usage` is then all zeros,
    /// not an estimate, so budgets can tell "free" from "unknown".
    pub usage_reported: bool,
    /// The model that answered, as reported by the provider (falls back to
    /// the requested model).
    pub model: String,
    pub finish_reason: FinishReason,
    /// The exact JSON body sent. Never contains keys (they travel in headers).
    pub request_body: String,
    /// The raw response (SSE text or JSON body) as received, for recording.
    pub response_raw: String,
}

/// Boxed future returned by [`ModelClient::complete`]; boxed so the trait
/// stays object safe (`Arc<dyn ModelClient>`).
pub type CompletionFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Completion, ProviderError>> + Send + 'a>>;

/// A model provider. Implementations make exactly one attempt per call; use
/// [`complete_with_retry`] for retries.
pub trait ModelClient: Send + Sync {
    /// Short provider name for logs and recordings: `"openai-compat"`, `"replay"`, ...
    fn name(&self) -> &str;

    /// Runs one completion. Must return [`ProviderError::Cancelled`] promptly
    /// once `cancel` fires, and must bound every network wait by a timeout.
    fn complete<'a>(
        &'a self,
        req: &'a CompletionRequest,
        cancel: &'a CancellationToken,
    ) -> CompletionFuture<'a>;
}

/// Stands in the request body for the schema until [`encode_body`] puts
/// the schema's own text there. A `serde_json::Value` would sort the
/// schema's keys, and key order matters: constrained decoders (llama.cpp)
/// make the model write properties in schema order, and "old" before "new"
/// or "summary" before "edits" is part of what the plugin asked for.
const SCHEMA_PLACEHOLDER: &str = "\u{0}coop:json-schema\u{0}";

impl CompletionRequest {
    /// The plugin's schema text, when JSON mode is on and it parses as a
    /// JSON object; a schema that does not is left out (plain JSON mode).
    pub fn schema_text(&self) -> Option<&str> {
        if !self.json {
            return None;
        }
        self.json_schema
            .as_deref()
            .filter(|s| serde_json::from_str::<serde_json::Value>(s).is_ok_and(|v| v.is_object()))
    }

    /// What a client puts where the schema goes in its request body; see
    /// [`encode_body`].
    pub fn schema_value(&self) -> Option<serde_json::Value> {
        self.schema_text()
            .map(|_| serde_json::Value::String(SCHEMA_PLACEHOLDER.into()))
    }
}

/// Serialize a request body, putting the schema text of `req` (verbatim, key
/// order kept) where [`CompletionRequest::schema_value`] left its placeholder.
/// Bodies put the schema after the messages, so the last occurrence is the
/// placeholder even if a message happened to contain the same text.
pub fn encode_body(
    body: &serde_json::Value,
    req: &CompletionRequest,
) -> Result<String, ProviderError> {
    let text = serde_json::to_string(body)
        .map_err(|e| ProviderError::Config(format!("cannot encode request: {e}")))?;
    let Some(schema) = req.schema_text() else {
        return Ok(text);
    };
    let quoted = serde_json::to_string(SCHEMA_PLACEHOLDER)
        .map_err(|e| ProviderError::Config(format!("cannot encode request: {e}")))?;
    Ok(match text.rfind(&quoted) {
        Some(i) => format!(
            "{}{}{}",
            &text[..i],
            schema.trim(),
            &text[i + quoted.len()..]
        ),
        None => text,
    })
}
