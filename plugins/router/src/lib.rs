//! coop-router
