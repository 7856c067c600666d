//! `coop-plugin-host`: loads role and router plugins (WebAssembly components
//! built against `wit/mob.wit`) and runs them with exactly the capabilities
//! they were granted.
//!
//! - One [`wasmtime::Engine`] per [`PluginHost`], with epoch interruption; a
//!   ticker thread owned by the host advances the epoch.
//! - One `Store` per plugin call: a fresh instance, a memory cap, a deadline
//!   on guest time (time spent inside host calls does not count), and caps
//!   that do count host calls: their number, the audit bytes they cause,
//!   and a wall clock for the whole call. A plugin looping on `log` or on
//!   denied calls hits one of them instead of filling the disk.
//! - Each WIT interface is linked only when the plugin's grant includes it;
//!   a component importing anything else fails to load, naming the import.
//! - Granted calls are still checked against the grant's parameters and answer
//!   a typed `denied` error when they exceed them.
//! - Bare WASI: no preopened directories, no sockets, no environment, no
//!   inherited stdio.
//!
//! Model, workspace and log services are a trait ([`RoleServices`]) the
//! caller implements; this crate knows nothing of providers or git.

pub mod convert;
pub mod grants;
pub mod manifest;
mod runtime;

pub use grants::{EditGrant, Effective, Grants, ModelGrant};
pub use manifest::{Manifest, World};
pub use runtime::{
    DEFAULT_CALL_WALL_CLOCK, DEFAULT_MAX_AUDIT_BYTES, DEFAULT_MAX_COMPONENT_BYTES,
    DEFAULT_MAX_HOST_CALLS, HostConfig, LoadedPlugin, PluginHost,
};

use coop_core::{EditOutcome, FileEdit, FileFact, Role, Usage};
use thiserror::Error;

/// Generated bindings for both worlds of `coop:mob@0.2.1`.
pub mod bindings {
    pub mod role {
        wasmtime::component::bindgen!({
            world: "role",
            path: "../../wit",
            // Every import may trap: that is how a call that trips one of
            // the per-call caps (host calls, audit bytes, wall clock) ends.
            imports: { default: trappable },
        });
    }
    pub mod router {
        wasmtime::component::bindgen!({
            world: "router",
            path: "../../wit",
            imports: { default: trappable },
            with: {
                "coop:mob/types": super::role::coop::mob::types,
                "coop:mob/log": super::role::coop::mob::log,
            },
        });
    }
}

/// A chat message a plugin sends to the model import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginMessage {
    pub role: PluginMessageRole,
    pub content: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginMessageRole {
    System,
    User,
    Assistant,
}

/// A model request as the plugin made it, after the grant clamped it.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginModelRequest {
    pub messages: Vec<PluginMessage>,
    pub max_tokens: u32,
    pub temperature: Option<f32>,
    pub json: bool,
    /// JSON Schema text the reply should satisfy (validated by the host to
    /// be a JSON object of at most [`MAX_JSON_SCHEMA_BYTES`]).
    pub json_schema: Option<String>,
}

/// Largest `json-schema` a plugin may send with a model call.
pub const MAX_JSON_SCHEMA_BYTES: usize = 16 << 10;

/// A model reply given back to the plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginModelReply {
    pub text: String,
    pub usage: Usage,
    pub model: String,
    pub truncated: bool,
}

/// Why the host's model service failed a call (mirrors the WIT `model-error`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModelCallError {
    #[error("denied: {0}")]
    Denied(String),
    #[error("budget exceeded: {0}")]
    BudgetExceeded(String),
    #[error("provider failed: {0}")]
    Provider(String),
    #[error("cancelled")]
    Cancelled,
}

/// Why a workspace read failed (mirrors the WIT `workspace-error`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkspaceCallError {
    #[error("denied: {0}")]
    Denied(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("too large: {0} bytes")]
    TooLarge(u64),
    #[error("invalid: {0}")]
    Invalid(String),
}

/// Log levels of the `log` import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// What a running plugin can ask of the host, implemented by the caller.
///
/// The plugin host calls these only after the plugin's grant allowed the
/// call; implementations do the real work (provider call, confined file read,
/// atomic edit) and their own auditing.
pub trait RoleServices: Send {
    fn complete(
        &mut self,
        role: Role,
        req: PluginModelRequest,
    ) -> Result<PluginModelReply, ModelCallError>;
    fn list_files(&mut self) -> Result<Vec<FileFact>, WorkspaceCallError>;
    fn read_file(&mut self, path: &str) -> Result<String, WorkspaceCallError>;
    fn propose_edits(&mut self, edits: Vec<FileEdit>) -> Vec<EditOutcome>;
    fn log(&mut self, plugin: &str, level: LogLevel, message: &str);
    /// Called for every call the grant refused, before the plugin sees the
    /// denial, so that the caller can audit it.
    fn denied(&mut self, plugin: &str, capability: &str, detail: &str);
    /// Bytes of audit log these services have written so far (every event
    /// a call of this plugin caused: logs, denials, rejected edits, ...).
    /// The host compares it with [`HostConfig::max_audit_bytes`]; services
    /// that write no audit log answer 0.
    fn audit_bytes(&self) -> u64;
}

/// Failures of the plugin host. Each is a structured plugin failure for the
/// run; none takes the host down.
#[derive(Debug, Error)]
pub enum PluginError {
    #[error("cannot read plugin {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("plugin {path}: {bytes} bytes, more than the {cap} a component may have")]
    TooLarge { path: String, bytes: u64, cap: u64 },
    #[error("plugin {path}: sha256 is {actual}, but the configuration pins {expected}")]
    DigestMismatch {
        path: String,
        expected: String,
        actual: String,
    },
    #[error("plugin {path}: {reason}")]
    Manifest { path: String, reason: String },
    #[error("plugin {path} is not a valid component: {reason}")]
    Compile { path: String, reason: String },
    #[error(
        "plugin {plugin} imports `{import}`, which is not granted to it (grant it in coop.toml or use another plugin)"
    )]
    ImportNotGranted { plugin: String, import: String },
    #[error("plugin {plugin} could not be instantiated: {reason}")]
    Instantiate { plugin: String, reason: String },
    #[error("plugin {plugin} was built for world `{found}`, but is used as a `{expected}` plugin")]
    WrongWorld {
        plugin: String,
        expected: String,
        found: String,
    },
    #[error("plugin {plugin} exceeded its time limit of {limit_ms} ms of guest time")]
    Timeout { plugin: String, limit_ms: u64 },
    #[error(
        "plugin {plugin} exceeded its cap of {limit} host calls per plugin call (the host-call cap)"
    )]
    HostCallLimit { plugin: String, limit: u64 },
    #[error(
        "plugin {plugin} exceeded its cap of {limit_bytes} audit bytes per plugin call (the audit-bytes cap: logs, denials and other events it caused)"
    )]
    AuditLimit { plugin: String, limit_bytes: u64 },
    #[error(
        "plugin {plugin} exceeded its wall clock of {limit_ms} ms per plugin call (host calls included)"
    )]
    WallClock { plugin: String, limit_ms: u64 },
    #[error("plugin {plugin} exceeded its memory limit of {limit_bytes} bytes")]
    MemoryLimit { plugin: String, limit_bytes: usize },
    #[error("plugin {plugin} trapped: {reason}")]
    Trap { plugin: String, reason: String },
    #[error("plugin {plugin} returned {bytes} bytes, above the cap of {cap}")]
    OutputTooLarge {
        plugin: String,
        bytes: usize,
        cap: usize,
    },
    #[error("plugin {plugin} returned an invalid value: {reason}")]
    InvalidOutput { plugin: String, reason: String },
    #[error("plugin engine error: {0}")]
    Engine(String),
}

impl PluginError {
    /// A short machine-readable kind for the audit log.
    pub fn kind(&self) -> &'static str {
        match self {
            PluginError::Read { .. } => "read",
            PluginError::TooLarge { .. } => "too-large",
            PluginError::DigestMismatch { .. } => "digest-mismatch",
            PluginError::Manifest { .. } => "manifest",
            PluginError::Compile { .. } => "compile",
            PluginError::ImportNotGranted { .. } => "import-not-granted",
            PluginError::Instantiate { .. } => "instantiate",
            PluginError::WrongWorld { .. } => "wrong-world",
            PluginError::Timeout { .. } => "timeout",
            PluginError::HostCallLimit { .. } => "host-call-limit",
            PluginError::AuditLimit { .. } => "audit-limit",
            PluginError::WallClock { .. } => "wall-clock",
            PluginError::MemoryLimit { .. } => "memory-limit",
            PluginError::Trap { .. } => "trap",
            PluginError::OutputTooLarge { .. } => "output-too-large",
            PluginError::InvalidOutput { .. } => "invalid-output",
            PluginError::Engine(_) => "engine",
        }
    }
}
