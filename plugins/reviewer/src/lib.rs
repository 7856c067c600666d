//! coop-reviewer
