//! Pins the default plugins to this build of coop (issue 19, class 7).
//!
//! The sha256 of each default component in `<workspace>/target/plugins`
//! (where `plugins/build.sh` puts them) is compiled into the binary; the
//! default configuration's slots then load only those exact components,
//! wherever the plugin directory is. A repository cannot change the binary,
//! so it cannot swap a default plugin either. Build the plugins first, then
//! coop (as examples/demo.sh and tests/run.sh do): a rebuilt plugin changes
//! its file, which makes cargo run this script again on the next build.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::PathBuf;

const DEFAULT_PLUGINS: [&str; 5] = [
    "router",
    "architect",
    "implementer",
    "reviewer",
    "navigator",
];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dir = manifest.join("../../target/plugins");
    let mut out = String::from(
        "/// (file name, sha256) of the default plugins this coop was built with.\n\
         pub const DEFAULT_PINS: &[(&str, &str)] = &[\n",
    );
    for name in DEFAULT_PLUGINS {
        let file = dir.join(format!("{name}.wasm"));
        // Also for a file that does not exist yet: cargo then runs this
        // script on every build, until the plugins are built.
        println!("cargo:rerun-if-changed={}", file.display());
        if let Ok(bytes) = std::fs::read(&file) {
            let digest = Sha256::digest(&bytes);
            let mut hex = String::with_capacity(64);
            for b in digest {
                let _ = write!(hex, "{b:02x}");
            }
            let _ = writeln!(out, "    (\"{name}.wasm\", \"{hex}\"),");
        }
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out_dir.join("default_pins.rs"), out) {
        // A build script reports failure by panicking.
        panic!("cannot write default_pins.rs: {e}");
    }
}
