//! A loopback server speaking Ollama's own API, for tests of the `ollama`
//! provider kind: `POST /api/chat` streamed as newline-delimited JSON
//! (`application/x-ndjson`, one `{"message":{"content":...},"done":false}`
//! line per piece, then the `done: true` line with `done_reason`,
//! `prompt_eval_count` and `eval_count`), `GET /api/tags` and
//! `POST /api/show` (`model_info.<arch>.context_length`), with Ollama's
//! error bodies (`{"error": "..."}`). Each chat request takes the next
//! scripted reply and is recorded. Runs on its own thread and runtime, like
//! [`crate::model_server`].

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// One chat reply.
#[derive(Debug, Clone)]
pub struct OllamaReply {
    pub text: String,
    /// `stop`, `length`, ...
    pub done_reason: String,
    pub prompt_eval_count: u64,
    pub eval_count: u64,
    /// Send `{"error": ...}` as a line after the first piece instead of
    /// finishing.
    pub error_mid_stream: Option<String>,
    /// The request's system message must contain this (else 400).
    pub expect_system_contains: Option<String>,
}

impl OllamaReply {
    pub fn text(text: impl Into<String>) -> Self {
        OllamaReply {
            text: text.into(),
            done_reason: "stop".into(),
            prompt_eval_count: 120,
            eval_count: 40,
            error_mid_stream: None,
            expect_system_contains: None,
        }
    }
    pub fn done_reason(mut self, r: impl Into<String>) -> Self {
        self.done_reason = r.into();
        self
    }
    pub fn error_mid_stream(mut self, e: impl Into<String>) -> Self {
        self.error_mid_stream = Some(e.into());
        self
    }
    pub fn expect_system_contains(mut self, s: impl Into<String>) -> Self {
        self.expect_system_contains = Some(s.into());
        self
    }
}

/// Whether `name` names `model` as Ollama resolves names (`llama3` is
/// `llama3:latest`).
fn names(model: &str, name: &str) -> bool {
    model == name || model == format!("{name}:latest")
}

struct Shared {
    /// Models it serves, with their context length.
    models: Vec<(String, u64)>,
    script: Mutex<VecDeque<OllamaReply>>,
    requests: Mutex<Vec<Value>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The server; stops when dropped.
pub struct OllamaServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl OllamaServer {
    /// Serve `models` (name, context length) and answer chats with `script`.
    pub fn start(models: &[(&str, u64)], script: Vec<OllamaReply>) -> OllamaServer {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .unwrap_or_else(|e| panic!("ollama server: bind: {e}"));
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("ollama server: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("ollama server: {e}"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("ollama server: runtime: {e}"));
        let shared = Arc::new(Shared {
            models: models.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
            script: Mutex::new(script.into()),
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/api/chat", post(chat))
            .route("/api/tags", get(tags))
            .route("/api/show", post(show))
            .with_state(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("coop-ollama-server".into())
            .spawn(move || {
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = axum::serve(listener, app) => {}
                        _ = rx => {}
                    }
                });
            })
            .unwrap_or_else(|e| panic!("ollama server: thread: {e}"));
        OllamaServer {
            addr,
            shared,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` (Ollama's base URL has no API prefix).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The chat request bodies received, in order.
    pub fn requests(&self) -> Vec<Value> {
        lock(&self.shared.requests).clone()
    }

    pub fn remaining_script(&self) -> usize {
        lock(&self.shared.script).len()
    }
}

impl Drop for OllamaServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn error(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "error": msg }))).into_response()
}

async fn tags(State(s): State<Arc<Shared>>) -> Response {
    let models: Vec<Value> = s
        .models
        .iter()
        .map(|(n, _)| json!({"name": n, "model": n, "size": 986061892, "details": {"format": "gguf", "family": "qwen2"}}))
        .collect();
    Json(json!({ "models": models })).into_response()
}

async fn show(State(s): State<Arc<Shared>>, Json(body): Json<Value>) -> Response {
    let name = body["model"].as_str().unwrap_or_default();
    match s.models.iter().find(|(n, _)| names(n, name)) {
        Some((_, ctx)) => Json(json!({
            "details": {"family": "qwen2", "parameter_size": "1.5B"},
            "model_info": {"general.architecture": "qwen2", "qwen2.context_length": ctx},
        }))
        .into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("model '{name}' not found")),
    }
}

async fn chat(State(s): State<Arc<Shared>>, Json(body): Json<Value>) -> Response {
    lock(&s.requests).push(body.clone());
    let model = body["model"].as_str().unwrap_or_default().to_string();
    if !s.models.iter().any(|(n, _)| names(n, &model)) {
        return error(
            StatusCode::NOT_FOUND,
            &format!("model \"{model}\" not found, try pulling it first"),
        );
    }
    let Some(reply) = lock(&s.script).pop_front() else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "no scripted reply left");
    };
    if let Some(want) = &reply.expect_system_contains {
        let system = body["messages"]
            .as_array()
            .and_then(|ms| ms.iter().find(|m| m["role"] == "system"))
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default();
        if !system.contains(want.as_str()) {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("system message lacks {want:?}"),
            );
        }
    }
    let line = |content: &str| {
        json!({"model": model, "created_at": "2026-12-07T12:00:00Z", "message": {"role": "assistant", "content": content}, "done": false})
            .to_string()
            + "\n"
    };
    let chars: Vec<char> = reply.text.chars().collect();
    let mut lines: Vec<String> = chars
        .chunks(7)
        .map(|c| line(&c.iter().collect::<String>()))
        .collect();
    if let Some(e) = &reply.error_mid_stream {
        lines.truncate(1);
        lines.push(json!({ "error": e }).to_string() + "\n");
    } else {
        lines.push(
            json!({"model": model, "created_at": "2026-12-07T12:00:01Z", "message": {"role": "assistant", "content": ""},
                   "done": true, "done_reason": reply.done_reason, "total_duration": 1_200_000_000u64,
                   "prompt_eval_count": reply.prompt_eval_count, "eval_count": reply.eval_count})
            .to_string()
                + "\n",
        );
    }
    // One body chunk per line, as Ollama flushes them.
    let stream = futures_util::stream::iter(
        lines
            .into_iter()
            .map(|l| Ok::<_, std::convert::Infallible>(axum::body::Bytes::from(l))),
    );
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "response"))
}
