//! coop-navigator
