//! coop-plugin-sdk
