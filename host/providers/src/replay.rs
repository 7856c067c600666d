//! Recorded exchanges: the file format, a recorder, and a replaying client.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use coop_core::hash::sha256_hex;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::{
    Completion, CompletionFuture, CompletionRequest, FinishReason, ModelClient, ProviderError,
    Usage,
};

/// Whether a file is a hand-written fixture or a recording of a real run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordingKind {
    TestFixture,
    Recording,
}

/// Descriptive header of a recording file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingMeta {
    pub kind: RecordingKind,
    #[serde(default)]
    pub note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Which server produced it, e.g. `llama.cpp b4600` or a base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// RFC 3339 timestamp; written by the host (this crate has no clock dependency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<String>,
}

/// One recorded model call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub purpose: String,
    /// [`canonical_request_sha256`] of the request, or `null` in
    /// hand-written fixtures (then matched by order per purpose).
    #[serde(default)]
    pub request_sha256: Option<String>,
    pub text: String,
    #[serde(default)]
    pub usage: Usage,
    #[serde(default)]
    pub model: String,
    /// Why generation stopped (`stop`, `length`, ...); absent in
    /// hand-written fixtures, which then replay as `stop`. Replayed as
    /// recorded, because a plugin sees whether its reply was cut off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
}

/// A recording file: `{ "meta": {...}, "exchanges": [...] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    pub meta: RecordingMeta,
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
    /// Prompt-token counts the run made for context budgets, by sha256 of
    /// the counted text, so a replay budgets exactly as the run did without
    /// the model's tokenizer.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub token_counts: std::collections::BTreeMap<String, u64>,
}

/// Reading or parsing a recording file failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("cannot read recording {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid recording {path}: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

impl Recording {
    pub fn new(meta: RecordingMeta) -> Self {
        Recording {
            meta,
            exchanges: Vec::new(),
            token_counts: Default::default(),
        }
    }

    pub fn from_json(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s)
    }

    /// Blocking read; call from `spawn_blocking` in async code if the file may be large.
    pub fn load(path: &Path) -> Result<Self, RecordingError> {
        let text = std::fs::read_to_string(path).map_err(|source| RecordingError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text).map_err(|source| RecordingError::Parse {
            path: path.to_path_buf(),
            source,
        })
    }

    pub fn to_json_pretty(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}

#[derive(Serialize)]
struct CanonicalMessage<'a> {
    role: &'a str,
    content: &'a str,
}

/// Field order is fixed by the struct, so the JSON is deterministic.
#[derive(Serialize)]
struct CanonicalRequest<'a> {
    /// Bumped if the canonical form ever changes, so old hashes stop matching
    /// loudly instead of silently.
    v: u32,
    purpose: &'a str,
    messages: Vec<CanonicalMessage<'a>>,
    max_tokens: u32,
    json: bool,
    /// Absent when there is none, so requests without a schema hash as
    /// they did before the field existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    json_schema: Option<&'a str>,
}

/// The canonical JSON hashed by [`canonical_request_sha256`]:
/// `{"v":1,"purpose":..,"messages":[{"role":..,"content":..}],"max_tokens":..,"json":..}`.
///
/// Deliberately excluded: `model` (a recording made with one model must
/// replay under another model name or provider) and `temperature` (sampling
/// settings do not change what was asked).
pub fn canonical_request_json(req: &CompletionRequest) -> String {
    let canon = CanonicalRequest {
        v: 1,
        purpose: &req.purpose,
        messages: req
            .messages
            .iter()
            .map(|m| CanonicalMessage {
                role: m.role.as_str(),
                content: &m.content,
            })
            .collect(),
        max_tokens: req.max_tokens,
        json: req.json,
        json_schema: req.json_schema.as_deref(),
    };
    // Serializing strings, bools and integers cannot fail; the fallback only
    // keeps this function total without an `expect`.
    serde_json::to_string(&canon).unwrap_or_default()
}

/// Lower-case hex sha256 of [`canonical_request_json`].
pub fn canonical_request_sha256(req: &CompletionRequest) -> String {
    sha256_hex(canonical_request_json(req).as_bytes())
}

/// Collects exchanges while a run talks to a real provider; the host writes
/// [`Recorder::snapshot`] to the run directory.
#[derive(Debug)]
pub struct Recorder {
    inner: Mutex<Recording>,
}

impl Recorder {
    pub fn new(meta: RecordingMeta) -> Self {
        Recorder {
            inner: Mutex::new(Recording::new(meta)),
        }
    }

    /// Appends the exchange for a successful call and returns it.
    pub fn record(&self, req: &CompletionRequest, completion: &Completion) -> Exchange {
        let ex = Exchange {
            purpose: req.purpose.clone(),
            request_sha256: Some(canonical_request_sha256(req)),
            text: completion.text.clone(),
            usage: completion.usage,
            model: completion.model.clone(),
            finish_reason: Some(completion.finish_reason.as_str().to_string()),
        };
        // A poisoned lock only means another thread panicked mid-push; the
        // Vec is still valid, so keep recording.
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.exchanges.push(ex.clone());
        ex
    }

    /// Keeps a token count (by sha256 of the counted text) for replays.
    pub fn record_count(&self, text_sha256: &str, tokens: u64) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.token_counts.insert(text_sha256.to_string(), tokens);
    }

    pub fn snapshot(&self) -> Recording {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .exchanges
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How strictly replay matches requests to exchanges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplayMode {
    /// A recorded hash must match: the next exchange of the purpose is served
    /// only if it has no hash (fixture style).
    #[default]
    Strict,
    /// When no hash matches, serve the next exchange of the purpose anyway
    /// (prompts changed since recording, but the script is still wanted).
    Lenient,
}

/// Serves a [`Recording`] without network.
///
/// For each request, in this order:
/// 1. the first unused exchange whose `request_sha256` equals the request's
///    [`canonical_request_sha256`];
/// 2. else the first unused exchange with the same `purpose` (so the n-th
///    call with purpose X gets the n-th exchange with purpose X), provided it
///    has no hash or the mode is [`ReplayMode::Lenient`];
/// 3. else [`ProviderError::NoRecording`].
///
/// Each exchange is served once.
#[derive(Debug)]
pub struct ReplayClient {
    recording: Recording,
    mode: ReplayMode,
    used: Mutex<HashSet<usize>>,
}

impl ReplayClient {
    pub fn new(recording: Recording, mode: ReplayMode) -> Self {
        ReplayClient {
            recording,
            mode,
            used: Mutex::new(HashSet::new()),
        }
    }

    /// Number of exchanges not served yet (a test can assert the script was used up).
    pub fn remaining(&self) -> usize {
        let used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        self.recording.exchanges.len() - used.len()
    }

    fn pick(&self, req: &CompletionRequest) -> Result<Exchange, ProviderError> {
        let hash = canonical_request_sha256(req);
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        let ex = &self.recording.exchanges;
        let by_hash = (0..ex.len())
            .find(|i| !used.contains(i) && ex[*i].request_sha256.as_deref() == Some(hash.as_str()));
        let chosen = by_hash.or_else(|| {
            (0..ex.len())
                .find(|i| !used.contains(i) && ex[*i].purpose == req.purpose)
                .filter(|i| ex[*i].request_sha256.is_none() || self.mode == ReplayMode::Lenient)
        });
        match chosen {
            Some(i) => {
                used.insert(i);
                Ok(ex[i].clone())
            }
            None => Err(ProviderError::NoRecording {
                purpose: req.purpose.clone(),
                request_sha256: hash,
            }),
        }
    }
}

impl ModelClient for ReplayClient {
    fn name(&self) -> &str {
        "replay"
    }

    fn complete<'a>(
        &'a self,
        req: &'a CompletionRequest,
        cancel: &'a CancellationToken,
    ) -> CompletionFuture<'a> {
        Box::pin(async move {
            if cancel.is_cancelled() {
                return Err(ProviderError::Cancelled);
            }
            let ex = self.pick(req)?;
            tracing::debug!(provider = "replay", purpose = %req.purpose, "serving recorded exchange");
            let response_raw = serde_json::to_string(&ex).unwrap_or_default();
            // A recorded zero usage means the provider reported none (the
            // host then estimated it): replaying it as "not reported" makes
            // the host estimate the same figure again.
            let usage_reported = ex.usage != Usage::default();
            Ok(Completion {
                text: ex.text,
                usage: ex.usage,
                usage_reported,
                model: if ex.model.is_empty() {
                    req.model.clone()
                } else {
                    ex.model
                },
                finish_reason: ex
                    .finish_reason
                    .as_deref()
                    .map(FinishReason::from_wire)
                    .unwrap_or(FinishReason::Stop),
                // No wire request exists; the canonical form is what was matched.
                request_body: canonical_request_json(req),
                response_raw,
            })
        })
    }
}

/// Serves the exchanges a run already paid for, then goes live: the model
/// client of a resumed or answered run (`coop resume`, `coop answer`).
///
/// A request whose canonical hash matches an unused exchange of the journal
/// (the interrupted run's own recording) is answered from it, without a
/// network call; any other request goes to the live client. Because the
/// workflow is deterministic given the same replies, the re-executed run asks
/// exactly the journal's requests, in order, up to the point where it
/// stopped, and only the calls after that cost anything.
#[derive(Debug)]
pub struct JournalClient<C: ?Sized> {
    journal: std::sync::Arc<ReplayClient>,
    live: std::sync::Arc<C>,
}

impl<C: ModelClient + ?Sized> JournalClient<C> {
    /// `journal` is shared by every role's client, so each recorded exchange
    /// is served once in the whole run.
    pub fn new(journal: std::sync::Arc<ReplayClient>, live: std::sync::Arc<C>) -> Self {
        JournalClient { journal, live }
    }
}

/// A journal for [`JournalClient`]: only exact request hashes match.
pub fn journal(recording: Recording) -> std::sync::Arc<ReplayClient> {
    std::sync::Arc::new(ReplayClient::new(recording, ReplayMode::Strict))
}

impl<C: ModelClient + ?Sized> ModelClient for JournalClient<C> {
    fn name(&self) -> &str {
        self.live.name()
    }

    fn complete<'a>(
        &'a self,
        req: &'a CompletionRequest,
        cancel: &'a CancellationToken,
    ) -> CompletionFuture<'a> {
        Box::pin(async move {
            // The journal is strict: only an exact request hash matches (a
            // run's recording always has them), so "not recorded" means
            // "not asked before": go live.
            match self.journal.complete(req, cancel).await {
                Err(ProviderError::NoRecording { .. }) => self.live.complete(req, cancel).await,
                served => served,
            }
        })
    }
}

#[cfg(test)]
mod journal_tests {
    use super::*;
    use crate::ChatMessage;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Stands in for the live provider; counts the calls that reach it.
    #[derive(Debug, Default)]
    struct Live(AtomicUsize);

    impl ModelClient for Live {
        fn name(&self) -> &str {
            "live"
        }
        fn complete<'a>(
            &'a self,
            req: &'a CompletionRequest,
            _c: &'a CancellationToken,
        ) -> CompletionFuture<'a> {
            Box::pin(async move {
                self.0.fetch_add(1, Ordering::SeqCst);
                Ok(Completion {
                    text: format!("live reply to {}", req.purpose),
                    usage: Usage::default(),
                    usage_reported: false,
                    model: req.model.clone(),
                    finish_reason: FinishReason::Stop,
                    request_body: String::new(),
                    response_raw: String::new(),
                })
            })
        }
    }

    fn req(text: &str) -> CompletionRequest {
        CompletionRequest {
            model: "m".into(),
            messages: vec![ChatMessage::user(text.to_string())],
            max_tokens: 10,
            temperature: Some(0.0),
            json: true,
            json_schema: None,
            purpose: "implementer".into(),
        }
    }

    #[tokio::test]
    async fn answered_calls_come_from_the_journal_once_and_the_rest_go_live() {
        let rec = Recorder::new(RecordingMeta {
            kind: RecordingKind::Recording,
            note: String::new(),
            model: None,
            server: None,
            recorded_at: None,
        });
        let done = Completion {
            text: "journal reply".into(),
            usage: Usage {
                input_tokens: 5,
                output_tokens: 2,
                ..Usage::default()
            },
            usage_reported: true,
            model: "m".into(),
            finish_reason: FinishReason::Stop,
            request_body: String::new(),
            response_raw: String::new(),
        };
        rec.record(&req("first"), &done);
        let live = Arc::new(Live::default());
        let j = journal(rec.snapshot());
        let client = JournalClient::new(j.clone(), live.clone());
        let cancel = CancellationToken::new();
        let a = client.complete(&req("first"), &cancel).await.unwrap();
        assert_eq!(a.text, "journal reply");
        assert_eq!(
            a.usage.input_tokens, 5,
            "the recorded usage is kept (it was paid once)"
        );
        assert_eq!(live.0.load(Ordering::SeqCst), 0, "nothing paid again");
        // The same request again (a second, identical call): live, because
        // each recorded exchange answers once.
        let b = client.complete(&req("first"), &cancel).await.unwrap();
        assert_eq!(b.text, "live reply to implementer");
        // A request the journal never saw (a changed prompt): live.
        client.complete(&req("other"), &cancel).await.unwrap();
        assert_eq!(live.0.load(Ordering::SeqCst), 2);
        assert_eq!(j.remaining(), 0);
    }
}
