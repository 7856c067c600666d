//! The Ollama client against a loopback server speaking Ollama's API
//! (`coop_e2e::ollama_server`: /api/chat as NDJSON, /api/tags, /api/show).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::time::Duration;

use coop_e2e::ollama_server::{OllamaReply, OllamaServer};
use coop_providers::{
    CancellationToken, ChatMessage, CompletionRequest, FinishReason, ModelClient, OllamaClient,
    OllamaConfig, ProviderError, ollama_model,
};

const MODEL: &str = "qwen2.5-coder:1.5b";

fn req() -> CompletionRequest {
    CompletionRequest {
        model: MODEL.into(),
        messages: vec![
            ChatMessage::system("You are the Implementer."),
            ChatMessage::user("Add Reverse."),
        ],
        max_tokens: 300,
        temperature: Some(0.0),
        json: false,
        json_schema: None,
        purpose: "implementer".into(),
    }
}

fn client(server: &OllamaServer, num_ctx: Option<u64>) -> OllamaClient {
    let mut cfg = OllamaConfig::new(server.base_url());
    cfg.num_ctx = num_ctx;
    cfg.first_byte_timeout = Duration::from_secs(5);
    cfg.idle_timeout = Duration::from_secs(5);
    OllamaClient::new(cfg).unwrap()
}

const REPLY: &str = "Ünïcode ✓ reply, split into many NDJSON lines, with \"quotes\"\nand newlines.";

#[tokio::test]
async fn a_streamed_reply_is_reassembled_with_usage_and_the_context_window_is_sent() {
    let server = OllamaServer::start(
        &[(MODEL, 32768)],
        vec![OllamaReply::text(REPLY).expect_system_contains("Implementer")],
    );
    let c = client(&server, Some(16384))
        .complete(&req(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(c.text, REPLY);
    assert_eq!(c.finish_reason, FinishReason::Stop);
    assert!(c.usage_reported);
    assert_eq!((c.usage.input_tokens, c.usage.output_tokens), (120, 40));
    assert_eq!(c.model, MODEL);
    let sent = &server.requests()[0];
    assert_eq!(sent["options"]["num_ctx"], 16384);
    assert_eq!(sent["options"]["num_predict"], 300);
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["model"], MODEL);
    assert!(c.response_raw.contains("\"done\":true"));
}

#[tokio::test]
async fn length_errors_and_unknown_models_are_reported_as_such() {
    let server = OllamaServer::start(
        &[(MODEL, 32768)],
        vec![
            OllamaReply::text("cut").done_reason("length"),
            OllamaReply::text("partial reply")
                .error_mid_stream("llama runner process has terminated"),
        ],
    );
    let c = client(&server, None);
    let cancel = CancellationToken::new();
    let r = c.complete(&req(), &cancel).await.unwrap();
    assert_eq!(r.finish_reason, FinishReason::Length);
    assert!(server.requests()[0]["options"].get("num_ctx").is_none());

    let err = c.complete(&req(), &cancel).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::ServerEvent { ref message, .. } if message.contains("runner process")),
        "{err:?}"
    );

    let mut other = req();
    other.model = "llama3".into();
    let err = c.complete(&other, &cancel).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Http { status: 404, ref body, .. } if body.contains("try pulling it")),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn the_model_check_reads_tags_and_the_context_length() {
    let server = OllamaServer::start(&[(MODEL, 32768), ("llama3:latest", 8192)], Vec::new());
    let t = Duration::from_secs(5);
    let m = ollama_model(&server.base_url(), MODEL, t).await.unwrap();
    assert!(m.served);
    assert_eq!(m.context_length, Some(32768));
    // `llama3` is `llama3:latest` to Ollama.
    let m = ollama_model(&format!("{}/api", server.base_url()), "llama3", t)
        .await
        .unwrap();
    assert!(m.served);
    let m = ollama_model(&server.base_url(), "mistral", t)
        .await
        .unwrap();
    assert!(!m.served);
    assert_eq!(m.context_length, None);
}
