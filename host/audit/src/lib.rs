//! coop-audit
