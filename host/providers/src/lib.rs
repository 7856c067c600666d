//! coop-providers
