//! The Anthropic Messages client against recorded-style loopback transcripts,
//! plus the fault matrix.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::time::{Duration, Instant};

use coop_e2e::anthropic_server::{
    self, AnthropicMessage, AnthropicUsage, Reply, SseScriptServer, error_body, error_event,
};
use coop_providers::{
    AnthropicClient, AnthropicConfig, CancellationToken, ChatMessage, CompletionRequest,
    FinishReason, ModelClient, PriceTable, ProviderError, RetryPolicy, TimeoutPhase, Usage,
    complete_with_retry,
};

const KEY: &str = "sk-ant-api03-test-key-0123456789";

fn req(json: bool) -> CompletionRequest {
    CompletionRequest {
        model: "claude-sonnet-4-5".into(),
        messages: vec![
            ChatMessage::system("You are the Architect. Answer in JSON when asked."),
            ChatMessage::user("Plan the change."),
            ChatMessage::assistant("Which module?"),
            ChatMessage::user("host/providers."),
        ],
        max_tokens: 1024,
        temperature: Some(0.2),
        json,
        json_schema: None,
        purpose: "architect".into(),
    }
}

fn cfg(server: &SseScriptServer) -> AnthropicConfig {
    let mut c = AnthropicConfig::new(server.base_url(), KEY);
    c.first_byte_timeout = Duration::from_secs(2);
    c.idle_timeout = Duration::from_millis(300);
    c.max_response_bytes = 64 * 1024;
    c
}

fn client(server: &SseScriptServer) -> AnthropicClient {
    AnthropicClient::new(cfg(server)).unwrap()
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
    }
}

const TEXT: &str = "Plan: ✓ split the «client» into transport + protocol;\nthen add tests. Done.";

#[tokio::test]
async fn text_reply_with_cache_usage_and_request_shape() {
    let wire_usage = AnthropicUsage {
        input_tokens: 21,
        cache_creation_input_tokens: 188_086,
        cache_read_input_tokens: 0,
        output_tokens: 393,
    };
    let server = anthropic_server::start(vec![
        AnthropicMessage::text(TEXT).usage(wire_usage).into(),
        AnthropicMessage::text("again")
            .usage(AnthropicUsage {
                input_tokens: 21,
                cache_creation_input_tokens: 0,
                cache_read_input_tokens: 188_086,
                output_tokens: 5,
            })
            .into(),
    ]);
    let cl = client(&server);
    let cancel = CancellationToken::new();
    let c = cl.complete(&req(false), &cancel).await.unwrap();
    assert_eq!(c.text, TEXT);
    assert_eq!(c.finish_reason, FinishReason::Stop);
    assert_eq!(c.model, "claude-sonnet-4-5-20250929");
    assert!(c.usage_reported);
    assert_eq!(
        c.usage,
        Usage {
            input_tokens: 21,
            output_tokens: 393,
            cached_input_tokens: 0,
            cache_creation_input_tokens: 188_086,
            reasoning_tokens: 0,
        }
    );
    assert!(c.response_raw.contains("event: message_stop"));
    assert!(!c.request_body.contains(KEY));
    let c2 = cl.complete(&req(false), &cancel).await.unwrap();
    assert_eq!(c2.usage.cached_input_tokens, 188_086);
    assert_eq!(c2.usage.cache_creation_input_tokens, 0);
    assert_eq!(c2.usage.input_tokens, 21);
    // A cache hit is priced at the cached rate.
    let prices = PriceTable::defaults();
    let hit = prices.cost(&c2.model, &c2.usage).unwrap();
    let miss = prices.cost(&c.model, &c.usage).unwrap();
    assert!(hit < miss / 5.0, "hit {hit} miss {miss}");

    let r = &server.recorded_requests()[0];
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.header("x-api-key"), Some(KEY));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("authorization"), None);
    let b = &r.body;
    assert_eq!(
        b,
        &serde_json::from_str::<serde_json::Value>(&c.request_body).unwrap()
    );
    assert_eq!(b["model"], "claude-sonnet-4-5");
    assert_eq!(b["max_tokens"], 1024);
    assert_eq!(b["stream"], true);
    assert!((b["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6);
    assert_eq!(
        anthropic_server::system_text(b),
        "You are the Architect. Answer in JSON when asked."
    );
    assert_eq!(b["system"][0]["type"], "text");
    assert_eq!(b["system"][0]["cache_control"]["type"], "ephemeral");
    let msgs = b["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 3, "system is not a message");
    assert_eq!(msgs[0]["role"], "user");
    assert_eq!(msgs[1]["role"], "assistant");
    assert!(b.get("tools").is_none() && b.get("tool_choice").is_none());
}

#[tokio::test]
async fn json_mode_forces_reply_tool_and_returns_its_input() {
    let json = r#"{"plan": ["a", "b"], "note": "ünï \"q\""}"#;
    let server = anthropic_server::start(vec![AnthropicMessage::tool_reply(json).into()]);
    let c = client(&server)
        .complete(&req(true), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(c.text, json);
    serde_json::from_str::<serde_json::Value>(&c.text).unwrap();
    assert_eq!(c.finish_reason, FinishReason::Stop);
    let b = &server.requests()[0];
    assert_eq!(b["tools"][0]["name"], "reply");
    assert_eq!(b["tools"][0]["input_schema"]["type"], "object");
    assert!(b["tools"][0]["description"].as_str().is_some());
    assert_eq!(b["tool_choice"]["type"], "tool");
    assert_eq!(b["tool_choice"]["name"], "reply");
}

#[tokio::test]
async fn max_tokens_is_length_and_base_url_with_v1_works() {
    let server = anthropic_server::start(vec![
        AnthropicMessage::text("trunc")
            .stop_reason("max_tokens")
            .into(),
    ]);
    let mut cfg = cfg(&server);
    cfg.base_url = format!("{}/v1/", server.base_url());
    cfg.cache_system_prompt = false;
    let c = AnthropicClient::new(cfg)
        .unwrap()
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(c.finish_reason, FinishReason::Length);
    let r = &server.recorded_requests()[0];
    assert_eq!(r.path, "/v1/messages");
    assert!(r.body["system"][0].get("cache_control").is_none());
}

#[tokio::test]
async fn key_never_in_errors_or_debug() {
    let server = anthropic_server::start(vec![Reply::status(
        401,
        error_body("authentication_error", &format!("invalid x-api-key {KEY}")),
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
    // An error event echoing the key is redacted too.
    let server = anthropic_server::start(vec![Reply::Sse(
        AnthropicMessage::text("x")
            .script()
            .insert_event(2, error_event("invalid_request_error", KEY)),
    )]);
    let err = client(&server)
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains(KEY), "{err}");
}

#[tokio::test]
async fn cancellation_mid_stream_is_quick() {
    let server = anthropic_server::start(vec![Reply::Sse(
        AnthropicMessage::text(TEXT)
            .script()
            .stall_before_event(3, Duration::from_secs(30)),
    )]);
    let mut cfg = cfg(&server);
    cfg.idle_timeout = Duration::from_secs(60);
    let cl = AnthropicClient::new(cfg).unwrap();
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
    AnthropicMessage::text("recovered").into()
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
    let msg = || AnthropicMessage::text(TEXT).script();
    let half = msg().body_len() / 2;
    let ms = Duration::from_millis;
    let cases = vec![
        Case {
            name: "429 + retry-after: 1",
            script: vec![
                Reply::status(429, error_body("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit")).retry_after("1"),
                good(),
            ],
            check: ok_text,
            attempts: 2,
            min: ms(950),
            max: ms(3000),
        },
        Case {
            name: "529 overloaded_error",
            script: vec![Reply::status(529, error_body("overloaded_error", "Overloaded")), good()],
            check: ok_text,
            attempts: 2,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "500 api_error",
            script: vec![Reply::status(500, error_body("api_error", "Internal server error")), good()],
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
            name: "stream ends before message_stop",
            script: vec![Reply::Sse(msg().truncate_events(4)), good()],
            check: ok_text,
            attempts: 2,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "malformed event JSON",
            script: vec![
                Reply::Sse(msg().insert_event(3, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_del\n\n")),
                good(),
            ],
            check: |r| matches!(r, Err(ProviderError::MalformedEvent { .. })),
            attempts: 1,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "error event overloaded_error mid-stream",
            script: vec![Reply::Sse(msg().insert_event(4, error_event("overloaded_error", "Overloaded"))), good()],
            check: ok_text,
            attempts: 2,
            min: ms(0),
            max: ms(1500),
        },
        Case {
            name: "error event invalid_request_error mid-stream",
            script: vec![Reply::Sse(msg().insert_event(4, error_event("invalid_request_error", "bad"))), good()],
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
            script: vec![Reply::Sse(AnthropicMessage::text("recovered").script().trickle(64, ms(100)))],
            check: ok_text,
            attempts: 1,
            min: ms(500),
            max: ms(5000),
        },
        Case {
            name: "1 MiB reply, 64 KiB cap",
            script: vec![AnthropicMessage::text(big.clone()).into(), good()],
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
        let server = anthropic_server::start(case.script);
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
    eprintln!("Anthropic fault matrix:\n{}", table.join("\n"));
    assert!(failures.is_empty(), "{failures:#?}");
}
