//! The sha256 pins of the default plugins, recorded at build time by
//! `host/cli/build.rs` from `target/plugins` (issue 19, class 7).

include!(concat!(env!("OUT_DIR"), "/default_pins.rs"));

/// The pin of a default plugin file (`router.wasm`, ...), or `None` when
/// this coop was built before that plugin existed.
pub fn default_pin(file: &str) -> Option<&'static str> {
    DEFAULT_PINS
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, sha)| *sha)
}
