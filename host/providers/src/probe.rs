//! A short reachability probe for `coop doctor`.

use crate::ProviderError;
use std::time::Duration;

/// GET `url` with a short timeout and report the HTTP status. Any status
/// (even 401) means the endpoint answers; only transport failures are errors.
pub async fn probe(url: &str, timeout: Duration) -> Result<u16, ProviderError> {
    let client = reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
        .map_err(|e| ProviderError::Config(e.to_string()))?;
    match client.get(url).send().await {
        Ok(r) => Ok(r.status().as_u16()),
        Err(e) if e.is_timeout() => Err(ProviderError::Timeout {
            phase: crate::TimeoutPhase::Connect,
            after: timeout,
        }),
        Err(e) => Err(ProviderError::Connect(e.without_url().to_string())),
    }
}
