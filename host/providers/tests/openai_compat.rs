//! The OpenAI-compatible client against the scripted loopback server.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::time::{Duration, Instant};

use coop_e2e::model_server::{ModelServer, ScriptedReply};
use coop_providers::{
    CancellationToken, ChatMessage, CompletionRequest, FinishReason, ModelClient,
    OpenAiCompatClient, OpenAiCompatConfig, ProviderError, RetryPolicy, TimeoutPhase, Usage,
    complete_with_retry,
};

fn req(json: bool) -> CompletionRequest {
    CompletionRequest {
        model: "test-model".into(),
        messages: vec![
            ChatMessage::system("You are the architect."),
            ChatMessage::user("Plan it."),
        ],
        max_tokens: 256,
        temperature: Some(0.2),
        json,
        json_schema: None,
        purpose: "architect".into(),
    }
}

fn client(server: &ModelServer) -> OpenAiCompatClient {
    let mut cfg = OpenAiCompatConfig::new(server.base_url());
    cfg.first_byte_timeout = Duration::from_secs(5);
    cfg.idle_timeout = Duration::from_secs(5);
    OpenAiCompatClient::new(cfg).unwrap()
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
    }
}

const LONG: &str =
    "Ünïcode ✓ text split across many tiny chunks, with \"quotes\" and\nnewlines\r\n and more.";

#[tokio::test]
async fn normal_reply_reassembled_with_usage_in_final_chunk() {
    let usage = Usage {
        input_tokens: 40,
        output_tokens: 12,
        cached_input_tokens: 8,
        ..Default::default()
    };
    let server = ModelServer::start(vec![
        ScriptedReply::text(LONG)
            .with_usage(usage)
            .expect_system_contains("architect"),
    ]);
    let c = client(&server)
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(c.text, LONG);
    assert!(c.usage_reported);
    assert_eq!(c.usage, usage);
    assert_eq!(c.finish_reason, FinishReason::Stop);
    assert_eq!(c.model, "coop-fake-model");
    assert!(c.response_raw.contains("data: [DONE]"));

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let body = &reqs[0];
    assert_eq!(serde_json::to_string(body).unwrap(), {
        let sent: serde_json::Value = serde_json::from_str(&c.request_body).unwrap();
        serde_json::to_string(&sent).unwrap()
    });
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["max_tokens"], 256);
    assert_eq!(body["model"], "test-model");
    assert!(body.get("response_format").is_none());
    assert!(body.get("purpose").is_none());
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(server.recorded_requests()[0].authorization, None);
}

#[tokio::test]
async fn usage_in_separate_chunk_and_absent() {
    let usage = Usage {
        input_tokens: 5,
        output_tokens: 3,
        ..Default::default()
    };
    let server = ModelServer::start(vec![
        ScriptedReply::text("one")
            .with_usage(usage)
            .usage_in_separate_chunk(),
        ScriptedReply::text("two").finish_reason("length"),
    ]);
    let cl = client(&server);
    let cancel = CancellationToken::new();
    let a = cl.complete(&req(false), &cancel).await.unwrap();
    assert_eq!(
        (a.text.as_str(), a.usage_reported, a.usage),
        ("one", true, usage)
    );
    let b = cl.complete(&req(false), &cancel).await.unwrap();
    assert_eq!(b.text, "two");
    assert!(!b.usage_reported);
    assert_eq!(b.usage, Usage::default());
    assert_eq!(b.finish_reason, FinishReason::Length);
}

#[tokio::test]
async fn json_mode_sets_response_format_and_bearer_key_sent() {
    let server = ModelServer::start(vec![ScriptedReply::text("{\"ok\":true}")]);
    let mut cfg = OpenAiCompatConfig::new(server.base_url());
    cfg.api_key = Some("sk-test-key".into());
    let cl = OpenAiCompatClient::new(cfg).unwrap();
    let c = cl
        .complete(&req(true), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(c.text, "{\"ok\":true}");
    assert!(!c.request_body.contains("sk-test-key"));
    let r = &server.recorded_requests()[0];
    assert_eq!(r.body["response_format"]["type"], "json_object");
    assert_eq!(r.authorization.as_deref(), Some("Bearer sk-test-key"));
    assert_eq!(r.path, "/v1/chat/completions");
}

#[tokio::test]
async fn system_prompt_mismatch_is_400_not_retried() {
    let server = ModelServer::start(vec![
        ScriptedReply::text("x").expect_system_contains("reviewer"),
    ]);
    let err = complete_with_retry(
        &client(&server),
        &req(false),
        &CancellationToken::new(),
        &fast_policy(),
    )
    .await
    .unwrap_err();
    match err {
        ProviderError::Http {
            status: 400,
            ref body,
            ..
        } => assert!(body.contains("reviewer"), "{body}"),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn rate_limited_429_honors_retry_after() {
    let server = ModelServer::start(vec![
        ScriptedReply::status(
            429,
            r#"{"error":{"message":"slow down","type":"rate_limit_error"}}"#,
        )
        .retry_after("1"),
        ScriptedReply::text("after wait"),
    ]);
    let started = Instant::now();
    let (c, attempts) = complete_with_retry(
        &client(&server),
        &req(false),
        &CancellationToken::new(),
        &fast_policy(),
    )
    .await
    .unwrap();
    let waited = started.elapsed();
    assert_eq!(c.text, "after wait");
    assert_eq!(attempts, 2);
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
}

#[tokio::test]
async fn quota_429_not_retried() {
    let server = ModelServer::start(vec![
        ScriptedReply::status(429, r#"{"error":{"code":"insufficient_quota"}}"#),
        ScriptedReply::text("unused"),
    ]);
    let err = complete_with_retry(
        &client(&server),
        &req(false),
        &CancellationToken::new(),
        &fast_policy(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ProviderError::Http { status: 429, .. }));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn server_error_500_then_success() {
    let server = ModelServer::start(vec![
        ScriptedReply::status(500, "boom"),
        ScriptedReply::text("ok"),
    ]);
    let (c, attempts) = complete_with_retry(
        &client(&server),
        &req(false),
        &CancellationToken::new(),
        &fast_policy(),
    )
    .await
    .unwrap();
    assert_eq!((c.text.as_str(), attempts), ("ok", 2));
}

#[tokio::test]
async fn bad_request_400_single_attempt() {
    let server = ModelServer::start(vec![
        ScriptedReply::status(400, "bad"),
        ScriptedReply::text("unused"),
    ]);
    let err = complete_with_retry(
        &client(&server),
        &req(false),
        &CancellationToken::new(),
        &fast_policy(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ProviderError::Http { status: 400, ref body, .. } if body == "bad"));
    assert!(!err.is_retryable());
    assert_eq!(server.requests().len(), 1);
    assert_eq!(server.remaining_script(), 1);
}

#[tokio::test]
async fn stream_cut_is_retried() {
    let server = ModelServer::start(vec![
        ScriptedReply::text(LONG).cut_after_bytes(300),
        ScriptedReply::text(LONG).cut_after_bytes(50).abort_at_cut(),
        ScriptedReply::text("whole"),
    ]);
    let cl = client(&server);
    // Single attempt shows the error kind...
    let err = cl
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::StreamCut {
                received_bytes: 300,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    // An aborted connection mid-body is a cut too.
    let err = cl
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::StreamCut { .. }), "{err:?}");
    // ...and the retry wrapper recovers.
    server.push(
        ScriptedReply::text(LONG)
            .cut_after_bytes(120)
            .abort_at_cut(),
    );
    server.push(ScriptedReply::text("whole again"));
    let (c, attempts) =
        complete_with_retry(&cl, &req(false), &CancellationToken::new(), &fast_policy())
            .await
            .unwrap();
    assert_eq!((c.text.as_str(), attempts), ("whole", 1));
    let (c, attempts) =
        complete_with_retry(&cl, &req(false), &CancellationToken::new(), &fast_policy())
            .await
            .unwrap();
    assert_eq!((c.text.as_str(), attempts), ("whole again", 2));
}

#[tokio::test]
async fn finish_reason_without_done_is_complete() {
    // Finish reason present but no [DONE]: still a complete reply.
    let server = ModelServer::start(vec![ScriptedReply::text("fine").without_done()]);
    let c = client(&server)
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(c.text, "fine");
}

#[tokio::test]
async fn malformed_event_is_final_error() {
    let server = ModelServer::start(vec![
        ScriptedReply::malformed_event(),
        ScriptedReply::text("unused"),
    ]);
    let err = complete_with_retry(
        &client(&server),
        &req(false),
        &CancellationToken::new(),
        &fast_policy(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ProviderError::MalformedEvent { .. }),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn stall_past_idle_timeout() {
    let server = ModelServer::start(vec![
        ScriptedReply::text(LONG).stall_after_events(3, Duration::from_secs(5)),
    ]);
    let mut cfg = OpenAiCompatConfig::new(server.base_url());
    cfg.idle_timeout = Duration::from_millis(300);
    let cl = OpenAiCompatClient::new(cfg).unwrap();
    let started = Instant::now();
    let err = cl
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::Timeout {
                phase: TimeoutPhase::Idle,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn slow_first_byte_times_out() {
    let server = ModelServer::start(vec![
        ScriptedReply::text("late").delay_first_byte(Duration::from_secs(5)),
    ]);
    let mut cfg = OpenAiCompatConfig::new(server.base_url());
    cfg.first_byte_timeout = Duration::from_millis(300);
    let cl = OpenAiCompatClient::new(cfg).unwrap();
    let err = cl
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::Timeout {
                phase: TimeoutPhase::FirstByte,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn cancellation_mid_stream_is_quick() {
    let server = ModelServer::start(vec![
        ScriptedReply::text(LONG).stall_after_events(2, Duration::from_secs(30)),
    ]);
    let cl = client(&server);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let err = complete_with_retry(&cl, &req(false), &cancel, &fast_policy())
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Cancelled), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn cancellation_interrupts_backoff() {
    let server = ModelServer::start(vec![ScriptedReply::status(503, "busy").retry_after("30")]);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        trigger.cancel();
    });
    let mut policy = fast_policy();
    policy.max_retry_after = Duration::from_secs(60);
    let started = Instant::now();
    let err = complete_with_retry(&client(&server), &req(false), &cancel, &policy)
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Cancelled), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn reply_over_cap_is_error() {
    let big = "x".repeat(20_000);
    let server = ModelServer::start(vec![ScriptedReply::text(big)]);
    let mut cfg = OpenAiCompatConfig::new(server.base_url());
    cfg.max_response_bytes = 4096;
    let err = OpenAiCompatClient::new(cfg)
        .unwrap()
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::ResponseTooLarge { limit_bytes: 4096 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn connection_refused_is_connect_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cl = OpenAiCompatClient::new(OpenAiCompatConfig::new(format!(
        "http://127.0.0.1:{port}/v1"
    )))
    .unwrap();
    let err = cl
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Connect(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn key_never_in_error_messages() {
    let key = "sk-very-secret-key";
    let server = ModelServer::start(vec![ScriptedReply::status(
        401,
        format!("invalid key {key}"),
    )]);
    let mut cfg = OpenAiCompatConfig::new(server.base_url());
    cfg.api_key = Some(key.into());
    let err = OpenAiCompatClient::new(cfg)
        .unwrap()
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Http { status: 401, .. }));
    assert!(!err.to_string().contains(key), "{err}");
    assert!(!format!("{err:?}").contains(key));
}

#[test]
fn server_usable_without_async_runtime() {
    let server = ModelServer::start(vec![ScriptedReply::text("sync")]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let c = rt
        .block_on(client(&server).complete(&req(false), &CancellationToken::new()))
        .unwrap();
    assert_eq!(c.text, "sync");
    server.shutdown();
}

#[tokio::test]
async fn server_from_recording_file() {
    let dir = std::env::temp_dir().join(format!("coop-prov-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rec.json");
    std::fs::write(
        &path,
        r#"{"meta":{"kind":"test-fixture","note":"t"},"exchanges":[
            {"purpose":"architect","request_sha256":null,"text":"first","usage":{"input_tokens":1,"output_tokens":2,"cached_input_tokens":0,"cache_creation_input_tokens":0,"reasoning_tokens":0},"model":"m1"},
            {"purpose":"implementer","request_sha256":null,"text":"second","model":""}]}"#,
    )
    .unwrap();
    let server = ModelServer::from_recording_file(&path).unwrap();
    let cl = client(&server);
    // The server checks that role exchanges go to the matching role prompt.
    let for_role = |system: &str| {
        let mut r = req(false);
        r.messages[0] = ChatMessage::system(system);
        r
    };
    let a = cl
        .complete(
            &for_role("You are the Architect."),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    let b = cl
        .complete(
            &for_role("You are the Implementer."),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        (a.text.as_str(), a.model.as_str(), a.usage.output_tokens),
        ("first", "m1", 2)
    );
    assert_eq!(b.text, "second");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The fake server must really write small pieces, or framing is not exercised.
#[tokio::test]
async fn server_streams_in_small_chunks() {
    use futures_util::StreamExt;
    let server = ModelServer::start(vec![ScriptedReply::text("a".repeat(300))]);
    let resp = reqwest::Client::new()
        .post(format!("{}/chat/completions", server.base_url()))
        .body(r#"{"messages":[]}"#)
        .send()
        .await
        .unwrap();
    let mut stream = resp.bytes_stream();
    let mut chunks = 0usize;
    let mut total = 0usize;
    while let Some(c) = stream.next().await {
        chunks += 1;
        total += c.unwrap().len();
    }
    // ~800 chunks in practice; coalescing under load must not make this flaky.
    assert!(
        chunks >= 50 && total / chunks <= 200,
        "{chunks} chunks for {total} bytes"
    );
}

#[tokio::test]
async fn a_json_schema_is_sent_verbatim_with_its_key_order() {
    // Key order matters to constrained decoders: the model writes properties
    // in schema order, so "old" must stay before "new".
    let schema = r#"{"type":"object","properties":{"summary":{"type":"string"},"old":{"type":"string"},"new":{"type":"string"}},"required":["summary","old","new"]}"#;
    let server = ModelServer::start(vec![ScriptedReply::text(
        r#"{"summary":"s","old":"a","new":"b"}"#,
    )]);
    let client = OpenAiCompatClient::new(OpenAiCompatConfig::new(server.base_url())).unwrap();
    let mut r = req(true);
    r.json_schema = Some(schema.into());
    let c = client
        .complete(&r, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(c.text, r#"{"summary":"s","old":"a","new":"b"}"#);
    let sent = server.requests().pop().unwrap();
    assert_eq!(sent["response_format"]["type"], "json_schema");
    assert_eq!(
        sent["response_format"]["json_schema"]["schema"]["required"],
        serde_json::json!(["summary", "old", "new"])
    );
    let raw = &c.request_body;
    let (s, o, n) = (
        raw.find("\"summary\":{").unwrap(),
        raw.find("\"old\":{").unwrap(),
        raw.find("\"new\":{").unwrap(),
    );
    assert!(
        s < o && o < n,
        "schema keys keep their order on the wire: {raw}"
    );
    assert!(!raw.contains("coop:json-schema"), "no placeholder left");

    // A schema that is not a JSON object falls back to plain JSON mode.
    let server = ModelServer::start(vec![ScriptedReply::text("{}")]);
    let client = OpenAiCompatClient::new(OpenAiCompatConfig::new(server.base_url())).unwrap();
    let mut r = req(true);
    r.json_schema = Some("[1]".into());
    client
        .complete(&r, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(
        server.requests().pop().unwrap()["response_format"],
        serde_json::json!({"type": "json_object"})
    );
}

/// A reply stuck in a loop (the same test-table row again and again, as a
/// live 1.5B model did) is stopped once the loop is plain: the server stalls
/// for longer than the idle timeout after its 1,000th event, so only a
/// client that stopped reading earlier returns at all. One copy of the row
/// is kept and the reply ends as `Repetition`.
#[tokio::test]
async fn a_looping_reply_is_stopped_early_with_one_copy_kept() {
    let head = "main.go\n```go\nvar cases = []struct{ in, want string }{\n";
    let row = "\t{\"hello, world\", \"dlrow ,olleh\"},\n";
    let text = format!("{head}{}", row.repeat(400));
    let server = ModelServer::start(vec![
        ScriptedReply::text(text.clone()).stall_after_events(1000, Duration::from_secs(30)),
        ScriptedReply::text(text),
    ]);
    let started = Instant::now();
    let c = client(&server)
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(c.finish_reason, FinishReason::Repetition);
    assert_eq!(
        c.text,
        format!("{head}{row}"),
        "one whole copy of the row is kept"
    );
    assert!(!c.usage_reported);

    // Switched off, the same reply is read to its end.
    let mut cfg = OpenAiCompatConfig::new(server.base_url());
    cfg.stop_repetition = false;
    let c = OpenAiCompatClient::new(cfg)
        .unwrap()
        .complete(&req(false), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(c.finish_reason, FinishReason::Stop);
    assert_eq!(c.text.matches(row).count(), 400);
}
