//! coop-e2e: shared helpers for the end-to-end tests
pub mod harness;
pub mod model_server;
