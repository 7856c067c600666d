//! A scripted loopback HTTP/1.1 server that streams pre-built SSE events,
//! written on raw TCP so that transport faults are real: chunked bodies cut
//! mid-event, TCP resets, trickling writes, stalls.
//!
//! Each request to a path ending in the configured route consumes the next
//! [`Reply`]. SSE bodies use `transfer-encoding: chunked`, written in small
//! pieces (7-20 bytes, one TCP write each, `TCP_NODELAY`), like the hosted
//! APIs. Every response carries `connection: close`.
//!
//! Used by [`crate::anthropic_server`] and [`crate::responses_server`], which
//! build recorded-style transcripts of their APIs. Like
//! [`crate::model_server`], it runs on its own thread and runtime.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// A streamed reply: complete SSE events plus faults.
#[derive(Debug, Clone, Default)]
pub struct SseScript {
    /// Each entry is one complete event including its blank line.
    pub events: Vec<String>,
    /// Close the connection after this many body bytes (no final chunk), so
    /// the client sees a chunked body cut mid-way.
    pub cut_after_bytes: Option<usize>,
    /// With `cut_after_bytes`: reset (RST) instead of a clean close.
    pub reset_at_cut: bool,
    /// Write this many bytes at a time with this pause between writes.
    pub trickle: Option<(usize, Duration)>,
    /// Before event number `.0` (0-based), sleep `.1`.
    pub stall_before_event: Option<(usize, Duration)>,
    /// Sleep before the response head.
    pub first_byte_delay: Option<Duration>,
}

impl SseScript {
    pub fn new(events: Vec<String>) -> Self {
        SseScript {
            events,
            ..Default::default()
        }
    }
    /// Inserts a raw event (must end in a blank line) before index `i`.
    pub fn insert_event(mut self, i: usize, ev: impl Into<String>) -> Self {
        let i = i.min(self.events.len());
        self.events.insert(i, ev.into());
        self
    }
    /// Keeps only the first `n` events (a stream that ends cleanly but early).
    pub fn truncate_events(mut self, n: usize) -> Self {
        self.events.truncate(n);
        self
    }
    pub fn cut_after_bytes(mut self, n: usize) -> Self {
        self.cut_after_bytes = Some(n);
        self
    }
    pub fn reset_at_cut(mut self) -> Self {
        self.reset_at_cut = true;
        self
    }
    pub fn trickle(mut self, bytes: usize, gap: Duration) -> Self {
        self.trickle = Some((bytes.max(1), gap));
        self
    }
    pub fn stall_before_event(mut self, i: usize, d: Duration) -> Self {
        self.stall_before_event = Some((i, d));
        self
    }
    pub fn delay_first_byte(mut self, d: Duration) -> Self {
        self.first_byte_delay = Some(d);
        self
    }
    /// Total body size of the events.
    pub fn body_len(&self) -> usize {
        self.events.iter().map(String::len).sum()
    }
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    Sse(SseScript),
    /// A plain answer with this status, JSON body and optional `retry-after`.
    Status {
        status: u16,
        body: String,
        retry_after: Option<String>,
    },
    /// Read the request, then reset the connection without answering.
    Reset,
}

impl Reply {
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Reply::Status {
            status,
            body: body.into(),
            retry_after: None,
        }
    }
    pub fn retry_after(mut self, v: impl Into<String>) -> Self {
        if let Reply::Status { retry_after, .. } = &mut self {
            *retry_after = Some(v.into());
        }
        self
    }
}

impl From<SseScript> for Reply {
    fn from(s: SseScript) -> Self {
        Reply::Sse(s)
    }
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// Parsed JSON body, or a JSON string with the raw body.
    pub body: Value,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
struct Shared {
    route: String,
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<RecordedRequest>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The running server; dropping it stops it.
#[derive(Debug)]
pub struct SseScriptServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SseScriptServer {
    /// Serves `script` for `POST` requests whose path ends in `route`
    /// (e.g. `/v1/messages`). Panics if it cannot start (test helper).
    pub fn start(route: &str, script: Vec<Reply>) -> SseScriptServer {
        match Self::try_start(route, script) {
            Ok(s) => s,
            Err(e) => panic!("coop-e2e: cannot start SSE script server: {e}"),
        }
    }

    pub fn try_start(route: &str, script: Vec<Reply>) -> std::io::Result<SseScriptServer> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared {
            route: route.to_string(),
            script: Mutex::new(script.into()),
            requests: Mutex::new(Vec::new()),
        });
        let (tx, mut rx) = oneshot::channel::<()>();
        let sh = shared.clone();
        let thread = std::thread::Builder::new()
            .name("coop-sse-script-server".into())
            .spawn(move || {
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("coop-e2e sse server: {e}");
                            return;
                        }
                    };
                    loop {
                        tokio::select! {
                            _ = &mut rx => break,
                            a = listener.accept() => match a {
                                Ok((sock, _)) => {
                                    let sh = sh.clone();
                                    tokio::spawn(async move {
                                        let _ = serve_conn(sock, sh).await;
                                    });
                                }
                                Err(e) => eprintln!("coop-e2e sse server accept: {e}"),
                            },
                        }
                    }
                });
                // Dropping the runtime cancels in-flight responses.
            })?;
        Ok(SseScriptServer {
            addr,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT` (no path).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Request bodies received so far (including faulted ones).
    pub fn requests(&self) -> Vec<Value> {
        lock(&self.shared.requests)
            .iter()
            .map(|r| r.body.clone())
            .collect()
    }

    pub fn recorded_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    pub fn remaining_script(&self) -> usize {
        lock(&self.shared.script).len()
    }

    pub fn push(&self, reply: impl Into<Reply>) {
        lock(&self.shared.script).push_back(reply.into());
    }

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

impl Drop for SseScriptServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn serve_conn(mut sock: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    // Head.
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return Ok(());
        }
        let n = sock.read(&mut tmp).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut tmp).await?;
        if n == 0 {
            return Ok(());
        }
        body.extend_from_slice(&tmp[..n]);
    }
    body.truncate(len);
    let parsed: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    lock(&shared.requests).push(RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        headers,
        body: parsed,
    });

    if method != "POST" || !path.ends_with(shared.route.as_str()) {
        return write_status(&mut sock, 404, &format!("no route {method} {path}"), None).await;
    }
    let Some(reply) = lock(&shared.script).pop_front() else {
        return write_status(&mut sock, 410, "coop-e2e: script exhausted", None).await;
    };
    match reply {
        Reply::Status {
            status,
            body,
            retry_after,
        } => write_status(&mut sock, status, &body, retry_after.as_deref()).await,
        Reply::Reset => {
            sock.set_zero_linger()?;
            drop(sock);
            Ok(())
        }
        Reply::Sse(s) => write_sse(sock, s).await,
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        529 => "Site Overloaded",
        _ => "Status",
    }
}

async fn write_status(
    sock: &mut TcpStream,
    status: u16,
    body: &str,
    retry_after: Option<&str>,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        reason(status),
        body.len()
    );
    if let Some(ra) = retry_after {
        head.push_str(&format!("retry-after: {ra}\r\n"));
    }
    head.push_str("\r\n");
    sock.write_all(head.as_bytes()).await?;
    sock.write_all(body.as_bytes()).await?;
    sock.flush().await?;
    sock.shutdown().await
}

async fn write_sse(mut sock: TcpStream, s: SseScript) -> std::io::Result<()> {
    if let Some(d) = s.first_byte_delay {
        tokio::time::sleep(d).await;
    }
    sock.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
    )
    .await?;
    let mut seed: u64 = s.body_len() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    let mut sent = 0usize;
    for (i, ev) in s.events.iter().enumerate() {
        if let Some((at, d)) = s.stall_before_event
            && at == i
        {
            tokio::time::sleep(d).await;
        }
        let bytes = ev.as_bytes();
        let mut pos = 0;
        while pos < bytes.len() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut n = match s.trickle {
                Some((b, _)) => b,
                None => 7 + (seed % 14) as usize,
            }
            .min(bytes.len() - pos);
            if let Some(cut) = s.cut_after_bytes {
                n = n.min(cut.saturating_sub(sent));
                if n == 0 {
                    if s.reset_at_cut {
                        sock.set_zero_linger()?;
                    }
                    drop(sock);
                    return Ok(());
                }
            }
            let chunk = &bytes[pos..pos + n];
            let mut framed = format!("{n:x}\r\n").into_bytes();
            framed.extend_from_slice(chunk);
            framed.extend_from_slice(b"\r\n");
            sock.write_all(&framed).await?;
            sock.flush().await?;
            pos += n;
            sent += n;
            match s.trickle {
                Some((_, gap)) => tokio::time::sleep(gap).await,
                None => tokio::task::yield_now().await,
            }
        }
    }
    if let Some(cut) = s.cut_after_bytes
        && cut <= sent
    {
        drop(sock);
        return Ok(());
    }
    sock.write_all(b"0\r\n\r\n").await?;
    sock.flush().await?;
    sock.shutdown().await
}

/// Formats one SSE event with an `event:` line, as the hosted APIs do.
pub fn sse_event(name: &str, data: &Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

/// Splits into pieces of at most `max_chars` characters.
pub fn split_chars(text: &str, max_chars: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(max_chars.max(1))
        .map(|c| c.iter().collect())
        .collect()
}
