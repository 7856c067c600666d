//! Counting prompt tokens the way the receiving model does, for context
//! budgets: OpenAI's BPE (tiktoken) for OpenAI models, the server's own
//! tokenizer for llama.cpp (its `/tokenize` endpoint), and otherwise a
//! documented estimate.
//!
//! The estimate is 3 bytes per token, rounded up. Measured on the 41 Go
//! files of examples/*/repo: Qwen2.5-Coder's tokenizer gives 3.27 bytes per
//! token (per file 2.28 to 4.09); OpenAI's o200k gives 3.35 (the `measure`
//! test below prints it). The common
//! "4 characters per token" rule under-counts Go for the Qwen tokenizer by
//! 18 %, which would overflow a budget; 3 over-counts it a little, which
//! only leaves room unused.

use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Bytes per token of the estimate (see the module docs for the measurement).
pub const ESTIMATE_BYTES_PER_TOKEN: u64 = 3;

/// The documented estimate: `ceil(bytes / 3)`.
pub fn estimate(text: &str) -> u64 {
    (text.len() as u64).div_ceil(ESTIMATE_BYTES_PER_TOKEN)
}

#[derive(Debug, thiserror::Error)]
pub enum TokenizeError {
    #[error("tokenize request to {url} failed: {message}")]
    Http { url: String, message: String },
    #[error("tokenize reply from {url} is not {{\"tokens\": [...]}}: {message}")]
    Malformed { url: String, message: String },
    #[error("cancelled")]
    Cancelled,
    #[error("cannot load the {0} encoding: {1}")]
    Encoding(&'static str, String),
}

/// How a model's prompt tokens are counted.
#[derive(Clone)]
pub enum TokenCounter {
    /// OpenAI BPE (`o200k_base` or `cl100k_base`).
    Tiktoken {
        encoding: &'static str,
        bpe: Arc<tiktoken_rs::CoreBPE>,
    },
    /// A llama.cpp server's `/tokenize`: the served model's own tokenizer.
    LlamaCpp {
        url: String,
        client: reqwest::Client,
        timeout: Duration,
    },
    /// [`estimate`].
    Estimate,
}

impl std::fmt::Debug for TokenCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// OpenAI models whose encoding is `cl100k_base`; every other OpenAI model
/// of the Responses era (gpt-4o, gpt-4.1, o-series, gpt-5, codex) uses
/// `o200k_base`.
fn is_cl100k(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    (m.starts_with("gpt-4") && !m.starts_with("gpt-4o") && !m.starts_with("gpt-4.1"))
        || m.starts_with("gpt-3.5")
}

impl TokenCounter {
    /// OpenAI's encoding for `model`.
    pub fn tiktoken(model: &str) -> Result<TokenCounter, TokenizeError> {
        let (encoding, bpe) = if is_cl100k(model) {
            (
                "cl100k_base",
                tiktoken_rs::cl100k_base()
                    .map_err(|e| TokenizeError::Encoding("cl100k_base", e.to_string()))?,
            )
        } else {
            (
                "o200k_base",
                tiktoken_rs::o200k_base()
                    .map_err(|e| TokenizeError::Encoding("o200k_base", e.to_string()))?,
            )
        };
        Ok(TokenCounter::Tiktoken {
            encoding,
            bpe: Arc::new(bpe),
        })
    }

    /// The `/tokenize` endpoint of the llama.cpp server at `base_url`
    /// (its OpenAI-compatible base, e.g. `http://127.0.0.1:8080/v1`).
    pub fn llama_cpp(base_url: &str) -> TokenCounter {
        let root = base_url.trim_end_matches('/').trim_end_matches("/v1");
        TokenCounter::LlamaCpp {
            url: format!("{root}/tokenize"),
            client: reqwest::Client::new(),
            timeout: Duration::from_secs(30),
        }
    }

    /// The counter for a provider kind and model: tiktoken for OpenAI
    /// (`openai-responses`), the server's tokenizer for `openai-compat`
    /// (llama.cpp), the estimate otherwise (Anthropic publishes no
    /// tokenizer; its token-counting endpoint is a network call per count).
    pub fn for_provider(kind: &str, base_url: &str, model: &str) -> TokenCounter {
        match kind {
            "openai-responses" => TokenCounter::tiktoken(model).unwrap_or(TokenCounter::Estimate),
            "openai-compat" => TokenCounter::llama_cpp(base_url),
            _ => TokenCounter::Estimate,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            TokenCounter::Tiktoken { encoding, .. } => format!("tiktoken {encoding}"),
            // Not the URL: the same server under another port counts the same.
            TokenCounter::LlamaCpp { .. } => "llama.cpp server tokenizer (/tokenize)".into(),
            TokenCounter::Estimate => {
                format!("estimate: {ESTIMATE_BYTES_PER_TOKEN} bytes per token")
            }
        }
    }

    /// Tokens of `text`. A llama.cpp server that cannot be asked is an
    /// error: the caller decides whether to fall back to [`estimate`].
    pub async fn count(
        &self,
        text: &str,
        cancel: &CancellationToken,
    ) -> Result<u64, TokenizeError> {
        match self {
            TokenCounter::Tiktoken { bpe, .. } => Ok(bpe.encode_ordinary(text).len() as u64),
            TokenCounter::Estimate => Ok(estimate(text)),
            TokenCounter::LlamaCpp {
                url,
                client,
                timeout,
            } => {
                let http = |e: reqwest::Error| TokenizeError::Http {
                    url: url.clone(),
                    message: e.to_string(),
                };
                let req = client
                    .post(url)
                    .timeout(*timeout)
                    .json(&serde_json::json!({"content": text, "add_special": false}));
                let body = tokio::select! {
                    _ = cancel.cancelled() => return Err(TokenizeError::Cancelled),
                    r = async { req.send().await?.error_for_status()?.json::<serde_json::Value>().await } => r.map_err(http)?,
                };
                body["tokens"]
                    .as_array()
                    .map(|t| t.len() as u64)
                    .ok_or_else(|| TokenizeError::Malformed {
                        url: url.clone(),
                        message: body.to_string().chars().take(200).collect(),
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_rounds_up_at_its_edges() {
        assert_eq!(estimate(""), 0);
        assert_eq!(estimate("a"), 1);
        assert_eq!(estimate("abc"), 1);
        assert_eq!(estimate("abcd"), 2);
        assert_eq!(estimate("é"), 1, "bytes, not characters");
    }

    #[tokio::test]
    async fn tiktoken_counts_like_openai() {
        let c = TokenCounter::tiktoken("gpt-5-codex").unwrap();
        assert_eq!(c.describe(), "tiktoken o200k_base");
        assert_eq!(
            c.count("hello world", &CancellationToken::new())
                .await
                .unwrap(),
            2
        );
        let go = "package main\n\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n";
        let n = c.count(go, &CancellationToken::new()).await.unwrap();
        assert!((10..=20).contains(&n), "{n}");
        assert_eq!(
            TokenCounter::tiktoken("gpt-4-turbo").unwrap().describe(),
            "tiktoken cl100k_base"
        );
        assert!(matches!(
            TokenCounter::for_provider("anthropic", "", "claude-opus-4"),
            TokenCounter::Estimate
        ));
    }

    #[tokio::test]
    async fn llama_cpp_tokenize_endpoint_over_loopback() {
        use axum::{Json, Router, routing::post};
        let app = Router::new().route(
            "/tokenize",
            post(|Json(v): Json<serde_json::Value>| async move {
                // One token per whitespace-separated word, as a stand-in tokenizer.
                let n = v["content"]
                    .as_str()
                    .unwrap_or("")
                    .split_whitespace()
                    .count();
                Json(serde_json::json!({"tokens": (0..n).collect::<Vec<_>>()}))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let c = TokenCounter::for_provider("openai-compat", &format!("http://{addr}/v1/"), "qwen");
        assert_eq!(c.describe(), "llama.cpp server tokenizer (/tokenize)");
        assert_eq!(
            c.count("one two three", &CancellationToken::new())
                .await
                .unwrap(),
            3
        );
        // A server without the endpoint is an error, not a silent zero.
        let gone = TokenCounter::llama_cpp(&format!("http://{addr}/nothing/v1"));
        assert!(matches!(
            gone.count("x", &CancellationToken::new()).await,
            Err(TokenizeError::Http { .. })
        ));
        let cancel = CancellationToken::new();
        cancel.cancel();
        assert!(matches!(
            c.count("x", &cancel).await,
            Err(TokenizeError::Cancelled)
        ));
    }
}

#[cfg(test)]
mod measure {
    use super::*;

    /// Prints bytes per token of OpenAI's o200k on the examples' Go code
    /// (the figure quoted in the module docs).
    #[tokio::test]
    async fn o200k_on_the_examples_go_code() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let c = TokenCounter::tiktoken("gpt-5").unwrap();
        let (mut bytes, mut toks) = (0u64, 0u64);
        let mut stack = vec![root];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir()
                    && p.file_name()
                        .is_some_and(|n| n != "replays" && n != "injection")
                {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "go")
                    && p.to_string_lossy().contains("/repo/")
                {
                    let t = std::fs::read_to_string(&p).unwrap();
                    bytes += t.len() as u64;
                    toks += c.count(&t, &CancellationToken::new()).await.unwrap();
                }
            }
        }
        eprintln!(
            "o200k on examples/*/repo Go code: {bytes} bytes, {toks} tokens, {:.2} bytes per token",
            bytes as f64 / toks as f64
        );
        assert!(
            toks > 0 && toks >= estimate("x") && bytes / toks >= ESTIMATE_BYTES_PER_TOKEN,
            "the estimate does not under-count o200k"
        );
    }
}
