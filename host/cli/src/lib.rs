//! coop-cli
