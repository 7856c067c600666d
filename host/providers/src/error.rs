//! Provider errors with their retry semantics.

use std::fmt;
use std::time::Duration;

/// Which wait ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Establishing the TCP/TLS connection.
    Connect,
    /// From sending the request until the first byte of the response body
    /// (covers a server that accepts the request and then thinks for long).
    FirstByte,
    /// Between two reads of a streaming body (a stalled stream).
    Idle,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Connect => "connect",
            TimeoutPhase::FirstByte => "first byte",
            TimeoutPhase::Idle => "idle between stream events",
        })
    }
}

/// Everything that can go wrong in one model call.
///
/// Messages never contain API keys: keys only travel in request headers,
/// which are never formatted, and clients redact the key from any text taken
/// from a server response before it lands here.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The server answered with a non-success HTTP status.
    #[error("HTTP {status} from model server: {body}")]
    Http {
        status: u16,
        /// The response body, truncated to a few KiB.
        body: String,
        /// Parsed from `retry-after` / `retry-after-ms`, if present.
        retry_after: Option<Duration>,
    },
    /// The connection could not be established (refused, DNS, TLS).
    #[error("cannot connect to model server: {0}")]
    Connect(String),
    /// The connection failed while sending the request or reading headers.
    #[error("transport error talking to model server: {0}")]
    Transport(String),
    #[error("model server timed out ({phase}) after {after:?}")]
    Timeout {
        phase: TimeoutPhase,
        after: Duration,
    },
    /// The body ended (or the connection dropped) before the reply was
    /// complete: no `[DONE]` and no finish reason.
    #[error("model stream ended before completion after {received_bytes} bytes{}", detail_suffix(.detail))]
    StreamCut {
        received_bytes: usize,
        detail: Option<String>,
    },
    /// An event's payload was not the JSON we expect; retrying the same
    /// server is unlikely to help.
    #[error("malformed event from model server: {message} (data: {data_excerpt:?})")]
    MalformedEvent {
        message: String,
        data_excerpt: String,
    },
    /// The server reported an error inside the stream (or in a 200 body).
    #[error("model server error event ({kind}): {message}")]
    ServerEvent { kind: String, message: String },
    /// The reply exceeded the configured size cap.
    #[error("model reply larger than {limit_bytes} bytes")]
    ResponseTooLarge { limit_bytes: usize },
    /// The caller's cancellation token fired.
    #[error("model call cancelled")]
    Cancelled,
    /// Replay: no recorded exchange fits this request.
    #[error("no recorded exchange for purpose {purpose:?} (request sha256 {request_sha256})")]
    NoRecording {
        purpose: String,
        request_sha256: String,
    },
    /// Bad client configuration or a request that cannot be sent.
    #[error("invalid model client configuration: {0}")]
    Config(String),
}

fn detail_suffix(detail: &Option<String>) -> String {
    match detail {
        Some(d) => format!(": {d}"),
        None => String::new(),
    }
}

impl ProviderError {
    /// Whether a new attempt of the same request may succeed.
    ///
    /// - `Http`: 400/401/403/404 and other 4xx are final (the request or the
    ///   credentials are wrong). 408, 409 and 429 are transient, except a 429
    ///   whose body says a quota or spend limit is exhausted (waiting seconds
    ///   will not refill it). 5xx, including Anthropic's 529 "overloaded",
    ///   are transient.
    /// - `Connect`, `Transport`, `Timeout` (every phase), `StreamCut`: transient.
    /// - `ServerEvent`: transient only for overload/server-side types
    ///   (`overloaded_error`, `server_error`, `api_error`, `rate_limit...`).
    /// - `MalformedEvent`, `ResponseTooLarge`, `Cancelled`, `NoRecording`,
    ///   `Config`: final.
    pub fn is_retryable(&self) -> bool {
        match self {
            ProviderError::Http { status, body, .. } => match *status {
                429 => !body_says_quota_exhausted(body),
                408 | 409 => true,
                500..=599 => true,
                _ => false,
            },
            ProviderError::Connect(_)
            | ProviderError::Transport(_)
            | ProviderError::Timeout { .. }
            | ProviderError::StreamCut { .. } => true,
            ProviderError::ServerEvent { kind, .. } => {
                let k = kind.to_ascii_lowercase();
                k.contains("overloaded")
                    || k.contains("server_error")
                    || k.contains("api_error")
                    || k.contains("rate_limit")
                    || k.contains("unavailable")
            }
            ProviderError::MalformedEvent { .. }
            | ProviderError::ResponseTooLarge { .. }
            | ProviderError::Cancelled
            | ProviderError::NoRecording { .. }
            | ProviderError::Config(_) => false,
        }
    }

    /// The server's requested wait before retrying, if it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// OpenAI answers 429 `insufficient_quota` for an empty balance and other
/// providers talk about spend/billing limits; those do not clear by waiting.
fn body_says_quota_exhausted(body: &str) -> bool {
    let b = body.to_ascii_lowercase();
    [
        "insufficient_quota",
        "quota exceeded",
        "exceeded your current quota",
        "spend limit",
        "spending limit",
        "billing",
    ]
    .iter()
    .any(|needle| b.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, body: &str) -> ProviderError {
        ProviderError::Http {
            status,
            body: body.into(),
            retry_after: None,
        }
    }

    #[test]
    fn http_retry_classes() {
        for s in [400, 401, 403, 404, 422] {
            assert!(!http(s, "").is_retryable(), "{s}");
        }
        for s in [408, 429, 500, 502, 503, 529] {
            assert!(http(s, "").is_retryable(), "{s}");
        }
        assert!(!http(429, r#"{"error":{"code":"insufficient_quota"}}"#).is_retryable());
        assert!(!http(429, "You have reached your spend limit").is_retryable());
    }

    #[test]
    fn event_retry_classes() {
        let ev = |k: &str| ProviderError::ServerEvent {
            kind: k.into(),
            message: String::new(),
        };
        assert!(ev("overloaded_error").is_retryable());
        assert!(!ev("invalid_request_error").is_retryable());
        assert!(!ProviderError::Cancelled.is_retryable());
        assert!(
            ProviderError::StreamCut {
                received_bytes: 0,
                detail: None
            }
            .is_retryable()
        );
    }
}
