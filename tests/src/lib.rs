//! coop-e2e: shared helpers for the end-to-end tests
pub mod harness;
pub mod model_server;
pub mod anthropic_server;
pub mod responses_server;
pub mod sse_script_server;
