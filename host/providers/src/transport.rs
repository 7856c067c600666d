//! HTTP + SSE plumbing shared by the hosted-API clients (Anthropic Messages,
//! OpenAI Responses): URL joining, the reqwest client, key redaction, the
//! timeout/cancellation/size-cap discipline of one streamed call, and error
//! bodies. The semantics are the same as [`crate::OpenAiCompatClient`]'s:
//!
//! - one deadline (`first_byte_timeout`) covers connect + response headers +
//!   the first body chunk; after that every read must arrive within
//!   `idle_timeout` (a stalled or trickling stream fails with
//!   [`TimeoutPhase::Idle`]);
//! - cancellation is checked around every await;
//! - the raw body is capped at `max_response_bytes`
//!   ([`ProviderError::ResponseTooLarge`], final);
//! - the key only travels in headers and is redacted from every text that
//!   comes from the server or the transport before it becomes an error.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::CONTENT_TYPE;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::ProviderError;
use crate::TimeoutPhase;
use crate::openai_compat::{MAX_ERROR_BODY_BYTES, error_chain, parse_retry_after};
use crate::sse::{SseEvent, SseParser};

/// Receives the events of one streamed reply.
pub(crate) trait SseSink {
    /// One dispatched SSE event.
    fn event(&mut self, ev: &SseEvent) -> Result<(), ProviderError>;
    /// The server answered 200 with `application/json` instead of a stream.
    fn json_body(&mut self, body: &[u8]) -> Result<(), ProviderError>;
    /// The reply is complete; stop reading even if the connection stays open.
    fn finished(&self) -> bool;
}

/// Settings shared by the hosted clients.
#[derive(Clone)]
pub(crate) struct Limits {
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_response_bytes: usize,
}

/// An endpoint plus the HTTP client and limits to call it with.
pub(crate) struct Transport {
    pub url: reqwest::Url,
    pub http: reqwest::Client,
    /// Only kept for redaction.
    secret: Option<String>,
    limits: Limits,
}

/// `{base}/v1/{endpoint}`, or `{base}/{endpoint}` when `base` already ends
/// in `/v1` (so both `https://api.openai.com` and `https://api.openai.com/v1`
/// work).
pub(crate) fn join_api_url(base: &str, endpoint: &str) -> String {
    let b = base.trim_end_matches('/');
    if b.ends_with("/v1") {
        format!("{b}/{endpoint}")
    } else {
        format!("{b}/v1/{endpoint}")
    }
}

impl Transport {
    pub fn new(url: &str, secret: Option<String>, limits: Limits) -> Result<Self, ProviderError> {
        // The parse error is reported without the URL: it may carry userinfo.
        let url = reqwest::Url::parse(url)
            .map_err(|e| ProviderError::Config(format!("invalid base_url: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ProviderError::Config(
                "base_url must be http or https".into(),
            ));
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(limits.connect_timeout)
            .user_agent(concat!("coop/", env!("CARGO_PKG_VERSION")));
        let host = url
            .host_str()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']');
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| ProviderError::Config(format!("cannot build HTTP client: {e}")))?;
        Ok(Transport {
            url,
            http,
            secret: secret.filter(|s| !s.is_empty()),
            limits,
        })
    }

    pub fn redact(&self, s: String) -> String {
        match &self.secret {
            Some(k) if s.contains(k.as_str()) => s.replace(k.as_str(), "[REDACTED]"),
            _ => s,
        }
    }

    pub fn redact_error(&self, e: ProviderError) -> ProviderError {
        match e {
            ProviderError::ServerEvent { kind, message } => ProviderError::ServerEvent {
                kind: self.redact(kind),
                message: self.redact(message),
            },
            ProviderError::MalformedEvent {
                message,
                data_excerpt,
            } => ProviderError::MalformedEvent {
                message: self.redact(message),
                data_excerpt: self.redact(data_excerpt),
            },
            ProviderError::Http {
                status,
                body,
                retry_after,
            } => ProviderError::Http {
                status,
                body: self.redact(body),
                retry_after,
            },
            ProviderError::Connect(m) => ProviderError::Connect(self.redact(m)),
            ProviderError::Transport(m) => ProviderError::Transport(self.redact(m)),
            ProviderError::StreamCut {
                received_bytes,
                detail,
            } => ProviderError::StreamCut {
                received_bytes,
                detail: detail.map(|d| self.redact(d)),
            },
            other => other,
        }
    }

    fn map_send_error(&self, e: reqwest::Error) -> ProviderError {
        let msg = self.redact(error_chain(&e));
        if e.is_connect() {
            if e.is_timeout() || msg.contains("timed out") {
                return ProviderError::Timeout {
                    phase: TimeoutPhase::Connect,
                    after: self.limits.connect_timeout,
                };
            }
            return ProviderError::Connect(msg);
        }
        if e.is_builder() {
            return ProviderError::Config(msg);
        }
        ProviderError::Transport(msg)
    }

    /// Sends `rb` and feeds the streamed answer to `sink`. Returns the raw
    /// body. Non-2xx answers become [`ProviderError::Http`]. Completeness is
    /// the caller's business (it knows its protocol's end marker).
    pub async fn stream(
        &self,
        rb: reqwest::RequestBuilder,
        cancel: &CancellationToken,
        sink: &mut (dyn SseSink + Send),
    ) -> Result<Vec<u8>, ProviderError> {
        if cancel.is_cancelled() {
            return Err(ProviderError::Cancelled);
        }
        let l = &self.limits;
        let first_deadline = Instant::now() + l.first_byte_timeout;
        let resp = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(ProviderError::Cancelled),
            r = tokio::time::timeout_at(first_deadline, rb.send()) => match r {
                Err(_) => return Err(ProviderError::Timeout {
                    phase: TimeoutPhase::FirstByte,
                    after: l.first_byte_timeout,
                }),
                Ok(Err(e)) => return Err(self.map_send_error(e)),
                Ok(Ok(resp)) => resp,
            },
        };
        let status = resp.status();
        if !status.is_success() {
            let retry_after = parse_retry_after(resp.headers());
            let body = self.read_error_body(resp, cancel).await?;
            return Err(ProviderError::Http {
                status: status.as_u16(),
                body,
                retry_after,
            });
        }
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| ct.trim_start().to_ascii_lowercase())
            .unwrap_or_default();
        let is_json_body = content_type.starts_with("application/json");
        // Ollama streams one JSON object per line (application/x-ndjson);
        // each line reaches the sink as an event's data.
        let mut lines = content_type
            .starts_with("application/x-ndjson")
            .then(NdjsonLines::default);

        let mut stream = resp.bytes_stream();
        let mut raw: Vec<u8> = Vec::new();
        let mut parser = SseParser::new();
        let mut got_first = false;
        loop {
            let (deadline, phase, after) = if got_first {
                (
                    Instant::now() + l.idle_timeout,
                    TimeoutPhase::Idle,
                    l.idle_timeout,
                )
            } else {
                (
                    first_deadline,
                    TimeoutPhase::FirstByte,
                    l.first_byte_timeout,
                )
            };
            let next = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(ProviderError::Cancelled),
                r = tokio::time::timeout_at(deadline, stream.next()) => match r {
                    Err(_) => return Err(ProviderError::Timeout { phase, after }),
                    Ok(n) => n,
                },
            };
            let chunk = match next {
                None => break,
                Some(Err(e)) => {
                    return Err(ProviderError::StreamCut {
                        received_bytes: raw.len(),
                        detail: Some(self.redact(error_chain(&e))),
                    });
                }
                Some(Ok(c)) => c,
            };
            got_first = true;
            if raw.len() + chunk.len() > l.max_response_bytes {
                return Err(ProviderError::ResponseTooLarge {
                    limit_bytes: l.max_response_bytes,
                });
            }
            raw.extend_from_slice(&chunk);
            if !is_json_body {
                let events = match lines.as_mut() {
                    Some(l) => l.push(&chunk),
                    None => parser.push(&chunk),
                };
                for ev in events {
                    sink.event(&ev).map_err(|e| self.redact_error(e))?;
                    if sink.finished() {
                        break;
                    }
                }
                if sink.finished() {
                    break;
                }
            }
        }
        if is_json_body {
            sink.json_body(&raw).map_err(|e| self.redact_error(e))?;
        } else if !sink.finished() {
            let last = match lines.as_mut() {
                Some(l) => l.finish(),
                None => parser.finish(),
            };
            if let Some(ev) = last {
                sink.event(&ev).map_err(|e| self.redact_error(e))?;
            }
        }
        Ok(raw)
    }

    /// Reads at most [`MAX_ERROR_BODY_BYTES`] of an error response, bounded
    /// by the idle timeout.
    async fn read_error_body(
        &self,
        resp: reqwest::Response,
        cancel: &CancellationToken,
    ) -> Result<String, ProviderError> {
        let mut stream = resp.bytes_stream();
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let next = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(ProviderError::Cancelled),
                r = tokio::time::timeout(self.limits.idle_timeout, stream.next()) => r,
            };
            match next {
                Ok(Some(Ok(chunk))) => {
                    let room = MAX_ERROR_BODY_BYTES.saturating_sub(buf.len());
                    buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if buf.len() >= MAX_ERROR_BODY_BYTES {
                        break;
                    }
                }
                Ok(None) => break,
                Ok(Some(Err(_))) | Err(_) => {
                    buf.extend_from_slice(b" [body read failed]");
                    break;
                }
            }
        }
        Ok(self.redact(String::from_utf8_lossy(&buf).into_owned()))
    }
}

/// Splits a newline-delimited JSON stream into one event per non-empty
/// line (a line may span chunks; a chunk may end inside a UTF-8
/// character, so bytes are kept until the newline).
#[derive(Debug, Default)]
struct NdjsonLines {
    buf: Vec<u8>,
}

impl NdjsonLines {
    fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=i).collect();
            if let Some(ev) = Self::event(&line) {
                out.push(ev);
            }
        }
        out
    }

    /// The last line when the stream ended without a newline after it.
    fn finish(&mut self) -> Option<SseEvent> {
        let line = std::mem::take(&mut self.buf);
        Self::event(&line)
    }

    fn event(line: &[u8]) -> Option<SseEvent> {
        let text = String::from_utf8_lossy(line);
        let data = text.trim();
        (!data.is_empty()).then(|| SseEvent {
            event: None,
            data: data.to_string(),
            id: None,
        })
    }
}

/// Parses an event's data as a JSON object.
pub(crate) fn parse_object(data: &str) -> Result<serde_json::Value, ProviderError> {
    use crate::openai_compat::excerpt;
    let v: serde_json::Value =
        serde_json::from_str(data).map_err(|e| ProviderError::MalformedEvent {
            message: e.to_string(),
            data_excerpt: excerpt(data),
        })?;
    if !v.is_object() {
        return Err(ProviderError::MalformedEvent {
            message: "event payload is not a JSON object".into(),
            data_excerpt: excerpt(data),
        });
    }
    Ok(v)
}

/// `{"type": ..., "message": ...}` (or `code` instead of `type`) to a
/// [`ProviderError::ServerEvent`].
pub(crate) fn server_event(err: &serde_json::Value) -> ProviderError {
    use serde_json::Value;
    let s = |k: &str| {
        err.get(k).and_then(|c| match c {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let kind = s("code")
        .or_else(|| s("type").filter(|t| t != "error"))
        .unwrap_or_else(|| "error".into());
    let message = s("message").unwrap_or_else(|| crate::openai_compat::excerpt(&err.to_string()));
    ProviderError::ServerEvent { kind, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_lines_across_chunks_and_a_last_line_without_newline() {
        let mut l = NdjsonLines::default();
        assert!(l.push(b"{\"a\":").is_empty());
        let evs = l.push("1}\n\n{\"b\":\"\u{e9}".as_bytes());
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].data, "{\"a\":1}");
        // A multi-byte character split between chunks survives.
        let bytes = "\u{2713}\"}\n{\"c\":3}".as_bytes();
        let evs = l.push(&bytes[..1]);
        assert!(evs.is_empty());
        let evs = l.push(&bytes[1..]);
        assert_eq!(evs[0].data, "{\"b\":\"\u{e9}\u{2713}\"}");
        assert_eq!(l.finish().map(|e| e.data), Some("{\"c\":3}".to_string()));
        assert!(l.finish().is_none());
    }

    #[test]
    fn url_joining() {
        assert_eq!(
            join_api_url("https://api.anthropic.com", "messages"),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(
            join_api_url("https://api.openai.com/v1/", "responses"),
            "https://api.openai.com/v1/responses"
        );
        assert_eq!(
            join_api_url("http://127.0.0.1:9/proxy/", "responses"),
            "http://127.0.0.1:9/proxy/v1/responses"
        );
    }

    #[test]
    fn server_event_kinds() {
        let e = server_event(&serde_json::json!({"type": "overloaded_error", "message": "x"}));
        assert!(
            matches!(e, ProviderError::ServerEvent { ref kind, .. } if kind == "overloaded_error")
        );
        assert!(e.is_retryable());
        let e = server_event(&serde_json::json!({"type": "error", "code": "server_error"}));
        assert!(matches!(e, ProviderError::ServerEvent { ref kind, .. } if kind == "server_error"));
        let e = server_event(&serde_json::json!({"type": "error", "code": null, "message": "m"}));
        assert!(!e.is_retryable());
    }
}
