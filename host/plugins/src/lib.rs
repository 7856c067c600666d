//! coop-plugin-host
