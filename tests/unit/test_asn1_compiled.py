"""The compiled-module cache (euicc.asn1.compiled) and the lean asn1tools import
(euicc.asn1.lean): a cached SGP.22 module (SGP.22 Annex H) works exactly like a freshly
compiled one, a damaged, foreign or planted cache file is never trusted, and the card's
process does not load what it never uses."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import asn1tools

from euicc.asn1 import compiled, decode_exact, encode
from tests.support.profile_metadata import metadata_der

RSP = Path(compiled.__file__).parent / "rsp.asn"
TINY = "Tiny DEFINITIONS AUTOMATIC TAGS ::= BEGIN T ::= SEQUENCE { a INTEGER, b OCTET STRING } END"


def tiny_module(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.asn"
    path.write_text(TINY)
    return path


def cache_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.pickle"))


def test_cached_module_equals_a_fresh_compile(tmp_path):
    parsed, first = compiled.load(RSP, "der", tmp_path)
    (written,) = cache_files(tmp_path)
    assert written.stat().st_mode & 0o077 == 0
    parsed_again, cached = compiled.load(RSP, "der", tmp_path)
    assert cached is not first  # read back from the file
    fresh = asn1tools.compile_files([str(RSP)], "der")
    assert parsed_again == parsed == asn1tools.parse_files([str(RSP)])
    data = metadata_der("89440000000000000017", ppr=(1,), notify={0: "a.example"})
    for spec in (fresh, cached):
        spec.strict_der = True
    assert decode_exact(cached, "StoreMetadataRequest", data) == decode_exact(
        fresh, "StoreMetadataRequest", data)
    value = decode_exact(fresh, "StoreMetadataRequest", data)
    assert encode(cached, "StoreMetadataRequest", value) == data
    assert set(cached.types) == set(fresh.types)


def test_another_module_text_is_another_cache_file(tmp_path):
    (tmp_path / "src").mkdir()
    module = tiny_module(tmp_path / "src")
    compiled.load(module, "der", tmp_path)
    module.write_text(TINY.replace("b OCTET STRING", "b BOOLEAN"))
    _, spec = compiled.load(module, "der", tmp_path)
    assert len(cache_files(tmp_path)) == 2
    assert spec.decode("T", spec.encode("T", {"a": 1, "b": True})) == {"a": 1, "b": True}


def test_damaged_cache_file_is_compiled_again_and_replaced(tmp_path):
    module = tiny_module(tmp_path)
    compiled.load(module, "der", tmp_path / "c")
    (path,) = cache_files(tmp_path / "c")
    path.write_bytes(path.read_bytes()[:100])
    _, spec = compiled.load(module, "der", tmp_path / "c")
    assert spec.encode("T", {"a": 5, "b": b"x"}) == bytes.fromhex("3006800105810178")
    assert compiled._read(path) is not None  # the replacement loads


class _Planted:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_planted_cache_file_runs_nothing(tmp_path):
    module = tiny_module(tmp_path)
    compiled.load(module, "der", tmp_path / "c")
    (path,) = cache_files(tmp_path / "c")
    marker = tmp_path / "pwned"
    path.write_bytes(pickle.dumps(({}, _Planted(marker))))
    path.chmod(0o600)
    _, spec = compiled.load(module, "der", tmp_path / "c")
    assert not marker.exists()
    assert isinstance(spec, asn1tools.compiler.Specification)


def test_cache_file_others_may_write_is_ignored(tmp_path):
    module = tiny_module(tmp_path)
    compiled.load(module, "der", tmp_path / "c")
    (path,) = cache_files(tmp_path / "c")
    path.chmod(0o666)
    assert compiled._read(path) is None
    compiled.load(module, "der", tmp_path / "c")
    assert path.stat().st_mode & 0o077 == 0  # replaced by a private file


def test_unwritable_cache_directory_still_compiles(tmp_path):
    module = tiny_module(tmp_path)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    _, spec = compiled.load(module, "der", blocker / "asn1")
    assert spec.decode("T", bytes.fromhex("3006800105810178")) == {"a": 5, "b": b"x"}


def test_card_process_leaves_out_what_it_never_uses():
    """The run path (the command line and the card assembly with its applets) loads neither
    prompt_toolkit (asn1tools' shell) nor the PER codecs, and these still work when someone
    does use them."""
    script = "\n".join([
        "import sys, euicc_tools.emulator.cli, euicc_tools.emulator.card",
        "from euicc.asn1 import pe, rsp",
        "rsp(); pe()",
        "print('prompt_toolkit' in sys.modules, sys.modules['asn1tools.codecs.per'].__dict__"
        ".get('Type') is None)",
        "import asn1tools",
        "spec = asn1tools.compile_string('A DEFINITIONS ::= BEGIN X ::= BMPString END', 'uper')",
        "print(spec.encode('X', 'hi').hex())",
    ])
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                         text=True, cwd=Path(__file__).resolve().parents[2]).stdout.split()
    assert out == ["False", "True", "0200680069"]
