//! coop-sandbox
