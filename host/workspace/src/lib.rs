//! coop-workspace
