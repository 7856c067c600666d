//! Helpers shared by the sandbox's Docker tests.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

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
