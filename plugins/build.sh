#!/usr/bin/env bash
# Build the default plugins as WebAssembly components (wasm32-wasip2) and
# copy them to target/plugins/<name>.wasm, where the default config finds them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
names=(router architect implementer reviewer navigator)
args=()
for n in "${names[@]}"; do args+=(-p "coop-$n"); done
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release --target wasm32-wasip2 "${args[@]}"
mkdir -p "$root/target/plugins"
for n in "${names[@]}"; do
  cp "$target_dir/wasm32-wasip2/release/coop_$n.wasm" "$root/target/plugins/$n.wasm"
done
echo "plugins built: $(ls "$root/target/plugins" | tr '\n' ' ')"
