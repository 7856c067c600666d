//! The OpenAI Responses client against recorded-style loopback transcripts,
//! plus the fault matrix.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::time::{Duration, Instant};

use coop_e2e::responses_server::{
    self, Reply, ResponsesReply, ResponsesUsage, SseScriptServer, error_body, error_event,
    failed_event,
};
use coop_providers::{
    CancellationToken, ChatMessage, CompletionRequest, FinishReason, ModelClient,
    OpenAiResponsesClient, OpenAiResponsesConfig, PriceTable, ProviderError, RetryPolicy,
    TimeoutPhase, Usage, complete_with_retry,
};

const KEY: &str = "sk-proj-test-key-0123456789abcdef";

fn req(json: bool) -> CompletionRequest {
    CompletionRequest {
        model: "gpt-5.2-codex".into(),
        messages: vec![
            ChatMessage::system("You are the Reviewer. Reply in JSON."),
            ChatMessage::user("Review the diff."),
            ChatMessage::assistant("Which diff?"),
            ChatMessage::user("The last one."),
        ],
        max_tokens: 2048,
        temperature: Some(0.2),
        json,
        json_schema: None,
        purpose: "reviewer".into(),
    }
}

fn cfg(server: &SseScriptServer) -> OpenAiResponsesConfig {
    let mut c = OpenAiResponsesConfig::new(format!("{}/v1", server.base_url()), KEY);
    c.first_byte_timeout = Duration::from_secs(2);
    c.idle_timeout = Duration::from_millis(300);
    c.max_response_bytes = 64 * 1024;
    c
}

fn client(server: &SseScriptServer) -> OpenAiResponsesClient {
    OpenAiResponsesClient::new(cfg(server)).unwrap()
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
    }
}

const TEXT: &str = "Review: ✓ the «transport» split is fine;\nrename one helper. LGTM.";

#[tokio::test]
async fn text_reply_with_usage_and_request_shape() {
    let server = responses_server::start(vec![
        ResponsesReply::text(TEXT)
            .usage(ResponsesUsage {
                input_tokens: 2006,
                cached_tokens: 1920,
                output_tokens: 300,
                reasoning_tokens: 256,
            })
            .into(),
    ]);
    let c = client(&server)
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(c.text, TEXT);
    assert_eq!(c.finish_reason, FinishReason::Stop);
    assert_eq!(c.model, "gpt-5.2-codex");
    assert!(c.usage_reported);
    assert_eq!(
        c.usage,
        Usage {
            input_tokens: 86,
            cached_input_tokens: 1920,
            output_tokens: 300,
            reasoning_tokens: 256,
            cache_creation_input_tokens: 0,
        }
    );
    let cost = PriceTable::defaults().cost(&c.model, &c.usage).unwrap();
    assert!(cost > 0.0 && cost < 0.01, "{cost}");
    assert!(c.response_raw.contains("event: response.completed"));
    assert!(!c.request_body.contains(KEY));

    let r = &server.recorded_requests()[0];
    assert_eq!(r.path, "/v1/responses");
    assert_eq!(r.header("authorization").unwrap(), format!("Bearer {KEY}"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let b = &r.body;
    assert_eq!(
        b,
        &serde_json::from_str::<serde_json::Value>(&c.request_body).unwrap()
    );
    assert_eq!(b["model"], "gpt-5.2-codex");
    assert_eq!(b["instructions"], "You are the Reviewer. Reply in JSON.");
    assert_eq!(b["max_output_tokens"], 2048);
    assert_eq!(b["stream"], true);
    assert_eq!(b["store"], false);
    let input = b["input"].as_array().unwrap();
    assert_eq!(input.len(), 3, "system is not an input message");
    assert_eq!(input[0]["role"], "user");
    assert_eq!(input[0]["content"], "Review the diff.");
    assert_eq!(input[1]["role"], "assistant");
    assert!(b.get("text").is_none());
    assert!(b.get("messages").is_none());
}

#[tokio::test]
async fn json_mode_deltas_only_and_base_url_without_v1() {
    let json = r#"{"verdict": "approve", "notes": ["ünï"]}"#;
    let server =
        responses_server::start(vec![ResponsesReply::text(json).without_text_done().into()]);
    let mut cfg = cfg(&server);
    cfg.base_url = server.base_url(); // no /v1
    cfg.send_temperature = false;
    cfg.reasoning_effort = Some("low".into());
    let c = OpenAiResponsesClient::new(cfg)
        .unwrap()
        .complete(&req(true), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(c.text, json);
    let r = &server.recorded_requests()[0];
    assert_eq!(r.path, "/v1/responses");
    assert_eq!(r.body["text"]["format"]["type"], "json_object");
    assert!(r.body.get("temperature").is_none());
    assert_eq!(r.body["reasoning"]["effort"], "low");
}

#[tokio::test]
async fn function_call_incomplete_and_failed() {
    let server = responses_server::start(vec![
        ResponsesReply::function_call(r#"{"ok": true}"#).into(),
        ResponsesReply::text("cut sho")
            .incomplete("max_output_tokens")
            .into(),
        Reply::Sse(
            ResponsesReply::text("x")
                .script()
                .truncate_events(4)
                .insert_event(4, failed_event("invalid_prompt", "Invalid prompt")),
        ),
    ]);
    let cl = client(&server);
    let cancel = CancellationToken::new();
    let a = cl.complete(&req(true), &cancel).await.unwrap();
    assert_eq!(a.text, r#"{"ok": true}"#);
    assert_eq!(a.finish_reason, FinishReason::ToolCalls);
    let b = cl.complete(&req(false), &cancel).await.unwrap();
    assert_eq!(b.text, "cut sho");
    assert_eq!(b.finish_reason, FinishReason::Length);
    assert_eq!(b.usage.output_tokens, 87);
    let e = cl.complete(&req(false), &cancel).await.unwrap_err();
    assert!(
        matches!(&e, ProviderError::ServerEvent { kind, .. } if kind == "invalid_prompt"),
        "{e:?}"
    );
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn key_never_in_errors_or_debug() {
    let server = responses_server::start(vec![Reply::status(
        401,
        error_body(
            "invalid_request_error",
            "invalid_api_key",
            &format!("Incorrect API key provided: {KEY}"),
        ),
    )]);
    let cl = client(&server);
    assert!(!format!("{cl:?}").contains(KEY));
    let err = cl
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(!err.is_retryable());
    assert!(!format!("{err} {err:?}").contains(KEY), "{err}");
    assert!(format!("{err}").contains("[REDACTED]"));
}

#[tokio::test]
async fn cancellation_mid_stream_is_quick() {
    let server = responses_server::start(vec![Reply::Sse(
        ResponsesReply::text(TEXT)
            .script()
            .stall_before_event(6, Duration::from_secs(30)),
    )]);
    let mut cfg = cfg(&server);
    cfg.idle_timeout = Duration::from_secs(60);
    let cl = OpenAiResponsesClient::new(cfg).unwrap();
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c2.cancel();
    });
    let started = Instant::now();
    let err = complete_with_retry(&cl, &req(false), &cancel, &fast_policy())
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Cancelled), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

// ---------------------------------------------------------------- fault matrix

/// Records the error of every failed attempt.
struct Logging<'a> {
    inner: &'a dyn ModelClient,
    errors: std::sync::Mutex<Vec<String>>,
}

impl ModelClient for Logging<'_> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn complete<'a>(
        &'a self,
        req: &'a CompletionRequest,
        cancel: &'a CancellationToken,
    ) -> coop_providers::CompletionFuture<'a> {
        Box::pin(async move {
            let r = self.inner.complete(req, cancel).await;
            if let Err(e) = &r {
                self.errors.lock().unwrap().push(short(e));
            }
            r
        })
    }
}

fn short(e: &ProviderError) -> String {
    let s = format!("{e:?}");
    let cut = s.find(" {").map_or(s.len(), |i| i);
    let head = &s[..cut];
    match e {
        ProviderError::Http { status, .. } => format!("Http {status}"),
        ProviderError::ServerEvent { kind, .. } => format!("ServerEvent {kind}"),
        ProviderError::Timeout { phase, .. } => format!("Timeout {phase:?}"),
        ProviderError::Transport(m) | ProviderError::Connect(m) => {
            let kind = if matches!(e, ProviderError::Transport(_)) {
                "Transport"
            } else {
                "Connect"
            };
            let tail: String = m
                .chars()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("{kind}(..{tail})")
        }
        _ => head.to_string(),
    }
}

type Check = fn(&Result<String, ProviderError>) -> bool;

struct Case {
    name: &'static str,
    script: Vec<Reply>,
    check: Check,
    attempts: usize,
    min: Duration,
    max: Duration,
}

fn ok_text(r: &Result<String, ProviderError>) -> bool {
    matches!(r, Ok(t) if t == "recovered")
}

fn good() -> Reply {
    ResponsesReply::text("recovered").into()
}

fn describe(r: &Result<String, ProviderError>) -> String {
    match r {
        Ok(t) => format!("Ok({t:?})"),
        Err(e) => {
            let s = format!("{e:?}");
            let s: String = s.chars().take(90).collect();
            format!("Err({s})")
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_matrix() {
    let big = "x".repeat(1024 * 1024);
    let msg = || ResponsesReply::text(TEXT).script();
    let half = msg().body_len() / 2;
    let ms = Duration::from_millis;
    let cases = vec![
        Case {
            name: "429 + retry-after: 1",
            script: vec![
                Reply::status(429, error_body("requests", "rate_limit_exceeded", "Rate limit reached for gpt-5.2-codex")).retry_after("1"),
                good(),
            ],
            check: ok_text,
            attempts: 2,
            min: ms(950),
            max: ms(3000),
        },
        Case {
            name: "429 insufficient_quota",
            script: vec![
                Reply::status(429, error_body("insufficient_quota", "insufficient_quota", "You exceeded your current quota")),
                good(),
            ],
            check: |r| matches!(r, Err(ProviderError::Http { status: 429, .. })),
            attempts: 1,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "500 server_error",
            script: vec![Reply::status(500, error_body("server_error", "server_error", "The server had an error")), good()],
            check: ok_text,
            attempts: 2,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "503 x3 (exhausts attempts)",
            script: vec![
                Reply::status(503, "upstream unavailable"),
                Reply::status(503, "upstream unavailable"),
                Reply::status(503, "upstream unavailable"),
                good(),
            ],
            check: |r| matches!(r, Err(ProviderError::Http { status: 503, .. })),
            attempts: 3,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "connection reset before response",
            script: vec![Reply::Reset, good()],
            check: ok_text,
            attempts: 2,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "stream cut mid-event (close)",
            script: vec![Reply::Sse(msg().cut_after_bytes(half)), good()],
            check: ok_text,
            attempts: 2,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "stream cut mid-event (TCP reset)",
            script: vec![Reply::Sse(msg().cut_after_bytes(half).reset_at_cut()), good()],
            check: ok_text,
            attempts: 2,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "stream ends before response.completed",
            script: vec![Reply::Sse(msg().truncate_events(8)), good()],
            check: ok_text,
            attempts: 2,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "malformed event JSON",
            script: vec![
                Reply::Sse(msg().insert_event(6, "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"oo\n\n")),
                good(),
            ],
            check: |r| matches!(r, Err(ProviderError::MalformedEvent { .. })),
            attempts: 1,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "error event server_error mid-stream",
            script: vec![Reply::Sse(msg().truncate_events(7).insert_event(7, error_event("server_error", "An error occurred while processing your request."))), good()],
            check: ok_text,
            attempts: 2,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "response.failed server_error",
            script: vec![Reply::Sse(msg().truncate_events(7).insert_event(7, failed_event("server_error", "The model failed to generate a response."))), good()],
            check: ok_text,
            attempts: 2,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "error event invalid_request_error mid-stream",
            script: vec![Reply::Sse(msg().insert_event(7, error_event("invalid_request_error", "bad"))), good()],
            check: |r| matches!(r, Err(ProviderError::ServerEvent { kind, .. }) if kind == "invalid_request_error"),
            attempts: 1,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "trickle, 600 ms gaps > 300 ms idle (x3)",
            script: vec![
                Reply::Sse(msg().trickle(16, ms(600))),
                Reply::Sse(msg().trickle(16, ms(600))),
                Reply::Sse(msg().trickle(16, ms(600))),
                good(),
            ],
            check: |r| matches!(r, Err(ProviderError::Timeout { phase: TimeoutPhase::Idle, .. })),
            attempts: 3,
            min: ms(900),
            max: ms(3000),
        },
        Case {
            name: "trickle, 100 ms gaps < 300 ms idle",
            script: vec![Reply::Sse(ResponsesReply::text("recovered").script().trickle(512, ms(100)))],
            check: ok_text,
            attempts: 1,
            min: ms(500),
            max: ms(5000),
        },
        Case {
            name: "1 MiB reply, 64 KiB cap",
            script: vec![ResponsesReply::text(big.clone()).into(), good()],
            check: |r| matches!(r, Err(ProviderError::ResponseTooLarge { limit_bytes: 65536 })),
            attempts: 1,
            min: ms(0),
            max: ms(3000),
        },
    ];
    let mut table = vec![
        "| fault | errors seen per attempt | final outcome | attempts | time |".to_string(),
        "|---|---|---|---|---|".to_string(),
    ];
    let mut failures = Vec::new();
    for case in cases {
        let server = responses_server::start(case.script);
        let inner = client(&server);
        let cl = Logging {
            inner: &inner,
            errors: Default::default(),
        };
        let started = Instant::now();
        let r = complete_with_retry(&cl, &req(false), &CancellationToken::new(), &fast_policy())
            .await
            .map(|(c, _)| c.text);
        let took = started.elapsed();
        let attempts = server.requests().len();
        table.push(format!(
            "| {} | {} | {} | {} | {} ms |",
            case.name,
            cl.errors.lock().unwrap().join("; "),
            match &r {
                Ok(_) => "Ok".to_string(),
                Err(e) => format!("Err {}", short(e)),
            },
            attempts,
            took.as_millis()
        ));
        if !(case.check)(&r) || attempts != case.attempts || took < case.min || took > case.max {
            failures.push(format!(
                "{}: got {} in {attempts} attempts / {took:?}; want {} attempts in {:?}..{:?}",
                case.name,
                describe(&r),
                case.attempts,
                case.min,
                case.max
            ));
        }
    }
    eprintln!("OpenAI Responses fault matrix:\n{}", table.join("\n"));
    assert!(failures.is_empty(), "{failures:#?}");
}
