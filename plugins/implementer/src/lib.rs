//! coop-implementer
