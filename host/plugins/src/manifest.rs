//! Plugin manifests: JSON in the `coop-manifest` custom section of the
//! component (inside its core module). See docs/plugins.md.

use serde::{Deserialize, Serialize};

/// The WIT package version this host implements.
pub const WIT_VERSION: &str = "coop:mob@0.2.0";

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
    let data = found.ok_or_else(|| format!("no `{SECTION}` custom section: the component carries no manifest"))?;
    let m: Manifest = serde_json::from_slice(&data).map_err(|e| format!("manifest is not valid: {e}"))?;
    if m.wit != WIT_VERSION {
        return Err(format!(
            "built against WIT `{}`, but this host implements `{WIT_VERSION}`",
            m.wit
        ));
    }
    if m.world == World::Router && (m.capabilities.model.is_some() || m.capabilities.workspace_read.is_some() || m.capabilities.edits.is_some()) {
        return Err("a router plugin may only request `log`".into());
    }
    Ok(m)
}
