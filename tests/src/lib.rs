//! coop-e2e: shared helpers for the end-to-end tests
pub mod anthropic_server;
pub mod harness;
pub mod model_server;
pub mod ollama_server;
pub mod responses_server;
/// The fake-secret corpus of the redaction measurement, shared so the
/// end-to-end tests plant and look for the same secrets.
#[path = "../../host/audit/tests/common/secret_corpus.rs"]
pub mod secret_corpus;
pub mod sse_script_server;
