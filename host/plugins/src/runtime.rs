//! The engine, loading, linking by grant, limits, and calls.

use crate::bindings::role::RolePre;
use crate::bindings::role::coop::mob::{context, edits, log, model, types, workspace};
use crate::bindings::router::RouterPre;
use crate::grants::{Effective, Grants};
use crate::manifest::{self, Manifest, World};
use crate::{
    LogLevel, ModelCallError, PluginError, PluginMessage, PluginMessageRole, PluginModelRequest,
    RoleServices, WorkspaceCallError, convert,
};
use coop_core::hash::sha256_hex;
use coop_core::{Handoff, RepoFacts, Role, RoleFailure, RoleOutput, RoutingDecision, Task};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use wasmtime::component::{Component, HasData, HasSelf, Linker, Resource, ResourceTable};
use wasmtime::{Config, Engine, ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::clocks::{WasiClocksCtxView, WasiClocksView};
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Limits applied to every plugin call.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Linear memory cap per instance.
    pub memory_bytes: usize,
    /// Guest time allowed per call (host-call time excluded).
    pub call_timeout: Duration,
    /// Cap on the serialized size of what a plugin returns.
    pub max_output_bytes: usize,
    /// Cap on one log message.
    pub max_log_bytes: usize,
    /// Host calls (every `coop:mob` import, denied ones and `log`
    /// included; each proposed edit counts as one) one plugin call may make.
    pub max_host_calls: u64,
    /// Audit-log bytes one plugin call may cause (its log lines, denials
    /// and the other events its host calls write; see
    /// [`crate::RoleServices::audit_bytes`]).
    pub max_audit_bytes: u64,
    /// Wall clock of one plugin call, time inside host calls included
    /// (`call_timeout` counts guest time only). Checked at every host-call
    /// entry and at every epoch tick of guest code.
    pub call_wall_clock: Duration,
    /// Directory of the compiled-artifact cache (`None`: compile on every
    /// load). Created on first use. Artifacts are named
    /// `<sha256 of the component>-<engine compatibility hash>.cwasm`, so a
    /// changed component or an incompatible engine (other wasmtime version,
    /// target or compilation settings) never hits a stale entry.
    pub cache_dir: Option<PathBuf>,
    /// Largest component the host reads and compiles, bytes: the same
    /// bound `coop plugins check` applies, checked before anything is
    /// parsed or compiled (compiling is the costly part of a load).
    pub max_component_bytes: u64,
}

/// Default of [`HostConfig::max_component_bytes`] and of `coop plugins
/// check --max-size`: the default plugins are 0.1-0.5 MiB, a componentize-py
/// router 18 MiB (it carries a Python interpreter).
pub const DEFAULT_MAX_COMPONENT_BYTES: u64 = 50 << 20;

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            memory_bytes: 256 << 20,
            call_timeout: Duration::from_secs(10),
            max_output_bytes: 4 << 20,
            max_log_bytes: 8 << 10,
            max_host_calls: DEFAULT_MAX_HOST_CALLS,
            max_audit_bytes: DEFAULT_MAX_AUDIT_BYTES,
            call_wall_clock: DEFAULT_CALL_WALL_CLOCK,
            cache_dir: None,
            max_component_bytes: DEFAULT_MAX_COMPONENT_BYTES,
        }
    }
}

/// Default of [`HostConfig::max_host_calls`]: far above what a role
/// step needs (a dozen model calls, some hundred reads and edits), far below
/// what fills a disk with audit lines.
pub const DEFAULT_MAX_HOST_CALLS: u64 = 10_000;
/// Default of [`HostConfig::max_audit_bytes`]: 1 MiB per plugin call.
pub const DEFAULT_MAX_AUDIT_BYTES: u64 = 1 << 20;
/// Default of [`HostConfig::call_wall_clock`]: an hour, since a step's
/// model calls on a slow local model can take many minutes each.
pub const DEFAULT_CALL_WALL_CLOCK: Duration = Duration::from_secs(3600);

/// Epoch tick: the granularity of the guest-time deadline.
const TICK: Duration = Duration::from_millis(5);

/// The plugin host: one engine and its epoch ticker.
pub struct PluginHost {
    engine: Engine,
    /// Hex digest of the engine's precompile compatibility (see `engine_hash`).
    engine_hash: String,
    cfg: HostConfig,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl Drop for PluginHost {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}

/// A compiled plugin with its manifest and digest.
#[derive(Clone)]
pub struct LoadedPlugin {
    pub path: String,
    pub sha256: String,
    pub manifest: Manifest,
    pub size_bytes: u64,
    /// Names of the component's imports (e.g. `coop:mob/model@0.2.0`).
    pub imports: Vec<String>,
    /// Names of the component's exports.
    pub exports: Vec<String>,
    /// Whether the compiled code came from the artifact cache (`false`:
    /// compiled by this load).
    pub from_cache: bool,
    component: Component,
    /// Linked, type-checked instance templates, one per set of linked
    /// interfaces (shared by clones of this plugin).
    pres: Arc<Mutex<Vec<(LinkSet, Pre)>>>,
}

/// Which optional `coop:mob` interfaces a linker provides (bit set).
type LinkSet = u8;

fn link_set(eff: &Effective) -> LinkSet {
    u8::from(eff.model.is_some())
        | u8::from(eff.read.is_some()) << 1
        | u8::from(eff.edits.is_some()) << 2
        | u8::from(eff.log) << 3
}

/// A plugin linked against one grant's interfaces: instantiating it is only
/// the per-call work (fresh store, instance), not linking or type-checking.
#[derive(Clone)]
enum Pre {
    Role(RolePre<State>),
    Router(RouterPre<State>),
}

/// Prefix of a cache file: magic, then the hex sha256 of the rest.
const CACHE_MAGIC: &[u8; 8] = b"COOPCW1\n";
const CACHE_HEADER: usize = CACHE_MAGIC.len() + 64;

/// A `Hasher` that keeps every byte it is fed, so that the engine's
/// compatibility `Hash` can be turned into a stable sha256 (std's
/// `DefaultHasher` is not guaranteed stable across Rust releases).
#[derive(Default)]
struct ByteSink(Vec<u8>);

impl std::hash::Hasher for ByteSink {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// Digest of everything that makes compiled code usable by `engine`: target,
/// compiler flags, tunables, wasm features and the wasmtime version
/// (`Engine::precompile_compatibility_hash`), plus this crate's cache format.
fn engine_hash(engine: &Engine) -> String {
    use std::hash::Hash;
    let mut sink = ByteSink::default();
    engine.precompile_compatibility_hash().hash(&mut sink);
    sink.0.extend_from_slice(CACHE_MAGIC);
    sha256_hex(&sink.0)[..16].to_string()
}

impl PluginHost {
    pub fn new(cfg: HostConfig) -> Result<PluginHost, PluginError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|e| PluginError::Engine(e.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let engine = engine.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("coop-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(|e| PluginError::Engine(format!("cannot start epoch thread: {e}")))?
        };
        let engine_hash = engine_hash(&engine);
        Ok(PluginHost {
            engine,
            engine_hash,
            cfg,
            stop,
            ticker: Some(ticker),
        })
    }

    pub fn config(&self) -> &HostConfig {
        &self.cfg
    }

    /// Read, check and compile a plugin. `pin` is the sha256 the
    /// configuration pins, if any.
    pub fn load(&self, path: &Path, pin: Option<&str>) -> Result<LoadedPlugin, PluginError> {
        let p = path.display().to_string();
        // The size first, so an oversized file is not even read.
        let len = std::fs::metadata(path)
            .map_err(|source| PluginError::Read {
                path: p.clone(),
                source,
            })?
            .len();
        self.check_size(&p, len)?;
        let bytes = std::fs::read(path).map_err(|source| PluginError::Read {
            path: p.clone(),
            source,
        })?;
        self.load_bytes(&p, &bytes, pin)
    }

    pub fn load_bytes(
        &self,
        p: &str,
        bytes: &[u8],
        pin: Option<&str>,
    ) -> Result<LoadedPlugin, PluginError> {
        self.check_size(p, bytes.len() as u64)?;
        let sha = sha256_hex(bytes);
        if let Some(expected) = pin
            && !expected.eq_ignore_ascii_case(&sha)
        {
            return Err(PluginError::DigestMismatch {
                path: p.into(),
                expected: expected.into(),
                actual: sha,
            });
        }
        let manifest = manifest::extract(bytes).map_err(|reason| PluginError::Manifest {
            path: p.into(),
            reason,
        })?;
        let (component, from_cache) = self.compile(p, &sha, bytes)?;
        let imports = component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let exports = component
            .component_type()
            .exports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect();
        Ok(LoadedPlugin {
            path: p.into(),
            sha256: sha,
            manifest,
            size_bytes: bytes.len() as u64,
            imports,
            exports,
            from_cache,
            component,
            pres: Arc::new(Mutex::new(Vec::new())),
        })
    }

    fn check_size(&self, p: &str, bytes: u64) -> Result<(), PluginError> {
        if bytes > self.cfg.max_component_bytes {
            return Err(PluginError::TooLarge {
                path: p.into(),
                bytes,
                cap: self.cfg.max_component_bytes,
            });
        }
        Ok(())
    }

    /// Path of the cached artifact for a component digest on this engine.
    pub fn cache_path(&self, sha256: &str) -> Option<PathBuf> {
        let dir = self.cfg.cache_dir.as_ref()?;
        Some(dir.join(format!(
            "{}-{}.cwasm",
            sha256.to_ascii_lowercase(),
            self.engine_hash
        )))
    }

    /// Compile `bytes` (digest `sha`), or take the compiled code from the
    /// artifact cache. Cache problems never fail a load: an unreadable or
    /// invalid entry is removed and the component recompiled; a failed write
    /// is logged.
    fn compile(&self, p: &str, sha: &str, bytes: &[u8]) -> Result<(Component, bool), PluginError> {
        let cached = self.cache_path(sha);
        if let Some(path) = &cached {
            match self.read_cached(path) {
                Ok(Some(c)) => return Ok((c, true)),
                Ok(None) => {}
                Err(reason) => {
                    tracing::warn!(cache = %path.display(), %reason, "discarding invalid compiled-plugin cache entry");
                    let _ = std::fs::remove_file(path);
                }
            }
        }
        let component = Component::new(&self.engine, bytes).map_err(|e| PluginError::Compile {
            path: p.into(),
            reason: format!("{e:#}"),
        })?;
        if let Some(path) = &cached
            && let Err(reason) = write_cached(path, &component)
        {
            tracing::warn!(cache = %path.display(), %reason, "cannot write compiled-plugin cache entry");
        }
        Ok((component, false))
    }

    /// `Ok(None)`: no entry. `Err`: an entry that must not be used.
    fn read_cached(&self, path: &Path) -> Result<Option<Component>, String> {
        let data = match std::fs::read(path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("read: {e}")),
        };
        if data.len() < CACHE_HEADER || &data[..CACHE_MAGIC.len()] != CACHE_MAGIC {
            return Err("not a coop compiled-plugin artifact".into());
        }
        let (head, payload) = data.split_at(CACHE_HEADER);
        if head[CACHE_MAGIC.len()..] != *sha256_hex(payload).as_bytes() {
            return Err("checksum mismatch (truncated or corrupted)".into());
        }
        // SAFETY: `Component::deserialize` trusts its input to be code that
        // wasmtime produced for a compatible engine; arbitrary bytes could
        // run arbitrary native code. The invariant we rely on: the file lives
        // in the host's own cache directory, was written by `write_cached`
        // (atomically, temp file + rename) from `Component::serialize` of a
        // component this host compiled from bytes whose sha256 is the file
        // name's first part — the digest we just computed (and checked
        // against any pin) for the bytes being loaded. Its name also carries
        // this engine's compatibility hash, and the checksum above rejects
        // truncated or corrupted files; wasmtime still checks the header and
        // engine compatibility itself, and any error leads to deletion and a
        // recompile. (Whoever can write the cache directory can already
        // replace the plugins or the coop binary.)
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(&self.engine, payload) };
        component
            .map(Some)
            .map_err(|e| format!("deserialize: {e:#}"))
    }

    /// Problems a component has regardless of grants: imports outside
    /// `coop:mob` and WASI, or a manifest role/world mismatch. Empty = fine.
    pub fn check(&self, plugin: &LoadedPlugin, max_size: u64) -> Vec<String> {
        let mut problems = Vec::new();
        if plugin.size_bytes > max_size {
            problems.push(format!(
                "size {} bytes exceeds {} bytes",
                plugin.size_bytes, max_size
            ));
        }
        for imp in &plugin.imports {
            let ok = imp.starts_with("coop:mob/") || imp.starts_with("wasi:");
            if !ok {
                problems.push(format!("imports `{imp}`, which this host does not provide"));
            }
            if let Some(rest) = imp.strip_prefix("coop:mob/") {
                let iface = rest.split('@').next().unwrap_or(rest);
                let version = rest.split('@').nth(1).unwrap_or("");
                if !manifest::compatible(&format!("coop:mob@{version}")) {
                    problems.push(format!(
                        "imports `{imp}`, a WIT version this host does not implement"
                    ));
                }
                let requested = match iface {
                    "model" => plugin.manifest.capabilities.model.is_some(),
                    "workspace" | "context" => {
                        plugin.manifest.capabilities.workspace_read.is_some()
                    }
                    "edits" => plugin.manifest.capabilities.edits.is_some(),
                    "log" => plugin.manifest.capabilities.log,
                    _ => true,
                };
                if !requested {
                    problems.push(format!(
                        "imports `{imp}` but its manifest does not request it"
                    ));
                }
            }
        }
        let world_export = match plugin.manifest.world {
            World::Role => "run",
            World::Router => "route",
        };
        if !plugin.exports.iter().any(|e| e == world_export) {
            problems.push(format!(
                "manifest says world `{}`, but the component does not export `{world_export}`",
                plugin.manifest.world.as_str()
            ));
        }
        problems
    }

    /// Check that every `coop:mob` import of the plugin is granted, and
    /// return the plugin pre-linked with exactly those interfaces (plus bare
    /// WASI): built and type-checked on first use, then cached in the plugin
    /// per set of linked interfaces.
    fn pre_for(&self, plugin: &LoadedPlugin, eff: &Effective) -> Result<Pre, PluginError> {
        let linked = eff.linked_interfaces();
        for imp in &plugin.imports {
            if let Some(rest) = imp.strip_prefix("coop:mob/") {
                let iface = rest.split('@').next().unwrap_or(rest);
                if iface != "types" && !linked.contains(&iface) {
                    return Err(PluginError::ImportNotGranted {
                        plugin: plugin.manifest.name.clone(),
                        import: imp.clone(),
                    });
                }
            }
        }
        let key = link_set(eff);
        {
            let pres = plugin.pres.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, pre)) = pres.iter().find(|(k, _)| *k == key) {
                return Ok(pre.clone());
            }
        }
        let mut linker = self.linker_for(eff)?;
        let inst_err = |e: wasmtime::Error| PluginError::Instantiate {
            plugin: plugin.manifest.name.clone(),
            reason: format!("{e:#}"),
        };
        // Sockets are never linked (see `link_wasi`); a component that
        // imports them (componentize-py's runtime imports every WASI
        // interface) still loads, and traps if it calls one.
        stub_sockets(&mut linker, &plugin.component, &self.engine).map_err(inst_err)?;
        let ipre = linker
            .instantiate_pre(&plugin.component)
            .map_err(inst_err)?;
        let pre = match plugin.manifest.world {
            World::Role => Pre::Role(RolePre::new(ipre).map_err(inst_err)?),
            World::Router => Pre::Router(RouterPre::new(ipre).map_err(inst_err)?),
        };
        let mut pres = plugin.pres.lock().unwrap_or_else(|p| p.into_inner());
        if !pres.iter().any(|(k, _)| *k == key) {
            pres.push((key, pre.clone()));
        }
        Ok(pre)
    }

    /// A linker with exactly the granted interfaces (plus bare WASI).
    fn linker_for(&self, eff: &Effective) -> Result<Linker<State>, PluginError> {
        let mut linker: Linker<State> = Linker::new(&self.engine);
        let e = |err: wasmtime::Error| PluginError::Engine(format!("{err:#}"));
        link_wasi(&mut linker).map_err(e)?;
        // Containment fix (found by host/plugins/tests/hostile.rs, attack
        // `sleep`): WASI's own monotonic clock lets a guest block the host
        // thread inside `subscribe-duration`/`subscribe-instant` + `poll` for
        // as long as it asks — forever for a duration that overflows
        // (wasmtime-wasi then waits on `Deadline::Never`). Epoch interruption
        // cannot fire inside a host call, so the call deadline never came.
        // Shadow the interface with one that caps every wait at the call's
        // remaining guest time (plus one tick): the guest wakes up with its
        // time spent, and the next epoch check interrupts it (`Timeout`).
        linker.allow_shadowing(true);
        wasmtime_wasi::p2::bindings::clocks::monotonic_clock::add_to_linker::<State, CappedClock>(
            &mut linker,
            capped_clock,
        )
        .map_err(e)?;
        linker.allow_shadowing(false);
        types::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s).map_err(e)?;
        if eff.model.is_some() {
            model::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s).map_err(e)?;
        }
        if eff.read.is_some() {
            workspace::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s).map_err(e)?;
            context::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s).map_err(e)?;
        }
        if eff.edits.is_some() {
            edits::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s).map_err(e)?;
        }
        if eff.log {
            log::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s).map_err(e)?;
        }
        Ok(linker)
    }

    fn store(
        &self,
        plugin: &LoadedPlugin,
        eff: Effective,
        role: Option<Role>,
        services: Box<dyn RoleServices>,
    ) -> Store<State> {
        let state = State {
            plugin: plugin.manifest.name.clone(),
            role,
            eff,
            services,
            // Bare WASI: nothing inherited, no preopens, no network; random
            // bytes bounded (the host allocates what the guest asks for).
            wasi: WasiCtx::builder().max_random_size(MAX_RANDOM_BYTES).build(),
            table: {
                let mut t = ResourceTable::new();
                t.set_max_capacity(MAX_RESOURCES);
                t
            },
            limiter: Limiter::new(self.cfg.memory_bytes),
            model_calls: 0,
            host_time: Duration::ZERO,
            started: Instant::now(),
            limit: self.cfg.call_timeout,
            max_log: self.cfg.max_log_bytes,
            context: None,
            host_calls: 0,
            max_host_calls: self.cfg.max_host_calls,
            audit_base: 0,
            max_audit_bytes: self.cfg.max_audit_bytes,
            wall_clock: self.cfg.call_wall_clock,
            tripped: None,
        };
        let audit_base = state.services.audit_bytes();
        let mut store = Store::new(&self.engine, state);
        store.data_mut().audit_base = audit_base;
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            let s = ctx.data_mut();
            let wall = s.started.elapsed();
            let guest = wall.saturating_sub(s.host_time);
            if guest >= s.limit {
                Ok(UpdateDeadline::Interrupt)
            } else if wall >= s.wall_clock {
                // Guest code after long host calls: the wall clock is spent
                // though the guest time is not.
                s.tripped = Some(Cap::WallClock);
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Continue(1))
            }
        });
        store
    }

    fn classify(
        &self,
        plugin: &LoadedPlugin,
        err: wasmtime::Error,
        store: &Store<State>,
    ) -> PluginError {
        let name = plugin.manifest.name.clone();
        match store.data().tripped {
            Some(Cap::HostCalls) => {
                return PluginError::HostCallLimit {
                    plugin: name,
                    limit: self.cfg.max_host_calls,
                };
            }
            Some(Cap::AuditBytes) => {
                return PluginError::AuditLimit {
                    plugin: name,
                    limit_bytes: self.cfg.max_audit_bytes,
                };
            }
            Some(Cap::WallClock) => {
                return PluginError::WallClock {
                    plugin: name,
                    limit_ms: self.cfg.call_wall_clock.as_millis() as u64,
                };
            }
            None => {}
        }
        if store.data().limiter.hit {
            return PluginError::MemoryLimit {
                plugin: name,
                limit_bytes: self.cfg.memory_bytes,
            };
        }
        if let Some(wasmtime::Trap::Interrupt) = err.downcast_ref::<wasmtime::Trap>() {
            return PluginError::Timeout {
                plugin: name,
                limit_ms: self.cfg.call_timeout.as_millis() as u64,
            };
        }
        PluginError::Trap {
            plugin: name,
            reason: format!("{err:#}"),
        }
    }

    /// Run a role plugin on a handoff.
    pub fn run_role(
        &self,
        plugin: &LoadedPlugin,
        grants: &Grants,
        role: Role,
        services: Box<dyn RoleServices>,
        handoff: &Handoff,
    ) -> Result<Result<RoleOutput, RoleFailure>, PluginError> {
        if plugin.manifest.world != World::Role {
            return Err(PluginError::WrongWorld {
                plugin: plugin.manifest.name.clone(),
                expected: "role".into(),
                found: plugin.manifest.world.as_str().into(),
            });
        }
        let eff = Effective::compute(&plugin.manifest.capabilities, grants).map_err(|reason| {
            PluginError::Manifest {
                path: plugin.path.clone(),
                reason,
            }
        })?;
        let Pre::Role(pre) = self.pre_for(plugin, &eff)? else {
            return Err(PluginError::Engine(
                "role plugin pre-linked as a router".into(),
            ));
        };
        let mut store = self.store(plugin, eff, Some(role), services);
        let inst = match pre.instantiate(&mut store) {
            Ok(i) => i,
            Err(e) => return Err(self.instantiate_error(plugin, e, &store)),
        };
        store.data_mut().started = Instant::now();
        store.data_mut().host_time = Duration::ZERO;
        store.data_mut().context = Some(convert::context_to_wit(handoff));
        let res = match inst.call_run(&mut store, &convert::handoff_to_wit(handoff)) {
            Ok(r) => r,
            Err(e) => return Err(self.classify(plugin, e, &store)),
        };
        let out = match res {
            Ok(o) => Ok(convert::output_from_wit(o)),
            Err(f) => Err(convert::failure_from_wit(f)),
        };
        let size = serde_json::to_vec(&out)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        if size > self.cfg.max_output_bytes {
            return Err(PluginError::OutputTooLarge {
                plugin: plugin.manifest.name.clone(),
                bytes: size,
                cap: self.cfg.max_output_bytes,
            });
        }
        Ok(out)
    }

    /// Why instantiation failed: the memory cap when the store's limiter
    /// refused memory on the way (the cap is for all the call's memories
    /// together, so a memory under the cap can be what tips it), else the
    /// engine's reason.
    fn instantiate_error(
        &self,
        plugin: &LoadedPlugin,
        e: wasmtime::Error,
        store: &Store<State>,
    ) -> PluginError {
        if store.data().limiter.hit {
            return PluginError::MemoryLimit {
                plugin: plugin.manifest.name.clone(),
                limit_bytes: self.cfg.memory_bytes,
            };
        }
        PluginError::Instantiate {
            plugin: plugin.manifest.name.clone(),
            reason: format!("{e:#}"),
        }
    }

    /// Run a router plugin.
    pub fn route(
        &self,
        plugin: &LoadedPlugin,
        grants: &Grants,
        services: Box<dyn RoleServices>,
        task: &Task,
        facts: &RepoFacts,
    ) -> Result<RoutingDecision, PluginError> {
        if plugin.manifest.world != World::Router {
            return Err(PluginError::WrongWorld {
                plugin: plugin.manifest.name.clone(),
                expected: "router".into(),
                found: plugin.manifest.world.as_str().into(),
            });
        }
        let eff = Effective::compute(&plugin.manifest.capabilities, grants).map_err(|reason| {
            PluginError::Manifest {
                path: plugin.path.clone(),
                reason,
            }
        })?;
        let Pre::Router(pre) = self.pre_for(plugin, &eff)? else {
            return Err(PluginError::Engine(
                "router plugin pre-linked as a role".into(),
            ));
        };
        let mut store = self.store(plugin, eff, None, services);
        let inst = pre
            .instantiate(&mut store)
            .map_err(|e| self.instantiate_error(plugin, e, &store))?;
        store.data_mut().started = Instant::now();
        let t = types::Task {
            id: task.id.clone(),
            text: task.text.clone(),
        };
        let d = match inst.call_route(&mut store, &t, &convert::facts_to_wit(facts)) {
            Ok(d) => d,
            Err(e) => return Err(self.classify(plugin, e, &store)),
        };
        let d = convert::decision_from_wit(d);
        if !(0.0..=1.0).contains(&d.confidence) || d.confidence.is_nan() {
            return Err(PluginError::InvalidOutput {
                plugin: plugin.manifest.name.clone(),
                reason: format!("confidence {} is outside 0..=1", d.confidence),
            });
        }
        if d.workflow.is_empty() {
            return Err(PluginError::InvalidOutput {
                plugin: plugin.manifest.name.clone(),
                reason: "empty workflow".into(),
            });
        }
        if d.rationale.len() > 200
            || d.rationale.iter().map(|r| r.len()).sum::<usize>() > self.cfg.max_output_bytes
        {
            return Err(PluginError::OutputTooLarge {
                plugin: plugin.manifest.name.clone(),
                bytes: d.rationale.iter().map(|r| r.len()).sum(),
                cap: self.cfg.max_output_bytes,
            });
        }
        Ok(d)
    }
}

/// Write a cache entry atomically: a temp file in the same directory, then
/// rename over the final name (readers see the old file, none, or the whole
/// new one).
fn write_cached(path: &Path, component: &Component) -> Result<(), String> {
    let payload = component
        .serialize()
        .map_err(|e| format!("serialize: {e:#}"))?;
    let dir = path.parent().ok_or("cache path has no directory")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!(
        ".{}.{}.{nonce}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("cwasm"),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(CACHE_MAGIC)?;
        f.write_all(sha256_hex(&payload).as_bytes())?;
        f.write_all(&payload)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("write: {e}")
    })
}

/// Largest `get-random-bytes` answer (WASI's default is 64 MiB).
const MAX_RANDOM_BYTES: u64 = 1 << 20;
/// Live WASI resources (streams, pollables) one call may hold.
const MAX_RESOURCES: usize = 10_000;
/// Core instances, linear memories and tables one call may create. A Rust
/// component has a handful of each; componentize-py's runtime some dozens
/// of instances and tables.
const MAX_INSTANCES: usize = 100;
const MAX_MEMORIES: usize = 8;
const MAX_TABLES: usize = 100;
/// Table elements of all the call's tables together.
const MAX_TABLE_ELEMENTS: usize = 1_000_000;

/// Store-wide limiter: the memory cap is for all the call's linear
/// memories together (a component can have several memories, in several
/// core instances), and so is the table cap; it remembers whether it
/// refused a memory growth.
struct Limiter {
    cap: usize,
    memory: usize,
    table_elements: usize,
    hit: bool,
}

impl Limiter {
    fn new(cap: usize) -> Limiter {
        Limiter {
            cap,
            memory: 0,
            table_elements: 0,
            hit: false,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = (self.memory - current.min(self.memory)).saturating_add(desired);
        if total > self.cap {
            self.hit = true;
            return Ok(false);
        }
        self.memory = total;
        Ok(true)
    }
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total =
            (self.table_elements - current.min(self.table_elements)).saturating_add(desired);
        if total > MAX_TABLE_ELEMENTS {
            return Ok(false);
        }
        self.table_elements = total;
        Ok(true)
    }
    fn instances(&self) -> usize {
        MAX_INSTANCES
    }
    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
    fn tables(&self) -> usize {
        MAX_TABLES
    }
}

/// Defines every `wasi:sockets/*` import of `component` as functions that
/// trap and resources no function can produce. (wasmtime's
/// `define_unknown_imports_as_traps` would do the same for every import
/// but, matching names exactly, it also shadows the WASI interfaces that
/// are linked under a newer 0.2 patch version than the component names.)
fn stub_sockets(
    linker: &mut Linker<State>,
    component: &Component,
    engine: &Engine,
) -> wasmtime::Result<()> {
    use wasmtime::component::ResourceType;
    use wasmtime::component::types::ComponentItem;
    for (name, item) in component.component_type().imports(engine) {
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            continue;
        };
        if !name.starts_with("wasi:sockets/") {
            continue;
        }
        let mut li = linker.instance(name)?;
        for (export, ext) in instance.exports(engine) {
            match ext.ty {
                ComponentItem::ComponentFunc(_) => {
                    let full = format!("{name}#{export}");
                    li.func_new(export, move |_, _, _, _| {
                        Err(wasmtime::Error::msg(format!(
                            "{full}: plugins have no network"
                        )))
                    })?;
                }
                // The sockets interfaces use the I/O interfaces' resources;
                // those must be the types the WASI linker defines for them.
                ComponentItem::Resource(_) => {
                    let ty = match export {
                        "pollable" => ResourceType::host::<wasmtime_wasi::p2::DynPollable>(),
                        "input-stream" => ResourceType::host::<wasmtime_wasi::p2::DynInputStream>(),
                        "output-stream" => {
                            ResourceType::host::<wasmtime_wasi::p2::DynOutputStream>()
                        }
                        _ => ResourceType::host::<()>(),
                    };
                    li.resource(export, ty, |_, _| Ok(()))?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The WASI interfaces a plugin may import: I/O streams and polling, the
/// clocks (the monotonic one is shadowed in `linker_for`), random numbers,
/// the CLI environment, exit and standard streams (empty: nothing is
/// inherited), and the file-system types with no preopened directory.
/// Sockets and name lookup are left out: a plugin never has network.
fn link_wasi(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    use wasmtime_wasi::cli::{WasiCli, WasiCliView as _};
    use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView as _};
    use wasmtime_wasi::p2::bindings::{cli, filesystem, random, sync};
    use wasmtime_wasi::random::WasiRandom;
    // io (error, poll, streams), clocks, random, stdin/stdout/stderr.
    wasmtime_wasi::p2::add_to_linker_proxy_interfaces_sync(linker)?;
    let l = linker;
    random::insecure::add_to_linker::<State, WasiRandom>(l, |t| t.wasi.random())?;
    random::insecure_seed::add_to_linker::<State, WasiRandom>(l, |t| t.wasi.random())?;
    cli::exit::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::environment::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::terminal_input::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::terminal_output::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::terminal_stdin::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::terminal_stdout::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::terminal_stderr::add_to_linker::<State, WasiCli>(l, State::cli)?;
    filesystem::preopens::add_to_linker::<State, WasiFilesystem>(l, State::filesystem)?;
    sync::filesystem::types::add_to_linker::<State, WasiFilesystem>(l, State::filesystem)?;
    Ok(())
}

/// `wasi:clocks/monotonic-clock` whose waits never outlast the call's
/// remaining guest time (see `linker_for`).
struct CappedClock;

impl HasData for CappedClock {
    type Data<'a> = CappedClockView<'a>;
}

struct CappedClockView<'a> {
    inner: WasiClocksCtxView<'a>,
    /// Longest wait allowed now: remaining guest time plus one tick.
    cap: Duration,
}

fn capped_clock(s: &mut State) -> CappedClockView<'_> {
    let guest = s.started.elapsed().saturating_sub(s.host_time);
    let cap = s.limit.saturating_sub(guest) + TICK;
    CappedClockView {
        inner: s.clocks(),
        cap,
    }
}

impl CappedClockView<'_> {
    fn capped(&self, nanos: u64) -> u64 {
        nanos.min(u64::try_from(self.cap.as_nanos()).unwrap_or(u64::MAX))
    }
}

impl monotonic_clock::Host for CappedClockView<'_> {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        self.inner.now()
    }
    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        self.inner.resolution()
    }
    fn subscribe_instant(
        &mut self,
        when: monotonic_clock::Instant,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let now = self.inner.now()?;
        let wait = self.capped(when.saturating_sub(now));
        self.inner.subscribe_duration(wait)
    }
    fn subscribe_duration(
        &mut self,
        duration: monotonic_clock::Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let wait = self.capped(duration);
        self.inner.subscribe_duration(wait)
    }
}

/// Per-call store data.
struct State {
    plugin: String,
    role: Option<Role>,
    eff: Effective,
    services: Box<dyn RoleServices>,
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
    model_calls: u32,
    host_time: Duration,
    started: Instant,
    limit: Duration,
    max_log: usize,
    /// The step's context (`context.get`), from the handoff.
    context: Option<types::ContextPack>,
    /// Host calls made so far (a proposed edit counts as one).
    host_calls: u64,
    max_host_calls: u64,
    /// `services.audit_bytes()` when the call started: the services may be
    /// shared with earlier calls, the cap is per call.
    audit_base: u64,
    max_audit_bytes: u64,
    /// Wall clock of the whole call, host calls included.
    wall_clock: Duration,
    /// The cap this call tripped, if any: the call has trapped, and
    /// `classify` turns the trap into the cap's typed error.
    tripped: Option<Cap>,
}

/// The per-call caps that count host calls (issue 19, class 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cap {
    HostCalls,
    AuditBytes,
    WallClock,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl State {
    /// Run `f` as host time: excluded from the guest's deadline (not from
    /// the wall clock, which `admit` checks).
    fn timed<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let t = Instant::now();
        let r = f(self);
        self.host_time += t.elapsed();
        r
    }

    /// Remember the cap and trap: the guest cannot catch a trap, so the
    /// call ends here, before the excess call does anything (one audit
    /// event, the run's `plugin-failure`, records it; not one per call).
    fn trip(&mut self, cap: Cap) -> wasmtime::Error {
        self.tripped = Some(cap);
        wasmtime::Error::msg(format!("plugin call stopped: {cap:?} cap exceeded"))
    }

    fn audit_used(&self) -> u64 {
        self.services.audit_bytes().saturating_sub(self.audit_base)
    }

    /// Entry of every `coop:mob` import: `cost` host calls (1, or the
    /// number of edits proposed), checked against the host-call cap, the
    /// wall clock and the audit bytes already caused. Guest time alone is
    /// bounded by the epoch deadline; these bound what host calls add.
    fn admit(&mut self, cost: u64) -> wasmtime::Result<()> {
        if let Some(cap) = self.tripped {
            return Err(self.trip(cap));
        }
        self.host_calls = self.host_calls.saturating_add(cost.max(1));
        if self.host_calls > self.max_host_calls {
            return Err(self.trip(Cap::HostCalls));
        }
        if self.started.elapsed() >= self.wall_clock {
            return Err(self.trip(Cap::WallClock));
        }
        if self.audit_used() > self.max_audit_bytes {
            return Err(self.trip(Cap::AuditBytes));
        }
        Ok(())
    }

    /// Before an audited write carrying `bytes` bytes of text (a log line,
    /// a denial): trip instead of writing past the audit-bytes cap. The
    /// line's exact size is the services' business (JSON escaping can
    /// lengthen the text), so a call can end at most one line over the cap;
    /// `settle` then trips on the exact count.
    fn charge_audit(&mut self, bytes: usize) -> wasmtime::Result<()> {
        let line = bytes.saturating_add(AUDIT_LINE_OVERHEAD) as u64;
        let after = self.audit_used().saturating_add(line);
        if after > self.max_audit_bytes {
            return Err(self.trip(Cap::AuditBytes));
        }
        Ok(())
    }

    /// Audit a refused call (within the audit-bytes cap) and give back the
    /// message for the plugin.
    fn deny(&mut self, capability: &str, msg: String) -> wasmtime::Result<String> {
        self.charge_audit(msg.len() + self.plugin.len() + capability.len())?;
        self.services.denied(&self.plugin, capability, &msg);
        Ok(msg)
    }

    /// After a host call: the audit bytes the services wrote themselves
    /// (rejected edits, refused reads, ...) count too.
    fn settle(&mut self) -> wasmtime::Result<()> {
        if self.audit_used() > self.max_audit_bytes {
            return Err(self.trip(Cap::AuditBytes));
        }
        Ok(())
    }
}

/// The fixed part of an audit line (sequence number, time, event name,
/// the previous line's hash, JSON punctuation): about 180 bytes in coop's
/// log, rounded up.
const AUDIT_LINE_OVERHEAD: usize = 256;

/// A path a plugin hands the host longer than this is refused where it
/// enters, without echoing it: no file system takes longer paths, and an
/// echoed path would make every denial's audit line as long as the plugin
/// likes.
const MAX_PATH_BYTES: usize = 4096;

fn path_too_long(path: &str) -> Option<String> {
    (path.len() > MAX_PATH_BYTES).then(|| {
        format!(
            "invalid path: {} bytes, longer than {MAX_PATH_BYTES}",
            path.len()
        )
    })
}

impl types::Host for State {}

impl model::Host for State {
    fn complete(
        &mut self,
        request: model::CompletionRequest,
    ) -> wasmtime::Result<Result<model::Completion, model::ModelError>> {
        self.admit(1)?;
        let r = self.timed(|s| -> wasmtime::Result<Result<_, model::ModelError>> {
            let Some(grant) = s.eff.model.clone() else {
                return Ok(Err(model::ModelError::Denied(
                    "model access is not granted".into(),
                )));
            };
            let Some(role) = s.role else {
                return Ok(Err(model::ModelError::Denied(
                    "only role plugins may call the model".into(),
                )));
            };
            if s.model_calls >= grant.max_calls {
                let msg = format!(
                    "the grant allows {} model calls per step; all are used",
                    grant.max_calls
                );
                return Ok(Err(model::ModelError::Denied(s.deny("model", msg)?)));
            }
            if request.max_tokens > grant.max_tokens_per_call {
                let msg = format!(
                    "max-tokens {} is above the grant of {} per call",
                    request.max_tokens, grant.max_tokens_per_call
                );
                return Ok(Err(model::ModelError::Denied(s.deny("model", msg)?)));
            }
            if let Some(schema) = &request.json_schema {
                let problem = if schema.len() > crate::MAX_JSON_SCHEMA_BYTES {
                    Some(format!(
                        "json-schema is {} bytes; the limit is {}",
                        schema.len(),
                        crate::MAX_JSON_SCHEMA_BYTES
                    ))
                } else {
                    match serde_json::from_str::<serde_json::Value>(schema) {
                        Ok(v) if v.is_object() => None,
                        Ok(_) => Some("json-schema must be a JSON object".to_string()),
                        Err(e) => Some(format!("json-schema is not valid JSON: {e}")),
                    }
                };
                if let Some(msg) = problem {
                    return Ok(Err(model::ModelError::Denied(s.deny("model", msg)?)));
                }
            }
            s.model_calls += 1;
            let req = PluginModelRequest {
                messages: request
                    .messages
                    .into_iter()
                    .map(|m| PluginMessage {
                        role: match m.role {
                            model::MessageRole::System => PluginMessageRole::System,
                            model::MessageRole::User => PluginMessageRole::User,
                            model::MessageRole::Assistant => PluginMessageRole::Assistant,
                        },
                        content: m.content,
                    })
                    .collect(),
                max_tokens: request.max_tokens,
                temperature: request.temperature,
                json: request.json,
                json_schema: request.json_schema,
            };
            Ok(match s.services.complete(role, req) {
                Ok(r) => Ok(model::Completion {
                    text: r.text,
                    usage: model::Usage {
                        input_tokens: r.usage.input_tokens,
                        output_tokens: r.usage.output_tokens,
                        cached_input_tokens: r.usage.cached_input_tokens,
                    },
                    model: r.model,
                    truncated: r.truncated,
                }),
                Err(ModelCallError::Denied(m)) => Err(model::ModelError::Denied(m)),
                Err(ModelCallError::BudgetExceeded(m)) => Err(model::ModelError::BudgetExceeded(m)),
                Err(ModelCallError::Provider(m)) => Err(model::ModelError::Provider(m)),
                Err(ModelCallError::Cancelled) => Err(model::ModelError::Cancelled),
            })
        })?;
        self.settle()?;
        Ok(r)
    }
}

fn ws_err(e: WorkspaceCallError) -> workspace::WorkspaceError {
    match e {
        WorkspaceCallError::Denied(m) => workspace::WorkspaceError::Denied(m),
        WorkspaceCallError::NotFound(m) => workspace::WorkspaceError::NotFound(m),
        WorkspaceCallError::TooLarge(n) => workspace::WorkspaceError::TooLarge(n),
        WorkspaceCallError::Invalid(m) => workspace::WorkspaceError::Invalid(m),
    }
}

impl workspace::Host for State {
    fn list_files(
        &mut self,
    ) -> wasmtime::Result<Result<Vec<types::FileFact>, workspace::WorkspaceError>> {
        self.admit(1)?;
        let r = self.timed(|s| {
            let Some(read) = s.eff.read.clone() else {
                return Err(workspace::WorkspaceError::Denied(
                    "workspace read is not granted".into(),
                ));
            };
            let files = s.services.list_files().map_err(ws_err)?;
            Ok(files
                .iter()
                .filter(|f| read.allows(&f.path))
                .map(convert::file_fact_to_wit)
                .collect())
        });
        self.settle()?;
        Ok(r)
    }

    fn read_file(
        &mut self,
        path: String,
    ) -> wasmtime::Result<Result<String, workspace::WorkspaceError>> {
        self.admit(1)?;
        let r = self.timed(
            |s| -> wasmtime::Result<Result<_, workspace::WorkspaceError>> {
                let Some(read) = s.eff.read.clone() else {
                    return Ok(Err(workspace::WorkspaceError::Denied(
                        "workspace read is not granted".into(),
                    )));
                };
                // Every check below sees the canonical spelling.
                let canonical = match path_too_long(&path) {
                    Some(msg) => Err(msg),
                    None => coop_core::path::canonical_path(&path)
                        .map_err(|e| format!("invalid path: {e}")),
                };
                let path = match canonical {
                    Ok(p) => p,
                    Err(msg) => {
                        // A forbidden path, in the contract's words: `denied`.
                        let msg = s.deny("workspace.read", msg)?;
                        return Ok(Err(workspace::WorkspaceError::Denied(msg)));
                    }
                };
                if !read.allows(&path) {
                    let msg = format!("{path} is outside the granted read globs");
                    let msg = s.deny("workspace.read", msg)?;
                    return Ok(Err(workspace::WorkspaceError::Denied(msg)));
                }
                Ok(s.services.read_file(&path).map_err(ws_err))
            },
        )?;
        self.settle()?;
        Ok(r)
    }
}

impl context::Host for State {
    fn get(&mut self) -> wasmtime::Result<types::ContextPack> {
        self.admit(1)?;
        // Linked only with the read grant; the working set is filtered by
        // the effective read globs (manifest and grant), like every read.
        let mut pack = self.context.clone().unwrap_or_else(convert::empty_context);
        if let Some(read) = &self.eff.read {
            pack.working_set.retain(|i| read.allows(&i.path));
        } else {
            pack.working_set.clear();
        }
        Ok(pack)
    }
}

impl edits::Host for State {
    fn propose(
        &mut self,
        proposed: Vec<types::FileEdit>,
    ) -> wasmtime::Result<Vec<types::EditOutcome>> {
        // Each edit is work and (at least) one audit line for the host: a
        // batch of a million edits is a million calls, not one.
        self.admit(proposed.len() as u64)?;
        let r = self.timed(|s| -> wasmtime::Result<Vec<types::EditOutcome>> {
            let Some(grant) = s.eff.edits.clone() else {
                return Ok(proposed
                    .into_iter()
                    .map(|e| {
                        let p = convert::edit_from_wit(e).path().to_string();
                        types::EditOutcome::Rejected(types::EditRejection {
                            path: p,
                            reason: "edits are not granted".into(),
                        })
                    })
                    .collect());
            };
            // Grant check first; only allowed edits reach the workspace.
            let mut slots: Vec<Option<types::EditOutcome>> = Vec::new();
            let mut allowed = Vec::new();
            for e in proposed {
                let e = convert::edit_from_wit(e);
                // The grant, the risk classifier, the secret rule, the
                // confirmation prompt and confinement all see one spelling.
                let canonical = match path_too_long(e.path()) {
                    Some(msg) => Err(msg),
                    None => coop_core::path::canonical_path(e.path())
                        .map_err(|why| format!("invalid path: {why}")),
                };
                let e = match canonical {
                    Ok(p) => e.with_path(p),
                    Err(reason) => {
                        let reason = s.deny("edits", reason)?;
                        let shown = if e.path().len() > MAX_PATH_BYTES {
                            String::new()
                        } else {
                            e.path().escape_debug().to_string()
                        };
                        slots.push(Some(types::EditOutcome::Rejected(types::EditRejection {
                            path: shown,
                            reason,
                        })));
                        continue;
                    }
                };
                if grant.allows(e.path()) {
                    slots.push(None);
                    allowed.push(e);
                } else {
                    let reason = format!("{} is outside the granted edit globs", e.path());
                    let reason = s.deny("edits", reason)?;
                    slots.push(Some(types::EditOutcome::Rejected(types::EditRejection {
                        path: e.path().to_string(),
                        reason,
                    })));
                }
            }
            let mut results = s.services.propose_edits(allowed).into_iter();
            Ok(slots
                .into_iter()
                .map(|slot| match slot {
                    Some(o) => o,
                    None => results
                        .next()
                        .map(convert::outcome_to_wit)
                        .unwrap_or_else(|| {
                            types::EditOutcome::Rejected(types::EditRejection {
                                path: String::new(),
                                reason: "the host returned no outcome for this edit".into(),
                            })
                        }),
                })
                .collect())
        })?;
        self.settle()?;
        Ok(r)
    }
}

impl log::Host for State {
    fn write(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        // A log call counts even when `log` is not granted: the call is
        // still host work.
        self.admit(1)?;
        self.timed(|s| -> wasmtime::Result<()> {
            if !s.eff.log {
                return Ok(());
            }
            let mut m = message;
            if m.len() > s.max_log {
                let mut cut = s.max_log;
                while !m.is_char_boundary(cut) {
                    cut -= 1;
                }
                m.truncate(cut);
                m.push_str(" [truncated]");
            }
            let lvl = match level {
                log::Level::Debug => LogLevel::Debug,
                log::Level::Info => LogLevel::Info,
                log::Level::Warn => LogLevel::Warn,
                log::Level::Error => LogLevel::Error,
            };
            s.charge_audit(m.len() + s.plugin.len())?;
            s.services.log(&s.plugin, lvl, &m);
            Ok(())
        })?;
        self.settle()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn engine(epoch: bool, opt: wasmtime::OptLevel) -> Engine {
        let mut c = Config::new();
        c.wasm_component_model(true);
        c.epoch_interruption(epoch);
        c.cranelift_opt_level(opt);
        Engine::new(&c).unwrap()
    }

    #[test]
    fn engine_hash_is_stable_and_tracks_compilation_settings() {
        let a = engine_hash(&engine(true, wasmtime::OptLevel::Speed));
        assert_eq!(
            a,
            engine_hash(&engine(true, wasmtime::OptLevel::Speed)),
            "same settings, same key"
        );
        assert_ne!(
            a,
            engine_hash(&engine(false, wasmtime::OptLevel::Speed)),
            "tunables are part of the key"
        );
        assert_ne!(
            a,
            engine_hash(&engine(true, wasmtime::OptLevel::None)),
            "compiler flags are part of the key"
        );
        // The host's own engine matches a freshly built one with its settings.
        let h = PluginHost::new(HostConfig::default()).unwrap();
        assert_eq!(h.engine_hash, a);
    }

    /// A core module with one linear memory of `pages` 64 KiB pages,
    /// written out byte by byte: header, then the memory section.
    fn module_with_memory(engine: &Engine, pages: u8) -> wasmtime::Module {
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        if pages > 0 {
            assert!(pages < 0x80, "one-byte LEB");
            bytes.extend([0x05, 0x03, 0x01, 0x00, pages]);
        }
        wasmtime::Module::new(engine, &bytes).unwrap()
    }

    fn limited_store(engine: &Engine, cap: usize) -> Store<Limiter> {
        let mut store = Store::new(engine, Limiter::new(cap));
        store.limiter(|l| l);
        store
    }

    #[test]
    fn the_memory_cap_holds_for_all_memories_of_a_call_together() {
        let engine = Engine::default();
        let module = module_with_memory(&engine, 40);
        // Cap: 100 pages. Two instances of 40 pages fit, a third does not,
        // though each memory alone is far under the cap.
        let mut store = limited_store(&engine, 100 * 65536);
        wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        assert!(!store.data().hit);
        assert!(wasmtime::Instance::new(&mut store, &module, &[]).is_err());
        assert!(store.data().hit, "reported as the memory limit");
    }

    #[test]
    fn a_call_creates_a_bounded_number_of_instances_and_memories() {
        let engine = Engine::default();
        let bare = module_with_memory(&engine, 0);
        let mut store = limited_store(&engine, usize::MAX);
        for _ in 0..MAX_INSTANCES {
            wasmtime::Instance::new(&mut store, &bare, &[]).unwrap();
        }
        assert!(wasmtime::Instance::new(&mut store, &bare, &[]).is_err());

        let tiny = module_with_memory(&engine, 1);
        let mut store = limited_store(&engine, usize::MAX);
        for _ in 0..MAX_MEMORIES {
            wasmtime::Instance::new(&mut store, &tiny, &[]).unwrap();
        }
        assert!(wasmtime::Instance::new(&mut store, &tiny, &[]).is_err());
    }

    #[test]
    fn plugins_and_hosts_stay_shareable_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<LoadedPlugin>();
        send_sync::<PluginHost>();
    }

    #[test]
    fn link_sets_differ_per_interface() {
        let mut seen = std::collections::BTreeSet::new();
        for model in [false, true] {
            for log in [false, true] {
                let eff = Effective {
                    model: model.then_some(crate::ModelGrant {
                        max_tokens_per_call: 1,
                        max_calls: 1,
                    }),
                    read: None,
                    edits: None,
                    log,
                };
                seen.insert(link_set(&eff));
            }
        }
        assert_eq!(seen.len(), 4);
    }
}
