//! A scripted loopback model server speaking the OpenAI-compatible
//! chat-completions streaming protocol the way llama.cpp's server does.
//!
//! Each request to `POST .../chat/completions` consumes the next
//! [`ScriptedReply`]. Replies are streamed as SSE in small chunks (7-20 bytes)
//! so clients' framing is exercised; faults (HTTP errors, cut streams, delays,
//! stalls, malformed events) are injected by the script.
//!
//! The server runs on its own thread with its own tokio runtime, so it works
//! from `#[tokio::test]` (any flavour, even with paused time), from plain
//! `#[test]`s and for tests that spawn the `coop` binary as a subprocess.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use coop_core::Usage;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

/// Where the usage object goes in a streamed reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageStyle {
    /// In the chunk that carries `finish_reason` (llama.cpp).
    InFinalChunk,
    /// In an extra chunk with `"choices": []` after the final one (OpenAI with
    /// `stream_options.include_usage`).
    SeparateChunk,
}

/// A streamed reply and the faults to inject into it.
#[derive(Debug, Clone)]
pub struct StreamReply {
    pub text: String,
    /// `None`: no usage at all (like older llama.cpp builds).
    pub usage: Option<Usage>,
    pub usage_style: UsageStyle,
    pub finish_reason: String,
    pub model: String,
    /// Answer 400 unless the request's system message(s) contain this.
    pub expect_system_contains: Option<String>,
    /// Sleep before sending response headers.
    pub first_byte_delay: Option<Duration>,
    /// After this many SSE events have been sent, sleep this long.
    pub stall: Option<(usize, Duration)>,
    /// End the body after this many bytes of SSE.
    pub cut_after_bytes: Option<usize>,
    /// With `cut_after_bytes`: abort the connection (body error) instead of
    /// ending the chunked body cleanly.
    pub abort_at_cut: bool,
    /// Send an event whose data is not valid JSON right after the role chunk.
    pub malformed_event: bool,
    /// Send `data: [DONE]` at the end (default true).
    pub send_done: bool,
}

/// One scripted answer of the server.
#[derive(Debug, Clone)]
pub enum ScriptedReply {
    Stream(StreamReply),
    /// Answer with this status and body (JSON content type), optionally with
    /// a `retry-after` header value.
    Status {
        status: u16,
        body: String,
        retry_after: Option<String>,
    },
}

impl ScriptedReply {
    /// A normal streamed reply with `finish_reason: "stop"` and no usage.
    pub fn text(text: impl Into<String>) -> Self {
        ScriptedReply::Stream(StreamReply {
            text: text.into(),
            usage: None,
            usage_style: UsageStyle::InFinalChunk,
            finish_reason: "stop".into(),
            model: "coop-fake-model".into(),
            expect_system_contains: None,
            first_byte_delay: None,
            stall: None,
            cut_after_bytes: None,
            abort_at_cut: false,
            malformed_event: false,
            send_done: true,
        })
    }

    /// An HTTP error answer.
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        ScriptedReply::Status {
            status,
            body: body.into(),
            retry_after: None,
        }
    }

    /// A stream whose second event is not valid JSON.
    pub fn malformed_event() -> Self {
        Self::text("never completed").map_stream(|s| s.malformed_event = true)
    }

    fn map_stream(mut self, f: impl FnOnce(&mut StreamReply)) -> Self {
        if let ScriptedReply::Stream(s) = &mut self {
            f(s);
        }
        self
    }

    /// Streamed replies only: report this usage.
    pub fn with_usage(self, usage: Usage) -> Self {
        self.map_stream(|s| s.usage = Some(usage))
    }
    /// Streamed replies only: send usage OpenAI-style in its own chunk.
    pub fn usage_in_separate_chunk(self) -> Self {
        self.map_stream(|s| s.usage_style = UsageStyle::SeparateChunk)
    }
    pub fn expect_system_contains(self, needle: impl Into<String>) -> Self {
        let needle = needle.into();
        self.map_stream(|s| s.expect_system_contains = Some(needle))
    }
    pub fn finish_reason(self, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        self.map_stream(|s| s.finish_reason = reason)
    }
    pub fn model(self, model: impl Into<String>) -> Self {
        let model = model.into();
        self.map_stream(|s| s.model = model)
    }
    pub fn delay_first_byte(self, d: Duration) -> Self {
        self.map_stream(|s| s.first_byte_delay = Some(d))
    }
    pub fn stall_after_events(self, events: usize, d: Duration) -> Self {
        self.map_stream(|s| s.stall = Some((events, d)))
    }
    pub fn cut_after_bytes(self, n: usize) -> Self {
        self.map_stream(|s| s.cut_after_bytes = Some(n))
    }
    pub fn abort_at_cut(self) -> Self {
        self.map_stream(|s| s.abort_at_cut = true)
    }
    pub fn without_done(self) -> Self {
        self.map_stream(|s| s.send_done = false)
    }
    /// Status replies only: add a `retry-after` header.
    pub fn retry_after(mut self, value: impl Into<String>) -> Self {
        if let ScriptedReply::Status { retry_after, .. } = &mut self {
            *retry_after = Some(value.into());
        }
        self
    }
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub path: String,
    pub authorization: Option<String>,
    /// The parsed JSON body, or a JSON string holding the raw body if it was
    /// not JSON.
    pub body: Value,
}

#[derive(Debug, Default)]
struct Shared {
    script: Mutex<VecDeque<ScriptedReply>>,
    requests: Mutex<Vec<RecordedRequest>>,
    /// Calls of llama.cpp's `/tokenize`.
    tokenize_calls: Mutex<u64>,
}

/// Poisoning only means a handler panicked; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The running server. Dropping it stops the server.
#[derive(Debug)]
pub struct ModelServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ModelServer {
    /// Starts the server on `127.0.0.1:0` on a dedicated thread. Panics if
    /// the socket or runtime cannot be created (test helper).
    pub fn start(script: Vec<ScriptedReply>) -> ModelServer {
        match Self::try_start(script) {
            Ok(s) => s,
            Err(e) => panic!("coop-e2e: cannot start model server: {e}"),
        }
    }

    /// Like [`ModelServer::start`] but returns errors.
    pub fn try_start(script: Vec<ScriptedReply>) -> std::io::Result<ModelServer> {
        // Bound synchronously so the address is known and connectable before
        // this returns; the runtime is built here too so failures surface here.
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            requests: Mutex::new(Vec::new()),
            tokenize_calls: Mutex::new(0),
        });
        let (tx, rx) = oneshot::channel::<()>();
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let thread = std::thread::Builder::new()
            .name("coop-model-server".into())
            .spawn(move || {
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("coop-e2e model server: {e}");
                            return;
                        }
                    };
                    tokio::select! {
                        r = axum::serve(listener, app) => {
                            if let Err(e) = r {
                                eprintln!("coop-e2e model server stopped: {e}");
                            }
                        }
                        _ = rx => {}
                    }
                });
                // Dropping the runtime here cancels in-flight responses (stalls).
            })?;
        Ok(ModelServer {
            addr,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// Serves the exchanges of a replay recording file
    /// (`{"meta": {...}, "exchanges": [{"purpose", "text", "usage", "model"}, ...]}`)
    /// in file order, with their usage.
    pub fn from_recording_file(path: &Path) -> std::io::Result<ModelServer> {
        Self::try_start(Self::script_from_recording_file(path)?)
    }

    /// The script [`ModelServer::from_recording_file`] serves, to change or
    /// cut before starting a server with it.
    pub fn script_from_recording_file(path: &Path) -> std::io::Result<Vec<ScriptedReply>> {
        let text = std::fs::read_to_string(path)?;
        let v: Value = serde_json::from_str(&text).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })?;
        let exchanges = v
            .get("exchanges")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: no `exchanges` array", path.display()),
                )
            })?;
        let mut script = Vec::with_capacity(exchanges.len());
        for ex in exchanges {
            let text = ex.get("text").and_then(Value::as_str).unwrap_or_default();
            let mut reply = ScriptedReply::text(text);
            // Role prompts open with "You are the <Role>": checking it makes
            // the server refuse a reply meant for another role.
            if let Some(p) = ex.get("purpose").and_then(Value::as_str)
                && ["architect", "implementer", "reviewer", "navigator"].contains(&p)
            {
                let mut c = p.chars();
                let cap: String = c
                    .next()
                    .map(|f| f.to_ascii_uppercase())
                    .into_iter()
                    .chain(c)
                    .collect();
                reply = reply.expect_system_contains(format!("You are the {cap}"));
            }
            if let Some(u) = ex.get("usage").filter(|u| u.is_object()) {
                let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
                reply = reply.with_usage(Usage {
                    input_tokens: n("input_tokens"),
                    output_tokens: n("output_tokens"),
                    cached_input_tokens: n("cached_input_tokens"),
                    cache_creation_input_tokens: n("cache_creation_input_tokens"),
                    reasoning_tokens: n("reasoning_tokens"),
                });
            }
            if let Some(m) = ex
                .get("model")
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty())
            {
                reply = reply.model(m);
            }
            script.push(reply);
        }
        Ok(script)
    }

    /// `http://127.0.0.1:PORT/v1`, the form OpenAI-compatible clients expect.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request body received so far, in order (including faulted ones).
    pub fn requests(&self) -> Vec<Value> {
        lock(&self.shared.requests)
            .iter()
            .map(|r| r.body.clone())
            .collect()
    }

    /// Every request received so far with path and `Authorization` header.
    pub fn recorded_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// How many `/tokenize` calls the server answered.
    pub fn tokenize_calls(&self) -> u64 {
        *lock(&self.shared.tokenize_calls)
    }

    /// Scripted replies not consumed yet.
    pub fn remaining_script(&self) -> usize {
        lock(&self.shared.script).len()
    }

    /// Appends replies to the script while running.
    pub fn push(&self, reply: ScriptedReply) {
        lock(&self.shared.script).push_back(reply);
    }

    /// Stops the server and waits for its thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn plain(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let parsed: Result<Value, _> = serde_json::from_slice(&body);
    if method == Method::POST && path == "/tokenize" {
        // llama.cpp's tokenizer endpoint (outside /v1): counted apart from
        // model requests, which are what tests count.
        *lock(&shared.tokenize_calls) += 1;
        let content = parsed
            .as_ref()
            .ok()
            .and_then(|v| v["content"].as_str().map(str::to_string))
            .unwrap_or_default();
        let n = stand_in_token_count(&content);
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            json!({"tokens": (0..n).collect::<Vec<u64>>()}).to_string(),
        )
            .into_response();
    }
    lock(&shared.requests).push(RecordedRequest {
        path: path.clone(),
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: match &parsed {
            Ok(v) => v.clone(),
            Err(_) => Value::String(String::from_utf8_lossy(&body).into_owned()),
        },
    });
    if method != Method::POST || !path.ends_with("/chat/completions") {
        return plain(
            StatusCode::NOT_FOUND,
            format!("coop-e2e model server: no route {method} {path}"),
        );
    }
    let request = match parsed {
        Ok(v) => v,
        Err(e) => {
            return plain(
                StatusCode::BAD_REQUEST,
                format!("coop-e2e model server: body is not JSON: {e}"),
            );
        }
    };
    let Some(reply) = lock(&shared.script).pop_front() else {
        // 410 so clients do not retry against an exhausted script.
        let n = lock(&shared.requests).len();
        return plain(
            StatusCode::GONE,
            format!("coop-e2e model server: script exhausted (request #{n} has no scripted reply)"),
        );
    };
    match reply {
        ScriptedReply::Status {
            status,
            body,
            retry_after,
        } => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut resp =
                (code, [(header::CONTENT_TYPE, "application/json")], body).into_response();
            if let Some(ra) = retry_after.and_then(|r| header::HeaderValue::from_str(&r).ok()) {
                resp.headers_mut().insert(header::RETRY_AFTER, ra);
            }
            resp
        }
        ScriptedReply::Stream(s) => stream_reply(s, &request).await,
    }
}

fn system_text(request: &Value) -> String {
    request
        .get("messages")
        .and_then(Value::as_array)
        .map(|msgs| {
            msgs.iter()
                .filter(|m| m.get("role").and_then(Value::as_str) == Some("system"))
                .filter_map(|m| m.get("content").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

async fn stream_reply(s: StreamReply, request: &Value) -> Response {
    if let Some(needle) = &s.expect_system_contains {
        let system = system_text(request);
        if !system.contains(needle.as_str()) {
            let head: String = system.chars().take(300).collect();
            return plain(
                StatusCode::BAD_REQUEST,
                format!(
                    "coop-e2e model server: system message does not contain {needle:?}; it starts with {head:?}"
                ),
            );
        }
    }
    if let Some(d) = s.first_byte_delay {
        tokio::time::sleep(d).await;
    }
    let events = build_events(&s);
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let seed = s.text.len() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    tokio::spawn(produce(events, s, seed, tx));
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
        .unwrap_or_else(|e| plain(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// SSE events (each already terminated by a blank line), like llama.cpp.
fn build_events(s: &StreamReply) -> Vec<String> {
    let created = 1_700_000_000u64;
    let id = "chatcmpl-coop-e2e";
    let chunk = |delta: Value, finish: Value| {
        json!({
            "choices": [{"finish_reason": finish, "index": 0, "delta": delta}],
            "created": created,
            "id": id,
            "model": s.model,
            "system_fingerprint": "coop-e2e",
            "object": "chat.completion.chunk",
        })
    };
    let ev = |v: &Value| format!("data: {v}\n\n");
    let mut out = vec![ev(&chunk(
        json!({"role": "assistant", "content": null}),
        Value::Null,
    ))];
    if s.malformed_event {
        out.push("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"oops\"}\n\n".into());
    }
    for piece in split_text(&s.text, 6) {
        out.push(ev(&chunk(json!({"content": piece}), Value::Null)));
    }
    let usage = s.usage.map(|u| {
        json!({
            "prompt_tokens": u.input_tokens + u.cached_input_tokens,
            "completion_tokens": u.output_tokens,
            "total_tokens": u.input_tokens + u.cached_input_tokens + u.output_tokens,
            "prompt_tokens_details": {"cached_tokens": u.cached_input_tokens},
            "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
        })
    });
    let mut last = chunk(json!({}), Value::String(s.finish_reason.clone()));
    match (usage, s.usage_style) {
        (Some(u), UsageStyle::InFinalChunk) => {
            if let Some(o) = last.as_object_mut() {
                o.insert("usage".into(), u);
                o.insert("timings".into(), json!({"prompt_n": 1, "predicted_n": 1}));
            }
            out.push(ev(&last));
        }
        (Some(u), UsageStyle::SeparateChunk) => {
            out.push(ev(&last));
            out.push(ev(&json!({
                "choices": [], "created": created, "id": id, "model": s.model,
                "object": "chat.completion.chunk", "usage": u,
            })));
        }
        (None, _) => out.push(ev(&last)),
    }
    if s.send_done {
        out.push("data: [DONE]\n\n".into());
    }
    out
}

/// Splits into pieces of at most `max_chars` characters (char boundaries).
fn split_text(text: &str, max_chars: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(max_chars.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// Writes the events in 7-20 byte chunks, applying stall and cut faults.
async fn produce(
    events: Vec<String>,
    s: StreamReply,
    mut seed: u64,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let mut sent = 0usize;
    for (i, ev) in events.iter().enumerate() {
        if let Some((after, d)) = s.stall
            && i == after
        {
            tokio::time::sleep(d).await;
        }
        let bytes = ev.as_bytes();
        let mut pos = 0;
        while pos < bytes.len() {
            // xorshift: deterministic per reply, no rand dependency.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut n = (7 + (seed % 14) as usize).min(bytes.len() - pos);
            if let Some(cut) = s.cut_after_bytes {
                n = n.min(cut.saturating_sub(sent));
                if n == 0 {
                    if s.abort_at_cut {
                        let _ = tx
                            .send(Err(std::io::Error::new(
                                std::io::ErrorKind::ConnectionAborted,
                                "scripted cut",
                            )))
                            .await;
                    }
                    return;
                }
            }
            if tx
                .send(Ok(Bytes::copy_from_slice(&bytes[pos..pos + n])))
                .await
                .is_err()
            {
                return; // client went away
            }
            pos += n;
            sent += n;
            // Let hyper write this chunk before the next one is queued.
            tokio::task::yield_now().await;
        }
    }
}

/// A deterministic stand-in for a BPE tokenizer: one token per 4 characters
/// of a word (rounded up), one per other non-space character.
pub fn stand_in_token_count(text: &str) -> u64 {
    let mut n = 0u64;
    let mut word = 0u64;
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            word += 1;
            continue;
        }
        n += word.div_ceil(4);
        word = 0;
        if !c.is_whitespace() {
            n += 1;
        }
    }
    n + word.div_ceil(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_look_like_llama_cpp() {
        let ScriptedReply::Stream(s) = ScriptedReply::text("héllo world").with_usage(Usage {
            input_tokens: 3,
            output_tokens: 2,
            ..Default::default()
        }) else {
            panic!("not a stream")
        };
        let evs = build_events(&s);
        assert!(evs[0].contains("\"role\":\"assistant\""));
        assert!(evs.last().is_some_and(|e| e == "data: [DONE]\n\n"));
        assert!(evs[evs.len() - 2].contains("\"finish_reason\":\"stop\""));
        assert!(evs[evs.len() - 2].contains("\"prompt_tokens\":3"));
    }
}
