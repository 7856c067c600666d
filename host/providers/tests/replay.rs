//! Replay provider, recorder and canonical hashing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use coop_providers::{
    CancellationToken, ChatMessage, CompletionRequest, Exchange, ModelClient, ProviderError,
    Recorder, Recording, RecordingKind, RecordingMeta, ReplayClient, ReplayMode, Usage,
    canonical_request_json, canonical_request_sha256,
};

fn req(purpose: &str, user: &str) -> CompletionRequest {
    CompletionRequest {
        model: "m".into(),
        messages: vec![
            ChatMessage::system(format!("You are the {purpose}.")),
            ChatMessage::user(user),
        ],
        max_tokens: 100,
        temperature: None,
        json: true,
        json_schema: None,
        purpose: purpose.into(),
    }
}

fn ex(purpose: &str, hash: Option<String>, text: &str) -> Exchange {
    Exchange {
        purpose: purpose.into(),
        request_sha256: hash,
        text: text.into(),
        usage: Usage {
            input_tokens: 1,
            output_tokens: 2,
            ..Default::default()
        },
        model: "recorded-model".into(),
        finish_reason: None,
    }
}

fn meta(kind: RecordingKind) -> RecordingMeta {
    RecordingMeta {
        kind,
        note: "test".into(),
        model: None,
        server: None,
        recorded_at: None,
    }
}

#[test]
fn canonical_hash_ignores_model_and_temperature_but_not_content() {
    let a = req("architect", "x");
    let mut b = a.clone();
    b.model = "other".into();
    b.temperature = Some(0.9);
    assert_eq!(canonical_request_sha256(&a), canonical_request_sha256(&b));
    for change in [
        |r: &mut CompletionRequest| r.max_tokens += 1,
        |r: &mut CompletionRequest| r.json = !r.json,
        |r: &mut CompletionRequest| r.purpose.push('!'),
        |r: &mut CompletionRequest| r.messages[1].content.push('!'),
    ] {
        let mut c = a.clone();
        change(&mut c);
        assert_ne!(canonical_request_sha256(&a), canonical_request_sha256(&c));
    }
    assert!(
        canonical_request_json(&a)
            .starts_with(r#"{"v":1,"purpose":"architect","messages":[{"role":"system""#)
    );
    assert_eq!(canonical_request_sha256(&a).len(), 64);
}

#[tokio::test]
async fn hash_match_serves_matching_exchange_regardless_of_order() {
    let r1 = req("architect", "one");
    let r2 = req("architect", "two");
    let rec = Recording {
        token_counts: Default::default(),
        meta: meta(RecordingKind::Recording),
        exchanges: vec![
            ex(
                "architect",
                Some(canonical_request_sha256(&r2)),
                "reply two",
            ),
            ex(
                "architect",
                Some(canonical_request_sha256(&r1)),
                "reply one",
            ),
        ],
    };
    let client = ReplayClient::new(rec, ReplayMode::Strict);
    let cancel = CancellationToken::new();
    let c = client.complete(&r1, &cancel).await.unwrap();
    assert_eq!(c.text, "reply one");
    assert!(c.usage_reported);
    assert_eq!(c.usage.output_tokens, 2);
    assert_eq!(c.model, "recorded-model");
    assert_eq!(
        client.complete(&r2, &cancel).await.unwrap().text,
        "reply two"
    );
    assert_eq!(client.remaining(), 0);
    // Used up: the same request again is not recorded.
    assert!(matches!(
        client.complete(&r1, &cancel).await,
        Err(ProviderError::NoRecording { .. })
    ));
}

#[tokio::test]
async fn order_match_per_purpose_for_fixtures() {
    let rec = Recording::from_json(
        r#"{"meta":{"kind":"test-fixture","note":"hand written"},"exchanges":[
            {"purpose":"architect","request_sha256":null,"text":"a1","usage":{"input_tokens":0,"output_tokens":0,"cached_input_tokens":0,"cache_creation_input_tokens":0,"reasoning_tokens":0},"model":"x"},
            {"purpose":"reviewer","request_sha256":null,"text":"r1"},
            {"purpose":"architect","text":"a2"}]}"#,
    )
    .unwrap();
    assert_eq!(rec.meta.kind, RecordingKind::TestFixture);
    let client = ReplayClient::new(rec, ReplayMode::Strict);
    let cancel = CancellationToken::new();
    assert_eq!(
        client
            .complete(&req("reviewer", "q"), &cancel)
            .await
            .unwrap()
            .text,
        "r1"
    );
    assert_eq!(
        client
            .complete(&req("architect", "q"), &cancel)
            .await
            .unwrap()
            .text,
        "a1"
    );
    let c = client
        .complete(&req("architect", "different"), &cancel)
        .await
        .unwrap();
    assert_eq!(c.text, "a2");
    assert_eq!(
        c.model, "m",
        "empty recorded model falls back to the request's"
    );
    let err = client
        .complete(&req("architect", "q"), &cancel)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::NoRecording { ref purpose, .. } if purpose == "architect")
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn missing_hash_is_error_in_strict_and_served_in_lenient() {
    let recorded = req("implementer", "old prompt");
    let rec = Recording {
        token_counts: Default::default(),
        meta: meta(RecordingKind::Recording),
        exchanges: vec![ex(
            "implementer",
            Some(canonical_request_sha256(&recorded)),
            "patch",
        )],
    };
    let changed = req("implementer", "new prompt");
    let strict = ReplayClient::new(rec.clone(), ReplayMode::Strict);
    let err = strict
        .complete(&changed, &CancellationToken::new())
        .await
        .unwrap_err();
    let hash = canonical_request_sha256(&changed);
    match &err {
        ProviderError::NoRecording {
            purpose,
            request_sha256,
        } => {
            assert_eq!(purpose, "implementer");
            assert_eq!(request_sha256, &hash);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains(&hash));
    let lenient = ReplayClient::new(rec, ReplayMode::Lenient);
    assert_eq!(
        lenient
            .complete(&changed, &CancellationToken::new())
            .await
            .unwrap()
            .text,
        "patch"
    );
}

#[tokio::test]
async fn cancelled_replay() {
    let client = ReplayClient::new(
        Recording::new(meta(RecordingKind::TestFixture)),
        ReplayMode::Strict,
    );
    let cancel = CancellationToken::new();
    cancel.cancel();
    assert!(matches!(
        client.complete(&req("a", "b"), &cancel).await,
        Err(ProviderError::Cancelled)
    ));
}

#[tokio::test]
async fn recorder_round_trips_through_replay() {
    let recorder = Recorder::new(RecordingMeta {
        kind: RecordingKind::Recording,
        note: String::new(),
        model: Some("m".into()),
        server: Some("llama.cpp".into()),
        recorded_at: Some("2025-01-01T00:00:00Z".into()),
    });
    // Produce completions with a fixture replay, record them, replay the recording strictly.
    let fixture = Recording {
        token_counts: Default::default(),
        meta: meta(RecordingKind::TestFixture),
        exchanges: vec![ex("architect", None, "plan"), ex("reviewer", None, "lgtm")],
    };
    let source = ReplayClient::new(fixture, ReplayMode::Strict);
    let cancel = CancellationToken::new();
    let requests = [req("architect", "go"), req("reviewer", "check")];
    for r in &requests {
        let c = source.complete(r, &cancel).await.unwrap();
        recorder.record(r, &c);
    }
    assert_eq!(recorder.len(), 2);
    let json = recorder.snapshot().to_json_pretty().unwrap();
    assert!(json.contains("\"kind\": \"recording\""));
    let replay = ReplayClient::new(Recording::from_json(&json).unwrap(), ReplayMode::Strict);
    assert_eq!(
        replay.complete(&requests[1], &cancel).await.unwrap().text,
        "lgtm"
    );
    assert_eq!(
        replay.complete(&requests[0], &cancel).await.unwrap().text,
        "plan"
    );
}
