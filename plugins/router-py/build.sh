#!/usr/bin/env bash
# Build the Python router into target/plugins/router-py.wasm:
# componentize-py (pinned) against the `router` world of wit/mob.wit, then a
# top-level `coop-manifest` custom section appended by add_manifest.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version="0.25.1"
out_dir="$root/target/plugins"
out="${ROUTER_PY_OUT:-$out_dir/router-py.wasm}"  # override for experiments

# Run componentize-py through the interpreter (its console script is
# `componentize_py:script`), so a scripts directory missing from PATH does not matter.
cpy() { python3 -c 'import sys, componentize_py; sys.argv[0] = "componentize-py"; sys.exit(componentize_py.script())' "$@"; }
if [ "$(cpy --version 2>/dev/null)" != "componentize-py $version" ]; then
    python3 -m pip install --quiet "componentize-py==$version"
fi

mkdir -p "$(dirname "$out")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$here"
# -p: only this directory goes on the Python path (no site-packages scan needed).
cpy -q -d "$root/wit" -w router componentize -p "$here" app -o "$tmp/router-py.core.wasm"
python3 "$here/add_manifest.py" "$here/manifest.json" "$tmp/router-py.core.wasm" "$out"
echo "built $out ($(wc -c <"$out") bytes, sha256 $(sha256sum "$out" | cut -d' ' -f1))"
