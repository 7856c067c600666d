//! What the operator grants a plugin. Effective power is the intersection of
//! the manifest's request and the configuration's grant; the default grant is
//! empty.

use crate::manifest::Requested;
use globset::{GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

/// Model access granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelGrant {
    pub max_tokens_per_call: u32,
    pub max_calls: u32,
}

/// Edit proposals granted, by path glob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditGrant {
    pub globs: Vec<String>,
}

/// The operator's grant for one plugin (as written in coop.toml).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    #[serde(default)]
    pub model: Option<ModelGrant>,
    #[serde(default)]
    pub workspace_read: Option<Vec<String>>,
    #[serde(default)]
    pub edits: Option<EditGrant>,
    #[serde(default)]
    pub log: bool,
}

/// The effective capabilities: manifest ∩ grant.
#[derive(Debug, Clone)]
pub struct Effective {
    pub model: Option<ModelGrant>,
    pub read: Option<GlobPair>,
    pub edits: Option<GlobPair>,
    pub log: bool,
}

/// Globs from both sides; a path must match both.
#[derive(Debug, Clone)]
pub struct GlobPair {
    requested: GlobSet,
    granted: GlobSet,
    pub requested_src: Vec<String>,
    pub granted_src: Vec<String>,
}

impl GlobPair {
    fn new(requested: &[String], granted: &[String]) -> Result<GlobPair, String> {
        Ok(GlobPair {
            requested: build(requested)?,
            granted: build(granted)?,
            requested_src: requested.to_vec(),
            granted_src: granted.to_vec(),
        })
    }
    pub fn allows(&self, path: &str) -> bool {
        self.requested.is_match(path) && self.granted.is_match(path)
    }
}

fn build(globs: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("bad glob {g:?}: {e}"))?;
        b.add(glob);
    }
    b.build().map_err(|e| format!("bad globs: {e}"))
}

impl Effective {
    pub fn compute(req: &Requested, grant: &Grants) -> Result<Effective, String> {
        let model = match (&req.model, &grant.model) {
            (Some(r), Some(g)) => Some(ModelGrant {
                max_tokens_per_call: r.max_tokens_per_call.min(g.max_tokens_per_call),
                max_calls: r.max_calls.min(g.max_calls),
            }),
            _ => None,
        };
        let read = match (&req.workspace_read, &grant.workspace_read) {
            (Some(r), Some(g)) => Some(GlobPair::new(&r.globs, g)?),
            _ => None,
        };
        let edits = match (&req.edits, &grant.edits) {
            (Some(r), Some(g)) => Some(GlobPair::new(&r.globs, &g.globs)?),
            _ => None,
        };
        Ok(Effective {
            model,
            read,
            edits,
            log: req.log && grant.log,
        })
    }

    /// A JSON description for `coop plugins list`.
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "model": self.model.as_ref().map(|m| serde_json::json!({"max_tokens_per_call": m.max_tokens_per_call, "max_calls": m.max_calls})),
            "workspace_read": self.read.as_ref().map(|g| serde_json::json!({"requested": g.requested_src, "granted": g.granted_src})),
            "edits": self.edits.as_ref().map(|g| serde_json::json!({"requested": g.requested_src, "granted": g.granted_src})),
            "log": self.log,
        })
    }

    /// Interface names (as in the WIT) this grant links.
    pub fn linked_interfaces(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.model.is_some() {
            v.push("model");
        }
        if self.read.is_some() {
            // The host's working set is repository content: same grant.
            v.push("workspace");
            v.push("context");
        }
        if self.edits.is_some() {
            v.push("edits");
        }
        if self.log {
            v.push("log");
        }
        v
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::manifest::{ModelRequest, PathRequest};

    fn req() -> Requested {
        Requested {
            model: Some(ModelRequest {
                max_tokens_per_call: 4096,
                max_calls: 10,
            }),
            workspace_read: Some(PathRequest {
                globs: vec!["**".into()],
            }),
            edits: Some(PathRequest {
                globs: vec!["**/*.go".into()],
            }),
            log: true,
        }
    }

    #[test]
    fn empty_grant_gives_nothing() {
        let e = Effective::compute(&req(), &Grants::default()).unwrap();
        assert!(e.model.is_none() && e.read.is_none() && e.edits.is_none() && !e.log);
        assert!(e.linked_interfaces().is_empty());
    }

    #[test]
    fn grant_without_request_gives_nothing() {
        let g = Grants {
            model: Some(ModelGrant {
                max_tokens_per_call: 1,
                max_calls: 1,
            }),
            log: true,
            ..Default::default()
        };
        let e = Effective::compute(&Requested::default(), &g).unwrap();
        assert!(e.model.is_none() && !e.log);
    }

    #[test]
    fn intersection_takes_the_smaller_limits_and_both_globs() {
        let g = Grants {
            model: Some(ModelGrant {
                max_tokens_per_call: 1000,
                max_calls: 20,
            }),
            workspace_read: Some(vec!["pkg/**".into()]),
            edits: Some(EditGrant {
                globs: vec!["**".into()],
            }),
            log: true,
        };
        let e = Effective::compute(&req(), &g).unwrap();
        assert_eq!(
            e.model,
            Some(ModelGrant {
                max_tokens_per_call: 1000,
                max_calls: 10
            })
        );
        let read = e.read.unwrap();
        assert!(read.allows("pkg/a.go"));
        assert!(!read.allows("other/a.go"));
        let edits = e.edits.unwrap();
        assert!(edits.allows("a/b.go"));
        assert!(!edits.allows("go.mod"), "requested globs limit too");
    }
}
