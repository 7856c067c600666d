//! Helpers shared by the sandbox's Docker tests.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use coop_sandbox::{Sandbox, SandboxConfig};

/// A sandbox with `cfg` whose image is present; the Docker tests fail (never
/// skip) with a message naming what is missing.
pub async fn sandbox(cfg: SandboxConfig) -> Sandbox {
    let sb = Sandbox::connect(cfg)
        .await
        .unwrap_or_else(|e| panic!("these tests need a running Docker daemon: {e}"));
    sb.ensure_image()
        .await
        .unwrap_or_else(|e| panic!("{e} (run sandbox/build-image.sh before the tests)"));
    sb
}

/// Make a test module readable by the container's unprivileged user.
pub fn chmod_world_readable(p: &Path) {
    let meta = std::fs::metadata(p).unwrap();
    let mode = if meta.is_dir() { 0o755 } else { 0o644 };
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    if meta.is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            chmod_world_readable(&e.unwrap().path());
        }
    }
}

/// Every entry under `root` with its content (a symlink's target for a
/// symlink, which is not followed) and mode, to prove a run wrote nothing.
pub fn snapshot(root: &Path) -> std::collections::BTreeMap<String, (Vec<u8>, u32)> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let mode = meta.permissions().mode();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&p).unwrap();
                out.insert(
                    rel + "@",
                    (target.to_string_lossy().into_owned().into_bytes(), mode),
                );
            } else if meta.is_dir() {
                out.insert(rel + "/", (Vec::new(), mode));
                stack.push(p);
            } else {
                out.insert(rel, (std::fs::read(&p).unwrap(), mode));
            }
        }
    }
    out
}
