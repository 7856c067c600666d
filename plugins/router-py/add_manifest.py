#!/usr/bin/env python3
"""Append a top-level `coop-manifest` custom section to a WebAssembly component.

Usage: add_manifest.py MANIFEST.json IN.wasm OUT.wasm

A custom section (id 0) may appear anywhere in a component binary, so
appending one at the end keeps the component valid. The host finds it with
wasmparser's Parser::parse_all (host/plugins/src/manifest.rs) and rejects a
component carrying two (run it on componentize-py's output, not twice).
"""
import json
import sys

SECTION = b"coop-manifest"


def leb128_u32(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    manifest_path, src, dst = sys.argv[1:]
    with open(manifest_path, "rb") as f:
        raw = f.read()
    manifest = json.loads(raw)  # fail early on invalid JSON
    data = json.dumps(manifest, separators=(",", ":")).encode()
    with open(src, "rb") as f:
        wasm = f.read()
    # \0asm, then version 0x0d 0x00 and layer 0x01 0x00 for a component.
    if wasm[:4] != b"\0asm" or wasm[4:8] != b"\x0d\x00\x01\x00":
        print(f"add_manifest.py: {src} is not a WebAssembly component", file=sys.stderr)
        return 1
    body = leb128_u32(len(SECTION)) + SECTION + data
    section = b"\x00" + leb128_u32(len(body)) + body
    with open(dst, "wb") as f:
        f.write(wasm + section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
