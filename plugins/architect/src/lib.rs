//! coop-architect
