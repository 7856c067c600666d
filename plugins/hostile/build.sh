#!/usr/bin/env bash
# Build the hostile test plugin (plugins/hostile) as a WebAssembly component
# and copy it to target/plugins-test/hostile.wasm, where
# host/plugins/tests/hostile.rs finds it. Test-only: never a default plugin.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release --target wasm32-wasip2 -p coop-hostile -p coop-compat-0-2-0
mkdir -p "$root/target/plugins-test"
cp "$target_dir/wasm32-wasip2/release/coop_hostile.wasm" "$root/target/plugins-test/hostile.wasm"
# A plugin built against the frozen WIT 0.2.0 (compatibility test).
cp "$target_dir/wasm32-wasip2/release/coop_compat_0_2_0.wasm" "$root/target/plugins-test/compat-0.2.0.wasm"
echo "hostile plugin built: $root/target/plugins-test/hostile.wasm (and compat-0.2.0.wasm)"
