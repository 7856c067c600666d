//! Embedding a plugin manifest in the component.
//!
//! The manifest is JSON in a custom section named `coop-manifest` of the
//! plugin's core module; the host finds it when it loads the component (see
//! docs/plugins.md). One file then carries code and declaration, so pinning the
//! component's sha256 pins both.

/// Embed `manifest.json` (a path relative to the plugin crate's `src/`) as the
/// `coop-manifest` custom section.
#[macro_export]
macro_rules! embed_manifest {
    ($path:literal) => {
        // A custom section is the only way to ship data inside the component
        // that the host can read without running guest code.
        #[allow(unsafe_code)]
        #[unsafe(link_section = "coop-manifest")]
        #[used]
        static COOP_MANIFEST: [u8; include_bytes!($path).len()] = *include_bytes!($path);
    };
}
