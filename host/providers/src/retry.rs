//! Retrying model calls with jittered exponential backoff.

use std::time::Duration;

use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::{Completion, CompletionRequest, ModelClient, ProviderError};

/// How often and how patiently to retry a failed model call.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts including the first; 1 disables retrying.
    pub max_attempts: u32,
    /// Backoff before the 2nd attempt; doubles each further attempt.
    pub base_delay: Duration,
    /// Upper bound of the exponential backoff.
    pub max_delay: Duration,
    /// Upper bound on honoring a server's `retry-after`: a server asking for
    /// an hour must not park a run for an hour.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `failed_attempts + 1`.
    ///
    /// With a server `retry-after`, that value (capped at `max_retry_after`)
    /// is used as is: the server knows best and jitter would only make us
    /// early. Otherwise `base_delay * 2^(failed_attempts-1)` capped at
    /// `max_delay`, scaled by a random factor in [0.5, 1.0] so that parallel
    /// role agents hitting the same server do not retry in lockstep.
    pub fn delay_for(&self, failed_attempts: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max_retry_after);
        }
        let exp = failed_attempts.saturating_sub(1).min(30);
        let raw = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let factor: f64 = rand::rng().random_range(0.5..=1.0);
        raw.mul_f64(factor)
    }
}

/// Runs `client.complete` until it succeeds, fails with a non-retryable
/// error, or `policy.max_attempts` is used up. Returns the completion and the
/// number of attempts made. Cancellation interrupts the backoff sleep too and
/// yields [`ProviderError::Cancelled`].
pub async fn complete_with_retry(
    client: &dyn ModelClient,
    req: &CompletionRequest,
    cancel: &CancellationToken,
    policy: &RetryPolicy,
) -> Result<(Completion, u32), ProviderError> {
    let max_attempts = policy.max_attempts.max(1);
    let mut attempt: u32 = 0;
    loop {
        if cancel.is_cancelled() {
            return Err(ProviderError::Cancelled);
        }
        attempt += 1;
        let err = match client.complete(req, cancel).await {
            Ok(c) => return Ok((c, attempt)),
            Err(e) => e,
        };
        if !err.is_retryable() || attempt >= max_attempts {
            return Err(err);
        }
        let delay = policy.delay_for(attempt, err.retry_after());
        tracing::warn!(
            provider = client.name(),
            purpose = %req.purpose,
            attempt,
            max_attempts,
            delay_ms = delay.as_millis() as u64,
            error = %err,
            "model call failed, retrying"
        );
        tokio::select! {
            _ = cancel.cancelled() => return Err(ProviderError::Cancelled),
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            max_retry_after: Duration::from_secs(2),
        };
        let d1 = p.delay_for(1, None);
        assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
        let d2 = p.delay_for(2, None);
        assert!(d2 >= Duration::from_millis(100) && d2 <= Duration::from_millis(200));
        let d9 = p.delay_for(9, None);
        assert!(d9 <= Duration::from_millis(350));
        assert_eq!(
            p.delay_for(1, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            p.delay_for(1, Some(Duration::from_secs(100))),
            Duration::from_secs(2)
        );
        // Huge attempt counts must not overflow.
        assert!(p.delay_for(u32::MAX, None) <= Duration::from_millis(350));
    }
}
