//! Plugin manifests: JSON in the `coop-manifest` custom section of the
//! component (inside its core module). See docs/plugins.md.

use serde::{Deserialize, Serialize};

/// The WIT package version this host implements.
pub const WIT_VERSION: &str = "coop:mob@0.2.1";

/// Whether a component built against `wit` (a `coop:mob@X.Y.Z` name) runs
/// on this host: the same `0.2` series and a patch version no newer than
/// ours. Patch versions only add, and wasmtime's linker resolves a `0.2.0`
/// import to the `0.2.1` definition (semver-compatible names).
pub fn compatible(wit: &str) -> bool {
    let Some(v) = wit.strip_prefix("coop:mob@") else {
        return false;
    };
    let ours = WIT_VERSION.trim_start_matches("coop:mob@");
    let parse = |v: &str| -> Option<(u32, u32, u32)> {
        let mut it = v.split('.').map(|p| p.parse::<u32>().ok());
        let t = (it.next()??, it.next()??, it.next()??);
        it.next().is_none().then_some(t)
    };
    match (parse(v), parse(ours)) {
        (Some((0, a, p)), Some((0, b, q))) => a == b && p <= q,
        (Some((ma, _, _)), Some((mb, _, _))) if ma > 0 => ma == mb && parse(v) <= parse(ours),
        _ => false,
    }
}

/// Name of the custom section holding the manifest.
pub const SECTION: &str = "coop-manifest";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum World {
    Role,
    Router,
}

impl World {
    pub fn as_str(self) -> &'static str {
        match self {
            World::Role => "role",
            World::Router => "router",
        }
    }
}

/// Model access a plugin requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRequest {
    pub max_tokens_per_call: u32,
    pub max_calls: u32,
}

/// Path globs a plugin requests for reads or edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathRequest {
    pub globs: Vec<String>,
}

/// Capabilities a plugin requests. Absent means not requested.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requested {
    #[serde(default)]
    pub model: Option<ModelRequest>,
    #[serde(default)]
    pub workspace_read: Option<PathRequest>,
    #[serde(default)]
    pub edits: Option<PathRequest>,
    #[serde(default)]
    pub log: bool,
}

/// The manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub world: World,
    pub wit: String,
    /// For role plugins: which role this plugin plays.
    #[serde(default)]
    pub role: Option<String>,
    pub capabilities: Requested,
}

/// Find and parse the manifest in a component's bytes.
pub fn extract(bytes: &[u8]) -> Result<Manifest, String> {
    let mut found: Option<Vec<u8>> = None;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| format!("not a valid WebAssembly binary: {e}"))?;
        if let wasmparser::Payload::CustomSection(c) = payload
            && c.name() == SECTION
        {
            if found.is_some() {
                return Err(format!("more than one `{SECTION}` custom section"));
            }
            found = Some(c.data().to_vec());
        }
    }
    let data = found.ok_or_else(|| {
        format!("no `{SECTION}` custom section: the component carries no manifest")
    })?;
    let m: Manifest =
        serde_json::from_slice(&data).map_err(|e| format!("manifest is not valid: {e}"))?;
    if !compatible(&m.wit) {
        return Err(format!(
            "built against WIT `{}`, but this host implements `{WIT_VERSION}` (and the 0.2 versions before it)",
            m.wit
        ));
    }
    if m.world == World::Router
        && (m.capabilities.model.is_some()
            || m.capabilities.workspace_read.is_some()
            || m.capabilities.edits.is_some())
    {
        return Err("a router plugin may only request `log`".into());
    }
    Ok(m)
}

#[cfg(test)]
mod compat_tests {
    use super::*;

    #[test]
    fn older_patch_versions_of_the_same_series_are_compatible() {
        assert!(compatible("coop:mob@0.2.0"));
        assert!(compatible(WIT_VERSION));
        assert!(!compatible("coop:mob@0.2.2"), "newer than the host");
        assert!(!compatible("coop:mob@0.1.0"));
        assert!(!compatible("coop:mob@0.3.0"));
        assert!(!compatible("coop:mob@0.0.9"));
        assert!(!compatible("other:mob@0.2.0"));
        assert!(!compatible("coop:mob@0.2"));
        assert!(!compatible("coop:mob@0.2.0.1"));
    }
}
